//! The webhook channel and the notification queue against a receiver on 127.0.0.1 that checks
//! what the Standard Webhooks spec asks of a sender (the three headers, the signature verified by
//! the independent `standardwebhooks` crate) and answers as a receiver may: 2xx, 429 with
//! `Retry-After`, no answer at all, or no listener.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

use crate::support::{Lab, code, lockdown, read, stderr, stdout, summary};

/// The signing secret the tests configure (`whsec_` and 32 bytes in base64).
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD2CsmsMUGuAM=";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// 204 to everything.
    Ok,
    /// 429 with `Retry-After: 2` to the first request, then 204.
    RateLimitedOnce,
    /// Never answers.
    Hang,
}

/// A webhook receiver on 127.0.0.1; its URL (path `/hooks/<token>`) and what it got.
pub async fn receiver(answer: Answer) -> (String, Arc<Mutex<Vec<Got>>>) {
    let got: Arc<Mutex<Vec<Got>>> = Arc::default();
    let seen = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hooks/{token}",
        axum::routing::post(
            move |axum::extract::Path(token): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: Bytes| {
                let seen = Arc::clone(&seen);
                async move {
                    let count = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(Got {
                            path: format!("/hooks/{token}"),
                            headers,
                            body,
                            at: Instant::now(),
                        });
                        seen.len()
                    };
                    match answer {
                        Answer::Hang => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            (StatusCode::NO_CONTENT, HeaderMap::new())
                        }
                        Answer::RateLimitedOnce if count == 1 => {
                            let mut headers = HeaderMap::new();
                            headers.insert("retry-after", "2".parse().unwrap());
                            (StatusCode::TOO_MANY_REQUESTS, headers)
                        }
                        _ => (StatusCode::NO_CONTENT, HeaderMap::new()),
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hooks/tok3n-s3cret-path"), got)
}

/// A URL on 127.0.0.1 where nothing listens.
pub async fn refusing_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/x")
}

/// Adds a `notify:` section to the lab's config: one webhook channel per `(name, url, extra)`
/// (extra: more fields, e.g. `retries: 0`), every event routed to every channel.
pub fn add_webhooks(lab: &Lab, hooks: &[(&str, &str, &str)]) {
    let mut text = std::fs::read_to_string(&lab.session.config).unwrap();
    text.push_str(&notify_section(&lab.sim_dir(), hooks));
    std::fs::write(&lab.session.config, text).unwrap();
}

/// A `notify:` section with one webhook channel per `(name, url, extra)`, every event routed to
/// every channel; the signing secret is written (0600) in `dir`.
pub fn notify_section(dir: &std::path::Path, hooks: &[(&str, &str, &str)]) -> String {
    let secret = dir.join("webhook.secret");
    std::fs::write(&secret, SECRET).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut text = String::from("notify:\n  flush: 8s\n  channels:\n");
    for (name, url, extra) in hooks {
        text.push_str(&format!(
            "    {name}:\n      type: webhook\n      url: {url}\n      secret: file:{}\n",
            secret.display()
        ));
        for line in extra.lines() {
            text.push_str(&format!("      {line}\n"));
        }
    }
    let names: Vec<&str> = hooks.iter().map(|h| h.0).collect();
    text.push_str(&format!(
        "  routes:\n    - events: [all]\n      channels: [{}]\n",
        names.join(", ")
    ));
    text
}

/// The attempts a run wrote to `notifications.jsonl`.
fn attempts(summary: &Value) -> Vec<Value> {
    let dir = crate::support::run_dir(summary);
    std::fs::read_to_string(dir.join("notifications.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn events(got: &[Got]) -> Vec<String> {
    got.iter()
        .map(|g| g.json()["data"]["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_notifies_a_signed_webhook_in_order() {
    let lab = Lab::start(171).await;
    let (url, got) = receiver(Answer::Ok).await;
    add_webhooks(&lab, &[("ops", &url, "")]);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = summary(&output);
    let got = got.lock().unwrap().clone();
    assert_eq!(
        events(&got),
        [
            "run_started",
            "key_locked",
            "manual_pending",
            "manual_pending",
            "run_finished"
        ],
        "in order"
    );
    let verifier = standardwebhooks::Webhook::new(SECRET).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for g in &got {
        assert_eq!(g.path, "/hooks/tok3n-s3cret-path");
        assert_eq!(g.headers["content-type"], "application/json");
        verifier
            .verify(&g.body, &g.headers)
            .unwrap_or_else(|err| panic!("signature of {}: {err:?}", g.json()["type"]));
        assert!(ids.insert(g.headers["webhook-id"].to_str().unwrap().to_owned()));
        let body = g.json();
        assert_eq!(
            body["type"],
            format!("lockdown.{}", body["data"]["event"].as_str().unwrap())
        );
        assert_eq!(body["data"]["dedup_key"], summary["run_id"]);
        assert_eq!(body["data"]["profile"], "sim");
    }
    // A tampered body does not verify.
    let mut tampered = got[0].body.to_vec();
    tampered[2] ^= 1;
    assert!(verifier.verify(&tampered, &got[0].headers).is_err());

    let started = got[0].json();
    assert_eq!(started["data"]["severity"], "critical");
    assert_eq!(started["data"]["phase"], "trigger");
    let locked = got[1].json();
    assert_eq!(locked["data"]["phase"], "acknowledge");
    let manual = got[2].json();
    assert_eq!(manual["data"]["severity"], "critical");
    let finished = got[4].json();
    assert_eq!(finished["data"]["phase"], "resolve");
    let fields: Vec<(String, String)> =
        serde_json::from_value(finished["data"]["fields"].clone()).unwrap();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
    };
    assert_eq!(
        field("journal head"),
        summary["journal"]["hash"].as_str().unwrap()
    );
    assert_eq!(field("contained"), "true");
    assert_eq!(
        field("time to contain"),
        format!("{} ms", summary["contained_ms"].as_u64().unwrap())
    );

    // Nothing secret, and the leaked key only masked, in any body.
    let master = read(&lab.sim_dir().join("master.secret"));
    let bot = read(&lab.sim_dir().join("bot.secret"));
    let replacement = lab.replacement()["api_secret"].as_str().unwrap().to_owned();
    for g in &got {
        let body = String::from_utf8(g.body.to_vec()).unwrap();
        for secret in [
            &master,
            &bot,
            &replacement,
            &lab.leaked(),
            &SECRET.to_owned(),
        ] {
            assert!(!body.contains(secret.as_str()), "a secret in {body}");
        }
        assert!(!body.contains("tok3n-s3cret-path"));
    }
    // Each delivery is recorded in the run folder, without the URL.
    let attempts = attempts(&summary);
    assert_eq!(attempts.len(), 5, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| a["type"] == "notification_sent" && a["channel"] == "ops")
    );
    let recorded = serde_json::to_string(&attempts).unwrap();
    assert!(!recorded.contains("tok3n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_webhooks_do_not_change_the_response() {
    let lab = Lab::start(172).await;
    let (hanging, got) = receiver(Answer::Hang).await;
    let refusing = refusing_url().await;
    add_webhooks(
        &lab,
        &[
            ("refused", &refusing, "retries: 1"),
            ("silent", &hanging, "retries: 0\ntimeout: 1s"),
        ],
    );
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = summary(&output);
    assert_eq!(summary["contained"], true);
    assert!(
        summary["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "ok")
    );
    assert!(
        !got.lock().unwrap().is_empty(),
        "the silent receiver was reached"
    );
    let attempts = attempts(&summary);
    let failed = |channel: &str| {
        attempts
            .iter()
            .filter(|a| a["channel"] == channel && a["type"] == "notification_failed")
            .cloned()
            .collect::<Vec<_>>()
    };
    let refused = failed("refused");
    assert!(
        refused.iter().any(|a| a["event"] == "run_started"
            && a["attempt"] == 2
            && a["outcome"].as_str().unwrap().contains("connection failed")),
        "{attempts:?}"
    );
    let silent = failed("silent");
    assert!(
        silent.iter().any(|a| a["event"] == "run_started"
            && a["outcome"].as_str().unwrap().contains("no answer within")),
        "{attempts:?}"
    );
    assert!(attempts.iter().all(|a| a["type"] != "notification_sent"));
    assert!(
        stderr(&output).contains("notification: "),
        "{}",
        stderr(&output)
    );
    // The journal is sealed as ever: notifications do not go into it.
    let verify = lockdown(
        &[
            "verify",
            crate::support::run_dir(&summary).to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&verify), 0, "{}", stderr(&verify));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_retried_after_the_time_asked() {
    let lab = Lab::start(173).await;
    let (url, got) = receiver(Answer::RateLimitedOnce).await;
    add_webhooks(&lab, &[("ops", &url, "")]);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let got = got.lock().unwrap().clone();
    assert_eq!(
        events(&got),
        [
            "run_started",
            "run_started",
            "key_locked",
            "manual_pending",
            "manual_pending",
            "run_finished"
        ]
    );
    // The same delivery: the same id, and the retry not before the two seconds asked.
    assert_eq!(got[0].headers["webhook-id"], got[1].headers["webhook-id"]);
    assert!(got[1].at.duration_since(got[0].at) >= Duration::from_millis(1900));
    let attempts = attempts(&summary(&output));
    assert_eq!(attempts[0]["type"], "notification_failed");
    assert!(
        attempts[0]["outcome"]
            .as_str()
            .unwrap()
            .contains("HTTP 429; retrying in 2000 ms"),
        "{attempts:?}"
    );
    assert_eq!(attempts[1]["type"], "notification_sent");
    assert_eq!(attempts[1]["attempt"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_test_says_which_channel_works() {
    let lab = Lab::start(174).await;
    let (url, got) = receiver(Answer::Ok).await;
    let refusing = refusing_url().await;
    add_webhooks(&lab, &[("good", &url, ""), ("dead", &refusing, "")]);
    let config = lab.session.config.display().to_string();
    let output = lockdown(&["notify", "test", "--config", &config, "--json"], &[]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let rows = json["channels"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let row = |name: &str| rows.iter().find(|r| r["channel"] == name).unwrap().clone();
    assert_eq!(row("good")["ok"], true);
    assert_eq!(row("dead")["ok"], false);
    assert!(
        row("dead")["error"]
            .as_str()
            .unwrap()
            .contains("connection failed")
    );
    assert!(!stdout(&output).contains(&refusing));
    assert_eq!(events(&got.lock().unwrap()), ["test"]);

    let output = lockdown(
        &["notify", "test", "--config", &config, "--channel", "good"],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("good (webhook): ok"),
        "{}",
        stderr(&output)
    );

    let output = lockdown(
        &["notify", "test", "--config", &config, "--channel", "nope"],
        &[],
    )
    .await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no channel `nope`"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_notify_section_is_reported_with_its_place() {
    let lab = Lab::start(175).await;
    add_webhooks(&lab, &[("ops", "http://192.0.2.1/hook", "retries: 99")]);
    let mut text = std::fs::read_to_string(&lab.session.config).unwrap();
    text = text.replace("channels: [ops]", "channels: [ops, pager]");
    std::fs::write(&lab.session.config, &text).unwrap();
    let config = lab.session.config.display().to_string();
    let output = lockdown(&["notify", "test", "--config", &config], &[]).await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("plain http to a non-loopback host"), "{err}");
    assert!(err.contains("`retries` is a whole number"), "{err}");
    assert!(err.contains("no channel `pager`"), "{err}");
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "config.yaml:{}:",
            line_of("channels: [ops, pager]")
        )),
        "{err}"
    );
}
