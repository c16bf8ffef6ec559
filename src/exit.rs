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
    /// `respond`: another lockdown process is responding to the key (its lock file is held);
    /// nothing was sent for it.
    Busy,
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
            Exit::Busy => 7,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }
}

impl Exit {
    /// How far from contained a key was left, for the worst of several keys' codes (`respond`
    /// with several keys ends with the code of the key that got least far): interrupted or
    /// terminated, then I/O, exchange, bad input, busy (another process has the key), incomplete,
    /// contained. `verify`'s own codes never come out of a response and rank with incomplete.
    pub fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Incomplete | Exit::Unsealed | Exit::Unauthenticated => 1,
            Exit::Busy => 2,
            Exit::BadInput => 3,
            Exit::Exchange => 4,
            Exit::Io => 5,
            Exit::Interrupted | Exit::Terminated => 6,
        }
    }

    /// The worst of `exits` by [`Exit::severity`] (`Ok` for none).
    pub fn worst(exits: impl IntoIterator<Item = Exit>) -> Exit {
        exits
            .into_iter()
            .max_by_key(|exit| exit.severity())
            .unwrap_or(Exit::Ok)
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
  7    respond: another lockdown process is responding to the key (its lock file names its run)
  130  interrupted (Ctrl-C, SIGINT), journaled; `resume` goes on
  143  terminated (SIGTERM), journaled; `resume` goes on";

/// `audit`'s exit codes: `check`'s convention (its 1 and 2 are per command, as `check`'s are),
/// so that a schedule or CI treats both alike; a config that does not load is 2 as well, since
/// either way nothing may pass.
pub const AUDIT_TABLE: &str = "\
Exit codes:
  0  clean: no finding about any key seen
  1  warnings only (old, expiring or unknown keys, unused products, something not seen)
  2  critical (a key can withdraw or transfer, a trading key or the master has no IP list, an
     unknown key can move money), or the config does not load";

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
            Exit::Busy,
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

    #[test]
    fn the_worst_of_several_keys_is_the_one_least_far() {
        let cases = [
            ("none", vec![], Exit::Ok),
            ("all contained", vec![Exit::Ok, Exit::Ok], Exit::Ok),
            (
                "one incomplete",
                vec![Exit::Ok, Exit::Incomplete],
                Exit::Incomplete,
            ),
            (
                "busy over incomplete",
                vec![Exit::Incomplete, Exit::Busy],
                Exit::Busy,
            ),
            (
                "exchange over busy",
                vec![Exit::Busy, Exit::Exchange],
                Exit::Exchange,
            ),
            ("io over exchange", vec![Exit::Exchange, Exit::Io], Exit::Io),
            (
                "interrupted over all",
                vec![Exit::Io, Exit::Interrupted],
                Exit::Interrupted,
            ),
        ];
        for (label, exits, worst) in cases {
            assert_eq!(Exit::worst(exits), worst, "{label}");
        }
    }
}
