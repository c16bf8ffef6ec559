//! A drill's own response with notifications on (`drill --notify`), against a webhook receiver
//! on 127.0.0.1: every message marked as a drill, in order, and the same order in the drill's
//! folder; and the notifications of drills that regress and of scheduled jobs that fail.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::notify_webhook::{Answer, Got, notify_section, receiver};
use crate::support::{code, lockdown, stderr, stdout};

/// A config with no profile and a `notify:` section with one webhook, `ops`, every event routed.
fn config_with_webhook(dir: &Path, url: &str) -> PathBuf {
    let config = dir.join("config.yaml");
    let section = notify_section(dir, &[("ops", url, "")]);
    std::fs::write(&config, format!("profiles: {{}}\n{section}")).unwrap();
    config
}

/// The attempts a drill folder's `notifications.jsonl` holds.
fn recorded(folder: &Path) -> Vec<Value> {
    std::fs::read_to_string(folder.join("notifications.jsonl"))
        .unwrap_or_else(|err| panic!("no notifications.jsonl in {}: {err}", folder.display()))
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn data(got: &[Got]) -> Vec<Value> {
    got.iter().map(|g| g.json()["data"].clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_with_notifications_on_shows_its_messages_in_order_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = receiver(Answer::Ok).await;
    let config = config_with_webhook(dir.path(), &url);
    let state = dir.path().join("state");
    let output = lockdown(
        &[
            "drill",
            "--config",
            config.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
            "--scenario",
            "quiet",
            "--notify",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let card: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let sent = data(&got.lock().unwrap());
    let events: Vec<&str> = sent.iter().map(|m| m["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"run_started"), "{events:?}");
    assert_eq!(events.get(1), Some(&"key_locked"), "{events:?}");
    assert_eq!(events.last(), Some(&"run_finished"), "{events:?}");
    // Every message is the rehearsal's, and says so.
    for message in &sent {
        assert_eq!(message["drill"], true, "{message}");
        assert!(
            message["title"]
                .as_str()
                .unwrap()
                .starts_with("[drill] sim: "),
            "{message}"
        );
    }
    let finished = sent.last().unwrap();
    assert_eq!(finished["phase"], "resolve", "{finished}");
    // The drill's folder lists the same deliveries, in the same order.
    let folder = PathBuf::from(card["drill_dir"].as_str().unwrap());
    let attempts = recorded(&folder);
    let listed: Vec<&str> = attempts
        .iter()
        .map(|a| a["event"].as_str().unwrap())
        .collect();
    assert_eq!(listed, events, "{attempts:?}");
    let ids: Vec<&Value> = sent.iter().map(|m| &m["id"]).collect();
    let recorded_ids: Vec<&Value> = attempts.iter().map(|a| &a["id"]).collect();
    assert_eq!(recorded_ids, ids);
    assert!(
        attempts
            .iter()
            .all(|a| a["type"] == "notification_sent" && a["drill"] == true),
        "{attempts:?}"
    );
    // Not in the run folder inside the drill's: one file, the drill's.
    let runs = folder.join("state").join("runs");
    for run in std::fs::read_dir(&runs).unwrap() {
        assert!(!run.unwrap().path().join("notifications.jsonl").exists());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_notify_stops_at_a_broken_notify_section() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "profiles: {}\nnotify:\n  channels:\n    ops:\n      type: webhook\n      url: http://example.com/hook\n      secret: env:LOCKDOWN_TEST_NO_SUCH_SECRET\n  routes:\n    - events: [all]\n      channels: [ops]\n",
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
            "quiet",
            "--notify",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("config.yaml:"), "{err}");
    assert!(
        err.contains("notify.channels.ops") || err.contains("`ops`"),
        "{err}"
    );
    assert!(!state.join("drills").exists(), "no drill ran");
}
