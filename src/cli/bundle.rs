//! `lockdown bundle RUN_DIR [-o FILE]`: a run folder as one evidence file for support.
//!
//! The bundle is written and then opened again and checked against its manifest before the
//! command says it is done, so what is handed over is known to read back.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// Arguments of `bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The run folder (printed when the run ended)
    #[arg(value_name = "RUN_DIR")]
    run_dir: PathBuf,
    /// Where to write it (default: `<run folder name>.tar.gz` in the current folder)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `bundle`.
pub fn run(args: BundleArgs, ui: &Ui) -> Result<Exit, Error> {
    let run_dir = args.run_dir.clone();
    let out = args.output.unwrap_or_else(|| {
        let name = run_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "run".to_owned());
        PathBuf::from(format!("{name}.tar.gz"))
    });
    let manifest = crate::bundle::write(&run_dir, &out)?;
    // Read back what was written before saying it is done.
    let opened = crate::bundle::open(&out)?;
    drop(opened);
    ui.info(&format!(
        "wrote {} ({} files and {}); check it with `lockdown verify {}`",
        out.display(),
        manifest.files.len(),
        crate::bundle::MANIFEST,
        out.display()
    ));
    ui.summary(|| {
        json!({
            "bundle": out.display().to_string(),
            "files": manifest.files.iter().map(|(p, h)| json!({"path": p, "sha256": h})).collect::<Vec<_>>(),
        })
    });
    Ok(Exit::Ok)
}
