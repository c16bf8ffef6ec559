//! Binance wire types and the response decoder (docs/venues.md §5.4–§5.8).
//!
//! Success is bare JSON (an object or an array, no envelope); a refusal is `{code, msg}` with an
//! HTTP 4xx, mapped to a typed [`ExchangeError`]: `-1021` timestamp, `-1022` signature, `-2014`
//! malformed key, `-2015` key refused (unknown, deleted, outside its IP list or lacking the
//! permission: one code for all, so [`ExchangeError::KeyRefused`]; on a USD-M call it is the
//! futures permission, see [`api_error`]), `-1002` not authorized (permission), `-1003` too many
//! requests (HTTP 429: wait `Retry-After`; HTTP 418: an IP ban, [`ExchangeError::IpBanned`],
//! never retried inside it), `-1015` too many orders. A 5xx leaves the outcome unknown. Reads
//! that walk a cursor (`cursor.rs`) answer empty pages while they learn which symbols to read; a
//! symbol the venue does not know (`-1121`) ends its walk. A USD-M cancel-all answers
//! `{"code": 200, "msg": …}`: acknowledged, without the orders; so does its conditional
//! orders' cancel. USD-M conditional (algo) orders are decoded as untriggered orders.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{HistoryCursor, HistoryStep, KeysCursor, ListedKey, MoneyCursor};
use super::endpoints::{self, MONEY_PAGE, OpenPage, TRANSFERS_PAGE};
use crate::exchanges::decode::{self, non_empty, retry_after};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment,
    Side, Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive, Window};
use crate::secret::{KeyId, SecretString};

/// A refusal's body.
#[derive(Debug, Deserialize)]
struct BinanceError {
    code: i64,
    #[serde(default)]
    msg: String,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    if response.status >= 400 {
        let Ok(err) = serde_json::from_slice::<BinanceError>(&response.body) else {
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
        };
        let reply = match (err.code, op) {
            // A symbol Binance does not list has no history: its walk moves on.
            (-1121, Op::Orders { .. } | Op::Fills { .. }) => walk_page(op, Value::Array(vec![])),
            // No open order on the symbol: nothing was left to cancel.
            (-2011, Op::CancelBatch { .. }) => Ok(Reply::Cancelled(Vec::new())),
            (code, _) => Err(api_error(response, code, err.msg, op)),
        };
        return Decoded {
            reply,
            server_ms: None,
            code: Some(err.code.to_string()),
        };
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(_) => {
            return Decoded {
                reply: Err(http_error(response)),
                server_ms: None,
                code: None,
            };
        }
    };
    let reply = result(op, body);
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

/// Maps a Binance code to a typed error (docs/venues.md §5.8).
fn api_error(response: &Response, code: i64, message: String, op: &Op) -> ExchangeError {
    let code_text = code.to_string();
    if response.status == 418 {
        return ExchangeError::IpBanned {
            code: code_text,
            retry_after_ms: retry_after(response),
        };
    }
    match code {
        -1021 => ExchangeError::Timestamp { code: code_text },
        -1022 => ExchangeError::Signature { code: code_text },
        -2014 => ExchangeError::InvalidKey { code: code_text },
        // After the lock the responder's address is in the key's list and spot calls pass, so a
        // `-2015` on USD-M alone is the futures permission the key lacks: a segment it cannot
        // reach, not a refused key.
        -2015 if on_futures(op) => ExchangeError::Permission {
            code: code_text,
            message: format!("{message} (USD-M: the key may lack the futures permission)"),
        },
        -2015 => ExchangeError::KeyRefused { code: code_text },
        -1002 => ExchangeError::Permission {
            code: code_text,
            message,
        },
        -1003 | -1015 => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: retry_after(response).or(Some(1000)),
        },
        // An invalid `email`, `subAccountId` or `subAccountApiKey` names nothing the master has.
        -1130
            if matches!(
                op,
                Op::RestrictKey { .. }
                    | Op::RevokeKey(_)
                    | Op::SubKeys { .. }
                    | Op::CreateKey { .. }
            ) =>
        {
            ExchangeError::UnknownTarget {
                code: code_text,
                what: format!("the sub-account or key named in the request ({message})"),
            }
        }
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// Whether an operation acts on USD-M futures.
fn on_futures(op: &Op) -> bool {
    match op {
        Op::OpenOrders { segment, .. }
        | Op::Orders { segment, .. }
        | Op::Fills { segment, .. }
        | Op::CancelBatch { segment, .. }
        | Op::CancelOrder { segment, .. } => endpoints::is_futures(segment),
        Op::PlaceOrder(order) => endpoints::is_futures(&order.segment),
        _ => false,
    }
}

/// How an answer that is not Binance JSON reads: any 2xx was meant to be JSON.
const NOT_JSON: decode::NotJson = decode::NotJson {
    what: "Binance JSON",
    answered: 0..300,
    rate_limited: &[429],
    wait_ms: Some(1000),
};

fn http_error(response: &Response) -> ExchangeError {
    match response.status {
        418 => ExchangeError::IpBanned {
            code: "HTTP 418".to_owned(),
            retry_after_ms: retry_after(response),
        },
        _ => decode::http_error(response, &NOT_JSON),
    }
}

fn result(op: &Op, body: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: BinanceTime = parse(body)?;
            Reply::ServerTime(time.server_time)
        }
        Op::WhoAmI => Reply::Key(parse::<BinanceRestrictions>(body)?.into()),
        Op::SubKeys { account, cursor } => Reply::Keys(sub_keys(account, cursor.as_deref(), body)?),
        Op::RestrictKey { key, account, .. } => {
            let changed: BinanceKeyChange = parse(body)?;
            Reply::Key(changed.into_info(key, account.as_deref()))
        }
        Op::RevokeKey(_) | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CreateKey { account, label, .. } => {
            let created: BinanceCreatedKey = parse(body)?;
            if created.secret_key.is_empty() {
                return Err(protocol("secretKey"));
            }
            let permissions = created.flags.names();
            Reply::Created(CreatedKey {
                info: KeyInfo {
                    key: KeyId::new(created.api_key),
                    label: if created.api_name.is_empty() {
                        label.clone()
                    } else {
                        created.api_name
                    },
                    account: Some(account.clone()),
                    is_master: false,
                    read_only: !created.flags.trades(),
                    permissions,
                    ips: created.ip_list,
                    created_at: None,
                    expires_at: None,
                },
                secret: SecretString::from(created.secret_key.into_string()),
                passphrase: None,
            })
        }
        Op::CancelBatch { segment, orders } => match body {
            // Spot: the orders (and order lists) it cancelled.
            Value::Array(items) => {
                let mut cancelled = Vec::new();
                for item in items {
                    if let Some(reports) = item.get("orderReports").and_then(Value::as_array) {
                        for report in reports {
                            cancelled.push(cancelled_of(segment, parse(report.clone())?));
                        }
                    } else {
                        cancelled.push(cancelled_of(segment, parse(item)?));
                    }
                }
                Reply::Cancelled(cancelled)
            }
            // USD-M: `{"code": 200, "msg": "The operation of cancel all open order is done."}`,
            // every open order of the symbol, those named included; for the conditional
            // orders (`algoOpenOrders`) the same answer. The two requests of one USD-M cancel
            // count the named orders once (`Reply::followed_by` keeps the first answer).
            _ => Reply::Cancelled(
                orders
                    .iter()
                    .map(|o| Cancelled {
                        order_id: o.order_id.clone(),
                        client_order_id: None,
                        segment: segment.to_string(),
                    })
                    .collect(),
            ),
        },
        Op::OpenOrders { segment, cursor } => {
            let page = OpenPage::of(segment, cursor.as_deref())?;
            let items = match page {
                OpenPage::Orders => parse::<Vec<BinanceOrder>>(body)?
                    .into_iter()
                    .map(|o| o.into_order(segment))
                    .collect::<Result<_, _>>()?,
                OpenPage::Conditional => parse::<Vec<BinanceAlgoOrder>>(body)?
                    .into_iter()
                    .map(BinanceAlgoOrder::into_order)
                    .collect::<Result<_, _>>()?,
            };
            Reply::Orders(Page {
                items,
                next: page.next(segment),
            })
        }
        Op::Orders { .. } | Op::Fills { .. } => walk_page(op, body)?,
        Op::Balances => {
            let account: BinanceAccount = parse(body)?;
            Reply::Balances(
                account
                    .balances
                    .into_iter()
                    .map(|b| Balance {
                        total: Amount::new(&sum(&b.free, &b.locked)),
                        locked: Amount::new(&b.locked),
                        coin: b.asset,
                        usd_value: None,
                    })
                    .collect(),
            )
        }
        Op::Withdrawals { window, cursor } => {
            let rows: Vec<BinanceWithdrawal> = parse(body)?;
            let page = MoneyCursor::parse(cursor.as_deref())?;
            let next = (rows.len() >= MONEY_PAGE).then(|| {
                MoneyCursor {
                    offset: page.offset + rows.len(),
                    ..page.clone()
                }
                .to_text()
            });
            let items = rows
                .into_iter()
                .map(BinanceWithdrawal::into_transfer)
                .filter(|t| in_window(window, t.time_ms))
                .collect();
            Reply::Transfers(Page { items, next })
        }
        Op::Transfers { window, cursor } => transfers(window, cursor.as_deref(), body)?,
        Op::PlaceOrder(_) => {
            let placed: BinanceOrderAck = parse(body)?;
            Reply::Placed(placed.order_id.to_string())
        }
        Op::CancelAll { .. } | Op::CancelAfter { .. } | Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
    })
}

/// One page of a key listing (see `cursor.rs`): the sub-account listing (no item yet, its keys
/// pending), one key read with its IP list, or the broker listing (masked ids).
fn sub_keys(
    account: &str,
    cursor: Option<&str>,
    body: Value,
) -> Result<Page<KeyInfo>, ExchangeError> {
    if body.is_array() {
        let rows: Vec<BinanceBrokerKey> = parse(body)?;
        return Ok(Page {
            items: rows
                .into_iter()
                .map(|row| KeyInfo {
                    key: KeyId::new(row.apikey),
                    label: String::new(),
                    account: Some(if row.subaccount_id.is_empty() {
                        account.to_owned()
                    } else {
                        row.subaccount_id
                    }),
                    is_master: false,
                    read_only: !(row.can_trade || row.futures_trade || row.margin_trade),
                    permissions: broker_flags(row.can_trade, row.margin_trade, row.futures_trade),
                    ips: Vec::new(),
                    created_at: None,
                    expires_at: None,
                })
                .collect(),
            next: None,
        });
    }
    let state = KeysCursor::parse(cursor)?;
    if body.get("ipList").is_some() || body.get("ipRestrict").is_some() {
        let Some(mut state) = state.filter(|s| !s.pending.is_empty()) else {
            return Err(protocol("cursor (a key listing without one)"));
        };
        let listed = state.pending.remove(0);
        let ips: BinanceIpList = parse(body)?;
        let info = KeyInfo {
            key: KeyId::new(listed.key),
            label: listed.label,
            account: Some(account.to_owned()),
            is_master: false,
            read_only: !listed
                .permissions
                .iter()
                .any(|p| p == "canTrade" || p == "canFuturesTrade"),
            permissions: listed.permissions,
            ips: if ips.restricted() {
                ips.ip_list
            } else {
                Vec::new()
            },
            created_at: listed.created_ms.and_then(rfc3339),
            expires_at: None,
        };
        return Ok(Page {
            items: vec![info],
            next: state.to_text(),
        });
    }
    let listing: BinanceKeyListing = parse(body)?;
    let page = state.and_then(|s| s.next_page).unwrap_or(1);
    let seen = usize::try_from(page * endpoints::KEYS_PAGE).unwrap_or(usize::MAX);
    let pending: Vec<ListedKey> = listing
        .rows
        .into_iter()
        .map(|row| ListedKey {
            permissions: row.flags.names(),
            key: row.apikey,
            label: row.api_name,
            created_ms: row.timestamp,
        })
        .collect();
    let next_page = (!pending.is_empty() && listing.total > seen).then_some(page + 1);
    Ok(Page {
        items: Vec::new(),
        next: KeysCursor { next_page, pending }.to_text(),
    })
}

/// One page of an order or fill history walk: discovery steps answer no item and the next
/// step; a walk step answers the records after the last seen one.
fn walk_page(op: &Op, body: Value) -> Result<Reply, ExchangeError> {
    let (segment, window, cursor, fills) = match op {
        Op::Orders {
            segment,
            window,
            cursor,
        } => (segment, window, cursor, false),
        Op::Fills {
            segment,
            window,
            cursor,
        } => (segment, window, cursor, true),
        _ => return Err(protocol("history (not an order or fill read)")),
    };
    let mut cursor = HistoryCursor::parse(cursor.as_deref())?;
    let empty = |next: Option<HistoryCursor>| {
        let next = next.map(|c| c.to_text());
        if fills {
            Reply::Fills(Page {
                items: Vec::new(),
                next,
            })
        } else {
            Reply::Orders(Page {
                items: Vec::new(),
                next,
            })
        }
    };
    let futures = endpoints::is_futures(segment);
    Ok(match cursor.step {
        HistoryStep::OpenOrders => {
            let open: Vec<BinanceOrder> = parse(body)?;
            cursor.add_symbols(open.into_iter().map(|o| o.symbol));
            cursor.step = if futures {
                HistoryStep::Income
            } else {
                HistoryStep::Balances
            };
            empty(Some(cursor))
        }
        HistoryStep::Balances => {
            let account: BinanceAccount = parse(body)?;
            cursor.assets = account
                .balances
                .into_iter()
                .filter(|b| !Amount::new(&sum(&b.free, &b.locked)).is_zero())
                .map(|b| b.asset)
                .collect();
            cursor.step = HistoryStep::Markets;
            empty(Some(cursor))
        }
        HistoryStep::Markets => {
            let info: BinanceExchangeInfo = parse(body)?;
            let assets = std::mem::take(&mut cursor.assets);
            cursor.add_symbols(
                info.symbols
                    .into_iter()
                    .filter(|s| assets.contains(&s.base_asset))
                    .map(|s| s.symbol),
            );
            empty(cursor.start_walk())
        }
        HistoryStep::Income => {
            let rows: Vec<BinanceIncome> = parse(body)?;
            cursor.add_symbols(rows.into_iter().map(|r| r.symbol).filter(|s| !s.is_empty()));
            empty(cursor.start_walk())
        }
        HistoryStep::Walk => {
            let rows: Vec<Value> = parse(body)?;
            let count = rows.len();
            let span = endpoints::span(segment);
            let bounds = (window.start_ms, window.end_ms);
            if fills {
                let fills: Vec<BinanceTrade> =
                    rows.into_iter().map(parse).collect::<Result<_, _>>()?;
                let last = fills.last().map(|f| (f.time, f.id));
                let next = cursor.after_page(count, last, bounds, span);
                let items = fills
                    .into_iter()
                    .filter(|f| cursor.after.is_none_or(|after| (f.time, f.id) > after))
                    .map(|f| f.into_fill(segment))
                    .collect::<Result<_, _>>()?;
                Reply::Fills(Page {
                    items,
                    next: next.map(|c| c.to_text()),
                })
            } else {
                let orders: Vec<BinanceOrder> =
                    rows.into_iter().map(parse).collect::<Result<_, _>>()?;
                let last = orders.last().map(|o| (o.time, o.order_id));
                let next = cursor.after_page(count, last, bounds, span);
                let items = orders
                    .into_iter()
                    .filter(|o| {
                        cursor
                            .after
                            .is_none_or(|after| (o.time, o.order_id) > after)
                    })
                    .map(|o| o.into_order(segment))
                    .collect::<Result<_, _>>()?;
                Reply::Orders(Page {
                    items,
                    next: next.map(|c| c.to_text()),
                })
            }
        }
    })
}

/// Deposits, then transfers between the master and its sub-accounts.
fn transfers(window: &Window, cursor: Option<&str>, body: Value) -> Result<Reply, ExchangeError> {
    let page = MoneyCursor::parse(cursor)?;
    if !page.transfers {
        let rows: Vec<BinanceDeposit> = parse(body)?;
        let next = if rows.len() >= MONEY_PAGE {
            MoneyCursor {
                offset: page.offset + rows.len(),
                ..page.clone()
            }
        } else {
            MoneyCursor {
                transfers: true,
                offset: 0,
            }
        };
        let items = rows
            .into_iter()
            .map(BinanceDeposit::into_transfer)
            .filter(|t| in_window(window, t.time_ms))
            .collect();
        return Ok(Reply::Transfers(Page {
            items,
            next: Some(next.to_text()),
        }));
    }
    let rows: Vec<Transfer> = if body.is_array() {
        let rows: Vec<BinanceBrokerTransfer> = parse(body)?;
        rows.into_iter()
            .map(BinanceBrokerTransfer::into_transfer)
            .collect()
    } else {
        let listing: BinanceUniversalTransfers = parse(body)?;
        listing
            .result
            .into_iter()
            .map(BinanceUniversalTransfer::into_transfer)
            .collect()
    };
    let next = (rows.len() >= TRANSFERS_PAGE).then(|| {
        MoneyCursor {
            offset: page.offset + 1,
            ..page
        }
        .to_text()
    });
    Ok(Reply::Transfers(Page {
        items: rows
            .into_iter()
            .filter(|t| in_window(window, t.time_ms))
            .collect(),
        next,
    }))
}

fn in_window(window: &Window, time_ms: i64) -> bool {
    (window.start_ms..=window.end_ms).contains(&time_ms)
}

fn cancelled_of(segment: &Segment, order: BinanceOrder) -> Cancelled {
    Cancelled {
        order_id: order.order_id.to_string(),
        client_order_id: non_empty(order.client_order_id),
        segment: segment.to_string(),
    }
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Binance answer", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Binance answer", field)
}

/// `free + locked`, as a decimal string.
fn sum(free: &str, locked: &str) -> String {
    let total = Amount::new(free).to_f64() + Amount::new(locked).to_f64();
    if Amount::new(locked).is_zero() {
        free.to_owned()
    } else {
        format!("{total:.8}")
    }
}

/// Unix ms as RFC 3339 UTC.
fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// The broker family's permission flags that are on, by Binance's names.
fn broker_flags(trade: bool, margin: bool, futures: bool) -> Vec<String> {
    [
        ("canTrade", trade),
        ("marginTrade", margin),
        ("futuresTrade", futures),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// `GET /api/v3/time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceTime {
    server_time: i64,
}

/// `GET /sapi/v1/account/apiRestrictions`: what the calling key may do (it names neither the
/// key nor its account, and says whether it is IP-restricted but not to which addresses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceRestrictions {
    #[serde(default)]
    ip_restrict: bool,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    enable_reading: bool,
    #[serde(default)]
    enable_spot_and_margin_trading: bool,
    #[serde(default)]
    enable_withdrawals: bool,
    #[serde(default)]
    enable_internal_transfer: bool,
    #[serde(default)]
    enable_margin: bool,
    #[serde(default)]
    enable_futures: bool,
    #[serde(default)]
    permits_universal_transfer: bool,
    #[serde(default)]
    enable_vanilla_options: bool,
}

impl From<BinanceRestrictions> for KeyInfo {
    fn from(r: BinanceRestrictions) -> KeyInfo {
        let permissions: Vec<String> = [
            ("enableReading", r.enable_reading),
            (
                "enableSpotAndMarginTrading",
                r.enable_spot_and_margin_trading,
            ),
            ("enableWithdrawals", r.enable_withdrawals),
            ("enableInternalTransfer", r.enable_internal_transfer),
            ("enableMargin", r.enable_margin),
            ("enableFutures", r.enable_futures),
            ("permitsUniversalTransfer", r.permits_universal_transfer),
            ("enableVanillaOptions", r.enable_vanilla_options),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name.to_owned())
        .collect();
        KeyInfo {
            key: KeyId::new(""),
            label: String::new(),
            account: None,
            is_master: false,
            read_only: !(r.enable_spot_and_margin_trading
                || r.enable_futures
                || r.enable_margin
                || r.enable_vanilla_options),
            permissions,
            // The key is not told its own list: say that it has one.
            ips: if r.ip_restrict {
                vec!["restricted".to_owned()]
            } else {
                Vec::new()
            },
            created_at: r.create_time.and_then(rfc3339),
            expires_at: None,
        }
    }
}

/// The permission flags of a sub-account family key.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceKeyFlags {
    #[serde(default)]
    can_trade: bool,
    #[serde(default)]
    can_margin_loan_repay: bool,
    #[serde(default)]
    can_futures_trade: bool,
    #[serde(default)]
    can_universal_transfer: bool,
    #[serde(default)]
    can_vanilla_options: bool,
    /// Broker family names.
    #[serde(default)]
    margin_trade: bool,
    #[serde(default)]
    futures_trade: bool,
}

impl BinanceKeyFlags {
    /// The flags that are on, by Binance's names.
    fn names(&self) -> Vec<String> {
        [
            ("canTrade", self.can_trade),
            ("canMarginLoanRepay", self.can_margin_loan_repay),
            ("canFuturesTrade", self.can_futures_trade),
            ("canUniversalTransfer", self.can_universal_transfer),
            ("canVanillaOptions", self.can_vanilla_options),
            ("marginTrade", self.margin_trade),
            ("futuresTrade", self.futures_trade),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name.to_owned())
        .collect()
    }

    /// Whether any trading flag is on.
    fn trades(&self) -> bool {
        self.can_trade
            || self.can_futures_trade
            || self.can_vanilla_options
            || self.margin_trade
            || self.futures_trade
    }
}

/// The sub-account family listing (`rows`, `list` before SDK 7.0.0).
#[derive(Debug, Deserialize)]
struct BinanceKeyListing {
    #[serde(default)]
    total: usize,
    #[serde(default, alias = "list")]
    rows: Vec<BinanceListedKey>,
}

/// One listed key of a sub-account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceListedKey {
    #[serde(alias = "apiKey")]
    apikey: String,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// One listed broker key: the id masked (`vmP*************`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceBrokerKey {
    #[serde(alias = "apiKey")]
    apikey: String,
    #[serde(default, alias = "subAccountId")]
    subaccount_id: String,
    #[serde(default)]
    can_trade: bool,
    #[serde(default)]
    margin_trade: bool,
    #[serde(default)]
    futures_trade: bool,
}

/// A key's IP restriction as read back (`ipRestrict` a string or a boolean).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceIpList {
    #[serde(default)]
    ip_restrict: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    ip_list: Vec<String>,
}

impl BinanceIpList {
    fn restricted(&self) -> bool {
        match (&self.ip_restrict, &self.status) {
            (Value::Bool(on), _) => *on,
            (Value::String(text), _) => text == "true",
            (_, status) => status.as_i64() == Some(2) || status.as_str() == Some("2"),
        }
    }
}

/// The answer to an IP restriction (`ipList`) or a permission change (the flags).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceKeyChange {
    #[serde(default)]
    ip_list: Option<Vec<String>>,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
}

impl BinanceKeyChange {
    fn into_info(self, key: &KeyId, account: Option<&str>) -> KeyInfo {
        let changed_flags = self.ip_list.is_none();
        KeyInfo {
            key: key.clone(),
            label: self.api_name,
            account: account.map(str::to_owned),
            is_master: false,
            read_only: changed_flags && !self.flags.trades(),
            permissions: self.flags.names(),
            ips: self.ip_list.unwrap_or_default(),
            created_at: None,
            expires_at: None,
        }
    }
}

/// A new key with its secret (sub-account family, or broker family without an IP list).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceCreatedKey {
    api_key: String,
    #[serde(default)]
    secret_key: Sensitive,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
    #[serde(default)]
    ip_list: Vec<String>,
}

/// An order (spot `allOrders`/`openOrders`, USD-M likewise; the fields both share).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceOrder {
    symbol: String,
    order_id: u64,
    #[serde(default)]
    client_order_id: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    orig_qty: String,
    #[serde(default)]
    executed_qty: String,
    /// Spot: what the fills cost in the quote coin.
    #[serde(default)]
    cummulative_quote_qty: String,
    /// USD-M: the average fill price.
    #[serde(default)]
    avg_price: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    time: i64,
    #[serde(default)]
    update_time: i64,
}

impl BinanceOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let order_type = self.kind.to_ascii_lowercase();
        let price = Amount::new(&self.price);
        let filled = Amount::new(&self.executed_qty);
        let avg = if !self.avg_price.is_empty() {
            Amount::new(&self.avg_price)
        } else if !filled.is_zero() {
            let quote = Amount::new(&self.cummulative_quote_qty).to_f64();
            Amount::new(&format!("{:.8}", quote / filled.to_f64()))
        } else {
            Amount::new("0")
        };
        Ok(Order {
            order_id: self.order_id.to_string(),
            client_order_id: non_empty(self.client_order_id),
            category: if endpoints::is_futures(segment) {
                Category::Linear
            } else {
                Category::Spot
            },
            symbol: self.symbol,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.orig_qty),
            filled_qty: filled,
            avg_price: (!avg.is_zero()).then_some(avg),
            status: status(&self.status),
            created_ms: self.time,
            updated_ms: if self.update_time > 0 {
                self.update_time
            } else {
                self.time
            },
        })
    }
}

/// A USD-M conditional order as `openAlgoOrders` lists it (Binance's Algo service: an `algoId`
/// of its own, `orderType` such as `STOP_MARKET`, the `triggerPrice` it waits for).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceAlgoOrder {
    algo_id: u64,
    #[serde(default)]
    client_algo_id: Option<String>,
    symbol: String,
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    #[serde(default)]
    algo_status: String,
    #[serde(default)]
    create_time: i64,
    #[serde(default)]
    update_time: i64,
}

impl BinanceAlgoOrder {
    /// The order in the model: USD-M, its Binance type lowercased (`stop_market`), and
    /// [`OrderStatus::Untriggered`] while it waits for its trigger, which is what marks it as
    /// conditional in a snapshot.
    fn into_order(self) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let price = self.price.map(|p| Amount::new(&p)).filter(|p| !p.is_zero());
        Ok(Order {
            order_id: self.algo_id.to_string(),
            client_order_id: self.client_algo_id.and_then(non_empty),
            category: Category::Linear,
            symbol: self.symbol,
            side,
            order_type: self.order_type.to_ascii_lowercase(),
            // `closePosition` orders name no quantity: the whole position.
            qty: Amount::new(self.quantity.as_deref().unwrap_or("0")),
            price,
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: algo_status(&self.algo_status),
            created_ms: self.create_time,
            updated_ms: self.update_time.max(self.create_time),
        })
    }
}

/// Binance's `algoStatus`: `NEW` waits for its trigger; once triggered it is an order of its
/// own (listed by `openOrders`).
fn algo_status(text: &str) -> OrderStatus {
    match text {
        "NEW" => OrderStatus::Untriggered,
        "TRIGGERING" | "TRIGGERED" => OrderStatus::Open,
        "FINISHED" => OrderStatus::Filled,
        "REJECTED" => OrderStatus::Rejected,
        // CANCELED, EXPIRED
        _ => OrderStatus::Cancelled,
    }
}

/// Binance order statuses (docs/venues.md §5.6).
fn status(text: &str) -> OrderStatus {
    match text {
        "NEW" | "PENDING_NEW" => OrderStatus::Open,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "REJECTED" => OrderStatus::Rejected,
        // CANCELED, PENDING_CANCEL, EXPIRED, EXPIRED_IN_MATCH
        _ => OrderStatus::Cancelled,
    }
}

/// `POST /api/v3/order` (`ACK`) and `POST /fapi/v1/order`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceOrderAck {
    order_id: u64,
}

/// A fill: spot `myTrades` (`isBuyer`) or USD-M `userTrades` (`side`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceTrade {
    symbol: String,
    id: u64,
    order_id: u64,
    price: String,
    qty: String,
    #[serde(default)]
    commission: String,
    #[serde(default)]
    is_buyer: Option<bool>,
    #[serde(default)]
    side: String,
    time: i64,
}

impl BinanceTrade {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        let side = match (self.is_buyer, Side::parse(&self.side)) {
            (_, Some(side)) => side,
            (Some(true), None) => Side::Buy,
            (Some(false), None) => Side::Sell,
            (None, None) => return Err(protocol("isBuyer or side")),
        };
        Ok(Fill {
            fill_id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            client_order_id: None,
            category: if endpoints::is_futures(segment) {
                Category::Linear
            } else {
                Category::Spot
            },
            symbol: self.symbol,
            side,
            qty: Amount::new(&self.qty),
            price: Amount::new(&self.price),
            fee: Amount::new(&self.commission),
            time_ms: self.time,
        })
    }
}

/// `GET /api/v3/account`.
#[derive(Debug, Deserialize)]
struct BinanceAccount {
    #[serde(default)]
    balances: Vec<BinanceBalance>,
}

/// One asset of the spot account.
#[derive(Debug, Deserialize)]
struct BinanceBalance {
    asset: String,
    #[serde(default)]
    free: String,
    #[serde(default)]
    locked: String,
}

/// `GET /api/v3/exchangeInfo`.
#[derive(Debug, Deserialize)]
struct BinanceExchangeInfo {
    #[serde(default)]
    symbols: Vec<BinanceMarket>,
}

/// One market of `exchangeInfo`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceMarket {
    symbol: String,
    #[serde(default)]
    base_asset: String,
}

/// `GET /fapi/v1/income` rows.
#[derive(Debug, Deserialize)]
struct BinanceIncome {
    #[serde(default)]
    symbol: String,
}

/// `GET /sapi/v1/capital/withdraw/history` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceWithdrawal {
    id: String,
    amount: String,
    coin: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    status: i64,
    /// `2019-10-12 11:12:02`, UTC.
    #[serde(default)]
    apply_time: String,
}

impl BinanceWithdrawal {
    fn into_transfer(self) -> Transfer {
        Transfer {
            time_ms: utc_time(&self.apply_time).unwrap_or(0),
            id: self.id,
            kind: TransferKind::Withdrawal,
            coin: self.coin,
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: match self.status {
                0 => "email sent",
                1 => "cancelled",
                2 => "awaiting approval",
                3 => "rejected",
                4 => "processing",
                5 => "failure",
                6 => "completed",
                _ => "unknown",
            }
            .to_owned(),
        }
    }
}

/// Reads `2019-10-12 11:12:02` (UTC) into Unix ms.
fn utc_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// `GET /sapi/v1/capital/deposit/hisrec` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceDeposit {
    #[serde(default)]
    id: String,
    amount: String,
    coin: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    tx_id: String,
    #[serde(default)]
    status: i64,
    insert_time: i64,
}

impl BinanceDeposit {
    fn into_transfer(self) -> Transfer {
        Transfer {
            id: if self.id.is_empty() {
                self.tx_id
            } else {
                self.id
            },
            kind: TransferKind::Deposit,
            coin: self.coin,
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: match self.status {
                0 => "pending",
                1 => "success",
                2 => "rejected",
                6 => "credited, cannot withdraw",
                7 => "wrong deposit",
                8 => "waiting for confirmation",
                _ => "unknown",
            }
            .to_owned(),
            time_ms: self.insert_time,
        }
    }
}

/// `GET /sapi/v1/sub-account/universalTransfer`.
#[derive(Debug, Deserialize)]
struct BinanceUniversalTransfers {
    #[serde(default)]
    result: Vec<BinanceUniversalTransfer>,
}

/// One universal transfer between the master and a sub-account (an empty email is the master).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceUniversalTransfer {
    tran_id: Value,
    #[serde(default)]
    from_email: String,
    #[serde(default)]
    to_email: String,
    asset: String,
    amount: String,
    create_time_stamp: i64,
    #[serde(default)]
    status: String,
}

impl BinanceUniversalTransfer {
    fn into_transfer(self) -> Transfer {
        let who = |email: String| {
            if email.is_empty() {
                "master".to_owned()
            } else {
                email
            }
        };
        Transfer {
            id: value_text(&self.tran_id),
            kind: TransferKind::Internal,
            coin: self.asset,
            amount: Amount::new(&self.amount),
            from: Some(who(self.from_email)),
            to: Some(who(self.to_email)),
            status: self.status.to_ascii_lowercase(),
            time_ms: self.create_time_stamp,
        }
    }
}

/// `GET /sapi/v1/broker/transfer` rows (an empty id is the broker's master account).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceBrokerTransfer {
    txn_id: Value,
    #[serde(default)]
    from_id: String,
    #[serde(default)]
    to_id: String,
    asset: String,
    qty: String,
    time: i64,
    #[serde(default)]
    status: String,
}

impl BinanceBrokerTransfer {
    fn into_transfer(self) -> Transfer {
        let who = |id: String| {
            if id.is_empty() {
                "master".to_owned()
            } else {
                id
            }
        };
        Transfer {
            id: value_text(&self.txn_id),
            kind: TransferKind::Internal,
            coin: self.asset,
            amount: Amount::new(&self.qty),
            from: Some(who(self.from_id)),
            to: Some(who(self.to_id)),
            status: self.status.to_ascii_lowercase(),
            time_ms: self.time,
        }
    }
}

/// A JSON number or string as text.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::OrderRef;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: None,
        }
    }

    #[test]
    fn maps_the_documented_codes() {
        let cases = [
            (-1021, 400, "Timestamp"),
            (-1022, 400, "Signature"),
            (-2014, 401, "InvalidKey"),
            (-2015, 401, "KeyRefused"),
            (-1002, 401, "Permission"),
            (-1003, 429, "RateLimited"),
            (-1015, 429, "RateLimited"),
            (-1003, 418, "IpBanned"),
            (-1121, 400, "Api"),
        ];
        for (code, status, want) in cases {
            let body = format!(r#"{{"code":{code},"msg":"m"}}"#);
            let decoded = decode(&Op::WhoAmI, &response(status, &body));
            let err = decoded.reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
            assert_eq!(decoded.code, Some(code.to_string()));
        }
        let banned = decode(
            &Op::WhoAmI,
            &response(
                418,
                r#"{"code":-1003,"msg":"Way too much request weight used; IP banned"}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            banned,
            ExchangeError::IpBanned {
                code: "-1003".into(),
                retry_after_ms: Some(7000)
            }
        );
        assert_eq!(banned.outcome(), crate::exchanges::CallOutcome::Final);
        let refused = decode(&Op::WhoAmI, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(refused.is_unauthenticated());
        let futures = Op::OpenOrders {
            segment: Segment {
                category: Category::Linear,
                settle: None,
            },
            cursor: None,
        };
        let unreachable = decode(&futures, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(
            matches!(unreachable, ExchangeError::Permission { .. }),
            "{unreachable:?}"
        );
    }

    #[test]
    fn a_futures_cancel_all_acknowledges_the_orders_named() {
        let op = Op::CancelBatch {
            segment: Segment {
                category: Category::Linear,
                settle: None,
            },
            orders: vec![OrderRef {
                symbol: "BTCUSDT".into(),
                order_id: "42".into(),
            }],
        };
        let body = r#"{"code":200,"msg":"The operation of cancel all open order is done."}"#;
        let cancelled = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled[0].order_id, "42");
        let none = decode(
            &op,
            &response(400, r#"{"code":-2011,"msg":"Unknown order sent."}"#),
        );
        assert!(none.reply.unwrap().into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn usdm_open_orders_end_with_the_conditional_orders() {
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let first = Op::OpenOrders {
            segment: usdm,
            cursor: None,
        };
        let page = decode(&first, &response(200, "[]"))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some(endpoints::CONDITIONAL_PAGE));
        let second = Op::OpenOrders {
            segment: usdm,
            cursor: page.next,
        };
        let body = r#"[{"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","algoType":"CONDITIONAL","orderType":"STOP_MARKET","symbol":"ETHUSDT","side":"SELL","positionSide":"BOTH","timeInForce":"GTC","quantity":"5","algoStatus":"NEW","triggerPrice":"2900.00","price":"0","icebergQuantity":null,"reduceOnly":false,"closePosition":false,"createTime":1750485492076,"updateTime":1750485492076},
            {"algoId":2146761,"clientAlgoId":"","orderType":"TAKE_PROFIT","symbol":"BTCUSDT","side":"BUY","quantity":"0.3","algoStatus":"NEW","triggerPrice":"60000","price":"59900","createTime":5,"updateTime":0}]"#;
        let page = decode(&second, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
        let stop = &page.items[0];
        assert_eq!(
            (
                stop.order_id.as_str(),
                stop.symbol.as_str(),
                stop.order_type.as_str(),
                stop.status,
                stop.category,
                stop.side,
            ),
            (
                "2146760",
                "ETHUSDT",
                "stop_market",
                OrderStatus::Untriggered,
                Category::Linear,
                Side::Sell
            )
        );
        assert!(stop.status.is_open());
        assert_eq!(stop.price, None);
        assert_eq!(stop.qty.as_str(), "5");
        assert_eq!(
            stop.client_order_id.as_deref(),
            Some("6B2I9XVcJpCjqPAJ4YoFX7")
        );
        let take = &page.items[1];
        assert_eq!(take.price.as_ref().map(Amount::as_str), Some("59900"));
        assert_eq!(
            (take.client_order_id.as_deref(), take.updated_ms),
            (None, 5)
        );
        // Spot has no second page.
        let spot = Op::OpenOrders {
            segment: spot(),
            cursor: None,
        };
        let page = decode(&spot, &response(200, "[]"))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
    }

    #[test]
    fn a_conditional_cancel_acknowledges_the_orders_named() {
        let op = Op::CancelBatch {
            segment: endpoints::CONDITIONAL,
            orders: vec![OrderRef {
                symbol: "ETHUSDT".into(),
                order_id: "2146760".into(),
            }],
        };
        let body = r#"{"code":200,"msg":"The operation of cancel all open order is done."}"#;
        let cancelled = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled[0].order_id, "2146760");
        assert_eq!(cancelled[0].segment, "linear/algo");
        // Without the futures permission: a segment the key cannot reach.
        let refused = decode(&op, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(
            matches!(refused, ExchangeError::Permission { .. }),
            "{refused:?}"
        );
    }

    #[test]
    fn a_history_walk_learns_symbols_then_reads_them() {
        let window = Window {
            start_ms: 0,
            end_ms: endpoints::DAY_MS * 2,
        };
        let op = |cursor: Option<String>| Op::Orders {
            segment: spot(),
            window,
            cursor,
        };
        let open = r#"[{"symbol":"XVGUSDT","orderId":7,"clientOrderId":"","price":"0.02","origQty":"10","executedQty":"0","status":"NEW","type":"LIMIT","side":"BUY","time":5,"updateTime":5}]"#;
        let page = decode(&op(None), &response(200, open))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(page.items.is_empty());
        let balances = r#"{"balances":[{"asset":"BTC","free":"0.1","locked":"0"},{"asset":"USDT","free":"0","locked":"0"}]}"#;
        let page = decode(&op(page.next), &response(200, balances))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let markets = r#"{"symbols":[{"symbol":"BTCUSDT","baseAsset":"BTC"},{"symbol":"ETHUSDT","baseAsset":"ETH"}]}"#;
        let page = decode(&op(page.next), &response(200, markets))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let cursor = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!(cursor.symbols, ["BTCUSDT", "XVGUSDT"]);
        assert_eq!(cursor.step, HistoryStep::Walk);
        let orders = r#"[{"symbol":"BTCUSDT","orderId":3,"clientOrderId":"grid-1","price":"0","origQty":"0.01","executedQty":"0.01","cummulativeQuoteQty":"650","status":"FILLED","type":"MARKET","side":"BUY","time":10,"updateTime":10}]"#;
        let page = decode(&op(page.next), &response(200, orders))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let order = &page.items[0];
        assert_eq!(order.price, None);
        assert_eq!(order.avg_price.as_ref().unwrap().as_str(), "65000");
        assert_eq!(order.client_order_id.as_deref(), Some("grid-1"));
        // An unknown symbol ends its walk without failing the read.
        let unknown = decode(
            &op(page.next),
            &response(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
        );
        assert!(unknown.reply.is_ok());
    }

    #[test]
    fn listings_read_each_key_with_its_ip_list() {
        let op = |cursor: Option<String>| Op::SubKeys {
            account: "bot@x.com".into(),
            cursor,
        };
        let listing = r#"{"total":1,"rows":[{"email":"bot@x.com","apiName":"grid","apikey":"k1","canTrade":true,"canFuturesTrade":true,"timestamp":1700000000000}]}"#;
        let page = decode(&op(None), &response(200, listing))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert!(page.items.is_empty() && page.next.is_some());
        let ips = r#"{"ipRestrict":"true","ipList":["127.0.0.1"],"updateTime":1,"apiKey":"k1"}"#;
        let page = decode(&op(page.next), &response(200, ips))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert_eq!(page.next, None);
        let key = &page.items[0];
        assert_eq!(key.key.as_str(), "k1");
        assert_eq!(key.ips, ["127.0.0.1"]);
        assert_eq!(key.permissions, ["canTrade", "canFuturesTrade"]);
        assert!(!key.can_withdraw());
        let broker = r#"[{"apikey":"vmP*************","subaccountId":"1","canTrade":true,"marginTrade":false,"futuresTrade":false}]"#;
        let page = decode(&op(None), &response(200, broker))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert!(page.items[0].is_masked());
    }

    #[test]
    fn withdrawals_read_binance_times() {
        let op = Op::Withdrawals {
            window: Window {
                start_ms: 0,
                end_ms: i64::MAX,
            },
            cursor: None,
        };
        let body = r#"[{"id":"w1","amount":"5","coin":"USDT","address":"0xabc","status":6,"applyTime":"2019-10-12 11:12:02"}]"#;
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert_eq!(page.items[0].time_ms, 1_570_878_722_000);
        assert_eq!(page.items[0].status, "completed");
        assert_eq!(page.next, None);
    }
}
