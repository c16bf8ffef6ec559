//! Kraken Spot wire types and the response decoder (docs/venues/kraken.md §4–§8).
//!
//! Every answer is `{"error": [...], "result": {...}}` with HTTP 200; entries of `error` starting
//! with `E` are errors (`W` ones are warnings and do not fail a call), and the first error
//! becomes a typed [`ExchangeError`] whose code is Kraken's whole string (`EAPI:Invalid key`).
//! A body that is not an envelope comes from something in front of the API (a gateway page, a
//! 429 from a proxy) and is typed by its HTTP status.
//!
//! Lists are maps keyed by Kraken's ids (`OQCLML-BW3P3-BUCMWZ` for orders, `T…` fills, `L…`
//! ledger entries) and are sorted newest first here, since JSON objects keep no order. Offset
//! lists carry their total `count`, and the next cursor is the offset after this page. Kraken's
//! `CancelAll` answers with a count only: the cancelled orders come back without ids. Asset names
//! are translated to plain coins (`XXBT` → `BTC`, see `names.rs`); times, Unix seconds with
//! decimals on the wire, become milliseconds.
//!
//! Split by subject, as an exchange adapter reads best: `errors.rs` (refusals), `keys.rs`,
//! `orders.rs` and `funds.rs` (the answers of each kind and their wire types); this file holds
//! the envelope, the dispatch on the operation and the small helpers they share. Submodules see
//! everything here (`use super::*`), so a helper is written once.

mod errors;
mod funds;
mod keys;
mod orders;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{self, TransferPhase};
use super::names;
use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, Fill, KeyInfo, Order, OrderStatus, Segment, Side,
    Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response};
use crate::secret::KeyId;
use errors::{NOT_JSON, api_error};
use funds::balances;
use keys::KrakenKeyInfo;
pub(super) use orders::CONDITIONAL;

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
struct KrakenEnvelope {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    result: Value,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: KrakenEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return NOT_JSON.decoded(response);
        }
    };
    if let Some(first) = envelope.error.iter().find(|e| e.starts_with('E')) {
        return Decoded {
            reply: Err(api_error(first)),
            server_ms: None,
            code: Some(first.clone()),
        };
    }
    decode::decoded(result(op, envelope.result), None, None)
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: KrakenTime = parse(data)?;
            Reply::ServerTime(time.unixtime.saturating_mul(1000))
        }
        Op::WhoAmI => Reply::Key(parse::<KrakenKeyInfo>(data)?.into()),
        Op::CancelAll { segment } => orders::cancel_all(segment, data)?,
        Op::CancelAfter { .. } => orders::armed(data)?,
        Op::OpenOrders { .. } => orders::open_orders(data)?,
        Op::Orders { cursor, .. } => orders::closed_orders(cursor.as_deref(), data)?,
        Op::Fills { cursor, .. } => orders::fills(cursor.as_deref(), data)?,
        Op::Balances => Reply::Balances(balances(data)?),
        Op::Withdrawals { .. } => funds::withdrawals(data)?,
        Op::Transfers { cursor, .. } => funds::transfers(cursor.as_deref(), data)?,
        Op::PlaceOrder(_) => orders::placed(data)?,
        // The answer is an `amend_id`; the order keeps its txid.
        Op::AmendOrder { order_id, .. } => Reply::Placed(order_id.clone()),
        Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::StreamToken { .. } => keys::stream_token(data)?,
        Op::SubKeys { .. }
        | Op::RestrictKey { .. }
        | Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CreateKey { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "kraken",
                op: op.name(),
            });
        }
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Kraken result", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Kraken result", field)
}

/// Unix seconds (with decimals) to milliseconds.
fn seconds_to_ms(secs: f64) -> i64 {
    (secs * 1000.0).round() as i64
}

/// A time Kraken wrote as Unix seconds (number or digits) or as RFC 3339, as RFC 3339; `None`
/// for the `0` Kraken writes for "never".
fn time_text(value: &Value) -> Option<String> {
    let secs = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().parse::<f64>().is_ok() => s.trim().parse::<f64>().ok(),
        Value::String(s) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
        _ => None,
    }?;
    (secs > 0.0).then(|| crate::clock::rfc3339_ms(seconds_to_ms(secs)))
}

/// `GET /0/public/Time`.
#[derive(Debug, Deserialize)]
struct KrakenTime {
    unixtime: i64,
}

/// Fields Kraken writes as strings that a proxy may turn into numbers.
mod flex {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A string, number or null, as a string.
    pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        Ok(text(Some(&Value::deserialize(de)?)))
    }

    /// The text of a string or number; empty for anything else.
    pub fn text(value: Option<&Value>) -> String {
        match value {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Window;
    use crate::exchanges::model::Segment;

    pub(super) use crate::exchanges::decode::answer as response;

    pub(super) fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: None,
        }
    }

    pub(super) fn window() -> Window {
        Window {
            start_ms: 0,
            end_ms: 2_000_000_000_000,
        }
    }

    #[test]
    fn key_info_balances_and_funding() {
        let body = r#"{"error":[],"result":{"apiKeyName":"grid-bot","apiKey":"AbCdEfGhIjKlMnOp","nonce":"1700000000000","nonceWindow":0,"permissions":["query-funds","query-open-trades","modify-trades"],"iban":"AA00 X","validUntil":"0","queryFrom":"0","queryTo":"0","createdTime":"1690000000","modifiedTime":"1690000000","ipAllowlist":[],"lastUsed":"1700000000"}}"#;
        let key = decode(&Op::WhoAmI, &response(200, body))
            .reply
            .unwrap()
            .into_key()
            .unwrap();
        assert_eq!(key.key.as_str(), "AbCdEfGhIjKlMnOp");
        assert!(!key.read_only && !key.can_withdraw());
        assert!(key.ips.is_empty());
        assert_eq!(key.created_at.as_deref(), Some("2023-07-22T04:26:40.000Z"));
        assert_eq!(key.expires_at, None);

        let balances = decode(
            &Op::Balances,
            &response(
                200,
                r#"{"error":[],"result":{"XXBT":{"balance":"0.5","hold_trade":"0.1"},"USDT":{"balance":"100.00","hold_trade":"0"}}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_balances()
        .unwrap();
        assert_eq!(balances[0].coin, "BTC");
        assert_eq!(balances[0].locked.as_str(), "0.1");
        assert_eq!(balances[1].total.as_str(), "100");

        let op = Op::Withdrawals {
            window: window(),
            cursor: None,
        };
        let page = decode(
            &op,
            &response(
                200,
                r#"{"error":[],"result":{"withdrawals":[{"method":"Tether USD (ERC20)","aclass":"currency","asset":"USDT","refid":"FTQcuak-V6Za8qrWnhzTx67yYHz8Tg","txid":"0xabc","info":"0xdead","amount":"20000","fee":"1","time":1700000000,"status":"Initial"}],"next_cursor":"c2"}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_transfers()
        .unwrap();
        assert_eq!(page.items[0].status, "initial");
        assert_eq!(page.items[0].to.as_deref(), Some("0xdead"));
        assert_eq!(page.next.as_deref(), Some("c2"));

        // Deposits, then the ledger's transfers.
        let deposits = Op::Transfers {
            window: window(),
            cursor: None,
        };
        let page = decode(&deposits, &response(200, r#"{"error":[],"result":[]}"#))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("l:0"));
        let ledger = Op::Transfers {
            window: window(),
            cursor: Some("l:0".into()),
        };
        let page = decode(
            &ledger,
            &response(
                200,
                r#"{"error":[],"result":{"ledger":{"LAAAAA-AAAAA-AAAAAA":{"refid":"TX1","time":1700000000.5,"type":"transfer","subtype":"spottostaking","aclass":"currency","asset":"ZUSD","amount":"-5000.0000","fee":"0","balance":"1"}},"count":1}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_transfers()
        .unwrap();
        assert_eq!(page.next, None);
        assert_eq!(page.items[0].coin, "USD");
        assert_eq!(page.items[0].amount.as_str(), "-5000");
        assert_eq!(page.items[0].status, "transfer/spottostaking (ref TX1)");
    }
}
