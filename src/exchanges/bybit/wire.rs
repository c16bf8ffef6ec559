//! Bybit V5 wire types and the response decoder (docs/venues.md §3.4, §3.6, §3.8).
//!
//! Every answer comes in the `{retCode, retMsg, result, time}` envelope; a non-zero `retCode`
//! becomes a typed [`ExchangeError`]. Bybit spells the same field as a number in one endpoint and
//! a string or bool in the next (`readOnly` is 0/1 in `query-api`, a bool in `sub-apikeys`), so
//! the wire types accept both.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment, Side,
    Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive};
use crate::secret::{KeyId, SecretString};

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitEnvelope {
    ret_code: i64,
    #[serde(default)]
    ret_msg: String,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    time: Option<i64>,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: BybitEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
        }
    };
    let code = envelope.ret_code.to_string();
    let reply = if envelope.ret_code == 0 {
        result(op, envelope.result)
    } else {
        Err(api_error(envelope.ret_code, envelope.ret_msg, response))
    };
    Decoded {
        reply,
        server_ms: envelope.time,
        code: Some(code),
    }
}

/// Maps a Bybit `retCode` to a typed error (docs/venues.md §3.8, §3.4 for 1410xx).
fn api_error(code: i64, message: String, response: &Response) -> ExchangeError {
    let code_text = code.to_string();
    match code {
        10002 | -1 => ExchangeError::Timestamp { code: code_text },
        10003 => ExchangeError::InvalidKey { code: code_text },
        10004 => ExchangeError::Signature { code: code_text },
        10005 => ExchangeError::Permission {
            code: code_text,
            message,
        },
        10006 => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: response
                .header("x-bapi-limit-reset-timestamp")
                .and_then(|value| value.trim().parse().ok()),
            retry_after_ms: None,
        },
        10010 => ExchangeError::IpRejected { code: code_text },
        33004 => ExchangeError::KeyExpired { code: code_text },
        141019 => ExchangeError::WebUiOnly {
            code: code_text,
            what: "editing this key's IP whitelist".to_owned(),
        },
        141020 => ExchangeError::WebUiOnly {
            code: code_text,
            what: "changing this key's read/write permission".to_owned(),
        },
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// How an answer that is not a Bybit envelope reads. Reference §3.7: 403 is the per-IP limit,
/// 429 system protection; `Retry-After` says for how many seconds.
const NOT_JSON: decode::NotJson = decode::NotJson {
    what: "a Bybit envelope",
    answered: 200..201,
    rate_limited: &[403, 429],
    wait_ms: None,
};

fn http_error(response: &Response) -> ExchangeError {
    decode::http_error(response, &NOT_JSON)
}

fn result(op: &Op, result: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: BybitTime = parse(result)?;
            let seconds: i64 = time
                .time_second
                .parse()
                .map_err(|_| protocol("timeSecond"))?;
            let millis = time
                .time_nano
                .get(..13)
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(seconds * 1000);
            Reply::ServerTime(millis)
        }
        Op::WhoAmI | Op::RestrictKey { .. } => Reply::Key(parse::<BybitApiKey>(result)?.into()),
        Op::SubKeys { account, .. } => {
            let page: BybitKeyPage = parse(result)?;
            Reply::Keys(Page {
                items: page
                    .result
                    .into_iter()
                    .map(|key| {
                        let mut info = KeyInfo::from(key);
                        info.account = Some(account.clone());
                        info
                    })
                    .collect(),
                next: page.next_page_cursor.filter(|c| !c.is_empty()),
            })
        }
        Op::RevokeKey(_) | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CancelBatch { .. } | Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: "access_log",
            });
        }
        Op::PlaceOrder(_) => Reply::Placed(
            result
                .get("orderId")
                .and_then(Value::as_str)
                .ok_or_else(|| protocol("orderId"))?
                .to_owned(),
        ),
        Op::CreateKey { account, .. } => {
            let key: BybitApiKey = parse(result)?;
            let secret = key.secret.clone().unwrap_or_default();
            if secret.is_empty() {
                return Err(protocol("secret of the new key"));
            }
            let mut info = KeyInfo::from(key);
            info.account = Some(account.clone());
            Reply::Created(CreatedKey {
                info,
                secret: SecretString::from(secret.into_string()),
                passphrase: None,
            })
        }
        Op::CancelAll { segment } => {
            let list: BybitList<BybitOrderRef> = parse(result)?;
            Reply::Cancelled(
                list.list
                    .into_iter()
                    .map(|order| Cancelled {
                        order_id: order.order_id,
                        client_order_id: non_empty(order.order_link_id),
                        segment: segment.to_string(),
                    })
                    .collect(),
            )
        }
        Op::OpenOrders { segment, .. } | Op::Orders { segment, .. } => {
            let list: BybitList<BybitOrder> = parse(result)?;
            let next = list.next();
            let items = list
                .list
                .into_iter()
                .map(|order| order.into_order(segment))
                .collect::<Result<_, _>>()?;
            Reply::Orders(Page { items, next })
        }
        Op::Fills { segment, .. } => {
            let list: BybitList<BybitExecution> = parse(result)?;
            let next = list.next();
            let items = list
                .list
                .into_iter()
                .map(|fill| fill.into_fill(segment))
                .collect::<Result<_, _>>()?;
            Reply::Fills(Page { items, next })
        }
        Op::Balances => {
            let list: BybitList<BybitWallet> = parse(result)?;
            Reply::Balances(
                list.list
                    .into_iter()
                    .flat_map(|wallet| wallet.coin)
                    .map(|coin| Balance {
                        coin: coin.coin,
                        total: Amount::new(&coin.wallet_balance),
                        locked: Amount::new(&coin.locked),
                        usd_value: non_empty(coin.usd_value).map(|v| Amount::new(&v)),
                    })
                    .collect(),
            )
        }
        Op::Withdrawals { .. } => {
            let rows: BybitRows<BybitWithdrawal> = parse(result)?;
            let next = rows.next_page_cursor.filter(|c| !c.is_empty());
            let items = rows
                .rows
                .into_iter()
                .map(|row| Transfer {
                    id: row.withdraw_id,
                    kind: TransferKind::Withdrawal,
                    coin: row.coin,
                    amount: Amount::new(&row.amount),
                    from: None,
                    to: non_empty(row.to_address),
                    status: row.status,
                    time_ms: row.create_time.parse().unwrap_or(0),
                })
                .collect();
            Reply::Transfers(Page { items, next })
        }
        Op::Transfers { .. } => {
            let list: BybitList<BybitUniversalTransfer> = parse(result)?;
            let next = list.next();
            let items = list
                .list
                .into_iter()
                .map(|row| Transfer {
                    id: row.transfer_id,
                    kind: TransferKind::Internal,
                    coin: row.coin,
                    amount: Amount::new(&row.amount),
                    from: non_empty(row.from_member_id),
                    to: non_empty(row.to_member_id),
                    status: row.status,
                    time_ms: row.timestamp.parse().unwrap_or(0),
                })
                .collect();
            Reply::Transfers(Page { items, next })
        }
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Bybit result", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Bybit result", field)
}

/// `GET /v5/market/time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitTime {
    time_second: String,
    #[serde(default)]
    time_nano: String,
}

/// A key as `query-api`, `update-sub-api`, `create-sub-api` and `sub-apikeys` describe it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitApiKey {
    api_key: String,
    #[serde(default)]
    note: String,
    #[serde(default, deserialize_with = "flex::bool")]
    read_only: bool,
    #[serde(default)]
    secret: Option<Sensitive>,
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default, rename = "userID", deserialize_with = "flex::string")]
    user_id: String,
    #[serde(default)]
    is_master: bool,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    expired_at: String,
}

impl From<BybitApiKey> for KeyInfo {
    fn from(key: BybitApiKey) -> KeyInfo {
        let permissions = key
            .permissions
            .iter()
            .flat_map(|(group, perms)| perms.iter().map(move |perm| format!("{group}:{perm}")))
            .collect();
        KeyInfo {
            key: KeyId::new(key.api_key),
            label: key.note,
            account: non_empty(key.user_id),
            is_master: key.is_master,
            read_only: key.read_only,
            permissions,
            // Bybit writes an unbound key as `["*"]`.
            ips: key.ips.into_iter().filter(|ip| ip != "*").collect(),
            created_at: non_empty(key.created_at),
            expires_at: non_empty(key.expired_at),
        }
    }
}

/// `GET /v5/user/sub-apikeys`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitKeyPage {
    #[serde(default)]
    result: Vec<BybitApiKey>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

/// A `{list, nextPageCursor}` result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitList<T> {
    #[serde(default = "Vec::new")]
    list: Vec<T>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

impl<T> BybitList<T> {
    fn next(&self) -> Option<String> {
        self.next_page_cursor.clone().filter(|c| !c.is_empty())
    }
}

/// A `{rows, nextPageCursor}` result (withdrawals).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitRows<T> {
    #[serde(default = "Vec::new")]
    rows: Vec<T>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

/// An order id pair, as `cancel-all` lists them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitOrderRef {
    order_id: String,
    #[serde(default)]
    order_link_id: String,
}

/// `GET /v5/order/realtime` and `/v5/order/history` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitOrder {
    order_id: String,
    #[serde(default)]
    order_link_id: String,
    symbol: String,
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    price: String,
    qty: String,
    #[serde(default)]
    cum_exec_qty: String,
    #[serde(default)]
    avg_price: String,
    order_status: String,
    #[serde(deserialize_with = "flex::string")]
    created_time: String,
    #[serde(default, deserialize_with = "flex::string")]
    updated_time: String,
}

impl BybitOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self
            .created_time
            .parse()
            .map_err(|_| protocol("createdTime"))?;
        let order_type = self.order_type.to_ascii_lowercase();
        let price = Amount::new(&self.price);
        Ok(Order {
            order_id: self.order_id,
            client_order_id: non_empty(self.order_link_id),
            category: segment.category,
            symbol: self.symbol,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.qty),
            filled_qty: Amount::new(&self.cum_exec_qty),
            avg_price: non_empty(self.avg_price)
                .map(|p| Amount::new(&p))
                .filter(|p| !p.is_zero()),
            status: status(&self.order_status),
            created_ms,
            updated_ms: self.updated_time.parse().unwrap_or(created_ms),
        })
    }
}

/// Bybit order statuses (docs/venues.md §3.6; Bybit's enum page).
fn status(text: &str) -> OrderStatus {
    match text {
        "New" | "Created" | "Triggered" | "Active" => OrderStatus::Open,
        "PartiallyFilled" => OrderStatus::PartiallyFilled,
        "Filled" => OrderStatus::Filled,
        "Rejected" => OrderStatus::Rejected,
        "Untriggered" => OrderStatus::Untriggered,
        // Cancelled, PartiallyFilledCanceled, Deactivated
        _ => OrderStatus::Cancelled,
    }
}

/// `GET /v5/execution/list` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitExecution {
    exec_id: String,
    order_id: String,
    #[serde(default)]
    order_link_id: String,
    symbol: String,
    side: String,
    exec_qty: String,
    exec_price: String,
    #[serde(default)]
    exec_fee: String,
    #[serde(deserialize_with = "flex::string")]
    exec_time: String,
}

impl BybitExecution {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            side: Side::parse(&self.side).ok_or_else(|| protocol("side"))?,
            time_ms: self.exec_time.parse().map_err(|_| protocol("execTime"))?,
            fill_id: self.exec_id,
            order_id: self.order_id,
            client_order_id: non_empty(self.order_link_id),
            category: segment.category,
            symbol: self.symbol,
            qty: Amount::new(&self.exec_qty),
            price: Amount::new(&self.exec_price),
            fee: Amount::new(&self.exec_fee),
        })
    }
}

/// `GET /v5/account/wallet-balance` accounts.
#[derive(Debug, Deserialize)]
struct BybitWallet {
    #[serde(default)]
    coin: Vec<BybitCoin>,
}

/// One coin of a wallet.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitCoin {
    coin: String,
    #[serde(default)]
    wallet_balance: String,
    #[serde(default)]
    locked: String,
    #[serde(default)]
    usd_value: String,
}

/// `GET /v5/asset/withdraw/query-record` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitWithdrawal {
    #[serde(deserialize_with = "flex::string")]
    withdraw_id: String,
    coin: String,
    amount: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    to_address: String,
    #[serde(default, deserialize_with = "flex::string")]
    create_time: String,
}

/// `GET /v5/asset/transfer/query-universal-transfer-list` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitUniversalTransfer {
    transfer_id: String,
    coin: String,
    amount: String,
    #[serde(default, deserialize_with = "flex::string")]
    from_member_id: String,
    #[serde(default, deserialize_with = "flex::string")]
    to_member_id: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "flex::string")]
    timestamp: String,
}

/// Deserializers for fields Bybit spells in more than one way.
mod flex {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A string, number or null, as a string.
    pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        Ok(match Value::deserialize(de)? {
            Value::String(text) => text,
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            _ => String::new(),
        })
    }

    /// A bool, 0/1 or "0"/"1", as a bool.
    pub fn bool<'de, D: Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
        Ok(match Value::deserialize(de)? {
            Value::Bool(flag) => flag,
            Value::Number(number) => number.as_i64() == Some(1),
            Value::String(text) => text == "1" || text.eq_ignore_ascii_case("true"),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![(
                "x-bapi-limit-reset-timestamp".into(),
                "1700000000500".into(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn maps_ret_codes() {
        let cases = [
            (10002, "Timestamp"),
            (10003, "InvalidKey"),
            (10004, "Signature"),
            (10005, "Permission"),
            (10006, "RateLimited"),
            (10010, "IpRejected"),
            (141019, "WebUiOnly"),
            (141020, "WebUiOnly"),
            (170213, "Api"),
        ];
        for (code, want) in cases {
            let body = format!(r#"{{"retCode":{code},"retMsg":"m","result":{{}},"time":1}}"#);
            let err = decode(&Op::WhoAmI, &response(&body)).reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
        }
        let body = r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"time":1}"#;
        let err = decode(&Op::WhoAmI, &response(body)).reply.unwrap_err();
        assert_eq!(
            err,
            ExchangeError::RateLimited {
                code: "10006".into(),
                reset_ms: Some(1_700_000_000_500),
                retry_after_ms: None,
            }
        );
    }

    #[test]
    fn reads_query_api_with_either_read_only_spelling() {
        let body = r#"{"retCode":0,"retMsg":"","result":{"id":"1","note":"bot","apiKey":"ABCDEFGHIJKLMNOPQR","readOnly":0,"secret":"","permissions":{"Spot":["SpotTrade"],"Wallet":[]},"ips":["*"],"userID":1000002,"isMaster":false,"parentUid":"1000001"},"time":1700000000000}"#;
        let decoded = decode(&Op::WhoAmI, &response(body));
        assert_eq!(decoded.server_ms, Some(1_700_000_000_000));
        let key = decoded.reply.unwrap().into_key().unwrap();
        assert_eq!(key.account.as_deref(), Some("1000002"));
        assert_eq!(key.permissions, ["Spot:SpotTrade"]);
        assert!(key.ips.is_empty());
        assert!(!key.read_only);
    }
}
