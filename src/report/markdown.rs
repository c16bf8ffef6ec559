//! The report as Markdown, for people and exchange support.

use std::fmt::Write;

use serde_json::Value;

use super::Timeline;
use crate::exchanges::Mode;

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "–".to_owned(),
        Some(Value::String(text)) => text.replace('|', "\\|"),
        Some(other) => other.to_string(),
    }
}

/// A table of the diff's rows with their reasons, the first of them inline and the file named
/// for the rest.
fn verdict_section(out: &mut String, t: &Timeline, name: &str, title: &str, about: &str) {
    let rows = match name {
        "unauthorized" => &t.unauthorized,
        "tampered" => &t.tampered,
        "fills_only" => &t.fills_only,
        "unconfirmed" => &t.unconfirmed,
        "missing" => &t.missing,
        _ => &t.unverified,
    };
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n\n{about}\n");
    let _ = writeln!(
        out,
        "| order id | client order id | category | symbol | side | qty | price | status | created | reasons |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    for o in rows {
        let reasons = o
            .get("reasons")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(o.get("order_id")),
            cell(o.get("client_order_id")),
            cell(o.get("category")),
            cell(o.get("symbol")),
            cell(o.get("side")),
            cell(o.get("qty")),
            cell(o.get("price")),
            cell(o.get("status")),
            cell(o.get("created_at")),
            reasons.replace('|', "\\|"),
        );
    }
    more_in_file(out, t, name, rows);
}

/// The exchange's clock as the history windows used it.
fn clock_line(clock: &Value) -> String {
    let margin = clock
        .get("window_margin_ms")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match clock.get("offset_ms").and_then(Value::as_i64) {
        Some(offset) => format!(
            "Exchange clock: {} ms {} this machine's (offset {offset} ms, measured at {}, round trip {} ms); history windows end {margin} ms past the exchange's time",
            offset.abs(),
            if offset >= 0 { "ahead of" } else { "behind" },
            cell(clock.get("measured_at")),
            cell(clock.get("round_trip_ms")),
        ),
        None => format!(
            "Exchange clock not measured ({}); history windows end {margin} ms past this machine's time",
            cell(clock.get("not_measured")),
        ),
    }
}

/// Renders the timeline as Markdown.
pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    // A planned rotation is no incident (`lockdown rotate`, a playbook named `*-rotation`).
    let title = if crate::playbook::is_rotation(&t.run.playbook) {
        "Planned rotation report: API key"
    } else {
        "Incident report: leaked API key"
    };
    let _ = writeln!(out, "# {title} {} on {}\n", t.run.key, t.run.exchange);
    let _ = writeln!(
        out,
        "Run `{}` · playbook `{}` · profile `{}` · {} · started {} (all times UTC)\n",
        t.run.id,
        t.run.playbook,
        t.run.profile,
        t.run.mode.map_or("", Mode::as_str),
        t.run.started_at
    );

    let _ = writeln!(out, "## Summary\n");
    match &t.contained_at {
        Some(at) => {
            let _ = writeln!(
                out,
                "- **Contained** at {at}: the key no longer works for the attacker."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- **Not contained**: no lock or revoke step succeeded."
            );
        }
    }
    let _ = writeln!(
        out,
        "- Unauthorized orders: **{}**",
        t.total("unauthorized", &t.unauthorized)
    );
    if let Some(problem) = &t.ledger_problem {
        let _ = writeln!(
            out,
            "- **Not checked against the owner's ledger: {} order(s)** ({problem}); see \"Unverified orders\"",
            t.total("unverified", &t.unverified)
        );
    }
    if let Some(map) = t.unauthorized_notional.as_object()
        && !map.is_empty()
    {
        let parts: Vec<String> = map.iter().map(|(s, v)| format!("{s} {v}")).collect();
        let _ = writeln!(out, "- Notional filled by them: {}", parts.join(", "));
    }
    let _ = writeln!(
        out,
        "- Bot orders tampered with (cancelled or amended by someone else): **{}**",
        t.total("tampered", &t.tampered)
    );
    let _ = writeln!(
        out,
        "- Orders seen only through their fills: **{}**",
        t.total("fills_only", &t.fills_only)
    );
    let _ = writeln!(
        out,
        "- Orders not yet in the ledger (unconfirmed, not counted as an attack): {}",
        t.total("unconfirmed", &t.unconfirmed)
    );
    let _ = writeln!(
        out,
        "- Known orders missing at the exchange: {}",
        t.total("missing", &t.missing)
    );
    if let Some(clock) = &t.exchange_clock {
        let _ = writeln!(out, "- {}", clock_line(clock));
    }
    if let Some(key) = &t.replacement {
        match (key.get("key"), key.get("by")) {
            // A guided manual step (Kraken): made in the web interface, never seen by lockdown.
            (None, Some(by)) => {
                let _ = writeln!(
                    out,
                    "- Replacement key created by hand ({}); its secret never passed through lockdown",
                    cell(Some(by))
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "- Replacement key {} · permissions {} · bound to {} · withdraw: no",
                    cell(key.get("key")),
                    cell(key.get("permissions")),
                    cell(key.get("ips")),
                );
            }
        }
    }
    if let Some(store) = &t.secret_store {
        let _ = writeln!(out, "- Its secret was written to `{store}` (never shown).");
    }

    if !t.key_info.is_empty() {
        let _ = writeln!(out, "\n## The key, as the exchange described it\n");
        let _ = writeln!(
            out,
            "| asked as | key | label | permissions | IP allow-list | created | expires |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for row in &t.key_info {
            let info = row.get("info").cloned().unwrap_or(Value::Null);
            let key = info
                .get("key")
                .and_then(Value::as_str)
                .map(crate::secret::mask);
            let ips = match info.get("ips").and_then(Value::as_array) {
                Some(list) if list.is_empty() => "any address".to_owned(),
                _ => cell(info.get("ips")),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(row.get("source")),
                key.unwrap_or_else(|| "–".to_owned()),
                cell(info.get("label")),
                cell(info.get("permissions")),
                ips,
                cell(info.get("created_at")),
                cell(info.get("expires_at")),
            );
        }
    }

    let left = t.left();
    if !left.is_empty() {
        let _ = writeln!(out, "\n## Left to do\n");
        for todo in &left {
            let _ = writeln!(out, "- {}\n  - how: {}", todo.what, todo.how);
        }
    }

    if t.unauthorized.is_empty() {
        let _ = writeln!(out, "\n## Unauthorized orders\n\nNone found.");
    } else {
        verdict_section(
            &mut out,
            t,
            "unauthorized",
            "Unauthorized orders",
            "Orders the owner's ledger does not know.",
        );
    }
    verdict_section(
        &mut out,
        t,
        "tampered",
        "Tampered bot orders",
        "Bot orders whose status, quantity or price is not what the ledger last said: cancelled or amended by someone else.",
    );
    verdict_section(
        &mut out,
        t,
        "fills_only",
        "Orders seen only through their fills",
        "Fills of orders that no order snapshot shows and the ledger does not know (one row per order: its fill count, quantity and notional are in the run folder's file).",
    );
    verdict_section(
        &mut out,
        t,
        "unconfirmed",
        "Unconfirmed orders",
        "Not in the ledger yet, but placed inside the ledger's lag and of the bots' kind: not counted as an attack; check each one with the bot.",
    );
    verdict_section(
        &mut out,
        t,
        "missing",
        "Known orders missing at the exchange",
        "In the ledger, inside the snapshots' window and within what the venue keeps, but not shown by the venue.",
    );
    verdict_section(
        &mut out,
        t,
        "unverified",
        "Unverified orders",
        "The owner's ledger could not be used, so these orders are neither cleared nor flagged: check each one.",
    );

    let _ = writeln!(out, "\n## Steps\n");
    let _ = writeln!(
        out,
        "| step | action | status | started | duration | calls |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for s in &t.steps {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            s.id,
            s.action,
            s.status,
            s.started_at,
            s.duration_ms
                .map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms")),
            s.calls.len()
        );
    }
    for s in t.steps.iter().filter(|s| s.error.is_some()) {
        let _ = writeln!(
            out,
            "\n`{}` {}: {}",
            s.id,
            s.status.replace('_', " "),
            s.error.as_deref().unwrap_or_default()
        );
    }

    let _ = writeln!(out, "\n## Timeline\n");
    let _ = writeln!(out, "| local time | exchange time | event |");
    let _ = writeln!(out, "|---|---|---|");
    for e in &t.entries {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            e.at,
            e.server_time.as_deref().unwrap_or("–"),
            e.what.replace('|', "\\|")
        );
    }

    let _ = writeln!(out, "\n## Integrity\n");
    let _ = writeln!(
        out,
        "This report covers journal events 1–{}; the last event's SHA-256 chain hash is\n`{}`.\nCheck the journal with `lockdown verify` on the run folder.",
        t.journal.seq, t.journal.hash
    );
    out
}

/// Under a list the journal holds only the first rows of: where the rest are.
fn more_in_file(out: &mut String, t: &Timeline, name: &str, shown: &[Value]) {
    let total = t.total(name, shown);
    if total > shown.len()
        && let Some((file, sha256)) = t.diff_files.get(name)
    {
        let _ = writeln!(
            out,
            "\nThe first {} of {total} are shown; all are in `{file}` in the run folder (SHA-256 `{sha256}`).",
            shown.len()
        );
    }
}
