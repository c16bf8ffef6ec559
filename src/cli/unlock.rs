//! `lockdown unlock`: undo a watcher's lock (a false alarm) in one command.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// Arguments of `unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The lock's run folder, as the watcher named it (`<state_dir>/runs/<utc>-<id>`)
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
    /// Do not ask before binding the key to its addresses again
    #[arg(long)]
    yes: bool,
}

/// Runs `unlock`: the key is bound to its list from before the lock (never to every address).
pub async fn run(args: UnlockArgs, ui: &Ui) -> Result<Exit, Error> {
    let unlocked = crate::watch::unlock(&args.run_dir, args.yes, ui).await?;
    ui.summary(|| json!(unlocked));
    ui.info(&format!(
        "unlocked key {}: the exchange now lists {} ({})",
        unlocked.key,
        unlocked.exchange_ips.join(", "),
        unlocked.restored.source
    ));
    Ok(Exit::Ok)
}
