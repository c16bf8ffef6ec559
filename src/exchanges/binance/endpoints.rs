//! Op -> Binance request: paths and parameters (docs/venues.md §5.4–§5.6).
//!
//! Parameters are percent-encoded in a fixed order, in the query of a GET or DELETE and in the
//! form body of a POST; the signer adds `recvWindow`, `timestamp` and `signature` to exactly
//! that. Spot and SAPI paths go to `base_url`; USD-M paths to the profile's `futures_url` when it
//! names another host (`https://fapi.binance.com`). Key management takes the profile's family:
//! the sub-account endpoints name the sub-account by `email`, the Binance Link (broker) ones by
//! `subAccountId`; either comes from the key's `account:`, and a request without it is refused
//! here, before anything is sent. Master-account keys have no endpoint at all (docs/venues.md §1): a
//! key cannot delete itself, and deleting a master-account key is done in the web interface.
//! Histories walk a [`HistoryCursor`]: symbols first, then each symbol in sub-windows of 24 h
//! (spot) or just under 7 days (USD-M). USD-M conditional ("algo") orders are listed and
//! cancelled by their own endpoints ([`CONDITIONAL`]).

use crate::exchanges::binance::cursor::{HistoryCursor, HistoryStep, KeysCursor, MoneyCursor};
use crate::exchanges::binance::signer::encode_params;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Segment, Side, TradePermission};
use crate::exchanges::{
    CallContext, ExchangeError, KeyFamily, Method, Op, OrderKind, QtyUnit, Request, Revoke, Window,
};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Spot `allOrders` and `myTrades` take windows of at most 24 hours (docs/venues.md §5.6).
pub const SPOT_SPAN_MS: i64 = DAY_MS;

/// USD-M `allOrders` and `userTrades` take windows under 7 days (docs/venues.md §5.6): a sub-window
/// of this width ends 1 ms short of it.
pub const FUTURES_SPAN_MS: i64 = 7 * DAY_MS;

/// Keys listed per page of the sub-account listing (its maximum, docs/venues.md §5.4).
pub const KEYS_PAGE: u32 = 100;

/// Records per page of the wallet histories (docs/venues.md §5.6).
pub const MONEY_PAGE: usize = 1000;

/// Transfers per page of the transfer listings.
pub const TRANSFERS_PAGE: usize = 500;

/// USD-M conditional ("algo") orders (STOP_MARKET, TAKE_PROFIT, TRAILING_STOP_MARKET, …): Binance
/// lists them apart (`openAlgoOrders`) and cancels them apart, per symbol (`algoOpenOrders`,
/// docs/venues.md §5.5). Not one of the venue's segments: the USD-M listing reads them as its second
/// page ([`CONDITIONAL_PAGE`]), and a USD-M per-symbol cancel is followed by this segment's
/// cancel of the same symbol (`Venue::then`), so that no conditional order outlives a response.
pub const CONDITIONAL: Segment = Segment {
    category: Category::Linear,
    settle: Some("algo"),
};

/// The cursor of the USD-M open-order listing's second page: the conditional orders.
pub const CONDITIONAL_PAGE: &str = "algo";

/// Which listing one page of open orders reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenPage {
    /// The regular open orders (spot `openOrders`, USD-M `openOrders`).
    Orders,
    /// The USD-M conditional orders (`openAlgoOrders`).
    Conditional,
}

impl OpenPage {
    /// The page an open-order listing's `cursor` names in `segment`.
    pub fn of(segment: &Segment, cursor: Option<&str>) -> Result<OpenPage, ExchangeError> {
        match cursor {
            None if is_conditional(segment) => Ok(OpenPage::Conditional),
            None => Ok(OpenPage::Orders),
            Some(CONDITIONAL_PAGE) if is_futures(segment) => Ok(OpenPage::Conditional),
            Some(other) => Err(ExchangeError::Protocol {
                detail: format!("`{other}` is not a Binance open-order page of {segment}"),
            }),
        }
    }

    /// The cursor of the page after this one: USD-M's regular orders are followed by its
    /// conditional ones.
    pub fn next(self, segment: &Segment) -> Option<String> {
        (self == OpenPage::Orders && is_futures(segment)).then(|| CONDITIONAL_PAGE.to_owned())
    }
}

/// Whether a segment is USD-M's conditional orders ([`CONDITIONAL`]).
pub fn is_conditional(segment: &Segment) -> bool {
    *segment == CONDITIONAL
}

/// The sub-window width of a segment's order and fill histories.
pub fn span(segment: &Segment) -> i64 {
    if is_futures(segment) {
        FUTURES_SPAN_MS
    } else {
        SPOT_SPAN_MS
    }
}

/// Whether a segment is USD-M futures (everything but spot).
pub fn is_futures(segment: &Segment) -> bool {
    segment.category != Category::Spot
}

/// Builds the request for an operation.
pub fn encode(op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    let family = call.settings.key_family;
    let fapi = |path: &str| match call.settings.futures_url.as_deref() {
        Some(host) => format!("{host}{path}"),
        None => path.to_owned(),
    };
    let market = |segment: &Segment, spot: &str, futures: &str| {
        if is_futures(segment) {
            fapi(futures)
        } else {
            spot.to_owned()
        }
    };
    Ok(match op {
        Op::ServerTime => get("/api/v3/time", &[]),
        Op::WhoAmI => get("/sapi/v1/account/apiRestrictions", &[]),
        Op::SubKeys { account, cursor } => sub_keys(family, account, cursor.as_deref())?,
        Op::RestrictKey { key, account, lock } => {
            let owner = owner(family, account.as_deref())?;
            let key = ("subAccountApiKey", key.as_str().to_owned());
            match (lock.access.clone(), family) {
                // Read-only: the trade flags go first, the IP list follows (`Venue::then`).
                (Access::ReadOnly, KeyFamily::SubAccount) => post(
                    "/sapi/v1/sub-account/subAccountApiPermission",
                    &[
                        owner,
                        key,
                        flag("canTrade", false),
                        flag("canMarginLoanRepay", false),
                        flag("canFuturesTrade", false),
                        flag("canUniversalTransfer", false),
                        flag("canVanillaOptions", false),
                    ],
                ),
                (Access::ReadOnly, KeyFamily::Broker) => post(
                    "/sapi/v1/broker/subAccountApi/permission",
                    &[
                        owner,
                        key,
                        flag("canTrade", false),
                        flag("marginTrade", false),
                        flag("futuresTrade", false),
                    ],
                ),
                // `status` 2: trusted IPs only, these (docs/venues.md §5.4).
                (Access::Unchanged, KeyFamily::SubAccount) => post(
                    "/sapi/v2/sub-account/subAccountApi/ipRestriction",
                    &[
                        owner,
                        key,
                        ("status", "2".into()),
                        ("ipAddress", lock.ips.to_strings().join(",")),
                    ],
                ),
                (Access::Unchanged, KeyFamily::Broker) => post(
                    "/sapi/v2/broker/subAccountApi/ipRestriction",
                    &[
                        owner,
                        key,
                        ("status", "2".into()),
                        ("ipAddress", lock.ips.to_strings().join(",")),
                    ],
                ),
            }
        }
        Op::RevokeKey(Revoke::ByMaster { key, account }) => {
            let owner = owner(family, account.as_deref())?;
            let path = match family {
                KeyFamily::SubAccount => "/sapi/v1/sub-account/subAccountApi",
                KeyFamily::Broker => "/sapi/v1/broker/subAccountApi",
            };
            delete(
                path,
                &[owner, ("subAccountApiKey", key.as_str().to_owned())],
            )
        }
        // No key can delete itself, and master-account keys have no API (docs/venues.md §1).
        Op::RevokeKey(Revoke::SelfSub | Revoke::SelfMaster) => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "revoke_key (by the key itself: master-account keys are deleted in the web interface)",
            });
        }
        Op::CreateKey {
            account,
            label,
            scope,
        } => create(family, account, label, scope)?,
        // No cancel-all across symbols (docs/venues.md §5.5): the action cancels per symbol.
        Op::CancelAll { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "cancel_all",
            });
        }
        // `countdownCancelAll` arms one USD-M symbol at a time and spot has none (reference
        // §5.5): no account-wide switch to arm.
        Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "cancel_after (Binance's countdown is per USD-M symbol; spot has none)",
            });
        }
        Op::CancelBatch { segment, orders } => {
            let Some(first) = orders.first() else {
                return Err(ExchangeError::Protocol {
                    detail: "a per-symbol cancel names no order".to_owned(),
                });
            };
            if orders.iter().any(|o| o.symbol != first.symbol) {
                return Err(ExchangeError::Protocol {
                    detail: "Binance cancels one symbol a request; the batch names several"
                        .to_owned(),
                });
            }
            let path = if is_conditional(segment) {
                fapi("/fapi/v1/algoOpenOrders")
            } else {
                market(segment, "/api/v3/openOrders", "/fapi/v1/allOpenOrders")
            };
            delete(&path, &[("symbol", first.symbol.clone())])
        }
        Op::OpenOrders { segment, cursor } => match OpenPage::of(segment, cursor.as_deref())? {
            OpenPage::Orders => get(
                &market(segment, "/api/v3/openOrders", "/fapi/v1/openOrders"),
                &[],
            ),
            OpenPage::Conditional => get(&fapi("/fapi/v1/openAlgoOrders"), &[]),
        },
        Op::Orders {
            segment,
            window,
            cursor,
        } => history(
            segment,
            window,
            cursor.as_deref(),
            &market(segment, "/api/v3/allOrders", "/fapi/v1/allOrders"),
            &fapi,
        )?,
        Op::Fills {
            segment,
            window,
            cursor,
        } => history(
            segment,
            window,
            cursor.as_deref(),
            &market(segment, "/api/v3/myTrades", "/fapi/v1/userTrades"),
            &fapi,
        )?,
        Op::Balances => get("/api/v3/account", &[("omitZeroBalances", "true".into())]),
        Op::Withdrawals { window, cursor } => {
            let page = MoneyCursor::parse(cursor.as_deref())?;
            get(
                "/sapi/v1/capital/withdraw/history",
                &[
                    ("startTime", window.start_ms.to_string()),
                    ("endTime", window.end_ms.to_string()),
                    ("offset", page.offset.to_string()),
                    ("limit", MONEY_PAGE.to_string()),
                ],
            )
        }
        Op::Transfers { window, cursor } => transfers(family, window, cursor.as_deref())?,
        Op::PlaceOrder(order) => {
            let futures = is_futures(&order.segment);
            let mut params = vec![
                ("symbol", order.symbol.clone()),
                (
                    "side",
                    match order.side {
                        Side::Buy => "BUY",
                        Side::Sell => "SELL",
                    }
                    .to_owned(),
                ),
            ];
            match order.kind {
                OrderKind::Limit { price } => {
                    params.push(("type", "LIMIT".into()));
                    params.push(("timeInForce", "GTC".into()));
                    params.push(("quantity", decimal(order.qty)));
                    params.push(("price", decimal(price)));
                }
                OrderKind::Market => {
                    params.push(("type", "MARKET".into()));
                    match (order.unit, futures) {
                        (QtyUnit::Base, _) => params.push(("quantity", decimal(order.qty))),
                        // Spot market orders may spend a quote amount (docs/venues.md §5.6).
                        (QtyUnit::Quote, false) => {
                            params.push(("quoteOrderQty", decimal(order.qty)));
                        }
                        (QtyUnit::Quote, true) => {
                            return Err(ExchangeError::NeedsInput {
                                venue: "binance",
                                what: "a USD-M order sized in contracts of the base coin"
                                    .to_owned(),
                            });
                        }
                    }
                }
            }
            if !futures {
                params.push(("newOrderRespType", "ACK".into()));
            }
            post(
                &market(&order.segment, "/api/v3/order", "/fapi/v1/order"),
                &params,
            )
        }
        Op::CancelOrder {
            segment,
            symbol,
            order_id,
        } => delete(
            &market(segment, "/api/v3/order", "/fapi/v1/order"),
            &[("symbol", symbol.clone()), ("orderId", order_id.clone())],
        ),
        Op::Withdraw {
            coin,
            amount,
            address,
        } => post(
            "/sapi/v1/capital/withdraw/apply",
            &[
                ("coin", coin.clone()),
                ("address", address.clone()),
                ("amount", amount.clone()),
            ],
        ),
        // Binance keeps no security log reachable by API (docs/venues.md §1).
        Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "access_log",
            });
        }
    })
}

/// The sub-account a key-management request names: `email` (sub-account family) or
/// `subAccountId` (broker family), from the key's `account:`.
fn owner(
    family: KeyFamily,
    account: Option<&str>,
) -> Result<(&'static str, String), ExchangeError> {
    let account = account.map(str::trim).filter(|a| !a.is_empty());
    match (family, account) {
        (KeyFamily::SubAccount, Some(email)) if email.contains('@') => {
            Ok(("email", email.to_owned()))
        }
        (KeyFamily::Broker, Some(id)) if id.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(("subAccountId", id.to_owned()))
        }
        (KeyFamily::SubAccount, got) => Err(ExchangeError::NeedsInput {
            venue: "binance",
            what: format!(
                "the key's sub-account email (`account:`, such as `gridbot_virtual@abcdnoemail.com`){}",
                got.map(|g| format!("; `{g}` is not one"))
                    .unwrap_or_default()
            ),
        }),
        (KeyFamily::Broker, got) => Err(ExchangeError::NeedsInput {
            venue: "binance",
            what: format!(
                "the broker sub-account's `subAccountId` (`account:`, digits){}",
                got.map(|g| format!("; `{g}` is not one"))
                    .unwrap_or_default()
            ),
        }),
    }
}

/// A key listing: the sub-account family lists, then reads each key's IP list; the broker
/// family lists once (ids masked, no IP lists: docs/venues.md §5.4).
fn sub_keys(
    family: KeyFamily,
    account: &str,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, Some(account))?;
    if family == KeyFamily::Broker {
        return Ok(get(
            "/sapi/v1/broker/subAccountApi",
            &[owner, ("page", "1".into()), ("size", "500".into())],
        ));
    }
    let cursor = KeysCursor::parse(cursor)?;
    match cursor.as_ref().and_then(|c| c.pending.first()) {
        Some(listed) => Ok(get(
            "/sapi/v1/sub-account/subAccountApi/ipRestriction",
            &[owner, ("subAccountApiKey", listed.key.clone())],
        )),
        None => {
            let page = cursor.and_then(|c| c.next_page).unwrap_or(1);
            Ok(get(
                "/sapi/v1/sub-account/subAccountApi",
                &[
                    owner,
                    ("page", page.to_string()),
                    ("size", KEYS_PAGE.to_string()),
                ],
            ))
        }
    }
}

/// A replacement key: never a withdrawal or transfer flag (the scope cannot express one), and
/// bound to its IP list: at creation on the sub-account family (`status` 2), by the follow-up
/// `ipRestriction` on the broker family, whose create takes no address (docs/venues.md §5.4).
fn create(
    family: KeyFamily,
    account: &str,
    label: &str,
    scope: &KeyScope,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, Some(account))?;
    let has = |p: TradePermission| scope.trade.contains(&p);
    Ok(match family {
        KeyFamily::SubAccount => post(
            "/sapi/v1/sub-account/subAccountApi",
            &[
                owner,
                ("apiName", label.to_owned()),
                ("status", "2".into()),
                ("ipAddress", scope.ips.to_strings().join(",")),
                flag("canTrade", has(TradePermission::SpotTrade)),
                flag("canMarginLoanRepay", false),
                flag("canFuturesTrade", has(TradePermission::ContractTrade)),
                flag("canUniversalTransfer", false),
                flag("canVanillaOptions", has(TradePermission::OptionsTrade)),
            ],
        ),
        KeyFamily::Broker => post(
            "/sapi/v1/broker/subAccountApi",
            &[
                owner,
                flag("canTrade", has(TradePermission::SpotTrade)),
                flag("marginTrade", false),
                flag("futuresTrade", has(TradePermission::ContractTrade)),
            ],
        ),
    })
}

/// One step of an order or fill history walk (see `cursor.rs`).
fn history(
    segment: &Segment,
    window: &Window,
    cursor: Option<&str>,
    walk_path: &str,
    fapi: &dyn Fn(&str) -> String,
) -> Result<Request, ExchangeError> {
    let cursor = HistoryCursor::parse(cursor)?;
    let futures = is_futures(segment);
    Ok(match cursor.step {
        HistoryStep::OpenOrders if futures => get(&fapi("/fapi/v1/openOrders"), &[]),
        HistoryStep::OpenOrders => get("/api/v3/openOrders", &[]),
        HistoryStep::Balances => get("/api/v3/account", &[("omitZeroBalances", "true".into())]),
        HistoryStep::Markets => get("/api/v3/exchangeInfo", &[]),
        HistoryStep::Income => get(
            &fapi("/fapi/v1/income"),
            &[
                ("incomeType", "COMMISSION".into()),
                ("startTime", window.start_ms.to_string()),
                ("endTime", window.end_ms.to_string()),
                ("limit", "1000".into()),
            ],
        ),
        HistoryStep::Walk => {
            let (from, to) = cursor.sub_window(window.start_ms, window.end_ms, span(segment));
            // After a full page: on from the last record's time (what was seen is left out).
            let from = cursor.after.map_or(from, |(time, _)| time.max(from));
            get(
                walk_path,
                &[
                    ("symbol", cursor.symbol()?.to_owned()),
                    ("startTime", from.to_string()),
                    ("endTime", to.to_string()),
                    ("limit", super::cursor::PAGE.to_string()),
                ],
            )
        }
    })
}

/// Deposits (the account's own), then transfers between the master and its sub-accounts.
fn transfers(
    family: KeyFamily,
    window: &Window,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    let page = MoneyCursor::parse(cursor)?;
    let times = [
        ("startTime", window.start_ms.to_string()),
        ("endTime", window.end_ms.to_string()),
    ];
    if !page.transfers {
        let mut params = times.to_vec();
        params.push(("offset", page.offset.to_string()));
        params.push(("limit", MONEY_PAGE.to_string()));
        return Ok(get("/sapi/v1/capital/deposit/hisrec", &params));
    }
    let path = match family {
        KeyFamily::SubAccount => "/sapi/v1/sub-account/universalTransfer",
        KeyFamily::Broker => "/sapi/v1/broker/transfer",
    };
    let mut params = times.to_vec();
    params.push(("page", (page.offset + 1).to_string()));
    params.push(("limit", TRANSFERS_PAGE.to_string()));
    Ok(get(path, &params))
}

fn flag(name: &'static str, on: bool) -> (&'static str, String) {
    (name, on.to_string())
}

fn get(path: &str, params: &[(&str, String)]) -> Request {
    Request::get(path, encode_params(params))
}

fn post(path: &str, params: &[(&str, String)]) -> Request {
    Request::post(path, encode_params(params))
}

fn delete(path: &str, params: &[(&str, String)]) -> Request {
    Request {
        method: Method::Delete,
        path: path.to_owned(),
        query: encode_params(params),
        body: None,
        mutating: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{IpWhitelist, Lock};
    use crate::exchanges::{NewOrder, OrderRef, VenueSettings};
    use crate::secret::KeyId;

    const EMAIL: &str = "gridbot_virtual@abcdefghnoemail.com";

    fn call(settings: &VenueSettings) -> CallContext<'_> {
        CallContext {
            now_ms: 1_800_000_000_000,
            nonce: "n",
            session: None,
            tfa: None,
            settings,
            subject: None,
            lookup: None,
        }
    }

    fn broker() -> VenueSettings {
        VenueSettings {
            key_family: KeyFamily::Broker,
            ..VenueSettings::default()
        }
    }

    fn lock(access: Access) -> Op {
        Op::RestrictKey {
            key: KeyId::new("bot-key"),
            account: Some(EMAIL.into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access,
            },
        }
    }

    #[test]
    fn locks_bind_the_ip_list_per_family() {
        let settings = VenueSettings::default();
        let req = encode(&lock(Access::Unchanged), &call(&settings)).unwrap();
        assert_eq!(req.path, "/sapi/v2/sub-account/subAccountApi/ipRestriction");
        assert_eq!(
            req.body.as_deref(),
            Some(
                "email=gridbot_virtual%40abcdefghnoemail.com&subAccountApiKey=bot-key&status=2&ipAddress=127.0.0.1"
            )
        );
        let strip = encode(&lock(Access::ReadOnly), &call(&settings)).unwrap();
        assert_eq!(strip.path, "/sapi/v1/sub-account/subAccountApiPermission");
        assert!(strip.body.unwrap().contains("canTrade=false"));
        let broker = broker();
        let op = Op::RestrictKey {
            key: KeyId::new("bot-key"),
            account: Some("1000002".into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1", "10.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op, &call(&broker)).unwrap();
        assert_eq!(req.path, "/sapi/v2/broker/subAccountApi/ipRestriction");
        assert_eq!(
            req.body.as_deref(),
            Some(
                "subAccountId=1000002&subAccountApiKey=bot-key&status=2&ipAddress=127.0.0.1%2C10.0.0.1"
            )
        );
    }

    #[test]
    fn key_management_needs_the_right_account() {
        for (label, settings, account) in [
            ("no email", VenueSettings::default(), None),
            (
                "a UID for an email",
                VenueSettings::default(),
                Some("1000002"),
            ),
            ("an email for a broker id", broker(), Some(EMAIL)),
        ] {
            let op = Op::RevokeKey(Revoke::ByMaster {
                key: KeyId::new("k"),
                account: account.map(str::to_owned),
            });
            let err = encode(&op, &call(&settings)).unwrap_err();
            assert!(
                matches!(err, ExchangeError::NeedsInput { .. }),
                "{label}: {err:?}"
            );
        }
        let err = encode(
            &Op::RevokeKey(Revoke::SelfMaster),
            &call(&VenueSettings::default()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("web interface"), "{err}");
    }

    #[test]
    fn create_asks_for_no_withdrawal_and_binds_the_key() {
        let op = Op::CreateKey {
            account: EMAIL.into(),
            label: "lockdown-abc".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade, TradePermission::ContractTrade],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        let settings = VenueSettings::default();
        let body = encode(&op, &call(&settings)).unwrap().body.unwrap();
        assert_eq!(
            body,
            "email=gridbot_virtual%40abcdefghnoemail.com&apiName=lockdown-abc&status=2&ipAddress=10.0.0.1&canTrade=true&canMarginLoanRepay=false&canFuturesTrade=true&canUniversalTransfer=false&canVanillaOptions=false"
        );
        let op = Op::CreateKey {
            account: "1000002".into(),
            label: "lockdown-abc".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        let broker = broker();
        let req = encode(&op, &call(&broker)).unwrap();
        assert_eq!(req.path, "/sapi/v1/broker/subAccountApi");
        assert_eq!(
            req.body.as_deref(),
            Some("subAccountId=1000002&canTrade=true&marginTrade=false&futuresTrade=false")
        );
    }

    #[test]
    fn cancels_go_per_symbol_and_futures_to_their_host() {
        let settings = VenueSettings {
            futures_url: Some("https://fapi.binance.com".into()),
            ..VenueSettings::default()
        };
        let order = |symbol: &str| OrderRef {
            symbol: symbol.into(),
            order_id: "1".into(),
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let req = encode(
            &Op::CancelBatch {
                segment: spot,
                orders: vec![order("XVGUSDT"), order("XVGUSDT")],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str(), req.query.as_str()),
            (Method::Delete, "/api/v3/openOrders", "symbol=XVGUSDT")
        );
        let req = encode(
            &Op::CancelBatch {
                segment: usdm,
                orders: vec![order("BTCUSDT")],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(req.path, "https://fapi.binance.com/fapi/v1/allOpenOrders");
        let mixed = Op::CancelBatch {
            segment: spot,
            orders: vec![order("XVGUSDT"), order("BTCUSDT")],
        };
        assert!(encode(&mixed, &call(&settings)).is_err());
    }

    #[test]
    fn usdm_conditional_orders_are_listed_and_cancelled_apart() {
        let settings = VenueSettings {
            futures_url: Some("https://fapi.binance.com".into()),
            ..VenueSettings::default()
        };
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let list = |segment, cursor: Option<&str>| {
            encode(
                &Op::OpenOrders {
                    segment,
                    cursor: cursor.map(str::to_owned),
                },
                &call(&settings),
            )
        };
        for (label, segment, cursor, path) in [
            (
                "usd-m first page",
                usdm,
                None,
                "https://fapi.binance.com/fapi/v1/openOrders",
            ),
            (
                "usd-m second page",
                usdm,
                Some(CONDITIONAL_PAGE),
                "https://fapi.binance.com/fapi/v1/openAlgoOrders",
            ),
            (
                "the conditional segment itself",
                CONDITIONAL,
                None,
                "https://fapi.binance.com/fapi/v1/openAlgoOrders",
            ),
            ("spot", spot, None, "/api/v3/openOrders"),
        ] {
            let req = list(segment, cursor).unwrap();
            assert_eq!(
                (req.method, req.path.as_str()),
                (Method::Get, path),
                "{label}"
            );
        }
        assert!(
            list(spot, Some(CONDITIONAL_PAGE)).is_err(),
            "spot has no algo page"
        );
        assert!(list(usdm, Some("page-9")).is_err(), "an unknown cursor");
        assert_eq!(OpenPage::Orders.next(&usdm).as_deref(), Some("algo"));
        assert_eq!(OpenPage::Orders.next(&spot), None);
        assert_eq!(OpenPage::Conditional.next(&usdm), None);
        let req = encode(
            &Op::CancelBatch {
                segment: CONDITIONAL,
                orders: vec![OrderRef {
                    symbol: "ETHUSDT".into(),
                    order_id: "4100021".into(),
                }],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str(), req.query.as_str()),
            (
                Method::Delete,
                "https://fapi.binance.com/fapi/v1/algoOpenOrders",
                "symbol=ETHUSDT"
            )
        );
        assert!(req.mutating);
        assert_eq!(CONDITIONAL.to_string(), "linear/algo");
    }

    #[test]
    fn history_walks_in_windows_the_endpoint_allows() {
        let settings = VenueSettings::default();
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let window = Window {
            start_ms: 0,
            end_ms: 3 * DAY_MS,
        };
        let first = encode(
            &Op::Orders {
                segment: spot,
                window,
                cursor: None,
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(first.path, "/api/v3/openOrders");
        let walking = HistoryCursor {
            symbols: vec!["XVGUSDT".into()],
            ..HistoryCursor::default()
        }
        .start_walk()
        .unwrap();
        let req = encode(
            &Op::Fills {
                segment: spot,
                window,
                cursor: Some(walking.to_text()),
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(req.path, "/api/v3/myTrades");
        assert_eq!(
            req.query,
            format!(
                "symbol=XVGUSDT&startTime=0&endTime={}&limit=1000",
                DAY_MS - 1
            )
        );
    }

    #[test]
    fn spot_market_buys_may_spend_a_quote_amount() {
        let order = NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle: None,
            },
            symbol: "XVGUSDT".into(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: 250.0,
            unit: QtyUnit::Quote,
        };
        let settings = VenueSettings::default();
        let req = encode(&Op::PlaceOrder(order), &call(&settings)).unwrap();
        assert_eq!(
            req.body.as_deref(),
            Some("symbol=XVGUSDT&side=BUY&type=MARKET&quoteOrderQty=250&newOrderRespType=ACK")
        );
    }
}
