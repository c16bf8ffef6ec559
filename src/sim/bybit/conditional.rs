//! Bybit conditional orders: spot `StopOrder` and `tpslOrder`, futures conditional orders
//! (Bybit docs `order/create-order`, `order/open-order`, `order/cancel-all`).
//!
//! An order created with a `triggerPrice` is a conditional order: it rests off the book as
//! `Untriggered` with its `stopOrderType` and `triggerPrice`, until the last price reaches the
//! trigger; then it becomes an ordinary order with the same `orderId` (`fire_due`, run before
//! every request). That is the threat this models: `cancel-all` on spot without `orderFilter`
//! cancels only `Order` (ordinary orders), so an attacker's spot stop order outlives a plain
//! cancel-all and fires later. Listing and cancelling follow the documented `orderFilter`s:
//! `realtime` and `history` list every kind by default; `cancel-all` takes only `Order` on spot
//! by default and every kind on futures and options. A conditional order cancelled before it
//! fires is `Deactivated` (docs `enum`, orderStatus). Spot `OcoOrder` and
//! `BidirectionalTpslOrder` are filters the simulator accepts but never places. The hidden
//! origin is set from the key and shown only by `Inspect`.

use serde_json::{Value, json};

use crate::sim::bybit::BybitState;
use crate::sim::bybit::caller::Caller;
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
use crate::sim::state::{NewOrder, SymbolFilter, Venue};

/// The `orderFilter` values of Bybit's order endpoints (docs `order/open-order`,
/// `order/cancel-all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderFilter {
    /// Ordinary (active) orders.
    Order,
    /// Conditional orders (spot and futures).
    StopOrder,
    /// Spot TP/SL orders.
    TpslOrder,
    /// Spot OCO orders (never placed here).
    OcoOrder,
    /// Spot bidirectional TP/SL orders (never placed here).
    BidirectionalTpslOrder,
    /// Futures `cancel-all` only: the documentation names it without saying more; read as
    /// ordinary orders (not confirmed).
    OpenOrder,
}

impl OrderFilter {
    /// Parses Bybit's spelling.
    pub(crate) fn parse(text: &str) -> Option<OrderFilter> {
        Some(match text {
            "Order" => OrderFilter::Order,
            "StopOrder" => OrderFilter::StopOrder,
            "tpslOrder" => OrderFilter::TpslOrder,
            "OcoOrder" => OrderFilter::OcoOrder,
            "BidirectionalTpslOrder" => OrderFilter::BidirectionalTpslOrder,
            "OpenOrder" => OrderFilter::OpenOrder,
            _ => return None,
        })
    }

    /// Reads the optional `orderFilter`; 10001 for a value the category does not take
    /// (`cancel` says whether it is for `cancel-all`, which alone takes `OpenOrder`).
    pub(crate) fn from_params(
        p: &Params,
        category: Category,
        cancel: bool,
    ) -> Result<Option<OrderFilter>, ApiError> {
        let Some(text) = p.string("orderFilter")? else {
            return Ok(None);
        };
        let filter = OrderFilter::parse(&text);
        let allowed = match (category, filter) {
            (_, None) => false,
            (Category::Spot, Some(f)) => f != OrderFilter::OpenOrder,
            (_, Some(OrderFilter::Order | OrderFilter::StopOrder)) => true,
            (Category::Linear | Category::Inverse, Some(OrderFilter::OpenOrder)) => cancel,
            _ => false,
        };
        if allowed {
            Ok(filter)
        } else {
            Err(ApiError::invalid(
                "orderFilter",
                "is not one this category takes",
            ))
        }
    }

    /// Whether ordinary orders pass this filter (`None`: the endpoint's default).
    pub(crate) fn takes_ordinary(filter: Option<OrderFilter>) -> bool {
        matches!(
            filter,
            None | Some(OrderFilter::Order | OrderFilter::OpenOrder)
        )
    }
}

/// What kind of conditional order, as `stopOrderType` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A conditional order (spot `orderFilter=StopOrder`, or futures): `Stop`.
    Stop,
    /// A spot TP/SL order (`orderFilter=tpslOrder`): `tpslOrder`.
    Tpsl,
}

impl Kind {
    pub(crate) fn stop_order_type(self) -> &'static str {
        match self {
            Kind::Stop => "Stop",
            Kind::Tpsl => "tpslOrder",
        }
    }

    fn filter(self) -> OrderFilter {
        match self {
            Kind::Stop => OrderFilter::StopOrder,
            Kind::Tpsl => OrderFilter::TpslOrder,
        }
    }
}

/// Where a conditional order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Waiting for its trigger.
    Untriggered,
    /// Fired: the ordinary order with the same id carries on.
    Triggered,
    /// Cancelled before it fired.
    Deactivated,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Untriggered => "Untriggered",
            Status::Triggered => "Triggered",
            Status::Deactivated => "Deactivated",
        }
    }
}

/// One conditional order.
#[derive(Clone, Debug)]
pub(crate) struct Conditional {
    pub(crate) order_id: String,
    pub(crate) order_link_id: String,
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) price: Option<String>,
    pub(crate) qty: String,
    pub(crate) qty_unit: QtyUnit,
    pub(crate) kind: Kind,
    pub(crate) trigger_price: String,
    /// Fires when the last price rises to the trigger (`triggerDirection` 1), else when it
    /// falls to it (2).
    pub(crate) rises: bool,
    pub(crate) status: Status,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Hidden truth: who placed it.
    pub(crate) origin: Origin,
}

impl Conditional {
    /// Whether it passes `filter` (`None`: every kind).
    pub(crate) fn passes(&self, filter: Option<OrderFilter>) -> bool {
        filter.is_none_or(|f| f == self.kind.filter())
    }

    /// How `Inspect` shows it: `New` while it waits, `Cancelled` once deactivated; a fired one
    /// is not shown (its ordinary order is).
    pub(crate) fn view(&self) -> Option<OrderView> {
        let status = match self.status {
            Status::Untriggered => "New",
            Status::Deactivated => "Cancelled",
            Status::Triggered => return None,
        };
        Some(OrderView {
            order_id: self.order_id.clone(),
            order_link_id: self.order_link_id.clone(),
            uid: self.uid,
            category: self.category.as_str().to_owned(),
            symbol: self.symbol.clone(),
            side: self.side.as_str().to_owned(),
            order_type: self.order_type.as_str().to_owned(),
            price: self.price.clone(),
            qty: self.qty.clone(),
            qty_unit: match self.qty_unit {
                QtyUnit::Base => "base",
                QtyUnit::Quote => "quote",
            }
            .to_owned(),
            status: status.to_owned(),
            cum_exec_qty: "0".to_owned(),
            cum_exec_value: "0".to_owned(),
            cum_exec_fee: "0".to_owned(),
            avg_price: None,
            created_ms: self.created_ms,
            updated_ms: self.updated_ms,
            origin: self.origin,
            trigger_price: Some(self.trigger_price.clone()),
        })
    }
}

/// The venue's Bybit conditional orders, oldest first.
pub(crate) fn all(v: &Venue) -> &[Conditional] {
    v.own
        .get::<BybitState>()
        .map_or(&[], |s| s.conditionals.as_slice())
}

/// Whether `symbol` of `category` passes `filter` (priority symbol > baseCoin > settleCoin).
pub(crate) fn symbol_matches(
    v: &Venue,
    category: Category,
    symbol: &str,
    filter: &SymbolFilter,
) -> bool {
    let inst = v.instrument(category, symbol);
    if let Some(s) = &filter.symbol {
        return s == symbol;
    }
    if let Some(b) = &filter.base_coin {
        return inst.is_some_and(|i| &i.base_coin == b);
    }
    if let Some(c) = &filter.settle_coin {
        return inst.is_some_and(|i| &i.settle_coin == c);
    }
    true
}

/// Turns a validated order with a `triggerPrice` into a resting conditional order and returns
/// `create`'s answer. Spot takes `orderFilter` `StopOrder` or `tpslOrder`; futures need
/// `triggerDirection` (1 rise, 2 fall); options take no trigger.
pub(crate) fn create(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    new: NewOrder,
    trigger_price: String,
) -> Result<Value, ApiError> {
    let trigger = num::parse_positive(&trigger_price)
        .ok_or_else(|| ApiError::invalid("triggerPrice", "must be a positive decimal"))?;
    let Some(last) = v.last_price(new.category, &new.symbol) else {
        return Err(ApiError::invalid("symbol", "is not a listed symbol"));
    };
    let (kind, rises) = match new.category {
        Category::Spot => {
            let kind = match OrderFilter::from_params(p, Category::Spot, false)? {
                Some(OrderFilter::StopOrder) => Kind::Stop,
                Some(OrderFilter::TpslOrder) => Kind::Tpsl,
                _ => {
                    return Err(ApiError::invalid(
                        "orderFilter",
                        "must be `StopOrder` or `tpslOrder` with a `triggerPrice` on spot",
                    ));
                }
            };
            // Spot takes no direction: the trigger's side of the last price says it.
            (kind, trigger > last)
        }
        Category::Linear | Category::Inverse => {
            let rises = match p.int("triggerDirection")? {
                Some(1) => true,
                Some(2) => false,
                _ => {
                    return Err(ApiError::invalid(
                        "triggerDirection",
                        "must be 1 (rise) or 2 (fall) for a conditional order",
                    ));
                }
            };
            (Kind::Stop, rises)
        }
        Category::Option => {
            return Err(ApiError::invalid(
                "triggerPrice",
                "options take no conditional orders",
            ));
        }
    };
    if !new.order_link_id.is_empty()
        && (v
            .orders
            .iter()
            .any(|o| o.uid == c.uid && o.order_link_id == new.order_link_id)
            || all(v)
                .iter()
                .any(|o| o.uid == c.uid && o.order_link_id == new.order_link_id))
    {
        return Err(ApiError::new(
            RetCode::DuplicateOrderLinkId,
            "OrderLinkedID is duplicate",
        ));
    }
    let now = v.now_ms();
    let order_id = v.ids.uuid();
    let order = Conditional {
        order_id: order_id.clone(),
        order_link_id: new.order_link_id,
        uid: new.uid,
        category: new.category,
        symbol: new.symbol,
        side: new.side,
        order_type: new.order_type,
        price: new.price,
        qty: new.qty,
        qty_unit: new.qty_unit,
        kind,
        trigger_price,
        rises,
        status: Status::Untriggered,
        created_ms: now,
        updated_ms: now,
        origin: new.origin,
    };
    let link = order.order_link_id.clone();
    v.own.get_mut::<BybitState>().conditionals.push(order);
    Ok(json!({ "orderId": order_id, "orderLinkId": link }))
}

/// Deactivates the waiting conditional orders of `uid` in `category` that pass both filters;
/// returns them.
pub(crate) fn cancel(
    v: &mut Venue,
    uid: u64,
    category: Category,
    symbols: &SymbolFilter,
    filter: Option<OrderFilter>,
) -> Vec<Conditional> {
    let hits: Vec<usize> = all(v)
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.uid == uid
                && o.category == category
                && o.status == Status::Untriggered
                && o.passes(filter)
                && symbol_matches(v, category, &o.symbol, symbols)
        })
        .map(|(i, _)| i)
        .collect();
    let now = v.now_ms();
    let state = v.own.get_mut::<BybitState>();
    hits.into_iter()
        .map(|i| {
            let o = &mut state.conditionals[i];
            o.status = Status::Deactivated;
            o.updated_ms = now;
            o.clone()
        })
        .collect()
}

/// Deactivates one waiting conditional order named by id or link id; `None` when there is none.
pub(crate) fn cancel_one(
    v: &mut Venue,
    uid: u64,
    category: Category,
    symbol: &str,
    id: Option<&str>,
    link: Option<&str>,
) -> Option<Conditional> {
    let now = v.now_ms();
    let state = v.own.get_mut::<BybitState>();
    let o = state.conditionals.iter_mut().find(|o| {
        o.uid == uid
            && o.category == category
            && o.symbol == symbol
            && o.status == Status::Untriggered
            && match (id, link) {
                (Some(id), _) => o.order_id == id,
                (None, Some(link)) => o.order_link_id == link,
                (None, None) => false,
            }
    })?;
    o.status = Status::Deactivated;
    o.updated_ms = now;
    Some(o.clone())
}

/// Fires every waiting conditional order whose trigger the last price has reached: each becomes
/// an ordinary order with the same `orderId` (matched against the book at once). One the
/// account cannot pay for any more is deactivated, as Bybit cancels it (docs
/// `order/create-order`: "If the margin is insufficient after the conditional order is
/// triggered, the order will be cancelled").
pub(crate) fn fire_due(v: &mut Venue) {
    let due: Vec<usize> = all(v)
        .iter()
        .enumerate()
        .filter(|(_, o)| o.status == Status::Untriggered)
        .filter(|(_, o)| {
            let Some(last) = v.last_price(o.category, &o.symbol) else {
                return false;
            };
            let trigger = num::parse_positive(&o.trigger_price).unwrap_or(0.0);
            if o.rises {
                last >= trigger
            } else {
                last <= trigger
            }
        })
        .map(|(i, _)| i)
        .collect();
    for i in due {
        let o = v.own.get_mut::<BybitState>().conditionals[i].clone();
        let new = NewOrder {
            uid: o.uid,
            category: o.category,
            symbol: o.symbol.clone(),
            side: o.side,
            order_type: o.order_type,
            price: o.price.clone(),
            qty: o.qty.clone(),
            qty_unit: o.qty_unit,
            order_link_id: String::new(),
            origin: o.origin,
        };
        let placed = v.place_order(new).ok().map(|placed| placed.order_id);
        if let Some(drawn) = &placed {
            // The fired order keeps the conditional order's id and link id.
            for order in v.orders.iter_mut().filter(|x| &x.order_id == drawn) {
                order.order_id.clone_from(&o.order_id);
                order.order_link_id.clone_from(&o.order_link_id);
            }
            for fill in v.executions.iter_mut().filter(|x| &x.order_id == drawn) {
                fill.order_id.clone_from(&o.order_id);
                fill.order_link_id.clone_from(&o.order_link_id);
            }
        }
        let now = v.now_ms();
        let state = &mut v.own.get_mut::<BybitState>().conditionals[i];
        state.status = if placed.is_some() {
            Status::Triggered
        } else {
            Status::Deactivated
        };
        state.updated_ms = now;
    }
}

/// The stop order type and trigger price of an ordinary order that a conditional order became;
/// `None` for one placed as it is.
pub(crate) fn fired_as(v: &Venue, order_id: &str) -> Option<(&'static str, String)> {
    all(v)
        .iter()
        .find(|o| o.status == Status::Triggered && o.order_id == order_id)
        .map(|o| (o.kind.stop_order_type(), o.trigger_price.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;

    /// A venue with deep books (a scenario's) and the leaked key's caller.
    fn venue() -> (Venue, Caller) {
        let scenario = Scenario::load("quiet").unwrap();
        let v = scenario_venue(ExchangeId::Bybit, &scenario, 5);
        let key = v.keys.iter().find(|k| k.leaked).unwrap();
        let caller = Caller::from_key(key);
        (v, caller)
    }

    fn order(c: &Caller, side: Side, order_type: OrderType, qty: &str) -> NewOrder {
        NewOrder {
            uid: c.uid,
            category: Category::Spot,
            symbol: "BTCUSDT".to_owned(),
            side,
            order_type,
            price: (order_type == OrderType::Limit).then(|| "66000".to_owned()),
            qty: qty.to_owned(),
            qty_unit: QtyUnit::Base,
            order_link_id: String::new(),
            origin: Origin::Attacker,
        }
    }

    #[test]
    fn a_stop_order_fires_when_the_last_price_reaches_its_trigger() {
        let (mut v, c) = venue();
        let p = Params::from_query("orderFilter=StopOrder").unwrap();
        // Just above the last price (65000), under the best ask: it waits for a rise.
        let stop = order(&c, Side::Buy, OrderType::Limit, "0.001");
        let answer = create(&mut v, &c, &p, stop, "65010".to_owned()).unwrap();
        let id = answer["orderId"].as_str().unwrap().to_owned();
        fire_due(&mut v);
        assert_eq!(all(&v)[0].status, Status::Untriggered);
        assert!(v.orders.iter().all(|o| o.order_id != id));
        // A market buy takes the best ask, over the trigger.
        v.place_order(order(&c, Side::Buy, OrderType::Market, "0.01"))
            .unwrap();
        fire_due(&mut v);
        assert_eq!(all(&v)[0].status, Status::Triggered);
        assert_eq!(fired_as(&v, &id), Some(("Stop", "65010".to_owned())));
        // The ordinary order it became keeps its id; a limit buy over the ask fills at once.
        let fired = v.orders.iter().find(|o| o.order_id == id).unwrap();
        assert_eq!(fired.status.as_str(), "Filled");
        assert!(v.executions.iter().any(|e| e.order_id == id));
        assert!(
            all(&v)[0].view().is_none(),
            "Inspect shows the ordinary order"
        );
    }

    #[test]
    fn cancelling_deactivates_only_what_the_filter_names() {
        let (mut v, c) = venue();
        let p = Params::from_query("orderFilter=StopOrder").unwrap();
        let stop = order(&c, Side::Buy, OrderType::Limit, "0.001");
        create(&mut v, &c, &p, stop, "70000".to_owned()).unwrap();
        let any = SymbolFilter::default();
        let spot = Category::Spot;
        assert!(cancel(&mut v, c.uid, spot, &any, Some(OrderFilter::Order)).is_empty());
        assert!(cancel(&mut v, c.uid, spot, &any, Some(OrderFilter::TpslOrder)).is_empty());
        let done = cancel(&mut v, c.uid, spot, &any, Some(OrderFilter::StopOrder));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].status, Status::Deactivated);
        assert_eq!(done[0].view().unwrap().status, "Cancelled");
    }

    #[test]
    fn filters_take_what_each_category_documents() {
        let p = |f: &str| Params::from_query(&format!("orderFilter={f}")).unwrap();
        for f in [
            "Order",
            "StopOrder",
            "tpslOrder",
            "OcoOrder",
            "BidirectionalTpslOrder",
        ] {
            assert!(
                OrderFilter::from_params(&p(f), Category::Spot, true).is_ok(),
                "{f}"
            );
        }
        assert!(OrderFilter::from_params(&p("OpenOrder"), Category::Spot, true).is_err());
        assert!(OrderFilter::from_params(&p("OpenOrder"), Category::Linear, true).is_ok());
        assert!(OrderFilter::from_params(&p("OpenOrder"), Category::Linear, false).is_err());
        assert!(OrderFilter::from_params(&p("tpslOrder"), Category::Inverse, true).is_err());
        assert!(OrderFilter::from_params(&p("StopOrder"), Category::Option, true).is_ok());
        assert!(OrderFilter::takes_ordinary(None));
        assert!(!OrderFilter::takes_ordinary(Some(OrderFilter::StopOrder)));
    }
}
