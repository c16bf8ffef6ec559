//! `diff_orders`: single out the orders the owner did not place.
//!
//! Observed orders (from earlier snapshot steps) are matched against the owner's ledger by
//! exchange order id, then by client order id, then by a client-order-id prefix rule. Unmatched
//! observed orders are **unauthorized**; matched ones whose symbol, side, qty or price differ are
//! **mismatched**; ledger orders from inside the observed window that the exchange does not show
//! are **missing**. Matching is hash-based and linear.

use super::{RunEnd, StepEnd, Todo};
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ledger::{self, KnownOrder};
use super::snapshot::read_jsonl;
use super::{Action, ActionError, Effect, Outputs, Plan, Preflight, StepContext, StepRef};
use crate::clock;
use crate::exchanges::model::{Fill, Order};
use crate::playbook::schema::{object, string};
use crate::template::Tpl;

/// One step id or several.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum StepIds {
    /// One step.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl StepIds {
    fn ids(&self) -> Vec<&str> {
        match self {
            StepIds::One(id) => vec![id.as_str()],
            StepIds::Many(ids) => ids.iter().map(String::as_str).collect(),
        }
    }
}

/// Parameters of `diff_orders`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DiffOrders {
    /// The snapshot steps whose orders are compared.
    observed: StepIds,
    /// The ledger (default: the profile's `known_orders`); a template that renders to null
    /// (a profile without one) means "no ledger".
    #[serde(default)]
    known: Option<Tpl<Option<String>>>,
    /// Orders whose client order id starts with this are the owner's.
    #[serde(default)]
    client_prefix: Option<Tpl<String>>,
}

impl DiffOrders {
    /// The snapshot steps this diff reads.
    pub fn step_refs(&self) -> Vec<StepRef> {
        self.observed
            .ids()
            .into_iter()
            .enumerate()
            .map(|(i, id)| StepRef {
                param: match self.observed {
                    StepIds::One(_) => "observed".to_owned(),
                    StepIds::Many(_) => format!("observed[{i}]"),
                },
                step: id.to_owned(),
                action: "snapshot",
            })
            .collect()
    }

    fn ledger_path(
        &self,
        profile_ledger: Option<String>,
        rendered: Option<String>,
    ) -> Option<String> {
        rendered.or(profile_ledger)
    }
}

impl DiffOrders {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "observed": {
                    "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }],
                    "description": "snapshot step ids",
                },
                "known": string("the known-orders ledger (default: the profile's `known_orders`)"),
                "client_prefix": string("client order ids starting with this are the owner's"),
            }),
            &["observed"],
        )
    }
}

impl Action for DiffOrders {
    const OUTPUTS: &'static [&'static str] = &[
        "unauthorized",
        "unverified",
        "missing",
        "mismatched",
        "matched",
        "unauthorized_fills",
        "unauthorized_notional",
        "ledger",
        "incomplete",
    ];

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        let list = |k: &str| {
            outputs
                .get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        report.unauthorized = list("unauthorized");
        report.unverified = list("unverified");
        report.ledger_problem = outputs
            .get("ledger")
            .and_then(|l| l.get("problem"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        report.missing = list("missing");
        report.mismatched = list("mismatched");
        report.unauthorized_notional = outputs
            .get("unauthorized_notional")
            .cloned()
            .unwrap_or(Value::Null);
    }

    fn note(outputs: &Outputs) -> String {
        let count = |key: &str| {
            outputs
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        let mut note = format!(
            "{} unauthorized, {} missing, {} mismatched",
            count("unauthorized"),
            count("missing"),
            count("mismatched")
        );
        if outputs.contains_key("incomplete") {
            note.push_str(&format!(
                ", {} unverified (no usable ledger)",
                count("unverified")
            ));
        }
        note
    }

    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("the attacker's orders were not singled out: {}", end.why()),
            "compare the snapshots in the run folder with the bot's ledger by hand",
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Read
    }

    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        // A ledger problem never stops a response: the ledger is evidence tooling, and the lock,
        // the cancels and the revoke do not need it. What is said before the first request is
        // only what an open tells (missing, a folder, unreadable): reading a ledger of a million
        // lines here would hold the lock back by a second. A bad line is the diff step's to
        // report, when it reads the ledger; every order is then reported as unverified.
        let rendered = match &self.known {
            Some(tpl) => match pre.render(tpl)? {
                Ok(path) => path,
                Err(err) => return Some(err),
            },
            None => None,
        };
        let from_profile = pre
            .profile
            .known_orders
            .as_ref()
            .map(|p| p.display().to_string());
        match self.ledger_path(from_profile, rendered) {
            None => Some(no_ledger()),
            Some(path) => {
                let unusable = |message: String| {
                    ledger_problem(ledger::LedgerError {
                        file: path.clone(),
                        line: 0,
                        message,
                    })
                };
                match std::fs::File::open(&path).and_then(|file| file.metadata()) {
                    Err(err) => Some(unusable(format!(
                        "cannot read the known-orders ledger: {err}"
                    ))),
                    Ok(meta) if !meta.is_file() => Some(unusable(
                        "the known-orders ledger is not a regular file".into(),
                    )),
                    Ok(_) => None,
                }
            }
        }
    }

    async fn plan(&self, _cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        // Offline, nothing is compared: later steps see an empty diff.
        let mut outputs = Outputs::new();
        for list in ["unauthorized", "unverified", "missing", "mismatched"] {
            outputs.insert(list.into(), json!([]));
        }
        Ok(Plan {
            outputs: Some(outputs),
            ..Plan::default()
        })
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let from_profile = cx
            .profile
            .known_orders
            .as_ref()
            .map(|p| p.display().to_string());
        // Without a usable ledger the diff still runs: every order is unverified, the step
        // says why, and the run ends incomplete (never stopped: see `advise`).
        let known = match self.known.as_ref().map(|tpl| cx.render(tpl)).transpose() {
            Err(err) => Err(err),
            Ok(rendered) => match self.ledger_path(from_profile, rendered.flatten()) {
                None => Err(no_ledger()),
                Some(path) => ledger::load(std::path::Path::new(&path)).map_err(ledger_problem),
            },
        };
        let prefix = self
            .client_prefix
            .as_ref()
            .map(|tpl| cx.render(tpl))
            .transpose()?;

        let mut observed: BTreeMap<String, Order> = BTreeMap::new();
        let mut fills: Vec<Fill> = Vec::new();
        let mut window: Option<(i64, i64)> = None;
        for id in self.observed.ids() {
            let outputs = cx.outputs.get(id).ok_or_else(|| ActionError::Input {
                message: format!("step `{id}` has no snapshot to compare (did it run?)"),
                hint: "`observed` must name snapshot steps that run before this one".into(),
            })?;
            for (kind, file) in outputs
                .get("files")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let Some(file) = file.as_str() else { continue };
                let rows = read_jsonl(&cx.run.dir.join(file))?;
                match kind.as_str() {
                    "orders" | "open_orders" => {
                        for row in rows {
                            let order: Order =
                                serde_json::from_value(row).map_err(|err| ActionError::Io {
                                    what: "parse",
                                    path: cx.run.dir.join(file),
                                    source: std::io::Error::other(err),
                                })?;
                            // The latest state of an order wins (history after cancel).
                            match observed.get(&order.order_id) {
                                Some(seen) if seen.updated_ms > order.updated_ms => {}
                                _ => {
                                    observed.insert(order.order_id.clone(), order);
                                }
                            }
                        }
                    }
                    "fills" => {
                        fills.extend(
                            rows.into_iter()
                                .filter_map(|r| serde_json::from_value(r).ok()),
                        );
                    }
                    _ => {}
                }
            }
            if let (Some(since), Some(until)) = (
                outputs.get("since_ms").and_then(Value::as_i64),
                outputs.get("until_ms").and_then(Value::as_i64),
            ) {
                window = Some(match window {
                    None => (since, until),
                    Some((a, b)) => (a.min(since), b.max(until)),
                });
            }
        }
        let observed: Vec<Order> = observed.into_values().collect();
        Ok(match known {
            Ok(known) => diff(observed, &known, prefix.as_deref(), window).outputs(&fills),
            Err(problem) => unverified(&observed, &problem),
        })
    }
}

fn no_ledger() -> ActionError {
    ActionError::Input {
        message: "no known-orders ledger: the profile has no `known_orders` (and the step no `known`)".into(),
        hint: "set the profile's `known_orders` to the bot's order ledger; without it every order is reported as unverified".into(),
    }
}

fn ledger_problem(err: ledger::LedgerError) -> ActionError {
    ActionError::Input {
        message: format!("the known-orders ledger cannot be used: {err}"),
        hint: "fix the ledger (JSON Lines or CSV with `order_id` or `client_order_id` per order); until then every order is reported as unverified".into(),
    }
}

/// The diff's outputs when there is no usable ledger: nothing can be called the owner's or not,
/// so every observed order is unverified, and the step says why (`incomplete`: the run ends 1).
fn unverified(observed: &[Order], problem: &ActionError) -> Outputs {
    let mut out = Outputs::new();
    for list in ["unauthorized", "missing", "mismatched"] {
        out.insert(list.into(), json!([]));
    }
    out.insert(
        "unverified".into(),
        Value::Array(observed.iter().map(order_row).collect()),
    );
    out.insert("matched".into(), json!(0));
    out.insert(
        "ledger".into(),
        json!({"problem": problem.to_string(), "hint": problem.hint()}),
    );
    out.insert(
        "incomplete".into(),
        json!(format!(
            "{} order(s) could not be checked against the owner's ledger: {problem}",
            observed.len()
        )),
    );
    out
}

/// The outcome of a diff.
#[derive(Debug, Default)]
pub struct Diff {
    /// Observed orders the owner did not place.
    pub unauthorized: Vec<Order>,
    /// Ledger orders from the window the exchange does not show.
    pub missing: Vec<KnownOrder>,
    /// Matched orders whose fields differ: the order and the fields.
    pub mismatched: Vec<(Order, Vec<&'static str>)>,
    /// How many observed orders were the owner's.
    pub matched: usize,
}

/// Compares observed orders with the ledger.
pub fn diff(
    observed: Vec<Order>,
    known: &[KnownOrder],
    prefix: Option<&str>,
    window: Option<(i64, i64)>,
) -> Diff {
    let by_id: HashMap<&str, usize> = known
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.order_id.as_deref().map(|id| (id, i)))
        .collect();
    let by_client: HashMap<&str, usize> = known
        .iter()
        .enumerate()
        .filter_map(|(i, k)| k.client_order_id.as_deref().map(|id| (id, i)))
        .collect();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut out = Diff::default();
    for order in observed {
        let hit = by_id.get(order.order_id.as_str()).copied().or_else(|| {
            order
                .client_order_id
                .as_deref()
                .and_then(|cid| by_client.get(cid).copied())
        });
        match hit {
            Some(i) => {
                seen.insert(i);
                out.matched += 1;
                let fields = differences(&order, &known[i]);
                if !fields.is_empty() {
                    out.mismatched.push((order, fields));
                }
            }
            None => {
                let owned_by_rule = match (prefix, order.client_order_id.as_deref()) {
                    (Some(prefix), Some(cid)) => !prefix.is_empty() && cid.starts_with(prefix),
                    _ => false,
                };
                if owned_by_rule {
                    out.matched += 1;
                } else {
                    out.unauthorized.push(order);
                }
            }
        }
    }
    if let Some((since, until)) = window {
        out.missing = known
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                !seen.contains(i) && k.created_ms.is_some_and(|t| t >= since && t <= until)
            })
            .map(|(_, k)| k.clone())
            .collect();
    }
    out.unauthorized.sort_by_key(|o| o.created_ms);
    out
}

fn differences(order: &Order, known: &KnownOrder) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if known.symbol.as_ref().is_some_and(|s| s != &order.symbol) {
        fields.push("symbol");
    }
    if known.side.is_some_and(|s| s != order.side) {
        fields.push("side");
    }
    if known.qty.as_ref().is_some_and(|q| q != &order.qty) {
        fields.push("qty");
    }
    if let Some(price) = &known.price
        && order.price.as_ref().is_some_and(|p| p != price)
    {
        fields.push("price");
    }
    fields
}

impl Diff {
    fn outputs(&self, fills: &[Fill]) -> Outputs {
        let unauthorized_ids: HashSet<&str> = self
            .unauthorized
            .iter()
            .map(|o| o.order_id.as_str())
            .collect();
        let mut notional: BTreeMap<String, f64> = BTreeMap::new();
        let mut fill_count = 0;
        for fill in fills
            .iter()
            .filter(|f| unauthorized_ids.contains(f.order_id.as_str()))
        {
            fill_count += 1;
            *notional.entry(fill.symbol.clone()).or_default() +=
                fill.qty.to_f64() * fill.price.to_f64();
        }
        let mut out = Outputs::new();
        out.insert(
            "unauthorized".into(),
            Value::Array(self.unauthorized.iter().map(order_row).collect()),
        );
        out.insert(
            "missing".into(),
            Value::Array(
                self.missing
                    .iter()
                    .map(|k| {
                        json!({
                            "order_id": k.order_id,
                            "client_order_id": k.client_order_id,
                            "symbol": k.symbol,
                            "ledger_line": k.line,
                        })
                    })
                    .collect(),
            ),
        );
        out.insert(
            "mismatched".into(),
            Value::Array(
                self.mismatched
                    .iter()
                    .map(|(order, fields)| {
                        let mut row = order_row(order);
                        if let Value::Object(map) = &mut row {
                            map.insert("fields".into(), json!(fields));
                        }
                        row
                    })
                    .collect(),
            ),
        );
        out.insert("unverified".into(), json!([]));
        out.insert("matched".into(), json!(self.matched));
        out.insert("unauthorized_fills".into(), json!(fill_count));
        // Rounded for people; the fills themselves are in the snapshot.
        let notional: BTreeMap<String, f64> = notional
            .into_iter()
            .map(|(symbol, value)| (symbol, (value * 1e8).round() / 1e8))
            .collect();
        out.insert("unauthorized_notional".into(), json!(notional));
        out
    }
}

fn order_row(order: &Order) -> Value {
    json!({
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "category": order.category,
        "symbol": order.symbol,
        "side": order.side,
        "order_type": order.order_type,
        "qty": order.qty,
        "price": order.price,
        "filled_qty": order.filled_qty,
        "avg_price": order.avg_price,
        "status": order.status,
        "created_at": clock::rfc3339_ms(order.created_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Category, OrderStatus, Side};

    fn order(id: &str, cid: Option<&str>, qty: &str, at: i64) -> Order {
        Order {
            order_id: id.into(),
            client_order_id: cid.map(Into::into),
            category: Category::Spot,
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: "limit".into(),
            qty: Amount::new(qty),
            price: Some(Amount::new("50000")),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: OrderStatus::Open,
            created_ms: at,
            updated_ms: at,
        }
    }

    fn known(id: Option<&str>, cid: Option<&str>, qty: &str, at: Option<i64>) -> KnownOrder {
        KnownOrder {
            order_id: id.map(Into::into),
            client_order_id: cid.map(Into::into),
            symbol: Some("BTCUSDT".into()),
            side: Some(Side::Buy),
            qty: Some(Amount::new(qty)),
            price: None,
            created_ms: at,
            line: 1,
        }
    }

    #[test]
    fn classifies_each_case() {
        let observed = vec![
            order("1", None, "1", 10),           // known by order id
            order("2", Some("grid-2"), "1", 20), // known by client id
            order("3", Some("grid-9"), "1", 30), // owner's by prefix rule
            order("4", Some("x"), "1", 40),      // nobody's: unauthorized
            order("5", None, "2", 50),           // known, but qty differs
        ];
        let ledger = vec![
            known(Some("1"), None, "1", Some(10)),
            known(None, Some("grid-2"), "1", Some(20)),
            known(Some("5"), None, "1", Some(50)),
            known(Some("6"), None, "1", Some(60)), // in window, not observed: missing
            known(Some("7"), None, "1", Some(900)), // outside the window: not missing
        ];
        let d = diff(observed, &ledger, Some("grid-"), Some((0, 100)));
        let ids = |orders: &[Order]| {
            orders
                .iter()
                .map(|o| o.order_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&d.unauthorized), ["4"]);
        assert_eq!(d.mismatched.len(), 1);
        assert_eq!(d.mismatched[0].0.order_id, "5");
        assert_eq!(d.mismatched[0].1, ["qty"]);
        assert_eq!(d.missing.len(), 1);
        assert_eq!(d.missing[0].order_id.as_deref(), Some("6"));
        assert_eq!(d.matched, 4);
    }

    #[test]
    fn without_prefix_unknown_client_ids_are_unauthorized() {
        let d = diff(vec![order("3", Some("grid-9"), "1", 30)], &[], None, None);
        assert_eq!(d.unauthorized.len(), 1);
    }
}
