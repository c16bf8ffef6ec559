//! What a watcher's alarm leaves behind, end to end over real HTTP on 127.0.0.1: the
//! `watch_signal` message reaches a real webhook receiver (a route that names the event, the
//! Standard Webhooks signature checked by the independent crate), and the lock run writes the
//! same report a response writes, with the signal at its top and both ways forward under "left
//! to do". Neither holds a secret.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::notify_webhook::{Answer, SECRET, receiver};
use crate::support::{
    Lab, assert_no_secret_in, attacker_ip, bybit_call, code, lockdown, read, stderr, stdout,
};

/// A Bybit simulator seeded with the `quiet` scenario: only the owner's orders, each in the
/// ledger, so the attacker's order is the one signal.
async fn quiet_lab() -> Lab {
    Lab::start_scenario(
        lockdown::exchanges::ExchangeId::Bybit,
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quiet.yaml"),
        )
        .expect("the quiet scenario"),
        1,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watchers_signal_reaches_a_webhook_and_its_lock_run_writes_a_report() {
    let lab = quiet_lab().await;
    let (url, got) = receiver(Answer::Ok).await;
    let secret_file = lab.sim_dir().join("webhook.secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // Only `watch_signal` is routed: the lock run's own messages go nowhere.
    let mut config = std::fs::read_to_string(&lab.session.config).unwrap();
    config.push_str(&format!(
        "notify:\n  flush: 8s\n  channels:\n    ops:\n      type: webhook\n      url: {url}\n      secret: file:{}\n  routes:\n    - events: [watch_signal]\n      channels: [ops]\n",
        secret_file.display()
    ));
    std::fs::write(&lab.session.config, config).unwrap();

    // The attacker buys with the leaked key, without the bots' client ids.
    let leaked = lab.leaked();
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    let master_secret = read(&lab.sim_dir().join("master.secret"));
    let order =
        r#"{"category":"spot","orderType":"Market","qty":"10","side":"Buy","symbol":"ETHUSDT"}"#;
    let placed = bybit_call(
        &lab.running.base_url,
        attacker_ip(),
        &leaked,
        &bot_secret,
        "POST",
        "/v5/order/create",
        order,
    )
    .await;
    assert_eq!(placed, 0);

    let config = lab.session.config.display().to_string();
    let output = lockdown(
        &[
            "watch",
            "--config",
            &config,
            "--json",
            "--interval",
            "200ms",
            "--for",
            // Long enough for the first look (a stream's gap fill) on a loaded machine.
            "6s",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let watched = &summary["watched"][0];
    assert_eq!(watched["acted"][0]["act"], "lock", "{watched:#}");
    assert_eq!(watched["acted"][0]["contained"], true, "{watched:#}");
    let run = PathBuf::from(watched["acted"][0]["run_dir"].as_str().unwrap());
    let order_id = watched["signals"][0]["order"]["order_id"]
        .as_str()
        .expect("the signal names its order")
        .to_owned();

    // The webhook: one `watch_signal` for the attacker's order, signed, naming the lock's folder.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.lock().unwrap().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let requests = got.lock().unwrap().clone();
    assert!(!requests.is_empty(), "no webhook request");
    let signals: Vec<Value> = requests
        .iter()
        .map(|r| r.json())
        .filter(|body| body["type"] == "lockdown.watch_signal")
        .collect();
    // One message, and only it: the route names `watch_signal`, not the lock run's own events.
    assert_eq!(signals.len(), 1, "{requests:#?}");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    for request in &requests {
        let verifier = standardwebhooks::Webhook::new(SECRET).unwrap();
        verifier
            .verify(&request.body, &request.headers)
            .expect("signed per Standard Webhooks");
    }
    let data = &signals[0]["data"];
    assert_eq!(data["event"], "watch_signal", "{data:#}");
    assert_eq!(data["severity"], "critical", "{data:#}");
    let field = |name: &str| -> String {
        data["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|pair| pair[0] == name)
            .unwrap_or_else(|| panic!("no field {name}: {data:#}"))[1]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(field("kind"), "unauthorized_order");
    assert_eq!(field("confidence"), "high");
    assert_eq!(field("order_id"), order_id);
    assert_eq!(field("symbol"), "ETHUSDT");
    assert_eq!(field("side"), "buy");
    assert_eq!(field("qty"), "10");
    assert_eq!(field("decision"), "notify, lock");
    assert_eq!(field("run"), run.display().to_string());
    assert_ne!(field("key"), leaked, "the key is masked");
    let text = data["text"].as_str().unwrap();
    assert!(
        text.starts_with("Seen: unauthorized_order (high)"),
        "{text}"
    );
    assert!(text.contains("LOCKED"), "{text}");
    assert!(
        text.contains(&format!("`lockdown unlock {}`", run.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("`lockdown respond --config {config} --profile ")),
        "{text}"
    );

    // The lock run's report: the signal on top, what is left names both commands.
    let report = std::fs::read_to_string(run.join("report.md")).expect("the lock wrote report.md");
    assert!(report.contains("## Why this run started"), "{report}");
    assert!(
        report.contains("signal `unauthorized_order` (high confidence)"),
        "{report}"
    );
    assert!(report.contains(&order_id), "{report}");
    // The lock read no orders: the report says so rather than "none found" under the signal.
    assert!(report.contains("not read by this run"), "{report}");
    assert!(!report.contains("Unauthorized orders: **0**"), "{report}");
    assert!(report.contains("## Left to do"), "{report}");
    assert!(
        report.contains(&format!("`lockdown unlock {}`", run.display())),
        "{report}"
    );
    assert!(
        report.contains(&format!("--key {leaked}`")),
        "the full response's command, whole key id: {report}"
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["cause"]["kind"], "unauthorized_order");
    assert_eq!(json["cause"]["order"]["order_id"], order_id.as_str());
    assert!(
        std::fs::read_to_string(run.join("report.html"))
            .unwrap()
            .contains("Why this run started")
    );

    // Nothing secret anywhere: the bodies, the run's files, the watcher's output.
    let secrets = [
        ("bot secret", bot_secret.clone()),
        ("master secret", master_secret.clone()),
        ("webhook secret", SECRET.to_owned()),
        ("webhook URL's token", "tok3n-s3cret-path".to_owned()),
    ];
    let mut texts: Vec<(String, String)> = requests
        .iter()
        .map(|r| {
            (
                "webhook body".to_owned(),
                String::from_utf8_lossy(&r.body).into_owned(),
            )
        })
        .collect();
    texts.push(("stdout".into(), stdout(&output)));
    texts.push(("stderr".into(), stderr(&output)));
    for file in crate::support::files_under(&run) {
        texts.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap_or_default(),
        ));
    }
    assert_no_secret_in(&texts, &secrets);
}
