//! `lockdown report`: render a run's report again from its journal.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exit::Exit;
use crate::report::{self, Format};
use crate::ui::Ui;

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run folder
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
}

/// Runs `report`: writes `report.md`, `report.json` and `report.html` in the run folder. A journal whose
/// `mac`s do not hold under the state dir's key is refused like a broken chain; one that cannot
/// be checked, or has no seal, is rendered with a warning (`lockdown verify` says more).
pub fn run(args: ReportArgs, ui: &Ui) -> Result<Exit, Error> {
    let journal = super::verify::journal_path(&args.run_dir);
    let (key, _) = super::verify::find_key(&journal, None)?;
    let checked = crate::journal::verify_with_key(&journal, key.as_ref())?;
    if !matches!(
        checked.authenticity,
        crate::journal::Authenticity::Authenticated { .. }
    ) {
        ui.warn("the journal could not be authenticated: see `lockdown verify`");
    }
    if !matches!(checked.seal, crate::journal::Seal::Sealed { .. }) {
        ui.warn(
            "the journal ends without a seal (interrupted or truncated): see `lockdown verify`",
        );
    }
    let written = report::write(
        &args.run_dir,
        &[Format::Markdown, Format::Json, Format::Html],
    )
    .map_err(|err| match err {
        report::ReportError::Journal(err) => Error::Verify(err),
        report::ReportError::Write { path, source } => Error::Io {
            what: "write",
            path,
            source,
        },
    })?;
    ui.summary(|| {
        json!({
            "files": written.files.iter().map(|(f, p)| (f.as_str(), p.display().to_string())).collect::<std::collections::BTreeMap<_, _>>(),
            "journal": { "seq": written.seq, "hash": written.hash },
        })
    });
    for (_, path) in &written.files {
        ui.info(&format!("wrote {}", path.display()));
    }
    Ok(Exit::Ok)
}
