//! `lockdown ledger import`: the owner's ledger of known orders, written from what real bots
//! keep: freqtrade's and Hummingbot's SQLite databases, CCXT's unified orders as JSON, and CSV
//! with any delimiter.
//!
//! The diff can only tell the attacker's orders from the bot's if the ledger names the bot's
//! orders the way the venue does, so every source goes through one conversion (`draft.rs`):
//! ids kept, market names made the venue's own (`symbol.rs`), statuses mapped to the ledger's
//! six (`status.rs`), numbers written as plain decimals (`number.rs`), times as RFC 3339 UTC
//! (`when.rs`). A bad row stops the import with its file, line or row, and column, unless
//! `--skip-bad` counts it and goes on. What is written is read back with the diff's own ledger
//! reader before anything reaches the output, so an import never leaves a ledger the response
//! cannot read. Reading never touches the bot's files: databases are opened read-only.

mod ccxt;
pub mod check;
mod delimited;
pub mod draft;
pub mod error;
pub mod field;
mod freqtrade;
mod hummingbot;
pub mod line;
pub mod number;
pub mod output;
mod sqlite;
pub mod status;
pub mod symbol;
pub mod when;

use std::collections::BTreeMap;
use std::path::Path;

use clap::ValueEnum;

pub use delimited::parse_delimiter;
use draft::{Built, Draft, Rules};
pub use error::ImportError;
use field::Mapping;
pub use line::LedgerLine;

/// The sources `ledger import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// freqtrade's SQLite database (`tradesv3.sqlite`): its `orders` table.
    Freqtrade,
    /// Hummingbot's SQLite database (`data/<config>.sqlite`): its `Order` table.
    Hummingbot,
    /// CCXT's unified orders (`fetchOrders` and kin) as a JSON array or JSON Lines.
    Ccxt,
    /// CSV with a header row and any delimiter.
    Csv,
}

impl Format {
    /// Whether the source is a database file (never stdin).
    pub fn is_database(self) -> bool {
        matches!(self, Format::Freqtrade | Format::Hummingbot)
    }
}

/// How to read a text source.
#[derive(Debug, Clone, Default)]
pub struct TextOptions {
    /// `--delimiter`; sniffed when `None`.
    pub delimiter: Option<u8>,
    /// `--map` pairs.
    pub map: Vec<Mapping>,
}

/// Where the source is: a file, or text already read (stdin) with the name it is reported under.
#[derive(Debug, Clone, Copy)]
pub enum Src<'a> {
    /// A file.
    File(&'a Path),
    /// Text read from stdin.
    Text(&'a str),
}

/// What happens to a bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBad {
    /// The import stops with its error.
    Stop,
    /// The row is counted and left out.
    Skip,
}

/// What an import produced.
#[derive(Debug, Default)]
pub struct Imported {
    /// The ledger text: one JSON line per order, in source order, each ending in a newline
    /// (built as rows are read: a million orders are never held twice).
    pub text: String,
    /// Lines written.
    pub written: usize,
    /// Rows read.
    pub read: usize,
    /// Rows skipped as bad (with `--skip-bad`), each with its error.
    pub skipped: Vec<ImportError>,
    /// Rows left out, by why: another venue's name, or paper trading.
    pub left_out: BTreeMap<String, usize>,
}

impl Imported {
    /// The ledger's lines, without their newlines.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.lines()
    }
}

/// Reads `src` in `format` and converts every order.
pub fn import(
    format: Format,
    src: Src<'_>,
    name: &str,
    rules: &Rules,
    text_options: &TextOptions,
    on_bad: OnBad,
) -> Result<Imported, ImportError> {
    let mut imported = Imported::default();
    let mut each = |draft: Result<Draft, ImportError>| -> Result<(), ImportError> {
        imported.read += 1;
        match draft.and_then(|d| d.build(rules)) {
            Ok(Built::Line(line)) => {
                imported.text.push_str(&line.to_json());
                imported.text.push('\n');
                imported.written += 1;
            }
            Ok(Built::LeftOut(why)) => *imported.left_out.entry(why).or_default() += 1,
            Err(err) if on_bad == OnBad::Skip => imported.skipped.push(err),
            Err(err) => return Err(err),
        }
        Ok(())
    };
    let read_text = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| {
            ImportError::file(
                name,
                format!("cannot read: {e}"),
                "give the path of a readable UTF-8 text file, or `-` for stdin",
            )
        })
    };
    match (format, src) {
        (Format::Freqtrade, Src::File(path)) => freqtrade::read(path, name, &mut each)?,
        (Format::Hummingbot, Src::File(path)) => hummingbot::read(path, name, &mut each)?,
        (Format::Freqtrade | Format::Hummingbot, Src::Text(_)) => {
            return Err(ImportError::file(
                name,
                "a database cannot be read from stdin",
                "give the database file's path",
            ));
        }
        (Format::Ccxt, src) => {
            let owned;
            let text = match src {
                Src::File(path) => {
                    owned = read_text(path)?;
                    owned.as_str()
                }
                Src::Text(text) => text,
            };
            ccxt::read(name, text, rules.venue, &mut each)?;
        }
        (Format::Csv, src) => {
            let owned;
            let text = match src {
                Src::File(path) => {
                    owned = read_text(path)?;
                    owned.as_str()
                }
                Src::Text(text) => text,
            };
            delimited::read(
                name,
                text,
                text_options.delimiter,
                &text_options.map,
                &mut each,
            )?;
        }
    }
    Ok(imported)
}
