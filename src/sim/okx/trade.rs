//! `/api/v5/trade/*`: place, cancel one, cancel a batch, arm the dead-man switch
//! (`cancel-all-after`), list pending orders, order history and its archive, fills and their
//! history (docs/venues/okx.md §5, §6).
//!
//! Orders belong to the calling key's account: OKX, like Bybit, gives the master no way to
//! cancel a sub-account's orders (docs/venues/okx.md §9). A new order takes what it can from its
//! market's book at once (`matching.rs`); a market order's unfilled rest is closed. Spot trades in
//! `cash` mode, swaps in `cross` or `isolated`; a spot market order counts `sz` in `tgtCcy` (quote
//! by default for buys, base for sells). Order outcomes are per item: a refused order or cancel is
//! envelope code `1` with the item's `sCode` (`51001` unknown instrument, `51008` funds, `51016`
//! duplicate `clOrdId`, `51400` nothing to cancel); a batch of up to 20 cancels answers `0`,
//! `1` or `2` as all, none or some went. Order history lists completed orders only: the last 7
//! days, or 3 months in the archive, hiding cancelled orders that never filled once they are 2
//! hours old. Fills cover 3 days, or 3 months in `fills-history` (which needs `instType`). The
//! hidden origin of an order is set here from the key (leaked key = attacker) and never shown.

use serde_json::{Value, json};

use crate::sim::key::DAY_MS;
use crate::sim::num;
use crate::sim::okx::OkxState;
use crate::sim::okx::caller::Caller;
use crate::sim::okx::inst;
use crate::sim::okx::page::PageReq;
use crate::sim::okx::params::{Params, string_of};
use crate::sim::okx::reply::{ApiError, Code, Outcome};
use crate::sim::okx::wire;
use crate::sim::order::{Category, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, Venue, VenueError};

/// Most orders one batch cancel names (docs/venues/okx.md §5).
const MAX_BATCH: usize = 20;

/// How long cancelled orders that never filled stay in the order history.
const UNFILLED_CANCELLED_KEPT_MS: i64 = 2 * 60 * 60 * 1000;

/// `cancel-all-after` takes `timeOut` 0 (disarm) or 10 to 120 seconds (docs/venues/okx.md §5).
const DEAD_MAN_S: std::ops::RangeInclusive<u32> = 10..=120;

/// Where the history endpoints reach back to.
const HISTORY_MS: i64 = 7 * DAY_MS;
const ARCHIVE_MS: i64 = 90 * DAY_MS;
const FILLS_MS: i64 = 3 * DAY_MS;

/// `POST /api/v5/trade/order`.
pub(crate) fn order(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let cl_ord_id = p.string("clOrdId")?.unwrap_or_default();
    let item = match place(v, c, p, &cl_ord_id) {
        Ok(ord_id) => item(&ord_id, &cl_ord_id, None, v.now_ms()).tagged(),
        Err(err) => item("", &cl_ord_id, Some(&err), v.now_ms()).tagged(),
    };
    Ok(Outcome::Items(vec![item]))
}

/// What every order names, an algo order too: the instrument, a trade mode that fits it, and
/// the side.
pub(crate) struct Basics {
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) td_mode: String,
    pub(crate) side: Side,
}

/// Reads `instId`, `tdMode` and `side`, in that order.
pub(crate) fn basics(v: &Venue, p: &Params) -> Result<Basics, ApiError> {
    let inst_id = p.required("instId")?;
    let (category, symbol) = instrument(v, &inst_id)?;
    let td_mode = p.required("tdMode")?;
    // A spot pair trades from the cash balance, or on margin (`cross`, `isolated`); contracts
    // only on margin.
    let mode_ok = match category {
        Category::Spot => matches!(td_mode.as_str(), "cash" | "cross" | "isolated"),
        _ => td_mode == "cross" || td_mode == "isolated",
    };
    if !mode_ok {
        return Err(ApiError::invalid(
            "tdMode",
            "spot trades in `cash`, `cross` or `isolated`, swaps in `cross` or `isolated`",
        ));
    }
    let side = match p.required("side")?.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(ApiError::invalid("side", "must be `buy` or `sell`")),
    };
    Ok(Basics {
        category,
        symbol,
        td_mode,
        side,
    })
}

/// Reads `sz`: a positive decimal.
pub(crate) fn size(p: &Params) -> Result<String, ApiError> {
    let sz = p.required("sz")?;
    if num::parse_positive(&sz).is_none() {
        return Err(ApiError::invalid("sz", "must be a positive decimal"));
    }
    Ok(sz)
}

fn place(v: &mut Venue, c: &Caller, p: &Params, cl_ord_id: &str) -> Result<String, ApiError> {
    let Basics {
        category,
        symbol,
        side,
        td_mode,
    } = basics(v, p)?;
    // The time in force is the order type: `ioc`, `fok` and `post_only` are limit orders
    // (OKX docs, "POST / Place order"); a crossing post-only order is accepted and cancelled.
    let (order_type, tif) = match p.required("ordType")?.as_str() {
        "limit" => (OrderType::Limit, Tif::Gtc),
        "market" => (OrderType::Market, Tif::Ioc),
        "ioc" => (OrderType::Limit, Tif::Ioc),
        "fok" => (OrderType::Limit, Tif::Fok),
        "post_only" => (OrderType::Limit, Tif::PostOnly),
        _ => {
            return Err(ApiError::invalid(
                "ordType",
                "the simulator takes `limit`, `market`, `ioc`, `fok` and `post_only` orders",
            ));
        }
    };
    let reduce_only = match p.value("reduceOnly") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(ApiError::invalid("reduceOnly", "must be true or false")),
    };
    let terms = Terms {
        tif,
        reduce_only,
        post_only_cross: PostOnlyCross::Cancel,
    };
    let sz = size(p)?;
    let price = match order_type {
        OrderType::Limit => {
            let px = p.required("px")?;
            if num::parse_positive(&px).is_none() {
                return Err(ApiError::invalid("px", "must be a positive decimal"));
            }
            Some(px)
        }
        OrderType::Market => None,
    };
    let ok_id = cl_ord_id.len() <= 32 && cl_ord_id.chars().all(|ch| ch.is_ascii_alphanumeric());
    if !ok_id {
        return Err(ApiError::invalid(
            "clOrdId",
            "must be at most 32 letters and digits",
        ));
    }
    let qty_unit = match (category, order_type, p.string("tgtCcy")?.as_deref()) {
        (Category::Spot, OrderType::Market, Some("quote_ccy")) => QtyUnit::Quote,
        (Category::Spot, OrderType::Market, Some("base_ccy")) => QtyUnit::Base,
        (Category::Spot, OrderType::Market, Some(_)) => {
            return Err(ApiError::invalid(
                "tgtCcy",
                "must be `base_ccy` or `quote_ccy`",
            ));
        }
        (Category::Spot, OrderType::Market, None) if side == Side::Buy => QtyUnit::Quote,
        _ => QtyUnit::Base,
    };
    let order = v
        .with_terms(terms)
        .place_order(NewOrder {
            uid: c.uid,
            category,
            symbol,
            side,
            order_type,
            price,
            qty: sz,
            qty_unit,
            order_link_id: cl_ord_id.to_owned(),
            origin: c.origin(),
        })
        .map_err(order_error)?;
    if category == Category::Spot && td_mode != "cash" {
        v.own
            .get_mut::<OkxState>()
            .margin
            .insert(order.order_id.clone());
    }
    Ok(order.order_id)
}

/// Maps a refused order operation to OKX's code.
fn order_error(e: VenueError) -> ApiError {
    match e {
        VenueError::UnknownSymbol { .. } => instrument_unknown(),
        VenueError::InsufficientBalance { ref coin }
        | VenueError::InsufficientMargin { ref coin } => ApiError::new(
            Code::InsufficientBalance,
            format!("Order failed. Insufficient {coin} balance in account"),
        ),
        VenueError::DuplicateOrderLinkId(_) => {
            ApiError::new(Code::DuplicateClientId, "Duplicated clOrdId")
        }
        VenueError::NoSuchOrder => cancel_failed(),
        VenueError::NoSuchKey(_) => ApiError::new(Code::InvalidKey, "Invalid OK-ACCESS-KEY"),
        VenueError::ReduceOnlyNoPosition => ApiError::new(
            Code::ReduceOnlyNoPosition,
            "Order failed because you don't have any positions in this direction for this \
             contract to reduce or close.",
        ),
        // OKX cancels a crossing post-only order rather than refusing it (`place`).
        VenueError::PostOnlyWouldTake => ApiError::invalid("ordType", &e.to_string()),
    }
}

fn instrument_unknown() -> ApiError {
    ApiError::new(
        Code::InstrumentDoesNotExist,
        "Instrument ID, Instrument ID code or Spread ID doesn't exist.",
    )
}

pub(crate) fn cancel_failed() -> ApiError {
    ApiError::new(
        Code::CancelFailed,
        "Order cancellation failed as the order has been filled, canceled or does not exist.",
    )
}

/// The internal category and symbol an `instId` names (`51001` when none).
pub(crate) fn instrument(v: &Venue, inst_id: &str) -> Result<(Category, String), ApiError> {
    inst::resolve(v, inst_id)
        .map(|i| (i.category, i.symbol.clone()))
        .ok_or_else(instrument_unknown)
}

/// One per-item result: `sCode` `0` or the refusal's, as the cancels answer it.
fn item(ord_id: &str, cl_ord_id: &str, err: Option<&ApiError>, now_ms: i64) -> Item {
    Item(json!({
        "clOrdId": cl_ord_id,
        "ordId": ord_id,
        "ts": now_ms.to_string(),
        "sCode": err.map_or("0", |e| e.code.as_str()),
        "sMsg": err.map_or_else(String::new, |e| e.msg.clone()),
    }))
}

/// A per-item result.
struct Item(Value);

impl Item {
    /// With the order's `tag`, which a placed order's item names (OKX docs, "POST / Place
    /// order") and a cancel's does not ("POST / Cancel order").
    fn tagged(mut self) -> Value {
        if let Value::Object(map) = &mut self.0 {
            map.insert("tag".into(), json!(""));
        }
        self.0
    }
}

/// `POST /api/v5/trade/cancel-order`.
pub(crate) fn cancel(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let which = Target {
        inst_id: p.string("instId")?,
        ord_id: p.string("ordId")?,
        cl_ord_id: p.string("clOrdId")?,
    };
    let answer = cancel_one(v, c, &which);
    if answer.get("sCode").and_then(Value::as_str) == Some("0")
        && let Some(id) = answer.get("ordId").and_then(Value::as_str)
    {
        let id = id.to_owned();
        v.note_touch(&c.api_key, &id);
    }
    Ok(Outcome::Items(vec![answer]))
}

/// `POST /api/v5/trade/amend-order`: a new `newSz`, `newPx` or both for one open order named by
/// `ordId` or `clOrdId`, answered per item (`51503` when it is not open); its ids are kept.
pub(crate) fn amend(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let inst_id = p.required("instId")?;
    let (category, symbol) = instrument(v, &inst_id)?;
    let ord_id = p.string("ordId")?;
    let cl_ord_id = p.string("clOrdId")?;
    let which = match (&ord_id, &cl_ord_id) {
        (Some(id), _) => OrderRef::Id(id.clone()),
        (None, Some(cl)) => OrderRef::LinkId(cl.clone()),
        (None, None) => {
            return Err(ApiError::invalid(
                "ordId",
                "either `ordId` or `clOrdId` is required",
            ));
        }
    };
    let positive = |name: &str, value: Option<String>| match value {
        Some(s) if num::parse_positive(&s).is_none() => {
            Err(ApiError::invalid(name, "must be a positive decimal"))
        }
        other => Ok(other),
    };
    let new_sz = positive("newSz", p.string("newSz")?)?;
    let new_px = positive("newPx", p.string("newPx")?)?;
    if new_sz.is_none() && new_px.is_none() {
        return Err(ApiError::invalid("newSz", "`newSz` or `newPx` is required"));
    }
    let now = v.now_ms();
    let item = match v.amend_one(c.uid, category, &symbol, &which, new_sz, new_px) {
        Ok(order) => {
            v.note_touch(&c.api_key, &order.order_id);
            json!({
                "clOrdId": order.order_link_id, "ordId": order.order_id, "reqId": "",
                "ts": now.to_string(), "sCode": "0", "sMsg": "",
            })
        }
        Err(_) => {
            let err = ApiError::new(
                Code::AmendFailed,
                "Order modification failed as the order has been filled, canceled or does not \
                 exist.",
            );
            json!({
                "clOrdId": cl_ord_id.unwrap_or_default(), "ordId": ord_id.unwrap_or_default(),
                "reqId": "", "ts": now.to_string(), "sCode": err.code.as_str(), "sMsg": err.msg,
            })
        }
    };
    Ok(Outcome::Items(vec![item]))
}

/// `POST /api/v5/trade/cancel-batch-orders`: up to 20 cancels, each answered on its own.
pub(crate) fn cancel_batch(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let items = p.items()?;
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "body",
            &format!("must name 1 to {MAX_BATCH} orders"),
        ));
    }
    let mut targets = Vec::with_capacity(items.len());
    for raw in items {
        targets.push(Target {
            inst_id: string_of(raw.get("instId"), "instId")?,
            ord_id: string_of(raw.get("ordId"), "ordId")?,
            cl_ord_id: string_of(raw.get("clOrdId"), "clOrdId")?,
        });
    }
    Ok(Outcome::Items(
        targets.iter().map(|t| cancel_one(v, c, t)).collect(),
    ))
}

/// `POST /api/v5/trade/cancel-all-after`: arms (or with `timeOut` 0 disarms) the account's
/// dead-man switch; `triggerTime` is `0` when disarmed. Tag-level switches (`tag`) are not
/// simulated: the simulator's orders carry no tag, so one is refused rather than ignored.
pub(crate) fn cancel_all_after(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let time_out = p.required("timeOut")?;
    let seconds = time_out
        .parse::<u32>()
        .ok()
        .filter(|s| *s == 0 || DEAD_MAN_S.contains(s))
        .ok_or_else(|| ApiError::invalid("timeOut", "must be 0 or 10 to 120 seconds"))?;
    if p.string("tag")?.is_some() {
        return Err(ApiError::invalid(
            "tag",
            "tag-level cancel-all-after is not simulated",
        ));
    }
    let now = v.now_ms();
    let trigger = v.dead_man.arm(c.uid, seconds, now);
    Ok(Outcome::Data(json!([{
        "triggerTime": trigger.unwrap_or(0).to_string(),
        "tag": "",
        "ts": now.to_string(),
    }])))
}

/// One order to cancel, as a request names it.
struct Target {
    inst_id: Option<String>,
    ord_id: Option<String>,
    cl_ord_id: Option<String>,
}

fn cancel_one(v: &mut Venue, c: &Caller, t: &Target) -> Value {
    let now = v.now_ms();
    let shown_ord = t.ord_id.clone().unwrap_or_default();
    let shown_cl = t.cl_ord_id.clone().unwrap_or_default();
    let result = (|| {
        let inst_id = t
            .inst_id
            .clone()
            .ok_or_else(|| ApiError::missing("instId"))?;
        let (category, symbol) = instrument(v, &inst_id)?;
        // `ordId` wins when both are given (docs/venues/okx.md §5).
        let which = match (&t.ord_id, &t.cl_ord_id) {
            (Some(id), _) => OrderRef::Id(id.clone()),
            (None, Some(cl)) => OrderRef::LinkId(cl.clone()),
            (None, None) => {
                return Err(ApiError::invalid(
                    "ordId",
                    "either `ordId` or `clOrdId` is required",
                ));
            }
        };
        v.cancel_one(c.uid, category, &symbol, &which)
            .map_err(order_error)
    })();
    match result {
        Ok(order) => item(&order.order_id, &order.order_link_id, None, now).0,
        Err(err) => item(&shown_ord, &shown_cl, Some(&err), now).0,
    }
}

/// Reads an optional `instType`; `51000` when it is not one of OKX's.
fn inst_type(p: &Params, required: bool) -> Result<Option<String>, ApiError> {
    let value = if required {
        Some(p.required("instType")?)
    } else {
        p.string("instType")?
    };
    match value {
        Some(t) if !inst::is_inst_type(&t) => Err(ApiError::invalid(
            "instType",
            "must be SPOT, MARGIN, SWAP, FUTURES or OPTION",
        )),
        other => Ok(other),
    }
}

/// A page request whose `after`/`before` name orders of the caller's account.
fn order_page(v: &Venue, c: &Caller, p: &Params) -> Result<PageReq, ApiError> {
    PageReq::by_id(p, |id| {
        v.orders
            .iter()
            .find(|o| o.uid == c.uid && o.order_id == id)
            .map(|o| (o.created_ms, o.order_id.clone()))
    })
}

/// `GET /api/v5/trade/orders-pending`: open orders, newest first.
pub(crate) fn pending(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let kind = inst_type(p, false)?;
    let inst_id = p.string("instId")?;
    let page = order_page(v, c, p)?;
    let filter = inst::Filter {
        kind: kind.as_deref(),
        inst_id: inst_id.as_deref(),
    };
    let orders: Vec<_> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && o.status.is_open())
        .filter(|o| filter.admits(v, o.category, &o.symbol, &o.order_id))
        .collect();
    let orders = page.page(
        orders,
        |o| (o.created_ms, o.order_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        orders.into_iter().map(|o| wire::order(v, o)).collect(),
    )))
}

/// `GET /api/v5/trade/orders-history` (`archive` false) and `orders-history-archive`.
pub(crate) fn history(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    archive: bool,
) -> Result<Outcome, ApiError> {
    let kind = inst_type(p, true)?.unwrap_or_default();
    let inst_id = p.string("instId")?;
    let state = p.string("state")?;
    let begin = p.int("begin")?;
    let end = p.int("end")?;
    let page = order_page(v, c, p)?;
    let now = v.now_ms();
    let reach = now - if archive { ARCHIVE_MS } else { HISTORY_MS };
    let orders: Vec<_> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && !o.status.is_open())
        .filter(|o| o.created_ms >= reach || o.updated_ms >= reach)
        // Cancelled orders that never filled are kept for 2 hours only.
        .filter(|o| {
            !(wire::state(o.status) == "canceled"
                && o.cum_exec_qty <= 0.0
                && o.updated_ms < now - UNFILLED_CANCELLED_KEPT_MS)
        })
        .filter(|o| kind == inst::order_inst_type(v, o.category, &o.order_id))
        .filter(|o| {
            inst_id
                .as_deref()
                .is_none_or(|id| id == inst::inst_id(v, o.category, &o.symbol))
        })
        .filter(|o| state.as_deref().is_none_or(|s| s == wire::state(o.status)))
        .filter(|o| begin.is_none_or(|b| o.created_ms >= b) && end.is_none_or(|e| o.created_ms <= e))
        .collect();
    let orders = page.page(
        orders,
        |o| (o.created_ms, o.order_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        orders.into_iter().map(|o| wire::order(v, o)).collect(),
    )))
}

/// `GET /api/v5/trade/fills` (`archive` false, 3 days) and `fills-history` (3 months).
pub(crate) fn fills(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    archive: bool,
) -> Result<Outcome, ApiError> {
    let kind = inst_type(p, archive)?;
    let inst_id = p.string("instId")?;
    let ord_id = p.string("ordId")?;
    let begin = p.int("begin")?;
    let end = p.int("end")?;
    let page = PageReq::by_id(p, |id| {
        v.executions
            .iter()
            .find(|e| e.uid == c.uid && e.exec_id == id)
            .map(|e| (e.exec_time_ms, e.exec_id.clone()))
    })?;
    let now = v.now_ms();
    let reach = now - if archive { ARCHIVE_MS } else { FILLS_MS };
    let filter = inst::Filter {
        kind: kind.as_deref(),
        inst_id: inst_id.as_deref(),
    };
    let fills: Vec<_> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.uid && e.exec_time_ms >= reach)
        .filter(|e| filter.admits(v, e.category, &e.symbol, &e.order_id))
        .filter(|e| ord_id.as_deref().is_none_or(|id| id == e.order_id))
        .filter(|e| {
            begin.is_none_or(|b| e.exec_time_ms >= b) && end.is_none_or(|x| e.exec_time_ms <= x)
        })
        .collect();
    let fills = page.page(
        fills,
        |e| (e.exec_time_ms, e.exec_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        fills.into_iter().map(|e| wire::fill(v, e)).collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::seed::{BOT_UID, default_incident};

    fn body(json: &str) -> Params {
        Params::from_body(json.as_bytes()).unwrap()
    }

    #[test]
    fn cancel_all_after_takes_zero_or_ten_to_120_seconds() {
        let mut v = default_incident(ExchangeId::Okx, 7);
        let bot = v.keys.iter().find(|k| k.uid == BOT_UID).unwrap();
        let c = Caller::from_key(bot);
        for (label, json, code) in [
            ("too short", r#"{"timeOut":"5"}"#, Code::ParamError),
            ("too long", r#"{"timeOut":"121"}"#, Code::ParamError),
            ("negative", r#"{"timeOut":"-1"}"#, Code::ParamError),
            ("not a number", r#"{"timeOut":"soon"}"#, Code::ParamError),
            ("missing", r#"{}"#, Code::ParamEmpty),
            ("a tag", r#"{"timeOut":"60","tag":"bot"}"#, Code::ParamError),
        ] {
            let err = cancel_all_after(&mut v, &c, &body(json)).unwrap_err();
            assert_eq!(err.code, code, "{label}");
        }
        let mut read_only = c.clone();
        read_only.permissions = crate::sim::okx::caller::parse_perm(None).unwrap();
        let err = cancel_all_after(&mut v, &read_only, &body(r#"{"timeOut":"60"}"#)).unwrap_err();
        assert_eq!(err.code, Code::NoPermission);

        for (json, armed) in [
            (r#"{"timeOut":"10"}"#, true),
            (r#"{"timeOut":120}"#, true),
            (r#"{"timeOut":"0"}"#, false),
        ] {
            let Outcome::Data(data) = cancel_all_after(&mut v, &c, &body(json)).unwrap() else {
                panic!("{json}: not data");
            };
            let trigger: i64 = data[0]["triggerTime"].as_str().unwrap().parse().unwrap();
            let ts: i64 = data[0]["ts"].as_str().unwrap().parse().unwrap();
            assert_eq!(trigger > ts, armed, "{json}");
            assert_eq!(trigger == 0, !armed, "{json}");
        }
    }
}
