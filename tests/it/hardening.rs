//! Security defects found under faults (issue 24): a base URL that redirects, a venue that echoes
//! the request back in an error page, a two-factor code on argv, and config and credential files
//! that another user could change or that would block a read forever.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{Lab, code, edit_config, stderr};

/// A loopback server that counts the requests it gets; its base URL and the count.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            "{}"
        }
    });
    (serve(app).await, hits)
}

/// A loopback server that answers every request with `status` and a `Location` on `target`
/// (same path and query), as a moved API host or a hostile proxy would.
async fn redirecting_server(status: u16, target: String) -> String {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let target = target.clone();
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            axum::response::Response::builder()
                .status(status)
                .header("Location", format!("{target}{path}"))
                .body(axum::body::Body::empty())
                .unwrap()
        }
    });
    serve(app).await
}

/// Serves `app` on 127.0.0.1, port 0; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base_url_that_redirects_is_refused_and_the_target_never_called() {
    // 307 and 308 keep the method and body; 302 turns a POST into a GET. None is followed.
    for status in [302, 307, 308] {
        let lab = Lab::start(2401).await;
        let (target, hits) = counting_server().await;
        let redirector = redirecting_server(status, target).await;
        edit_config(
            &lab,
            &format!("base_url: {}", lab.running.base_url),
            &format!("base_url: {redirector}"),
        );
        let output = lab.respond(&["--yes", "--json"]).await;
        let err = stderr(&output);
        assert_ne!(code(&output), 0, "{status}: {err}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "{status}: the redirect's target was called: {err}"
        );
        assert!(
            err.contains(&format!("HTTP {status}, a redirect to `http://127.0.0.1:")),
            "{status}: {err}"
        );
        assert!(
            err.contains("set `base_url` to the final https address"),
            "{status}: {err}"
        );
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Makes a FIFO at `path`: a read that opens it blocks until someone writes.
fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
    set_mode(path, 0o600);
}

/// Runs `respond --yes` on the lab and checks it is bad input that sent nothing and left the
/// leaked key alive; its stderr.
async fn refused_before_anything_is_sent(lab: &Lab, args: &[&str]) -> String {
    let mark = lab.sent();
    let mut all = vec!["--yes"];
    all.extend_from_slice(args);
    let output = lab.respond(&all).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{err}");
    assert!(lab.sent_since(mark).is_empty(), "nothing was sent: {err}");
    let truth = lab.sim.inspect();
    assert!(truth.key(&lab.leaked()).is_some_and(|k| !k.deleted));
    err
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_others_can_write_is_refused_with_the_chmod_that_fixes_it() {
    let lab = Lab::start(2402).await;
    let config = lab.session.config.clone();
    for mode in [0o666, 0o620] {
        set_mode(&config, mode);
        let err = refused_before_anything_is_sent(&lab, &[]).await;
        assert!(
            err.contains(&format!("is writable by group or others (mode {mode:03o})")),
            "{err}"
        );
        assert!(
            err.contains(&format!("chmod go-w {}", config.display())),
            "{err}"
        );
    }
    set_mode(&config, 0o644);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(
        code(&output),
        0,
        "a config others may read is fine: {}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_in_a_folder_others_can_write_is_refused() {
    let lab = Lab::start(2403).await;
    let creds = lab.sim_dir().join("creds");
    std::fs::create_dir(&creds).unwrap();
    std::fs::rename(
        lab.sim_dir().join("master.secret"),
        creds.join("master.secret"),
    )
    .unwrap();
    edit_config(&lab, "file:master.secret", "file:creds/master.secret");
    // 0777: another user could put their own file in its place.
    set_mode(&creds, 0o777);
    let err = refused_before_anything_is_sent(&lab, &[]).await;
    assert!(
        err.contains("a folder group or others can write (mode 777)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("chmod go-w {}", creds.display())),
        "{err}"
    );
    // Sticky, as `/tmp`: nobody else can rename or delete the file there.
    set_mode(&creds, 0o1777);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fifo_as_a_secret_file_or_a_config_is_refused_at_once() {
    let lab = Lab::start(2404).await;
    let secret = lab.sim_dir().join("master.secret");
    std::fs::remove_file(&secret).unwrap();
    mkfifo(&secret);
    // Nothing ever writes to the FIFO: a read that opened it would wait until the test's
    // bound kills the run.
    let err = refused_before_anything_is_sent(&lab, &[]).await;
    assert!(
        err.contains("is not a regular file but a FIFO (named pipe)"),
        "{err}"
    );

    let fifo = lab.dir.path().join("config.fifo");
    mkfifo(&fifo);
    let output = crate::support::lockdown(
        &[
            "respond",
            "--config",
            fifo.to_str().unwrap(),
            "--key",
            "K",
            "--yes",
        ],
        &[],
    )
    .await;
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{err}");
    assert!(
        err.contains("is not a regular file but a FIFO (named pipe)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_factor_code_on_argv_is_refused_and_read_from_a_reference_or_stdin() {
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Deribit, 2405).await;
    lab.sim.set_tfa_required(true);
    let otp = crate::support::read(&lab.sim_dir().join("otp"));

    // On argv, every user of the machine could read it: refused before anything is sent.
    let err = refused_before_anything_is_sent(&lab, &["--otp", &otp]).await;
    assert!(
        err.contains("`--otp` would put the two-factor code on the command line"),
        "{err}"
    );
    assert!(err.contains("--otp-from env:NAME"), "{err}");
    assert!(!err.contains(&otp), "{err}");
    let err = refused_before_anything_is_sent(&lab, &["--otp-from", "hunter2"]).await;
    assert!(
        err.contains("is not `env:NAME`, `file:PATH` or `-`"),
        "{err}"
    );
    let err =
        refused_before_anything_is_sent(&lab, &["--otp-from", "env:LOCKDOWN_NO_SUCH_OTP"]).await;
    assert!(err.contains("`LOCKDOWN_NO_SUCH_OTP` is not set"), "{err}");

    // One line on stdin.
    let config = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let args =
        crate::support::respond_args(&config, &leaked, &["--yes", "--json", "--otp-from", "-"]);
    let output = crate::support::lockdown_with_stdin(&args, &format!("{otp}\n")).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = crate::support::summary(&output);
    let journal = crate::support::journal_of(&summary);
    assert!(journal.contains("\"by\":\"--otp-from\""), "{journal}");
    crate::support::assert_run_wrote_none_of(&crate::support::run_dir(&summary), &output, &[&otp]);
    assert!(!crate::support::stdout(&output).contains(&otp));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_factor_code_is_read_from_an_environment_variable() {
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Deribit, 2406).await;
    lab.sim.set_tfa_required(true);
    let otp = crate::support::read(&lab.sim_dir().join("otp"));
    let config = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let args = crate::support::respond_args(
        &config,
        &leaked,
        &["--yes", "--json", "--otp-from", "env:LOCKDOWN_TEST_OTP"],
    );
    let output = crate::support::lockdown(&args, &[("LOCKDOWN_TEST_OTP", &otp)]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(!stderr(&output).contains(&otp));
    assert!(lab.sim.inspect().key(&lab.leaked()).unwrap().deleted);
}

/// A front on 127.0.0.1 that passes every request to `upstream`, except those whose path
/// contains `echoed`: those get a 502 page that shows the request back (its URL and every
/// header, in table cells, as a debugging proxy's error page does). The credential values it
/// echoed are kept, for the test to search for.
async fn echoing_front(
    upstream: String,
    echoed: &'static str,
) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::body::Body;
    use axum::extract::Request;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    let http = crate::support::raw_client(std::net::IpAddr::from([127, 0, 0, 1]));
    let app = axum::Router::new().fallback(move |request: Request| {
        let (upstream, kept, http) = (upstream.clone(), kept.clone(), http.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let uri = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            if uri.contains(echoed) {
                let mut cells = format!("<tr><td>{}</td><td>{uri}</td></tr>", parts.method);
                for (name, value) in &parts.headers {
                    let value = value.to_str().unwrap_or_default();
                    let name = name.as_str();
                    if ["key", "sign", "passphrase", "auth"]
                        .iter()
                        .any(|w| name.contains(w))
                    {
                        kept.lock().unwrap().push(value.to_owned());
                    }
                    cells.push_str(&format!("<tr><td>{name}</td><td>{value}</td></tr>"));
                }
                for pair in parts.uri.query().unwrap_or_default().split('&') {
                    if let Some(signature) = pair.strip_prefix("signature=") {
                        kept.lock().unwrap().push(signature.to_owned());
                    }
                }
                let page = format!("<html><body><table>{cells}</table></body></html>");
                return axum::response::Response::builder()
                    .status(502)
                    .header("content-type", "text/html")
                    .body(Body::from(page))
                    .unwrap();
            }
            let mut forward = http.request(parts.method.clone(), format!("{upstream}{uri}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    forward = forward.header(name, value);
                }
            }
            let answer = forward.body(body).send().await.unwrap();
            let mut back = axum::response::Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                back = back.header(name, value);
            }
            back.body(Body::from(answer.bytes().await.unwrap()))
                .unwrap()
        }
    });
    (serve(app).await, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_venue_that_echoes_the_request_in_an_error_page_leaks_nothing() {
    use lockdown::exchanges::ExchangeId;
    for (venue, lock_path) in [
        (ExchangeId::Okx, "modify-apikey"),
        (ExchangeId::Binance, "ipRestriction"),
    ] {
        let lab = Lab::start_on(venue, 2407).await;
        let (front, seen) = echoing_front(lab.running.base_url.clone(), lock_path).await;
        edit_config(
            &lab,
            &format!("base_url: {}", lab.running.base_url),
            &format!("base_url: {front}"),
        );
        let output = lab.respond(&["--yes", "--json", "-vv"]).await;
        let texts = crate::support::run_texts(&lab, &output);
        let seen = seen.lock().unwrap().clone();
        // The key id, the signature and (OKX) the passphrase of every echoed request.
        assert!(seen.len() >= 2, "{venue}: the lock was echoed: {seen:?}");
        let secrets: Vec<(&str, String)> = seen
            .iter()
            .map(|s| ("echoed credential", s.clone()))
            .collect();
        crate::support::assert_no_secret_in(&texts, &secrets);
        // What the error keeps: the status, the content type, the length, the redacted text.
        let journal = texts
            .iter()
            .find(|(name, _)| name.ends_with("journal.jsonl"))
            .map(|(_, text)| text.clone())
            .unwrap();
        assert!(
            journal.contains("HTTP 502: text/html, "),
            "{venue}: {journal}"
        );
        assert!(journal.contains("<redacted>"), "{venue}: {journal}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ip_echo_that_redirects_is_not_followed_and_says_where_to() {
    let lab = Lab::start(2408).await;
    let (target, hits) = counting_server().await;
    let redirector = redirecting_server(302, target).await;
    edit_config(
        &lab,
        "    responder_ip:",
        &format!("    ip_echo: {redirector}/ip\n    responder_ip:"),
    );
    let profile = lockdown::config::load_profile(&lab.session.config, Some("sim")).unwrap();
    let playbook = lockdown::playbook::for_profile(None, &profile).unwrap();
    let all = lockdown::check::exchange_findings(&profile, &playbook).await;
    let found: Vec<_> = all.iter().filter(|f| f.check == "responder_ip").collect();
    assert_eq!(found.len(), 1, "{all:#?}");
    assert!(
        found[0]
            .message
            .contains("answered HTTP 302, a redirect to `http://127.0.0.1`"),
        "{}",
        found[0].message
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
}
