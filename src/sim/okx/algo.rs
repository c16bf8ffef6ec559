//! OKX algo orders: `POST /api/v5/trade/order-algo`, `GET /api/v5/trade/orders-algo-pending`
//! and `POST /api/v5/trade/cancel-algos` (OKX docs, "Algo trading": place, get algo order list,
//! cancel algo order).
//!
//! OKX keeps trigger, conditional (one-way stop), OCO and trailing (`move_order_stop`) orders
//! apart from ordinary ones: they have an `algoId` of their own, `orders-pending` does not list
//! them and `cancel-batch-orders` does not cancel them. That is the threat this models: an
//! attacker's trigger order that fires after the response. The simulator keeps them in the
//! dialect's state and never triggers them. The list needs `ordType`, one type a request except
//! `conditional,oco` together (`50014` missing, `51000` anything else); the history also needs a
//! `state` (`effective`, `canceled`, `order_failed`) or an `algoId`, and lists a cancelled order
//! as `canceled` for 3 months; a cancel names at most
//! 10 orders, each answered on its own (`sCode`). The dead-man switch (`cancel-all-after`) leaves
//! them: OKX documents it for order-book orders, and whether it reaches algo orders is not
//! confirmed, so the simulator assumes the worse. Their hidden origin is set from the key and
//! shown only by `Inspect` (with the other orders, [`AlgoOrder::view`]).

use serde_json::{Value, json};

use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::okx::caller::Caller;
use crate::sim::okx::inst;
use crate::sim::okx::page::PageReq;
use crate::sim::okx::params::{Params, string_of};
use crate::sim::okx::reply::{ApiError, Outcome};
use crate::sim::okx::trade;
use crate::sim::okx::{OkxState, algo_orders};
use crate::sim::order::{Category, Origin, Side};
use crate::sim::state::Venue;

/// Most algo orders one `cancel-algos` request names (OKX docs, "Cancel algo order").
const MAX_CANCEL: usize = 10;

/// The algo order types the list takes (OKX docs, "Get algo order list", `ordType`).
const LISTED_TYPES: &[&str] = &[
    "conditional",
    "oco",
    "chase",
    "trigger",
    "move_order_stop",
    "iceberg",
    "twap",
    "smart_iceberg",
];

/// An algo order's `ordType`, of those the simulator places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlgoKind {
    /// One-way stop: a take-profit or a stop-loss.
    Conditional,
    /// Both, the first to trigger cancels the other.
    Oco,
    /// An order placed when the trigger price is reached.
    Trigger,
    /// A trailing stop.
    MoveOrderStop,
}

impl AlgoKind {
    /// Parses OKX's spelling.
    pub(crate) fn parse(text: &str) -> Option<AlgoKind> {
        match text {
            "conditional" => Some(AlgoKind::Conditional),
            "oco" => Some(AlgoKind::Oco),
            "trigger" => Some(AlgoKind::Trigger),
            "move_order_stop" => Some(AlgoKind::MoveOrderStop),
            _ => None,
        }
    }

    /// OKX's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AlgoKind::Conditional => "conditional",
            AlgoKind::Oco => "oco",
            AlgoKind::Trigger => "trigger",
            AlgoKind::MoveOrderStop => "move_order_stop",
        }
    }
}

/// One algo order.
#[derive(Clone, Debug)]
pub(crate) struct AlgoOrder {
    /// An 18-digit id, like OKX's order ids.
    pub(crate) algo_id: String,
    pub(crate) algo_cl_ord_id: String,
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) td_mode: String,
    pub(crate) side: Side,
    pub(crate) kind: AlgoKind,
    pub(crate) sz: String,
    /// `trigger`: `triggerPx`; `move_order_stop`: `activePx`, when given.
    pub(crate) trigger_px: Option<String>,
    /// `trigger`: `orderPx` (`-1` for market).
    pub(crate) order_px: Option<String>,
    pub(crate) tp_trigger_px: Option<String>,
    pub(crate) sl_trigger_px: Option<String>,
    /// `move_order_stop`: `callbackRatio` or `callbackSpread`.
    pub(crate) callback: Option<String>,
    /// Whether it still waits for its trigger.
    pub(crate) live: bool,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Hidden truth: who placed it.
    pub(crate) origin: Origin,
}

impl AlgoOrder {
    /// How `Inspect` shows it: with the other orders, `order_type` OKX's (`trigger`), `New`
    /// while it waits, `Cancelled` once cancelled, and the price it waits for.
    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            order_id: self.algo_id.clone(),
            order_link_id: self.algo_cl_ord_id.clone(),
            uid: self.uid,
            category: self.category.as_str().to_owned(),
            symbol: self.symbol.clone(),
            side: self.side.as_str().to_owned(),
            order_type: self.kind.as_str().to_owned(),
            price: self.order_px.clone().filter(|p| p != "-1"),
            qty: self.sz.clone(),
            qty_unit: "base".to_owned(),
            status: if self.live { "New" } else { "Cancelled" }.to_owned(),
            cum_exec_qty: "0".to_owned(),
            cum_exec_value: "0".to_owned(),
            cum_exec_fee: "0".to_owned(),
            avg_price: None,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            origin: self.origin,
            trigger_price: self
                .trigger_px
                .clone()
                .or_else(|| self.sl_trigger_px.clone())
                .or_else(|| self.tp_trigger_px.clone()),
        }
    }

    /// OKX's `state`: `live` while it waits, `canceled` once cancelled (the simulator never
    /// triggers one, so never `effective`).
    fn state(&self) -> &'static str {
        if self.live { "live" } else { "canceled" }
    }

    /// The order as `orders-algo-pending` and `orders-algo-history` list it: the documented
    /// example's fields (OKX docs, "GET / Algo order list" and "GET / Algo order history"),
    /// empty where they concern another kind of algo order.
    pub(crate) fn to_wire(&self, v: &Venue) -> Value {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let has = |o: &Option<String>, yes: &str| if o.is_some() { yes } else { "" }.to_owned();
        let spot = self.category == Category::Spot;
        let quote = v
            .instrument(self.category, &self.symbol)
            .map(|i| i.settle_coin.clone())
            .unwrap_or_default();
        let last = v
            .instrument(self.category, &self.symbol)
            .map(|i| num::fmt(i.ref_price))
            .unwrap_or_default();
        let trigger = self.kind == AlgoKind::Trigger;
        let trailing = self.kind == AlgoKind::MoveOrderStop;
        // Two halves: one `json!` of 57 fields passes the macro's recursion limit.
        let mut wire = json!({
            "activePx": if trailing { text(&self.trigger_px) } else { String::new() },
            "actualPx": "",
            "actualSide": "",
            "actualSz": "0",
            "algoClOrdId": self.algo_cl_ord_id,
            "algoId": self.algo_id,
            "amendPxOnTriggerType": "0",
            "attachAlgoOrds": [],
            "cTime": self.created_ms.to_string(),
            "callbackRatio": text(&self.callback),
            "callbackSpread": "",
            "ccy": "",
            "chaseType": "",
            "chaseVal": "",
            "clOrdId": "",
            "closeFraction": "",
            "failCode": "",
            "instId": inst::inst_id(v, self.category, &self.symbol),
            "instType": inst::order_inst_type(v, self.category, &self.algo_id),
            "isTradeBorrowMode": "",
            "last": last,
            "lever": if spot { "" } else { "1" },
            "linkedOrd": { "ordId": "" },
        });
        let rest = json!({
            "maxChaseType": "",
            "maxChaseVal": "",
            "moveTriggerPx": "",
            "ordId": "",
            "ordIdList": [],
            "ordPx": text(&self.order_px),
            "ordType": self.kind.as_str(),
            "posSide": "net",
            "pxLimit": "",
            "pxSpread": "",
            "pxVar": "",
            "quickMgnType": "",
            "reduceOnly": "false",
            "side": match self.side { Side::Buy => "buy", Side::Sell => "sell" },
            "slOrdPx": has(&self.sl_trigger_px, "-1"),
            "slTriggerPx": text(&self.sl_trigger_px),
            "slTriggerPxType": has(&self.sl_trigger_px, "last"),
            "state": self.state(),
            "sz": self.sz,
            "szLimit": "",
            "tag": "",
            "tdMode": self.td_mode,
            "tgtCcy": if spot { "base_ccy" } else { "" },
            "timeInterval": "",
            "tpOrdPx": has(&self.tp_trigger_px, "-1"),
            "tpTriggerPx": text(&self.tp_trigger_px),
            "tpTriggerPxType": has(&self.tp_trigger_px, "last"),
            "triggerPx": if trigger { text(&self.trigger_px) } else { String::new() },
            "triggerPxType": if trigger { "last" } else { "" },
            "triggerTime": "",
            "tradeQuoteCcy": quote,
            "uTime": self.updated_ms.to_string(),
        });
        if let (Some(wire), Value::Object(rest)) = (wire.as_object_mut(), rest) {
            wire.extend(rest);
        }
        wire
    }
}

/// A positive decimal parameter, if sent (`-1`, market, where `market_ok`).
fn price(p: &Params, name: &str, market_ok: bool) -> Result<Option<String>, ApiError> {
    match p.string(name)? {
        None => Ok(None),
        Some(text) if market_ok && text == "-1" => Ok(Some(text)),
        Some(text) if num::parse_positive(&text).is_some() => Ok(Some(text)),
        Some(_) => Err(ApiError::invalid(name, "must be a positive decimal")),
    }
}

/// `POST /api/v5/trade/order-algo`: an algo order rests until its trigger (never, here).
pub(crate) fn place(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let trade::Basics {
        category,
        symbol,
        td_mode,
        side,
    } = trade::basics(v, p)?;
    let kind = AlgoKind::parse(&p.required("ordType")?).ok_or_else(|| {
        ApiError::invalid(
            "ordType",
            "the simulator places `conditional`, `oco`, `trigger` and `move_order_stop`",
        )
    })?;
    let sz = trade::size(p)?;
    let algo_cl_ord_id = p.string("algoClOrdId")?.unwrap_or_default();
    if algo_cl_ord_id.len() > 32 || !algo_cl_ord_id.chars().all(|ch| ch.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "algoClOrdId",
            "must be at most 32 letters and digits",
        ));
    }
    let mut order = AlgoOrder {
        algo_id: String::new(),
        algo_cl_ord_id,
        uid: c.uid,
        category,
        symbol,
        td_mode,
        side,
        kind,
        sz,
        trigger_px: None,
        order_px: None,
        tp_trigger_px: price(p, "tpTriggerPx", false)?,
        sl_trigger_px: price(p, "slTriggerPx", false)?,
        callback: None,
        live: true,
        created_ms: 0,
        updated_ms: 0,
        origin: c.origin(),
    };
    match kind {
        AlgoKind::Trigger => {
            order.trigger_px =
                Some(price(p, "triggerPx", false)?.ok_or_else(|| ApiError::missing("triggerPx"))?);
            order.order_px =
                Some(price(p, "orderPx", true)?.ok_or_else(|| ApiError::missing("orderPx"))?);
        }
        AlgoKind::Conditional | AlgoKind::Oco => {
            let (tp, sl) = (&order.tp_trigger_px, &order.sl_trigger_px);
            let enough = match kind {
                AlgoKind::Oco => tp.is_some() && sl.is_some(),
                _ => tp.is_some() || sl.is_some(),
            };
            if !enough {
                return Err(ApiError::missing(if tp.is_none() {
                    "tpTriggerPx"
                } else {
                    "slTriggerPx"
                }));
            }
        }
        AlgoKind::MoveOrderStop => {
            let ratio = price(p, "callbackRatio", false)?;
            let spread = price(p, "callbackSpread", false)?;
            order.callback = Some(
                ratio
                    .or(spread)
                    .ok_or_else(|| ApiError::missing("callbackRatio"))?,
            );
            order.trigger_px = price(p, "activePx", false)?;
        }
    }
    let now = v.now_ms();
    order.algo_id = v.ids.numeric_id();
    order.created_ms = now;
    order.updated_ms = now;
    if category == Category::Spot && order.td_mode != "cash" {
        v.own
            .get_mut::<OkxState>()
            .margin
            .insert(order.algo_id.clone());
    }
    let answer = json!({
        "algoId": order.algo_id,
        "algoClOrdId": order.algo_cl_ord_id,
        "clOrdId": "",
        "tag": "",
        "sCode": "0",
        "sMsg": "",
    });
    v.own.get_mut::<OkxState>().algo_orders.push(order);
    Ok(Outcome::Items(vec![answer]))
}

/// The types one list request asks for: one of OKX's, or `conditional` and `oco` together.
fn listed_types(p: &Params) -> Result<Vec<String>, ApiError> {
    let text = p.required("ordType")?;
    let types: Vec<String> = text.split(',').map(str::to_owned).collect();
    let known = types.iter().all(|t| LISTED_TYPES.contains(&t.as_str()));
    let combinable = types.len() == 1
        || (types.len() == 2 && types.iter().all(|t| t == "conditional" || t == "oco"));
    if !known || !combinable {
        return Err(ApiError::invalid(
            "ordType",
            "one algo order type a request, or `conditional,oco`",
        ));
    }
    Ok(types)
}

/// `GET /api/v5/trade/orders-algo-pending`: the caller's algo orders still waiting, of the
/// types asked for, newest first.
pub(crate) fn pending(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let types = listed_types(p)?;
    let kind = inst_type_of(p)?;
    let inst_id = p.string("instId")?;
    let page = PageReq::by_id(p, |id| {
        algo_orders(&v.own)
            .iter()
            .find(|o| o.uid == c.uid && o.algo_id == id)
            .map(|o| (o.created_ms, o.algo_id.clone()))
    })?;
    let filter = inst::Filter {
        kind: kind.as_deref(),
        inst_id: inst_id.as_deref(),
    };
    let orders: Vec<&AlgoOrder> = algo_orders(&v.own)
        .iter()
        .filter(|o| o.uid == c.uid && o.live)
        .filter(|o| types.iter().any(|t| t == o.kind.as_str()))
        .filter(|o| filter.admits(v, o.category, &o.symbol, &o.algo_id))
        .collect();
    let orders = page.page(
        orders,
        |o| (o.created_ms, o.algo_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        orders.into_iter().map(|o| o.to_wire(v)).collect(),
    )))
}

/// The states `orders-algo-history` takes (OKX docs, "GET / Algo order history").
const HISTORY_STATES: &[&str] = &["effective", "canceled", "order_failed"];

/// How far back `orders-algo-history` reaches: 3 months.
const HISTORY_MS: i64 = 90 * crate::sim::key::DAY_MS;

/// `GET /api/v5/trade/orders-algo-history`: the caller's algo orders that no longer wait, of
/// the types asked for, in one `state` (or the one `algoId`), newest first, 3 months back.
pub(crate) fn history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let types = listed_types(p)?;
    let state = p.string("state")?;
    let algo_id = p.string("algoId")?;
    match (&state, &algo_id) {
        (None, None) => return Err(ApiError::missing("state")),
        (Some(s), _) if !HISTORY_STATES.contains(&s.as_str()) => {
            return Err(ApiError::invalid(
                "state",
                "must be effective, canceled or order_failed",
            ));
        }
        _ => {}
    }
    let kind = inst_type_of(p)?;
    let inst_id = p.string("instId")?;
    let page = PageReq::by_id(p, |id| {
        algo_orders(&v.own)
            .iter()
            .find(|o| o.uid == c.uid && o.algo_id == id)
            .map(|o| (o.created_ms, o.algo_id.clone()))
    })?;
    let filter = inst::Filter {
        kind: kind.as_deref(),
        inst_id: inst_id.as_deref(),
    };
    let reach = v.now_ms() - HISTORY_MS;
    let orders: Vec<&AlgoOrder> = algo_orders(&v.own)
        .iter()
        .filter(|o| o.uid == c.uid && !o.live && o.created_ms >= reach)
        .filter(|o| types.iter().any(|t| t == o.kind.as_str()))
        .filter(|o| state.as_deref().is_none_or(|s| s == o.state()))
        .filter(|o| algo_id.as_deref().is_none_or(|id| id == o.algo_id))
        .filter(|o| filter.admits(v, o.category, &o.symbol, &o.algo_id))
        .collect();
    let orders = page.page(
        orders,
        |o| (o.created_ms, o.algo_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        orders.into_iter().map(|o| o.to_wire(v)).collect(),
    )))
}

/// An algo list's optional `instType`: `SPOT`, `MARGIN`, `SWAP` or `FUTURES` (no options).
fn inst_type_of(p: &Params) -> Result<Option<String>, ApiError> {
    let kind = p.string("instType")?;
    if let Some(k) = &kind
        && !matches!(k.as_str(), "SPOT" | "MARGIN" | "SWAP" | "FUTURES")
    {
        return Err(ApiError::invalid(
            "instType",
            "must be SPOT, MARGIN, SWAP or FUTURES",
        ));
    }
    Ok(kind)
}

/// `POST /api/v5/trade/cancel-algos`: up to 10 algo orders (`instId` and `algoId` or
/// `algoClOrdId`), each answered on its own; one not waiting any more is `51400`.
pub(crate) fn cancel(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_trade()?;
    let items = p.items()?;
    if items.is_empty() || items.len() > MAX_CANCEL {
        return Err(ApiError::invalid(
            "body",
            &format!("must name 1 to {MAX_CANCEL} algo orders"),
        ));
    }
    let mut targets = Vec::with_capacity(items.len());
    for raw in items {
        targets.push((
            string_of(raw.get("instId"), "instId")?,
            string_of(raw.get("algoId"), "algoId")?,
            string_of(raw.get("algoClOrdId"), "algoClOrdId")?,
        ));
    }
    let now = v.now_ms();
    let mut answers = Vec::with_capacity(targets.len());
    for (inst_id, algo_id, cl_id) in targets {
        let cl_id = &cl_id;
        let shown = algo_id.clone().unwrap_or_default();
        let result = (|| {
            let inst_id = inst_id.ok_or_else(|| ApiError::missing("instId"))?;
            let (category, symbol) = trade::instrument(v, &inst_id)?;
            // `algoId` wins when both are given.
            let found = v
                .own
                .get_mut::<OkxState>()
                .algo_orders
                .iter_mut()
                .find(|o| {
                    o.uid == c.uid
                        && o.live
                        && o.category == category
                        && o.symbol == symbol
                        && match (&algo_id, &cl_id) {
                            (Some(id), _) => o.algo_id == *id,
                            (None, Some(cl)) => !cl.is_empty() && o.algo_cl_ord_id == *cl,
                            (None, None) => false,
                        }
                });
            if algo_id.is_none() && cl_id.is_none() {
                return Err(ApiError::invalid(
                    "algoId",
                    "either `algoId` or `algoClOrdId` is required",
                ));
            }
            let order = found.ok_or_else(trade::cancel_failed)?;
            order.live = false;
            order.updated_ms = now;
            Ok((order.algo_id.clone(), order.algo_cl_ord_id.clone()))
        })();
        // Each item as OKX's example shows it ("POST / Cancel algo order").
        answers.push(match result {
            Ok((id, cl)) => json!({
                "algoClOrdId": cl, "algoId": id, "clOrdId": "", "sCode": "0", "sMsg": "", "tag": "",
            }),
            Err(err) => json!({
                "algoClOrdId": cl_id.clone().unwrap_or_default(),
                "algoId": shown,
                "clOrdId": "",
                "sCode": err.code.as_str(),
                "sMsg": err.msg,
                "tag": "",
            }),
        });
    }
    Ok(Outcome::Items(answers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_are_listed_types() {
        for kind in [
            AlgoKind::Conditional,
            AlgoKind::Oco,
            AlgoKind::Trigger,
            AlgoKind::MoveOrderStop,
        ] {
            assert_eq!(AlgoKind::parse(kind.as_str()), Some(kind));
            assert!(LISTED_TYPES.contains(&kind.as_str()));
        }
        assert_eq!(AlgoKind::parse("limit"), None);
    }

    #[test]
    fn the_list_takes_one_type_or_conditional_with_oco() {
        let params = |q: &str| Params::from_query(q).unwrap();
        for (label, query, ok) in [
            ("one type", "ordType=trigger", true),
            ("the pair OKX allows", "ordType=conditional,oco", true),
            ("two others", "ordType=trigger,conditional", false),
            ("unknown", "ordType=limit", false),
        ] {
            assert_eq!(listed_types(&params(query)).is_ok(), ok, "{label}");
        }
        let missing = listed_types(&params("")).unwrap_err();
        assert_eq!(missing.code.as_str(), "50014");
        let bad = listed_types(&params("ordType=grid")).unwrap_err();
        assert_eq!(bad.code.as_str(), "51000");
    }
}
