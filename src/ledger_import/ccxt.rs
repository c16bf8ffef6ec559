//! CCXT's unified orders as JSON: what `fetchOrders`, `fetchOpenOrders` or `fetchClosedOrders`
//! return, saved as one array or as JSON Lines (one order a line).
//!
//! The order structure is CCXT's (Manual, "Order structure"): `id`, `clientOrderId`,
//! `timestamp` (Unix ms) or `datetime` (ISO 8601), `lastUpdateTimestamp`,
//! `lastTradeTimestamp`, `symbol` (unified: `BTC/USDT`, `BTC/USDT:USDT`), `type`, `side`,
//! `price`, `amount`, `filled`, `status` (`open`, `closed`, `canceled`, `expired`,
//! `rejected`) and `info`, the venue's own answer. The venue's own symbol is taken from `info`
//! when it is there (Bybit and Binance `symbol`, OKX `instId`, Deribit `instrument_name`,
//! Kraken `descr.pair`), so no mapping rule is needed for it. Numbers may be JSON numbers or
//! strings. An error names the line the order starts on and the field.

use serde_json::Value;

use super::draft::{Cell, Draft};
use super::error::{At, Bad, ImportError, Place};
use super::symbol::Kind;
use crate::exchanges::model::Category;
use crate::venues::ExchangeId;

/// Reads every order of `text` (an array or JSON Lines), handing each draft to `each`.
pub fn read(
    file: &str,
    text: &str,
    venue: Option<ExchangeId>,
    each: &mut dyn FnMut(Result<Draft, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.trim_start();
    if start.starts_with('[') {
        // Parsed whole first, so a syntax error names its own line and column.
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(syntax(file, &e, 0));
        }
        for (line, slice) in elements(text) {
            let value: Value =
                serde_json::from_str(slice).map_err(|e| syntax(file, &e, line - 1))?;
            each(draft(file, line, &value, venue))?;
        }
        return Ok(());
    }
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value = match serde_json::from_str::<Value>(line) {
            Ok(value) => Ok(value),
            Err(e) => Err(syntax(file, &e, i)),
        };
        each(value.and_then(|v| draft(file, number, &v, venue)))?;
    }
    Ok(())
}

/// A JSON syntax error at its line (`lines_before` lines into the file) and column.
fn syntax(file: &str, e: &serde_json::Error, lines_before: usize) -> ImportError {
    ImportError {
        file: file.to_owned(),
        at: At::Line(e.line() + lines_before),
        column: Some(format!("{}", e.column())),
        message: format!("not JSON: {e}"),
        hint: "give CCXT's orders as one JSON array (`json.dump(orders, f)`) or as JSON Lines, \
               one order object a line"
            .to_owned(),
    }
}

/// The top-level elements of a JSON array, each with the line it starts on (from 1).
fn elements(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut line = 1;
    let mut start: Option<(usize, usize)> = None;
    for (at, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                if depth == 1 && start.is_none() {
                    start = Some((at, line));
                }
                depth += 1;
                continue;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if let Some((from, l)) = start.take() {
                        out.push((l, text[from..at].trim()));
                    }
                    break;
                }
                continue;
            }
            b',' if depth == 1 => {
                if let Some((from, l)) = start.take() {
                    out.push((l, text[from..at].trim()));
                }
                continue;
            }
            _ => {}
        }
        if depth == 1 && start.is_none() && !byte.is_ascii_whitespace() {
            start = Some((at, line));
        }
    }
    out
}

/// One unified order as a draft.
fn draft(
    file: &str,
    line: usize,
    value: &Value,
    venue: Option<ExchangeId>,
) -> Result<Draft, ImportError> {
    let place = Place {
        file: file.to_owned(),
        at: At::Line(line),
    };
    let Some(order) = value.as_object() else {
        return Err(place.error(
            None,
            Bad::new(
                "not an order object",
                "each element (or line) must be one of CCXT's order objects",
            ),
        ));
    };
    let field = |name: &str| -> Option<Cell> {
        let column = format!("`{name}`");
        match order.get(name)? {
            Value::String(s) => Cell::some(s.clone(), column),
            Value::Number(n) => Some(Cell::new(n.to_string(), column)),
            Value::Bool(b) => Some(Cell::new(b.to_string(), column)),
            _ => None,
        }
    };
    let mut d = Draft::at(place);
    d.order_id = field("id");
    d.client_order_id = field("clientOrderId");
    d.symbol = field("symbol");
    d.side = field("side");
    d.qty = field("amount");
    d.price = field("price");
    d.filled_qty = field("filled");
    d.status = field("status");
    d.created_at = field("timestamp").or_else(|| field("datetime"));
    d.updated_at = field("lastUpdateTimestamp").or_else(|| field("lastTradeTimestamp"));
    d.market_order = field("type").is_some_and(|t| t.text.eq_ignore_ascii_case("market"));
    if let Some(info) = order.get("info").and_then(Value::as_object) {
        d.raw_symbol = raw_symbol(info, venue);
        if d.symbol.is_none() {
            d.kind = info_kind(info);
        }
    }
    Ok(d)
}

/// The venue's own symbol in a CCXT order's `info`: the key `venue` uses, or without a venue
/// the first of them present.
fn raw_symbol(info: &serde_json::Map<String, Value>, venue: Option<ExchangeId>) -> Option<Cell> {
    // Without a venue: every venue's keys, the plain `symbol` (which several share) last.
    let keys: Vec<&str> = match venue {
        Some(venue) => venue.facts().ccxt_symbol.to_vec(),
        None => {
            let mut keys: Vec<&str> = Vec::new();
            for key in ExchangeId::ALL.iter().flat_map(|v| v.facts().ccxt_symbol) {
                if !keys.contains(key) {
                    keys.push(key);
                }
            }
            keys.sort_by_key(|key| *key == "symbol");
            keys
        }
    };
    keys.iter().find_map(|key| {
        let value = match key.split_once('.') {
            Some((outer, inner)) => info.get(outer)?.get(inner)?,
            None => info.get(*key)?,
        };
        value
            .as_str()
            .and_then(|s| Cell::some(s, format!("`info.{key}`")))
    })
}

/// The family an order's `info` states (OKX `instType`, Deribit `kind`), when the order has no
/// unified symbol to tell it.
fn info_kind(info: &serde_json::Map<String, Value>) -> Option<Kind> {
    let word = info
        .get("instType")
        .or_else(|| info.get("kind"))
        .or_else(|| info.get("category"))?
        .as_str()?
        .to_ascii_lowercase();
    match word.as_str() {
        "spot" | "margin" => Some(Kind::Exact(Category::Spot)),
        "linear" => Some(Kind::Exact(Category::Linear)),
        "inverse" => Some(Kind::Exact(Category::Inverse)),
        "option" => Some(Kind::Exact(Category::Option)),
        "swap" | "futures" | "future" => Some(Kind::Derivative),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_elements_know_their_lines() {
        let text =
            "[\n  {\"id\": \"1\", \"s\": \"a,]}\"},\n  {\"id\": \"2\",\n   \"x\": [1, 2]}\n]\n";
        let found = elements(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0], (2, "{\"id\": \"1\", \"s\": \"a,]}\"}"));
        assert_eq!(found[1].0, 3);
        assert!(found[1].1.ends_with("[1, 2]}"));
        assert!(elements("[]").is_empty());
    }
}

#[cfg(test)]
mod import_tests {
    use crate::ledger_import::draft::Rules;
    use crate::ledger_import::error::At;
    use crate::ledger_import::number::Comma;
    use crate::ledger_import::symbol::Style;
    use crate::ledger_import::{Format, OnBad, Src, TextOptions, import};
    use crate::venues::ExchangeId;

    /// CCXT `fetchOrders` output from Bybit, in the shape of CCXT's Manual (Order structure).
    const BYBIT: &str = include_str!("../../tests/fixtures/ledger_import/ccxt-bybit-orders.json");

    fn run(
        text: &str,
        venue: Option<ExchangeId>,
    ) -> Result<crate::ledger_import::Imported, crate::ledger_import::ImportError> {
        let rules = Rules {
            venue,
            category: None,
            comma: Comma::Refused,
            style: Style::Raw,
        };
        import(
            Format::Ccxt,
            Src::Text(text),
            "orders.json",
            &rules,
            &TextOptions::default(),
            OnBad::Stop,
        )
    }

    #[test]
    fn ccxt_orders_become_ledger_lines_array_or_json_lines() {
        let want = [
            r#"{"order_id":"1321003749386327552","client_order_id":"grid-ao30rmkztn","category":"spot","symbol":"BTCUSDT","side":"buy","qty":"0.01","price":"63000","filled_qty":"0","status":"open","created_at":"2025-11-27T10:00:00.123Z","updated_at":"2025-11-27T10:00:00.123Z"}"#,
            r#"{"order_id":"1321003749386327553","client_order_id":"grid-keolrvg6cg","category":"linear","symbol":"ETHUSDT","side":"sell","qty":"0.0075","price":"3000.5","filled_qty":"0.0075","status":"filled","created_at":"2025-11-27T11:00:00.000Z","updated_at":"2025-11-27T11:01:00.000Z"}"#,
            r#"{"order_id":"1321003749386327554","category":"spot","symbol":"BTCUSDT","side":"buy","qty":"0.02","filled_qty":"0","status":"cancelled","created_at":"2025-11-27T12:00:00.000Z"}"#,
            r#"{"order_id":"1321003749386327555","client_order_id":"grid-x","category":"inverse","symbol":"BTCUSD","side":"sell","qty":"100","price":"65000","filled_qty":"40","status":"cancelled","created_at":"2025-11-27T13:00:00.000Z"}"#,
        ];
        let imported = run(BYBIT, Some(ExchangeId::Bybit)).unwrap();
        let got: Vec<String> = imported.lines().map(str::to_owned).collect();
        assert_eq!(got, want);
        // The same orders as JSON Lines.
        let value: Vec<serde_json::Value> = serde_json::from_str(BYBIT).unwrap();
        let jsonl: String = value.iter().map(|v| format!("{v}\n")).collect();
        let imported = run(&jsonl, Some(ExchangeId::Bybit)).unwrap();
        let got: Vec<String> = imported.lines().map(str::to_owned).collect();
        assert_eq!(got, want);
        crate::actions::ledger::Ledger::parse("x", &imported.text).unwrap();
    }

    #[test]
    fn bad_orders_name_their_line_and_field() {
        // Without a venue the third order (its object starts on line 59) cannot be named: the
        // first two carry Bybit's own symbol in `info`, it has only its unified one.
        let err = run(BYBIT, None).unwrap_err();
        assert_eq!(err.at, At::Line(59));
        assert_eq!(err.column.as_deref(), Some("`symbol`"));
        assert!(err.hint.contains("--venue"), "{err:?}");
        let spoiled = BYBIT.replace("\"amount\": \"7.5e-3\"", "\"amount\": \"lots\"");
        let err = run(&spoiled, Some(ExchangeId::Bybit)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "orders.json:38: column `amount`: `lots` is not a decimal number"
        );
        let err = run("{\"id\":\"1\"}\n{\"id\": 2,\n", Some(ExchangeId::Bybit)).unwrap_err();
        assert_eq!(err.at, At::Line(2));
        assert!(err.message.starts_with("not JSON"), "{err:?}");
    }
}
