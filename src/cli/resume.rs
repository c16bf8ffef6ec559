//! `lockdown resume`: finish an interrupted run from its journal.

use std::path::PathBuf;

use clap::Args;

use crate::engine::Confirm;
use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// Arguments of `resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run folder (`<state_dir>/runs/<utc>-<id>`)
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
    /// Accept every confirmation without asking (each is journaled as `--yes`)
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    otp: super::otp::OtpArgs,
}

/// Runs `resume`: the same summary and exit codes as `respond`.
pub async fn run(args: ResumeArgs, ui: &Ui) -> Result<Exit, Error> {
    let confirm = if args.yes { Confirm::Yes } else { Confirm::Ask };
    let otp = args.otp.read(ui)?;
    let outcome = crate::respond::resume(&args.run_dir, confirm, otp, ui).await?;
    if crate::playbook::is_rotation(&outcome.playbook) {
        super::rotate::report(&outcome, ui);
    } else {
        super::respond::report(&outcome, ui);
    }
    Ok(outcome.exit())
}
