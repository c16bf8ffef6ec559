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
