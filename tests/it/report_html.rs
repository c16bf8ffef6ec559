//! The HTML report in a real browser: Debian's headless Chromium opens a drill's `report.html`,
//! dumps the DOM it built and takes screenshots (kept under `target/report-html/`). The timeline
//! picture has one mark per unauthorized order of the diff and the containment line, and the
//! page fetched nothing: Chromium runs with every host name unresolvable and a proxy on a closed
//! loopback port, and its network log shows no request made for the page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{code, lockdown, stderr, stdout};

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Where the screenshots and DOM dumps are kept after the test.
fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("report-html");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium that cannot reach any network: each run has its own profile folder and
/// network log.
struct Browser {
    profile: tempfile::TempDir,
    /// A loopback port nothing listens on: the proxy every request would have to go through.
    closed_port: u16,
}

impl Browser {
    fn new() -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: run tests/setup.sh (it installs Debian's `chromium`)"
        );
        let closed_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        Browser {
            profile: tempfile::tempdir().unwrap(),
            closed_port,
        }
    }

    /// Opens `page` with `extra` arguments (`--dump-dom`, `--screenshot=...`); its output and
    /// the URLs the page itself asked for (from the network log).
    fn open(&self, page: &Path, extra: &[String]) -> (Output, Vec<String>) {
        let net_log = self.profile.path().join("net-log.json");
        let mut command = Command::new(CHROMIUM);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .arg(format!(
                "--proxy-server=http://127.0.0.1:{}",
                self.closed_port
            ))
            .arg("--host-resolver-rules=MAP * ~NOTFOUND")
            .arg(format!("--log-net-log={}", net_log.display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = bounded(command.spawn().expect("chromium starts"));
        assert!(
            output.status.success(),
            "chromium failed on {}: {}",
            page.display(),
            stderr(&output)
        );
        (output, page_requests(&net_log))
    }
}

/// Waits for Chromium, killing it (and failing the test) after a minute and a half.
fn bounded(child: std::process::Child) -> Output {
    let limit = Duration::from_secs(90);
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.expect("chromium's output"),
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(id.to_string())
                .status();
            panic!("chromium did not finish within {limit:?}");
        }
    }
}

/// The URLs in a Chromium network log that a `file://` page asked for (the browser's own
/// background requests belong to no page and are left out).
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log)
        .unwrap_or_else(|err| panic!("no network log at {}: {err}", net_log.display()));
    let log: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("the network log does not parse ({err})"));
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .expect("network log events")
        .iter()
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .map(str::to_owned)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// The hover texts of the timeline's unauthorized-order marks in a DOM dump.
fn order_marks(dom: &str) -> Vec<String> {
    dom.split(r#"<circle class="mark order attacker""#)
        .skip(1)
        .map(|rest| {
            let title = rest.split("<title>").nth(1).expect("a mark's title");
            title.split("</title>").next().unwrap().to_owned()
        })
        .filter(|title| title.contains("unauthorized order "))
        .collect()
}

/// What in a page could load something: `src`/`href` attributes, CSS `url(` and `@import`
/// that name an `http(s)://` address.
fn loadable_urls(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    ["src=", "href=", "url(", "@import"]
        .iter()
        .flat_map(|attr| {
            lower.match_indices(attr).filter_map(|(at, _)| {
                let after = lower[at + attr.len()..].trim_start_matches(['"', '\'', ' ']);
                (after.starts_with("http://")
                    || after.starts_with("https://")
                    || after.starts_with("//"))
                .then(|| after.chars().take(60).collect())
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drills_html_report_draws_every_unauthorized_order_and_loads_nothing() {
    let browser = Browser::new();
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().display().to_string();
    let output = lockdown(
        &["drill", "--json", "--state-dir", &state_arg, "--seed", "7"],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let card: Value = serde_json::from_str(&stdout(&output)).expect("a scorecard");
    let run_dir = PathBuf::from(card["run_dir"].as_str().expect("the run folder"));
    let page = run_dir.join("report.html");
    let html = std::fs::read_to_string(&page).expect("the drill wrote report.html");
    assert_eq!(
        loadable_urls(&html),
        Vec::<String>::new(),
        "the page loads nothing"
    );
    assert!(
        !html.contains("<script"),
        "no scripts are needed to read it"
    );

    // The diff's whole list of unauthorized orders, from its file in the run folder.
    let ids: Vec<String> =
        std::fs::read_to_string(run_dir.join("snapshots/diff-unauthorized.jsonl"))
            .expect("the diff's list")
            .lines()
            .map(|line| {
                let row: Value = serde_json::from_str(line).unwrap();
                row["order_id"].as_str().unwrap().to_owned()
            })
            .collect();
    assert!(!ids.is_empty(), "the attacker placed orders");

    let (dumped, fetched) = browser.open(&page, &["--dump-dom".to_owned()]);
    let dom = stdout(&dumped);
    let out = artifacts();
    std::fs::write(out.join("report.dom.html"), &dom).unwrap();
    assert!(
        dom.contains(r#"<svg class="timeline""#),
        "no timeline picture in the DOM"
    );
    let marks = order_marks(&dom);
    assert_eq!(
        marks.len(),
        ids.len(),
        "one mark per unauthorized order: {marks:#?}"
    );
    for id in &ids {
        let with_id = marks
            .iter()
            .filter(|t| t.contains(&format!("unauthorized order {id}:")))
            .count();
        assert_eq!(with_id, 1, "order {id} has {with_id} marks");
    }
    assert_eq!(
        dom.matches(r#"<g class="containment">"#).count(),
        1,
        "one containment line"
    );
    let line = dom.split(r#"<g class="containment">"#).nth(1).unwrap();
    assert!(line.contains("<line "), "the containment mark is a line");
    assert_eq!(
        fetched,
        Vec::<String>::new(),
        "the page fetched from the network"
    );

    // Screenshots: a desktop page and a phone's width, kept as the test's artifacts.
    for (name, size) in [
        ("report-desktop.png", "1200,1800"),
        ("report-phone.png", "390,1600"),
    ] {
        let shot = out.join(name);
        let _ = std::fs::remove_file(&shot);
        let (_, fetched) = browser.open(
            &page,
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size={size}"),
            ],
        );
        assert!(
            shot.metadata().is_ok_and(|m| m.len() > 10_000),
            "no screenshot {name}"
        );
        assert_eq!(fetched, Vec::<String>::new());
    }
}

/// The network check has teeth: a page that does load from the network is caught by both the
/// file check and the browser's network log (the loads fail: nothing resolves).
#[test]
fn a_page_that_loads_from_the_network_is_caught() {
    let browser = Browser::new();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("loads.html");
    std::fs::write(
        &page,
        "<!doctype html><title>loads</title><link rel=stylesheet href='https://fonts.example.org/a.css'>\
         <img src=\"http://example.com/x.png\">",
    )
    .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(loadable_urls(&html).len(), 2, "{html}");
    let (_, fetched) = browser.open(&page, &["--dump-dom".to_owned()]);
    assert_eq!(
        fetched,
        [
            "http://example.com/x.png",
            "https://fonts.example.org/a.css"
        ],
        "the network log shows the page's requests"
    );
}
