//! The adapter's operations as the venue modules call them: every page of a read, in every
//! segment asked for, the reply unwrapped to what it holds. A failed call fails the test.

use lockdown::exchanges::model::{
    Access, Balance, CreatedKey, Fill, IpWhitelist, KeyInfo, KeyScope, Lock, Order, Segment, Side,
    TradePermission, Transfer,
};
use lockdown::exchanges::{
    Auth, Client, ExchangeError, NewOrder, Op, OrderKind, QtyUnit, Reply, Revoke, Window,
};
use lockdown::secret::{Credential, KeyId};
use lockdown::sim::Inspect;

/// The spot segment as venues without a settle coin name it.
pub fn spot() -> Segment {
    Segment {
        category: lockdown::exchanges::model::Category::Spot,
        settle: None,
    }
}

/// The key as it describes itself (`WhoAmI`).
pub async fn who_am_i(client: &Client, key: &Credential) -> KeyInfo {
    client
        .call(&Op::WhoAmI, Auth::Key(key))
        .await
        .unwrap()
        .into_key()
        .unwrap()
}

/// Every key of sub-account `account`, as the master lists them.
pub async fn sub_keys(client: &Client, master: &Credential, account: &str) -> Vec<KeyInfo> {
    client
        .all_pages(
            |cursor| Op::SubKeys {
                account: account.to_owned(),
                cursor,
            },
            Auth::Key(master),
            Reply::into_keys,
        )
        .await
        .unwrap()
}

/// Every open order in `segments`.
pub async fn open_orders(client: &Client, segments: &[Segment], key: &Credential) -> Vec<Order> {
    client
        .per_segment(
            segments,
            Auth::Key(key),
            |segment, cursor| Op::OpenOrders { segment, cursor },
            Reply::into_orders,
        )
        .await
        .unwrap()
}

/// Every order of `window` in `segments`.
pub async fn orders(
    client: &Client,
    segments: &[Segment],
    key: &Credential,
    window: Window,
) -> Vec<Order> {
    client
        .per_segment(
            segments,
            Auth::Key(key),
            |segment, cursor| Op::Orders {
                segment,
                window,
                cursor,
            },
            Reply::into_orders,
        )
        .await
        .unwrap()
}

/// Every fill of `window` in `segments`.
pub async fn fills(
    client: &Client,
    segments: &[Segment],
    key: &Credential,
    window: Window,
) -> Vec<Fill> {
    client
        .per_segment(
            segments,
            Auth::Key(key),
            |segment, cursor| Op::Fills {
                segment,
                window,
                cursor,
            },
            Reply::into_fills,
        )
        .await
        .unwrap()
}

/// How many fills the simulator recorded for account `uid`: what a fills read must find.
pub fn executions_of(truth: &Inspect, uid: u64) -> usize {
    truth.executions.iter().filter(|e| e.uid == uid).count()
}

/// The account's balances.
pub async fn balances(client: &Client, key: &Credential) -> Vec<Balance> {
    client
        .call(&Op::Balances, Auth::Key(key))
        .await
        .unwrap()
        .into_balances()
        .unwrap()
}

/// Every withdrawal of `window`.
pub async fn withdrawals(client: &Client, key: &Credential, window: Window) -> Vec<Transfer> {
    client
        .all_pages(
            |cursor| Op::Withdrawals { window, cursor },
            Auth::Key(key),
            Reply::into_transfers,
        )
        .await
        .unwrap()
}

/// Every transfer of `window`.
pub async fn transfers(client: &Client, key: &Credential, window: Window) -> Vec<Transfer> {
    client
        .all_pages(
            |cursor| Op::Transfers { window, cursor },
            Auth::Key(key),
            Reply::into_transfers,
        )
        .await
        .unwrap()
}

/// An IP lock: bound to `ips`, with `access`.
pub fn lock_to(ips: &[&str], access: Access) -> Lock {
    Lock {
        ips: IpWhitelist::parse(ips).unwrap(),
        access,
    }
}

/// Locks `key` of sub-account `account` through the master; the key as the exchange then
/// describes it, or the refusal.
pub async fn restrict_key(
    client: &Client,
    master: &Credential,
    account: &str,
    key: &KeyId,
    lock: Lock,
) -> Result<KeyInfo, ExchangeError> {
    client
        .call(
            &Op::RestrictKey {
                account: Some(account.to_owned()),
                key: key.clone(),
                lock,
            },
            Auth::Key(master),
        )
        .await?
        .into_key()
}

/// Creates a key on sub-account `account` through the master: trading as `trade`, from `ips`.
pub async fn create_key(
    client: &Client,
    master: &Credential,
    account: &str,
    label: &str,
    trade: &[TradePermission],
    ips: &[&str],
) -> CreatedKey {
    let create = Op::CreateKey {
        account: account.to_owned(),
        label: label.to_owned(),
        scope: KeyScope {
            trade: trade.to_vec(),
            ips: IpWhitelist::parse(ips).unwrap(),
        },
    };
    client
        .call(&create, Auth::Key(master))
        .await
        .unwrap()
        .into_created()
        .unwrap()
}

/// Deletes `key` of sub-account `account` through the master, or the refusal.
pub async fn revoke_by_master(
    client: &Client,
    master: &Credential,
    account: &str,
    key: &KeyId,
) -> Result<(), ExchangeError> {
    let revoke = Op::RevokeKey(Revoke::ByMaster {
        key: key.clone(),
        account: Some(account.to_owned()),
    });
    client.call(&revoke, Auth::Key(master)).await.map(drop)
}

/// A limit buy of `qty` (in the base coin) of `symbol` at `price`, in `segment`.
pub fn limit_buy(segment: Segment, symbol: &str, price: f64, qty: f64) -> NewOrder {
    NewOrder {
        segment,
        symbol: symbol.to_owned(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    }
}

/// Places `order` with `key`: the exchange's order id, or the refusal.
pub async fn place(
    client: &Client,
    key: &Credential,
    order: NewOrder,
) -> Result<String, ExchangeError> {
    client
        .call(&Op::PlaceOrder(order), Auth::Key(key))
        .await?
        .into_placed()
}

/// Cancels order `order_id` of `symbol` in `segment` with `key`, or the refusal.
pub async fn cancel_order(
    client: &Client,
    key: &Credential,
    segment: Segment,
    symbol: &str,
    order_id: &str,
) -> Result<(), ExchangeError> {
    let cancel = Op::CancelOrder {
        segment,
        symbol: symbol.to_owned(),
        order_id: order_id.to_owned(),
    };
    client.call(&cancel, Auth::Key(key)).await.map(drop)
}

/// A withdrawal of 10 USDT to `address`.
pub fn usdt_withdrawal(address: &str) -> Op {
    Op::Withdraw {
        coin: "USDT".into(),
        amount: "10".into(),
        address: address.to_owned(),
    }
}

/// Arms the dead-man switch for `seconds` (0 disarms it); the trigger time the exchange names.
pub async fn cancel_after(client: &Client, key: &Credential, seconds: u32) -> Option<i64> {
    client
        .call(&Op::CancelAfter { seconds }, Auth::Key(key))
        .await
        .unwrap()
        .into_armed()
        .unwrap()
}

/// Arms the dead-man switch for `seconds` and checks that it fires that far ahead on the
/// exchange's clock (within 2 s); the trigger time.
pub async fn armed_for(client: &Client, key: &Credential, seconds: u32) -> i64 {
    let armed = cancel_after(client, key, seconds)
        .await
        .expect("armed: a trigger time");
    assert!(
        (armed - client.clock().now_ms() - i64::from(seconds) * 1_000).abs() < 2_000,
        "{armed}"
    );
    armed
}

/// The steps venues with a master and a sub-account key share in their round trips, each with
/// the venue's own codes: one copy, so that a venue × case reads as a table.
pub mod steps {
    use super::*;
    use lockdown::exchanges::OrderRef;
    use lockdown::exchanges::model::{Cancelled, Category};

    use crate::support::last_days;

    /// The bot's balances hold some USDT; the master reads the month's one withdrawal and one
    /// transfer, to `sub`. Returns both for the venue's own checks.
    pub async fn money_of_the_month(
        client: &Client,
        bot: &Credential,
        master: &Credential,
        now: i64,
        sub: &str,
    ) -> (Vec<Transfer>, Vec<Transfer>) {
        let balances = balances(client, bot).await;
        assert!(
            balances
                .iter()
                .any(|b| b.coin == "USDT" && !b.total.is_zero())
        );
        let month = last_days(now, 30);
        let withdrawals = withdrawals(client, master, month).await;
        assert_eq!(withdrawals.len(), 1);
        let transfers = transfers(client, master, month).await;
        assert_eq!(transfers.len(), 1);
        assert_eq!(transfers[0].to.as_deref(), Some(sub));
        (withdrawals, transfers)
    }

    /// The venue's codes for what the bot may not do.
    pub struct Refusals {
        /// A second cancel of the same order.
        pub cancelled_again: &'static str,
        /// A withdrawal with the bot's key.
        pub withdrawal: &'static str,
    }

    /// Trades as the bot on spot BTC/USDT (`symbol` as the venue spells it): a limit buy is
    /// placed (a numeric id) and cancelled, a second cancel is refused; the bot cannot withdraw,
    /// the master can.
    pub async fn trade_as_the_bot(
        client: &Client,
        bot: &Credential,
        master: &Credential,
        symbol: &str,
        refusals: &Refusals,
    ) {
        let spot = spot();
        let btc = client.venue().symbol(Category::Spot, "BTC", "USDT");
        let placed = place(client, bot, limit_buy(spot, &btc, 50_000.0, 0.001))
            .await
            .unwrap();
        assert!(placed.bytes().all(|b| b.is_ascii_digit()), "{placed}");
        let cancel = || cancel_order(client, bot, spot, symbol, &placed);
        cancel().await.unwrap();
        let again = cancel().await.unwrap_err();
        assert_eq!(again.code(), Some(refusals.cancelled_again));
        let withdraw = usdt_withdrawal("0x000000000000000000000000000000000000dEaD");
        let refused = client.call(&withdraw, Auth::Key(bot)).await.unwrap_err();
        assert!(
            matches!(refused, ExchangeError::Permission { ref code, .. } if code == refusals.withdrawal),
            "{refused:?}"
        );
        client.call(&withdraw, Auth::Key(master)).await.unwrap();
    }

    /// The master binds the bot's key to the responder (access unchanged).
    pub async fn lock_to_the_responder(
        client: &Client,
        master: &Credential,
        sub: &str,
        key: &KeyId,
    ) -> KeyInfo {
        let lock = lock_to(&["127.0.0.1"], Access::Unchanged);
        let locked = restrict_key(client, master, sub, key, lock).await.unwrap();
        assert_eq!(locked.ips, ["127.0.0.1"]);
        locked
    }

    /// A venue without a cancel-all says so for `segment`.
    pub async fn no_cancel_all(client: &Client, key: &Credential, segment: Segment) {
        let cancel_all = client
            .call(&Op::CancelAll { segment }, Auth::Key(key))
            .await
            .unwrap_err();
        assert!(matches!(cancel_all, ExchangeError::Unsupported { .. }));
    }

    /// Cancels `orders` in one request; what the venue says it cancelled.
    pub async fn cancel_batch(
        client: &Client,
        key: &Credential,
        segment: Segment,
        orders: Vec<OrderRef>,
    ) -> Vec<Cancelled> {
        client
            .call(&Op::CancelBatch { segment, orders }, Auth::Key(key))
            .await
            .unwrap()
            .into_cancelled()
            .unwrap()
    }

    /// The orders as a cancel names them.
    pub fn refs<'o>(orders: impl IntoIterator<Item = &'o Order>) -> Vec<OrderRef> {
        orders
            .into_iter()
            .map(|o| OrderRef {
                symbol: o.symbol.clone(),
                order_id: o.order_id.clone(),
            })
            .collect()
    }

    /// The master deletes the bot's key: the key is refused from then on with `refused`, and
    /// deleting it again names nothing (`gone`).
    pub async fn revoke_twice(
        client: &Client,
        master: &Credential,
        sub: &str,
        bot: &Credential,
        refused: &str,
        gone: &str,
    ) {
        let revoke = || revoke_by_master(client, master, sub, &bot.key);
        revoke().await.unwrap();
        let err = client.call(&Op::WhoAmI, Auth::Key(bot)).await.unwrap_err();
        assert!(err.is_unauthenticated(), "{err:?}");
        assert_eq!(err.code(), Some(refused));
        let again = revoke().await.unwrap_err();
        assert!(
            matches!(again, ExchangeError::UnknownTarget { ref code, .. } if code == gone),
            "{again:?}"
        );
    }

    /// What the venue says to `WhoAmI` with a key it refuses.
    pub async fn refused_who_am_i(client: &Client, key: &Credential) -> ExchangeError {
        client.call(&Op::WhoAmI, Auth::Key(key)).await.unwrap_err()
    }

    /// A sub-account key cannot list keys: refused for permission with `code`.
    pub async fn bot_cannot_manage_keys(
        client: &Client,
        bot: &Credential,
        account: String,
        code: &str,
    ) {
        let err = client
            .call(
                &Op::SubKeys {
                    account,
                    cursor: None,
                },
                Auth::Key(bot),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Permission { code: ref got, .. } if got == code),
            "{err:?}"
        );
    }
}
