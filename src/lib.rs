//! lockdown contains a leaked crypto-exchange API key in seconds.
//!
//! `lockdown respond` runs a playbook against the live exchange through the master credential:
//! lock the key to the responder, keep the evidence, cancel the open orders, single out the
//! orders the owner did not place, revoke the key, create and store a restricted replacement,
//! and write a report exchange support can act on. Every step is journaled, hash-chained and
//! synced before the next one starts. `lockdown sim` is the exchange simulator the tests and
//! drills stand on.
//!
//! Layout (docs/architecture.md §4): `cli` parses, `config` + `playbook` load and validate,
//! `engine` runs `actions`, which reach the exchange only through `exchanges::client`; `journal`
//! records, `report` renders; `ui` is the only module that prints.

pub mod actions;
pub mod audit;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod drill;
pub mod engine;
pub mod error;
pub mod exchanges;
pub mod exit;
pub mod incident;
pub mod interrupt;
pub mod journal;
pub mod key_seen;
pub mod ledger_import;
pub mod limits;
pub mod notify;
pub mod percent;
pub mod playbook;
pub mod private;
pub mod report;
pub mod respond;
pub mod rotate;
pub mod scan;
pub mod schedule;
pub mod secret;
pub mod secrets;
pub mod sim;
pub mod source;
pub mod template;
pub mod ui;
pub mod venues;
pub mod watch;
pub mod whoami;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::exit::Exit;
use crate::ui::Ui;

/// Runs the command line and returns the documented exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let raw: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match cli::Cli::try_parse_from(raw.iter().cloned()) {
        Ok(cli) => cli,
        Err(err) => {
            // `--json` anywhere asks for the error as JSON too (the parse that failed could not
            // say so).
            let json = args_json(&raw);
            let format = if json {
                ui::Format::Json
            } else {
                ui::Format::Human
            };
            return Ui::new(ui::Verbosity::Normal, false)
                .with_format(format)
                .clap_error(&err)
                .into();
        }
    };
    let ui = Ui::new(cli.verbosity(), cli.no_color).with_format(cli.format());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            ui.warn(&format!("cannot start the async runtime: {err}"));
            return Exit::Io.into();
        }
    };
    // On the heap, not the main thread's stack: a command's future holds every step's (the
    // watcher's lock run inside `drill --watch` overflowed the stack of a debug build).
    match runtime.block_on(Box::pin(cli::dispatch(cli, &ui))) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let exit = err.exit();
            ui.error_with_exit(&err, Some(exit.code()));
            exit.into()
        }
    }
}

/// Whether the command line asks for `--json` (before `--`, as clap reads it).
fn args_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}
