//! Kraken's dead-man switch, `CancelAllOrdersAfter` (reference §7.5).
//!
//! Arming it with `timeout` seconds sets the moment the account's open orders are all
//! cancelled, unless it is armed again (which moves the moment) or disarmed with `0`. The
//! reference leaves open whether the switch is per key or per account (§10.5); the simulator
//! keeps one per account, the reading under which a leaked key with trading rights can disarm
//! the owner's switch. Due switches fire when the venue next answers anything: nothing runs on
//! its own in the simulator.

use crate::sim::order::Category;
use crate::sim::state::{SymbolFilter, Venue};

/// Arms (or with `timeout_s` 0, disarms) `uid`'s switch at `now_ms`; the trigger moment, if armed.
pub(crate) fn arm(v: &mut Venue, uid: u64, timeout_s: u32, now_ms: i64) -> Option<i64> {
    if timeout_s == 0 {
        v.kraken.dead_man.remove(&uid);
        return None;
    }
    let at = now_ms + i64::from(timeout_s) * 1000;
    v.kraken.dead_man.insert(uid, at);
    Some(at)
}

/// Cancels every open order of the accounts whose switch is due at `now_ms`.
pub(crate) fn fire(v: &mut Venue, now_ms: i64) {
    let due: Vec<u64> = v
        .kraken
        .dead_man
        .iter()
        .filter(|(_, at)| **at <= now_ms)
        .map(|(uid, _)| *uid)
        .collect();
    for uid in due {
        v.kraken.dead_man.remove(&uid);
        v.cancel_open(uid, Category::Spot, &SymbolFilter::default(), None);
    }
}
