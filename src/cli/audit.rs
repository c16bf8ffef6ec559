//! `lockdown audit`: every API key the master can see, with findings; read-only; the exit says
//! how bad the worst one is.

use std::path::PathBuf;

use clap::Args;

use crate::audit::{self, AuditOptions, show};
use crate::config;
use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// What `audit`'s exit codes mean (its `--help`).
pub const EXITS: &str = crate::exit::AUDIT_TABLE;

/// Arguments of `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A profile to audit (repeatable; default: every profile in the config)
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
    /// Keys older than this many days are due for rotation
    #[arg(long, value_name = "N", default_value_t = audit::DEFAULT_MAX_AGE_DAYS)]
    max_age_days: u32,
}

/// Runs `audit`: the table and findings for people on stderr, `--json` on stdout; exit 0 clean,
/// 1 when the worst finding is a warning, 2 when one is critical.
pub async fn run(args: AuditArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let options = AuditOptions {
        config: config.unwrap_or_else(config::default_path),
        profiles: args.profiles,
        max_age_days: args.max_age_days,
    };
    let audit = audit::run(&options).await?;
    for line in show::human(&audit) {
        ui.info(&line);
    }
    ui.summary(|| show::json(&audit));
    Ok(audit.exit())
}
