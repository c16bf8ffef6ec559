//! Deribit end to end: the adapter against its simulator over real HTTP for every operation in
//! both authentication styles, clear errors for bad credentials, a two-factor challenge answered
//! with `--otp`, `lockdown respond` containing a leaked key, and every shipped drill scenario.

use std::collections::BTreeSet;
use std::path::Path;

use lockdown::exchanges::http::http_client_from;
use lockdown::exchanges::model::{
    Access, Category, IpWhitelist, KeyScope, Lock, Side, TradePermission,
};
use lockdown::exchanges::{
    Auth, AuthStyle, Client, ExchangeError, ExchangeId, Mode, NewOrder, Op, OrderKind, QtyUnit,
    Reply, Revoke, VenueSettings, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::support::{Lab, attacker_ip, code, files_under, read, stderr, stdout};

const DAY_MS: i64 = 86_400_000;

async fn lab(seed: u64) -> Lab {
    Lab::start_on(ExchangeId::Deribit, seed).await
}

fn creds(lab: &Lab) -> (Credential, Credential) {
    let master = Credential::new(
        KeyId::new(read(&lab.sim_dir().join("master.key"))),
        SecretString::from(read(&lab.sim_dir().join("master.secret"))),
    );
    let bot = Credential::new(
        KeyId::new(lab.leaked()),
        SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
    );
    (master, bot)
}

fn client(lab: &Lab, auth: AuthStyle) -> Client {
    Client::new(
        ExchangeId::Deribit.venue(),
        &lab.running.base_url,
        Mode::Live,
    )
    .unwrap()
    .with_settings(VenueSettings {
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

fn lock(key: &KeyId, ip: &str) -> Op {
    Op::RestrictKey {
        key: key.clone(),
        account: Some("1000002".into()),
        lock: Lock {
            ips: IpWhitelist::parse(&[ip]).unwrap(),
            access: Access::Unchanged,
        },
    }
}

async fn round_trip(style: AuthStyle, seed: u64) {
    let lab = lab(seed).await;
    let (master, bot) = creds(&lab);
    let client = client(&lab, style);
    let now = client.resync().await.unwrap();
    let week = Window {
        start_ms: now - 7 * DAY_MS,
        end_ms: now,
    };
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: now,
    };
    let venue = client.venue();

    // Who the key is: the account summary names the sub-account.
    let me = client
        .call(&Op::WhoAmI, Auth::Key(&bot))
        .await
        .unwrap()
        .into_key()
        .unwrap();
    assert_eq!(me.account.as_deref(), Some("1000002"));
    assert!(!me.is_master);
    let uid = 1_000_002;

    // The master lists the sub-account's keys through `public/exchange_token`.
    let keys = client
        .all_pages(
            |cursor| Op::SubKeys {
                account: "1000002".into(),
                cursor,
            },
            Auth::Key(&master),
            Reply::into_keys,
        )
        .await
        .unwrap();
    let listed = keys
        .iter()
        .find(|k| k.key == bot.key)
        .expect("bot key listed");
    assert!(
        listed.ips.is_empty() && !listed.can_withdraw(),
        "{listed:?}"
    );

    let inspect = lab.sim.inspect();
    let open = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::OpenOrders { segment, cursor },
            Reply::into_orders,
        )
        .await
        .unwrap();
    assert_eq!(open.len(), inspect.open_orders(uid).len());
    assert!(open.iter().any(|o| o.category == Category::Linear));
    assert!(open.iter().all(|o| o.symbol.contains('_')), "{open:?}");
    let history = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::Orders {
                segment,
                window: week,
                cursor,
            },
            Reply::into_orders,
        )
        .await
        .unwrap();
    assert_eq!(
        open.len() + history.len(),
        inspect.orders.iter().filter(|o| o.uid == uid).count()
    );
    let fills = client
        .per_segment(
            venue.segments(),
            Auth::Key(&bot),
            |segment, cursor| Op::Fills {
                segment,
                window: week,
                cursor,
            },
            Reply::into_fills,
        )
        .await
        .unwrap();
    assert_eq!(
        fills.len(),
        inspect.executions.iter().filter(|e| e.uid == uid).count()
    );
    let balances = client
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap()
        .into_balances()
        .unwrap();
    assert!(
        balances
            .iter()
            .any(|b| b.coin == "USDT" && !b.total.is_zero())
    );
    let withdrawals = client
        .all_pages(
            |cursor| Op::Withdrawals {
                window: month,
                cursor,
            },
            Auth::Key(&master),
            Reply::into_transfers,
        )
        .await
        .unwrap();
    assert_eq!(withdrawals.len(), 1);
    let transfers = client
        .all_pages(
            |cursor| Op::Transfers {
                window: week,
                cursor,
            },
            Auth::Key(&master),
            Reply::into_transfers,
        )
        .await
        .unwrap();
    assert_eq!(transfers.len(), 1);

    // Trading as the bot: a limit order rests, is cancelled; quote-sized orders and
    // withdrawals are refused.
    let place = |kind, qty, unit| {
        Op::PlaceOrder(NewOrder {
            segment: venue.segments()[3],
            symbol: venue.symbol(Category::Spot, "BTC", "USDT"),
            side: Side::Buy,
            kind,
            qty,
            unit,
        })
    };
    let order_id = client
        .call(
            &place(OrderKind::Limit { price: 60_000.0 }, 0.001, QtyUnit::Base),
            Auth::Key(&bot),
        )
        .await
        .unwrap()
        .into_placed()
        .unwrap();
    assert!(order_id.starts_with("USDT-"), "{order_id}");
    let cancel = Op::CancelOrder {
        segment: venue.segments()[3],
        symbol: "BTC_USDT".into(),
        order_id: order_id.clone(),
    };
    client.call(&cancel, Auth::Key(&bot)).await.unwrap();
    assert!(!lab.sim.inspect().order(&order_id).unwrap().is_open());
    let quote = client
        .call(
            &place(OrderKind::Market, 100.0, QtyUnit::Quote),
            Auth::Key(&bot),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(quote, ExchangeError::Unsupported { .. }),
        "{quote}"
    );
    let withdraw = Op::Withdraw {
        coin: "USDT".into(),
        amount: "10".into(),
        address: "0xdead".into(),
    };
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
    let locked = client
        .call(&lock(&bot.key, "127.0.0.1"), Auth::Key(&master))
        .await
        .unwrap()
        .into_key()
        .unwrap();
    assert_eq!(locked.ips, ["127.0.0.1"]);
    assert_eq!(
        lab.sim.inspect().key(bot.key.as_str()).unwrap().ips,
        ["127.0.0.1"]
    );
    let create = Op::CreateKey {
        account: "1000002".into(),
        label: "lockdown_test01".into(),
        scope: KeyScope {
            trade: vec![TradePermission::SpotTrade],
            ips: IpWhitelist::parse(&["10.0.0.7"]).unwrap(),
        },
    };
    let created = client
        .call(&create, Auth::Key(&master))
        .await
        .unwrap()
        .into_created()
        .unwrap();
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
    client
        .call(
            &Op::RevokeKey(Revoke::ByMaster {
                key: created.info.key.clone(),
                account: Some("1000002".into()),
            }),
            Auth::Key(&master),
        )
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
    let (master, bot) = creds(&lab);
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
    token
        .call(&lock(&bot.key, "127.0.0.1"), Auth::Key(&master))
        .await
        .unwrap();
    let err = outside
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::IpRejected { .. }), "{err}");
    token.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();

    // Revoked: the owner's session ends with the key, and logging in again is refused.
    token
        .call(
            &Op::RevokeKey(Revoke::ByMaster {
                key: bot.key.clone(),
                account: Some("1000002".into()),
            }),
            Auth::Key(&master),
        )
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

fn journal_of(summary: &Value) -> String {
    std::fs::read_to_string(Path::new(summary["run_dir"].as_str().unwrap()).join("journal.jsonl"))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_leaked_deribit_key() {
    let lab = lab(65).await;
    let (_, bot) = creds(&lab);
    let leaked = lab.leaked();
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).unwrap().uid;
    assert!(!before.open_orders(bot_uid).is_empty());
    // The attacker is logged in before the response starts.
    let outside = attacker(&lab);
    outside.call(&Op::Balances, Auth::Key(&bot)).await.unwrap();

    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["contained"], true);
    for step in summary["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "ok", "{step}");
    }

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
    let replacement: Value = serde_json::from_str(
        &std::fs::read_to_string(lab.sim_dir().join("replacement-key.json")).unwrap(),
    )
    .unwrap();
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
    let run_dir = Path::new(summary["run_dir"].as_str().unwrap());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let reported: BTreeSet<String> = report["unauthorized"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reported, before.attacker_order_ids());
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(
        markdown.contains("exchange access log: `success` from 127.0.0.2"),
        "{markdown}"
    );
    assert!(markdown.contains("`changed_whitelist`"), "{markdown}");
    assert!(!markdown.contains(&leaked));
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

    let output = lab.respond(&["--yes", "--json", "--otp", &otp]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["contained"], true);
    let journal = journal_of(&summary);
    assert!(journal.contains("\"tfa_answered\""), "{journal}");
    assert!(journal.contains("\"by\":\"--otp\""));
    assert!(!journal.contains(&otp), "the code is in the journal");
    let run_dir = Path::new(summary["run_dir"].as_str().unwrap());
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
    assert!(
        err.contains("GET /api/v2/private/edit_api_key?id=<id of"),
        "{err}"
    );
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
async fn rpc(lab: &Lab, method: &str, query: &str, bearer: Option<&str>) -> Value {
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
async fn login(lab: &Lab, cred: &Credential, ts: i64, nonce: &str) -> Value {
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
    let (master, bot) = creds(&lab);
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
    let events: Vec<&str> = log["result"]
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
    let output = lab
        .respond(&["--yes", "--json", "-vv", "--otp", &otp])
        .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let stored: Value =
        serde_json::from_str(&read(&lab.sim_dir().join("replacement-key.json"))).unwrap();
    let fresh = stored["api_secret"].as_str().unwrap().to_owned();
    let mut texts = vec![
        ("stdout".to_owned(), stdout(&output)),
        ("stderr".to_owned(), stderr(&output)),
    ];
    for file in files_under(&lab.run_dirs()[0]) {
        texts.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    for (name, text) in &texts {
        for (which, secret) in [
            ("master", &master),
            ("bot", &bot),
            ("replacement", &fresh),
            ("two-factor code", &otp),
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "the {which} secret leaked into {name}"
            );
        }
    }
    assert!(stderr(&output).contains("Authorization: <redacted>"));
}
