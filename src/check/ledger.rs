//! Is the known-orders ledger there, readable, and still written? Without one the diff cannot
//! tell the owner's orders from the attacker's; a garbled one makes every order unverified; one
//! whose newest entry is days old belongs to a bot that stopped writing it, and the orders since
//! look like the attacker's. The file is read by the diff's own reader
//! ([`crate::actions::ledger::Ledger`]), as `lockdown ledger check` reads it, so a ledger that
//! passes here is one the response can use.

use super::Finding;
use crate::actions::ledger::{Ledger, LedgerError};
use crate::config::Profile;

/// Checks the profile's ledger at `now_ms` (Unix ms, this machine's clock).
pub(super) fn check(profile: &Profile, now_ms: i64) -> Vec<Finding> {
    let name = profile.name.as_str();
    let Some(path) = &profile.known_orders else {
        return vec![Finding::warning(
            name,
            "ledger.exists",
            "no `known_orders` ledger: the diff cannot tell the owner's orders from the attacker's",
            "set `known_orders:` to the bot's ledger; `lockdown ledger import` writes one from freqtrade, Hummingbot, CCXT or CSV",
        )];
    };
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            return vec![Finding::critical(
                name,
                "ledger.exists",
                format!("the ledger `{shown}` is not a file"),
                "point `known_orders:` at the bot's ledger file",
            )];
        }
        Err(err) => {
            return vec![Finding::critical(
                name,
                "ledger.exists",
                format!("the ledger `{shown}` cannot be read: {err}"),
                "point `known_orders:` at the bot's ledger file, or write it with `lockdown ledger import`",
            )];
        }
    }
    let mut findings = vec![Finding::ok(
        name,
        "ledger.exists",
        format!("`{shown}` exists"),
    )];
    let ledger = match Ledger::load(path) {
        Ok(ledger) => ledger,
        Err(err) => {
            findings.push(Finding::critical(
                name,
                "ledger.parse",
                format!("the ledger does not read: {}", located(&err)),
                format!(
                    "fix that line (or import the bot's orders again with `lockdown ledger import`); `lockdown ledger check {shown}` shows what it holds"
                ),
            ));
            return findings;
        }
    };
    findings.push(Finding::ok(
        name,
        "ledger.parse",
        format!("reads: {} orders", ledger.len()),
    ));
    findings.push(fresh(profile, &ledger, now_ms));
    findings
}

/// Whether the ledger's newest entry (`created_at` or `updated_at`) is recent enough.
fn fresh(profile: &Profile, ledger: &Ledger, now_ms: i64) -> Finding {
    let name = profile.name.as_str();
    let limit = age(i64::try_from(profile.ledger_max_age.as_millis()).unwrap_or(i64::MAX));
    let newest = ledger
        .iter()
        .flat_map(|k| [k.created_ms, k.updated_ms])
        .flatten()
        .max();
    let Some(newest) = newest else {
        return Finding::warning(
            name,
            "ledger.stale",
            "no entry says when it was written (`created_at`, `updated_at`): whether the bot still writes the ledger cannot be told",
            "have the bot write `created_at` (and `updated_at` on changes) on every line",
        );
    };
    let age_ms = now_ms.saturating_sub(newest);
    let max_ms = i64::try_from(profile.ledger_max_age.as_millis()).unwrap_or(i64::MAX);
    let at = crate::clock::rfc3339_ms(newest);
    if age_ms <= max_ms {
        return Finding::ok(
            name,
            "ledger.stale",
            format!(
                "newest entry {} old ({at}), within `ledger_max_age` ({limit})",
                age(age_ms)
            ),
        );
    }
    Finding::warning(
        name,
        "ledger.stale",
        format!(
            "newest entry is {} old ({at}), more than `ledger_max_age` ({limit}): has the bot stopped writing it?",
            age(age_ms)
        ),
        "check that the bot still writes the ledger (or import it again with `lockdown ledger import`); raise `ledger_max_age` for a bot that trades rarely",
    )
}

/// `file:line:col: message` where the reader's message names a column inside the line (a JSON
/// syntax error), else `file:line: message`.
fn located(err: &LedgerError) -> String {
    if err.line == 0 {
        return format!("{}: {}", err.file, err.message);
    }
    if let Some((message, at)) = err.message.rsplit_once(" at line ")
        && let Some((_, column)) = at.split_once(" column ")
        && column.parse::<u64>().is_ok()
    {
        return format!("{}:{}:{column}: {message}", err.file, err.line);
    }
    format!("{}:{}: {}", err.file, err.line, err.message)
}

/// An age for people, in its largest unit and the next one (`3d 4h`, `5h`, `42s`).
fn age(ms: i64) -> String {
    let secs = u64::try_from(ms / 1000).unwrap_or(0);
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let first = units
        .iter()
        .position(|(size, _)| secs >= *size)
        .unwrap_or(units.len() - 1);
    let (size, unit) = units[first];
    let mut text = format!("{}{unit}", secs / size);
    if let Some((next, next_unit)) = units.get(first + 1) {
        let rest = secs % size / next;
        if rest > 0 {
            text.push_str(&format!(" {rest}{next_unit}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_two_units() {
        for (label, ms, want) in [
            ("seconds", 42_000, "42s"),
            ("zero", 0, "0s"),
            ("minutes", 61_000, "1m 1s"),
            ("hours", 5 * 3_600_000 + 12 * 60_000 + 5_000, "5h 12m"),
            ("days", 3 * 86_400_000 + 4 * 3_600_000 + 1_000, "3d 4h"),
            ("exact day", 86_400_000, "1d"),
            ("no minutes", 5 * 3_600_000 + 51_000, "5h"),
        ] {
            assert_eq!(age(ms), want, "{label}");
        }
    }

    #[test]
    fn a_json_error_is_located_by_line_and_column() {
        let err = LedgerError {
            file: "known.jsonl".into(),
            line: 3,
            message: "not a ledger entry: expected value at line 1 column 12".into(),
        };
        assert_eq!(
            located(&err),
            "known.jsonl:3:12: not a ledger entry: expected value"
        );
        let err = LedgerError {
            message: "`x` is not buy or sell".into(),
            ..err
        };
        assert_eq!(located(&err), "known.jsonl:3: `x` is not buy or sell");
    }
}
