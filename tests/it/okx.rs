//! OKX V5: the adapter against the simulator's OKX dialect over real HTTP for every operation,
//! clear errors for bad credentials, `lockdown respond` end to end, and every shipped drill.

use std::collections::BTreeSet;
use std::net::IpAddr;

use lockdown::exchanges::model::{Access, Category, OrderStatus, Segment, TradePermission};
use lockdown::exchanges::{Auth, CancelStyle, ExchangeError, ExchangeId, Op, Window};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::adapter::steps::{
    Refusals, bot_cannot_manage_keys, cancel_batch, lock_to_the_responder, money_of_the_month,
    no_cancel_all, refs, refused_who_am_i, revoke_twice, trade_as_the_bot,
};
use crate::adapter::{
    armed_for, cancel_after, create_key, executions_of, fills, lock_to, open_orders, orders,
    restrict_key, spot, sub_keys, who_am_i,
};
use crate::support::{
    Lab, assert_first_signed, assert_run_wrote_none_of, attacker_ip, code, contained, last_days,
    raw_client, read, report_of, responder_ip, run_dir, stderr, unauthorized_ids,
};

/// The master key and the leaked bot key, each with its passphrase.
fn creds(lab: &Lab) -> (Credential, Credential) {
    let dir = lab.sim_dir();
    let passphrase = |name: &str| SecretString::from(read(&dir.join(name)));
    let (master, bot) = lab.creds();
    (
        master.with_passphrase(passphrase("master.passphrase")),
        bot.with_passphrase(passphrase("bot.passphrase")),
    )
}

/// A signed OKX V5 request from a chosen local address, as an outside client would send it.
/// Returns the HTTP status and the envelope's `code`.
async fn okx_call(
    base_url: &str,
    from: IpAddr,
    (key, secret, passphrase): (&str, &str, &str),
    method: &str,
    path_and_query: &str,
    body: &str,
) -> (u16, String) {
    let client = raw_client(from);
    let ts = lockdown::exchanges::okx::timestamp(chrono::Utc::now().timestamp_millis());
    let prehash = lockdown::exchanges::okx::prehash(&ts, method, path_and_query, body);
    let sign =
        lockdown::exchanges::okx::sign_prehash(&SecretString::from(secret.to_owned()), &prehash);
    let url = format!("{base_url}{path_and_query}");
    let request = if method == "GET" {
        client.get(url)
    } else {
        client.post(url).body(body.to_owned())
    };
    let response = request
        .header("OK-ACCESS-KEY", key)
        .header("OK-ACCESS-SIGN", sign)
        .header("OK-ACCESS-TIMESTAMP", ts)
        .header("OK-ACCESS-PASSPHRASE", passphrase)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or_default();
    (status, body["code"].as_str().unwrap_or("none").to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips() {
    let lab = Lab::start_on(ExchangeId::Okx, 51).await;
    let (master, bot) = creds(&lab);
    let sub = lab.account();
    assert_eq!(sub, "gridbot01");
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let venue = client.venue();
    assert_eq!(venue.cancel_style(), CancelStyle::Batches { max: 20 });
    let inspect = lab.sim.inspect();
    let uid = inspect.key(&lab.leaked()).unwrap().uid;

    // Who am I: the bot's own key, a sub-account key that can trade from anywhere.
    let me = who_am_i(&client, &bot).await;
    assert!(!me.is_master && !me.read_only);
    assert_eq!(me.permissions, ["read_only", "trade"]);
    assert!(me.ips.is_empty());
    let boss = who_am_i(&client, &master).await;
    assert!(boss.is_master && boss.can_withdraw());
    assert_eq!(boss.ips, ["127.0.0.1"]);

    // The master lists the sub-account's keys.
    let keys = sub_keys(&client, &master, &sub).await;
    assert!(keys.iter().any(|k| k.key == bot.key));

    // Open orders in every instrument type, with the cursor walked to an empty page.
    let open = open_orders(&client, venue.segments(), &bot).await;
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.symbol == "BTC-USDT-SWAP"));
    assert!(open.iter().any(|o| o.symbol == "XVG-USDT"));

    // Order history: the last 7 days, and the archive for the week before (empty here).
    let week = last_days(now, 7);
    let history = orders(&client, venue.segments(), &bot, week).await;
    // Completed orders only, without the one cancelled unfilled more than 2 hours ago.
    let completed = inspect
        .orders
        .iter()
        .filter(|o| o.uid == uid && !o.is_open())
        .filter(|o| !(o.status == "Cancelled" && o.cum_exec_qty == "0"))
        .count();
    assert_eq!(history.len(), completed);
    let earlier = last_days(week.start_ms, 7);
    let archive = client
        .call(
            &Op::Orders {
                segment: spot(),
                window: earlier,
                cursor: None,
            },
            Auth::Key(&bot),
        )
        .await
        .unwrap()
        .into_orders()
        .unwrap();
    assert!(archive.items.is_empty());

    // Fills: the last 3 days (`fills`) and before (`fills-history`).
    let mut fills_read = Vec::new();
    for window in Window::split(
        week.start_ms,
        week.end_ms,
        i64::try_from(
            venue
                .max_window(lockdown::exchanges::History::Fills)
                .as_millis(),
        )
        .unwrap(),
    ) {
        fills_read.extend(fills(&client, venue.segments(), &bot, window).await);
    }
    assert_eq!(fills_read.len(), executions_of(&inspect, uid));

    money_of_the_month(&client, &bot, &master, now, &sub).await;

    // Trade as the bot: place, cancel one; a sub-account key cannot withdraw.
    let refusals = Refusals {
        cancelled_again: "51400",
        withdrawal: "59504",
    };
    trade_as_the_bot(&client, &bot, &master, "BTC-USDT", &refusals).await;

    // Lock: the key is bound to the responder; the attacker's address is refused at once.
    let locked = lock_to_the_responder(&client, &master, &sub, &bot.key).await;
    assert_eq!(locked.permissions, ["read_only", "trade"], "perm kept");
    let from_attacker = okx_call(
        &lab.running.base_url,
        attacker_ip(),
        (
            bot.key.as_str(),
            &read(&lab.sim_dir().join("bot.secret")),
            &read(&lab.sim_dir().join("bot.passphrase")),
        ),
        "GET",
        "/api/v5/account/config",
        "",
    )
    .await;
    assert_eq!(from_attacker, (401, "50110".to_owned()));

    // No cancel-all on OKX: list, then cancel in batches of at most 20, per segment.
    no_cancel_all(&client, &bot, spot()).await;
    // Algo orders (the spot listing's last pages) go to `cancel-algos`, at most 10 a request.
    for segment in venue.segments() {
        let open = open_orders(&client, std::slice::from_ref(segment), &bot).await;
        let (algo, ordinary): (Vec<_>, Vec<_>) =
            open.iter().partition(|o| venue.batch_route(o).is_some());
        let mut batches: Vec<(Segment, Vec<_>)> = ordinary
            .chunks(20)
            .map(|chunk| (*segment, chunk.to_vec()))
            .collect();
        for chunk in algo.chunks(10) {
            batches.push((venue.batch_route(chunk[0]).unwrap().0, chunk.to_vec()));
        }
        for (to, chunk) in batches {
            let cancelled = cancel_batch(&client, &bot, to, refs(chunk.iter().copied())).await;
            assert_eq!(cancelled.len(), chunk.len());
        }
    }
    assert!(lab.sim.inspect().open_orders(uid).is_empty());

    // A replacement key: read and trade, no withdraw, bound; its passphrase comes back.
    let created = create_key(
        &client,
        &master,
        &sub,
        "it-replacement",
        &[TradePermission::SpotTrade],
        &["127.0.0.1"],
    )
    .await;
    assert!(!created.info.can_withdraw());
    assert_eq!(created.info.ips, ["127.0.0.1"]);
    let passphrase = created
        .passphrase
        .clone()
        .expect("OKX keys have a passphrase");
    let fresh = Credential::new(created.info.key.clone(), created.secret.clone())
        .with_passphrase(passphrase);
    who_am_i(&client, &fresh).await;

    // Revoke: the old key is refused as unknown, and unlisted.
    revoke_twice(&client, &master, &sub, &bot, "50119", "59506").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_get_clear_errors() {
    let lab = Lab::start_on(ExchangeId::Okx, 52).await;
    let (master, bot) = creds(&lab);
    let client = lab.client();

    // Wrong passphrase: 50105, said as such.
    let wrong = Credential::new(
        bot.key.clone(),
        SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
    )
    .with_passphrase(SecretString::from("Not-the-one1".to_owned()));
    let err = refused_who_am_i(&client, &wrong).await;
    assert!(
        matches!(err, ExchangeError::Passphrase { ref code, .. } if code == "50105"),
        "{err:?}"
    );
    assert!(err.to_string().contains("passphrase"), "{err}");
    assert!(err.hint().unwrap().contains("passphrase"));
    // No passphrase at all: 50104.
    let none = Credential::new(
        bot.key.clone(),
        SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
    );
    let err = refused_who_am_i(&client, &none).await;
    assert_eq!(err.code(), Some("50104"));
    // Wrong secret: 50113.
    let forged = Credential::new(bot.key.clone(), SecretString::from("nope".to_owned()))
        .with_passphrase(SecretString::from(read(
            &lab.sim_dir().join("bot.passphrase"),
        )));
    let err = refused_who_am_i(&client, &forged).await;
    assert!(matches!(err, ExchangeError::Signature { .. }), "{err:?}");
    // A key never issued: 50111.
    let stranger = Credential::new(
        KeyId::new("00000000-0000-4000-8000-000000000000"),
        SecretString::from("s".to_owned()),
    )
    .with_passphrase(SecretString::from("Pass1!word".to_owned()));
    let err = refused_who_am_i(&client, &stranger).await;
    assert!(
        err.is_unauthenticated() && err.code() == Some("50111"),
        "{err:?}"
    );
    // A sub-account key cannot manage keys: 59500.
    bot_cannot_manage_keys(&client, &bot, lab.account(), "59500").await;

    // The master key bound to no address: key management is refused with 50035, said clearly.
    assert!(lab.sim.set_key_ips(master.key.as_str(), &[]));
    let lock = lock_to(&["127.0.0.1"], Access::Unchanged);
    let err = restrict_key(&client, &master, &lab.account(), &bot.key, lock)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExchangeError::KeyNotIpBound { ref code } if code == "50035"),
        "{err:?}"
    );
    // Through `lockdown respond`: stopped before containment (exit 3), with what to do.
    let output = lab.respond(&["--yes"]).await;
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("50035"), "{text}");
    assert!(text.contains("bound to IP addresses"), "{text}");
    assert!(text.contains("bind the master API key"), "{text}");
    // The leaked key was not touched.
    let inspect = lab.sim.inspect();
    assert_eq!(inspect.key(&lab.leaked()).unwrap().ips, ["*"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_leaked_okx_key() {
    let lab = Lab::start_on(ExchangeId::Okx, 53).await;
    let leaked = lab.leaked();
    let dir = lab.sim_dir();
    let stolen = (
        leaked.as_str(),
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    );
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).unwrap().uid;
    assert!(!before.open_orders(bot_uid).is_empty());
    // The attacker's address works before the response.
    let probe = || {
        okx_call(
            &lab.running.base_url,
            attacker_ip(),
            (stolen.0, &stolen.1, &stolen.2),
            "GET",
            "/api/v5/trade/orders-pending?instType=SPOT",
            "",
        )
    };
    assert_eq!(probe().await, (200, "0".to_owned()));

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);

    // The attacker is refused from 127.0.0.2 (the key is gone), and so is the responder.
    let (_, refused) = probe().await;
    assert_eq!(refused, "50119");
    let after = lab.sim.inspect();
    assert!(after.open_orders(bot_uid).is_empty());
    assert!(after.key(&leaked).is_none_or(|k| k.deleted));
    // The lock was the response's first signed request.
    assert_first_signed(&before, &after, "/api/v5/users/subaccount/modify-apikey");

    // The replacement: on the bot's sub-account, no withdraw, bound, passphrase stored.
    let replacement = lab.replacement();
    let new_id = replacement["api_key"].as_str().unwrap();
    let new_key = after.key(new_id).unwrap();
    assert_eq!(new_key.uid, bot_uid);
    assert!(!new_key.deleted);
    assert_eq!(new_key.ips, ["127.0.0.1"]);
    let perms = new_key.permissions.to_string();
    assert!(!perms.contains("withdraw"), "{perms}");
    let passphrase = replacement["api_passphrase"].as_str().unwrap();
    assert!(lockdown::exchanges::okx::passphrase_is_valid(passphrase));
    let new_secret = replacement["api_secret"].as_str().unwrap();
    let new_key_from = |from| {
        okx_call(
            &lab.running.base_url,
            from,
            (new_id, new_secret, passphrase),
            "GET",
            "/api/v5/account/config",
            "",
        )
    };
    assert_eq!(new_key_from(responder_ip()).await, (200, "0".to_owned()));
    // From the attacker's address the new key is refused: it is IP-bound.
    let elsewhere = new_key_from(attacker_ip()).await;
    assert_eq!(elsewhere.1, "50110");

    // The report lists exactly the attacker's orders, by OKX id and instrument.
    let report = report_of(&summary);
    assert_eq!(unauthorized_ids(&report), before.attacker_order_ids());
    assert!(
        report["unauthorized"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["symbol"].as_str().unwrap().contains('-'))
    );
    // Nothing secret in what the run wrote.
    let run_dir = run_dir(&summary);
    assert_run_wrote_none_of(
        &run_dir,
        &output,
        &[stolen.1.as_str(), stolen.2.as_str(), passphrase],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn skewed_clocks_and_short_pages_are_survived() {
    let lab = Lab::start_on(ExchangeId::Okx, 56).await;
    let (_, bot) = creds(&lab);
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    // The exchange's clock runs a minute ahead: the first call meets 50102, the client resyncs
    // from `public/time` and the call goes through.
    lab.sim.set_clock_skew_ms(60_000);
    let client = lab.client();
    client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap();
    let log = lab.sim.inspect().access_log;
    assert!(log.iter().any(|e| e.ret_code == Some(50102)));
    // Every page cut short: walking `after` the last id to an empty page still sees every order.
    lab.sim
        .set_faults(lockdown::sim::Faults::parse("short=1,skew=60s").unwrap());
    let open = open_orders(&client, client.venue().segments(), &bot).await;
    let inspect = lab.sim.inspect();
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    let ids: BTreeSet<&str> = open.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids.len(), open.len(), "no order twice");
    assert!(
        inspect
            .access_log
            .iter()
            .any(|e| e.fault == Some(lockdown::sim::FaultKind::ShortPage))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dead_man_switch_arms_disarms_and_fires() {
    let lab = Lab::start_on(ExchangeId::Okx, 57).await;
    let (master, bot) = creds(&lab);
    let dir = lab.sim_dir();
    let client = lab.client();
    client.resync().await.unwrap();
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    // Ordinary orders: algo orders (a trigger price) are not the switch's (see the end).
    let ordinary = |o: &&lockdown::sim::OrderView| o.trigger_price.is_none();
    let open_before: Vec<(String, String)> = lab
        .sim
        .inspect()
        .open_orders(uid)
        .into_iter()
        .filter(ordinary)
        .map(|o| (o.order_id.clone(), o.category.clone()))
        .collect();
    assert!(open_before.iter().any(|(_, category)| category != "spot"));
    let open_now = || {
        lab.sim
            .inspect()
            .open_orders(uid)
            .into_iter()
            .filter(ordinary)
            .count()
    };
    let path = "/api/v5/trade/cancel-all-after";

    // OKX takes 0 or 10 to 120 seconds (docs/venues/okx.md §5): the simulator answers `51000` to
    // anything else, each key's account once a second.
    let (bot_secret, bot_passphrase) = (
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    );
    let (master_secret, master_passphrase) = (
        read(&dir.join("master.secret")),
        read(&dir.join("master.passphrase")),
    );
    let bot_raw = (
        bot.key.as_str(),
        bot_secret.as_str(),
        bot_passphrase.as_str(),
    );
    let master_raw = (
        master.key.as_str(),
        master_secret.as_str(),
        master_passphrase.as_str(),
    );
    let arm = |key, body| {
        okx_call(
            &lab.running.base_url,
            responder_ip(),
            key,
            "POST",
            path,
            body,
        )
    };
    let too_short = arm(bot_raw, r#"{"timeOut":"5"}"#);
    assert_eq!(too_short.await, (400, "51000".to_owned()));
    let too_long = arm(master_raw, r#"{"timeOut":"121"}"#);
    assert_eq!(too_long.await, (400, "51000".to_owned()));
    // The adapter refuses them before anything is sent.
    let sent = lab.sent();
    for seconds in [5, 121] {
        let err = client
            .call(&Op::CancelAfter { seconds }, Auth::Key(&bot))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::OutOfRange { venue: "okx", .. }),
            "{seconds}: {err:?}"
        );
    }
    assert_eq!(lab.sent(), sent, "nothing was sent");

    // Armed for a minute: the trigger time is a minute ahead on the exchange's clock. The
    // endpoint's 1 request a second is waited out by the client.
    armed_for(&client, &bot, 60).await;
    // Disarmed: a minute later nothing has been cancelled. The exchange's clock jumps ahead
    // (the client meets `50102` once and resyncs), and any request lets due switches fire.
    assert_eq!(cancel_after(&client, &bot, 0).await, None);
    lab.sim.set_clock_skew_ms(61_000);
    client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap();
    assert_eq!(open_now(), open_before.len());

    // Armed for the shortest time, then 11 seconds pass: every open order of the account is
    // cancelled, in every instrument type.
    armed_for(&client, &bot, 10).await;
    assert_eq!(open_now(), open_before.len());
    lab.sim.set_clock_skew_ms(72_000);
    // What is left is the algo orders: the simulator's switch leaves them, as OKX documents
    // `cancel-all-after` for order-book orders only; `cancel_orders` cancels them.
    let open = open_orders(&client, client.venue().segments(), &bot).await;
    assert!(
        !open.is_empty() && open.iter().all(|o| o.status == OrderStatus::Untriggered),
        "{open:?}"
    );
    let after = lab.sim.inspect();
    assert_eq!(after.open_orders(uid).len(), open.len());
    assert_eq!(open_now(), 0);
    for (id, category) in &open_before {
        let order = after.order(id).unwrap();
        assert_eq!(order.status, "Cancelled", "{category} order {id}");
    }
}

/// Places one algo order as the bot, from the responder's address; returns OKX's `code`.
async fn place_algo(lab: &Lab, body: &str) -> String {
    let dir = lab.sim_dir();
    let key = lab.leaked();
    let (secret, passphrase) = (
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    );
    let (_, code) = okx_call(
        &lab.running.base_url,
        responder_ip(),
        (key.as_str(), &secret, &passphrase),
        "POST",
        "/api/v5/trade/order-algo",
        body,
    )
    .await;
    code
}

#[tokio::test(flavor = "multi_thread")]
async fn algo_orders_are_listed_by_type_and_cancelled_ten_at_a_time() {
    let lab = Lab::start_on(ExchangeId::Okx, 61).await;
    let (_, bot) = creds(&lab);
    let client = lab.client();
    client.resync().await.unwrap();
    let venue = client.venue();
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    let waiting = |inspect: &lockdown::sim::Inspect| -> BTreeSet<String> {
        inspect
            .open_orders(uid)
            .into_iter()
            .filter(|o| {
                ["trigger", "conditional", "oco", "move_order_stop"]
                    .contains(&o.order_type.as_str())
            })
            .map(|o| o.order_id.clone())
            .collect()
    };
    // The default incident's attacker left two (a spot trigger order, a swap stop-loss).
    assert_eq!(waiting(&lab.sim.inspect()).len(), 2);

    // Ten more, of four types, on spot and the swap: twelve in all.
    let bodies = [
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"trigger","sz":"0.01","triggerPx":"50000","orderPx":"-1"}"#,
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"trigger","sz":"0.01","triggerPx":"70000","orderPx":"70100"}"#,
        r#"{"instId":"ETH-USDT","tdMode":"cash","side":"sell","ordType":"trigger","sz":"0.5","triggerPx":"2500","orderPx":"-1"}"#,
        r#"{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"conditional","sz":"1","slTriggerPx":"55000"}"#,
        r#"{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"buy","ordType":"conditional","sz":"1","tpTriggerPx":"50000"}"#,
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"oco","sz":"0.01","tpTriggerPx":"80000","slTriggerPx":"50000"}"#,
        r#"{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"oco","sz":"2","tpTriggerPx":"80000","slTriggerPx":"50000"}"#,
        r#"{"instId":"BTC-USDT-SWAP","tdMode":"cross","side":"sell","ordType":"move_order_stop","sz":"1","callbackRatio":"0.05"}"#,
        r#"{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"move_order_stop","sz":"0.01","callbackSpread":"500","activePx":"68000"}"#,
        r#"{"instId":"ETH-USDT","tdMode":"cash","side":"sell","ordType":"conditional","sz":"0.5","slTriggerPx":"2000"}"#,
    ];
    for body in bodies {
        assert_eq!(place_algo(&lab, body).await, "0", "{body}");
    }
    // Refused: a type the simulator does not place, a trigger order without its price.
    let twap = r#"{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"twap","sz":"1"}"#;
    assert_eq!(place_algo(&lab, twap).await, "51000");
    let bare = r#"{"instId":"BTC-USDT","tdMode":"cash","side":"sell","ordType":"trigger","sz":"1","orderPx":"-1"}"#;
    assert_eq!(place_algo(&lab, bare).await, "50014");
    let placed = waiting(&lab.sim.inspect());
    assert_eq!(placed.len(), 12);

    // The list needs `ordType`: one type, or `conditional,oco` together (OKX docs).
    let dir = lab.sim_dir();
    let (secret, passphrase) = (
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    );
    let leaked = lab.leaked();
    let list = |query: &'static str| {
        let (secret, passphrase, leaked) = (secret.clone(), passphrase.clone(), leaked.clone());
        let base = lab.running.base_url.clone();
        async move {
            okx_call(
                &base,
                responder_ip(),
                (leaked.as_str(), &secret, &passphrase),
                "GET",
                &format!("/api/v5/trade/orders-algo-pending{query}"),
                "",
            )
            .await
            .1
        }
    };
    assert_eq!(list("").await, "50014");
    assert_eq!(list("?ordType=trigger,oco").await, "51000");
    assert_eq!(list("?ordType=limit").await, "51000");
    assert_eq!(list("?ordType=conditional,oco").await, "0");
    // `cancel-algos` names at most 10.
    let eleven: Vec<String> = placed
        .iter()
        .take(11)
        .map(|id| format!(r#"{{"algoId":"{id}","instId":"BTC-USDT"}}"#))
        .collect();
    let (_, code) = okx_call(
        &lab.running.base_url,
        responder_ip(),
        (leaked.as_str(), &secret, &passphrase),
        "POST",
        "/api/v5/trade/cancel-algos",
        &format!("[{}]", eleven.join(",")),
    )
    .await;
    assert_eq!(code, "51000");

    // The adapter lists them all, each type from its own page, as untriggered orders.
    let open = open_orders(&client, venue.segments(), &bot).await;
    let algo: Vec<_> = open
        .iter()
        .filter(|o| o.status == OrderStatus::Untriggered)
        .collect();
    let listed: BTreeSet<String> = algo.iter().map(|o| o.order_id.clone()).collect();
    assert_eq!(listed, placed);
    let types: BTreeSet<&str> = algo.iter().map(|o| o.order_type.as_str()).collect();
    assert_eq!(
        types,
        BTreeSet::from(["conditional", "move_order_stop", "oco", "trigger"])
    );
    assert!(algo.iter().all(|o| venue.batch_route(o).is_some()));
    assert!(algo.iter().any(|o| o.category == Category::Linear));

    // `lockdown respond`: every algo order cancelled, twelve in two `cancel-algos` requests.
    let mark = lab.sent();
    let output = lab.respond(&["--yes", "--json"]).await;
    contained(&output);
    let after = lab.sim.inspect();
    assert!(waiting(&after).is_empty());
    assert!(after.open_orders(uid).is_empty());
    for id in &placed {
        assert_eq!(after.order(id).unwrap().status, "Cancelled", "{id}");
    }
    let cancels: Vec<_> = lab
        .sent_since(mark)
        .into_iter()
        .filter(|e| e.path == "/api/v5/trade/cancel-algos")
        .collect();
    assert_eq!(cancels.len(), 2, "{cancels:?}");
    assert!(cancels.iter().all(|e| e.ret_code == Some(0)), "{cancels:?}");
    // The listing read algo orders too.
    assert!(
        lab.sent_since(mark)
            .iter()
            .any(|e| e.path == "/api/v5/trade/orders-algo-pending")
    );
}

/// The funding account is read with the trading account, each balance naming its account, and
/// the algo orders that no longer wait (here: the attacker's, cancelled) are read with the order
/// history (issue 13 #9: `asset/balances` and `orders-algo-history` were never read).
#[tokio::test(flavor = "multi_thread")]
async fn funding_balances_and_algo_history_are_read() {
    let lab = Lab::start_on(ExchangeId::Okx, 53).await;
    let (_, bot) = creds(&lab);
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let venue = client.venue();

    let balances = client
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap()
        .into_balances()
        .unwrap();
    let funding: Vec<_> = balances
        .iter()
        .filter(|b| b.account.as_deref() == Some("funding"))
        .map(|b| (b.coin.as_str(), b.total.as_str()))
        .collect();
    assert_eq!(funding, [("USDT", "250")], "{balances:?}");
    assert!(
        balances
            .iter()
            .filter(|b| b.account.as_deref() != Some("funding"))
            .all(|b| b.account.as_deref() == Some("trading")),
        "{balances:?}"
    );

    let open = open_orders(&client, venue.segments(), &bot).await;
    let algo: Vec<_> = open
        .iter()
        .filter(|o| venue.batch_route(o).is_some())
        .collect();
    assert_eq!(algo.len(), 2, "the default incident's trigger and stop");
    let to = venue.batch_route(algo[0]).unwrap().0;
    assert_eq!(
        cancel_batch(&client, &bot, to, refs(algo.iter().copied()))
            .await
            .len(),
        2
    );
    let history = orders(&client, venue.segments(), &bot, last_days(now, 7)).await;
    for cancelled in &algo {
        let found = history
            .iter()
            .find(|o| o.order_id == cancelled.order_id)
            .unwrap_or_else(|| panic!("{} not in the history", cancelled.order_id));
        assert_eq!(found.status, OrderStatus::Cancelled);
        assert_eq!(found.order_type, cancelled.order_type);
    }
    let read = lab
        .sim
        .inspect()
        .access_log
        .iter()
        .filter(|e| e.path == "/api/v5/trade/orders-algo-history" && e.accepted())
        .count();
    // Each of the 7 algo pages in each of the 3 states, and a second page after the two that
    // listed an order (the limit of 20 a 2 s may refuse some on the way: waited out).
    assert_eq!(read, 7 * 3 + 2);
}
