//! The appendix: every call lockdown made to the exchange, a line each, in `calls.md` beside
//! the reports (and under `appendix` in report.json).
//!
//! A run makes from a few dozen to a few hundred calls; support reads the attacker's orders
//! and the response's steps first, so the calls are kept whole but out of the report's way.

use std::fmt::Write;

use super::Timeline;

/// The appendix as Markdown.
pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Appendix: lockdown's calls to {}\n\nRun `{}` · key `{}` · {} call(s), in local time order (all times UTC). The report is `report.md`; the journal holds each call with its request and answer code.\n",
        t.run.exchange,
        t.run.id,
        t.summary.key_id,
        t.calls.len()
    );
    let _ = writeln!(out, "| local time | exchange time | call |");
    let _ = writeln!(out, "|---|---|---|");
    for e in &t.calls {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            e.at,
            e.server_time.as_deref().unwrap_or("–"),
            e.what.replace('|', "\\|")
        );
    }
    out
}
