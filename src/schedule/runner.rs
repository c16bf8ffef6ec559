//! The foreground scheduler behind `lockdown schedule run`.
//!
//! Each job runs when due, in-process through `cli::dispatch` (exactly what a person typing its
//! line gets), bounded by its own timeout. A job never runs twice at once: a due time that
//! finds its previous run still going is skipped and logged, not stacked. Each run's due time
//! is kept in the state file, so a run missed while the scheduler was down is caught up once
//! (however many were missed) when it starts again. Every run is logged to stderr when it starts
//! and ends, and as one line in `schedule.jsonl`.
//!
//! Stopping: the first SIGTERM or SIGINT starts no new run and waits up to the grace period for
//! the runs going on (a drill's response also sees the signal, as in a terminal, and ends
//! journaled); what is still running then is cancelled. A second signal cancels at once.
//! Time comes from a [`Clock`], so tests drive a one-second cron with a manual clock.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc;

use super::record::{self, Outcome, RunRecord};
use super::{Clock, Job, State};
use crate::exit::Exit;
use crate::interrupt::Interrupt;
use crate::ui::Ui;

/// How long runs going on may take to end after a stop, unless told.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(60);

/// What the scheduler did, as it happens (for a caller that watches it, such as a test).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A run started.
    Started {
        /// The job.
        job: String,
        /// When it was due.
        due: DateTime<Utc>,
        /// A run missed while the scheduler was down.
        catch_up: bool,
    },
    /// A run ended, or a due time was skipped: its line in `schedule.jsonl`.
    Ended(RunRecord),
    /// The scheduler stopped starting runs (a signal).
    Stopping(Interrupt),
}

/// How the scheduler stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// The signal.
    pub by: Interrupt,
    /// Runs cancelled because they had not ended within the grace period (or a second signal).
    pub cancelled: usize,
}

impl Stopped {
    /// The exit code: 0 for a clean stop, the signal's when a run had to be cancelled.
    pub fn exit(self) -> Exit {
        if self.cancelled == 0 {
            Exit::Ok
        } else {
            self.by.exit()
        }
    }
}

/// Runs jobs when due until stopped.
#[derive(Debug)]
pub struct Runner<C> {
    jobs: Vec<Job>,
    clock: C,
    state_dir: PathBuf,
    grace: Duration,
    events: Option<mpsc::UnboundedSender<Event>>,
}

/// A run going on.
#[derive(Debug, Clone, Copy)]
struct Going {
    due: DateTime<Utc>,
    started: DateTime<Utc>,
    since: Instant,
    catch_up: bool,
    /// Where the job's history file ended when the run started.
    history_len: u64,
}

/// A job's place in the schedule.
#[derive(Debug, Default)]
struct Slot {
    /// The next due time and when to start it (the due time plus jitter).
    next: Option<(DateTime<Utc>, DateTime<Utc>)>,
    going: Option<Going>,
}

/// How a run's command ended.
enum End {
    Exited(Exit),
    TimedOut,
}

type Run<'a> = Pin<Box<dyn Future<Output = (usize, End)> + 'a>>;

impl<C: Clock> Runner<C> {
    /// A scheduler of `jobs` on `clock`, keeping its state file and run log in `state_dir`.
    pub fn new(jobs: Vec<Job>, clock: C, state_dir: PathBuf) -> Runner<C> {
        Runner {
            jobs,
            clock,
            state_dir,
            grace: DEFAULT_GRACE,
            events: None,
        }
    }

    /// How long runs going on may take to end after a stop.
    pub fn grace(mut self, grace: Duration) -> Runner<C> {
        self.grace = grace;
        self
    }

    /// Sends each [`Event`] to `events` as well.
    pub fn events(mut self, events: mpsc::UnboundedSender<Event>) -> Runner<C> {
        self.events = Some(events);
        self
    }

    /// Runs until the first signal on `stop`, then winds down (see the module doc).
    pub async fn run(self, ui: &Ui, mut stop: mpsc::UnboundedReceiver<Interrupt>) -> Stopped {
        let mut book = Book {
            jobs: &self.jobs,
            clock: &self.clock,
            state_dir: &self.state_dir,
            events: self.events.as_ref(),
            ui,
            state: State::default(),
            slots: self.jobs.iter().map(|_| Slot::default()).collect(),
        };
        book.state = match State::load(&self.state_dir) {
            Ok(state) => state,
            Err(err) => {
                ui.warn(&format!(
                    "schedule: cannot read `{}` ({err}); no missed run is caught up",
                    self.state_dir.join(super::STATE_FILE).display()
                ));
                State::default()
            }
        };
        let mut running: FuturesUnordered<Run<'_>> = FuturesUnordered::new();
        let now = self.clock.now();
        for (i, job) in self.jobs.iter().enumerate() {
            let missed = book
                .state
                .last_run
                .get(&job.name)
                .and_then(|last| job.next_after(*last))
                .is_some_and(|due| due <= now);
            if missed {
                let due = job.last_due(now).unwrap_or(now);
                ui.info(&format!(
                    "schedule: `{}` missed its run due {} while the scheduler was down; running it now",
                    job.name,
                    stamp(due)
                ));
                running.push(book.start(i, due, true));
            }
            book.slots[i].next = book.plan(job, now);
        }
        let next: Vec<String> = self
            .jobs
            .iter()
            .zip(&book.slots)
            .map(|(job, slot)| {
                let at = slot
                    .next
                    .map_or_else(|| "never".to_owned(), |(due, _)| stamp(due));
                format!("`{}` at {at}", job.name)
            })
            .collect();
        ui.info(&format!(
            "schedule: running {} job(s); state in `{}`; next: {}",
            self.jobs.len(),
            self.state_dir.display(),
            next.join(", ")
        ));

        let by = loop {
            let next = book
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, slot)| slot.next.map(|(due, wake)| (wake, due, i)))
                .min();
            let clock = &self.clock;
            let wake = async move {
                match next {
                    Some((wake, ..)) => clock.sleep_until(wake).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                Some(by) = stop.recv() => break by,
                Some((i, end)) = running.next(), if !running.is_empty() => book.finish(i, Some(end)),
                () = wake => {
                    if let Some((_, due, i)) = next
                        && let Some(run) = book.fire(i, due)
                    {
                        running.push(run);
                    }
                }
            }
        };

        // Winding down: no new run; the ones going on get the grace period.
        book.emit(Event::Stopping(by));
        if !running.is_empty() {
            ui.info(&format!(
                "schedule: stopping on {}: no new runs; waiting up to {} for {} run(s) going on (a second signal cancels them)",
                by.name(),
                humantime::format_duration(self.grace),
                running.len()
            ));
        }
        let deadline = self.clock.now()
            + chrono::Duration::from_std(self.grace).unwrap_or(chrono::Duration::MAX);
        let mut cancelled = 0;
        while !running.is_empty() {
            tokio::select! {
                biased;
                Some(_) = stop.recv() => break,
                Some((i, end)) = running.next() => book.finish(i, Some(end)),
                () = self.clock.sleep_until(deadline) => break,
            }
        }
        drop(running);
        for i in 0..self.jobs.len() {
            if book.slots[i].going.is_some() {
                cancelled += 1;
                book.finish(i, None);
            }
        }
        ui.info(&format!(
            "schedule: stopped on {}{}",
            by.name(),
            if cancelled == 0 {
                String::new()
            } else {
                format!("; {cancelled} run(s) cancelled")
            }
        ));
        Stopped { by, cancelled }
    }
}

/// The scheduler's bookkeeping: slots, state, logs.
struct Book<'a, C> {
    jobs: &'a [Job],
    clock: &'a C,
    state_dir: &'a Path,
    events: Option<&'a mpsc::UnboundedSender<Event>>,
    ui: &'a Ui,
    state: State,
    slots: Vec<Slot>,
}

impl<'a, C: Clock> Book<'a, C> {
    fn emit(&self, event: Event) {
        if let Some(events) = self.events {
            let _ = events.send(event);
        }
    }

    /// The next due time strictly after `after`, and when to start it.
    fn plan(&self, job: &Job, after: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let due = job.next_after(after)?;
        let jitter = if job.jitter.is_zero() {
            Duration::ZERO
        } else {
            let ms = u64::try_from(job.jitter.as_millis()).unwrap_or(u64::MAX);
            Duration::from_millis(rand::rngs::StdRng::from_os_rng().random_range(0..=ms))
        };
        Some((
            due,
            due + chrono::Duration::from_std(jitter).unwrap_or_default(),
        ))
    }

    /// A due time came: the run starts, or is skipped when the last one is still going.
    fn fire(&mut self, i: usize, planned: DateTime<Utc>) -> Option<Run<'a>> {
        let job = &self.jobs[i];
        let now = self.clock.now();
        // After a suspend, the latest due time passed stands for all the ones missed.
        let due = job
            .last_due(now)
            .filter(|d| *d >= planned)
            .unwrap_or(planned);
        self.slots[i].next = self.plan(job, now);
        if let Some(going) = self.slots[i].going {
            self.ui.warn(&format!(
                "schedule: `{}` skipped the run due {}: the run due {} is still going",
                job.name,
                stamp(due),
                stamp(going.due)
            ));
            self.log(RunRecord {
                job: job.name.clone(),
                due: stamp(due),
                started: None,
                catch_up: false,
                outcome: Outcome::Skipped,
                exit: None,
                duration_ms: None,
                folder: None,
                command: job.describe(),
            });
            return None;
        }
        Some(self.start(i, due, false))
    }

    /// Starts a run of job `i` due at `due`.
    fn start(&mut self, i: usize, due: DateTime<Utc>, catch_up: bool) -> Run<'a> {
        let job: &'a Job = &self.jobs[i];
        let clock: &'a C = self.clock;
        let started = clock.now();
        self.slots[i].going = Some(Going {
            due,
            started,
            since: Instant::now(),
            catch_up,
            history_len: history_len(&job.history_dir),
        });
        self.state.last_run.insert(job.name.clone(), due);
        if let Err(err) = self.state.save(self.state_dir) {
            self.ui.warn(&format!(
                "schedule: cannot write `{}` ({err}); a restart may run `{}` again",
                self.state_dir.join(super::STATE_FILE).display(),
                job.name
            ));
        }
        self.ui.info(&format!(
            "schedule: `{}` started (due {}): {}",
            job.name,
            stamp(due),
            job.describe()
        ));
        self.emit(Event::Started {
            job: job.name.clone(),
            due,
            catch_up,
        });
        let deadline =
            started + chrono::Duration::from_std(job.timeout).unwrap_or(chrono::Duration::MAX);
        Box::pin(async move {
            let cli = match job.command() {
                Ok(cli) => cli,
                // Checked when the config was loaded; a usage error all the same.
                Err(_) => return (i, End::Exited(Exit::BadInput)),
            };
            let ui = Ui::new(cli.verbosity(), cli.no_color).with_format(cli.format());
            // Boxed: `dispatch` may reach this scheduler again, and a future cannot hold itself.
            let command: Pin<Box<dyn Future<Output = _> + '_>> =
                Box::pin(crate::cli::dispatch(cli, &ui));
            tokio::select! {
                ended = command => (i, End::Exited(match ended {
                    Ok(exit) => exit,
                    Err(err) => {
                        ui.error(&err);
                        err.exit()
                    }
                })),
                () = clock.sleep_until(deadline) => (i, End::TimedOut),
            }
        })
    }

    /// A run of job `i` ended (`None`: cancelled by the stop).
    fn finish(&mut self, i: usize, end: Option<End>) {
        let job = &self.jobs[i];
        let Some(going) = self.slots[i].going.take() else {
            return;
        };
        let elapsed = going.since.elapsed();
        let (outcome, exit) = match end {
            Some(End::Exited(Exit::Ok)) => (Outcome::Ok, Some(0)),
            Some(End::Exited(exit)) => (Outcome::Failed, Some(exit.code())),
            Some(End::TimedOut) => (Outcome::Timeout, None),
            None => (Outcome::Cancelled, None),
        };
        let folder = folder_since(&job.history_dir, going.history_len);
        let took = format!("{:.1}s", elapsed.as_secs_f64());
        let where_ = folder
            .as_deref()
            .map_or_else(String::new, |f| format!("; folder `{f}`"));
        match outcome {
            Outcome::Ok => self.ui.info(&format!(
                "schedule: `{}` ended: exit 0 in {took}{where_}",
                job.name
            )),
            Outcome::Failed => self.ui.warn(&format!(
                "schedule: `{}` failed: exit {} in {took}{where_}",
                job.name,
                exit.unwrap_or_default()
            )),
            Outcome::Timeout => self.ui.warn(&format!(
                "schedule: `{}` passed its timeout of {} and was cancelled{where_}",
                job.name,
                humantime::format_duration(job.timeout)
            )),
            Outcome::Cancelled | Outcome::Skipped => self.ui.warn(&format!(
                "schedule: `{}` was cancelled by the stop after {took}{where_}",
                job.name
            )),
        }
        if matches!(outcome, Outcome::Failed | Outcome::Timeout) {
            let what = match exit {
                Some(code) => format!("exit {code} after {took}{where_}"),
                None => format!("cancelled at its timeout after {took}{where_}"),
            };
            crate::notify::events::send_in_background(
                job.config.clone(),
                crate::notify::events::schedule_failed(&job.name, &what),
            );
        }
        self.log(RunRecord {
            job: job.name.clone(),
            due: stamp(going.due),
            started: Some(stamp(going.started)),
            catch_up: going.catch_up,
            outcome,
            exit,
            duration_ms: Some(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)),
            folder,
            command: job.describe(),
        });
    }

    /// Appends to `schedule.jsonl` and tells the watcher.
    fn log(&self, record: RunRecord) {
        if let Err(err) = record::append(self.state_dir, &record) {
            self.ui.warn(&format!(
                "schedule: cannot append to `{}`: {err}",
                self.state_dir.join(record::RECORD_FILE).display()
            ));
        }
        self.emit(Event::Ended(record));
    }
}

/// RFC 3339 UTC, to the second.
fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The history file's length now (none yet: 0).
fn history_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join(crate::drill::history::FILE_NAME)).map_or(0, |m| m.len())
}

/// The folder named by the last history line written after `offset` (a drill's `drill_dir`).
fn folder_since(dir: &Path, offset: u64) -> Option<String> {
    let text = std::fs::read(dir.join(crate::drill::history::FILE_NAME)).ok()?;
    let start = usize::try_from(offset).ok()?.min(text.len());
    String::from_utf8_lossy(&text[start..])
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| entry["drill_dir"].as_str().map(str::to_owned))
        .next_back()
}
