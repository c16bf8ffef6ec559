//! Kraken Spot's documented example answers (`tests/fixtures/kraken/`, from Kraken's API docs)
//! against the adapter and against the simulator, method by method, and the list of every
//! method the adapter calls, each with its fixture.
//!
//! Kraken keys its lists by id (`{"open": {"<txid>": {…}}}`, `BalanceEx` by asset): the ids
//! differ between the example and the simulator, so both are compared with each such map read
//! as the list of its values ([`unkeyed`]).

use std::collections::BTreeSet;

use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::{
    Auth, Client, ExchangeId, NewOrder, Op, OrderKind, QtyUnit, Reply, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::shapes::{
    Fixture, assert_every_endpoint_documented, assert_same_shape, decode, fixture, sim_answer,
};
use crate::shapes_okx::sim_write;
use crate::support::{DAY_MS, Lab};

const KRAKEN: ExchangeId = ExchangeId::Kraken;

fn spot() -> Segment {
    Segment {
        category: Category::Spot,
        settle: None,
    }
}

/// `value` with the map at each of `paths` (`result.open`; empty: `result` itself) replaced by
/// the list of its values.
fn unkeyed(mut value: Value, paths: &[&str]) -> Value {
    for path in paths {
        let mut at = &mut value["result"];
        for part in path.split('.').filter(|p| !p.is_empty()) {
            at = &mut at[part];
        }
        if let Value::Object(map) = at.take() {
            *at = Value::Array(map.into_iter().map(|(_, v)| v).collect());
        }
    }
    value
}

/// Compares a keyed answer with its example, both [`unkeyed`] at `paths`.
fn assert_same_keyed(doc: &Fixture, sim: Value, paths: &[&str], ignore: &[&str]) {
    let unkeyed_doc = Fixture {
        path: doc.path.clone(),
        source: doc.source.clone(),
        endpoint: doc.endpoint.clone(),
        answer: unkeyed(doc.answer.clone(), paths),
    };
    assert_same_shape(&unkeyed_doc, &unkeyed(sim, paths), ignore);
}

#[tokio::test(flavor = "multi_thread")]
async fn kraken_reads_are_answered_as_documented() {
    let lab = Lab::start_on(KRAKEN, 81).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: now + 60_000,
    };

    // GET /0/public/Time
    let doc = fixture(KRAKEN, "server-time");
    let Reply::ServerTime(ms) = decode(KRAKEN, &Op::ServerTime, &doc.answer) else {
        panic!("not a time");
    };
    assert_eq!(ms, 1_688_669_448_000);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &Op::ServerTime, Auth::Public).await,
        &[],
    );

    // GetApiKeyInfo
    let doc = fixture(KRAKEN, "api-key-info");
    let Reply::Key(info) = decode(KRAKEN, &Op::WhoAmI, &doc.answer) else {
        panic!("not a key");
    };
    assert!(info.can_withdraw() && info.ips.is_empty(), "{info:?}");
    // The example's key was never restricted to addresses; the owner's key is, and its
    // list has items where the example's is empty (compared: nothing).
    assert_same_shape(
        &doc,
        &sim_answer(&client, &Op::WhoAmI, Auth::Key(&owner)).await,
        &[],
    );

    // OpenOrders: the default incident's bot has open orders; one conditional order too.
    let stop = NewOrder {
        segment: spot(),
        symbol: "XBTUSDT".into(),
        side: Side::Sell,
        kind: OrderKind::Limit { price: 20_000.0 },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: Some(21_000.0),
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    client
        .call(&Op::PlaceOrder(stop), Auth::Key(&bot))
        .await
        .unwrap();
    let doc = fixture(KRAKEN, "open-orders");
    let open = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    let Reply::Orders(page) = decode(KRAKEN, &open, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].order_id, "OQCLML-BW3P3-BUCMWZ");
    let sim = sim_answer(&client, &open, Auth::Key(&owner)).await;
    // `trades` is there when asked for (`trades=true`, which the adapter does not send) and
    // the order has trades; `cl_ord_id`, `margin`, `trigger` and `sender_sub_id` are in the
    // documented fields, not in the example.
    assert_same_keyed(
        &doc,
        sim,
        &["open"],
        &["$.result.open[].trades", "$.result.open[].cl_ord_id"],
    );

    // ClosedOrders
    let doc = fixture(KRAKEN, "closed-orders");
    let closed = Op::Orders {
        segment: spot(),
        window: month,
        cursor: None,
    };
    let Reply::Orders(page) = decode(KRAKEN, &closed, &doc.answer) else {
        panic!("not orders");
    };
    let kinds: BTreeSet<&str> = page.items.iter().map(|o| o.order_type.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["stop-loss-limit", "take-profit-limit"])
    );
    assert_eq!(page.next, None);
    let sim = sim_answer(&client, &closed, Auth::Key(&owner)).await;
    // `trigger` is in the example's stop orders only (`index` here), documented as the price
    // signal of conditional orders; `cl_ord_id` is documented, not in the example.
    assert_same_keyed(
        &doc,
        sim,
        &["closed"],
        &["$.result.closed[].trigger", "$.result.closed[].cl_ord_id"],
    );

    // TradesHistory
    let doc = fixture(KRAKEN, "trades-history");
    let fills = Op::Fills {
        segment: spot(),
        window: month,
        cursor: None,
    };
    let Reply::Fills(page) = decode(KRAKEN, &fills, &doc.answer) else {
        panic!("not fills");
    };
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].fill_id, "THVRQM-33VKH-UCI7BS");
    let sim = sim_answer(&client, &fills, Auth::Key(&owner)).await;
    // `count` is a documented field the example leaves out.
    assert_same_keyed(&doc, sim, &["trades"], &["$.result.count"]);

    // BalanceEx: the example writes the amounts as numbers where the documented fields say
    // strings; the adapter reads either.
    let doc = fixture(KRAKEN, "balance-ex");
    let Reply::Balances(held) = decode(KRAKEN, &Op::Balances, &doc.answer) else {
        panic!("not balances");
    };
    let usd = held.iter().find(|b| b.coin == "USD").unwrap();
    assert_eq!(
        (usd.total.as_str(), usd.locked.as_str()),
        ("25435.21", "8249.76")
    );
    let sim = sim_answer(&client, &Op::Balances, Auth::Key(&owner)).await;
    assert_same_keyed(
        &doc,
        sim,
        &[""],
        &["$.result[].balance", "$.result[].hold_trade"],
    );

    // WithdrawStatus and DepositStatus: the adapter pages (`cursor=true`), which answers the
    // list under `withdrawals` / `deposit` with a `next_cursor`; the examples show the list
    // without pages. The items are compared; this account withdrew nothing and the simulator
    // models no deposits, so both lists are empty (the adapter's reading of the documented
    // items is what is shown).
    for (name, op, field) in [
        (
            "withdraw-status",
            Op::Withdrawals {
                window: month,
                cursor: None,
            },
            "withdrawals",
        ),
        (
            "deposit-status",
            Op::Transfers {
                window: month,
                cursor: None,
            },
            "deposit",
        ),
    ] {
        let doc = fixture(KRAKEN, name);
        let Reply::Transfers(page) = decode(KRAKEN, &op, &doc.answer) else {
            panic!("not transfers");
        };
        assert_eq!(page.items.len(), 1, "{name}");
        assert_eq!(page.items[0].coin, "BTC", "{name}");
        let sim = sim_answer(&client, &op, Auth::Key(&owner)).await;
        assert!(sim["result"][field].is_array(), "{name}: {sim}");
        assert!(sim["result"]["next_cursor"].is_null() || sim["result"]["next_cursor"].is_string());
    }

    // Ledgers (`type=transfer`): the default incident's account received one transfer.
    let doc = fixture(KRAKEN, "ledgers");
    let ledger = Op::Transfers {
        window: Window {
            start_ms: 0,
            end_ms: now + 60_000,
        },
        cursor: Some("l:0".into()),
    };
    decode(KRAKEN, &ledger, &doc.answer);
    let sim = sim_answer(&client, &ledger, Auth::Key(&owner)).await;
    assert_same_keyed(&doc, sim, &["ledger"], &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn kraken_writes_are_answered_as_documented() {
    let lab = Lab::start_on(KRAKEN, 82).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    client.resync().await.unwrap();

    // AddOrder
    let doc = fixture(KRAKEN, "add-order");
    let place = Op::PlaceOrder(NewOrder {
        segment: spot(),
        symbol: "XBTUSDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1_000.0 },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    });
    let Reply::Placed(txid) = decode(KRAKEN, &place, &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(txid, "OU22CG-KLAF2-FWUDD7");
    let sim = sim_write(&lab, &client, &place, Auth::Key(&bot)).await;
    assert_same_shape(&doc, &sim, &[]);
    let placed = sim["result"]["txid"][0].as_str().unwrap().to_owned();

    // CancelOrder: `pending` is documented ("if set, order(s) is/are pending cancellation"),
    // not in the example.
    let doc = fixture(KRAKEN, "cancel-order");
    let cancel = Op::CancelOrder {
        segment: spot(),
        symbol: "XBTUSDT".into(),
        order_id: placed,
    };
    decode(KRAKEN, &cancel, &doc.answer);
    let sim = sim_write(&lab, &client, &cancel, Auth::Key(&owner)).await;
    assert_same_shape(&doc, &sim, &["$.result.pending"]);

    // CancelAll (the same `pending`), CancelAllOrdersAfter
    let doc = fixture(KRAKEN, "cancel-all");
    let all = Op::CancelAll { segment: spot() };
    let Reply::Cancelled(gone) = decode(KRAKEN, &all, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(gone.len(), 4);
    let sim = sim_write(&lab, &client, &all, Auth::Key(&owner)).await;
    assert_same_shape(&doc, &sim, &["$.result.pending"]);
    let doc = fixture(KRAKEN, "cancel-all-orders-after");
    let arm = Op::CancelAfter { seconds: 60 };
    let Reply::Armed(at) = decode(KRAKEN, &arm, &doc.answer) else {
        panic!("not armed");
    };
    assert_eq!(at, Some(1_679_679_776_000));
    let sim = sim_write(&lab, &client, &arm, Auth::Key(&owner)).await;
    assert_same_shape(&doc, &sim, &[]);

    // Withdraw: no key of the default incident may withdraw, so the simulator's answer is the
    // refusal; the documented success is read by the adapter.
    let doc = fixture(KRAKEN, "withdraw");
    let withdraw = Op::Withdraw {
        coin: "USDT".into(),
        amount: "10".into(),
        address: "cold".into(),
    };
    assert!(matches!(
        decode(KRAKEN, &withdraw, &doc.answer),
        Reply::Done
    ));
    let sim = sim_write(&lab, &client, &withdraw, Auth::Key(&owner)).await;
    assert_eq!(sim["error"][0], "EGeneral:Permission denied");
}

/// Every method the adapter's `encode` produces, one op of each kind, has its documented example
/// under `tests/fixtures/kraken/`.
#[test]
fn every_kraken_endpoint_has_a_documented_answer() {
    let client = Client::new(
        KRAKEN.venue(),
        "http://127.0.0.1:9",
        lockdown::exchanges::Mode::Live,
    )
    .unwrap();
    let cred = Credential::new(KeyId::new("k"), SecretString::from("c2VjcmV0".to_owned()));
    let window = Window {
        start_ms: 0,
        end_ms: 1,
    };
    let order = NewOrder {
        segment: spot(),
        symbol: "XBTUSDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1.0 },
        qty: 1.0,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let ops = [
        Op::ServerTime,
        Op::WhoAmI,
        Op::CancelAll { segment: spot() },
        Op::CancelAfter { seconds: 60 },
        Op::OpenOrders {
            segment: spot(),
            cursor: None,
        },
        Op::Orders {
            segment: spot(),
            window,
            cursor: None,
        },
        Op::Fills {
            segment: spot(),
            window,
            cursor: None,
        },
        Op::Balances,
        Op::Withdrawals {
            window,
            cursor: None,
        },
        Op::Transfers {
            window,
            cursor: None,
        },
        Op::Transfers {
            window,
            cursor: Some("l:0".into()),
        },
        Op::PlaceOrder(order.clone()),
        Op::PlaceOrder(NewOrder {
            trigger: Some(2.0),
            ..order
        }),
        Op::CancelOrder {
            segment: spot(),
            symbol: "XBTUSDT".into(),
            order_id: "O".into(),
        },
        Op::Withdraw {
            coin: "USDT".into(),
            amount: "1".into(),
            address: "cold".into(),
        },
    ];
    assert_eq!(
        assert_every_endpoint_documented(KRAKEN, &client, &cred, &ops),
        14
    );
}
