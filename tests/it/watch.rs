//! `lockdown watch`, `lockdown unlock` and `drill --watch`, end to end against the simulator
//! over real HTTP: the watcher sees the attacker's first order by REST polling, locks the key as
//! a journaled run with the signal as its cause, raises nothing in a quiet account, and a false
//! alarm is undone by one command.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{
    Lab, attacker_ip, bybit_call, code, lockdown, read, responder_ip, stderr, stdout,
};

/// `drill --json --watch` on `venue` with `scenario`: the exit code and the scorecard.
async fn drill_watch(state: &Path, venue: &str, scenario: &str) -> (i32, Value, String) {
    let state = state.display().to_string();
    let output = lockdown(
        &[
            "drill",
            "--json",
            "--state-dir",
            &state,
            "--venue",
            venue,
            "--scenario",
            scenario,
            "--watch",
            "--watch-interval",
            "500ms",
            // REST polling here; the streams have their own tests (watch_stream_*.rs).
            "--watch-poll",
        ],
        &[],
    )
    .await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    (code(&output), card, stderr(&output))
}

/// The `run_started` event of the run in `dir`.
fn run_started(dir: &Path) -> Value {
    read(&dir.join("journal.jsonl"))
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|event| event["type"] == "run_started")
        .expect("the run journaled its start")["data"]
        .clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_locks_on_the_attackers_first_order_by_polling() {
    for venue in ["bybit", "okx"] {
        let state = tempfile::tempdir().unwrap();
        let (code, card, err) = drill_watch(state.path(), venue, "pump-illiquid").await;
        assert_eq!(code, 0, "{venue}: {card:#}\n{err}");
        assert_eq!(card["passed"], true, "{venue}: {:#}", card["failures"]);
        let watch = &card["watch"];
        assert_eq!(watch["source"], "rest_poll", "{venue}");
        assert_eq!(watch["interval_ms"], 500, "{venue}");
        assert!(
            watch["true_signals"].as_u64().unwrap() >= 1,
            "{venue}: {watch:#}"
        );
        assert_eq!(watch["false_alarms"], 0, "{venue}: {watch:#}");
        // The clock starts at the attacker's first order: it was seen, and refused, after it.
        let detect = card["time_to_detect_ms"].as_u64().expect("detected");
        let refused = card["time_to_contain_from_first_order_ms"]
            .as_u64()
            .expect("the attacker was refused");
        assert!(
            detect <= refused,
            "{venue}: detected {detect} ms, refused {refused} ms"
        );
        // The watcher's lock is a run of its own, journaled with the signal as its cause.
        let lock_run = PathBuf::from(watch["lock_run"].as_str().expect("the watcher locked"));
        let started = run_started(&lock_run);
        assert_eq!(
            started["playbook"],
            format!("watch-lock-{venue}"),
            "{venue}"
        );
        assert_eq!(started["cause"]["by"], "lockdown watch", "{venue}");
        assert_eq!(
            started["cause"]["signal"]["kind"], "unauthorized_order",
            "{venue}"
        );
        assert_eq!(started["cause"]["signal"]["confidence"], "high", "{venue}");
        // And the response the person ran afterwards is a different run.
        assert_ne!(card["run_dir"], watch["lock_run"], "{venue}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_raises_no_false_alarm_on_a_quiet_or_busy_account() {
    let state = tempfile::tempdir().unwrap();
    let (code, card, err) = drill_watch(state.path(), "bybit", "quiet").await;
    assert_eq!(code, 0, "{card:#}\n{err}");
    let watch = &card["watch"];
    assert_eq!(watch["signals"], 0, "{watch:#}");
    assert!(watch["lock_run"].is_null(), "{watch:#}");
    assert!(watch["looks"].as_u64().unwrap() >= 2, "{watch:#}");
    // The bot trades through the whole drill, its ledger lagging 8 s: none of its orders is
    // called the attacker's, and the attacker's are.
    let (code, card, err) = drill_watch(state.path(), "bybit", "busy-bot").await;
    assert_eq!(code, 0, "{card:#}\n{err}");
    let watch = &card["watch"];
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    assert!(watch["true_signals"].as_u64().unwrap() >= 1, "{watch:#}");
    assert!(card["bot"]["placed"].as_u64().unwrap() > 0, "{card:#}");
}

/// An attacker who only cancels and amends the bot's hours-old orders: polling sees every one.
/// The cancels are the hard part: the venues date their order history by creation, so a cancel
/// falls in no recent window, and an order that leaves the open orders is looked up by when it
/// was created (on Deribit, whose segments are currencies, in each of them).
#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_polling_sees_the_bots_orders_cancelled_and_amended() {
    for venue in ["bybit", "deribit"] {
        let state = tempfile::tempdir().unwrap();
        let (code, card, err) = drill_watch(state.path(), venue, "quiet-sabotage").await;
        assert_eq!(code, 0, "{venue}: {card:#}\n{err}");
        let watch = &card["watch"];
        assert_eq!(watch["false_alarms"], 0, "{venue}: {watch:#}");
        // Two cancelled, two amended (`scenarios/quiet-sabotage.yaml`): each a tampered order.
        let tampered: Vec<&str> = watch["lines"]
            .as_array()
            .expect("the signals' lines")
            .iter()
            .filter_map(Value::as_str)
            .filter(|line| line.starts_with("tampered_order"))
            .collect();
        assert_eq!(tampered.len(), 4, "{venue}: {tampered:#?}");
        assert_eq!(
            tampered
                .iter()
                .filter(|l| l.contains("whose status"))
                .count(),
            2,
            "{venue}: the cancels: {tampered:#?}"
        );
    }
}

/// A Bybit simulator seeded with the `quiet` scenario (no attacker, every order the bot's), its
/// session files written.
async fn quiet_lab() -> Lab {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    let scenario = lockdown::sim::scenario::Scenario::load("quiet").unwrap();
    let venue = lockdown::exchanges::ExchangeId::Bybit;
    let sim = lockdown::sim::Sim::from_scenario_on(venue, &scenario, 1);
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let session = sim
        .write_session(&dir.path().join("sim"), &running.base_url)
        .expect("session files");
    Lab {
        venue,
        sim,
        running,
        session,
        dir,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_locks_on_an_unauthorized_order_and_unlock_undoes_it() {
    // A quiet account: only the owner's orders, every one in the ledger.
    let lab = quiet_lab().await;
    let leaked = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let config = lab.session.config.display().to_string();
    // The owner's bots sit at 127.0.0.3: where an unlock binds a key that was unbound.
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        text.replace("bot_ips: [127.0.0.1]", "bot_ips: [127.0.0.3]"),
    )
    .unwrap();
    let watch = |for_: &'static str| {
        let config = config.clone();
        async move {
            lockdown(
                &[
                    "watch",
                    "--config",
                    &config,
                    "--json",
                    "--interval",
                    "200ms",
                    "--for",
                    for_,
                ],
                &[],
            )
            .await
        }
    };

    // Nothing but the owner's orders: no signal, nothing locked.
    let quiet = watch("5s").await;
    assert_eq!(code(&quiet), 0, "{}", stderr(&quiet));
    let summary: Value = serde_json::from_str(&stdout(&quiet)).unwrap();
    let watched = &summary["watched"][0];
    // Bybit's private stream, its gap fill the first look.
    assert_eq!(watched["source"], "stream", "{watched:#}");
    assert!(watched["looks"].as_u64().unwrap() >= 1, "{watched:#}");
    assert_eq!(watched["signals"], serde_json::json!([]), "{watched:#}");
    assert_eq!(
        lab.sim.inspect().key(&leaked).unwrap().ips,
        ["*".to_owned()]
    );

    // The attacker buys, without the bots' client ids.
    let order =
        r#"{"category":"spot","orderType":"Market","qty":"10","side":"Buy","symbol":"ETHUSDT"}"#;
    let base = lab.running.base_url.clone();
    let attack = || {
        bybit_call(
            &base,
            attacker_ip(),
            &leaked,
            &secret,
            "POST",
            "/v5/order/create",
            order,
        )
    };
    assert_eq!(attack().await, 0);
    let locked = watch("5s").await;
    assert_eq!(code(&locked), 0, "{}", stderr(&locked));
    let summary: Value = serde_json::from_str(&stdout(&locked)).unwrap();
    let watched = &summary["watched"][0];
    assert_eq!(
        watched["signals"][0]["kind"], "unauthorized_order",
        "{watched:#}"
    );
    assert_eq!(watched["acted"][0]["act"], "lock", "{watched:#}");
    assert_eq!(watched["acted"][0]["contained"], true, "{watched:#}");
    let run = watched["acted"][0]["run_dir"].as_str().unwrap().to_owned();
    assert_eq!(
        lab.sim.inspect().key(&leaked).unwrap().ips,
        [responder_ip().to_string()]
    );
    assert_ne!(
        attack().await,
        0,
        "the attacker is refused once the key is locked"
    );
    let log = read(&lab.sim_dir().join("state/watch/signals.jsonl"));
    assert!(
        log.contains("unauthorized_order") && log.contains(&run),
        "{log}"
    );

    // A false alarm, say: one command binds the key to the bots' addresses again (it was
    // usable from anywhere before the lock, and lockdown never re-opens a key to the world).
    let unlocked = lockdown(&["unlock", &run, "--yes", "--json"], &[]).await;
    assert_eq!(code(&unlocked), 0, "{}", stderr(&unlocked));
    let summary: Value = serde_json::from_str(&stdout(&unlocked)).unwrap();
    assert_eq!(summary["restored"]["ips"], serde_json::json!(["127.0.0.3"]));
    assert_eq!(
        lab.sim.inspect().key(&leaked).unwrap().ips,
        ["127.0.0.3".to_owned()]
    );
    assert!(Path::new(&run).join("unlocked.json").is_file());
    let again = lockdown(&["unlock", &run, "--yes"], &[]).await;
    assert_eq!(code(&again), 2, "a lock is undone once: {}", stderr(&again));
    // A response's run is no watcher's lock.
    let not_a_lock = lockdown(&["unlock", lab.sim_dir().to_str().unwrap(), "--yes"], &[]).await;
    assert_ne!(code(&not_a_lock), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_signals_a_key_opened_to_more_addresses_while_it_watches() {
    // The key is bound to the responder's address; while the watcher runs, someone who can
    // edit it adds an address of their own: a `key_changed` signal, high (wider than before).
    let lab = quiet_lab().await;
    let leaked = lab.leaked();
    assert!(lab.sim.set_key_ips(&leaked, &[responder_ip()]));
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!("{text}\nwatch:\n  account_interval: 1s\n  policy:\n    - {{ signal: any, action: notify }}\n"),
    )
    .unwrap();
    let config = lab.session.config.display().to_string();
    let watching = tokio::spawn(async move {
        lockdown(
            &["watch", "--config", &config, "--json", "--for", "4s"],
            &[],
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        lab.sim
            .set_key_ips(&leaked, &[responder_ip(), attacker_ip()])
    );
    let output = watching.await.unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signals = summary["watched"][0]["signals"].as_array().unwrap().clone();
    let changed: Vec<&Value> = signals
        .iter()
        .filter(|s| s["kind"] == "key_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{signals:#?}");
    assert_eq!(changed[0]["confidence"], "high", "{signals:#?}");
    assert!(
        changed[0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains(&attacker_ip().to_string()),
        "{signals:#?}"
    );
    // Notify only: nothing was locked.
    assert_eq!(summary["watched"][0]["acted"], serde_json::json!([]));
}
