//! Nothing before the lock but the lock: what only later steps need (the ledger's lines) is
//! neither read nor reported before the first request; the lock is the first request the
//! exchange sees, and a bad ledger line is the diff step's to report.

use serde_json::Value;

use crate::support::{Lab, code, stderr, stdout, step_status};

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_broken_at_its_last_line_locks_first_and_the_diff_reports_it() {
    let lab = Lab::start(380).await;
    let ledger = lab.sim_dir().join("known-orders.jsonl");
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    let last = text.lines().count() + 1;
    text.push_str("{\"order_id\": \"broken\", \"side\": \"sideways\"}\n");
    std::fs::write(&ledger, text).unwrap();

    let before = lab.sim.inspect();
    let output = lab.respond(&["--yes", "--json"]).await;
    let err = stderr(&output);
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(code(&output), 1, "unverified orders end the run 1: {err}");

    // The lock went out first and was accepted: the first signed request the exchange saw.
    let after = lab.sim.inspect();
    let first = after.access_log[before.access_log.len()..]
        .iter()
        .find(|e| e.key_id.is_some())
        .unwrap();
    assert_eq!(
        (first.path.as_str(), first.ret_code),
        ("/v5/user/update-sub-api", Some(0))
    );
    assert_eq!(step_status(&summary, "lock"), "ok");
    // The ledger's lines were not read before the run: nothing was said about them up front.
    let problem = format!("known-orders.jsonl:{last}");
    let up_front: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("the response goes on"))
        .collect();
    assert!(
        up_front.iter().all(|l| !l.contains("ledger")),
        "the ledger was read before the lock: {up_front:?}"
    );
    // The diff step read it, named the bad line, and every order is unverified.
    assert_eq!(step_status(&summary, "diff"), "ok");
    let diff = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "diff")
        .unwrap()
        .to_string();
    assert!(
        diff.contains(&problem),
        "{problem} not in the diff step: {diff}"
    );
    assert!(
        summary["unverified_orders"].as_u64().unwrap() > 0,
        "{summary:#}"
    );
    assert_eq!(step_status(&summary, "revoke"), "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_or_unreadable_ledger_is_still_said_before_the_run() {
    let lab = Lab::start(381).await;
    let ledger = lab.sim_dir().join("known-orders.jsonl");
    // A folder where the ledger should be: an open tells, no parse needed.
    std::fs::remove_file(&ledger).unwrap();
    std::fs::create_dir(&ledger).unwrap();
    let output = lab.respond(&["--yes", "--json"]).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 1, "{err}");
    let said = err
        .lines()
        .find(|l| l.contains("the known-orders ledger cannot be used"))
        .unwrap_or_else(|| panic!("not said: {err}"));
    assert!(said.contains("the response goes on"), "{said}");
    let first_step = err.find("lock").unwrap_or(usize::MAX);
    assert!(
        err.find("the known-orders ledger cannot be used").unwrap() < first_step,
        "said before the first step: {err}"
    );
}

/// The exchange's clock is read once, after the lock reached the exchange, never before it; the
/// history windows are dated on the exchange's clock and the report states the offset.
#[tokio::test(flavor = "multi_thread")]
async fn the_exchange_clock_is_read_after_the_lock_and_reported() {
    let lab = Lab::start(381).await;
    // 3 s ahead: inside Bybit's 5 s receive window, so nothing is refused and nothing resyncs.
    lab.sim.set_clock_skew_ms(3_000);
    let before = lab.sim.inspect().access_log.len();
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));

    let log = lab.sim.inspect().access_log;
    let log = &log[before..];
    assert_eq!(
        log[0].path, "/v5/user/update-sub-api",
        "the lock went first"
    );
    let reads: Vec<usize> = (0..log.len())
        .filter(|i| log[*i].path == "/v5/market/time")
        .collect();
    assert_eq!(reads.len(), 1, "one clock read: {reads:?}");
    assert!(reads[0] > 0);

    let journal = crate::support::journal_of(&summary);
    let history = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "step_finished" && e["data"]["step"] == "history")
        .unwrap();
    let clock = &history["data"]["outputs"]["clock"];
    let offset = clock["offset_ms"].as_i64().unwrap();
    assert!((2_000..=4_000).contains(&offset), "{clock}");
    assert!(
        clock["measured_at"].as_str().unwrap().ends_with('Z'),
        "{clock}"
    );
    // The window ends past the exchange's "now", not the responder's.
    let outputs = &history["data"]["outputs"];
    let until = outputs["until_ms"].as_i64().unwrap();
    let finished = lockdown::clock::parse_rfc3339_ms(history["at"].as_str().unwrap()).unwrap();
    assert!(
        until > finished + 2_000,
        "until {until}, step ended {finished}"
    );

    let report = crate::support::report_of(&summary);
    assert_eq!(report["exchange_clock"]["offset_ms"], offset);
    let markdown =
        std::fs::read_to_string(crate::support::run_dir(&summary).join("report.md")).unwrap();
    assert!(
        markdown.contains(&format!("offset {offset} ms")),
        "{markdown}"
    );
}
