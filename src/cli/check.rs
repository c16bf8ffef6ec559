//! `lockdown check`: is each profile ready for an incident? Read-only; the exit says how ready.

use std::path::PathBuf;

use clap::Args;

use crate::check::{self, CheckOptions, show};
use crate::config;
use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// What `check`'s exit codes mean (its `--help`).
pub const EXITS: &str = "\
Exit codes:
  0  ready: every check passed
  1  ready, with warnings (the worst finding is a warning)
  2  not ready (a finding is critical), or the config file does not parse";

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A profile to check (repeatable; default: every profile in the config)
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
}

/// Runs `check`: the findings for people on stderr, `--json` on stdout; exit 0 ready, 1 when
/// the worst finding is a warning, 2 when one is critical.
pub async fn run(args: CheckArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let options = CheckOptions {
        config: config.unwrap_or_else(config::default_path),
        profiles: args.profiles,
    };
    let readiness = check::run(&options, ui).await?;
    for line in show::human(&readiness) {
        ui.info(&line);
    }
    ui.summary(|| show::json(&readiness));
    // Critical findings go out as `check_not_ready` (marked when the profile regressed),
    // warnings alone as `check_warnings`, to the routes that name them.
    for profile in &readiness.profiles {
        let of = |severity: check::Severity| -> Vec<String> {
            readiness
                .of(&profile.name)
                .filter(|f| f.severity == severity)
                .map(|f| format!("{}: {}", f.check, f.message))
                .collect()
        };
        let (critical, warnings) = (of(check::Severity::Critical), of(check::Severity::Warning));
        let told = crate::notify::events::check(
            &profile.name,
            &critical,
            &warnings,
            profile.regressed.as_deref(),
        );
        if let Some(message) = told {
            crate::notify::events::send_and_wait(Some(&options.config), message, None, ui).await;
        }
    }
    Ok(readiness.exit())
}
