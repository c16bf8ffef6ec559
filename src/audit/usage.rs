//! Which of the markets a bot key may trade it actually trades in: its recent orders per market, read with the key's own secret (orders belong to the key's account, and only its
//! own keys read them on every venue), so that a permission the bot never uses can be named.
//!
//! Read-only and bounded: one window of at most [`LOOKBACK_DAYS`] days (narrower where the venue
//! allows less per call), a few pages per segment, and the search stops at the first order of a
//! market. A market whose reads fail is `Unread`, never "unused".

use std::collections::BTreeMap;

use super::listing::call;
use super::permission;
use super::permission::Market;
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Client, History, Op, Window};
use crate::secret::Credential;

/// The most days of order history read per family.
pub(crate) const LOOKBACK_DAYS: i64 = 30;

/// Pages followed per segment before the segment counts as without orders.
const MAX_PAGES: usize = 3;

/// How one family a key may trade in is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Used {
    /// An order (open or in the window) was found.
    Yes,
    /// No order in any of its segments, in the window of this many days.
    No { days: i64 },
    /// Could not be read: why.
    Unread(String),
}

/// The markets `info`'s permissions open on the client's venue, each with how the key's account
/// uses it; empty where the venue's permissions are not per product.
pub(crate) async fn markets(
    client: &Client,
    info: &KeyInfo,
    credential: &Credential,
    now_ms: i64,
) -> BTreeMap<Market, Used> {
    let venue = client.venue();
    let mut out = BTreeMap::new();
    if !permission::per_product(venue.id()) || info.read_only {
        return out;
    }
    let markets: Vec<Market> = info
        .permissions
        .iter()
        .flat_map(|p| permission::markets(venue.id(), p).iter().copied())
        .collect();
    let max_ms = i64::try_from(venue.max_window(History::Orders).as_millis()).unwrap_or(i64::MAX);
    let span_ms = max_ms.min(LOOKBACK_DAYS * 86_400_000);
    let window = Window {
        start_ms: now_ms - span_ms,
        end_ms: now_ms,
    };
    for market in markets {
        if out.contains_key(&market) {
            continue;
        }
        let segments = venue
            .segments()
            .iter()
            .filter(|s| market.holds(s) && venue.reads_history(s, History::Orders));
        let mut used = Used::No {
            days: span_ms / 86_400_000,
        };
        for segment in segments {
            match any_order(client, credential, *segment, window).await {
                Ok(true) => {
                    used = Used::Yes;
                    break;
                }
                Ok(false) => {}
                Err(why) => used = Used::Unread(format!("{segment}: {why}")),
            }
        }
        out.insert(market, used);
    }
    out
}

/// Whether the segment has an open order or one in `window`.
async fn any_order(
    client: &Client,
    credential: &Credential,
    segment: crate::exchanges::model::Segment,
    window: Window,
) -> Result<bool, String> {
    let open = Op::OpenOrders {
        segment,
        cursor: None,
    };
    let page = call(client, &open, Some(credential))
        .await
        .and_then(|r| r.into_orders())
        .map_err(|e| e.to_string())?;
    if !page.items.is_empty() {
        return Ok(true);
    }
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let op = Op::Orders {
            segment,
            window,
            cursor: cursor.take(),
        };
        let page = call(client, &op, Some(credential))
            .await
            .and_then(|r| r.into_orders())
            .map_err(|e| e.to_string())?;
        if !page.items.is_empty() {
            return Ok(true);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(false)
}
