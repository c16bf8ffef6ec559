//! `lockdown rotate`: a planned rotation of one key (`crate::rotate`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config;
use crate::engine::{Confirm, Outcome, StepStatus};
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;
use crate::rotate::{LeftAlone, Rotated, Rotation, rotate};
use crate::secret::KeyId;
use crate::ui::Ui;

/// What `rotate`'s exit codes mean (its `--help`).
pub const EXITS: &str = "\
Exit codes:
  0    rotated: the new key is stored and handed over, the old one revoked and refused
       (or, with --min-age, the key is younger: nothing to do; or a dry run planned it all)
  1    not finished: a step failed or waits for a person; the old key still works unless the
       run says it was revoked (`lockdown resume RUN_DIR` goes on)
  2    bad input (flags, config, playbook, a flag that would widen the key): nothing was sent
  3    the exchange refused or could not be reached before anything changed
  4    the journal or a file could not be written
  7    another lockdown process is working on this key
  130  interrupted (SIGINT), 143 terminated (SIGTERM): `lockdown resume RUN_DIR` goes on";

/// Arguments of `rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// Id of the key to rotate (the id only; its secret comes from the profile)
    #[arg(long, value_name = "KEY_ID")]
    key: String,
    /// Profile in the config file (default: the only one, or `default`)
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// A rotation playbook file (default: the one shipped for the profile's exchange)
    #[arg(long, value_name = "FILE")]
    playbook: Option<PathBuf>,
    /// Give the new key only these trading rights (comma-separated `spot_trade`,
    /// `contract_trade`, `options_trade`); each must be one the old key has
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    tighter_permissions: Vec<String>,
    /// Bind the new key to only these addresses (comma-separated); each must be on the old
    /// key's list
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    tighter_ips: Vec<String>,
    /// How long to wait for the bot to be seen using the new key before the old one is
    /// revoked (default: the playbook's, 10m)
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    grace: Option<Duration>,
    /// Rotate only a key at least this old (`90d`); a younger one is left alone, exit 0
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    min_age: Option<Duration>,
    /// Accept every confirmation without asking (each is journaled as `--yes`)
    #[arg(long)]
    yes: bool,
    /// Run the real reads and show (and journal) every mutating request instead of sending it
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    otp: super::otp::OtpArgs,
}

fn duration(text: &str) -> Result<Duration, String> {
    crate::clock::parse_duration(text)
}

/// Runs `rotate`: the summary for people on stderr, `--json` on stdout (the same summary as
/// `respond`'s, or `{"rotated": false, …}` for a key younger than `--min-age`).
pub async fn run(args: RotateArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let rotation = Rotation {
        config: config.unwrap_or_else(config::default_path),
        profile: args.profile,
        key: KeyId::new(args.key),
        playbook: args.playbook,
        permissions: args.tighter_permissions,
        ips: args.tighter_ips,
        grace: args.grace,
        min_age: args.min_age,
        confirm: if args.yes { Confirm::Yes } else { Confirm::Ask },
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Live
        },
        otp: args.otp.read(ui)?,
        operator: None,
    };
    let key = rotation.key.masked();
    match rotate(rotation, ui).await? {
        Rotated::TooYoung(age) => {
            ui.summary(|| {
                serde_json::to_value(LeftAlone {
                    rotated: false,
                    key,
                    age: &age,
                })
                .unwrap_or_default()
            });
            Ok(Exit::Ok)
        }
        Rotated::Ran(outcome) => {
            report(&outcome, ui);
            Ok(outcome.exit())
        }
    }
}

/// Shows a rotation's outcome: the summary JSON on stdout (as `respond`'s), and for people
/// whether the old key is gone, where the run is, and what is left.
pub fn report(outcome: &Outcome, ui: &Ui) {
    ui.summary(|| outcome.summary());
    let revoked = outcome
        .steps
        .iter()
        .any(|s| s.action == "verify_revoked" && s.status == StepStatus::Ok);
    let line = match (outcome.mode, revoked) {
        (Mode::Live, true) => "rotated: the new key is in place, the old one revoked and refused",
        (Mode::Live, false) => "NOT rotated to the end: the old key is not proven revoked",
        (_, _) => "dry run: nothing was changed at the exchange",
    };
    ui.info(&format!("{line}; finished in {} ms", outcome.duration_ms));
    if let Some(path) = outcome.report().get("markdown").and_then(|v| v.as_str()) {
        ui.info(&format!("report: {path}"));
    }
    ui.info(&format!("run folder: {}", outcome.run_dir));
    ui.info(&format!(
        "journal head: event {} hash {}",
        outcome.journal_seq, outcome.journal_hash
    ));
    if let Some(err) = &outcome.journal_error {
        ui.warn(&format!("the journal failed, the run stopped: {err}"));
    }
    if !outcome.left.is_empty() {
        ui.warn("left to do:");
        for todo in &outcome.left {
            ui.info(&format!("  - {}\n    how: {}", todo.what, todo.how));
        }
    }
    if outcome.exit() != Exit::Ok {
        ui.warn(&format!(
            "the rotation is not finished (exit {}): `lockdown resume {}` goes on",
            outcome.exit().code(),
            outcome.run_dir
        ));
    }
}
