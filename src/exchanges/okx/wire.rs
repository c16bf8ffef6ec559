//! OKX V5 wire types and the response decoder (docs/venues.md §4.4–§4.8).
//!
//! Every answer comes in the `{code, msg, data}` envelope with `code` a string; a code other than
//! `"0"` becomes a typed [`ExchangeError`]. Batch and trade endpoints also answer per item
//! (`sCode`/`sMsg`), with `code` `"1"` (all failed) or `"2"` (some failed):
//! - a batch cancel returns the orders whose `sCode` is `"0"`; an item refused with `51400`
//!   (already filled, cancelled or gone) is simply not open any more; any other refused item is
//!   left out of the reply, so it stays open and the action's next listing finds it and cancels
//!   it again. Only when no item succeeded does the call fail, with the first refusal's code
//!   typed (a rate limit is waited out, a permission error surfaces);
//! - a single order or cancel fails with its item's `sCode`;
//! - `cancel-algos` answers the same way, each item naming its `algoId`.
//!
//! The dead-man switch answers with `triggerTime` in Unix ms, `0` when it was disarmed.
//!
//! Pages carry no cursor: the next page starts `after` the last id (orders: `ordId`, fills:
//! `billId`) or timestamp (withdrawals, transfers) of this one, and an empty page ends the walk,
//! which also survives a page cut short. `account/config` does not echo the key id, so the key
//! it describes has an empty id here; it never names the sub-account either.
//!
//! The spot segment's open-order pages continue with the algo-order pages
//! ([`endpoints::OpenPage`]); an algo order is decoded as an untriggered order of its own
//! `ordType` (`trigger`, `conditional`, …), its `algoId` as the order id.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::endpoints::{self, OpenPage};
use super::passphrase;
use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment,
    Side, Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive, Window};
use crate::secret::{KeyId, SecretString};

/// How long to wait after `50011` when the answer does not say: OKX counts per 2 seconds and
/// publishes no reset time (docs/venues.md §4.7), so a quarter of that window, at most five times.
const RATE_LIMIT_WAIT_MS: u64 = 500;

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxEnvelope {
    #[serde(deserialize_with = "flex::string")]
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Value,
    /// When the gateway answered, Unix µs (trade endpoints only).
    #[serde(default, deserialize_with = "flex::string")]
    out_time: String,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: OkxEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
        }
    };
    let server_ms = envelope
        .out_time
        .parse::<i64>()
        .ok()
        .map(|micros| micros / 1000);
    let reply = match envelope.code.as_str() {
        "0" => result(op, envelope.data),
        // Per-item answers (docs/venues.md §4.8): the items say what happened.
        "1" | "2" if has_items(&envelope.data) => items(op, envelope.data),
        code => Err(api_error(code, envelope.msg, response)),
    };
    let server_ms = match &reply {
        Ok(Reply::ServerTime(ms)) => Some(*ms),
        _ => server_ms,
    };
    Decoded {
        reply,
        server_ms,
        code: Some(envelope.code),
    }
}

/// Maps an OKX code to a typed error (docs/venues.md §4.4, §4.7, §4.8).
fn api_error(code: &str, message: String, response: &Response) -> ExchangeError {
    let code_text = code.to_owned();
    match code {
        "50011" | "50013" | "50061" => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        "50102" | "50107" | "50112" => ExchangeError::Timestamp { code: code_text },
        "50101" | "50103" | "50111" | "50119" => ExchangeError::InvalidKey { code: code_text },
        "50104" | "50105" => ExchangeError::Passphrase {
            code: code_text,
            message,
        },
        "50106" | "50113" => ExchangeError::Signature { code: code_text },
        "50110" => ExchangeError::IpRejected { code: code_text },
        "50035" => ExchangeError::KeyNotIpBound { code: code_text },
        "50030" | "50100" | "50120" | "59500" | "59504" => ExchangeError::Permission {
            code: code_text,
            message,
        },
        "59506" => ExchangeError::UnknownTarget {
            code: code_text,
            what: "the API key named in the request".to_owned(),
        },
        "59510" => ExchangeError::UnknownTarget {
            code: code_text,
            what: "the sub-account named in the request".to_owned(),
        },
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// How an answer that is not an OKX envelope reads.
const NOT_JSON: decode::NotJson = decode::NotJson {
    what: "an OKX envelope",
    answered: 200..201,
    rate_limited: &[429],
    wait_ms: Some(RATE_LIMIT_WAIT_MS),
};

fn http_error(response: &Response) -> ExchangeError {
    decode::http_error(response, &NOT_JSON)
}

/// Whether `data` holds per-item results.
fn has_items(data: &Value) -> bool {
    data.as_array()
        .is_some_and(|items| !items.is_empty() && items.iter().all(|i| i.get("sCode").is_some()))
}

/// One per-item result of a batch or trade endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxItem {
    #[serde(default)]
    ord_id: String,
    /// `cancel-algos` names the algo order instead.
    #[serde(default)]
    algo_id: String,
    #[serde(default)]
    cl_ord_id: String,
    #[serde(deserialize_with = "flex::string")]
    s_code: String,
    #[serde(default)]
    s_msg: String,
}

/// Reads per-item results (any envelope code).
fn items(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    let items: Vec<OkxItem> = parse(data)?;
    let empty = Response {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    };
    match op {
        Op::CancelBatch { segment, .. } => {
            let mut cancelled = Vec::new();
            let mut refused = None;
            for item in items {
                match item.s_code.as_str() {
                    "0" => cancelled.push(Cancelled {
                        order_id: if endpoints::is_algo_segment(segment) {
                            item.algo_id
                        } else {
                            item.ord_id
                        },
                        client_order_id: non_empty(item.cl_ord_id),
                        segment: segment_name(segment),
                    }),
                    // Already filled, cancelled or gone: not open, nothing to do.
                    "51400" => {}
                    code => {
                        refused.get_or_insert_with(|| api_error(code, item.s_msg, &empty));
                    }
                }
            }
            match refused {
                Some(err) if cancelled.is_empty() => Err(err),
                _ => Ok(Reply::Cancelled(cancelled)),
            }
        }
        _ => {
            let first = items
                .into_iter()
                .next()
                .ok_or_else(|| protocol("data[0]"))?;
            if first.s_code != "0" {
                return Err(api_error(&first.s_code, first.s_msg, &empty));
            }
            Ok(match op {
                Op::PlaceOrder(_) => Reply::Placed(first.ord_id),
                _ => Reply::Done,
            })
        }
    }
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: OkxTime = first(data)?;
            Reply::ServerTime(time.ts.parse().map_err(|_| protocol("ts"))?)
        }
        Op::WhoAmI => Reply::Key(first::<OkxConfig>(data)?.into()),
        Op::SubKeys { account, .. } => {
            let keys: Vec<OkxSubKey> = parse(data)?;
            Reply::Keys(Page {
                items: keys
                    .into_iter()
                    .map(|key| key.into_info(Some(account)))
                    .collect(),
                next: None,
            })
        }
        Op::RestrictKey { account, .. } => {
            let key: OkxSubKey = first(data)?;
            Reply::Key(key.into_info(account.as_deref()))
        }
        Op::RevokeKey(_) => Reply::Done,
        Op::CreateKey { account, .. } => {
            let key: OkxCreatedKey = first(data)?;
            if key.secret_key.is_empty() {
                return Err(protocol("secretKey of the new key"));
            }
            // The passphrase was generated for the request; OKX echoes it (docs/venues.md §4.4).
            if !passphrase::is_valid(key.passphrase.as_str()) {
                return Err(ExchangeError::Protocol {
                    detail: "OKX did not return the new key's passphrase; delete the key in the web interface and run lockdown again".to_owned(),
                });
            }
            let info = OkxSubKey {
                sub_acct: key.sub_acct,
                label: key.label,
                api_key: key.api_key,
                perm: key.perm,
                ip: key.ip,
                ts: key.ts,
            }
            .into_info(Some(account));
            Reply::Created(CreatedKey {
                info,
                secret: SecretString::from(key.secret_key.into_string()),
                passphrase: Some(SecretString::from(key.passphrase.into_string())),
            })
        }
        Op::CancelAfter { .. } => {
            let armed: OkxDeadMan = first(data)?;
            let trigger: i64 = armed
                .trigger_time
                .parse()
                .map_err(|_| protocol("triggerTime"))?;
            // `triggerTime` 0: disarmed (docs/venues.md §4.5).
            Reply::Armed((trigger > 0).then_some(trigger))
        }
        Op::CancelAll { .. } | Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: op.name(),
            });
        }
        Op::CancelBatch { .. } | Op::PlaceOrder(_) | Op::CancelOrder { .. } => items(op, data)?,
        Op::OpenOrders { segment, cursor } => {
            let page = OpenPage::of(segment, cursor.as_deref())?;
            let (items, last) = match page {
                OpenPage::Orders { .. } => {
                    let orders: Vec<OkxOrder> = parse(data)?;
                    let last = orders.last().map(|o| o.ord_id.clone());
                    let items = orders
                        .into_iter()
                        .map(|order| order.into_order(segment))
                        .collect::<Result<Vec<_>, _>>()?;
                    (items, last)
                }
                OpenPage::Algo { .. } => {
                    let orders: Vec<OkxAlgoOrder> = parse(data)?;
                    let last = orders.last().map(|o| o.algo_id.clone());
                    let items = orders
                        .into_iter()
                        .map(|order| order.into_order(segment))
                        .collect::<Result<Vec<_>, _>>()?;
                    (items, last)
                }
            };
            Reply::Orders(Page {
                items,
                next: page.next(segment, last),
            })
        }
        Op::Orders { segment, .. } => {
            let orders: Vec<OkxOrder> = parse(data)?;
            let next = orders.last().map(|o| o.ord_id.clone());
            let items = orders
                .into_iter()
                .map(|order| order.into_order(segment))
                .collect::<Result<_, _>>()?;
            Reply::Orders(Page { items, next })
        }
        Op::Fills { segment, .. } => {
            let fills: Vec<OkxFill> = parse(data)?;
            let next = fills.last().map(|f| f.bill_id.clone());
            let items = fills
                .into_iter()
                .map(|fill| fill.into_fill(segment))
                .collect::<Result<_, _>>()?;
            Reply::Fills(Page { items, next })
        }
        Op::Balances => {
            let accounts: Vec<OkxBalance> = parse(data)?;
            Reply::Balances(
                accounts
                    .into_iter()
                    .flat_map(|account| account.details)
                    .map(|coin| Balance {
                        coin: coin.ccy,
                        total: Amount::new(if coin.cash_bal.is_empty() {
                            &coin.eq
                        } else {
                            &coin.cash_bal
                        }),
                        locked: Amount::new(&coin.frozen_bal),
                        usd_value: non_empty(coin.eq_usd).map(|v| Amount::new(&v)),
                    })
                    .collect(),
            )
        }
        Op::Withdrawals { window, .. } => {
            let rows: Vec<OkxWithdrawal> = parse(data)?;
            ts_page(rows, window, |row| {
                Ok(Transfer {
                    time_ms: row.ts.parse().map_err(|_| protocol("ts"))?,
                    id: row.wd_id,
                    kind: TransferKind::Withdrawal,
                    coin: row.ccy,
                    amount: Amount::new(&row.amt),
                    from: None,
                    to: non_empty(row.to),
                    status: withdrawal_state(&row.state).to_owned(),
                })
            })?
        }
        Op::Transfers { window, .. } => {
            let rows: Vec<OkxSubBill> = parse(data)?;
            ts_page(rows, window, |row| {
                // `type` 0: master to sub-account; 1: sub-account to master.
                let (from, to) = if row.kind == "1" {
                    (Some(row.sub_acct), Some("master".to_owned()))
                } else {
                    (Some("master".to_owned()), Some(row.sub_acct))
                };
                Ok(Transfer {
                    time_ms: row.ts.parse().map_err(|_| protocol("ts"))?,
                    id: row.bill_id,
                    kind: TransferKind::Internal,
                    coin: row.ccy,
                    amount: Amount::new(&row.amt),
                    from,
                    to,
                    status: "done".to_owned(),
                })
            })?
        }
        Op::Withdraw { .. } => Reply::Done,
    })
}

/// A newest-first page of timestamped rows: the ones inside the window, and a cursor (the last
/// row's time) while the page is not empty and has not yet gone past the window's start.
fn ts_page<T>(
    rows: Vec<T>,
    window: &Window,
    convert: impl Fn(T) -> Result<Transfer, ExchangeError>,
) -> Result<Reply, ExchangeError> {
    let all: Vec<Transfer> = rows.into_iter().map(convert).collect::<Result<_, _>>()?;
    let next = all
        .last()
        .filter(|last| last.time_ms > window.start_ms)
        .map(|last| last.time_ms.to_string());
    let items = all
        .into_iter()
        .filter(|t| (window.start_ms..=window.end_ms).contains(&t.time_ms))
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// OKX withdrawal states (`withdrawal-history`, `state`), in words.
fn withdrawal_state(state: &str) -> &str {
    match state {
        "2" => "success",
        "-3" => "canceling",
        "-2" => "canceled",
        "-1" => "failed",
        "0" | "17" | "4" | "5" | "6" | "8" | "9" | "12" => "pending",
        "1" | "7" | "10" | "15" | "16" => "in progress",
        other => other,
    }
}

fn first<T: DeserializeOwned>(data: Value) -> Result<T, ExchangeError> {
    let mut items: Vec<T> = parse(data)?;
    if items.is_empty() {
        return Err(protocol("data[0]"));
    }
    Ok(items.swap_remove(0))
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("OKX data", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("OKX data", field)
}

/// Comma lists (`perm`, `ip`) as items.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How a segment is named in records: `spot/SPOT`, `linear/SWAP`, ….
fn segment_name(segment: &Segment) -> String {
    segment.to_string()
}

/// The market family of an instrument: `SPOT`/`MARGIN` trade spot pairs; swaps and futures are
/// inverse when quoted in `USD` (`BTC-USD-SWAP`), linear otherwise (`BTC-USDT-SWAP`).
pub fn category(inst_type: &str, inst_id: &str, fallback: Category) -> Category {
    match inst_type {
        "SPOT" | "MARGIN" => Category::Spot,
        "SWAP" | "FUTURES" => {
            if inst_id.split('-').nth(1) == Some("USD") {
                Category::Inverse
            } else {
                Category::Linear
            }
        }
        "OPTION" => Category::Option,
        _ => fallback,
    }
}

/// Milliseconds as RFC 3339, for key creation times.
fn rfc3339(ms: &str) -> Option<String> {
    ms.parse::<i64>().ok().map(crate::clock::rfc3339_ms)
}

/// `GET /api/v5/public/time`.
#[derive(Debug, Deserialize)]
struct OkxTime {
    #[serde(deserialize_with = "flex::string")]
    ts: String,
}

/// `GET /api/v5/account/config`: the calling key and its account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxConfig {
    #[serde(default, deserialize_with = "flex::string")]
    uid: String,
    #[serde(default, deserialize_with = "flex::string")]
    main_uid: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    perm: String,
}

impl From<OkxConfig> for KeyInfo {
    fn from(config: OkxConfig) -> KeyInfo {
        let permissions = list(&config.perm);
        KeyInfo {
            // Not in the answer: the caller knows which key it signed with.
            key: KeyId::new(""),
            label: config.label,
            // OKX names sub-accounts; this endpoint gives only the UID.
            account: None,
            is_master: !config.uid.is_empty() && config.uid == config.main_uid,
            read_only: !permissions.iter().any(|p| p == "trade"),
            permissions,
            ips: list(&config.ip),
            created_at: None,
            expires_at: None,
        }
    }
}

/// A sub-account key as `users/subaccount/apikey` (list) and `modify-apikey` describe it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxSubKey {
    #[serde(default)]
    sub_acct: String,
    #[serde(default)]
    label: String,
    api_key: String,
    #[serde(default)]
    perm: String,
    #[serde(default)]
    ip: String,
    #[serde(default, deserialize_with = "flex::string")]
    ts: String,
}

impl OkxSubKey {
    fn into_info(self, account: Option<&str>) -> KeyInfo {
        let permissions = list(&self.perm);
        KeyInfo {
            key: KeyId::new(self.api_key),
            label: self.label,
            account: non_empty(self.sub_acct).or_else(|| account.map(str::to_owned)),
            is_master: false,
            read_only: !permissions.iter().any(|p| p == "trade"),
            permissions,
            ips: list(&self.ip),
            created_at: rfc3339(&self.ts),
            expires_at: None,
        }
    }
}

/// `POST /api/v5/users/subaccount/apikey`: the new key, its secret and passphrase.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxCreatedKey {
    #[serde(default)]
    sub_acct: String,
    #[serde(default)]
    label: String,
    api_key: String,
    #[serde(default)]
    secret_key: Sensitive,
    #[serde(default)]
    passphrase: Sensitive,
    #[serde(default)]
    perm: String,
    #[serde(default)]
    ip: String,
    #[serde(default, deserialize_with = "flex::string")]
    ts: String,
}

/// `POST /api/v5/trade/cancel-all-after`: when the orders go (Unix ms, `0` when disarmed); the
/// answer's `tag` and `ts` (when the request was received) are not needed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxDeadMan {
    #[serde(deserialize_with = "flex::string")]
    trigger_time: String,
}

/// `orders-pending`, `orders-history` and `orders-history-archive` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxOrder {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    ord_id: String,
    #[serde(default)]
    cl_ord_id: String,
    #[serde(default)]
    px: String,
    sz: String,
    #[serde(default)]
    ord_type: String,
    side: String,
    state: String,
    #[serde(default)]
    acc_fill_sz: String,
    #[serde(default)]
    avg_px: String,
    #[serde(deserialize_with = "flex::string")]
    c_time: String,
    #[serde(default, deserialize_with = "flex::string")]
    u_time: String,
}

impl OkxOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self.c_time.parse().map_err(|_| protocol("cTime"))?;
        let order_type = self.ord_type.to_ascii_lowercase();
        let price = Amount::new(&self.px);
        Ok(Order {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            order_id: self.ord_id,
            client_order_id: non_empty(self.cl_ord_id),
            symbol: self.inst_id,
            side,
            price: (!self.px.is_empty() && order_type != "market" && !price.is_zero())
                .then_some(price),
            order_type,
            qty: Amount::new(&self.sz),
            filled_qty: Amount::new(&self.acc_fill_sz),
            avg_price: non_empty(self.avg_px)
                .map(|p| Amount::new(&p))
                .filter(|p| !p.is_zero()),
            status: status(&self.state),
            created_ms,
            updated_ms: self.u_time.parse().unwrap_or(created_ms),
        })
    }
}

/// An algo order as `orders-algo-pending` lists it (OKX docs, "Get algo order list"): an
/// `algoId` of its own, its `ordType` (`trigger`, `conditional`, `oco`, `move_order_stop`, …)
/// and the prices it waits for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxAlgoOrder {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    algo_id: String,
    #[serde(default)]
    algo_cl_ord_id: String,
    #[serde(default)]
    sz: String,
    ord_type: String,
    side: String,
    #[serde(default)]
    state: String,
    /// The trigger order's price once triggered (`-1`: market).
    #[serde(default)]
    ord_px: String,
    #[serde(deserialize_with = "flex::string")]
    c_time: String,
    #[serde(default, deserialize_with = "flex::string")]
    u_time: String,
}

impl OkxAlgoOrder {
    /// The order in the model: [`OrderStatus::Untriggered`] while it waits (`live`, and a
    /// `partially_effective` one still has a part waiting), which marks it as conditional in a
    /// snapshot; its `ordType` as the order type, which is how the cancel tells it apart.
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self.c_time.parse().map_err(|_| protocol("cTime"))?;
        let price = Amount::new(&self.ord_px);
        Ok(Order {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            order_id: self.algo_id,
            client_order_id: non_empty(self.algo_cl_ord_id),
            symbol: self.inst_id,
            side,
            price: (!self.ord_px.is_empty() && self.ord_px != "-1" && !price.is_zero())
                .then_some(price),
            order_type: self.ord_type.to_ascii_lowercase(),
            qty: Amount::new(if self.sz.is_empty() { "0" } else { &self.sz }),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: algo_status(&self.state),
            created_ms,
            updated_ms: self.u_time.parse().unwrap_or(created_ms),
        })
    }
}

/// OKX algo order states: `live` and `pause` wait; `partially_effective` has triggered in part
/// and still waits for the rest; `effective` has triggered (its order is listed by
/// `orders-pending`), `order_failed` failed to.
fn algo_status(state: &str) -> OrderStatus {
    match state {
        "effective" => OrderStatus::Filled,
        "canceled" => OrderStatus::Cancelled,
        "order_failed" => OrderStatus::Rejected,
        // live, pause, partially_effective, and anything new: still pending, so cancelled.
        _ => OrderStatus::Untriggered,
    }
}

/// OKX order states (docs/venues.md §4.6; `orders-pending`/`orders-history` `state`).
fn status(state: &str) -> OrderStatus {
    match state {
        "live" => OrderStatus::Open,
        "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        // canceled, mmp_canceled
        _ => OrderStatus::Cancelled,
    }
}

/// `fills` and `fills-history` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxFill {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    #[serde(default)]
    trade_id: String,
    ord_id: String,
    #[serde(default)]
    cl_ord_id: String,
    bill_id: String,
    fill_px: String,
    fill_sz: String,
    side: String,
    #[serde(default)]
    fee: String,
    #[serde(deserialize_with = "flex::string")]
    ts: String,
}

impl OkxFill {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        // OKX writes a charge as a negative fee and a rebate as a positive one.
        let fee = match self.fee.strip_prefix('-') {
            Some(charge) => charge.to_owned(),
            None if Amount::new(&self.fee).is_zero() => "0".to_owned(),
            None => format!("-{}", self.fee),
        };
        Ok(Fill {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            side: Side::parse(&self.side).ok_or_else(|| protocol("side"))?,
            time_ms: self.ts.parse().map_err(|_| protocol("ts"))?,
            fill_id: if self.trade_id.is_empty() {
                self.bill_id
            } else {
                self.trade_id
            },
            order_id: self.ord_id,
            client_order_id: non_empty(self.cl_ord_id),
            symbol: self.inst_id,
            qty: Amount::new(&self.fill_sz),
            price: Amount::new(&self.fill_px),
            fee: Amount::new(&fee),
        })
    }
}

/// `GET /api/v5/account/balance` accounts.
#[derive(Debug, Deserialize)]
struct OkxBalance {
    #[serde(default)]
    details: Vec<OkxCoin>,
}

/// One coin of the trading account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxCoin {
    ccy: String,
    #[serde(default)]
    eq: String,
    #[serde(default)]
    cash_bal: String,
    #[serde(default)]
    frozen_bal: String,
    #[serde(default)]
    eq_usd: String,
}

/// `GET /api/v5/asset/withdrawal-history` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxWithdrawal {
    #[serde(deserialize_with = "flex::string")]
    wd_id: String,
    ccy: String,
    amt: String,
    #[serde(default)]
    to: String,
    #[serde(default, deserialize_with = "flex::string")]
    state: String,
    #[serde(deserialize_with = "flex::string")]
    ts: String,
}

/// `GET /api/v5/asset/subaccount/bills` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxSubBill {
    #[serde(deserialize_with = "flex::string")]
    bill_id: String,
    ccy: String,
    amt: String,
    #[serde(rename = "type", default, deserialize_with = "flex::string")]
    kind: String,
    #[serde(default)]
    sub_acct: String,
    #[serde(deserialize_with = "flex::string")]
    ts: String,
}

/// Deserializers for fields OKX documents as strings but a proxy may turn into numbers.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::OrderRef;

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
            settle: Some("SPOT"),
        }
    }

    #[test]
    fn maps_codes() {
        let cases = [
            ("50011", 429, "RateLimited"),
            ("50102", 401, "Timestamp"),
            ("50103", 401, "InvalidKey"),
            ("50104", 401, "Passphrase"),
            ("50105", 401, "Passphrase"),
            ("50106", 401, "Signature"),
            ("50107", 401, "Timestamp"),
            ("50110", 401, "IpRejected"),
            ("50111", 401, "InvalidKey"),
            ("50113", 401, "Signature"),
            ("50119", 200, "InvalidKey"),
            ("50120", 200, "Permission"),
            ("50035", 403, "KeyNotIpBound"),
            ("59500", 200, "Permission"),
            ("59506", 200, "UnknownTarget"),
            ("59510", 200, "UnknownTarget"),
            ("51000", 400, "Api"),
        ];
        for (code, status, want) in cases {
            let body = format!(r#"{{"code":"{code}","msg":"m","data":[]}}"#);
            let decoded = decode(&Op::WhoAmI, &response(status, &body));
            let err = decoded.reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
            assert_eq!(decoded.code.as_deref(), Some(code));
        }
        let err = decode(
            &Op::WhoAmI,
            &response(
                429,
                r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            err,
            ExchangeError::RateLimited {
                code: "50011".into(),
                reset_ms: None,
                retry_after_ms: Some(RATE_LIMIT_WAIT_MS),
            }
        );
    }

    #[test]
    fn unbound_master_says_what_to_do() {
        let body = r#"{"code":"50035","msg":"This endpoint requires that APIKey must be bound to IP","data":[]}"#;
        let err = decode(&Op::WhoAmI, &response(403, body)).reply.unwrap_err();
        assert!(err.to_string().contains("bound to IP addresses"), "{err}");
        assert!(err.hint().unwrap().contains("bind the master API key"));
    }

    #[test]
    fn batch_cancel_keeps_successes_and_fails_only_when_nothing_went() {
        let op = Op::CancelBatch {
            segment: spot(),
            orders: vec![OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: "1".into(),
            }],
        };
        let partly = r#"{"code":"2","msg":"","data":[
            {"ordId":"1","clOrdId":"","sCode":"0","sMsg":""},
            {"ordId":"2","clOrdId":"","sCode":"51400","sMsg":"gone"},
            {"ordId":"3","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let cancelled = decode(&op, &response(200, partly))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].order_id, "1");
        assert_eq!(cancelled[0].segment, "spot/SPOT");
        let none = r#"{"code":"1","msg":"","data":[
            {"ordId":"3","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let err = decode(&op, &response(200, none)).reply.unwrap_err();
        assert!(matches!(err, ExchangeError::RateLimited { .. }), "{err:?}");
        let all_gone = r#"{"code":"1","msg":"","data":[
            {"ordId":"2","clOrdId":"","sCode":"51400","sMsg":"gone"}]}"#;
        let reply = decode(&op, &response(200, all_gone)).reply.unwrap();
        assert!(reply.into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn reads_orders_with_the_last_id_as_cursor() {
        let body = r#"{"code":"0","msg":"","data":[
            {"instType":"SWAP","instId":"BTC-USDT-SWAP","ordId":"20","clOrdId":"gridabc","px":"60000","sz":"1","ordType":"limit","side":"buy","state":"live","accFillSz":"0","avgPx":"","cTime":"1700000000000","uTime":"1700000000001"},
            {"instType":"SWAP","instId":"BTC-USD-SWAP","ordId":"10","clOrdId":"","px":"","sz":"2","ordType":"market","side":"sell","state":"filled","accFillSz":"2","avgPx":"61000","cTime":"1690000000000","uTime":"1690000000000"}]}"#;
        let op = Op::OpenOrders {
            segment: spot(),
            cursor: None,
        };
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("10"));
        assert_eq!(page.items[0].category, Category::Linear);
        assert_eq!(page.items[0].status, OrderStatus::Open);
        assert_eq!(page.items[0].price.as_ref().unwrap().as_str(), "60000");
        assert_eq!(page.items[1].category, Category::Inverse);
        assert_eq!(page.items[1].price, None);
        assert_eq!(page.items[1].avg_price.as_ref().unwrap().as_str(), "61000");
        let empty = r#"{"code":"0","msg":"","data":[]}"#;
        let end = decode(&op, &response(200, empty))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        // The spot listing goes on with the algo orders; a swap listing ends.
        assert!(end.items.is_empty());
        assert_eq!(end.next.as_deref(), Some("algo:0"));
        let swap = Op::OpenOrders {
            segment: Segment {
                category: Category::Linear,
                settle: Some("SWAP"),
            },
            cursor: None,
        };
        let end = decode(&swap, &response(200, empty))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(end.items.is_empty() && end.next.is_none());
    }

    #[test]
    fn algo_pages_read_algo_orders_as_untriggered() {
        let op = |cursor: &str| Op::OpenOrders {
            segment: spot(),
            cursor: Some(cursor.to_owned()),
        };
        let body = r#"{"code":"0","msg":"","data":[
            {"activePx":"","algoClOrdId":"","algoId":"1753184812254216192","cTime":"1724751378980","instId":"BTC-USDT","instType":"SPOT","ordPx":"-1","ordType":"trigger","side":"sell","state":"live","sz":"0.2","triggerPx":"60000","uTime":"1724751378980"},
            {"algoClOrdId":"stop7","algoId":"1753184812254216100","cTime":"1724751300000","instId":"BTC-USDT-SWAP","instType":"SWAP","ordPx":"","ordType":"conditional","side":"buy","state":"partially_effective","sz":"3","slTriggerPx":"58000","uTime":""},
            {"algoClOrdId":"","algoId":"1753184812254216000","cTime":"1724751200000","instId":"BTC-USDT","instType":"SPOT","ordPx":"61000","ordType":"trigger","side":"buy","state":"live","sz":"1","uTime":"1724751200001"}]}"#;
        let page = decode(&op("algo:1"), &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("algo:1:1753184812254216000"));
        let trigger = &page.items[0];
        assert_eq!(
            (
                trigger.order_id.as_str(),
                trigger.symbol.as_str(),
                trigger.order_type.as_str(),
                trigger.status,
                trigger.category,
                trigger.side,
                trigger.qty.as_str(),
            ),
            (
                "1753184812254216192",
                "BTC-USDT",
                "trigger",
                OrderStatus::Untriggered,
                Category::Spot,
                Side::Sell,
                "0.2"
            )
        );
        assert!(trigger.status.is_open());
        assert_eq!(trigger.price, None, "a market trigger order has no price");
        let stop = &page.items[1];
        assert_eq!(stop.category, Category::Linear);
        assert_eq!(stop.client_order_id.as_deref(), Some("stop7"));
        assert_eq!(stop.status, OrderStatus::Untriggered);
        assert_eq!(stop.updated_ms, 1_724_751_300_000);
        assert_eq!(
            page.items[2].price.as_ref().map(Amount::as_str),
            Some("61000")
        );
        // An empty algo page moves to the next type; after the last, the listing ends.
        let empty = r#"{"code":"0","msg":"","data":[]}"#;
        let next = |cursor: &str| {
            decode(&op(cursor), &response(200, empty))
                .reply
                .unwrap()
                .into_orders()
                .unwrap()
                .next
        };
        assert_eq!(next("algo:1:5").as_deref(), Some("algo:2"));
        let last = endpoints::ALGO_PAGES.len() - 1;
        assert_eq!(next(&format!("algo:{last}")), None);
        // A bad `ordType` is OKX's parameter error, typed.
        let refused = decode(
            &op("algo:0"),
            &response(
                200,
                r#"{"code":"51000","msg":"Parameter ordType error","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert!(matches!(refused, ExchangeError::Api { .. }), "{refused:?}");
    }

    #[test]
    fn algo_cancels_answer_per_algo_id() {
        let op = Op::CancelBatch {
            segment: endpoints::ALGO_SEGMENT,
            orders: vec![OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: "501".into(),
            }],
        };
        let partly = r#"{"code":"2","msg":"","data":[
            {"algoClOrdId":"","algoId":"501","clOrdId":"","sCode":"0","sMsg":"","tag":""},
            {"algoClOrdId":"","algoId":"502","clOrdId":"","sCode":"51400","sMsg":"gone"},
            {"algoClOrdId":"","algoId":"503","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let cancelled = decode(&op, &response(200, partly))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(
            (
                cancelled[0].order_id.as_str(),
                cancelled[0].segment.as_str()
            ),
            ("501", "spot/algo")
        );
        let refused = r#"{"code":"1","msg":"","data":[
            {"algoId":"503","sCode":"50120","sMsg":"no permission"}]}"#;
        let err = decode(&op, &response(200, refused)).reply.unwrap_err();
        assert!(matches!(err, ExchangeError::Permission { .. }), "{err:?}");
        let all_gone = r#"{"code":"1","msg":"","data":[
            {"algoId":"502","sCode":"51400","sMsg":"gone"}]}"#;
        let reply = decode(&op, &response(200, all_gone)).reply.unwrap();
        assert!(reply.into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn timestamp_pages_stop_at_the_window() {
        let op = Op::Withdrawals {
            window: Window {
                start_ms: 1_000,
                end_ms: 5_000,
            },
            cursor: None,
        };
        let body = r#"{"code":"0","msg":"","data":[
            {"wdId":"3","ccy":"USDT","amt":"5","to":"0xabc","state":"2","ts":"4000"},
            {"wdId":"2","ccy":"USDT","amt":"6","to":"0xabc","state":"0","ts":"2000"}]}"#;
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].status, "success");
        assert_eq!(page.next.as_deref(), Some("2000"));
        let past = r#"{"code":"0","msg":"","data":[
            {"wdId":"1","ccy":"USDT","amt":"5","to":"","state":"2","ts":"500"}]}"#;
        let page = decode(&op, &response(200, past))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert!(page.items.is_empty() && page.next.is_none());
    }

    #[test]
    fn created_key_carries_secret_and_passphrase() {
        let body = r#"{"code":"0","msg":"","data":[{"subAcct":"gridbot01","label":"lockdown-1","apiKey":"k-1","secretKey":"S3CRET","passphrase":"Abcdef1!xyz","perm":"read_only,trade","ip":"127.0.0.1","ts":"1700000000000"}]}"#;
        let op = Op::CreateKey {
            account: "gridbot01".into(),
            label: "lockdown-1".into(),
            scope: crate::exchanges::model::KeyScope {
                trade: vec![],
                ips: crate::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        };
        let created = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_created()
            .unwrap();
        assert!(created.passphrase.is_some());
        assert_eq!(created.info.account.as_deref(), Some("gridbot01"));
        assert_eq!(created.info.permissions, ["read_only", "trade"]);
        assert!(!created.info.can_withdraw());
        let masked = body.replace("Abcdef1!xyz", "******");
        assert!(decode(&op, &response(200, &masked)).reply.is_err());
    }

    #[test]
    fn dead_man_answers_with_the_trigger_time() {
        let armed = decode(
            &Op::CancelAfter { seconds: 60 },
            &response(
                200,
                r#"{"code":"0","msg":"","data":[{"triggerTime":"1587971460000","tag":"","ts":"1587971400000"}]}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(armed, Some(1_587_971_460_000));
        let off = decode(
            &Op::CancelAfter { seconds: 0 },
            &response(
                200,
                r#"{"code":"0","msg":"","data":[{"triggerTime":"0","tag":"","ts":"1587971400000"}]}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(off, None);
        for (label, body) in [
            ("no item", r#"{"code":"0","msg":"","data":[]}"#),
            ("no trigger", r#"{"code":"0","msg":"","data":[{"ts":"1"}]}"#),
            (
                "not a time",
                r#"{"code":"0","msg":"","data":[{"triggerTime":"soon"}]}"#,
            ),
        ] {
            let err = decode(&Op::CancelAfter { seconds: 60 }, &response(200, body))
                .reply
                .unwrap_err();
            assert!(
                matches!(err, ExchangeError::Protocol { .. }),
                "{label}: {err:?}"
            );
        }
        let refused = decode(
            &Op::CancelAfter { seconds: 5 },
            &response(
                400,
                r#"{"code":"51000","msg":"Parameter timeOut error","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(refused.code(), Some("51000"));
    }

    #[test]
    fn not_an_envelope() {
        let err = decode(
            &Op::WhoAmI,
            &response(502, "<html><h1>502 Bad Gateway</h1></html>"),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            err,
            ExchangeError::Http {
                status: 502,
                detail: "502 Bad Gateway".into()
            }
        );
    }
}
