//! Public market data: server time, tickers, the order book and the instruments
//! (docs/venues/bybit.md §7; docs `market/time.mdx`, `market/tickers.mdx`,
//! `market/orderbook.mdx`, `market/instrument.mdx`).
//!
//! Answered without auth or rate limit, from the venue's books: `lastPrice` is the last fill (the
//! reference price before any), `bid1`/`ask1` the best synthetic levels left (an emptied side
//! shows `""`), the "24h" figures cover the simulator's life with `prevPrice24h` the reference
//! price. Linear tickers show the reference price as `indexPrice` and the last price as
//! `markPrice`; positions and funding are not modelled (`openInterest` 0, `fundingRate` 0.0001).
//! Users' resting orders are not in the book, so nothing here reveals who traded. Read-only.

use serde_json::{Value, json};

use crate::sim::book::{Book, Level};
use crate::sim::bybit::page::PageReq;
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::injector::ShortPage;
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

/// `GET /v5/market/instruments-info`: the listed instruments of `category` (docs
/// `market/instrument`), in the documented shape of each category. `symbol` picks one;
/// `baseCoin` filters linear, inverse and option, where options read BTC's unless told
/// otherwise; spot is one page (`limit` and `cursor` ignored), the others pages of `limit`
/// (1–1000, 500 by default). Price and size filters are fixed values from the docs' examples;
/// only the names, coins and category come from the venue.
pub(crate) fn instruments(v: &Venue, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let symbol = p.string("symbol")?;
    let base = match (category, p.string("baseCoin")?) {
        (Category::Spot, _) => None,
        (Category::Option, None) if symbol.is_none() => Some("BTC".to_owned()),
        (_, base) => base,
    };
    let listed: Vec<&Instrument> = v
        .instruments
        .iter()
        .filter(|i| i.category == category)
        .filter(|i| symbol.as_ref().is_none_or(|s| s == &i.symbol))
        .filter(|i| base.as_ref().is_none_or(|b| b == &i.base_coin))
        .collect();
    if category == Category::Spot {
        let list: Vec<Value> = listed.into_iter().map(spot_instrument).collect();
        return Ok(json!({ "category": "spot", "list": list }));
    }
    let page = PageReq::from_params(p, 500, 1000)?;
    let mut short = ShortPage::Off;
    let (listed, next) = page.page(listed, |i| (0, i.symbol.clone()), &mut short);
    let list: Vec<Value> = listed
        .into_iter()
        .map(|i| match category {
            Category::Option => option_instrument(i),
            _ => futures_instrument(i),
        })
        .collect();
    Ok(json!({ "category": category.as_str(), "list": list, "nextPageCursor": next }))
}

/// The quote coin of an instrument: a futures contract's symbol after its base coin (`USD` for
/// `ETHUSD`), else the settle coin.
fn quote_coin(i: &Instrument) -> String {
    match i.category {
        Category::Inverse => i
            .symbol
            .strip_prefix(&i.base_coin)
            .unwrap_or("USD")
            .to_owned(),
        _ => i.settle_coin.clone(),
    }
}

fn spot_instrument(i: &Instrument) -> Value {
    json!({
        "symbolId": 9,
        "symbol": i.symbol,
        "baseCoin": i.base_coin,
        "quoteCoin": i.settle_coin,
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "utaOnly",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": "0.000001",
            "quotePrecision": "0.0000001",
            "minOrderQty": "0.000011",
            "maxOrderQty": "83",
            "minOrderAmt": "5",
            "maxOrderAmt": "8000000",
            "maxLimitOrderQty": "83",
            "maxMarketOrderQty": "41.5",
            "postOnlyMaxLimitOrderSize": "60000",
        },
        "priceFilter": { "tickSize": "0.1" },
        "riskParameters": { "priceLimitRatioX": "0.005", "priceLimitRatioY": "0.01" },
        "symbolType": "",
    })
}

fn futures_instrument(i: &Instrument) -> Value {
    let contract = match i.category {
        Category::Inverse => "InversePerpetual",
        _ => "LinearPerpetual",
    };
    let head = json!({
        "symbol": i.symbol,
        "symbolId": 5,
        "contractType": contract,
        "status": "Trading",
        "baseCoin": i.base_coin,
        "quoteCoin": quote_coin(i),
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": "2",
        "leverageFilter": { "minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01" },
        "priceFilter": { "minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10" },
    });
    // Two literals: one would exceed `json!`'s macro recursion limit.
    let rest = json!({
        "lotSizeFilter": {
            "maxOrderQty": "1190.000",
            "minOrderQty": "0.001",
            "qtyStep": "0.001",
            "postOnlyMaxOrderQty": "1190.000",
            "maxMktOrderQty": "500.000",
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": true,
        "fundingInterval": 480,
        "settleCoin": i.settle_coin,
        "copyTrading": "both",
        "upperFundingRate": "0.00375",
        "lowerFundingRate": "-0.00375",
        "isPreListing": false,
        "preListingInfo": null,
        "riskParameters": { "priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02" },
        "symbolType": "",
    });
    match (head, rest) {
        (Value::Object(mut a), Value::Object(b)) => {
            a.extend(b);
            Value::Object(a)
        }
        (a, _) => a,
    }
}

fn option_instrument(i: &Instrument) -> Value {
    let put = i.symbol.contains("-P");
    json!({
        "symbol": i.symbol,
        "status": "Trading",
        "baseCoin": i.base_coin,
        "quoteCoin": i.settle_coin,
        "settleCoin": i.settle_coin,
        "optionsType": if put { "Put" } else { "Call" },
        "launchTime": "1743669649256",
        "deliveryTime": "1774598400000",
        "deliveryFeeRate": "0.00015",
        "priceFilter": { "minPrice": "5", "maxPrice": "1110000", "tickSize": "5" },
        "lotSizeFilter": { "maxOrderQty": "500", "minOrderQty": "0.01", "qtyStep": "0.01" },
        "displayName": i.symbol.trim_end_matches(&format!("-{}", i.settle_coin)),
    })
}
