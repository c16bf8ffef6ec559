//! Orders in the three products (docs/venues/bingx.md §5, §6): place, cancel one, cancel all,
//! list the open ones and the history.
//!
//! Orders belong to the account, not the key: any key of it lists them, and one with the
//! product's trade permission cancels them. Each product has its own cancel-all: spot
//! `cancelOpenOrders`, USDT-M `allOpenOrders` (`success`/`failed` lists), coin-M
//! `allOpenOrders`; each takes an optional `symbol` (none: every symbol). A new order takes what
//! it can from its market's book at once; a post-only order that would take is refused. The
//! conditional types (spot `TAKE_STOP_*`/`TRIGGER_*`, perpetual `STOP*`/`TAKE_PROFIT*`/
//! `TRIGGER_*`/trailing) are not simulated and refused. The hidden origin of an order is set
//! from the key and never shown.

use serde_json::{Value, json};

use crate::sim::bingx::params::Params;
use crate::sim::bingx::{Caller, Product, Refusal, names, wire};
use crate::sim::num;
use crate::sim::order::{OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// Rows per spot history page when `pageSize` is not given, and its maximum.
const SPOT_PAGE: u64 = 100;

/// Rows per perpetual history answer when `limit` is not given, and its maximum.
const SWAP_DEFAULT: u64 = 500;
const SWAP_MAX: u64 = 1000;

fn refusal(e: VenueError) -> Refusal {
    match e {
        VenueError::UnknownSymbol { .. } => {
            Refusal::new(100_400, "invalid symbol, send symbol like BTC-USDT")
        }
        VenueError::InsufficientBalance { .. } => Refusal::new(100_202, "Insufficient assets"),
        VenueError::InsufficientMargin { .. } => Refusal::new(101_204, "Insufficient margin"),
        VenueError::NoSuchOrder => Refusal::new(80_016, "Order does not exist"),
        VenueError::DuplicateOrderLinkId(_) => Refusal::new(
            100_400,
            "Different orders cannot use the same newClientOrderId",
        ),
        VenueError::NoSuchKey(_) => Refusal::new(100_413, "Incorrect apiKey"),
        VenueError::PostOnlyWouldTake => Refusal::new(
            101_215,
            "The Maker (Post Only) order ensures that the user is always the maker",
        ),
        VenueError::ReduceOnlyNoPosition => Refusal::new(80_017, "Position does not exist"),
    }
}

/// The client order id's parameter in each product.
fn client_id_param(product: Product) -> &'static str {
    match product {
        Product::Spot => "newClientOrderId",
        Product::Swap | Product::Cswap => "clientOrderId",
    }
}

/// Place one order.
pub(crate) fn place(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    let symbol = p.required("symbol")?;
    let inst = names::resolve(v, product, &symbol)
        .cloned()
        .ok_or_else(|| Refusal::new(100_400, "invalid symbol, send symbol like BTC-USDT"))?;
    let side = match p.required("side")?.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(Refusal::invalid("side")),
    };
    let order_type = match p.required("type")?.as_str() {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        // Conditional kinds: not simulated (module doc).
        other => return Err(Refusal::invalid(&format!("type {other} is not simulated"))),
    };
    let price = p.text("price");
    if order_type == OrderType::Limit && price.as_deref().and_then(num::parse_positive).is_none() {
        return Err(Refusal::invalid("price"));
    }
    // Spot: `quantity` first, `quoteOrderQty` for market buys; perpetuals: `quantity` only.
    let (qty, unit) = match (p.text("quantity"), p.text("quoteOrderQty"), product) {
        (Some(q), _, _) => (q, QtyUnit::Base),
        (None, Some(q), Product::Spot) => (q, QtyUnit::Quote),
        _ => {
            return Err(Refusal::new(
                100_400,
                "quantity/quoteOrderQty can't both be lte 0",
            ));
        }
    };
    if num::parse_positive(&qty).is_none() {
        return Err(Refusal::invalid("quantity"));
    }
    let tif = match (order_type, p.text("timeInForce").as_deref()) {
        (OrderType::Market, _) => Tif::Ioc,
        (_, None | Some("GTC")) => Tif::Gtc,
        (_, Some("IOC")) => Tif::Ioc,
        (_, Some("FOK")) => Tif::Fok,
        (_, Some("PostOnly")) => Tif::PostOnly,
        (_, Some(_)) => return Err(Refusal::invalid("timeInForce")),
    };
    let reduce_only = product != Product::Spot && p.flag("reduceOnly")?.unwrap_or(false);
    let link = p.text(client_id_param(product)).unwrap_or_default();
    if link.len() > 40
        || !link
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(Refusal::invalid(client_id_param(product)));
    }
    let order = v
        .with_terms(Terms {
            tif,
            reduce_only,
            post_only_cross: PostOnlyCross::Reject,
        })
        .place_order(NewOrder {
            uid: c.uid,
            category: inst.category,
            symbol: inst.symbol.clone(),
            side,
            order_type,
            price: match order_type {
                OrderType::Limit => price,
                OrderType::Market => None,
            },
            qty,
            qty_unit: unit,
            order_link_id: link,
            origin: c.origin(),
        })
        .map_err(refusal)?;
    let row = wire::order(v, product, &order);
    Ok(match product {
        Product::Spot | Product::Cswap => row,
        Product::Swap => json!({ "order": row }),
    })
}

/// The open order `orderId` (or the client id) names in a product.
fn named(
    v: &Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<(String, OrderRef), Refusal> {
    let category = names::category(product);
    let by_id = p.text("orderId");
    let by_link = p.text("clientOrderID").or_else(|| p.text("clientOrderId"));
    v.orders
        .iter()
        .find(|o| {
            o.uid == c.uid
                && o.category == category
                && o.status.is_open()
                && (by_id.as_deref() == Some(o.order_id.as_str())
                    || (!o.order_link_id.is_empty()
                        && by_link.as_deref() == Some(o.order_link_id.as_str())))
        })
        .map(|o| (o.symbol.clone(), OrderRef::Id(o.order_id.clone())))
        .ok_or_else(|| Refusal::new(80_016, "Order does not exist"))
}

/// Cancel one order.
pub(crate) fn cancel(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    let (symbol, which) = named(v, c, product, p)?;
    let order = v
        .cancel_one(c.uid, names::category(product), &symbol, &which)
        .map_err(refusal)?;
    v.note_touch(&c.api_key, &order.order_id);
    let row = wire::order(v, product, &order);
    Ok(match product {
        Product::Spot => row,
        Product::Swap | Product::Cswap => json!({ "order": row }),
    })
}

/// The symbol filter of a `symbol` parameter (none: every symbol of the product).
fn filter(v: &Venue, product: Product, p: &Params) -> Result<SymbolFilter, Refusal> {
    Ok(match p.text("symbol") {
        None => SymbolFilter::default(),
        Some(symbol) => SymbolFilter {
            symbol: Some(
                names::resolve(v, product, &symbol)
                    .ok_or_else(|| Refusal::invalid("symbol"))?
                    .symbol
                    .clone(),
            ),
            ..SymbolFilter::default()
        },
    })
}

/// Cancel every open order of a product (or of one `symbol`).
pub(crate) fn cancel_all(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    let filter = filter(v, product, p)?;
    let cancelled = v.cancel_open(c.uid, names::category(product), &filter, None);
    let rows: Vec<Value> = cancelled
        .iter()
        .map(|o| wire::order(v, product, o))
        .collect();
    Ok(match product {
        Product::Spot => json!({ "orders": rows }),
        Product::Swap | Product::Cswap => json!({ "success": rows, "failed": null }),
    })
}

/// The open orders of a product (or of one `symbol`), oldest first.
pub(crate) fn open(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    let filter = filter(v, product, p)?;
    let category = names::category(product);
    let mut rows: Vec<(i64, String, Value)> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && o.status.is_open() && v.order_matches(o, category, &filter))
        .map(|o| (o.created_ms, o.order_id.clone(), wire::order(v, product, o)))
        .collect();
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(json!({ "orders": rows.into_iter().map(|(.., r)| r).collect::<Vec<_>>() }))
}

/// The order history of a product: spot by `pageIndex`/`pageSize` (at most 100, and
/// `pageIndex * pageSize <= 10000`), the perpetuals by `limit` (at most 1000); each inside
/// `startTime`/`endTime` and newest first. Spot lists only orders no longer open (`status`:
/// FILLED, CANCELED, FAILED); the perpetuals list every order.
pub(crate) fn history(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    let filter = filter(v, product, p)?;
    let category = names::category(product);
    let start = p.ms("startTime")?;
    let end = p.ms("endTime")?;
    let mut rows: Vec<(i64, String, Value)> = v
        .orders
        .iter()
        .filter(|o| {
            o.uid == c.uid
                && v.order_matches(o, category, &filter)
                && (product != Product::Spot || !o.status.is_open())
                && start.is_none_or(|s| o.created_ms >= s)
                && end.is_none_or(|e| o.created_ms <= e)
        })
        .map(|o| (o.created_ms, o.order_id.clone(), wire::order(v, product, o)))
        .collect();
    rows.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let (skip, take) = match product {
        Product::Spot => {
            let index = p.uint("pageIndex")?.unwrap_or(1);
            let size = p.uint("pageSize")?.unwrap_or(SPOT_PAGE);
            if index == 0 || size == 0 || size > SPOT_PAGE || index * size > 10_000 {
                return Err(Refusal::invalid("pageIndex/pageSize"));
            }
            ((index - 1) * size, size)
        }
        Product::Swap | Product::Cswap => {
            let limit = p.uint("limit")?.unwrap_or(SWAP_DEFAULT);
            if limit == 0 || limit > SWAP_MAX {
                return Err(Refusal::invalid("limit"));
            }
            (0, limit)
        }
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(take).unwrap_or(usize::MAX))
        .map(|(.., r)| r)
        .collect();
    Ok(json!({ "orders": rows }))
}
