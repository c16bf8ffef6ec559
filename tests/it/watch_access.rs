//! `lockdown watch` reads Deribit's access log (`private/get_access_log`) with the watched key
//! and signals `unknown_access` when the key is tried or used from an address nobody vouches
//! for (the attacker's, 127.0.0.2), high once it gets in from outside the key's IP list as first
//! read, but not for the responder's own logins and reads (docs/watch.md §2).

use std::time::Duration;

use lockdown::exchanges::client::http_client_from;
use lockdown::exchanges::{Auth, Client, ExchangeId, Mode, Op};
use serde_json::Value;

use crate::adapter::who_am_i;
use crate::support::{Lab, attacker_ip, code, lockdown, responder_ip, stderr, stdout};

/// The simulator's count of `private/get_access_log` requests answered so far.
fn log_reads(lab: &Lab) -> usize {
    lab.sim
        .inspect()
        .access_log
        .iter()
        .filter(|e| e.path.contains("get_access_log"))
        .count()
}

/// Waits (at most 20 s, in 100 ms steps) until the watcher has read the access log more than
/// `after` times.
async fn wait_for_log_read(lab: &Lab, after: usize) {
    for _ in 0..200 {
        if log_reads(lab) > after {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the watcher never read the access log (more than {after} reads expected)");
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_signals_the_leaked_key_tried_and_used_from_the_attackers_address() {
    let lab = Lab::start_on(ExchangeId::Deribit, 1).await;
    let (_, bot) = lab.creds();
    // The key is bound to the responder's address when the watch begins.
    assert!(lab.sim.set_key_ips(&lab.leaked(), &[responder_ip()]));
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!("{text}\nwatch:\n  account_interval: 1s\n  policy:\n    - {{ signal: any, action: notify }}\n"),
    )
    .unwrap();
    let config = lab.session.config.display().to_string();
    let before = log_reads(&lab);
    let watching = tokio::spawn(async move {
        lockdown(
            &["watch", "--config", &config, "--json", "--for", "12s"],
            &[],
        )
        .await
    });
    // The first read is the baseline: the attacker comes after it.
    wait_for_log_read(&lab, before).await;
    let attacker = || {
        Client::with_http(
            ExchangeId::Deribit.venue(),
            &lab.running.base_url,
            Mode::Live,
            http_client_from(attacker_ip()).unwrap(),
        )
    };
    // Tried from the attacker's address: refused by the key's IP list, but logged.
    let refused = attacker().call(&Op::WhoAmI, Auth::Key(&bot)).await;
    assert!(refused.is_err(), "{refused:?}");
    // Someone who can edit the key adds their address; the key then logs in from there and
    // reads the account, twice: one signal for the access.
    assert!(
        lab.sim
            .set_key_ips(&lab.leaked(), &[responder_ip(), attacker_ip()])
    );
    let inside = attacker();
    who_am_i(&inside, &bot).await;
    who_am_i(&inside, &bot).await;
    let after_attack = log_reads(&lab);
    wait_for_log_read(&lab, after_attack).await;

    let output = watching.await.unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signals = summary["watched"][0]["signals"].as_array().unwrap().clone();
    let unknown: Vec<(&str, &str)> = signals
        .iter()
        .filter(|s| s["kind"] == "unknown_access")
        .map(|s| {
            (
                s["confidence"].as_str().unwrap(),
                s["reasons"][0].as_str().unwrap(),
            )
        })
        .collect();
    let attacker_ip = attacker_ip().to_string();
    assert_eq!(unknown.len(), 2, "{signals:#?}\n{}", stderr(&output));
    // The refused try: someone there has the key's id.
    assert_eq!(unknown[0].0, "medium", "{unknown:?}");
    assert!(
        unknown[0].1.contains("was refused") && unknown[0].1.contains(&attacker_ip),
        "{unknown:?}"
    );
    // In from outside the key's IP list as the watch first read it: it was changed.
    assert_eq!(unknown[1].0, "high", "{unknown:?}");
    assert!(
        unknown[1]
            .1
            .contains(&format!("logged in from {attacker_ip}")),
        "{unknown:?}"
    );
    assert!(
        signals
            .iter()
            .all(|s| s["kind"] != "unknown_access" || s["source"] == "account_read")
    );
    // The responder's own logins (REST and stream) and reads raise nothing.
    assert!(
        !signals.iter().any(|s| s["kind"] == "unknown_access"
            && s["reasons"]
                .to_string()
                .contains(&format!("from {} ", responder_ip()))),
        "{signals:#?}"
    );
    // Every read was made: the key's listing (its IP list) and the log itself.
    assert!(
        !stderr(&output).contains("not watched"),
        "{}",
        stderr(&output)
    );
    // The list's change is a signal of its own (read from the account's key listing).
    assert!(
        signals.iter().any(|s| s["kind"] == "key_changed"),
        "{signals:#?}"
    );
    // Notify only: nothing was locked.
    assert_eq!(summary["watched"][0]["acted"], serde_json::json!([]));
}
