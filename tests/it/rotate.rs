//! `lockdown rotate`: a planned rotation on every simulator venue, end to end over real HTTP.
//! The old key is refused afterwards, the store holds the new key's secret, and the new key has
//! the old one's IP list and rights; a rotation killed with SIGKILL before the revoke is
//! finished by `lockdown resume` with exactly one new key; flags only ever narrow; `--min-age`
//! leaves a young key alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lockdown::exchanges::{Auth, ExchangeId, Op};
use lockdown::sim::Inspect;
use serde_json::Value;

use crate::support::{
    Lab, bind_bot_key, code, edit_config, files_under, journal_of, lockdown, read, stderr, stdout,
    step_status,
};

/// `rotate --config C --profile sim --key K`, then `extra`.
fn rotate_args<'a>(config: &'a str, key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "rotate",
        "--config",
        config,
        "--profile",
        "sim",
        "--key",
        key,
    ];
    args.extend_from_slice(extra);
    args
}

async fn rotate(lab: &Lab, extra: &[&str]) -> std::process::Output {
    let config = lab.session.config.display().to_string();
    lockdown(&rotate_args(&config, &lab.leaked(), extra), &[]).await
}

/// Whether the exchange refuses `key` signed with `secret` (and, on OKX, `passphrase`) as an
/// unknown key.
async fn refused(lab: &Lab, key: &str, secret: &str, passphrase: Option<&str>) -> bool {
    let mut cred = lockdown::secret::Credential::new(
        lockdown::secret::KeyId::new(key),
        lockdown::secret::SecretString::from(secret.to_owned()),
    );
    if let Some(passphrase) = passphrase {
        cred = cred.with_passphrase(lockdown::secret::SecretString::from(passphrase.to_owned()));
    }
    match lab.client().call(&Op::WhoAmI, Auth::Key(&cred)).await {
        Ok(_) => false,
        Err(err) => err.is_unauthenticated(),
    }
}

/// The trading groups of a simulated key's permissions (what a replacement can have).
fn trading(view: &Value) -> Vec<String> {
    let mut groups: Vec<String> = view
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty()))
                .map(|(k, _)| k.clone())
                .filter(|k| !matches!(k.as_str(), "Wallet" | "Exchange" | "Earn" | "NFT"))
                .collect()
        })
        .unwrap_or_default();
    groups.sort();
    groups
}

/// Asserts what a finished rotation left: the old key deleted and refused, one new key with
/// the old one's addresses and trading rights, its secret in the store.
async fn assert_rotated(lab: &Lab, before: &Inspect, summary: &Value) -> String {
    let old = lab.leaked();
    let after = lab.sim.inspect();
    let old_view = before.key(&old).unwrap();
    assert!(after.key(&old).unwrap().deleted, "the old key is deleted");
    let old_secret = read(&lab.sim_dir().join("bot.secret"));
    let old_passphrase = std::fs::read_to_string(lab.sim_dir().join("bot.passphrase")).ok();
    assert!(
        refused(
            lab,
            &old,
            &old_secret,
            old_passphrase.as_deref().map(str::trim)
        )
        .await,
        "the old key is refused"
    );
    let stored = lab.replacement();
    let new = stored["api_key"].as_str().unwrap().to_owned();
    let new_view = after.key(&new).expect("the stored key exists");
    assert!(!new_view.deleted);
    assert_eq!(new_view.uid, old_view.uid, "same account");
    let mut want_ips = old_view.ips.clone();
    let mut got_ips = new_view.ips.clone();
    want_ips.sort();
    got_ips.sort();
    assert_eq!(got_ips, want_ips, "the old key's IP list");
    assert_eq!(
        trading(&new_view.permissions),
        trading(&old_view.permissions),
        "the old key's trading rights: {} vs {}",
        new_view.permissions,
        old_view.permissions
    );
    // The store's secret is the new key's: the exchange takes it.
    let secret = stored["api_secret"].as_str().unwrap();
    assert!(
        !refused(lab, &new, secret, stored["api_passphrase"].as_str()).await,
        "the stored secret signs for the new key: {}",
        stored
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    );
    // Exactly one key was made.
    assert_eq!(after.keys.len(), before.keys.len() + 1, "one new key");
    // The report says what it was.
    let run_dir = PathBuf::from(summary["run_dir"].as_str().unwrap());
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(markdown.contains("lanned rotation"), "{markdown}");
    // No secret anywhere in the run folder.
    for file in files_under(&run_dir) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains(secret) && !text.contains(old_secret.as_str()));
    }
    new
}

async fn rotates_end_to_end(venue: ExchangeId, seed: u64) {
    let lab = Lab::start_on(venue, seed).await;
    bind_bot_key(&lab);
    let before = lab.sim.inspect();
    let output = rotate(&lab, &["--grace", "0s", "--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{venue}: {}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    for step in [
        "replace",
        "store",
        "handoff",
        "wait",
        "revoke",
        "verify_dead",
    ] {
        assert_eq!(step_status(&summary, step), "ok", "{venue}: {step}");
    }
    assert!(
        stderr(&output).contains("planned rotation of key"),
        "{}",
        stderr(&output)
    );
    assert_rotated(&lab, &before, &summary).await;
    // Neither secret is ever printed.
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    let new_secret = lab.replacement()["api_secret"].as_str().unwrap().to_owned();
    let old_secret = read(&lab.sim_dir().join("bot.secret"));
    assert!(!printed.contains(&new_secret) && !printed.contains(old_secret.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_bybit() {
    rotates_end_to_end(ExchangeId::Bybit, 2001).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_okx() {
    rotates_end_to_end(ExchangeId::Okx, 2002).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_binance() {
    rotates_end_to_end(ExchangeId::Binance, 2003).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_bingx() {
    rotates_end_to_end(ExchangeId::Bingx, 2010).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_deribit() {
    rotates_end_to_end(ExchangeId::Deribit, 2004).await;
}

/// Kraken: the key is made and deleted by a person (here the simulated operator); lockdown reads
/// the old key's rights and IP list as the key, shows them in the guided step, and proves the
/// old key refused once it is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn rotates_on_kraken_with_the_simulated_operator() {
    let lab = Lab::start_on(ExchangeId::Kraken, 2005).await;
    bind_bot_key(&lab);
    let old = lab.leaked();
    let before = lab.sim.inspect();
    let operator = lockdown::drill::SimOperator::new(lab.sim.clone(), Duration::ZERO, &old);
    let ui = lockdown::ui::Ui::new(lockdown::ui::Verbosity::Quiet, true);
    let rotated = lockdown::rotate::rotate(
        lockdown::rotate::Rotation {
            config: lab.session.config.clone(),
            profile: Some("sim".into()),
            key: lockdown::secret::KeyId::new(old.clone()),
            playbook: None,
            permissions: Vec::new(),
            ips: Vec::new(),
            grace: Some(Duration::ZERO),
            min_age: None,
            confirm: lockdown::engine::Confirm::Drill,
            mode: lockdown::exchanges::Mode::Live,
            otp: None,
            operator: Some(Arc::new(operator)),
        },
        &ui,
    )
    .await
    .unwrap();
    let lockdown::rotate::Rotated::Ran(outcome) = rotated else {
        panic!("no age limit was given");
    };
    let journal_text = read(&PathBuf::from(&outcome.run_dir).join("journal.jsonl"));
    assert_eq!(outcome.exit().code(), 0, "{journal_text}");
    let after = lab.sim.inspect();
    assert!(after.key(&old).unwrap().deleted);
    let old_secret = read(&lab.sim_dir().join("bot.secret"));
    assert!(refused(&lab, &old, &old_secret, None).await);
    // The operator made one key, bound to the addresses the step showed: the old key's.
    let made: Vec<_> = after
        .keys
        .iter()
        .filter(|k| before.key(&k.id).is_none())
        .collect();
    assert_eq!(made.len(), 1, "one new key");
    let mut want = before.key(&old).unwrap().ips.clone();
    let mut got = made[0].ips.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let journal = read(&PathBuf::from(&outcome.run_dir).join("journal.jsonl"));
    assert!(
        journal.contains("EAPI:Invalid key"),
        "the refusal is the proof"
    );
}

/// A flag that would widen the key stops the rotation before anything is made: the old key
/// keeps working and no key is created.
#[tokio::test(flavor = "multi_thread")]
async fn a_flag_that_widens_stops_before_anything_is_made() {
    let lab = Lab::start_on(ExchangeId::Bybit, 2006).await;
    bind_bot_key(&lab);
    let before = lab.sim.inspect();
    let output = rotate(
        &lab,
        &[
            "--tighter-ips",
            "10.9.9.9",
            "--grace",
            "0s",
            "--yes",
            "--json",
        ],
    )
    .await;
    assert_ne!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(step_status(&summary, "replace"), "failed");
    assert_ne!(step_status(&summary, "revoke"), "ok");
    let after = lab.sim.inspect();
    assert_eq!(after.keys.len(), before.keys.len(), "no key was made");
    assert!(
        !after.key(&lab.leaked()).unwrap().deleted,
        "the old key lives"
    );
    assert!(
        stderr(&output).contains("a rotation may only tighten"),
        "{}",
        stderr(&output)
    );

    // Narrowing is fine: one address of the two.
    let output = rotate(
        &lab,
        &[
            "--tighter-ips",
            "127.0.0.1",
            "--grace",
            "0s",
            "--yes",
            "--json",
        ],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let new = lab.replacement()["api_key"].as_str().unwrap().to_owned();
    assert_eq!(lab.sim.inspect().key(&new).unwrap().ips, ["127.0.0.1"]);
}

/// `--min-age` leaves a younger key alone (exit 0, nothing sent that changes anything), and
/// rotates one old enough.
#[tokio::test(flavor = "multi_thread")]
async fn min_age_leaves_a_young_key_alone() {
    let lab = Lab::start_on(ExchangeId::Bybit, 2007).await;
    bind_bot_key(&lab);
    let before = lab.sim.inspect();
    let output = rotate(&lab, &["--min-age", "3650d", "--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["rotated"], false, "{summary}");
    assert_eq!(summary["min_age_days"], 3650);
    assert!(lab.run_dirs().is_empty(), "no run was started");
    assert_eq!(lab.sim.inspect().keys.len(), before.keys.len());

    let output = rotate(
        &lab,
        &["--min-age", "0s", "--grace", "0s", "--yes", "--json"],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(lab.sim.inspect().key(&lab.leaked()).unwrap().deleted);
}

/// A bot's health page: 200 with the key id in the lab's store once `reports` is set (a bot
/// that says which key it signs with), `{}` before.
async fn bot_health(store: PathBuf, reports: Arc<AtomicBool>) -> String {
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let store = store.clone();
            let reports = reports.clone();
            async move {
                if !reports.load(Ordering::SeqCst) {
                    return "{}".to_owned();
                }
                let stored: Value = std::fs::read_to_string(&store)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or_default();
                format!("{{\"key\":{}}}", stored["api_key"])
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/health")
}

/// The first run folder's journal once it shows `step` started, within 30 s.
async fn started(lab: &Lab, step: &str) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(30);
    let marker = format!("\"step\":\"{step}\"");
    loop {
        assert!(Instant::now() < deadline, "step `{step}` never started");
        if let Some(dir) = lab.run_dirs().into_iter().next() {
            let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default();
            if journal
                .lines()
                .any(|l| l.contains("\"step_started\"") && l.contains(&marker))
            {
                return dir;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGKILL while the rotation waits for the bot (the new key made, stored and handed over, the
/// old one not yet revoked); `lockdown resume` then finishes it once the bot reports the new
/// key: one new key, stored, the old one revoked and refused.
#[tokio::test(flavor = "multi_thread")]
async fn killed_before_the_revoke_resume_ends_with_one_new_key() {
    let lab = Lab::start_on(ExchangeId::Bybit, 2008).await;
    bind_bot_key(&lab);
    let before = lab.sim.inspect();
    let reports = Arc::new(AtomicBool::new(false));
    let health = bot_health(lab.sim_dir().join("replacement-key.json"), reports.clone()).await;
    edit_config(
        &lab,
        "    responder_ip:",
        &format!(
            "    handoff:\n      command: [\"true\"]\n      health_url: {health}\n    responder_ip:"
        ),
    );
    let config = lab.session.config.display().to_string();
    let key = lab.leaked();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args(rotate_args(
            &config,
            &key,
            &["--grace", "1h", "--yes", "-q"],
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let run_dir = started(&lab, "wait").await;
    // A real SIGKILL: no handler runs.
    Command::new("kill")
        .arg("-KILL")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let _ = child.wait();
    let middle = lab.sim.inspect();
    assert!(
        !middle.key(&key).unwrap().deleted,
        "killed before the revoke"
    );
    assert_eq!(
        middle.keys.len(),
        before.keys.len() + 1,
        "the new key exists"
    );

    // The bot now runs with the new key and says so: the resumed wait ends at once.
    reports.store(true, Ordering::SeqCst);
    let run = run_dir.display().to_string();
    let resumed = lockdown(&["resume", &run, "--yes", "--json"], &[]).await;
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let summary: Value = serde_json::from_str(&stdout(&resumed)).unwrap();
    assert_eq!(step_status(&summary, "wait"), "ok");
    let wait = journal_of(&summary)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|e| e["type"] == "step_finished" && e["data"]["step"] == "wait")
        .expect("the wait finished");
    assert_eq!(wait["data"]["outputs"]["seen_by"], "health_url", "{wait}");
    assert_rotated(&lab, &before, &summary).await;
    assert_journal_verifies(&run_dir).await;
}

async fn assert_journal_verifies(run_dir: &Path) {
    let run = run_dir.display().to_string();
    let verified = lockdown(&["verify", &run], &[]).await;
    assert_eq!(code(&verified), 0, "{}", stderr(&verified));
}

/// A `rotate` job on a one-second cron (manual clock) runs in-process through the CLI, exactly
/// as typed: the key older than `--min-age` is rotated, the job's exit is 0.
#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_rotation_rotates_a_key_old_enough() {
    use lockdown::schedule::{Event, ManualClock, Outcome, Runner};
    let lab = Lab::start_on(ExchangeId::Bybit, 2009).await;
    bind_bot_key(&lab);
    let before = lab.sim.inspect();
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!(
            "{config}schedules:\n  - name: rotate-bot\n    cron: \"* * * * * *\"\n    run: [--quiet, rotate, --profile, sim, --key, \"{}\", --min-age, 1d, --grace, 0s, --yes]\n",
            lab.leaked()
        ),
    )
    .unwrap();
    let jobs = lockdown::config::load_schedules(&lab.session.config).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = ManualClock::new(start);
    let driver = clock.clone();
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::mpsc::unbounded_channel();
    let ui = lockdown::ui::Ui::new(lockdown::ui::Verbosity::Quiet, true);
    let state = lab.dir.path().join("sched");
    let runner = Runner::new(jobs, clock, state).events(events_tx);
    let drive = async move {
        driver.set(start + chrono::Duration::seconds(1));
        loop {
            match events.recv().await.expect("the scheduler is running") {
                Event::Ended(record) => {
                    assert_eq!(
                        (record.outcome, record.exit),
                        (Outcome::Ok, Some(0)),
                        "{record:?}"
                    );
                    break;
                }
                Event::Started { .. } => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        stop_tx
            .send(lockdown::interrupt::Interrupt::Sigterm)
            .unwrap();
    };
    let (stopped, ()) = tokio::join!(runner.run(&ui, stop), drive);
    assert_eq!(stopped.cancelled, 0, "{stopped:?}");
    let after = lab.sim.inspect();
    assert!(after.key(&lab.leaked()).unwrap().deleted, "rotated");
    assert_eq!(after.keys.len(), before.keys.len() + 1);
    let new = lab.replacement()["api_key"].as_str().unwrap().to_owned();
    assert!(after.key(&new).is_some_and(|k| !k.deleted));
}
