//! Order and fill histories, open orders and USD-M income (docs/venues/binance.md §6).
//!
//! Histories are per symbol. `allOrders` takes `orderId` (that id and later) and a
//! `startTime`/`endTime` window on creation time, at most 24 h apart on spot and under 7 days on
//! USD-M (`-1127` otherwise); with neither it answers the newest `limit` orders. USD-M does not
//! return orders older than 90 days, nor cancelled or expired ones that never filled once they
//! are 3 days old. `myTrades`/`userTrades` take `fromId` or a window, not both (`-1128`).
//! Records come oldest first, by time then id; `limit` is 500 by default, 1000 at most. The
//! simulator combines `orderId` with a window (Binance documents each, not the pair). `income`
//! lists the commissions of USD-M fills (the only income the simulator models) oldest first.
//! Pages are never cut short here: Binance's answers carry no cursor, so a short page would
//! read as the last one.

use serde_json::Value;

use crate::sim::binance::caller::Caller;
use crate::sim::binance::market::Market;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::trade;
use crate::sim::binance::wire;
use crate::sim::key::DAY_MS;
use crate::sim::order::{Category, Execution, Order, OrderStatus};
use crate::sim::state::Venue;

/// How far apart `startTime` and `endTime` may be: 24 h on spot, under 7 days on USD-M.
fn check_window(category: Category, start: Option<i64>, end: Option<i64>) -> Result<(), ApiError> {
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(());
    };
    if end < start {
        return Err(ApiError::invalid("endTime"));
    }
    match category {
        Category::Spot if end - start > DAY_MS => Err(ApiError::new(
            Code::IntervalTooBig,
            "More than 24 hours between startTime and endTime.",
        )),
        Category::Spot => Ok(()),
        _ if end - start >= 7 * DAY_MS => Err(ApiError::new(
            Code::IntervalTooBig,
            "The query time period must be less than 7 days.",
        )),
        _ => Ok(()),
    }
}

/// The window `[from, to]` a request covers: an open end reaches one span further.
fn bounds(category: Category, start: Option<i64>, end: Option<i64>) -> (i64, i64) {
    let span = if category == Category::Spot {
        DAY_MS
    } else {
        7 * DAY_MS - 1
    };
    match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + span),
        (None, Some(e)) => (e - span, e),
        (None, None) => (i64::MIN, i64::MAX),
    }
}

fn number(id: &str) -> u64 {
    id.parse().unwrap_or(0)
}

/// Keeps the first `limit` records, or the newest `limit` when `newest`.
fn take<T>(mut items: Vec<T>, limit: usize, newest: bool) -> Vec<T> {
    if newest && items.len() > limit {
        items.split_off(items.len() - limit)
    } else {
        items.truncate(limit);
        items
    }
}

/// `GET /api/v3/openOrders`, `/sapi/v1/margin/openOrders`, `/fapi/v1/openOrders`,
/// `/dapi/v1/openOrders` and `/eapi/v1/openOrders`: one symbol's, or all.
pub(crate) fn open_orders(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let only = match p.string("symbol") {
        Some(_) => Some(trade::symbol(v, market.category(), p)?),
        None => None,
    };
    let mut orders: Vec<&Order> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && market.holds(v, o) && o.status.is_open())
        .filter(|o| only.as_ref().is_none_or(|s| *s == o.symbol))
        .collect();
    orders.sort_by_key(|o| (o.created_ms, number(&o.order_id)));
    Ok(Value::Array(
        orders.into_iter().map(|o| wire::order(market, o)).collect(),
    ))
}

/// Whether `market`'s order history still returns an order (docs/venues/binance.md §6): spot
/// and margin name no limit, options keep 5 days, USD-M and COIN-M the rules below.
fn history_keeps(market: Market, o: &Order, now: i64) -> bool {
    match market {
        Market::Spot | Market::Margin | Market::Isolated => true,
        Market::Options => o.created_ms >= now - OPTIONS_HISTORY_MS,
        Market::UsdM | Market::CoinM => futures_keeps(o, now),
    }
}

/// Options' order history: the last 5 days (developers.binance.com, options trading, "Query
/// Option Order History").
const OPTIONS_HISTORY_MS: i64 = 5 * DAY_MS;

/// USD-M and COIN-M fills: the past 6 months ("Only support querying trade in the past 6
/// months", developers.binance.com, USD-M "Account Trade List"), counted as 180 days.
const FUTURES_FILLS_MS: i64 = 180 * DAY_MS;

/// Whether USD-M still returns an order (docs/venues/binance.md §6).
fn futures_keeps(o: &Order, now: i64) -> bool {
    let never_filled_end = matches!(
        o.status,
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled
    ) && o.cum_exec_qty <= 0.0;
    o.created_ms >= now - 90 * DAY_MS && !(never_filled_end && o.updated_ms < now - 3 * DAY_MS)
}

/// `GET /api/v3/allOrders`, `/sapi/v1/margin/allOrders`, `/fapi/v1/allOrders`,
/// `/dapi/v1/allOrders` and `/eapi/v1/historyOrders`.
pub(crate) fn all_orders(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let category = market.category();
    let symbol = trade::symbol(v, category, p)?;
    let from_id = p.int("orderId")?;
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    check_window(category, start, end)?;
    let limit = p.limit(500, 1000)?;
    let (from, to) = bounds(category, start, end);
    let now = v.now_ms();
    let mut orders: Vec<&Order> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && market.holds(v, o) && o.symbol == symbol)
        .filter(|o| (from..=to).contains(&o.created_ms))
        .filter(|o| from_id.is_none_or(|id| number(&o.order_id) >= u64::try_from(id).unwrap_or(0)))
        .filter(|o| history_keeps(market, o, now))
        .collect();
    orders.sort_by_key(|o| (o.created_ms, number(&o.order_id)));
    let newest = start.is_none() && end.is_none() && from_id.is_none();
    Ok(Value::Array(
        take(orders, limit, newest)
            .into_iter()
            .map(|o| wire::order(market, o))
            .collect(),
    ))
}

/// `GET /api/v3/myTrades`, `/sapi/v1/margin/myTrades`, `/fapi/v1/userTrades`,
/// `/dapi/v1/userTrades` and `/eapi/v1/userTrades` (whose `symbol` is optional).
pub(crate) fn trades(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let category = market.category();
    let symbol = match (market, p.string("symbol")) {
        (Market::Options, None) => None,
        _ => Some(trade::symbol(v, category, p)?),
    };
    let from_id = p.int("fromId")?;
    let order_id = p.string("orderId");
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::new(
            Code::BadCombination,
            "Combination of optional parameters invalid.",
        ));
    }
    check_window(category, start, end)?;
    let limit = p.limit(500, 1000)?;
    let (from, to) = bounds(category, start, end);
    let now = v.now_ms();
    let futures = matches!(market, Market::UsdM | Market::CoinM);
    let mut fills: Vec<&Execution> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.uid && market.holds_fill(v, e))
        .filter(|e| !futures || e.exec_time_ms >= now - FUTURES_FILLS_MS)
        .filter(|e| symbol.as_ref().is_none_or(|s| *s == e.symbol))
        .filter(|e| (from..=to).contains(&e.exec_time_ms))
        .filter(|e| order_id.as_ref().is_none_or(|id| *id == e.order_id))
        .filter(|e| from_id.is_none_or(|id| number(&e.exec_id) >= u64::try_from(id).unwrap_or(0)))
        .collect();
    fills.sort_by_key(|e| (e.exec_time_ms, number(&e.exec_id)));
    let newest = start.is_none() && end.is_none() && from_id.is_none();
    Ok(Value::Array(
        take(fills, limit, newest)
            .into_iter()
            .map(|e| wire::trade(market, e))
            .collect(),
    ))
}

/// `GET /fapi/v1/income` and `GET /dapi/v1/income`: commissions of the product's fills, oldest
/// first; the last 7 days when no window is given.
pub(crate) fn income(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let kind = p.string("incomeType");
    let symbol = p.string("symbol");
    let now = v.now_ms();
    let start = p.int("startTime")?.unwrap_or(now - 7 * DAY_MS);
    let end = p.int("endTime")?.unwrap_or(now);
    let limit = p.limit(100, 1000)?;
    if kind.as_deref().is_some_and(|k| k != "COMMISSION") {
        return Ok(Value::Array(Vec::new()));
    }
    let mut rows: Vec<&Execution> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.uid && e.category == market.category() && e.exec_fee > 0.0)
        .filter(|e| (start..=end).contains(&e.exec_time_ms))
        .filter(|e| symbol.as_ref().is_none_or(|s| *s == e.symbol))
        .collect();
    rows.sort_by_key(|e| (e.exec_time_ms, e.seq));
    rows.truncate(limit);
    Ok(Value::Array(
        rows.into_iter()
            .map(|e| wire::commission(market, e))
            .collect(),
    ))
}

#[cfg(test)]
mod retention_tests {
    use super::*;
    use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
    use crate::sim::state::NewOrder;

    fn order(created_ms: i64, status: OrderStatus, filled: f64) -> Order {
        let mut o = NewOrder {
            uid: 1,
            category: Category::Linear,
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            price: Some("1".into()),
            qty: "1".into(),
            qty_unit: QtyUnit::Base,
            order_link_id: String::new(),
            origin: Origin::Owner,
        }
        .into_order("1".into(), created_ms);
        o.status = status;
        o.cum_exec_qty = filled;
        o.updated_ms = created_ms + 1;
        o
    }

    #[test]
    fn each_market_keeps_its_documented_history() {
        let now = 1_000 * DAY_MS;
        let old_unfilled = order(now - 4 * DAY_MS, OrderStatus::Cancelled, 0.0);
        assert!(history_keeps(Market::Spot, &old_unfilled, now));
        assert!(!history_keeps(Market::UsdM, &old_unfilled, now));
        assert!(!history_keeps(Market::CoinM, &old_unfilled, now));
        let old_filled = order(now - 6 * DAY_MS, OrderStatus::Filled, 1.0);
        assert!(history_keeps(Market::UsdM, &old_filled, now));
        assert!(!history_keeps(Market::Options, &old_filled, now));
        assert!(history_keeps(
            Market::Options,
            &order(now - 4 * DAY_MS, OrderStatus::Filled, 1.0),
            now
        ));
    }
}
