//! Deribit wire types and the response decoder (docs/venues.md §6.4–§6.8).
//!
//! Every answer is a JSON-RPC 2.0 envelope, `{jsonrpc, id, result | error, usIn, usOut, usDiff,
//! testnet}`; an `error` object becomes a typed [`ExchangeError`] (table in [`api_error`]), and a
//! "TFA required" method that answers `security_key_authorization_required` with a `challenge`
//! becomes [`ExchangeError::TfaRequired`]. Amounts are JSON numbers on the wire; they become
//! decimal strings here. The HTTP status of an error is not documented (§6.8), so the decoder
//! reads the body whatever the status and falls back on the status only when there is no
//! envelope.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{Tier, Walk};
use super::endpoints::{self, LOG_PAGE, ORDER_PAGE, TRANSFER_SOURCES};
use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    AccessEvent, Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order,
    OrderStatus, Segment, Side, Transfer, TransferKind,
};
use crate::exchanges::{
    Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive, Session, Window,
};
use crate::secret::{KeyId, SecretString};

/// How long to wait after `10028 too_many_requests` when the answer names no wait.
const CREDITS_WAIT_MS: u64 = 1_000;

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

/// A JSON-RPC error object.
#[derive(Debug, Deserialize)]
struct DeribitError {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl DeribitError {
    /// `data.reason` (or `data` itself when it is a string), lowercase.
    fn reason(&self) -> String {
        match &self.data {
            Some(Value::Object(map)) => map
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase(),
            Some(Value::String(text)) => text.to_ascii_lowercase(),
            _ => String::new(),
        }
    }
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: DeribitEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
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
        reply: challenge(&result).map_or_else(|| result_of(op, result), Err),
        server_ms,
        code: None,
    }
}

/// Reads the answer to `public/auth` or `public/exchange_token`.
pub fn decode_login(response: &Response) -> Result<Session, ExchangeError> {
    let envelope: DeribitEnvelope =
        serde_json::from_slice(&response.body).map_err(|_| http_error(response))?;
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

/// The keys a `private/list_api_keys` answer lists (the lookup before a key is edited).
pub fn key_list(response: &Response) -> Result<Vec<DeribitApiKey>, ExchangeError> {
    let envelope: DeribitEnvelope =
        serde_json::from_slice(&response.body).map_err(|_| http_error(response))?;
    if let Some(error) = envelope.error {
        return Err(api_error(&error));
    }
    parse(envelope.result.unwrap_or(Value::Null))
}

/// A two-factor challenge instead of a result (docs/venues.md §6.4, "TFA / security keys").
fn challenge(result: &Value) -> Option<ExchangeError> {
    let asked = result
        .get("security_key_authorization_required")
        .and_then(Value::as_bool)
        == Some(true);
    asked.then(|| ExchangeError::TfaRequired {
        challenge: result
            .get("challenge")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Maps a JSON-RPC error to a typed error (docs/venues.md §6.8; the long-standing code list).
///
/// The docs name no code for an address outside a key's whitelist nor for a stale timestamp
/// (§10.3); the simulator answers `13021 forbidden` and `13009 unauthorized` with a
/// `data.reason` naming the cause, which is read here, and any other reason keeps the code's
/// plain meaning.
fn api_error(error: &DeribitError) -> ExchangeError {
    let code = error.code.to_string();
    let reason = error.reason();
    let message = if reason.is_empty() {
        error.message.clone()
    } else {
        format!("{} ({reason})", error.message)
    };
    match error.code {
        // `authorization_required`: no or malformed credentials.
        10000 => ExchangeError::Signature { code },
        // `invalid_credentials`: unknown, removed or disabled key at login.
        13004 => ExchangeError::InvalidKey { code },
        // `unauthorized`: a token that expired or was revoked, a bad signature, a stale
        // timestamp.
        13009 => {
            let text = format!("{} {reason}", error.message.to_ascii_lowercase());
            if text.contains("token") {
                ExchangeError::SessionExpired { code }
            } else if text.contains("timestamp") {
                ExchangeError::Timestamp { code }
            } else {
                ExchangeError::Signature { code }
            }
        }
        13021 if reason.starts_with("ip_") || reason.contains("whitelist") => {
            ExchangeError::IpRejected { code }
        }
        // `forbidden`, `permission_denied`, `scope_exceeded`.
        13021 | 11042 | 13403 => ExchangeError::Permission { code, message },
        13003 => ExchangeError::TfaRequired {
            challenge: error
                .data
                .as_ref()
                .and_then(|d| d.get("challenge"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        },
        // `too_many_requests`: the account's credits are spent. Deribit names no wait; credits
        // come back continuously (about 20 requests a second, §6.7), so a second lets a burst
        // through. `too_many_concurrent_requests` and `retry` (not processed): the default wait.
        10028 | 10066 | 10040 => ExchangeError::RateLimited {
            retry_after_ms: error
                .data
                .as_ref()
                .and_then(|d| d.get("wait_ms"))
                .and_then(Value::as_u64)
                .or((error.code == 10028).then_some(CREDITS_WAIT_MS)),
            code,
            reset_ms: None,
        },
        // `temporarily_unavailable`: processing may or may not have happened.
        13028 => ExchangeError::Unavailable { code, message },
        _ => ExchangeError::Api { code, message },
    }
}

/// How an answer that is not a JSON-RPC envelope reads.
const NOT_JSON: decode::NotJson = decode::NotJson {
    what: "a JSON-RPC envelope",
    answered: 200..201,
    rate_limited: &[429],
    wait_ms: None,
};

fn http_error(response: &Response) -> ExchangeError {
    decode::http_error(response, &NOT_JSON)
}

fn result_of(op: &Op, result: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Reply::ServerTime(result.as_i64().ok_or_else(|| protocol("time"))?),
        Op::WhoAmI => {
            let me: DeribitAccount = parse(result)?;
            Reply::Key(KeyInfo {
                // The summary names the account, not the key (module `endpoints`, `WhoAmI`).
                key: KeyId::new(""),
                label: me.username,
                account: Some(me.id.to_string()),
                is_master: me.kind == "main",
                read_only: false,
                permissions: Vec::new(),
                ips: Vec::new(),
                created_at: None,
                expires_at: None,
            })
        }
        Op::SubKeys { account, .. } => {
            let keys: Vec<DeribitApiKey> = parse(result)?;
            let account = (!account.is_empty()).then(|| account.clone());
            Reply::Keys(Page {
                items: keys
                    .into_iter()
                    .map(|key| key.into_info(account.clone()))
                    .collect(),
                next: None,
            })
        }
        Op::RestrictKey { account, .. } => {
            Reply::Key(parse::<DeribitApiKey>(result)?.into_info(account.clone()))
        }
        Op::RevokeKey(_) | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CreateKey { account, .. } => {
            let key: DeribitApiKey = parse(result)?;
            let secret = key.client_secret.clone().unwrap_or_default();
            if secret.is_empty() {
                return Err(protocol("client_secret of the new key"));
            }
            Reply::Created(CreatedKey {
                info: key.into_info(Some(account.clone())),
                secret: SecretString::from(secret.into_string()),
                passphrase: None,
            })
        }
        Op::CancelAll { segment } => Reply::Cancelled(cancelled(&result, segment)),
        Op::CancelBatch { .. } | Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "deribit",
                op: op.name(),
            });
        }
        Op::OpenOrders { .. } => {
            let orders: Vec<DeribitOrder> = parse(orders_of(result))?;
            Reply::Orders(Page {
                items: orders.into_iter().map(DeribitOrder::into_order).collect(),
                next: None,
            })
        }
        Op::Orders { window, cursor, .. } => {
            let orders: Vec<DeribitOrder> = parse(orders_of(result))?;
            let tier = Tier::parse(cursor.as_deref());
            let offset = endpoints::offset(tier.position.as_deref());
            let more = (orders.len() >= ORDER_PAGE).then(|| (offset + orders.len()).to_string());
            let next = tier.next(more);
            // Order history is paged by offset, not by time: the window is applied here.
            let items = orders
                .into_iter()
                .map(DeribitOrder::into_order)
                .filter(|o| within(window, o.created_ms))
                .collect();
            Reply::Orders(Page { items, next })
        }
        Op::Fills { cursor, .. } => {
            let page: DeribitTrades = parse(result)?;
            let tier = Tier::parse(cursor.as_deref());
            let more = page
                .has_more
                .then(|| page.trades.last().map(|t| t.trade_id.clone()))
                .flatten();
            let next = tier.next(more);
            let items = page
                .trades
                .into_iter()
                // `start_id` is inclusive: the cursor's own trade came on the previous page.
                .filter(|t| tier.position.as_deref() != Some(t.trade_id.as_str()))
                .map(DeribitTrade::into_fill)
                .collect::<Result<_, _>>()?;
            Reply::Fills(Page { items, next })
        }
        Op::Balances => {
            let summaries: Vec<DeribitSummary> = match result.get("summaries") {
                Some(list) => parse(list.clone())?,
                None => parse(result)?,
            };
            Reply::Balances(
                summaries
                    .into_iter()
                    .map(|s| Balance {
                        coin: s.currency,
                        total: amount(&s.balance),
                        locked: amount(&s.spot_reserve),
                        usd_value: None,
                    })
                    .collect(),
            )
        }
        Op::Withdrawals { window, cursor } => {
            let walk = Walk::parse(cursor.as_deref());
            let list: DeribitList<DeribitWithdrawal> = parse(result)?;
            let next = walk.next(list.data.len(), list.count, 1);
            let items = list
                .data
                .into_iter()
                .map(|w| Transfer {
                    id: flex_text(&w.id),
                    kind: TransferKind::Withdrawal,
                    coin: w.currency,
                    amount: amount(&w.amount),
                    from: None,
                    to: non_empty(w.address),
                    status: w.state,
                    time_ms: w.created_timestamp,
                })
                .filter(|t| within(window, t.time_ms))
                .collect();
            Reply::Transfers(Page { items, next })
        }
        Op::Transfers { window, cursor } => {
            let walk = Walk::parse(cursor.as_deref());
            let (got, total, items) = if walk.source == 0 {
                let list: DeribitList<DeribitTransfer> = parse(result)?;
                let got = list.data.len();
                let items: Vec<Transfer> = list
                    .data
                    .into_iter()
                    .map(DeribitTransfer::into_transfer)
                    .collect();
                (got, list.count, items)
            } else {
                let list: DeribitList<DeribitDeposit> = parse(result)?;
                let got = list.data.len();
                let items: Vec<Transfer> = list
                    .data
                    .into_iter()
                    .map(DeribitDeposit::into_transfer)
                    .collect();
                (got, list.count, items)
            };
            Reply::Transfers(Page {
                next: walk.next(got, total, TRANSFER_SOURCES.len()),
                items: items
                    .into_iter()
                    .filter(|t| within(window, t.time_ms))
                    .collect(),
            })
        }
        Op::PlaceOrder(_) => Reply::Placed(
            result
                .get("order")
                .and_then(|o| o.get("order_id"))
                .and_then(Value::as_str)
                .ok_or_else(|| protocol("order.order_id"))?
                .to_owned(),
        ),
        Op::AccessLog { cursor } => {
            let entries: Vec<DeribitAccessEntry> = match result.get("data") {
                Some(list) => parse(list.clone())?,
                None => parse(result)?,
            };
            let offset = endpoints::offset(cursor.as_deref());
            let next = (entries.len() >= LOG_PAGE).then(|| (offset + entries.len()).to_string());
            Reply::AccessLog(Page {
                items: entries
                    .into_iter()
                    .map(DeribitAccessEntry::into_event)
                    .collect(),
                next,
            })
        }
    })
}

fn within(window: &Window, at_ms: i64) -> bool {
    (window.start_ms..=window.end_ms).contains(&at_ms)
}

/// Order lists come bare, or as `{orders, continuation}` with `with_continuation`.
fn orders_of(result: Value) -> Value {
    match result {
        Value::Object(mut map) if map.contains_key("orders") => {
            map.remove("orders").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// What a cancel answered: a count, or with `detailed` a list holding the cancelled orders
/// (every object with an `order_id`, however deep: the stored docs do not show the shape).
fn cancelled(result: &Value, segment: &Segment) -> Vec<Cancelled> {
    if let Some(count) = result.as_u64() {
        let count = usize::try_from(count).unwrap_or(0);
        return (0..count)
            .map(|_| Cancelled {
                order_id: String::new(),
                client_order_id: None,
                segment: segment.to_string(),
            })
            .collect();
    }
    let mut found = Vec::new();
    collect_orders(result, &mut found);
    found
        .into_iter()
        .map(|(order_id, label)| Cancelled {
            order_id,
            client_order_id: label,
            segment: segment.to_string(),
        })
        .collect()
}

fn collect_orders(value: &Value, out: &mut Vec<(String, Option<String>)>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect_orders(item, out)),
        Value::Object(map) => {
            if let Some(id) = map.get("order_id").and_then(Value::as_str) {
                let label = map
                    .get("label")
                    .and_then(Value::as_str)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned);
                out.push((id.to_owned(), label));
            } else {
                map.values().for_each(|item| collect_orders(item, out));
            }
        }
        _ => {}
    }
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Deribit result", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Deribit result", field)
}

/// A number (or numeric string) as a decimal amount.
fn amount(value: &Value) -> Amount {
    Amount::new(&flex_text(value))
}

/// A string, number or bool as text; anything else empty.
fn flex_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

/// The market family an instrument name belongs to (docs/venues.md §6, naming): `BTC_USDC` spot,
/// `BTC_USDC-PERPETUAL` linear, `BTC-PERPETUAL` / `BTC-27DEC24` inverse, `BTC-27DEC24-100000-C`
/// option.
pub fn category_of(instrument: &str) -> Category {
    let dashes = instrument.matches('-').count();
    match (instrument.contains('_'), dashes) {
        (true, 0) => Category::Spot,
        (_, 3..) => Category::Option,
        (true, _) => Category::Linear,
        (false, _) => Category::Inverse,
    }
}

/// `public/auth` and `public/exchange_token` results.
#[derive(Debug, Deserialize)]
struct DeribitToken {
    access_token: Sensitive,
    expires_in: i64,
    #[serde(default)]
    refresh_token: Option<Sensitive>,
}

/// `private/get_account_summary` with `extended=true`: the account fields used.
#[derive(Debug, Deserialize)]
struct DeribitAccount {
    id: i64,
    #[serde(default)]
    username: String,
    #[serde(default, rename = "type")]
    kind: String,
}

/// An API key as `list_api_keys`, `edit_api_key` and `create_api_key` describe it (§6.4).
#[derive(Debug, Clone, Deserialize)]
pub struct DeribitApiKey {
    /// The numeric id key management addresses it by.
    pub id: i64,
    /// What a client signs with.
    pub client_id: String,
    /// The secret: only in `create_api_key`'s answer.
    #[serde(default)]
    client_secret: Option<Sensitive>,
    /// Space-separated scopes (`account:read trade:read_write`).
    #[serde(default)]
    pub max_scope: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ip_whitelist: Option<Vec<String>>,
    #[serde(default)]
    timestamp: Option<i64>,
}

fn yes() -> bool {
    true
}

impl DeribitApiKey {
    fn into_info(self, account: Option<String>) -> KeyInfo {
        let mut permissions: Vec<String> = self
            .max_scope
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !self.enabled {
            permissions.push("disabled".to_owned());
        }
        KeyInfo {
            key: KeyId::new(self.client_id),
            label: self.name,
            account,
            is_master: false,
            read_only: !self.max_scope.contains(":read_write"),
            permissions,
            ips: self
                .ip_whitelist
                .unwrap_or_default()
                .into_iter()
                .filter(|ip| ip != "*" && !ip.is_empty())
                .collect(),
            created_at: self.timestamp.map(crate::clock::rfc3339_ms),
            expires_at: None,
        }
    }
}

/// An order as the order lists show it (§6.6).
#[derive(Debug, Deserialize)]
struct DeribitOrder {
    order_id: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    direction: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    amount: Value,
    #[serde(default)]
    price: Value,
    #[serde(default)]
    filled_amount: Value,
    #[serde(default)]
    average_price: Value,
    order_state: String,
    creation_timestamp: i64,
    #[serde(default)]
    last_update_timestamp: Option<i64>,
}

impl DeribitOrder {
    fn into_order(self) -> Order {
        let filled = amount(&self.filled_amount);
        let price = amount(&self.price);
        let status = match self.order_state.as_str() {
            "open" if !filled.is_zero() => OrderStatus::PartiallyFilled,
            "open" => OrderStatus::Open,
            "filled" => OrderStatus::Filled,
            "rejected" => OrderStatus::Rejected,
            "untriggered" => OrderStatus::Untriggered,
            // cancelled, archive
            _ => OrderStatus::Cancelled,
        };
        let market = self.order_type == "market" || !self.price.is_number();
        Order {
            category: category_of(&self.instrument_name),
            side: if self.direction == "sell" {
                Side::Sell
            } else {
                Side::Buy
            },
            price: (!market && !price.is_zero()).then_some(price),
            avg_price: Some(amount(&self.average_price)).filter(|p| !p.is_zero()),
            order_id: self.order_id,
            client_order_id: non_empty(self.label),
            symbol: self.instrument_name,
            order_type: self.order_type,
            qty: amount(&self.amount),
            filled_qty: filled,
            status,
            created_ms: self.creation_timestamp,
            updated_ms: self
                .last_update_timestamp
                .unwrap_or(self.creation_timestamp),
        }
    }
}

/// `private/get_user_trades_by_currency`.
#[derive(Debug, Deserialize)]
struct DeribitTrades {
    #[serde(default)]
    trades: Vec<DeribitTrade>,
    #[serde(default)]
    has_more: bool,
}

/// One of the user's trades (a fill).
#[derive(Debug, Deserialize)]
struct DeribitTrade {
    trade_id: String,
    order_id: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    direction: String,
    amount: Value,
    price: Value,
    #[serde(default)]
    fee: Value,
    timestamp: i64,
}

impl DeribitTrade {
    fn into_fill(self) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            side: Side::parse(&self.direction).ok_or_else(|| protocol("direction"))?,
            category: category_of(&self.instrument_name),
            fill_id: self.trade_id,
            order_id: self.order_id,
            client_order_id: non_empty(self.label),
            symbol: self.instrument_name,
            qty: amount(&self.amount),
            price: amount(&self.price),
            fee: amount(&self.fee),
            time_ms: self.timestamp,
        })
    }
}

/// One currency of `private/get_account_summaries`.
#[derive(Debug, Deserialize)]
struct DeribitSummary {
    currency: String,
    #[serde(default)]
    balance: Value,
    /// What open spot orders hold.
    #[serde(default)]
    spot_reserve: Value,
}

/// `{count, data}` lists (withdrawals, deposits, transfers).
#[derive(Debug, Deserialize)]
struct DeribitList<T> {
    #[serde(default)]
    count: usize,
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct DeribitWithdrawal {
    id: Value,
    currency: String,
    amount: Value,
    #[serde(default)]
    address: String,
    #[serde(default)]
    state: String,
    created_timestamp: i64,
}

#[derive(Debug, Deserialize)]
struct DeribitTransfer {
    id: Value,
    currency: String,
    amount: Value,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    other_side: String,
    #[serde(default)]
    state: String,
    created_timestamp: i64,
}

impl DeribitTransfer {
    fn into_transfer(self) -> Transfer {
        let other = non_empty(self.other_side);
        let incoming = self.direction == "income";
        Transfer {
            id: flex_text(&self.id),
            kind: TransferKind::Internal,
            coin: self.currency,
            amount: amount(&self.amount),
            from: if incoming { other.clone() } else { None },
            to: if incoming { None } else { other },
            status: self.state,
            time_ms: self.created_timestamp,
        }
    }
}

#[derive(Debug, Deserialize)]
struct DeribitDeposit {
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    address: String,
    currency: String,
    amount: Value,
    #[serde(default)]
    state: String,
    received_timestamp: i64,
}

impl DeribitDeposit {
    fn into_transfer(self) -> Transfer {
        Transfer {
            id: self
                .transaction_id
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("{}@{}", self.address, self.received_timestamp)),
            kind: TransferKind::Deposit,
            coin: self.currency,
            amount: amount(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: self.state,
            time_ms: self.received_timestamp,
        }
    }
}

/// One `private/get_access_log` entry.
#[derive(Debug, Deserialize)]
struct DeribitAccessEntry {
    id: Value,
    #[serde(default)]
    ip: String,
    timestamp: i64,
    #[serde(default)]
    log: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    country: String,
    #[serde(default)]
    city: String,
}

impl DeribitAccessEntry {
    fn into_event(self) -> AccessEvent {
        let place = [self.city, self.country]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        AccessEvent {
            id: flex_text(&self.id),
            time_ms: self.timestamp,
            event: self.log,
            ip: non_empty(self.ip),
            detail: match &self.data {
                Value::Null => None,
                Value::String(text) => non_empty(text.clone()),
                other => Some(other.to_string()),
            },
            place: non_empty(place),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Window;

    fn response(body: &str) -> Response {
        Response {
            status: 400,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn error(code: i64, message: &str, data: &str) -> ExchangeError {
        let body = format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":{code},"message":"{message}","data":{data}}},"usIn":1,"usOut":2,"usDiff":1,"testnet":false}}"#
        );
        decode(&Op::Balances, &response(&body)).reply.unwrap_err()
    }

    #[test]
    fn maps_error_codes() {
        let cases = [
            (10000, "authorization_required", "null", "Signature"),
            (13004, "invalid_credentials", "null", "InvalidKey"),
            (13009, "invalid_token", "null", "SessionExpired"),
            (
                13009,
                "unauthorized",
                r#"{"reason":"invalid_signature"}"#,
                "Signature",
            ),
            (
                13009,
                "unauthorized",
                r#"{"reason":"timestamp_out_of_window"}"#,
                "Timestamp",
            ),
            (
                13021,
                "forbidden",
                r#"{"reason":"ip_not_whitelisted"}"#,
                "IpRejected",
            ),
            (13021, "forbidden", r#"{"reason":"scope"}"#, "Permission"),
            (11042, "permission_denied", "null", "Permission"),
            (13403, "scope_exceeded", "null", "Permission"),
            (13003, "tfa_required", "null", "TfaRequired"),
            (10028, "too_many_requests", "null", "RateLimited"),
            (10040, "retry", "null", "RateLimited"),
            (13028, "temporarily_unavailable", "null", "Unavailable"),
            (10009, "not_enough_funds", "null", "Api"),
        ];
        for (code, message, data, want) in cases {
            let shown = format!("{:?}", error(code, message, data));
            assert!(shown.starts_with(want), "{code} {message}: {shown}");
        }
        assert_eq!(
            error(13028, "temporarily_unavailable", "null").outcome(),
            crate::exchanges::CallOutcome::Unknown
        );
    }

    #[test]
    fn a_challenge_is_a_two_factor_request() {
        let body = r#"{"jsonrpc":"2.0","result":{"security_key_authorization_required":true,"challenge":"c-42","rp_id":"deribit.com"},"usIn":1,"usOut":2000,"usDiff":1}"#;
        let decoded = decode(&Op::WhoAmI, &response(body));
        assert_eq!(decoded.server_ms, Some(2));
        assert_eq!(
            decoded.reply.unwrap_err(),
            ExchangeError::TfaRequired {
                challenge: "c-42".into()
            }
        );
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

    #[test]
    fn names_map_to_categories() {
        for (name, want) in [
            ("BTC_USDT", Category::Spot),
            ("BTC_USDC-PERPETUAL", Category::Linear),
            ("BTC-PERPETUAL", Category::Inverse),
            ("BTC-27DEC24", Category::Inverse),
            ("BTC-27DEC24-100000-C", Category::Option),
        ] {
            assert_eq!(category_of(name), want, "{name}");
        }
    }

    #[test]
    fn detailed_cancels_list_their_orders_and_counts_do_not() {
        let segment = Segment {
            category: Category::Spot,
            settle: Some("USDT"),
        };
        let detailed = serde_json::json!([{"instrument_name":"BTC_USDT","result":[{"order_id":"USDT-1","label":"a"},{"order_id":"USDT-2"}]}]);
        let got = cancelled(&detailed, &segment);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].client_order_id.as_deref(), Some("a"));
        assert_eq!(cancelled(&serde_json::json!(3), &segment).len(), 3);
    }
}
