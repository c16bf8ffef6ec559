//! Tampering with a run's journal by someone who can write the run folder: `lockdown verify`
//! names what was done and where. Each case starts from a real sealed run, copies its journal
//! into a sibling run folder (so the state dir's key is found as usual), edits the copy the way
//! an intruder would, and runs `verify` on it.

use std::path::{Path, PathBuf};

use lockdown::journal::Event;
use serde_json::Value;

use crate::support::{Lab, code, lockdown, read, run_dir, stderr, stdout, summary};

/// A finished live run of the lab: its folder and the journal's lines.
async fn sealed_run(seed: u64) -> (Lab, PathBuf, Vec<String>) {
    let lab = Lab::start(seed).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let dir = run_dir(&summary(&output));
    let lines = lines_of(&dir);
    (lab, dir, lines)
}

fn lines_of(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A copy of the run folder's journal, beside it under `runs/`, holding `lines`.
fn tampered(run: &Path, name: &str, lines: &[String]) -> String {
    let copy = run.parent().unwrap().join(name);
    std::fs::create_dir(&copy).unwrap();
    std::fs::write(copy.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
    copy.display().to_string()
}

/// `lockdown verify ARGS`: its exit code and stderr.
async fn verify(args: &[&str]) -> (i32, String) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let output = lockdown(&all, &[]).await;
    (code(&output), stderr(&output))
}

/// The 1-based line of the first event of `type` (and, when given, of `step`).
fn line_of(lines: &[String], kind: &str, step: Option<&str>) -> usize {
    1 + lines
        .iter()
        .position(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["type"] == kind && step.is_none_or(|s| v["data"]["step"] == s)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_journal_passes_and_its_head_is_shown_where_the_owner_sees_it() {
    let lab = Lab::start(71).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = summary(&output);
    let (seq, hash) = (
        summary["journal"]["seq"].as_u64().unwrap(),
        summary["journal"]["hash"].as_str().unwrap().to_owned(),
    );
    // The terminal summary carries the head: a copy the owner keeps exposes a rewrite.
    assert!(
        stderr(&output).contains(&format!("journal head: event {seq} hash {hash}")),
        "{}",
        stderr(&output)
    );
    let dir = run_dir(&summary);
    let run = dir.display().to_string();
    let (status, err) = verify(&[&run, "--expect-head", &hash]).await;
    assert_eq!(status, 0, "{err}");
    assert!(err.contains("sealed by `run_finished`"), "{err}");
    assert!(err.contains("authenticated with journal key"), "{err}");
    let json = lockdown(&["verify", &run, "--json"], &[]).await;
    let report: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["authenticated"], true);
    assert_eq!(report["head"], hash.as_str());

    // A head nobody wrote is refused.
    let (status, err) = verify(&[&run, "--expect-head", &"0".repeat(64)]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("has no event with hash"), "{err}");

    // `run_started` says who ran which lockdown with which playbook and key (never the key).
    let first: Value = serde_json::from_str(&lines_of(&dir)[0]).unwrap();
    let key = read(&lab.sim_dir().join("state").join("journal.key"));
    let data = &first["data"];
    assert_eq!(data["lockdown"], env!("CARGO_PKG_VERSION"));
    assert!(data["operator"].as_str().unwrap().contains('@'), "{data}");
    assert_eq!(data["playbook_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(data["journal_key"].as_str().unwrap().len(), 16);
    assert!(!lines_of(&dir).join("\n").contains(&key));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(lab.sim_dir().join("state").join("journal.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// The journal with a field of line `at` changed and every hash from there recomputed, as
/// someone without the key would: the chain holds again.
fn rechained(lines: &[String], at: usize) -> Vec<String> {
    let mut events: Vec<Event> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    events[at - 1].data["forged"] = Value::Bool(true);
    let mut prev = events[at - 2].hash.clone();
    for event in &mut events[at - 1..] {
        event.prev = prev;
        event.hash = event.compute_hash();
        prev = event.hash.clone();
    }
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_a_rewritten_and_rechained_journal() {
    let (_lab, dir, lines) = sealed_run(72).await;
    // Change what a step recorded, then recompute every hash after it.
    let at = line_of(&lines, "step_finished", None);
    let copy = tampered(&dir, "rechained", &rechained(&lines, at));
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains(&format!("line {at}")), "{err}");
    assert!(err.contains("does not match the journal key"), "{err}");
    // Nor is a report rendered from it.
    let report = lockdown(&["report", &copy], &[]).await;
    assert_eq!(code(&report), 4, "{}", stderr(&report));
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_a_truncated_journal_and_names_the_last_step() {
    let (_lab, dir, lines) = sealed_run(73).await;
    let kept = &lines[..lines.len() - 2];
    let last: Value = serde_json::from_str(kept.last().unwrap()).unwrap();
    let step = kept
        .iter()
        .rev()
        .find_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["data"]["step"].as_str().map(str::to_owned)
        })
        .unwrap();
    let copy = tampered(&dir, "truncated", kept);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 5, "{err}");
    assert!(
        err.contains(&format!(
            "ends after step `{step}` (line {}) without a seal: interrupted or truncated",
            last["seq"]
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_a_removed_middle_line_and_two_swapped_lines() {
    let (_lab, dir, lines) = sealed_run(74).await;
    let mut removed = lines.clone();
    removed.remove(4);
    let copy = tampered(&dir, "removed", &removed);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(
        err.contains("line 5: sequence number 6 where 5 was due"),
        "{err}"
    );

    let mut swapped = lines.clone();
    swapped.swap(5, 6);
    let copy = tampered(&dir, "swapped", &swapped);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(
        err.contains("line 6: sequence number 7 where 6 was due"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_a_byte_that_changes_nothing_the_chain_reads() {
    let (_lab, dir, lines) = sealed_run(75).await;
    // A trailing space parses as the same event: the line is not as written all the same.
    let mut spaced = lines.clone();
    spaced[3].push(' ');
    let copy = tampered(&dir, "spaced", &spaced);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(
        err.contains("line 4: the line is not byte for byte as it was written"),
        "{err}"
    );

    // An uppercased `mac` digit decodes to the same bytes; the line is still not as written.
    let mut edited = lines.clone();
    let at = edited[2].find("\"mac\":\"").unwrap() + 7;
    let digit = edited[2][at..]
        .find(|c: char| c.is_ascii_lowercase())
        .unwrap()
        + at;
    let upper = edited[2][digit..=digit].to_ascii_uppercase();
    edited[2].replace_range(digit..=digit, &upper);
    let copy = tampered(&dir, "uppercased", &edited);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("line 3"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_verified_without_its_key_is_not_a_pass() {
    let (lab, dir, _) = sealed_run(76).await;
    let run = dir.display().to_string();
    let state = lab.sim_dir().join("state");
    let moved = lab.dir.path().join("kept-elsewhere.key");
    std::fs::rename(state.join("journal.key"), &moved).unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 6, "{err}");
    assert!(err.contains("could not be authenticated"), "{err}");
    let (status, err) = verify(&[&run, "--journal-key", moved.to_str().unwrap()]).await;
    assert_eq!(status, 0, "{err}");

    // A key others can read is refused, with the fix.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&moved, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (status, err) = verify(&[&run, "--journal-key", moved.to_str().unwrap()]).await;
        assert_eq!(status, 2, "{err}");
        assert!(err.contains("chmod 600"), "{err}");
        // `respond` does not use it, and does not wait on it either (fail toward containment):
        // it says so, with the fix, and its journal is written without `mac`s.
        std::fs::rename(&moved, state.join("journal.key")).unwrap();
        let (runs, mark) = (lab.run_dirs().len(), lab.sent());
        let output = lab.respond(&["--yes"]).await;
        assert_ne!(code(&output), 2, "{}", stderr(&output));
        assert!(stderr(&output).contains("chmod 600"), "{}", stderr(&output));
        assert!(stderr(&output).contains("not keyed"), "{}", stderr(&output));
        assert_eq!(lab.run_dirs().len(), runs + 1);
        assert!(!lab.sent_since(mark).is_empty(), "the response went out");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_refuses_a_rewritten_journal_before_any_request() {
    let (lab, dir, lines) = sealed_run(77).await;
    // Drop the seal as a kill would, and rewrite what a step did, rechained; without the
    // witnesses of the end (which would tell too: their own test is above), only the key tells.
    for witness in ["journal.head", "report.json"] {
        std::fs::remove_file(dir.join(witness)).unwrap();
    }
    let kept = &lines[..lines.len() - 1];
    let at = line_of(kept, "step_finished", None);
    std::fs::write(
        dir.join("journal.jsonl"),
        rechained(kept, at).join("\n") + "\n",
    )
    .unwrap();
    let mark = lab.sent();
    let output = lockdown(&["resume", dir.to_str().unwrap(), "--yes"], &[]).await;
    assert_eq!(code(&output), 4, "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("line {at}: the `mac` does not match")),
        "{}",
        stderr(&output)
    );
    assert!(lab.sent_since(mark).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_dropped_last_lines_through_the_run_folders_witnesses() {
    let (_lab, dir, lines) = sealed_run(78).await;
    let run = dir.display().to_string();
    let journal = dir.join("journal.jsonl");
    let whole = lines.len();
    // The chain of what is left holds, but `journal.head` (written at the seal) names the end.
    std::fs::write(&journal, lines[..whole - 2].join("\n") + "\n").unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 4, "{err}");
    assert!(
        err.contains(&format!(
            "ends at event {}, but `{}` names event {whole}: the end of the journal was cut off",
            whole - 2,
            dir.join("journal.head").display()
        )),
        "{err}"
    );
    // Cut in the middle of the seal's line: it looks like a crash's torn line, and is found.
    let text = lines.join("\n") + "\n";
    std::fs::write(&journal, &text[..text.len() - 40]).unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("the end of the journal was cut off"), "{err}");
    // Without `journal.head`, the report still names the event it covered: written again
    // once the run is sealed, the seal itself.
    std::fs::remove_file(dir.join("journal.head")).unwrap();
    let report_text = read(&dir.join("report.json"));
    let report: Value = serde_json::from_str(&report_text).unwrap();
    let covered = usize::try_from(report["journal"]["seq"].as_u64().unwrap()).unwrap();
    assert_eq!(covered, whole, "the report covers the seal");
    std::fs::write(&journal, lines[..covered - 1].join("\n") + "\n").unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("report.json` names event"), "{err}");
    // What no witness covers reads as a run killed there (exit 5): the docs say so.
    std::fs::remove_file(dir.join("report.json")).unwrap();
    std::fs::write(&journal, lines[..whole - 1].join("\n") + "\n").unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 5, "{err}");
    // The whole journal passes again, its end witnessed.
    std::fs::write(dir.join("report.json"), report_text).unwrap();
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let (status, err) = verify(&[&run]).await;
    assert_eq!(status, 0, "{err}");
    assert!(err.contains("report.json"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_finds_an_appended_line_an_empty_file_and_bytes_that_are_not_utf8() {
    let (_lab, dir, lines) = sealed_run(79).await;
    let mut appended = lines.clone();
    appended.push("{\"note\": \"added later\"}".to_owned());
    let copy = tampered(&dir, "appended", &appended);
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(
        err.contains(&format!("line {}: not a journal event", lines.len() + 1)),
        "{err}"
    );

    let copy = tampered(&dir, "emptied", &[]);
    std::fs::write(Path::new(&copy).join("journal.jsonl"), "").unwrap();
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("line 1: the file is empty"), "{err}");

    let copy = tampered(&dir, "not-utf8", &lines);
    let path = Path::new(&copy).join("journal.jsonl");
    let mut bytes = std::fs::read(&path).unwrap();
    let third = lines[0].len() + lines[1].len() + 2 + 20;
    bytes[third] = 0xfe;
    std::fs::write(&path, bytes).unwrap();
    let (status, err) = verify(&[&copy]).await;
    assert_eq!(status, 4, "{err}");
    assert!(err.contains("line 3: not UTF-8"), "{err}");
}
