//! Schedules: the config's `schedules:` checked at load with every problem's place, next run
//! times from a fixed clock, the scheduler driven by a manual clock through a one-second cron of
//! real drills (never overlapping, a missed run caught up once, a timeout cancelling), SIGTERM
//! on the real binary, and the systemd units and crontab lines against golden files (and
//! `systemd-analyze verify` where it is installed).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lockdown::interrupt::Interrupt;
use lockdown::schedule::{Event, ManualClock, Outcome, RECORD_FILE, RunRecord, Runner, STATE_FILE};
use lockdown::ui::{Ui, Verbosity};
use tokio::sync::mpsc;

use crate::support::{code, lockdown, stderr, stdout, wait_bounded};

/// 2026-01-01T00:00:00Z plus `secs` seconds.
fn t(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::seconds(secs)
}

/// Writes `config.yaml` with `schedules` (YAML list items) into `dir`; its path.
fn config(dir: &Path, schedules: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(&path, format!("profiles: {{}}\nschedules:\n{schedules}")).unwrap();
    path
}

/// A quiet Bybit drill writing its history into `state`.
fn drill_job(name: &str, cron: &str, state: &Path, extra: &str) -> String {
    format!(
        "  - name: {name}\n    cron: \"{cron}\"\n    run: [--quiet, drill, --venue, bybit, --scenario, quiet, --state-dir, \"{}\"]\n{extra}",
        state.display()
    )
}

/// The lines of `schedule.jsonl` in `dir`.
fn records(dir: &Path) -> Vec<RunRecord> {
    std::fs::read_to_string(dir.join(RECORD_FILE))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// How many drill lines the history in `dir` has.
fn drills_in(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("drills.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains("\"drill_dir\""))
        .count()
}

/// A scheduler of the jobs in `config` on `clock`, run beside `drive` (which gets the events
/// and the stop sender); the events left once it stopped.
async fn with_scheduler<F, Fut>(config: &Path, state: &Path, clock: ManualClock, drive: F)
where
    F: FnOnce(mpsc::UnboundedReceiver<Event>, mpsc::UnboundedSender<Interrupt>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let jobs = lockdown::config::load_schedules(config).unwrap();
    let (events_tx, events) = mpsc::unbounded_channel();
    let (stop_tx, stop) = mpsc::unbounded_channel();
    let ui = Ui::new(Verbosity::Quiet, true);
    let runner = Runner::new(jobs, clock, state.to_owned()).events(events_tx);
    let (stopped, ()) = tokio::join!(runner.run(&ui, stop), drive(events, stop_tx));
    assert_eq!(stopped.cancelled, 0, "{stopped:?}");
}

/// The next event, which must come.
async fn next(events: &mut mpsc::UnboundedReceiver<Event>) -> Event {
    events.recv().await.expect("the scheduler is running")
}

/// The next event, which must be a run's end; its record.
async fn ended(events: &mut mpsc::UnboundedReceiver<Event>) -> RunRecord {
    match next(events).await {
        Event::Ended(record) => record,
        other => panic!("expected a run's end, got {other:?}"),
    }
}

fn started(job: &str, due: DateTime<Utc>, catch_up: bool) -> Event {
    Event::Started {
        job: job.to_owned(),
        due,
        catch_up,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_second_cron_runs_real_drills_one_at_a_time_and_skips_what_would_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let drills = dir.path().join("drills");
    let sched = dir.path().join("sched");
    let config = config(
        dir.path(),
        &drill_job("every-second", "* * * * * *", &drills, ""),
    );
    let clock = ManualClock::new(t(0));
    let driver = clock.clone();
    with_scheduler(&config, &sched, clock, |mut events, stop| async move {
        driver.set(t(1));
        assert_eq!(
            next(&mut events).await,
            started("every-second", t(1), false)
        );
        // Due twice more while the first drill goes on: skipped, not stacked.
        for secs in [2, 3] {
            driver.set(t(secs));
            let skipped = ended(&mut events).await;
            assert_eq!(
                (skipped.outcome, skipped.due.clone()),
                (Outcome::Skipped, lockdown_time(t(secs)))
            );
        }
        let first = ended(&mut events).await;
        assert_eq!(
            (first.outcome, first.exit),
            (Outcome::Ok, Some(0)),
            "{first:?}"
        );
        // Then due again with nothing going on: the next drills run, one after the other.
        for secs in [4, 5] {
            driver.set(t(secs));
            assert_eq!(
                next(&mut events).await,
                started("every-second", t(secs), false)
            );
            let run = ended(&mut events).await;
            assert_eq!(run.outcome, Outcome::Ok, "{run:?}");
            assert!(
                run.folder
                    .as_deref()
                    .is_some_and(|f| Path::new(f).join("scorecard.json").exists()),
                "{run:?}"
            );
        }
        stop.send(Interrupt::Sigterm).unwrap();
        assert_eq!(next(&mut events).await, Event::Stopping(Interrupt::Sigterm));
    })
    .await;
    // Three drills ran, each in the history; the log has each run and each skip.
    assert_eq!(drills_in(&drills), 3);
    let outcomes: Vec<_> = records(&sched)
        .iter()
        .map(|r| (r.outcome, r.due.clone()))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (Outcome::Skipped, lockdown_time(t(2))),
            (Outcome::Skipped, lockdown_time(t(3))),
            (Outcome::Ok, lockdown_time(t(1))),
            (Outcome::Ok, lockdown_time(t(4))),
            (Outcome::Ok, lockdown_time(t(5))),
        ]
    );
}

/// As the log writes times.
fn lockdown_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_after_downtime_catches_up_exactly_one_missed_run() {
    let dir = tempfile::tempdir().unwrap();
    let drills = dir.path().join("drills");
    let sched = dir.path().join("sched");
    // `drill --history` is a drill command that ends at once: the catch-up is the point here.
    let config = config(
        dir.path(),
        &format!(
            "  - name: often\n    cron: \"* * * * * *\"\n    run: [--quiet, drill, --history, --state-dir, \"{0}\"]\n  - name: hourly\n    cron: \"0 0 * * * *\"\n    run: [--quiet, drill, --history, --state-dir, \"{0}\"]\n",
            drills.display()
        ),
    );
    // First session: one run, then stopped.
    let clock = ManualClock::new(t(0));
    let driver = clock.clone();
    with_scheduler(&config, &sched, clock, |mut events, stop| async move {
        driver.set(t(1));
        assert_eq!(next(&mut events).await, started("often", t(1), false));
        assert_eq!(ended(&mut events).await.outcome, Outcome::Ok);
        stop.send(Interrupt::Sigterm).unwrap();
        assert_eq!(next(&mut events).await, Event::Stopping(Interrupt::Sigterm));
    })
    .await;
    assert!(sched.join(STATE_FILE).exists());

    // Down for a minute (59 due times missed); the next session runs one of them at once, and
    // the next only when it is due. `hourly` never ran, so it has nothing to catch up.
    let clock = ManualClock::new(t(60));
    let driver = clock.clone();
    with_scheduler(&config, &sched, clock, |mut events, stop| async move {
        assert_eq!(next(&mut events).await, started("often", t(60), true));
        let caught_up = ended(&mut events).await;
        assert!(
            caught_up.catch_up && caught_up.outcome == Outcome::Ok,
            "{caught_up:?}"
        );
        driver.set(t(61));
        assert_eq!(next(&mut events).await, started("often", t(61), false));
        assert_eq!(ended(&mut events).await.outcome, Outcome::Ok);
        stop.send(Interrupt::Sigterm).unwrap();
        assert_eq!(next(&mut events).await, Event::Stopping(Interrupt::Sigterm));
    })
    .await;
    let log = records(&sched);
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log.iter().filter(|r| r.catch_up).count(), 1, "{log:?}");
    assert!(log.iter().all(|r| r.job == "often"), "{log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_past_its_timeout_is_cancelled_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let drills = dir.path().join("drills");
    let sched = dir.path().join("sched");
    let config = config(
        dir.path(),
        &drill_job("slow", "0 * * * * *", &drills, "    timeout: 5s\n"),
    );
    let clock = ManualClock::new(t(0));
    let driver = clock.clone();
    with_scheduler(&config, &sched, clock, |mut events, stop| async move {
        driver.set(t(60));
        assert_eq!(next(&mut events).await, started("slow", t(60), false));
        // Five seconds pass on the scheduler's clock while the drill is still setting up.
        driver.set(t(65));
        let run = ended(&mut events).await;
        assert_eq!((run.outcome, run.exit), (Outcome::Timeout, None), "{run:?}");
        stop.send(Interrupt::Sigterm).unwrap();
        assert_eq!(next(&mut events).await, Event::Stopping(Interrupt::Sigterm));
    })
    .await;
    assert_eq!(drills_in(&drills), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_run_going_on_end_then_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let drills = dir.path().join("drills");
    let sched = dir.path().join("sched");
    // A yearly job whose last run was long ago: caught up as soon as the scheduler starts.
    let config = config(dir.path(), &drill_job("yearly", "0 0 0 1 1 *", &drills, ""));
    std::fs::create_dir_all(&sched).unwrap();
    std::fs::write(
        sched.join(STATE_FILE),
        r#"{"last_run": {"yearly": "2000-01-01T00:00:00Z"}}"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockdown"))
        .args(["schedule", "run", "--config"])
        .arg(&config)
        .arg("--state-dir")
        .arg(&sched)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The run's start is logged once the signal handlers are in place.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "scheduler ended early:\n{seen}"
        );
        seen.push_str(&line);
        if line.contains("`yearly` started") {
            break;
        }
    }
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let rest = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut err, &mut text).unwrap();
        text
    });
    let output = wait_bounded(child, Duration::from_secs(120));
    seen.push_str(&rest.join().unwrap());
    assert_eq!(code(&output), 0, "{seen}");
    assert!(seen.contains("schedule: stopped on sigterm"), "{seen}");
    // The run ended on its own (a drill's response also sees the signal and may stop
    // journaled), and is logged; nothing was cancelled, no new run started.
    let log = records(&sched);
    assert_eq!(log.len(), 1, "{log:?}\n{seen}");
    assert!(log[0].catch_up && log[0].exit.is_some(), "{log:?}");
    assert_ne!(log[0].outcome, Outcome::Cancelled);
}

/// Replaces the machine's paths in install output with placeholders.
fn portable(text: &str, dir: &Path) -> String {
    text.replace(env!("CARGO_BIN_EXE_lockdown"), "<lockdown>")
        .replace(&dir.display().to_string(), "<dir>")
}

/// Compares `text` with `tests/golden/<name>` (`UPDATE_GOLDEN=1` rewrites it).
fn golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, expected, "differs from {}", path.display());
}

const INSTALLED: &str = concat!(
    "  - name: nightly\n",
    "    cron: \"0 30 3 * * *\"\n",
    "    timezone: Europe/Berlin\n",
    "    run: [drill, --venue, okx, --scenario, quiet]\n",
    "    jitter: 5m\n",
    "  - name: weekdays\n",
    "    cron: \"*/15 9-17 * * Mon-Fri\"\n",
    "    run: [drill, --venue, bybit]\n",
    "    timeout: 10m\n",
);

#[tokio::test]
async fn install_systemd_dry_run_prints_units_systemd_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    let config = config(&dir_path, INSTALLED);
    let config = config.to_str().unwrap();
    let output = lockdown(
        &[
            "schedule",
            "install",
            "--systemd",
            "--dry-run",
            "--config",
            config,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    golden(
        "schedule-systemd.txt",
        &portable(&stdout(&output), &dir_path),
    );

    // The same units written to a folder pass `systemd-analyze verify` where it is installed.
    let units = dir_path.join("units");
    let output = lockdown(
        &[
            "schedule",
            "install",
            "--systemd",
            "--config",
            config,
            "--dir",
            units.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&units)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    match Command::new("systemd-analyze")
        .arg("verify")
        .args(&files)
        .output()
    {
        Ok(verified) => assert!(
            verified.status.success() && verified.stderr.is_empty(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&verified.stderr)
        ),
        Err(_) => {
            eprintln!("systemd-analyze is not installed: checked against the golden file only")
        }
    }
}

#[tokio::test]
async fn install_cron_dry_run_prints_one_line_per_job_with_its_zone() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    let config = config(&dir_path, INSTALLED);
    let output = lockdown(
        &[
            "schedule",
            "install",
            "--cron",
            "--dry-run",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    golden("schedule-cron.txt", &portable(&stdout(&output), &dir_path));
}

#[tokio::test]
async fn install_refuses_a_cron_the_os_scheduler_cannot_express() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "  - name: first-or-monday\n    cron: \"0 0 1 * Mon\"\n    run: [drill]\n  - name: twice-a-minute\n    cron: \"*/30 * * * * *\"\n    run: [drill]\n",
    );
    let config = config.to_str().unwrap();
    let systemd = lockdown(
        &[
            "schedule",
            "install",
            "--systemd",
            "--dry-run",
            "--config",
            config,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&systemd), 2, "{}", stderr(&systemd));
    assert!(
        stderr(&systemd).contains("`first-or-monday` (`0 0 1 * Mon`) cannot be a systemd timer"),
        "{}",
        stderr(&systemd)
    );
    assert!(stdout(&systemd).is_empty());
    let cron = lockdown(
        &[
            "schedule",
            "install",
            "--cron",
            "--dry-run",
            "--config",
            config,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&cron), 2, "{}", stderr(&cron));
    assert!(
        stderr(&cron).contains("`twice-a-minute` (`*/30 * * * * *`) cannot be a crontab line"),
        "{}",
        stderr(&cron)
    );
}

#[tokio::test]
async fn schedule_list_shows_the_next_run_times_in_each_zone() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), INSTALLED);
    let output = lockdown(
        &[
            "schedule",
            "list",
            "--json",
            "--from",
            "2026-03-27T12:00:00Z",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let listed: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let next = |i: usize| listed["schedules"][i]["next"].clone();
    // 03:30 Berlin: 02:30 UTC in winter, 01:30 UTC from the change to summer time (29 March).
    assert_eq!(
        next(0),
        serde_json::json!([
            "2026-03-28T02:30:00Z",
            "2026-03-29T01:30:00Z",
            "2026-03-30T01:30:00Z"
        ])
    );
    // Friday 27 March: 12:00 is past 9-17's start, so the next is 12:15, then 12:30, 12:45.
    assert_eq!(
        next(1),
        serde_json::json!([
            "2026-03-27T12:15:00Z",
            "2026-03-27T12:30:00Z",
            "2026-03-27T12:45:00Z"
        ])
    );
    assert_eq!(listed["schedules"][0]["timezone"], "Europe/Berlin");
    assert_eq!(listed["schedules"][1]["timezone"], "UTC");
}

#[tokio::test]
async fn every_schedule_problem_is_reported_at_once_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "  - name: bad-cron
    cron: \"61 * * * *\"
    run: [drill]
  - name: bad-zone
    cron: \"0 3 * * *\"
    timezone: Europe/Berln
    run: [drill]
  - name: unknown-command
    cron: \"0 3 * * *\"
    run: [frobnicate]
  - name: panic-button
    cron: \"0 3 * * *\"
    run: [respond, --key, K]
  - name: bad-cron
    cron: \"0 4 * * *\"
    run: [drill]
",
    );
    let output = lockdown(
        &["schedule", "list", "--config", config.to_str().unwrap()],
        &[],
    )
    .await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    let file = config.display().to_string();
    for (place, says) in [
        ("4:11", "`61 * * * *` is not a cron expression"),
        ("8:15", "unknown time zone `Europe/Berln`"),
        ("12:10", "`run` is not a lockdown command line"),
        (
            "15:11",
            "`respond` cannot be scheduled: the panic button never runs unattended",
        ),
        (
            "16:11",
            "a schedule named `bad-cron` is already defined (line 3)",
        ),
    ] {
        assert!(
            err.contains(&format!("{file}:{place}: {says}")),
            "{place} {says}:\n{err}"
        );
    }
    assert!(err.contains("did you mean `Europe/Berlin`?"), "{err}");
    assert!(err.contains("5 problems"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_check_runs_as_typed_and_lands_in_the_profile_history() {
    let lab = crate::support::ready_lab(lockdown::exchanges::ExchangeId::Bybit, 1661).await;
    let sched = lab.dir.path().join("sched");
    // The simulator session's config, with a schedule beside its profile.
    let mut text = std::fs::read_to_string(&lab.session.config).unwrap();
    text.push_str("schedules:\n  - name: ready\n    cron: \"0 0 6 * * *\"\n    run: [--quiet, check, --profile, sim]\n");
    std::fs::write(&lab.session.config, text).unwrap();
    let clock = ManualClock::new(t(0));
    let driver = clock.clone();
    with_scheduler(
        &lab.session.config,
        &sched,
        clock,
        |mut events, stop| async move {
            driver.set(t(6 * 3600));
            assert_eq!(
                next(&mut events).await,
                started("ready", t(6 * 3600), false)
            );
            let run = ended(&mut events).await;
            // `check`'s own exit: 0, ready.
            assert_eq!(
                (run.outcome, run.exit, run.folder.as_deref()),
                (Outcome::Ok, Some(0), None),
                "{run:?}"
            );
            stop.send(Interrupt::Sigterm).unwrap();
            assert_eq!(next(&mut events).await, Event::Stopping(Interrupt::Sigterm));
        },
    )
    .await;
    let history =
        std::fs::read_to_string(lab.sim_dir().join("state").join("drills.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!(
        (line["kind"].as_str(), line["readiness"].as_str()),
        (Some("check"), Some("ready"))
    );
}
