//! End-to-end tests of scenario sims' order books over real HTTP on 127.0.0.1, port 0: price
//! impact on thin and deep books, sweeps, partial fills, balances, and public market data
//! answered from the book. They reuse the bench of `test_env.rs`.

use serde_json::json;

use super::Origin;
use super::test_env::{BOT_UID, d, f, fills, order_id, scenario_env};

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
