//! Orders and trades: `buy`, `sell`, `cancel`, `cancel_all`, `cancel_all_by_currency`, the open
//! orders of the account (`get_open_orders`) and the per-currency lists of open orders, order
//! history and user trades (docs/venues/deribit.md §5, §6). Trigger orders are `trigger.rs`'s;
//! the lists and cancels here reach them by `type` as Deribit's do. A currency is one
//! `public/get_currencies` lists (`currencies.rs`); each method takes the `kind`s of its own enum
//! (the open-order lists no `any`).
//!
//! Orders belong to the acting account. A new order takes what it can from its market's book at
//! once (`matching.rs`); Deribit sizes every order in the base coin (`amount`). An unknown
//! instrument is 13020 `not_found`, a bad amount 10021, a bad price 10023, an order the account
//! cannot pay for 10009 `not_enough_funds`; cancelling an unknown order is 10004, a closed one
//! 11044. The cancels answer the number cancelled, or with `detailed=true` one entry per
//! instrument, `{instrument_name, currency, kind, result: [orders]}` (chosen: the stored docs do
//! not show the detailed shape). Lists filter on the instrument's currency and kind
//! (`names.rs`). Order history holds the closed orders, newest first, `offset`/`count`
//! (fully unfilled cancelled ones only with `include_unfilled`; `include_old` changes nothing).
//! As on Deribit, without `historical` the lists hold recent records only (orders updated in
//! the last 30 minutes, trades of the last day) and with `historical=true` only the older ones,
//! at once (the real exchange indexes them with a short delay). User trades come sorted by
//! trade sequence, `start_id` inclusive, with `has_more`; a short-page fault cuts them and sets
//! `has_more`. The hidden origin of an order is set here from the key and never shown.

use serde_json::{Value, json};

use crate::sim::deribit::caller::Caller;
use crate::sim::deribit::currencies;
use crate::sim::deribit::names;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::{RpcError, code};
use crate::sim::deribit::short_page::shorten;
use crate::sim::deribit::trigger::{self, TriggerType};
use crate::sim::deribit::wire;
use crate::sim::num;
use crate::sim::order::{Category, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// Longest order label (docs/venues/deribit.md §6).
const MAX_LABEL: usize = 64;

/// Order history without `historical` holds the orders of the last 30 minutes
/// (docs/venues/deribit.md §6).
const RECENT_ORDERS_MS: i64 = 30 * 60 * 1000;

/// User trades without `historical` hold the trades of the last day (docs/venues/deribit.md §6).
const RECENT_TRADES_MS: i64 = 24 * 60 * 60 * 1000;

/// The kinds the open-order lists take (no `combo`, no `any`: without `kind`, every kind).
const LIST_KINDS: &[&str] = &["future", "option", "spot", "future_combo", "option_combo"];

/// The kinds the cancels, the order history and the user trades take.
const KINDS: &[&str] = &[
    "future",
    "option",
    "spot",
    "future_combo",
    "option_combo",
    "combo",
    "any",
];

/// The order types the open-order lists take (default `all`).
const LIST_TYPES: &[&str] = &[
    "all",
    "limit",
    "trigger_all",
    "stop_all",
    "stop_limit",
    "stop_market",
    "take_all",
    "take_limit",
    "take_market",
    "trailing_all",
    "trailing_stop",
];

/// The order types the cancels take (default `all`).
const CANCEL_TYPES: &[&str] = &[
    "all",
    "limit",
    "trigger_all",
    "stop",
    "take",
    "trailing_stop",
];

/// `private/buy` and `private/sell`.
pub(crate) fn place(v: &mut Venue, c: &Caller, p: &Params, side: Side) -> Result<Value, RpcError> {
    let name = p.required("instrument_name")?;
    let inst = names::find(v, &name)
        .cloned()
        .ok_or_else(|| RpcError::new(code::NOT_FOUND, "not_found").because("instrument_name"))?;
    let amount = p
        .number("amount")?
        .ok_or_else(|| RpcError::missing("amount"))?;
    if amount.is_nan() || amount <= 0.0 {
        return Err(RpcError::new(code::INVALID_AMOUNT, "invalid_amount"));
    }
    let label = p.string("label")?.unwrap_or_default();
    if label.chars().count() > MAX_LABEL {
        return Err(RpcError::param("label", "must be at most 64 characters"));
    }
    let origin = c.origin();
    let order_type = match p.string("type")?.as_deref() {
        None | Some("limit") => OrderType::Limit,
        Some("market") => OrderType::Market,
        Some(other) => {
            let kind = TriggerType::parse(other).ok_or_else(|| {
                RpcError::param(
                    "type",
                    "must be limit, market, stop_limit, stop_market, take_limit or take_market",
                )
            })?;
            let asked = trigger::Asked {
                kind,
                amount,
                label,
            };
            return trigger::place(v, c.account, origin, &inst, p, side, asked);
        }
    };
    let price = match order_type {
        OrderType::Limit => {
            let price = p.number("price")?.filter(|p| *p > 0.0);
            Some(num::fmt(price.ok_or_else(|| {
                RpcError::new(code::INVALID_PRICE, "invalid_price")
            })?))
        }
        OrderType::Market => None,
    };
    let new = NewOrder {
        uid: c.account,
        category: inst.category,
        symbol: inst.symbol.clone(),
        side,
        order_type,
        price,
        qty: num::fmt(amount),
        qty_unit: QtyUnit::Base,
        order_link_id: label,
        origin,
    };
    let order = v
        .place_order_with(new, terms(p, order_type)?)
        .map_err(order_error)?;
    let state = wire::state(order.status);
    let trades: Vec<Value> = v
        .executions
        .iter()
        .filter(|e| e.order_id == order.order_id)
        .map(|e| wire::trade(v, e, state))
        .collect();
    Ok(json!({ "order": wire::order(v, &order), "trades": trades }))
}

/// `time_in_force` (`good_til_cancelled`, `fill_or_kill`, `immediate_or_cancel`; `good_til_day`
/// is not simulated), `post_only` with `reject_post_only` (a crossing order is refused with
/// `post_only_reject`; without it Deribit reprices the order, which is not simulated) and
/// `reduce_only` (docs/venues/deribit.md "Placing and amending").
fn terms(p: &Params, order_type: OrderType) -> Result<Terms, RpcError> {
    let tif = match p.string("time_in_force")?.as_deref() {
        None | Some("good_til_cancelled") => Tif::Gtc,
        Some("fill_or_kill") => Tif::Fok,
        Some("immediate_or_cancel") => Tif::Ioc,
        Some(_) => {
            return Err(RpcError::param(
                "time_in_force",
                "the simulator takes good_til_cancelled, fill_or_kill or immediate_or_cancel",
            ));
        }
    };
    let post_only = p.flag("post_only", false)?;
    if post_only && !p.flag("reject_post_only", false)? {
        return Err(RpcError::param(
            "reject_post_only",
            "a repriced post-only order is not simulated: send reject_post_only=true",
        ));
    }
    let tif = match (order_type, post_only) {
        (OrderType::Market, _) => Tif::Ioc,
        (OrderType::Limit, true) => Tif::PostOnly,
        (OrderType::Limit, false) => tif,
    };
    Ok(Terms {
        tif,
        reduce_only: p.flag("reduce_only", false)?,
        post_only_cross: PostOnlyCross::Reject,
    })
}

/// `private/edit`: a new `amount` (required) and `price` for one open order of the acting
/// account, by `order_id`; the order keeps its id (docs/venues/deribit.md "Placing and
/// amending").
pub(crate) fn edit(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let order_id = p.required("order_id")?;
    let amount = p
        .number("amount")?
        .ok_or_else(|| RpcError::missing("amount"))?;
    if amount.is_nan() || amount <= 0.0 {
        return Err(RpcError::new(code::INVALID_AMOUNT, "invalid_amount"));
    }
    let price = match p.number("price")? {
        Some(price) if price.is_nan() || price <= 0.0 => {
            return Err(RpcError::new(code::INVALID_PRICE, "invalid_price"));
        }
        price => price.map(num::fmt),
    };
    let (category, symbol) = open_order(v, c, &order_id)?;
    let edited = v
        .amend_one(
            c.account,
            category,
            &symbol,
            &OrderRef::Id(order_id),
            Some(num::fmt(amount)),
            price,
        )
        .map_err(order_error)?;
    v.note_touch(&c.client_id, &edited.order_id);
    Ok(json!({ "order": wire::order(v, &edited), "trades": [] }))
}

/// Maps a refused order operation to Deribit's code.
fn order_error(e: VenueError) -> RpcError {
    match e {
        VenueError::UnknownSymbol { .. } => {
            RpcError::new(code::NOT_FOUND, "not_found").because("instrument_name")
        }
        VenueError::InsufficientBalance { .. } | VenueError::InsufficientMargin { .. } => {
            RpcError::new(code::NOT_ENOUGH_FUNDS, "not_enough_funds").because(&e.to_string())
        }
        VenueError::DuplicateOrderLinkId(_) => RpcError::param("label", &e.to_string()),
        VenueError::NoSuchOrder => RpcError::new(code::ORDER_NOT_FOUND, "order_not_found"),
        VenueError::NoSuchKey(_) => RpcError::new(code::INVALID_CREDENTIALS, "invalid_credentials"),
        VenueError::PostOnlyWouldTake => RpcError::new(code::POST_ONLY_REJECT, "post_only_reject"),
        // Deribit's code for it is not confirmed (docs/venues/deribit.md).
        VenueError::ReduceOnlyNoPosition => RpcError::param("reduce_only", &e.to_string()),
    }
}

/// The market of the acting account's open order `order_id`: `order_not_found` when it has none
/// by that id, `not_open_order` when it is closed.
fn open_order(v: &Venue, c: &Caller, order_id: &str) -> Result<(Category, String), RpcError> {
    let Some(order) = v
        .orders
        .iter()
        .find(|o| o.uid == c.account && o.order_id == order_id)
    else {
        return Err(RpcError::new(code::ORDER_NOT_FOUND, "order_not_found"));
    };
    if !order.status.is_open() {
        return Err(RpcError::new(code::NOT_OPEN_ORDER, "not_open_order"));
    }
    Ok((order.category, order.symbol.clone()))
}

/// `private/cancel`: one open order of the acting account, by `order_id`.
pub(crate) fn cancel(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let order_id = p.required("order_id")?;
    if let Some(order) = trigger::cancel_where(v, c.account, |o| o.order_id == order_id).pop() {
        return Ok(order.to_wire(v));
    }
    let (category, symbol) = open_order(v, c, &order_id)?;
    let cancelled = v
        .cancel_one(c.account, category, &symbol, &OrderRef::Id(order_id))
        .map_err(order_error)?;
    v.note_touch(&c.client_id, &cancelled.order_id);
    Ok(wire::order(v, &cancelled))
}

/// `private/cancel_all`: every open order, every currency and kind.
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let detailed = p.flag("detailed", false)?;
    cancel_where(v, c, detailed, "all", |_| true)
}

/// `private/cancel_all_by_currency`: `currency` (required) and `kind`.
pub(crate) fn cancel_all_by_currency(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
) -> Result<Value, RpcError> {
    let (currency, kind) = currency_kind(v, p, KINDS)?;
    let order_type = one_of(p, "type", CANCEL_TYPES)?;
    let detailed = p.flag("detailed", false)?;
    cancel_where(v, c, detailed, &order_type, |i| {
        names::listed(i, &currency, kind.as_deref())
    })
}

/// Cancels the acting account's open orders of `order_type` (the cancels' enum) in the
/// instruments `pick` chooses, trigger orders included.
fn cancel_where(
    v: &mut Venue,
    c: &Caller,
    detailed: bool,
    order_type: &str,
    pick: impl Fn(&crate::sim::instrument::Instrument) -> bool,
) -> Result<Value, RpcError> {
    let chosen: Vec<(Category, String)> = v
        .instruments
        .iter()
        .filter(|i| pick(i))
        .map(|i| (i.category, i.symbol.clone()))
        .collect();
    let plain = matches!(order_type, "all" | "limit");
    let mut total = 0;
    let mut groups = Vec::new();
    for (category, symbol) in chosen {
        let filter = SymbolFilter {
            symbol: Some(symbol.clone()),
            ..SymbolFilter::default()
        };
        let mut result: Vec<Value> = Vec::new();
        if plain {
            let cancelled = v.cancel_open(c.account, category, &filter, None);
            result.extend(cancelled.iter().map(|o| wire::order(v, o)));
        }
        let triggers = trigger::cancel_where(v, c.account, |o| {
            o.category == category && o.symbol == symbol && o.cancelled_by(order_type)
        });
        result.extend(triggers.iter().map(|o| o.to_wire(v)));
        if result.is_empty() {
            continue;
        }
        total += result.len();
        let Some(inst) = v.instrument(category, &symbol) else {
            continue;
        };
        groups.push(json!({
            "instrument_name": names::instrument_name(inst),
            "currency": names::currency(inst),
            "kind": names::kind(inst),
            "type": order_type,
            "result": result,
        }));
    }
    Ok(if detailed {
        Value::Array(groups)
    } else {
        json!(total)
    })
}

/// `private/get_open_orders_by_currency`: open orders, newest first, then the untriggered
/// trigger orders.
pub(crate) fn open_orders(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let (currency, kind) = currency_kind(v, p, LIST_KINDS)?;
    list_open(v, c, p, |i| names::listed(i, &currency, kind.as_deref()))
}

/// `private/get_open_orders`: the open orders of every currency, `kind` and `type` optional.
pub(crate) fn all_open_orders(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let kind = p.string("kind")?;
    if kind.as_deref().is_some_and(|k| !LIST_KINDS.contains(&k)) {
        return Err(RpcError::param("kind", "is not an instrument kind"));
    }
    list_open(v, c, p, |i| {
        kind.as_deref().is_none_or(|k| k == names::kind(i))
    })
}

/// The acting account's open orders in the instruments `pick` chooses, of the `type` asked.
fn list_open(
    v: &Venue,
    c: &Caller,
    p: &Params,
    pick: impl Fn(&crate::sim::instrument::Instrument) -> bool,
) -> Result<Value, RpcError> {
    let order_type = one_of(p, "type", LIST_TYPES)?;
    let picked =
        |category: Category, symbol: &str| v.instrument(category, symbol).is_some_and(&pick);
    let plain = matches!(order_type.as_str(), "all" | "limit");
    let mut orders: Vec<_> = v
        .orders
        .iter()
        .filter(|o| plain && o.uid == c.account && o.status.is_open())
        .filter(|o| picked(o.category, &o.symbol))
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse((o.created_ms, o.order_id.clone())));
    let triggers = trigger::open_where(v, c.account, |o| {
        o.listed_as(&order_type) && picked(o.category, &o.symbol)
    });
    Ok(Value::Array(
        orders
            .into_iter()
            .map(|o| wire::order(v, o))
            .chain(triggers.iter().map(|o| o.to_wire(v)))
            .collect(),
    ))
}

/// An enumerated parameter, `all` when absent.
fn one_of(p: &Params, name: &str, allowed: &[&str]) -> Result<String, RpcError> {
    let value = p.string(name)?.unwrap_or_else(|| "all".to_owned());
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(RpcError::param(
            name,
            &format!("must be one of {}", allowed.join(", ")),
        ))
    }
}

/// `private/get_order_history_by_currency`: closed orders, newest first, `offset`/`count`
/// (default 20, at most 1000).
pub(crate) fn order_history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let (currency, kind) = currency_kind(v, p, KINDS)?;
    let count = p.count(20, 1000)?;
    let offset = p.offset()?;
    let unfilled = p.flag("include_unfilled", false)?;
    let historical = p.flag("historical", false)?;
    let recent_since = v.now_ms() - RECENT_ORDERS_MS;
    let mut orders: Vec<_> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.account && !o.status.is_open())
        .filter(|o| (o.updated_ms < recent_since) == historical)
        .filter(|o| unfilled || o.cum_exec_qty > 0.0)
        .filter(|o| {
            v.instrument(o.category, &o.symbol)
                .is_some_and(|i| names::listed(i, &currency, kind.as_deref()))
        })
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse((o.created_ms, o.order_id.clone())));
    Ok(Value::Array(
        orders
            .into_iter()
            .skip(offset)
            .take(count)
            .map(|o| wire::order(v, o))
            .collect(),
    ))
}

/// `private/get_user_trades_by_currency`: the acting account's trades in the currency and kind,
/// `start_timestamp`/`end_timestamp` and `start_id`/`end_id` bounds (inclusive), `count`
/// (default 10, at most 1000), `sorting` (`asc`, `desc`, `default` = ascending here).
pub(crate) fn user_trades(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let (currency, kind) = currency_kind(v, p, KINDS)?;
    let count = p.count(10, 1000)?;
    let start_ts = p.int("start_timestamp")?.unwrap_or(i64::MIN);
    let end_ts = p.int("end_timestamp")?.unwrap_or(i64::MAX);
    let seq_of = |name: &str| -> Result<Option<i64>, RpcError> {
        p.string(name)?
            .map(|id| {
                names::trade_seq(&id).ok_or_else(|| RpcError::param(name, "is not a trade id"))
            })
            .transpose()
    };
    let (start_id, end_id) = (seq_of("start_id")?, seq_of("end_id")?);
    let historical = p.flag("historical", false)?;
    let recent_since = v.now_ms() - RECENT_TRADES_MS;
    let descending = match p.string("sorting")?.as_deref() {
        None | Some("asc" | "default") => false,
        Some("desc") => true,
        Some(_) => return Err(RpcError::param("sorting", "must be asc, desc or default")),
    };
    let mut trades: Vec<_> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.account && (start_ts..=end_ts).contains(&e.exec_time_ms))
        .filter(|e| (e.exec_time_ms < recent_since) == historical)
        .filter(|e| start_id.is_none_or(|s| e.seq >= s) && end_id.is_none_or(|s| e.seq <= s))
        .filter(|e| {
            v.instrument(e.category, &e.symbol)
                .is_some_and(|i| names::listed(i, &currency, kind.as_deref()))
        })
        .collect();
    trades.sort_by_key(|e| e.seq);
    if descending {
        trades.reverse();
    }
    let mut has_more = trades.len() > count;
    trades.truncate(count);
    has_more |= shorten(&mut trades, &mut v.short_page);
    let list: Vec<Value> = trades
        .into_iter()
        .map(|e| {
            let state = v
                .orders
                .iter()
                .find(|o| o.order_id == e.order_id)
                .map_or("filled", |o| wire::state(o.status));
            wire::trade(v, e, state)
        })
        .collect();
    Ok(json!({ "trades": list, "has_more": has_more }))
}

/// Reads the required `currency` (one `public/get_currencies` lists) and the optional `kind` (one
/// of `kinds`, the method's enum).
pub(crate) fn currency_kind(
    v: &Venue,
    p: &Params,
    kinds: &[&str],
) -> Result<(String, Option<String>), RpcError> {
    let currency = p.required("currency")?;
    if !currencies::is_listed(v, &currency) {
        return Err(RpcError::param(
            "currency",
            "must be a currency `public/get_currencies` lists",
        ));
    }
    let kind = p.string("kind")?;
    if kind.as_deref().is_some_and(|k| !kinds.contains(&k)) {
        return Err(RpcError::param(
            "kind",
            "is not an instrument kind this method takes",
        ));
    }
    Ok((currency, kind))
}
