//! The normalized operations and their replies.
//!
//! An [`Op`] says what to do, never how a venue spells it; the credential that signs it says on
//! whose behalf. Each op knows whether it changes anything ([`Op::is_mutating`]): that single
//! fact drives dry-run, confirmation and the HTTP layer's refusal to send mutations in dry-run.

use serde::Serialize;

use super::ExchangeError;
use super::model::{
    AccessEvent, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, KeyScope, Lock, Order,
    Segment, Side, Transfer,
};
use crate::secret::{KeyId, SecretString};

/// A time window `[start_ms, end_ms]` on the exchange's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Start, Unix ms.
    pub start_ms: i64,
    /// End, Unix ms.
    pub end_ms: i64,
}

impl Window {
    /// Splits `[start_ms, end_ms]` into windows no wider than `max_ms`, newest first.
    pub fn split(start_ms: i64, end_ms: i64, max_ms: i64) -> Vec<Window> {
        let mut windows = Vec::new();
        let mut end = end_ms;
        while end > start_ms {
            let start = (end - max_ms).max(start_ms);
            windows.push(Window {
                start_ms: start,
                end_ms: end,
            });
            end = start;
        }
        windows
    }
}

/// The history kinds that are fetched in windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Orders that are no longer open.
    Orders,
    /// Executions.
    Fills,
    /// Withdrawals.
    Withdrawals,
    /// Internal transfers.
    Transfers,
}

/// How a key is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoke {
    /// The master credential deletes a key of its account or of a sub-account.
    ByMaster {
        /// The key.
        key: KeyId,
        /// The sub-account it belongs to, when known.
        account: Option<String>,
    },
    /// A sub-account key deletes itself (signed with that key).
    SelfSub,
    /// A master-account key deletes itself (signed with that key); some venues require a
    /// wallet permission for this.
    SelfMaster,
}

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderKind {
    /// Rests at this price.
    Limit {
        /// The limit price.
        price: f64,
    },
    /// Takes what the book offers.
    Market,
}

/// What an order's quantity counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QtyUnit {
    /// The base coin (or contracts).
    Base,
    /// The quote coin (market buys: spend this much).
    Quote,
}

/// One open order to cancel, as a batch cancel names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRef {
    /// The venue's symbol.
    pub symbol: String,
    /// The exchange's order id.
    pub order_id: String,
}

/// An order to place (what the drill's attacker sends; the response never places orders).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Where.
    pub segment: Segment,
    /// The venue's symbol.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub kind: OrderKind,
    /// How much.
    pub qty: f64,
    /// What `qty` counts.
    pub unit: QtyUnit,
    /// A conditional (stop, trigger) order: it rests untriggered until the market reaches this
    /// price, and only then becomes `kind`. `None`: a plain order.
    pub trigger: Option<f64>,
    /// The client order id the venue stores with the order (Bybit `orderLinkId`, OKX `clOrdId`,
    /// Binance `newClientOrderId`, Deribit `label`, Kraken `cl_ord_id`); `None`: none sent.
    pub client_order_id: Option<String>,
    /// How long a limit order may rest (default: good till cancelled).
    pub time_in_force: TimeInForce,
    /// Only reduces a position (derivatives); the venue refuses or trims one that would not.
    pub reduce_only: bool,
}

/// How long a limit order may rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeInForce {
    /// Rests until filled or cancelled.
    #[default]
    Gtc,
    /// Immediate or cancel: what does not fill at once is cancelled.
    Ioc,
    /// Fill or kill: fills in full at once, or not at all.
    Fok,
    /// Post only (maker only): an order that would take liquidity is refused or cancelled.
    PostOnly,
}

impl TimeInForce {
    /// A short name for records and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
            TimeInForce::PostOnly => "post_only",
        }
    }
}

impl NewOrder {
    /// Refuses a conditional order on a venue whose adapter places only plain ones.
    pub fn plain(&self, venue: &'static str) -> Result<(), ExchangeError> {
        match self.trigger {
            Some(_) => Err(ExchangeError::Unsupported {
                venue,
                op: "place_order (conditional)",
            }),
            None => Ok(()),
        }
    }
}

/// A normalized operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The exchange's clock (unsigned).
    ServerTime,
    /// What the exchange says about the signing key.
    WhoAmI,
    /// The keys of one sub-account, as the master sees them.
    SubKeys {
        /// The sub-account.
        account: String,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Lock a key: bind it to the responder (master credential).
    RestrictKey {
        /// The key to lock.
        key: KeyId,
        /// The sub-account it belongs to, when known (some venues address keys through it).
        account: Option<String>,
        /// How.
        lock: Lock,
    },
    /// Delete a key.
    RevokeKey(Revoke),
    /// Freeze a whole sub-account (master credential): every key of it is refused at once,
    /// the owner's bots' too (Bybit `frozen-sub-member`, docs/venues/bybit.md §4).
    FreezeAccount {
        /// The sub-account.
        account: String,
    },
    /// Create a restricted key for a sub-account (master credential).
    CreateKey {
        /// The sub-account.
        account: String,
        /// The new key's note.
        label: String,
        /// What it may do and from where.
        scope: KeyScope,
    },
    /// Cancel every open order in one segment of the signing key's account.
    CancelAll {
        /// The segment.
        segment: Segment,
    },
    /// Arm the venue's dead-man switch for the signing key's account: every open order is
    /// cancelled after `seconds` unless the switch is armed again (`0` disarms it). Only venues
    /// that declare [`super::Capability::DeadMan`] by API send it (Kraken `CancelAllOrdersAfter`,
    /// OKX `cancel-all-after`).
    CancelAfter {
        /// Seconds until the orders are cancelled; 0 disarms.
        seconds: u32,
    },
    /// Cancel these open orders of one segment of the signing key's account, on venues that
    /// have no cancel-all ([`super::CancelStyle::Batches`]); at most the venue's batch size.
    CancelBatch {
        /// The segment.
        segment: Segment,
        /// The orders.
        orders: Vec<OrderRef>,
    },
    /// Open orders in one segment.
    OpenOrders {
        /// The segment.
        segment: Segment,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Orders in one segment and window.
    Orders {
        /// The segment.
        segment: Segment,
        /// The window.
        window: Window,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Fills in one segment and window.
    Fills {
        /// The segment.
        segment: Segment,
        /// The window.
        window: Window,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Balances of the signing key's account.
    Balances,
    /// Balances of another wallet of the signing key's account that [`Op::Balances`] does not
    /// show (OKX's funding account), read after it by the venues that keep one
    /// ([`super::mechanisms::CompanionCalls::then`]); each balance names the wallet.
    WalletBalances {
        /// The wallet, as the venue's adapter names it (`funding`).
        account: &'static str,
    },
    /// Withdrawals in a window.
    Withdrawals {
        /// The window.
        window: Window,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Internal transfers in a window.
    Transfers {
        /// The window.
        window: Window,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// Place an order.
    PlaceOrder(NewOrder),
    /// Cancel one order.
    CancelOrder {
        /// Where it lives.
        segment: Segment,
        /// Its symbol.
        symbol: String,
        /// The exchange's order id.
        order_id: String,
    },
    /// Change an open order's quantity or price; the reply is the order's id afterwards (a
    /// venue that replaces the order gives a new one).
    /// Only the drill's attacker sends it; lockdown never amends.
    AmendOrder {
        /// Where it lives.
        segment: Segment,
        /// Its symbol.
        symbol: String,
        /// The exchange's order id.
        order_id: String,
        /// The new quantity, when it changes.
        qty: Option<f64>,
        /// The new limit price, when it changes.
        price: Option<f64>,
    },
    /// Ask for a withdrawal.
    Withdraw {
        /// The coin.
        coin: String,
        /// How much.
        amount: String,
        /// Where to.
        address: String,
    },
    /// The signing key's account's security log: logins and key changes, with addresses.
    AccessLog {
        /// Page cursor.
        cursor: Option<String>,
    },
    /// The segments of one category the venue lists at run time (public: Bybit's inverse
    /// settle coins, Deribit's currencies); only venues with
    /// [`super::mechanisms::SegmentDiscovery`] send it.
    Segments {
        /// The category.
        category: Category,
        /// Page cursor.
        cursor: Option<String>,
    },
    /// What the signing key needs before it opens the venue's private order stream (Binance's
    /// listen key, Kraken's WebSocket token): only venues whose
    /// [`super::stream::PrivateStream`] names it send it (docs/watch.md §1).
    StreamToken {
        /// The product family the stream is for (Binance has one stream per family), when
        /// the venue has several.
        segment: Option<Segment>,
    },
}

impl Op {
    /// A short name for records and messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::ServerTime => "server_time",
            Op::WhoAmI => "key_info",
            Op::SubKeys { .. } => "sub_keys",
            Op::RestrictKey { .. } => "restrict_key",
            Op::RevokeKey(_) => "revoke_key",
            Op::FreezeAccount { .. } => "freeze_account",
            Op::CreateKey { .. } => "create_key",
            Op::CancelAll { .. } => "cancel_all",
            Op::CancelAfter { .. } => "cancel_after",
            Op::CancelBatch { .. } => "cancel_batch",
            Op::OpenOrders { .. } => "open_orders",
            Op::Orders { .. } => "orders",
            Op::Fills { .. } => "fills",
            Op::Balances => "balances",
            Op::WalletBalances { .. } => "wallet_balances",
            Op::Withdrawals { .. } => "withdrawals",
            Op::Transfers { .. } => "transfers",
            Op::PlaceOrder(_) => "place_order",
            Op::CancelOrder { .. } => "cancel_order",
            Op::AmendOrder { .. } => "amend_order",
            Op::Withdraw { .. } => "withdraw",
            Op::AccessLog { .. } => "access_log",
            Op::Segments { .. } => "segments",
            Op::StreamToken { .. } => "stream_token",
        }
    }

    /// Whether the operation changes anything at the exchange.
    pub fn is_mutating(&self) -> bool {
        matches!(
            self,
            Op::RestrictKey { .. }
                | Op::RevokeKey(_)
                | Op::FreezeAccount { .. }
                | Op::CreateKey { .. }
                | Op::CancelAll { .. }
                | Op::CancelAfter { .. }
                | Op::CancelBatch { .. }
                | Op::PlaceOrder(_)
                | Op::CancelOrder { .. }
                | Op::AmendOrder { .. }
                | Op::Withdraw { .. }
        )
    }

    /// Whether the operation is signed.
    pub fn is_signed(&self) -> bool {
        !matches!(self, Op::ServerTime | Op::Segments { .. })
    }
}

/// One page of a paginated answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

/// What an operation returned.
#[derive(Debug)]
pub enum Reply {
    /// Unix ms on the exchange's clock.
    ServerTime(i64),
    /// One key.
    Key(KeyInfo),
    /// A page of keys.
    Keys(Page<KeyInfo>),
    /// A page of orders.
    Orders(Page<Order>),
    /// A page of fills.
    Fills(Page<Fill>),
    /// Balances.
    Balances(Vec<Balance>),
    /// A page of transfers.
    Transfers(Page<Transfer>),
    /// Orders the exchange acknowledged cancelling.
    Cancelled(Vec<Cancelled>),
    /// A new key, with its secret.
    Created(CreatedKey),
    /// An order was accepted; its id.
    Placed(String),
    /// A page of the account's security log.
    AccessLog(Page<AccessEvent>),
    /// The dead-man switch is armed until this instant (Unix ms, exchange clock), or disarmed
    /// (`None`).
    Armed(Option<i64>),
    /// A page of segments the venue lists ([`Op::Segments`]).
    Segments(Page<Segment>),
    /// The token a private stream opens with ([`Op::StreamToken`]); a secret.
    StreamToken(SecretString),
    /// Done, nothing to report.
    Done,
}

macro_rules! into {
    ($name:ident, $variant:ident, $ty:ty) => {
        /// The reply's payload, or a protocol error when the adapter answered something else.
        pub fn $name(self) -> Result<$ty, ExchangeError> {
            match self {
                Reply::$variant(value) => Ok(value),
                other => Err(ExchangeError::Protocol {
                    detail: format!(
                        "expected {} but the adapter decoded {}",
                        stringify!($variant),
                        other.kind()
                    ),
                }),
            }
        }
    };
}

impl Reply {
    into!(into_server_time, ServerTime, i64);
    into!(into_key, Key, KeyInfo);
    into!(into_keys, Keys, Page<KeyInfo>);
    into!(into_orders, Orders, Page<Order>);
    into!(into_fills, Fills, Page<Fill>);
    into!(into_balances, Balances, Vec<Balance>);
    into!(into_transfers, Transfers, Page<Transfer>);
    into!(into_cancelled, Cancelled, Vec<Cancelled>);
    into!(into_created, Created, CreatedKey);
    into!(into_placed, Placed, String);
    into!(into_access_log, AccessLog, Page<AccessEvent>);
    into!(into_armed, Armed, Option<i64>);
    into!(into_segments, Segments, Page<Segment>);
    into!(into_stream_token, StreamToken, SecretString);

    /// This reply completed by the answer to the venue's follow-up request
    /// ([`super::mechanisms::CompanionCalls::then`]): balances are joined by another wallet's
    /// ([`Op::WalletBalances`]); a created key takes what the exchange says of it afterwards (its
    /// IP whitelist), and keeps its secret; a key changed in two requests (Binance strips
    /// permissions, then binds the IP list) takes the IP list from the second and stays
    /// read-only if either said so; anything else stays as it was.
    pub fn followed_by(self, after: Reply) -> Reply {
        match (self, after) {
            (Reply::Balances(mut balances), Reply::Balances(more)) => {
                balances.extend(more);
                Reply::Balances(balances)
            }
            (Reply::Created(mut created), Reply::Key(info)) => {
                created.info = KeyInfo {
                    account: info.account.or(created.info.account),
                    ..info
                };
                Reply::Created(created)
            }
            (Reply::Key(first), Reply::Key(after)) => Reply::Key(KeyInfo {
                read_only: first.read_only || after.read_only,
                permissions: if first.permissions.is_empty() {
                    after.permissions
                } else {
                    first.permissions
                },
                ips: after.ips,
                ..first
            }),
            (reply, _) => reply,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Reply::ServerTime(_) => "ServerTime",
            Reply::Key(_) => "Key",
            Reply::Keys(_) => "Keys",
            Reply::Orders(_) => "Orders",
            Reply::Fills(_) => "Fills",
            Reply::Balances(_) => "Balances",
            Reply::Transfers(_) => "Transfers",
            Reply::Cancelled(_) => "Cancelled",
            Reply::Created(_) => "Created",
            Reply::Placed(_) => "Placed",
            Reply::AccessLog(_) => "AccessLog",
            Reply::StreamToken(_) => "StreamToken",
            Reply::Armed(_) => "Armed",
            Reply::Segments(_) => "Segments",
            Reply::Done => "Done",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_newest_first() {
        let windows = Window::split(0, 25, 10);
        assert_eq!(
            windows,
            [
                Window {
                    start_ms: 15,
                    end_ms: 25
                },
                Window {
                    start_ms: 5,
                    end_ms: 15
                },
                Window {
                    start_ms: 0,
                    end_ms: 5
                },
            ]
        );
        assert!(Window::split(10, 10, 5).is_empty());
    }

    #[test]
    fn trading_balances_are_followed_by_the_funding_wallets() {
        use super::super::model::Amount;
        let row = |coin: &str, account: &str| Balance {
            coin: coin.to_owned(),
            total: Amount::new("1"),
            locked: Amount::new("0"),
            usd_value: None,
            account: Some(account.to_owned()),
        };
        let joined = Reply::Balances(vec![row("BTC", "UNIFIED")])
            .followed_by(Reply::Balances(vec![row("USDT", "FUND")]));
        assert_eq!(
            joined.into_balances().unwrap(),
            [row("BTC", "UNIFIED"), row("USDT", "FUND")]
        );
    }
}
