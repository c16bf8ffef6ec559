//! BitMEX wire types and the response decoder (docs/venues/bitmex.md §4–§8).
//!
//! A successful answer is the table itself (an array of rows, or one object) with HTTP 200; an
//! error is `{"error": {"message", "name"}}` with HTTP 4xx or 5xx, and its message is the code
//! lockdown records (`Invalid API Key.`). A body that is neither comes from something in front
//! of the API and is typed by its HTTP status. Times are ISO 8601 (`2026-12-05T22:00:00.000Z`).
//!
//! Split by subject: `errors.rs` (refusals), `keys.rs`, `orders.rs` and `funds.rs`; this file
//! holds the dispatch on the operation and the helpers they share.

mod errors;
mod funds;
mod keys;
mod orders;

pub(super) use orders::order_row;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exchanges::decode::{self, flex_string, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Fill, KeyInfo, Order, OrderStatus, Side, Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response};
use crate::secret::KeyId;

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let Ok(body) = serde_json::from_slice::<Value>(&response.body) else {
        return errors::NOT_JSON.decoded(response);
    };
    if let Some(error) = body.get("error").filter(|e| e.is_object()) {
        let message = decode::text_of(&error["message"]);
        let err = errors::api_error(response, &message);
        return Decoded {
            reply: Err(err),
            server_ms: None,
            code: Some(message),
        };
    }
    if !(200..300).contains(&response.status) {
        return errors::NOT_JSON.decoded(response);
    }
    decode::decoded(result(op, body), None, None)
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let root: BitmexRoot = parse(data)?;
            Reply::ServerTime(root.timestamp)
        }
        Op::WhoAmI => Reply::Key(keys::who_am_i(data)?),
        Op::CancelAll { segment } => orders::cancelled(segment, data)?,
        Op::CancelAfter { .. } => orders::armed(data)?,
        Op::OpenOrders { cursor, .. } | Op::Orders { cursor, .. } => {
            orders::orders(cursor.as_deref(), data)?
        }
        Op::Fills { cursor, .. } => orders::fills(cursor.as_deref(), data)?,
        Op::Balances => Reply::Balances(funds::balances(data)?),
        Op::Withdrawals { window, cursor } => {
            funds::history(window, cursor.as_deref(), data, &[TransferKind::Withdrawal])?
        }
        Op::Transfers { window, cursor } => funds::history(
            window,
            cursor.as_deref(),
            data,
            &[TransferKind::Deposit, TransferKind::Internal],
        )?,
        Op::PlaceOrder(_) | Op::AmendOrder { .. } => orders::placed(data)?,
        Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::SubKeys { .. }
        | Op::RestrictKey { .. }
        | Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CreateKey { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bitmex",
                op: op.name(),
            });
        }
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("BitMEX answer", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("BitMEX answer", field)
}

/// An ISO 8601 time as Unix ms; 0 when absent or unreadable.
fn ms(text: &str) -> i64 {
    crate::clock::parse_rfc3339_ms(text).unwrap_or(0)
}

/// The next offset after a page of `len` rows asked `page` at a time from `cursor`.
fn next_offset(cursor: Option<&str>, len: usize, page: usize) -> Option<String> {
    (len >= page).then(|| (super::endpoints::offset(cursor) + len).to_string())
}

/// `GET /api/v1`: the API's name, version and the server's clock in ms.
#[derive(Debug, Deserialize)]
struct BitmexRoot {
    timestamp: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    pub(super) use crate::exchanges::decode::answer as response;

    #[test]
    fn the_root_gives_the_clock() {
        let decoded = decode(
            &Op::ServerTime,
            &response(
                200,
                r#"{"name":"BitMEX API","version":"1.2.0","timestamp":1764972000123}"#,
            ),
        );
        assert_eq!(decoded.server_ms, Some(1_764_972_000_123));
    }
}
