//! The key before the lock: each venue's report has the leaked key's permissions and addresses
//! as the exchange showed them before the lock (not the locked ones), read beside the lock and
//! never ahead of it; a read the exchange served after the lock says so instead.
//!
//! The simulator serves requests concurrently, so either order can happen; `Sim::hold` makes one
//! certain: the lock held until the read was answered, or the read until the lock was.

use lockdown::exchanges::model::KeyInfo;
use lockdown::exchanges::{Auth, ExchangeId, Op, Reply};
use lockdown::sim::BOT_IP;
use serde_json::Value;

use crate::support::{
    Lab, code, drill_passes, files_under, journal_of, read, report_of, responder_ip, stderr, stdout,
};

/// What the report says when the exchange served the read before it applied the lock.
const BEFORE: &str = "read alongside the lock, answered before the exchange applied it";
/// When the read may have been served after.
const AFTER: &str = "read after the lock; the original state is not known";

/// A venue's lock request and the read beside it, as the simulator's request lines show them.
struct Routes {
    venue: ExchangeId,
    lock: &'static str,
    read: &'static str,
    /// How many reads release the lock (Deribit's lock lists the keys itself first).
    releases: u64,
}

const BYBIT: Routes = Routes {
    venue: ExchangeId::Bybit,
    lock: "POST /v5/user/update-sub-api",
    read: "GET /v5/user/sub-apikeys",
    releases: 1,
};

/// The key as the master's listing shows it now, through lockdown's own adapter.
async fn listed(lab: &Lab) -> KeyInfo {
    let (mut master, _) = lab.creds();
    if lab.venue == ExchangeId::Okx {
        let passphrase = read(&lab.sim_dir().join("master.passphrase"));
        master = master.with_passphrase(passphrase.into());
    }
    let account = lab.account();
    let op = |cursor| Op::SubKeys {
        account: account.clone(),
        cursor,
    };
    let keys = lab
        .client()
        .all_pages(op, Auth::Key(&master), Reply::into_keys)
        .await
        .unwrap();
    let leaked = lockdown::secret::KeyId::new(lab.leaked());
    keys.into_iter().find(|k| k.names(&leaked)).unwrap()
}

/// Runs `respond --yes --json`; the summary, the report and the lock step's `key_before`.
async fn respond(lab: &Lab) -> (Value, Value, Value) {
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no summary ({err}): {}", stderr(&output)));
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let record = lock_step(&summary)["data"]["outputs"]["key_before"].clone();
    (summary.clone(), report_of(&summary), record)
}

/// The lock step's end in the run's journal.
fn lock_step(summary: &Value) -> Value {
    journal_of(summary)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|e| e["type"] == "step_finished" && e["data"]["action"] == "restrict_key")
        .expect("the lock step ended")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The leaked key bound to the bots' address only (not the responder's), the lock held until
/// the read beside it was answered: the report shows the key as it was.
async fn shows_the_key_as_it_was(routes: &Routes, seed: u64) {
    let lab = Lab::start_on(routes.venue, seed).await;
    assert!(lab.sim.set_key_ips(&lab.leaked(), &[BOT_IP]));
    let seeded = listed(&lab).await;
    assert_eq!(seeded.ips, [BOT_IP.to_string()], "{seeded:?}");
    lab.sim.hold(routes.lock, routes.read, routes.releases);

    let (_, report, record) = respond(&lab).await;
    let before = &report["key_before"];
    assert_eq!(before["source"], BEFORE, "{record:#}");
    assert_eq!(strings(&before["ips"]), seeded.ips, "{before:#}");
    assert_eq!(strings(&before["permissions"]), seeded.permissions);
    assert_eq!(before["read_only"], seeded.read_only);
    assert!(before["read_at"].as_str().is_some_and(|t| !t.is_empty()));
    // The lock went out first, the read beside it (their answers may come back in either order:
    // the exchange served the read first, the network decides which answer lands first).
    assert_eq!(
        strings(&record["order"])[..2],
        ["lock sent", "read sent"],
        "{record:#}"
    );
    assert_eq!(record["before_lock"], true);
    assert_eq!(record["read_by"], "master_listing");
    // And the lock did take: the key is bound to the responder now.
    let locked = lab.sim.inspect();
    let key = locked.key(&lab.leaked()).unwrap();
    assert!(key.ips.contains(&responder_ip().to_string()), "{key:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_reports_the_key_before_the_lock() {
    shows_the_key_as_it_was(&BYBIT, 1901).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn okx_reports_the_key_before_the_lock() {
    let okx = Routes {
        venue: ExchangeId::Okx,
        lock: "POST /api/v5/users/subaccount/modify-apikey",
        read: "GET /api/v5/users/subaccount/apikey",
        releases: 1,
    };
    shows_the_key_as_it_was(&okx, 1902).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn binance_reports_the_key_before_the_lock() {
    let binance = Routes {
        venue: ExchangeId::Binance,
        lock: "POST /sapi/v2/sub-account/subAccountApi/ipRestriction",
        read: "GET /sapi/v1/sub-account/subAccountApi/ipRestriction",
        releases: 1,
    };
    shows_the_key_as_it_was(&binance, 1903).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_reports_the_key_before_the_lock() {
    // The lock's own lookup lists the keys before the lock is sent: the second listing, the
    // read beside the lock, releases it.
    let deribit = Routes {
        venue: ExchangeId::Deribit,
        lock: "/api/v2/private/edit_api_key",
        read: "/api/v2/private/list_api_keys",
        releases: 2,
    };
    shows_the_key_as_it_was(&deribit, 1904).await;
}

/// Kraken has no API to lock or delete a key: a person deletes it, and the key is read through
/// itself before anyone is shown how. The drill's report has it as the exchange showed it then
/// (what the `key_info` snapshot beside the deletion also read).
#[tokio::test(flavor = "multi_thread")]
async fn kraken_reads_the_key_before_anyone_is_shown_how_to_delete_it() {
    let (_state, card) = drill_passes("kraken", "quiet").await;
    let dir = std::path::Path::new(card["drill_dir"].as_str().unwrap());
    let report = files_under(dir)
        .into_iter()
        .find(|f| f.ends_with("report.json"))
        .expect("the drill wrote report.json");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let before = &report["key_before"];
    assert_eq!(
        before["source"], "read through the key itself before anyone was shown how to contain it",
        "{report:#}"
    );
    let seen = &report["key_info"][0]["info"];
    assert!(!strings(&before["permissions"]).is_empty(), "{before:#}");
    assert_eq!(before["permissions"], seen["permissions"], "{report:#}");
    assert_eq!(before["ips"], seen["ips"]);
}

/// The read held until the exchange applied the lock: it shows the locked key, and the report
/// says the original state is not known rather than calling the locked key the one before.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_served_after_the_lock_says_the_original_state_is_not_known() {
    let lab = Lab::start_on(BYBIT.venue, 1906).await;
    assert!(lab.sim.set_key_ips(&lab.leaked(), &[BOT_IP]));
    lab.sim.hold(BYBIT.read, BYBIT.lock, 1);
    let mark = lab.sent();

    let (_, report, record) = respond(&lab).await;
    let before = &report["key_before"];
    assert_eq!(before["source"], AFTER, "{record:#}");
    assert_eq!(record["before_lock"], false);
    assert_eq!(strings(&before["ips"]), [responder_ip().to_string()]);
    // The exchange's request log: the lock was applied before the read was served.
    let lines: Vec<String> = lab
        .sent_since(mark)
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    let at = |route: &str| lines.iter().position(|l| l.contains(route)).unwrap();
    assert!(at(BYBIT.lock) < at(BYBIT.read), "{lines:#?}");
    // The lock was acknowledged before the read was answered (the read may have been sent before
    // the acknowledgement or after it, depending on how fast the lock was answered).
    let order = strings(&record["order"]);
    assert_eq!(order[0], "lock sent", "{record:#}");
    let at = |what: &str| order.iter().position(|o| o == what).unwrap();
    assert!(at("lock acknowledged") < at("read answered"), "{record:#}");
}

/// The read beside the lock served after the lock, but `lockdown audit` saw the key shortly
/// before the incident: the report shows that view, named as `audit`'s, not the locked key.
#[tokio::test(flavor = "multi_thread")]
async fn a_late_read_falls_back_to_the_last_audit_view() {
    let lab = Lab::start_on(BYBIT.venue, 1907).await;
    assert!(lab.sim.set_key_ips(&lab.leaked(), &[BOT_IP]));
    let config = lab.session.config.display().to_string();
    let audited = crate::support::lockdown(&["--config", &config, "--json", "audit"], &[]).await;
    assert!(code(&audited) <= 2, "{}", stderr(&audited));
    lab.sim.hold(BYBIT.read, BYBIT.lock, 1);

    let (_, report, record) = respond(&lab).await;
    assert_eq!(record["before_lock"], false, "{record:#}");
    assert_eq!(record["last_seen"]["by"], "audit", "{record:#}");
    let before = &report["key_before"];
    let source = before["source"].as_str().unwrap();
    assert!(
        source.starts_with("as `lockdown audit` saw it at "),
        "{before:#}"
    );
    assert_eq!(strings(&before["ips"]), [BOT_IP.to_string()], "{before:#}");
    assert_eq!(before["read_at"], record["last_seen"]["at"]);
}
