//! Questions at a real terminal: each answer (`y⏎`) answers exactly one question. The command
//! runs under `script(1)`, which gives it a pseudo-terminal, with the answers typed ahead.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Lab, respond_args, wait_bounded};

/// Single-quoted for `sh -c`.
fn quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

#[tokio::test(flavor = "multi_thread")]
async fn each_answer_at_a_terminal_answers_one_question() {
    let lab = Lab::start(11).await;
    let config = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let mut words = vec![env!("CARGO_BIN_EXE_lockdown").to_owned()];
    words.extend(
        respond_args(&config, &leaked, &[])
            .iter()
            .map(|a| (*a).to_owned()),
    );
    let line = words
        .iter()
        .map(|w| quoted(w))
        .collect::<Vec<_>>()
        .join(" ");
    let answers = "y\n".repeat(12);
    let script = format!(
        "printf '{}' | script -qec {} /dev/null",
        answers.replace('\n', "\\n"),
        quoted(&line)
    );
    let child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) runs (util-linux)");
    let out = wait_bounded(child, Duration::from_secs(120));
    let screen = String::from_utf8_lossy(&out.stdout);
    let run = lab
        .run_dirs()
        .pop()
        .unwrap_or_else(|| panic!("no run folder; screen:\n{screen}"));
    let journal = std::fs::read_to_string(run.join("journal.jsonl")).unwrap();
    let answers: Vec<(String, bool)> = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["type"] == "confirmation")
        .map(|e| {
            (
                e["data"]["step"].as_str().unwrap_or_default().to_owned(),
                e["data"]["accepted"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert!(
        answers.len() >= 2,
        "two questions or more were asked: {answers:?}\n{screen}"
    );
    assert!(
        answers.iter().all(|(_, yes)| *yes),
        "every `y⏎` is a yes: {answers:?}\n{screen}"
    );
}
