//! `cancel_orders`: cancel every open order of the leaked key's account, with the key itself.
//!
//! Masters cannot cancel a sub-account's orders on most venues (docs/venues/README.md §4), so this
//! signs with the leaked key, which the lock has bound to the responder. It cancels every segment
//! at once, then lists open orders again and repeats until none is left (Bybit cancels at most 500
//! per call, docs/venues/bybit.md §5), and fails if orders remain after the last round. On venues
//! without a cancel-all ([`CancelStyle::Batches`], OKX) "cancel a segment" is: list its open orders
//! and cancel them in batches at once; an order a batch did not cancel is found by the next
//! listing. Orders the venue cancels through an endpoint of their own (OKX algo orders) are batched
//! apart, at that endpoint's size ([`crate::exchanges::mechanisms::OrderRules::batch_route`]).
//! On venues that cancel per symbol only ([`CancelStyle::PerSymbol`], Binance) it is: list, then
//! one cancel per symbol that has open orders, at once (on USD-M each is followed by the
//! symbol's conditional-order cancel, [`crate::exchanges::mechanisms::CompanionCalls::then`]; a
//! dry run shows both).

use super::{RunEnd, StepEnd, Todo};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Containment, Effect, Outputs, Plan, Preflight, StepContext};
use crate::exchanges::model::{Cancelled, Order, Segment};
use crate::exchanges::{
    Auth, CallOutcome, CancelStyle, Client, ExchangeError, Op, OrderRef, Reply,
};
use crate::playbook::schema::{object, string};
use crate::secret::Credential;
use crate::secret::KeyId;
use crate::template::Tpl;

/// Parameters of `cancel_orders`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CancelOrders {
    /// The key whose account's orders are cancelled (signed with that key).
    key: Tpl<String>,
    /// Cancel-and-check rounds before giving up.
    #[serde(default = "default_rounds")]
    rounds: u32,
}

fn default_rounds() -> u32 {
    5
}

impl CancelOrders {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "key": string("the leaked key; orders are cancelled with it"),
                "rounds": { "type": "integer", "minimum": 1, "description": "cancel-and-check rounds (default 5)" },
            }),
            &["key"],
        )
    }
}

impl Action for CancelOrders {
    const CONTAINMENT: Containment = Containment::Cancels;

    const OUTPUTS: &'static [&'static str] = &[
        "would_cancel",
        "orders",
        "cancelled",
        "cancelled_orders",
        "open_left",
        "rounds",
        "not_permitted",
    ];

    fn note(outputs: &Outputs) -> String {
        let get = |key: &str| outputs.get(key).cloned().unwrap_or(Value::Null);
        format!("{} cancelled, {} left", get("cancelled"), get("open_left"))
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("orders may still be open: {}", end.why()),
            &format!(
                "cancel every open order of the account, conditional and trigger orders too, in {}'s web interface, in every product it trades",
                run.venue
            ),
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        pre.key_credential(&self.key)
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let cred = cx.key_credential(&key)?;
        let mut requests = Vec::new();
        let style = cx.client.venue().cancel_style();
        // A dry run lists what would be cancelled (reads only).
        let segments = cx.client.segments().await;
        let open = if cx.dry_run_reads() {
            let segments = &segments.list;
            let lists = segments
                .iter()
                .map(|segment| list_open(cx.client, cred, *segment));
            let mut open = Vec::new();
            for (segment, orders) in segments.iter().zip(join_all(lists).await) {
                let orders = orders.map_err(ActionError::exchange("list the open orders"))?;
                open.push((*segment, orders));
            }
            Some(open)
        } else {
            None
        };
        let prepare = |op: &Op| {
            cx.client
                .prepare(op, Auth::Key(cred))
                .map(|request| request.to_string())
                .map_err(ActionError::exchange("build a cancel request"))
        };
        for segment in &segments.list {
            match style {
                CancelStyle::PerSegment => {
                    requests.push(prepare(&Op::CancelAll { segment: *segment })?);
                }
                CancelStyle::Batches { .. } | CancelStyle::PerSymbol => match &open {
                    Some(open) => {
                        let listed = open
                            .iter()
                            .filter(|(s, _)| s == segment)
                            .flat_map(|(_, orders)| orders);
                        let route = |o: &Order| cx.client.venue().batch_route(o);
                        for op in cancels(style, &route, *segment, listed) {
                            requests.push(prepare(&op)?);
                            // A cancel the venue finishes with a second request (Binance
                            // USD-M: the symbol's conditional orders) would send that too.
                            let done = Reply::Cancelled(Vec::new());
                            if let Some(next) = cx.client.venue().then(&op, &done) {
                                requests.push(prepare(&next)?);
                            }
                        }
                    }
                    // Offline: the listing is not known, so show it and say what follows.
                    None => requests.push(format!(
                        "{}\nthen {}",
                        prepare(&Op::OpenOrders {
                            segment: *segment,
                            cursor: None
                        })?,
                        match style {
                            CancelStyle::Batches { max } => format!(
                                "cancel every order listed (every page), in batches of at most {max}, or of the size the venue's own cancel for a kind of order takes"
                            ),
                            _ => "cancel every symbol listed, one request per symbol".to_owned(),
                        }
                    )),
                },
            }
        }
        for unread in &segments.unread {
            requests.push(format!("not covered: {unread}"));
        }
        let outputs = if let Some(open) = open {
            let open: Vec<Order> = open.into_iter().flat_map(|(_, orders)| orders).collect();
            let mut out = Outputs::new();
            out.insert("would_cancel".into(), json!(open.len()));
            out.insert(
                "orders".into(),
                json!(open.iter().map(|o| &o.order_id).collect::<Vec<_>>()),
            );
            out
        } else {
            Outputs::new()
        };
        Ok(Plan::sends(requests, outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let cred = cx.key_credential(&key)?;
        let discovered = cx.client.segments().await;
        let segments = &discovered.list[..];
        let mut cancelled: Vec<Cancelled> = Vec::new();
        let mut left: Vec<Order> = Vec::new();
        // A key without trading rights in a segment cannot have placed orders there; the
        // listing below still proves the segment is empty.
        let mut not_permitted: Vec<String> = Vec::new();
        let mut last_error: Option<ExchangeError> = None;
        for round in 1..=self.rounds.max(1) {
            let calls = segments
                .iter()
                .map(|segment| cancel_segment(cx.client, cred, *segment));
            for (segment, result) in segments.iter().zip(join_all(calls).await) {
                match result {
                    Ok(done) => cancelled.extend(done),
                    Err(ExchangeError::Permission { .. }) => {
                        let name = segment.to_string();
                        if !not_permitted.contains(&name) {
                            not_permitted.push(name);
                        }
                    }
                    // Cancelling is idempotent: a dropped or refused cancel is simply sent
                    // again next round; the listing below decides.
                    Err(err) if err.outcome() != CallOutcome::Final => last_error = Some(err),
                    Err(err) => {
                        return Err(ActionError::Exchange {
                            what: format!("cancel open orders in {segment}"),
                            source: err,
                        });
                    }
                }
            }
            // A segment the key may not even list (Binance USD-M without the futures
            // permission) cannot hold its orders either.
            let listed = cx
                .client
                .per_segment_permitted(
                    segments,
                    Auth::Key(cred),
                    |segment, cursor| Op::OpenOrders { segment, cursor },
                    Reply::into_orders,
                )
                .await
                .map(|(open, refused)| {
                    for segment in refused {
                        let name = segment.to_string();
                        if !not_permitted.contains(&name) {
                            not_permitted.push(name);
                        }
                    }
                    open
                });
            match listed {
                Ok(open) if open.is_empty() && discovered.unread.is_empty() => {
                    return Ok(outputs(&cancelled, &open, round, &not_permitted));
                }
                // Every segment listed is empty, but some could not be listed at all: orders
                // there may be open, and the step says so rather than pass.
                Ok(open) if open.is_empty() => {
                    return Err(ActionError::Check {
                        message: format!(
                            "{} order(s) cancelled and every segment listed is empty, but {}",
                            cancelled.len(),
                            discovered.unread.join("; ")
                        ),
                        hint: "cancel the orders of those segments in the exchange's web \
                               interface, or run lockdown again"
                            .into(),
                    });
                }
                Ok(open) => left = open,
                Err(err) if err.outcome() != CallOutcome::Final => last_error = Some(err),
                Err(err) => return Err(ActionError::exchange("list the orders left open")(err)),
            }
        }
        if left.is_empty()
            && let Some(err) = last_error
        {
            return Err(ActionError::exchange("cancel open orders")(err));
        }
        Err(ActionError::Check {
            message: format!(
                "{} order(s) still open after {} cancel round(s): {}",
                left.len(),
                self.rounds,
                left.iter()
                    .map(|o| format!("{} ({})", o.order_id, o.category.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: "cancel them in the exchange's web interface, or run lockdown again".into(),
        })
    }
}

/// Cancels every open order of one segment: one cancel-all, or (venues without one) a listing
/// and its batches, sent at once. Batches that succeed count even when another failed (the next
/// listing finds what is left); the call fails only when nothing was cancelled and something
/// failed.
async fn cancel_segment(
    client: &Client,
    cred: &Credential,
    segment: Segment,
) -> Result<Vec<Cancelled>, ExchangeError> {
    let style = client.venue().cancel_style();
    if style == CancelStyle::PerSegment {
        return client
            .call(&Op::CancelAll { segment }, Auth::Key(cred))
            .await
            .and_then(Reply::into_cancelled);
    }
    let open = list_open(client, cred, segment).await?;
    let ops = cancels(
        style,
        &|o| client.venue().batch_route(o),
        segment,
        open.iter(),
    );
    let calls = ops.iter().map(|op| client.call(op, Auth::Key(cred)));
    let mut cancelled = Vec::new();
    let mut failed = None;
    for result in join_all(calls).await {
        match result.and_then(Reply::into_cancelled) {
            Ok(done) => cancelled.extend(done),
            Err(err) => {
                failed.get_or_insert(err);
            }
        }
    }
    match failed {
        Some(err) if cancelled.is_empty() => Err(err),
        _ => Ok(cancelled),
    }
}

/// Every open order of one segment, all pages.
async fn list_open(
    client: &Client,
    cred: &Credential,
    segment: Segment,
) -> Result<Vec<Order>, ExchangeError> {
    client
        .all_pages(
            |cursor| Op::OpenOrders { segment, cursor },
            Auth::Key(cred),
            Reply::into_orders,
        )
        .await
}

/// The cancels for listed `orders`: batches of at most `max` (orders that `route` sends to a
/// cancel of their own, [`crate::exchanges::mechanisms::OrderRules::batch_route`], batched apart
/// at its size), or one per symbol (naming that symbol's orders, in the order the symbols were
/// first listed).
fn cancels<'o>(
    style: CancelStyle,
    route: &dyn Fn(&Order) -> Option<(Segment, usize)>,
    segment: Segment,
    orders: impl Iterator<Item = &'o Order>,
) -> Vec<Op> {
    let reference = |o: &Order| OrderRef {
        symbol: o.symbol.clone(),
        order_id: o.order_id.clone(),
    };
    match style {
        CancelStyle::PerSegment => Vec::new(),
        CancelStyle::Batches { max } => {
            // (segment, batch size, orders), in the order each route was first met.
            let mut routes: Vec<(Segment, usize, Vec<OrderRef>)> = Vec::new();
            for order in orders {
                let (to, size) = route(order).unwrap_or((segment, max));
                match routes.iter_mut().find(|(s, _, _)| *s == to) {
                    Some((_, _, refs)) => refs.push(reference(order)),
                    None => routes.push((to, size, vec![reference(order)])),
                }
            }
            routes
                .into_iter()
                .flat_map(|(to, size, refs)| {
                    refs.chunks(size.max(1))
                        .map(|chunk| Op::CancelBatch {
                            segment: to,
                            orders: chunk.to_vec(),
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        }
        CancelStyle::PerSymbol => {
            let mut groups: Vec<Vec<OrderRef>> = Vec::new();
            for order in orders.map(reference) {
                match groups.iter_mut().find(|g| g[0].symbol == order.symbol) {
                    Some(group) => group.push(order),
                    None => groups.push(vec![order]),
                }
            }
            groups
                .into_iter()
                .map(|orders| Op::CancelBatch { segment, orders })
                .collect()
        }
    }
}

fn outputs(
    cancelled: &[Cancelled],
    left: &[Order],
    rounds: u32,
    not_permitted: &[String],
) -> Outputs {
    let mut out = Outputs::new();
    out.insert("cancelled".into(), json!(cancelled.len()));
    // A cancel-all that only counts (Kraken) names no order: those count, unnamed.
    out.insert(
        "cancelled_orders".into(),
        json!(
            cancelled
                .iter()
                .map(|c| &c.order_id)
                .filter(|id| !id.is_empty())
                .collect::<Vec<_>>()
        ),
    );
    out.insert("open_left".into(), json!(left.len()));
    out.insert("rounds".into(), json!(rounds));
    out.insert("not_permitted".into(), json!(not_permitted));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Category, OrderStatus, Side};

    fn order(id: &str, symbol: &str) -> Order {
        Order {
            order_id: id.into(),
            client_order_id: None,
            category: Category::Spot,
            symbol: symbol.into(),
            side: Side::Buy,
            order_type: "limit".into(),
            qty: Amount::new("1"),
            price: Some(Amount::new("1")),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: OrderStatus::Open,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    #[test]
    fn cancels_follow_the_style() {
        let segment = Segment {
            category: Category::Spot,
            settle: None,
        };
        let open = [
            order("1", "BTCUSDT"),
            order("2", "XVGUSDT"),
            order("3", "BTCUSDT"),
        ];
        let symbols = |ops: Vec<Op>| -> Vec<Vec<String>> {
            ops.into_iter()
                .map(|op| match op {
                    Op::CancelBatch { orders, .. } => orders
                        .into_iter()
                        .map(|o| format!("{}:{}", o.symbol, o.order_id))
                        .collect(),
                    _ => Vec::new(),
                })
                .collect()
        };
        let own = |_: &Order| None;
        assert_eq!(
            symbols(cancels(CancelStyle::PerSymbol, &own, segment, open.iter())),
            [vec!["BTCUSDT:1", "BTCUSDT:3"], vec!["XVGUSDT:2"]]
        );
        assert_eq!(
            symbols(cancels(
                CancelStyle::Batches { max: 2 },
                &own,
                segment,
                open.iter()
            )),
            [vec!["BTCUSDT:1", "XVGUSDT:2"], vec!["BTCUSDT:3"]]
        );
        assert!(cancels(CancelStyle::PerSegment, &own, segment, open.iter()).is_empty());
    }

    #[test]
    fn orders_routed_to_a_cancel_of_their_own_are_batched_apart() {
        let segment = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let apart = Segment {
            category: Category::Spot,
            settle: Some("algo"),
        };
        let mut open: Vec<Order> = (1..=5).map(|i| order(&i.to_string(), "BTC-USDT")).collect();
        for o in open.iter_mut().skip(1) {
            o.order_type = "trigger".into();
        }
        // Trigger orders go to `apart`, two a request; the limit order stays, batches of 20.
        let route = |o: &Order| (o.order_type == "trigger").then_some((apart, 2));
        let ops = cancels(
            CancelStyle::Batches { max: 20 },
            &route,
            segment,
            open.iter(),
        );
        let shape: Vec<(Segment, Vec<String>)> = ops
            .into_iter()
            .map(|op| match op {
                Op::CancelBatch { segment, orders } => {
                    (segment, orders.into_iter().map(|o| o.order_id).collect())
                }
                _ => unreachable!("batches only"),
            })
            .collect();
        let ids = |ids: &[&str]| ids.iter().map(|i| (*i).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            shape,
            [
                (segment, ids(&["1"])),
                (apart, ids(&["2", "3"])),
                (apart, ids(&["4", "5"])),
            ]
        );
    }
}
