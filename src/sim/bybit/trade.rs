//! `/v5/order/*` and `/v5/execution/list`: place, cancel one, cancel all, list open, history
//! and fills.
//!
//! Orders belong to the calling key's account (Bybit has no cross-UID order access, reference
//! docs/venues/bybit.md §9). A new order takes what it can from its market's book at once
//! (`matching.rs`): a market order's unfilled rest is closed (`PartiallyFilledCanceled` on spot
//! after a fill, else `Cancelled`), a limit order's rests. Spot orders the account cannot pay for
//! are 170131; linear orders whose taker fees the settle coin cannot pay are 110007. `cancel` acts
//! on one open order named by `orderId` (which wins over `orderLinkId`, docs
//! `order/cancel-order.mdx`); anything else is 110001. `realtime` lists open orders only
//! (`openOnly` other than 0 is ignored); `history` lists every order created in the window, open
//! ones included. Conditional orders (a `triggerPrice`) live in `conditional.rs`; the listings
//! and `cancel-all` take them per `orderFilter` as documented there. Options read BTC's fills
//! unless a `baseCoin` is given (docs `order/execution`) and need an `orderLinkId` on create.
//! Futures (linear/inverse) need a `symbol`/`baseCoin`/`settleCoin` filter on `cancel-all` and
//! `realtime`, and `cancel-all` cancels at most 500 of them per call, oldest first
//! (docs/venues/bybit.md §5). The hidden origin of an order is set here from the key (leaked key =
//! attacker) and never shown.

use serde_json::{Value, json};

use crate::sim::bybit::caller::Caller;
use crate::sim::bybit::conditional::{self, Conditional, OrderFilter, Status};
use crate::sim::bybit::page::{PageReq, Span, window};
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::bybit::wire::{self, Listing};
use crate::sim::injector::ShortPage;
use crate::sim::key::DAY_MS;
use crate::sim::num;
use crate::sim::order::{Category, Order, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// Most futures orders one cancel-all call cancels (docs/venues/bybit.md §5).
const FUTURES_CANCEL_CAP: usize = 500;

/// Longest order-history and fills window (docs/venues/bybit.md §6).
const SEVEN_DAYS: Span = Span::AtMost(7 * DAY_MS);

/// `POST /v5/order/create`.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    c.require_trade(category)?;
    let symbol = p.required("symbol")?;
    let side = Side::parse(&p.required("side")?)
        .ok_or_else(|| ApiError::invalid("side", "must be `Buy` or `Sell`"))?;
    let order_type = OrderType::parse(&p.required("orderType")?)
        .ok_or_else(|| ApiError::invalid("orderType", "must be `Limit` or `Market`"))?;
    let qty = p.required("qty")?;
    if num::parse_positive(&qty).is_none() {
        return Err(ApiError::invalid("qty", "must be a positive decimal"));
    }
    let price = match order_type {
        OrderType::Limit => {
            let price = p.required("price")?;
            if num::parse_positive(&price).is_none() {
                return Err(ApiError::invalid("price", "must be a positive decimal"));
            }
            Some(price)
        }
        OrderType::Market => None,
    };
    let order_link_id = p.string("orderLinkId")?.unwrap_or_default();
    let link_ok = order_link_id.len() <= 36
        && order_link_id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if !link_ok {
        return Err(ApiError::invalid(
            "orderLinkId",
            "must be at most 36 letters, digits, `-` or `_`",
        ));
    }
    // "Options orderLinkId rules: required" (docs `order/create-order`).
    if category == Category::Option && order_link_id.is_empty() {
        return Err(ApiError::missing("orderLinkId"));
    }
    // A spot market Buy counts `qty` in the quote coin unless `marketUnit=baseCoin`
    // (docs `order/create-order.mdx`); everything else counts the base coin.
    let qty_unit = match (category, order_type, p.string("marketUnit")?.as_deref()) {
        (Category::Spot, OrderType::Market, Some("baseCoin")) => QtyUnit::Base,
        (Category::Spot, OrderType::Market, Some("quoteCoin")) => QtyUnit::Quote,
        (Category::Spot, OrderType::Market, Some(_)) => {
            return Err(ApiError::invalid(
                "marketUnit",
                "must be `baseCoin` or `quoteCoin`",
            ));
        }
        (Category::Spot, OrderType::Market, None) if side == Side::Buy => QtyUnit::Quote,
        _ => QtyUnit::Base,
    };
    let new = NewOrder {
        uid: c.uid,
        category,
        symbol,
        side,
        order_type,
        price,
        qty,
        qty_unit,
        order_link_id,
        origin: c.origin(),
    };
    if let Some(trigger) = p.string("triggerPrice")? {
        return conditional::create(v, c, p, new, trigger);
    }
    if category == Category::Spot
        && !OrderFilter::takes_ordinary(OrderFilter::from_params(p, category, false)?)
    {
        return Err(ApiError::missing("triggerPrice"));
    }
    let order = v
        .place_order_with(new, terms(p, category, order_type)?)
        .map_err(order_error)?;
    Ok(json!({ "orderId": order.order_id, "orderLinkId": order.order_link_id }))
}

/// `timeInForce` (GTC, IOC, FOK, PostOnly; a market order is IOC whatever it says) and
/// `reduceOnly`, which spot does not take (docs `order/create-order`). A post-only order that
/// would take is accepted and cancelled (`EC_PostOnlyWillTakeLiquidity`).
fn terms(p: &Params, category: Category, order_type: OrderType) -> Result<Terms, ApiError> {
    let tif = match p.string("timeInForce")?.as_deref() {
        None | Some("GTC") => Tif::Gtc,
        Some("IOC") => Tif::Ioc,
        Some("FOK") => Tif::Fok,
        Some("PostOnly") => Tif::PostOnly,
        Some(_) => {
            return Err(ApiError::invalid(
                "timeInForce",
                "must be `GTC`, `IOC`, `FOK` or `PostOnly`",
            ));
        }
    };
    let reduce_only = match p.value("reduceOnly") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid("reduceOnly", "must be `true` or `false`")),
    };
    if reduce_only && category == Category::Spot {
        return Err(ApiError::invalid("reduceOnly", "is not supported for spot"));
    }
    Ok(Terms {
        tif: if order_type == OrderType::Market {
            Tif::Ioc
        } else {
            tif
        },
        reduce_only,
        post_only_cross: PostOnlyCross::Cancel,
    })
}

/// The order a request names: `orderId`, else `orderLinkId` (one is required).
fn order_ref(p: &Params) -> Result<OrderRef, ApiError> {
    match (p.string("orderId")?, p.string("orderLinkId")?) {
        (Some(id), _) => Ok(OrderRef::Id(id)),
        (None, Some(link)) => Ok(OrderRef::LinkId(link)),
        (None, None) => Err(ApiError::new(
            RetCode::ParamError,
            "params error: either `orderId` or `orderLinkId` is required",
        )),
    }
}

/// `POST /v5/order/amend`: a new `qty`, `price` or both for one open order, named by `orderId`
/// or `orderLinkId`; its ids are kept (docs `order/amend-order`).
pub(crate) fn amend(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    c.require_trade(category)?;
    let symbol = p.required("symbol")?;
    let which = order_ref(p)?;
    let positive = |name: &str, value: Option<String>| match value {
        Some(s) if num::parse_positive(&s).is_none() => {
            Err(ApiError::invalid(name, "must be a positive decimal"))
        }
        other => Ok(other),
    };
    let qty = positive("qty", p.string("qty")?)?;
    let price = positive("price", p.string("price")?)?;
    let order = v
        .amend_one(c.uid, category, &symbol, &which, qty, price)
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(json!({ "orderId": order.order_id, "orderLinkId": order.order_link_id }))
}

/// Maps a refused order operation to Bybit's code (docs `error.mdx`).
fn order_error(e: VenueError) -> ApiError {
    match e {
        VenueError::UnknownSymbol { .. } => ApiError::invalid("symbol", &e.to_string()),
        VenueError::InsufficientBalance { .. } => ApiError::new(
            RetCode::InsufficientBalance,
            format!("Insufficient balance: {e}"),
        ),
        VenueError::InsufficientMargin { .. } => ApiError::new(
            RetCode::InsufficientAvailableBalance,
            format!("Insufficient available balance: {e}"),
        ),
        VenueError::DuplicateOrderLinkId(_) => ApiError::new(
            RetCode::DuplicateOrderLinkId,
            format!("OrderLinkedID is duplicate: {e}"),
        ),
        VenueError::NoSuchOrder => ApiError::new(
            RetCode::OrderNotExists,
            "order not exists or too late to cancel",
        ),
        VenueError::NoSuchKey(_) => ApiError::new(RetCode::InvalidApiKey, "API key is invalid."),
        VenueError::ReduceOnlyNoPosition => ApiError::new(
            RetCode::ReduceOnlyRule,
            "current position is zero, cannot fix reduce-only order qty",
        ),
        // Bybit cancels a crossing post-only order rather than refusing it (`terms`).
        VenueError::PostOnlyWouldTake => ApiError::new(RetCode::ParamError, e.to_string()),
    }
}

/// `POST /v5/order/cancel`: one open order of the caller's account.
pub(crate) fn cancel(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    c.require_trade(category)?;
    let symbol = p.required("symbol")?;
    let which = order_ref(p)?;
    let (id, link) = match &which {
        OrderRef::Id(id) => (Some(id.as_str()), None),
        OrderRef::LinkId(link) => (None, Some(link.as_str())),
    };
    if let Some(order) = conditional::cancel_one(v, c.uid, category, &symbol, id, link) {
        return Ok(json!({ "orderId": order.order_id, "orderLinkId": order.order_link_id }));
    }
    let order = v
        .cancel_one(c.uid, category, &symbol, &which)
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(json!({ "orderId": order.order_id, "orderLinkId": order.order_link_id }))
}

/// `POST /v5/order/cancel-all`.
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    c.require_trade(category)?;
    let filter = futures_filter(p, category)?;
    // Spot cancels ordinary orders only unless told otherwise; futures and options every kind
    // (docs `order/cancel-all`, `orderFilter`).
    let kinds = match OrderFilter::from_params(p, category, true)? {
        None if category == Category::Spot => Some(OrderFilter::Order),
        kinds => kinds,
    };
    if let Some(stop) = p.string("stopOrderType")? {
        let applies = category.is_futures() && kinds == Some(OrderFilter::StopOrder);
        if stop != "Stop" || !applies {
            return Err(ApiError::invalid(
                "stopOrderType",
                "takes `Stop`, with `orderFilter=StopOrder` on linear or inverse only",
            ));
        }
    }
    let cap = category.is_futures().then_some(FUTURES_CANCEL_CAP);
    let mut list: Vec<Value> = Vec::new();
    if OrderFilter::takes_ordinary(kinds) {
        list.extend(
            v.cancel_open(c.uid, category, &filter, cap)
                .iter()
                .map(|o| json!({ "orderId": o.order_id, "orderLinkId": o.order_link_id })),
        );
    }
    list.extend(
        conditional::cancel(v, c.uid, category, &filter, kinds)
            .iter()
            .map(|o| json!({ "orderId": o.order_id, "orderLinkId": o.order_link_id })),
    );
    Ok(json!({ "list": list, "success": "1" }))
}

/// `GET /v5/order/realtime`: open orders, newest first.
pub(crate) fn realtime(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let filter = futures_filter(p, category)?;
    let ids = IdFilter::from_params(p)?;
    let kinds = OrderFilter::from_params(p, category, false)?;
    let page = PageReq::from_params(p, 20, 50)?;
    let mut items: Vec<Listed<'_>> = Vec::new();
    if OrderFilter::takes_ordinary(kinds) {
        items.extend(
            v.orders
                .iter()
                .filter(|o| o.uid == c.uid && o.status.is_open())
                .filter(|o| {
                    v.order_matches(o, category, &filter)
                        && ids.matches(&o.order_id, &o.order_link_id)
                })
                .map(Listed::Plain),
        );
    }
    items.extend(
        conditional::all(v)
            .iter()
            .filter(|o| o.uid == c.uid && o.category == category)
            .filter(|o| o.status == Status::Untriggered && o.passes(kinds))
            .filter(|o| {
                conditional::symbol_matches(v, category, &o.symbol, &filter)
                    && ids.matches(&o.order_id, &o.order_link_id)
            })
            .map(Listed::Conditional),
    );
    let (answer, short) = listed_page(v, category, Listing::Open, &page, items);
    v.short_page = short;
    Ok(answer)
}

/// An order a listing shows: ordinary, or conditional (`conditional.rs`).
enum Listed<'a> {
    Plain(&'a Order),
    Conditional(&'a Conditional),
}

impl Listed<'_> {
    fn key(&self) -> (i64, String) {
        match self {
            Listed::Plain(o) => (o.created_ms, o.order_id.clone()),
            Listed::Conditional(o) => (o.created_ms, o.order_id.clone()),
        }
    }
}

/// One page of listed orders, newest first, in Bybit's shapes, and the short-page state after
/// it (the caller stores it: the items borrow the venue).
fn listed_page(
    v: &Venue,
    category: Category,
    listing: Listing,
    page: &PageReq,
    items: Vec<Listed<'_>>,
) -> (Value, ShortPage) {
    let mut short = v.short_page;
    let (items, next) = page.page(items, Listed::key, &mut short);
    let fee_coin = |symbol: &str, side: Side| {
        v.instrument(category, symbol)
            .map(|i| match (category, side) {
                // Bybit takes a spot buy's fee in the coin bought (`matching.rs`).
                (Category::Spot, Side::Buy) => i.base_coin.clone(),
                _ => i.settle_coin.clone(),
            })
            .unwrap_or_default()
    };
    let list: Vec<Value> = items
        .into_iter()
        .map(|item| match item {
            Listed::Plain(o) => {
                let shown = match conditional::fired_as(v, &o.order_id) {
                    Some((kind, trigger)) => wire::fired(wire::order(o), kind, &trigger),
                    None => wire::order(o),
                };
                wire::listed(shown, listing, &fee_coin(&o.symbol, o.side), o.cum_exec_fee)
            }
            Listed::Conditional(o) => {
                let last = v.last_price(o.category, &o.symbol).unwrap_or(0.0);
                wire::listed(wire::conditional(o, last), listing, "", 0.0)
            }
        })
        .collect();
    let answer = json!({
        "category": category.as_str(),
        "list": list,
        "nextPageCursor": next,
    });
    (answer, short)
}

/// How long the order history and the fills go back: 2 years (730 days, docs
/// `order/order-list.mdx` "Get Order History (2 years)", `order/execution.mdx`).
const KEPT_MS: i64 = 730 * DAY_MS;

/// How long an order that ended without a fill stays in the order history (docs/venues/bybit.md
/// §6: cancelled or rejected without a fill, 24 hours).
const UNFILLED_KEPT_MS: i64 = DAY_MS;

/// Whether the order history still lists `o` at `now`.
fn history_keeps(o: &Order, now: i64) -> bool {
    let unfilled_end = !o.status.is_open() && o.cum_exec_qty <= 0.0;
    o.created_ms >= now - KEPT_MS && !(unfilled_end && o.updated_ms < now - UNFILLED_KEPT_MS)
}

/// `GET /v5/order/history`: every order created in the window (open ones included), newest
/// first.
pub(crate) fn history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let filter = p.symbol_filter()?;
    let ids = IdFilter::from_params(p)?;
    let status = p.string("orderStatus")?;
    let now = v.now_ms();
    let (start, end) = window(p, now, SEVEN_DAYS)?;
    let kinds = OrderFilter::from_params(p, category, false)?;
    let page = PageReq::from_params(p, 20, 50)?;
    let mut items: Vec<Listed<'_>> = Vec::new();
    if OrderFilter::takes_ordinary(kinds) {
        items.extend(
            v.orders
                .iter()
                .filter(|o| o.uid == c.uid && (start..=end).contains(&o.created_ms))
                .filter(|o| history_keeps(o, now))
                .filter(|o| {
                    v.order_matches(o, category, &filter)
                        && ids.matches(&o.order_id, &o.order_link_id)
                })
                .filter(|o| status.as_deref().is_none_or(|s| s == o.status.as_str()))
                .map(Listed::Plain),
        );
    }
    // A fired conditional order is listed as the ordinary order it became.
    items.extend(
        conditional::all(v)
            .iter()
            .filter(|o| o.uid == c.uid && o.category == category)
            .filter(|o| (start..=end).contains(&o.created_ms))
            .filter(|o| o.status != Status::Triggered && o.passes(kinds))
            .filter(|o| {
                conditional::symbol_matches(v, category, &o.symbol, &filter)
                    && ids.matches(&o.order_id, &o.order_link_id)
            })
            .filter(|o| status.as_deref().is_none_or(|s| s == o.status.as_str()))
            .map(Listed::Conditional),
    );
    let (answer, short) = listed_page(v, category, Listing::History, &page, items);
    v.short_page = short;
    Ok(answer)
}

/// `GET /v5/execution/list`: fills in the window, newest first.
pub(crate) fn executions(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let category = p.category()?;
    let mut filter = p.symbol_filter()?;
    // Options read BTC's fills unless told otherwise (docs `order/execution`, `baseCoin`).
    if category == Category::Option && filter.symbol.is_none() && filter.base_coin.is_none() {
        filter.base_coin = Some("BTC".to_owned());
    }
    let ids = IdFilter::from_params(p)?;
    let now = v.now_ms();
    let (start, end) = window(p, now, SEVEN_DAYS)?;
    let page = PageReq::from_params(p, 50, 100)?;
    let fills: Vec<_> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.uid && e.category == category)
        .filter(|e| (start..=end).contains(&e.exec_time_ms))
        .filter(|e| e.exec_time_ms >= now - KEPT_MS)
        .filter(|e| ids.matches(&e.order_id, &e.order_link_id))
        .filter(|e| conditional::symbol_matches(v, category, &e.symbol, &filter))
        .collect();
    let (fills, next) = page.page(
        fills,
        |e| (e.exec_time_ms, e.exec_id.clone()),
        &mut v.short_page,
    );
    Ok(json!({
        "category": category.as_str(),
        "list": fills.into_iter().map(wire::execution).collect::<Vec<_>>(),
        "nextPageCursor": next,
    }))
}

/// Reads the symbol filter, required for linear/inverse (docs/venues/bybit.md §5, §6).
fn futures_filter(p: &Params, category: Category) -> Result<SymbolFilter, ApiError> {
    let filter = p.symbol_filter()?;
    if category.is_futures() && filter.is_empty() {
        return Err(ApiError::new(
            RetCode::ParamError,
            "params error: one of `symbol`, `baseCoin` or `settleCoin` is required for \
             linear and inverse",
        ));
    }
    Ok(filter)
}

/// Optional `orderId` / `orderLinkId` filters.
struct IdFilter {
    order_id: Option<String>,
    order_link_id: Option<String>,
}

impl IdFilter {
    fn from_params(p: &Params) -> Result<IdFilter, ApiError> {
        Ok(IdFilter {
            order_id: p.string("orderId")?,
            order_link_id: p.string("orderLinkId")?,
        })
    }

    fn matches(&self, order_id: &str, order_link_id: &str) -> bool {
        self.order_id.as_deref().is_none_or(|x| x == order_id)
            && self
                .order_link_id
                .as_deref()
                .is_none_or(|x| x == order_link_id)
    }
}

#[cfg(test)]
mod retention_tests {
    use super::*;
    use crate::sim::order::{OrderStatus, Origin};

    fn order(created_ms: i64) -> Order {
        NewOrder {
            uid: 1,
            category: Category::Spot,
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            price: Some("1".into()),
            qty: "1".into(),
            qty_unit: QtyUnit::Base,
            order_link_id: String::new(),
            origin: Origin::Owner,
        }
        .into_order("1".into(), created_ms)
    }

    #[test]
    fn the_history_keeps_unfilled_ends_a_day_and_the_rest_two_years() {
        let now = 1_000 * DAY_MS;
        let mut cancelled = order(now - 2 * DAY_MS);
        cancelled.status = OrderStatus::Cancelled;
        cancelled.updated_ms = now - 25 * 3_600_000;
        assert!(!history_keeps(&cancelled, now));
        cancelled.updated_ms = now - 23 * 3_600_000;
        assert!(history_keeps(&cancelled, now));
        // Cancelled after a partial fill: kept like a filled order.
        cancelled.updated_ms = now - 25 * 3_600_000;
        cancelled.cum_exec_qty = 0.5;
        assert!(history_keeps(&cancelled, now));
        let open = order(now - 30 * DAY_MS);
        assert!(history_keeps(&open, now));
        assert!(!history_keeps(&order(now - 731 * DAY_MS), now));
    }
}
