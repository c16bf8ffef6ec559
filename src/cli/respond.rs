//! `lockdown respond`: the panic button.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::config;
use crate::engine::{Confirm, Outcome};
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;
use crate::incident::{IncidentRequest, Selection, respond_many};
use crate::report::incident::Summary;
use crate::respond::{Request, respond};
use crate::secret::KeyId;
use crate::ui::Ui;

/// Arguments of `respond`.
#[derive(Debug, Args)]
pub struct RespondArgs {
    /// Id of the leaked API key (the id only; its secret comes from the profile); repeatable
    #[arg(long, value_name = "KEY_ID")]
    key: Vec<String>,
    /// A file of leaked key ids, one a line (`#` comments, blank lines skipped)
    #[arg(long, value_name = "FILE")]
    keys_file: Option<PathBuf>,
    /// Every key of the profile's `keys:`, and every key the master lists on their sub-accounts
    #[arg(long)]
    all_keys: bool,
    /// Profile in the config file (default: the only one, or `default`); repeatable
    #[arg(long, value_name = "NAME")]
    profile: Vec<String>,
    /// With several keys: how many keys' steps after the lock run at once (every lock goes first)
    #[arg(long, value_name = "N", default_value_t = crate::incident::DEFAULT_PARALLEL, value_parser = clap::value_parser!(u16).range(1..))]
    parallel: u16,
    /// Playbook file (default: the one shipped for the profile's exchange)
    #[arg(long, value_name = "FILE")]
    playbook: Option<PathBuf>,
    /// Accept every confirmation without asking (each is journaled as `--yes`)
    #[arg(long)]
    yes: bool,
    /// Run the real reads and show (and journal) every mutating request instead of sending it
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    otp: super::otp::OtpArgs,
    /// A playbook input, `NAME=VALUE` (repeatable)
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
}

/// Runs `respond`: one key as always, several through the incident orchestrator.
pub async fn run(args: RespondArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let inputs = parse_inputs(&args.inputs)?;
    let config = config.unwrap_or_else(config::default_path);
    let confirm = if args.yes { Confirm::Yes } else { Confirm::Ask };
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Live
    };
    let otp = args.otp.read(ui)?;
    let one_key = args.key.len() == 1
        && args.keys_file.is_none()
        && !args.all_keys
        && args.profile.len() <= 1;
    if one_key {
        let request = Request {
            config,
            profile: args.profile.into_iter().next(),
            playbook: args.playbook,
            key: KeyId::new(args.key.into_iter().next().unwrap_or_default()),
            inputs,
            confirm,
            mode,
            otp,
            operator: None,
            incident: None,
            rehearsal: None,
            cause: None,
        };
        let outcome = respond(request, ui).await?;
        report(&outcome, ui);
        return Ok(outcome.exit());
    }
    if args.key.is_empty() && args.keys_file.is_none() && !args.all_keys {
        return Err(Error::Usage {
            message: "no key to respond to".into(),
            help: Some(
                "name the leaked key with `--key` (repeatable), list keys in `--keys-file`, or take every key of the profile with `--all-keys`"
                    .into(),
            ),
        });
    }
    let mut keys: Vec<KeyId> = Vec::new();
    for key in args.key {
        if key.trim().is_empty() {
            return Err(Error::Usage {
                message: "`--key` is empty".into(),
                help: Some("pass the leaked key's id (not its secret)".into()),
            });
        }
        keys.push(KeyId::new(key));
    }
    if let Some(file) = &args.keys_file {
        keys.extend(crate::incident::keys_file::read(file)?);
    }
    let request = IncidentRequest {
        config,
        profiles: args.profile,
        selection: Selection {
            keys,
            all_keys: args.all_keys,
        },
        playbook: args.playbook,
        inputs,
        confirm,
        mode,
        otp,
        operator: None,
        parallel: usize::from(args.parallel),
    };
    let incident = respond_many(request, ui).await?;
    report_incident(&incident.summary, ui);
    Ok(incident.exit())
}

/// Shows an incident's summary: JSON on stdout, totals and what is left on stderr.
pub fn report_incident(summary: &Summary, ui: &Ui) {
    ui.summary(|| serde_json::to_value(summary).unwrap_or_default());
    ui.info(&format!(
        "incident {}: {} key(s), {} locked, {} revoked, {} replaced; all locks done {}; finished in {} ms",
        summary.incident_id,
        summary.keys_total,
        summary.locked,
        summary.revoked,
        summary.replaced,
        summary
            .locks_done_ms
            .map_or_else(|| "never".to_owned(), |ms| format!("{ms} ms after start")),
        summary.duration_ms
    ));
    ui.info(&format!(
        "summary: {}/summary.md (and summary.json)",
        summary.incident_dir
    ));
    for key in summary.keys.iter().filter(|k| !k.left.is_empty()) {
        ui.warn(&format!("key {} left to do:", key.key));
        for todo in &key.left {
            ui.info(&format!("  - {}\n    how: {}", todo.what, todo.how));
        }
    }
    match summary.exit_code {
        0 => {}
        code => ui.warn(&format!(
            "not every key is contained: exit {code}, the worst of the keys' codes"
        )),
    }
}

/// Reads `--input NAME=VALUE` flags.
pub fn parse_inputs(items: &[String]) -> Result<BTreeMap<String, String>, Error> {
    let mut inputs = BTreeMap::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            return Err(Error::Usage {
                message: format!("`--input {item}` is not NAME=VALUE"),
                help: None,
            });
        };
        inputs.insert(name.trim().to_owned(), value.to_owned());
    }
    Ok(inputs)
}

/// Shows the outcome: JSON on stdout, and a summary for people on stderr.
pub fn report(outcome: &Outcome, ui: &Ui) {
    ui.summary(|| outcome.summary());
    let contained = match (outcome.mode, outcome.contained_ms) {
        (Mode::Live, Some(ms)) => format!("contained {ms} ms after start"),
        (Mode::Live, None) => "NOT contained".to_owned(),
        (_, _) => "dry run: nothing was changed at the exchange".to_owned(),
    };
    let unauthorized = match (outcome.unauthorized_orders(), outcome.unverified_orders()) {
        (Some(n), _) => format!("{n} unauthorized order(s)"),
        (None, Some(n)) => {
            format!("unauthorized orders unknown: {n} unverified (no usable ledger)")
        }
        (None, None) => "unauthorized orders unknown".to_owned(),
    };
    ui.info(&format!(
        "{contained}; {unauthorized}; finished in {} ms",
        outcome.duration_ms
    ));
    if let Some(path) = outcome.report().get("markdown").and_then(|v| v.as_str()) {
        ui.info(&format!("report: {path}"));
    }
    ui.info(&format!("run folder: {}", outcome.run_dir));
    // Kept elsewhere, this line exposes a later rewrite of the journal (`verify --expect-head`).
    ui.info(&format!(
        "journal head: event {} hash {}",
        outcome.journal_seq, outcome.journal_hash
    ));
    if let Some(err) = &outcome.journal_error {
        ui.warn(&format!("the journal failed, the run stopped: {err}"));
    }
    let left = &outcome.left;
    if !left.is_empty() {
        ui.warn("left to do:");
        for todo in left {
            ui.info(&format!("  - {}\n    how: {}", todo.what, todo.how));
        }
    }
    match outcome.exit() {
        Exit::Ok => {}
        Exit::Incomplete => ui.warn("containment is incomplete: finish what is left above"),
        other => ui.warn(&format!(
            "stopped before containment (exit {})",
            other.code()
        )),
    }
}
