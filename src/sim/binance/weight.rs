//! Binance's request-weight limits, and the IP ban for clients that do not back off
//! (docs/venues/binance.md §7).
//!
//! Weight is counted per IP address (the real peer) per calendar minute of the exchange's clock,
//! in three meters: spot `/api` (limit 6000, `X-MBX-USED-WEIGHT-1M`), USD-M `/fapi` (2400, the
//! same header) and SAPI IP weight (12000, `X-SAPI-USED-IP-WEIGHT-1M`); SAPI endpoints that
//! Binance weighs per account count against the master's UID instead (180000,
//! `X-SAPI-USED-UID-WEIGHT-1M`). A request whose weight would go over its meter's limit is
//! refused with HTTP 429 and `Retry-After` (the seconds left in the minute), and not counted.
//!
//! The ban rule (Binance documents the ban, not its trigger): once an address got a 429, every
//! request it sends before that `Retry-After` has passed is a violation, answered 429 again; the
//! [`BAN_AFTER`]th violation bans the address for [`BAN_MS`] (Binance's shortest ban, two
//! minutes), and every request during the ban is answered 418 with the seconds left. A client
//! that waits out its `Retry-After` is never banned; a few requests already in flight when the
//! 429 came are forgiven. Injected faults (`Sim::set_faults`) are not limits and count nothing.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

/// The published spot request-weight limit per minute.
pub(crate) const SPOT_LIMIT: u32 = 6_000;
/// The published USD-M request-weight limit per minute.
const FUTURES_LIMIT: u32 = 2_400;
/// The SAPI IP-weight limit per minute.
const SAPI_IP_LIMIT: u32 = 12_000;
/// The SAPI UID-weight limit per minute.
const SAPI_UID_LIMIT: u32 = 180_000;

/// Requests sent inside a 429's `Retry-After` before the address is banned.
pub(crate) const BAN_AFTER: u32 = 10;
/// How long a ban lasts.
pub(crate) const BAN_MS: i64 = 120_000;

const MINUTE_MS: i64 = 60_000;

/// Which limit a request's weight counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meter {
    /// Spot `/api`, per IP.
    Spot,
    /// USD-M `/fapi`, per IP.
    Futures,
    /// SAPI, per IP.
    SapiIp,
    /// SAPI, per account UID.
    SapiUid,
}

impl Meter {
    /// The header that reports this meter.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Meter::Spot | Meter::Futures => "x-mbx-used-weight-1m",
            Meter::SapiIp => "x-sapi-used-ip-weight-1m",
            Meter::SapiUid => "x-sapi-used-uid-weight-1m",
        }
    }
}

/// What the limiter says about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Counted; the header to report and its value.
    Admitted { header: &'static str, used: u32 },
    /// Over the limit, or inside a 429's `Retry-After`: HTTP 429.
    TooMany { retry_after_s: u64 },
    /// Banned: HTTP 418 until the ban ends.
    Banned { until_ms: i64, retry_after_s: u64 },
}

/// One minute's count.
#[derive(Clone, Copy, Debug, Default)]
struct Count {
    minute: i64,
    used: u32,
}

impl Count {
    fn current(&mut self, minute: i64) -> &mut u32 {
        if self.minute != minute {
            *self = Count { minute, used: 0 };
        }
        &mut self.used
    }
}

/// One address's meters and standing.
#[derive(Clone, Debug, Default)]
struct Address {
    spot: Count,
    futures: Count,
    sapi: Count,
    /// Until when the address must send nothing (its last 429's `Retry-After`).
    back_off_until_ms: i64,
    violations: u32,
    banned_until_ms: i64,
}

/// Every address's and account's weight.
#[derive(Debug)]
pub(crate) struct Limits {
    addresses: HashMap<IpAddr, Address>,
    accounts: HashMap<u64, Count>,
    /// The spot limit in force (`Sim::set_weight_limit`).
    pub(crate) spot_limit: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            addresses: HashMap::new(),
            accounts: HashMap::new(),
            spot_limit: SPOT_LIMIT,
        }
    }
}

fn seconds_until(until_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((until_ms - now_ms).max(1))
        .unwrap_or(1)
        .div_ceil(1000)
}

impl Limits {
    /// The limit a meter counts against, per minute.
    pub(crate) fn limit(&self, meter: Meter) -> u32 {
        match meter {
            Meter::Spot => self.spot_limit,
            Meter::Futures => FUTURES_LIMIT,
            Meter::SapiIp => SAPI_IP_LIMIT,
            Meter::SapiUid => SAPI_UID_LIMIT,
        }
    }

    /// Counts a request of `weight` on `meter` from `peer` (for the master `uid` on UID-weighed
    /// SAPI endpoints) at `now_ms`, after the ban and back-off rules.
    pub(crate) fn check(
        &mut self,
        peer: Option<IpAddr>,
        uid: u64,
        meter: Meter,
        weight: u32,
        now_ms: i64,
    ) -> Verdict {
        let ip = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let minute = now_ms.div_euclid(MINUTE_MS);
        let next_minute = (minute + 1) * MINUTE_MS;
        let limit = self.limit(meter);
        let address = self.addresses.entry(ip).or_default();
        if address.banned_until_ms > now_ms {
            return Verdict::Banned {
                until_ms: address.banned_until_ms,
                retry_after_s: seconds_until(address.banned_until_ms, now_ms),
            };
        }
        if address.back_off_until_ms > now_ms {
            address.violations += 1;
            if address.violations >= BAN_AFTER {
                address.violations = 0;
                address.banned_until_ms = now_ms + BAN_MS;
                return Verdict::Banned {
                    until_ms: address.banned_until_ms,
                    retry_after_s: seconds_until(address.banned_until_ms, now_ms),
                };
            }
            return Verdict::TooMany {
                retry_after_s: seconds_until(address.back_off_until_ms, now_ms),
            };
        }
        address.violations = 0;
        let used = match meter {
            Meter::Spot => address.spot.current(minute),
            Meter::Futures => address.futures.current(minute),
            Meter::SapiIp => address.sapi.current(minute),
            Meter::SapiUid => self.accounts.entry(uid).or_default().current(minute),
        };
        if used.saturating_add(weight) > limit {
            let address = self.addresses.entry(ip).or_default();
            address.back_off_until_ms = next_minute;
            return Verdict::TooMany {
                retry_after_s: seconds_until(next_minute, now_ms),
            };
        }
        *used += weight;
        Verdict::Admitted {
            header: meter.header(),
            used: *used,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_699_999_990_000; // 10 s into a minute

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
    }

    #[test]
    fn counts_per_address_and_minute_then_refuses_with_the_seconds_left() {
        let mut limits = Limits {
            spot_limit: 50,
            ..Limits::default()
        };
        assert_eq!(
            limits.check(ip(1), 1, Meter::Spot, 20, NOW),
            Verdict::Admitted {
                header: "x-mbx-used-weight-1m",
                used: 20
            }
        );
        limits.check(ip(1), 1, Meter::Spot, 20, NOW);
        assert_eq!(
            limits.check(ip(1), 1, Meter::Spot, 20, NOW),
            Verdict::TooMany { retry_after_s: 50 }
        );
        // Another address has its own meter; the next minute starts afresh.
        assert!(matches!(
            limits.check(ip(2), 1, Meter::Spot, 20, NOW),
            Verdict::Admitted { used: 20, .. }
        ));
        assert!(matches!(
            limits.check(ip(1), 1, Meter::Spot, 20, NOW + 50_000),
            Verdict::Admitted { used: 20, .. }
        ));
    }

    #[test]
    fn a_client_that_keeps_going_is_banned_and_stays_banned() {
        let mut limits = Limits {
            spot_limit: 10,
            ..Limits::default()
        };
        limits.check(ip(1), 1, Meter::Spot, 10, NOW);
        assert!(matches!(
            limits.check(ip(1), 1, Meter::Spot, 1, NOW),
            Verdict::TooMany { .. }
        ));
        for _ in 1..BAN_AFTER {
            assert!(matches!(
                limits.check(ip(1), 1, Meter::Spot, 1, NOW + 1),
                Verdict::TooMany { .. }
            ));
        }
        assert_eq!(
            limits.check(ip(1), 1, Meter::Spot, 1, NOW + 2),
            Verdict::Banned {
                until_ms: NOW + 2 + BAN_MS,
                retry_after_s: 120
            }
        );
        // Every request during the ban is refused, a public one too; then it ends.
        assert!(matches!(
            limits.check(ip(1), 1, Meter::SapiIp, 1, NOW + 60_000),
            Verdict::Banned {
                retry_after_s: 61,
                ..
            }
        ));
        assert!(matches!(
            limits.check(ip(1), 1, Meter::Spot, 1, NOW + 2 + BAN_MS),
            Verdict::Admitted { .. }
        ));
    }

    #[test]
    fn waiting_out_the_retry_after_is_never_a_violation() {
        let mut limits = Limits {
            spot_limit: 10,
            ..Limits::default()
        };
        limits.check(ip(1), 1, Meter::Spot, 10, NOW);
        let Verdict::TooMany { retry_after_s } = limits.check(ip(1), 1, Meter::Spot, 1, NOW) else {
            panic!("expected a 429");
        };
        let later = NOW + i64::try_from(retry_after_s).unwrap() * 1000;
        for _ in 0..3 * BAN_AFTER {
            assert!(!matches!(
                limits.check(ip(1), 1, Meter::Spot, 0, later),
                Verdict::Banned { .. }
            ));
        }
        // UID-weighed SAPI calls count per account, whatever the address.
        assert!(matches!(
            limits.check(ip(3), 7, Meter::SapiUid, 3000, NOW),
            Verdict::Admitted {
                header: "x-sapi-used-uid-weight-1m",
                used: 3000
            }
        ));
        assert!(matches!(
            limits.check(ip(4), 7, Meter::SapiUid, 3000, NOW),
            Verdict::Admitted { used: 6000, .. }
        ));
    }
}
