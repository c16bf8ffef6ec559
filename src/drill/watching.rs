//! `drill --watch`: the watcher instead of the scenario's fixed detection delay.
//!
//! The drill's own watcher (`crate::watch`, REST polling at `--watch-interval`, the default
//! policy) follows the leaked key on the simulator; the attacker starts once the watcher has
//! made its first look, as a watcher runs long before an attack (its start-up is not timed), and
//! where the owner's bot trades, only once the watcher has judged the bot's orders past the
//! ledger's lag ([`quiet_period`] more): a false alarm about them shows before the attack. It ends
//! when the watcher has acted on every leaked key (its lock is the response's start), or, when it
//! never does, once the attacker's plan is over and the watcher had [`quiet_period`] more to see
//! it: then the owner responds by hand, as in a drill without `--watch`. A many-key drill (the
//! vendor leak) is watched the same way, all its keys by one watcher, the attackers starting once
//! every key is armed, each key scored on its own signals and lock ([`Watched::of_key`]). Either way the whole response runs
//! afterwards, as the person the watcher notified would run it, so the scorecard still scores
//! the revoke, the replacement and the diff. The watcher's signals are scored against the
//! simulator's truth: one about an order of the owner's is a false alarm.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use crate::config;
use crate::engine::Confirm;
use crate::error::Error;
use crate::sim::Session;
use crate::ui::Ui;
use crate::watch::{Act, Acted, Confidence, Options, Policy, Report, Rule, Settings, Signal};

/// The longest a drill waits for the attacker's plan while watching.
const PLAN_LIMIT: Duration = Duration::from_secs(30);
/// How much longer a notify-only watcher watches after the attack, to recover from a drop.
const RECOVERY: Duration = Duration::from_secs(10);
/// The longest the attacker waits for the watcher's first look.
const ARM_LIMIT: Duration = Duration::from_secs(10);

/// What the drill's watcher saw and did.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The polling interval.
    pub interval: Duration,
    /// Every signal, in order.
    pub signals: Vec<Signal>,
    /// The lock it ran, if it did (a many-key drill: the first; [`Watched::of_key`] picks).
    pub acted: Option<Acted>,
    /// Every lock it ran, each key's.
    pub all_acted: Vec<Acted>,
    /// How long it watched, ms.
    pub watched_ms: u64,
    /// Looks made, and reads sent.
    pub looks: u64,
    /// Reads sent.
    pub reads: u64,
    /// `stream` or `rest_poll`.
    pub source: &'static str,
    /// The stream's figures, when it streamed.
    pub stream: Option<crate::watch::StreamFigures>,
    /// The simulator's count of stream connections dropped by an injected fault.
    pub dropped_by_fault: u64,
}

impl Watched {
    /// What the watcher saw and did about one key (masked as the watcher masks it): its signals
    /// and its lock; the looks, reads and stream figures stay the watcher's.
    pub fn of_key(&self, masked: &str) -> Watched {
        Watched {
            signals: self
                .signals
                .iter()
                .filter(|s| s.key == masked)
                .cloned()
                .collect(),
            acted: self.all_acted.iter().find(|a| a.key == masked).cloned(),
            ..self.clone()
        }
    }
}

/// How long a watcher gets after the attacker's plan to act on it: three looks and the
/// ledger's lag (an order of the bots' kind is judged only once the lag passed), and a second.
pub fn quiet_period(interval: Duration, ledger_lag: Duration) -> Duration {
    interval * 3 + ledger_lag + Duration::from_secs(1)
}

/// The attack under the watcher, as a drill shows and ends it: `waiting` on a spinner while
/// [`watch`] runs; a watcher that fails ends the drill's actors (`over`); the simulator's count
/// of stream connections its faults dropped goes into the figures.
#[allow(clippy::too_many_arguments)]
pub async fn watch_attack(
    how: super::WatchDrill,
    waiting: &str,
    sim: &crate::sim::Sim,
    session: &Session,
    plan: &mut watch::Receiver<bool>,
    armed: oneshot::Sender<()>,
    keys: usize,
    bot_trades: bool,
    over: &watch::Sender<bool>,
    ui: &Ui,
) -> Result<Watched, Error> {
    let spinner = ui.spinner(waiting);
    let watched = watch(how, session, plan, Some(armed), keys, bot_trades, ui).await;
    spinner.finish();
    if watched.is_err() {
        let _ = over.send(true);
    }
    let mut watched = watched?;
    watched.dropped_by_fault = sim.stream_connections().1;
    Ok(watched)
}

/// Watches the session's leaked keys (`keys` of them) until the watcher acted on each or the
/// attack is long over. `plan` turns true once every attacker's plan is done; `armed` is sent
/// once every key's source is armed.
pub async fn watch(
    how: super::WatchDrill,
    session: &Session,
    plan: &mut watch::Receiver<bool>,
    mut armed: Option<oneshot::Sender<()>>,
    keys: usize,
    bot_trades: bool,
    ui: &Ui,
) -> Result<Watched, Error> {
    let interval = how.interval;
    let profile = config::load_profile(&session.config, Some("sim"))?;
    let quiet = quiet_period(interval, profile.ledger_lag);
    // A watcher that only notifies (or where streams are cut on purpose) watches the whole
    // attack, its recovery from a dropped stream included (a reconnect's backoff, a token and a
    // gap fill under the venue's REST limits): it gets that long more before the drill counts
    // what it missed.
    let quiet = if how.notify_only || how.stream_faults != crate::sim::StreamFaults::default() {
        quiet + RECOVERY
    } else {
        quiet
    };
    // Where the owner's bot trades, the attack waits until the watcher has judged the bot's
    // orders past the ledger's lag: a false alarm about them would show by then.
    let warm_up = if bot_trades { quiet } else { Duration::ZERO };
    let options = Options {
        config: session.config.clone(),
        profile,
        settings: {
            let mut settings = Settings {
                interval,
                streams: how.streams,
                ..config::load_watch(&session.config)?
            };
            // The owner's bot logs in from `sim::BOT_IP`, which the session's profile does not
            // name: vouched for, so its logins are no `unknown_access` (watch/access.rs).
            settings
                .known_ips
                .push(ipnet::IpNet::from(crate::sim::BOT_IP));
            if how.notify_only {
                settings.policy = Policy {
                    rules: vec![Rule {
                        signal: None,
                        confidence: Confidence::Low,
                        act: Act::Notify,
                    }],
                };
            }
            settings
        },
        confirm: Confirm::Drill,
    };
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let (stop_tx, stop) = watch::channel(false);
    let watcher = crate::watch::run(&options, Some(reports_tx), stop, ui);
    let waiting = async {
        let bound = tokio::time::sleep(PLAN_LIMIT + quiet);
        tokio::pin!(bound);
        let mut plan_over: Option<Instant> = None;
        // A watcher that never completes a look still lets the attack start, after a while.
        let arm_limit = tokio::time::sleep(ARM_LIMIT + warm_up);
        tokio::pin!(arm_limit);
        let mut armed_at: Option<Instant> = None;
        let mut armed_keys = 0;
        let mut acted_keys = std::collections::BTreeSet::new();
        // Batches each key's watcher judged after the attacker's plan ended.
        let mut judged_after = std::collections::BTreeMap::<String, usize>::new();
        loop {
            // Polling, the quiet period also lasts until every key was looked at twice after the
            // plan (looks slow under load: the drill must not end before they saw the attack's
            // last orders); streams push, and their REST looks come a minute apart.
            let looked = how.streams
                || (judged_after.len() >= keys && judged_after.values().all(|n| *n >= 2));
            let warmed = async {
                match (armed_at, armed.is_some()) {
                    (Some(at), true) => tokio::time::sleep_until((at + warm_up).into()).await,
                    _ => std::future::pending().await,
                }
            };
            let quiet_over = async {
                match plan_over {
                    Some(at) if looked => tokio::time::sleep_until((at + quiet).into()).await,
                    _ => std::future::pending().await,
                }
            };
            let plan_done = async { plan.wait_for(|done| *done).await.map(|_| ()) };
            tokio::select! {
                report = reports.recv() => match report {
                    None => break,
                    Some(Report::Acted(acted)) => {
                        acted_keys.insert(acted.key);
                        if acted_keys.len() >= keys {
                            break;
                        }
                    }
                    Some(Report::Armed) => {
                        armed_keys += 1;
                        if armed_keys >= keys {
                            armed_at.get_or_insert_with(Instant::now);
                        }
                    }
                    Some(Report::Judged(key)) => {
                        if plan_over.is_some() {
                            *judged_after.entry(key).or_insert(0) += 1;
                        }
                    }
                    Some(Report::Signal(..)) => {}
                },
                () = warmed => {
                    if let Some(armed) = armed.take() {
                        let _ = armed.send(());
                    }
                }
                () = &mut arm_limit, if armed.is_some() => {
                    if let Some(armed) = armed.take() {
                        let _ = armed.send(());
                    }
                }
                Ok(()) = plan_done, if plan_over.is_none() => plan_over = Some(Instant::now()),
                () = quiet_over => break,
                () = &mut bound => break,
            }
        }
        if let Some(armed) = armed.take() {
            let _ = armed.send(());
        }
        let _ = stop_tx.send(true);
    };
    let (summary, ()) = tokio::join!(watcher, waiting);
    let summary = summary?;
    Ok(Watched {
        interval,
        acted: summary.acted.first().cloned(),
        all_acted: summary.acted.clone(),
        signals: summary.signals,
        watched_ms: summary.watched_ms,
        looks: summary.looks,
        reads: summary.reads,
        source: summary.source,
        stream: summary.stream,
        dropped_by_fault: 0,
    })
}
