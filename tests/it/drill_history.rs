//! Drill history that shows rot: a drill worse than its own past comes out regressed (exit 1,
//! the reason in its history line), and `drill --history` shows the trend of drills and checks
//! per venue and profile.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::*;

/// A drill line as an older version wrote it (no `profile`, no `regressed`).
fn old_drill(at: &str, venue: &str, scenario: &str, passed: bool, ms: u64) -> Value {
    json!({
        "at": at, "scenario": scenario, "seed": 1, "venue": venue,
        "faults": "none (latency 0 ms)", "passed": passed,
        "time_to_contain_ms": ms, "lock_acknowledged_ms": ms,
        "false_positives": 0, "missed": usize::from(!passed), "drill_dir": format!("/drills/{at}"),
    })
}

fn check(at: &str, profile: &str, venue: &str, readiness: &str, regressed: Value) -> Value {
    json!({
        "kind": "check", "at": at, "profile": profile, "venue": venue, "readiness": readiness,
        "warnings": usize::from(readiness == "warnings"),
        "critical": usize::from(readiness == "not_ready"), "regressed": regressed,
    })
}

fn seed_history(state: &Path, lines: &[Value]) {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(state.join("drills.jsonl"), text).unwrap();
}

fn history_lines(state: &Path) -> Vec<Value> {
    std::fs::read_to_string(state.join("drills.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_slower_than_its_past_comes_out_regressed() {
    let state = tempfile::tempdir().unwrap();
    // Three earlier `quiet` drills on Bybit, locked in 1 ms, written before lines had a
    // profile or a verdict; and one on OKX, which must not count.
    let earlier: Vec<Value> = (1..=3)
        .map(|i| {
            old_drill(
                &format!("2026-11-0{i}T00:00:00.000Z"),
                "bybit",
                "quiet",
                true,
                1,
            )
        })
        .chain([old_drill(
            "2026-11-04T00:00:00.000Z",
            "okx",
            "quiet",
            true,
            100_000,
        )])
        .collect();
    seed_history(state.path(), &earlier);
    // No slack: any time over 1.5 ms is over the median by the factor.
    let config = state.path().join("config.yaml");
    std::fs::write(
        &config,
        "profiles: {}\nhistory:\n  regression:\n    ttc_factor: 1.5\n    ttc_slack: 0s\n",
    )
    .unwrap();
    let output = lockdown(
        &[
            "--config",
            config.to_str().unwrap(),
            "drill",
            "--scenario",
            "quiet",
            "--json",
            "--state-dir",
            state.path().to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}): {}", stderr(&output)));
    // The drill itself passed: the exit 1 is the regression's.
    assert_eq!(card["passed"], true, "{card:#}");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let reason = card["regressed"].as_str().expect("a reason").to_owned();
    assert!(
        reason.starts_with("time to lock ")
            && reason.ends_with("is over 1.5× the median 1 ms of the last 3 comparable drills"),
        "{reason}"
    );
    assert!(
        stderr(&output).contains(&format!("drill REGRESSED (exit 1): {reason}")),
        "{}",
        stderr(&output)
    );
    let lines = history_lines(state.path());
    assert_eq!(lines.len(), 5);
    assert_eq!(
        &lines[..4],
        &earlier[..],
        "the earlier lines are kept as they were"
    );
    let line = &lines[4];
    assert_eq!(line["drill_dir"], card["drill_dir"]);
    assert_eq!(line["regressed"], reason.as_str());
    assert_eq!(line["profile"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_without_a_past_or_a_config_is_not_regressed() {
    let state = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = lockdown(
        &[
            "drill",
            "--scenario",
            "quiet",
            "--json",
            "--state-dir",
            state.path().to_str().unwrap(),
        ],
        // No config file at the default path.
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CONFIG_HOME", ""),
        ],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let card: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(card["regressed"], Value::Null);
    let lines = history_lines(state.path());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["regressed"], Value::Null);
}

/// Two venues' drills of the simulator's own setup, a profile's drills and checks, one
/// regressed of each kind.
fn seeded(state: &Path) {
    let mut regressed_drill = old_drill(
        "2026-11-05T00:00:00.000Z",
        "okx",
        "pump-illiquid",
        true,
        4000,
    );
    regressed_drill["profile"] = json!("main");
    regressed_drill["regressed"] = json!(
        "time to contain 4000 ms is over 1.5× the median 40 ms of the last 2 comparable drills"
    );
    let profiled = |at: &str, ms: u64| {
        let mut line = old_drill(at, "okx", "pump-illiquid", true, ms);
        line["profile"] = json!("main");
        line
    };
    let lines = [
        old_drill(
            "2026-11-01T00:00:00.000Z",
            "bybit",
            "pump-illiquid",
            true,
            40,
        ),
        old_drill(
            "2026-11-01T01:00:00.000Z",
            "bybit",
            "pump-illiquid",
            false,
            80,
        ),
        old_drill(
            "2026-11-01T02:00:00.000Z",
            "bybit",
            "pump-illiquid",
            true,
            20,
        ),
        old_drill("2026-11-02T00:00:00.000Z", "kraken", "quiet", true, 2000),
        profiled("2026-11-03T00:00:00.000Z", 40),
        profiled("2026-11-04T00:00:00.000Z", 40),
        regressed_drill,
        check(
            "2026-11-03T00:00:00.000Z",
            "main",
            "okx",
            "ready",
            Value::Null,
        ),
        check(
            "2026-11-04T00:00:00.000Z",
            "main",
            "okx",
            "warnings",
            Value::Null,
        ),
        check(
            "2026-11-05T00:00:00.000Z",
            "main",
            "okx",
            "not_ready",
            json!("not ready after a check that was warnings (2026-11-04T00:00:00.000Z)"),
        ),
    ];
    seed_history(state, &lines);
}

async fn history(state: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["drill", "--history", "--state-dir", state.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = lockdown(&args, &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    output
}

#[tokio::test(flavor = "multi_thread")]
async fn history_shows_the_trend_for_people() {
    let state = tempfile::tempdir().unwrap();
    seeded(state.path());
    let shown = stdout(&history(state.path(), &[]).await);
    // The row whose first cells are `start`.
    let row = |start: &[&str]| -> Vec<String> {
        shown
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .find(|cells| {
                cells.starts_with(&start.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
            })
            .unwrap_or_else(|| panic!("no row {start:?}:\n{shown}"))
    };
    // venue, profile, scenario, runs, passed, median, last, missed, false+, result, sparkline.
    let bybit = row(&["bybit", "–"]);
    assert_eq!(
        &bybit[..13],
        [
            "bybit",
            "–",
            "pump-illiquid",
            "3",
            "66%",
            "20",
            "ms",
            "20",
            "ms",
            "1",
            "0",
            "pass",
            "█✗▄"
        ],
        "{shown}"
    );
    let main = row(&["okx", "main"]);
    assert_eq!(
        &main[..5],
        ["okx", "main", "pump-illiquid", "3", "100%"],
        "{shown}"
    );
    assert!(main.contains(&"▁▁█".to_owned()), "{shown}");
    assert!(
        shown.contains(
            "    REGRESSED: time to contain 4000 ms is over 1.5× the median 40 ms of the last 2 comparable drills"
        ),
        "{shown}"
    );
    assert_eq!(row(&["kraken"])[..3], ["kraken", "–", "quiet"], "{shown}");
    // The profile's checks: a row with its readiness trend, and why the last regressed.
    let checks = row(&["main", "okx"]);
    assert_eq!(
        checks,
        ["main", "okx", "3", "1/3", "not_ready", "0", "1", "✓!✗"],
        "{shown}"
    );
    assert!(
        shown.contains("    REGRESSED: not ready after a check that was warnings"),
        "{shown}"
    );
    // Then the latest runs, one line each.
    let runs: Vec<&str> = shown
        .lines()
        .filter(|l| l.trim_start().starts_with("2026-11-"))
        .collect();
    assert_eq!(runs.len(), 10, "{shown}");
    assert!(runs[6].contains("REGRESSED"), "{}", runs[6]);
    assert!(
        runs[9].contains("check") && runs[9].contains("not_ready"),
        "{}",
        runs[9]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn history_gives_the_same_data_as_json_filtered() {
    let state = tempfile::tempdir().unwrap();
    seeded(state.path());
    let all: Value =
        serde_json::from_str(&stdout(&history(state.path(), &["--json"]).await)).unwrap();
    let drills = all["drills"].as_array().unwrap();
    let rows: Vec<(&str, &Value, &str)> = drills
        .iter()
        .map(|d| {
            (
                d["venue"].as_str().unwrap(),
                &d["profile"],
                d["scenario"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("bybit", &Value::Null, "pump-illiquid"),
            ("kraken", &Value::Null, "quiet"),
            ("okx", &json!("main"), "pump-illiquid"),
        ]
    );
    assert_eq!(drills[0]["times_ms"], json!([40, null, 20]));
    assert_eq!(drills[0]["pass_rate_pct"], 66);
    assert_eq!(drills[2]["regressions"], 1);
    assert_eq!(all["checks"][0]["trend"], "✓!✗");
    assert_eq!(all["runs"].as_array().unwrap().len(), 10);
    assert_eq!(all["runs"][9]["kind"], "check");

    // One venue, the latest two runs of each row.
    let okx: Value = serde_json::from_str(&stdout(
        &history(state.path(), &["--json", "--venue", "okx", "--last", "2"]).await,
    ))
    .unwrap();
    assert_eq!(okx["drills"].as_array().unwrap().len(), 1);
    assert_eq!(okx["drills"][0]["runs"], 2);
    assert_eq!(okx["checks"][0]["trend"], "!✗");
    assert_eq!(okx["runs"].as_array().unwrap().len(), 2);

    // A profile's history, found through the config's `state_dir` for it.
    let config = state.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "profiles:\n  main:\n    state_dir: {}\n",
            state.path().display()
        ),
    )
    .unwrap();
    let output = lockdown(
        &[
            "--config",
            config.to_str().unwrap(),
            "drill",
            "--history",
            "--profile",
            "main",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let main: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(main["drills"].as_array().unwrap().len(), 1);
    assert_eq!(main["drills"][0]["profile"], "main");
    assert_eq!(main["checks"].as_array().unwrap().len(), 1);
    assert_eq!(main["runs"].as_array().unwrap().len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_regression_rule_stops_the_drill_before_it_starts() {
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("config.yaml");
    std::fs::write(
        &config,
        "profiles: {}\nhistory:\n  regression:\n    window: 0\n",
    )
    .unwrap();
    let output = lockdown(
        &[
            "--config",
            config.to_str().unwrap(),
            "drill",
            "--scenario",
            "quiet",
            "--state-dir",
            state.path().to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("config.yaml:4:13") && err.contains("`window` must be at least 1"),
        "{err}"
    );
    assert!(
        err.contains("how many of the latest comparable drills"),
        "{err}"
    );
    assert!(!state.path().join("drills.jsonl").exists());
    assert!(!state.path().join("drills").exists(), "no drill ran");
}
