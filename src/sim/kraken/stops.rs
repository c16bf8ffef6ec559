//! Kraken's conditional orders: `stop-loss`, `take-profit`, `stop-loss-limit` and
//! `take-profit-limit` (Kraken docs, "Add Order": `ordertype`; `price` is the trigger price and,
//! for the `-limit` kinds, `price2` the limit price of the order placed when it triggers).
//!
//! Kraken keeps them with the account's other orders: `OpenOrders` lists them (`status` `open`,
//! `descr.ordertype` their kind), `CancelOrder` and `CancelAll` cancel them and `ClosedOrders`
//! lists them once cancelled. That is the threat this models: an attacker's stop order that
//! fires after the response. The simulator keeps them in the dialect's state and never triggers
//! them; the trailing kinds (`trailing-stop`, `trailing-stop-limit`, whose `price` is an offset)
//! are refused as arguments it does not simulate. The dead-man switch (`sim/dead_man.rs`, shared
//! with OKX) does not reach them here. Their hidden origin is set from the key and shown only by
//! `Inspect` ([`StopOrder::view`]).

use serde_json::{Value, json};

use crate::sim::inspect::OrderView;
use crate::sim::kraken::names;
use crate::sim::kraken::state::KrakenState;
use crate::sim::kraken::wire::{seconds, side};
use crate::sim::order::{Category, Origin, Side};
use crate::sim::own::OwnStates;
use crate::sim::state::Venue;

/// A conditional order's `ordertype`, of those the simulator places.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopKind {
    StopLoss,
    TakeProfit,
    StopLossLimit,
    TakeProfitLimit,
}

impl StopKind {
    /// Parses Kraken's spelling; `None` for any other order type.
    pub(crate) fn parse(text: &str) -> Option<StopKind> {
        match text {
            "stop-loss" => Some(StopKind::StopLoss),
            "take-profit" => Some(StopKind::TakeProfit),
            "stop-loss-limit" => Some(StopKind::StopLossLimit),
            "take-profit-limit" => Some(StopKind::TakeProfitLimit),
            _ => None,
        }
    }

    /// Kraken's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StopKind::StopLoss => "stop-loss",
            StopKind::TakeProfit => "take-profit",
            StopKind::StopLossLimit => "stop-loss-limit",
            StopKind::TakeProfitLimit => "take-profit-limit",
        }
    }

    /// Whether it places a limit order (at `price2`) when it triggers.
    pub(crate) fn is_limit(self) -> bool {
        matches!(self, StopKind::StopLossLimit | StopKind::TakeProfitLimit)
    }

    /// How `descr.order` words it: `stop loss`, `take profit`.
    fn words(self) -> &'static str {
        match self {
            StopKind::StopLoss | StopKind::StopLossLimit => "stop loss",
            StopKind::TakeProfit | StopKind::TakeProfitLimit => "take profit",
        }
    }
}

/// One conditional order.
#[derive(Clone, Debug)]
pub(crate) struct StopOrder {
    pub(crate) txid: String,
    pub(crate) cl_ord_id: String,
    pub(crate) uid: u64,
    /// The internal `BASE+QUOTE` symbol.
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) kind: StopKind,
    pub(crate) volume: String,
    /// `price`: the trigger price.
    pub(crate) trigger: String,
    /// `price2`: the limit price of the `-limit` kinds.
    pub(crate) limit: Option<String>,
    /// Whether it still waits for its trigger.
    pub(crate) live: bool,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Hidden truth: who placed it.
    pub(crate) origin: Origin,
}

/// The venue's Kraken conditional orders, oldest first; none before one is placed.
pub(crate) fn stop_orders(own: &OwnStates) -> &[StopOrder] {
    own.get::<KrakenState>().map_or(&[], |s| &s.stops)
}

impl StopOrder {
    /// `descr.order`: `sell 0.5 XBTUSD @ stop loss 60000`, `… -> limit 59000` for the limit kinds.
    pub(crate) fn description(&self, pair: &str) -> String {
        let mut text = format!(
            "{} {} {pair} @ {} {}",
            side(self.side),
            self.volume,
            self.kind.words(),
            self.trigger
        );
        if let Some(limit) = &self.limit {
            text.push_str(&format!(" -> limit {limit}"));
        }
        text
    }

    /// The order as `OpenOrders` and `ClosedOrders` show it: the fields of an ordinary order
    /// (`wire::order`), `descr.price` the trigger and `descr.price2` the limit price.
    pub(crate) fn to_wire(&self, v: &Venue) -> Value {
        let pair = names::pair_name(v, Category::Spot, &self.symbol);
        let mut out = json!({
            "refid": null,
            "userref": 0,
            "status": if self.live { "open" } else { "canceled" },
            "opentm": seconds(self.created_ms),
            "starttm": 0,
            "expiretm": 0,
            "descr": {
                "pair": pair,
                "type": side(self.side),
                "ordertype": self.kind.as_str(),
                "price": self.trigger,
                "price2": self.limit.clone().unwrap_or_else(|| "0".to_owned()),
                "leverage": "none",
                "order": self.description(&pair),
                "close": "",
            },
            "vol": self.volume,
            "vol_exec": "0",
            "cost": "0",
            "fee": "0",
            "price": "0",
            "stopprice": "0",
            "limitprice": "0",
            "misc": "",
            "oflags": "fciq",
        });
        if let Value::Object(map) = &mut out {
            if !self.cl_ord_id.is_empty() {
                map.insert("cl_ord_id".into(), json!(self.cl_ord_id));
            }
            if !self.live {
                map.insert("closetm".into(), seconds(self.updated_ms));
                map.insert("reason".into(), json!("User requested"));
            }
        }
        out
    }

    /// How `Inspect` shows it: with the other orders, `order_type` Kraken's (`stop-loss`),
    /// `New` while it waits, `Cancelled` once cancelled, and the price it waits for.
    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            order_id: self.txid.clone(),
            order_link_id: self.cl_ord_id.clone(),
            uid: self.uid,
            category: Category::Spot.as_str().to_owned(),
            symbol: self.symbol.clone(),
            side: self.side.as_str().to_owned(),
            order_type: self.kind.as_str().to_owned(),
            price: self.limit.clone(),
            qty: self.volume.clone(),
            qty_unit: "base".to_owned(),
            status: if self.live { "New" } else { "Cancelled" }.to_owned(),
            cum_exec_qty: "0".to_owned(),
            cum_exec_value: "0".to_owned(),
            cum_exec_fee: "0".to_owned(),
            avg_price: None,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            origin: self.origin,
            trigger_price: Some(self.trigger.clone()),
        }
    }
}

/// Cancels `uid`'s waiting conditional orders that `which` picks, at `now_ms`; how many.
pub(crate) fn cancel(
    v: &mut Venue,
    uid: u64,
    now_ms: i64,
    which: impl Fn(&StopOrder) -> bool,
) -> usize {
    let mut count = 0;
    for order in v
        .own
        .get_mut::<KrakenState>()
        .stops
        .iter_mut()
        .filter(|o| o.uid == uid && o.live)
        .filter(|o| which(o))
    {
        order.live = false;
        order.updated_ms = now_ms;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in [
            StopKind::StopLoss,
            StopKind::TakeProfit,
            StopKind::StopLossLimit,
            StopKind::TakeProfitLimit,
        ] {
            assert_eq!(StopKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(StopKind::parse("limit"), None);
        assert_eq!(StopKind::parse("trailing-stop"), None);
        assert!(StopKind::StopLossLimit.is_limit() && !StopKind::TakeProfit.is_limit());
    }
}
