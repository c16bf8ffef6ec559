//! A rolling one-second request counter per key and endpoint.
//!
//! Bybit limits each UID per endpoint over a rolling second and reports the state in
//! `X-Bapi-Limit`, `X-Bapi-Limit-Status` and `X-Bapi-Limit-Reset-Timestamp` (docs/venues/bybit.md
//! §7); OKX counts "N requests per 2 seconds" per user ID and endpoint (docs/venues/okx.md §7), so
//! a dialect may choose the window ([`RateLimiter::check_window`]). This limiter counts per key (or
//! user) and bucket (the dialect names the key, the bucket and the limit). It only counts requests
//! it admits, so a refused burst does not extend itself.

use std::collections::{HashMap, VecDeque};

/// Width of the rolling window.
const WINDOW_MS: i64 = 1000;

/// The limiter's answer for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) admitted: bool,
    /// Requests allowed per window (`X-Bapi-Limit`).
    pub(crate) limit: u32,
    /// Requests left in the current window after this one (`X-Bapi-Limit-Status`).
    pub(crate) remaining: u32,
    /// When the oldest counted request leaves the window, Unix ms
    /// (`X-Bapi-Limit-Reset-Timestamp`).
    pub(crate) reset_ms: i64,
}

/// Rolling-window counters keyed by (key id or user, bucket).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<(String, String), VecDeque<i64>>,
}

impl RateLimiter {
    /// Counts a request by `key` on `bucket` at `now_ms` against `limit` per second.
    pub(crate) fn check(&mut self, key: &str, bucket: &str, limit: u32, now_ms: i64) -> Verdict {
        self.check_window(key, bucket, limit, WINDOW_MS, now_ms)
    }

    /// Counts a request by `key` on `bucket` at `now_ms` against `limit` per `window_ms`.
    pub(crate) fn check_window(
        &mut self,
        key: &str,
        bucket: &str,
        limit: u32,
        window_ms: i64,
        now_ms: i64,
    ) -> Verdict {
        let w = self
            .windows
            .entry((key.to_owned(), bucket.to_owned()))
            .or_default();
        // A clock set backwards (skew) must not strand old entries in the future.
        while w
            .front()
            .is_some_and(|&t| t <= now_ms - window_ms || t > now_ms)
        {
            w.pop_front();
        }
        let admitted = w.len() < limit as usize;
        if admitted {
            w.push_back(now_ms);
        }
        let used = u32::try_from(w.len()).unwrap_or(u32::MAX);
        Verdict {
            admitted,
            limit,
            remaining: limit.saturating_sub(used),
            reset_ms: w.front().map_or(now_ms, |&t| t + window_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_limit_then_refuses_until_window_rolls() {
        let mut rl = RateLimiter::default();
        let a = rl.check("k", "b", 2, 1_000);
        assert!(a.admitted);
        assert_eq!(a.remaining, 1);
        assert!(rl.check("k", "b", 2, 1_100).admitted);
        let refused = rl.check("k", "b", 2, 1_200);
        assert!(!refused.admitted);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_ms, 2_000);
        assert!(
            rl.check("k", "b", 2, 2_000).admitted,
            "first entry left the window"
        );
        assert!(rl.check("other", "b", 2, 1_200).admitted, "per key");
        assert!(rl.check("k", "c", 2, 1_200).admitted, "per bucket");
    }

    #[test]
    fn two_second_windows() {
        let mut rl = RateLimiter::default();
        assert!(rl.check_window("u", "b", 1, 2_000, 10_000).admitted);
        assert!(!rl.check_window("u", "b", 1, 2_000, 11_500).admitted);
        let refused = rl.check_window("u", "b", 1, 2_000, 11_999);
        assert_eq!(refused.reset_ms, 12_000);
        assert!(rl.check_window("u", "b", 1, 2_000, 12_000).admitted);
    }
}
