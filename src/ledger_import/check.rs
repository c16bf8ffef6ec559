//! `lockdown ledger check`: read a ledger the way a response will, and say what it holds.
//!
//! The file is read with the diff's own reader (`actions::ledger::Ledger::load`), so a ledger
//! that passes here is one the response can use; then the contract's newer fields that reader
//! may not look at (`category`, `status`, `filled_qty`, `updated_at`) are checked line by line.
//! The first problem is reported with its file, line and field; the counts tell whether the
//! ledger holds what the owner expects (how many orders, which states, which markets, the
//! newest order's time: a ledger that stopped being written shows here).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use super::error::{At, Bad, ImportError, Place};
use super::number::{self, Comma};
use super::when;
use crate::actions::ledger::Ledger;
use crate::actions::ledger_csv::Rows;
use crate::exchanges::model::Category;

/// What a ledger holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Lines with an entry.
    pub lines: usize,
    /// Distinct orders, as the diff reads them (several lines may be one order: the last is its
    /// state).
    pub orders: usize,
    /// Lines that name an order id.
    pub with_order_id: usize,
    /// Lines that name only a client order id.
    pub client_id_only: usize,
    /// Lines by status (`none`: no status).
    pub statuses: BTreeMap<String, usize>,
    /// Lines by category (`none`: no category).
    pub categories: BTreeMap<String, usize>,
    /// Lines by symbol.
    pub symbols: BTreeMap<String, usize>,
    /// The oldest and newest creation times, Unix ms.
    pub created: Option<(i64, i64)>,
}

/// The statuses a ledger line may carry (as `OrderStatus` serializes).
const STATUSES: &[&str] = &[
    "open",
    "partially_filled",
    "filled",
    "cancelled",
    "rejected",
    "untriggered",
];

/// Reads and checks the ledger at `path`.
pub fn check(path: &Path) -> Result<Summary, ImportError> {
    let file = path.display().to_string();
    let ledger = Ledger::load(path).map_err(|e| ImportError {
        file: e.file.clone(),
        at: if e.line == 0 {
            At::File
        } else {
            At::Line(e.line)
        },
        column: None,
        message: e.message.clone(),
        hint: "fix that line (or import the bot's orders again with `lockdown ledger import`)"
            .to_owned(),
    })?;
    // The reader merges the lines of one order into its last state: an entry is an order.
    let mut summary = Summary {
        orders: ledger.len(),
        ..Summary::default()
    };
    for k in ledger.iter() {
        if let Some(ms) = k.created_ms {
            summary.created = Some(match summary.created {
                None => (ms, ms),
                Some((lo, hi)) => (lo.min(ms), hi.max(ms)),
            });
        }
    }
    let reader = std::fs::File::open(path)
        .map_err(|e| ImportError::file(&file, format!("cannot read: {e}"), "check the path"))?;
    newer_fields(&file, std::io::BufReader::new(reader), &mut summary)?;
    Ok(summary)
}

/// Checks `category`, `status`, `filled_qty` and `updated_at` on every line, counting the
/// first two.
fn newer_fields(
    file: &str,
    mut reader: impl BufRead,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let cannot_read =
        |e: std::io::Error| ImportError::file(file, format!("cannot read: {e}"), "check the file");
    let mut header: Option<Vec<String>> = None;
    let mut json: Option<bool> = None;
    // CSV rows are read as the diff's reader reads them: quoting by the `csv` crate's parser, a
    // row placed on the line it starts on.
    let mut rows = Rows::new();
    let mut buf = String::new();
    let mut number = 0;
    loop {
        buf.clear();
        let ended = reader.read_line(&mut buf).map_err(cannot_read)? == 0;
        if !ended {
            number += 1;
        }
        let line = buf.trim_end_matches(['\n', '\r']);
        // A byte-order mark (spreadsheets write one) is no part of the first line.
        let line = if number == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        if json.is_none() && (ended || line.trim().is_empty()) {
            if ended {
                return Ok(());
            }
            continue;
        }
        let is_json = *json.get_or_insert_with(|| line.trim_start().starts_with('{'));
        let (at, fields): (usize, Vec<(String, Value)>) = if is_json {
            if ended {
                return Ok(());
            }
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(map)) => (number, map.into_iter().collect()),
                _ => continue,
            }
        } else {
            let row = if ended {
                rows.finish()
            } else {
                rows.feed(number, &buf)
            };
            match (row, &header) {
                (None, _) if ended => return Ok(()),
                (None, _) => continue,
                // After the last row the next call ends the loop (nothing is left to finish).
                (Some(row), None) => {
                    header = Some(row.cells().map(|c| c.trim().to_ascii_lowercase()).collect());
                    continue;
                }
                (Some(row), Some(_)) if row.is_blank() => continue,
                (Some(row), Some(h)) => (
                    row.line,
                    h.iter()
                        .cloned()
                        .zip(row.cells().map(|c| Value::String(c.to_owned())))
                        .collect(),
                ),
            }
        };
        let place = Place {
            file: file.to_owned(),
            at: At::Line(at),
        };
        summary.lines += 1;
        let mut status = "none".to_owned();
        let mut category = "none".to_owned();
        let (mut order_id, mut client_id) = (false, false);
        for (name, value) in fields {
            let text = match &value {
                Value::String(s) if s.trim().is_empty() => continue,
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                other => other.to_string(),
            };
            let bad = |b: Bad| place.error(Some(&format!("`{name}`")), b);
            match name.as_str() {
                "category" => {
                    Category::parse(&text).ok_or_else(|| {
                        bad(Bad::new(
                            format!("`{text}` is not a category"),
                            "write spot, linear, inverse or option",
                        ))
                    })?;
                    category = text.to_ascii_lowercase();
                }
                "status" => {
                    if !STATUSES.contains(&text.as_str()) {
                        return Err(bad(Bad::new(
                            format!("`{text}` is not a ledger status"),
                            format!("write one of {}", STATUSES.join(", ")),
                        )));
                    }
                    status = text;
                }
                "filled_qty" => {
                    number::decimal(&text, Comma::Refused).map_err(bad)?;
                }
                "updated_at" => {
                    when::parse(&text).map_err(bad)?;
                }
                "order_id" => order_id = true,
                "client_order_id" => client_id = true,
                "symbol" => *summary.symbols.entry(text).or_default() += 1,
                _ => {}
            }
        }
        if order_id {
            summary.with_order_id += 1;
        } else if client_id {
            summary.client_id_only += 1;
        }
        *summary.statuses.entry(status).or_default() += 1;
        *summary.categories.entry(category).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_is_counted_and_its_first_problem_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"order_id":"1","symbol":"BTCUSDT","category":"spot","status":"open","created_at":"2026-11-27T10:00:00Z"}"#,
                "\n",
                r#"{"order_id":"1","symbol":"BTCUSDT","category":"spot","status":"filled","filled_qty":"0.01","updated_at":"2026-11-27T10:01:00Z"}"#,
                "\n",
                r#"{"client_order_id":"grid-2","created_at":"2026-11-27T11:00:00Z"}"#,
                "\n"
            ),
        )
        .unwrap();
        let s = check(&path).unwrap();
        assert_eq!(
            (s.lines, s.orders, s.with_order_id, s.client_id_only),
            (3, 2, 2, 1)
        );
        assert_eq!(s.statuses.get("filled"), Some(&1));
        assert_eq!(s.statuses.get("none"), Some(&1));
        assert_eq!(s.categories.get("spot"), Some(&2));
        assert_eq!(s.created, Some((1_795_773_600_000, 1_795_777_200_000)));

        std::fs::write(
            &path,
            "{\"order_id\":\"1\"}\n{\"order_id\":\"2\",\"status\":\"done\"}\n",
        )
        .unwrap();
        // The diff's own reader checks statuses too, and names the line and the value.
        let err = check(&path).unwrap_err();
        assert_eq!(err.at, At::Line(2));
        assert!(err.message.contains("done"), "{err:?}");

        // The diff's own reader speaks first: a line without an id.
        std::fs::write(&path, "{\"order_id\":\"1\"}\n{\"symbol\":\"X\"}\n").unwrap();
        let err = check(&path).unwrap_err();
        assert_eq!(err.at, At::Line(2));

        let csv = dir.path().join("known.csv");
        std::fs::write(&csv, "order_id,status\n1,open\n2,sideways\n").unwrap();
        let err = check(&csv).unwrap_err();
        assert_eq!(err.at, At::Line(3));
        assert!(err.message.contains("sideways"), "{err:?}");
    }
}
