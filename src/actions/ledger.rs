//! The owner's ledger of known orders: what the bots placed, as JSON Lines or CSV.
//!
//! Each entry names an order by exchange order id or client order id (at least one) and may
//! carry symbol, side, qty, price and time; fields that are present are compared, absent ones
//! are not. A bad line is reported with its file and line number.

use std::path::Path;

use serde::Deserialize;

use crate::clock;
use crate::exchanges::model::{Amount, Side};

/// One order the owner knows to be theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOrder {
    /// Exchange order id.
    pub order_id: Option<String>,
    /// Client order id.
    pub client_order_id: Option<String>,
    /// Instrument.
    pub symbol: Option<String>,
    /// Side.
    pub side: Option<Side>,
    /// Quantity.
    pub qty: Option<Amount>,
    /// Limit price.
    pub price: Option<Amount>,
    /// Creation time, Unix ms.
    pub created_ms: Option<i64>,
    /// Line in the ledger, from 1.
    pub line: usize,
}

#[derive(Debug, Deserialize)]
struct RawEntry {
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    client_order_id: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    side: Option<String>,
    #[serde(default)]
    qty: Option<serde_json::Value>,
    #[serde(default)]
    price: Option<serde_json::Value>,
    #[serde(default)]
    created_at: Option<String>,
}

/// A ledger problem, with file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LedgerError {
    /// The ledger file.
    pub file: String,
    /// The line, from 1 (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads a ledger: JSON Lines, or CSV with a header row (by content, not extension).
pub fn load(path: &Path) -> Result<Vec<KnownOrder>, LedgerError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| LedgerError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read the known-orders ledger: {err}"),
    })?;
    parse(&file, &text)
}

/// Parses ledger text.
pub fn parse(file: &str, text: &str) -> Result<Vec<KnownOrder>, LedgerError> {
    let first = text.lines().find(|line| !line.trim().is_empty());
    let is_json = first.is_none_or(|line| line.trim_start().starts_with('{'));
    let err = |line: usize, message: String| LedgerError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut entries = Vec::new();
    if is_json {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let raw: RawEntry = serde_json::from_str(line)
                .map_err(|e| err(i + 1, format!("not a ledger entry: {e}")))?;
            entries.push(entry(raw, i + 1).map_err(|m| err(i + 1, m))?);
        }
    } else {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Ok(entries);
        };
        let columns: Vec<String> = split_csv(header)
            .into_iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        for (i, line) in lines {
            let cells = split_csv(line);
            let mut object = serde_json::Map::new();
            for (column, cell) in columns.iter().zip(cells) {
                let cell = cell.trim();
                if !cell.is_empty() {
                    object.insert(column.clone(), serde_json::Value::String(cell.to_owned()));
                }
            }
            let raw: RawEntry = serde_json::from_value(serde_json::Value::Object(object))
                .map_err(|e| err(i + 1, format!("not a ledger entry: {e}")))?;
            entries.push(entry(raw, i + 1).map_err(|m| err(i + 1, m))?);
        }
    }
    Ok(entries)
}

fn entry(raw: RawEntry, line: usize) -> Result<KnownOrder, String> {
    let non_empty = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let order_id = non_empty(raw.order_id);
    let client_order_id = non_empty(raw.client_order_id);
    if order_id.is_none() && client_order_id.is_none() {
        return Err("an entry needs `order_id` or `client_order_id`".to_owned());
    }
    let side = match non_empty(raw.side) {
        None => None,
        Some(text) => Some(Side::parse(&text).ok_or(format!("`{text}` is not buy or sell"))?),
    };
    let amount = |value: Option<serde_json::Value>| match value {
        Some(serde_json::Value::String(text)) if !text.trim().is_empty() => {
            Some(Amount::new(&text))
        }
        Some(serde_json::Value::Number(n)) => Some(Amount::new(&n.to_string())),
        _ => None,
    };
    let created_ms = match non_empty(raw.created_at) {
        None => None,
        Some(text) => Some(
            clock::parse_rfc3339_ms(&text)
                .or_else(|| text.parse().ok())
                .ok_or(format!(
                    "`{text}` is not an RFC 3339 time or Unix milliseconds"
                ))?,
        ),
    };
    Ok(KnownOrder {
        order_id,
        client_order_id,
        symbol: non_empty(raw.symbol),
        side,
        qty: amount(raw.qty),
        price: amount(raw.price),
        created_ms,
        line,
    })
}

/// Splits one CSV line; double quotes may enclose a cell, `""` is a quote inside one.
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_and_csv_alike() {
        let jsonl = r#"{"order_id":"1","client_order_id":"grid-1","symbol":"BTCUSDT","side":"buy","qty":"0.010","price":50000,"created_at":"2026-11-27T10:00:00.000Z"}

{"client_order_id":"grid-2"}
"#;
        let csv = "order_id,client_order_id,symbol,side,qty,price,created_at\n\
                   1,grid-1,BTCUSDT,Buy,0.01,50000,2026-11-27T10:00:00.000Z\n\
                   ,\"grid-2\",,,,,\n";
        let a = parse("a.jsonl", jsonl).unwrap();
        let b = parse("b.csv", csv).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 2);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.order_id, y.order_id);
            assert_eq!(x.client_order_id, y.client_order_id);
            assert_eq!(x.qty, y.qty);
            assert_eq!(x.price, y.price);
            assert_eq!(x.side, y.side);
            assert_eq!(x.created_ms, y.created_ms);
        }
        assert_eq!(a[0].qty.as_ref().map(Amount::as_str), Some("0.01"));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let err = parse("k.jsonl", "{\"order_id\":\"1\"}\n{\"symbol\":\"X\"}\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("k.jsonl:2: "), "{err}");
        let err = parse("k.jsonl", "{\"order_id\":\"1\",\"side\":\"long\"}\n").unwrap_err();
        assert!(err.message.contains("long"), "{err}");
    }
}
