//! The drill's simulated operator: carries out the steps only a person can do, in the
//! simulator's "web interface", after a human's delay.
//!
//! A real incident on a venue without a revocation API (Kraken, Binance master keys) waits on a
//! person clicking through the exchange's web pages; a drill must measure that honestly, so the
//! operator sleeps the scenario's `operator_delay` before acting. The engine then verifies the
//! result through the exchange's API exactly as it would for a person. The operator is signed in
//! to the account of the leaked key: a replacement it creates lands there, with the rights and
//! addresses the step names (the simulator keeps its secret, as the web page would show it once).

use std::pin::Pin;
use std::time::Duration;

use crate::actions::{ManualStep, ManualTask};
use crate::engine::Operator;
use crate::sim::Sim;

/// An operator with hands on the simulator's web interface.
#[derive(Debug)]
pub struct SimOperator {
    sim: Sim,
    delay: Duration,
    /// A key of the account the operator is signed in to (the leaked one).
    account_of: String,
}

impl SimOperator {
    /// An operator who takes `delay` for each manual step, signed in to the account of the key
    /// `account_of`.
    pub fn new(sim: Sim, delay: Duration, account_of: &str) -> SimOperator {
        SimOperator {
            sim,
            delay,
            account_of: account_of.to_owned(),
        }
    }
}

impl Operator for SimOperator {
    fn takes(&self, step: &ManualStep) -> Option<Duration> {
        (step.task != ManualTask::Other).then_some(self.delay)
    }

    fn perform<'a>(
        &'a self,
        step: &'a ManualStep,
    ) -> Pin<Box<dyn Future<Output = String> + Send + 'a>> {
        Box::pin(async move {
            // A checklist for support (nothing at the exchange) is acknowledged at once.
            if step.task == ManualTask::Other {
                return "acknowledged".to_owned();
            }
            tokio::time::sleep(self.delay).await;
            let after = humantime::format_duration(self.delay);
            match &step.task {
                ManualTask::RevokeKey { key } => {
                    if self.sim.web_ui_delete_key(key.as_str()) {
                        format!("deleted key {key} in the web interface after {after}")
                    } else {
                        format!("found no key {key} to delete in the web interface")
                    }
                }
                ManualTask::LockKey { key } => {
                    format!("could not lock key {key}: the web interface has no such setting")
                }
                ManualTask::CreateKey { label, ips, .. } => {
                    let ips: Vec<std::net::IpAddr> =
                        ips.iter().filter_map(|ip| ip.parse().ok()).collect();
                    match self.sim.web_ui_create_key(&self.account_of, label, &ips) {
                        Some(key) => format!(
                            "created key {} (`{label}`) in the web interface after {after}",
                            crate::secret::mask(&key)
                        ),
                        None => format!("found no account to create key `{label}` in"),
                    }
                }
                ManualTask::Other => format!("done after {after}"),
            }
        })
    }
}
