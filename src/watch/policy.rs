//! What the watcher does about a signal: notify, lock, or run the whole response.
//!
//! The policy is a list of rules (the config's `watch: policy:`); every rule whose signal kind
//! and lowest confidence a signal meets applies, and the signal gets the union of their actions.
//! The default locks on a high-confidence unauthorized order and notifies every signal: a lock
//! is reversible (`lockdown unlock RUN`), the full response (revoke, replace) is not, so it
//! runs unattended only where a config says so (docs/watch.md §3).

use std::time::Duration;

use serde::Serialize;

use super::signal::{Confidence, Signal, SignalKind};

/// One thing a rule can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Act {
    /// Tell people (the config's `notify:` channels) and log it.
    Notify,
    /// Bind the key to the responder's address: one journaled run, undone by `unlock`.
    Lock,
    /// Run the profile's whole playbook (lock, cancel, evidence, revoke, replace).
    Respond,
}

impl Act {
    /// The name in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Act::Notify => "notify",
            Act::Lock => "lock",
            Act::Respond => "respond",
        }
    }

    /// The act a config names.
    pub fn parse(text: &str) -> Option<Act> {
        [Act::Notify, Act::Lock, Act::Respond]
            .into_iter()
            .find(|a| a.as_str() == text)
    }
}

/// One rule: signals of `signal` (any kind when `None`) at `confidence` or above get `act`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The kind, or any.
    pub signal: Option<SignalKind>,
    /// The lowest confidence the rule takes.
    pub confidence: Confidence,
    /// What it asks for.
    pub act: Act,
}

/// The rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// In the config's order; all that match apply.
    pub rules: Vec<Rule>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            rules: vec![
                Rule {
                    signal: Some(SignalKind::UnauthorizedOrder),
                    confidence: Confidence::High,
                    act: Act::Lock,
                },
                Rule {
                    signal: None,
                    confidence: Confidence::Low,
                    act: Act::Notify,
                },
            ],
        }
    }
}

/// What the policy asks for one signal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Tell people.
    pub notify: bool,
    /// Lock the key.
    pub lock: bool,
    /// Run the whole response.
    pub respond: bool,
}

impl Policy {
    /// What `signal` gets: every matching rule's act.
    pub fn decide(&self, signal: &Signal) -> Decision {
        let mut decision = Decision::default();
        for rule in &self.rules {
            let kind = rule.signal.is_none_or(|k| k == signal.kind);
            if kind && signal.confidence >= rule.confidence {
                match rule.act {
                    Act::Notify => decision.notify = true,
                    Act::Lock => decision.lock = true,
                    Act::Respond => decision.respond = true,
                }
            }
        }
        decision
    }
}

/// More new orders than this within `per` is a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Burst {
    /// How many new orders.
    pub orders: usize,
    /// Within how long.
    pub per: Duration,
}

impl Default for Burst {
    fn default() -> Burst {
        // Far above the busiest shipped bot (4 orders a second), far below a scripted dump.
        Burst {
            orders: 60,
            per: Duration::from_secs(10),
        }
    }
}

/// The config's `watch:` section, validated (`config::load_watch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// How often the REST source looks.
    pub interval: Duration,
    /// How far back the first look reads the order history.
    pub lookback: Duration,
    /// Whether to follow the venue's private order stream where it has one (the poller fills
    /// its gaps and stands in while it is down); `false`: REST polling only.
    pub streams: bool,
    /// How often the key's own settings and the account's withdrawals and transfers are read
    /// (`account.rs`).
    pub account_interval: Duration,
    /// Addresses and blocks the owner vouches for besides the responder's and the bots' (the
    /// `unknown_access` signal, `access.rs`).
    pub known_ips: Vec<ipnet::IpNet>,
    /// The bots' client-order-id prefix (a hint, as in `diff_orders`; learnt from the ledger
    /// when absent).
    pub client_prefix: Option<String>,
    /// What a burst is.
    pub burst: Burst,
    /// What to do about signals.
    pub policy: Policy,
}

/// The slowest and fastest polling a config may ask for.
pub const INTERVAL_BOUNDS: (Duration, Duration) =
    (Duration::from_millis(200), Duration::from_secs(3600));

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            interval: Duration::from_secs(2),
            lookback: Duration::from_secs(60),
            streams: true,
            account_interval: Duration::from_secs(30),
            known_ips: Vec::new(),
            client_prefix: None,
            burst: Burst::default(),
            policy: Policy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(kind: SignalKind, confidence: Confidence) -> Signal {
        Signal {
            id: String::new(),
            kind,
            confidence,
            profile: String::new(),
            key: String::new(),
            source: "rest_poll",
            at: String::new(),
            exchange_ms: 0,
            order: None,
            reasons: Vec::new(),
            instant: std::time::Instant::now(),
        }
    }

    #[test]
    fn the_default_locks_only_on_a_sure_unauthorized_order_and_notifies_everything() {
        let policy = Policy::default();
        let cases = [
            (SignalKind::UnauthorizedOrder, Confidence::High, true),
            (SignalKind::UnauthorizedOrder, Confidence::Medium, false),
            (SignalKind::TamperedOrder, Confidence::High, false),
            (SignalKind::Burst, Confidence::Medium, false),
            // An address is evidence, not proof: notified, whatever the confidence.
            (SignalKind::UnknownAccess, Confidence::High, false),
        ];
        for (kind, confidence, lock) in cases {
            let decision = policy.decide(&signal(kind, confidence));
            assert_eq!(decision.lock, lock, "{kind:?} {confidence:?}");
            assert!(decision.notify, "{kind:?} {confidence:?}");
            assert!(!decision.respond, "{kind:?} {confidence:?}");
        }
    }
}
