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
