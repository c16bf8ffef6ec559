//! Routing and the events of commands other than `respond`, against a webhook receiver on
//! 127.0.0.1 (the receiver and config helpers are in `notify_webhook`).

use crate::notify_webhook::{Answer, add_webhooks, receiver};
use crate::support::{Lab, code, lockdown, stderr};

/// Rewrites the lab's route (`events: [all]`, every channel) to `route`.
fn route(lab: &Lab, from: &str, to: &str) {
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    assert!(text.contains(from));
    std::fs::write(&lab.session.config, text.replace(from, to)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_select_by_event_and_profile() {
    let lab = Lab::start(181).await;
    let (finished_url, finished) = receiver(Answer::Ok).await;
    let (other_url, other) = receiver(Answer::Ok).await;
    add_webhooks(
        &lab,
        &[("finish", &finished_url, ""), ("other", &other_url, "")],
    );
    route(
        &lab,
        "    - events: [all]\n      channels: [finish, other]\n",
        "    - events: [run_finished]\n      channels: [finish]\n    - events: [all]\n      profiles: [not-this-one]\n      channels: [other]\n",
    );
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let finished = finished.lock().unwrap().clone();
    let events: Vec<String> = finished
        .iter()
        .map(|g| g.json()["data"]["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["run_finished"]);
    assert!(other.lock().unwrap().is_empty(), "another profile's route");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_not_ready_is_notified() {
    // A playbook that is not there: `check` calls the profile not ready.
    let lab = Lab::start(182).await;
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    let text = text.replace(
        "    exchange: ",
        "    playbook: no-such-playbook.yaml\n    exchange: ",
    );
    std::fs::write(&lab.session.config, text).unwrap();
    let (url, got) = receiver(Answer::Ok).await;
    add_webhooks(&lab, &[("ops", &url, "")]);
    let config = lab.session.config.display().to_string();
    let output = lockdown(&["check", "--config", &config], &[]).await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one message for the one profile");
    let body = got[0].json();
    assert_eq!(body["type"], "lockdown.check_not_ready");
    assert_eq!(body["data"]["dedup_key"], "check-sim");
    assert_eq!(body["data"]["profile"], "sim");
    assert!(
        body["data"]["text"]
            .as_str()
            .unwrap()
            .contains("critical problem")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_does_not_send_again_what_was_delivered() {
    // Kraken keys are deleted by a person: the run stops there, pending, and `resume` ends it.
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Kraken, 183).await;
    let (url, got) = receiver(Answer::Ok).await;
    add_webhooks(&lab, &[("ops", &url, "")]);
    let output = lab.respond(&["--json"]).await;
    let waiting = crate::support::waiting_for_a_person(&output, "revoke", &[]);
    let first: Vec<(String, String)> = seen(&got);
    assert_eq!(
        first.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        [
            "run_started",
            "manual_pending",
            "manual_pending",
            "run_finished"
        ],
        "{first:?}"
    );
    assert!(first[1].1.contains("`revoke`"), "{first:?}");
    assert!(first[3].1.contains("NOT contained"), "{first:?}");

    assert!(lab.sim.web_ui_delete_key(&lab.leaked()));
    got.lock().unwrap().clear();
    let run_dir = crate::support::run_dir(&waiting).display().to_string();
    let output = lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await;
    crate::support::contained(&output);
    // The revoke's guide was delivered already and is not sent again; what is new is (the
    // replacement by hand, then the hand-off to the bot).
    let resumed = seen(&got);
    assert_eq!(
        resumed.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        [
            "key_locked",
            "manual_pending",
            "manual_pending",
            "run_finished"
        ],
        "{resumed:?}"
    );
    assert!(resumed[1].1.contains("`replace`"), "{resumed:?}");
    assert!(resumed[2].1.contains("`handoff`"), "{resumed:?}");
    assert!(resumed[3].1.ends_with(" contained"), "{resumed:?}");
    assert!(!resumed[3].1.contains("NOT"), "{resumed:?}");
}

/// The events and titles a receiver got, in order.
fn seen(
    got: &std::sync::Arc<std::sync::Mutex<Vec<crate::notify_webhook::Got>>>,
) -> Vec<(String, String)> {
    got.lock()
        .unwrap()
        .iter()
        .map(|g| {
            let body = g.json();
            (
                body["data"]["event"].as_str().unwrap().to_owned(),
                body["data"]["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_drill_is_notified_and_recorded_in_its_scorecard_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = receiver(Answer::Ok).await;
    let config = dir.path().join("config.yaml");
    let section = crate::notify_webhook::notify_section(dir.path(), &[("ops", &url, "")]);
    std::fs::write(&config, format!("profiles: {{}}\n{section}")).unwrap();
    // A playbook that never locks nor revokes: the drill fails.
    let playbook = dir.path().join("no-lock.yaml");
    std::fs::write(
        &playbook,
        "version: 1\nname: no-lock\nexchange: bybit\ninputs:\n  key: { required: true }\nsteps:\n  - id: evidence\n    snapshot: { key: \"{{ inputs.key }}\", of: [open_orders] }\n",
    )
    .unwrap();
    let state = dir.path().join("state");
    let output = lockdown(
        &[
            "drill",
            "--config",
            config.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
            "--scenario",
            "pump-illiquid",
            "--playbook",
            playbook.to_str().unwrap(),
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let card: serde_json::Value = serde_json::from_str(&crate::support::stdout(&output)).unwrap();
    let got = seen(&got);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "drill_failed");
    assert!(got[0].1.contains("bybit/pump-illiquid failed"), "{got:?}");
    let folder = std::path::PathBuf::from(card["drill_dir"].as_str().unwrap());
    let attempts = std::fs::read_to_string(folder.join("notifications.jsonl")).unwrap();
    assert!(attempts.contains("\"notification_sent\""), "{attempts}");
    assert!(attempts.contains("\"drill_failed\""), "{attempts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notify_step_sends_its_message_and_never_fails_the_playbook() {
    let lab = Lab::start(184).await;
    let (url, got) = receiver(Answer::Ok).await;
    let dead = crate::notify_webhook::refusing_url().await;
    add_webhooks(&lab, &[("ops", &url, ""), ("dead", &dead, "retries: 0")]);
    let playbook = crate::support::bybit_playbook(
        "with-notify",
        "steps:\n  - id: lock\n    restrict_key: { key: \"{{ inputs.key }}\" }\n  - id: tell\n    notify: { message: \"Bots paused on {{ profile.exchange }}\\nreplacement key next\", severity: critical }\n",
    );
    let (code, summary, err) = crate::support::respond_with_playbook(&lab, &playbook).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(crate::support::step_status(&summary, "tell"), "ok");
    let custom: Vec<serde_json::Value> = got
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json())
        .filter(|b| b["data"]["event"] == "custom")
        .collect();
    assert_eq!(custom.len(), 1, "{custom:?}");
    assert_eq!(custom[0]["data"]["title"], "sim: Bots paused on bybit");
    assert_eq!(custom[0]["data"]["severity"], "critical");
    assert!(
        custom[0]["data"]["text"]
            .as_str()
            .unwrap()
            .ends_with("replacement key next")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_sends_a_message_whose_title_was_delivered_for_another_step() {
    // Two `notify` steps with one text, a manual revoke between them: the run stops at the
    // revoke, and the resumed run's second message (same title, another step) is new.
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Kraken, 185).await;
    let (url, got) = receiver(Answer::Ok).await;
    add_webhooks(&lab, &[("ops", &url, "")]);
    let playbook = lab.dir.path().join("twice.yaml");
    std::fs::write(
        &playbook,
        "version: 1\nname: twice\nexchange: kraken\ninputs:\n  key: { required: true }\nsteps:\n  - id: tell_before\n    notify: { message: \"Check the desk\" }\n  - id: revoke\n    revoke_key: { key: \"{{ inputs.key }}\" }\n  - id: tell_after\n    notify: { message: \"Check the desk\" }\n",
    )
    .unwrap();
    let output = lab
        .respond(&["--json", "--playbook", playbook.to_str().unwrap()])
        .await;
    let waiting = crate::support::waiting_for_a_person(&output, "revoke", &[]);
    let first = seen(&got);
    assert_eq!(
        first.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        ["run_started", "custom", "manual_pending", "run_finished"],
        "{first:?}"
    );

    assert!(lab.sim.web_ui_delete_key(&lab.leaked()));
    got.lock().unwrap().clear();
    let run_dir = crate::support::run_dir(&waiting).display().to_string();
    let output = lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let resumed = seen(&got);
    assert_eq!(
        resumed.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        ["key_locked", "custom", "run_finished"],
        "{resumed:?}"
    );
    assert_eq!(resumed[1].1, first[1].1, "one title, two steps");
    let ids: Vec<String> = got
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids[1].ends_with("/custom/tell_after"), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_warnings_and_a_regression_go_to_the_routes_that_ask() {
    let lab = crate::support::ready_lab(lockdown::exchanges::ExchangeId::Bybit, 186).await;
    let (warn_url, warned) = receiver(Answer::Ok).await;
    let (crit_url, critical) = receiver(Answer::Ok).await;
    add_webhooks(&lab, &[("warn", &warn_url, ""), ("crit", &crit_url, "")]);
    route(
        &lab,
        "    - events: [all]\n      channels: [warn, crit]\n",
        "    - events: [check_warnings]\n      channels: [warn]\n    - events: [check_not_ready]\n      channels: [crit]\n",
    );
    let config = lab.session.config.display().to_string();
    let args = ["check", "--config", config.as_str()];
    let check = || lockdown(&args, &[]);
    // Ready: nothing to tell.
    let output = check().await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    // The ledger file gone: not ready after ready, a regression.
    std::fs::remove_file(lab.sim_dir().join("known-orders.jsonl")).unwrap();
    let output = check().await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    // No ledger configured at all: ready, with a warning.
    lab.drop_config_lines("known_orders:");
    let output = check().await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));

    let critical: Vec<serde_json::Value> = critical
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["data"].clone())
        .collect();
    assert_eq!(critical.len(), 1, "{critical:?}");
    let regressed = &critical[0];
    assert_eq!(regressed["event"], "check_not_ready");
    assert_eq!(regressed["severity"], "critical");
    assert_eq!(
        regressed["title"],
        "sim: not ready for an incident (REGRESSED)"
    );
    let fields = regressed["fields"].to_string();
    assert!(
        fields.contains("not ready after a check that was ready"),
        "{fields}"
    );
    assert!(
        regressed["text"]
            .as_str()
            .unwrap()
            .contains("ledger.exists: "),
        "{regressed}"
    );

    let warned: Vec<serde_json::Value> = warned
        .lock()
        .unwrap()
        .iter()
        .map(|g| g.json()["data"].clone())
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    let warning = &warned[0];
    assert_eq!(warning["event"], "check_warnings");
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["title"], "sim: ready, with 1 warning(s)");
    assert_eq!(warning["dedup_key"], "check-sim");
    assert!(
        warning["text"]
            .as_str()
            .unwrap()
            .contains("ledger.exists: "),
        "{warning}"
    );
}
