//! Progress for people: bars on a terminal only, never without one, never with `--quiet` or
//! `--json`; and the page count a step's bars show comes from the real reads.
//!
//! The terminal cases run the binary under `script(1)`, which gives it a pseudo-terminal (as
//! `prompts.rs` does); the others run it with stderr piped. A drill is the command: its wait for
//! detection is a countdown, and its response reads history page by page.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lockdown::exchanges::model::{Category, Segment};
use lockdown::exchanges::{Auth, CallSink, ExchangeId, Op, PageWatch, Reply};

use crate::support::{Lab, bind_bot_key, last_days, stderr, stdout, wait_bounded};

/// Single-quoted for `sh -c`.
fn quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// The quiet scenario, its detection two seconds away: long enough for the countdown to be
/// drawn more than once on a busy machine.
fn scenario(dir: &std::path::Path) -> String {
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quiet.yaml"),
    )
    .unwrap();
    let text = shipped.replace("detection_delay: 200ms", "detection_delay: 2s");
    assert_ne!(text, shipped, "the quiet scenario's delay is where it was");
    let path = dir.join("slow-quiet.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// `drill` on that scenario, its state in `dir`, then `extra`.
fn drill_args(dir: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "drill".to_owned(),
        "--scenario".to_owned(),
        scenario(dir),
        "--state-dir".to_owned(),
        dir.join("state").display().to_string(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// What a person at a terminal sees: stdout and stderr together, as the pseudo-terminal
/// carried them.
fn at_a_terminal(args: &[String]) -> String {
    let mut words = vec![env!("CARGO_BIN_EXE_lockdown").to_owned()];
    words.extend(args.iter().cloned());
    let line = words
        .iter()
        .map(|w| quoted(w))
        .collect::<Vec<_>>()
        .join(" ");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("script -qec {} /dev/null", quoted(&line)))
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) runs (util-linux)");
    let out = wait_bounded(child, Duration::from_secs(180));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What the countdown and the bars draw: terminal control (colour is off, `NO_COLOR`) and the
/// countdown's words.
fn bar_marks(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    if text.contains('\u{1b}') {
        found.push("an escape sequence");
    }
    if text.contains("detection in 2s: ") || text.contains("time is up") {
        found.push("a countdown");
    }
    if text.contains("pages read") || text.contains("page read") {
        found.push("a page count");
    }
    if text.contains("keys contained") {
        found.push("a key count");
    }
    found
}

#[test]
fn a_terminal_shows_the_drills_countdown() {
    let dir = tempfile::tempdir().unwrap();
    let screen = at_a_terminal(&drill_args(dir.path(), &[]));
    assert!(
        screen.contains("detection in 2s: ") && screen.contains(" left"),
        "the wait for detection counts down:\n{screen}"
    );
    assert!(
        screen.contains('\u{1b}'),
        "the bar is drawn and cleared with terminal control:\n{screen}"
    );
    // The history step reads page after page, paced under the venue's limits: long enough
    // for its count to be drawn.
    assert!(
        screen.contains("`history` spot: ") && screen.contains(" read, "),
        "the history pages are counted per segment:\n{screen}"
    );
}

#[test]
fn a_terminal_counts_down_the_drill_operators_work_by_hand() {
    // Kraken has no key management by API: the drill's operator deletes the key in the web
    // interface, after the scenario's delay (two seconds by default).
    let dir = tempfile::tempdir().unwrap();
    let screen = at_a_terminal(&drill_args(dir.path(), &["--venue", "kraken"]));
    assert!(
        screen.contains("the drill's operator does it by hand: ") && screen.contains(" left"),
        "the operator's work by hand counts down:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_counts_down_a_rotations_grace_period() {
    let lab = Lab::start(21).await;
    bind_bot_key(&lab);
    let args: Vec<String> = [
        "rotate",
        "--config",
        &lab.session.config.display().to_string(),
        "--profile",
        "sim",
        "--key",
        &lab.leaked(),
        "--grace",
        "2s",
        "--yes",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let screen = tokio::task::spawn_blocking(move || at_a_terminal(&args))
        .await
        .unwrap();
    assert!(
        screen.contains("grace period before the old key is revoked: ") && screen.contains(" left"),
        "the grace period counts down:\n{screen}"
    );
}

/// Two bots on sub-accounts of their own, each with a leaked key; no attacker.
const TWO_BOTS: &str = "
name: two-bots
seed: 5
detection_delay: 0s
keys: 2
markets:
  - { base: BTC, quote: USDT, price: \"65000\" }
balances: { USDT: \"1000\" }
bot:
  client_prefix: bot-
  orders:
    - { symbol: BTCUSDT, side: buy, type: limit, qty: \"0.01\", price: \"60000\", status: open, age: 2h }
attacker: { pattern: none }
";

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_counts_the_keys_of_a_mass_response() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, TWO_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    assert_eq!(keys.len(), 2);
    let args: Vec<String> = [
        "respond",
        "--config",
        &lab.session.config.display().to_string(),
        "--profile",
        "sim",
        "--key",
        &keys[0],
        "--key",
        &keys[1],
        "--yes",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let screen = tokio::task::spawn_blocking(move || at_a_terminal(&args))
        .await
        .unwrap();
    assert!(
        screen.contains(" of 2 keys contained; "),
        "the keys are counted as they are contained:\n{screen}"
    );
    for key in &keys {
        assert!(
            !screen.contains(key.as_str()),
            "key ids are masked:\n{screen}"
        );
    }
    assert_eq!(
        lab.run_dirs().len(),
        2,
        "both keys were answered:\n{screen}"
    );
}

#[test]
fn quiet_and_json_show_no_bars_even_at_a_terminal() {
    for flag in ["--quiet", "--json"] {
        let dir = tempfile::tempdir().unwrap();
        let screen = at_a_terminal(&drill_args(dir.path(), &[flag]));
        assert!(
            bar_marks(&screen).is_empty(),
            "{flag}: no bar, found {:?}:\n{screen}",
            bar_marks(&screen)
        );
        if flag == "--json" {
            assert!(
                screen.contains("\"regressed\""),
                "--json: the summary is there:\n{screen}"
            );
        }
    }
}

#[test]
fn without_a_terminal_a_wait_is_one_plain_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args(drill_args(dir.path(), &[]))
        .env_remove("LOCKDOWN_CONFIG")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lockdown starts");
    let out = wait_bounded(out, Duration::from_secs(180));
    let (err, data) = (stderr(&out), stdout(&out));
    assert!(
        bar_marks(&err).is_empty() && !err.contains('\r'),
        "stderr has no bar, found {:?}:\n{err}",
        bar_marks(&err)
    );
    assert!(
        bar_marks(&data).is_empty(),
        "stdout has no bar either:\n{data}"
    );
    assert_eq!(
        err.matches("detection in 2s").count(),
        1,
        "the wait is said once, as a plain line:\n{err}"
    );
}

/// Every page told, as the progress display is told of it.
#[derive(Debug, Default)]
struct Told(Mutex<Vec<(&'static str, Option<String>, usize)>>);

impl PageWatch for Told {
    fn page(&self, op: &'static str, segment: Option<Segment>, records: usize) {
        self.0
            .lock()
            .unwrap()
            .push((op, segment.map(|s| s.to_string()), records));
    }
}

#[tokio::test]
async fn every_page_a_read_follows_is_counted_for_its_segment() {
    let lab = Lab::start(7).await;
    let (master, bot) = lab.creds();
    let told = Arc::new(Told::default());
    let sink: CallSink = Arc::default();
    let client = lab
        .client()
        .recording(Arc::clone(&sink))
        .watching_pages(Some(Arc::clone(&told) as Arc<dyn PageWatch>));
    let segments = [
        Segment {
            category: Category::Spot,
            settle: None,
        },
        Segment {
            category: Category::Linear,
            settle: Some("USDT"),
        },
    ];
    let now = chrono::Utc::now().timestamp_millis();
    let window = last_days(now, 7);
    let orders = client
        .per_segment(
            &segments,
            Auth::Key(&bot),
            |segment, cursor| Op::Orders {
                segment,
                window,
                cursor,
            },
            Reply::into_orders,
        )
        .await
        .unwrap();
    let keys = client
        .all_pages(
            |cursor| Op::SubKeys {
                account: lab.account(),
                cursor,
            },
            Auth::Key(&master),
            Reply::into_keys,
        )
        .await
        .unwrap();

    let told = told.0.lock().unwrap().clone();
    let calls = sink.lock().unwrap().clone();
    for op in ["orders", "sub_keys"] {
        assert_eq!(
            told.iter().filter(|(o, _, _)| *o == op).count(),
            calls.iter().filter(|c| c.op == op).count(),
            "one {op} page told per {op} request sent: {told:?} / {calls:?}"
        );
    }
    for (op, segment) in [("orders", "spot"), ("orders", "linear/USDT")] {
        assert!(
            told.iter()
                .any(|(o, s, _)| *o == op && s.as_deref() == Some(segment)),
            "{op} pages of {segment} are told: {told:?}"
        );
    }
    let order_rows: usize = told
        .iter()
        .filter(|(op, _, _)| *op == "orders")
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(order_rows, orders.len(), "every order row is counted once");
    assert!(!orders.is_empty(), "the bot has orders to count");
    let key_rows: usize = told
        .iter()
        .filter(|(op, segment, _)| *op == "sub_keys" && segment.is_none())
        .map(|(_, _, n)| n)
        .sum();
    assert_eq!(key_rows, keys.len(), "an account-wide read has no segment");
}
