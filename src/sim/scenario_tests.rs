//! End-to-end tests of scenario sims and their order books over real HTTP on 127.0.0.1, port 0.
//!
//! They reuse the signing helper of `tests.rs` (written from the Bybit docs, never the product's
//! client) and drive every shipped scenario: seeding and session files, price impact on thin and
//! deep books, sweeps, balances, refusals, single cancels, withdrawals, public market data and
//! determinism under a seed.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::scenario::{BUILTIN, BotOrderStatus, MarketKind, OrderKind, OrderSide, Scenario};
use super::test_env::{ATTACKER_IP, Env, env_from, now_ms};
use super::{Inspect, Origin, Sim};

const BOT_UID: u64 = 1_000_002;
const MASTER_UID: u64 = 1_000_001;

async fn scenario_env(name: &str) -> (Scenario, Env) {
    let scenario = Scenario::load(name).unwrap();
    let sim = Sim::from_scenario(&scenario, scenario.seed);
    (scenario, env_from(sim).await)
}

impl Env {
    /// Places an order with the leaked bot key; returns the answer.
    async fn order(&self, body: Value) -> super::test_env::Answer {
        self.post("/v5/order/create", &body.to_string(), &self.bot())
            .await
    }

    /// Sends an unsigned GET.
    async fn public(&self, path: &str, query: &str) -> super::test_env::Answer {
        self.call(Ipv4Addr::LOCALHOST, "GET", path, query, None, 0)
            .await
    }
}

fn order_id(a: &super::test_env::Answer) -> String {
    assert_eq!(a.code(), 0, "{:?}", a.body);
    a.result()["orderId"].as_str().unwrap().to_owned()
}

/// Reads a decimal string out of JSON.
fn f(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// Reads a decimal string.
fn d(s: &str) -> f64 {
    s.parse().unwrap()
}

/// Average fill price and fill count of an order, from `Inspect`.
fn fills(view: &Inspect, order_id: &str) -> (f64, usize) {
    let fills = view.fills_of(order_id);
    let qty: f64 = fills.iter().map(|e| d(&e.exec_qty)).sum();
    let value: f64 = fills.iter().map(|e| d(&e.exec_value)).sum();
    (value / qty, fills.len())
}

#[tokio::test]
async fn every_shipped_scenario_seeds_a_sim_with_its_session() {
    for (name, _) in BUILTIN {
        let (scenario, e) = scenario_env(name).await;
        let view = e.sim.inspect();
        assert_eq!(view.markets.len(), scenario.markets.len(), "{name}");
        assert_eq!(view.account_notes[&BOT_UID], scenario.name);
        assert!(view.attacker_order_ids().is_empty(), "{name}");
        assert_eq!(view.owner_order_ids().len(), scenario.bot.orders.len());
        for m in &scenario.markets {
            let kind = match m.category {
                MarketKind::Spot => "spot",
                MarketKind::Linear => "linear",
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
        assert_eq!(known, view.owner_order_ids(), "{name}");
        // The ledger's orders are the scenario's, as a multiset of (category, symbol, side, qty).
        let mut want: Vec<(String, String, String, String)> = scenario
            .bot
            .orders
            .iter()
            .map(|o| {
                let cat = match o.category {
                    MarketKind::Spot => "spot",
                    MarketKind::Linear => "linear",
                };
                let side = match o.side {
                    OrderSide::Buy => "buy",
                    OrderSide::Sell => "sell",
                };
                (cat.into(), o.symbol.clone(), side.into(), o.qty.clone())
            })
            .collect();
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
        assert_eq!(view.executions.len(), filled, "{name}");
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
async fn market_buys_walk_a_thin_book_and_barely_move_a_deep_one() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let before = e.sim.inspect();
    let usdt = before.balance(BOT_UID, "USDT");
    let buy = |symbol: &str, qty: &str| json!({"category": "spot", "symbol": symbol, "side": "Buy", "orderType": "Market", "qty": qty});
    let thin = order_id(&e.order(buy("XVGUSDT", "2000")).await);
    let deep = order_id(&e.order(buy("BTCUSDT", "2000")).await);
    let view = e.sim.inspect();

    let reference = view.reference_price("XVGUSDT").unwrap();
    assert_eq!(reference, 0.005);
    let (avg, n) = fills(&view, &thin);
    assert!(n >= 4, "several levels: {n}");
    assert!(avg > reference * 1.03, "avg {avg}");
    let last = view.last_price("XVGUSDT").unwrap();
    assert!(last > reference * 1.08, "last {last}");
    let o = view.order(&thin).unwrap();
    assert_eq!(o.status, "Filled");
    assert_eq!(
        o.qty_unit, "quote",
        "a spot market Buy counts USDT by default"
    );
    assert!((d(&o.cum_exec_value) - 2000.0).abs() < 1e-6);
    assert!(
        view.fills_of(&thin)
            .iter()
            .all(|x| x.origin == Origin::Attacker)
    );
    let prices: Vec<f64> = view
        .fills_of(&thin)
        .iter()
        .map(|x| d(&x.exec_price))
        .collect();
    assert!(prices.windows(2).all(|w| w[0] < w[1]), "{prices:?}");

    let (btc_avg, btc_n) = fills(&view, &deep);
    let btc_ref = view.reference_price("BTCUSDT").unwrap();
    assert_eq!(btc_n, 1);
    assert!(btc_avg / btc_ref - 1.0 < 0.001, "deep avg {btc_avg}");
    assert!(view.last_price("BTCUSDT").unwrap() / btc_ref - 1.0 < 0.001);
    assert_eq!(
        view.market("linear", "BTCUSDT").unwrap().last_price,
        65_000.0,
        "the linear book is its own"
    );
    assert!((view.balance(BOT_UID, "USDT") - (usdt - 4000.0)).abs() < 1e-6);

    // Liquidity taken is gone: the next buy starts where the last one stopped.
    let next = order_id(&e.order(buy("XVGUSDT", "300")).await);
    let view = e.sim.inspect();
    let first = d(&view.fills_of(&next)[0].exec_price);
    assert!(first >= last, "{first} < {last}");

    // The fills are listed by the API too, one per level.
    let q = format!("category=spot&orderId={thin}");
    let listed = e.get("/v5/execution/list", &q, &e.bot()).await;
    assert_eq!(listed.result()["list"].as_array().unwrap().len(), n);
    e.run.shutdown().await;
}

#[tokio::test]
async fn a_limit_buy_far_above_the_mid_sweeps_the_book_and_rests() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let asks_before = e
        .sim
        .inspect()
        .market("spot", "XVGUSDT")
        .unwrap()
        .ask_levels;
    assert_eq!(asks_before, 12);
    let id = order_id(
        &e.order(
            json!({"category": "spot", "symbol": "XVGUSDT", "side": "Buy",
            "orderType": "Limit", "price": "0.015", "qty": "1500000", "orderLinkId": "pump-1"}),
        )
        .await,
    );
    let view = e.sim.inspect();
    let o = view.order(&id).unwrap();
    assert_eq!(o.status, "PartiallyFilled");
    let (_, n) = fills(&view, &id);
    assert_eq!(n, 12, "every thin ask is under 3x the mid");
    let m = view.market("spot", "XVGUSDT").unwrap();
    assert_eq!((m.ask_levels, m.best_ask), (0, None));
    assert!(m.last_price > 0.008, "{}", m.last_price);
    let open = e
        .get(
            "/v5/order/realtime",
            "category=spot&orderLinkId=pump-1",
            &e.bot(),
        )
        .await;
    let row = &open.result()["list"][0];
    assert_eq!(row["orderStatus"], json!("PartiallyFilled"));
    // The rest holds its USDT at the limit price.
    let leaves = f(&row["leavesQty"]);
    let w = e
        .get(
            "/v5/account/wallet-balance",
            "accountType=UNIFIED&coin=USDT",
            &e.bot(),
        )
        .await;
    let locked = f(&w.result()["list"][0]["coin"][0]["locked"]);
    let seeded_locks = 0.01 * 63_000.0 + 0.2 * 3_000.0;
    assert!(
        (locked - seeded_locks - leaves * 0.015).abs() < 1e-6,
        "{locked}"
    );

    // The asks are gone: a market buy now finds nothing and is cancelled unfilled.
    let after = order_id(
        &e.order(
            json!({"category": "spot", "symbol": "XVGUSDT", "side": "Buy",
            "orderType": "Market", "qty": "100"}),
        )
        .await,
    );
    let q = format!("category=spot&orderId={after}");
    let hist = e.get("/v5/order/history", &q, &e.bot()).await;
    let row = &hist.result()["list"][0];
    assert_eq!(row["orderStatus"], json!("Cancelled"));
    assert_eq!(row["rejectReason"], json!("EC_NoImmediateQtyToFill"));
    assert_eq!(row["cumExecQty"], json!("0"));
    e.run.shutdown().await;
}

#[tokio::test]
async fn a_market_buy_bigger_than_the_book_is_partially_filled_canceled() {
    let (_, e) = scenario_env("sabotage").await;
    let usdt = e.sim.inspect().balance(BOT_UID, "USDT");
    let id = order_id(
        &e.order(
            json!({"category": "spot", "symbol": "MEMEUSDT", "side": "Buy",
            "orderType": "Market", "qty": "20000"}),
        )
        .await,
    );
    let view = e.sim.inspect();
    let o = view.order(&id).unwrap();
    assert_eq!(o.status, "PartiallyFilledCanceled");
    let spent = d(&o.cum_exec_value);
    assert!(
        spent > 1_000.0 && spent < 6_100.0,
        "the whole thin book: {spent}"
    );
    assert!((view.balance(BOT_UID, "USDT") - (usdt - spent)).abs() < 1e-6);
    let q = format!("category=spot&orderId={id}");
    let hist = e.get("/v5/order/history", &q, &e.bot()).await;
    assert_eq!(
        hist.result()["list"][0]["rejectReason"],
        json!("EC_CancelForNoFullFill")
    );
    e.run.shutdown().await;
}

#[tokio::test]
async fn selling_a_base_coin_moves_both_balances() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let before = e.sim.inspect();
    let (btc, usdt) = (
        before.balance(BOT_UID, "BTC"),
        before.balance(BOT_UID, "USDT"),
    );
    let id = order_id(
        &e.order(
            json!({"category": "spot", "symbol": "BTCUSDT", "side": "Sell",
            "orderType": "Market", "qty": "0.1"}),
        )
        .await,
    );
    let view = e.sim.inspect();
    let o = view.order(&id).unwrap();
    assert_eq!((o.status.as_str(), o.qty_unit.as_str()), ("Filled", "base"));
    let value = d(&o.cum_exec_value);
    let price = value / 0.1;
    assert!(
        price < 65_000.0 && price > 64_900.0,
        "sold at the best bid: {price}"
    );
    assert!((view.balance(BOT_UID, "BTC") - (btc - 0.1)).abs() < 1e-9);
    assert!((view.balance(BOT_UID, "USDT") - (usdt + value * 0.999)).abs() < 1e-6);
    let fee = &view.fills_of(&id)[0];
    assert_eq!(fee.fee_currency, "USDT");
    // The wallet endpoint agrees, and values BTC at the new last price.
    let w = e
        .get(
            "/v5/account/wallet-balance",
            "accountType=UNIFIED&coin=BTC",
            &e.bot(),
        )
        .await;
    let coin = &w.result()["list"][0]["coin"][0];
    assert!((f(&coin["walletBalance"]) - (btc - 0.1)).abs() < 1e-8);
    let last = view.last_price("BTCUSDT").unwrap();
    assert!((f(&coin["usdValue"]) - (btc - 0.1) * last).abs() < 1e-3);
    e.run.shutdown().await;
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

#[tokio::test]
async fn tickers_and_orderbook_answer_from_the_book_without_auth() {
    let (_, e) = scenario_env("pump-illiquid").await;
    let t = e
        .public("/v5/market/tickers", "category=spot&symbol=XVGUSDT")
        .await;
    assert_eq!(t.code(), 0, "{:?}", t.body);
    assert!(
        !t.headers.contains_key("x-bapi-limit"),
        "public: not counted"
    );
    assert_eq!(t.result()["category"], json!("spot"));
    let row = &t.result()["list"][0];
    assert_eq!(row["symbol"], json!("XVGUSDT"));
    assert_eq!(row["lastPrice"], json!("0.005"));
    assert_eq!(row["ask1Price"], json!("0.0051"));
    assert!(f(&row["bid1Price"]) < 0.005);
    assert!(f(&row["ask1Size"]) * 0.0051 >= 99.0);
    let all = e.public("/v5/market/tickers", "category=spot").await;
    assert_eq!(all.result()["list"].as_array().unwrap().len(), 3);
    let linear = e
        .public("/v5/market/tickers", "category=linear&symbol=BTCUSDT")
        .await;
    let row = &linear.result()["list"][0];
    assert_eq!(row["indexPrice"], json!("65000"));
    assert!(row["fundingRate"].is_string() && row["markPrice"].is_string());
    assert_eq!(
        e.public("/v5/market/tickers", "category=spot&symbol=NOPE")
            .await
            .code(),
        10001
    );
    assert_eq!(e.public("/v5/market/tickers", "").await.code(), 10001);

    let q = "category=spot&symbol=XVGUSDT&limit=5";
    let b = e.public("/v5/market/orderbook", q).await;
    assert_eq!(b.code(), 0, "{:?}", b.body);
    let r = b.result();
    assert_eq!(r["s"], json!("XVGUSDT"));
    let side = |k: &str| -> Vec<(f64, f64)> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|l| (f(&l[0]), f(&l[1])))
            .collect()
    };
    let (bids, asks) = (side("b"), side("a"));
    assert_eq!((bids.len(), asks.len()), (5, 5));
    assert!(asks.windows(2).all(|w| w[0].0 < w[1].0), "asks ascend");
    assert!(bids.windows(2).all(|w| w[0].0 > w[1].0), "bids descend");
    assert!(bids[0].0 < asks[0].0);
    let u = r["u"].as_u64().unwrap();
    assert!(r["ts"].is_i64());
    let one = e
        .public("/v5/market/orderbook", "category=spot&symbol=XVGUSDT")
        .await;
    assert_eq!(
        one.result()["a"].as_array().unwrap().len(),
        1,
        "spot default 1"
    );
    assert_eq!(
        e.public(
            "/v5/market/orderbook",
            "category=spot&symbol=XVGUSDT&limit=51"
        )
        .await
        .code(),
        10001
    );
    let deep = e
        .public("/v5/market/orderbook", "category=linear&symbol=BTCUSDT")
        .await;
    assert_eq!(
        deep.result()["b"].as_array().unwrap().len(),
        25,
        "linear default 25"
    );

    // A trade moves the book: the best ask is gone, `u` grows, the ticker's last moves.
    let bought = e
        .order(
            json!({"category": "spot", "symbol": "XVGUSDT", "side": "Buy",
            "orderType": "Market", "qty": "2000"}),
        )
        .await;
    order_id(&bought);
    let b = e.public("/v5/market/orderbook", q).await;
    assert!(b.result()["u"].as_u64().unwrap() > u);
    assert!(f(&b.result()["a"][0][0]) > asks[0].0);
    let t = e
        .public("/v5/market/tickers", "category=spot&symbol=XVGUSDT")
        .await;
    let row = &t.result()["list"][0];
    assert!(f(&row["lastPrice"]) > 0.0054);
    assert!(f(&row["price24hPcnt"]) > 0.08);
    assert!(f(&row["volume24h"]) > 0.0);
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
