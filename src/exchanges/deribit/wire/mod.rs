//! Deribit wire types and the response decoder (docs/venues/deribit.md §4–§8).
//!
//! Every answer is a JSON-RPC 2.0 envelope, `{jsonrpc, id, result | error, usIn, usOut, usDiff,
//! testnet}`; an `error` object becomes a typed [`ExchangeError`] (table in [`api_error`]), and a
//! "TFA required" method that answers `security_key_authorization_required` with a `challenge`
//! becomes [`ExchangeError::TfaRequired`]. Amounts are JSON numbers on the wire; they become
//! decimal strings here. The HTTP status of an error is not documented (docs/venues/deribit.md §8),
//! so the decoder reads the body whatever the status and falls back on the status only when there
//! is no envelope.
//!
//! Split by subject, as an exchange adapter reads best: `errors.rs` (refusals), `keys.rs`,
//! `orders.rs` and `funds.rs` (the answers of each kind and their wire types); this file holds
//! the envelope, the dispatch on the operation and the small helpers they share. Submodules see
//! everything here (`use super::*`), so a helper is written once.

mod errors;
mod funds;
mod keys;
mod orders;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{Tier, Walk};
use super::endpoints::{self, LOG_PAGE, ORDER_PAGE, TRANSFER_SOURCES};
use crate::exchanges::decode::{self, non_empty, text_of};
use crate::exchanges::model::{
    AccessEvent, Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order,
    OrderStatus, Segment, Side, Transfer, TransferKind,
};
use crate::exchanges::{
    Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive, Session, Window,
};
use crate::secret::{KeyId, SecretString};
use errors::{DeribitError, NOT_JSON, api_error, challenge};
use keys::DeribitToken;
pub use keys::{DeribitApiKey, key_list};
use orders::cancelled;
pub(in crate::exchanges::deribit) use orders::pushed;

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeribitEnvelope {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<DeribitError>,
    /// When the answer left the exchange, µs.
    #[serde(default)]
    us_out: Option<i64>,
}

/// Decodes an answer to `op`, with no segments listed for the run.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    decode_known(op, response, &[])
}

/// Decodes an answer to `op` made with the run's listed segments `known` (the money walks go on
/// through their currencies, [`Walk`]).
pub fn decode_known(op: &Op, response: &Response, known: &[Segment]) -> Decoded {
    let envelope: DeribitEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return NOT_JSON.decoded(response);
        }
    };
    let server_ms = envelope.us_out.map(|us| us / 1000);
    if let Some(error) = envelope.error {
        return Decoded {
            code: Some(error.code.to_string()),
            reply: Err(api_error(&error)),
            server_ms,
        };
    }
    let result = envelope.result.unwrap_or(Value::Null);
    Decoded {
        reply: challenge(&result).map_or_else(|| result_of(op, result, known), Err),
        server_ms,
        code: None,
    }
}

/// Reads the answer to `public/auth` or `public/exchange_token`.
pub fn decode_login(response: &Response) -> Result<Session, ExchangeError> {
    let envelope: DeribitEnvelope =
        serde_json::from_slice(&response.body).map_err(|_| NOT_JSON.error(response))?;
    if let Some(error) = envelope.error {
        return Err(api_error(&error));
    }
    let token: DeribitToken = parse(envelope.result.unwrap_or(Value::Null))?;
    let now_ms = envelope
        .us_out
        .map_or_else(|| chrono::Utc::now().timestamp_millis(), |us| us / 1000);
    Ok(Session {
        token: SecretString::from(token.access_token.into_string()),
        expires_ms: now_ms.saturating_add(token.expires_in.saturating_mul(1000)),
        refresh: token
            .refresh_token
            .map(|t| SecretString::from(t.into_string())),
    })
}

fn result_of(op: &Op, result: Value, known: &[Segment]) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Reply::ServerTime(result.as_i64().ok_or_else(|| protocol("time"))?),
        Op::WhoAmI => keys::who_am_i(result)?,
        Op::SubKeys { account, .. } => keys::sub_keys(account, result)?,
        Op::RestrictKey { key, account, .. } => {
            let edited = parse::<DeribitApiKey>(result)?;
            // A number the profile gave (`listed:`) may be wrong: the answer must be this key.
            if edited.client_id != key.as_str() {
                return Err(keys::edited_another_key(key, &edited));
            }
            Reply::Key(edited.into_info(account.clone()))
        }
        Op::RevokeKey(_) | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CreateKey { account, .. } => keys::created(account, result)?,
        Op::CancelAll { segment } => Reply::Cancelled(cancelled(&result, segment)),
        Op::CancelBatch { .. }
        | Op::CancelAfter { .. }
        | Op::FreezeAccount { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: op.name(),
            });
        }
        Op::OpenOrders { .. } => orders::open_orders(result)?,
        Op::Orders { window, cursor, .. } if Tier::parse(cursor.as_deref()).trigger => {
            orders::trigger_history(window, cursor.as_deref(), result)?
        }
        Op::Orders { window, cursor, .. } => orders::orders(window, cursor.as_deref(), result)?,
        Op::Fills { cursor, .. } => orders::fills(cursor.as_deref(), result)?,
        Op::Balances => funds::balances(result)?,
        Op::Withdrawals { window, cursor } => {
            funds::withdrawals(window, cursor.as_deref(), known, result)?
        }
        Op::Transfers { window, cursor } => {
            funds::transfers(window, cursor.as_deref(), known, result)?
        }
        Op::PlaceOrder(_) | Op::AmendOrder { .. } => Reply::Placed(
            result
                .get("order")
                .and_then(|o| o.get("order_id"))
                .and_then(Value::as_str)
                .ok_or_else(|| protocol("order.order_id"))?
                .to_owned(),
        ),
        // A single wallet: nothing else to read.
        Op::WalletBalances { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: op.name(),
            });
        }
        Op::Segments { category, .. } => currencies(*category, result)?,
        Op::AccessLog { cursor } => keys::access_log(cursor.as_deref(), result)?,
    })
}

/// One currency of `public/get_currencies` (docs/venues/deribit.md §6); the other fields (fees,
/// confirmations, precision) are not needed.
#[derive(Debug, Deserialize)]
struct DeribitCurrency {
    currency: String,
}

/// Every currency listed, as segments of `category` (one page); a currency a fixed segment
/// already covers is left out, whatever its category, so no currency is listed twice.
fn currencies(category: Category, result: Value) -> Result<Reply, ExchangeError> {
    let listed: Vec<DeribitCurrency> = parse(result)?;
    let fixed = super::SEGMENTS;
    let mut items: Vec<Segment> = Vec::new();
    for entry in listed {
        let name = entry.currency.trim().to_ascii_uppercase();
        if fixed.iter().any(|s| s.settle == Some(name.as_str())) {
            continue;
        }
        let segment =
            Segment::discovered(category, &name).ok_or_else(|| protocol("result[].currency"))?;
        if !items.contains(&segment) {
            items.push(segment);
        }
    }
    Ok(Reply::Segments(Page { items, next: None }))
}

fn within(window: &Window, at_ms: i64) -> bool {
    (window.start_ms..=window.end_ms).contains(&at_ms)
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Deribit result", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Deribit result", field)
}

/// A number (or numeric string) as a decimal amount.
fn amount(value: &Value) -> Amount {
    Amount::new(&text_of(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Window;

    pub(super) fn response(body: &str) -> Response {
        Response {
            status: 400,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    pub(super) fn error(code: i64, message: &str, data: &str) -> ExchangeError {
        let body = format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":{code},"message":"{message}","data":{data}}},"usIn":1,"usOut":2,"usDiff":1,"testnet":false}}"#
        );
        decode(&Op::Balances, &response(&body)).reply.unwrap_err()
    }

    #[test]
    fn a_lock_answered_for_another_key_is_an_error_naming_the_wrong_number() {
        let lock = |key: &str| Op::RestrictKey {
            key: KeyId::new(key),
            account: Some("1000002".into()),
            lock: crate::exchanges::model::Lock {
                ips: crate::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: crate::exchanges::model::Access::Unchanged,
            },
        };
        let mut answer = response(
            r#"{"jsonrpc":"2.0","id":1,"result":{"id":8,"client_id":"OTHERKEY","timestamp":1,"client_secret":"x","max_scope":"account:read","default":false,"enabled":true,"ip_whitelist":["127.0.0.1"]},"usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#,
        );
        answer.status = 200;
        let err = decode(&lock("BOTKEY01"), &answer).reply.unwrap_err();
        assert_eq!(err.code(), Some("listed_mismatch"));
        let text = err.to_string();
        assert!(
            text.contains("id 8") && text.contains("`listed:`"),
            "{text}"
        );
        assert!(
            !text.contains("OTHERKEY") && !text.contains("BOTKEY01"),
            "{text}"
        );
        assert!(decode(&lock("OTHERKEY"), &answer).reply.is_ok());
    }

    #[test]
    fn names_file_orders_by_family_combos_included() {
        for (name, category) in [
            ("BTC_USDC", Category::Spot),
            ("BTC_USDC-PERPETUAL", Category::Linear),
            ("BTC-PERPETUAL", Category::Inverse),
            ("BTC-27DEC24", Category::Inverse),
            ("BTC-27DEC24-100000-C", Category::Option),
            ("BTC-FS-29APR22_PERP", Category::Inverse),
            ("BTC-CS-8NOV24-70000_72000", Category::Option),
        ] {
            assert_eq!(orders::category_of(name), category, "{name}");
        }
    }

    #[test]
    fn every_listed_currency_not_fixed_becomes_a_segment() {
        let body = r#"{"jsonrpc":"2.0","result":[{"currency":"BTC","coin_type":"BITCOIN"},{"currency":"USDE"},{"currency":"sol"},{"currency":"USDE"}],"usOut":1}"#;
        let op = Op::Segments {
            category: Category::Linear,
            cursor: None,
        };
        let page = decode(&op, &response(body))
            .reply
            .unwrap()
            .into_segments()
            .unwrap();
        let names: Vec<String> = page.items.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["linear/USDE", "linear/SOL"]);
        assert!(page.next.is_none());
        let bad = r#"{"jsonrpc":"2.0","result":[{"currency":"not a coin"}]}"#;
        assert!(decode(&op, &response(bad)).reply.is_err());
    }

    #[test]
    fn reads_keys_orders_and_trades() {
        let body = r#"{"jsonrpc":"2.0","result":[{"id":3,"client_id":"BOTKEY01","max_scope":"account:read trade:read_write wallet:read_write","enabled":false,"name":"bot","ip_whitelist":["127.0.0.1"],"timestamp":1700000000000}],"usOut":1}"#;
        let op = Op::SubKeys {
            account: "1000002".into(),
            cursor: None,
        };
        let keys = decode(&op, &response(body))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        let key = &keys.items[0];
        assert_eq!(key.key.as_str(), "BOTKEY01");
        assert_eq!(key.account.as_deref(), Some("1000002"));
        assert!(key.can_withdraw());
        assert!(key.permissions.contains(&"disabled".to_owned()));
        assert_eq!(key.ips, ["127.0.0.1"]);

        let body = r#"{"jsonrpc":"2.0","result":[{"order_id":"USDT-12","label":"grid-1","instrument_name":"BTC_USDT","direction":"buy","order_type":"limit","amount":0.01,"price":63000.0,"filled_amount":0.0,"average_price":0.0,"order_state":"open","creation_timestamp":5,"last_update_timestamp":6}]}"#;
        let op = Op::OpenOrders {
            segment: Segment {
                category: Category::Spot,
                settle: Some("USDT"),
            },
            cursor: None,
        };
        let orders = decode(&op, &response(body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let order = &orders.items[0];
        assert_eq!(order.qty.as_str(), "0.01");
        assert_eq!(order.price.as_ref().unwrap().as_str(), "63000");
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.client_order_id.as_deref(), Some("grid-1"));

        let body = r#"{"jsonrpc":"2.0","result":{"has_more":true,"trades":[{"trade_id":"USDT-1","order_id":"USDT-12","instrument_name":"BTC_USDT-PERPETUAL","direction":"sell","amount":0.5,"price":2.5,"fee":0.001,"timestamp":9},{"trade_id":"USDT-2","order_id":"USDT-12","instrument_name":"BTC_USDT-PERPETUAL","direction":"sell","amount":0.5,"price":2.5,"fee":0.001,"timestamp":9}]}}"#;
        let op = Op::Fills {
            segment: Segment {
                category: Category::Linear,
                settle: Some("USDT"),
            },
            window: Window {
                start_ms: 0,
                end_ms: 10,
            },
            cursor: Some("r:USDT-1".into()),
        };
        let page = decode(&op, &response(body))
            .reply
            .unwrap()
            .into_fills()
            .unwrap();
        assert_eq!(page.items.len(), 1, "the cursor's trade is not repeated");
        assert_eq!(page.items[0].category, Category::Linear);
        assert_eq!(page.next.as_deref(), Some("r:USDT-2"));
    }
}
