//! Bybit's keys, wallets, transfers and withdrawals as its documentation shows them: each
//! documented example answer decoded by the adapter, and the simulator's answer to the same
//! request compared with it field by field (`tests/fixtures/bybit/`, `shapes.rs`). Also the
//! documented defaults of `update-sub-api`, the funding wallet read beside the unified one, and
//! an attacker's move into the funding wallet as a response's snapshot records it.

use lockdown::exchanges::model::{Access, TradePermission};
use lockdown::exchanges::{
    Auth, CallContext, ExchangeId, Op, Reply, Revoke, VenueSettings, Window, bybit,
};
use lockdown::secret::{KeyId, SecretString};
use serde_json::Value;

use crate::adapter::{balances, create_key, lock_to, transfers, usdt_withdrawal};
use crate::shapes::{assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{
    DAY_MS, Lab, bybit_call, bybit_playbook, last_days, raw_client, read, respond_with_playbook,
    run_dir,
};

const BYBIT: ExchangeId = ExchangeId::Bybit;

/// The responder's address, where the lab's master key is bound and the client sends from.
fn responder() -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
}

/// Signs and sends one Bybit request from the responder with the lab's master key; the
/// `retCode`.
async fn as_master(lab: &Lab, method: &str, path: &str, payload: &str) -> i64 {
    let dir = lab.sim_dir();
    bybit_call(
        &lab.running.base_url,
        responder(),
        &read(&dir.join("master.key")),
        &read(&dir.join("master.secret")),
        method,
        path,
        payload,
    )
    .await
}

/// A call context for encoding outside a client.
fn context(settings: &VenueSettings) -> CallContext<'_> {
    CallContext {
        now_ms: 0,
        nonce: "",
        session: None,
        tfa: None,
        settings,
        subject: None,
        lookup: None,
        known: &[],
    }
}

/// The simulator's whole answer to a change `op` the adapter encodes, signed with the lab's
/// master key from the responder (`Client::raw` sends reads only).
async fn changed_as_master(lab: &Lab, op: &Op) -> Value {
    let settings = VenueSettings::default();
    let request = BYBIT.venue().encode(op, &context(&settings)).unwrap();
    let dir = lab.sim_dir();
    let key = read(&dir.join("master.key"));
    let secret = SecretString::from(read(&dir.join("master.secret")));
    let payload = request
        .body
        .clone()
        .unwrap_or_else(|| request.query.clone());
    let ts = chrono::Utc::now().timestamp_millis();
    let sign = bybit::sign_prehash(&secret, &bybit::prehash(ts, &key, 5000, &payload));
    let url = format!("{}{}", lab.running.base_url, request.path);
    let client = raw_client(responder());
    let builder = match request.body {
        Some(body) => client
            .post(url)
            .header("Content-Type", "application/json")
            .body(body),
        None => client.get(format!("{url}?{}", request.query)),
    };
    let response = builder
        .header("X-BAPI-API-KEY", key)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-RECV-WINDOW", "5000")
        .header("X-BAPI-SIGN", sign)
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(answer["retCode"], 0, "{op:?}: {answer}");
    answer
}

/// `$.result.permissions.<group>` for each group: paths a shape comparison leaves out.
fn permission_paths(groups: &[&str]) -> Vec<String> {
    groups
        .iter()
        .map(|g| format!("$.result.permissions.{g}"))
        .collect()
}

fn as_strs(paths: &[String]) -> Vec<&str> {
    paths.iter().map(String::as_str).collect()
}

/// The last week on the simulator's clock.
fn week() -> Window {
    last_days(chrono::Utc::now().timestamp_millis() + 1000, 7)
}

/// The transfers op that reads the internal list's first page.
fn internal_transfers(window: Window) -> Op {
    Op::Transfers {
        window,
        cursor: Some("internal|".into()),
    }
}

/// Moves `amount` USDT between the master's own wallets, as whoever holds its key could.
async fn master_moves(lab: &Lab, id: &str, from: &str, to: &str) {
    let body = format!(
        r#"{{"amount":"25","coin":"USDT","fromAccountType":"{from}","toAccountType":"{to}","transferId":"{id}"}}"#
    );
    let code = as_master(lab, "POST", "/v5/asset/transfer/inter-transfer", &body).await;
    assert_eq!(code, 0, "the internal transfer was refused");
}

#[tokio::test]
async fn bybit_key_reads_are_answered_as_documented() {
    let lab = Lab::start_on(BYBIT, 61).await;
    let (master, bot) = lab.creds();
    let client = lab.client();

    let doc = fixture(BYBIT, "query-api");
    let key = decode(BYBIT, &Op::WhoAmI, &doc.answer).into_key().unwrap();
    assert!(key.is_master && key.read_only);
    assert_eq!(key.account.as_deref(), Some("1448939"));
    assert_eq!(key.ips.len(), 3);
    assert!(
        key.permissions
            .contains(&"Wallet:SubMemberTransfer".to_owned())
    );
    let sim = sim_answer(&client, &Op::WhoAmI, Auth::Key(&bot)).await;
    // The documented key holds these groups; the bot's key does not, so they are empty.
    let ungranted = permission_paths(&[
        "BitCard",
        "ByXPost",
        "Derivatives",
        "Earn",
        "Exchange",
        "FiatBitPay",
        "FiatConvertBroker",
        "FiatP2P",
        "Wallet",
    ]);
    assert_same_shape(&doc, &sim, &as_strs(&ungranted));

    let doc = fixture(BYBIT, "sub-apikeys");
    let op = Op::SubKeys {
        account: lab.account(),
        cursor: None,
    };
    let page = decode(BYBIT, &op, &doc.answer).into_keys().unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(!page.items[0].read_only && page.items[0].ips.is_empty());
    assert_eq!(
        page.items[0].account.as_deref(),
        Some(lab.account().as_str())
    );
    assert_eq!(page.next, None);
    let sim = sim_answer(&client, &op, Auth::Key(&master)).await;
    // The documented key holds these groups; the bot's key does not, so they are empty.
    let ungranted: Vec<String> = ["Derivatives", "Exchange", "Options", "Wallet"]
        .iter()
        .map(|g| format!("$.result.result[].permissions.{g}"))
        .collect();
    assert_same_shape(&doc, &sim, &as_strs(&ungranted));
}

#[tokio::test]
async fn bybit_key_changes_are_answered_as_documented() {
    let lab = Lab::start_on(BYBIT, 62).await;
    let (_, bot) = lab.creds();
    let account = lab.account();

    let doc = fixture(BYBIT, "create-sub-api");
    let op = Op::CreateKey {
        account: account.clone(),
        label: "bot-run".into(),
        scope: lockdown::exchanges::model::KeyScope {
            trade: vec![TradePermission::SpotTrade],
            ips: lockdown::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let Reply::Created(created) = decode(BYBIT, &op, &doc.answer) else {
        panic!("not a created key");
    };
    assert_eq!(created.info.label, "testxxx");
    assert_eq!(
        created.info.permissions,
        ["Earn:Earn", "Wallet:AccountTransfer"]
    );
    let sim = changed_as_master(&lab, &op).await;
    // A replacement key gets trading groups only, never Wallet (nor Earn); and the example
    // (2023) lists two groups fewer than `sub-apikeys` and `query-api` do today, which the
    // simulator shows as every key listing does.
    let groups = permission_paths(&["Earn", "Wallet", "Affiliate", "Derivatives"]);
    assert_same_shape(&doc, &sim, &as_strs(&groups));
    let made = KeyId::new(sim["result"]["apiKey"].as_str().unwrap());

    let doc = fixture(BYBIT, "update-sub-api");
    let op = Op::RestrictKey {
        account: Some(account.clone()),
        key: bot.key.clone(),
        lock: lock_to(&["127.0.0.1"], Access::Unchanged),
    };
    let key = decode(BYBIT, &op, &doc.answer).into_key().unwrap();
    assert!(key.ips.is_empty(), "`*` is no bind");
    assert!(key.permissions.contains(&"Spot:SpotTrade".to_owned()));
    let sim = changed_as_master(&lab, &op).await;
    // The bot's key has no Wallet group; the example (2023) lists two groups fewer than the
    // key listings do today.
    let groups = permission_paths(&["Wallet", "Affiliate", "Earn"]);
    assert_same_shape(&doc, &sim, &as_strs(&groups));

    let doc = fixture(BYBIT, "delete-sub-api");
    let op = Op::RevokeKey(Revoke::ByMaster {
        key: made,
        account: Some(account),
    });
    assert!(matches!(decode(BYBIT, &op, &doc.answer), Reply::Done));
    let sim = changed_as_master(&lab, &op).await;
    assert_same_shape(&doc, &sim, &[]);

    let doc = fixture(BYBIT, "delete-api");
    let op = Op::RevokeKey(Revoke::SelfMaster);
    assert!(matches!(decode(BYBIT, &op, &doc.answer), Reply::Done));
    let sim = changed_as_master(&lab, &op).await;
    assert_same_shape(&doc, &sim, &[]);
}

#[tokio::test]
async fn bybit_wallets_are_answered_as_documented() {
    let lab = Lab::start_on(BYBIT, 63).await;
    let (master, bot) = lab.creds();
    let client = lab.client();

    let doc = fixture(BYBIT, "wallet-balance");
    let Reply::Balances(unified) = decode(BYBIT, &Op::Balances, &doc.answer) else {
        panic!("not balances");
    };
    assert_eq!(unified.len(), 1);
    assert_eq!(unified[0].coin, "BTC");
    assert_eq!(unified[0].account.as_deref(), Some("UNIFIED"));
    let sim = sim_answer(&client, &Op::Balances, Auth::Key(&bot)).await;
    assert_same_shape(&doc, &sim, &[]);

    let doc = fixture(BYBIT, "fund-balance");
    let Reply::Balances(fund) = decode(BYBIT, &Op::WalletBalances { account: "FUND" }, &doc.answer)
    else {
        panic!("not balances");
    };
    assert_eq!(fund.len(), 1);
    assert_eq!(fund[0].coin, "USDC");
    assert_eq!(fund[0].account.as_deref(), Some("FUND"));
    assert!(fund[0].locked.is_zero());
    // Read with a key holding a Wallet permission: the bot's trading key may not.
    let sim = sim_answer(
        &client,
        &Op::WalletBalances { account: "FUND" },
        Auth::Key(&master),
    )
    .await;
    assert_same_shape(&doc, &sim, &[]);
}

#[tokio::test]
async fn a_key_without_a_wallet_permission_still_reads_its_unified_balances() {
    let lab = Lab::start_on(BYBIT, 68).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    // The bot's key trades only: Bybit's asset endpoints refuse it (10005), and the unified
    // wallet's balances are kept all the same.
    let held = balances(&client, &bot).await;
    assert!(held.iter().any(|b| b.coin == "USDT"), "{held:?}");
    assert!(
        held.iter().all(|b| b.account.as_deref() == Some("UNIFIED")),
        "{held:?}"
    );
    // The master's key holds Wallet rights: both wallets.
    let held = balances(&client, &master).await;
    for account in ["UNIFIED", "FUND"] {
        assert!(
            held.iter().any(|b| b.account.as_deref() == Some(account)),
            "{account}: {held:?}"
        );
    }
}

#[tokio::test]
async fn bybit_money_moves_are_answered_as_documented() {
    let lab = Lab::start_on(BYBIT, 64).await;
    let (master, _) = lab.creds();
    let client = lab.client();
    let window = week();

    let doc = fixture(BYBIT, "universal-transfers");
    let op = Op::Transfers {
        window,
        cursor: None,
    };
    let page = decode(BYBIT, &op, &doc.answer).into_transfers().unwrap();
    assert_eq!(page.items[0].from.as_deref(), Some("533285"));
    assert_eq!(page.items[0].to.as_deref(), Some("592324"));
    assert_eq!(
        page.next.as_deref(),
        Some("eyJtaW5JRCI6MTc4OTYwNSwibWF4SUQiOjE3ODk2MDV9")
    );
    let sim = sim_answer(&client, &op, Auth::Key(&master)).await;
    assert_same_shape(&doc, &sim, &[]);

    let doc = fixture(BYBIT, "internal-transfers");
    let op = internal_transfers(window);
    let page = decode(BYBIT, &op, &doc.answer).into_transfers().unwrap();
    assert_eq!(page.items[0].from.as_deref(), Some("SPOT"));
    assert_eq!(page.items[0].to.as_deref(), Some("UNIFIED"));
    // The internal list's own cursor goes back marked as the internal list's.
    assert_eq!(
        page.next.as_deref(),
        Some("internal|eyJtaW5JRCI6MTM1ODQ2OCwibWF4SUQiOjEzNTg0Njh9")
    );
    master_moves(
        &lab,
        "d3b1c3a4-0d1e-4bb5-9a39-aa8d7b7c0001",
        "UNIFIED",
        "FUND",
    )
    .await;
    let sim = sim_answer(&client, &op, Auth::Key(&master)).await;
    assert_same_shape(&doc, &sim, &[]);

    let doc = fixture(BYBIT, "withdrawals");
    let op = Op::Withdrawals {
        window: last_days(window.end_ms, 29),
        cursor: None,
    };
    let page = decode(BYBIT, &op, &doc.answer).into_transfers().unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[1].amount.as_str(), "951");
    let sim = sim_answer(&client, &op, Auth::Key(&master)).await;
    assert_same_shape(&doc, &sim, &[]);

    let doc = fixture(BYBIT, "withdraw");
    let op = usdt_withdrawal("0x99ced6b1a2ec4d8ae1e0bb4d5fd66bd1a1e5d2b1");
    assert!(matches!(decode(BYBIT, &op, &doc.answer), Reply::Done));
    let sim = changed_as_master(&lab, &op).await;
    assert_same_shape(&doc, &sim, &[]);
}

#[test]
fn every_bybit_account_endpoint_has_its_documented_answer() {
    let venue = BYBIT.venue();
    let settings = VenueSettings::default();
    let call = context(&settings);
    let window = Window {
        start_ms: 0,
        end_ms: DAY_MS,
    };
    let scope = lockdown::exchanges::model::KeyScope {
        trade: vec![TradePermission::SpotTrade],
        ips: lockdown::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
    };
    // One op of each kind the adapter encodes for keys and money; the order and market
    // endpoints are checked with their own fixtures (shapes of orders).
    let ops = [
        Op::WhoAmI,
        Op::SubKeys {
            account: "1000002".into(),
            cursor: None,
        },
        Op::RestrictKey {
            account: Some("1000002".into()),
            key: KeyId::new("k"),
            lock: lock_to(&["127.0.0.1"], Access::Unchanged),
        },
        Op::RevokeKey(Revoke::ByMaster {
            key: KeyId::new("k"),
            account: Some("1000002".into()),
        }),
        Op::RevokeKey(Revoke::SelfSub),
        Op::RevokeKey(Revoke::SelfMaster),
        Op::CreateKey {
            account: "1000002".into(),
            label: "l".into(),
            scope,
        },
        Op::Balances,
        Op::WalletBalances { account: "FUND" },
        Op::Transfers {
            window,
            cursor: None,
        },
        internal_transfers(window),
        Op::Withdrawals {
            window,
            cursor: None,
        },
        usdt_withdrawal("0x0"),
    ];
    let documented: Vec<String> = fixture_names(BYBIT)
        .iter()
        .map(|name| fixture(BYBIT, name).endpoint)
        .collect();
    let missing: Vec<String> = ops
        .iter()
        .map(|op| {
            let request = venue.encode(op, &call).unwrap();
            format!("{} {}", request.method.as_str(), request.path)
        })
        .filter(|endpoint| !documented.contains(endpoint))
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints without a documented answer in tests/fixtures/bybit: {missing:?}"
    );
}

#[tokio::test]
async fn an_update_without_read_only_or_ips_gets_the_documented_defaults() {
    let lab = Lab::start_on(BYBIT, 65).await;
    let (master, _) = lab.creds();
    let client = lab.client();
    let account = lab.account();
    let created = create_key(&client, &master, &account, "viewer", &[], &["127.0.0.9"]).await;
    let key = created.info.key.as_str().to_owned();
    assert!(lab.sim.inspect().key(&key).unwrap().read_only);

    // "readOnly: 0 (default): Read and Write" (docs `user/modify-sub-apikey.mdx`).
    let body = format!(r#"{{"apikey":"{key}","ips":"127.0.0.9"}}"#);
    let code = as_master(&lab, "POST", "/v5/user/update-sub-api", &body).await;
    assert_eq!(code, 0);
    let truth = lab.sim.inspect();
    let after = truth.key(&key).unwrap();
    assert!(!after.read_only, "an omitted readOnly is read-write");

    // "don't pass ips or pass with "*" means no bind".
    let body = format!(r#"{{"apikey":"{key}","readOnly":1}}"#);
    let code = as_master(&lab, "POST", "/v5/user/update-sub-api", &body).await;
    assert_eq!(code, 0);
    let truth = lab.sim.inspect();
    let after = truth.key(&key).unwrap();
    assert!(after.read_only);
    assert_eq!(after.ips, ["*"], "an omitted ips is no bind");
}

#[tokio::test]
async fn a_bybit_lock_keeps_the_leaked_key_trading_from_the_responder_only() {
    let lab = Lab::start_on(BYBIT, 66).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    let locked = crate::adapter::restrict_key(
        &client,
        &master,
        &lab.account(),
        &bot.key,
        lock_to(&["127.0.0.1"], Access::Unchanged),
    )
    .await
    .unwrap();
    assert!(!locked.read_only);
    let truth = lab.sim.inspect();
    let key = truth.key(bot.key.as_str()).unwrap();
    assert!(!key.read_only && key.ips.len() == 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn funds_moved_into_the_funding_wallet_show_in_the_snapshot() {
    let lab = Lab::start_on(BYBIT, 67).await;
    let (master, _) = lab.creds();
    let client = lab.client();
    // Whoever holds the master key parks 25 USDT in its funding wallet.
    master_moves(
        &lab,
        "6c1f7c1e-4d5b-4f43-8a5e-2b7f0c9d0001",
        "UNIFIED",
        "FUND",
    )
    .await;
    let moved = transfers(&client, &master, week()).await;
    assert!(
        moved
            .iter()
            .any(|t| t.from.as_deref() == Some("UNIFIED") && t.to.as_deref() == Some("FUND")),
        "{moved:?}"
    );
    let held = balances(&client, &master).await;
    let fund = held
        .iter()
        .find(|b| b.account.as_deref() == Some("FUND") && b.coin == "USDT")
        .unwrap_or_else(|| panic!("the funding wallet is read: {held:?}"));
    assert_eq!(fund.total.as_str(), "1525");

    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "money-evidence",
            r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}" }
  - id: money
    snapshot: { key: "{{ inputs.key }}", of: [balances, transfers] }
"#,
        ),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let dir = run_dir(&summary).join("snapshots");
    let rows = |kind: &str| -> Vec<Value> {
        read(&dir.join(format!("money-{kind}.jsonl")))
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let transfers = rows("transfers");
    assert!(
        transfers
            .iter()
            .any(|t| t["from"] == "UNIFIED" && t["to"] == "FUND" && t["amount"] == "25"),
        "{transfers:?}"
    );
    // The leaked key's balances, each naming its wallet.
    let balances = rows("balances");
    assert!(
        !balances.is_empty() && balances.iter().all(|b| b["account"] == "UNIFIED"),
        "{balances:?}"
    );
}
