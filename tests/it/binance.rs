//! Binance: the published signing vectors; the adapter against the simulator's Binance dialect
//! over real HTTP for every operation, in both key-management families; clear errors for bad
//! credentials; request weights and `Retry-After` respected, and an IP ban never sent into;
//! `lockdown respond` end to end (both families); every shipped drill.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use lockdown::exchanges::binance::{encode_params, payload, sign_payload};
use lockdown::exchanges::model::{
    Access, Category, OrderStatus, Segment, TradePermission, TransferKind,
};
use lockdown::exchanges::{
    Auth, CancelStyle, Client, ExchangeError, ExchangeId, KeyFamily, Op, OrderRef, Revoke,
    VenueSettings, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use lockdown::sim::{Inspect, Origin};
use serde_json::Value;

use crate::adapter::steps::{
    Refusals, bot_cannot_manage_keys, cancel_batch, lock_to_the_responder, money_of_the_month,
    no_cancel_all, refs, refused_who_am_i, revoke_twice, trade_as_the_bot,
};
use crate::adapter::{
    balances, create_key, executions_of, fills, limit_buy, lock_to, open_orders, orders, place,
    restrict_key, revoke_by_master, spot, sub_keys, transfers, who_am_i,
};
use crate::support::{
    Lab, assert_first_signed, assert_run_wrote_none_of, attacker_ip, code, contained, files_under,
    journal_of, last_days, lockdown, raw_client, read, report_of, responder_ip, run_dir, stderr,
    stdout, step_status, summary, unauthorized_ids, waiting_for_a_person,
};

fn client(lab: &Lab, family: KeyFamily) -> Client {
    lab.client().with_settings(VenueSettings {
        key_family: family,
        ..VenueSettings::default()
    })
}

/// A signed Binance request from a chosen local address, as an outside client would send it:
/// `params` in the query (GET, DELETE) or the form body (POST). Returns the HTTP status and
/// Binance's code (0 on success).
async fn binance_call(
    base_url: &str,
    from: IpAddr,
    (key, secret): (&str, &str),
    method: &str,
    path: &str,
    params: &[(&str, String)],
) -> (u16, i64) {
    let client = raw_client(from);
    let mut params = params.to_vec();
    params.push(("recvWindow", "5000".into()));
    params.push((
        "timestamp",
        chrono::Utc::now().timestamp_millis().to_string(),
    ));
    let text = encode_params(&params);
    let signature = sign_payload(&SecretString::from(secret.to_owned()), &payload(&text, ""));
    let signed = format!("{text}&signature={signature}");
    let request = match method {
        "POST" => client
            .post(format!("{base_url}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(signed),
        "DELETE" => client.delete(format!("{base_url}{path}?{signed}")),
        _ => client.get(format!("{base_url}{path}?{signed}")),
    };
    let response = request.header("X-MBX-APIKEY", key).send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
    (
        status,
        body["code"].as_i64().filter(|_| status >= 400).unwrap_or(0),
    )
}

#[test]
fn every_published_signing_vector_passes() {
    // docs/venues/binance.md §3, through the crate's public signer.
    let spot = SecretString::from(
        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j".to_owned(),
    );
    let futures = SecretString::from(
        "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9".to_owned(),
    );
    let symbol = encode_params(&[("symbol", "１２３４５６".to_owned())]);
    let full_width = format!(
        "{symbol}&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    );
    for (label, secret, query, body, want) in [
        (
            "spot",
            &spot,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
            "",
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
        ),
        (
            "spot, full-width symbol",
            &spot,
            full_width.as_str(),
            "",
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
        ),
        (
            "spot, mixed",
            &spot,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
            "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
        ),
        (
            "USD-M",
            &futures,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943",
            "",
            "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9",
        ),
        (
            "USD-M, mixed as printed",
            &futures,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943",
            "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2",
        ),
        (
            "USD-M, mixed without the stray space",
            &futures,
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943",
            "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4",
        ),
    ] {
        assert_eq!(sign_payload(secret, &payload(query, body)), want, "{label}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips_with_sub_account_keys() {
    let lab = Lab::start_on(ExchangeId::Binance, 61).await;
    let (master, bot) = lab.creds();
    let email = lab.account();
    assert!(
        email.ends_with("noemail.com") && email.contains("_virtual@"),
        "{email}"
    );
    let client = client(&lab, KeyFamily::SubAccount);
    let now = client.resync().await.unwrap();
    let venue = client.venue();
    assert_eq!(venue.cancel_style(), CancelStyle::PerSymbol);
    let inspect = lab.sim.inspect();
    let uid = inspect.key(&lab.leaked()).unwrap().uid;

    // Who am I: the bot's own key trades spot and futures from anywhere and cannot withdraw.
    let me = who_am_i(&client, &bot).await;
    assert!(!me.read_only && !me.can_withdraw());
    assert!(me.ips.is_empty());
    assert!(me.permissions.contains(&"enableFutures".to_owned()));
    let boss = who_am_i(&client, &master).await;
    assert!(boss.can_withdraw());
    assert_eq!(boss.ips, ["restricted"]);

    // The master lists the sub-account's keys, each with its IP list.
    let keys = sub_keys(&client, &master, &email).await;
    let listed = keys.iter().find(|k| k.key == bot.key).unwrap();
    assert!(listed.ips.is_empty());
    assert_eq!(
        listed.permissions,
        ["canTrade", "canFuturesTrade", "canVanillaOptions"]
    );

    // Open orders, spot and USD-M, all symbols at once.
    let open = open_orders(&client, venue.segments(), &bot).await;
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.category == Category::Linear));
    assert!(open.iter().any(|o| o.symbol == "XVGUSDT"));
    // USD-M conditional (algo) orders are listed too, as untriggered orders: ETHUSDT has
    // nothing else open.
    let truth_open: BTreeSet<&str> = inspect
        .open_orders(uid)
        .iter()
        .map(|o| o.order_id.as_str())
        .collect();
    let listed: BTreeSet<&str> = open.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(listed, truth_open);
    let conditional: Vec<_> = open
        .iter()
        .filter(|o| o.status == OrderStatus::Untriggered)
        .collect();
    assert_eq!(conditional.len(), 2, "{open:?}");
    assert!(conditional.iter().all(|o| {
        o.order_type == "stop_market"
            && o.category == Category::Linear
            && inspect
                .order(&o.order_id)
                .is_some_and(|t| t.trigger_price.is_some())
    }));
    assert!(
        open.iter()
            .filter(|o| o.symbol == "ETHUSDT" && o.category == Category::Linear)
            .all(|o| o.status == OrderStatus::Untriggered)
    );
    assert!(conditional.iter().any(|o| o.symbol == "ETHUSDT"));

    // Orders and fills of the week: symbols learnt, then each walked in its windows.
    let week = last_days(now, 7);
    let orders = orders(&client, venue.segments(), &bot, week).await;
    // Conditional orders have no order history here (`allOrders` does not list them).
    let all: BTreeSet<&str> = inspect
        .orders
        .iter()
        .filter(|o| o.uid == uid && o.trigger_price.is_none())
        .map(|o| o.order_id.as_str())
        .collect();
    let seen: BTreeSet<&str> = orders.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(seen, all);
    assert_eq!(seen.len(), orders.len(), "no order twice");
    let fills = fills(&client, venue.segments(), &bot, week).await;
    assert_eq!(fills.len(), executions_of(&inspect, uid));
    // Spot windows are a day wide, USD-M ones under a week (docs/venues/binance.md §6).
    let log = lab.sim.inspect().access_log;
    assert!(log.iter().any(|e| e.path == "/api/v3/myTrades"));
    assert!(log.iter().any(|e| e.path == "/fapi/v1/income"));
    assert!(log.iter().all(|e| e.http_status != 429));

    let (withdrawals, transfers) = money_of_the_month(&client, &bot, &master, now, &email).await;
    assert_eq!(withdrawals[0].status, "completed");
    assert_eq!(transfers[0].kind, TransferKind::Internal);

    // Trade as the bot: place, cancel one, cancel again (-2011); the bot cannot withdraw (-1002).
    let refusals = Refusals {
        cancelled_again: "-2011",
        withdrawal: "-1002",
    };
    trade_as_the_bot(&client, &bot, &master, "BTCUSDT", &refusals).await;

    // Lock: the key is bound to the responder; the attacker's address is refused at once.
    lock_to_the_responder(&client, &master, &email, &bot.key).await;
    let from_attacker = binance_call(
        &lab.running.base_url,
        attacker_ip(),
        (bot.key.as_str(), &read(&lab.sim_dir().join("bot.secret"))),
        "GET",
        "/sapi/v1/account/apiRestrictions",
        &[],
    )
    .await;
    assert_eq!(from_attacker, (401, -2015));

    // A conditional order placed now (through the Algo API, signed like any USD-M trade) is
    // listed and cancelled with the rest; the attacker's address is refused placing one.
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    let stop_params: Vec<(&str, String)> = vec![
        ("algoType", "CONDITIONAL".into()),
        ("symbol", "BTCUSDT".into()),
        ("side", "SELL".into()),
        ("type", "STOP_MARKET".into()),
        ("quantity", "0.01".into()),
        ("triggerPrice", "55000".into()),
    ];
    let stop = |from, params: &[(&'static str, String)]| {
        let params = params.to_vec();
        let (url, key, secret) = (
            lab.running.base_url.clone(),
            bot.key.as_str().to_owned(),
            bot_secret.clone(),
        );
        async move {
            binance_call(
                &url,
                from,
                (&key, &secret),
                "POST",
                "/fapi/v1/algoOrder",
                &params,
            )
            .await
        }
    };
    assert_eq!(stop(responder_ip(), &stop_params).await, (200, 0));
    assert_eq!(stop(attacker_ip(), &stop_params).await, (401, -2015));
    let no_trigger = stop(responder_ip(), &stop_params[..5]).await;
    assert_eq!(no_trigger, (400, -1102));
    let waiting = |inspect: &Inspect| {
        inspect
            .open_orders(uid)
            .iter()
            .filter(|o| o.trigger_price.is_some())
            .count()
    };
    assert_eq!(waiting(&lab.sim.inspect()), 3);

    // No cancel-all: list, then one cancel per symbol, spot and USD-M (on USD-M the symbol's
    // conditional orders follow).
    no_cancel_all(&client, &bot, spot()).await;
    for segment in venue.segments() {
        let open = open_orders(&client, std::slice::from_ref(segment), &bot).await;
        let symbols: BTreeSet<String> = open.iter().map(|o| o.symbol.clone()).collect();
        for symbol in symbols {
            let orders = refs(open.iter().filter(|o| o.symbol == symbol));
            let named = orders.len();
            let cancelled = cancel_batch(&client, &bot, *segment, orders).await;
            assert_eq!(cancelled.len(), named, "{symbol}");
        }
    }
    let after = lab.sim.inspect();
    assert!(after.open_orders(uid).is_empty());
    assert_eq!(waiting(&after), 0);
    assert!(
        after
            .orders
            .iter()
            .filter(|o| o.uid == uid && o.trigger_price.is_some())
            .all(|o| o.status == "Cancelled")
    );
    let algo_cancels: Vec<_> = after
        .access_log
        .iter()
        .filter(|e| e.method == "DELETE" && e.path == "/fapi/v1/algoOpenOrders")
        .collect();
    assert_eq!(
        algo_cancels.len(),
        2,
        "one per USD-M symbol, ETHUSDT included"
    );
    assert!(algo_cancels.iter().all(|e| e.accepted()));
    let listed_again = open_orders(&client, &venue.segments()[1..2], &bot).await;
    assert!(listed_again.is_empty(), "{listed_again:?}");
    // A symbol with nothing open: nothing to cancel, not a failure.
    let none_open = vec![OrderRef {
        symbol: "ETHUSDT".into(),
        order_id: "1".into(),
    }];
    let nothing = cancel_batch(&client, &bot, spot(), none_open).await;
    assert!(nothing.is_empty());

    // A replacement key: trading only, bound at creation; it works from the responder.
    let trade = [TradePermission::SpotTrade, TradePermission::ContractTrade];
    let created = create_key(
        &client,
        &master,
        &email,
        "it-replacement",
        &trade,
        &["127.0.0.1"],
    )
    .await;
    assert!(!created.info.can_withdraw());
    assert_eq!(created.info.ips, ["127.0.0.1"]);
    assert_eq!(created.info.label, "it-replacement");
    let fresh = Credential::new(created.info.key.clone(), created.secret.clone());
    who_am_i(&client, &fresh).await;

    // A read-only lock strips the trade flags, then binds the list.
    let read_only = lock_to(&["127.0.0.1"], Access::ReadOnly);
    let read_only = restrict_key(&client, &master, &email, &fresh.key, read_only)
        .await
        .unwrap();
    assert!(read_only.read_only);
    assert_eq!(read_only.ips, ["127.0.0.1"]);
    let no_trade = place(
        &client,
        &fresh,
        limit_buy(spot(), "BTCUSDT", 50_000.0, 0.001),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(no_trade, ExchangeError::KeyRefused { .. }),
        "{no_trade:?}"
    );

    // Revoke: the old key is refused (-2015) and unlisted; deleting it again names nothing.
    // A deleted key asking SAPI who it is: `-2008` "Invalid Api-Key ID.".
    revoke_twice(&client, &master, &email, &bot, "-2008", "-1130").await;
    // No key deletes itself on Binance, and master-account keys have no API at all.
    for how in [Revoke::SelfSub, Revoke::SelfMaster] {
        let err = client
            .call(&Op::RevokeKey(how), Auth::Key(&fresh))
            .await
            .unwrap_err();
        assert!(matches!(err, ExchangeError::Unsupported { .. }), "{err:?}");
    }
    // What only the web interface does, the simulator does by hand.
    assert!(lab.sim.web_ui_delete_key(master.key.as_str()));
    assert!(!lab.sim.web_ui_delete_key(master.key.as_str()));
    let err = refused_who_am_i(&client, &master).await;
    assert!(err.is_unauthenticated(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_key_operation_round_trips_with_broker_keys() {
    let lab = Lab::start_on(ExchangeId::Binance, 62).await;
    let (master, bot) = lab.creds();
    let client = client(&lab, KeyFamily::Broker);
    client.resync().await.unwrap();
    let sub = lab
        .sim
        .inspect()
        .key(&lab.leaked())
        .unwrap()
        .uid
        .to_string();

    // The broker listing masks ids and shows no IP list (docs/venues/binance.md §4).
    let keys = sub_keys(&client, &master, &sub).await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].is_masked() && keys[0].names(&bot.key));
    assert_eq!(keys[0].permissions, ["canTrade", "futuresTrade"]);

    // Lock by `subAccountId`.
    let lock = lock_to(&["127.0.0.1"], Access::Unchanged);
    let locked = restrict_key(&client, &master, &sub, &bot.key, lock)
        .await
        .unwrap();
    assert_eq!(locked.ips, ["127.0.0.1"]);
    assert_eq!(
        lab.sim.inspect().key(&lab.leaked()).unwrap().ips,
        ["127.0.0.1"]
    );

    // Create: the broker create takes no address; the follow-up binds it at once.
    let created = create_key(
        &client,
        &master,
        &sub,
        "ignored-by-broker",
        &[TradePermission::SpotTrade],
        &["127.0.0.1", "10.0.0.7"],
    )
    .await;
    assert_eq!(created.info.ips, ["127.0.0.1", "10.0.0.7"]);
    let stored = lab.sim.inspect();
    let new_key = stored.key(created.info.key.as_str()).unwrap();
    assert_eq!(new_key.ips, ["127.0.0.1", "10.0.0.7"]);
    let perms = new_key.permissions.to_string();
    assert!(
        !perms.contains("Withdraw") && !perms.contains("Transfer"),
        "{perms}"
    );
    let paths: Vec<&str> = stored
        .access_log
        .iter()
        .rev()
        .take(2)
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "/sapi/v2/broker/subAccountApi/ipRestriction",
            "/sapi/v1/broker/subAccountApi"
        ]
    );

    // Read-only through the broker permission endpoint.
    let fresh = Credential::new(created.info.key.clone(), created.secret.clone());
    let read_only = lock_to(&["127.0.0.1"], Access::ReadOnly);
    let read_only = restrict_key(&client, &master, &sub, &fresh.key, read_only)
        .await
        .unwrap();
    assert!(read_only.read_only);

    // Transfers of a broker: by `subAccountId`.
    let now = client.clock().now_ms();
    let transfers = transfers(&client, &master, last_days(now, 30)).await;
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].to.as_deref(), Some(sub.as_str()));

    // Delete: gone from the listing, refused as a key.
    revoke_by_master(&client, &master, &sub, &bot.key)
        .await
        .unwrap();
    let keys = sub_keys(&client, &master, &sub).await;
    assert!(!keys.iter().any(|k| k.names(&bot.key)));
    assert!(keys.iter().any(|k| k.names(&fresh.key)));
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    // A broker key needs its account as digits; an email is bad input, nothing sent.
    let err = revoke_by_master(&client, &master, &lab.account(), &fresh.key)
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::NeedsInput { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_and_clocks_get_clear_errors() {
    let lab = Lab::start_on(ExchangeId::Binance, 63).await;
    let (_, bot) = lab.creds();
    let client = client(&lab, KeyFamily::SubAccount);
    // Wrong secret: -1022.
    let forged = Credential::new(bot.key.clone(), SecretString::from("nope".to_owned()));
    let err = refused_who_am_i(&client, &forged).await;
    assert!(matches!(err, ExchangeError::Signature { .. }), "{err:?}");
    assert_eq!(err.code(), Some("-1022"));
    // A key never issued: SAPI's -2008, refused as a key.
    let stranger = Credential::new(
        KeyId::new("A".repeat(64)),
        SecretString::from("s".to_owned()),
    );
    let err = refused_who_am_i(&client, &stranger).await;
    assert!(
        err.is_unauthenticated() && err.code() == Some("-2008"),
        "{err:?}"
    );
    // Not a key at all: -2014.
    let junk = Credential::new(KeyId::new("short"), SecretString::from("s".to_owned()));
    let err = refused_who_am_i(&client, &junk).await;
    assert!(matches!(err, ExchangeError::InvalidKey { ref code } if code == "-2014"));
    // A sub-account key cannot manage keys: -1002.
    bot_cannot_manage_keys(&client, &bot, lab.account(), "-1002").await;
    // A payload sent with raw non-ASCII bytes is refused, however it was signed (-1022).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let raw = "symbol=１２３&recvWindow=5000&timestamp=1";
    let signature = sign_payload(
        &SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
        raw,
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v3/order", lab.running.base_url))
        .header("X-MBX-APIKEY", bot.key.as_str())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("{raw}&signature={signature}"))
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], -1022);
    // The exchange's clock a minute ahead: -1021, the client resyncs and goes on.
    lab.sim.set_clock_skew_ms(60_000);
    let fresh = lab.client();
    fresh.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap();
    let log = lab.sim.inspect().access_log;
    assert!(log.iter().any(|e| e.ret_code == Some(-1021)));
}

#[tokio::test(flavor = "multi_thread")]
async fn weights_and_retry_after_are_respected() {
    let lab = Lab::start_on(ExchangeId::Binance, 64).await;
    let (_, bot) = lab.creds();
    let client = client(&lab, KeyFamily::SubAccount);
    client.resync().await.unwrap();
    // Put the exchange's minute a few seconds from its end (six: each balance read is two
    // requests, the funding wallet's too), so `Retry-After` is short.
    let now = client.clock().now_ms();
    // Forward only: a skew back in time would date the later requests before the ones already
    // logged (the first resync's), and they would read as sent during the hold.
    lab.sim
        .set_clock_skew_ms((54_000 - now.rem_euclid(60_000)).rem_euclid(60_000));
    client.resync().await.unwrap();
    // `account` weighs 20: with a limit of 50 the third call in the minute goes over.
    lab.sim.set_weight_limit(50);
    client.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    client.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    let started = Instant::now();
    // The third is refused with 429 and `Retry-After`; the client holds every request until
    // then, sends it again in the next minute, and it goes through.
    client.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    let log = lab.sim.inspect().access_log;
    let refused: Vec<_> = log.iter().filter(|e| e.http_status == 429).collect();
    assert_eq!(refused.len(), 1, "one 429, then nothing until it expired");
    let after = log
        .iter()
        .filter(|e| e.at_ms > refused[0].at_ms && e.peer == Some(responder_ip()))
        .collect::<Vec<_>>();
    assert!(
        after
            .iter()
            .all(|e| e.at_ms >= refused[0].at_ms.div_euclid(60_000) * 60_000 + 60_000),
        "nothing sent before the minute rolled over: {after:?}\nwhole log: {log:?}"
    );
    assert!(log.iter().all(|e| e.http_status != 418));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_weight_near_one_limit_holds_only_the_requests_counted_on_it() {
    let lab = Lab::start_on(ExchangeId::Binance, 66).await;
    let (_, bot) = lab.creds();
    let client = client(&lab, KeyFamily::SubAccount);
    client.resync().await.unwrap();
    // The exchange's minute ten seconds from its end, so the hold is short.
    let now = client.clock().now_ms();
    lab.sim
        .set_clock_skew_ms((50_000 - now.rem_euclid(60_000)).rem_euclid(60_000));
    client.resync().await.unwrap();
    // Spot open orders without a symbol weigh 80: the 68th brings the address's spot weight to
    // 5440 of 6000, past 90 %, and the client holds its spot requests until the minute rolls.
    let open = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    for _ in 0..68 {
        client.call(&open, Auth::Key(&bot)).await.unwrap();
    }
    // The withdrawals are weighed by UID on SAPI: not held by the spot meter.
    let now = client.clock().now_ms();
    let withdrawals = Op::Withdrawals {
        window: Window {
            start_ms: now - 86_400_000,
            end_ms: now,
        },
        cursor: None,
    };
    client.call(&withdrawals, Auth::Key(&bot)).await.unwrap();
    // The next spot read waits for the minute to roll over, and is not refused.
    client.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    let log = lab.sim.inspect().access_log;
    let at = |path: &str| -> Vec<i64> {
        log.iter()
            .filter(|e| e.path == path)
            .map(|e| e.at_ms)
            .collect()
    };
    let minute = |ms: i64| ms.div_euclid(60_000);
    let opens = at("/api/v3/openOrders");
    let held = minute(*opens.last().unwrap());
    let withdrawn = at("/sapi/v1/capital/withdraw/history");
    let accounts = at("/api/v3/account");
    assert_eq!(opens.len(), 68, "{log:?}");
    assert!(
        withdrawn.iter().all(|at| minute(*at) == held),
        "the SAPI read went inside the spot hold: {withdrawn:?}, spot held in minute {held}"
    );
    assert!(
        accounts.iter().all(|at| minute(*at) > held),
        "the next spot read waited for the next minute: {accounts:?}, held in minute {held}"
    );
    assert!(
        log.iter()
            .all(|e| e.http_status != 429 && e.http_status != 418),
        "nothing refused: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_a_third_of_a_weight_limit_the_requests_counted_on_it_go_one_at_a_time() {
    let lab = Lab::start_on(ExchangeId::Binance, 67).await;
    let (_, bot) = lab.creds();
    let client = client(&lab, KeyFamily::SubAccount);
    client.resync().await.unwrap();
    // The exchange's minute a second old, so that it does not roll over during the test.
    let now = client.clock().now_ms();
    let mut faults = lockdown::sim::Faults::none();
    faults.skew_ms = (61_000 - now.rem_euclid(60_000)).rem_euclid(60_000);
    lab.sim.set_faults(faults);
    client.resync().await.unwrap();
    // Spot open orders without a symbol weigh 80: 38 of them are 3040 of the 6000, past a third.
    let open = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    for _ in 0..38 {
        client.call(&open, Auth::Key(&bot)).await.unwrap();
    }
    let before = lab.sim.inspect().access_log.len();
    // Each answer 100 ms late: six reads at once are answered one after the other.
    lab.sim
        .set_faults(faults.with_latency(Duration::from_millis(100)));
    let reads = (0..6).map(|_| {
        let client = client.clone();
        let (open, bot) = (open.clone(), bot.clone());
        tokio::spawn(async move { client.call(&open, Auth::Key(&bot)).await })
    });
    for read in reads.collect::<Vec<_>>() {
        read.await.unwrap().unwrap();
    }
    let log = lab.sim.inspect().access_log;
    let answered: Vec<i64> = log[before..]
        .iter()
        .filter(|e| e.path == "/api/v3/openOrders")
        .map(|e| e.at_ms)
        .collect();
    assert_eq!(answered.len(), 6, "{log:?}");
    // The exchange computes an answer, then sleeps out the latency: a read sent only once the
    // one before was answered is computed a latency after it.
    for pair in answered.windows(2) {
        assert!(
            pair[1] - pair[0] >= 90,
            "the reads went one at a time: answered at {answered:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ip_ban_is_never_hammered() {
    let lab = Lab::start_on(ExchangeId::Binance, 65).await;
    let (_, bot) = lab.creds();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    lab.sim.set_weight_limit(40);
    // A client that ignores 429s from the responder's own address gets it banned (418).
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let (status, _) = binance_call(
            &lab.running.base_url,
            responder_ip(),
            (bot.key.as_str(), &secret),
            "GET",
            "/api/v3/account",
            &[],
        )
        .await;
        statuses.push(status);
        if status == 418 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&418), "{statuses:?}");
    assert!(statuses.contains(&429));
    let banned_at = lab.sim.inspect().access_log.len();

    // lockdown's client: the first call learns of the ban, then nothing is sent until it ends.
    let client = client(&lab, KeyFamily::SubAccount);
    let err = client
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap_err();
    let ExchangeError::IpBanned {
        retry_after_ms: Some(left),
        ..
    } = err
    else {
        panic!("expected a ban, got {err:?}");
    };
    assert!(left > 60_000 && left <= 120_000, "{left}");
    for op in [Op::Balances, Op::WhoAmI] {
        for _ in 0..5 {
            let err = client.call(&op, Auth::Key(&bot)).await.unwrap_err();
            assert!(matches!(err, ExchangeError::IpBanned { .. }), "{err:?}");
        }
    }
    let during = lab.sim.inspect().access_log.len() - banned_at;
    assert_eq!(during, 1, "one request learnt of the ban; none followed");

    // `lockdown respond` from the banned address: refused before containment (exit 3), with
    // the ban said; the engine does not retry into it.
    let before = lab.sim.inspect().access_log.len();
    let output = lab.respond(&["--yes"]).await;
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("banned"), "{text}");
    let sent = lab.sim.inspect().access_log.len() - before;
    assert_eq!(sent, 1, "the lock learnt of the ban; nothing followed it");
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_leaked_binance_key() {
    let lab = Lab::start_on(ExchangeId::Binance, 66).await;
    let leaked = lab.leaked();
    let dir = lab.sim_dir();
    let stolen = (leaked.clone(), read(&dir.join("bot.secret")));
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).unwrap().uid;
    assert!(!before.open_orders(bot_uid).is_empty());
    // The attacker left USD-M conditional (algo) orders, one on a symbol (ETHUSDT) where nothing
    // else is open: the response must learn that symbol from the conditional orders.
    let conditional: BTreeSet<String> = before
        .open_orders(bot_uid)
        .iter()
        .filter(|o| o.trigger_price.is_some())
        .map(|o| {
            assert_eq!(o.origin, Origin::Attacker);
            o.order_id.clone()
        })
        .collect();
    assert_eq!(conditional.len(), 2);
    let eth: Vec<_> = before
        .open_orders(bot_uid)
        .into_iter()
        .filter(|o| o.category == "linear" && o.symbol == "ETHUSDT")
        .collect();
    assert!(!eth.is_empty() && eth.iter().all(|o| o.trigger_price.is_some()));
    let probe = || {
        binance_call(
            &lab.running.base_url,
            attacker_ip(),
            (&stolen.0, &stolen.1),
            "GET",
            "/api/v3/openOrders",
            &[],
        )
    };
    assert_eq!(probe().await, (200, 0));

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);

    // The attacker is refused from 127.0.0.2 (the key is gone).
    assert_eq!(probe().await, (401, -2015));
    let after = lab.sim.inspect();
    assert!(after.open_orders(bot_uid).is_empty());
    assert!(after.key(&leaked).is_none_or(|k| k.deleted));
    // The lock was the response's first signed request.
    assert_first_signed(
        &before,
        &after,
        "/sapi/v2/sub-account/subAccountApi/ipRestriction",
    );
    // Cancels went symbol by symbol, spot and USD-M; no request was ever refused for weight.
    assert!(
        after
            .access_log
            .iter()
            .any(|e| e.path == "/api/v3/openOrders" && e.method == "DELETE")
    );
    assert!(
        after
            .access_log
            .iter()
            .any(|e| e.path == "/fapi/v1/allOpenOrders")
    );
    assert!(after.access_log.iter().all(|e| e.http_status != 429));
    // No conditional order is left waiting: each USD-M symbol's `algoOpenOrders` went too.
    assert!(
        after
            .orders
            .iter()
            .filter(|o| conditional.contains(&o.order_id))
            .all(|o| o.status == "Cancelled")
    );
    let algo_cancels = after
        .access_log
        .iter()
        .filter(|e| e.method == "DELETE" && e.path == "/fapi/v1/algoOpenOrders" && e.accepted())
        .count();
    assert!(algo_cancels >= 2, "BTCUSDT and ETHUSDT: {algo_cancels}");

    // The replacement: on the bot's sub-account, no withdraw, bound.
    let replacement = lab.replacement();
    let new_id = replacement["api_key"].as_str().unwrap();
    let new_key = after.key(new_id).unwrap();
    assert_eq!(new_key.uid, bot_uid);
    assert_eq!(new_key.ips, ["127.0.0.1"]);
    let perms = new_key.permissions.to_string();
    assert!(
        !perms.contains("Withdraw") && !perms.contains("Transfer"),
        "{perms}"
    );
    let secret = replacement["api_secret"].as_str().unwrap();
    assert_eq!(
        binance_call(
            &lab.running.base_url,
            responder_ip(),
            (new_id, secret),
            "GET",
            "/sapi/v1/account/apiRestrictions",
            &[],
        )
        .await,
        (200, 0)
    );
    assert_eq!(
        binance_call(
            &lab.running.base_url,
            attacker_ip(),
            (new_id, secret),
            "GET",
            "/sapi/v1/account/apiRestrictions",
            &[],
        )
        .await,
        (401, -2015)
    );

    // The report lists exactly the attacker's orders, by Binance id and symbol.
    let reported = unauthorized_ids(&report_of(&summary));
    assert_eq!(reported, before.attacker_order_ids());
    assert!(reported.is_superset(&conditional));
    // The journal counts the conditional orders among those the cancel step cancelled.
    let journal = journal_of(&summary);
    let run_dir = run_dir(&summary);
    let cancelled: BTreeSet<String> = journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|event| find_key(&event, "cancelled_orders").cloned())
        .flat_map(|ids| ids.as_array().cloned().unwrap_or_default())
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    assert!(cancelled.is_superset(&conditional), "{cancelled:?}");
    // Nothing secret in what the run wrote.
    assert_run_wrote_none_of(&run_dir, &output, &[stolen.1.as_str(), secret]);
}

/// The first value named `name` anywhere in `value`.
fn find_key<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => map
            .get(name)
            .or_else(|| map.values().find_map(|v| find_key(v, name))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, name)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_shows_each_cancel_conditional_orders_included() {
    let lab = Lab::start_on(ExchangeId::Binance, 68).await;
    let before = lab.sim.inspect();
    let bot_uid = before.key(&lab.leaked()).unwrap().uid;
    let output = lab.respond(&["--dry-run", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let after = lab.sim.inspect();
    assert_eq!(
        after.open_orders(bot_uid).len(),
        before.open_orders(bot_uid).len()
    );
    // Reads only: GETs, and the funding wallet's read, which Binance makes a POST.
    assert!(after.access_log.iter().all(|e| e.method == "GET"
        || (e.method == "POST" && e.path == "/sapi/v1/asset/get-funding-asset")));
    // The plan shows one cancel per symbol, and on USD-M the symbol's conditional orders' too:
    // ETHUSDT has nothing else open.
    let err = stderr(&output);
    for request in [
        "DELETE /api/v3/openOrders?symbol=XVGUSDT",
        "DELETE /fapi/v1/allOpenOrders?symbol=BTCUSDT",
        "DELETE /fapi/v1/algoOpenOrders?symbol=BTCUSDT",
        "DELETE /fapi/v1/algoOpenOrders?symbol=ETHUSDT",
    ] {
        assert!(err.contains(request), "{request} not in:\n{err}");
    }
    let journal = journal_of(&summary(&output));
    let would_cancel = journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|event| find_key(&event, "would_cancel").and_then(Value::as_u64));
    assert_eq!(
        would_cancel,
        Some(before.open_orders(bot_uid).len() as u64),
        "{journal}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_broker_key_too() {
    let lab = Lab::start_on(ExchangeId::Binance, 67).await;
    let leaked = lab.leaked();
    let uid = lab.sim.inspect().key(&leaked).unwrap().uid;
    // The same bot sub-account, managed through Binance Link: `account:` is its id.
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let broker = config
        .replace(&format!("\"{}\"", lab.account()), &format!("\"{uid}\""))
        .replace(
            "    exchange: binance\n",
            "    exchange: binance\n    key_family: broker\n",
        );
    std::fs::write(&lab.session.config, broker).unwrap();
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let after = lab.sim.inspect();
    assert!(after.key(&leaked).is_none_or(|k| k.deleted));
    assert!(after.open_orders(uid).is_empty());
    let replacement = lab.replacement();
    let new_key = after.key(replacement["api_key"].as_str().unwrap()).unwrap();
    assert_eq!(new_key.uid, uid);
    assert_eq!(new_key.ips, ["127.0.0.1"]);
    assert!(
        after
            .access_log
            .iter()
            .any(|e| e.path == "/sapi/v1/broker/subAccountApi" && e.method == "DELETE")
    );
    assert!(
        after
            .access_log
            .iter()
            .all(|e| !e.path.starts_with("/sapi/v1/sub-account/subAccountApi"))
    );
}

/// A leaked master-account key: Binance has no API that deletes one, so the revoke is a guided
/// manual step. Without a terminal and without `--yes` the run stops there, pending, having sent
/// nothing that changes the key; once the key is deleted in the web interface, `resume`
/// verifies that Binance refuses it and finishes contained.
#[tokio::test(flavor = "multi_thread")]
async fn a_leaked_master_key_is_deleted_by_hand_and_verified() {
    let lab = Lab::start_on(ExchangeId::Binance, 69).await;
    let (master, _) = lab.creds();
    let playbook = lab.sim_dir().join("master-key.yaml");
    std::fs::write(
        &playbook,
        r#"version: 1
name: binance-master-key
exchange: binance
inputs:
  key: { required: true }
steps:
  - id: revoke
    name: Delete the leaked master-account key
    revoke_key:
      key: "{{ inputs.key }}"
      via: self_master
  - id: verify
    verify_revoked:
      key: "{{ inputs.key }}"
finally:
  - id: report
    report: { formats: [json] }
"#,
    )
    .unwrap();
    let playbook = playbook.display().to_string();
    let key = master.key.as_str().to_owned();
    let mark = lab.sent();
    let output = lab
        .respond_for(&key, &["--playbook", &playbook, "--json"])
        .await;
    let summary = waiting_for_a_person(
        &output,
        "revoke",
        &[
            "Delete the leaked master-account API key in Binance's web interface",
            "https://www.binance.com/en/my/settings/api-management",
        ],
    );
    assert_eq!(step_status(&summary, "verify"), "not_run");
    assert!(lab.sim.inspect().key(&key).is_some_and(|k| !k.deleted));
    assert!(
        lab.sent_since(mark).iter().all(|e| e.method == "GET"),
        "nothing but reads was sent"
    );

    // Resuming before the person deleted it: the probe finds the key alive, and the step is
    // still waiting.
    let run_dir = summary["run_dir"].as_str().unwrap().to_owned();
    let early = lockdown(&["resume", &run_dir, "--json"], &[]).await;
    assert_eq!(code(&early), 1, "{}", stderr(&early));
    let early: Value = serde_json::from_str(&stdout(&early)).unwrap();
    assert_eq!(step_status(&early, "revoke"), "pending");

    assert!(lab.sim.web_ui_delete_key(&key));
    let resumed = lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await;
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let summary: Value = serde_json::from_str(&stdout(&resumed)).unwrap();
    assert_eq!(summary["contained"], true, "{summary:#}");
    assert_eq!(step_status(&summary, "revoke"), "ok");
    assert_eq!(step_status(&summary, "verify"), "ok");
    let journal = std::fs::read_to_string(Path::new(&run_dir).join("journal.jsonl")).unwrap();
    assert!(
        journal.contains("-2008"),
        "Binance's refusal is the evidence"
    );
    let secret = read(&lab.sim_dir().join("master.secret"));
    for file in files_under(Path::new(&run_dir)) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains(&secret), "{}", file.display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spot_only_key_is_contained_too() {
    let lab = Lab::start_on(ExchangeId::Binance, 70).await;
    let (master, bot) = lab.creds();
    // Most bot keys trade spot only: take the futures permission away through the master.
    let stripped = binance_call(
        &lab.running.base_url,
        responder_ip(),
        (
            master.key.as_str(),
            &read(&lab.sim_dir().join("master.secret")),
        ),
        "POST",
        "/sapi/v1/sub-account/subAccountApiPermission",
        &[
            ("email", lab.account()),
            ("subAccountApiKey", bot.key.as_str().to_owned()),
            ("canTrade", "true".into()),
        ],
    )
    .await;
    assert_eq!(stripped, (200, 0));
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let journal = journal_of(&summary(&output));
    // USD-M, COIN-M and options answered -2015 to this key: segments it cannot reach, said so,
    // not a failure.
    assert!(
        journal.contains(r#""not_permitted":["linear","inverse","option"]"#),
        "{journal}"
    );
    let after = lab.sim.inspect();
    assert!(after.key(&lab.leaked()).is_some_and(|k| k.deleted));
    assert!(
        after
            .open_orders(uid)
            .iter()
            .all(|o| o.category == "linear"),
        "every spot order cancelled"
    );
}

/// The attacker's resting orders in Binance's other products (cross and isolated margin, COIN-M
/// futures, options), each on its own endpoints: the response lists and cancels every one of
/// them and reports them with the others.
#[tokio::test(flavor = "multi_thread")]
async fn attacker_orders_in_margin_coin_m_and_options_are_cancelled() {
    let lab = Lab::start_on(ExchangeId::Binance, 69).await;
    let leaked = lab.leaked();
    let stolen = (leaked.clone(), read(&lab.sim_dir().join("bot.secret")));
    let bot_uid = lab.sim.inspect().key(&leaked).unwrap().uid;
    let limit = |symbol: &str, qty: &str, price: &str| {
        vec![
            ("symbol", symbol.to_owned()),
            ("side", "BUY".to_owned()),
            ("type", "LIMIT".to_owned()),
            ("timeInForce", "GTC".to_owned()),
            ("quantity", qty.to_owned()),
            ("price", price.to_owned()),
        ]
    };
    let mut isolated = limit("ETHUSDT", "0.1", "1500");
    isolated.push(("isIsolated", "TRUE".to_owned()));
    for (path, params) in [
        ("/sapi/v1/margin/order", limit("BTCUSDT", "0.01", "30000")),
        ("/sapi/v1/margin/order", isolated),
        ("/dapi/v1/order", limit("BTCUSD_PERP", "1", "30000")),
        ("/eapi/v1/order", limit("BTC-261225-100000-C", "0.1", "100")),
    ] {
        let placed = binance_call(
            &lab.running.base_url,
            attacker_ip(),
            (&stolen.0, &stolen.1),
            "POST",
            path,
            &params,
        )
        .await;
        assert_eq!(placed, (200, 0), "{path}");
    }
    let before = lab.sim.inspect();
    let planted: BTreeSet<String> = before
        .open_orders(bot_uid)
        .iter()
        .filter(|o| {
            ["BTCUSD_PERP", "BTC-261225-100000-C"].contains(&o.symbol.as_str())
                || (o.symbol == "BTCUSDT" && o.price.as_deref() == Some("30000"))
                || (o.symbol == "ETHUSDT" && o.price.as_deref() == Some("1500"))
        })
        .map(|o| o.order_id.clone())
        .collect();
    assert_eq!(planted.len(), 4, "{:?}", before.open_orders(bot_uid));

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    let after = lab.sim.inspect();
    let left: Vec<_> = after
        .open_orders(bot_uid)
        .into_iter()
        .map(|o| (o.symbol.clone(), o.order_id.clone()))
        .collect();
    assert!(left.is_empty(), "still open: {left:?}");
    for path in [
        "/sapi/v1/margin/openOrders",
        "/dapi/v1/allOpenOrders",
        "/eapi/v1/allOpenOrders",
    ] {
        assert!(
            after
                .access_log
                .iter()
                .any(|e| e.method == "DELETE" && e.path == path && e.accepted()),
            "no accepted DELETE {path}"
        );
    }
    // Isolated margin: its pairs were read first.
    assert!(
        after
            .access_log
            .iter()
            .any(|e| e.path == "/sapi/v1/margin/isolated/account" && e.accepted())
    );
    let reported = unauthorized_ids(&report_of(&summary));
    assert!(reported.is_superset(&planted), "{reported:?}");
    assert_eq!(reported, after.attacker_order_ids());
}

/// Sub-account universal transfers are read at most 7 days a call (the "Query Universal
/// Transfer History" page): a 20-day lookback reads them in several windows, none refused.
#[tokio::test(flavor = "multi_thread")]
async fn universal_transfers_are_read_seven_days_at_a_time() {
    let lab = Lab::start_on(ExchangeId::Binance, 74).await;
    let mark = lab.sent();
    let output = lab
        .respond(&["--yes", "--json", "--input", "since=20d"])
        .await;
    contained(&output);
    let reads: Vec<_> = lab
        .sent_since(mark)
        .into_iter()
        .filter(|e| e.path == "/sapi/v1/sub-account/universalTransfer")
        .collect();
    assert!(
        reads.len() >= 3,
        "20 days in 7-day windows: {}",
        reads.len()
    );
    assert!(
        reads.iter().all(|e| e.accepted()),
        "{:?}",
        reads.iter().map(|e| e.http_status).collect::<Vec<_>>()
    );
}

/// Most accounts never open a margin account: Binance answers their margin requests `-3003`
/// ("Margin account does not exist."). That is no margin order to find, not a failed response.
#[tokio::test(flavor = "multi_thread")]
async fn an_account_without_margin_is_contained_too() {
    let lab = Lab::start_on(ExchangeId::Binance, 75).await;
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    lab.sim.binance_without_margin(uid);
    let output = lab.respond(&["--yes", "--json"]).await;
    contained(&output);
    let after = lab.sim.inspect();
    assert!(after.open_orders(uid).is_empty());
    assert!(
        after
            .access_log
            .iter()
            .any(|e| e.path == "/sapi/v1/margin/openOrders" && !e.accepted()),
        "the margin listing was asked and refused"
    );
}

/// Balances are the spot wallet's, then the funding wallet's (Binance Pay, gift cards, P2P), each
/// naming its wallet: 150 USDT sit in the bot's funding wallet, which the spot account does not
/// show.
#[tokio::test(flavor = "multi_thread")]
async fn balances_name_the_spot_and_the_funding_wallet() {
    let lab = Lab::start_on(ExchangeId::Binance, 76).await;
    let (_, bot) = lab.creds();
    let held = balances(&lab.client(), &bot).await;
    assert!(
        held.iter()
            .any(|b| b.account.as_deref() == Some("SPOT") && b.coin == "USDT"),
        "{held:?}"
    );
    let funding: Vec<_> = held
        .iter()
        .filter(|b| b.account.as_deref() == Some("FUNDING"))
        .map(|b| (b.coin.as_str(), b.total.as_str()))
        .collect();
    assert_eq!(funding, [("USDT", "150")]);
    assert!(
        held.iter().all(|b| b.account.is_some()),
        "every balance names its wallet: {held:?}"
    );
}

/// In an incident every key's run shares the address's weight: a step held back for the
/// minute's end by the other reads gets that time back, and does not time out for it.
#[tokio::test(flavor = "multi_thread")]
async fn in_an_incident_a_step_held_for_the_shared_weight_gets_that_time_back() {
    let lab = Lab::start_scenario(ExchangeId::Binance, crate::many_keys::THREE_BOTS, 7).await;
    let keys = lab.session.leaked_keys.clone();
    let playbook = lab.sim_dir().join("held.yaml");
    std::fs::write(
        &playbook,
        r#"version: 1
name: held
exchange: binance
inputs:
  key: { required: true }
steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}", ip_whitelist: ["{{ profile.responder_ip }}"] }
  - id: first
    timeout: 12s
    snapshot: { key: "{{ inputs.key }}", of: open_orders }
  - id: again
    timeout: 12s
    snapshot: { key: "{{ inputs.key }}", of: open_orders }
"#,
    )
    .unwrap();
    // The exchange's minute at its 40th second (ahead of the responder's clock by more than
    // Binance's 5 s, so the lock is refused once and the clock read again), and the address's
    // futures weight near 90 % of its 2400: the first futures answers say it is past, and the futures
    // reads sent after it (in the first step, or else in the second) wait about twenty seconds
    // for the minute to roll over, longer than their step's 12 s.
    let (_, bot) = lab.creds();
    // Impatient: it must not wait for the minute itself.
    let probe = client(&lab, KeyFamily::SubAccount).with_rate_limit_waits(0);
    probe.resync().await.unwrap();
    let now = probe.clock().now_ms();
    let skew = (40_000 - now.rem_euclid(60_000)).rem_euclid(60_000);
    lab.sim
        .set_clock_skew_ms(if skew < 10_000 { skew + 60_000 } else { skew });
    probe.resync().await.unwrap();
    let futures = Op::OpenOrders {
        segment: Segment {
            category: Category::Linear,
            settle: None,
        },
        cursor: None,
    };
    // Forty without a symbol: 50 of them are 2000 of the 2400; the two keys' eight futures
    // reads sent at once bring it past 90 % (2160) without overrunning it.
    for _ in 0..50 {
        probe.call(&futures, Auth::Key(&bot)).await.unwrap();
    }
    let config = lab.session.config.display().to_string();
    let playbook = playbook.display().to_string();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &keys[0],
        "--key",
        &keys[1],
        "--playbook",
        &playbook,
        "--yes",
        "--json",
    ];
    let output = lockdown(&args, &[]).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 0, "stderr:\n{err}");
    let mut longest = 0;
    let mut steps = Vec::new();
    for dir in lab.run_dirs() {
        for step in crate::support::finished_steps(&dir) {
            let took = step["duration_ms"].as_u64().unwrap_or(0);
            steps.push(format!("{} {took} ms", step["step"]));
            if step["step"] != "lock" {
                longest = longest.max(took);
            }
        }
    }
    assert!(
        longest > 12_000,
        "a step outlived its 12 s, held for the minute: {longest} ms; {steps:?}"
    );
    let log = lab.sim.inspect().access_log;
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.http_status == 429 || e.http_status == 418)
        .map(|e| (&e.path, e.http_status, e.at_ms))
        .collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
}

/// A weight hold ends when the exchange's minute does, also when the answer that said so came
/// before the client knew the exchange's clock (its first answer: the clock read itself).
#[tokio::test(flavor = "multi_thread")]
async fn a_hold_learnt_from_the_clock_read_ends_on_the_exchanges_minute() {
    let lab = Lab::start_on(ExchangeId::Binance, 68).await;
    let (_, bot) = lab.creds();
    // The exchange's clock 15 s before its minute ends, and the responder's far from that: a
    // hold reckoned on the responder's clock would end tens of seconds off.
    let mut local = lockdown::clock::local_ms().rem_euclid(60_000);
    if (35_000..=55_000).contains(&local) {
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(56_000 - local).unwrap(),
        ))
        .await;
        local = lockdown::clock::local_ms().rem_euclid(60_000);
    }
    lab.sim
        .set_clock_skew_ms((45_000 - local).rem_euclid(60_000));
    // The address's spot weight past 90 % (68 reads of 80), by a client that does not wait.
    let filler = client(&lab, KeyFamily::SubAccount).with_rate_limit_waits(0);
    filler.resync().await.unwrap();
    let open = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    for _ in 0..68 {
        filler.call(&open, Auth::Key(&bot)).await.unwrap();
    }
    // A fresh client's first answer, its clock read, says the spot minute is nearly used.
    let client = client(&lab, KeyFamily::SubAccount);
    let started = Instant::now();
    client.resync().await.unwrap();
    client.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    let waited = started.elapsed();
    let log = lab.sim.inspect().access_log;
    let minute = |path: &str| {
        log.iter()
            .rev()
            .find(|e| e.path == path)
            .map(|e| e.at_ms.div_euclid(60_000))
            .unwrap()
    };
    assert_eq!(
        minute("/api/v3/account"),
        minute("/api/v3/time") + 1,
        "the read went in the exchange's next minute"
    );
    assert!(
        waited < Duration::from_secs(22),
        "held until the exchange's minute ended (about 15 s), not the responder's: {waited:?}"
    );
}

/// The watcher's reads are background work: alone they use the address's futures weight as
/// any call does, but once a response's call went they keep below a third of it, and the
/// response's reads go at once, before the background reads waiting for the next minute.
#[tokio::test(flavor = "multi_thread")]
async fn the_watchers_reads_leave_the_futures_minute_to_a_response() {
    let lab = Lab::start_on(ExchangeId::Binance, 69).await;
    let (_, bot) = lab.creds();
    let client = client(&lab, KeyFamily::SubAccount);
    let watcher = client.in_background();
    // The exchange's minute at its 5th second: it does not roll over during the test.
    let local = lockdown::clock::local_ms().rem_euclid(60_000);
    lab.sim
        .set_clock_skew_ms((5_000 - local).rem_euclid(60_000));
    watcher.resync().await.unwrap();
    let futures = Op::OpenOrders {
        segment: Segment {
            category: Category::Linear,
            settle: None,
        },
        cursor: None,
    };
    let mark = lab.sent();
    let futures_reads = || {
        lab.sent_since(mark)
            .iter()
            .filter(|e| e.path.ends_with("/fapi/v1/openOrders"))
            .count()
    };
    // Reads at once, forty weight each without a symbol; they go one at a time, each after the
    // last one's answer: let them run until they stop.
    let background = |n: usize| -> Vec<_> {
        (0..n)
            .map(|_| {
                let (watcher, bot, op) = (watcher.clone(), bot.clone(), futures.clone());
                tokio::spawn(async move { watcher.call(&op, Auth::Key(&bot)).await.map(drop) })
            })
            .collect()
    };
    let settled = || async {
        let mut seen = 0;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = futures_reads();
            if now == seen && now > 0 {
                break;
            }
            seen = now;
        }
        seen
    };
    // Alone: thirty reads, half the minute's 2400, all go.
    for read in background(30) {
        read.await.unwrap().expect("a background read alone");
    }
    assert_eq!(
        futures_reads(),
        30,
        "alone, the watcher's reads were held back"
    );
    // A response's read: it goes at once (the lane is past a third, in single file).
    client.call(&futures, Auth::Key(&bot)).await.unwrap();
    // Now the watcher's reads yield: the meter is past a third, so they wait for the minute.
    let waiting = background(20);
    let seen = settled().await;
    assert_eq!(
        seen,
        31,
        "the background reads went on beside a response: {} of 20",
        seen - 31
    );
    // And the response's next read goes at once, before them.
    let reply = client.call(&futures, Auth::Key(&bot)).await;
    assert!(reply.is_ok(), "{reply:?}");
    assert_eq!(futures_reads(), 32, "the response's read went alone");
    assert!(
        lab.sent_since(mark).iter().all(|e| e.http_status == 200),
        "nothing refused"
    );
    for read in waiting {
        read.abort();
    }
}
