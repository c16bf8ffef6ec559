//! Deribit's credit-based rate limit (docs/venues/deribit.md §7): a leaky bucket per account.
//!
//! Each account has two pools: one for matching-engine methods (orders and cancels) and one for
//! the rest. A request costs credits; pools refill continuously up to their size; a request the
//! pool cannot pay is refused with 10028 `too_many_requests` and costs nothing. The numbers are
//! the commonly cited defaults (third-party, "verify", docs/venues/deribit.md §7): the rest 500
//! credits a request, 50 000 a pool, 10 000 back a second (about 20 requests a second, bursts of
//! 100); the matching engine 5 requests a second, bursts of 20. On WebSocket, exhaustion also ends
//! the session; over REST the simulator ends nothing (not documented for REST).

use std::collections::HashMap;

/// One pool's size, refill and price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Pool {
    pub(crate) size: f64,
    pub(crate) refill_per_s: f64,
    pub(crate) cost: f64,
}

/// Non-matching-engine requests.
pub(crate) const REST: Pool = Pool {
    size: 50_000.0,
    refill_per_s: 10_000.0,
    cost: 500.0,
};

/// Matching-engine requests.
pub(crate) const MATCHING: Pool = Pool {
    size: 20_000.0,
    refill_per_s: 5_000.0,
    cost: 1_000.0,
};

/// Credits left per account and pool, with when they were counted.
#[derive(Debug, Default)]
pub(crate) struct Credits(HashMap<(u64, bool), (f64, i64)>);

impl Credits {
    /// Pays for one request of `account` at `now_ms`; `false` (and nothing paid) when the pool
    /// cannot.
    pub(crate) fn spend(&mut self, account: u64, matching: bool, now_ms: i64) -> bool {
        let pool = if matching { MATCHING } else { REST };
        let (left, at) = self
            .0
            .entry((account, matching))
            .or_insert((pool.size, now_ms));
        // A clock set backwards (skew) refills nothing.
        let elapsed_s = (now_ms - *at).max(0) as f64 / 1000.0;
        *left = (*left + elapsed_s * pool.refill_per_s).min(pool.size);
        *at = now_ms;
        if *left + 1e-9 < pool.cost {
            return false;
        }
        *left -= pool.cost;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refills_per_account_and_pool() {
        let mut c = Credits::default();
        for i in 0..20 {
            assert!(c.spend(1, true, 0), "matching burst {i}");
        }
        assert!(!c.spend(1, true, 0), "the 21st is refused");
        assert!(c.spend(1, false, 0), "the other pool is apart");
        assert!(c.spend(2, true, 0), "another account is apart");
        assert!(!c.spend(1, true, 100), "half a credit back is not enough");
        assert!(c.spend(1, true, 200), "a fifth of a second buys one");
        for _ in 0..100 {
            assert!(c.spend(3, false, 0));
        }
        assert!(!c.spend(3, false, 0), "burst of 100");
    }
}
