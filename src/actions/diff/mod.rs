//! `diff_orders`: a verdict on every order the snapshots saw, with its reasons.
//!
//! Observed orders (from earlier snapshot steps) are matched against the owner's ledger (see
//! `verdict`): the owner's as the ledger last knew them; **tampered** when a bot order's status,
//! qty or price is not what the ledger last said (cancelled or amended by someone else);
//! **owner_unconfirmed** when not in the ledger yet but created inside the ledger's lag and of
//! the bots' kind; **unauthorized** otherwise. Fills of orders nobody knows are **fills_only**;
//! ledger orders from the window that the venue still keeps but does not show are **missing**.
//! Before calling any order unconfirmed, the diff waits out the lag (at most `ledger_lag`, after
//! the snapshots' end) and reads the ledger again: playbooks run it after the revoke, so the wait
//! never holds containment back. Matching is hash-based and linear.

mod fills;
mod lists;
pub(crate) mod live;
mod verdict;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use self::lists::{Expect, LISTS, Lists};
use self::verdict::{Rules, Verdict, classify};
use super::ledger::{self, Known, Ledger};
use super::observed::{Kind, Observed};
use super::{
    Action, ActionError, Containment, Effect, Outputs, Plan, Preflight, StepContext, StepRef,
};
use super::{RunEnd, StepEnd, Todo};
use crate::clock;
use crate::exchanges::model::OrderStatus;
use crate::exchanges::retention::{self, Kept};
use crate::playbook::schema::{object, string};
use crate::template::Tpl;

pub use self::lists::INLINE_ROWS;

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
    /// The bots' client-order-id prefix: a hint of the bots' kind, never proof of ownership.
    #[serde(default)]
    client_prefix: Option<Tpl<String>>,
    /// How far the ledger may lag behind the bots' orders (default: the profile's
    /// `ledger_lag`).
    #[serde(default)]
    ledger_lag: Option<Tpl<String>>,
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
                "client_prefix": string("the bots' client order id prefix: a hint for orders the ledger may not hold yet, never proof of ownership"),
                "ledger_lag": string("how far the ledger may lag behind the bots' orders, e.g. `10s` (default: the profile's `ledger_lag`)"),
            }),
            &["observed"],
        )
    }
}

impl Action for DiffOrders {
    const CONTAINMENT: Containment = Containment::Evidence;

    const OUTPUTS: &'static [&'static str] = &[
        "unauthorized",
        "tampered",
        "fills_only",
        "unconfirmed",
        "missing",
        "unverified",
        "matched",
        "unauthorized_fills",
        "unauthorized_notional",
        "ledger",
        "ledger_wait_ms",
        "incomplete",
        "counts",
        "files",
        "sha256",
    ];

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        let list = |k: &str| {
            outputs
                .get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        report.ledger_problem = outputs
            .get("ledger")
            .and_then(|l| l.get("problem"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        report.unauthorized_notional = outputs
            .get("unauthorized_notional")
            .cloned()
            .unwrap_or(Value::Null);
        report.unauthorized = list("unauthorized");
        report.tampered = list("tampered");
        report.fills_only = list("fills_only");
        report.unconfirmed = list("unconfirmed");
        report.missing = list("missing");
        report.unverified = list("unverified");
        for name in LISTS {
            report
                .diff_counts
                .insert(name.to_owned(), list_count(outputs, name));
            let file = outputs.get("files").and_then(|f| f.get(name));
            let digest = outputs.get("sha256").and_then(|f| f.get(name));
            if let (Some(Value::String(file)), Some(Value::String(digest))) = (file, digest) {
                report
                    .diff_files
                    .insert(name.to_owned(), (file.clone(), digest.clone()));
            }
        }
    }

    fn note(outputs: &Outputs) -> String {
        let count = |key: &str| list_count(outputs, key);
        let mut note = format!(
            "{} unauthorized, {} tampered, {} fills only, {} unconfirmed, {} missing",
            count("unauthorized"),
            count("tampered"),
            count("fills_only"),
            count("unconfirmed"),
            count("missing"),
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
        let mut counts = Map::new();
        for list in LISTS {
            outputs.insert(list.into(), json!([]));
            counts.insert(list.into(), json!(0));
        }
        outputs.insert("counts".into(), Value::Object(counts));
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
        let ledger_path = match self.known.as_ref().map(|tpl| cx.render(tpl)).transpose() {
            Err(err) => Err(err),
            Ok(rendered) => self
                .ledger_path(from_profile, rendered.flatten())
                .ok_or_else(no_ledger),
        };
        let prefix = self
            .client_prefix
            .as_ref()
            .map(|tpl| cx.render(tpl))
            .transpose()?;
        let lag = match &self.ledger_lag {
            None => cx.profile.ledger_lag,
            Some(tpl) => {
                clock::parse_duration(&cx.render(tpl)?).map_err(|message| ActionError::Input {
                    message: format!("`ledger_lag`: {message}"),
                    hint: "write how far the bot's ledger may lag behind its orders, e.g. `10s`"
                        .into(),
                })?
            }
        };

        let mut order_files = Vec::new();
        let mut fill_files = Vec::new();
        let mut window: Option<(i64, i64)> = None;
        // When the newest snapshot was taken, on the exchange's clock: its window's end less
        // the margin the window was widened by (a clock read that came late widens it by a
        // minute; the ledger's lag counts from the reading, never from that margin).
        let mut taken_ms: Option<i64> = None;
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
                match kind.as_str() {
                    "open_orders" => order_files.push((cx.run.dir.join(file), Kind::Open)),
                    "orders" => order_files.push((cx.run.dir.join(file), Kind::History)),
                    "fills" => fill_files.push(cx.run.dir.join(file)),
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
                let taken = taken_at(until, outputs);
                taken_ms = Some(taken_ms.map_or(taken, |t| t.max(taken)));
            }
        }
        // The ledger and the snapshots are read at once, each streamed into its compact index.
        let path = ledger_path.as_ref().ok().cloned();
        let (known, observed) = std::thread::scope(|scope| {
            let known = scope.spawn(|| {
                ledger_path.and_then(|path| {
                    Ledger::load(std::path::Path::new(&path)).map_err(ledger_problem)
                })
            });
            let mut observed = Observed::default();
            let read = order_files
                .iter()
                .try_for_each(|(file, kind)| observed.add_file(file, *kind));
            let known = known.join().unwrap_or_else(|_| {
                Err(ActionError::Check {
                    message: "reading the known-orders ledger failed".into(),
                    hint: "run the diff again".into(),
                })
            });
            (known, read.map(|()| observed))
        });
        let observed = observed?;
        let out = Lists::new(cx.run.dir.join("snapshots"), cx.step, &cx.run.dir);
        let mut known = match known {
            Ok(known) => known,
            Err(problem) => return out.unverified(&observed, &problem),
        };
        let (own_cancels, unnamed_cancels) = own_cancels(cx.outputs.values().map(|o| &**o));
        // Keys that share one account: another key's run of the same response cancels there
        // too, and its cancels name nothing this run knows. The incident's runs start a few
        // ms apart, one after another: another's cancel-all may come before this run began,
        // so from the incident's start.
        let shared = keys_share_an_account(cx.profile);
        let unnamed_from = unnamed_cancels_since(cx.run, shared);
        let mut rules = Rules {
            prefix: prefix.as_deref(),
            until_ms: taken_ms,
            lag_ms: i64::try_from(lag.as_millis()).unwrap_or(i64::MAX),
            own_cancels: Some(&own_cancels),
            unnamed_cancels_from_ms: (unnamed_cancels || shared)
                .then(|| clock::parse_rfc3339_ms(unnamed_from))
                .flatten(),
            reread_ms: None,
        };
        let get = |i| observed.get(i);
        let mut verdicts = classify(observed.len(), get, &known, &rules);
        let mut waited_ms = 0;
        if let (Some(until), Some(path)) = (rules.until_ms, &path)
            && needs_second_look(&observed, &verdicts, &rules)
        {
            // A late ledger, not an attacker: wait out the lag after the snapshots' end (never
            // longer than the lag) and read the ledger once more.
            waited_ms = wait_ms(until, rules.lag_ms, cx.client.clock().now_ms());
            tokio::time::sleep(Duration::from_millis(waited_ms.unsigned_abs())).await;
            let read_at = cx.client.clock().now_ms();
            if let Ok(again) = Ledger::load(std::path::Path::new(path)) {
                known = again;
                // The ledger has had its lag for every order the snapshots saw: one it still
                // does not know is not late but unknown (an attacker copying the bots' ids).
                rules.reread_ms = Some(read_at.max(until));
                verdicts = classify(observed.len(), get, &known, &rules);
            }
        }
        let venue = cx.profile.exchange;
        let kept = move |k: &Known<'_>, until: i64| {
            still_kept(k, until, |category| retention::kept(venue, category))
        };
        let fills = fills::read(&observed, &verdicts, Some(&known), &fill_files)?;
        let mut outputs = out.diff(
            &observed,
            &known,
            &verdicts,
            &rules,
            &Expect {
                window,
                kept: &kept,
            },
            &fills,
        )?;
        outputs.insert("ledger_wait_ms".into(), json!(waited_ms));
        Ok(outputs)
    }
}

/// The orders the response's cancel steps named, and whether one cancelled orders it did not
/// name (a cancel-all that only counts, as Kraken's).
fn own_cancels<'o>(
    outputs: impl Iterator<Item = &'o Outputs>,
) -> (std::collections::HashSet<String>, bool) {
    let mut ids = std::collections::HashSet::new();
    let mut unnamed = false;
    for out in outputs {
        let Some(named) = out.get("cancelled_orders").and_then(Value::as_array) else {
            continue;
        };
        ids.extend(named.iter().filter_map(Value::as_str).map(str::to_owned));
        let count = out.get("cancelled").and_then(Value::as_u64).unwrap_or(0);
        unnamed |= count > named.len() as u64;
    }
    (ids, unnamed)
}

/// Whether several of the profile's keys name no account: keys of the account the master signs
/// on (Kraken, BitMEX: keys without hierarchy), where a response for several keys runs once per
/// key on the one account, each run's cancel-all taking the other keys' bot orders too. Their
/// cancels after this run began may be the response's own, as a cancel-all that names none.
fn keys_share_an_account(profile: &crate::config::Profile) -> bool {
    profile.keys.iter().filter(|k| k.account.is_none()).count() > 1
}

/// From when cancels that name nothing may be the response's own: the run's start, or the
/// incident's where several keys share the account (another key's run may cancel there before
/// this run began).
fn unnamed_cancels_since(run: &super::RunInfo, shared: bool) -> &str {
    match &run.incident_started_at {
        Some(incident) if shared => incident,
        _ => &run.started_at,
    }
}

/// When a snapshot whose window ends at `until_ms` was taken: the end less the margin the
/// window was widened by (its `clock.window_margin_ms`, none in older journals).
fn taken_at(until_ms: i64, outputs: &Outputs) -> i64 {
    let margin = outputs
        .get("clock")
        .and_then(|c| c.get("window_margin_ms"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    until_ms - margin
}

/// How long to wait before reading the ledger again: until the lag has passed since the
/// snapshots' end, never longer than the lag (the two clocks may differ), never negative.
fn wait_ms(until_ms: i64, lag_ms: i64, now_ms: i64) -> i64 {
    until_ms
        .saturating_add(lag_ms)
        .saturating_sub(now_ms)
        .clamp(0, lag_ms.max(0))
}

/// Whether any verdict may change once a late ledger catches up: an unconfirmed order, or a
/// bot order whose change (a cancel, an amend) is so recent the ledger may not show it yet.
fn needs_second_look(observed: &Observed, verdicts: &[Verdict], rules: &Rules<'_>) -> bool {
    verdicts.iter().enumerate().any(|(i, v)| match v {
        Verdict::Unconfirmed => true,
        Verdict::Tampered { .. } => rules.in_lag(observed.get(i).updated_ms),
        _ => false,
    })
}

/// Whether the venue still keeps the order of ledger entry `k` at `until` (an entry without a
/// category is held to every category's limit; the age counts from its last update).
fn still_kept(
    k: &Known<'_>,
    until: i64,
    kept: impl Fn(crate::exchanges::model::Category) -> Kept,
) -> bool {
    let at = k.updated_ms.or(k.created_ms).unwrap_or(until);
    let age = Duration::from_millis(u64::try_from(until - at).unwrap_or(0));
    let filled = matches!(
        k.status,
        Some(OrderStatus::Filled | OrderStatus::PartiallyFilled)
    ) || k
        .filled_qty
        .and_then(verdict::decimal)
        .is_some_and(|q| !q.is_zero());
    verdict::categories(k)
        .into_iter()
        .all(|category| kept(category).shows_order(k.status, filled, age))
}

/// How many rows a list has in all: its count, or (a journal written before lists were
/// counted) its length.
fn list_count(outputs: &Outputs, list: &str) -> usize {
    outputs
        .get("counts")
        .and_then(|c| c.get(list))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .or_else(|| outputs.get(list).and_then(Value::as_array).map(Vec::len))
        .unwrap_or(0)
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
        hint: "fix the ledger (JSON Lines or `,`-separated CSV with `order_id` or `client_order_id` per order; `lockdown ledger import` converts a bot's own export); until then every order is reported as unverified".into(),
    }
}

/// The outcome of a diff held in memory (the action streams the same matching to files).
#[cfg(test)]
#[derive(Debug, Default)]
struct Diff {
    /// Unauthorized order ids, oldest first.
    unauthorized: Vec<String>,
    /// Tampered order ids, by id, with the fields that differ.
    tampered: Vec<(String, Vec<&'static str>)>,
    /// Unconfirmed order ids, oldest first.
    unconfirmed: Vec<String>,
    /// Missing ledger orders (their ids or client ids).
    missing: Vec<String>,
    /// How many observed orders were matched to the ledger.
    matched: usize,
}

/// Compares open orders and history with the ledger, in memory, with the action's matching.
#[cfg(test)]
fn diff(
    open: &[crate::exchanges::model::Order],
    history: &[crate::exchanges::model::Order],
    known: &Ledger,
    rules: &Rules<'_>,
    window: Option<(i64, i64)>,
    kept: impl Fn(crate::exchanges::model::Category) -> Kept,
) -> Diff {
    use super::observed::SeenOrder;
    use crate::exchanges::model::Order;
    // One per market and id, its latest state, and whether an open-orders snapshot had it open.
    let mut orders: Vec<(Order, bool)> = Vec::new();
    for (list, kind) in [(open, Kind::Open), (history, Kind::History)] {
        for o in list {
            let was_open = kind == Kind::Open && o.status.is_open();
            let same = orders.iter_mut().find(|(x, _)| {
                x.order_id == o.order_id && x.category == o.category && x.symbol == o.symbol
            });
            match same {
                Some((x, open)) => {
                    *open |= was_open;
                    if o.updated_ms >= x.updated_ms {
                        *x = o.clone();
                    }
                }
                None => orders.push((o.clone(), was_open)),
            }
        }
    }
    let seen = |i: usize| {
        let (o, was_open): &(Order, bool) = &orders[i];
        SeenOrder {
            order_id: &o.order_id,
            client_order_id: o.client_order_id.as_deref(),
            category: o.category,
            symbol: &o.symbol,
            side: o.side,
            qty: o.qty.as_str(),
            price: o.price.as_ref().map(|p| p.as_str()),
            status: o.status,
            was_open: *was_open,
            created_ms: o.created_ms,
            updated_ms: o.updated_ms,
        }
    };
    let verdicts = classify(orders.len(), seen, known, rules);
    let mut out = Diff::default();
    let mut matched = vec![false; known.len()];
    let by_time = |ids: &mut Vec<String>, i: usize| ids.push(orders[i].0.order_id.clone());
    let mut order: Vec<usize> = (0..orders.len()).collect();
    order.sort_by(|&a, &b| {
        (orders[a].0.created_ms, &orders[a].0.order_id)
            .cmp(&(orders[b].0.created_ms, &orders[b].0.order_id))
    });
    for i in order {
        match verdicts[i] {
            Verdict::Owner { entry } => {
                matched[entry as usize] = true;
                out.matched += 1;
            }
            Verdict::Tampered { entry, fields } => {
                matched[entry as usize] = true;
                out.matched += 1;
                out.tampered
                    .push((orders[i].0.order_id.clone(), verdict::field_names(fields)));
            }
            Verdict::Unconfirmed => by_time(&mut out.unconfirmed, i),
            Verdict::Unauthorized(_) => by_time(&mut out.unauthorized, i),
        }
    }
    out.tampered.sort();
    if let Some((since, until)) = window {
        out.missing = known
            .iter()
            .zip(&matched)
            .filter(|(k, m)| {
                !**m && k.created_ms.is_some_and(|t| t >= since && t <= until)
                    && still_kept(k, until, &kept)
            })
            .map(|(k, _)| k.order_id.or(k.client_order_id).unwrap_or("").to_owned())
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ledger::KnownOrder;

    #[test]
    fn on_a_shared_account_unnamed_cancels_count_from_the_incidents_start() {
        let run = |incident: Option<&str>| super::super::RunInfo {
            id: "r".into(),
            dir: std::path::PathBuf::new(),
            started_at: "2026-12-06T11:39:45.500Z".into(),
            playbook: "p".into(),
            started: std::time::Instant::now(),
            incident_started_at: incident.map(str::to_owned),
            shared_reads: None,
        };
        let incident = Some("2026-12-06T11:39:45.000Z");
        // Another key's run on the one account may have cancelled before this run began.
        assert_eq!(
            unnamed_cancels_since(&run(incident), true),
            "2026-12-06T11:39:45.000Z"
        );
        // On an account of its own, only this run's cancels are its own.
        assert_eq!(
            unnamed_cancels_since(&run(incident), false),
            "2026-12-06T11:39:45.500Z"
        );
        assert_eq!(
            unnamed_cancels_since(&run(None), true),
            "2026-12-06T11:39:45.500Z"
        );
    }
    use crate::exchanges::model::{Amount, Category, Order, OrderStatus, Side};

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
            category: None,
            symbol: Some("BTCUSDT".into()),
            side: Some(Side::Buy),
            qty: Some(Amount::new(qty)),
            price: None,
            status: None,
            filled_qty: None,
            created_ms: at,
            updated_ms: None,
            line: 1,
        }
    }

    fn no_limit(_: Category) -> Kept {
        Kept::default()
    }

    fn rules(prefix: Option<&str>) -> Rules<'_> {
        Rules {
            prefix,
            until_ms: Some(100_000),
            lag_ms: 10_000,
            ..Rules::default()
        }
    }

    fn cancelled(mut o: Order, at: i64) -> Order {
        o.status = OrderStatus::Cancelled;
        o.updated_ms = at;
        o
    }

    #[test]
    fn each_verdict() {
        let mut amended = order("5", None, "2", 50);
        amended.updated_ms = 55;
        let history = vec![
            order("1", None, "1", 10),                  // owner by order id
            order("2", Some("grid-2"), "1", 20),        // owner by client id
            order("3", Some("grid-9"), "1", 30),        // bot prefix, unknown: unauthorized
            order("4", Some("x"), "1", 40),             // unknown: unauthorized
            amended,                                    // amended: tampered qty
            cancelled(order("6", None, "1", 60), 70),   // cancelled by someone else
            order("9", Some("grid-late"), "1", 95_000), // in the lag, bot prefix
            order("10", Some("x-late"), "1", 96_000),   // in the lag, another prefix
        ];
        let mut open_6 = known(Some("6"), None, "1", Some(60));
        open_6.status = Some(OrderStatus::Open);
        let ledger = Ledger::from_entries(&[
            known(Some("1"), None, "1", Some(10)),
            known(None, Some("grid-2"), "1", Some(20)),
            known(Some("5"), None, "1", Some(50)),
            open_6,
            known(Some("7"), None, "1", Some(65)), // in window, not observed: missing
            known(Some("8"), None, "1", Some(900_000)), // outside the window: not missing
        ]);
        let d = diff(
            &[],
            &history,
            &ledger,
            &rules(Some("grid-")),
            Some((0, 100_000)),
            no_limit,
        );
        assert_eq!(d.unauthorized, ["3", "4", "10"]);
        assert_eq!(
            d.tampered,
            [
                ("5".to_owned(), vec!["qty"]),
                ("6".to_owned(), vec!["status"])
            ]
        );
        assert_eq!(d.unconfirmed, ["9"]);
        assert_eq!(d.missing, ["7"]);
        assert_eq!(d.matched, 4);

        // Read again once the lag has passed, a ledger that still does not know order 9 had all
        // the time it takes: the order is not late but unknown.
        let settled = Rules {
            reread_ms: Some(110_000),
            ..rules(Some("grid-"))
        };
        let d = diff(
            &[],
            &history,
            &ledger,
            &settled,
            Some((0, 100_000)),
            no_limit,
        );
        assert_eq!(d.unauthorized, ["3", "4", "9", "10"]);
        assert!(d.unconfirmed.is_empty());
    }

    #[test]
    fn without_a_prefix_the_bots_kind_is_learned_from_the_ledger() {
        let ledger = Ledger::from_entries(&[
            known(Some("1"), Some("grid-a1"), "1", Some(10)),
            known(Some("2"), Some("grid-b2"), "1", Some(20)),
        ]);
        let mut other_market = order("5", Some("grid-z"), "1", 95_500);
        other_market.symbol = "ETHUSDT".into();
        let d = diff(
            &[],
            &[
                order("3", Some("grid-c3"), "1", 95_000), // like the bot's: unconfirmed
                order("4", None, "1", 96_000),            // the bot always names its orders
                order("6", Some("x-1"), "1", 97_000),     // another naming
                other_market,                             // a market the bot does not trade
                order("7", Some("grid-d4"), "1", 50_000), // like the bot's, outside the lag
            ],
            &ledger,
            &rules(None),
            None,
            no_limit,
        );
        assert_eq!(d.unconfirmed, ["3"]);
        assert_eq!(d.unauthorized, ["7", "5", "4", "6"]);
    }

    #[test]
    fn the_lag_counts_from_when_the_snapshot_was_taken_not_from_its_widened_end() {
        // A clock read that came late widens the window by a minute past the reading.
        let outputs: Outputs = serde_json::from_value(json!({
            "until_ms": 160_000,
            "clock": {"offset_ms": null, "window_margin_ms": 60_000},
        }))
        .unwrap();
        let taken = taken_at(160_000, &outputs);
        assert_eq!(taken, 100_000);
        let rules = Rules {
            until_ms: Some(taken),
            ..rules(Some("grid-"))
        };
        assert!(
            rules.in_lag(95_000),
            "5 s before the reading, inside a 10 s lag"
        );
        assert!(!rules.in_lag(85_000));
        assert_eq!(taken_at(100_000, &Outputs::new()), 100_000);
    }

    #[test]
    fn the_second_look_waits_out_the_lag_and_never_longer() {
        let cases = [
            ("just after the snapshots", 1_000, 10_000, 1_500, 9_500),
            ("the lag already passed", 1_000, 10_000, 20_000, 0),
            ("a clock behind the venue's", 1_000, 10_000, -50_000, 10_000),
            ("no lag", 1_000, 0, 1_000, 0),
        ];
        for (label, until, lag, now, wait) in cases {
            assert_eq!(wait_ms(until, lag, now), wait, "{label}");
        }
    }

    #[test]
    fn the_responses_own_cancel_is_not_tampering() {
        let mut entry = known(Some("6"), None, "1", Some(60));
        entry.status = Some(OrderStatus::Open);
        let ledger = Ledger::from_entries(&[entry]);
        let d = diff(
            &[order("6", None, "1", 60)],
            &[cancelled(order("6", None, "1", 60), 99_000)],
            &ledger,
            &rules(None),
            None,
            no_limit,
        );
        assert!(d.tampered.is_empty(), "{d:?}");
        assert_eq!(d.matched, 1);

        // Without a snapshot of open orders: a cancel step that names it, or a cancel-all that
        // names none (Kraken) from before its cancel.
        let named = json!({"cancelled": 1, "cancelled_orders": ["6"]});
        let unnamed = json!({"cancelled": 3, "cancelled_orders": []});
        for (label, cancel, tampered) in [
            ("named", &named, false),
            ("a cancel-all that names none", &unnamed, false),
            ("no cancel step", &json!({}), true),
        ] {
            let outputs: Outputs = serde_json::from_value(cancel.clone()).unwrap();
            let (ids, unnamed) = own_cancels(std::iter::once(&outputs));
            let rules = Rules {
                own_cancels: Some(&ids),
                unnamed_cancels_from_ms: unnamed.then_some(90_000),
                ..rules(None)
            };
            let d = diff(
                &[],
                &[cancelled(order("6", None, "1", 60), 99_000)],
                &ledger,
                &rules,
                None,
                no_limit,
            );
            assert_eq!(!d.tampered.is_empty(), tampered, "{label}");
        }
    }

    #[test]
    fn matching_rules() {
        // (label, the venue's orders, the ledger, the unauthorized ids)
        type Case = (&'static str, Vec<Order>, Vec<KnownOrder>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "one ledger entry matches one order: a second with its client id is not the owner's",
                vec![
                    order("1", Some("grid-1"), "1", 10),
                    order("2", Some("grid-1"), "1", 20),
                ],
                vec![known(None, Some("grid-1"), "1", Some(10))],
                vec!["2"],
            ),
            (
                "a client id the ledger gives to another order id does not match",
                vec![order("2", Some("grid-1"), "1", 20)],
                vec![known(Some("1"), Some("grid-1"), "1", Some(10))],
                vec!["2"],
            ),
            (
                "an order id of another market does not match",
                vec![order("1", None, "1", 10)],
                vec![KnownOrder {
                    symbol: Some("ETHUSDT".into()),
                    ..known(Some("1"), None, "1", Some(10))
                }],
                vec!["1"],
            ),
            (
                "numbers written differently are the same number",
                vec![order("1", None, "0.0000075", 10)],
                vec![KnownOrder {
                    price: Some(Amount::new(".5e5")),
                    ..known(Some("1"), None, "7.5e-6", Some(10))
                }],
                vec![],
            ),
        ];
        for (label, history, entries, unauthorized) in cases {
            let d = diff(
                &[],
                &history,
                &Ledger::from_entries(&entries),
                &rules(None),
                None,
                no_limit,
            );
            assert_eq!(d.unauthorized, unauthorized, "{label}");
            assert!(d.tampered.is_empty(), "{label}: {d:?}");
        }
    }

    #[test]
    fn the_same_order_id_in_two_markets_is_two_orders() {
        let mut linear = order("1", None, "1", 10);
        linear.category = Category::Linear;
        let ledger = Ledger::from_entries(&[
            KnownOrder {
                category: Some(Category::Spot),
                ..known(Some("1"), None, "1", Some(10))
            },
            KnownOrder {
                category: Some(Category::Linear),
                ..known(Some("1"), None, "1", Some(10))
            },
        ]);
        let d = diff(
            &[],
            &[order("1", None, "1", 10), linear],
            &ledger,
            &rules(None),
            None,
            no_limit,
        );
        assert_eq!(d.matched, 2);
        assert!(d.unauthorized.is_empty());
    }

    #[test]
    fn missing_counts_only_what_the_venue_still_keeps() {
        let hour = 3_600_000;
        let until = 10 * hour;
        let entry = |id: &str, status, ended: i64| KnownOrder {
            status: Some(status),
            updated_ms: Some(ended),
            ..known(Some(id), None, "1", Some(ended - 1000))
        };
        let ledger = Ledger::from_entries(&[
            entry("old-cancel", OrderStatus::Cancelled, until - 3 * hour),
            entry("new-cancel", OrderStatus::Cancelled, until - hour),
            entry("old-fill", OrderStatus::Filled, until - 3 * hour),
            entry("open", OrderStatus::Open, until - 9 * hour),
        ]);
        let two_hours = |_: Category| Kept {
            unfilled: Some(std::time::Duration::from_secs(2 * 3600)),
            filled: Some(std::time::Duration::from_secs(72 * 3600)),
            fills: None,
        };
        let d = diff(
            &[],
            &[],
            &ledger,
            &Rules::default(),
            Some((0, until)),
            two_hours,
        );
        assert_eq!(d.missing, ["new-cancel", "old-fill", "open"]);
    }

    #[test]
    fn the_streamed_diff_answers_like_the_one_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, rows: Vec<String>| {
            let path = dir.path().join(name);
            std::fs::write(&path, rows.join("\n") + "\n").unwrap();
            path
        };
        let json = |orders: &[Order]| -> Vec<String> {
            orders
                .iter()
                .map(|o| serde_json::to_string(o).unwrap())
                .collect()
        };
        let open = vec![order("4", Some("x"), "1", 40), order("1", None, "1", 10)];
        let history = vec![
            order("2", Some("grid-2"), "1", 20),
            order("3", Some("grid-9"), "1", 30),
            cancelled(order("4", Some("x"), "1", 40), 45),
            order("5", None, "2", 50),
            order("8", Some("y"), "1", 5),
            order("9", Some("grid-1"), "1", 95_000),
        ];
        let open_file = write("s-open_orders.jsonl", json(&open));
        let history_file = write("s-orders.jsonl", json(&history));
        let fill = |id: &str, cid: Option<&str>| {
            json!({"fill_id": format!("F{id}"), "order_id": id, "client_order_id": cid,
                "category": "spot", "symbol": "BTCUSDT", "side": "sell", "qty": "0.5",
                "price": "100", "fee": "0", "time_ms": 77})
            .to_string()
        };
        let fills_file = write(
            "s-fills.jsonl",
            vec![
                fill("8", None),    // an unauthorized order's fill
                fill("gone", None), // nobody knows the order: fills only
                fill("gone", None),
                fill("aged", None),           // the ledger knows it: the owner's
                fill("late", Some("grid-l")), // the ledger has its client id only
            ],
        );
        let ledger = Ledger::from_entries(&[
            known(Some("1"), None, "1", Some(10)),
            known(None, Some("grid-2"), "1", Some(20)),
            known(Some("5"), None, "1", Some(50)),
            known(Some("6"), None, "1", Some(60)),
            known(Some("7"), None, "1", Some(900_000)),
            known(Some("aged"), None, "1", None),
            known(None, Some("grid-l"), "1", None),
        ]);
        let mut observed = Observed::default();
        observed.add_file(&open_file, Kind::Open).unwrap();
        observed.add_file(&history_file, Kind::History).unwrap();
        assert_eq!(observed.len(), 7, "order 4 is counted once");
        let rules = rules(Some("grid-"));
        let verdicts = classify(observed.len(), |i| observed.get(i), &ledger, &rules);
        let fills = fills::read(&observed, &verdicts, Some(&ledger), &[fills_file]).unwrap();
        assert_eq!(fills.only_ids(), ["gone"]);
        let kept = |k: &Known<'_>, until: i64| still_kept(k, until, no_limit);
        let out = Lists::new(dir.path().join("snapshots"), "diff", dir.path())
            .diff(
                &observed,
                &ledger,
                &verdicts,
                &rules,
                &Expect {
                    window: Some((0, 100_000)),
                    kept: &kept,
                },
                &fills,
            )
            .unwrap();
        let memory = diff(
            &open,
            &history,
            &ledger,
            &rules,
            Some((0, 100_000)),
            no_limit,
        );
        let ids = |list: &str| -> Vec<String> {
            out[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["order_id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids("unauthorized"), memory.unauthorized);
        assert_eq!(ids("unauthorized"), ["8", "3", "4"]);
        assert_eq!(ids("unconfirmed"), memory.unconfirmed);
        assert_eq!(ids("missing"), memory.missing);
        assert_eq!(ids("missing"), ["6"]);
        let tampered: Vec<String> = memory.tampered.iter().map(|t| t.0.clone()).collect();
        assert_eq!(ids("tampered"), tampered);
        assert_eq!(ids("tampered"), ["5"]);
        assert_eq!(out["matched"], json!(memory.matched));
        // The latest state of order 4 (cancelled) is the one reported; every row says why.
        assert_eq!(out["unauthorized"][2]["status"], "cancelled");
        assert_eq!(out["unauthorized"][1]["verdict"], "unauthorized");
        assert_eq!(
            out["unauthorized"][1]["reasons"],
            json!(["not in the owner's ledger", "uses the bot's prefix"])
        );
        assert_eq!(
            out["tampered"][0]["reasons"][0],
            "qty differs: the ledger says 1, the venue says 2"
        );
        assert_eq!(out["fills_only"][0]["fills"], 2);
        assert_eq!(out["fills_only"][0]["qty"], "1");
        assert_eq!(out["fills_only"][0]["notional"], "100");
        assert_eq!(out["unauthorized_fills"], 3);
        // 3 × 0.5 × 100, summed as decimals.
        assert_eq!(out["unauthorized_notional"], json!({ "BTCUSDT": 150.0 }));
        assert_eq!(out["counts"]["unauthorized"], json!(3));
        // Each list is whole in its file, under the digest the outputs name.
        let file = dir
            .path()
            .join(out["files"]["unauthorized"].as_str().unwrap());
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 3);
        assert_eq!(
            out["sha256"]["unauthorized"],
            json!(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)))
        );
    }

    #[test]
    fn a_list_longer_than_the_inline_rows_is_counted_and_filed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s-orders.jsonl");
        let text: String = (0..INLINE_ROWS * 3)
            .map(|i| {
                serde_json::to_string(&order(&format!("{i:04}"), None, "1", 1)).unwrap() + "\n"
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let mut observed = Observed::default();
        observed.add_file(&path, Kind::History).unwrap();
        let ledger = Ledger::default();
        let rules = Rules::default();
        let verdicts = classify(observed.len(), |i| observed.get(i), &ledger, &rules);
        let kept = |_: &Known<'_>, _: i64| true;
        let out = Lists::new(dir.path().join("snapshots"), "diff", dir.path())
            .diff(
                &observed,
                &ledger,
                &verdicts,
                &rules,
                &Expect {
                    window: None,
                    kept: &kept,
                },
                &fills::Fills::default(),
            )
            .unwrap();
        assert_eq!(out["unauthorized"].as_array().unwrap().len(), INLINE_ROWS);
        assert_eq!(out["counts"]["unauthorized"], json!(INLINE_ROWS * 3));
        assert_eq!(list_count(&out, "unauthorized"), INLINE_ROWS * 3);
        let file = dir
            .path()
            .join(out["files"]["unauthorized"].as_str().unwrap());
        assert_eq!(
            std::fs::read_to_string(file).unwrap().lines().count(),
            INLINE_ROWS * 3
        );
    }
}
