//! Trigger orders: `private/buy` and `private/sell` with `type` `stop_limit`, `stop_market`,
//! `take_limit` or `take_market` (docs/venues/deribit.md §6).
//!
//! That is the threat this models: an attacker's stop order that rests off the book, waiting for
//! its `trigger_price`, and fires after the response. On Deribit such an order is listed with
//! the open orders (`type` `all`, `trigger_all`, `stop_all`, ...; `limit` leaves it out) with
//! `order_state` `untriggered`, and cancelled by `cancel`, `cancel_all` and the per-currency
//! cancels (`type` `all`, `trigger_all`, `stop` or `take`). Each needs `trigger_price` and
//! `trigger` (`index_price`, `mark_price` or `last_price`); a limit one its `price`. The
//! simulator keeps them in the dialect's state and never triggers them. Their hidden origin is set
//! from the key and shown only by `Inspect`.
//!
//! `private/get_trigger_order_history` (`currency` required, `instrument_name`, `count` 20 by
//! default and at most 1000, `continuation`) is their log, newest first: a `new` entry
//! (`request` `trigger:order`) when one is placed and a `cancelled` entry (`request` `cancel`)
//! when it is cancelled, in the shape of the method page's example; the next page's
//! `continuation` is `timestamp.trigger_order_id` of the page's last entry (`.cancelled` added
//! for a cancellation, so a placement and its cancellation in one millisecond differ), `null`
//! after the last page (the page does not say what ends the log; the `cancel` spelling is not
//! documented).

use serde_json::{Value, json};

use crate::sim::deribit::DeribitState;
use crate::sim::deribit::names;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::{RpcError, code};
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::num;
use crate::sim::order::{Category, Origin, Side};
use crate::sim::state::Venue;

/// What a trigger order waits for (the documented `trigger` values).
const TRIGGERS: &[&str] = &["index_price", "mark_price", "last_price"];

/// A trigger order's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TriggerType {
    StopLimit,
    StopMarket,
    TakeLimit,
    TakeMarket,
}

impl TriggerType {
    /// Parses Deribit's spelling; `None` for the plain types.
    pub(crate) fn parse(text: &str) -> Option<TriggerType> {
        match text {
            "stop_limit" => Some(TriggerType::StopLimit),
            "stop_market" => Some(TriggerType::StopMarket),
            "take_limit" => Some(TriggerType::TakeLimit),
            "take_market" => Some(TriggerType::TakeMarket),
            _ => None,
        }
    }

    /// Deribit's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TriggerType::StopLimit => "stop_limit",
            TriggerType::StopMarket => "stop_market",
            TriggerType::TakeLimit => "take_limit",
            TriggerType::TakeMarket => "take_market",
        }
    }

    fn is_limit(self) -> bool {
        matches!(self, TriggerType::StopLimit | TriggerType::TakeLimit)
    }

    fn is_stop(self) -> bool {
        matches!(self, TriggerType::StopLimit | TriggerType::StopMarket)
    }
}

/// One untriggered (or cancelled) trigger order.
#[derive(Clone, Debug)]
pub(crate) struct TriggerOrder {
    pub(crate) order_id: String,
    pub(crate) label: String,
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) kind: TriggerType,
    pub(crate) price: Option<f64>,
    pub(crate) amount: f64,
    pub(crate) trigger_price: f64,
    pub(crate) trigger: String,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Waiting for its trigger; false once cancelled.
    pub(crate) live: bool,
    pub(crate) origin: Origin,
}

impl TriggerOrder {
    /// The order as the lists and `buy`/`sell`/`cancel` show it: as `private/cancel`'s example
    /// shows an untriggered stop order, with its trigger and without fill fields.
    pub(crate) fn to_wire(&self, v: &Venue) -> Value {
        json!({
            "order_id": self.order_id,
            "label": self.label,
            "instrument_name": names::wire_symbol(v, self.category, &self.symbol),
            "direction": match self.side { Side::Buy => "buy", Side::Sell => "sell" },
            "order_type": self.kind.as_str(),
            "amount": self.amount,
            "price": self.price.map_or_else(|| json!("market_price"), |p| json!(p)),
            "order_state": if self.live { "untriggered" } else { "cancelled" },
            "creation_timestamp": self.created_ms,
            "last_update_timestamp": self.updated_ms,
            "time_in_force": "good_til_cancelled",
            "post_only": false,
            "reduce_only": false,
            "api": true,
            "max_show": self.amount,
            "is_liquidation": false,
            "is_rebalance": false,
            "trigger": self.trigger,
            "trigger_price": self.trigger_price,
            "triggered": false,
        })
    }

    /// The order for [`crate::sim::Inspect`].
    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            order_id: self.order_id.clone(),
            order_link_id: self.label.clone(),
            uid: self.uid,
            category: self.category.as_str().to_owned(),
            symbol: self.symbol.clone(),
            side: self.side.as_str().to_owned(),
            order_type: self.kind.as_str().to_owned(),
            price: self.price.map(num::fmt),
            qty: num::fmt(self.amount),
            qty_unit: "base".to_owned(),
            status: if self.live { "New" } else { "Cancelled" }.to_owned(),
            cum_exec_qty: "0".to_owned(),
            cum_exec_value: "0".to_owned(),
            cum_exec_fee: "0".to_owned(),
            avg_price: None,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            origin: self.origin,
            trigger_price: Some(num::fmt(self.trigger_price)),
        }
    }

    /// Whether an open-orders `type` (the lists' enum) holds this order.
    pub(crate) fn listed_as(&self, order_type: &str) -> bool {
        match order_type {
            "all" | "trigger_all" => true,
            "stop_all" => self.kind.is_stop(),
            "take_all" => !self.kind.is_stop(),
            other => other == self.kind.as_str(),
        }
    }

    /// Whether a cancel's `type` (`all`, `limit`, `trigger_all`, `stop`, `take`,
    /// `trailing_stop`) reaches this order.
    pub(crate) fn cancelled_by(&self, order_type: &str) -> bool {
        match order_type {
            "all" | "trigger_all" => true,
            "stop" => self.kind.is_stop(),
            "take" => !self.kind.is_stop(),
            _ => false,
        }
    }
}

/// What a trigger `buy`/`sell` asks for, read and checked.
pub(crate) struct Asked {
    pub(crate) kind: TriggerType,
    pub(crate) amount: f64,
    pub(crate) label: String,
}

/// Places a trigger order of the acting account on `inst`; answers `{order, trades: []}`.
pub(crate) fn place(
    v: &mut Venue,
    uid: u64,
    origin: Origin,
    inst: &Instrument,
    p: &Params,
    side: Side,
    asked: Asked,
) -> Result<Value, RpcError> {
    let trigger_price = p
        .number("trigger_price")?
        .filter(|t| *t > 0.0)
        .ok_or_else(|| RpcError::missing("trigger_price"))?;
    let trigger = p
        .string("trigger")?
        .ok_or_else(|| RpcError::missing("trigger"))?;
    if !TRIGGERS.contains(&trigger.as_str()) {
        return Err(RpcError::param(
            "trigger",
            "must be index_price, mark_price or last_price",
        ));
    }
    let price = if asked.kind.is_limit() {
        Some(
            p.number("price")?
                .filter(|p| *p > 0.0)
                .ok_or_else(|| RpcError::new(code::INVALID_PRICE, "invalid_price"))?,
        )
    } else {
        None
    };
    let now = v.now_ms();
    let state = v.own.get_mut::<DeribitState>();
    state.orders_numbered += 1;
    let order_id = names::order_id(inst, names::FIRST_ORDER_NO + state.orders_numbered);
    let order = TriggerOrder {
        order_id,
        label: asked.label,
        uid,
        category: inst.category,
        symbol: inst.symbol.clone(),
        side,
        kind: asked.kind,
        price,
        amount: asked.amount,
        trigger_price,
        trigger,
        created_ms: now,
        updated_ms: now,
        live: true,
        origin,
    };
    let wire = order.to_wire(v);
    v.own.get_mut::<DeribitState>().trigger_orders.push(order);
    Ok(json!({ "order": wire, "trades": [] }))
}

/// Cancels the account's live trigger orders that `pick` chooses; answers them as cancelled.
pub(crate) fn cancel_where(
    v: &mut Venue,
    uid: u64,
    pick: impl Fn(&TriggerOrder) -> bool,
) -> Vec<TriggerOrder> {
    let now = v.now_ms();
    let mut out = Vec::new();
    for order in &mut v.own.get_mut::<DeribitState>().trigger_orders {
        if order.uid == uid && order.live && pick(order) {
            order.live = false;
            order.updated_ms = now;
            out.push(order.clone());
        }
    }
    out
}

/// The account's live trigger orders that `pick` chooses.
pub(crate) fn open_where(
    v: &Venue,
    uid: u64,
    pick: impl Fn(&TriggerOrder) -> bool,
) -> Vec<TriggerOrder> {
    v.own
        .get::<DeribitState>()
        .map(|s| {
            s.trigger_orders
                .iter()
                .filter(|o| o.uid == uid && o.live && pick(o))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// `private/get_trigger_order_history`: the acting account's trigger-order log in `currency`
/// (and `instrument_name`), newest first, `count` per page after `continuation`.
pub(crate) fn history(
    v: &mut Venue,
    c: &crate::sim::deribit::caller::Caller,
    p: &Params,
) -> Result<Value, RpcError> {
    let (currency, _) = crate::sim::deribit::trade::currency_kind(v, p, &[])?;
    let instrument = p.string("instrument_name")?;
    let count = p.count(20, 1000)?;
    let after = p.string("continuation")?;
    let orders = v
        .own
        .get::<DeribitState>()
        .map(|s| s.trigger_orders.clone())
        .unwrap_or_default();
    let mut entries: Vec<(i64, String, Value)> = Vec::new();
    for order in orders.iter().filter(|o| o.uid == c.account) {
        let Some(inst) = v.instrument(order.category, &order.symbol) else {
            continue;
        };
        let name = names::wire_symbol(v, order.category, &order.symbol);
        if !names::listed(inst, &currency, None) || instrument.as_ref().is_some_and(|i| *i != name)
        {
            continue;
        }
        let mut events = vec![(order.created_ms, "new", "trigger:order", String::new())];
        if !order.live {
            events.push((order.updated_ms, "cancelled", "cancel", ".cancelled".into()));
        }
        for (at, state, request, token_tail) in events {
            entries.push((
                at,
                format!("{at}.{}{token_tail}", order.order_id),
                json!({
                    "trigger": order.trigger,
                    "timestamp": at,
                    "trigger_price": order.trigger_price,
                    "trigger_order_id": order.order_id,
                    "order_state": state,
                    "request": request,
                    "price": order.price.map_or_else(|| json!("market_price"), |p| json!(p)),
                    "order_id": order.order_id,
                    "instrument_name": name,
                    "amount": order.amount,
                    "direction": match order.side { Side::Buy => "buy", Side::Sell => "sell" },
                }),
            ));
        }
    }
    // Newest first; a cancellation before its placement of the same millisecond (its token is
    // the longer).
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    let start = after
        .and_then(|token| entries.iter().position(|e| e.1 == token).map(|i| i + 1))
        .unwrap_or(0);
    let page: Vec<_> = entries.iter().skip(start).take(count).collect();
    let more = start + page.len() < entries.len();
    let continuation = match page.last() {
        Some(last) if more => json!(last.1),
        _ => Value::Null,
    };
    Ok(json!({
        "entries": page.iter().map(|e| e.2.clone()).collect::<Vec<_>>(),
        "continuation": continuation,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_reach_the_orders_they_name() {
        let order = |kind| TriggerOrder {
            order_id: "USDT-1".into(),
            label: String::new(),
            uid: 1,
            category: Category::Spot,
            symbol: "BTCUSDT".into(),
            side: Side::Sell,
            kind,
            price: None,
            amount: 1.0,
            trigger_price: 2.0,
            trigger: "last_price".into(),
            created_ms: 0,
            updated_ms: 0,
            live: true,
            origin: Origin::Attacker,
        };
        let stop = order(TriggerType::StopMarket);
        let take = order(TriggerType::TakeLimit);
        assert!(
            stop.listed_as("all") && stop.listed_as("trigger_all") && stop.listed_as("stop_all")
        );
        assert!(!stop.listed_as("limit") && !stop.listed_as("take_all"));
        assert!(take.listed_as("take_limit") && !take.listed_as("stop_limit"));
        assert!(
            stop.cancelled_by("all") && stop.cancelled_by("stop") && !stop.cancelled_by("take")
        );
        assert!(!take.cancelled_by("limit") && take.cancelled_by("trigger_all"));
        assert_eq!(stop.view().status, "New");
        assert_eq!(stop.view().trigger_price.as_deref(), Some("2"));
    }
}
