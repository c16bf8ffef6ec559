//! A drill with many leaked keys at once (the vendor leak), scored key by key.
//!
//! The scenario's `keys:` bots each hold a leaked key on a sub-account of their own, and an
//! attacker trades with each key. The response is the very same as `lockdown respond --keys-file`
//! (`crate::incident`, no drill-only shortcuts): one client, every lock first, one run per key.
//! Each key is then scored on its own, against the simulator's truth for its own sub-account
//! alone (`scorecard::score`, as a one-key drill is). The drill passes only when every key
//! passes: locked (where the venue locks keys by API), revoked, replaced, every attacker order
//! of its account found, none left open.

use std::sync::Arc;
use std::time::Instant;

use secrecy::SecretString;
use serde::Serialize;
use tokio::sync::watch;

use super::attacker::{Attacker, Record};
use super::scorecard::{self, Scorecard};
use super::{GRACE, Options, PLAN_LIMIT, Stage, operator, write_json};
use crate::engine::Confirm;
use crate::error::Error;
use crate::exchanges::{Capability, Support};
use crate::incident::{IncidentRequest, Selection, respond_many};
use crate::report::incident::Summary;
use crate::secret::{Credential, KeyId};
use crate::sim::Inspect;
use crate::sim::scenario::Scenario;
use crate::ui::Ui;

/// One key of a many-key drill.
#[derive(Debug, Clone, Serialize)]
pub struct KeyScore {
    /// The key, masked.
    pub key: String,
    /// Its lock was acknowledged.
    pub locked: bool,
    /// Its score, when its response ran.
    pub card: Option<Scorecard>,
    /// Why its response did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It passed.
    pub passed: bool,
}

/// A many-key drill's result.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentCard {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Venue.
    pub venue: String,
    /// The simulator's faults.
    pub faults: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Every key passed.
    pub passed: bool,
    /// Why not, key by key.
    pub failures: Vec<String>,
    /// The response's incident summary.
    pub summary: Summary,
    /// Key by key, in the order the keys leaked.
    pub keys: Vec<KeyScore>,
    /// The drill's folder.
    pub drill_dir: String,
}

/// Runs a drill of `scenario`, whose account holds several leaked keys.
pub(super) async fn run(
    options: &Options,
    scenario: &Scenario,
    seed: u64,
    ui: &Ui,
) -> Result<IncidentCard, Error> {
    let Stage {
        drill_dir,
        sim,
        running,
        session,
        attacker,
        ..
    } = Stage::set_up(options, scenario, seed).await?;
    ui.info(&format!(
        "drill `{}` (seed {seed}) on simulated {} at {}: {}; {} leaked keys",
        scenario.name,
        options.venue,
        running.base_url,
        scenario.description,
        session.leaked_keys.len()
    ));
    // One attacker per leaked key, each with what leaked: the key, its secret, its passphrase.
    let mut attackers = vec![(session.leaked_key.clone(), attacker)];
    for (n, key) in session.leaked_keys.iter().enumerate().skip(1) {
        let path = drill_dir.join(format!("bot-{}.secret", n + 1));
        let secret = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            what: "read",
            path: path.clone(),
            source,
        })?;
        let mut stolen = Credential::new(
            KeyId::new(key.clone()),
            SecretString::from(secret.trim().to_owned()),
        );
        // Its passphrase leaked with it, on venues whose keys have one (OKX, Bitget).
        let passphrase = drill_dir.join(format!("bot-{}.passphrase", n + 1));
        if let Ok(passphrase) = std::fs::read_to_string(passphrase) {
            stolen = stolen.with_passphrase(SecretString::from(passphrase.trim().to_owned()));
        }
        let attacker = Attacker::new(options.venue, &running.base_url, stolen, scenario).map_err(
            |message| Error::Exchange {
                message,
                help: None,
            },
        )?;
        attackers.push((key.clone(), attacker));
    }
    let (over_tx, over_rx) = watch::channel(false);
    // With `--watch`, every attacker starts once the watcher has armed every key.
    let (armed_tx, armed_rx) = watch::channel(options.watch.is_none());
    let mut plans = Vec::new();
    let mut attacks = Vec::new();
    for (key, attacker) in attackers {
        let (plan_tx, plan_rx) = watch::channel(false);
        plans.push(plan_rx);
        let over_rx = over_rx.clone();
        let mut armed_rx = armed_rx.clone();
        attacks.push((
            key,
            tokio::spawn(async move {
                let _ = armed_rx.wait_for(|armed| *armed).await;
                attacker.run(plan_tx, over_rx).await
            }),
        ));
    }
    // Every plan done, as one signal (the watcher waits on it).
    let (all_plans_tx, mut all_plans_rx) = watch::channel(false);
    tokio::spawn(async move {
        for plan in &mut plans {
            let _ = plan.wait_for(|done| *done).await;
        }
        let _ = all_plans_tx.send(true);
    });

    let watched = match options.watch {
        Some(how) => {
            let (one_tx, one_rx) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(async move {
                let _ = one_rx.await;
                let _ = armed_tx.send(true);
            });
            Some(
                super::watching::watch_attack(
                    how,
                    &format!(
                        "{} attackers trading with the leaked keys; the watcher follows every key",
                        attacks.len()
                    ),
                    &sim,
                    &session,
                    &mut all_plans_rx,
                    one_tx,
                    session.leaked_keys.len(),
                    false,
                    &over_tx,
                    ui,
                )
                .await?,
            )
        }
        None => {
            drop(armed_tx);
            let waiting = ui.countdown(
                &format!(
                    "{} attackers trading with the leaked keys; detection in {}",
                    attacks.len(),
                    humantime::format_duration(scenario.detection_delay)
                ),
                Instant::now() + scenario.detection_delay,
            );
            tokio::time::sleep(scenario.detection_delay).await;
            let _ = tokio::time::timeout(PLAN_LIMIT, all_plans_rx.wait_for(|done| *done)).await;
            waiting.finish();
            None
        }
    };

    // The watcher's first lock is where the response starts; the person it notified runs the
    // whole response (a lock already in is done again: it is idempotent).
    let respond_started = watched
        .as_ref()
        .and_then(|w| w.all_acted.iter().filter_map(|a| a.started).min())
        .unwrap_or_else(Instant::now);
    let request = IncidentRequest {
        config: session.config.clone(),
        profiles: vec!["sim".to_owned()],
        selection: Selection {
            keys: session
                .leaked_keys
                .iter()
                .cloned()
                .map(KeyId::new)
                .collect(),
            all_keys: false,
        },
        playbook: options.playbook.clone(),
        inputs: std::collections::BTreeMap::new(),
        confirm: Confirm::Drill,
        mode: crate::exchanges::Mode::Live,
        otp: std::fs::read_to_string(drill_dir.join("otp"))
            .ok()
            .map(|code| SecretString::from(code.trim().to_owned())),
        operator: Some(Arc::new(operator::SimOperator::new(
            sim.clone(),
            scenario.operator_delay,
            &session.leaked_key,
        ))),
        parallel: usize::from(crate::incident::DEFAULT_PARALLEL),
    };
    let incident = respond_many(request, ui).await;

    // Every attacker stops when the exchange refuses its key, or after the grace period.
    let grace = tokio::time::sleep(GRACE);
    tokio::pin!(grace);
    let mut records: Vec<(String, Record)> = Vec::new();
    let mut pending = attacks.into_iter();
    for (key, mut attack) in pending.by_ref() {
        let record = tokio::select! {
            joined = &mut attack => joined.unwrap_or_default(),
            () = &mut grace => {
                let _ = over_tx.send(true);
                attack.await.unwrap_or_default()
            }
        };
        records.push((key, record));
    }
    let _ = over_tx.send(true);
    let truth = sim.inspect();
    running.shutdown().await;
    let incident = incident?;

    let faults = super::faults_label(options, watched.as_ref());
    // A venue that locks no key by API (Kraken, BitMEX) contains by the revoke alone.
    let locks_by_api = options.venue.venue().support(Capability::LockKey) == Support::Api;
    let mut keys = Vec::new();
    for (((key, record), outcome), result) in records
        .iter()
        .zip(&incident.outcomes)
        .zip(&incident.summary.keys)
    {
        let of_key = watched
            .as_ref()
            .map(|w| w.of_key(&crate::secret::mask(key)));
        let score = match outcome {
            Ok(outcome) => {
                let own = own_truth(&truth, key);
                let card = scorecard::score(&scorecard::Evidence {
                    scenario,
                    seed,
                    truth: &own,
                    leaked: key,
                    attacker: record,
                    bot: None,
                    left_out: &session.left_out,
                    respond_started,
                    outcome,
                    drill_dir: drill_dir.display().to_string(),
                    venue: options.venue,
                    faults: faults.clone(),
                    watch: of_key.as_ref(),
                });
                let passed = card.passed && (result.locked || !locks_by_api) && result.replaced;
                KeyScore {
                    key: result.key.clone(),
                    locked: result.locked,
                    card: Some(card),
                    error: None,
                    passed,
                }
            }
            Err(err) => KeyScore {
                key: result.key.clone(),
                locked: false,
                card: None,
                error: Some(err.to_string()),
                passed: false,
            },
        };
        keys.push(score);
    }
    let failures: Vec<String> = keys
        .iter()
        .filter(|k| !k.passed)
        .map(|k| {
            let why = match (&k.card, &k.error) {
                (_, Some(err)) => err.clone(),
                (Some(card), None) if !card.failures.is_empty() => card.failures.join("; "),
                (Some(card), None) if card.replacement.is_none() => "no replacement key".to_owned(),
                _ => "not locked".to_owned(),
            };
            format!("key {}: {why}", k.key)
        })
        .collect();
    let card = IncidentCard {
        scenario: scenario.name.clone(),
        seed,
        venue: options.venue.as_str().to_owned(),
        faults,
        at: crate::clock::now_rfc3339(),
        passed: failures.is_empty() && !keys.is_empty(),
        failures,
        summary: incident.summary,
        keys,
        drill_dir: drill_dir.display().to_string(),
    };
    write_json(&drill_dir.join("scorecard.json"), &card)?;
    let attempts: Vec<_> = records
        .iter()
        .map(|(key, record)| serde_json::json!({"key": crate::secret::mask(key), "record": record}))
        .collect();
    write_json(&drill_dir.join("attacker.json"), &attempts)?;
    super::history::append_entry(&options.state_dir, &entry(&card))?;
    Ok(card)
}

/// The simulator's truth about the account of `key` alone: its orders and fills.
fn own_truth(truth: &Inspect, key: &str) -> Inspect {
    let mut own = truth.clone();
    let uid = truth.key(key).map(|k| k.uid);
    own.orders.retain(|o| Some(o.uid) == uid);
    own.executions.retain(|f| Some(f.uid) == uid);
    own
}

/// The drill's line in the history: the slowest key's times, every key's detection.
fn entry(card: &IncidentCard) -> super::history::Entry {
    let cards = || card.keys.iter().filter_map(|k| k.card.as_ref());
    super::history::Entry {
        at: card.at.clone(),
        scenario: card.scenario.clone(),
        seed: card.seed,
        venue: card.venue.clone(),
        faults: card.faults.clone(),
        profile: None,
        passed: card.passed,
        time_to_contain_ms: cards().filter_map(|c| c.time_to_contain_ms).max(),
        lock_acknowledged_ms: card.summary.locks_done_ms,
        false_positives: cards().map(|c| c.detection.false_positives).sum(),
        missed: cards().map(|c| c.detection.missed).sum(),
        drill_dir: card.drill_dir.clone(),
        regressed: None,
    }
}
