//! The documented exit codes, in one place.
//!
//! The same table is shown in the README and in `--help`; scripts that call `lockdown` during an
//! incident branch on these numbers, so they never change meaning.

use std::process::ExitCode;

/// How a `lockdown` process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Contained (or, for other commands, the command did what it was asked).
    Ok,
    /// Finished, but containment is incomplete: a step failed under `on_error: continue`, or a
    /// manual step is still pending.
    Incomplete,
    /// Bad input (usage, config, playbook): nothing was sent.
    BadInput,
    /// The exchange refused or could not be reached before containment.
    Exchange,
    /// The journal or another file could not be written; stopped to keep its guarantees.
    Io,
    /// `verify`: the chain holds, but the journal ends without a seal (the run was killed, or
    /// its end was cut off).
    Unsealed,
    /// `verify`: the chain holds and is sealed, but could not be authenticated (no journal key
    /// at hand, or written before journal keys).
    Unauthenticated,
    /// Interrupted by SIGINT (Ctrl-C).
    Interrupted,
    /// Interrupted by SIGTERM (a supervisor, `kill`).
    Terminated,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Incomplete => 1,
            Exit::BadInput => 2,
            Exit::Exchange => 3,
            Exit::Io => 4,
            Exit::Unsealed => 5,
            Exit::Unauthenticated => 6,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

/// The exit-code table as shown in `--help` and the README.
pub const TABLE: &str = "\
Exit codes:
  0    contained (respond) / command succeeded
  1    finished, but containment incomplete (a step failed under `continue`, or a manual step is pending)
  2    bad input (usage, config, playbook): nothing was sent
  3    the exchange refused or was unreachable before containment
  4    journal or I/O failure: stopped to keep its guarantees (verify: the journal was changed)
  5    verify: the journal ends without a seal (interrupted or truncated)
  6    verify: the journal could not be authenticated (no journal key, or written before keys)
  130  interrupted (Ctrl-C, SIGINT), journaled; `resume` goes on
  143  terminated (SIGTERM), journaled; `resume` goes on";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_every_code() {
        for exit in [
            Exit::Ok,
            Exit::Incomplete,
            Exit::BadInput,
            Exit::Exchange,
            Exit::Io,
            Exit::Unsealed,
            Exit::Unauthenticated,
            Exit::Interrupted,
            Exit::Terminated,
        ] {
            let code = exit.code().to_string();
            assert!(
                TABLE
                    .lines()
                    .any(|line| line.trim_start().starts_with(&code)),
                "exit code {code} missing from the table"
            );
        }
    }
}
