//! The dead-man switch, as Kraken (`CancelAllOrdersAfter`, docs/venues/kraken.md §5) and OKX
//! (`cancel-all-after`, docs/venues/okx.md §5) offer it: shared, since only the wire differs.
//!
//! Arming it with a timeout sets the moment the account's open orders are all cancelled, unless
//! it is armed again (which moves the moment) or disarmed with `0`. The simulator keeps one
//! switch per account (UID): OKX counts per user ID (docs/venues/okx.md §7) and Kraken leaves it
//! open (docs/venues/kraken.md §10), and per account is the reading under which a leaked key with
//! trading rights can disarm the owner's switch. Due switches fire when the venue next answers
//! anything: nothing runs on its own in the simulator, so a test moves the clock
//! (`Sim::set_clock_skew_ms`) and sends any request. The dialects validate timeouts; this never
//! refuses one.

use std::collections::BTreeMap;

use crate::sim::order::Category;
use crate::sim::state::{SymbolFilter, Venue};

/// Every armed switch: account UID to the moment (Unix ms, exchange clock) its orders go.
#[derive(Debug, Default)]
pub(crate) struct DeadMan {
    armed: BTreeMap<u64, i64>,
}

impl DeadMan {
    /// Arms (or with `timeout_s` 0, disarms) `uid`'s switch at `now_ms`; the trigger moment,
    /// if armed.
    pub(crate) fn arm(&mut self, uid: u64, timeout_s: u32, now_ms: i64) -> Option<i64> {
        if timeout_s == 0 {
            self.armed.remove(&uid);
            return None;
        }
        let at = now_ms + i64::from(timeout_s) * 1000;
        self.armed.insert(uid, at);
        Some(at)
    }

    /// Removes and returns the accounts whose switch is due at `now_ms`.
    fn take_due(&mut self, now_ms: i64) -> Vec<u64> {
        let due: Vec<u64> = self
            .armed
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(uid, _)| *uid)
            .collect();
        for uid in &due {
            self.armed.remove(uid);
        }
        due
    }
}

/// Cancels every open order, in every category, of the accounts whose switch is due at
/// `now_ms`; a switch that fired is disarmed.
pub(crate) fn fire(v: &mut Venue, now_ms: i64) {
    for uid in v.dead_man.take_due(now_ms) {
        for category in [
            Category::Spot,
            Category::Linear,
            Category::Inverse,
            Category::Option,
        ] {
            v.cancel_open(uid, category, &SymbolFilter::default(), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::seed::{BOT_UID, default_incident};

    fn open(v: &Venue, uid: u64) -> usize {
        v.orders
            .iter()
            .filter(|o| o.uid == uid && o.status.is_open())
            .count()
    }

    #[test]
    fn fires_once_due_and_never_when_disarmed() {
        let mut v = default_incident(ExchangeId::Okx, 7);
        let now = v.now_ms();
        let before = open(&v, BOT_UID);
        assert!(before > 0);
        assert!(
            v.orders
                .iter()
                .any(|o| o.uid == BOT_UID && o.status.is_open() && o.category != Category::Spot),
            "the seed has a non-spot order to cancel too"
        );

        // Disarmed: nothing fires, however late.
        assert_eq!(v.dead_man.arm(BOT_UID, 60, now), Some(now + 60_000));
        assert_eq!(v.dead_man.arm(BOT_UID, 0, now), None);
        fire(&mut v, now + 3_600_000);
        assert_eq!(open(&v, BOT_UID), before);

        // Armed again: not a millisecond early, then every category at once, and only once.
        assert_eq!(v.dead_man.arm(BOT_UID, 10, now), Some(now + 10_000));
        fire(&mut v, now + 9_999);
        assert_eq!(open(&v, BOT_UID), before);
        fire(&mut v, now + 10_000);
        assert_eq!(open(&v, BOT_UID), 0);
        assert!(v.dead_man.armed.is_empty());
    }
}
