//! Kraken Spot wire types and the response decoder (docs/venues.md §7.4–§7.8).
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

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{self, TransferPhase};
use super::names;
use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, Fill, KeyInfo, Order, OrderStatus, Side, Transfer,
    TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response};
use crate::secret::KeyId;

/// How long to wait after `EAPI:Rate limit exceeded`: one point of the counter at the slowest
/// tier's decay (0.33 a second, docs/venues.md §7.7).
pub const RATE_LIMIT_WAIT_MS: u64 = 3_000;

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
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
        }
    };
    if let Some(first) = envelope.error.iter().find(|e| e.starts_with('E')) {
        return Decoded {
            reply: Err(api_error(first)),
            server_ms: None,
            code: Some(first.clone()),
        };
    }
    let reply = result(op, envelope.result);
    let server_ms = match &reply {
        Ok(Reply::ServerTime(ms)) => Some(*ms),
        _ => None,
    };
    Decoded {
        reply,
        server_ms,
        code: None,
    }
}

/// Maps a Kraken error string to a typed error (docs/venues.md §7.7, §7.8).
pub fn api_error(text: &str) -> ExchangeError {
    let code = text.trim().to_owned();
    // `EService: Throttled: 1700000000` has spaces after its colons.
    let compact: String = code.split(':').map(str::trim).collect::<Vec<_>>().join(":");
    let message = compact
        .split_once(':')
        .map_or_else(|| compact.clone(), |(_, m)| m.to_owned());
    match compact.as_str() {
        "EAPI:Invalid key" => ExchangeError::InvalidKey { code },
        "EAPI:Invalid signature" => ExchangeError::Signature { code },
        "EAPI:Invalid nonce" => ExchangeError::Nonce { code },
        "EGeneral:Permission denied" | "EAccount:Invalid permissions" => {
            ExchangeError::Permission { code, message }
        }
        "EAPI:Rate limit exceeded" | "EOrder:Rate limit exceeded" => ExchangeError::RateLimited {
            code,
            reset_ms: None,
            retry_after_ms: Some(RATE_LIMIT_WAIT_MS),
        },
        "EService:Unavailable" | "EService:Busy" => ExchangeError::Unavailable { code, message },
        // `EService:Throttled:<unix seconds>`: too many requests at once; again after then.
        throttled if throttled.starts_with("EService:Throttled") => ExchangeError::RateLimited {
            reset_ms: throttled
                .rsplit(':')
                .next()
                .and_then(|ts| ts.trim().parse::<f64>().ok())
                .map(seconds_to_ms),
            retry_after_ms: None,
            code,
        },
        _ => ExchangeError::Api { code, message },
    }
}

/// How an answer that is not a Kraken envelope reads.
const NOT_JSON: decode::NotJson = decode::NotJson {
    what: "a Kraken envelope",
    answered: 200..201,
    rate_limited: &[429],
    wait_ms: Some(RATE_LIMIT_WAIT_MS),
};

fn http_error(response: &Response) -> ExchangeError {
    decode::http_error(response, &NOT_JSON)
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: KrakenTime = parse(data)?;
            Reply::ServerTime(time.unixtime.saturating_mul(1000))
        }
        Op::WhoAmI => Reply::Key(parse::<KrakenKeyInfo>(data)?.into()),
        Op::CancelAll { segment } => {
            let count: KrakenCount = parse(data)?;
            // Kraken counts what it cancelled and names none of it.
            let one = Cancelled {
                order_id: String::new(),
                client_order_id: None,
                segment: segment.to_string(),
            };
            Reply::Cancelled(vec![one; usize::try_from(count.count).unwrap_or(0)])
        }
        Op::CancelAfter { .. } => {
            let armed: KrakenDeadMan = parse(data)?;
            let trigger = chrono::DateTime::parse_from_rfc3339(&armed.trigger_time)
                .ok()
                .map(|t| t.timestamp_millis());
            Reply::Armed(trigger)
        }
        Op::OpenOrders { .. } => {
            let open: KrakenOpenOrders = parse(data)?;
            Reply::Orders(Page {
                items: orders(open.open)?,
                next: None,
            })
        }
        Op::Orders { cursor, .. } => {
            let closed: KrakenClosedOrders = parse(data)?;
            let items = orders(closed.closed)?;
            let next =
                cursor::next_offset(cursor::offset(cursor.as_deref()), items.len(), closed.count);
            Reply::Orders(Page { items, next })
        }
        Op::Fills { cursor, .. } => {
            let history: KrakenTrades = parse(data)?;
            let mut items = history
                .trades
                .into_iter()
                .map(|(id, trade)| trade.into_fill(id))
                .collect::<Result<Vec<_>, _>>()?;
            items.sort_by(|a, b| (b.time_ms, &b.fill_id).cmp(&(a.time_ms, &a.fill_id)));
            let next = cursor::next_offset(
                cursor::offset(cursor.as_deref()),
                items.len(),
                history.count,
            );
            Reply::Fills(Page { items, next })
        }
        Op::Balances => Reply::Balances(balances(data)?),
        Op::Withdrawals { .. } => {
            let (rows, next) = funding_page(data, "withdrawals")?;
            Reply::Transfers(Page {
                items: rows
                    .into_iter()
                    .map(|row| row.into_transfer(TransferKind::Withdrawal))
                    .collect(),
                next,
            })
        }
        Op::Transfers { cursor, .. } => match TransferPhase::parse(cursor.as_deref()) {
            TransferPhase::Deposits(_) => {
                let (rows, next) = funding_page(data, "deposit")?;
                // After the last page of deposits come the ledger's internal transfers.
                let next = match next {
                    Some(kraken) => TransferPhase::Deposits(Some(kraken)),
                    None => TransferPhase::Ledger(0),
                };
                Reply::Transfers(Page {
                    items: rows
                        .into_iter()
                        .map(|row| row.into_transfer(TransferKind::Deposit))
                        .collect(),
                    next: Some(next.to_cursor()),
                })
            }
            TransferPhase::Ledger(ofs) => {
                let ledger: KrakenLedger = parse(data)?;
                let mut items: Vec<Transfer> = ledger
                    .ledger
                    .into_iter()
                    .map(|(id, entry)| entry.into_transfer(id))
                    .collect();
                items.sort_by(|a, b| (b.time_ms, &b.id).cmp(&(a.time_ms, &a.id)));
                let next = cursor::next_offset(ofs, items.len(), ledger.count)
                    .map(|n| TransferPhase::Ledger(cursor::offset(Some(&n))).to_cursor());
                Reply::Transfers(Page { items, next })
            }
        },
        Op::PlaceOrder(_) => {
            let added: KrakenAdded = parse(data)?;
            let id = added
                .txid
                .into_iter()
                .next()
                .ok_or_else(|| protocol("txid of the new order"))?;
            Reply::Placed(id)
        }
        Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::SubKeys { .. }
        | Op::RestrictKey { .. }
        | Op::RevokeKey(_)
        | Op::CreateKey { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "kraken",
                op: op.name(),
            });
        }
    })
}

fn orders(map: BTreeMap<String, KrakenOrder>) -> Result<Vec<Order>, ExchangeError> {
    let mut items = map
        .into_iter()
        .map(|(id, order)| order.into_order(id))
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by(|a, b| (b.created_ms, &b.order_id).cmp(&(a.created_ms, &a.order_id)));
    Ok(items)
}

/// `BalanceEx` (`{asset: {balance, hold_trade}}`), or `Balance` (`{asset: "amount"}`).
fn balances(data: Value) -> Result<Vec<Balance>, ExchangeError> {
    let Value::Object(map) = data else {
        return Err(protocol("balances"));
    };
    let mut out: Vec<Balance> = map
        .into_iter()
        .map(|(asset, value)| {
            let (total, locked) = match &value {
                Value::Object(fields) => (
                    flex::text(fields.get("balance")),
                    flex::text(fields.get("hold_trade")),
                ),
                other => (flex::text(Some(other)), String::new()),
            };
            Balance {
                coin: names::coin(&asset),
                total: Amount::new(&total),
                locked: Amount::new(&locked),
                usd_value: None,
            }
        })
        .collect();
    out.sort_by(|a, b| a.coin.cmp(&b.coin));
    Ok(out)
}

/// A `WithdrawStatus`/`DepositStatus` answer: a plain list, or (asked with `cursor`) an object
/// with the list under `list_field` and `next_cursor`.
fn funding_page(
    data: Value,
    list_field: &str,
) -> Result<(Vec<KrakenFunding>, Option<String>), ExchangeError> {
    match data {
        Value::Array(_) => Ok((parse(data)?, None)),
        Value::Object(mut map) => {
            let next = map
                .get("next_cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            let list = map
                .remove(list_field)
                .or_else(|| map.remove(&format!("{list_field}s")))
                .unwrap_or(Value::Array(Vec::new()));
            let rows: Vec<KrakenFunding> = parse(list)?;
            // An empty page ends the walk whatever the cursor says.
            let next = next.filter(|_| !rows.is_empty());
            Ok((rows, next))
        }
        Value::Null => Ok((Vec::new(), None)),
        _ => Err(protocol(list_field)),
    }
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

/// `{count, pending}`: `CancelAll` and `CancelOrder`.
#[derive(Debug, Deserialize)]
struct KrakenCount {
    #[serde(default)]
    count: u64,
}

/// `CancelAllOrdersAfter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KrakenDeadMan {
    #[serde(default, deserialize_with = "flex::string")]
    trigger_time: String,
}

/// `AddOrder`.
#[derive(Debug, Deserialize)]
struct KrakenAdded {
    #[serde(default)]
    txid: Vec<String>,
}

/// `GetApiKeyInfo`: the calling key (docs/venues.md §7.4).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KrakenKeyInfo {
    #[serde(default)]
    api_key_name: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    ip_allowlist: Vec<String>,
    #[serde(default)]
    created_time: Value,
    #[serde(default)]
    valid_until: Value,
}

/// The permissions that change anything (docs/venues.md §7.4's list).
const WRITES: &[&str] = &[
    "add-funds",
    "withdraw-funds",
    "earn-funds",
    "modify-trades",
    "close-trades",
    "add-withdraw-address",
    "update-withdraw-address",
];

impl From<KrakenKeyInfo> for KeyInfo {
    fn from(info: KrakenKeyInfo) -> KeyInfo {
        KeyInfo {
            key: KeyId::new(info.api_key),
            label: info.api_key_name,
            // Kraken keys belong to the account that signs; there is no sub-account to name.
            account: None,
            is_master: false,
            read_only: !info
                .permissions
                .iter()
                .any(|p| WRITES.contains(&p.as_str())),
            permissions: info.permissions,
            ips: info.ip_allowlist,
            created_at: time_text(&info.created_time),
            expires_at: time_text(&info.valid_until),
        }
    }
}

/// `OpenOrders`.
#[derive(Debug, Deserialize)]
struct KrakenOpenOrders {
    #[serde(default)]
    open: BTreeMap<String, KrakenOrder>,
}

/// `ClosedOrders`.
#[derive(Debug, Deserialize)]
struct KrakenClosedOrders {
    #[serde(default)]
    closed: BTreeMap<String, KrakenOrder>,
    #[serde(default)]
    count: Option<u64>,
}

/// One order (`OpenOrders`, `ClosedOrders`), keyed by its txid.
#[derive(Debug, Deserialize)]
struct KrakenOrder {
    #[serde(default)]
    cl_ord_id: Option<String>,
    status: String,
    opentm: f64,
    #[serde(default)]
    closetm: Option<f64>,
    descr: KrakenDescr,
    #[serde(deserialize_with = "flex::string")]
    vol: String,
    #[serde(default, deserialize_with = "flex::string")]
    vol_exec: String,
    /// The average fill price.
    #[serde(default, deserialize_with = "flex::string")]
    price: String,
}

/// An order's description.
#[derive(Debug, Deserialize)]
struct KrakenDescr {
    pair: String,
    #[serde(rename = "type")]
    side: String,
    ordertype: String,
    /// The limit price.
    #[serde(default, deserialize_with = "flex::string")]
    price: String,
}

impl KrakenOrder {
    fn into_order(self, txid: String) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.descr.side).ok_or_else(|| protocol("descr.type"))?;
        let order_type = self.descr.ordertype.to_ascii_lowercase();
        let limit = Amount::new(&self.descr.price);
        let filled = Amount::new(&self.vol_exec);
        let created_ms = seconds_to_ms(self.opentm);
        Ok(Order {
            order_id: txid,
            client_order_id: self.cl_ord_id.and_then(non_empty),
            category: Category::Spot,
            symbol: self.descr.pair,
            side,
            price: (order_type != "market" && !limit.is_zero()).then_some(limit),
            order_type,
            qty: Amount::new(&self.vol),
            avg_price: Some(Amount::new(&self.price)).filter(|p| !p.is_zero()),
            status: status(&self.status, filled.is_zero()),
            filled_qty: filled,
            created_ms,
            updated_ms: self.closetm.map_or(created_ms, seconds_to_ms),
        })
    }
}

/// Kraken order statuses (`pending`, `open`, `closed`, `canceled`, `expired`).
fn status(status: &str, nothing_filled: bool) -> OrderStatus {
    match status {
        "pending" => OrderStatus::Open,
        "open" if nothing_filled => OrderStatus::Open,
        "open" => OrderStatus::PartiallyFilled,
        "closed" => OrderStatus::Filled,
        _ => OrderStatus::Cancelled,
    }
}

/// `TradesHistory`.
#[derive(Debug, Deserialize)]
struct KrakenTrades {
    #[serde(default)]
    trades: BTreeMap<String, KrakenTrade>,
    #[serde(default)]
    count: Option<u64>,
}

/// One fill, keyed by its trade id.
#[derive(Debug, Deserialize)]
struct KrakenTrade {
    ordertxid: String,
    pair: String,
    time: f64,
    #[serde(rename = "type")]
    side: String,
    #[serde(deserialize_with = "flex::string")]
    price: String,
    #[serde(default, deserialize_with = "flex::string")]
    fee: String,
    #[serde(deserialize_with = "flex::string")]
    vol: String,
}

impl KrakenTrade {
    fn into_fill(self, id: String) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            fill_id: id,
            order_id: self.ordertxid,
            client_order_id: None,
            category: Category::Spot,
            symbol: self.pair,
            side: Side::parse(&self.side).ok_or_else(|| protocol("type"))?,
            qty: Amount::new(&self.vol),
            price: Amount::new(&self.price),
            fee: Amount::new(&self.fee),
            time_ms: seconds_to_ms(self.time),
        })
    }
}

/// `Ledgers`.
#[derive(Debug, Deserialize)]
struct KrakenLedger {
    #[serde(default)]
    ledger: BTreeMap<String, KrakenLedgerEntry>,
    #[serde(default)]
    count: Option<u64>,
}

/// One ledger entry, keyed by its id.
#[derive(Debug, Deserialize)]
struct KrakenLedgerEntry {
    #[serde(default)]
    refid: String,
    time: f64,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    subtype: String,
    asset: String,
    #[serde(deserialize_with = "flex::string")]
    amount: String,
}

impl KrakenLedgerEntry {
    fn into_transfer(self, id: String) -> Transfer {
        // The amount keeps its sign: positive came into the account, negative left it.
        let status = match (self.kind.as_str(), self.subtype.as_str()) {
            (kind, "") => kind.to_owned(),
            (kind, sub) => format!("{kind}/{sub}"),
        };
        Transfer {
            id,
            kind: TransferKind::Internal,
            coin: names::coin(&self.asset),
            amount: Amount::new(&self.amount),
            from: None,
            to: None,
            status: if self.refid.is_empty() {
                status
            } else {
                format!("{status} (ref {})", self.refid)
            },
            time_ms: seconds_to_ms(self.time),
        }
    }
}

/// One `WithdrawStatus` or `DepositStatus` row.
#[derive(Debug, Deserialize)]
struct KrakenFunding {
    #[serde(default)]
    refid: String,
    #[serde(default)]
    asset: String,
    /// The address (withdrawals: where to; deposits: where it came in).
    #[serde(default)]
    info: String,
    #[serde(default, deserialize_with = "flex::string")]
    amount: String,
    #[serde(default)]
    time: f64,
    #[serde(default)]
    status: String,
}

impl KrakenFunding {
    fn into_transfer(self, kind: TransferKind) -> Transfer {
        Transfer {
            id: self.refid,
            kind,
            coin: names::coin(&self.asset),
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.info),
            status: self.status.to_ascii_lowercase(),
            time_ms: seconds_to_ms(self.time),
        }
    }
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

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: None,
        }
    }

    fn window() -> Window {
        Window {
            start_ms: 0,
            end_ms: 2_000_000_000_000,
        }
    }

    #[test]
    fn maps_errors() {
        for (text, want) in [
            ("EAPI:Invalid key", "InvalidKey"),
            ("EAPI:Invalid signature", "Signature"),
            ("EAPI:Invalid nonce", "Nonce"),
            ("EGeneral:Permission denied", "Permission"),
            ("EAccount:Invalid permissions", "Permission"),
            ("EAPI:Rate limit exceeded", "RateLimited"),
            ("EOrder:Rate limit exceeded", "RateLimited"),
            ("EService: Throttled: 1700000000", "RateLimited"),
            ("EService:Unavailable", "Unavailable"),
            ("EGeneral:Temporary lockout", "Api"),
            ("EOrder:Unknown order", "Api"),
        ] {
            let body = format!(r#"{{"error":["{text}"]}}"#);
            let decoded = decode(&Op::WhoAmI, &response(200, &body));
            let err = decoded.reply.unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{text}: {err:?}");
            assert_eq!(decoded.code.as_deref(), Some(text));
        }
        assert!(api_error("EAPI:Invalid key").is_unauthenticated());
        assert!(!api_error("EGeneral:Permission denied").is_unauthenticated());
        assert_eq!(
            api_error("EService: Throttled: 1700000000"),
            ExchangeError::RateLimited {
                code: "EService: Throttled: 1700000000".into(),
                reset_ms: Some(1_700_000_000_000),
                retry_after_ms: None,
            }
        );
        assert_eq!(
            api_error("EAPI:Invalid nonce").outcome(),
            crate::exchanges::CallOutcome::Refused
        );
        // Warnings do not fail a call.
        let warned = r#"{"error":["WGeneral:Something"],"result":{"unixtime":1700000000}}"#;
        assert_eq!(
            decode(&Op::ServerTime, &response(200, warned)).server_ms,
            Some(1_700_000_000_000)
        );
    }

    #[test]
    fn reads_orders_newest_first_with_offset_cursors() {
        let body = r#"{"error":[],"result":{"closed":{
            "OAAAAA-AAAAA-AAAAAA":{"refid":null,"userref":0,"cl_ord_id":"grid-1","status":"closed","opentm":1700000000.1234,"closetm":1700000060.5,"descr":{"pair":"XBTUSDT","type":"buy","ordertype":"limit","price":"63000.0","price2":"0","leverage":"none","order":"buy 0.01 XBTUSDT @ limit 63000.0","close":""},"vol":"0.01000000","vol_exec":"0.01000000","cost":"630.0","fee":"1.0","price":"63000.0"},
            "OBBBBB-BBBBB-BBBBBB":{"status":"canceled","opentm":1700000100,"descr":{"pair":"XVGUSDT","type":"buy","ordertype":"market","price":"0"},"vol":"250","vol_exec":"0","price":"0","oflags":"viqc"}
        },"count":60}}"#;
        let op = Op::Orders {
            segment: spot(),
            window: window(),
            cursor: None,
        };
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("2"));
        let (newest, oldest) = (&page.items[0], &page.items[1]);
        assert_eq!(newest.order_id, "OBBBBB-BBBBB-BBBBBB");
        assert_eq!(newest.status, OrderStatus::Cancelled);
        assert_eq!(newest.price, None);
        assert_eq!(oldest.client_order_id.as_deref(), Some("grid-1"));
        assert_eq!(oldest.status, OrderStatus::Filled);
        assert_eq!(oldest.qty.as_str(), "0.01");
        assert_eq!(oldest.price.as_ref().unwrap().as_str(), "63000");
        assert_eq!(oldest.created_ms, 1_700_000_000_123);
        assert_eq!(oldest.updated_ms, 1_700_000_060_500);
        // The last page: no cursor.
        let last = Op::Orders {
            segment: spot(),
            window: window(),
            cursor: Some("58".into()),
        };
        let page = decode(&last, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
    }

    #[test]
    fn cancel_all_counts_without_ids_and_the_dead_man_says_when() {
        let cancelled = decode(
            &Op::CancelAll { segment: spot() },
            &response(200, r#"{"error":[],"result":{"count":3,"pending":false}}"#),
        )
        .reply
        .unwrap()
        .into_cancelled()
        .unwrap();
        assert_eq!(cancelled.len(), 3);
        assert!(cancelled.iter().all(|c| c.order_id.is_empty()));
        let armed = decode(
            &Op::CancelAfter { seconds: 60 },
            &response(
                200,
                r#"{"error":[],"result":{"currentTime":"2023-03-24T17:41:56Z","triggerTime":"2023-03-24T17:42:56Z"}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(armed, Some(1_679_679_776_000));
        let off = decode(
            &Op::CancelAfter { seconds: 0 },
            &response(
                200,
                r#"{"error":[],"result":{"currentTime":"2023-03-24T17:41:56Z","triggerTime":"0"}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(off, None);
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

    #[test]
    fn not_an_envelope() {
        let err = decode(
            &Op::WhoAmI,
            &response(502, "<html><h1>502 Bad Gateway</h1></html>"),
        )
        .reply
        .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Http { status: 502, .. }),
            "{err:?}"
        );
        let err = decode(&Op::WhoAmI, &response(429, "429 Too Many Requests"))
            .reply
            .unwrap_err();
        assert!(matches!(err, ExchangeError::RateLimited { .. }), "{err:?}");
    }
}
