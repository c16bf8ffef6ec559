//! The merged timeline: what the attacker did, what the response did and what the exchange
//! acknowledged, on one clock (the exchange's), so support can line them up with its own logs.
//!
//! It is read from the rest of the [`Timeline`] only (the diff's rows, the steps and their
//! calls, the access-log lines, the activity table's transfers), never from the network or the
//! snapshots. Exchange times stay as the exchange gave them; this machine's times (a step's start
//! and end) are moved by the measured clock offset (`exchange_clock`) and each such line says so.
//! The order is by time, stable: lines of one instant keep the attacker, response, exchange
//! order they are gathered in.

use serde_json::Value;

use super::Timeline;
use super::content::{ActivityKind, Lane, Mark, MergedEvent};
use crate::actions::{ActionSpec, Containment};
use crate::clock;

/// The merged timeline of `t`, sorted by time.
pub fn merged(t: &Timeline) -> Vec<MergedEvent> {
    let offset = t
        .exchange_clock
        .as_ref()
        .and_then(|c| c.get("offset_ms"))
        .and_then(Value::as_i64);
    let local = Local { offset };
    let mut out = Vec::new();
    attacker(t, &mut out);
    response(t, &local, &mut out);
    notes(t, &local, &mut out);
    exchange(t, &local, &mut out);
    // Unreadable times sort last rather than vanish.
    out.sort_by_key(|e| clock::parse_rfc3339_ms(&e.at).unwrap_or(i64::MAX));
    out
}

/// This machine's times moved onto the exchange's clock.
struct Local {
    /// Exchange minus local, ms, when it was measured.
    offset: Option<i64>,
}

impl Local {
    /// `at` (this machine's time) plus `later_ms`, in exchange time where the offset is known.
    fn at(&self, at: &str, later_ms: u64) -> String {
        match clock::parse_rfc3339_ms(at) {
            Some(ms) => {
                let later = i64::try_from(later_ms).unwrap_or(i64::MAX);
                clock::rfc3339_ms(ms.saturating_add(later) + self.offset.unwrap_or(0))
            }
            None => at.to_owned(),
        }
    }

    /// What a line in this machine's time says about its clock.
    fn note(&self) -> String {
        match self.offset {
            Some(ms) => format!("this machine's time, corrected by {ms:+} ms"),
            None => "this machine's time; the exchange's clock was not measured".to_owned(),
        }
    }
}

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `text` with a placeholder for what is missing, for a line people read.
fn word<'a>(row: &'a Value, key: &str) -> &'a str {
    match text(row, key) {
        "" => "?",
        value => value,
    }
}

fn push(out: &mut Vec<MergedEvent>, at: &str, lane: Lane, mark: Mark, what: String) {
    out.push(MergedEvent {
        at: clock::parse_rfc3339_ms(at).map_or_else(|| at.to_owned(), clock::rfc3339_ms),
        lane,
        mark,
        what,
    });
}

/// The diff's unauthorized and tampered orders, the orders seen only through fills, and the
/// transfers of the activity table, at the exchange's times.
fn attacker(t: &Timeline, out: &mut Vec<MergedEvent>) {
    for row in &t.unauthorized {
        let price = match text(row, "price") {
            "" => String::new(),
            price => format!(" @ {price}"),
        };
        let what = format!(
            "unauthorized order {}: {} {} {} {}{price} ({})",
            word(row, "order_id"),
            word(row, "side"),
            word(row, "order_type"),
            word(row, "qty"),
            word(row, "symbol"),
            word(row, "status"),
        );
        push(
            out,
            text(row, "created_at"),
            Lane::Attacker,
            Mark::Order,
            what,
        );
    }
    for row in &t.tampered {
        let reasons = row
            .get("reasons")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
            .join("; ");
        // When it was tampered with is not known: the mark sits where the bot placed it.
        let what = format!(
            "tampered bot order {} ({} {} {}, placed by the bot at this time): {reasons}",
            word(row, "order_id"),
            word(row, "side"),
            word(row, "qty"),
            word(row, "symbol"),
        );
        push(
            out,
            text(row, "created_at"),
            Lane::Attacker,
            Mark::Order,
            what,
        );
    }
    for row in &t.fills_only {
        let at = match text(row, "first_fill_at") {
            "" => text(row, "created_at"),
            first => first,
        };
        let what = format!(
            "fills of an order nobody knows, {}: {} fill(s), {} {} {}, last at {}",
            word(row, "order_id"),
            row.get("fills").and_then(Value::as_u64).unwrap_or(0),
            word(row, "side"),
            word(row, "qty"),
            word(row, "symbol"),
            word(row, "last_fill_at"),
        );
        push(out, at, Lane::Attacker, Mark::Fill, what);
    }
    for row in &t.activity {
        let kind = match row.kind {
            ActivityKind::Transfer => "transfer",
            ActivityKind::Withdrawal => "withdrawal",
            _ => continue,
        };
        let what = format!(
            "{kind} {}: {} {} ({})",
            row.id, row.quantity, row.quantity_unit, row.status
        );
        let at = row.created_at.as_deref().unwrap_or_default();
        push(out, at, Lane::Attacker, Mark::Transfer, what);
    }
}

/// Each step's start and end, in this machine's time moved onto the exchange's clock.
fn response(t: &Timeline, local: &Local, out: &mut Vec<MergedEvent>) {
    let note = local.note();
    for s in &t.steps {
        let ran = s.duration_ms.is_some() || s.status == "running";
        if !ran {
            let what = format!(
                "`{}` ({}) {} · {note}",
                s.id,
                s.action,
                s.status.replace('_', " ")
            );
            push(
                out,
                &local.at(&s.started_at, 0),
                Lane::Response,
                Mark::Step,
                what,
            );
            continue;
        }
        let what = format!("`{}` ({}) started · {note}", s.id, s.action);
        push(
            out,
            &local.at(&s.started_at, 0),
            Lane::Response,
            Mark::Step,
            what,
        );
        if let Some(ms) = s.duration_ms {
            let mut what = format!("`{}` {} after {ms} ms", s.id, s.status.replace('_', " "));
            if let Some(error) = &s.error {
                what.push_str(&format!(": {error}"));
            }
            what.push_str(&format!(" · {note}"));
            push(
                out,
                &local.at(&s.started_at, ms),
                Lane::Response,
                Mark::Step,
                what,
            );
        }
    }
}

/// The run's own lines that are not a step's start or end (the steps above say those): the run
/// starting, confirmations, two-factor answers, keys created, stored and deleted, what a step
/// costs (a frozen sub-account), interruptions. (Access-log lines go to the exchange lane.)
fn notes(t: &Timeline, local: &Local, out: &mut Vec<MergedEvent>) {
    const STEP_ENDS: [&str; 6] = [
        " done", " failed", " skipped", " not run", " pending", " planned",
    ];
    for entry in &t.entries {
        if entry.what.starts_with("exchange access log") {
            continue;
        }
        let step_end = entry
            .what
            .strip_prefix('`')
            .and_then(|rest| rest.split_once('`'))
            .is_some_and(|(_, after)| STEP_ENDS.iter().any(|end| after.starts_with(end)));
        if step_end {
            continue;
        }
        let what = format!("{} · {}", entry.what, local.note());
        push(
            out,
            &local.at(&entry.at, 0),
            Lane::Response,
            Mark::Step,
            what,
        );
    }
}

/// What a containing or cancelling action's change is called.
fn change(action: &str) -> &'static str {
    match action {
        "restrict_key" => "lock",
        "revoke_key" => "revoke",
        "freeze_account" => "freeze",
        "cancel_orders" | "cancel_after" => "cancel",
        _ => "change",
    }
}

/// The exchange's acknowledgements of the lock, cancels and revoke (their answers' server time),
/// its access-log lines, and the moment of containment.
fn exchange(t: &Timeline, local: &Local, out: &mut Vec<MergedEvent>) {
    // The first acknowledged change of a step that contains: the containment mark.
    let mut contained: Option<(i64, String, String)> = None;
    for s in &t.steps {
        let containment = ActionSpec::containment_of(&s.action);
        if !matches!(containment, Containment::Contains | Containment::Cancels) {
            continue;
        }
        let changes = s
            .calls
            .iter()
            .filter(|c| text(c, "method") != "GET" && text(c, "outcome") == "ok");
        for call in changes {
            let (at, note) = match call.get("server_time").and_then(Value::as_str) {
                Some(server) => (server.to_owned(), String::new()),
                // No server time in the answer: when it came back, on the exchange's clock.
                None => {
                    let took = call.get("duration_ms").and_then(Value::as_u64).unwrap_or(0);
                    let at = local.at(text(call, "sent_at"), took);
                    (at, format!(" · {}", local.note()))
                }
            };
            let what = format!(
                "exchange acknowledged the {} (`{}`: {} {}){note}",
                change(&s.action),
                s.id,
                text(call, "method"),
                text(call, "path"),
            );
            if containment == Containment::Contains && s.status == "ok" {
                let ms = clock::parse_rfc3339_ms(&at).unwrap_or(i64::MAX);
                if contained.as_ref().is_none_or(|(first, ..)| ms < *first) {
                    let why = format!("the exchange acknowledged the {}", change(&s.action));
                    contained = Some((ms, at.clone(), why));
                }
            }
            push(out, &at, Lane::Exchange, Mark::Ack, what);
        }
    }
    for entry in &t.entries {
        if entry.what.starts_with("exchange access log") {
            let at = entry.server_time.as_deref().unwrap_or(&entry.at);
            push(out, at, Lane::Exchange, Mark::Access, entry.what.clone());
        }
    }
    match (contained, &t.contained_at) {
        (Some((_, at, why)), _) => {
            push(
                out,
                &at,
                Lane::Exchange,
                Mark::Containment,
                format!("key contained: {why}"),
            );
        }
        // A lock done by hand, or an answer without a time: when the step ended.
        (None, Some(ended)) => {
            let what = format!("key contained: the step ended · {}", local.note());
            push(
                out,
                &local.at(ended, 0),
                Lane::Exchange,
                Mark::Containment,
                what,
            );
        }
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::content::ActivityRow;
    use crate::report::timeline::StepSummary;

    fn step(id: &str, action: &str, status: &str, started: &str, ms: Option<u64>) -> StepSummary {
        StepSummary {
            id: id.into(),
            action: action.into(),
            status: status.into(),
            started_at: started.into(),
            duration_ms: ms,
            ..StepSummary::default()
        }
    }

    fn call(method: &str, sent: &str, server: Option<&str>) -> Value {
        let mut call = json!({
            "method": method, "path": "/p", "outcome": "ok", "sent_at": sent, "duration_ms": 4,
        });
        if let Some(server) = server {
            call["server_time"] = json!(server);
        }
        call
    }

    fn lines(events: &[MergedEvent]) -> Vec<(String, Lane, Mark)> {
        events
            .iter()
            .map(|e| (e.at.clone(), e.lane, e.mark))
            .collect()
    }

    /// A run whose machine is 1 s behind the exchange: steps move by the offset, answers keep
    /// the exchange's time, the orders keep theirs; all in one order.
    #[test]
    fn one_clock_in_time_order() {
        let mut lock = step(
            "lock",
            "restrict_key",
            "ok",
            "2026-12-05T10:00:00.000Z",
            Some(10),
        );
        lock.calls = vec![
            call(
                "GET",
                "2026-12-05T10:00:00.001Z",
                Some("2026-12-05T10:00:01.002Z"),
            ),
            call(
                "POST",
                "2026-12-05T10:00:00.003Z",
                Some("2026-12-05T10:00:01.005Z"),
            ),
        ];
        let mut cancel = step(
            "cancel",
            "cancel_orders",
            "ok",
            "2026-12-05T10:00:00.020Z",
            Some(5),
        );
        // No server time: the answer's arrival on the exchange's clock.
        cancel.calls = vec![call("POST", "2026-12-05T10:00:00.021Z", None)];
        let mut t = Timeline::default();
        t.exchange_clock = Some(json!({"offset_ms": 1000}));
        t.unauthorized = vec![json!({
            "order_id": "o1", "side": "buy", "order_type": "limit", "qty": "2",
            "symbol": "BTCUSDT", "price": "10", "status": "filled",
            "created_at": "2026-12-05T09:59:59.500Z",
        })];
        t.tampered = vec![json!({"order_id": "b1", "created_at": "2026-12-05T09:59:58Z"})];
        t.fills_only = vec![json!({
            "order_id": "f1", "fills": 2, "created_at": "2026-12-05T09:59:59.100Z",
            "first_fill_at": "2026-12-05T09:59:59.100Z",
        })];
        t.steps = vec![
            lock,
            cancel,
            step(
                "report",
                "report",
                "running",
                "2026-12-05T10:00:00.040Z",
                None,
            ),
            step(
                "freeze",
                "freeze_account",
                "skipped",
                "2026-12-05T10:00:00.030Z",
                None,
            ),
        ];
        t.contained_at = Some("2026-12-05T10:00:00.010Z".into());
        let m = merged(&t);
        let at = |s: &str| s.to_owned();
        assert_eq!(
            lines(&m),
            [
                (at("2026-12-05T09:59:58.000Z"), Lane::Attacker, Mark::Order),
                (at("2026-12-05T09:59:59.100Z"), Lane::Attacker, Mark::Fill),
                (at("2026-12-05T09:59:59.500Z"), Lane::Attacker, Mark::Order),
                (at("2026-12-05T10:00:01.000Z"), Lane::Response, Mark::Step),
                (at("2026-12-05T10:00:01.005Z"), Lane::Exchange, Mark::Ack),
                (
                    at("2026-12-05T10:00:01.005Z"),
                    Lane::Exchange,
                    Mark::Containment
                ),
                (at("2026-12-05T10:00:01.010Z"), Lane::Response, Mark::Step),
                (at("2026-12-05T10:00:01.020Z"), Lane::Response, Mark::Step),
                (at("2026-12-05T10:00:01.025Z"), Lane::Response, Mark::Step),
                (at("2026-12-05T10:00:01.025Z"), Lane::Exchange, Mark::Ack),
                (at("2026-12-05T10:00:01.030Z"), Lane::Response, Mark::Step),
                (at("2026-12-05T10:00:01.040Z"), Lane::Response, Mark::Step),
            ]
        );
        let what: Vec<&str> = m.iter().map(|e| e.what.as_str()).collect();
        assert!(what[2].starts_with("unauthorized order o1: buy limit 2 BTCUSDT @ 10 (filled)"));
        assert!(what[0].starts_with("tampered bot order b1"));
        assert_eq!(
            what[3],
            "`lock` (restrict_key) started · this machine's time, corrected by +1000 ms"
        );
        assert_eq!(what[5], "key contained: the exchange acknowledged the lock");
        assert!(what[9].starts_with("exchange acknowledged the cancel (`cancel`: POST /p) · this"));
        assert!(what[10].starts_with("`freeze` (freeze_account) skipped"));
    }

    /// No lock was acknowledged with a time (a lock done by hand): containment is the step's
    /// end, said to be this machine's time; no offset measured, none applied.
    #[test]
    fn containment_without_an_answer_is_the_steps_end() {
        let mut t = Timeline::default();
        t.steps = vec![step(
            "lock",
            "manual",
            "ok",
            "2026-12-05T10:00:00Z",
            Some(7),
        )];
        t.contained_at = Some("2026-12-05T10:00:00.007Z".into());
        let m = merged(&t);
        let last = m.last().unwrap();
        assert_eq!(last.mark, Mark::Containment);
        assert_eq!(last.at, "2026-12-05T10:00:00.007Z");
        assert!(
            last.what.ends_with("the exchange's clock was not measured"),
            "{}",
            last.what
        );
        assert_eq!(m.iter().filter(|e| e.mark == Mark::Containment).count(), 1);
    }

    /// Transfers come from the activity table; access-log lines from the timeline's entries.
    #[test]
    fn transfers_and_access_log_lines() {
        let events = [crate::journal::Event {
            seq: 1,
            at: "2026-12-05T10:00:05.000Z".into(),
            kind: crate::journal::EventKind::StepFinished,
            data: json!({
                "step": "history", "action": "snapshot", "status": "ok", "duration_ms": 1,
                "outputs": {"access_log": [
                    {"time_ms": 1_796_508_000_000_i64, "event": "api", "ip": "203.0.113.9"},
                ]},
            }),
            prev: String::new(),
            hash: String::new(),
            mac: None,
        }];
        let mut t = Timeline::from_events(&events);
        t.activity.push(ActivityRow {
            kind: ActivityKind::Withdrawal,
            id: "w1".into(),
            market: "USDT".into(),
            side: String::new(),
            order_type: String::new(),
            quantity: "100".into(),
            quantity_unit: "USDT".into(),
            price: String::new(),
            notional: "100".into(),
            notional_currency: "USDT".into(),
            status: "success".into(),
            created_at: Some("2026-12-05T09:00:00Z".into()),
            updated_at: None,
        });
        let m = merged(&t);
        let marks: Vec<(Lane, Mark)> = m.iter().map(|e| (e.lane, e.mark)).collect();
        assert!(marks.contains(&(Lane::Attacker, Mark::Transfer)), "{m:?}");
        let access = m
            .iter()
            .find(|e| e.mark == Mark::Access)
            .expect("an access mark");
        assert!(access.what.contains("203.0.113.9"), "{}", access.what);
        assert_eq!(access.at, clock::rfc3339_ms(1_796_508_000_000));
    }
}
