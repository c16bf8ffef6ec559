//! A response from start to end: config, playbook, checks, run folder, journal, engine.
//!
//! `lockdown respond` and `lockdown drill` both come through [`respond`], so a drill exercises
//! exactly the code an incident runs: no drill-only shortcuts. Everything that can be wrong with
//! the input is found before the run folder exists and before any request is sent; nothing that
//! only later steps need (the ledger's lines, the HTTP client's certificates) holds the lock back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::actions::{JournalHandle, RunInfo};
use crate::config::{self, Profile};
use crate::engine::{Confirm, Outcome, Run, Start, preflight};
use crate::error::{Error, Note};
use crate::exchanges::client::http_client_for;
use crate::exchanges::{Client, Mode, Nonces};
use crate::interrupt::Watch;
use crate::journal::record::{self, Record};
use crate::journal::{self, Journal, JournalKey};
use crate::playbook;
use crate::secret::KeyId;
use crate::ui::Ui;

/// What to respond to, and how.
#[derive(Debug, Clone)]
pub struct Request {
    /// The config file.
    pub config: PathBuf,
    /// The profile in it (default: the only one, or `default`).
    pub profile: Option<String>,
    /// A playbook file (default: the one shipped for the profile's exchange).
    pub playbook: Option<PathBuf>,
    /// The leaked key's id.
    pub key: KeyId,
    /// Further playbook inputs.
    pub inputs: BTreeMap<String, String>,
    /// How confirmations are answered.
    pub confirm: Confirm,
    /// Live, or a dry run (reads only) or offline (no call at all).
    pub mode: Mode,
    /// A one-time two-factor code, for venues that challenge key changes.
    pub otp: Option<crate::secret::SecretString>,
    /// Who carries out manual steps (a drill's simulated operator); `None` for people.
    pub operator: Option<std::sync::Arc<dyn crate::engine::Operator>>,
    /// What the keys of one incident share (`respond` with several keys): the profile's one
    /// client, and the gate the steps after each key's lock wait at; `None` for one key.
    pub incident: Option<crate::incident::Share>,
    /// A drill's response with notifications on (`drill --notify`): sent through the owner's
    /// config, marked as a drill, recorded in the drill's folder; `None`: the config's own.
    pub rehearsal: Option<crate::notify::events::Rehearsal>,
    /// What started this response when no person did: the watcher's signal with its evidence
    /// (`lockdown watch`), journaled in `run_started`; `None` for a person's.
    pub cause: Option<serde_json::Value>,
}

/// Runs a response; returns how it ended (the exit code follows from the outcome).
pub async fn respond(request: Request, ui: &Ui) -> Result<Outcome, Error> {
    let started = Instant::now();
    let profile = config::load_profile(&request.config, request.profile.as_deref())?;
    run_for(started, profile, request, ui).await
}

/// Runs a response for a profile already loaded from `request.config`: `check` plans offline
/// this way, the profile's state dir swapped for a temporary one.
pub async fn respond_for(profile: Profile, request: Request, ui: &Ui) -> Result<Outcome, Error> {
    run_for(Instant::now(), profile, request, ui).await
}

async fn run_for(
    started: Instant,
    mut profile: Profile,
    request: Request,
    ui: &Ui,
) -> Result<Outcome, Error> {
    if let Some(store) = request
        .incident
        .as_ref()
        .and_then(|s| s.secret_store.clone())
    {
        profile.secret_store = Some(store);
    }
    // The keys of one incident share a client built once; a single response builds its own on
    // another thread meanwhile.
    let http = request.incident.is_none().then(|| build_http(&profile));
    let playbook = playbook::for_profile(request.playbook.as_deref(), &profile)?;
    if request.key.as_str().is_empty() {
        return Err(Error::Usage {
            message: "`--key` is empty".into(),
            help: Some("pass the leaked key's id (not its secret)".into()),
        });
    }
    let mut inputs = request.inputs.clone();
    inputs.insert("key".to_owned(), request.key.as_str().to_owned());

    // Checked before the run folder exists: bad input leaves nothing behind. Only what the
    // lock needs is checked here; what only later steps need (the ledger's lines) is theirs.
    let info = RunInfo {
        id: run_id(),
        dir: PathBuf::new(),
        started_at: crate::clock::now_rfc3339(),
        playbook: playbook.name.clone(),
        started,
        incident_started_at: request.incident.as_ref().map(|s| s.started_at.clone()),
        shared_reads: request.incident.as_ref().map(|s| s.reads.clone()),
    };
    let advice = preflight(
        &playbook,
        &profile,
        &info,
        &mut inputs,
        request.confirm,
        // A dry run asks nothing: confirmations belong to the live run.
        ui.interactive() || request.mode != Mode::Live,
    )
    .map_err(preflight_error)?;
    advise(ui, &advice);

    let suffix = match request.mode {
        Mode::Live => "",
        Mode::DryRun => "-dry-run",
        Mode::Offline => "-offline",
    };
    // The key lives beside `runs/`, not in the run folder. One that cannot be used (readable by
    // others, garbled, unwritable) never stops a response: the journal is written without
    // `mac`s (chain and seal intact), and the operator is told how to fix it.
    let key = match JournalKey::load_or_create(&profile.state_dir) {
        Ok(key) => Some(key),
        Err(err) => {
            ui.warn(&format!(
                "{err}; this run's journal is not keyed (`lockdown verify` will call it unauthenticated): the response goes on"
            ));
            if let Some(help) = miette::Diagnostic::help(&err) {
                ui.info(&format!("  hint: {help}"));
            }
            None
        }
    };
    // One responder per key: a second one is refused before anything is sent for the key.
    let mut key_lock = match request.mode {
        Mode::Live => crate::incident::lock_key(&profile, &request.key, ui)?,
        Mode::DryRun | Mode::Offline => None,
    };
    let dir = create_run_dir(&profile.state_dir, &format!("{}{suffix}", info.id))?;
    if let Some(lock) = &mut key_lock
        && let Err(err) = lock.note_run(&dir)
    {
        ui.warn(&format!(
            "cannot name the run folder in `{}` ({err}); the response goes on",
            lock.path().display()
        ));
    }
    let journal_path = dir.join(journal::FILE_NAME);
    let journal = match key {
        Some(key) => Journal::create(&journal_path, key),
        None => Journal::create_unkeyed(&journal_path),
    };
    let journal = journal.map_err(|err| Error::Io {
        what: "create the journal",
        path: journal_path.clone(),
        source: std::io::Error::other(err),
    })?;
    // Built meanwhile on another thread; awaited only now, when the first request is next.
    let client = match (&request.incident, http) {
        (Some(share), _) => share.client.clone(),
        (None, Some(http)) => client(http, &profile, request.mode).await?,
        (None, None) => connect(&profile, request.mode)?,
    };
    let run = Run {
        playbook: &playbook,
        profile: &profile,
        client: &client,
        info: RunInfo {
            dir: dir.clone(),
            ..info
        },
        journal: JournalHandle::new(journal),
        inputs,
        confirm: request.confirm,
        otp: request.otp.clone(),
        operator: request.operator.clone(),
        gate: request
            .incident
            .as_ref()
            .map(|share| share.gate.clone() as std::sync::Arc<dyn crate::engine::Gate>),
        ui,
    };
    // A planned rotation is no incident: said so, and no incident notification is sent.
    let rotation = playbook::is_rotation(&playbook.name);
    let what = match request.mode {
        Mode::Live => "responding to",
        Mode::DryRun => "dry run (reads only, nothing mutating is sent) for",
        Mode::Offline => "offline plan (nothing is sent) for",
    };
    let (what, kind) = match (request.mode, rotation) {
        (Mode::Live, true) => ("planned rotation of", "key"),
        (_, true) => (what, "the rotation of key"),
        (_, false) => (what, "leaked key"),
    };
    ui.info(&format!(
        "lockdown: {what} {kind} {} on {} (profile `{}`, playbook `{}`)",
        request.key, profile.exchange, profile.name, playbook.name
    ));
    let start = Start::Fresh {
        config: std::path::absolute(&request.config)
            .unwrap_or_else(|_| request.config.clone())
            .display()
            .to_string(),
        cause: request.cause.clone(),
    };

    let notify = (request.mode == Mode::Live && !rotation).then(|| {
        let (config, folder) = match &request.rehearsal {
            Some(drill) => (drill.config.as_path(), drill.folder.as_path()),
            None => (request.config.as_path(), dir.as_path()),
        };
        let mut current =
            notifier_for(config, folder, &profile, &run.info.id, request.key.masked());
        current.drill = request.rehearsal.is_some();
        current.plan = format!(
            "playbook `{}` runs {}",
            playbook.name,
            playbook
                .steps
                .iter()
                .map(|step| step.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        current
    });
    if let Some(current) = &notify {
        crate::notify::events::run_started(current);
    }
    let ended = execute_notified(notify.as_ref(), &run, start, dir, ui).await;
    // After the run, not before the lock: `store_secret` sweeps before it writes, and this
    // catches what a crash left when the run never reached the store.
    if request.mode == Mode::Live {
        remove_stale_secret_copies(&profile, ui);
    }
    drop(key_lock);
    ended
}

/// A response's notifications: the settings are read, and the channels' client built, on
/// another thread once the lock is in (`key_locked` releases the notifier; the end of the run
/// at the latest); queuing never waits, so nothing here stands between the run and its lock.
/// Attempts go to the run folder's `notifications.jsonl`, and what it shows delivered (a
/// resumed run's) is not sent again.
fn notifier_for(
    config: &Path,
    dir: &Path,
    profile: &Profile,
    run_id: &str,
    key: String,
) -> crate::notify::events::Current {
    let config = config.to_owned();
    let notifier = crate::notify::Notifier::held(move || {
        config::load_notify(Some(&config)).map_err(|err| notify_error(&err))
    });
    notifier.log_to(dir);
    crate::notify::events::Current {
        notifier,
        profile: profile.name.clone(),
        venue: profile.exchange.to_string(),
        run_id: run_id.to_owned(),
        key,
        drill: false,
        plan: String::new(),
    }
}

/// [`execute`] with the run's engine events going to `notify`, then `run_finished` and the
/// bounded wait for what is queued.
async fn execute_notified(
    notify: Option<&crate::notify::events::Current>,
    run: &Run<'_>,
    start: Start,
    dir: PathBuf,
    ui: &Ui,
) -> Result<Outcome, Error> {
    let Some(current) = notify else {
        return execute(run, start, dir).await;
    };
    let ended = crate::notify::events::scope(current.clone(), execute(run, start, dir)).await;
    if let Ok(outcome) = &ended {
        crate::notify::events::run_finished(current, outcome);
    }
    report_notifications(&current.notifier.flush(None).await, ui);
    ended
}

/// A config error as one line (its first problem with its place), for a notifier that cannot
/// start: the response goes on without notifications.
fn notify_error(err: &config::ConfigError) -> String {
    match err {
        config::ConfigError::Invalid(problems) => problems
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.location(), p.message()))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Says what the end-of-command flush found: problems only (delivered messages are quiet).
pub(crate) fn report_notifications(summary: &crate::notify::queue::Summary, ui: &Ui) {
    for problem in &summary.problems {
        ui.warn(&format!("notification: {problem}"));
    }
    if summary.undelivered > 0 {
        ui.warn(&format!(
            "notification: {} message(s) not delivered in time (see notifications.jsonl in the run folder)",
            summary.undelivered
        ));
    }
}

/// Runs until done or a signal: SIGINT or SIGTERM is journaled as `interrupted` (exit 130 or
/// 143; `resume` goes on), and a second one during the stop ends the process at once.
async fn execute(run: &Run<'_>, start: Start, dir: PathBuf) -> Result<Outcome, Error> {
    let mut watch = match Watch::start(run.journal.clone()) {
        Ok(watch) => Some(watch),
        Err(err) => {
            run.ui.warn(&format!(
                "cannot listen for SIGINT/SIGTERM ({err}); a signal ends the run unjournaled"
            ));
            None
        }
    };
    let signal = async {
        match &mut watch {
            Some(watch) => watch.first().await,
            None => std::future::pending().await,
        }
    };
    // The exchange's clock is read once the run's first change (the lock) has been answered,
    // beside the run; it stops nothing, and the history windows wait for it only briefly.
    let _clock = (run.client.mode() != Mode::Offline).then(|| {
        let client = run.client.clone();
        AbortOnDrop(tokio::spawn(async move { client.measure_clock().await }))
    });
    tokio::select! {
        outcome = run.execute(start) => Ok(outcome),
        by = signal => {
            let _ = run.journal.record(&record::Interrupted {
                by: by.name().to_owned(),
                second: false,
            });
            Err(Error::Interrupted { run_dir: dir, by })
        }
    }
}

/// A background task that ends with its owner (the run's clock read, when the run ended first).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Finishes an interrupted run from its journal: done steps are not repeated, unfinished ones
/// are probed before they run again. Takes the same confirmations as `respond`.
pub async fn resume(
    run_dir: &Path,
    confirm: Confirm,
    otp: Option<crate::secret::SecretString>,
    ui: &Ui,
) -> Result<Outcome, Error> {
    let started = Instant::now();
    let journal_path = run_dir.join(journal::FILE_NAME);
    // Read first for the profile, whose state dir holds the key; reopened under it below.
    let read = journal::verify(&journal_path)?;
    let Some(first) = read.events.iter().find_map(record::RunStarted::of) else {
        return Err(Error::Usage {
            message: format!(
                "`{}` has no readable `run_started` event",
                journal_path.display()
            ),
            help: Some("resume takes the folder of a run that `lockdown respond` started".into()),
        });
    };
    if first.mode != Mode::Live {
        return Err(Error::Usage {
            message: format!(
                "run `{}` was a {}; there is nothing to resume",
                first.run_id, first.mode
            ),
            help: None,
        });
    }
    let config = PathBuf::from(&first.config);
    let profile = config::load_profile(&config, Some(&first.profile))?;
    let http = build_http(&profile);
    let origin = &first.playbook_origin;
    let playbook = if origin.starts_with("builtin:") {
        playbook::by_origin(origin, profile.exchange).map_err(playbook::PlaybookError::from)?
    } else {
        playbook::load(Path::new(origin))?
    };
    if playbook.name != first.playbook {
        return Err(Error::Usage {
            message: format!(
                "the playbook at `{origin}` is now `{}`, the run was `{}`",
                playbook.name, first.playbook
            ),
            help: Some("restore the playbook the run started with".into()),
        });
    }
    // Resuming checks the journal's `mac`s under the state dir's key (a rewritten journal is
    // not gone on from); it may be unsealed, and one older than keys is keyed from here on.
    let key = JournalKey::load_or_create(&profile.state_dir)?;
    let (journal, verified) = Journal::reopen(&journal_path, key)?;
    let client = client(http, &profile, Mode::Live).await?;
    let info = RunInfo {
        id: first.run_id.clone(),
        dir: run_dir.to_owned(),
        started_at: first.started_at.clone(),
        playbook: playbook.name.clone(),
        started,
        incident_started_at: None,
        shared_reads: None,
    };
    let mut inputs = first.inputs.clone();
    let advice = preflight(
        &playbook,
        &profile,
        &info,
        &mut inputs,
        confirm,
        ui.interactive(),
    )
    .map_err(preflight_error)?;
    advise(ui, &advice);
    let prior = crate::engine::resume::prior(&verified.events);
    ui.info(&format!(
        "lockdown: resuming run `{}` ({} step(s) done, {} to probe){}",
        info.id,
        prior.done.len(),
        prior.unfinished.len(),
        verified
            .torn
            .last()
            .map(|line| format!("; journal line {line} was torn by the crash and is kept"))
            .unwrap_or_default()
    ));
    let run = Run {
        playbook: &playbook,
        profile: &profile,
        client: &client,
        info,
        journal: JournalHandle::new(journal),
        inputs,
        confirm,
        otp,
        operator: None,
        gate: None,
        ui,
    };
    let start = Start::Resumed {
        prior,
        torn_line: verified.torn.last().copied(),
    };
    let notify = (!playbook::is_rotation(&playbook.name))
        .then(|| notifier_for(&config, run_dir, &profile, &run.info.id, first.key.clone()));
    let ended = execute_notified(notify.as_ref(), &run, start, run_dir.to_owned(), ui).await;
    remove_stale_secret_copies(&profile, ui);
    ended
}

/// Starts building the profile's HTTP client on another thread, while the playbook loads and
/// the checks run: reading the certificate store takes milliseconds (skipped for a loopback
/// `http://` venue, the simulator).
fn build_http(
    profile: &crate::config::Profile,
) -> tokio::task::JoinHandle<Result<reqwest::Client, crate::exchanges::ExchangeError>> {
    let mut urls = vec![profile.base_url.clone()];
    urls.extend(profile.settings.futures_url.clone());
    tokio::task::spawn_blocking(move || http_client_for(urls.iter().map(String::as_str)))
}

/// Waits for the HTTP client built in the background and connects it to the profile's venue.
async fn client(
    http: tokio::task::JoinHandle<Result<reqwest::Client, crate::exchanges::ExchangeError>>,
    profile: &crate::config::Profile,
    mode: Mode,
) -> Result<Client, Error> {
    let http = http
        .await
        .map_err(|err| Error::Exchange {
            message: format!("cannot build the HTTP client: {err}"),
            help: None,
        })?
        .map_err(|err| Error::Exchange {
            message: err.to_string(),
            help: err.hint().map(str::to_owned),
        })?;
    Ok(shared(profile, mode, http))
}

/// A client for the profile's venue, its HTTP client built here (off no critical path: the keys
/// of one incident share the one this builds).
pub(crate) fn connect(profile: &crate::config::Profile, mode: Mode) -> Result<Client, Error> {
    let mut urls = vec![profile.base_url.clone()];
    urls.extend(profile.settings.futures_url.clone());
    let http = http_client_for(urls.iter().map(String::as_str)).map_err(|err| Error::Exchange {
        message: err.to_string(),
        help: err.hint().map(str::to_owned),
    })?;
    Ok(shared(profile, mode, http))
}

/// The process's one client for `profile` in `mode`, made with `http` the first time.
///
/// Why one: the exchange counts the address's requests whatever part of lockdown sent them, and
/// the client paces by what the exchange's answers say (holds, usage near a limit, bans). A
/// watcher and the locks and responses it starts, or a drill's watcher and its response, each
/// with a client of its own, each paced alone and together overran Binance's limits: the 429s
/// of one found the other's requests in flight and the address was banned, the locks with it.
/// Clones share the pacing; each caller sets its own deadline and records its own calls.
fn shared(profile: &crate::config::Profile, mode: Mode, http: reqwest::Client) -> Client {
    static CLIENTS: std::sync::OnceLock<std::sync::Mutex<BTreeMap<String, Client>>> =
        std::sync::OnceLock::new();
    // What makes two profiles the same client: the venue, where it is reached, how the keys
    // are read and where their nonces are kept.
    let identity = format!(
        "{}|{}|{:?}|{}|{:?}",
        profile.exchange.venue().id(),
        profile.base_url,
        profile.settings,
        profile.state_dir.display(),
        mode
    );
    let mut clients = CLIENTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    clients
        .entry(identity)
        .or_insert_with(|| {
            // Every lockdown process on this profile draws a key's nonces from the same
            // folder, so none is ever sent twice (Kraken, docs/venues/kraken.md §2).
            Client::with_http(profile.exchange.venue(), &profile.base_url, mode, http)
                .with_settings(profile.settings.clone())
                .with_nonces(Nonces::persisted(profile.state_dir.join("nonces")))
        })
        .clone()
}

/// Says what was found before the run that does not stop it.
fn advise(ui: &Ui, advice: &[crate::engine::Advice]) {
    for (message, hint) in advice {
        ui.warn(&format!("{message}; the response goes on"));
        if let Some(hint) = hint {
            ui.info(&format!("  hint: {hint}"));
        }
    }
}

/// Removes the copies of a secret a crash left beside the profile's secret store (`store_secret`
/// writes a temporary file, then renames it); one that cannot be removed is a warning, not a
/// reason to hold the response back.
fn remove_stale_secret_copies(profile: &crate::config::Profile, ui: &Ui) {
    let Some(store) = profile.secret_store.as_ref().and_then(|s| s.path()) else {
        return;
    };
    match crate::actions::remove_stale_temps(store) {
        Ok(removed) if !removed.is_empty() => ui.info(&format!(
            "lockdown: removed {} temporary file(s) an interrupted run left beside `{}`",
            removed.len(),
            store.display()
        )),
        Ok(_) => {}
        Err(err) => ui.warn(&format!(
            "cannot remove temporary files beside `{}` ({err}); they may hold a copy of a secret",
            store.display()
        )),
    }
}

fn preflight_error(err: crate::engine::PreflightError) -> Error {
    Error::Preflight {
        problems: err
            .problems
            .into_iter()
            .map(|(message, help)| Note { message, help })
            .collect(),
    }
}

/// A short random id for a run or a drill.
pub fn run_id() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::from_os_rng();
    format!("{:06x}", rng.random::<u32>() & 0x00ff_ffff)
}

/// `<state_dir>/runs/<utc>-<id>`, private to the owner.
fn create_run_dir(state_dir: &Path, id: &str) -> Result<PathBuf, Error> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = state_dir.join("runs").join(format!("{stamp}-{id}"));
    crate::private::create_dir(&dir).map_err(|source| Error::Io {
        what: "create the folder",
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;

    #[test]
    fn a_profile_has_one_client_in_a_process() {
        let profile = crate::scan::tests::profile(ExchangeId::Binance);
        let live = connect(&profile, Mode::Live).unwrap();
        assert!(live.shares_pacing_with(&connect(&profile, Mode::Live).unwrap()));
        assert!(!live.shares_pacing_with(&connect(&profile, Mode::DryRun).unwrap()));
        let mut elsewhere = profile.clone();
        elsewhere.base_url = "http://127.0.0.2:9".to_owned();
        assert!(!live.shares_pacing_with(&connect(&elsewhere, Mode::Live).unwrap()));
    }
}
