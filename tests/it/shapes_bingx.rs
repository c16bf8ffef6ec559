//! BingX's documented answers (`tests/fixtures/bingx/`, the example answers of BingX's docs
//! site bundle) against the adapter and against the simulator, endpoint by endpoint; the list of
//! every endpoint the adapter calls, each with its fixture; and the simulator's authentication
//! and refusals as BingX documents them, over HTTP.

use lockdown::exchanges::model::{Access, Category, IpWhitelist, KeyScope, Lock, Segment, Side};
use lockdown::exchanges::{
    Auth, Client, ExchangeError, ExchangeId, NewOrder, Op, OrderKind, QtyUnit, Reply, Revoke,
    TimeInForce, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};

use crate::shapes::{assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{DAY_MS, Lab};

const BINGX: ExchangeId = ExchangeId::Bingx;

fn segment(category: Category) -> Segment {
    Segment {
        category,
        settle: None,
    }
}

fn order(category: Category, symbol: &str, price: f64) -> NewOrder {
    NewOrder {
        segment: segment(category),
        symbol: symbol.into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: Some("shape_1".into()),
        time_in_force: TimeInForce::Gtc,
        reduce_only: false,
    }
}

fn every_op() -> Vec<Op> {
    let window = Window {
        start_ms: 0,
        end_ms: 1,
    };
    let key = KeyId::new("k");
    let mut ops = vec![
        Op::ServerTime,
        Op::WhoAmI,
        Op::SubKeys {
            account: "1000002".into(),
            cursor: None,
        },
        Op::RestrictKey {
            key: key.clone(),
            account: Some("1000002".into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        },
        Op::RevokeKey(Revoke::ByMaster {
            key,
            account: Some("1000002".into()),
        }),
        Op::FreezeAccount {
            account: "1000002".into(),
        },
        Op::CreateKey {
            account: "1000002".into(),
            label: "bot".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        },
        Op::CancelAfter { seconds: 60 },
        Op::Balances,
        Op::Withdrawals {
            window,
            cursor: None,
        },
        Op::Withdraw {
            coin: "USDT".into(),
            amount: "10".into(),
            address: "a".into(),
        },
    ];
    for (category, symbol) in [
        (Category::Spot, "BTC-USDT"),
        (Category::Linear, "BTC-USDT"),
        (Category::Inverse, "BTC-USD"),
    ] {
        let segment = segment(category);
        ops.extend([
            Op::CancelAll { segment },
            Op::OpenOrders {
                segment,
                cursor: None,
            },
            Op::Orders {
                segment,
                window,
                cursor: None,
            },
            Op::PlaceOrder(order(category, symbol, 1.0)),
            Op::CancelOrder {
                segment,
                symbol: symbol.into(),
                order_id: "1".into(),
            },
        ]);
    }
    ops
}

#[test]
fn every_bingx_endpoint_has_its_documented_answer() {
    let client = Client::new(
        BINGX.venue(),
        "http://127.0.0.1:9",
        lockdown::exchanges::Mode::Live,
    )
    .unwrap();
    let cred = Credential::new(KeyId::new("k"), SecretString::from("s"));
    let documented: std::collections::BTreeSet<String> = fixture_names(BINGX)
        .iter()
        .map(|name| fixture(BINGX, name).endpoint)
        .collect();
    let called: std::collections::BTreeSet<String> = every_op()
        .iter()
        .map(|op| {
            let auth = if op.is_signed() {
                Auth::Key(&cred)
            } else {
                Auth::Public
            };
            let request = client.prepare(op, auth).unwrap().request;
            format!("{} {}", request.method.as_str(), request.path)
        })
        .collect();
    assert_eq!(called, documented);
    assert_eq!(called.len(), 26);
}

#[test]
fn the_adapter_reads_every_documented_answer() {
    let spot = segment(Category::Spot);
    let linear = segment(Category::Linear);
    let inverse = segment(Category::Inverse);
    let window = Window {
        start_ms: 0,
        end_ms: i64::MAX / 2,
    };
    let Reply::ServerTime(ms) = decode(
        BINGX,
        &Op::ServerTime,
        &fixture(BINGX, "server-time").answer,
    ) else {
        panic!("not a time");
    };
    assert_eq!(ms, 1_675_319_535_362);
    let Reply::Key(key) = decode(
        BINGX,
        &Op::WhoAmI,
        &fixture(BINGX, "api-permissions").answer,
    ) else {
        panic!("not a key");
    };
    assert_eq!(key.permissions, ["1", "2"]);
    let Reply::Keys(keys) = decode(
        BINGX,
        &Op::SubKeys {
            account: "16789999".into(),
            cursor: None,
        },
        &fixture(BINGX, "api-key-query").answer,
    ) else {
        panic!("not keys");
    };
    assert!(keys.items[0].is_masked());
    assert!(keys.items[0].ips.is_empty(), "[\"\"] is no whitelist");
    let Reply::Orders(open) = decode(
        BINGX,
        &Op::OpenOrders {
            segment: spot,
            cursor: None,
        },
        &fixture(BINGX, "spot-open-orders").answer,
    ) else {
        panic!("not orders");
    };
    assert_eq!(open.items[0].order_id, "1735930294290081280");
    assert!(open.items[0].status.is_open());
    for (segment, name) in [(linear, "swap-open-orders"), (inverse, "cswap-open-orders")] {
        let Reply::Orders(page) = decode(
            BINGX,
            &Op::OpenOrders {
                segment,
                cursor: None,
            },
            &fixture(BINGX, name).answer,
        ) else {
            panic!("not orders");
        };
        assert_eq!(page.items.len(), 2, "{name}");
    }
    for (segment, name) in [
        (spot, "spot-history-orders"),
        (linear, "swap-all-orders"),
        (inverse, "cswap-order-history"),
    ] {
        let Reply::Orders(page) = decode(
            BINGX,
            &Op::Orders {
                segment,
                window,
                cursor: None,
            },
            &fixture(BINGX, name).answer,
        ) else {
            panic!("not orders");
        };
        assert!(!page.items[0].status.is_open(), "{name}");
    }
    let Reply::Cancelled(gone) = decode(
        BINGX,
        &Op::CancelAll { segment: spot },
        &fixture(BINGX, "spot-cancel-open-orders").answer,
    ) else {
        panic!("not cancelled");
    };
    assert_eq!(gone.len(), 2);
    // The perpetuals' examples name failed cancels: not all gone, so an error to retry.
    for (segment, name) in [
        (linear, "swap-all-open-orders"),
        (inverse, "cswap-all-open-orders"),
    ] {
        let response = lockdown::exchanges::Response {
            status: 200,
            headers: vec![],
            body: serde_json::to_vec(&fixture(BINGX, name).answer).unwrap(),
        };
        let err = BINGX
            .venue()
            .decode(&Op::CancelAll { segment }, &response)
            .reply
            .unwrap_err();
        assert!(
            err.to_string().contains("left 2 order(s) open"),
            "{name}: {err}"
        );
    }
    let Reply::Armed(Some(at)) = decode(
        BINGX,
        &Op::CancelAfter { seconds: 10 },
        &fixture(BINGX, "spot-cancel-all-after").answer,
    ) else {
        panic!("not armed");
    };
    assert_eq!(at, 1_710_389_137_000);
    let Reply::Balances(held) =
        decode(BINGX, &Op::Balances, &fixture(BINGX, "spot-balance").answer)
    else {
        panic!("not balances");
    };
    assert_eq!(held[0].coin, "USDT");
    let Reply::Transfers(out) = decode(
        BINGX,
        &Op::Withdrawals {
            window,
            cursor: None,
        },
        &fixture(BINGX, "withdraw-history").answer,
    ) else {
        panic!("not withdrawals");
    };
    assert_eq!(out.items[0].time_ms, 1_702_497_902_000, "+08:00 read");
    for (category, name, id) in [
        (Category::Spot, "spot-order", "1735963671248581120"),
        (Category::Linear, "swap-order", "1735950529123454976"),
        (Category::Inverse, "cswap-order", "1802706634360750000"),
    ] {
        let Reply::Placed(placed) = decode(
            BINGX,
            &Op::PlaceOrder(order(category, "X-Y", 1.0)),
            &fixture(BINGX, name).answer,
        ) else {
            panic!("not placed");
        };
        assert_eq!(placed, id, "{name}");
    }
    let Reply::Created(created) = decode(
        BINGX,
        &Op::CreateKey {
            account: "14189999".into(),
            label: "abc6798".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        },
        &fixture(BINGX, "sub-api-key-create").answer,
    ) else {
        panic!("not created");
    };
    assert_eq!(created.info.label, "abc6798");
    for name in [
        "spot-cancel",
        "swap-cancel",
        "cswap-cancel",
        "sub-api-key-del",
        "sub-update-status",
        "withdraw-apply",
    ] {
        let op = Op::CancelOrder {
            segment: spot,
            symbol: "X-Y".into(),
            order_id: "1".into(),
        };
        assert!(
            matches!(
                decode(BINGX, &op, &fixture(BINGX, name).answer),
                Reply::Done
            ),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bingx_answers_are_shaped_as_documented() {
    let lab = Lab::start_on(BINGX, 191).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let week = Window {
        start_ms: now - 7 * DAY_MS,
        end_ms: now + 60_000,
    };
    assert_same_shape(
        &fixture(BINGX, "server-time"),
        &sim_answer(&client, &Op::ServerTime, Auth::Public).await,
        // The envelope's `timestamp` is on every other answer; the example omits it here.
        &["$.timestamp", "$.debugMsg"],
    );
    assert_same_shape(
        &fixture(BINGX, "spot-balance"),
        &sim_answer(&client, &Op::Balances, Auth::Key(&bot)).await,
        &["$.timestamp"],
    );
    let spot = segment(Category::Spot);
    // The open-orders example shows no `clientOrderID`, the cancel-all one does: the simulator
    // shows it everywhere; `avgPrice` and `transactTime` are in other spot rows' examples.
    assert_same_shape(
        &fixture(BINGX, "spot-open-orders"),
        &sim_answer(
            &client,
            &Op::OpenOrders {
                segment: spot,
                cursor: None,
            },
            Auth::Key(&bot),
        )
        .await,
        &[
            "$.timestamp",
            "$.data.orders[].clientOrderID",
            "$.data.orders[].avgPrice",
            "$.data.orders[].transactTime",
        ],
    );
    assert_same_shape(
        &fixture(BINGX, "spot-history-orders"),
        &sim_answer(
            &client,
            &Op::Orders {
                segment: spot,
                window: week,
                cursor: None,
            },
            Auth::Key(&bot),
        )
        .await,
        &[
            "$.timestamp",
            "$.data.orders[].clientOrderID",
            "$.data.orders[].transactTime",
        ],
    );
    let keys = sim_answer(
        &client,
        &Op::SubKeys {
            account: "1000002".into(),
            cursor: None,
        },
        Auth::Key(&master),
    )
    .await;
    assert!(!keys.to_string().contains("Secret"), "no secret listed");
    assert_same_shape(
        &fixture(BINGX, "api-key-query"),
        &keys,
        &["$.msg", "$.debugMsg"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bingx_refuses_as_documented() {
    let lab = Lab::start_on(BINGX, 192).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    client.resync().await.unwrap();

    // A wrong secret: 100001.
    let forged = Credential::new(bot.key.clone(), SecretString::from("not-the-secret"));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&forged))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExchangeError::Signature { ref code } if code == "100001"),
        "{err:?}"
    );

    // The bot key has no withdraw (5): 100004.
    let err = client
        .call(
            &Op::Withdraw {
                coin: "USDT".into(),
                amount: "10".into(),
                address: "0xattacker".into(),
            },
            Auth::Key(&bot),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("100004"), "{err:?}");

    // A sub-account key cannot manage keys: "must be main account".
    let err = client
        .call(
            &Op::FreezeAccount {
                account: "1000002".into(),
            },
            Auth::Key(&bot),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("100004"), "{err:?}");

    // The master locks the key to an address the test does not call from: 100419.
    let lock = Op::RestrictKey {
        key: bot.key.clone(),
        account: Some("1000002".into()),
        lock: Lock {
            ips: IpWhitelist::parse(&["203.0.113.7"]).unwrap(),
            access: Access::Unchanged,
        },
    };
    let Reply::Key(locked) = client.call(&lock, Auth::Key(&master)).await.unwrap() else {
        panic!("not a key");
    };
    assert_eq!(locked.ips, ["203.0.113.7"]);
    assert_eq!(
        locked.permissions,
        ["1", "2", "3"],
        "the lock kept the key's codes"
    );
    assert_eq!(locked.label, "grid-bot", "and its note");
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert_eq!(err.code(), Some("100419"), "{err:?}");

    // Deleted through the master: 100413.
    client
        .call(
            &Op::RevokeKey(Revoke::ByMaster {
                key: bot.key.clone(),
                account: Some("1000002".into()),
            }),
            Auth::Key(&master),
        )
        .await
        .unwrap();
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    assert_eq!(err.code(), Some("100413"));

    // The master's own key has no API: the web interface deletes it, then it is refused.
    assert!(lab.sim.web_ui_delete_key(master.key.as_str()));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&master))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("100413"));
}

/// `cancelAllAfter` (spot's switch, the one lockdown arms) cancels only spot orders when due;
/// the leaked key with spot trading can disarm it; the other products keep theirs.
#[tokio::test(flavor = "multi_thread")]
async fn bingx_spot_dead_man_switch_cancels_spot_orders_only() {
    let lab = Lab::start_on(BINGX, 193).await;
    let (_, bot) = lab.creds();
    let client = lab.client();
    client.resync().await.unwrap();
    // A resting USDT-M order beside the incident's spot orders.
    client
        .call(
            &Op::PlaceOrder(order(Category::Linear, "BTC-USDT", 30_000.0)),
            Auth::Key(&bot),
        )
        .await
        .unwrap();
    let open = |lab: &Lab, category: &str| {
        lab.sim
            .inspect()
            .orders
            .iter()
            .filter(|o| o.is_open() && o.category == category)
            .count()
    };
    assert!(open(&lab, "spot") > 0 && open(&lab, "linear") > 0);

    // Armed, then disarmed by the same (leaked) key: nothing fires.
    let armed = client
        .call(&Op::CancelAfter { seconds: 10 }, Auth::Key(&bot))
        .await
        .and_then(Reply::into_armed)
        .unwrap();
    assert!(armed.is_some());
    let off = client
        .call(&Op::CancelAfter { seconds: 0 }, Auth::Key(&bot))
        .await
        .and_then(Reply::into_armed)
        .unwrap();
    assert_eq!(off, None);
    lab.sim.set_clock_skew_ms(15_000);
    client.resync().await.unwrap();
    assert!(open(&lab, "spot") > 0, "disarmed: nothing cancelled");

    // Armed again: due once the exchange's clock passes it, at the next request.
    client
        .call(&Op::CancelAfter { seconds: 10 }, Auth::Key(&bot))
        .await
        .unwrap();
    lab.sim.set_clock_skew_ms(30_000);
    client.resync().await.unwrap();
    assert_eq!(open(&lab, "spot"), 0, "every spot order cancelled");
    assert!(open(&lab, "linear") > 0, "USDT-M keeps its orders");
    // Out of BingX's range: refused before sending.
    let err = client
        .call(&Op::CancelAfter { seconds: 5 }, Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::OutOfRange { .. }), "{err:?}");
}
