//! Crash and resume: a real SIGKILL of `lockdown respond` at every step boundary, then
//! `lockdown resume`, must always end contained, with exactly one replacement key and a journal
//! that verifies.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use lockdown::journal::{Authenticity, EventKind, JournalKey, Seal};
use lockdown::sim::Faults;
use serde_json::Value;

use crate::support::{Lab, lockdown, respond_args, stderr, stdout};

/// Starts `respond --yes -q` against the lab, without a terminal, its stderr to `stderr`.
fn spawn_respond(lab: &Lab, stderr: Stdio) -> Child {
    let config = lab.session.config.display().to_string();
    let key = lab.leaked();
    Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args(respond_args(&config, &key, &["--yes", "-q"]))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// The lab's run folder, once the run has made one.
fn run_folder(lab: &Lab) -> Option<PathBuf> {
    lab.run_dirs().into_iter().next()
}

/// How many lines the journal in `dir` has (none before it exists).
fn journal_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// Starts `respond`, SIGKILLs it once its journal has `lines` lines; returns the run folder
/// and the number of lines at the kill (the process may have written one more meanwhile).
fn respond_and_kill(lab: &Lab, lines: usize) -> Option<(PathBuf, usize)> {
    let mut child = spawn_respond(lab, Stdio::null());
    let started = Instant::now();
    loop {
        if started.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        if let Some(dir) = run_folder(lab)
            && journal_lines(&dir) >= lines
        {
            // A real SIGKILL: no handler runs, nothing is flushed.
            Command::new("kill")
                .arg("-KILL")
                .arg(child.id().to_string())
                .status()
                .unwrap();
            let _ = child.wait();
            let at = journal_lines(&dir);
            return Some((dir, at));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The run's journal verified under the lab's state dir key.
fn verified_with_key(
    lab: &Lab,
    run_dir: &Path,
) -> Result<lockdown::journal::Verified, lockdown::journal::VerifyError> {
    let key = JournalKey::load(&lab.sim_dir().join("state").join("journal.key")).unwrap();
    lockdown::journal::verify_with_key(&run_dir.join("journal.jsonl"), Some(&key))
}

async fn kill_then_resume(seed: u64, lines: usize) -> Option<(usize, u64)> {
    let lab = Lab::start(seed).await;
    // Slow answers widen every step boundary so the kill lands where it was aimed.
    lab.sim
        .set_faults(Faults::none().with_latency(Duration::from_millis(15)));
    let (run_dir, killed_at) = {
        let lab = &lab;
        tokio::task::block_in_place(|| respond_and_kill(lab, lines))?
    };
    lab.sim.set_faults(Faults::none());
    let leaked = lab.leaked();
    let bot_uid = lab.sim.inspect().key(&leaked).unwrap().uid;

    let started = Instant::now();
    let output = lockdown(
        &["resume", run_dir.to_str().unwrap(), "--yes", "--json"],
        &[],
    )
    .await;
    let resume_ms = u64::try_from(started.elapsed().as_millis()).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "kill at {killed_at} lines:\n{}",
        stderr(&output)
    );
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["contained"], true, "kill at {killed_at}");

    let truth = lab.sim.inspect();
    assert!(
        truth.key(&leaked).unwrap().deleted,
        "kill at {killed_at}: leaked key alive"
    );
    let replacements: Vec<_> = truth
        .keys
        .iter()
        .filter(|k| k.uid == bot_uid && !k.deleted && k.id != leaked)
        .collect();
    assert_eq!(
        replacements.len(),
        1,
        "kill at {killed_at}: {replacements:?}"
    );
    let stored = lab.replacement();
    assert_eq!(
        stored["api_key"],
        replacements[0].id.as_str(),
        "kill at {killed_at}"
    );
    assert!(truth.open_orders(bot_uid).is_empty(), "kill at {killed_at}");
    // Unsealed by the kill, sealed by the resume, every event keyed with the state dir's key.
    let verified = verified_with_key(&lab, &run_dir)
        .unwrap_or_else(|err| panic!("kill at {killed_at}: {err}"));
    assert!(
        matches!(verified.seal, Seal::Sealed { .. }),
        "kill at {killed_at}: {:?}",
        verified.seal
    );
    assert!(
        matches!(verified.authenticity, Authenticity::Authenticated { .. }),
        "kill at {killed_at}: {:?}",
        verified.authenticity
    );
    Some((killed_at, resume_ms))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_every_step_boundary_then_resume() {
    // A full run writes about 30 events; kill after each of the first 28.
    let points: Vec<usize> = (1..=28).collect();
    let mut tried = Vec::new();
    for batch in points.chunks(7) {
        let runs = batch
            .iter()
            .map(|&lines| kill_then_resume(600 + lines as u64, lines));
        for result in join_all(runs).await {
            tried.extend(result);
        }
    }
    // Some kill points may be passed by a run that finished first; most must have been hit.
    assert!(
        tried.len() >= 20,
        "only {} kill points hit: {tried:?}",
        tried.len()
    );
    let mut at: Vec<usize> = tried.iter().map(|(line, _)| *line).collect();
    at.sort_unstable();
    at.dedup();
    eprintln!(
        "kill points hit (journal lines): {at:?}; resume took {:?} ms",
        tried.iter().map(|(_, ms)| ms).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_is_journaled_and_the_run_resumes() {
    let lab = Lab::start(700).await;
    lab.sim
        .set_faults(Faults::none().with_latency(Duration::from_millis(20)));
    let child = spawn_respond(&lab, Stdio::piped());
    let deadline = Instant::now() + Duration::from_secs(20);
    let run_dir = loop {
        assert!(Instant::now() < deadline, "the run never got going");
        if let Some(dir) = run_folder(&lab)
            && journal_lines(&dir) >= 6
        {
            break dir;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || {
        crate::support::wait_bounded(child, Duration::from_secs(20))
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(
        journal
            .lines()
            .last()
            .unwrap()
            .contains("\"type\":\"interrupted\"")
    );

    lab.sim.set_faults(Faults::none());
    let resumed = lockdown(
        &["resume", run_dir.to_str().unwrap(), "--yes", "--json"],
        &[],
    )
    .await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let summary: Value = serde_json::from_str(&stdout(&resumed)).unwrap();
    assert_eq!(summary["contained"], true);
    assert!(
        stderr(&resumed).contains("journal head: event"),
        "{}",
        stderr(&resumed)
    );
    let verified = verified_with_key(&lab, &run_dir).unwrap();
    assert!(matches!(
        verified.seal,
        Seal::Sealed {
            kind: EventKind::RunFinished,
            ..
        }
    ));
}
