//! `lockdown verify`: check a run's journal chain; name the first bad line.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exit::Exit;
use crate::journal;
use crate::ui::Ui;

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A run folder, or a `journal.jsonl`
    #[arg(value_name = "RUN_DIR")]
    run: PathBuf,
}

/// The journal file a run argument names.
pub fn journal_path(run: &Path) -> PathBuf {
    if run.is_dir() {
        run.join(journal::FILE_NAME)
    } else {
        run.to_owned()
    }
}

/// Runs `verify`: exit 0 when the chain holds, 4 with the first bad line otherwise.
pub fn run(args: VerifyArgs, json: bool, ui: &Ui) -> Result<Exit, Error> {
    let path = journal_path(&args.run);
    let verified = journal::verify(&path)?;
    if json {
        ui.json(&json!({
            "journal": path.display().to_string(),
            "ok": true,
            "events": verified.events.len(),
            "head": verified.head,
            "torn_lines": verified.torn,
        }));
    }
    ui.info(&format!(
        "{}: ok, {} events, last hash {}",
        path.display(),
        verified.events.len(),
        verified.head
    ));
    for line in &verified.torn {
        ui.warn(&format!(
            "line {line} was cut short by a crash while it was written; it is kept and not part of the chain"
        ));
    }
    Ok(Exit::Ok)
}
