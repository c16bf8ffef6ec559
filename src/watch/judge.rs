//! The judge: each batch of orders against the owner's ledger, as the diff would judge them,
//! turned into signals.
//!
//! The ledger is read again whenever its file changed (its size or time), so it is the bots'
//! live tail; the lag window ends at the look that brought the batch. Orders stay in memory
//! while a verdict on them may still change (inside the lag, a cancel the ledger has not caught
//! up with) and as long as one ledger entry could be claimed twice; a signal is raised once per
//! order and kind. Without a usable ledger nothing can be called someone else's order: only
//! bursts are watched, and the watcher says so when it starts.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::time::Instant;

use super::policy::Burst;
use super::signal::{Confidence, Signal, SignalKind};
use super::source::Batch;
use crate::actions::ledger::Ledger;
use crate::actions::live::{LiveRules, LiveVerdict, judge, ledger_trades};
use crate::exchanges::model::{Category, Order};

/// How long an order is kept for judging after its last change, beyond the ledger's lag.
const KEEP_MS: i64 = 10 * 60 * 1000;

/// One watched key's judge.
#[derive(Debug)]
pub struct Judge {
    profile: String,
    key: String,
    ledger_path: Option<PathBuf>,
    ledger: Option<Ledger>,
    stamp: Option<(std::time::SystemTime, u64)>,
    /// Why the ledger cannot be used, when it cannot.
    pub ledger_problem: Option<String>,
    lag_ms: i64,
    prefix: Option<String>,
    orders: Vec<Order>,
    index: HashMap<(Category, String, String), usize>,
    signalled: HashSet<String>,
    burst: Burst,
    recent: VecDeque<i64>,
    last_burst_ms: Option<i64>,
    /// When (exchange ms) the first verdict the last look put off until the ledger's lag
    /// passed can be given: [`Judge::due_ms`].
    due_ms: Option<i64>,
}

impl Judge {
    /// A judge of `key`'s orders (masked) in `profile` against the ledger at `ledger_path`.
    pub fn new(
        profile: &str,
        key: &str,
        ledger_path: Option<PathBuf>,
        lag: std::time::Duration,
        prefix: Option<String>,
        burst: Burst,
    ) -> Judge {
        let mut judge = Judge {
            profile: profile.to_owned(),
            key: key.to_owned(),
            ledger_problem: ledger_path
                .is_none()
                .then(|| "the profile names no `known_orders` ledger".to_owned()),
            ledger_path,
            ledger: None,
            stamp: None,
            lag_ms: i64::try_from(lag.as_millis()).unwrap_or(i64::MAX / 4),
            prefix,
            orders: Vec::new(),
            index: HashMap::new(),
            signalled: HashSet::new(),
            burst,
            recent: VecDeque::new(),
            last_burst_ms: None,
            due_ms: None,
        };
        judge.refresh_ledger();
        judge
    }

    /// Reads the ledger again when its file changed.
    fn refresh_ledger(&mut self) {
        let Some(path) = &self.ledger_path else {
            return;
        };
        let stamp = std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().unwrap_or(std::time::UNIX_EPOCH), m.len()));
        if stamp.is_some() && stamp == self.stamp && self.ledger.is_some() {
            return;
        }
        match Ledger::load(path) {
            Ok(ledger) => {
                self.ledger = Some(ledger);
                self.ledger_problem = None;
                self.stamp = stamp;
            }
            // A line being written as it is read: the last good read (if any) stands until the
            // next look reads the file again.
            Err(err) => self.ledger_problem = Some(err.to_string()),
        }
    }

    /// Judges a batch (and every order still kept): the signals not raised before.
    pub fn look(&mut self, batch: Batch, source: &'static str) -> Vec<Signal> {
        self.refresh_ledger();
        let now = batch.exchange_ms;
        let mut signals = Vec::new();
        let mut due: Option<i64> = None;
        let mut put_off = |at: i64| {
            if at > now {
                due = Some(due.map_or(at, |d| d.min(at)));
            }
        };
        for order in batch.orders {
            let key = (order.category, order.symbol.clone(), order.order_id.clone());
            match self.index.get(&key) {
                Some(&i) => self.orders[i] = order,
                None => {
                    self.recent.push_back(order.created_ms);
                    self.index.insert(key, self.orders.len());
                    self.orders.push(order);
                }
            }
        }
        if let Some(signal) = self.burst_signal(now, source) {
            signals.push(signal);
        }
        if let Some(ledger) = &self.ledger {
            let rules = LiveRules {
                prefix: self.prefix.as_deref(),
                ledger_read_ms: now,
                lag_ms: self.lag_ms,
            };
            let verdicts = judge(&self.orders, ledger, &rules);
            for (order, verdict) in self.orders.iter().zip(verdicts) {
                let trades = ledger_trades(ledger, order.category, &order.symbol);
                let raised = match verdict {
                    LiveVerdict::Owner => None,
                    LiveVerdict::Unauthorized(why) => {
                        let mut reasons = vec![why];
                        let age = now - order.created_ms;
                        if age > self.lag_ms {
                            reasons.push(format!(
                                "placed {} s ago, longer than the ledger's lag of {} s",
                                age / 1000,
                                self.lag_ms / 1000
                            ));
                        } else {
                            reasons.push("not of the bots' kind (client id, market)".to_owned());
                        }
                        if !trades {
                            reasons.push(format!(
                                "on a market the bots never trade ({})",
                                order.symbol
                            ));
                        }
                        Some((SignalKind::UnauthorizedOrder, Confidence::High, reasons))
                    }
                    LiveVerdict::Unconfirmed if !trades => {
                        put_off(order.created_ms + self.lag_ms + 1);
                        Some((
                            SignalKind::UnfamiliarMarket,
                            Confidence::Medium,
                            vec![format!(
                                "not in the ledger yet (inside its lag), on a market the bots never trade ({})",
                                order.symbol
                            )],
                        ))
                    }
                    LiveVerdict::Unconfirmed => {
                        put_off(order.created_ms + self.lag_ms + 1);
                        None
                    }
                    // The bots' own cancel may not be in the ledger yet: judged once the lag passed.
                    LiveVerdict::Tampered(fields) if order.updated_ms < now - self.lag_ms => {
                        Some((
                            SignalKind::TamperedOrder,
                            Confidence::Medium,
                            vec![format!(
                                "a ledger order whose {} the venue shows otherwise, longer than the ledger's lag ago",
                                fields.join(", ")
                            )],
                        ))
                    }
                    LiveVerdict::Tampered(_) => {
                        put_off(order.updated_ms + self.lag_ms + 1);
                        None
                    }
                };
                if let Some((kind, confidence, reasons)) = raised {
                    let id = format!("{}/{}/{}", self.key, kind.as_str(), order.order_id);
                    if self.signalled.insert(id.clone()) {
                        signals.push(Signal {
                            id,
                            kind,
                            confidence,
                            profile: self.profile.clone(),
                            key: self.key.clone(),
                            source,
                            at: crate::clock::now_rfc3339(),
                            exchange_ms: now,
                            order: Some(order.clone()),
                            reasons,
                            instant: Instant::now(),
                        });
                    }
                }
            }
        }
        self.forget(now);
        self.due_ms = due;
        signals
    }

    /// When (on the exchange's clock) a verdict the last look put off until the ledger's lag
    /// passed can be given: a cancel or amend of a bot's order (the bot's own may not be in
    /// the ledger yet), an order of the bots' kind not in it yet. The watcher judges again
    /// then, with no new orders, instead of waiting for the next batch: with the streams up
    /// that may be a minute away (the reconcile), and a drill's watcher stops sooner.
    pub fn due_ms(&self) -> Option<i64> {
        self.due_ms
    }

    /// A burst: more new orders created within the window than the bots ever place; once per
    /// window.
    fn burst_signal(&mut self, now: i64, source: &'static str) -> Option<Signal> {
        let per = i64::try_from(self.burst.per.as_millis()).unwrap_or(i64::MAX / 4);
        self.recent.retain(|&created| created >= now - per);
        if self.recent.len() <= self.burst.orders
            || self.last_burst_ms.is_some_and(|t| now - t < per)
        {
            return None;
        }
        self.last_burst_ms = Some(now);
        let id = format!("{}/burst/{now}", self.key);
        self.signalled.insert(id.clone());
        Some(Signal {
            id,
            kind: SignalKind::Burst,
            confidence: Confidence::Medium,
            profile: self.profile.clone(),
            key: self.key.clone(),
            source,
            at: crate::clock::now_rfc3339(),
            exchange_ms: now,
            order: None,
            reasons: vec![format!(
                "{} new orders within {} s; more than {} is a burst (`watch: burst:`)",
                self.recent.len(),
                per / 1000,
                self.burst.orders
            )],
            instant: Instant::now(),
        })
    }

    /// Drops orders whose verdict can no longer change.
    fn forget(&mut self, now: i64) {
        let horizon = now - self.lag_ms - KEEP_MS;
        if self.orders.iter().all(|o| o.updated_ms >= horizon) {
            return;
        }
        self.orders
            .retain(|o| o.status.is_open() || o.updated_ms >= horizon);
        self.index = self
            .orders
            .iter()
            .enumerate()
            .map(|(i, o)| ((o.category, o.symbol.clone(), o.order_id.clone()), i))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::OrderStatus;

    fn order(id: &str, cid: &str, status: OrderStatus, created_ms: i64, updated_ms: i64) -> Order {
        Order {
            status,
            updated_ms,
            ..crate::actions::live::tests::order(id, Some(cid), "BTCUSDT", created_ms)
        }
    }

    #[test]
    fn a_verdict_put_off_for_the_ledgers_lag_is_due_when_the_lag_passed() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("known.jsonl");
        std::fs::write(
            &ledger,
            "{\"order_id\":\"1\",\"client_order_id\":\"grid-1\",\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"qty\":\"1\",\"price\":\"10\",\"status\":\"open\"}\n",
        )
        .unwrap();
        let mut judge = Judge::new(
            "sim",
            "k",
            Some(ledger),
            std::time::Duration::from_secs(10),
            Some("grid-".to_owned()),
            Burst::default(),
        );
        let now = 10_000_000;
        // The bot's order, open in the ledger, cancelled a second ago: maybe by the bot itself.
        let cancelled = order(
            "1",
            "grid-1",
            OrderStatus::Cancelled,
            now - 3_600_000,
            now - 1_000,
        );
        let signals = judge.look(
            Batch {
                orders: vec![cancelled],
                exchange_ms: now,
            },
            "rest_poll",
        );
        assert!(signals.is_empty(), "{signals:?}");
        assert_eq!(judge.due_ms(), Some(now - 1_000 + 10_000 + 1));
        // Judged again when due, with no new orders: now it is someone else's cancel.
        let due = judge.due_ms().unwrap();
        let signals = judge.look(
            Batch {
                orders: Vec::new(),
                exchange_ms: due,
            },
            "rest_poll",
        );
        assert_eq!(signals.len(), 1, "{signals:?}");
        assert_eq!(signals[0].kind, SignalKind::TamperedOrder);
        assert_eq!(judge.due_ms(), None, "nothing is put off any more");
    }
}
