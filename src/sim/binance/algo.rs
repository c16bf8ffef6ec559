//! USD-M conditional ("algo") orders: `POST /fapi/v1/algoOrder`, `GET /fapi/v1/openAlgoOrders`
//! and `DELETE /fapi/v1/algoOpenOrders` (docs/venues/binance.md §5).
//!
//! Binance keeps USD-M conditional orders (`STOP_MARKET`, `TAKE_PROFIT_MARKET`, `STOP`,
//! `TAKE_PROFIT`, `TRAILING_STOP_MARKET`) in its Algo service: they have an `algoId` of their
//! own, `openOrders` does not list them and `allOpenOrders` does not cancel them. That is the
//! threat this models: an attacker's stop order that fires after the response. The simulator
//! keeps them in the dialect's state and never triggers them; a cancelled one is no longer
//! listed. Only `algoType=CONDITIONAL` is served. Their hidden origin is set from the key and
//! shown only by `Inspect` (with the other orders, [`AlgoOrder::view`]).

use serde_json::{Value, json};

use crate::sim::binance::caller::Caller;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::trade;
use crate::sim::binance::wire;
use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::order::{Category, Origin, Side};
use crate::sim::state::Venue;

/// A conditional order's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlgoType {
    Stop,
    StopMarket,
    TakeProfit,
    TakeProfitMarket,
    TrailingStopMarket,
}

impl AlgoType {
    /// Parses Binance's spelling.
    pub(crate) fn parse(text: &str) -> Option<AlgoType> {
        match text {
            "STOP" => Some(AlgoType::Stop),
            "STOP_MARKET" => Some(AlgoType::StopMarket),
            "TAKE_PROFIT" => Some(AlgoType::TakeProfit),
            "TAKE_PROFIT_MARKET" => Some(AlgoType::TakeProfitMarket),
            "TRAILING_STOP_MARKET" => Some(AlgoType::TrailingStopMarket),
            _ => None,
        }
    }

    /// Binance's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AlgoType::Stop => "STOP",
            AlgoType::StopMarket => "STOP_MARKET",
            AlgoType::TakeProfit => "TAKE_PROFIT",
            AlgoType::TakeProfitMarket => "TAKE_PROFIT_MARKET",
            AlgoType::TrailingStopMarket => "TRAILING_STOP_MARKET",
        }
    }

    /// Whether it becomes a limit order (and so needs a `price`).
    fn is_limit(self) -> bool {
        matches!(self, AlgoType::Stop | AlgoType::TakeProfit)
    }
}

/// Where a conditional order stands (`algoStatus`; the simulator never triggers one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlgoStatus {
    New,
    Canceled,
}

impl AlgoStatus {
    fn as_str(self) -> &'static str {
        match self {
            AlgoStatus::New => "NEW",
            AlgoStatus::Canceled => "CANCELED",
        }
    }
}

/// One USD-M conditional order.
#[derive(Clone, Debug)]
pub(crate) struct AlgoOrder {
    /// Binance's integer id, from the dialect's order-id sequence (never an order's id).
    pub(crate) algo_id: String,
    pub(crate) client_algo_id: String,
    pub(crate) uid: u64,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) kind: AlgoType,
    /// As sent; empty for a `closePosition` order (the whole position).
    pub(crate) quantity: String,
    /// The limit price of `STOP` and `TAKE_PROFIT`.
    pub(crate) price: Option<String>,
    /// The price it waits for (a trailing stop's `activatePrice`, when given).
    pub(crate) trigger_price: Option<String>,
    /// A trailing stop's callback rate, in percent.
    pub(crate) callback_rate: Option<String>,
    pub(crate) reduce_only: bool,
    pub(crate) close_position: bool,
    pub(crate) status: AlgoStatus,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Hidden truth: who placed it.
    pub(crate) origin: Origin,
}

impl AlgoOrder {
    /// Whether it still waits for its trigger.
    pub(crate) fn is_open(&self) -> bool {
        self.status == AlgoStatus::New
    }

    /// How `Inspect` shows it: with the other orders, `order_type` Binance's (`STOP_MARKET`),
    /// `New` while it waits, `Cancelled` once cancelled, and its trigger price.
    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            order_id: self.algo_id.clone(),
            order_link_id: self.client_algo_id.clone(),
            uid: self.uid,
            category: Category::Linear.as_str().to_owned(),
            symbol: self.symbol.clone(),
            side: self.side.as_str().to_owned(),
            order_type: self.kind.as_str().to_owned(),
            price: self.price.clone(),
            qty: self.quantity.clone(),
            qty_unit: "base".to_owned(),
            status: match self.status {
                AlgoStatus::New => "New",
                AlgoStatus::Canceled => "Cancelled",
            }
            .to_owned(),
            cum_exec_qty: "0".to_owned(),
            cum_exec_value: "0".to_owned(),
            cum_exec_fee: "0".to_owned(),
            avg_price: None,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            origin: self.origin,
            trigger_price: self.trigger_price.clone(),
        }
    }

    /// The order as `openAlgoOrders` lists it: the `algoOrder` answer's fields, with the
    /// triggered order's (`actualOrderId`, `actualPrice`, none yet) and the attached
    /// take-profit and stop-loss (none) of the "Current All Algo Open Orders" page; a trailing
    /// stop keeps its `activatePrice` and `callbackRate`.
    pub(crate) fn to_listed(&self) -> Value {
        let mut shown = self.to_wire();
        if let Value::Object(map) = &mut shown {
            if self.kind != AlgoType::TrailingStopMarket {
                map.remove("activatePrice");
                map.remove("callbackRate");
            }
            map.insert("actualOrderId".into(), json!(""));
            map.insert("actualPrice".into(), json!("0.00000"));
            for field in ["tpTriggerPrice", "tpPrice", "slTriggerPrice", "slPrice"] {
                map.insert(field.into(), json!("0.000"));
            }
            map.insert("tpOrderType".into(), json!(""));
        }
        shown
    }

    /// The order as `algoOrder` answers it.
    pub(crate) fn to_wire(&self) -> Value {
        let decimal = |text: &Option<String>| {
            text.as_deref()
                .and_then(num::parse_positive)
                .map_or_else(|| "0".to_owned(), wire::dec)
        };
        let trailing = self.kind == AlgoType::TrailingStopMarket;
        json!({
            "algoId": self.algo_id.parse::<u64>().unwrap_or(0),
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": self.kind.as_str(),
            "symbol": self.symbol,
            "side": wire::side(self.side),
            "positionSide": "BOTH",
            "timeInForce": "GTC",
            "quantity": if self.quantity.is_empty() { "0".to_owned() } else { self.quantity.clone() },
            "algoStatus": self.status.as_str(),
            "triggerPrice": if trailing { "0".to_owned() } else { decimal(&self.trigger_price) },
            "price": decimal(&self.price),
            "icebergQuantity": Value::Null,
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": "CONTRACT_PRICE",
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": false,
            "reduceOnly": self.reduce_only,
            "activatePrice": if trailing { decimal(&self.trigger_price) } else { String::new() },
            "callbackRate": self.callback_rate.clone().unwrap_or_default(),
            "createTime": self.created_ms,
            "updateTime": self.updated_ms,
            "triggerTime": 0,
            "goodTillDate": 0,
        })
    }
}

/// A positive decimal parameter, if sent.
fn positive(p: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match p.string(name) {
        None => Ok(None),
        Some(text) if num::parse_positive(&text).is_some() => Ok(Some(text)),
        Some(_) => Err(ApiError::invalid(name)),
    }
}

/// `POST /fapi/v1/algoOrder`: a conditional order rests until its trigger (never, here).
pub(crate) fn place(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    if p.required("algoType")? != "CONDITIONAL" {
        return Err(ApiError::invalid("algoType"));
    }
    let symbol = trade::symbol(v, Category::Linear, p)?;
    let side = match p.required("side")?.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid("side")),
    };
    let kind = AlgoType::parse(&p.required("type")?).ok_or_else(|| ApiError::invalid("type"))?;
    let close_position = p.flag("closePosition")?.unwrap_or(false);
    let reduce_only = p.flag("reduceOnly")?.unwrap_or(false);
    let quantity = positive(p, "quantity")?;
    let quantity = match (quantity, close_position) {
        (Some(_), true) => {
            return Err(ApiError::new(
                Code::BadCombination,
                "Combination of optional parameters invalid.",
            ));
        }
        (Some(qty), false) => qty,
        (None, true) => String::new(),
        (None, false) => return Err(ApiError::missing("quantity")),
    };
    let (trigger_price, callback_rate) = if kind == AlgoType::TrailingStopMarket {
        let rate = positive(p, "callbackRate")?.ok_or_else(|| ApiError::missing("callbackRate"))?;
        (positive(p, "activatePrice")?, Some(rate))
    } else {
        let trigger =
            positive(p, "triggerPrice")?.ok_or_else(|| ApiError::missing("triggerPrice"))?;
        (Some(trigger), None)
    };
    let price = if kind.is_limit() {
        Some(positive(p, "price")?.ok_or_else(|| ApiError::missing("price"))?)
    } else {
        None
    };
    let client_algo_id = match p.string("clientAlgoId") {
        Some(id) if trade::client_id_ok(&id) => id,
        Some(_) => return Err(ApiError::invalid("clientAlgoId")),
        None => format!("x-sim{}", v.ids.alnum(16)),
    };
    let now = v.now_ms();
    let order = AlgoOrder {
        algo_id: v.own.get_mut::<BinanceState>().order_id(),
        client_algo_id,
        uid: c.uid,
        symbol,
        side,
        kind,
        quantity,
        price,
        trigger_price,
        callback_rate,
        reduce_only,
        close_position,
        status: AlgoStatus::New,
        created_ms: now,
        updated_ms: now,
        origin: c.origin(),
    };
    let shown = order.to_wire();
    v.own.get_mut::<BinanceState>().algo_orders.push(order);
    Ok(shown)
}

/// `GET /fapi/v1/openAlgoOrders`: the caller's conditional orders still waiting, one symbol's
/// or all, oldest first.
pub(crate) fn open(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let only = match p.string("symbol") {
        Some(_) => Some(trade::symbol(v, Category::Linear, p)?),
        None => None,
    };
    let mut open: Vec<&AlgoOrder> = v
        .own
        .get_mut::<BinanceState>()
        .algo_orders
        .iter()
        .filter(|o| o.uid == c.uid && o.is_open())
        .filter(|o| only.as_ref().is_none_or(|s| *s == o.symbol))
        .collect();
    open.sort_by_key(|o| (o.created_ms, o.algo_id.parse::<u64>().unwrap_or(0)));
    Ok(Value::Array(
        open.into_iter().map(AlgoOrder::to_listed).collect(),
    ))
}

/// `DELETE /fapi/v1/algoOpenOrders`: every waiting conditional order of one symbol; answers
/// like `allOpenOrders`, whether there were any or not.
pub(crate) fn cancel_symbol(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let symbol = trade::symbol(v, Category::Linear, p)?;
    let now = v.now_ms();
    for order in v
        .own
        .get_mut::<BinanceState>()
        .algo_orders
        .iter_mut()
        .filter(|o| o.uid == c.uid && o.symbol == symbol && o.is_open())
    {
        order.status = AlgoStatus::Canceled;
        order.updated_ms = now;
    }
    Ok(json!({
        "code": 200,
        "msg": "The operation of cancel all open order is done.",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_round_trip_and_say_which_need_a_price() {
        for kind in [
            AlgoType::Stop,
            AlgoType::StopMarket,
            AlgoType::TakeProfit,
            AlgoType::TakeProfitMarket,
            AlgoType::TrailingStopMarket,
        ] {
            assert_eq!(AlgoType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AlgoType::parse("LIMIT"), None);
        assert!(AlgoType::Stop.is_limit() && !AlgoType::StopMarket.is_limit());
    }
}
