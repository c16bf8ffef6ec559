//! How long, and which of its requests, the client must hold back after a Binance answer
//! (docs/venues/binance.md §7).
//!
//! Binance limits request weight per minute on several meters and reports what was used on
//! every answer: `X-MBX-USED-WEIGHT-1M` (spot `/api`, limit 6000 per IP; USD-M `/fapi`, limit
//! 2400; COIN-M `/dapi` and options `/eapi` carry the same header, and are held at USD-M's 2400:
//! COIN-M's `exchangeInfo` example says 6000 and the options pages give no figure, so the lower
//! one), `X-SAPI-USED-IP-WEIGHT-1M` (limit 12000 per IP) and `X-SAPI-USED-UID-WEIGHT-1M` (limit
//! 180000 per account: the sub-account key endpoints weigh 3000 each, the withdrawal history
//! 18000) on `/sapi`. The limits are the published ones; an account with other limits reads them
//! from `exchangeInfo`, which lockdown does not. Going over is a 429 with `Retry-After`; going on
//! after that is an IP ban (418, two minutes to three days). So: a 429 holds every request of
//! the address for its `Retry-After`, and a used weight at 90 % of a meter's limit or more
//! holds the requests that count on that meter until the minute rolls over, and only those:
//! twenty keys' evidence reads near the spot limit must not hold back the master's revokes on
//! its UID weight, nor twenty locks' key reads the spot reads. A 418 is the client's business
//! (`ExchangeError::IpBanned`).

use std::time::Duration;

use crate::exchanges::mechanisms::{Hold, Lane, Load};
use crate::exchanges::{Request, Response};

/// The share of a limit past which the client waits for the next minute.
const NEAR: f64 = 0.9;

/// The spot weight, per address.
const SPOT: Lane = Lane::Limit("spot weight");
/// USD-M, COIN-M and options weight, per address (held together, as the limit is read alike).
const FUTURES: Lane = Lane::Limit("futures weight");
/// SAPI IP weight, per address.
const SAPI_IP: Lane = Lane::Limit("SAPI IP weight");
/// SAPI UID weight, per account: per signing key.
const SAPI_UID: Lane = Lane::KeyLimit("SAPI UID weight");

/// A weight header, the published limit it counts against and the requests it holds.
struct Meter {
    header: &'static str,
    limit: u32,
    lane: Lane,
}

/// The meters an answer to `path` carries.
fn meters(path: &str) -> &'static [Meter] {
    if is_futures(path) {
        &[Meter {
            header: "x-mbx-used-weight-1m",
            limit: 2_400,
            lane: FUTURES,
        }]
    } else if path.contains("/sapi/") {
        &[
            Meter {
                header: "x-sapi-used-ip-weight-1m",
                limit: 12_000,
                lane: SAPI_IP,
            },
            Meter {
                header: "x-sapi-used-uid-weight-1m",
                limit: 180_000,
                lane: SAPI_UID,
            },
        ]
    } else {
        &[Meter {
            header: "x-mbx-used-weight-1m",
            limit: 6_000,
            lane: SPOT,
        }]
    }
}

fn is_futures(path: &str) -> bool {
    ["/fapi/", "/dapi/", "/eapi/"]
        .iter()
        .any(|p| path.contains(p))
}

/// The meter a request to `path` counts on. The SAPI endpoints Binance weighs per account
/// (its "Weight(UID)"): the sub-account and broker key endpoints and the withdrawals
/// (docs/venues/binance.md §4, §7); every other SAPI endpoint by IP.
pub fn lane(path: &str) -> Lane {
    if is_futures(path) {
        FUTURES
    } else if path.contains("/sapi/") {
        if path.contains("subAccountApi") || path.contains("/capital/withdraw/") {
            SAPI_UID
        } else {
            SAPI_IP
        }
    } else {
        SPOT
    }
}

/// What to hold back, and how long, after this answer to `request`, if anything.
pub fn pace(request: &Request, response: &Response, now_ms: i64) -> Option<Hold> {
    if response.status == 429 {
        let secs = response
            .header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(1);
        return Some(Hold {
            wait: Duration::from_secs(secs),
            lane: Lane::Address,
        });
    }
    let load = load(request, response, now_ms).filter(|load| load.share >= NEAR)?;
    Some(Hold {
        wait: load.stands,
        lane: load.lane,
    })
}

/// How full the meter this answer to `request` reports is: the fullest, if it reports several.
pub fn load(request: &Request, response: &Response, now_ms: i64) -> Option<Load> {
    let (meter, share) = meters(&request.path)
        .iter()
        .filter_map(|meter| {
            let used = response.header(meter.header)?.trim().parse::<u32>().ok()?;
            Some((meter, f64::from(used) / f64::from(meter.limit)))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    // The minute windows roll over on the exchange's clock.
    let left = 60_000 - now_ms.rem_euclid(60_000);
    Some(Load {
        lane: meter.lane,
        share,
        stands: Duration::from_millis(u64::try_from(left).unwrap_or(60_000) + 50),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        }
    }

    fn hold(wait: Duration, lane: Lane) -> Option<Hold> {
        Some(Hold { wait, lane })
    }

    #[test]
    fn holds_after_a_429_and_near_the_limit() {
        let spot = Request::get("/api/v3/account", String::new());
        let futures = Request::get("https://fapi.binance.com/fapi/v1/openOrders", String::new());
        let keys = Request::get(
            "/sapi/v1/sub-account/subAccountApi/ipRestriction",
            String::new(),
        );
        let margin = Request::get("/sapi/v1/margin/openOrders", String::new());
        let now = 1_700_000_020_000; // 40 s into a minute
        for (label, request, response, want) in [
            (
                "quiet",
                &spot,
                answer(200, &[("x-mbx-used-weight-1m", "100")]),
                None,
            ),
            (
                "429",
                &spot,
                answer(429, &[("retry-after", "3")]),
                hold(Duration::from_secs(3), Lane::Address),
            ),
            (
                "spot near its limit",
                &spot,
                answer(200, &[("x-mbx-used-weight-1m", "5500")]),
                hold(Duration::from_millis(20_050), SPOT),
            ),
            (
                "the same weight is far from spot's limit on spot",
                &spot,
                answer(200, &[("x-mbx-used-weight-1m", "2200")]),
                None,
            ),
            (
                "but near USD-M's",
                &futures,
                answer(200, &[("x-mbx-used-weight-1m", "2200")]),
                hold(Duration::from_millis(20_050), FUTURES),
            ),
            (
                "the master's UID weight near its limit holds its key calls only",
                &keys,
                answer(200, &[("x-sapi-used-uid-weight-1m", "162000")]),
                hold(Duration::from_millis(20_050), SAPI_UID),
            ),
            (
                "SAPI IP weight far from its limit",
                &margin,
                answer(200, &[("x-sapi-used-ip-weight-1m", "100")]),
                None,
            ),
        ] {
            assert_eq!(pace(request, &response, now), want, "{label}");
        }
    }

    #[test]
    fn the_load_is_what_the_answer_reports_of_its_meter() {
        let spot = Request::get("/api/v3/account", String::new());
        let keys = Request::get("/sapi/v1/sub-account/subAccountApi", String::new());
        let now = 1_700_000_020_000; // 40 s into a minute
        let of = |request: &Request, headers: &[(&str, &str)]| {
            load(request, &answer(200, headers), now).map(|l| (l.lane, l.share, l.stands))
        };
        let stands = Duration::from_millis(20_050);
        assert_eq!(
            of(&spot, &[("x-mbx-used-weight-1m", "3000")]),
            Some((SPOT, 0.5, stands))
        );
        assert_eq!(
            of(&keys, &[("x-sapi-used-uid-weight-1m", "90000")]),
            Some((SAPI_UID, 0.5, stands))
        );
        assert_eq!(of(&spot, &[]), None, "an answer that says nothing");
    }

    #[test]
    fn each_request_waits_in_the_lane_of_the_meter_it_counts_on() {
        for (path, want) in [
            ("/api/v3/openOrders", SPOT),
            ("https://fapi.binance.com/fapi/v1/openOrders", FUTURES),
            ("https://dapi.binance.com/dapi/v1/income", FUTURES),
            ("https://eapi.binance.com/eapi/v1/openOrders", FUTURES),
            ("/sapi/v1/margin/openOrders", SAPI_IP),
            ("/sapi/v1/sub-account/universalTransfer", SAPI_IP),
            ("/sapi/v2/sub-account/subAccountApi/ipRestriction", SAPI_UID),
            ("/sapi/v1/broker/subAccountApi", SAPI_UID),
            ("/sapi/v1/capital/withdraw/history", SAPI_UID),
        ] {
            assert_eq!(lane(path), want, "{path}");
        }
    }
}
