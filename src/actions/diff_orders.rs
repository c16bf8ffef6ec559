//! `diff_orders`: single out the orders the owner did not place.
//!
//! Observed orders (from earlier snapshot steps) are matched against the owner's ledger by
//! exchange order id, then by client order id, then by a client-order-id prefix rule. Unmatched
//! observed orders are **unauthorized**; matched ones whose symbol, side, qty or price differ are
//! **mismatched**; ledger orders from inside the observed window that the exchange does not show
//! are **missing**. Matching is hash-based and linear.

use super::{RunEnd, StepEnd, Todo};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::ledger::{self, Ledger};
use super::observed::{Observed, SeenOrder};
use super::snapshot::{JsonlWriter, read_jsonl};
use super::{Action, ActionError, Effect, Outputs, Plan, Preflight, StepContext, StepRef};
use crate::clock;
use crate::exchanges::model::{Amount, Order, Side};
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

        let mut order_files = Vec::new();
        let mut fill_files = Vec::new();
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
                match kind.as_str() {
                    "orders" | "open_orders" => order_files.push(cx.run.dir.join(file)),
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
            }
        }
        // The ledger and the snapshots are read at once, each streamed into its compact index.
        let (known, observed) = std::thread::scope(|scope| {
            let known = scope.spawn(|| {
                ledger_path.and_then(|path| {
                    Ledger::load(std::path::Path::new(&path)).map_err(ledger_problem)
                })
            });
            let mut observed = Observed::default();
            let read = order_files
                .iter()
                .try_for_each(|file| observed.add_file(file));
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
        match known {
            Ok(known) => {
                let verdicts = classify(&observed, &known, prefix.as_deref());
                let fills = unauthorized_fills(&observed, &verdicts, &fill_files)?;
                out.diff(&observed, &known, &verdicts, window, &fills)
            }
            Err(problem) => out.unverified(&observed, &problem),
        }
    }
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
        hint: "fix the ledger (JSON Lines or CSV with `order_id` or `client_order_id` per order); until then every order is reported as unverified".into(),
    }
}

/// How many rows of each list the outputs (and so the journal and templates) carry; the whole
/// list is in its file, named in `files` with its `sha256`, and counted in `counts`.
pub const INLINE_ROWS: usize = 50;

/// The lists a diff reports.
const LISTS: [&str; 4] = ["unauthorized", "unverified", "missing", "mismatched"];

/// What one observed order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The ledger's entry; the fields that differ (bits of [`FIELDS`]).
    Known { entry: u32, fields: u8 },
    /// The owner's by the client-order-id prefix rule.
    ByPrefix,
    /// Nobody's the owner knows of.
    Unauthorized,
}

/// The fields a matched order is compared on, in the order they are reported.
const FIELDS: [&str; 4] = ["symbol", "side", "qty", "price"];

/// The compared fields of an observed order.
#[derive(Debug, Clone, Copy)]
struct Fields<'a> {
    order_id: &'a str,
    client_order_id: Option<&'a str>,
    symbol: &'a str,
    side: Side,
    qty: &'a str,
    price: Option<&'a str>,
}

impl<'a> From<SeenOrder<'a>> for Fields<'a> {
    fn from(o: SeenOrder<'a>) -> Fields<'a> {
        Fields {
            order_id: o.order_id,
            client_order_id: o.client_order_id,
            symbol: o.symbol,
            side: o.side,
            qty: o.qty,
            price: o.price,
        }
    }
}

impl<'a> From<&'a Order> for Fields<'a> {
    fn from(o: &'a Order) -> Fields<'a> {
        Fields {
            order_id: &o.order_id,
            client_order_id: o.client_order_id.as_deref(),
            symbol: &o.symbol,
            side: o.side,
            qty: o.qty.as_str(),
            price: o.price.as_ref().map(Amount::as_str),
        }
    }
}

/// Matches one order: by exchange order id, then client order id, then the prefix rule.
fn verdict(known: &Ledger, prefix: Option<&str>, o: Fields<'_>) -> Verdict {
    let hit = known.by_order_id(o.order_id).or_else(|| {
        o.client_order_id
            .and_then(|cid| known.by_client_order_id(cid))
    });
    match hit {
        Some(entry) => {
            let k = known.get(entry);
            let mut fields = 0;
            if k.symbol.is_some_and(|s| s != o.symbol) {
                fields |= 1;
            }
            if k.side.is_some_and(|s| s != o.side) {
                fields |= 2;
            }
            if k.qty.is_some_and(|q| q != o.qty) {
                fields |= 4;
            }
            if let (Some(price), Some(p)) = (k.price, o.price)
                && p != price
            {
                fields |= 8;
            }
            Verdict::Known {
                entry: u32::try_from(entry).unwrap_or(u32::MAX),
                fields,
            }
        }
        None => {
            let owned_by_rule = match (prefix, o.client_order_id) {
                (Some(prefix), Some(cid)) => !prefix.is_empty() && cid.starts_with(prefix),
                _ => false,
            };
            if owned_by_rule {
                Verdict::ByPrefix
            } else {
                Verdict::Unauthorized
            }
        }
    }
}

fn field_names(mask: u8) -> Vec<&'static str> {
    FIELDS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// Each observed order's verdict, in the order of [`Observed`].
fn classify(observed: &Observed, known: &Ledger, prefix: Option<&str>) -> Vec<Verdict> {
    (0..observed.len())
        .map(|i| verdict(known, prefix, observed.get(i).into()))
        .collect()
}

/// Fills of unauthorized orders: how many, and the notional per symbol.
#[derive(Debug, Default)]
struct Fills {
    count: usize,
    notional: BTreeMap<String, f64>,
}

/// A fill as the diff reads it (a [`crate::exchanges::model::Fill`], borrowed from its line).
#[derive(Debug, Deserialize)]
struct FillView<'a> {
    #[serde(borrow)]
    order_id: Cow<'a, str>,
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    #[serde(borrow)]
    qty: Cow<'a, str>,
    #[serde(borrow)]
    price: Cow<'a, str>,
}

/// Streams the fill snapshots, summing the fills of unauthorized orders (a line that is not a
/// fill is passed over, as it always was).
fn unauthorized_fills(
    observed: &Observed,
    verdicts: &[Verdict],
    files: &[std::path::PathBuf],
) -> Result<Fills, ActionError> {
    let mut fills = Fills::default();
    for file in files {
        read_jsonl(file, |line, _, _| {
            let Ok(fill) = serde_json::from_str::<FillView<'_>>(line) else {
                return Ok(());
            };
            let unauthorized = observed
                .find(&fill.order_id)
                .is_some_and(|i| verdicts[i] == Verdict::Unauthorized);
            if unauthorized {
                fills.count += 1;
                let value = Amount::new(&fill.qty).to_f64() * Amount::new(&fill.price).to_f64();
                match fills.notional.get_mut(&*fill.symbol) {
                    Some(sum) => *sum += value,
                    None => {
                        fills.notional.insert(fill.symbol.into_owned(), value);
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(fills)
}

/// Writes a diff's lists: each whole to its file under the run folder, the first
/// [`INLINE_ROWS`] into the outputs, with counts, file names and digests.
struct Lists<'a> {
    dir: std::path::PathBuf,
    step: &'a str,
    run_dir: &'a std::path::Path,
}

/// One list being written.
struct List {
    name: &'static str,
    path: std::path::PathBuf,
    out: JsonlWriter,
    inline: Vec<Value>,
}

impl List {
    fn push(&mut self, row: Value) -> Result<(), ActionError> {
        self.out.row(&row).map_err(|source| ActionError::Io {
            what: "write",
            path: self.path.clone(),
            source,
        })?;
        if self.inline.len() < INLINE_ROWS {
            self.inline.push(row);
        }
        Ok(())
    }
}

impl Lists<'_> {
    fn new<'a>(dir: std::path::PathBuf, step: &'a str, run_dir: &'a std::path::Path) -> Lists<'a> {
        Lists { dir, step, run_dir }
    }

    fn open(&self) -> Result<Vec<List>, ActionError> {
        crate::private::create_dir(&self.dir).map_err(|source| ActionError::Io {
            what: "create",
            path: self.dir.clone(),
            source,
        })?;
        LISTS
            .iter()
            .map(|name| {
                let path = self.dir.join(format!("{}-{name}.jsonl", self.step));
                let out = JsonlWriter::create(&path).map_err(|source| ActionError::Io {
                    what: "write",
                    path: path.clone(),
                    source,
                })?;
                Ok(List {
                    name,
                    path,
                    out,
                    inline: Vec::new(),
                })
            })
            .collect()
    }

    /// Closes the lists into outputs: each list's first rows, `counts`, `files`, `sha256`.
    fn close(&self, lists: Vec<List>) -> Result<Outputs, ActionError> {
        let mut out = Outputs::new();
        let (mut counts, mut files, mut digests) = (Map::new(), Map::new(), Map::new());
        for list in lists {
            let written = list.out.finish().map_err(|source| ActionError::Io {
                what: "write",
                path: list.path.clone(),
                source,
            })?;
            let relative = list
                .path
                .strip_prefix(self.run_dir)
                .unwrap_or(&list.path)
                .display()
                .to_string();
            out.insert(list.name.into(), Value::Array(list.inline));
            counts.insert(list.name.into(), json!(written.rows));
            files.insert(list.name.into(), json!(relative));
            digests.insert(list.name.into(), json!(written.sha256));
        }
        out.insert("counts".into(), Value::Object(counts));
        out.insert("files".into(), Value::Object(files));
        out.insert("sha256".into(), Value::Object(digests));
        Ok(out)
    }

    /// The outputs of a diff against the ledger.
    fn diff(
        &self,
        observed: &Observed,
        known: &Ledger,
        verdicts: &[Verdict],
        window: Option<(i64, i64)>,
        fills: &Fills,
    ) -> Result<Outputs, ActionError> {
        let mut lists = self.open()?;
        let mut reader = observed.reader();
        let mut unauthorized = Vec::new();
        let mut mismatched = Vec::new();
        let mut seen = vec![false; known.len()];
        let mut matched = 0usize;
        for (i, verdict) in verdicts.iter().enumerate() {
            match *verdict {
                Verdict::Known { entry, fields } => {
                    matched += 1;
                    seen[entry as usize] = true;
                    if fields != 0 {
                        mismatched.push((i, fields));
                    }
                }
                Verdict::ByPrefix => matched += 1,
                Verdict::Unauthorized => unauthorized.push(i),
            }
        }
        // As before: by order id, unauthorized then by creation time.
        let id = |i: usize| observed.get(i).order_id;
        unauthorized.sort_by(|&a, &b| {
            (observed.get(a).created_ms, id(a)).cmp(&(observed.get(b).created_ms, id(b)))
        });
        mismatched.sort_by(|a, b| id(a.0).cmp(id(b.0)));
        for i in unauthorized {
            lists[0].push(order_row(&reader.order(i)?))?;
        }
        if let Some((since, until)) = window {
            for (k, _) in known.iter().zip(&seen).filter(|(k, seen)| {
                !**seen && k.created_ms.is_some_and(|t| t >= since && t <= until)
            }) {
                lists[2].push(json!({
                    "order_id": k.order_id,
                    "client_order_id": k.client_order_id,
                    "symbol": k.symbol,
                    "ledger_line": k.line,
                }))?;
            }
        }
        for (i, fields) in mismatched {
            let mut row = order_row(&reader.order(i)?);
            if let Value::Object(map) = &mut row {
                map.insert("fields".into(), json!(field_names(fields)));
            }
            lists[3].push(row)?;
        }
        let mut out = self.close(lists)?;
        out.insert("matched".into(), json!(matched));
        out.insert("unauthorized_fills".into(), json!(fills.count));
        // Rounded for people; the fills themselves are in the snapshot.
        let notional: BTreeMap<&str, f64> = fills
            .notional
            .iter()
            .map(|(symbol, value)| (symbol.as_str(), (value * 1e8).round() / 1e8))
            .collect();
        out.insert("unauthorized_notional".into(), json!(notional));
        Ok(out)
    }

    /// The diff's outputs when there is no usable ledger: nothing can be called the owner's or
    /// not, so every observed order is unverified, and the step says why (`incomplete`: the run
    /// ends 1).
    fn unverified(
        &self,
        observed: &Observed,
        problem: &ActionError,
    ) -> Result<Outputs, ActionError> {
        let mut lists = self.open()?;
        let mut reader = observed.reader();
        let mut all: Vec<usize> = (0..observed.len()).collect();
        all.sort_by(|&a, &b| observed.get(a).order_id.cmp(observed.get(b).order_id));
        for i in all {
            lists[1].push(order_row(&reader.order(i)?))?;
        }
        let mut out = self.close(lists)?;
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
        Ok(out)
    }
}

/// The outcome of a diff held in memory (the action streams the same matching to files).
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Diff {
    /// Observed orders the owner did not place.
    pub unauthorized: Vec<Order>,
    /// Ledger orders from the window the exchange does not show.
    pub missing: Vec<ledger::KnownOrder>,
    /// Matched orders whose fields differ: the order and the fields.
    pub mismatched: Vec<(Order, Vec<&'static str>)>,
    /// How many observed orders were the owner's.
    pub matched: usize,
}

/// Compares observed orders with the ledger (the same matching the action streams).
#[cfg(test)]
pub fn diff(
    observed: Vec<Order>,
    known: &Ledger,
    prefix: Option<&str>,
    window: Option<(i64, i64)>,
) -> Diff {
    let mut seen = vec![false; known.len()];
    let mut out = Diff::default();
    for order in observed {
        match verdict(known, prefix, (&order).into()) {
            Verdict::Known { entry, fields } => {
                seen[entry as usize] = true;
                out.matched += 1;
                if fields != 0 {
                    out.mismatched.push((order, field_names(fields)));
                }
            }
            Verdict::ByPrefix => out.matched += 1,
            Verdict::Unauthorized => out.unauthorized.push(order),
        }
    }
    if let Some((since, until)) = window {
        out.missing = known
            .iter()
            .zip(&seen)
            .filter(|(k, seen)| !**seen && k.created_ms.is_some_and(|t| t >= since && t <= until))
            .map(|(k, _)| ledger::KnownOrder {
                order_id: k.order_id.map(str::to_owned),
                client_order_id: k.client_order_id.map(str::to_owned),
                symbol: k.symbol.map(str::to_owned),
                side: k.side,
                qty: k.qty.map(Amount::new),
                price: k.price.map(Amount::new),
                created_ms: k.created_ms,
                line: k.line,
            })
            .collect();
    }
    out.unauthorized.sort_by_key(|o| o.created_ms);
    out
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
    use crate::actions::ledger::KnownOrder;
    use crate::exchanges::model::{Category, OrderStatus};

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
        let d = diff(
            observed,
            &Ledger::from_entries(&ledger),
            Some("grid-"),
            Some((0, 100)),
        );
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
        let d = diff(
            vec![order("3", Some("grid-9"), "1", 30)],
            &Ledger::default(),
            None,
            None,
        );
        assert_eq!(d.unauthorized.len(), 1);
    }

    #[test]
    fn the_streamed_diff_answers_like_the_one_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, orders: &[Order]| {
            let path = dir.path().join(name);
            let text: String = orders
                .iter()
                .map(|o| serde_json::to_string(o).unwrap() + "\n")
                .collect();
            std::fs::write(&path, text).unwrap();
            path
        };
        let mut cancelled = order("4", Some("x"), "1", 40);
        cancelled.status = OrderStatus::Cancelled;
        cancelled.updated_ms = 45;
        let open = write(
            "s-open_orders.jsonl",
            &[order("4", Some("x"), "1", 40), order("1", None, "1", 10)],
        );
        let history = write(
            "s-orders.jsonl",
            &[
                order("2", Some("grid-2"), "1", 20),
                order("3", Some("grid-9"), "1", 30),
                cancelled.clone(),
                order("5", None, "2", 50),
                order("8", Some("y"), "1", 5),
            ],
        );
        let ledger = vec![
            known(Some("1"), None, "1", Some(10)),
            known(None, Some("grid-2"), "1", Some(20)),
            known(Some("5"), None, "1", Some(50)),
            known(Some("6"), None, "1", Some(60)),
            known(Some("7"), None, "1", Some(900)),
        ];
        let ledger = Ledger::from_entries(&ledger);
        let mut observed = Observed::default();
        observed.add_file(&open).unwrap();
        observed.add_file(&history).unwrap();
        assert_eq!(observed.len(), 6, "order 4 is counted once");
        let verdicts = classify(&observed, &ledger, Some("grid-"));
        let lists = Lists::new(dir.path().join("snapshots"), "diff", dir.path());
        let out = lists
            .diff(
                &observed,
                &ledger,
                &verdicts,
                Some((0, 100)),
                &Fills::default(),
            )
            .unwrap();

        let mut all = vec![
            order("1", None, "1", 10),
            order("2", Some("grid-2"), "1", 20),
            order("3", Some("grid-9"), "1", 30),
            cancelled,
            order("5", None, "2", 50),
            order("8", Some("y"), "1", 5),
        ];
        all.sort_by(|a, b| a.order_id.cmp(&b.order_id));
        let memory = diff(all, &ledger, Some("grid-"), Some((0, 100)));
        let ids = |list: &str, key: &str| -> Vec<String> {
            out[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row[key].as_str().unwrap().to_owned())
                .collect()
        };
        let memory_ids = |orders: &[Order]| -> Vec<String> {
            orders.iter().map(|o| o.order_id.clone()).collect()
        };
        assert_eq!(
            ids("unauthorized", "order_id"),
            memory_ids(&memory.unauthorized)
        );
        assert_eq!(ids("unauthorized", "order_id"), ["8", "4"]);
        // The latest state of order 4 (cancelled) is the one reported.
        assert_eq!(out["unauthorized"][1]["status"], "cancelled");
        assert_eq!(ids("mismatched", "order_id"), ["5"]);
        assert_eq!(out["mismatched"][0]["fields"], json!(["qty"]));
        assert_eq!(ids("missing", "order_id"), ["6"]);
        assert_eq!(out["matched"], json!(memory.matched));
        assert_eq!(out["counts"]["unauthorized"], json!(2));
        // Each list is whole in its file, under the digest the outputs name.
        let file = dir
            .path()
            .join(out["files"]["unauthorized"].as_str().unwrap());
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 2);
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
        observed.add_file(&path).unwrap();
        let ledger = Ledger::default();
        let verdicts = classify(&observed, &ledger, None);
        let out = Lists::new(dir.path().join("snapshots"), "diff", dir.path())
            .diff(&observed, &ledger, &verdicts, None, &Fills::default())
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
