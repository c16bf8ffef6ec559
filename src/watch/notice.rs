//! The `watch_signal` notification: what a person woken at 3 am reads before anything else.
//!
//! A signal alone ("unauthorized_order (high)") leaves the reader to work out what happened,
//! whether lockdown already did something, and which command comes next. The message says all
//! three in that order (seen, done, next), with the exact commands: `lockdown unlock RUN` for a
//! false alarm, `lockdown respond ... --key` for the full response. Its fields carry the same
//! facts one by one (`kind`, `confidence`, `key`, `order_id`, ...) for a webhook or a chat
//! template to pick. Nothing secret: the key is masked as the terminal masks it, and the order
//! is the one the exchange showed (its id is the exchange's, no ledger content). The key's whole
//! id is not in the message either, so the respond command names the key by its mask and label,
//! and the reader takes its id from the profile's `keys:` (docs/watch.md §3).

use std::path::Path;

use super::policy::Decision;
use super::signal::{Confidence, Signal};
use crate::notify::{Event, Message, Phase, Severity, events};

/// What the watcher did about the signal, as the message tells it.
#[derive(Debug, Clone, Copy)]
pub enum Done<'a> {
    /// The policy asked for a notification only.
    Nothing,
    /// The lock ran: its folder (when it started), whether the exchange took it, why not.
    Locked {
        /// The lock run's folder.
        run_dir: Option<&'a str>,
        /// Whether the key is now bound to the responder.
        contained: bool,
        /// Why the lock failed.
        error: Option<&'a str>,
    },
    /// The whole response starts now (its own messages follow).
    Responding,
    /// This watcher already locked (or responded to) the key, in this run.
    Earlier {
        /// `lock` or `respond`.
        act: &'a str,
        /// Its folder.
        run_dir: Option<&'a str>,
    },
    /// The policy asks for a lock, but the venue's keys cannot be locked by API.
    CannotLock,
}

/// Whose key: what the commands in the message name.
#[derive(Debug, Clone, Copy)]
pub struct Whose<'a> {
    /// The profile's name.
    pub profile: &'a str,
    /// The venue, for people.
    pub venue: &'a str,
    /// The config file the watcher read (the respond command names it).
    pub config: &'a Path,
    /// The watched key's label in the profile.
    pub label: &'a str,
}

/// The message for `signal` about `whose` key, after `done`.
pub fn message(whose: Whose<'_>, signal: &Signal, decision: &Decision, done: Done<'_>) -> Message {
    let Whose {
        profile,
        venue,
        config,
        label,
    } = whose;
    let venue = venue.to_owned();
    let failed = matches!(
        done,
        Done::Locked {
            contained: false,
            ..
        } | Done::CannotLock
    );
    let severity = match signal.confidence {
        _ if failed => Severity::Critical,
        Confidence::High => Severity::Critical,
        Confidence::Medium => Severity::Warning,
        Confidence::Low => Severity::Info,
    };
    let respond = format!(
        "lockdown respond --config {} --profile {} --key KEY_ID",
        config.display(),
        profile
    );
    let key_id = format!(
        "KEY_ID: the id of key {} (`{label}`) in the profile's `keys:`",
        signal.key
    );
    let run_dir = match done {
        Done::Locked { run_dir, .. } | Done::Earlier { run_dir, .. } => run_dir,
        _ => None,
    };
    let unlock = run_dir.map(|dir| format!("lockdown unlock {dir}"));

    let mut seen = format!(
        "Seen: {} ({}) on key {} ({venue}, profile `{}`), by {} at {}",
        signal.kind.as_str(),
        signal.confidence.as_str(),
        signal.key,
        profile,
        signal.source,
        signal.at
    );
    if let Some(order) = &signal.order {
        seen.push_str(&format!(": {}", order_words(order)));
    }
    let why = format!("Why: {}.", signal.reasons.join("; "));
    let (did, next): (String, Vec<String>) = match done {
        Done::Locked {
            contained: true, ..
        } => (
            format!(
                "Done: lockdown LOCKED the key (bound to the responder's address) in run {}; the bots keep trading only if they run there.",
                run_dir.unwrap_or("(folder not known)")
            ),
            vec![
                format!("an attack: run the full response (cancel, evidence, revoke, replace): `{respond}` ({key_id})"),
                match &unlock {
                    Some(unlock) => format!("a false alarm: `{unlock}` (binds the key to its addresses from before the lock)"),
                    None => "a false alarm: `lockdown unlock RUN`, RUN being the lock's folder under the state folder's `runs/`".to_owned(),
                },
            ],
        ),
        Done::Locked {
            contained: false,
            error,
            ..
        } => (
            format!(
                "Done: the lock FAILED ({}): the key still works for whoever holds it.",
                error.unwrap_or("the exchange did not take it")
            ),
            vec![format!(
                "now: `{respond}` ({key_id}); if that fails too, delete the key in {venue}'s API management page"
            )],
        ),
        Done::Responding => (
            "Done: lockdown runs the whole response now (lock, cancel, evidence, revoke, replace); its own messages follow.".to_owned(),
            vec![format!(
                "if the response does not say `contained`: `{respond}` ({key_id})"
            )],
        ),
        Done::Earlier { act, .. } => (
            format!(
                "Done: nothing more; this watcher already ran a {act} for the key (run {}).",
                run_dir.unwrap_or("(folder not known)")
            ),
            vec![format!("an attack: `{respond}` ({key_id})")],
        ),
        Done::CannotLock => (
            format!(
                "Done: nothing: {venue} keys cannot be locked by API, so the key still works."
            ),
            vec![
                format!("an attack: delete the key in {venue}'s API management page now, then `{respond}` ({key_id})"),
                "the owner's own order: nothing to do (the ledger will show it)".to_owned(),
            ],
        ),
        Done::Nothing => (
            "Done: nothing (the watch policy only notifies for this signal).".to_owned(),
            vec![
                format!("an attack: `{respond}` ({key_id})"),
                "the owner's own order: nothing to do (the ledger will show it)".to_owned(),
            ],
        ),
    };
    let mut text = format!("{seen}\n{why}\n{did}\nNext:");
    for line in &next {
        text.push_str(&format!("\n- {line}"));
    }
    let outcome = match done {
        Done::Locked {
            contained: true, ..
        } => "key locked",
        Done::Locked { .. } => "lock FAILED",
        Done::Responding => "responding",
        Done::Earlier { .. } => "already acted",
        Done::CannotLock => "cannot lock: delete the key",
        Done::Nothing => "look now",
    };
    let order = signal.order.as_ref();
    let mut fields = vec![
        ("profile".to_owned(), profile.to_owned()),
        ("venue".to_owned(), venue),
        ("key".to_owned(), signal.key.clone()),
        ("kind".to_owned(), signal.kind.as_str().to_owned()),
        (
            "confidence".to_owned(),
            signal.confidence.as_str().to_owned(),
        ),
        ("signal".to_owned(), signal.id.clone()),
        ("source".to_owned(), signal.source.to_owned()),
        ("order_id".to_owned(), field(order.map(|o| &o.order_id))),
        ("symbol".to_owned(), field(order.map(|o| &o.symbol))),
        ("side".to_owned(), field(order.map(|o| o.side))),
        ("qty".to_owned(), field(order.map(|o| &o.qty))),
        (
            "price".to_owned(),
            field(order.and_then(|o| o.price.as_ref())),
        ),
        ("reasons".to_owned(), signal.reasons.join("; ")),
        ("decision".to_owned(), decision_words(decision)),
        ("done".to_owned(), outcome.to_owned()),
    ];
    if let Some(dir) = run_dir {
        fields.push(("run".to_owned(), dir.to_owned()));
    }
    Message {
        fields,
        dedup_key: format!("watch-{}-{}", profile, signal.key),
        profile: Some(profile.to_owned()),
        id: format!("watch/{}", signal.id),
        ..events::message(
            Event::WatchSignal,
            severity,
            Phase::Trigger,
            format!(
                "{}: watch: {} on key {}: {outcome}",
                profile,
                signal.kind.as_str(),
                signal.key
            ),
            text,
        )
    }
}

/// A field's value, or `–` when the signal has none (a burst names no single order).
fn field(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// `notify, lock`: what the policy asked, in words.
fn decision_words(decision: &Decision) -> String {
    let words: Vec<&str> = [
        (decision.notify, "notify"),
        (decision.lock, "lock"),
        (decision.respond, "respond"),
    ]
    .into_iter()
    .filter_map(|(on, word)| on.then_some(word))
    .collect();
    if words.is_empty() {
        "log".to_owned()
    } else {
        words.join(", ")
    }
}

/// `buy 10 ETHUSDT market, order 123 (filled 10)`.
fn order_words(order: &crate::exchanges::model::Order) -> String {
    let price = order.price.as_ref().map_or_else(
        || order.order_type.clone(),
        |p| format!("{} at {p}", order.order_type),
    );
    let status = serde_json::to_value(order.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "{} {} {} {price}, order {} ({status}, {} filled)",
        order.side, order.qty, order.symbol, order.order_id, order.filled_qty
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Category, Order, OrderStatus, Side};
    use crate::watch::SignalKind;

    fn whose<'a>(config: &'a str, label: &'a str) -> Whose<'a> {
        Whose {
            profile: "main",
            venue: "bybit",
            config: Path::new(config),
            label,
        }
    }

    fn signal() -> Signal {
        Signal {
            id: "AbCd…wxyz/unauthorized_order/1234".into(),
            kind: SignalKind::UnauthorizedOrder,
            confidence: Confidence::High,
            profile: "main".into(),
            key: "AbCd…wxyz".into(),
            source: "rest_poll",
            at: "2026-12-06T03:00:00.000Z".into(),
            exchange_ms: 0,
            order: Some(Order {
                order_id: "1234".into(),
                client_order_id: None,
                category: Category::Spot,
                symbol: "ETHUSDT".into(),
                side: Side::Buy,
                order_type: "market".into(),
                qty: Amount::new("10"),
                price: None,
                filled_qty: Amount::new("10"),
                avg_price: None,
                status: OrderStatus::Filled,
                created_ms: 0,
                updated_ms: 0,
            }),
            reasons: vec!["not in the ledger".into()],
            instant: std::time::Instant::now(),
        }
    }

    #[test]
    fn a_lock_tells_what_was_seen_what_was_done_and_both_next_commands() {
        let decision = Decision {
            notify: true,
            lock: true,
            respond: false,
        };
        let m = message(
            whose("/etc/lockdown/config.yaml", "grid bot"),
            &signal(),
            &decision,
            Done::Locked {
                run_dir: Some("/var/lib/lockdown/runs/2026-x"),
                contained: true,
                error: None,
            },
        );
        assert_eq!(m.event, Event::WatchSignal);
        assert_eq!(m.severity, Severity::Critical);
        assert!(
            m.text
                .starts_with("Seen: unauthorized_order (high) on key AbCd…wxyz"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains("buy 10 ETHUSDT market, order 1234"),
            "{}",
            m.text
        );
        assert!(m.text.contains("Why: not in the ledger."), "{}", m.text);
        assert!(m.text.contains("LOCKED"), "{}", m.text);
        assert!(
            m.text
                .contains("`lockdown unlock /var/lib/lockdown/runs/2026-x`"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains(
                "`lockdown respond --config /etc/lockdown/config.yaml --profile main --key KEY_ID`"
            ),
            "{}",
            m.text
        );
        assert!(m.text.contains("(`grid bot`)"), "{}", m.text);
        let get = |name: &str| {
            m.fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no field {name}"))
        };
        assert_eq!(get("kind"), "unauthorized_order");
        assert_eq!(get("order_id"), "1234");
        assert_eq!(get("price"), "–");
        assert_eq!(get("decision"), "notify, lock");
        assert_eq!(get("run"), "/var/lib/lockdown/runs/2026-x");
    }

    #[test]
    fn a_failed_lock_or_an_unlockable_venue_is_critical_whatever_the_confidence() {
        let mut medium = signal();
        medium.confidence = Confidence::Medium;
        let decision = Decision::default();
        for done in [
            Done::Locked {
                run_dir: None,
                contained: false,
                error: Some("the exchange answered 10003"),
            },
            Done::CannotLock,
        ] {
            let m = message(whose("c.yaml", "bot"), &medium, &decision, done);
            assert_eq!(m.severity, Severity::Critical, "{done:?}");
            assert!(m.text.contains("still works"), "{}", m.text);
            assert!(!m.text.contains("unlock"), "{}", m.text);
        }
        let m = message(whose("c.yaml", "bot"), &medium, &decision, Done::Nothing);
        assert_eq!(m.severity, Severity::Warning);
        assert!(m.text.contains("Done: nothing"), "{}", m.text);
        assert_eq!(
            m.fields.iter().find(|(n, _)| n == "decision").unwrap().1,
            "log"
        );
    }
}
