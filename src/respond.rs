//! A response from start to end: config, playbook, checks, run folder, journal, engine.
//!
//! `lockdown respond` and `lockdown drill` both come through [`respond`], so a drill exercises
//! exactly the code an incident runs: no drill-only shortcuts. Everything that can be wrong with
//! the input is found before the run folder exists and before any request is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::actions::{JournalHandle, RunInfo};
use crate::config;
use crate::engine::{Confirm, Outcome, Run, Start, preflight};
use crate::error::{Error, Note};
use crate::exchanges::http::http_client;
use crate::exchanges::{Client, Mode};
use crate::journal::{self, EventKind, Journal};
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
}

/// Runs a response; returns how it ended (the exit code follows from the outcome).
pub async fn respond(request: Request, ui: &Ui) -> Result<Outcome, Error> {
    let started = Instant::now();
    // Loading TLS roots takes a few milliseconds: do it while the config and playbook load.
    let http = tokio::task::spawn_blocking(http_client);
    let profile = config::load_profile(&request.config, request.profile.as_deref())?;
    let playbook = match &request.playbook {
        Some(path) => playbook::load(path)?,
        None => playbook::builtin(profile.exchange).map_err(playbook::PlaybookError::from)?,
    };
    if request.key.as_str().is_empty() {
        return Err(Error::Usage {
            message: "`--key` is empty".into(),
            help: Some("pass the leaked key's id (not its secret)".into()),
        });
    }
    let mut inputs = request.inputs.clone();
    inputs.insert("key".to_owned(), request.key.as_str().to_owned());

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
    let client = Client::with_http(
        profile.exchange.venue(),
        &profile.base_url,
        request.mode,
        http,
    );

    // Checked before the run folder exists: bad input leaves nothing behind.
    let info = RunInfo {
        id: run_id(),
        dir: PathBuf::new(),
        started_at: crate::clock::now_rfc3339(),
        playbook: playbook.name.clone(),
        started,
    };
    preflight(
        &playbook,
        &profile,
        &info,
        &mut inputs,
        request.confirm,
        // A dry run asks nothing: confirmations belong to the live run.
        ui.interactive() || request.mode != Mode::Live,
    )
    .map_err(|err| Error::Preflight {
        problems: err
            .problems
            .into_iter()
            .map(|(message, help)| Note { message, help })
            .collect(),
    })?;

    let suffix = match request.mode {
        Mode::Live => "",
        Mode::DryRun => "-dry-run",
        Mode::Offline => "-offline",
    };
    let dir = create_run_dir(&profile.state_dir, &format!("{}{suffix}", info.id))?;
    let journal_path = dir.join(journal::FILE_NAME);
    let journal = Journal::create(&journal_path).map_err(|err| Error::Io {
        what: "create the journal",
        path: journal_path.clone(),
        source: std::io::Error::other(err),
    })?;
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
        ui,
    };
    let what = match request.mode {
        Mode::Live => "responding to",
        Mode::DryRun => "dry run (reads only, nothing mutating is sent) for",
        Mode::Offline => "offline plan (nothing is sent) for",
    };
    ui.info(&format!(
        "lockdown: {what} leaked key {} on {} (profile `{}`, playbook `{}`)",
        request.key, profile.exchange, profile.name, playbook.name
    ));
    let start = Start::Fresh {
        config: std::path::absolute(&request.config)
            .unwrap_or_else(|_| request.config.clone())
            .display()
            .to_string(),
    };

    tokio::select! {
        outcome = run.execute(start) => Ok(outcome),
        _ = tokio::signal::ctrl_c() => {
            let _ = run.journal.append(EventKind::Interrupted, serde_json::json!({"by": "ctrl-c"}));
            Err(Error::Interrupted { run_dir: dir })
        }
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
    create_private_dir(&state_dir.join("runs").join(format!("{stamp}-{id}")))
}

/// Creates a folder (and its parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<PathBuf, Error> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| Error::Io {
        what: "create the folder",
        path: dir.to_owned(),
        source,
    })?;
    Ok(dir.to_owned())
}
