//! Deribit end to end: the adapter against its simulator over real HTTP for every operation in
//! both authentication styles, clear errors for bad credentials, a two-factor challenge answered
//! with `--otp-from`, `lockdown respond` containing a leaked key, and every shipped drill scenario.

use lockdown::exchanges::client::http_client_from;
use lockdown::exchanges::model::{Access, Category, Lock, Segment, Side, TradePermission};
use lockdown::exchanges::{
    Auth, AuthStyle, Client, ExchangeError, ExchangeId, Mode, NewOrder, Op, OrderKind, QtyUnit,
    Reply, Revoke, VenueSettings,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::adapter::{
    balances, cancel_order, create_key, executions_of, fills, limit_buy, lock_to, open_orders,
    orders, place, restrict_key, revoke_by_master, sub_keys, transfers, usdt_withdrawal, who_am_i,
    withdrawals,
};
use crate::support::{
    Lab, assert_no_secret_in, attacker_ip, code, contained, journal_of, last_days, read, report_of,
    run_dir, run_texts, stderr, stdout, summary, unauthorized_ids,
};

async fn lab(seed: u64) -> Lab {
    Lab::start_on(ExchangeId::Deribit, seed).await
}

fn client(lab: &Lab, auth: AuthStyle) -> Client {
    lab.client().with_settings(VenueSettings {
        auth,
        ..VenueSettings::default()
    })
}

/// A client on the attacker's address.
fn attacker(lab: &Lab) -> Client {
    Client::with_http(
        ExchangeId::Deribit.venue(),
        &lab.running.base_url,
        Mode::Live,
        http_client_from(attacker_ip()).unwrap(),
    )
}

/// The bot key's lock: bound to the responder.
fn lock() -> Lock {
    lock_to(&["127.0.0.1"], Access::Unchanged)
}

async fn round_trip(style: AuthStyle, seed: u64) {
    let lab = lab(seed).await;
    let (master, bot) = lab.creds();
    let client = client(&lab, style);
    let now = client.resync().await.unwrap();
    let week = last_days(now, 7);
    let month = last_days(now, 30);
    let venue = client.venue();

    // Who the key is: the account summary names the sub-account.
    let me = who_am_i(&client, &bot).await;
    assert_eq!(me.account.as_deref(), Some("1000002"));
    assert!(!me.is_master);
    let uid = 1_000_002;

    // The master lists the sub-account's keys through `public/exchange_token`.
    let keys = sub_keys(&client, &master, "1000002").await;
    let listed = keys
        .iter()
        .find(|k| k.key == bot.key)
        .expect("bot key listed");
    assert!(
        listed.ips.is_empty() && !listed.can_withdraw(),
        "{listed:?}"
    );

    let inspect = lab.sim.inspect();
    let open = open_orders(&client, venue.segments(), &bot).await;
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.category == Category::Linear));
    assert!(open.iter().all(|o| o.symbol.contains('_')), "{open:?}");
    let history = orders(&client, venue.segments(), &bot, week).await;
    assert_eq!(
        open.len() + history.len(),
        inspect.orders.iter().filter(|o| o.uid == uid).count()
    );
    let fills = fills(&client, venue.segments(), &bot, week).await;
    assert_eq!(fills.len(), executions_of(&inspect, uid));
    let balances = balances(&client, &bot).await;
    assert!(
        balances
            .iter()
            .any(|b| b.coin == "USDT" && !b.total.is_zero())
    );
    let withdrawals = withdrawals(&client, &master, month).await;
    assert_eq!(withdrawals.len(), 1);
    let transfers = transfers(&client, &master, week).await;
    assert_eq!(transfers.len(), 1);

    // Trading as the bot: a limit order rests, is cancelled; quote-sized orders and
    // withdrawals are refused.
    let segment = venue.segments()[3];
    let btc = venue.symbol(Category::Spot, "BTC", "USDT");
    let order_id = place(&client, &bot, limit_buy(segment, &btc, 60_000.0, 0.001))
        .await
        .unwrap();
    assert!(order_id.starts_with("USDT-"), "{order_id}");
    cancel_order(&client, &bot, segment, "BTC_USDT", &order_id)
        .await
        .unwrap();
    assert!(!lab.sim.inspect().order(&order_id).unwrap().is_open());
    let market = NewOrder {
        segment,
        symbol: btc,
        side: Side::Buy,
        kind: OrderKind::Market,
        qty: 100.0,
        unit: QtyUnit::Quote,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let quote = place(&client, &bot, market).await.unwrap_err();
    assert!(
        matches!(quote, ExchangeError::Unsupported { .. }),
        "{quote}"
    );
    let withdraw = usdt_withdrawal("0xdead");
    let refused = client.call(&withdraw, Auth::Key(&bot)).await.unwrap_err();
    assert!(
        matches!(refused, ExchangeError::Permission { .. }),
        "{refused}"
    );

    // The account's security log.
    let log = client
        .all_pages(
            |cursor| Op::AccessLog { cursor },
            Auth::Key(&bot),
            Reply::into_access_log,
        )
        .await
        .unwrap();
    if style == AuthStyle::Token {
        assert!(log.iter().any(|e| e.event == "success"), "{log:?}");
    }

    // Cancel every segment.
    let cancels = venue
        .segments()
        .iter()
        .map(|segment| Op::CancelAll { segment: *segment });
    let mut cancelled = 0;
    for op in cancels {
        cancelled += client
            .call(&op, Auth::Key(&bot))
            .await
            .unwrap()
            .into_cancelled()
            .unwrap()
            .len();
    }
    assert_eq!(cancelled, open.len());
    assert!(lab.sim.inspect().open_orders(uid).is_empty());

    // Key management through the master: lock, create (bound at once), revoke.
    let locked = restrict_key(&client, &master, "1000002", &bot.key, lock())
        .await
        .unwrap();
    assert_eq!(locked.ips, ["127.0.0.1"]);
    assert_eq!(
        lab.sim.inspect().key(bot.key.as_str()).unwrap().ips,
        ["127.0.0.1"]
    );
    let created = create_key(
        &client,
        &master,
        "1000002",
        "lockdown_test01",
        &[TradePermission::SpotTrade],
        &["10.0.0.7"],
    )
    .await;
    assert_eq!(
        created.info.ips,
        ["10.0.0.7"],
        "bound by the follow-up edit"
    );
    assert!(!created.info.can_withdraw());
    let stored = lab.sim.inspect();
    let new_key = stored.key(created.info.key.as_str()).unwrap();
    assert_eq!(new_key.uid, uid);
    assert_eq!(new_key.permissions["wallet"][0], "none");
    revoke_by_master(&client, &master, "1000002", &created.info.key)
        .await
        .unwrap();
    assert!(
        lab.sim
            .inspect()
            .key(created.info.key.as_str())
            .unwrap()
            .deleted
    );
    let own = client
        .call(&Op::RevokeKey(Revoke::SelfSub), Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(matches!(own, ExchangeError::Unsupported { .. }));

    // The style was the one asked for: tokens log in, signatures never do.
    let logins = lab
        .sim
        .inspect()
        .access_log
        .iter()
        .filter(|e| {
            e.path == "/api/v2/public/auth" && e.key_id.as_deref() == Some(bot.key.as_str())
        })
        .count();
    match style {
        AuthStyle::Token => assert_eq!(logins, 1, "one session for the whole walk"),
        AuthStyle::Signature => assert_eq!(logins, 0),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips_with_tokens() {
    round_trip(AuthStyle::Token, 61).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_round_trips_with_signatures() {
    round_trip(AuthStyle::Signature, 62).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_speaks_json_rpc() {
    let lab = lab(63).await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", lab.running.base_url)).send();
    let json = |bytes: &[u8]| -> Value { serde_json::from_slice(bytes).unwrap() };
    let time = get("/api/v2/public/get_time").await.unwrap();
    assert_eq!(time.status(), 200);
    let body = json(&time.bytes().await.unwrap());
    assert_eq!(body["jsonrpc"], "2.0");
    assert!(body["result"].as_i64().is_some());
    for field in ["usIn", "usOut", "usDiff", "testnet"] {
        assert!(!body[field].is_null(), "{field}: {body}");
    }
    let unknown = get("/api/v2/private/launch_rocket").await.unwrap();
    assert_eq!(unknown.status(), 400);
    let body = json(&unknown.bytes().await.unwrap());
    assert_eq!(body["error"]["code"], -32601);
    assert_eq!(get("/v5/market/time").await.unwrap().status(), 404);
    let anonymous = get("/api/v2/private/get_account_summaries").await.unwrap();
    let body = json(&anonymous.bytes().await.unwrap());
    assert_eq!(body["error"]["code"], 10000);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_give_clear_errors() {
    let lab = lab(64).await;
    let (master, bot) = lab.creds();
    let wrong = Credential::new(bot.key.clone(), SecretString::from("not the secret"));
    for style in [AuthStyle::Token, AuthStyle::Signature] {
        let err = client(&lab, style)
            .call(&Op::Balances, Auth::Key(&wrong))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Signature { .. }),
            "{style:?}: {err}"
        );
        assert!(err.to_string().contains("signature"), "{err}");
        assert!(err.hint().unwrap().contains("secret"));
    }
    let unknown = Credential::new(KeyId::new("NOSUCHK1"), SecretString::from("x"));
    let err = client(&lab, AuthStyle::Token)
        .call(&Op::Balances, Auth::Key(&unknown))
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated(), "{err}");

    // A token that ends early: the client logs in again, once, and goes on.
    let token = client(&lab, AuthStyle::Token);
    token.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    lab.sim.expire_tokens();
    token.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    let log = lab.sim.inspect().access_log;
    let bot_calls: Vec<_> = log
        .iter()
        .filter(|e| e.key_id.as_deref() == Some(bot.key.as_str()))
        .map(|e| (e.path.as_str(), e.ret_code))
        .collect();
    assert!(bot_calls.contains(&("/api/v2/private/get_account_summaries", Some(13009))));
    assert_eq!(
        bot_calls
            .iter()
            .filter(|(path, code)| *path == "/api/v2/public/auth" && *code == Some(0))
            .count(),
        2,
        "{bot_calls:?}"
    );

    // The attacker holds a token; the lock refuses it from its address at once.
    let outside = attacker(&lab);
    outside.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();
    restrict_key(&token, &master, "1000002", &bot.key, lock())
        .await
        .unwrap();
    let err = outside
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::IpRejected { .. }), "{err}");
    token.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();

    // Revoked: the owner's session ends with the key, and logging in again is refused.
    revoke_by_master(&token, &master, "1000002", &bot.key)
        .await
        .unwrap();
    for style in [AuthStyle::Token, AuthStyle::Signature] {
        let err = client(&lab, style)
            .call(&Op::WhoAmI, Auth::Key(&bot))
            .await
            .unwrap_err();
        assert!(err.is_unauthenticated(), "{style:?}: {err}");
    }
    let err = token.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert_eq!(err.code(), Some("13004"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_leaked_deribit_key() {
    let lab = lab(65).await;
    let (_, bot) = lab.creds();
    let leaked = lab.leaked();
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).unwrap().uid;
    assert!(!before.open_orders(bot_uid).is_empty());
    // The attacker is logged in before the response starts.
    let outside = attacker(&lab);
    outside.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);

    // The attacker is refused; nothing is left open; the key is gone.
    let err = outside
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(
        err.is_unauthenticated() || matches!(err, ExchangeError::IpRejected { .. }),
        "{err}"
    );
    let after = lab.sim.inspect();
    assert!(after.open_orders(bot_uid).is_empty());
    assert!(after.key(&leaked).unwrap().deleted);

    // The replacement: on the bot's account, no wallet write, bound to the bot's address.
    let replacement = lab.replacement();
    let new_id = replacement["api_key"].as_str().unwrap();
    let new_key = after.key(new_id).expect("replacement exists");
    assert_eq!(new_key.uid, bot_uid);
    assert!(!new_key.deleted && new_key.enabled);
    assert_eq!(new_key.ips, ["127.0.0.1"]);
    assert_ne!(new_key.permissions["wallet"][0], "read_write");
    let fresh = Credential::new(
        KeyId::new(new_id),
        SecretString::from(replacement["api_secret"].as_str().unwrap().to_owned()),
    );
    client(&lab, AuthStyle::Token)
        .call(&Op::Balances, Auth::Key(&fresh))
        .await
        .unwrap();

    // The report lists exactly the attacker's orders, and the exchange's access log.
    let run_dir = run_dir(&summary);
    let reported = unauthorized_ids(&report_of(&summary));
    assert_eq!(reported, before.attacker_order_ids());
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        markdown.contains("exchange access log: `success` from 127.0.0.2"),
        "{markdown}"
    );
    assert!(markdown.contains("`changed_whitelist`"), "{markdown}");
    // Whole: support cannot act on a masked key id (ids are not secrets).
    assert!(
        markdown.contains(&format!("| Leaked key | `{leaked}` |")),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Source addresses | 127.0.0.2, 127.0.0.1 (from deribit's access log"),
        "{markdown}"
    );
    lockdown::journal::verify(&run_dir.join("journal.jsonl")).expect("chain holds");
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_works_with_signatures_too() {
    let lab = lab(69).await;
    let leaked = lab.leaked();
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        config.replace("auth: token", "auth: signature"),
    )
    .unwrap();
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let after = lab.sim.inspect();
    assert!(after.key(&leaked).unwrap().deleted);
    // The leaked key signed every request; only the master logged in, to switch accounts.
    let logins: Vec<_> = after
        .access_log
        .iter()
        .filter(|e| e.path == "/api/v2/public/auth")
        .map(|e| e.key_id.clone().unwrap_or_default())
        .collect();
    assert!(
        !logins.is_empty() && !logins.contains(&leaked),
        "{logins:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_factor_challenge_is_answered_with_otp_and_never_journaled() {
    let lab = lab(66).await;
    lab.sim.set_tfa_required(true);
    let otp = read(&lab.sim_dir().join("otp"));

    // Without a code and without a terminal, the lock cannot be answered.
    let refused = lab.respond(&["--yes"]).await;
    assert_ne!(code(&refused), 0);
    assert!(stderr(&refused).contains("--otp"), "{}", stderr(&refused));

    let from = format!("file:{}", lab.sim_dir().join("otp").display());
    let output = lab.respond(&["--yes", "--json", "--otp-from", &from]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let summary = summary(&output);
    assert_eq!(summary["contained"], true);
    let journal = journal_of(&summary);
    assert!(journal.contains("\"tfa_answered\""), "{journal}");
    assert!(journal.contains("\"by\":\"--otp-from\""));
    assert!(!journal.contains(&otp), "the code is in the journal");
    let run_dir = run_dir(&summary);
    for file in ["report.md", "report.json"] {
        assert!(
            !std::fs::read_to_string(run_dir.join(file))
                .unwrap()
                .contains(&otp)
        );
    }
    assert!(!stderr(&output).contains(&otp) && !stdout(&output).contains(&otp));
    assert!(lab.sim.inspect().key(&lab.leaked()).unwrap().deleted);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_looks_keys_up_and_changes_nothing() {
    let lab = lab(67).await;
    let keys_before = serde_json::to_string(&lab.sim.inspect().keys).unwrap();
    let output = lab.respond(&["--dry-run", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        serde_json::to_string(&lab.sim.inspect().keys).unwrap(),
        keys_before
    );
    let err = stderr(&output);
    // Key management is a JSON-RPC POST; the plan names the key it would look up.
    assert!(err.contains("POST /api/v2/private/edit_api_key"), "{err}");
    assert!(err.contains(r#""id":"<id of"#), "{err}");
    assert!(err.contains("Authorization: <redacted>"), "{err}");
    let mutating = [
        "edit_api_key",
        "remove_api_key",
        "create_api_key",
        "cancel_all",
        "private/buy",
    ];
    for entry in lab.sim.inspect().access_log {
        assert!(
            !mutating.iter().any(|m| entry.path.contains(m)),
            "sent {}",
            entry.path
        );
    }
}

/// One raw JSON-RPC call over GET, as an outside client would make it: the envelope back.
pub(crate) async fn rpc(lab: &Lab, method: &str, query: &str, bearer: Option<&str>) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = if query.is_empty() {
        format!("{}/api/v2/{method}", lab.running.base_url)
    } else {
        format!("{}/api/v2/{method}?{query}", lab.running.base_url)
    };
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let bytes = request.send().await.unwrap().bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `public/auth` with `client_signature`, at `ts` with `nonce`.
pub(crate) async fn login(lab: &Lab, cred: &Credential, ts: i64, nonce: &str) -> Value {
    use lockdown::exchanges::deribit::{client_signature_string, sign_string};
    let sig = sign_string(cred.secret(), &client_signature_string(ts, nonce, ""));
    let query = format!(
        "grant_type=client_signature&client_id={}&timestamp={ts}&nonce={nonce}&data=&signature={sig}",
        cred.key.as_str()
    );
    rpc(lab, "public/auth", &query, None).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_keeps_deribits_rules() {
    let lab = lab(68).await;
    let (master, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let code = |v: &Value| v["error"]["code"].as_i64();

    // A nonce is single-use; a timestamp more than a minute off is refused.
    let first = login(&lab, &bot, now, "n1").await;
    let bot_token = first["result"]["access_token"].as_str().unwrap().to_owned();
    let refresh = first["result"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code(&login(&lab, &bot, now, "n1").await), Some(13009));
    assert_eq!(
        code(&login(&lab, &bot, now - 61_000, "n2").await),
        Some(13009)
    );

    // A sub-account key cannot switch to the main account.
    let up = rpc(
        &lab,
        "public/exchange_token",
        &format!("refresh_token={refresh}&subject_id=1000001"),
        None,
    )
    .await;
    assert_eq!(code(&up), Some(13021), "{up}");

    // Plain `cancel_all` cancels every open order of the account and says how many.
    let open = lab.sim.inspect().open_orders(1_000_002).len();
    let cancelled = rpc(&lab, "private/cancel_all", "", Some(&bot_token)).await;
    assert_eq!(
        cancelled["result"].as_u64(),
        Some(open as u64),
        "{cancelled}"
    );

    // The bot's scope cannot manage keys.
    let list = rpc(&lab, "private/list_api_keys", "", Some(&bot_token)).await;
    assert!(list["result"].is_array(), "account:read lists: {list}");
    let edit = rpc(
        &lab,
        "private/edit_api_key",
        "id=2&max_scope=account%3Aread",
        Some(&bot_token),
    )
    .await;
    assert_eq!(code(&edit), Some(13021), "{edit}");

    // The master, switched to the sub-account, disables and enables the bot key.
    let main = login(&lab, &master, now, "m1").await;
    let switched = rpc(
        &lab,
        "public/exchange_token",
        &format!(
            "refresh_token={}&subject_id=1000002",
            main["result"]["refresh_token"].as_str().unwrap()
        ),
        None,
    )
    .await;
    let sub_token = switched["result"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = rpc(&lab, "private/list_api_keys", "", Some(&sub_token)).await;
    let listed = keys["result"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["client_id"], bot.key.as_str());
    assert_eq!(
        listed[0]["client_secret"], "********",
        "lists never repeat a secret"
    );
    let id = listed[0]["id"].as_i64().unwrap();
    let too_much = rpc(
        &lab,
        "private/edit_api_key",
        &format!("id={id}&max_scope=block_trade%3Aread_write"),
        Some(&sub_token),
    )
    .await;
    assert_eq!(code(&too_much), Some(13403), "{too_much}");
    let off = rpc(
        &lab,
        "private/disable_api_key",
        &format!("id={id}"),
        Some(&sub_token),
    )
    .await;
    assert_eq!(off["result"]["enabled"], false, "{off}");
    assert_eq!(code(&login(&lab, &bot, now, "n3").await), Some(13004));
    let summary = rpc(&lab, "private/get_account_summaries", "", Some(&bot_token)).await;
    assert_eq!(
        code(&summary),
        Some(13009),
        "a disabled key's tokens end: {summary}"
    );
    rpc(
        &lab,
        "private/enable_api_key",
        &format!("id={id}"),
        Some(&sub_token),
    )
    .await;
    assert!(login(&lab, &bot, now, "n4").await["result"]["access_token"].is_string());

    // With two-factor required, key management answers a challenge, then wants the code.
    lab.sim.set_tfa_required(true);
    let asked = rpc(&lab, "private/list_api_keys", "", Some(&sub_token)).await;
    assert_eq!(asked["result"]["security_key_authorization_required"], true);
    let challenge = asked["result"]["challenge"].as_str().unwrap();
    let wrong = rpc(
        &lab,
        "private/list_api_keys",
        &format!("authorization_data=000000&challenge={challenge}"),
        Some(&sub_token),
    )
    .await;
    assert_eq!(code(&wrong), Some(13006));
    let otp = read(&lab.sim_dir().join("otp"));
    let right = rpc(
        &lab,
        "private/list_api_keys",
        &format!("authorization_data={otp}&challenge={challenge}"),
        Some(&sub_token),
    )
    .await;
    assert!(right["result"].is_array(), "{right}");

    // The security log has the logins (with addresses) and the key changes.
    let log = rpc(&lab, "private/get_access_log", "count=50", Some(&sub_token)).await;
    let events: Vec<&str> = log["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["log"].as_str().unwrap())
        .collect();
    for want in ["success", "failure", "disabled_api_key", "enabled_api_key"] {
        assert!(events.contains(&want), "{want} missing from {events:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_and_no_code_appear_in_any_output() {
    let lab = lab(70).await;
    lab.sim.set_tfa_required(true);
    let master = read(&lab.sim_dir().join("master.secret"));
    let bot = read(&lab.sim_dir().join("bot.secret"));
    let otp = read(&lab.sim_dir().join("otp"));
    let from = format!("file:{}", lab.sim_dir().join("otp").display());
    let output = lab
        .respond(&["--yes", "--json", "-vvv", "--otp-from", &from])
        .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let fresh = lab.replacement()["api_secret"].as_str().unwrap().to_owned();
    let secrets = [
        ("master secret", master),
        ("bot secret", bot),
        ("replacement secret", fresh),
        ("two-factor code", otp),
    ];
    assert_no_secret_in(&run_texts(&lab, &output), &secrets);
    assert!(stderr(&output).contains("Authorization: <redacted>"));
}

/// Issue 13 #6: a pair quoted in a currency outside the method pages' enum (`BTC_USDE`, listed
/// under `USDE`, which only `public/get_currencies` names): the response lists, cancels and
/// reports the attacker's order there.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_in_a_currency_only_get_currencies_names_is_cancelled_and_reported() {
    let lab = lab(71).await;
    let (_, bot) = lab.creds();
    let usde = Segment {
        category: Category::Linear,
        settle: Some("USDE"),
    };
    let mut sell = limit_buy(usde, "BTC_USDE", 90_000.0, 0.01);
    sell.side = Side::Sell;
    let id = place(&attacker(&lab), &bot, sell).await.unwrap();
    assert_cancelled_and_reported(&lab, &id).await;
}

/// An attacker's order on an inverse BTC option (kind `option`, currency BTC): `kind=any` lists
/// and cancels it.
#[tokio::test(flavor = "multi_thread")]
async fn an_option_order_is_cancelled_and_reported() {
    let lab = lab(74).await;
    let (_, bot) = lab.creds();
    let btc = Segment {
        category: Category::Option,
        settle: Some("BTC"),
    };
    let order = limit_buy(btc, "BTC-27DEC26-100000-C", 0.01, 1.0);
    let id = place(&attacker(&lab), &bot, order).await.unwrap();
    assert_cancelled_and_reported(&lab, &id).await;
}

/// Issue 13 #6: an attacker's order on a future spread (`future_combo`, currency BTC): a list
/// or cancel of kind `future` leaves it; `kind=any` (or no kind) reaches it.
#[tokio::test(flavor = "multi_thread")]
async fn a_combo_order_is_cancelled_and_reported() {
    let lab = lab(75).await;
    let (_, bot) = lab.creds();
    let btc = Segment {
        category: Category::Inverse,
        settle: Some("BTC"),
    };
    let order = limit_buy(btc, "BTC-FS-27DEC26_PERP", 10.0, 10.0);
    let id = place(&attacker(&lab), &bot, order).await.unwrap();
    assert_cancelled_and_reported(&lab, &id).await;
}

/// Issue 13: an attacker's untriggered stop order rests off the book; `type=all` lists it and
/// the per-currency cancel reaches it.
#[tokio::test(flavor = "multi_thread")]
async fn an_untriggered_stop_order_is_cancelled_and_reported() {
    let lab = lab(73).await;
    let (_, bot) = lab.creds();
    let usdt = Segment {
        category: Category::Linear,
        settle: Some("USDT"),
    };
    let mut stop = limit_buy(usdt, "BTC_USDT", 50_000.0, 0.01);
    stop.side = Side::Sell;
    stop.trigger = Some(55_000.0);
    let id = place(&attacker(&lab), &bot, stop).await.unwrap();
    let placed = lab.sim.inspect();
    let order = placed.orders.iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(order.order_type, "stop_limit");
    assert_eq!(order.trigger_price.as_deref(), Some("55000"));
    assert_cancelled_and_reported(&lab, &id).await;
}

/// Runs the response and checks that order `id`, open before, is cancelled and reported.
async fn assert_cancelled_and_reported(lab: &Lab, id: &str) {
    let before = lab.sim.inspect();
    let order = before.orders.iter().find(|o| o.order_id == id).unwrap();
    assert!(order.is_open(), "{order:?}");
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    let after = lab.sim.inspect();
    let order = after.orders.iter().find(|o| o.order_id == id).unwrap();
    assert!(!order.is_open(), "left open: {order:?}");
    let reported = unauthorized_ids(&report_of(&summary));
    assert!(reported.contains(id), "{id} not in {reported:?}");
}

/// Issue 13 #7: `ip_whitelist` is declared an array; a query can carry only its text, a string,
/// which the simulator refuses as Deribit does. The adapter sends key management as a JSON-RPC
/// POST, and the lock binds the key.
#[tokio::test(flavor = "multi_thread")]
async fn a_whitelist_travels_as_a_json_array() {
    let lab = lab(72).await;
    let (master, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let main = login(&lab, &master, now, "w1").await;
    let switched = rpc(
        &lab,
        "public/exchange_token",
        &format!(
            "refresh_token={}&subject_id={}",
            main["result"]["refresh_token"].as_str().unwrap(),
            lab.account()
        ),
        None,
    )
    .await;
    let token = switched["result"]["access_token"].as_str().unwrap();
    let keys = rpc(&lab, "private/list_api_keys", "", Some(token)).await;
    let id = keys["result"][0]["id"].as_i64().unwrap();
    let as_text = rpc(
        &lab,
        "private/edit_api_key",
        &format!("id={id}&max_scope=account%3Aread&ip_whitelist=%5B%22127.0.0.1%22%5D"),
        Some(token),
    )
    .await;
    assert_eq!(as_text["error"]["code"], -32602, "{as_text}");

    let locked = restrict_key(&lab.client(), &master, &lab.account(), &bot.key, lock())
        .await
        .unwrap();
    assert_eq!(locked.ips, ["127.0.0.1"]);
    assert_eq!(
        lab.sim.inspect().key(&lab.leaked()).unwrap().ips,
        ["127.0.0.1"]
    );
}

/// The per-currency methods take every currency `public/get_currencies` lists and no other, and
/// each method the kinds of its own enum (the open-order lists take no `any`).
#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_takes_listed_currencies_and_each_methods_kinds() {
    let lab = lab(76).await;
    let (_, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let answer = login(&lab, &bot, now, "c1").await;
    let token = answer["result"]["access_token"].as_str();
    let listed = rpc(&lab, "public/get_currencies", "", None).await;
    let names: Vec<&str> = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["currency"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"USDE"), "{names:?}");
    let code = |v: &Value| v["error"]["code"].as_i64();
    let call = |query: &'static str| rpc(&lab, "private/get_open_orders_by_currency", query, token);
    assert!(call("currency=USDE").await["result"].is_array());
    assert_eq!(code(&call("currency=SOL").await), Some(-32602));
    assert_eq!(code(&call("currency=BTC&kind=any").await), Some(-32602));
    assert_eq!(code(&call("currency=BTC&type=stop").await), Some(-32602));
    let history = rpc(
        &lab,
        "private/get_order_history_by_currency",
        "currency=BTC&kind=any",
        token,
    )
    .await;
    assert!(history["result"].is_array(), "{history}");
}

/// Issue 13 #6: the master withdrew USDE and sent the bot USDE, a currency only
/// `public/get_currencies` names. The snapshot's withdrawals and transfers, read per currency,
/// walk the listed currencies too, not only the method pages' five.
#[tokio::test(flavor = "multi_thread")]
async fn money_moved_in_a_currency_only_get_currencies_names_is_in_the_snapshot() {
    let lab = lab(76).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    let dir = run_dir(&summary).join("snapshots");
    let rows = |kind: &str| -> Vec<Value> {
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.to_string_lossy().ends_with(&format!("-{kind}.jsonl")))
            .unwrap_or_else(|| panic!("no {kind} snapshot in {}", dir.display()));
        read(&file)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    // The week's only withdrawal (the USDT one is ten days old).
    let withdrawals = rows("withdrawals");
    assert!(
        withdrawals
            .iter()
            .any(|w| w["coin"] == "USDE" && w["amount"] == "1500"),
        "no USDE withdrawal in {withdrawals:?}"
    );
    let transfers = rows("transfers");
    assert!(
        transfers
            .iter()
            .any(|t| t["coin"] == "USDE" && t["amount"] == "2500"),
        "no USDE transfer in {transfers:?}"
    );
    assert!(
        transfers.iter().any(|t| t["coin"] == "USDT"),
        "{transfers:?}"
    );
}

/// Issue 13 #6: an attacker's stop order, cancelled before it fired, is in no order history
/// Deribit keeps but the trigger-order log; the response's order snapshot reads that log too.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_stop_order_is_kept_in_the_order_snapshot() {
    let lab = lab(77).await;
    let (_, bot) = lab.creds();
    let usdt = Segment {
        category: Category::Linear,
        settle: Some("USDT"),
    };
    let mut stop = limit_buy(usdt, "BTC_USDT", 50_000.0, 0.01);
    stop.side = Side::Sell;
    stop.trigger = Some(55_000.0);
    let attacker = attacker(&lab);
    let id = place(&attacker, &bot, stop).await.unwrap();
    cancel_order(&attacker, &bot, usdt, "BTC_USDT", &id)
        .await
        .unwrap();
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    let dir = run_dir(&summary).join("snapshots");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with("-orders.jsonl"))
        .unwrap();
    let orders: Vec<Value> = read(&file)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let kept = orders.iter().find(|o| o["order_id"] == id.as_str());
    assert!(kept.is_some(), "{id} not in {orders:?}");
    assert_eq!(kept.unwrap()["status"], "cancelled", "{kept:?}");
}

/// The requests the simulator saw after `mark` up to and including the first `edit_api_key`.
fn paths_to_the_lock(lab: &Lab, mark: usize) -> Vec<String> {
    let sent = lab.sent_since(mark);
    let lock = sent
        .iter()
        .position(|e| e.path == "/api/v2/private/edit_api_key")
        .expect("the lock was sent");
    assert_eq!(sent[lock].ret_code, Some(0), "the lock was accepted");
    sent[..=lock].iter().map(|e| e.path.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_listed_in_the_profile_is_locked_without_reading_the_listing() {
    let lab = lab(71).await;
    let leaked = lab.leaked();
    let (master, _) = lab.creds();
    // What `private/list_api_keys` shows of the key, written in the profile ahead of time.
    let number = lab.sim.inspect().key(&leaked).unwrap().internal_id.clone();
    let listing = sub_keys(&client(&lab, AuthStyle::Token), &master, &lab.account()).await;
    let scope = listing
        .iter()
        .find(|k| k.key.as_str() == leaked)
        .unwrap()
        .permissions
        .join(" ");
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let listed = format!(
        "secret: file:bot.secret\n        listed: {{ id: {number}, max_scope: \"{scope}\" }}"
    );
    std::fs::write(
        &lab.session.config,
        config.replacen("secret: file:bot.secret", &listed, 1),
    )
    .unwrap();

    let mark = lab.sent();
    let output = lab.respond(&["--yes", "--json"]).await;
    contained(&output);
    // A sub-account's key: the master logs in and switches to the sub-account (Deribit has no
    // other way to act there, docs/venues/deribit.md §4), then the lock; no listing before it.
    assert_eq!(
        paths_to_the_lock(&lab, mark),
        [
            "/api/v2/public/auth",
            "/api/v2/public/exchange_token",
            "/api/v2/private/edit_api_key",
        ]
    );
    // The key kept its scope and was bound to the responder, then revoked.
    let after = lab.sim.inspect();
    assert!(after.key(&leaked).unwrap().deleted);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_listed_number_is_caught_and_the_revoke_still_removes_the_key() {
    let lab = lab(72).await;
    let leaked = lab.leaked();
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    // No key of the sub-account has this number: the simulator refuses it as Deribit does.
    std::fs::write(
        &lab.session.config,
        config.replacen(
            "secret: file:bot.secret",
            "secret: file:bot.secret\n        listed: { id: 999999, max_scope: \"account:read\" }",
            1,
        ),
    )
    .unwrap();
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = summary(&output);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(crate::support::step_status(&summary, "lock"), "failed");
    // Containment goes on: the revoke lists the keys itself and removes the right one.
    assert_eq!(crate::support::step_status(&summary, "revoke"), "ok");
    assert!(lab.sim.inspect().key(&leaked).unwrap().deleted);
}
