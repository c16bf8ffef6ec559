//! `lockdown respond`: the panic button.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use crate::actions::{JournalHandle, RunInfo};
use crate::config;
use crate::engine::{Confirm, Outcome, Run, preflight};
use crate::error::{Error, Note};
use crate::exchanges::{Client, Mode};
use crate::exit::Exit;
use crate::journal::{self, EventKind, Journal};
use crate::playbook;
use crate::secret::KeyId;
use crate::ui::Ui;

/// Arguments of `respond`.
#[derive(Debug, Args)]
pub struct RespondArgs {
    /// Id of the leaked API key (the id only; its secret comes from the profile)
    #[arg(long, value_name = "KEY_ID")]
    key: String,
    /// Profile in the config file (default: the only one, or `default`)
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Playbook file (default: the one shipped for the profile's exchange)
    #[arg(long, value_name = "FILE")]
    playbook: Option<PathBuf>,
    /// Accept every confirmation without asking (each is journaled as `--yes`)
    #[arg(long)]
    yes: bool,
    /// A playbook input, `NAME=VALUE` (repeatable)
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
}

/// Runs `respond`.
pub async fn run(
    args: RespondArgs,
    config: Option<PathBuf>,
    json: bool,
    ui: &Ui,
) -> Result<Exit, Error> {
    let started = Instant::now();
    let config_path = config.unwrap_or_else(config::default_path);
    let profile = config::load_profile(&config_path, args.profile.as_deref())?;
    let playbook = match &args.playbook {
        Some(path) => playbook::load(path)?,
        None => playbook::builtin(profile.exchange).map_err(playbook::PlaybookError::from)?,
    };

    let key = KeyId::new(args.key.clone());
    if key.as_str().is_empty() {
        return Err(Error::Usage {
            message: "`--key` is empty".into(),
            help: Some("pass the leaked key's id (not its secret)".into()),
        });
    }
    let mut inputs = BTreeMap::new();
    for item in &args.inputs {
        let Some((name, value)) = item.split_once('=') else {
            return Err(Error::Usage {
                message: format!("`--input {item}` is not NAME=VALUE"),
                help: None,
            });
        };
        inputs.insert(name.trim().to_owned(), value.to_owned());
    }
    inputs.insert("key".to_owned(), key.as_str().to_owned());

    let client =
        Client::new(profile.exchange.venue(), &profile.base_url, Mode::Live).map_err(|err| {
            Error::Exchange {
                message: err.to_string(),
                help: err.hint().map(str::to_owned),
            }
        })?;

    // Checked before the run folder exists: bad input leaves nothing behind.
    let confirm = if args.yes { Confirm::Yes } else { Confirm::Ask };
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
        confirm,
        ui.interactive(),
    )
    .map_err(|err| Error::Preflight {
        problems: err
            .problems
            .into_iter()
            .map(|(message, help)| Note { message, help })
            .collect(),
    })?;

    let dir = create_run_dir(&profile.state_dir, &info.id)?;
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
        confirm,
        ui,
    };
    ui.info(&format!(
        "lockdown: responding to leaked key {} on {} (profile `{}`, playbook `{}`)",
        key, profile.exchange, profile.name, playbook.name
    ));

    let outcome = tokio::select! {
        outcome = run.execute() => outcome,
        _ = tokio::signal::ctrl_c() => {
            let _ = run.journal.append(EventKind::Interrupted, serde_json::json!({"by": "ctrl-c"}));
            return Err(Error::Interrupted { run_dir: dir });
        }
    };
    report(&outcome, json, ui);
    Ok(outcome.exit())
}

/// Shows the outcome: JSON on stdout, or a summary for people on stderr.
fn report(outcome: &Outcome, json: bool, ui: &Ui) {
    if json {
        ui.json(&outcome.summary());
    }
    let contained = match outcome.contained_ms {
        Some(ms) => format!("contained {ms} ms after start"),
        None => "NOT contained".to_owned(),
    };
    let unauthorized = outcome.unauthorized_orders().map_or_else(
        || "unauthorized orders unknown".to_owned(),
        |n| format!("{n} unauthorized order(s)"),
    );
    ui.info(&format!(
        "{contained}; {unauthorized}; finished in {} ms",
        outcome.duration_ms
    ));
    if let Some(path) = outcome.report().get("markdown").and_then(|v| v.as_str()) {
        ui.info(&format!("report: {path}"));
    }
    ui.info(&format!("run folder: {}", outcome.run_dir));
    if let Some(err) = &outcome.journal_error {
        ui.warn(&format!("the journal failed, the run stopped: {err}"));
    }
    match outcome.exit() {
        Exit::Ok => {}
        Exit::Incomplete => {
            ui.warn("containment is incomplete: see the failed or declined steps above")
        }
        other => ui.warn(&format!(
            "stopped before containment (exit {})",
            other.code()
        )),
    }
}

fn run_id() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::from_os_rng();
    format!("{:06x}", rng.random::<u32>() & 0x00ff_ffff)
}

/// `<state_dir>/runs/<utc>-<id>`, private to the owner.
fn create_run_dir(state_dir: &Path, id: &str) -> Result<PathBuf, Error> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = state_dir.join("runs").join(format!("{stamp}-{id}"));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(|source| Error::Io {
        what: "create the run folder",
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}
