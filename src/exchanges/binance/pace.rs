//! How long the client must hold back after a Binance answer (docs/venues/binance.md §7).
//!
//! Binance limits request weight per IP address per minute and reports what was used on every
//! answer: `X-MBX-USED-WEIGHT-1M` (spot `/api`, limit 6000; USD-M `/fapi`, limit 2400; COIN-M
//! `/dapi` and options `/eapi` carry the same header, and are held at USD-M's 2400: COIN-M's
//! `exchangeInfo` example says 6000 and the options pages give no figure, so the lower one),
//! `X-SAPI-USED-IP-WEIGHT-1M` (limit 12000) and `X-SAPI-USED-UID-WEIGHT-1M` (limit 180000) on
//! `/sapi`. The limits are the published ones; an account with other limits reads them from
//! `exchangeInfo`, which lockdown does not. Going over is a 429 with `Retry-After`; going on
//! after that is an IP ban (418, two minutes to three days). So: a 429 holds every request of
//! the connection for its `Retry-After`, and a used weight at 90 % of a limit or more holds it
//! until the minute rolls over. A 418 is the client's business (`ExchangeError::IpBanned`).

use std::time::Duration;

use crate::exchanges::{Request, Response};

/// The share of a limit past which the client waits for the next minute.
const NEAR: f64 = 0.9;

/// A weight header and the published limit it counts against.
struct Meter {
    header: &'static str,
    limit: u32,
}

/// The meters an answer to `path` carries.
fn meters(path: &str) -> &'static [Meter] {
    if ["/fapi/", "/dapi/", "/eapi/"]
        .iter()
        .any(|p| path.contains(p))
    {
        &[Meter {
            header: "x-mbx-used-weight-1m",
            limit: 2_400,
        }]
    } else if path.contains("/sapi/") {
        &[
            Meter {
                header: "x-sapi-used-ip-weight-1m",
                limit: 12_000,
            },
            Meter {
                header: "x-sapi-used-uid-weight-1m",
                limit: 180_000,
            },
        ]
    } else {
        &[Meter {
            header: "x-mbx-used-weight-1m",
            limit: 6_000,
        }]
    }
}

/// How long to hold every request after this answer to `request`, if at all.
pub fn pace(request: &Request, response: &Response, now_ms: i64) -> Option<Duration> {
    if response.status == 429 {
        let secs = response
            .header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(1);
        return Some(Duration::from_secs(secs));
    }
    let near = meters(&request.path).iter().any(|meter| {
        response
            .header(meter.header)
            .and_then(|used| used.trim().parse::<u32>().ok())
            .is_some_and(|used| f64::from(used) >= f64::from(meter.limit) * NEAR)
    });
    // The minute windows roll over on the exchange's clock.
    near.then(|| {
        let left = 60_000 - now_ms.rem_euclid(60_000);
        Duration::from_millis(u64::try_from(left).unwrap_or(60_000) + 50)
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

    #[test]
    fn holds_after_a_429_and_near_the_limit() {
        let spot = Request::get("/api/v3/account", String::new());
        let futures = Request::get("https://fapi.binance.com/fapi/v1/openOrders", String::new());
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
                Some(Duration::from_secs(3)),
            ),
            (
                "spot near its limit",
                &spot,
                answer(200, &[("x-mbx-used-weight-1m", "5500")]),
                Some(Duration::from_millis(20_050)),
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
                Some(Duration::from_millis(20_050)),
            ),
        ] {
            assert_eq!(pace(request, &response, now), want, "{label}");
        }
    }
}
