//! `lockdown man [--dir DIR]`: the manual page, generated from the clap definitions
//! (clap_mangen). Without `--dir`, `lockdown(1)` on stdout (`lockdown man | man -l -`); with it,
//! one page per command (`lockdown.1`, `lockdown-respond.1`, ...) written into DIR, for
//! `MANPATH` or packaging.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// Arguments of `man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command into this folder (made if missing) instead of printing
    /// `lockdown(1)`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `lockdown(1)` as roff.
pub fn page() -> Result<String, std::io::Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(super::Cli::command()).render(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Runs `man`.
pub fn run(args: ManArgs, ui: &Ui) -> Result<Exit, Error> {
    match args.dir {
        None => {
            let text = page().map_err(|source| Error::Io {
                what: "render the manual page to",
                path: PathBuf::from("stdout"),
                source,
            })?;
            ui.raw(&text);
        }
        Some(dir) => {
            let io = |what, source| Error::Io {
                what,
                path: dir.clone(),
                source,
            };
            std::fs::create_dir_all(&dir).map_err(|e| io("create", e))?;
            let mut command = super::Cli::command();
            command.build();
            clap_mangen::generate_to(command, &dir)
                .map_err(|e| io("write manual pages into", e))?;
            ui.info(&format!("manual pages written to {}", dir.display()));
        }
    }
    Ok(Exit::Ok)
}
