//! Kraken Spot end to end: the adapter against the simulator's Kraken dialect over real HTTP for
//! every operation, the exchange's refusals typed (key, signature, nonce, IP, permission, rate
//! limit), nonces that keep rising across processes, `lockdown respond` waiting at the guided
//! revoke without a terminal and `lockdown resume` verifying it once a person deleted the key,
//! and every shipped drill with the simulated operator's delay in its time to contain.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use lockdown::exchanges::model::{Category, Side, TransferKind};
use lockdown::exchanges::{
    Auth, ExchangeError, ExchangeId, NewOrder, Nonces, Op, OrderKind, QtyUnit, Revoke, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::adapter::steps::refused_who_am_i;
use crate::adapter::{
    armed_for, balances, cancel_after, cancel_order, executions_of, fills, limit_buy, open_orders,
    orders, place, spot, transfers, usdt_withdrawal, who_am_i, withdrawals,
};
use crate::support::{
    DAY_MS, Lab, attacker_ip, contained, files_under, journal_of, lockdown, raw_client, read,
    report_of, responder_ip, stderr, stdout, step_status, unauthorized_ids, waiting_for_a_person,
};

async fn lab(seed: u64) -> Lab {
    Lab::start_on(ExchangeId::Kraken, seed).await
}

/// A signed Kraken request from a chosen address with a chosen nonce, as an outside client would
/// send it (signed with the adapter's published-vector-checked signer). Returns `error[0]`, or
/// `ok`.
async fn kraken_call(
    base_url: &str,
    from: IpAddr,
    key: (&str, &str),
    method: &str,
    nonce: u64,
    params: &str,
) -> String {
    let body = kraken_answer(base_url, from, key, method, nonce, params).await;
    body["error"][0].as_str().unwrap_or("ok").to_owned()
}

/// [`kraken_call`]'s whole answer.
async fn kraken_answer(
    base_url: &str,
    from: IpAddr,
    (key, secret): (&str, &str),
    method: &str,
    nonce: u64,
    params: &str,
) -> Value {
    let client = raw_client(from);
    let path = format!("/0/private/{method}");
    let body = if params.is_empty() {
        format!("nonce={nonce}")
    } else {
        format!("nonce={nonce}&{params}")
    };
    let sign = lockdown::exchanges::kraken::sign_message(
        &SecretString::from(secret.to_owned()),
        &lockdown::exchanges::kraken::message(&path, &nonce.to_string(), &body),
    );
    let response = client
        .post(format!("{base_url}{path}"))
        .header("API-Key", key)
        .header("API-Sign", sign)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "Kraken answers refusals with 200"
    );
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap()
}

/// A nonce for a raw request: above `last` and a little above the clock, so above whatever a
/// client drew from its clock just before.
fn fresh(last: &mut u64) -> u64 {
    *last = (*last + 1).max(now_ms() + 20);
    *last
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips() {
    let lab = lab(61).await;
    // The profile's `master` is the owner's own key.
    let (owner, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let venue = client.venue();
    let inspect = lab.sim.inspect();
    let uid = inspect.key(&lab.leaked()).unwrap().uid;
    assert_eq!(
        inspect.key(owner.key.as_str()).unwrap().uid,
        uid,
        "Kraken keys share the account"
    );

    // GetApiKeyInfo describes the calling key: the bot's trades and cannot withdraw.
    let me = who_am_i(&client, &bot).await;
    assert_eq!(me.key, bot.key);
    assert!(!me.read_only && !me.can_withdraw());
    assert!(me.permissions.iter().any(|p| p == "modify-trades"));
    assert!(me.ips.is_empty());
    let boss = who_am_i(&client, &owner).await;
    assert_eq!(boss.ips, ["127.0.0.1"]);
    assert!(boss.permissions.iter().any(|p| p == "close-trades"));

    // Open orders: one list, pairs by altname, the owner's key sees the account's orders.
    let open = open_orders(&client, &[spot()], &owner).await;
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.symbol == "XVGUSDT"));
    assert!(open.iter().any(|o| o.symbol == "XBTUSDT"));

    // Place 60 limit orders far from the price and cancel them one by one (trading calls are
    // not on the REST counter), so that closed orders take two pages of 50.
    let xbt = venue.symbol(Category::Spot, "BTC", "USDT");
    assert_eq!(xbt, "XBTUSDT");
    for _ in 0..60 {
        let id = place(&client, &bot, limit_buy(spot(), &xbt, 1_000.0, 0.001))
            .await
            .unwrap();
        assert!(id.starts_with('O') && id.len() == 19, "{id}");
        cancel_order(&client, &bot, spot(), &xbt, &id)
            .await
            .unwrap();
    }
    // Ends a minute ahead: the client's estimate of the exchange clock can trail it by a
    // loaded machine's round trip, and the orders just cancelled must all fall inside.
    let week = Window {
        start_ms: now - 7 * DAY_MS,
        end_ms: client.clock().now_ms() + 60_000,
    };
    let inspect = lab.sim.inspect();
    let closed = orders(&client, &[spot()], &owner, week).await;
    let want = inspect
        .orders
        .iter()
        .filter(|o| o.uid == uid && !o.is_open())
        .count();
    assert!(want > 50);
    assert_eq!(closed.len(), want);
    let ids: BTreeSet<&str> = closed.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids.len(), want, "no order twice across pages");

    // Fills, balances (with what orders hold), withdrawals, deposits then ledger transfers.
    let fills = fills(&client, &[spot()], &owner, week).await;
    assert_eq!(fills.len(), executions_of(&inspect, uid));
    let balances = balances(&client, &owner).await;
    let usdt = balances.iter().find(|b| b.coin == "USDT").unwrap();
    assert!(!usdt.locked.is_zero(), "open buys hold USDT");
    assert!(balances.iter().any(|b| b.coin == "BTC"), "XXBT read as BTC");
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: client.clock().now_ms(),
    };
    let withdrawals = withdrawals(&client, &owner, month).await;
    assert!(withdrawals.is_empty(), "the bot's account withdrew nothing");
    let transfers = transfers(&client, &owner, month).await;
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].kind, TransferKind::Internal);
    assert_eq!(transfers[0].amount.as_str(), "5000");

    // A market buy counted in the quote coin (`viqc`) fills against the book.
    let market = NewOrder {
        segment: spot(),
        symbol: "XVGUSDT".into(),
        side: Side::Buy,
        kind: OrderKind::Market,
        qty: 10.0,
        unit: QtyUnit::Quote,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let bought = place(&client, &bot, market).await.unwrap();
    let view = lab.sim.inspect();
    let order = view.orders.iter().find(|o| o.order_id == bought).unwrap();
    assert_eq!(order.qty_unit, "quote");
    assert_eq!(order.status, "Filled");
    // Cancelling what is gone: Kraken's `EOrder:Unknown order`.
    let gone = cancel_order(&client, &bot, spot(), "XVGUSDT", &bought)
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Some("EOrder:Unknown order"));

    // The bot's key cannot withdraw; the owner's key cannot either.
    let withdraw = usdt_withdrawal("cold");
    for key in [&bot, &owner] {
        let err = client.call(&withdraw, Auth::Key(key)).await.unwrap_err();
        assert!(
            matches!(err, ExchangeError::Permission { ref code, .. } if code == "EGeneral:Permission denied"),
            "{err:?}"
        );
    }

    // The dead-man switch, armed and disarmed with the owner's key.
    armed_for(&client, &owner, 60).await;
    assert_eq!(cancel_after(&client, &owner, 0).await, None);

    // CancelAll with the owner's key cancels every order of the account, the bot's key's too.
    let open_before = lab.sim.inspect().open_orders(uid).len();
    assert!(open_before > 0);
    let cancelled = client
        .call(&Op::CancelAll { segment: spot() }, Auth::Key(&owner))
        .await
        .unwrap()
        .into_cancelled()
        .unwrap();
    assert_eq!(cancelled.len(), open_before);
    assert!(lab.sim.inspect().open_orders(uid).is_empty());

    // No key management by API: refused before anything is sent.
    let before = lab.sent();
    let refused = client
        .call(&Op::RevokeKey(Revoke::SelfSub), Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        ExchangeError::Unsupported {
            venue: "kraken",
            ..
        }
    ));
    assert_eq!(lab.sent(), before);

    // Deleted in the web interface: the old key is refused as unauthenticated.
    assert!(lab.sim.web_ui_delete_key(bot.key.as_str()));
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    assert_eq!(err.code(), Some("EAPI:Invalid key"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_typed() {
    let lab = lab(62).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    let base = lab.running.base_url.clone();
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    let owner_secret = read(&lab.sim_dir().join("master.secret"));

    // A wrong secret: `EAPI:Invalid signature`; a key never issued: `EAPI:Invalid key`.
    let forged = Credential::new(
        bot.key.clone(),
        SecretString::from("bm90IHRoZSBzZWNyZXQ=".to_owned()),
    );
    let err = refused_who_am_i(&client, &forged).await;
    assert!(matches!(err, ExchangeError::Signature { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("secret"));
    let stranger = Credential::new(
        KeyId::new("AAAA"),
        SecretString::from("QUFBQQ==".to_owned()),
    );
    let err = refused_who_am_i(&client, &stranger).await;
    assert!(err.is_unauthenticated(), "{err:?}");

    // Permissions: the bot key reads no ledger, the owner's key places no order.
    let ledger = Op::Transfers {
        window: Window {
            start_ms: 0,
            end_ms: i64::try_from(now_ms()).unwrap(),
        },
        cursor: Some("l:0".into()),
    };
    let err = client.call(&ledger, Auth::Key(&bot)).await.unwrap_err();
    assert!(matches!(err, ExchangeError::Permission { .. }), "{err:?}");
    let order = limit_buy(spot(), "XBTUSDT", 1_000.0, 0.001);
    let err = place(&client, &owner, order).await.unwrap_err();
    assert_eq!(err.code(), Some("EGeneral:Permission denied"));

    // The owner's key is bound to the responder: from the attacker's address it is refused,
    // and never as an unknown key (a restricted key is not a deleted one).
    let owner_key = (owner.key.as_str(), owner_secret.as_str());
    let mut last = 0;
    assert_eq!(
        kraken_call(
            &base,
            attacker_ip(),
            owner_key,
            "Balance",
            fresh(&mut last),
            ""
        )
        .await,
        "EGeneral:Permission denied"
    );

    // The call counter: a burst past 20 points is refused, typed as a rate limit with a wait.
    let mut refused = 0;
    for _ in 0..30 {
        let nonce = fresh(&mut last);
        let answer =
            kraken_call(&base, responder_ip(), owner_key, "GetApiKeyInfo", nonce, "").await;
        if answer == "EAPI:Rate limit exceeded" {
            refused += 1;
        }
    }
    assert!(refused >= 5, "{refused} refused");
    // The client's next nonce comes from its clock: let the clock pass the raw ones.
    while now_ms() <= last {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let impatient = lab.client().with_rate_limit_waits(0);
    let err = impatient
        .call(&Op::WhoAmI, Auth::Key(&owner))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ExchangeError::RateLimited {
            code: "EAPI:Rate limit exceeded".into(),
            reset_ms: None,
            retry_after_ms: Some(3_000),
        }
    );

    // Another program with the key (the attacker holding it) got a nonce seconds ahead of the
    // clock in first: the client is refused, moves the key's nonces ahead of the clock (1 s,
    // then 2 s, then 4 s) and gets through, where drawing from the clock again would be refused
    // every time.
    let key = (bot.key.as_str(), bot_secret.as_str());
    let burst = now_ms() + 2_500;
    assert_eq!(
        kraken_call(&base, attacker_ip(), key, "GetApiKeyInfo", burst, "").await,
        "ok"
    );
    let me = client.call(&Op::WhoAmI, Auth::Key(&bot)).await;
    assert!(me.is_ok(), "{me:?}");

    // A nonce not above the key's last: `EAPI:Invalid nonce`. A client whose nonces come from
    // a clock far behind it is refused, draws higher ones, and gives up typed.
    let high = now_ms() + 60_000;
    assert_eq!(
        kraken_call(&base, responder_ip(), key, "GetApiKeyInfo", high, "").await,
        "ok"
    );
    assert_eq!(
        kraken_call(&base, responder_ip(), key, "GetApiKeyInfo", high, "").await,
        "EAPI:Invalid nonce"
    );
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(
        matches!(err, ExchangeError::Nonce { ref code } if code == "EAPI:Invalid nonce"),
        "{err:?}"
    );
    assert!(err.hint().unwrap().contains("nonce window"));
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_waits_for_the_person_and_resume_verifies_the_deleted_key() {
    let lab = lab(63).await;
    let leaked = lab.leaked();
    let (owner, _) = lab.creds();
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).unwrap().uid;
    assert!(!before.open_orders(bot_uid).is_empty());

    // No terminal and no `--yes`: the response starts, cancels with the owner's key, documents
    // the leaked key, and stops at the guided revoke, pending.
    let output = lab.respond(&["--json"]).await;
    let summary = waiting_for_a_person(
        &output,
        "revoke",
        &[
            "Delete the leaked API key in Kraken's web interface",
            "https://pro.kraken.com/app/settings/api",
        ],
    );
    assert_eq!(step_status(&summary, "cancel"), "ok");
    assert_eq!(step_status(&summary, "key_info"), "ok");
    assert_eq!(step_status(&summary, "sweep"), "not_run");
    assert_eq!(step_status(&summary, "report"), "ok");
    let middle = lab.sim.inspect();
    assert!(middle.open_orders(bot_uid).is_empty(), "cancelled at once");
    assert!(
        middle.key(&leaked).is_some_and(|k| !k.deleted),
        "only a person deletes it"
    );
    assert!(!middle.access_log.iter().any(|e| e.path.contains("Delete")));

    // The owner's key's last nonce is kept under the profile's state dir.
    let nonces = Nonces::persisted(lab.sim_dir().join("state").join("nonces"));
    let file = nonces.file(owner.key.as_str()).unwrap();
    let first: u64 = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    // Another lockdown process used the owner's key with nonces an hour ahead (a clock set
    // wrong): the exchange saw it, and so did the shared file. The next process must go above.
    let ahead = first.max(now_ms()) + 3_600_000;
    let owner_secret = read(&lab.sim_dir().join("master.secret"));
    let answer = kraken_call(
        &lab.running.base_url,
        responder_ip(),
        (owner.key.as_str(), &owner_secret),
        "GetApiKeyInfo",
        ahead,
        "",
    )
    .await;
    assert_eq!(answer, "ok");
    std::fs::write(&file, ahead.to_string()).unwrap();

    // The person deletes the key in the web interface; `resume --yes` verifies it (Kraken
    // refuses the old key) and finishes the run, contained.
    assert!(lab.sim.web_ui_delete_key(&leaked));
    let run_dir = summary["run_dir"].as_str().unwrap().to_owned();
    let resumed = lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await;
    contained(&resumed);
    let after_nonce: u64 = std::fs::read_to_string(&file).unwrap().parse().unwrap();
    assert!(
        after_nonce > ahead,
        "the resumed process drew above the shared nonce"
    );
    let journal = journal_of(&summary);
    assert!(
        journal.contains("EAPI:Invalid key"),
        "the refusal is the evidence"
    );
    assert!(
        !journal.contains("EAPI:Invalid nonce"),
        "no nonce was ever refused"
    );

    // The exchange: key gone, nothing open, the dead-man switch armed by the owner's key.
    let after = lab.sim.inspect();
    assert!(after.key(&leaked).is_some_and(|k| k.deleted));
    assert!(after.open_orders(bot_uid).is_empty());
    let reported = unauthorized_ids(&report_of(&summary));
    assert_eq!(reported, before.attacker_order_ids());
    // The report documents the leaked key as Kraken described it, and the replacement made by
    // hand.
    let markdown = std::fs::read_to_string(Path::new(&run_dir).join("report.md")).unwrap();
    assert!(
        markdown.contains("## The key, as the exchange described it"),
        "{markdown}"
    );
    assert!(markdown.contains("modify-trades"), "{markdown}");
    assert!(
        markdown.contains("Replacement key created by hand (--yes)"),
        "{markdown}"
    );

    // No secret in anything either run wrote or printed.
    let secrets = [read(&lab.sim_dir().join("bot.secret")), owner_secret];
    let mut texts = vec![
        stdout(&output),
        stderr(&output),
        stdout(&resumed),
        stderr(&resumed),
    ];
    for file in files_under(Path::new(&run_dir)) {
        texts.push(std::fs::read_to_string(&file).unwrap_or_default());
    }
    for text in &texts {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret leaked");
        }
    }
}

/// `validate=true` checks an order and places nothing (Kraken docs, "Add Order"); a stop-loss
/// rests as an open order until `CancelAll`, which the owner's key sends, cancels it with the
/// rest (issue 13 #8: the simulator placed validated orders and knew no conditional ones).
#[tokio::test(flavor = "multi_thread")]
async fn validated_orders_are_not_placed_and_stop_losses_are_cancelled() {
    let lab = lab(64).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    let base = lab.running.base_url.clone();
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    let bot_key = (bot.key.as_str(), bot_secret.as_str());
    let orders_of = |lab: &Lab| lab.sim.inspect().orders.len();
    let before = orders_of(&lab);
    let mut last = 0;
    for (label, params, says) in [
        (
            "a limit order",
            "ordertype=limit&pair=XBTUSDT&price=1000&type=buy&validate=true&volume=0.001",
            "buy 0.001 XBTUSDT @ limit 1000",
        ),
        (
            "a stop-loss-limit order",
            "ordertype=stop-loss-limit&pair=XBTUSDT&price=50000&price2=49000&type=sell&validate=true&volume=0.001",
            "sell 0.001 XBTUSDT @ stop loss 50000 -> limit 49000",
        ),
    ] {
        let nonce = fresh(&mut last);
        let answer = kraken_answer(&base, responder_ip(), bot_key, "AddOrder", nonce, params).await;
        assert_eq!(answer["error"], serde_json::json!([]), "{label}: {answer}");
        assert_eq!(answer["result"]["descr"]["order"], says, "{label}");
        assert!(answer["result"].get("txid").is_none(), "{label}: {answer}");
        assert_eq!(orders_of(&lab), before, "{label}: nothing placed");
    }
    let nonce = fresh(&mut last);
    assert_eq!(
        kraken_call(
            &base,
            responder_ip(),
            bot_key,
            "AddOrder",
            nonce,
            "ordertype=limit&pair=XBTUSDT&price=1000&type=buy&validate=maybe&volume=0.001"
        )
        .await,
        "EGeneral:Invalid arguments:validate"
    );
    // The client's next nonce comes from its clock: let the clock pass the raw ones.
    tokio::time::sleep(Duration::from_millis(50)).await;

    // The attacker's stop-loss, through the adapter: an untriggered open order.
    let stop = NewOrder {
        segment: spot(),
        symbol: "XBTUSDT".into(),
        side: Side::Sell,
        kind: OrderKind::Market,
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: Some(20_000.0),
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let txid = place(&client, &bot, stop).await.unwrap();
    let open = open_orders(&client, &[spot()], &owner).await;
    let listed = open
        .iter()
        .find(|o| o.order_id == txid)
        .expect("the stop-loss is listed");
    assert_eq!(listed.order_type, "stop-loss");
    assert_eq!(
        listed.status,
        lockdown::exchanges::model::OrderStatus::Untriggered
    );
    assert_eq!(listed.price, None, "a stop-loss has no limit price");
    let views = lab.sim.inspect().orders;
    let view = views.iter().find(|o| o.order_id == txid).unwrap();
    assert_eq!(
        (view.status.as_str(), view.trigger_price.as_deref()),
        ("New", Some("20000"))
    );

    // The owner's cancel-all takes it with the rest; it is then in the closed orders.
    client
        .call(&Op::CancelAll { segment: spot() }, Auth::Key(&owner))
        .await
        .unwrap();
    assert!(open_orders(&client, &[spot()], &owner).await.is_empty());
    let views = lab.sim.inspect().orders;
    let view = views.iter().find(|o| o.order_id == txid).unwrap();
    assert_eq!(view.status, "Cancelled");
    let now = i64::try_from(now_ms()).unwrap();
    let closed = orders(
        &client,
        &[spot()],
        &owner,
        Window {
            start_ms: now - DAY_MS,
            end_ms: now + 60_000,
        },
    )
    .await;
    assert!(
        closed
            .iter()
            .any(|o| o.order_id == txid && o.order_type == "stop-loss")
    );
}

/// The funding lists take Kraken's boolean `cursor` (`true`: pages with `next_cursor`; `false`
/// or absent: the whole list), in a form body (a JSON body's booleans read the same, the
/// simulator's `params.rs`) (Kraken docs, "Get Status of Recent Withdrawals": `cursor`, boolean
/// or string).
#[tokio::test(flavor = "multi_thread")]
async fn boolean_cursors_choose_pages_or_the_whole_list() {
    let lab = lab(65).await;
    let (owner, _) = lab.creds();
    let base = lab.running.base_url.clone();
    let secret = read(&lab.sim_dir().join("master.secret"));
    let key = (owner.key.as_str(), secret.as_str());
    let mut last = 0;
    for (method, field) in [
        ("WithdrawStatus", "withdrawals"),
        ("DepositStatus", "deposit"),
    ] {
        for (cursor, paged) in [("cursor=true", true), ("cursor=false", false), ("", false)] {
            let nonce = fresh(&mut last);
            let answer = kraken_answer(&base, responder_ip(), key, method, nonce, cursor).await;
            assert_eq!(
                answer["error"],
                serde_json::json!([]),
                "{method} {cursor}: {answer}"
            );
            let result = &answer["result"];
            assert_eq!(result.is_object(), paged, "{method} {cursor}: {answer}");
            assert_eq!(result.is_array(), !paged, "{method} {cursor}: {answer}");
            if paged {
                assert!(result[field].is_array(), "{method}: {answer}");
            }
        }
    }
}
