//! Waiting between attempts: exponential backoff with jitter, capped, and never shorter than
//! what the exchange asked for (a rate limit's reset).

use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::actions::ActionError;
use crate::exchanges::ExchangeError;
use crate::playbook::Retry;

/// How long to wait after failed attempt `attempt` (1 for the first).
pub fn delay(policy: &Retry, attempt: u32, err: &ActionError) -> Duration {
    let exponent = attempt.saturating_sub(1).min(16);
    let full = policy
        .backoff
        .saturating_mul(1u32 << exponent)
        .min(policy.max_backoff);
    // "Equal jitter": half fixed, half random, so retries from many clients spread out but
    // never collapse to nothing.
    let half = full / 2;
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let jitter =
        Duration::from_millis(rng.random_range(0..=u64::try_from(half.as_millis()).unwrap_or(0)));
    let wait = half + jitter;
    match err {
        ActionError::Exchange {
            source:
                ExchangeError::RateLimited {
                    retry_after_ms: Some(ms),
                    ..
                },
            ..
        } => wait.max(Duration::from_millis(*ms)),
        _ => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_jitters() {
        let policy = Retry {
            attempts: 10,
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
        };
        let err = ActionError::Check {
            message: String::new(),
            hint: String::new(),
        };
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (9, 1000)] {
            for _ in 0..20 {
                let d = delay(&policy, attempt, &err).as_millis();
                assert!(
                    d >= full / 2 && d <= full,
                    "attempt {attempt}: {d} not in {}..={full}",
                    full / 2
                );
            }
        }
        let limited = ActionError::Exchange {
            what: String::new(),
            source: ExchangeError::RateLimited {
                code: "HTTP 429".into(),
                reset_ms: None,
                retry_after_ms: Some(3000),
            },
        };
        assert!(delay(&policy, 1, &limited) >= Duration::from_secs(3));
    }
}
