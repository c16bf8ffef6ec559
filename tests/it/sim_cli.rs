//! The "done when" session: `lockdown sim` in the background, `lockdown respond` against it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{respond_args, run_blocking, wait_bounded};

#[test]
fn sim_then_respond_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("D");
    let mut sim = Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args([
            "sim",
            "--venue",
            "bybit",
            "--port",
            "0",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let mut first = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.starts_with("http://127.0.0.1:"),
        "prints its base URL: {first}"
    );

    let key = std::fs::read_to_string(out.join("leaked-key"))
        .unwrap()
        .trim()
        .to_owned();
    let config = out.join("config.yaml");
    let args: Vec<String> = respond_args(config.to_str().unwrap(), &key, &["--yes", "--json"])
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let output = run_blocking(&args, &[]);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON summary");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(summary["contained"], true);
    // The session leaves nothing outside its folder: the run is under D/state.
    assert!(
        summary["run_dir"]
            .as_str()
            .unwrap()
            .starts_with(out.to_str().unwrap())
    );

    // SIGTERM stops it cleanly.
    Command::new("kill")
        .arg("-TERM")
        .arg(sim.id().to_string())
        .status()
        .unwrap();
    let status = wait_bounded(sim, Duration::from_secs(10)).status;
    assert_eq!(status.code(), Some(0));
}
