//! `--otp-from`: where `respond` and `resume` read the two-factor code a venue may ask for
//! before a key change (Deribit).
//!
//! Never from argv, which every user of the machine can read (`/proc/PID/cmdline`, `ps`): the
//! code comes from a secret reference (`env:NAME`, `file:PATH`), from one line on stdin (`-`), or
//! from the no-echo prompt the engine shows when the exchange asks and a terminal is attached.
//! `--otp CODE` is still parsed, only to be refused with the replacement: by then the code is on
//! argv, but it is never used, and the refusal says why.

use std::io::{BufRead, IsTerminal, Read};

use clap::Args;

use crate::error::Error;
use crate::secret::SecretString;
use crate::ui::Ui;

/// The longest line read from stdin for `--otp-from -`.
const MAX_LINE: u64 = 1024;

/// Where the two-factor code comes from.
#[derive(Debug, Args)]
pub struct OtpArgs {
    /// Where the current two-factor code is read, for venues that challenge key changes
    /// (Deribit): `env:NAME`, `file:PATH`, or `-` for one line on stdin. Without it, lockdown
    /// asks on the terminal when the exchange asks for a code
    #[arg(long, value_name = "REF")]
    otp_from: Option<String>,
    /// Refused: a code on the command line is readable by every user of this machine
    #[arg(long, value_name = "CODE", hide = true, num_args = 0..=1)]
    otp: Option<Option<String>>,
}

impl OtpArgs {
    /// The code, read now; `None` when none was given (the engine asks when it needs one).
    pub fn read(&self, ui: &Ui) -> Result<Option<SecretString>, Error> {
        if self.otp.is_some() {
            return Err(Error::Usage {
                message: "`--otp` would put the two-factor code on the command line, which every user of this machine can read".into(),
                help: Some(
                    "use `--otp-from env:NAME`, `--otp-from file:PATH` or `--otp-from -` (one line on stdin), or leave it out and type the code at the prompt"
                        .into(),
                ),
            });
        }
        let Some(from) = self.otp_from.as_deref() else {
            return Ok(None);
        };
        let from = from.trim();
        if from == "-" {
            return stdin_code(ui).map(Some);
        }
        if !(from.starts_with("env:") || from.starts_with("file:")) {
            return Err(refused(
                from,
                "is not `env:NAME`, `file:PATH` or `-`".into(),
            ));
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let reference =
            crate::config::SecretRef::parse(from, &cwd).map_err(|err| refused(from, err))?;
        reference
            .resolve()
            .map(Some)
            .map_err(|err| refused(from, err))
    }
}

/// A `--otp-from` that gave no code: what was wrong with it (never a value).
fn refused(from: &str, why: String) -> Error {
    Error::Usage {
        message: format!("`--otp-from {from}`: {why}"),
        help: Some(
            "name where the current two-factor code is: `env:NAME`, `file:PATH` (mode 0600), or `-` for one line on stdin"
                .into(),
        ),
    }
}

/// One line of stdin: typed at the no-echo prompt when stdin is a terminal, else piped.
fn stdin_code(ui: &Ui) -> Result<SecretString, Error> {
    if std::io::stdin().is_terminal() {
        return ui
            .code("two-factor code")
            .map_err(|err| refused("-", err.to_string()));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_LINE)
        .read_line(&mut line)
        .map_err(|err| refused("-", format!("cannot read stdin: {err}")))?;
    let code = line.trim();
    if code.is_empty() {
        return Err(refused("-", "stdin gave no code".into()));
    }
    Ok(SecretString::from(code.to_owned()))
}
