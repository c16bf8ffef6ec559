//! `lockdown schema [playbook|config]`: the JSON Schema of the playbook format or of the config
//! file, on stdout, for editors.
//!
//! Which file is a word, not a `--config` flag: `--config FILE` is the global option that names
//! the config file to read, on every command.

use clap::{Args, ValueEnum};

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

/// The files there is a schema of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// A playbook (`schemas/playbook.schema.json`)
    #[default]
    Playbook,
    /// The config file (`schemas/config.schema.json`)
    Config,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema
    #[arg(value_enum, default_value_t = SchemaOf::Playbook)]
    of: SchemaOf,
}

/// Runs `schema`.
pub fn run(args: SchemaArgs, ui: &Ui) -> Result<Exit, Error> {
    match args.of {
        SchemaOf::Playbook => ui.json(&crate::playbook::schema::schema()),
        SchemaOf::Config => ui.json(&crate::config::schema::schema()),
    }
    Ok(Exit::Ok)
}
