//! Scoring a drill: did the response shut the attacker out, how fast, and did it single out
//! exactly the attacker's orders?
//!
//! The score is computed from three independent witnesses: the attacker's own record (when the
//! exchange first refused it), the simulator's ground truth (which orders were the attacker's,
//! what is still open, which keys are live), and the response's outcome (what it reported). It
//! never trusts the response's word for the exchange's state.
//!
//! The owner's side: an owner order the response reports `owner_unconfirmed` (the bot's ledger
//! lagging behind it) is no false alarm, only counted as `unconfirmed`; an owner order the
//! ledger never got (`in_ledger: false`) is the owner's though nothing the response can read
//! says so: reported `unauthorized` it is counted apart (`owner_not_in_ledger`), reported as
//! anything the attack is counted from it is a false alarm like any other owner order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

use super::attacker::Record;
use super::bot::BotRecord;
use crate::engine::{Outcome, StepStatus};
use crate::sim::scenario::Scenario;
use crate::sim::{Inspect, Origin};

/// The attacker's tally. Its plan (orders, cancels, reads, a withdrawal) is the attack; the
/// probes after it only watch for the moment the exchange refuses the key, so they are counted
/// apart.
#[derive(Debug, Clone, Serialize)]
pub struct AttackerScore {
    /// Requests of its plan the exchange carried out.
    pub accepted_total: usize,
    /// Requests of its plan the exchange refused, for any reason.
    pub refused: usize,
    /// Probes sent once the plan was done.
    pub probes: usize,
    /// Requests (plan or probe) refused for a rate limit.
    pub rate_limited: usize,
    /// Requests (plan or probe) sent after the response started that the key still worked for.
    pub key_worked_after_start: usize,
    /// Why the attacker stopped.
    pub stopped: String,
}

/// Detection against the ground truth.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// Orders the attacker placed (the simulator knows).
    pub truth: usize,
    /// Orders the response reported as unauthorized.
    pub detected: usize,
    /// Reported and truly the attacker's.
    pub true_positives: usize,
    /// Reported but the owner's.
    pub false_positives: usize,
    /// The attacker's, not reported.
    pub missed: usize,
    /// The owner's orders the attacker cancelled or amended (the simulator knows).
    pub tampered_truth: usize,
    /// Orders the response reported as tampered with.
    pub tampered_detected: usize,
    /// Reported as tampered and truly cancelled or amended by the attacker.
    pub tampered_true_positives: usize,
    /// Reported as tampered but untouched by the attacker.
    pub tampered_false_positives: usize,
    /// Cancelled or amended by the attacker, not reported.
    pub tampered_missed: usize,
    /// The owner's, reported `owner_unconfirmed` (in the ledger's lag window): no false alarm.
    pub unconfirmed: usize,
    /// The owner's, never in the ledger (`in_ledger: false`), reported unauthorized: what
    /// lockdown cannot know, counted apart from the false positives.
    pub owner_not_in_ledger: usize,
}

/// The owner's live bot's tally, when the scenario's bot trades during the drill.
#[derive(Debug, Clone, Serialize)]
pub struct BotScore {
    /// Orders the exchange accepted from it.
    pub placed: usize,
    /// Of those, placed after the response started.
    pub placed_after_start: usize,
    /// Its own orders it cancelled.
    pub cancelled: usize,
    /// Its requests refused because the exchange refused the key (after the lock).
    pub refused_after_lock: usize,
    /// Its requests refused for anything else (rate limits, balances).
    pub failed: usize,
    /// Lines it appended to the owner's ledger.
    pub ledger_lines: usize,
    /// Why it stopped.
    pub stopped: String,
}

/// The replacement key as the exchange holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Replacement {
    /// Masked key id.
    pub key: String,
    /// Whether it can withdraw or transfer out.
    pub withdraw: bool,
    /// Whether it is bound to exact addresses.
    pub ip_bound: bool,
}

/// A drill's result.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Venue.
    pub venue: String,
    /// The simulator's faults (`none`, or the `--faults` spec), and its latency.
    pub faults: String,
    /// The user's profile the drill ran as a twin of (`drill --profile`); `None` for the
    /// simulator's own setup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Each of that profile's settings and whether the drill used it (`drill --profile` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exercised: Vec<Exercised>,
    /// When the drill ran, RFC 3339 UTC.
    pub at: String,
    /// Contained, no open attacker order, detection perfect.
    pub passed: bool,
    /// Why it did not pass.
    pub failures: Vec<String>,
    /// The response contained the key and the attacker (if any) was refused.
    pub contained: bool,
    /// Response start → the exchange's first refusal of an attacker request (when that answer
    /// came: a request that waited out a rate limit is refused when it is finally sent).
    pub time_to_contain_ms: Option<u64>,
    /// Response start → the lock (or revoke) acknowledged.
    pub lock_acknowledged_ms: Option<u64>,
    /// `drill --watch`: the attacker's first order → the watcher's first signal about the
    /// attack (the scorecard's clock starts at that order, not at a button).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_detect_ms: Option<u64>,
    /// `drill --watch`: the attacker's first order → the exchange's first refusal of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_contain_from_first_order_ms: Option<u64>,
    /// `drill --watch`: what the watcher saw and did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchScore>,
    /// Time the response spent waiting on steps done by hand (part of the time to contain when
    /// containment itself is manual, as on Kraken).
    pub manual_wait_ms: u64,
    /// The attacker's tally.
    pub attacker: AttackerScore,
    /// The owner's live bot's tally, when it traded during the drill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotScore>,
    /// Detection.
    pub detection: Detection,
    /// Orders still open on the bot's account.
    pub open_orders_left: usize,
    /// Of those, the attacker's.
    pub attacker_open_orders_left: usize,
    /// Whether the leaked key is gone.
    pub key_revoked: bool,
    /// The replacement key, if one exists.
    pub replacement: Option<Replacement>,
    /// What the attacker's fills cost above the reference price, per quote coin.
    pub estimated_loss: BTreeMap<String, f64>,
    /// The response's report files.
    pub report: Value,
    /// The response's run folder.
    pub run_dir: String,
    /// The response journal's last event, `{seq, hash}`: kept elsewhere, it exposes a rewrite.
    pub journal: Value,
    /// The drill's folder.
    pub drill_dir: String,
    /// The response's own exit code.
    pub respond_exit: u8,
    /// What the response left for people to finish (see `engine::left`).
    pub left: Vec<crate::engine::left::Todo>,
}

/// What the drill's watcher saw and did (`drill --watch`), against the simulator's truth.
#[derive(Debug, Clone, Serialize)]
pub struct WatchScore {
    /// Where it looked: `stream` (the venue's private stream, REST filling its gaps) or
    /// `rest_poll`.
    pub source: &'static str,
    /// The stream's figures (connections, drops, messages, gap fills), when it streamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<crate::watch::StreamFigures>,
    /// Stream connections the simulator dropped by an injected fault (`--stream-faults`).
    pub stream_drops_injected: u64,
    /// When the watcher watched the whole attack (`--watch-notify-only`, or a venue it cannot
    /// lock on): the orders the attacker placed meanwhile that it never signalled; `None` when it locked (what came after the lock was refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missed: Option<usize>,
    /// Signals by what found them: `stream`, `gap_fill` (a REST read after a (re)connect) or
    /// `rest_poll`.
    pub signals_by_source: std::collections::BTreeMap<&'static str, usize>,
    /// Its polling interval, ms.
    pub interval_ms: u64,
    /// How long it watched, ms.
    pub watched_ms: u64,
    /// Looks made.
    pub looks: u64,
    /// Reads sent to the exchange.
    pub reads: u64,
    /// Signals raised.
    pub signals: usize,
    /// Of those, about the attack (an attacker's order, an order it tampered with, a burst
    /// while it traded).
    pub true_signals: usize,
    /// Of those, about owner orders the ledger never got (`ledger-gap`): not false alarms,
    /// the diff cannot tell them from the attacker's either.
    pub about_orders_never_in_ledger: usize,
    /// Of those, about the owner's own orders (or a burst with no attacker): false alarms.
    pub false_alarms: usize,
    /// False alarms per hour of watching.
    pub false_alarms_per_hour: f64,
    /// The attacker's first order → the watcher's lock run started, ms.
    pub first_order_to_lock_started_ms: Option<u64>,
    /// The watcher's lock run: its folder, when it ran (undo with `lockdown unlock`).
    pub lock_run: Option<String>,
    /// The lock run's own start → its lock acknowledged, ms.
    pub lock_acknowledged_ms: Option<u64>,
    /// Each signal, one line, in order.
    pub lines: Vec<String>,
}

/// One of the owner's settings in a drill of their profile: did the twin use it?
#[derive(Debug, Clone, Serialize)]
pub struct Exercised {
    /// The setting (`playbook`, `ledger format`, `store`, `responder_ip`, …).
    pub setting: String,
    /// Its value as the drill saw it (`csv`, `env-file`, `yours, PATH sha256 …`).
    pub value: String,
    /// Whether the drill used it as the owner's response would: `yes`, `partly`, `no`.
    pub exercised: &'static str,
    /// Why not, or how far, and where to check it instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Exercised {
    /// A setting the drill used.
    pub fn yes(setting: &str, value: impl Into<String>) -> Exercised {
        Exercised {
            setting: setting.to_owned(),
            value: value.into(),
            exercised: "yes",
            note: None,
        }
    }

    /// With a note saying how the drill used it.
    pub fn noting(self, note: impl Into<String>) -> Exercised {
        Exercised {
            note: Some(note.into()),
            ..self
        }
    }

    /// A setting the drill used in part.
    pub fn partly(setting: &str, value: impl Into<String>, note: impl Into<String>) -> Exercised {
        Exercised {
            exercised: "partly",
            note: Some(note.into()),
            ..Exercised::yes(setting, value)
        }
    }

    /// A setting the drill could not use.
    pub fn no(setting: &str, value: impl Into<String>, note: impl Into<String>) -> Exercised {
        Exercised {
            exercised: "no",
            note: Some(note.into()),
            ..Exercised::yes(setting, value)
        }
    }

    /// One line for people: `store: env-file`, `responder_ip: not exercised, 203.0.113.9
    /// (loopback twin; see lockdown check)`.
    pub fn line(&self) -> String {
        let note = self
            .note
            .as_deref()
            .map(|note| format!(" ({note})"))
            .unwrap_or_default();
        match self.exercised {
            "no" => format!("{}: not exercised, {}{note}", self.setting, self.value),
            _ => format!("{}: {}{note}", self.setting, self.value),
        }
    }
}

/// Everything a score is computed from.
#[derive(Debug)]
pub struct Evidence<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The seed.
    pub seed: u64,
    /// The exchange's state after the drill.
    pub truth: &'a Inspect,
    /// The leaked key's id.
    pub leaked: &'a str,
    /// The attacker's record.
    pub attacker: &'a Record,
    /// The owner's live bot's record, when it traded.
    pub bot: Option<&'a BotRecord>,
    /// The owner's orders the ledger never got (`sim::Session::left_out`).
    pub left_out: &'a BTreeSet<String>,
    /// When the response started.
    pub respond_started: Instant,
    /// How the response ended.
    pub outcome: &'a Outcome,
    /// The drill's folder.
    pub drill_dir: String,
    /// The venue.
    pub venue: crate::exchanges::ExchangeId,
    /// The simulator's faults, as shown to people.
    pub faults: String,
    /// `drill --watch`: what the watcher saw and did.
    pub watch: Option<&'a super::watching::Watched>,
}

/// Scores a drill.
pub fn score(e: &Evidence<'_>) -> Scorecard {
    let since = |instant: Option<Instant>| {
        instant
            .and_then(|i| i.checked_duration_since(e.respond_started))
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    let attempts = &e.attacker.attempts;
    let first_refusal = attempts
        .iter()
        .find(|a| a.refused_key && a.answered().is_some_and(|i| i >= e.respond_started));
    let had_attacker = !attempts.is_empty();
    let plan = || attempts.iter().filter(|a| a.kind != "probe");
    let attacker = AttackerScore {
        accepted_total: plan().filter(|a| a.accepted).count(),
        refused: plan().filter(|a| !a.accepted).count(),
        probes: attempts.iter().filter(|a| a.kind == "probe").count(),
        rate_limited: attempts.iter().filter(|a| a.rate_limited).count(),
        key_worked_after_start: attempts
            .iter()
            .filter(|a| a.key_worked && a.instant().is_some_and(|i| i >= e.respond_started))
            .count(),
        stopped: e.attacker.stopped.clone(),
    };

    let truth: BTreeSet<String> = e.truth.attacker_order_ids();
    let detected: BTreeSet<String> = detected_orders(e.outcome);
    let detection = detection(e, &truth, &detected);
    let bot = e.bot.map(|record| bot_score(record, e.respond_started));

    let bot_uid = e.truth.key(e.leaked).map(|k| k.uid);
    let open: Vec<_> = e
        .truth
        .orders
        .iter()
        .filter(|o| Some(o.uid) == bot_uid && o.is_open())
        .collect();
    let attacker_open = open.iter().filter(|o| o.origin == Origin::Attacker).count();
    let key_revoked = e.truth.key(e.leaked).is_none_or(|k| k.deleted);
    let replacement = e
        .truth
        .keys
        .iter()
        // The owner's own key may share the account (Kraken): never the replacement.
        .filter(|k| Some(k.uid) == bot_uid && !k.deleted && k.id != e.leaked && !k.is_master)
        .max_by_key(|k| k.created_ms)
        .map(|k| {
            let perms = k.permissions.to_string().to_ascii_lowercase();
            // Deribit names no withdraw right: a `wallet` scope that writes withdraws.
            let wallet_write = k
                .permissions
                .get("wallet")
                .and_then(Value::as_array)
                .is_some_and(|levels| levels.iter().any(|l| l == "read_write"));
            Replacement {
                key: crate::secret::mask(&k.id),
                withdraw: perms.contains("withdraw") || perms.contains("transfer") || wallet_write,
                ip_bound: !k.ips.is_empty() && !k.ips.iter().any(|ip| ip == "*"),
            }
        });

    let (watch, time_to_detect_ms, time_to_contain_from_first_order_ms) = watch_score(e, &truth);
    let contained = e.outcome.contained && (!had_attacker || first_refusal.is_some());
    let mut failures = Vec::new();
    if !e.outcome.contained {
        failures.push("the response did not lock or revoke the key".to_owned());
    }
    if had_attacker && first_refusal.is_none() {
        failures.push("the exchange never refused the attacker after the response started".into());
    }
    if !key_revoked {
        failures.push("the leaked key is still alive at the exchange".to_owned());
    }
    if attacker_open > 0 {
        failures.push(format!("{attacker_open} attacker order(s) still open"));
    }
    if bot.as_ref().is_some_and(|b| b.refused_after_lock == 0) {
        failures.push("the exchange never refused the owner's bot after the lock".to_owned());
    }
    // A response that ended incomplete left something undone: the drill says what.
    let left = e.outcome.left.clone();
    if e.outcome.exit() != crate::exit::Exit::Ok {
        failures.push(format!(
            "the response ended with exit {}{}",
            e.outcome.exit().code(),
            left.first()
                .map(|todo| format!(": {}", todo.what))
                .unwrap_or_default()
        ));
    }
    if detection.false_positives > 0 || detection.missed > 0 {
        failures.push(format!(
            "detection: {} false positive(s), {} missed",
            detection.false_positives, detection.missed
        ));
    }
    if let Some(w) = &watch {
        if w.false_alarms > 0 {
            failures.push(format!(
                "watch: {} false alarm(s) about the owner's own orders",
                w.false_alarms
            ));
        }
        if !truth.is_empty() && w.true_signals == 0 {
            failures.push("watch: the watcher never signalled the attacker's orders".to_owned());
        }
        if let Some(missed) = w.missed.filter(|m| *m > 0) {
            failures.push(format!(
                "watch: {missed} of the attacker's orders never signalled (the watcher watched the whole attack)"
            ));
        }
    }
    if detection.tampered_false_positives > 0 || detection.tampered_missed > 0 {
        failures.push(format!(
            "tampering: {} order(s) wrongly reported tampered, {} cancelled or amended by the \
             attacker missed",
            detection.tampered_false_positives, detection.tampered_missed
        ));
    }

    Scorecard {
        scenario: e.scenario.name.clone(),
        seed: e.seed,
        venue: e.venue.as_str().to_owned(),
        faults: e.faults.clone(),
        profile: None,
        exercised: Vec::new(),
        at: crate::clock::now_rfc3339(),
        passed: failures.is_empty(),
        failures,
        contained,
        time_to_contain_ms: since(first_refusal.and_then(|a| a.answered())),
        lock_acknowledged_ms: e.outcome.contained_ms,
        time_to_detect_ms,
        time_to_contain_from_first_order_ms,
        watch,
        manual_wait_ms: e
            .outcome
            .steps
            .iter()
            .filter_map(|s| s.outputs.get("manual_wait_ms").and_then(Value::as_u64))
            .sum(),
        attacker,
        bot,
        detection,
        open_orders_left: open.len(),
        attacker_open_orders_left: attacker_open,
        key_revoked,
        replacement,
        estimated_loss: estimated_loss(e.scenario, e.truth),
        report: e.outcome.report(),
        run_dir: e.outcome.run_dir.clone(),
        journal: json!({"seq": e.outcome.journal_seq, "hash": e.outcome.journal_hash}),
        drill_dir: e.drill_dir.clone(),
        respond_exit: e.outcome.exit().code(),
        left,
    }
}

/// The watcher's score and the two times that start at the attacker's first order (module
/// docs of `drill::watching`); all `None` without `--watch`.
fn watch_score(
    e: &Evidence<'_>,
    attacker_orders: &BTreeSet<String>,
) -> (Option<WatchScore>, Option<u64>, Option<u64>) {
    let Some(w) = e.watch else {
        return (None, None, None);
    };
    let first_order = e
        .attacker
        .attempts
        .iter()
        .filter(|a| a.kind == "order" && a.accepted)
        .filter_map(|a| a.instant())
        .min();
    let after = |from: Option<Instant>, to: Option<Instant>| {
        to?.checked_duration_since(from?)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    let tampered = e.truth.tampered_order_ids();
    let attack = |s: &crate::watch::Signal| match &s.order {
        Some(o) => attacker_orders.contains(&o.order_id) || tampered.contains(&o.order_id),
        None => !attacker_orders.is_empty(),
    };
    let true_signals = w.signals.iter().filter(|s| attack(s)).count();
    // An owner order the ledger never got is indistinguishable from the attacker's: counted
    // apart, as the detection counts it, never a false alarm.
    let never_in_ledger = w
        .signals
        .iter()
        .filter(|s| !attack(s))
        .filter(|s| {
            s.order
                .as_ref()
                .is_some_and(|o| e.left_out.contains(&o.order_id))
        })
        .count();
    let false_alarms = w.signals.len() - true_signals - never_in_ledger;
    let detected = w
        .signals
        .iter()
        .filter(|s| attack(s))
        .map(|s| s.instant)
        .min();
    let refused = e
        .attacker
        .attempts
        .iter()
        .filter(|a| a.refused_key)
        .filter_map(|a| a.answered())
        .filter(|at| first_order.is_some_and(|first| *at >= first))
        .min();
    let hours = w.watched_ms as f64 / 3_600_000.0;
    let lock_started = w.acted.as_ref().and_then(|a| a.started);
    let score = WatchScore {
        source: w.source,
        missed: w.acted.is_none().then(|| {
            let signalled: BTreeSet<&str> = w
                .signals
                .iter()
                .filter_map(|s| s.order.as_ref().map(|o| o.order_id.as_str()))
                .collect();
            // The orders the attacker placed while the watcher watched: a scenario's seeded
            // history (`aged-out`) is from before any watcher ran.
            let placed: BTreeSet<&str> = e
                .attacker
                .attempts
                .iter()
                .filter_map(|a| a.order_id.as_deref())
                .collect();
            attacker_orders
                .iter()
                .filter(|id| placed.contains(id.as_str()))
                .filter(|id| !signalled.contains(id.as_str()))
                .count()
        }),
        stream: w.stream,
        stream_drops_injected: w.dropped_by_fault,
        signals_by_source: w
            .signals
            .iter()
            .fold(std::collections::BTreeMap::new(), |mut by, s| {
                *by.entry(s.source).or_insert(0) += 1;
                by
            }),
        interval_ms: u64::try_from(w.interval.as_millis()).unwrap_or(u64::MAX),
        watched_ms: w.watched_ms,
        looks: w.looks,
        reads: w.reads,
        signals: w.signals.len(),
        true_signals,
        about_orders_never_in_ledger: never_in_ledger,
        false_alarms,
        false_alarms_per_hour: if hours > 0.0 {
            ((false_alarms as f64 / hours) * 100.0).round() / 100.0
        } else {
            0.0
        },
        first_order_to_lock_started_ms: after(first_order, lock_started),
        lock_run: w.acted.as_ref().and_then(|a| a.run_dir.clone()),
        lock_acknowledged_ms: w.acted.as_ref().and_then(|a| a.contained_ms),
        lines: w.signals.iter().map(crate::watch::Signal::line).collect(),
    };
    (
        Some(score),
        after(first_order, detected),
        after(first_order, refused),
    )
}

/// Detection against the truth: the attacker's orders found, and the owner's orders reported,
/// those in the ledger's lag window and those the ledger never got counted apart (module docs).
fn detection(e: &Evidence<'_>, truth: &BTreeSet<String>, detected: &BTreeSet<String>) -> Detection {
    let owner = e.truth.owner_order_ids();
    let unauthorized = reported(e.outcome, "unauthorized");
    let not_in_ledger: BTreeSet<&String> = e
        .left_out
        .iter()
        .filter(|id| owner.contains(*id) && unauthorized.contains(*id))
        .collect();
    let tampered_truth: BTreeSet<String> = e.truth.tampered_order_ids();
    let tampered: BTreeSet<String> = reported(e.outcome, "tampered");
    let false_positives = detected
        .difference(truth)
        .filter(|id| !not_in_ledger.contains(id))
        .count();
    Detection {
        truth: truth.len(),
        detected: detected.len(),
        true_positives: truth.intersection(detected).count(),
        false_positives,
        missed: truth.difference(detected).count(),
        unconfirmed: reported(e.outcome, "unconfirmed")
            .intersection(&owner)
            .count(),
        owner_not_in_ledger: not_in_ledger.len(),
        tampered_truth: tampered_truth.len(),
        tampered_detected: tampered.len(),
        tampered_true_positives: tampered_truth.intersection(&tampered).count(),
        tampered_false_positives: tampered.difference(&tampered_truth).count(),
        tampered_missed: tampered_truth.difference(&tampered).count(),
    }
}

/// The live bot's tally from its record.
fn bot_score(record: &BotRecord, respond_started: Instant) -> BotScore {
    BotScore {
        placed: record.placed,
        placed_after_start: record
            .events
            .iter()
            .filter(|ev| ev.op == "place" && ev.accepted)
            .filter(|ev| ev.instant.is_some_and(|i| i >= respond_started))
            .count(),
        cancelled: record.cancelled,
        refused_after_lock: record.refused,
        failed: record.failed,
        ledger_lines: record.ledger_lines,
        stopped: record.stopped.clone(),
    }
}

/// The order ids of one of the diff's lists (`unauthorized`, `unconfirmed`, ...; the shared diff
/// outputs): the whole list from its file, or its inline rows when the file cannot be read.
fn reported(outcome: &Outcome, list: &str) -> BTreeSet<String> {
    let run_dir = std::path::Path::new(&outcome.run_dir);
    let mut ids = BTreeSet::new();
    for step in outcome
        .steps
        .iter()
        .filter(|s| s.action == "diff_orders" && s.status == StepStatus::Ok)
    {
        let from_file = step
            .outputs
            .get("files")
            .and_then(|f| f.get(list))
            .and_then(Value::as_str)
            .and_then(|file| std::fs::read_to_string(run_dir.join(file)).ok());
        let rows: Vec<Value> = match from_file {
            Some(text) => text
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect(),
            None => step
                .outputs
                .get(list)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        };
        ids.extend(
            rows.iter()
                .filter_map(|row| row.get("order_id").and_then(Value::as_str))
                .map(str::to_owned),
        );
    }
    ids
}

/// The order ids the response reported as the attacker's: those in the diff's `unauthorized`
/// and `fills_only` lists (`unconfirmed` is never counted as an attack).
fn detected_orders(outcome: &Outcome) -> BTreeSet<String> {
    let mut ids = reported(outcome, "unauthorized");
    ids.extend(reported(outcome, "fills_only"));
    ids
}

/// What the attacker's fills paid above (buys) or got below (sells) the reference price.
fn estimated_loss(scenario: &Scenario, truth: &Inspect) -> BTreeMap<String, f64> {
    let attacker: BTreeSet<&str> = truth
        .orders
        .iter()
        .filter(|o| o.origin == Origin::Attacker)
        .map(|o| o.order_id.as_str())
        .collect();
    let mut loss: BTreeMap<String, f64> = BTreeMap::new();
    for fill in truth
        .executions
        .iter()
        .filter(|f| attacker.contains(f.order_id.as_str()))
    {
        let Some(market) = scenario.market(&fill.symbol) else {
            continue;
        };
        let reference: f64 = market.price.parse().unwrap_or(0.0);
        let price: f64 = fill.exec_price.parse().unwrap_or(0.0);
        let qty: f64 = fill.exec_qty.parse().unwrap_or(0.0);
        let delta = if fill.side.eq_ignore_ascii_case("buy") {
            price - reference
        } else {
            reference - price
        };
        *loss.entry(market.quote.clone()).or_default() += qty * delta;
    }
    loss.into_iter()
        .map(|(coin, value)| (coin, (value * 1e8).round() / 1e8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StepRecord;
    use crate::exchanges::ExchangeId;
    use crate::sim::Sim;

    /// A response whose diff reported `lists` inline (no run folder to read files from).
    fn outcome(lists: &[(&str, Vec<String>)]) -> Outcome {
        let mut outputs = serde_json::Map::new();
        for (list, ids) in lists {
            let rows: Vec<Value> = ids.iter().map(|id| json!({"order_id": id})).collect();
            outputs.insert((*list).to_owned(), Value::Array(rows));
        }
        Outcome {
            run_id: "r".into(),
            run_dir: "/nonexistent".into(),
            playbook: "p".into(),
            mode: crate::exchanges::Mode::Live,
            left: Vec::new(),
            contained: true,
            contained_ms: Some(1),
            duration_ms: 1,
            steps: vec![StepRecord {
                id: "diff".into(),
                action: "diff_orders".into(),
                status: StepStatus::Ok,
                started_at: String::new(),
                duration_ms: 1,
                error: None,
                hint: None,
                incomplete: None,
                outputs: Value::Object(outputs),
                failure: None,
            }],
            aborted: false,
            journal_error: None,
            journal_seq: 1,
            journal_hash: String::new(),
        }
    }

    #[test]
    fn the_owners_orders_in_the_lag_window_or_never_in_the_ledger_are_no_false_alarms() {
        let scenario = Scenario::load("ledger-gap").unwrap();
        let sim = Sim::from_scenario_on(ExchangeId::Bybit, &scenario, 1);
        let dir = tempfile::tempdir().unwrap();
        let session = sim.write_session(dir.path(), "http://127.0.0.1:9").unwrap();
        let truth = sim.inspect();
        let left_out: Vec<String> = session.left_out.iter().cloned().collect();
        assert_eq!(left_out.len(), 3);
        let in_ledger: Vec<String> = truth
            .owner_order_ids()
            .difference(&session.left_out)
            .cloned()
            .collect();
        let attacker = Record::default();
        let score = |lists: &[(&str, Vec<String>)]| {
            let outcome = outcome(lists);
            let evidence = Evidence {
                scenario: &scenario,
                seed: 1,
                truth: &truth,
                leaked: &session.leaked_key,
                attacker: &attacker,
                bot: None,
                left_out: &session.left_out,
                respond_started: Instant::now(),
                outcome: &outcome,
                drill_dir: String::new(),
                venue: ExchangeId::Bybit,
                faults: String::new(),
                watch: None,
            };
            score(&evidence).detection
        };
        // Kept out of the ledger and reported unauthorized: what lockdown cannot know.
        let d = score(&[("unauthorized", left_out.clone())]);
        assert_eq!((d.false_positives, d.owner_not_in_ledger), (0, 3), "{d:?}");
        // An owner order the ledger has, reported unauthorized: a false alarm.
        let d = score(&[("unauthorized", vec![in_ledger[0].clone()])]);
        assert_eq!((d.false_positives, d.owner_not_in_ledger), (1, 0), "{d:?}");
        // Owner orders in the lag window, reported unconfirmed: shown, never a false alarm.
        let d = score(&[
            ("unconfirmed", in_ledger[..2].to_vec()),
            ("unauthorized", left_out[..1].to_vec()),
        ]);
        assert_eq!(
            (d.false_positives, d.unconfirmed, d.owner_not_in_ledger),
            (0, 2, 1),
            "{d:?}"
        );
    }
}
