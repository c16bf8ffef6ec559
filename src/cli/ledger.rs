//! `lockdown ledger`: get the owner's known-orders ledger out of a bot (`import`), and see
//! what a ledger holds before a response relies on it (`check`).
//!
//! `import` reads a bot's database or export and writes lockdown's JSON Lines ledger; the
//! ledger goes to stdout unless `--out FILE` names a file, which is created owner-only and never
//! overwritten unless `--append` or `--force` says so. People's messages (the counts, skipped
//! rows, orders left out) go to stderr.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::actions::ledger::Ledger;
use crate::error::Error;
use crate::exchanges::model::Category;
use crate::exit::Exit;
use crate::ledger_import::check::{self, Summary};
use crate::ledger_import::draft::{PAPER, Rules};
use crate::ledger_import::number::Comma;
use crate::ledger_import::output::{self, Existing, WriteError};
use crate::ledger_import::symbol::Style;
use crate::ledger_import::{
    self, Format, ImportError, Imported, OnBad, Src, TextOptions, field, parse_delimiter,
};
use crate::ui::{Format as OutFormat, Ui};
use crate::venues::ExchangeId;

/// How many skipped rows are shown one by one; the rest are counted.
const SHOWN_SKIPPED: usize = 5;

/// Arguments of `ledger`.
#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// What to do with a ledger.
    #[command(subcommand)]
    command: LedgerCommand,
}

/// The `ledger` subcommands.
#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Write lockdown's ledger from a bot's database or export (freqtrade, Hummingbot, CCXT
    /// JSON, CSV).
    Import(ImportArgs),
    /// Read a ledger as a response would; print what it holds, or its first problem.
    Check(CheckArgs),
}

/// Arguments of `ledger import`.
#[derive(Debug, Args)]
struct ImportArgs {
    /// What the source is
    #[arg(long, value_enum, value_name = "FORMAT")]
    from: Format,
    /// The bot's database or export (`-`: stdin, for ccxt and csv)
    #[arg(value_name = "SRC")]
    src: PathBuf,
    /// Where to write the ledger (default and `-`: stdout)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The venue the orders were placed on: symbols are written its way, other venues' orders
    /// are left out
    #[arg(long, value_name = "VENUE", value_parser = ExchangeId::from_arg)]
    venue: Option<ExchangeId>,
    /// The category (spot, linear, inverse, option) of orders whose source does not say
    #[arg(long, value_name = "CATEGORY", value_parser = parse_category)]
    category: Option<Category>,
    /// Add to an existing `--out` file (later lines are the orders' later states)
    #[arg(long, conflicts_with = "force")]
    append: bool,
    /// Replace an existing `--out` file
    #[arg(long)]
    force: bool,
    /// Leave out bad rows (counted, the first few shown) instead of stopping at the first
    #[arg(long)]
    skip_bad: bool,
    /// CSV delimiter: `,` `;` `|` or `tab` (default: sniffed from the header)
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// CSV columns for ledger fields, e.g. `order_id=OrderID,symbol=Pair` (repeatable)
    #[arg(long, value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// CSV numbers use a decimal comma (`0,01`)
    #[arg(long)]
    decimal_comma: bool,
}

/// Arguments of `ledger check`.
#[derive(Debug, Args)]
struct CheckArgs {
    /// The ledger (JSON Lines or CSV)
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

fn parse_category(text: &str) -> Result<Category, String> {
    Category::parse(text)
        .ok_or_else(|| format!("`{text}` is not a category; use spot, linear, inverse or option"))
}

/// Runs `ledger`.
pub fn run(args: LedgerArgs, ui: &Ui) -> Result<Exit, Error> {
    match args.command {
        LedgerCommand::Import(args) => import(args, ui),
        LedgerCommand::Check(args) => check(&args, ui),
    }
}

fn usage(message: impl Into<String>, help: impl Into<String>) -> Error {
    Error::Usage {
        message: message.into(),
        help: Some(help.into()),
    }
}

fn exists(path: &std::path::Path) -> Error {
    usage(
        format!("`{}` exists", path.display()),
        "`--append` adds the imported orders at its end, `--force` replaces it",
    )
}

fn bad(err: ImportError) -> Error {
    Error::Usage {
        message: err.to_string(),
        help: Some(err.hint),
    }
}

fn import(args: ImportArgs, ui: &Ui) -> Result<Exit, Error> {
    let to_stdout = args.out.as_ref().is_none_or(|p| p.as_os_str() == "-");
    if args.from != Format::Csv
        && (!args.map.is_empty() || args.delimiter.is_some() || args.decimal_comma)
    {
        return Err(usage(
            "`--map`, `--delimiter` and `--decimal-comma` are for `--from csv`",
            "databases and CCXT JSON name their fields themselves; leave these flags out",
        ));
    }
    if to_stdout && (args.append || args.force) {
        return Err(usage(
            "`--append` and `--force` need `--out FILE`",
            "name the ledger file with `--out`, or redirect stdout yourself",
        ));
    }
    if to_stdout && ui.format() == OutFormat::Json {
        return Err(usage(
            "`--json` with the ledger on stdout would mix the two",
            "name the ledger file with `--out FILE`; the summary then goes to stdout",
        ));
    }
    if let Some(path) = args.out.as_ref().filter(|_| !to_stdout)
        && !args.append
        && !args.force
        && path.exists()
    {
        // Said before the source is read: the file may be the ledger a response relies on.
        return Err(exists(path));
    }
    let map = field::parse_map(&args.map).map_err(|m| {
        usage(
            m,
            "write `--map FIELD=COLUMN[,FIELD=COLUMN...]` with the column names of the header",
        )
    })?;
    let from_stdin = args.src.as_os_str() == "-";
    let name = if from_stdin {
        "<stdin>".to_owned()
    } else {
        args.src.display().to_string()
    };
    let stdin_text;
    let src = if from_stdin {
        if args.from.is_database() {
            return Err(usage(
                "a database cannot be read from stdin",
                "give the database file's path",
            ));
        }
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| Error::Io {
                what: "read",
                path: PathBuf::from("<stdin>"),
                source,
            })?;
        stdin_text = text;
        Src::Text(&stdin_text)
    } else {
        Src::File(&args.src)
    };
    let rules = Rules {
        venue: args.venue,
        category: args.category,
        comma: if args.decimal_comma {
            Comma::Decimal
        } else {
            Comma::Refused
        },
        style: if args.from == Format::Hummingbot {
            Style::HyphenPair
        } else {
            Style::Raw
        },
    };
    let on_bad = if args.skip_bad {
        OnBad::Skip
    } else {
        OnBad::Stop
    };
    let text_options = TextOptions {
        delimiter: args.delimiter,
        map,
    };
    let imported =
        ledger_import::import(args.from, src, &name, &rules, &text_options, on_bad).map_err(bad)?;
    let text = &imported.text;
    // What the response will read: the diff's own reader must take every line.
    Ledger::parse(&name, text).map_err(|e| {
        usage(
            format!("the ledger written from `{name}` does not read back: {e}"),
            "this is a lockdown bug; please report it with the line named",
        )
    })?;
    tell(&imported, args.venue, ui);
    match &args.out {
        Some(path) if !to_stdout => {
            let existing = if args.append {
                Existing::Append
            } else if args.force {
                Existing::Replace
            } else {
                Existing::Refuse
            };
            output::write(path, text, existing).map_err(|e| match e {
                WriteError::Exists(path) => exists(&path),
                WriteError::Io { path, source } => Error::Io {
                    what: "write the ledger",
                    path,
                    source,
                },
            })?;
            ui.info(&format!(
                "wrote {} ledger lines to {}",
                imported.written,
                path.display()
            ));
            ui.summary(|| {
                json!({
                    "out": path.display().to_string(),
                    "read": imported.read,
                    "written": imported.written,
                    "skipped": imported.skipped.len(),
                    "left_out": imported.left_out,
                })
            });
        }
        _ => {
            if let Some(body) = text.strip_suffix('\n') {
                ui.data(body);
            }
        }
    }
    Ok(Exit::Ok)
}

/// Tells people what the import did: skipped rows (the first few), orders left out, counts.
fn tell(imported: &Imported, venue: Option<ExchangeId>, ui: &Ui) {
    for err in imported.skipped.iter().take(SHOWN_SKIPPED) {
        ui.warn(&format!("skipped {err}"));
    }
    if imported.skipped.len() > SHOWN_SKIPPED {
        ui.warn(&format!(
            "skipped {} more bad rows",
            imported.skipped.len() - SHOWN_SKIPPED
        ));
    }
    for (why, count) in &imported.left_out {
        let because = if why == PAPER {
            format!("{why}, never sent to a venue")
        } else {
            match venue {
                Some(v) if ExchangeId::parse(why).is_some() => {
                    format!("placed on {why}, not on {v}")
                }
                _ => format!("placed on `{why}`, a venue lockdown does not respond on"),
            }
        };
        ui.info(&format!("left out {count} orders: {because}"));
    }
    let left_out: usize = imported.left_out.values().sum();
    let mut counts = format!(
        "read {}, written {}, skipped {}",
        imported.read,
        imported.written,
        imported.skipped.len()
    );
    if left_out > 0 {
        counts.push_str(&format!(", left out {left_out}"));
    }
    ui.info(&counts);
    if imported.written == 0 {
        ui.warn("no order was written: the ledger is empty");
    }
}

fn check(args: &CheckArgs, ui: &Ui) -> Result<Exit, Error> {
    let summary = match check::check(&args.file) {
        Ok(summary) => summary,
        Err(err) => {
            let problem = json!({
                "file": args.file.display().to_string(),
                "ok": false,
                "problem": err.to_string(),
                "hint": err.hint,
            });
            ui.error(&bad(err));
            ui.summary(|| problem);
            return Ok(Exit::BadInput);
        }
    };
    ui.info(&describe(&args.file.display().to_string(), &summary));
    ui.summary(|| {
        json!({
            "file": args.file.display().to_string(),
            "ok": true,
            "lines": summary.lines,
            "orders": summary.orders,
            "with_order_id": summary.with_order_id,
            "client_id_only": summary.client_id_only,
            "statuses": summary.statuses,
            "categories": summary.categories,
            "symbols": summary.symbols,
            "oldest_created_at": summary.created.map(|(lo, _)| crate::clock::rfc3339_ms(lo)),
            "newest_created_at": summary.created.map(|(_, hi)| crate::clock::rfc3339_ms(hi)),
        })
    });
    Ok(Exit::Ok)
}

/// The human summary of a checked ledger.
fn describe(file: &str, s: &Summary) -> String {
    let list = |map: &std::collections::BTreeMap<String, usize>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "{file}: ok, {} lines, {} orders ({} with an order id, {} with a client id only)",
        s.lines, s.orders, s.with_order_id, s.client_id_only
    );
    if !s.statuses.is_empty() {
        text.push_str(&format!("\n  status: {}", list(&s.statuses)));
    }
    if !s.categories.is_empty() {
        text.push_str(&format!("\n  category: {}", list(&s.categories)));
    }
    if !s.symbols.is_empty() {
        text.push_str(&format!("\n  symbol: {}", list(&s.symbols)));
    }
    if let Some((lo, hi)) = s.created {
        text.push_str(&format!(
            "\n  created: {} .. {}",
            crate::clock::rfc3339_ms(lo),
            crate::clock::rfc3339_ms(hi)
        ));
    }
    text
}
