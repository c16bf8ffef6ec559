//! Public market data: server time, tickers and the order book (docs/venues/bybit.md §7; docs
//! `market/time.mdx`, `market/tickers.mdx`, `market/orderbook.mdx`).
//!
//! Answered without auth or rate limit, from the venue's books: `lastPrice` is the last fill (the
//! reference price before any), `bid1`/`ask1` the best synthetic levels left (an emptied side
//! shows `""`), the "24h" figures cover the simulator's life with `prevPrice24h` the reference
//! price. Linear tickers show the reference price as `indexPrice` and the last price as
//! `markPrice`; positions and funding are not modelled (`openInterest` 0, `fundingRate` 0.0001).
//! Users' resting orders are not in the book, so nothing here reveals who traded. Read-only.

use serde_json::{Value, json};

use crate::sim::book::{Book, Level};
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::instrument::Instrument;
use crate::sim::num;
use crate::sim::order::{Category, Side};
use crate::sim::state::Venue;

/// Bybit funds perpetuals every eight hours.
const FUNDING_INTERVAL_MS: i64 = 8 * 60 * 60 * 1000;

/// `GET /v5/market/time`: seconds and nanoseconds as strings (docs/venues/bybit.md §7).
pub(crate) fn time(now_ms: i64) -> Value {
    json!({
        "timeSecond": (now_ms.div_euclid(1000)).to_string(),
        "timeNano": (i128::from(now_ms) * 1_000_000).to_string(),
    })
}

/// `GET /v5/market/tickers`: one market (`symbol`) or every market of `category`.
pub(crate) fn tickers(v: &Venue, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let symbol = p.string("symbol")?;
    let markets: Vec<(&Instrument, &Book)> = v
        .instruments
        .iter()
        .filter(|i| i.category == category)
        .filter(|i| symbol.as_ref().is_none_or(|s| s == &i.symbol))
        .filter_map(|i| Some((i, v.book(i.category, &i.symbol)?)))
        .collect();
    if symbol.is_some() && markets.is_empty() {
        return Err(not_supported());
    }
    let now = v.now_ms();
    let list: Vec<Value> = markets
        .into_iter()
        .map(|(i, b)| match category {
            Category::Spot => spot_ticker(v, i, b),
            _ => linear_ticker(i, b, now),
        })
        .collect();
    Ok(json!({ "category": category.as_str(), "list": list }))
}

/// `GET /v5/market/orderbook`: up to `limit` levels a side (spot 1–50, default 1; linear and
/// inverse 1–200, default 25; option 1–25, default 1).
pub(crate) fn orderbook(v: &Venue, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let symbol = p.required("symbol")?;
    let limit = match category {
        Category::Spot => p.limit(1, 50)?,
        Category::Linear | Category::Inverse => p.limit(25, 200)?,
        Category::Option => p.limit(1, 25)?,
    };
    let book = v.book(category, &symbol).ok_or_else(not_supported)?;
    let side = |levels: Vec<Level>| -> Vec<Value> {
        levels
            .into_iter()
            .map(|l| json!([num::fmt(l.price), num::fmt(l.qty)]))
            .collect()
    };
    Ok(json!({
        "s": symbol,
        "b": side(book.shown(Side::Buy, limit)),
        "a": side(book.shown(Side::Sell, limit)),
        "ts": v.now_ms(),
        "u": book.update_id(),
    }))
}

/// Bybit's answer for a symbol it does not list.
fn not_supported() -> ApiError {
    ApiError::new(RetCode::ParamError, "params error: Not supported symbols")
}

/// The best level of `side` as (price, size) strings; empty strings once the side is empty.
fn top(b: &Book, side: Side) -> (String, String) {
    b.best(side).map_or_else(
        || (String::new(), String::new()),
        |l| (num::fmt(l.price), num::fmt(l.qty)),
    )
}

/// The change since the reference price as Bybit shows it (`0.0068` for +0.68 %).
fn change(b: &Book) -> String {
    num::fmt(((b.last_price() / b.ref_price() - 1.0) * 1e4).round() / 1e4)
}

fn spot_ticker(v: &Venue, i: &Instrument, b: &Book) -> Value {
    let (bid, bid_size) = top(b, Side::Buy);
    let (ask, ask_size) = top(b, Side::Sell);
    let stats = b.stats();
    let usd = v.usd_price(&i.base_coin);
    json!({
        "symbol": i.symbol,
        "bid1Price": bid,
        "bid1Size": bid_size,
        "ask1Price": ask,
        "ask1Size": ask_size,
        "lastPrice": num::fmt(b.last_price()),
        "prevPrice24h": num::fmt(b.ref_price()),
        "price24hPcnt": change(b),
        "highPrice24h": num::fmt(stats.high),
        "lowPrice24h": num::fmt(stats.low),
        "turnover24h": num::fmt(stats.turnover),
        "volume24h": num::fmt(stats.volume),
        "usdIndexPrice": if usd > 0.0 { num::fmt(usd) } else { String::new() },
    })
}

fn linear_ticker(i: &Instrument, b: &Book, now_ms: i64) -> Value {
    let (bid, bid_size) = top(b, Side::Buy);
    let (ask, ask_size) = top(b, Side::Sell);
    let stats = b.stats();
    let next_funding = (now_ms.div_euclid(FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
    let head = json!({
        "symbol": i.symbol,
        "lastPrice": num::fmt(b.last_price()),
        "indexPrice": num::fmt(b.ref_price()),
        "markPrice": num::fmt(b.last_price()),
        "prevPrice24h": num::fmt(b.ref_price()),
        "price24hPcnt": change(b),
        "highPrice24h": num::fmt(stats.high),
        "lowPrice24h": num::fmt(stats.low),
        "prevPrice1h": num::fmt(b.ref_price()),
        "openInterest": "0",
        "openInterestValue": "0",
        "turnover24h": num::fmt(stats.turnover),
        "volume24h": num::fmt(stats.volume),
    });
    // Two literals: one would exceed `json!`'s macro recursion limit.
    let rest = json!({
        "fundingRate": "0.0001",
        "nextFundingTime": next_funding.to_string(),
        "predictedDeliveryPrice": "",
        "basisRate": "",
        "deliveryFeeRate": "",
        "deliveryTime": "0",
        "ask1Size": ask_size,
        "bid1Price": bid,
        "ask1Price": ask,
        "bid1Size": bid_size,
    });
    match (head, rest) {
        (Value::Object(mut a), Value::Object(b)) => {
            a.extend(b);
            Value::Object(a)
        }
        (a, _) => a,
    }
}
