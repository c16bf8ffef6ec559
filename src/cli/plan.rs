//! `lockdown plan`: the dry run of a playbook. Real read-only calls, and the exact requests the
//! mutating steps would send (secrets redacted); `--offline` makes no call at all.

use std::path::PathBuf;

use clap::Args;

use crate::config;
use crate::engine::Confirm;
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;
use crate::respond::{Request, respond};
use crate::secret::KeyId;
use crate::ui::Ui;

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The playbook
    #[arg(value_name = "FILE")]
    playbook: PathBuf,
    /// Id of the leaked API key
    #[arg(long, value_name = "KEY_ID")]
    key: String,
    /// Profile in the config file
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Make no call at all, not even reads
    #[arg(long)]
    offline: bool,
    /// A playbook input, `NAME=VALUE` (repeatable)
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
}

/// Runs `plan`.
pub async fn run(args: PlanArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let request = Request {
        config: config.unwrap_or_else(config::default_path),
        profile: args.profile,
        playbook: Some(args.playbook),
        key: KeyId::new(args.key),
        inputs: super::respond::parse_inputs(&args.inputs)?,
        confirm: Confirm::Yes,
        mode: if args.offline {
            Mode::Offline
        } else {
            Mode::DryRun
        },
        otp: None,
        operator: None,
        incident: None,
        rehearsal: None,
        cause: None,
    };
    let outcome = respond(request, ui).await?;
    super::respond::report(&outcome, ui);
    Ok(outcome.exit())
}
