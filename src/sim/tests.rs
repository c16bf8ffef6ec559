//! End-to-end tests of the simulator over real HTTP on 127.0.0.1, port 0: authentication,
//! key management, trading, history and money movements of the default Bybit incident.
//!
//! Requests are signed by the bench's helper (`test_env.rs`), written from the Bybit docs, not
//! by the product's client, so these tests pin the simulator to the documented protocol.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use super::Origin;
use super::test_env::{ATTACKER_IP, BOT_UID, Cred, client_from, env, now_ms, sign};

#[tokio::test]
async fn market_time_answers_without_auth() {
    let e = env().await;
    let a = e
        .call(Ipv4Addr::LOCALHOST, "GET", "/v5/market/time", "", None, 0)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.code(), 0);
    let secs: i64 = a.result()["timeSecond"].as_str().unwrap().parse().unwrap();
    let nanos: i128 = a.result()["timeNano"].as_str().unwrap().parse().unwrap();
    assert!((secs - now_ms() / 1000).abs() <= 2);
    assert_eq!(nanos / 1_000_000_000, i128::from(secs));
    assert!(a.body["time"].is_i64());
    e.run.shutdown().await;
}

#[tokio::test]
async fn signed_get_and_post_are_accepted_with_limit_headers() {
    let e = env().await;
    let master = e.master();
    let a = e.get("/v5/user/query-api", "", &master).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    let r = a.result();
    assert_eq!(r["apiKey"], json!(master.key));
    assert_eq!(r["userID"], json!(1_000_001));
    assert_eq!(r["isMaster"], json!(true));
    assert_eq!(r["parentUid"], json!("0"));
    assert_eq!(r["readOnly"], json!(0));
    assert_eq!(r["secret"], json!(""));
    assert_eq!(r["ips"], json!(["127.0.0.1"]));
    assert_eq!(
        r["permissions"]["Wallet"],
        json!(["AccountTransfer", "SubMemberTransfer", "Withdraw"])
    );
    assert_eq!(a.headers["x-bapi-limit"], "10");
    assert_eq!(a.headers["x-bapi-limit-status"], "9");
    assert!(a.headers.contains_key("x-bapi-limit-reset-timestamp"));

    let bot = e.bot();
    let body = r#"{"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "50000", "orderLinkId": "grid-test-1"}"#;
    let a = e.post("/v5/order/create", body, &bot).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    let id = a.result()["orderId"].as_str().unwrap().to_owned();
    assert_eq!(a.result()["orderLinkId"], json!("grid-test-1"));
    let view = e.sim.inspect();
    let order = view.order(&id).unwrap();
    assert_eq!(order.status, "New");
    // Placed with the leaked key: the hidden truth says attacker.
    assert_eq!(order.origin, Origin::Attacker);
    e.run.shutdown().await;
}

#[tokio::test]
async fn wrong_signature_is_10004() {
    let e = env().await;
    let mut bad = e.master();
    bad.secret.push('x');
    let a = e.get("/v5/user/query-api", "", &bad).await;
    assert_eq!(a.code(), 10004);
    assert!(
        !a.headers.contains_key("x-bapi-limit"),
        "refused before the limiter"
    );
    // A body changed after signing is refused too.
    let m = e.master();
    let ts = now_ms();
    let http = client_from(Ipv4Addr::LOCALHOST);
    let signed = r#"{"category": "spot"}"#;
    let resp = http
        .post(format!("{}/v5/order/cancel-all", e.run.base_url))
        .header("X-BAPI-API-KEY", &m.key)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-RECV-WINDOW", "5000")
        .header("X-BAPI-SIGN", sign(&m.secret, ts, &m.key, "5000", signed))
        .body(r#"{"category":"spot"}"#)
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["retCode"], json!(10004));
    e.run.shutdown().await;
}

#[tokio::test]
async fn stale_or_future_timestamp_is_10002_and_resync_works() {
    let e = env().await;
    let m = e.master();
    let lo = Ipv4Addr::LOCALHOST;
    let stale = e
        .call(
            lo,
            "GET",
            "/v5/user/query-api",
            "",
            Some(&m),
            now_ms() - 6000,
        )
        .await;
    assert_eq!(stale.code(), 10002);
    assert!(
        stale.body["retMsg"]
            .as_str()
            .unwrap()
            .contains("server_timestamp[")
    );
    let ahead = e
        .call(
            lo,
            "GET",
            "/v5/user/query-api",
            "",
            Some(&m),
            now_ms() + 2000,
        )
        .await;
    assert_eq!(ahead.code(), 10002);

    // The exchange's clock runs a minute ahead: host time is refused until the client resyncs.
    e.sim.set_clock_skew_ms(60_000);
    let a = e.get("/v5/user/query-api", "", &m).await;
    assert_eq!(a.code(), 10002);
    let t = e.call(lo, "GET", "/v5/market/time", "", None, 0).await;
    let offset = t.body["time"].as_i64().unwrap() - now_ms();
    assert!((offset - 60_000).abs() < 2_000, "offset {offset}");
    let a = e
        .call(
            lo,
            "GET",
            "/v5/user/query-api",
            "",
            Some(&m),
            now_ms() + offset,
        )
        .await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    e.run.shutdown().await;
}

#[tokio::test]
async fn unknown_key_is_10003_and_missing_headers_401_and_unknown_path_404() {
    let e = env().await;
    let ghost = Cred {
        key: "ABCDEFGHIJKLMNOPQR".to_owned(),
        secret: "s".repeat(36),
    };
    let a = e.get("/v5/user/query-api", "", &ghost).await;
    assert_eq!(a.code(), 10003);
    let lo = Ipv4Addr::LOCALHOST;
    let a = e.call(lo, "GET", "/v5/user/query-api", "", None, 0).await;
    assert_eq!(a.status, 401);
    let a = e.call(lo, "GET", "/v5/nope", "", None, 0).await;
    assert_eq!(a.status, 404);
    let log = e.sim.inspect().access_log;
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].ret_code, Some(10003));
    assert_eq!(log[1].http_status, 401);
    assert_eq!(log[2].http_status, 404);
    e.run.shutdown().await;
}

#[tokio::test]
async fn ip_whitelist_uses_the_real_peer_address() {
    let e = env().await;
    let m = e.master();
    let from_attacker = e
        .call(
            ATTACKER_IP,
            "GET",
            "/v5/user/query-api",
            "",
            Some(&m),
            now_ms(),
        )
        .await;
    assert_eq!(from_attacker.code(), 10010);
    let from_owner = e.get("/v5/user/query-api", "", &m).await;
    assert_eq!(from_owner.code(), 0);
    let log = e.sim.inspect().access_log;
    assert_eq!(log[0].peer, Some(IpAddr::V4(ATTACKER_IP)));
    assert_eq!(log[0].ret_code, Some(10010));
    assert!(!log[0].leaked_key);
    e.run.shutdown().await;
}

#[tokio::test]
async fn read_only_key_cannot_trade() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    let body = format!(r#"{{"apikey": "{}", "readOnly": 1}}"#, bot.key);
    let a = e.post("/v5/user/update-sub-api", &body, &m).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(a.result()["readOnly"], json!(1));
    let order = r#"{"category": "spot", "symbol": "XVGUSDT", "side": "Buy", "orderType": "Market", "qty": "10"}"#;
    let a = e.post("/v5/order/create", order, &bot).await;
    assert_eq!(a.code(), 10005);
    // Reading still works.
    let a = e.get("/v5/order/realtime", "category=spot", &bot).await;
    assert_eq!(a.code(), 0);
    e.run.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_10006_with_headers() {
    let e = env().await;
    let m = e.master();
    let body = r#"{"subuid": 1000002, "readOnly": 1, "permissions": {"Spot": ["SpotTrade"]}}"#;
    let first = e.post("/v5/user/create-sub-api", body, &m).await;
    assert_eq!(first.code(), 0, "{:?}", first.body);
    assert_eq!(first.headers["x-bapi-limit"], "1");
    assert_eq!(first.headers["x-bapi-limit-status"], "0");
    let second = e.post("/v5/user/create-sub-api", body, &m).await;
    assert_eq!(second.code(), 10006);
    assert_eq!(second.headers["x-bapi-limit"], "1");
    assert_eq!(second.headers["x-bapi-limit-status"], "0");
    let reset: i64 = second.headers["x-bapi-limit-reset-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > now_ms() - 50 && reset <= now_ms() + 1000);
    // Another endpoint has its own window.
    assert_eq!(e.get("/v5/user/query-api", "", &m).await.code(), 0);
    e.run.shutdown().await;
}

#[tokio::test]
async fn master_locks_the_bot_key_to_the_responder_ip() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    let body = format!(r#"{{"apikey": "{}", "ips": "127.0.0.1"}}"#, bot.key);
    let a = e.post("/v5/user/update-sub-api", &body, &m).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(a.result()["ips"], json!(["127.0.0.1"]));
    assert_eq!(a.result()["readOnly"], json!(0), "omitted readOnly is kept");
    assert_eq!(
        a.result()["permissions"]["Spot"],
        json!(["SpotTrade"]),
        "omitted permissions kept"
    );
    let view = e.sim.inspect();
    assert_eq!(view.key(&bot.key).unwrap().ips, vec!["127.0.0.1"]);
    let attacker = e
        .call(
            ATTACKER_IP,
            "GET",
            "/v5/order/realtime",
            "category=spot",
            Some(&bot),
            now_ms(),
        )
        .await;
    assert_eq!(attacker.code(), 10010);
    let owner = e.get("/v5/order/realtime", "category=spot", &bot).await;
    assert_eq!(owner.code(), 0);
    let log = e.sim.inspect().access_log;
    let refused = log.iter().find(|l| l.ret_code == Some(10010)).unwrap();
    assert!(refused.leaked_key);
    e.run.shutdown().await;
}

#[tokio::test]
async fn ip_edit_can_be_web_ui_only() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    e.sim.set_ip_edit_requires_web_ui(true);
    let body = format!(r#"{{"apikey": "{}", "ips": ["127.0.0.1"]}}"#, bot.key);
    let a = e.post("/v5/user/update-sub-api", &body, &m).await;
    assert_eq!(a.code(), 141019);
    assert_eq!(e.sim.inspect().key(&bot.key).unwrap().ips, vec!["*"]);
    let body = format!(r#"{{"apikey": "{}", "readOnly": 1}}"#, bot.key);
    assert_eq!(e.post("/v5/user/update-sub-api", &body, &m).await.code(), 0);
    e.run.shutdown().await;
}

#[tokio::test]
async fn sub_key_without_wallet_permission_cannot_edit_itself() {
    let e = env().await;
    let bot = e.bot();
    let a = e
        .post("/v5/user/update-sub-api", r#"{"readOnly": 1}"#, &bot)
        .await;
    assert_eq!(a.code(), 10005);
    let a = e
        .get("/v5/user/sub-apikeys", "subMemberId=1000002", &bot)
        .await;
    assert_eq!(a.code(), 10005);
    e.run.shutdown().await;
}

#[tokio::test]
async fn deleted_key_is_refused_at_once() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    let body = format!(r#"{{"apikey": "{}"}}"#, bot.key);
    let a = e.post("/v5/user/delete-sub-api", &body, &m).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(a.result(), &json!({}));
    let a = e.get("/v5/user/query-api", "", &bot).await;
    assert_eq!(a.code(), 10003);
    let view = e.sim.inspect();
    assert!(view.key(&bot.key).unwrap().deleted);
    let last = view.access_log.last().unwrap();
    assert!(last.leaked_key && last.ret_code == Some(10003));
    e.run.shutdown().await;
}

#[tokio::test]
async fn master_key_deletes_itself() {
    let e = env().await;
    let m = e.master();
    assert_eq!(e.post("/v5/user/delete-api", "{}", &m).await.code(), 0);
    assert_eq!(e.get("/v5/user/query-api", "", &m).await.code(), 10003);
    let bot = e.bot();
    assert_eq!(
        e.post("/v5/user/delete-api", "{}", &bot).await.code(),
        10005
    );
    e.run.shutdown().await;
}

#[tokio::test]
async fn created_key_authenticates_without_wallet_permission() {
    let e = env().await;
    let m = e.master();
    let body = r#"{"subuid": 1000002, "readOnly": 0, "note": "bot-replacement", "ips": "127.0.0.1", "permissions": {"Spot": ["SpotTrade"]}}"#;
    let a = e.post("/v5/user/create-sub-api", body, &m).await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    let r = a.result();
    let key = r["apiKey"].as_str().unwrap().to_owned();
    let secret = r["secret"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 18);
    assert_eq!(secret.len(), 36);
    assert_eq!(r["note"], json!("bot-replacement"));
    let fresh = Cred {
        key: key.clone(),
        secret,
    };
    let info = e.get("/v5/user/query-api", "", &fresh).await;
    assert_eq!(info.code(), 0, "{:?}", info.body);
    assert_eq!(info.result()["permissions"]["Wallet"], json!([]));
    assert_eq!(info.result()["userID"], json!(BOT_UID));
    assert_eq!(info.result()["parentUid"], json!("1000001"));
    assert_eq!(info.result()["isMaster"], json!(false));
    let view = e.sim.inspect();
    let k = view.key(&key).unwrap();
    assert_eq!(k.permissions, json!({"Spot": ["SpotTrade"]}));
    assert!(!k.leaked);
    assert_eq!(k.ips, vec!["127.0.0.1"]);
    // Listed (secret masked) by the master.
    let list = e
        .get("/v5/user/sub-apikeys", "subMemberId=1000002", &m)
        .await;
    assert_eq!(list.code(), 0, "{:?}", list.body);
    let entries = list.result()["result"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|k| k["secret"] == json!("******")));
    assert!(
        entries
            .iter()
            .any(|k| k["apiKey"] == json!(key) && k["readOnly"] == json!(false))
    );
    // A Withdraw permission is refused on a sub key.
    let body = r#"{"subuid": 1000002, "readOnly": 0, "permissions": {"Wallet": ["Withdraw"]}}"#;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        e.post("/v5/user/create-sub-api", body, &m).await.code(),
        10001
    );
    e.run.shutdown().await;
}

#[tokio::test]
async fn cancel_all_leaves_no_open_order_in_that_category() {
    let e = env().await;
    let bot = e.bot();
    let before = e.sim.inspect();
    let open_spot = before
        .open_orders(BOT_UID)
        .iter()
        .filter(|o| o.category == "spot")
        .count();
    assert_eq!(open_spot, 5, "3 bot + 2 attacker");
    let a = e
        .post("/v5/order/cancel-all", r#"{"category": "linear"}"#, &bot)
        .await;
    assert_eq!(a.code(), 10001);
    assert!(a.body["retMsg"].as_str().unwrap().contains("`symbol`"));
    let a = e
        .post("/v5/order/cancel-all", r#"{"category": "spot"}"#, &bot)
        .await;
    assert_eq!(a.code(), 0, "{:?}", a.body);
    assert_eq!(a.result()["success"], json!("1"));
    assert_eq!(a.result()["list"].as_array().unwrap().len(), 5);
    let open = e.get("/v5/order/realtime", "category=spot", &bot).await;
    assert_eq!(open.result()["list"], json!([]));
    let after = e.sim.inspect();
    let open = after.open_orders(BOT_UID);
    assert!(open.iter().all(|o| o.category == "linear"));
    assert_eq!(open.len(), 2);
    let a = e
        .post(
            "/v5/order/cancel-all",
            r#"{"category": "linear", "settleCoin": "USDT"}"#,
            &bot,
        )
        .await;
    assert_eq!(a.result()["list"].as_array().unwrap().len(), 2);
    assert!(e.sim.inspect().open_orders(BOT_UID).is_empty());
    e.run.shutdown().await;
}

#[tokio::test]
async fn history_pagination_walks_all_pages_once() {
    let e = env().await;
    let bot = e.bot();
    let mut ids = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let q = if cursor.is_empty() {
            "category=spot&limit=4".to_owned()
        } else {
            format!("category=spot&limit=4&cursor={cursor}")
        };
        let a = e.get("/v5/order/history", &q, &bot).await;
        assert_eq!(a.code(), 0, "{:?}", a.body);
        for o in a.result()["list"].as_array().unwrap() {
            ids.push(o["orderId"].as_str().unwrap().to_owned());
        }
        pages += 1;
        cursor = a.result()["nextPageCursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    let view = e.sim.inspect();
    let want: std::collections::BTreeSet<_> = view
        .orders
        .iter()
        .filter(|o| o.uid == BOT_UID && o.category == "spot")
        // Bybit lists an order cancelled without a fill for 24 hours only (docs/venues/bybit.md
        // §6, "Retention"): the default incident's is older.
        .filter(|o| !(o.status == "Cancelled" && o.cum_exec_qty == "0"))
        .map(|o| o.order_id.clone())
        .collect();
    assert_eq!(want.len(), 14);
    assert_eq!(ids.len(), want.len(), "no repeats");
    assert_eq!(
        ids.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        want
    );
    assert_eq!(pages, 4);
    let bad = e
        .get(
            "/v5/order/history",
            "category=spot&startTime=0&endTime=700000000",
            &bot,
        )
        .await;
    assert_eq!(bad.code(), 10001);
    e.run.shutdown().await;
}

#[tokio::test]
async fn fills_balances_and_money_movements() {
    let e = env().await;
    let (m, bot) = (e.master(), e.bot());
    let fills = e.get("/v5/execution/list", "category=spot", &bot).await;
    assert_eq!(fills.code(), 0);
    assert_eq!(
        fills.result()["list"].as_array().unwrap().len(),
        9,
        "6 bot + 3 attacker"
    );
    let order = r#"{"category": "spot", "symbol": "XVGUSDT", "side": "Buy", "orderType": "Market", "qty": "100"}"#;
    let placed = e.post("/v5/order/create", order, &bot).await;
    assert_eq!(placed.code(), 0, "{:?}", placed.body);
    let id = placed.result()["orderId"].as_str().unwrap();
    let q = format!("category=spot&orderId={id}");
    let fill = e.get("/v5/execution/list", &q, &bot).await;
    let list = fill.result()["list"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["execPrice"], json!("0.005"));
    assert_eq!(list[0]["execQty"], json!("20000"), "100 USDT at 0.005");
    let hist = e.get("/v5/order/history", &q, &bot).await;
    assert_eq!(hist.result()["list"][0]["orderStatus"], json!("Filled"));

    let w = e
        .get("/v5/account/wallet-balance", "accountType=UNIFIED", &bot)
        .await;
    assert_eq!(w.code(), 0, "{:?}", w.body);
    let coins = w.result()["list"][0]["coin"].as_array().unwrap();
    let names: Vec<_> = coins.iter().map(|c| c["coin"].as_str().unwrap()).collect();
    assert_eq!(names, ["BTC", "ETH", "USDT", "XVG"]);
    assert!(
        coins
            .iter()
            .all(|c| c["walletBalance"].is_string() && c["usdValue"].is_string())
    );

    assert_eq!(
        e.get("/v5/asset/withdraw/query-record", "", &bot)
            .await
            .code(),
        10005
    );
    let wd = e.get("/v5/asset/withdraw/query-record", "", &m).await;
    assert_eq!(wd.result()["rows"].as_array().unwrap().len(), 1);
    let path = "/v5/asset/transfer/query-universal-transfer-list";
    assert_eq!(e.get(path, "", &bot).await.code(), 10005);
    let tr = e.get(path, "", &m).await;
    assert_eq!(tr.code(), 0, "{:?}", tr.body);
    assert_eq!(tr.result()["list"][0]["toMemberId"], json!("1000002"));
    e.run.shutdown().await;
}

#[tokio::test]
async fn expired_key_is_33004() {
    let e = env().await;
    let bot = e.bot();
    let skew = 31 * 24 * 60 * 60 * 1000;
    e.sim.set_clock_skew_ms(skew);
    let a = e
        .call(
            Ipv4Addr::LOCALHOST,
            "GET",
            "/v5/user/query-api",
            "",
            Some(&bot),
            now_ms() + skew,
        )
        .await;
    assert_eq!(a.code(), 33004);
    e.run.shutdown().await;
}
