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

/// Waits (bounded) until the receiver holds `n` requests; what it holds.
async fn received(got: &std::sync::Arc<std::sync::Mutex<Vec<Got>>>, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    data(&got.lock().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regressed_drill_is_notified_after_its_response_in_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    // Three earlier `quiet` drills locked in 1 ms, and no slack: this one is slower.
    let earlier: String = (1..=3)
        .map(|i| {
            format!(
                "{}\n",
                serde_json::json!({
                    "at": format!("2026-11-0{i}T00:00:00.000Z"), "scenario": "quiet", "seed": 1,
                    "venue": "bybit", "faults": "none (latency 0 ms)", "passed": true,
                    "time_to_contain_ms": 1, "lock_acknowledged_ms": 1, "false_positives": 0,
                    "missed": 0, "drill_dir": format!("/drills/{i}"),
                })
            )
        })
        .collect();
    std::fs::write(state.join("drills.jsonl"), earlier).unwrap();
    let (url, got) = receiver(Answer::Ok).await;
    let config = config_with_webhook(dir.path(), &url);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("history:\n  regression:\n    ttc_factor: 1.5\n    ttc_slack: 0s\n");
    std::fs::write(&config, text).unwrap();
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
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let card: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(card["passed"], true, "the exit 1 is the regression's");
    let reason = card["regressed"].as_str().unwrap();
    let sent = data(&got.lock().unwrap());
    let events: Vec<&str> = sent.iter().map(|m| m["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"run_started"), "{events:?}");
    assert_eq!(events.last(), Some(&"drill_regressed"), "{events:?}");
    assert_eq!(events[events.len() - 2], "run_finished", "{events:?}");
    let regressed = sent.last().unwrap();
    assert_eq!(regressed["severity"], "warning");
    assert_eq!(regressed["phase"], "trigger");
    assert_eq!(regressed["dedup_key"], "drill-bybit-quiet");
    assert_eq!(
        regressed["title"],
        format!("drill bybit/quiet regressed: {reason}")
    );
    // The verdict is real, not a rehearsed message.
    assert_eq!(regressed["drill"], false);
    let folder = PathBuf::from(card["drill_dir"].as_str().unwrap());
    let listed: Vec<String> = recorded(&folder)
        .iter()
        .map(|a| a["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, events, "the drill folder lists them in order");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_scheduled_job_is_notified() {
    use lockdown::schedule::{Event, ManualClock, Outcome, Runner};
    let dir = tempfile::tempdir().unwrap();
    let (url, got) = receiver(Answer::Ok).await;
    let config = config_with_webhook(dir.path(), &url);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(
        "schedules:\n  - name: nightly\n    cron: \"0 * * * * *\"\n    run: [--quiet, drill, --scenario, no-such-scenario]\n",
    );
    std::fs::write(&config, text).unwrap();
    let jobs = lockdown::config::load_schedules(&config).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = ManualClock::new(start);
    let driver = clock.clone();
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::mpsc::unbounded_channel();
    let ui = lockdown::ui::Ui::new(lockdown::ui::Verbosity::Quiet, true);
    let runner = Runner::new(jobs, clock, dir.path().join("sched")).events(events_tx);
    let drive = async move {
        driver.set(start + chrono::Duration::seconds(60));
        let record = loop {
            match events.recv().await.expect("the scheduler is running") {
                Event::Ended(record) => break record,
                Event::Started { .. } => {}
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(record.outcome, Outcome::Failed, "{record:?}");
        let sent = received(&got, 1).await;
        stop_tx
            .send(lockdown::interrupt::Interrupt::Sigterm)
            .unwrap();
        (record, sent)
    };
    let (_, (record, sent)) = tokio::join!(runner.run(&ui, stop), drive);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let message = &sent[0];
    assert_eq!(message["event"], "schedule_failed");
    assert_eq!(message["dedup_key"], "schedule-nightly");
    assert_eq!(message["title"], "scheduled job `nightly` failed");
    let exit = record.exit.unwrap();
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("exit {exit} after ")),
        "{message}"
    );
}

/// Runs `drill --notify --scenario quiet` with `config`; the scorecard.
async fn drill_with(config: &Path, state: &Path) -> Value {
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
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_pages_no_one_unless_the_pagerduty_channel_pages_drills() {
    use crate::notify_page::{ROUTING_KEY, pagerduty};
    let dir = tempfile::tempdir().unwrap();
    let (hook_url, hook) = receiver(Answer::Ok).await;
    let (pd_url, desk) = pagerduty().await;
    let key = dir.path().join("pd.key");
    std::fs::write(&key, ROUTING_KEY).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let config = config_with_webhook(dir.path(), &hook_url);
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "  routes:\n    - events: [all]\n      channels: [ops]\n",
        &format!(
            "    oncall:\n      type: pagerduty\n      routing_key: file:{}\n      base_url: {pd_url}\n  routes:\n    - events: [all]\n      channels: [ops, oncall]\n",
            key.display()
        ),
    );
    assert!(text.contains("oncall"), "{text}");
    std::fs::write(&config, &text).unwrap();

    // By default: the webhook hears the rehearsal, PagerDuty nothing, and only what was sent is
    // recorded.
    let card = drill_with(&config, &dir.path().join("state")).await;
    assert!(!hook.lock().unwrap().is_empty());
    assert!(desk.lock().unwrap().events.is_empty(), "nobody paged");
    let folder = PathBuf::from(card["drill_dir"].as_str().unwrap());
    assert!(recorded(&folder).iter().all(|a| a["channel"] == "ops"));

    // `drills: page`: the rehearsal pages, acknowledges and resolves one alert, marked.
    std::fs::write(
        &config,
        text.replace(
            "      type: pagerduty\n",
            "      type: pagerduty\n      drills: page\n",
        ),
    )
    .unwrap();
    let card = drill_with(&config, &dir.path().join("state")).await;
    let events = desk.lock().unwrap().events.clone();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"], "{events:?}");
    let dedup = &events[0]["dedup_key"];
    assert!(events.iter().all(|e| &e["dedup_key"] == dedup));
    assert!(
        events[0]["payload"]["summary"]
            .as_str()
            .unwrap()
            .starts_with("[drill] sim: "),
        "{events:?}"
    );
    let folder = PathBuf::from(card["drill_dir"].as_str().unwrap());
    let paged: Vec<String> = recorded(&folder)
        .iter()
        .filter(|a| a["channel"] == "oncall")
        .map(|a| a["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paged, ["run_started", "key_locked", "run_finished"]);
}
