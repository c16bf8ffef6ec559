//! A knob that holds a request before the exchange applies it, until another request has been
//! answered: the order in which the exchange serves two requests sent at once, made certain.
//!
//! The response reads the leaked key alongside the lock; on a real exchange either may be
//! served first, and the report must say honestly which it saw (the key before the lock, or
//! after). Tests set the order with [`super::Sim::hold`]: the lock held until the read was
//! answered, or the read held until the lock was. A held request waits outside the venue lock
//! and at most [`PATIENCE`]: a release that never comes delays it, never drops it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

/// The longest a held request waits for its release.
pub(crate) const PATIENCE: Duration = Duration::from_secs(5);

/// The holds in force.
#[derive(Debug, Default)]
pub(crate) struct Holds {
    rules: Mutex<Vec<Rule>>,
    answered: Notify,
}

/// Requests whose line contains `held` wait until `needed` requests whose line contains `until`
/// have been answered since the rule was set (later ones go straight on).
#[derive(Debug)]
struct Rule {
    held: String,
    until: String,
    needed: u64,
    /// How many `until` requests have been answered so far.
    answers: u64,
}

/// A request that must wait: its rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    rule: usize,
}

impl Holds {
    /// Adds a rule (see [`Rule`]).
    pub(crate) fn add(&self, held: &str, until: &str, needed: u64) {
        self.rules().push(Rule {
            held: held.to_owned(),
            until: until.to_owned(),
            needed,
            answers: 0,
        });
    }

    /// Whether the request `line` (`POST /v5/user/update-sub-api`) must wait.
    pub(crate) fn arrived(&self, line: &str) -> Option<Held> {
        let rules = self.rules();
        let rule = rules
            .iter()
            .position(|r| line.contains(&r.held) && r.answers < r.needed)?;
        Some(Held { rule })
    }

    /// Waits until the held request's release is answered, at most [`PATIENCE`].
    pub(crate) async fn wait(&self, held: Held) {
        let released = async {
            loop {
                let notified = self.answered.notified();
                let released = {
                    let rules = self.rules();
                    rules[held.rule].answers >= rules[held.rule].needed
                };
                if released {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(PATIENCE, released).await;
    }

    /// Counts the answered request `line` towards every rule it releases.
    pub(crate) fn answered(&self, line: &str) {
        let mut released = false;
        for rule in self.rules().iter_mut() {
            if line.contains(&rule.until) {
                rule.answers += 1;
                released = true;
            }
        }
        if released {
            self.answered.notify_waiters();
        }
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_request_waits_for_its_release() {
        let holds = std::sync::Arc::new(Holds::default());
        holds.add("POST /lock", "GET /read", 2);
        holds.answered("GET /read");
        assert!(holds.arrived("GET /other").is_none());
        let held = holds.arrived("POST /lock").unwrap();
        let waiting = {
            let holds = std::sync::Arc::clone(&holds);
            tokio::spawn(async move { holds.wait(held).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        holds.answered("GET /read");
        waiting.await.unwrap();
        // Released for good.
        assert!(holds.arrived("POST /lock").is_none());
    }
}
