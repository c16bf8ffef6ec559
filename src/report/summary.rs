//! The summary box: who (venue, account, sub-account, the leaked key's whole id), when (the
//! attack's window in exchange time, the time to contain), from where (the exchange's access
//! log), how much (an estimate per coin, with its method) and what is left.
//!
//! Everything is read from the journal: the run's inputs (ids whole: `resume` needs them, and
//! ids are not secrets), the steps' outputs and the seal. What the journal does not say is said
//! to be unknown, never guessed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use super::Timeline;
use super::content::{ActivityKind, Loss, SummaryBox};
use crate::actions::{ActionSpec, Containment};
use crate::exchanges::model::decimal;
use crate::exchanges::{Capability, Support};
use crate::journal::Event;
use crate::journal::record::{self, Record};
use crate::venues::ExchangeId;

/// How `losses` is computed, for people.
pub const LOSS_METHOD: &str = "Estimate: the notional (quantity × price) of the fills of the \
    unauthorized orders and of the orders seen only through their fills, summed per quote coin. \
    It is what was traded with the account's money, not the loss itself, which also depends on \
    the prices the attacker moved and what the positions are worth when they are closed.";

/// What the summary needs from the journal beyond the timeline.
#[derive(Debug, Default)]
struct Facts {
    key_id: String,
    account: Option<String>,
    is_master: Option<bool>,
    contained_ms: Option<u64>,
    access_log: Vec<Value>,
    access_log_read: bool,
    lock_ips: Vec<String>,
}

impl Facts {
    fn read(events: &[Event]) -> Facts {
        let mut facts = Facts::default();
        for event in events {
            if let Some(run) = record::RunStarted::of(event) {
                facts.key_id = run.inputs.get("key").cloned().unwrap_or(run.key);
            } else if let Some(end) = record::StepFinished::of(event) {
                facts.step(&end);
            } else if let Some(end) = record::RunFinished::of(event)
                && end.contained_ms.is_some()
            {
                facts.contained_ms = end.contained_ms;
            }
        }
        facts
    }

    fn step(&mut self, end: &record::StepFinished) {
        let out = &end.outputs;
        if end.status != crate::engine::StepStatus::Ok {
            return;
        }
        if let Some(account) = out.get("account").and_then(Value::as_str)
            && self.account.is_none()
        {
            self.account = Some(account.to_owned());
        }
        if end.action == "restrict_key"
            && let Some(ips) = out.get("ips").and_then(Value::as_array)
        {
            self.lock_ips = ips
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        let contains = ActionSpec::containment_of(&end.action) == Containment::Contains;
        if contains
            && self.contained_ms.is_none()
            && let Some(ms) = out.get("contained_after_ms").and_then(Value::as_u64)
        {
            self.contained_ms = Some(ms);
        }
        if let Some(rows) = out.get("key_info").and_then(Value::as_array) {
            for info in rows.iter().filter_map(|r| r.get("info")) {
                if let Some(account) = info.get("account").and_then(Value::as_str) {
                    self.account.get_or_insert_with(|| account.to_owned());
                }
                if let Some(master) = info.get("is_master").and_then(Value::as_bool) {
                    self.is_master.get_or_insert(master);
                }
            }
        }
        if let Some(events) = out.get("access_log").and_then(Value::as_array) {
            self.access_log_read = true;
            self.access_log.extend(events.iter().cloned());
        }
    }
}

/// The summary box of `t`, whose journal is `events`.
pub fn summary(t: &Timeline, events: &[Event]) -> SummaryBox {
    let facts = Facts::read(events);
    let (account_uid, sub_account_uid) = match facts.is_master {
        Some(true) => (facts.account.clone(), None),
        _ => (None, facts.account.clone()),
    };
    let (attack_started, attack_ended) = window(t);
    let (source_ips, source_ips_note) = sources(t, &facts);
    SummaryBox {
        venue: t.run.exchange.clone(),
        account_uid,
        sub_account_uid,
        key_id: facts.key_id.clone(),
        attack_started,
        attack_ended,
        source_ips,
        source_ips_note,
        time_to_contain_ms: facts.contained_ms,
        losses: losses(t),
        loss_method: LOSS_METHOD.to_owned(),
        left: t
            .left()
            .into_iter()
            .map(|todo| format!("{} (how: {})", todo.what, todo.how))
            .collect(),
    }
}

/// The first and last moment of the attacker's orders and fills, exchange time.
fn window(t: &Timeline) -> (Option<String>, Option<String>) {
    let times: Vec<&str> = t
        .activity
        .iter()
        .filter(|row| row.kind != ActivityKind::Tampered)
        .flat_map(|row| [row.created_at.as_deref(), row.updated_at.as_deref()])
        .flatten()
        .collect();
    (
        times.iter().min().map(|s| (*s).to_owned()),
        times.iter().max().map(|s| (*s).to_owned()),
    )
}

/// The addresses the exchange's access log shows using the key, and where they came from.
fn sources(t: &Timeline, facts: &Facts) -> (Vec<String>, String) {
    let venue = ExchangeId::parse(&t.run.exchange);
    if !facts.access_log_read {
        let why = match venue.map(|id| id.venue().support(Capability::AccessLog)) {
            Some(Support::Unavailable(why)) => why.to_owned(),
            _ => "the playbook did not read the exchange's access log".to_owned(),
        };
        return (
            Vec::new(),
            format!("none: {why}; ask support for the API access log of the attack's window"),
        );
    }
    let mut ips: Vec<String> = Vec::new();
    let mut entries = 0;
    for event in &facts.access_log {
        // An entry that names another key is not this key's.
        let names = event.get("detail").and_then(Value::as_str);
        if names.is_some_and(|key| key != facts.key_id) {
            continue;
        }
        entries += 1;
        if let Some(ip) = event.get("ip").and_then(Value::as_str)
            && !ips.iter().any(|seen| seen == ip)
        {
            ips.push(ip.to_owned());
        }
    }
    let mut note = format!(
        "from {}'s access log: {entries} entr{} for the key",
        t.run.exchange,
        if entries == 1 { "y" } else { "ies" }
    );
    let own: Vec<&String> = ips
        .iter()
        .filter(|ip| facts.lock_ips.contains(ip))
        .collect();
    if !own.is_empty() {
        let own: Vec<&str> = own.iter().map(|s| s.as_str()).collect();
        note.push_str(&format!(
            "; {} is the address the lock bound the key to (the responder's)",
            own.join(", ")
        ));
    }
    (ips, note)
}

/// The notional per quote coin of the unauthorized fills (the diff's sum per symbol).
fn losses(t: &Timeline) -> Vec<Loss> {
    let mut per_coin: BTreeMap<String, Decimal> = BTreeMap::new();
    let Some(map) = t.unauthorized_notional.as_object() else {
        return Vec::new();
    };
    for (symbol, value) in map {
        // A JSON number is read as its text (the shortest that reads back as it), never as the
        // binary expansion of the float.
        let Some(amount) = (match value {
            Value::Number(n) => decimal(&n.to_string()),
            Value::String(s) => decimal(s),
            _ => None,
        }) else {
            continue;
        };
        // The currency the activity table gave this symbol's notional, else its quote coin.
        let coin = t
            .activity
            .iter()
            .find(|row| {
                row.market.starts_with(&format!("{symbol} ")) && !row.notional_currency.is_empty()
            })
            .map(|row| row.notional_currency.clone())
            .or_else(|| super::units::pair(&t.run.exchange, symbol).map(|(_, quote)| quote))
            .unwrap_or_else(|| format!("{symbol} (quote coin not known)"));
        *per_coin.entry(coin).or_default() += amount;
    }
    per_coin
        .into_iter()
        .map(|(coin, amount)| Loss {
            coin,
            amount: super::units::amount(amount),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::journal::EventKind;

    fn event(seq: u64, kind: EventKind, data: Value) -> Event {
        Event {
            seq,
            at: "2026-12-05T00:00:00.000Z".into(),
            kind,
            data,
            prev: String::new(),
            hash: String::new(),
            mac: None,
        }
    }

    fn finished(step: &str, action: &str, outputs: Value) -> Value {
        json!({"step": step, "action": action, "status": "ok", "outputs": outputs})
    }

    #[test]
    fn the_box_names_the_whole_key_its_sub_account_and_the_access_logs_addresses() {
        let events = [
            event(
                1,
                EventKind::RunStarted,
                json!({
                    "run_id": "r1", "playbook": "p", "playbook_origin": "builtin", "exchange": "deribit",
                    "config": "c", "profile": "sim", "base_url": "http://127.0.0.1:1",
                    "key": "4C…rV", "inputs": {"key": "4CKeOLrV"}, "mode": "live",
                    "started_at": "2026-12-05T00:00:00.000Z"
                }),
            ),
            event(
                2,
                EventKind::StepFinished,
                finished(
                    "lock",
                    "restrict_key",
                    json!({"account": "1000002", "ips": ["127.0.0.1"], "contained_after_ms": 56}),
                ),
            ),
            event(
                3,
                EventKind::StepFinished,
                finished(
                    "history",
                    "snapshot",
                    json!({"access_log": [
                        {"detail": "4CKeOLrV", "event": "success", "ip": "127.0.0.2", "time_ms": 1},
                        {"detail": "other", "event": "success", "ip": "10.0.0.9", "time_ms": 2},
                        {"detail": "4CKeOLrV", "event": "changed_whitelist", "ip": "127.0.0.1", "time_ms": 3}
                    ]}),
                ),
            ),
        ];
        let t = Timeline::from_events(&events);
        let s = &t.summary;
        assert_eq!(s.key_id, "4CKeOLrV");
        assert_eq!(s.sub_account_uid.as_deref(), Some("1000002"));
        assert_eq!(s.account_uid, None);
        assert_eq!(s.time_to_contain_ms, Some(56));
        assert_eq!(
            s.source_ips,
            ["127.0.0.2", "127.0.0.1"],
            "another key's entry is not this key's"
        );
        assert!(
            s.source_ips_note.contains("2 entries"),
            "{}",
            s.source_ips_note
        );
        assert!(
            s.source_ips_note
                .contains("127.0.0.1 is the address the lock bound"),
            "{}",
            s.source_ips_note
        );
    }

    /// Losses per coin are read from each number's text and summed as decimals: 0.1 + 0.2 is 0.3,
    /// and a number written with an exponent or as a string counts too.
    #[test]
    fn losses_sum_the_numbers_as_written() {
        let mut t = Timeline::default();
        t.unauthorized_notional =
            json!({"BTCUSDT": 0.1, "ETHUSDT": 0.2, "XRPUSDT": 1e-7, "SOLUSDT": "5.5", "X": null});
        t.run.exchange = "bybit".into();
        let s = summary(&t, &[]);
        let usdt = s.losses.iter().find(|l| l.coin == "USDT").unwrap();
        assert_eq!(usdt.amount, "5.8000001");
    }

    #[test]
    fn without_an_access_log_the_box_says_why_and_losses_keep_their_coin() {
        let mut t = Timeline::default();
        t.unauthorized_notional = json!({"XVGUSDT": 1875.26890985, "BTC-PERPETUAL": 40.0});
        t.run.exchange = "bybit".into();
        let s = summary(&t, &[]);
        assert!(s.source_ips.is_empty());
        assert!(
            s.source_ips_note.contains("Bybit has no access-log API"),
            "{}",
            s.source_ips_note
        );
        let losses: Vec<(&str, &str)> = s
            .losses
            .iter()
            .map(|l| (l.coin.as_str(), l.amount.as_str()))
            .collect();
        assert_eq!(
            losses,
            [
                ("BTC-PERPETUAL (quote coin not known)", "40"),
                ("USDT", "1875.26890985")
            ]
        );
        assert!(s.loss_method.starts_with("Estimate"));
    }
}
