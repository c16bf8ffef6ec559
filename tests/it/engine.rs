//! The engine's guarantees seen from outside: parallel groups journal in order, `finally` runs
//! after an abort, `verify` finds one changed byte, `schema` describes the format.

use serde_json::Value;

use crate::support::{
    Lab, bybit_playbook, code, lockdown, respond_with_playbook, run_dir, stderr, stdout,
    step_status,
};

fn events(run_dir: &str) -> Vec<Value> {
    std::fs::read_to_string(std::path::Path::new(run_dir).join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_members_act_together_and_journal_in_order() {
    let lab = Lab::start(51).await;
    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "parallel-evidence",
            r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}" }
  - id: evidence
    max_parallel: 2
    parallel:
      - id: open_orders
        snapshot: { key: "{{ inputs.key }}", of: open_orders }
      - id: history
        snapshot: { key: "{{ inputs.key }}", of: [orders, fills] }
      - id: money
        snapshot: { key: "{{ inputs.key }}", of: [balances, transfers] }
  - id: diff
    diff_orders: { observed: [open_orders, history] }
"#,
        ),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let ids = |kind: &str| -> Vec<String> {
        events(summary["run_dir"].as_str().unwrap())
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["data"]["step"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids("step_started"),
        ["lock", "open_orders", "history", "money", "diff"]
    );
    assert_eq!(
        ids("step_finished"),
        ["lock", "open_orders", "history", "money", "diff"]
    );
    // The three members all started before the first of them finished.
    let all = events(summary["run_dir"].as_str().unwrap());
    let position = |kind: &str, step: &str| {
        all.iter()
            .position(|e| e["type"] == kind && e["data"]["step"] == step)
            .unwrap()
    };
    assert!(position("step_started", "money") < position("step_finished", "open_orders"));
    assert_eq!(step_status(&summary, "diff"), "ok");
    assert!(summary["unauthorized_orders"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn finally_runs_after_an_abort() {
    let lab = Lab::start(52).await;
    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "abort-then-report",
            r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}" }
  - id: verify_dead
    verify_revoked: { key: "{{ inputs.key }}" }
  - id: never
    cancel_orders: { key: "{{ inputs.key }}" }
finally:
  - id: report
    report: {}
"#,
        ),
    )
    .await;
    // Contained (locked), but a step failed: finished, containment incomplete.
    assert_eq!(code, 1, "{err}");
    assert_eq!(step_status(&summary, "verify_dead"), "failed");
    assert_eq!(step_status(&summary, "never"), "not_run");
    assert_eq!(step_status(&summary, "report"), "ok");
    assert!(err.contains("still accepted"), "{err}");
    assert!(run_dir(&summary).join("report.md").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_one_changed_byte() {
    let lab = Lab::start(53).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let run_dir = summary["run_dir"].as_str().unwrap().to_owned();
    let ok = lockdown(&["verify", &run_dir], &[]).await;
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));

    // Change one byte inside the sixth event: `verify` names line 6.
    let path = std::path::Path::new(&run_dir).join("journal.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let at = line_starts[5] + 30;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, bytes).unwrap();
    let bad = lockdown(&["verify", &run_dir], &[]).await;
    assert_eq!(code(&bad), 4);
    assert!(stderr(&bad).contains("line 6"), "{}", stderr(&bad));
}

#[tokio::test]
async fn schema_describes_every_action() {
    let output = lockdown(&["schema"], &[]).await;
    assert_eq!(code(&output), 0);
    let schema: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let step = &schema["$defs"]["step"]["properties"];
    for action in lockdown::actions::ActionSpec::NAMES {
        assert!(step.get(*action).is_some(), "{action}");
    }
}

#[test]
fn readme_capability_table_is_generated() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- capabilities:start -->\n").unwrap() + 28;
    let end = readme.find("<!-- capabilities:end -->").unwrap();
    assert_eq!(
        readme[start..end].trim_end(),
        lockdown::exchanges::capability_table().trim_end(),
        "README's table is stale: paste the output of `lockdown capabilities`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manual_step_without_a_terminal_waits_and_the_run_resumes() {
    let lab = Lab::start(54).await;
    let playbook = lab.dir.path().join("manual.yaml");
    std::fs::write(
        &playbook,
        bybit_playbook(
            "lock-then-hand",
            r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}" }
  - id: call_support
    manual:
      title: Call the exchange's support line
      checklist: [Give them the run id]
  - id: report
    report: {}
"#,
        ),
    )
    .unwrap();
    // No terminal and no --yes: the run starts, locks, and stops at the manual step.
    let output = lab
        .respond(&["--json", "--playbook", playbook.to_str().unwrap()])
        .await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["contained"], true);
    assert_eq!(step_status(&summary, "call_support"), "pending");
    assert_eq!(step_status(&summary, "report"), "not_run");
    assert!(
        stderr(&output).contains("lockdown resume"),
        "{}",
        stderr(&output)
    );

    // Resumed with --yes: the lock is not sent again, the manual step is done, the run ends.
    let run_dir = summary["run_dir"].as_str().unwrap().to_owned();
    let locks = || {
        lab.sim
            .inspect()
            .access_log
            .iter()
            .filter(|e| e.path == "/v5/user/update-sub-api")
            .count()
    };
    let locks_before = locks();
    let resumed = lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await;
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let summary: Value = serde_json::from_str(&stdout(&resumed)).unwrap();
    assert_eq!(step_status(&summary, "call_support"), "ok");
    assert_eq!(step_status(&summary, "report"), "ok");
    assert_eq!(locks_before, locks(), "the lock was sent again");
}
