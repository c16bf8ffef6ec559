//! The paging channels against their services' real protocols on 127.0.0.1: PagerDuty's Events
//! API v2 (a receiver here that checks the event schema as PagerDuty documents it and answers
//! 202, 400, 429 and 5xx as it does), and e-mail against a real SMTP server process (aiosmtpd)
//! with STARTTLS, implicit TLS and AUTH.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use lockdown::notify::{Channel, Event, Message, Phase, SendError, Severity, build_channel};
use serde_json::{Value, json};

/// The integration key the receiver knows.
pub const ROUTING_KEY: &str = "R0123456789abcdefABCDEF987654321";

fn message(event: Event, phase: Phase, severity: Severity, title: &str) -> Message {
    Message {
        event,
        severity,
        phase,
        title: title.to_owned(),
        text: "lock, cancel, revoke: a line with \"quotes\" & <angles>".to_owned(),
        fields: vec![
            ("venue".to_owned(), "bybit".to_owned()),
            ("unauthorized_orders".to_owned(), "3".to_owned()),
        ],
        dedup_key: "run-20261205T174400Z-bybit-main".to_owned(),
        profile: Some("bybit-main".to_owned()),
        at: "2026-12-05T17:44:00Z".to_owned(),
        id: "run-1/test".into(),
        drill: false,
    }
}

/// A private file holding `secret`, and its `file:` reference.
fn secret_file(dir: &Path, name: &str, secret: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    format!("file:{}", path.display())
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// PagerDuty

/// What the PagerDuty receiver saw and how it should answer.
#[derive(Default)]
pub struct Desk {
    /// Accepted events, in order.
    pub events: Vec<Value>,
    /// Statuses to answer before looking at the next requests (429, 500).
    forced: Vec<u16>,
}

pub type Shared = Arc<Mutex<Desk>>;

/// A PagerDuty Events API v2 endpoint on 127.0.0.1: `POST /v2/enqueue`, the event checked as
/// <https://developer.pagerduty.com/docs/events-api-v2/trigger-events/> describes it.
pub async fn pagerduty() -> (String, Shared) {
    let desk: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/v2/enqueue", axum::routing::post(enqueue))
        .with_state(desk.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), desk)
}

async fn enqueue(
    State(desk): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let forced = {
        let mut desk = desk.lock().unwrap();
        (!desk.forced.is_empty()).then(|| desk.forced.remove(0))
    };
    match forced {
        Some(429) => {
            return (StatusCode::TOO_MANY_REQUESTS, "Request Limit Exceeded").into_response();
        }
        Some(status) => {
            let status = StatusCode::from_u16(status).unwrap();
            return (
                status,
                Answer(json!({"status": "error", "message": "internal error"})),
            )
                .into_response();
        }
        None => {}
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let errors = match serde_json::from_str::<Value>(&body) {
        Ok(event) if content_type.starts_with("application/json") => {
            let errors = check_event(&event);
            if errors.is_empty() {
                let dedup_key = event["dedup_key"].clone();
                desk.lock().unwrap().events.push(event);
                return (
                    StatusCode::ACCEPTED,
                    Answer(json!({
                        "status": "success",
                        "message": "Event processed",
                        "dedup_key": dedup_key,
                    })),
                )
                    .into_response();
            }
            errors
        }
        Ok(_) => vec![format!("content type `{content_type}` is not JSON")],
        Err(_) => vec!["JSON parse error".to_owned()],
    };
    (
        StatusCode::BAD_REQUEST,
        Answer(json!({
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": errors,
        })),
    )
        .into_response()
}

/// The schema's rules: required fields per action, lengths, enumerations.
fn check_event(event: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(object) = event.as_object() else {
        return vec!["event is not an object".to_owned()];
    };
    match event["routing_key"].as_str() {
        None => errors.push("'routing_key' is missing".to_owned()),
        Some(key) if key.len() != 32 => {
            errors.push("Length of 'routing_key' is incorrect (should be 32 characters)".to_owned())
        }
        Some(key) if key != ROUTING_KEY => errors.push("Invalid routing key".to_owned()),
        Some(_) => {}
    }
    let action = event["event_action"].as_str().unwrap_or_default();
    if !["trigger", "acknowledge", "resolve"].contains(&action) {
        errors.push(format!("'event_action' is invalid: `{action}`"));
    }
    match event.get("dedup_key") {
        None if action != "trigger" => {
            errors.push("'dedup_key' is required for acknowledge and resolve".to_owned())
        }
        Some(key)
            if key
                .as_str()
                .is_none_or(|k| k.is_empty() || k.chars().count() > 255) =>
        {
            errors.push("'dedup_key' must be a string of 1 to 255 characters".to_owned())
        }
        _ => {}
    }
    if action != "trigger" {
        return errors;
    }
    let payload = &event["payload"];
    if !payload.is_object() {
        errors.push("'payload' is missing".to_owned());
        return errors;
    }
    match payload["summary"].as_str() {
        Some(summary) if !summary.is_empty() && summary.chars().count() <= 1024 => {}
        _ => errors.push("'payload.summary' must be 1 to 1024 characters".to_owned()),
    }
    if payload["source"].as_str().is_none_or(str::is_empty) {
        errors.push("'payload.source' is missing".to_owned());
    }
    let severity = payload["severity"].as_str().unwrap_or_default();
    if !["critical", "error", "warning", "info"].contains(&severity) {
        errors.push(format!("'payload.severity' is invalid: `{severity}`"));
    }
    if let Some(at) = payload.get("timestamp")
        && at
            .as_str()
            .is_none_or(|at| chrono::DateTime::parse_from_rfc3339(at).is_err())
    {
        errors.push("'payload.timestamp' is not an ISO 8601 time".to_owned());
    }
    if let Some(details) = payload.get("custom_details")
        && !details.is_object()
    {
        errors.push("'payload.custom_details' must be an object".to_owned());
    }
    for key in object.keys() {
        if ![
            "routing_key",
            "event_action",
            "dedup_key",
            "payload",
            "client",
            "client_url",
            "links",
            "images",
        ]
        .contains(&key.as_str())
        {
            errors.push(format!("unknown field `{key}`"));
        }
    }
    errors
}

/// A JSON answer, as PagerDuty sends them.
struct Answer(Value);

impl IntoResponse for Answer {
    fn into_response(self) -> axum::response::Response {
        ([("content-type", "application/json")], self.0.to_string()).into_response()
    }
}

fn pagerduty_channel(base_url: &str, dir: &Path, key: &str) -> Box<dyn Channel> {
    let fields = json!({
        "routing_key": secret_file(dir, "pd-key", key),
        "base_url": base_url,
    });
    build_channel("pagerduty", "oncall", &fields, dir).unwrap()
}

#[tokio::test]
async fn pagerduty_pages_then_acknowledges_then_resolves_one_alert() {
    let (url, desk) = pagerduty().await;
    let dir = tempfile::tempdir().unwrap();
    let channel = pagerduty_channel(&url, dir.path(), ROUTING_KEY);
    let http = http();
    let steps = [
        (Event::RunStarted, Phase::Trigger, Severity::Critical),
        (Event::KeyLocked, Phase::Acknowledge, Severity::Warning),
        (Event::ManualPending, Phase::Note, Severity::Warning),
        (Event::RunFinished, Phase::Resolve, Severity::Info),
    ];
    for (event, phase, severity) in steps {
        let title = format!("bybit-main: {}", event.as_str());
        channel
            .send(&message(event, phase, severity, &title), &http)
            .await
            .unwrap();
    }
    let events = desk.lock().unwrap().events.clone();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    // The note pages no one: nothing was sent for it.
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(
        events
            .iter()
            .all(|e| e["dedup_key"] == "run-20261205T174400Z-bybit-main")
    );
    let trigger = &events[0]["payload"];
    assert_eq!(trigger["summary"], "bybit-main: run_started");
    assert_eq!(trigger["severity"], "critical");
    assert_eq!(trigger["source"], "bybit-main");
    assert_eq!(trigger["class"], "run_started");
    assert_eq!(trigger["timestamp"], "2026-12-05T17:44:00Z");
    assert_eq!(trigger["custom_details"]["unauthorized_orders"], "3");
    assert_eq!(
        trigger["custom_details"]["details"],
        "lock, cancel, revoke: a line with \"quotes\" & <angles>"
    );
    assert!(events[1].get("payload").is_none(), "{}", events[1]);
}

#[tokio::test]
async fn pagerduty_test_message_triggers_an_info_alert() {
    let (url, desk) = pagerduty().await;
    let dir = tempfile::tempdir().unwrap();
    let channel = pagerduty_channel(&url, dir.path(), ROUTING_KEY);
    let long = "x".repeat(5000);
    channel
        .send(
            &message(Event::Test, Phase::Note, Severity::Info, &long),
            &http(),
        )
        .await
        .unwrap();
    let events = desk.lock().unwrap().events.clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["payload"]["severity"], "info");
    assert_eq!(
        events[0]["payload"]["summary"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        1024
    );
}

#[tokio::test]
async fn pagerduty_invalid_event_is_fatal_and_names_the_errors() {
    let (url, _desk) = pagerduty().await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "Z0123456789abcdefABCDEF987654321";
    let channel = pagerduty_channel(&url, dir.path(), wrong);
    let err = channel
        .send(
            &message(Event::RunStarted, Phase::Trigger, Severity::Critical, "t"),
            &http(),
        )
        .await
        .unwrap_err();
    let SendError::Fatal { reason } = &err else {
        panic!("a 400 is fatal: {err:?}");
    };
    assert!(reason.contains("Invalid routing key"), "{reason}");
    assert!(!reason.contains(wrong), "{reason}");
}

#[tokio::test]
async fn pagerduty_rate_limits_and_server_errors_are_retried() {
    let (url, desk) = pagerduty().await;
    desk.lock().unwrap().forced = vec![429, 502];
    let dir = tempfile::tempdir().unwrap();
    let channel = pagerduty_channel(&url, dir.path(), ROUTING_KEY);
    let http = http();
    let note = message(Event::RunStarted, Phase::Trigger, Severity::Critical, "t");
    match channel.send(&note, &http).await {
        Err(SendError::Retry { after, .. }) => {
            // PagerDuty's advice when it names no delay: 30 seconds apart.
            assert_eq!(after, Some(Duration::from_secs(30)));
        }
        other => panic!("429 retries: {other:?}"),
    }
    assert!(matches!(
        channel.send(&note, &http).await,
        Err(SendError::Retry { .. })
    ));
    channel.send(&note, &http).await.unwrap();
    assert_eq!(desk.lock().unwrap().events.len(), 1);
}

#[tokio::test]
async fn pagerduty_unreachable_is_retried() {
    // A port nobody listens on: bound, then closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let dir = tempfile::tempdir().unwrap();
    let channel = pagerduty_channel(&url, dir.path(), ROUTING_KEY);
    let err = channel
        .send(
            &message(Event::RunStarted, Phase::Trigger, Severity::Critical, "t"),
            &http(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SendError::Retry { .. }), "{err:?}");
}

#[test]
fn pagerduty_config_refuses_literal_short_keys_and_plain_http_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let build = |fields: Value| build_channel("pagerduty", "oncall", &fields, dir.path());
    let literal = build(json!({"routing_key": ROUTING_KEY})).unwrap_err();
    assert!(literal.contains("routing_key"), "{literal}");
    assert!(!literal.contains(ROUTING_KEY), "{literal}");
    let short =
        build(json!({"routing_key": secret_file(dir.path(), "short", "abc123")})).unwrap_err();
    assert!(short.contains("32"), "{short}");
    assert!(!short.contains("abc123"), "{short}");
    let key = secret_file(dir.path(), "key", ROUTING_KEY);
    let plain =
        build(json!({"routing_key": key, "base_url": "http://events.example.com"})).unwrap_err();
    assert!(plain.contains("base_url"), "{plain}");
    let unknown = build(json!({"routing_key": key, "severity": "critical"})).unwrap_err();
    assert!(unknown.contains("severity"), "{unknown}");
    let channel = build(json!({"routing_key": key})).unwrap();
    assert!(!format!("{channel:?}").contains(ROUTING_KEY));
}

// ---------------------------------------------------------------------------------------------
// E-mail

/// The test relay's login.
const SMTP_USER: &str = "alerts";
const SMTP_PASSWORD: &str = "correct-horse-battery-staple";

/// A real SMTP server process (aiosmtpd, `tests/support/smtp_server.py`) on 127.0.0.1, and the
/// folder where it writes what it accepted; killed when dropped.
struct Relay {
    child: std::process::Child,
    port: u16,
    out: tempfile::TempDir,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Certificates for the relay: a CA the channel is told to trust (`ca_file`) and the relay's
/// own certificate for 127.0.0.1, signed by it.
struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Certs {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "lockdown test relay CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, "relay.test");
        let leaf = leaf.signed_by(&key, &ca).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("cert.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        Certs { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// Starts the relay with `args` (`--tls starttls`, `--refuse ADDRESS`, …).
fn relay(certs: &Certs, args: &[&str]) -> Relay {
    use std::io::BufRead;
    let check = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .expect("python3 runs the e-mail tests' SMTP server");
    assert!(
        check.status.success(),
        "the e-mail tests need aiosmtpd: pip install -r tests/requirements.txt\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .args(["--out", &out.path().display().to_string()])
        .args([
            "--cert",
            &certs.path("cert.pem"),
            "--key",
            &certs.path("key.pem"),
        ])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(out.path().join("server.log")).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| {
        let log = std::fs::read_to_string(out.path().join("server.log")).unwrap_or_default();
        panic!("the SMTP server did not start: {line:?}\n{log}")
    });
    Relay { child, port, out }
}

impl Relay {
    /// The messages the relay accepted, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
            .collect()
    }
}

/// An `email` channel to `relay`, with `extra` fields over the defaults (STARTTLS, AUTH, the
/// test CA).
fn email_channel(relay: &Relay, certs: &Certs, dir: &Path, extra: Value) -> Box<dyn Channel> {
    let mut fields = json!({
        "host": "127.0.0.1",
        "port": relay.port,
        "tls": "starttls",
        "username": SMTP_USER,
        "password": secret_file(dir, "smtp-password", SMTP_PASSWORD),
        "from": "lockdown <lockdown@desk.test>",
        "to": ["oncall@desk.test", "Trading Desk <traders@desk.test>"],
        "ca_file": certs.path("ca.pem"),
        "timeout": "5s",
    });
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            fields.as_object_mut().unwrap().remove(key);
        } else {
            fields[key] = value.clone();
        }
    }
    build_channel("email", "desk-mail", &fields, dir).unwrap()
}

fn key_locked() -> Message {
    message(
        Event::KeyLocked,
        Phase::Acknowledge,
        Severity::Critical,
        "bybit-main: key AbCd…wxyz locked in 212 ms",
    )
}

#[tokio::test]
async fn email_over_starttls_with_login_arrives_as_written() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "starttls",
            "--user",
            SMTP_USER,
            "--password",
            SMTP_PASSWORD,
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({}));
    channel.send(&key_locked(), &http()).await.unwrap();
    let received = relay.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail["encrypted"], true);
    assert_eq!(mail["login"], SMTP_USER);
    assert_eq!(mail["mail_from"], "lockdown@desk.test");
    assert_eq!(
        mail["rcpt_tos"],
        json!(["oncall@desk.test", "traders@desk.test"])
    );
    assert_eq!(mail["from"], "lockdown <lockdown@desk.test>");
    assert_eq!(
        mail["to"],
        "oncall@desk.test, Trading Desk <traders@desk.test>"
    );
    assert_eq!(
        mail["subject"],
        "[CRITICAL] bybit-main: key AbCd…wxyz locked in 212 ms"
    );
    assert_eq!(mail["content_type"], "text/plain");
    let id = mail["message_id"].as_str().unwrap();
    assert!(
        id.starts_with("<lockdown.run-20261205T174400Z-bybit-main.") && id.ends_with("@desk.test>"),
        "{id}"
    );
    assert!(
        mail["date"]
            .as_str()
            .unwrap()
            .contains("05 Dec 2026 17:44:00"),
        "{mail}"
    );
    let body = mail["body"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        body.starts_with("lock, cancel, revoke: a line with \"quotes\" & <angles>\n\n"),
        "{body}"
    );
    assert!(body.contains("venue                bybit\n"), "{body}");
    assert!(body.contains("unauthorized_orders  3\n"), "{body}");
    assert!(
        body.contains("run `run-20261205T174400Z-bybit-main`"),
        "{body}"
    );
    assert!(!body.contains(SMTP_PASSWORD));
}

#[tokio::test]
async fn email_over_implicit_tls_arrives() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "implicit",
            "--user",
            SMTP_USER,
            "--password",
            SMTP_PASSWORD,
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({"tls": "implicit"}));
    channel.send(&key_locked(), &http()).await.unwrap();
    let received = relay.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["encrypted"], true);
    assert_eq!(received[0]["login"], SMTP_USER);
}

#[tokio::test]
async fn email_without_tls_reaches_a_relay_on_this_machine() {
    let certs = Certs::new();
    let relay = relay(&certs, &["--tls", "none"]);
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(
        &relay,
        &certs,
        dir.path(),
        json!({"tls": "none", "username": null, "password": null, "ca_file": null}),
    );
    channel.send(&key_locked(), &http()).await.unwrap();
    let received = relay.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["encrypted"], false);
}

#[tokio::test]
async fn email_with_a_wrong_password_is_fatal_and_does_not_show_it() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "starttls",
            "--user",
            SMTP_USER,
            "--password",
            "another-password",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({}));
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    let SendError::Fatal { reason } = &err else {
        panic!("a refused login is fatal: {err:?}");
    };
    assert!(reason.contains("535"), "{reason}");
    assert!(reason.contains("`password`"), "{reason}");
    assert!(!reason.contains(SMTP_PASSWORD), "{reason}");
    assert!(!format!("{channel:?}").contains(SMTP_PASSWORD));
    assert!(relay.received().is_empty());
}

#[tokio::test]
async fn email_to_a_refused_recipient_is_fatal() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "starttls",
            "--user",
            SMTP_USER,
            "--password",
            SMTP_PASSWORD,
            "--refuse",
            "traders@desk.test",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({}));
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    let SendError::Fatal { reason } = &err else {
        panic!("a refused recipient is fatal: {err:?}");
    };
    assert!(reason.contains("550"), "{reason}");
    assert!(reason.contains("`to`"), "{reason}");
}

#[tokio::test]
async fn email_to_a_busy_relay_is_retried() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "starttls",
            "--user",
            SMTP_USER,
            "--password",
            SMTP_PASSWORD,
            "--busy",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({}));
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    assert!(
        matches!(&err, SendError::Retry { reason, .. } if reason.contains("451")),
        "{err:?}"
    );
}

#[tokio::test]
async fn email_to_a_relay_that_is_down_is_retried() {
    let certs = Certs::new();
    let relay = relay(&certs, &["--tls", "starttls"]);
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({}));
    drop(relay);
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    assert!(matches!(err, SendError::Retry { .. }), "{err:?}");
}

#[tokio::test]
async fn email_to_a_relay_with_an_untrusted_certificate_is_fatal() {
    let certs = Certs::new();
    let relay = relay(
        &certs,
        &[
            "--tls",
            "starttls",
            "--user",
            SMTP_USER,
            "--password",
            SMTP_PASSWORD,
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let channel = email_channel(&relay, &certs, dir.path(), json!({"ca_file": null}));
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    let SendError::Fatal { reason } = &err else {
        panic!("an untrusted certificate is fatal: {err:?}");
    };
    assert!(reason.contains("ca_file"), "{reason}");
    assert!(relay.received().is_empty());
}

#[test]
fn email_config_is_checked_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let password = secret_file(dir.path(), "pw", SMTP_PASSWORD);
    let base = json!({
        "host": "smtp.example.com",
        "username": SMTP_USER,
        "password": password,
        "from": "lockdown@example.com",
        "to": ["oncall@example.com"],
    });
    let build = |extra: Value| {
        let mut fields = base.clone();
        for (key, value) in extra.as_object().unwrap() {
            fields[key] = value.clone();
        }
        build_channel("email", "mail", &fields, dir.path())
    };
    build(json!({})).unwrap();
    for (label, extra, names) in [
        ("plain to a remote relay", json!({"tls": "none"}), "`tls`"),
        (
            "literal password",
            json!({"password": SMTP_PASSWORD}),
            "`password`",
        ),
        ("no recipient", json!({"to": []}), "`to`"),
        ("bad sender", json!({"from": "not an address"}), "`from`"),
        ("bad recipient", json!({"to": ["x@"]}), "`to`"),
        ("missing CA", json!({"ca_file": "nowhere.pem"}), "`ca_file`"),
        ("bad timeout", json!({"timeout": "soon"}), "`timeout`"),
        ("unknown field", json!({"cc": ["x@example.com"]}), "cc"),
        (
            "scheme in host",
            json!({"host": "smtp://smtp.example.com"}),
            "`host`",
        ),
    ] {
        let err = build(extra).unwrap_err();
        assert!(err.contains(names), "{label}: {err}");
        assert!(!err.contains(SMTP_PASSWORD), "{label}: {err}");
    }
}

#[tokio::test]
async fn email_to_a_relay_that_never_answers_gives_up_and_is_retried() {
    // A listener that accepts connections into its backlog and never greets them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let fields = json!({
        "host": "127.0.0.1",
        "port": port,
        "tls": "none",
        "from": "lockdown@desk.test",
        "to": ["oncall@desk.test"],
        "timeout": "1s",
    });
    let channel = build_channel("email", "desk-mail", &fields, dir.path()).unwrap();
    let err = channel.send(&key_locked(), &http()).await.unwrap_err();
    assert!(matches!(err, SendError::Retry { .. }), "{err:?}");
    drop(silent);
}
