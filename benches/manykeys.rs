//! Benchmark: 100 leaked keys on one simulated Bybit account, contained by one multi-key
//! `respond` (the vendor leak). Talks only to a simulator on 127.0.0.1.
//!
//! Figures: how many keys were locked, revoked and replaced, how many the attacker could still
//! use afterwards (live and usable from 127.0.0.2, by the simulator's own truth), and when the
//! last lock was acknowledged. `MANYKEYS_KEYS` changes the number of keys (default 100),
//! `MANYKEYS_LIMIT_S` the bound on the response (default 180 s: Bybit documents
//! `create-sub-api` at 1 request a second per UID, so 100 replacements take 100 s at least).
//! `MANYKEYS_MODE=separate` runs one single-key response per key at once instead (what an
//! operator without the multi-key respond would do: the "before" figure).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use lockdown::engine::Confirm;
use lockdown::exchanges::{ExchangeId, Mode};
use lockdown::incident::{IncidentRequest, Selection, respond_many};
use lockdown::secret::KeyId;
use lockdown::sim::Sim;
use lockdown::sim::scenario::Scenario;
use lockdown::ui::{Ui, Verbosity};

/// Bybit's documented `update-sub-api` rate: 5 requests a second per UID
/// (docs/venues/bybit.md §7).
const LOCK_RATE_PER_S: f64 = 5.0;

fn scenario(keys: u32) -> String {
    format!(
        "
name: bench-vendor-leak
seed: 7
detection_delay: 0s
keys: {keys}
markets:
  - {{ base: BTC, quote: USDT, price: \"65000\" }}
balances: {{ USDT: \"1000\" }}
bot:
  client_prefix: bot-
  orders:
    - {{ symbol: BTCUSDT, side: buy, type: limit, qty: \"0.01\", price: \"60000\", status: open, age: 2h }}
attacker: {{ pattern: none }}
"
    )
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
fn main() {
    let keys: u32 = env_or("MANYKEYS_KEYS", 100);
    let limit = Duration::from_secs(env_or("MANYKEYS_LIMIT_S", 180));
    let separate = std::env::var("MANYKEYS_MODE").is_ok_and(|m| m == "separate");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let scenario = Scenario::parse("bench-vendor-leak", &scenario(keys)).expect("scenario");
        let sim = Sim::from_scenario_on(ExchangeId::Bybit, &scenario, 7);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .expect("simulator");
        let dir = tempfile::tempdir().expect("temp dir");
        let session = sim
            .write_session(&dir.path().join("sim"), &running.base_url)
            .expect("session");
        let quiet = Ui::new(Verbosity::Quiet, true);
        let started = Instant::now();
        let (locked, revoked_and_replaced, locks_done_ms) = if separate {
            separate_responses(&session, &quiet, limit).await
        } else {
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
                playbook: None,
                inputs: Default::default(),
                confirm: Confirm::Yes,
                mode: Mode::Live,
                otp: None,
                operator: None,
                parallel: usize::from(lockdown::incident::DEFAULT_PARALLEL),
            };
            match tokio::time::timeout(limit, respond_many(request, &quiet)).await {
                Ok(Ok(incident)) => {
                    // Why the first key that was not locked was not: for the report.
                    let why = incident.outcomes.iter().find_map(|o| match o {
                        Err(err) => Some(format!("did not run: {err}")),
                        Ok(o) => {
                            let lock = o.steps.iter().find(|s| s.action == "restrict_key")?;
                            (lock.status != lockdown::engine::StepStatus::Ok).then(|| {
                                format!(
                                    "{}: {}",
                                    lock.status.as_str(),
                                    lock.error.clone().unwrap_or_default()
                                )
                            })
                        }
                    });
                    if let Some(why) = why {
                        println!("# the first lock that failed: {why}");
                    }
                    let s = &incident.summary;
                    let both = s.keys.iter().filter(|k| k.revoked && k.replaced).count();
                    (s.locked, both, s.locks_done_ms)
                }
                Ok(Err(err)) => panic!("the response did not run: {err}"),
                Err(_) => (0, 0, None),
            }
        };
        let elapsed = started.elapsed();
        // Ground truth: a leaked key still live and usable from the attacker's address is lost.
        let attacker: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let truth = sim.inspect();
        let lost = truth
            .keys
            .iter()
            .filter(|k| k.leaked && !k.deleted && k.enabled && k.allows_ip(attacker))
            .count();
        running.shutdown().await;
        let target_locks = f64::from(keys) / LOCK_RATE_PER_S + 1.0;
        println!("figure: manykeys_locked = {locked} keys (target {keys})");
        println!(
            "figure: manykeys_revoked_and_replaced = {revoked_and_replaced} keys (target {keys})"
        );
        println!("figure: manykeys_lost = {lost} keys (target 0)");
        match locks_done_ms {
            Some(ms) => println!(
                "figure: manykeys_locks_done_seconds = {:.2} s (target <= {target_locks:.0})",
                ms as f64 / 1000.0
            ),
            None => println!(
                "figure: manykeys_locks_done_seconds = none s (target <= {target_locks:.0})"
            ),
        }
        println!(
            "# mode {}, {keys} keys, whole response {:.1} s",
            if separate { "separate" } else { "incident" },
            elapsed.as_secs_f64()
        );
    });
}

/// One single-key response per key, all at once, each with a client of its own; returns
/// (locked, revoked and replaced, last lock acknowledged in ms from the start).
async fn separate_responses(
    session: &lockdown::sim::Session,
    quiet: &Ui,
    limit: Duration,
) -> (usize, usize, Option<u64>) {
    let started = Instant::now();
    let runs: Vec<_> = session
        .leaked_keys
        .iter()
        .map(|key| {
            let request = lockdown::respond::Request {
                config: session.config.clone(),
                profile: Some("sim".to_owned()),
                playbook: None,
                key: KeyId::new(key.clone()),
                inputs: Default::default(),
                confirm: Confirm::Yes,
                mode: Mode::Live,
                otp: None,
                operator: None,
                incident: None,
                rehearsal: None,
                cause: None,
            };
            let ui = quiet.clone();
            let runtime = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                let begun = started.elapsed();
                let outcome = runtime.block_on(async {
                    tokio::time::timeout(limit, lockdown::respond::respond(request, &ui)).await
                });
                (begun, outcome)
            })
        })
        .collect();
    let (mut locked, mut both, mut last) = (0, 0, None::<u64>);
    for run in runs {
        let Ok((begun, Ok(Ok(outcome)))) = run.await else {
            continue;
        };
        let ok = |action: &str| {
            outcome
                .steps
                .iter()
                .any(|s| s.action == action && s.status == lockdown::engine::StepStatus::Ok)
        };
        if ok("restrict_key") {
            locked += 1;
            if let Some(ms) = outcome.contained_ms {
                let at = begun.as_millis() as u64 + ms;
                last = Some(last.map_or(at, |l: u64| l.max(at)));
            }
        }
        if ok("revoke_key") && ok("create_key") {
            both += 1;
        }
    }
    (locked, both, last)
}
