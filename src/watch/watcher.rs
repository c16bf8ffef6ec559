//! The watcher: one source and one judge per watched key, the policy, and what it did.
//!
//! Each key of the profile whose secret the profile holds is watched with its own credential
//! (the key reads its own account; docs/watch.md §1 says why not the master). A look that fails
//! is retried with a growing pause (the source's cursor stays, so the next look covers the gap);
//! a signal is logged (`<state_dir>/watch/signals.jsonl`), shown, sent to the config's `notify:`
//! channels when the policy says so, and acted on: the lock (or the whole response) runs at most
//! once per key and watcher, as a journaled run whose `run_started` names the signal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::access::KnownAddresses;
use super::account::AccountWatch;
use super::judge::Judge;
use super::lock::{self, lock_playbook};
use super::notice::{self, Done};
use super::policy::{Decision, Settings};
use super::poll::{LOOKS_AT_ONCE, RestPoll};
use super::signal::Signal;
use super::source::Source;
use super::stream::StreamSource;
use crate::config::Profile;
use crate::engine::Confirm;
use crate::error::Error;
use crate::exchanges::{Client, Mode};
use crate::notify::Notifier;
use crate::secret::{Credential, KeyId};
use crate::ui::Ui;

/// The longest pause between failed looks.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The grain (ms) of the judgings the watcher makes when a verdict put off until the ledger's
/// lag passed is due ([`Judge::due_ms`]).
const DUE_GRAIN_MS: i64 = 250;

/// What to watch, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The config file (the lock's run reads its profile from it, as `respond` does).
    pub config: PathBuf,
    /// The profile.
    pub profile: Profile,
    /// The `watch:` settings.
    pub settings: Settings,
    /// How the lock's run journals its confirmation (`--yes`; a drill's operator).
    pub confirm: Confirm,
}

/// What the watcher tells whoever started it, as it happens.
#[derive(Debug, Clone)]
pub enum Report {
    /// A signal was raised, with what the policy made of it.
    Signal(Box<Signal>, Decision),
    /// A lock or a response ran for a signal.
    Acted(Box<Acted>),
    /// A key's source is armed (a first look; a stream: every connection up and its gap
    /// filled): from now on, nothing new goes unseen longer than a look.
    Armed,
    /// A key's batch was judged (the key, masked).
    Judged(String),
}

/// A lock or response the watcher ran.
#[derive(Debug, Clone, Serialize)]
pub struct Acted {
    /// The signal that caused it.
    pub signal: String,
    /// `lock` or `respond`.
    pub act: &'static str,
    /// The key, masked.
    pub key: String,
    /// The run's folder, when it started.
    pub run_dir: Option<String>,
    /// Whether the key was contained (locked or revoked).
    pub contained: bool,
    /// How long the run took to lock the key, ms from its start.
    pub contained_ms: Option<u64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// When it started, on this process's monotonic clock.
    #[serde(skip)]
    pub started: Option<Instant>,
}

/// How a watch ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The profile.
    pub profile: String,
    /// Keys watched (masked).
    pub keys: Vec<String>,
    /// Looks made, all keys.
    pub looks: u64,
    /// Looks that failed.
    pub failed_looks: u64,
    /// Reads sent to the exchange.
    pub reads: u64,
    /// Signals raised.
    pub signals: Vec<Signal>,
    /// Locks and responses run.
    pub acted: Vec<Acted>,
    /// How long it watched, ms.
    pub watched_ms: u64,
    /// `stream` when the keys were followed on the venue's private stream, else `rest_poll`.
    pub source: &'static str,
    /// The streams' figures, all keys, when streamed.
    pub stream: Option<super::stream::StreamFigures>,
}

/// One watched key's loop state.
struct Watched {
    key: KeyId,
    source: Box<dyn Source>,
    /// The key's own credential (its stream logs in with it).
    credential: Credential,
    judge: Judge,
    acted: bool,
    /// The key's own settings and the account's money movements.
    account: AccountWatch,
    /// The venue's client: its clock dates a judging that no batch brought.
    client: Client,
}

/// Watches every key of `options.profile` until `stop` turns true; `reports` hears of each
/// signal and action as it happens.
pub async fn run(
    options: &Options,
    reports: Option<mpsc::UnboundedSender<Report>>,
    stop: watch::Receiver<bool>,
    ui: &Ui,
) -> Result<Summary, Error> {
    let started = Instant::now();
    let profile = &options.profile;
    // The watcher's reads are background work: a response beside it (its own locks, or one a
    // person started) goes first and finds most of each limit free (docs/watch.md §1).
    let client = crate::respond::connect(profile, Mode::Live)?.in_background();
    if let Err(err) = client.resync().await {
        ui.warn(&format!(
            "cannot read {}'s clock ({err}); the watcher judges on this machine's clock",
            profile.exchange
        ));
    }
    // Every key's looks take turns: they share one address's limits (`poll::LOOKS_AT_ONCE`).
    let looks = Arc::new(tokio::sync::Semaphore::new(LOOKS_AT_ONCE));
    let mut keys = watched_keys(options, &client, &looks, ui)?;
    let streamed = options.settings.streams && client.venue().private_stream().is_some();
    if streamed {
        for watched in &mut keys {
            let poll = RestPoll::new(
                client.clone(),
                watched.credential.clone(),
                options.settings.interval,
                options.settings.lookback,
            )
            .sharing_looks(Arc::clone(&looks));
            if let Some(stream) = StreamSource::start(&client, &watched.credential, poll).await {
                watched.source = Box::new(stream);
            }
        }
    }
    if lock_playbook(profile.exchange).is_none() {
        ui.warn(&format!(
            "{} keys cannot be locked by API: the watcher notifies, and a person deletes the key",
            profile.exchange
        ));
    }
    let log = SignalLog::open(&profile.state_dir, ui);
    let notifier = {
        let config = options.config.clone();
        Notifier::start_with(move || {
            crate::config::load_notify(Some(&config)).map_err(|err| err.to_string())
        })
    };
    let how = if streamed {
        format!(
            "following its private order stream (REST fills every gap, and looks every {} while the stream is down)",
            humantime::format_duration(options.settings.interval)
        )
    } else {
        format!(
            "polling every {}",
            humantime::format_duration(options.settings.interval)
        )
    };
    ui.info(&format!(
        "lockdown watch: profile `{}` on {}, {} key(s), {how}",
        profile.name,
        profile.exchange,
        keys.len(),
    ));
    let summary = std::sync::Mutex::new(Summary {
        source: if streamed { "stream" } else { "rest_poll" },
        profile: profile.name.clone(),
        keys: keys.iter().map(|w| w.key.masked()).collect(),
        ..Summary::default()
    });
    let loops = keys.into_iter().map(|watched| {
        watch_key(
            options,
            watched,
            Shared {
                reports: reports.clone(),
                log: &log,
                notifier: &notifier,
                summary: &summary,
                ui,
            },
            stop.clone(),
        )
    });
    join_all(loops).await;
    log.close();
    crate::respond::report_notifications(&notifier.flush(None).await, ui);
    let mut summary = summary.into_inner().unwrap_or_else(|p| p.into_inner());
    summary.watched_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(summary)
}

/// What every key's loop shares.
struct Shared<'a> {
    reports: Option<mpsc::UnboundedSender<Report>>,
    log: &'a SignalLog,
    notifier: &'a Notifier,
    summary: &'a std::sync::Mutex<Summary>,
    ui: &'a Ui,
}

impl Shared<'_> {
    fn record(&self, value: &serde_json::Value) {
        self.log.append(value);
    }

    fn tally(&self, f: impl FnOnce(&mut Summary)) {
        let mut summary = self.summary.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut summary);
    }
}

/// The keys the profile holds a secret for, each with its source and judge.
fn watched_keys(
    options: &Options,
    client: &Client,
    looks: &Arc<tokio::sync::Semaphore>,
    ui: &Ui,
) -> Result<Vec<Watched>, Error> {
    let profile = &options.profile;
    let settings = &options.settings;
    let mut keys = Vec::new();
    for owned in &profile.keys {
        let Some(credential) = owned.credential.clone() else {
            ui.warn(&format!(
                "key {} ({}) is not watched: the profile holds no secret for it",
                owned.id, owned.label
            ));
            continue;
        };
        let judge = Judge::new(
            &profile.name,
            &owned.id.masked(),
            profile.known_orders.clone(),
            profile.ledger_lag,
            settings.client_prefix.clone(),
            settings.burst,
        );
        if let Some(problem) = &judge.ledger_problem {
            ui.warn(&format!(
                "key {}: no usable ledger ({problem}); without one no order can be called someone else's: only bursts are watched",
                owned.id
            ));
        }
        keys.push(Watched {
            key: owned.id.clone(),
            source: Box::new(
                RestPoll::new(
                    client.clone(),
                    Credential::clone(&credential),
                    settings.interval,
                    settings.lookback,
                )
                .sharing_looks(Arc::clone(looks)),
            ),
            credential: Credential::clone(&credential),
            account: AccountWatch::new(
                client.clone(),
                Credential::clone(&credential),
                &profile.name,
                settings.account_interval,
            )
            .knowing(KnownAddresses::new(
                profile.responder_ip,
                &profile.bot_ips,
                &settings.known_ips,
            )),
            judge,
            acted: false,
            client: client.clone(),
        });
    }
    if keys.is_empty() {
        return Err(Error::Usage {
            message: format!(
                "profile `{}` has no key to watch: none of its `keys:` has a secret",
                profile.name
            ),
            help: Some(
                "add the bot's key with its `secret:` reference under the profile's `keys:`".into(),
            ),
        });
    }
    Ok(keys)
}

async fn watch_key(
    options: &Options,
    mut watched: Watched,
    shared: Shared<'_>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failures: u32 = 0;
    let mut armed = false;
    // The source's reads counted so far: a look may read on while an account look or the stop
    // wins the `select!` (its reads run on a task of their own), and is counted with the next
    // batch.
    let mut counted = watched.source.reads();
    loop {
        // A verdict put off until the ledger's lag passed is given on time, batch or not (on
        // the next quarter second: verdicts due together are given in one judging).
        let due = watched.judge.due_ms().map(|at| {
            let at = at.div_euclid(DUE_GRAIN_MS) * DUE_GRAIN_MS + DUE_GRAIN_MS;
            let wait = at - watched.client.clock().now_ms();
            Duration::from_millis(u64::try_from(wait).unwrap_or(0))
        });
        let batch = tokio::select! {
            batch = watched.source.next() => batch,
            () = sleep_or_never(due) => {
                let batch = super::source::Batch {
                    orders: Vec::new(),
                    exchange_ms: watched.client.clock().now_ms(),
                };
                let source = watched.source.name();
                for signal in watched.judge.look(batch, source) {
                    handle(options, &mut watched, signal, &shared).await;
                }
                continue;
            }
            () = watched.account.tick() => {
                let reads_before = watched.account.reads;
                let signals = watched.account.look().await;
                let reads = watched.account.reads - reads_before;
                shared.tally(|s| s.reads += reads);
                for note in std::mem::take(&mut watched.account.notes) {
                    shared.ui.warn(&format!("watch: key {}: {note}", watched.key));
                }
                for signal in signals {
                    handle(options, &mut watched, signal, &shared).await;
                }
                continue;
            }
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let reads = watched.source.reads() - counted;
        counted += reads;
        for note in watched.source.take_notes() {
            shared
                .ui
                .warn(&format!("watch: key {}: {note}", watched.key));
        }
        match batch {
            Err(err) => {
                failures += 1;
                shared.tally(|s| {
                    s.failed_looks += 1;
                    s.reads += reads;
                });
                let pause = (options.settings.interval * 2u32.saturating_pow(failures.min(8)))
                    .min(MAX_BACKOFF);
                shared.ui.warn(&format!(
                    "watch: key {}: the look failed ({err}); next in {} (nothing is missed: the next look reads from where this one began)",
                    watched.key,
                    humantime::format_duration(pause)
                ));
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stop.wait_for(|stop| *stop) => break,
                }
            }
            Ok(batch) => {
                failures = 0;
                if !armed && watched.source.armed() {
                    armed = true;
                    if let Some(reports) = &shared.reports {
                        let _ = reports.send(Report::Armed);
                    }
                }
                shared.tally(|s| {
                    s.looks += 1;
                    s.reads += reads;
                });
                let source = watched.source.name();
                for signal in watched.judge.look(batch, source) {
                    handle(options, &mut watched, signal, &shared).await;
                }
                if let Some(reports) = &shared.reports {
                    let _ = reports.send(Report::Judged(watched.key.masked()));
                }
            }
        }
        // The keys' loops share one task: a key with pushes queued would otherwise judge them
        // all before another key's loop is polled again.
        tokio::task::yield_now().await;
    }
    if let Some(figures) = watched.source.figures() {
        shared.tally(|s| s.stream = Some(s.stream.unwrap_or_default().plus(figures)));
    }
}

/// Sleeps for `wait`, or forever without one.
async fn sleep_or_never(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// Logs, shows, acts on and notifies one signal. A lock runs before the notification is
/// queued (one request, and the message can then name its folder for `lockdown unlock`); a
/// whole response is announced first, as it runs for minutes and sends its own messages.
async fn handle(options: &Options, watched: &mut Watched, signal: Signal, shared: &Shared<'_>) {
    let decision = options.settings.policy.decide(&signal);
    shared
        .ui
        .warn(&format!("watch: key {}: {}", watched.key, signal.line()));
    shared.record(&json!({"signal": signal, "decision": decision}));
    if let Some(reports) = &shared.reports {
        let _ = reports.send(Report::Signal(Box::new(signal.clone()), decision));
    }
    shared.tally(|s| s.signals.push(signal.clone()));
    let notify = |done: Done<'_>| {
        if decision.notify {
            shared
                .notifier
                .notify(message(options, &watched.key, &signal, &decision, done));
        }
    };
    let what = if watched.acted || !(decision.lock || decision.respond) {
        None
    } else if decision.respond {
        Some(lock::Run::Respond)
    } else if lock_playbook(options.profile.exchange).is_some() {
        Some(lock::Run::Lock)
    } else {
        None
    };
    let Some(what) = what else {
        let masked = watched.key.masked();
        let earlier = shared.summary.lock().ok().and_then(|s| {
            s.acted
                .iter()
                .find(|a| a.key == masked)
                .map(|a| (a.act, a.run_dir.clone()))
        });
        match &earlier {
            Some((act, run_dir)) => notify(Done::Earlier {
                act,
                run_dir: run_dir.as_deref(),
            }),
            None if decision.lock || decision.respond => notify(Done::CannotLock),
            None => notify(Done::Nothing),
        }
        return;
    };
    if what == lock::Run::Respond {
        notify(Done::Responding);
    }
    watched.acted = true;
    // The lock changes the key: the account reads take it as it is from now on.
    watched.account.rebase();
    let act = match what {
        lock::Run::Lock => "lock",
        lock::Run::Respond => "respond",
    };
    shared.ui.warn(&format!(
        "watch: key {}: {act} now (signal {})",
        watched.key, signal.id
    ));
    let started = Instant::now();
    let ran = lock::run(
        what,
        &options.config,
        &options.profile,
        &watched.key,
        &signal,
        options.confirm,
        shared.ui,
    )
    .await;
    let acted = Acted {
        signal: signal.id.clone(),
        act,
        key: watched.key.masked(),
        run_dir: ran.as_ref().ok().map(|o| o.run_dir.clone()),
        contained: ran.as_ref().is_ok_and(|o| o.contained),
        contained_ms: ran.as_ref().ok().and_then(|o| o.contained_ms),
        error: ran.as_ref().err().map(ToString::to_string),
        started: Some(started),
    };
    if what == lock::Run::Lock {
        notify(Done::Locked {
            run_dir: acted.run_dir.as_deref(),
            contained: acted.contained,
            error: acted.error.as_deref(),
        });
    }
    match &acted.error {
        None => shared.ui.info(&format!(
            "watch: key {}: {act} run in {} ({}); undo a false alarm with `lockdown unlock {}`",
            watched.key,
            acted.run_dir.as_deref().unwrap_or_default(),
            if acted.contained {
                "contained"
            } else {
                "NOT contained"
            },
            acted.run_dir.as_deref().unwrap_or_default()
        )),
        Some(err) => shared.ui.warn(&format!(
            "watch: key {}: the {act} failed: {err}",
            watched.key
        )),
    }
    shared.record(&json!({"acted": acted}));
    if let Some(reports) = &shared.reports {
        let _ = reports.send(Report::Acted(Box::new(acted.clone())));
    }
    shared.tally(|s| s.acted.push(acted));
}

/// The `watch_signal` notification for a signal about `key` (docs/watch.md §3).
fn message(
    options: &Options,
    key: &KeyId,
    signal: &Signal,
    decision: &Decision,
    done: Done<'_>,
) -> crate::notify::Message {
    let profile = &options.profile;
    let label = profile
        .keys
        .iter()
        .find(|owned| &owned.id == key)
        .map_or_else(|| key.masked(), |owned| owned.label.clone());
    let venue = profile.exchange.to_string();
    notice::message(
        notice::Whose {
            profile: &profile.name,
            venue: &venue,
            config: &options.config,
            label: &label,
        },
        signal,
        decision,
        done,
    )
}

/// `<state_dir>/watch/signals.jsonl`: every signal and action, one JSON line each, appended
/// and synced by a thread of its own, one sync for the lines that came while the last one ran:
/// a signal is acted on at once, never after the disk (with twenty keys on one account every
/// order is twenty signals, each synced under one lock on its way to the lock). A log that
/// cannot be written is said once and watching goes on.
struct SignalLog {
    lines: std::sync::Mutex<Option<std::sync::mpsc::Sender<String>>>,
    writer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl SignalLog {
    fn open(state_dir: &Path, ui: &Ui) -> SignalLog {
        let dir = state_dir.join("watch");
        let path = dir.join("signals.jsonl");
        let file =
            crate::private::create_dir(&dir).and_then(|()| crate::private::open_append(&path));
        let (lines, queued) = std::sync::mpsc::channel::<String>();
        let (warn, writer_ui) = (ui.clone(), ui.clone());
        let writer = std::thread::Builder::new()
            .name("signal-log".into())
            .spawn(move || write_lines(file, &path, &queued, &writer_ui))
            .map_err(|err| {
                warn.warn(&format!(
                    "watch: cannot start the signal log's writer ({err}); signals are shown but not logged"
                ));
            })
            .ok();
        SignalLog {
            lines: std::sync::Mutex::new(Some(lines)),
            writer: std::sync::Mutex::new(writer),
        }
    }

    /// Queues a line for the writer.
    fn append(&self, value: &serde_json::Value) {
        let mut line = json!({"at": crate::clock::now_rfc3339()});
        if let (Some(line), Some(more)) = (line.as_object_mut(), value.as_object()) {
            line.extend(more.clone());
        }
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lines) = lines.as_ref() {
            let _ = lines.send(line.to_string());
        }
    }

    /// Waits until every queued line is written and synced.
    fn close(&self) {
        drop(self.lines.lock().unwrap_or_else(|p| p.into_inner()).take());
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.join();
        }
    }
}

impl Drop for SignalLog {
    fn drop(&mut self) {
        self.close();
    }
}

/// The signal log's writer: each line as it comes, with those queued behind it, then one sync;
/// the first failure is said and later lines are dropped quietly.
fn write_lines(
    file: std::io::Result<std::fs::File>,
    path: &Path,
    queued: &std::sync::mpsc::Receiver<String>,
    ui: &Ui,
) {
    use std::io::Write;
    let mut file = match file {
        Ok(file) => Some(file),
        Err(err) => {
            ui.warn(&format!(
                "watch: cannot open `{}` ({err}); signals are shown but not logged",
                path.display()
            ));
            None
        }
    };
    while let Ok(first) = queued.recv() {
        let Some(f) = file.as_mut() else {
            continue;
        };
        let mut batch = first;
        batch.push('\n');
        while let Ok(more) = queued.try_recv() {
            batch.push_str(&more);
            batch.push('\n');
        }
        if let Err(err) = f.write_all(batch.as_bytes()).and_then(|()| f.sync_data()) {
            file = None;
            ui.warn(&format!(
                "watch: cannot write `{}` ({err}); signals are shown but no longer logged",
                path.display()
            ));
        }
    }
}
