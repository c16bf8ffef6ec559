//! Kraken's REST call counter, per key (docs/venues/kraken.md §7 and Kraken's rate-limit guide).
//!
//! Every key's counter starts at 0; a call adds its cost (ledger and trade-history calls 2,
//! others 1, `AddOrder`/`CancelOrder` nothing: they go to the trading engine's own limiter, not
//! modelled), and the counter drains continuously. A call that would take it past the maximum
//! is refused with `EAPI:Rate limit exceeded` and adds nothing, so a key is usable again as soon
//! as enough has drained. The simulator runs the Intermediate tier: at most 20, −0.5 a second.
//! Written from the docs, not from the client's model of it.

use std::collections::HashMap;

/// The counter's maximum (Intermediate tier).
pub(crate) const MAX: f64 = 20.0;

/// How much it drains per second (Intermediate tier).
pub(crate) const DECAY_PER_S: f64 = 0.5;

/// Every key's counter: its value and when it was last set (Unix ms).
#[derive(Debug, Default)]
pub(crate) struct CallCounter(HashMap<String, (f64, i64)>);

impl CallCounter {
    /// Counts a call of `cost` by `key` at `now_ms`; false when it would pass the maximum.
    pub(crate) fn admit(&mut self, key: &str, cost: f64, now_ms: i64) -> bool {
        if cost <= 0.0 {
            return true;
        }
        let (value, at) = self.0.get(key).copied().unwrap_or((0.0, now_ms));
        // A clock set back (skew) drains nothing.
        let secs = (now_ms - at).max(0) as f64 / 1000.0;
        let value = (value - secs * DECAY_PER_S).max(0.0);
        if value + cost > MAX {
            self.0.insert(key.to_owned(), (value, now_ms));
            return false;
        }
        self.0.insert(key.to_owned(), (value + cost, now_ms));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_points_then_one_every_two_seconds() {
        let mut c = CallCounter::default();
        for i in 0..10 {
            assert!(c.admit("k", 2.0, 1_000), "{i}");
        }
        assert!(!c.admit("k", 1.0, 1_000), "full");
        assert!(c.admit("other", 1.0, 1_000), "per key");
        assert!(!c.admit("k", 1.0, 2_900), "0.95 drained, not enough");
        assert!(c.admit("k", 1.0, 3_000), "one point drained after 2 s");
        assert!(c.admit("k", 0.0, 3_000), "trading calls are not counted");
    }
}
