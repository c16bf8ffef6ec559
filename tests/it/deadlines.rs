//! Containment under faults: an evidence step that cannot finish (pages that keep coming back
//! short, an exchange too slow for the step's time, one that fails outright) keeps what it read
//! and ends incomplete, and the steps that contain (lock, cancel, revoke, verify) run all the
//! same: the key ends revoked and replaced, and the run says what evidence is missing.

use std::path::Path;
use std::time::Duration;

use lockdown::exchanges::ExchangeId;
use lockdown::sim::Faults;
use serde_json::Value;

use crate::support::{Lab, respond_with_playbook, run_dir, step_status};

/// The shipped playbook of `venue`, with `from` replaced by `to`.
fn shipped(venue: &str, from: &str, to: &str) -> String {
    let path = format!("{}/playbooks/{venue}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {venue}.yaml");
    text.replacen(from, to, 1)
}

/// The step `id` of the summary.
fn step<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}: {summary:#}"))
}

/// The outputs the journal holds for step `id`'s end.
fn journaled_outputs(summary: &Value, id: &str) -> Value {
    let journal = std::fs::read_to_string(run_dir(summary).join("journal.jsonl")).unwrap();
    journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "step_finished" && e["data"]["step"] == id)
        .unwrap_or_else(|| panic!("`{id}` did not finish"))["data"]["outputs"]
        .clone()
}

/// The key is gone at the exchange, its replacement stored, and the run ended 1 with `expected`
/// among what is left to do.
fn contained_but_incomplete(lab: &Lab, code: i32, summary: &Value, err: &str, expected: &str) {
    assert_eq!(code, 1, "{err}");
    for id in [
        "lock",
        "cancel",
        "revoke",
        "verify_dead",
        "replace",
        "store",
    ] {
        assert_eq!(step_status(summary, id), "ok", "`{id}`: {err}");
    }
    let truth = lab.sim.inspect();
    assert!(
        truth.key(&lab.leaked()).is_none_or(|k| k.deleted),
        "the leaked key is still alive: {err}"
    );
    assert!(lab.replacement()["api_key"].as_str().is_some());
    let left = summary["left"].to_string();
    assert!(
        left.contains(expected),
        "{expected:?} not left to do: {left}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fill_pages_that_keep_coming_back_short_leave_history_incomplete_and_the_key_revoked() {
    let lab = Lab::start_on(ExchangeId::Deribit, 2401).await;
    // Every list that says "there is more" comes back cut short: the fills walk never ends.
    lab.sim.set_faults(Faults::parse("short=1").unwrap());
    let (code, summary, err) = respond_with_playbook(&lab, &shipped("deribit", "", "")).await;
    contained_but_incomplete(&lab, code, &summary, &err, "`history` is incomplete: fills");
    // What the step read before the fills walk failed is kept, named in the journal, on disk.
    assert_eq!(step_status(&summary, "history"), "ok", "{err}");
    let outputs = journaled_outputs(&summary, "history");
    assert_eq!(
        outputs["missing"],
        serde_json::json!(["fills"]),
        "{outputs:#}"
    );
    assert!(
        outputs["counts"]["orders"].as_u64().unwrap() > 0,
        "{outputs:#}"
    );
    let orders = outputs["files"]["orders"].as_str().unwrap();
    assert!(run_dir(&summary).join(orders).is_file());
    assert!(
        step(&summary, "history")["incomplete"]
            .as_str()
            .unwrap()
            .contains("pagination did not end")
    );
    // The diff still ran on what was read.
    assert_eq!(step_status(&summary, "diff"), "ok", "{err}");
    let report = std::fs::read_to_string(run_dir(&summary).join("report.md")).unwrap();
    assert!(report.contains("`history` is incomplete"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evidence_step_that_runs_out_of_its_time_keeps_what_it_read() {
    let lab = Lab::start_on(ExchangeId::Deribit, 2403).await;
    // A slow exchange: the history walks (orders and fills over every currency, recent then
    // historical, one page after another) need far more than the 4 s the step has in all,
    // retries included; the balances and the key's description take a page or two.
    lab.sim
        .set_faults(Faults::none().with_latency(Duration::from_millis(500)));
    let playbook = shipped(
        "deribit",
        "    on_error: continue\n\n  - id: revoke",
        "    on_error: continue\n    timeout: 4s\n\n  - id: revoke",
    );
    let (code, summary, err) = respond_with_playbook(&lab, &playbook).await;
    contained_but_incomplete(&lab, code, &summary, &err, "`history` is incomplete");
    assert_eq!(step_status(&summary, "history"), "ok", "{err}");
    let why = step(&summary, "history")["incomplete"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        why.contains("not read: ")
            && why.contains("the step ran out of its time (4s, its `timeout`)"),
        "{why}"
    );
    let outputs = journaled_outputs(&summary, "history");
    let missing = outputs["missing"].as_array().unwrap();
    assert!(!missing.is_empty(), "{outputs:#}");
    // Whatever was taken whole is on disk, each file named with its digest.
    let files = outputs["files"].as_object().unwrap();
    assert!(!files.is_empty(), "{outputs:#}");
    for (kind, file) in files {
        assert!(!missing.contains(&Value::from(kind.as_str())), "{kind}");
        assert!(
            Path::new(&run_dir(&summary))
                .join(file.as_str().unwrap())
                .is_file()
        );
        assert!(outputs["sha256"][kind].is_string(), "{kind}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_evidence_step_does_not_keep_the_cancel_from_running() {
    let lab = Lab::start_on(ExchangeId::Okx, 2402).await;
    let uid = lab.sim.inspect().key(&lab.leaked()).unwrap().uid;
    assert!(!lab.sim.inspect().open_orders(uid).is_empty());
    // The open-orders snapshot cannot finish in its time and stops the run (`on_error: abort`,
    // the default): the cancel, the revoke and what completes it run all the same.
    let playbook = shipped(
        "okx",
        "      of: open_orders\n    retry: { attempts: 4, backoff: 200ms }\n",
        "      of: open_orders\n    retry: { attempts: 4, backoff: 200ms }\n    timeout: 1ms\n",
    );
    let (code, summary, err) = respond_with_playbook(&lab, &playbook).await;
    assert_eq!(step_status(&summary, "open_orders"), "failed", "{err}");
    contained_but_incomplete(
        &lab,
        code,
        &summary,
        &err,
        "evidence is missing: `open_orders`",
    );
    assert!(
        lab.sim.inspect().open_orders(uid).is_empty(),
        "the attacker's orders are still open"
    );
    // Evidence after the stop does not run; the diff in `finally` says what it lacks.
    assert_eq!(step_status(&summary, "history"), "not_run", "{err}");
}
