//! `lockdown scan PATH…`: exchange credentials in files and git history, each asked of the
//! exchange (read-only) for whether its key is still live. Exit codes fit a pre-commit hook.

use std::path::PathBuf;

use clap::Args;

use crate::config;
use crate::error::Error;
use crate::exit::Exit;
use crate::scan::{self, BaselineUse, History, Ignores, ScanOptions, show};
use crate::ui::Ui;

/// What `scan`'s exit codes mean (its `--help`).
pub const EXITS: &str = "\
Exit codes:
  0  nothing found (or only findings the baseline accepts)
  1  findings, none of them a live key's secret
  2  a live key's secret or passphrase was found (contain it: the `respond` command is printed),
     or bad input (a path that does not exist, a config or baseline that does not parse)";

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to scan
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Also read every commit's files (deleted ones included); each PATH must be a repository's
    /// top folder
    #[arg(long)]
    git: bool,
    /// Read files that `.gitignore` and `.ignore` hide too
    #[arg(long)]
    no_ignore: bool,
    /// Findings accepted earlier (by fingerprint: path and line, hashed) stay silent
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write every current finding to the `--baseline` file, and exit 0
    #[arg(long, requires = "baseline")]
    write_baseline: bool,
    /// A profile whose keys are matched and asked about (repeatable; default: every profile
    /// of the config, when there is one)
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
}

/// Runs `scan`: findings for people on stderr, `--json` on stdout; exit 0 / 1 / 2.
pub async fn run(args: ScanArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let config_named = config.is_some();
    let options = ScanOptions {
        paths: args.paths,
        history: if args.git {
            History::Git
        } else {
            History::FilesOnly
        },
        ignores: if args.no_ignore {
            Ignores::Disregard
        } else {
            Ignores::Respect
        },
        baseline: match (args.baseline, args.write_baseline) {
            (Some(path), true) => BaselineUse::Write(path),
            (Some(path), false) => BaselineUse::Filter(path),
            (None, _) => BaselineUse::None,
        },
        config: config.unwrap_or_else(config::default_path),
        config_named,
        profiles: args.profiles,
    };
    let scanned = scan::run(&options, ui).await?;
    for line in show::human(&scanned) {
        ui.info(&line);
    }
    ui.summary(|| show::json(&scanned));
    Ok(scanned.exit())
}
