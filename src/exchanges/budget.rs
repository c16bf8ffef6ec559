//! A venue's per-key call counter, modelled on the client so that lockdown paces itself under
//! the limit instead of learning it from refusals (Kraken, docs/venues/kraken.md §7: every call
//! adds to a key's counter, which decays at a fixed rate; past the maximum the key is refused for a
//! while, and longer if it keeps calling).
//!
//! The model is a leaky bucket per key: a call reserves its cost at once, and waits until the
//! counter, drained at the decay rate since, has room for it. Reservations queue: the counter may
//! stand above the maximum by what is already promised, and each later call waits for its own
//! share. The model counts this client's calls only: when someone else uses the same key (the
//! attacker, with a leaked one) the exchange may still refuse, and the client waits that refusal
//! out like any rate limit. It does not fill the model on a refusal: that would hold back a call
//! the exchange answers before counting it (a deleted key's, which is how a revocation is
//! verified).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A key's call counter as a venue publishes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallBudget {
    /// The counter's maximum.
    pub max: f64,
    /// How much the counter drains per second.
    pub decay_per_s: f64,
}

/// Each key's modelled counter.
#[derive(Debug, Default)]
pub struct Counters(Mutex<HashMap<String, Level>>);

/// A counter's value at an instant.
#[derive(Debug, Clone, Copy)]
struct Level {
    value: f64,
    at: Instant,
}

impl Counters {
    /// Reserves `cost` on `key`'s counter and says how long to wait before sending.
    pub fn reserve(&self, budget: CallBudget, key: &str, cost: f64) -> Duration {
        self.reserve_at(budget, key, cost, Instant::now())
    }

    /// How long until `key`'s counter has room for `cost` below `share` of its maximum,
    /// reserving nothing: background calls (the watcher's looks) wait for that before they
    /// queue, so that a response's calls are never promised a place behind theirs.
    pub fn room_below(&self, budget: CallBudget, key: &str, cost: f64, share: f64) -> Duration {
        self.room_below_at(budget, key, cost, share, Instant::now())
    }

    fn room_below_at(
        &self,
        budget: CallBudget,
        key: &str,
        cost: f64,
        share: f64,
        now: Instant,
    ) -> Duration {
        if cost <= 0.0 || budget.decay_per_s <= 0.0 {
            return Duration::ZERO;
        }
        let levels = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let level = drained(levels.get(key), budget, now);
        let ceiling = (budget.max * share).max(cost);
        let over = level + cost - ceiling;
        if over > 0.0 {
            Duration::from_secs_f64(over / budget.decay_per_s)
        } else {
            Duration::ZERO
        }
    }

    fn reserve_at(&self, budget: CallBudget, key: &str, cost: f64, now: Instant) -> Duration {
        if cost <= 0.0 || budget.decay_per_s <= 0.0 {
            return Duration::ZERO;
        }
        let mut levels = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let level = drained(levels.get(key), budget, now);
        let over = level + cost - budget.max;
        let wait = if over > 0.0 {
            Duration::from_secs_f64(over / budget.decay_per_s)
        } else {
            Duration::ZERO
        };
        levels.insert(
            key.to_owned(),
            Level {
                value: level + cost,
                at: now,
            },
        );
        wait
    }
}

/// The counter's value at `now`, drained since it was last set.
fn drained(level: Option<&Level>, budget: CallBudget, now: Instant) -> f64 {
    level.map_or(0.0, |l| {
        let secs = now.saturating_duration_since(l.at).as_secs_f64();
        (l.value - secs * budget.decay_per_s).max(0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTER: CallBudget = CallBudget {
        max: 15.0,
        decay_per_s: 0.33,
    };

    #[test]
    fn a_burst_up_to_the_maximum_goes_at_once_then_calls_queue_at_the_decay_rate() {
        let counters = Counters::default();
        let t0 = Instant::now();
        // Fifteen one-point calls fit; a history call of two points then waits for two points.
        for i in 0..15 {
            assert_eq!(
                counters.reserve_at(STARTER, "k", 1.0, t0),
                Duration::ZERO,
                "{i}"
            );
        }
        let wait = counters.reserve_at(STARTER, "k", 2.0, t0);
        assert!((wait.as_secs_f64() - 2.0 / 0.33).abs() < 1e-6, "{wait:?}");
        // The next one queues behind it.
        let next = counters.reserve_at(STARTER, "k", 1.0, t0);
        assert!((next.as_secs_f64() - 3.0 / 0.33).abs() < 1e-6, "{next:?}");
        // Another key has its own counter; free calls never wait.
        assert_eq!(
            counters.reserve_at(STARTER, "other", 1.0, t0),
            Duration::ZERO
        );
        assert_eq!(counters.reserve_at(STARTER, "k", 0.0, t0), Duration::ZERO);
        // Later, the counter has drained.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(
            counters.reserve_at(STARTER, "k", 1.0, later),
            Duration::ZERO
        );
    }

    #[test]
    fn background_calls_wait_for_room_below_their_share_and_reserve_nothing() {
        let counters = Counters::default();
        let t0 = Instant::now();
        for _ in 0..7 {
            assert_eq!(counters.reserve_at(STARTER, "k", 1.0, t0), Duration::ZERO);
        }
        // Half of 15 is 7.5: one more point fits below it, two do not yet.
        assert_eq!(
            counters.room_below_at(STARTER, "k", 0.5, 0.5, t0),
            Duration::ZERO
        );
        let wait = counters.room_below_at(STARTER, "k", 2.0, 0.5, t0);
        assert!((wait.as_secs_f64() - 1.5 / 0.33).abs() < 1e-6, "{wait:?}");
        // Asking reserved nothing: a response's call still finds the other half at once.
        for i in 0..8 {
            assert_eq!(
                counters.reserve_at(STARTER, "k", 1.0, t0),
                Duration::ZERO,
                "{i}"
            );
        }
    }
}
