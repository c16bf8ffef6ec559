//! Writing a diff's lists: each whole to its file under the run folder, the first
//! [`INLINE_ROWS`] into the step's outputs, with counts, file names and digests, so a diff of a
//! million orders stays out of the journal's lines and out of every later step's templates.
//! Every row carries its `verdict` and its `reasons`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::super::ledger::{Known, Ledger};
use super::super::observed::Observed;
use super::super::snapshot::JsonlWriter;
use super::super::{ActionError, Outputs};
use super::fills::Fills;
use super::verdict::{self, Rules, Verdict, Why};
use crate::clock;
use crate::exchanges::model::Order;

/// How many rows of each list the outputs (and so the journal and templates) carry; the whole
/// list is in its file, named in `files` with its `sha256`, and counted in `counts`.
pub const INLINE_ROWS: usize = 50;

/// The lists a diff reports, in the order of the shared contract.
pub(super) const LISTS: [&str; 6] = [
    "unauthorized",
    "tampered",
    "fills_only",
    "unconfirmed",
    "missing",
    "unverified",
];
const UNAUTHORIZED: usize = 0;
const TAMPERED: usize = 1;
const FILLS_ONLY: usize = 2;
const UNCONFIRMED: usize = 3;
const MISSING: usize = 4;
const UNVERIFIED: usize = 5;

/// Which ledger entries the venue should still show: in the window, and kept by the venue.
pub(super) struct Expect<'a> {
    /// The snapshots' window (exchange time, ms).
    pub window: Option<(i64, i64)>,
    /// Whether the venue keeps an entry's order (see `exchanges::retention`).
    pub kept: &'a dyn Fn(&Known<'_>, i64) -> bool,
}

/// Writes a diff's lists.
pub(super) struct Lists<'a> {
    dir: PathBuf,
    step: &'a str,
    run_dir: &'a Path,
}

/// One list being written.
struct List {
    name: &'static str,
    path: PathBuf,
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
    /// Lists written to `dir`, named after `step`, their paths given relative to `run_dir`.
    pub(super) fn new<'a>(dir: PathBuf, step: &'a str, run_dir: &'a Path) -> Lists<'a> {
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
    pub(super) fn diff(
        &self,
        observed: &Observed,
        known: &Ledger,
        verdicts: &[Verdict],
        rules: &Rules<'_>,
        expect: &Expect<'_>,
        fills: &Fills,
    ) -> Result<Outputs, ActionError> {
        let mut lists = self.open()?;
        let mut reader = observed.reader();
        let mut unauthorized = Vec::new();
        let mut tampered = Vec::new();
        let mut unconfirmed = Vec::new();
        let mut seen = vec![false; known.len()];
        let mut matched = 0usize;
        for (i, verdict) in verdicts.iter().enumerate() {
            match *verdict {
                Verdict::Owner { entry } => {
                    matched += 1;
                    seen[entry as usize] = true;
                }
                Verdict::Tampered { entry, fields } => {
                    matched += 1;
                    seen[entry as usize] = true;
                    tampered.push((i, entry, fields));
                }
                Verdict::Unconfirmed => unconfirmed.push(i),
                Verdict::Unauthorized(why) => unauthorized.push((i, why)),
            }
        }
        let id = |i: usize| observed.get(i).order_id;
        let by_time = |a: &usize, b: &usize| {
            (observed.get(*a).created_ms, id(*a)).cmp(&(observed.get(*b).created_ms, id(*b)))
        };
        unauthorized.sort_by(|a, b| by_time(&a.0, &b.0));
        unconfirmed.sort_by(by_time);
        tampered.sort_by(|a, b| id(a.0).cmp(id(b.0)));
        for (i, why) in unauthorized {
            let o = observed.get(i);
            let mut reasons = vec!["not in the owner's ledger".to_owned()];
            match why {
                Why::Unknown => {}
                Why::Taken { by } => reasons.push(format!(
                    "client id already matched order {}",
                    observed.get(by as usize).order_id
                )),
                Why::IdTaken { by } => reasons.push(format!(
                    "its ledger line names no market and already matched order {} of {}",
                    observed.get(by as usize).order_id,
                    observed.get(by as usize).symbol
                )),
                Why::OtherOrder { entry } => reasons.push(format!(
                    "the ledger gives its client id to order {} (line {})",
                    known.get(entry as usize).order_id.unwrap_or("–"),
                    known.get(entry as usize).line
                )),
            }
            if rules.has_prefix(&o) {
                reasons.push("uses the bot's prefix".to_owned());
            }
            let row = verdict_row(order_row(&reader.order(i)?), "unauthorized", reasons);
            lists[UNAUTHORIZED].push(row)?;
        }
        for (i, entry, fields) in tampered {
            let k = known.get(entry as usize);
            let mut reasons = verdict::tampered_reasons(&k, &observed.get(i), fields);
            reasons.push(format!("the ledger's last line for it is line {}", k.line));
            let row = verdict_row(order_row(&reader.order(i)?), "tampered", reasons);
            lists[TAMPERED].push(row)?;
        }
        for row in fills.only_rows() {
            lists[FILLS_ONLY].push(row)?;
        }
        for i in unconfirmed {
            let o = observed.get(i);
            let ago = rules
                .until_ms
                .map_or(0, |until| (until - o.created_ms).max(0));
            let kind = if rules.has_prefix(&o) {
                "it has the bot's client prefix"
            } else {
                "it trades a market the ledger trades, with a client id like the ledger's"
            };
            let reasons = vec![
                format!(
                    "not in the owner's ledger yet: created {:.1} s before the snapshot was taken, inside the ledger lag of {:.1} s",
                    ago as f64 / 1000.0,
                    rules.lag_ms as f64 / 1000.0
                ),
                format!("{kind}; check it with the bot before calling it the owner's"),
            ];
            let row = verdict_row(order_row(&reader.order(i)?), "owner_unconfirmed", reasons);
            lists[UNCONFIRMED].push(row)?;
        }
        if let Some((since, until)) = expect.window {
            for (k, _) in known.iter().zip(&seen).filter(|(k, seen)| {
                !**seen
                    && k.created_ms.is_some_and(|t| t >= since && t <= until)
                    && (expect.kept)(k, until)
            }) {
                lists[MISSING].push(missing_row(&k))?;
            }
        }
        let mut out = self.close(lists)?;
        out.insert("matched".into(), json!(matched));
        out.insert("unauthorized_fills".into(), json!(fills.count));
        // Rounded to 8 places for people (the fills themselves are in the snapshot), and written
        // as a JSON number: the float nearest the rounded decimal.
        let notional: BTreeMap<&str, f64> = fills
            .notional
            .iter()
            .map(|(symbol, value)| {
                let rounded = value.round_dp(8).normalize().to_string();
                (symbol.as_str(), rounded.parse().unwrap_or(0.0))
            })
            .collect();
        out.insert("unauthorized_notional".into(), json!(notional));
        Ok(out)
    }

    /// The diff's outputs when there is no usable ledger: nothing can be called the owner's or
    /// not, so every observed order is unverified, and the step says why (`incomplete`: the run
    /// ends 1).
    pub(super) fn unverified(
        &self,
        observed: &Observed,
        problem: &ActionError,
    ) -> Result<Outputs, ActionError> {
        let mut lists = self.open()?;
        let mut reader = observed.reader();
        let mut all: Vec<usize> = (0..observed.len()).collect();
        all.sort_by(|&a, &b| observed.get(a).order_id.cmp(observed.get(b).order_id));
        for i in all {
            let row = verdict_row(
                order_row(&reader.order(i)?),
                "unverified",
                vec!["no usable ledger to check it against".to_owned()],
            );
            lists[UNVERIFIED].push(row)?;
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

/// A row with its verdict and reasons first.
fn verdict_row(fields: Value, verdict: &str, reasons: Vec<String>) -> Value {
    let mut row = Map::new();
    row.insert("verdict".into(), json!(verdict));
    row.insert("reasons".into(), json!(reasons));
    if let Value::Object(fields) = fields {
        row.extend(fields);
    }
    Value::Object(row)
}

/// A ledger entry the venue does not show.
fn missing_row(k: &Known<'_>) -> Value {
    verdict_row(
        json!({
            "order_id": k.order_id,
            "client_order_id": k.client_order_id,
            "category": k.category.map(|c| c.as_str()),
            "symbol": k.symbol,
            "side": k.side,
            "qty": k.qty,
            "price": k.price,
            "status": k.status.map(verdict::status_name),
            "created_at": k.created_ms.map(clock::rfc3339_ms),
            "ledger_line": k.line,
        }),
        "missing",
        {
            let mut reasons = vec![format!(
                "in the ledger (line {}) but not at the venue, inside the snapshots' window and within what the venue keeps",
                k.line
            )];
            if k.status.is_some_and(|s| s.is_open()) {
                reasons.push(
                    "the ledger last saw it open: if the owner did not cancel it, someone else may have (a venue that reads its history per market may also not have walked this one)"
                        .to_owned(),
                );
            }
            reasons
        },
    )
}

/// An observed order as a row.
pub(super) fn order_row(order: &Order) -> Value {
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
        "updated_at": clock::rfc3339_ms(order.updated_ms),
    })
}
