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
