//! End-to-end tests of scenario sims over real HTTP on 127.0.0.1, port 0.
//!
//! They reuse the bench of `test_env.rs` (a signing helper written from the Bybit docs, never the
//! product's client) and drive every shipped scenario: seeding and session files, refusals,
//! single cancels, withdrawals and determinism under a seed. Their order books have their own
//! tests (`book_tests.rs`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::scenario::{BUILTIN, BotOrderStatus, MarketKind, OrderKind, OrderSide, Scenario};
use super::test_env::{ATTACKER_IP, d, env_from, now_ms, order_id, scenario_env};
use super::{Inspect, Origin, Sim};

const BOT_UID: u64 = 1_000_002;
const MASTER_UID: u64 = 1_000_001;

#[tokio::test]
async fn every_shipped_scenario_seeds_a_sim_with_its_session() {
    for (name, _) in BUILTIN {
        let (scenario, e) = scenario_env(name).await;
        let view = e.sim.inspect();
        assert_eq!(view.markets.len(), scenario.markets.len(), "{name}");
        assert_eq!(view.account_notes[&BOT_UID], scenario.name);
        // Only a backdated attacker (`start_ago`) has orders before the drill starts.
        let backdated = if scenario.attacker.start_ago.is_zero() {
            0
        } else {
            scenario.attacker.orders as usize * scenario.keys as usize
        };
        assert_eq!(view.attacker_order_ids().len(), backdated, "{name}");
        // A many-key scenario (the vendor leak) seeds every bot with the same orders.
        let copies = scenario.keys as usize;
        assert_eq!(
            view.owner_order_ids().len(),
            scenario.bot.orders.len() * copies
        );
        for m in &scenario.markets {
            let kind = match m.category {
                MarketKind::Spot => "spot",
                MarketKind::Linear => "linear",
                MarketKind::Inverse => "inverse",
            };
            let market = view.market(kind, &m.symbol()).unwrap();
            assert_eq!(market.last_price, d(&m.price), "{name} {}", m.symbol());
        }
        for (coin, amount) in &scenario.balances {
            assert!(
                view.balances[&BOT_UID].contains_key(coin),
                "{name} {coin} {amount}"
            );
        }

        let dir = tempfile::tempdir().unwrap();
        let s = e.sim.write_session(dir.path(), &e.run.base_url).unwrap();
        assert_eq!(Some(s.leaked_key.as_str()), view.leaked_key_id());
        let text = std::fs::read_to_string(&s.known_orders).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let prefix = &scenario.bot.client_prefix;
        assert!(
            lines.iter().all(|l| l["client_order_id"]
                .as_str()
                .unwrap()
                .starts_with(prefix.as_str())),
            "{name}"
        );
        let known: std::collections::BTreeSet<String> = lines
            .iter()
            .map(|l| l["order_id"].as_str().unwrap().to_owned())
            .collect();
        // Every owner order is in the ledger but those the scenario kept out of it, which the
        // session names as left out.
        assert!(known.is_disjoint(&s.left_out), "{name}");
        let all: std::collections::BTreeSet<String> = known.union(&s.left_out).cloned().collect();
        assert_eq!(all, view.owner_order_ids(), "{name}");
        let kept_out = scenario.bot.orders.iter().filter(|o| !o.in_ledger).count();
        assert_eq!(s.left_out.len(), kept_out * copies, "{name}");
        // The ledger's orders are the scenario's, as a multiset of (category, symbol, side, qty).
        let mut want: Vec<(String, String, String, String)> = scenario
            .bot
            .orders
            .iter()
            .filter(|o| o.in_ledger)
            .map(|o| {
                let cat = match o.category {
                    MarketKind::Spot => "spot",
                    MarketKind::Linear => "linear",
                    MarketKind::Inverse => "inverse",
                };
                let side = match o.side {
                    OrderSide::Buy => "buy",
                    OrderSide::Sell => "sell",
                };
                (cat.into(), o.symbol.clone(), side.into(), o.qty.clone())
            })
            .collect();
        want = std::iter::repeat_n(want, copies).flatten().collect();
        let mut got: Vec<(String, String, String, String)> = lines
            .iter()
            .map(|l| {
                let s = |k: &str| l[k].as_str().unwrap().to_owned();
                (s("category"), s("symbol"), s("side"), s("qty"))
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "{name}");
        // Statuses follow the scenario: open ones rest, filled ones have fills.
        let open = scenario
            .bot
            .orders
            .iter()
            .filter(|o| o.status == BotOrderStatus::Open)
            .count();
        assert_eq!(view.open_orders(BOT_UID).len(), open, "{name}");
        let filled = scenario
            .bot
            .orders
            .iter()
            .filter(|o| o.status == BotOrderStatus::Filled)
            .count();
        // A backdated attacker's old orders filled too, one fill each.
        assert_eq!(view.executions.len(), filled * copies + backdated, "{name}");
        let market_fills_at_reference = scenario
            .bot
            .orders
            .iter()
            .filter(|o| o.status == BotOrderStatus::Filled && o.order_type == OrderKind::Market)
            .count();
        assert_eq!(
            market_fills_at_reference, filled,
            "{name}: shipped fills are market"
        );
        let config: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&s.config).unwrap()).unwrap();
        let key = &config["profiles"]["sim"]["keys"][0];
        assert_eq!(key["label"].as_str(), Some(scenario.name.as_str()));
        assert_eq!(key["account"].as_str(), Some("1000002"));
        // The session's master key works against this sim.
        let a = e.get("/v5/user/query-api", "", &e.master()).await;
        assert_eq!(a.code(), 0, "{name}: {:?}", a.body);
        e.run.shutdown().await;
    }
}

#[tokio::test]
async fn unpayable_orders_are_170131_and_leave_no_trace() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let before = e.sim.inspect();
    for (label, body) in [
        (
            "quote market buy over the balance",
            json!({"category": "spot", "symbol": "XVGUSDT", "side": "Buy", "orderType": "Market", "qty": "1000000"}),
        ),
        (
            "sell of a coin not held",
            json!({"category": "spot", "symbol": "XVGUSDT", "side": "Sell", "orderType": "Market", "qty": "10"}),
        ),
        (
            "limit buy whose lock exceeds the free balance",
            json!({"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "price": "60000", "qty": "1"}),
        ),
        (
            "sell of more than the unlocked part",
            json!({"category": "spot", "symbol": "BTCUSDT", "side": "Sell", "orderType": "Market", "qty": "0.3"}),
        ),
    ] {
        let a = e.order(body).await;
        assert_eq!(a.code(), 170131, "{label}: {:?}", a.body);
    }
    let after = e.sim.inspect();
    assert_eq!(after.orders, before.orders);
    assert_eq!(after.balances, before.balances);
    assert_eq!(after.markets, before.markets);
    e.run.shutdown().await;
}

#[tokio::test]
async fn single_cancel_works_and_is_110001_when_absent() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let bot = e.bot();
    let placed = e
        .order(
            json!({"category": "spot", "symbol": "BTCUSDT", "side": "Buy",
            "orderType": "Limit", "price": "60000", "qty": "0.01", "orderLinkId": "x-1"}),
        )
        .await;
    let id = order_id(&placed);
    let cancel = |body: Value| {
        let bot = bot.clone();
        let e = &e;
        async move { e.post("/v5/order/cancel", &body.to_string(), &bot).await }
    };
    let a = cancel(json!({"category": "spot", "symbol": "BTCUSDT", "orderLinkId": "x-1"})).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(a.result(), &json!({"orderId": id, "orderLinkId": "x-1"}));
    assert_eq!(a.headers["x-bapi-limit"], "20", "spot cancels: 20 a second");
    let view = e.sim.inspect();
    assert_eq!(view.order(&id).unwrap().status, "Cancelled");

    // Gone, closed, elsewhere or unnamed.
    let filled = view
        .orders
        .iter()
        .find(|o| o.status == "Filled" && o.category == "spot" && o.symbol == "BTCUSDT")
        .unwrap()
        .order_id
        .clone();
    for (label, body, code) in [
        (
            "already cancelled",
            json!({"category": "spot", "symbol": "BTCUSDT", "orderId": id}),
            110001,
        ),
        (
            "filled",
            json!({"category": "spot", "symbol": "BTCUSDT", "orderId": filled}),
            110001,
        ),
        (
            "unknown",
            json!({"category": "spot", "symbol": "BTCUSDT", "orderLinkId": "nope"}),
            110001,
        ),
        (
            "wrong symbol",
            json!({"category": "spot", "symbol": "ETHUSDT", "orderLinkId": "x-1"}),
            110001,
        ),
        (
            "neither id",
            json!({"category": "spot", "symbol": "BTCUSDT"}),
            10001,
        ),
    ] {
        let a = cancel(body).await;
        assert_eq!(a.code(), code, "{label}: {:?}", a.body);
    }
    let bad = cancel(json!({"category": "spot", "symbol": "BTCUSDT", "orderId": "nope"})).await;
    assert_eq!(
        bad.body["retMsg"],
        json!("order not exists or too late to cancel")
    );

    // A seeded open bot order of the linear book, by id (orderId wins over a wrong link id).
    let linear = view
        .open_orders(BOT_UID)
        .into_iter()
        .find(|o| o.category == "linear")
        .unwrap()
        .order_id
        .clone();
    let a = cancel(
        json!({"category": "linear", "symbol": "BTCUSDT", "orderId": linear,
        "orderLinkId": "wrong"}),
    )
    .await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(
        a.headers["x-bapi-limit"], "10",
        "linear cancels: 10 a second"
    );
    assert_eq!(e.sim.inspect().order(&linear).unwrap().status, "Cancelled");

    // A read-only key cannot cancel.
    let m = e.master();
    let ro = format!(r#"{{"apikey": "{}", "readOnly": 1}}"#, bot.key);
    assert_eq!(e.post("/v5/user/update-sub-api", &ro, &m).await.code(), 0);
    let open = view.open_orders(BOT_UID)[0].order_id.clone();
    let a = cancel(json!({"category": "spot", "symbol": "BTCUSDT", "orderId": open})).await;
    assert_eq!(a.code(), 10005);
    e.run.shutdown().await;
}

#[tokio::test]
async fn withdraw_needs_a_master_key_with_withdraw_permission() {
    let (scenario, e) = scenario_env("sabotage").await;
    let plan = scenario.attacker.withdraw.clone().unwrap();
    let body = json!({"coin": plan.coin, "chain": "ETH", "address": plan.address,
        "amount": plan.amount, "timestamp": now_ms(), "forceChain": 0, "accountType": "FUND"});
    let a = e
        .call(
            ATTACKER_IP,
            "POST",
            "/v5/asset/withdraw/create",
            &body.to_string(),
            Some(&e.bot()),
            now_ms(),
        )
        .await;
    assert_eq!(a.code(), 10005, "{:?}", a.body);
    assert_eq!(a.headers["x-bapi-limit"], "5");
    let view = e.sim.inspect();
    let logged = view.access_log.last().unwrap();
    assert_eq!(logged.path, "/v5/asset/withdraw/create");
    assert_eq!((logged.ret_code, logged.leaked_key), (Some(10005), true));
    assert_eq!(logged.peer, Some(ATTACKER_IP.into()));
    assert_eq!(view.withdrawals.len(), 1, "only the seeded one");
    e.run.shutdown().await;

    // A master key with Withdraw is accepted; the coin leaves at once.
    let (_, e) = scenario_env("pump-illiquid").await;
    let m = e.master();
    let body = |amount: &str| {
        json!({"coin": "USDT", "chain": "ETH", "address": "0xabc", "amount": amount,
            "timestamp": now_ms(), "forceChain": 0, "accountType": "FUND"})
        .to_string()
    };
    let a = e.post("/v5/asset/withdraw/create", &body("2500"), &m).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    let id = a.result()["id"].as_str().unwrap().to_owned();
    let view = e.sim.inspect();
    let w = view
        .withdrawals
        .iter()
        .find(|w| w.withdraw_id == id)
        .unwrap();
    assert_eq!(
        (w.status.as_str(), w.amount.as_str(), w.uid),
        ("SecurityCheck", "2500", MASTER_UID)
    );
    assert_eq!(view.balance(MASTER_UID, "USDT"), 97_500.0);
    let rec = e.get("/v5/asset/withdraw/query-record", "", &m).await;
    assert_eq!(rec.result()["rows"].as_array().unwrap().len(), 2);
    assert_eq!(
        e.post("/v5/asset/withdraw/create", &body("1000000"), &m)
            .await
            .code(),
        131212
    );
    let no_chain =
        json!({"coin": "USDT", "address": "0xabc", "amount": "1", "timestamp": now_ms()});
    assert_eq!(
        e.post("/v5/asset/withdraw/create", &no_chain.to_string(), &m)
            .await
            .code(),
        10001
    );
    e.run.shutdown().await;
}

/// The same scenario, seed and request sequence give the same ids, fills, balances and books.
#[tokio::test]
async fn same_scenario_seed_and_requests_give_the_same_state() {
    async fn run(seed: u64) -> Inspect {
        let scenario = Scenario::load("alt-dump").unwrap();
        let e = env_from(Sim::from_scenario(&scenario, seed)).await;
        for body in [
            json!({"category": "spot", "symbol": "ADABTC", "side": "Sell", "orderType": "Market", "qty": "5000"}),
            json!({"category": "spot", "symbol": "DOTBTC", "side": "Sell", "orderType": "Limit", "price": "0.00006", "qty": "300"}),
            json!({"category": "spot", "symbol": "VIABTC", "side": "Buy", "orderType": "Market", "qty": "0.01"}),
            json!({"category": "spot", "symbol": "VIABTC", "side": "Buy", "orderType": "Limit", "price": "0.0000042", "qty": "3000", "orderLinkId": "v1"}),
        ] {
            order_id(&e.order(body).await);
        }
        let view = e.sim.inspect();
        e.run.shutdown().await;
        view
    }
    /// What must not differ between two runs: ids, fills, balances and books.
    #[derive(Debug, PartialEq)]
    struct Digest {
        orders: Vec<(String, String, String)>,
        fills: Vec<(String, String, String, String, Origin)>,
        balances: BTreeMap<u64, BTreeMap<String, String>>,
        markets: Vec<(String, f64, Option<f64>, usize)>,
    }
    fn digest(v: &Inspect) -> Digest {
        Digest {
            orders: v
                .orders
                .iter()
                .map(|o| {
                    (
                        o.order_id.clone(),
                        o.order_link_id.clone(),
                        o.status.clone(),
                    )
                })
                .collect(),
            fills: v
                .executions
                .iter()
                .map(|x| {
                    let (id, order) = (x.exec_id.clone(), x.order_id.clone());
                    (
                        id,
                        order,
                        x.exec_price.clone(),
                        x.exec_qty.clone(),
                        x.origin,
                    )
                })
                .collect(),
            balances: v.balances.clone(),
            markets: v
                .markets
                .iter()
                .map(|m| (m.symbol.clone(), m.last_price, m.best_ask, m.ask_levels))
                .collect(),
        }
    }
    let (a, b, c) = (run(7).await, run(7).await, run(8).await);
    assert_eq!(digest(&a), digest(&b));
    assert_ne!(
        digest(&a).orders,
        digest(&c).orders,
        "another seed, other ids"
    );
    let via = a.market("spot", "VIABTC").unwrap();
    assert!(via.last_price > via.reference_price, "{via:?}");
    let attacker_fills = a
        .executions
        .iter()
        .filter(|x| x.origin == Origin::Attacker)
        .count();
    assert!(attacker_fills >= 4, "{attacker_fills}");
}
