//! `lockdown watch` reads Deribit's access log (`private/get_access_log`) with the watched key
//! and signals `unknown_access` when the key logs in from an address nobody vouches for (the
//! attacker's, 127.0.0.2), but not for the responder's own logins and reads (docs/watch.md §2).

use std::time::Duration;

use lockdown::exchanges::client::http_client_from;
use lockdown::exchanges::{Client, ExchangeId, Mode};
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
async fn watch_signals_the_leaked_key_logging_in_from_the_attackers_address_once() {
    let lab = Lab::start_on(ExchangeId::Deribit, 1).await;
    let (_, bot) = lab.creds();
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
    let attacker = Client::with_http(
        ExchangeId::Deribit.venue(),
        &lab.running.base_url,
        Mode::Live,
        http_client_from(attacker_ip()).unwrap(),
    );
    // Logs in with the leaked key (`public/auth`) and reads the account, twice: one signal.
    who_am_i(&attacker, &bot).await;
    who_am_i(&attacker, &bot).await;
    let after_attack = log_reads(&lab);
    wait_for_log_read(&lab, after_attack).await;

    let output = watching.await.unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signals = summary["watched"][0]["signals"].as_array().unwrap().clone();
    let unknown: Vec<&Value> = signals
        .iter()
        .filter(|s| s["kind"] == "unknown_access")
        .collect();
    assert_eq!(unknown.len(), 1, "{signals:#?}\n{}", stderr(&output));
    let signal = unknown[0];
    // The key may be used from anywhere (the simulator's bot key has no IP list): medium.
    assert_eq!(signal["confidence"], "medium", "{signal:#}");
    assert_eq!(signal["source"], "account_read", "{signal:#}");
    let reasons = signal["reasons"].to_string();
    assert!(
        reasons.contains(&format!("logged in from {}", attacker_ip())),
        "{reasons}"
    );
    // The responder's own logins (REST and stream) and reads raise nothing.
    assert!(
        !signals.iter().any(|s| s["reasons"]
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
    // Notify only: nothing was locked.
    assert_eq!(summary["watched"][0]["acted"], serde_json::json!([]));
}
