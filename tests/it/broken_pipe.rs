//! A reader that goes away (`lockdown validate --json | head -1`): stdout is a pipe whose read
//! end is already closed, and every command still ends as it would have, without a panic.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{code, stderr, wait_bounded};

/// A pipe whose read end is already closed: every write to it fails with `EPIPE`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

/// Runs `lockdown args` with stdout a pipe nobody reads, and with stderr captured or not.
fn with_closed_stdout(args: &[&str], stderr: Stdio) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(closed_pipe())
        .stderr(stderr)
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG")
        .spawn()
        .unwrap();
    wait_bounded(child, Duration::from_secs(60))
}

#[test]
fn a_closed_stdout_is_a_quiet_end_for_every_printing_command() {
    let playbooks = concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks");
    let bybit = format!("{playbooks}/bybit.yaml");
    let okx = format!("{playbooks}/okx.yaml");
    let cases: [(&str, &[&str], i32); 4] = [
        ("validate --json", &["validate", "--json", &bybit, &okx], 0),
        ("capabilities", &["capabilities"], 0),
        ("schema", &["schema"], 0),
        ("--help", &["--help"], 0),
    ];
    for (label, args, expected) in cases {
        let output = with_closed_stdout(args, Stdio::piped());
        let err = stderr(&output);
        assert_eq!(code(&output), expected, "{label}: {err}");
        assert!(!err.contains("panicked"), "{label}: {err}");
        assert!(!err.contains("Broken pipe"), "{label}: {err}");
    }
}

#[test]
fn a_closed_stderr_does_not_change_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "version: 1\nname: x\nsteps: [\n").unwrap();
    // Its diagnostics go to stderr, which nobody reads: still bad input, not a panic (101).
    let output = with_closed_stdout(&["validate", broken.to_str().unwrap()], closed_pipe());
    assert_eq!(code(&output), 2);
}
