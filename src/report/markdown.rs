//! The report as Markdown, for people and exchange support: the summary box first, the key
//! before the lock, what the attacker did, the timeline, the steps, what to ask support for and
//! the journal's head. Every amount carries its unit; every id is whole.

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

/// Why the report shows no order verdicts, when the run read none: a watcher's lock run has no
/// `diff_orders` step, and "none found" would contradict the signal at its top.
fn not_read(t: &Timeline) -> Option<&'static str> {
    t.cause
        .as_ref()
        .filter(|c| !c.diffed)
        .map(|_| "not read by this run (it only locked the key)")
}

/// Why the run started, when no person started it: the signal, the order as the exchange
/// showed it, the reasons.
fn cause_section(out: &mut String, cause: &super::cause::Cause) {
    let _ = writeln!(out, "## Why this run started\n\n{}\n", cause.sentence());
    if let Some(order) = &cause.order {
        let _ = writeln!(
            out,
            "The order, as the exchange showed it:\n\n| order id | client order id | category | symbol | side | type | qty | price | filled | status |\n|---|---|---|---|---|---|---|---|---|---|"
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(order.get("order_id")),
            cell(order.get("client_order_id")),
            cell(order.get("category")),
            cell(order.get("symbol")),
            cell(order.get("side")),
            cell(order.get("order_type")),
            cell(order.get("qty")),
            cell(order.get("price")),
            cell(order.get("filled_qty")),
            cell(order.get("status")),
        );
    }
    if !cause.reasons.is_empty() {
        let _ = writeln!(out, "Reasons:\n");
        for reason in &cause.reasons {
            let _ = writeln!(out, "- {reason}");
        }
        let _ = writeln!(out);
    }
}

/// Renders the timeline as Markdown.
pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    // A planned rotation is no incident (`lockdown rotate`, a playbook named `*-rotation`).
    let title = if crate::playbook::is_rotation(&t.run.playbook) {
        "Planned rotation report: API key"
    } else if t.cause.as_ref().is_some_and(|c| c.is_watch()) {
        "Watcher's lock report: API key"
    } else {
        "Incident report: leaked API key"
    };
    let _ = writeln!(
        out,
        "# {title} {} on {}\n",
        t.summary.key_id, t.run.exchange
    );
    let _ = writeln!(
        out,
        "Run `{}` · playbook `{}` · profile `{}` · {} · started {} (all times UTC)\n",
        t.run.id,
        t.run.playbook,
        t.run.profile,
        t.run.mode.map_or("", Mode::as_str),
        t.run.started_at
    );

    if let Some(cause) = &t.cause {
        cause_section(&mut out, cause);
    }
    summary_box(&mut out, t);
    key_before(&mut out, t);
    activity(&mut out, t);

    let _ = writeln!(out, "\n## Findings\n");
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
    if let Some(why) = not_read(t) {
        let _ = writeln!(out, "- Orders: {why}");
    } else {
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
            // Each amount in its currency: the activity table's for the symbol, else its quote coin.
            let currency = |symbol: &str| {
                t.activity
                    .iter()
                    .find(|r| {
                        r.market.starts_with(&format!("{symbol} "))
                            && !r.notional_currency.is_empty()
                    })
                    .map(|r| r.notional_currency.clone())
                    .or_else(|| super::units::pair(&t.run.exchange, symbol).map(|(_, quote)| quote))
                    .unwrap_or_else(|| "(currency not known)".to_owned())
            };
            let parts: Vec<String> = map
                .iter()
                .map(|(s, v)| format!("{s} {v} {}", currency(s)))
                .collect();
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
    }
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
            let key = info.get("key").and_then(Value::as_str).map(str::to_owned);
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

    if t.unauthorized.is_empty() && not_read(t).is_some() {
        // Said in the findings: nothing was read, so nothing is "none found".
    } else if t.unauthorized.is_empty() {
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

    timeline(&mut out, t);

    support(&mut out, t);

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

/// A value or `not known`.
fn known(value: Option<&str>) -> &str {
    value.filter(|v| !v.is_empty()).unwrap_or("not known")
}

/// The box support reads first.
fn summary_box(out: &mut String, t: &Timeline) {
    let s = &t.summary;
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let mut row = |name: &str, value: String| {
        let _ = writeln!(out, "| {name} | {} |", value.replace('|', "\\|"));
    };
    row("Venue", s.venue.clone());
    row("Account UID", known(s.account_uid.as_deref()).to_owned());
    row(
        "Sub-account",
        known(s.sub_account_uid.as_deref()).to_owned(),
    );
    row("Leaked key", format!("`{}`", known(Some(&s.key_id))));
    row(
        "Attack window (exchange time)",
        match (&s.attack_started, &s.attack_ended) {
            (Some(from), Some(to)) => format!("{from} → {to}"),
            _ => not_read(t).map_or_else(
                || "no unauthorized order or fill found".to_owned(),
                str::to_owned,
            ),
        },
    );
    row(
        "Source addresses",
        if s.source_ips.is_empty() {
            s.source_ips_note.clone()
        } else {
            format!("{} ({})", s.source_ips.join(", "), s.source_ips_note)
        },
    );
    row(
        "Time to contain",
        match (s.time_to_contain_ms, &t.contained_at) {
            (Some(ms), Some(at)) => format!("{ms} ms after the run started (at {at})"),
            (Some(ms), None) => format!("{ms} ms after the run started"),
            _ => "**not contained**: no lock or revoke step succeeded".to_owned(),
        },
    );
    row(
        "Loss estimate",
        if s.losses.is_empty() {
            not_read(t).map_or_else(
                || "none found (no unauthorized fills)".to_owned(),
                str::to_owned,
            )
        } else {
            s.losses
                .iter()
                .map(|l| format!("{} {}", l.amount, l.coin))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
    row("How it was estimated", s.loss_method.clone());
    row(
        "Still open",
        if s.left.is_empty() {
            "nothing the journal shows".to_owned()
        } else {
            s.left.join("; ")
        },
    );
}

/// The key as it was before the lock changed it.
fn key_before(out: &mut String, t: &Timeline) {
    let _ = writeln!(out, "\n## The key before the lock\n");
    let Some(k) = &t.key_before else {
        let _ = writeln!(
            out,
            "Not known: the run did not read the key before the lock changed it."
        );
        return;
    };
    let ips = if k.ips.is_empty() {
        "none (any address could use it)".to_owned()
    } else {
        k.ips.join(", ")
    };
    let read_only = match k.read_only {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not known",
    };
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| Permissions | {} |", k.permissions.join(", "));
    let _ = writeln!(out, "| IP allow-list | {ips} |");
    let _ = writeln!(out, "| Read-only | {read_only} |");
    let _ = writeln!(out, "| Created | {} |", known(k.created_at.as_deref()));
    let _ = writeln!(out, "| Expires | {} |", known(k.expires_at.as_deref()));
    let _ = writeln!(out, "| Read | {} at {} |", k.source, k.read_at);
}

/// The table of what the attacker did.
fn activity(out: &mut String, t: &Timeline) {
    let _ = writeln!(out, "\n## What the attacker did\n");
    if t.activity.is_empty() {
        let text = match not_read(t) {
            Some(why) => format!(
                "{why}: the order under \"Why this run started\" is the evidence so far; the full response (\"Left to do\") reads the account's orders and diffs them against the ledger."
            ),
            None => "No unauthorized, tampered or fills-only order found (see the findings below)."
                .to_owned(),
        };
        let _ = writeln!(out, "{text}");
        return;
    }
    let _ = writeln!(
        out,
        "| what | order id | market | side | type | quantity | price | notional | status | created | updated |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &t.activity {
        let kind = match r.kind {
            super::content::ActivityKind::Unauthorized => "unauthorized",
            super::content::ActivityKind::Tampered => "tampered",
            super::content::ActivityKind::Fill => "fills only",
            super::content::ActivityKind::Transfer => "transfer",
            super::content::ActivityKind::Withdrawal => "withdrawal",
        };
        let with = |amount: &str, unit: &str| match (amount.is_empty(), unit.is_empty()) {
            (true, _) => "–".to_owned(),
            (false, true) => amount.to_owned(),
            (false, false) => format!("{amount} {unit}"),
        };
        let _ = writeln!(
            out,
            "| {kind} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.market,
            r.side,
            r.order_type,
            with(&r.quantity, &r.quantity_unit),
            if r.price.is_empty() {
                "market"
            } else {
                &r.price
            },
            with(&r.notional, &r.notional_currency),
            r.status,
            r.created_at.as_deref().unwrap_or("–"),
            r.updated_at.as_deref().unwrap_or("–"),
        );
    }
    let shown: usize = t.unauthorized.len() + t.tampered.len() + t.fills_only.len();
    let total = t.total("unauthorized", &t.unauthorized)
        + t.total("tampered", &t.tampered)
        + t.total("fills_only", &t.fills_only);
    if total > shown {
        let _ = writeln!(
            out,
            "\nThe first {shown} of {total} are shown; the diff's files in the run folder hold all (see the findings)."
        );
    }
}

/// One timeline: the merged one where it was made, else the run's own lines; lockdown's calls
/// are in the appendix.
fn timeline(out: &mut String, t: &Timeline) {
    let _ = writeln!(out, "\n## Timeline\n");
    if t.merged.is_empty() {
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
    } else {
        let _ = writeln!(out, "| exchange time | who | event |");
        let _ = writeln!(out, "|---|---|---|");
        for e in &t.merged {
            let lane = match e.lane {
                super::content::Lane::Attacker => "attacker",
                super::content::Lane::Response => "response",
                super::content::Lane::Exchange => "exchange",
            };
            let _ = writeln!(
                out,
                "| {} | {lane} | {} |",
                e.at,
                e.what.replace('|', "\\|")
            );
        }
    }
    if let Some(file) = &t.appendix {
        let _ = writeln!(
            out,
            "\nlockdown's own {} call(s) to the exchange are in `{file}` in the run folder.",
            t.calls.len()
        );
    }
}

/// What to ask the venue's support for.
fn support(out: &mut String, t: &Timeline) {
    let Some(s) = &t.support else {
        return;
    };
    let _ = writeln!(out, "\n## What to ask {} support\n", s.venue);
    let _ = writeln!(out, "**Where**: {}\n", s.ticket);
    let _ = writeln!(out, "**Attach**:\n");
    for a in &s.attach {
        let _ = writeln!(out, "- {a}");
    }
    let _ = writeln!(out, "\n**Request**:\n");
    for r in &s.request {
        let _ = writeln!(out, "- {r}");
    }
}
