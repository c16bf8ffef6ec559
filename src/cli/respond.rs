//! `lockdown respond`: the panic button.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use crate::config;
use crate::engine::{Confirm, Outcome};
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;
use crate::respond::{Request, respond};
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
    /// Run the real reads and show (and journal) every mutating request instead of sending it
    #[arg(long)]
    dry_run: bool,
    /// The current two-factor code, for venues that challenge key changes (Deribit)
    #[arg(long, value_name = "CODE")]
    otp: Option<String>,
    /// A playbook input, `NAME=VALUE` (repeatable)
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
}

/// Runs `respond`.
pub async fn run(args: RespondArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let inputs = parse_inputs(&args.inputs)?;
    let request = Request {
        config: config.unwrap_or_else(config::default_path),
        profile: args.profile,
        playbook: args.playbook,
        key: KeyId::new(args.key),
        inputs,
        confirm: if args.yes { Confirm::Yes } else { Confirm::Ask },
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Live
        },
        otp: args.otp.map(crate::secret::SecretString::from),
        operator: None,
    };
    let outcome = respond(request, ui).await?;
    report(&outcome, ui);
    Ok(outcome.exit())
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
