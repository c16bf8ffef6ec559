//! The scheduler's clock, injectable: the system's for real runs, a manual one that moves only
//! when told, so tests run a one-second cron through many due times without waiting for them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// What the scheduler reads the time from and waits on.
///
/// Contract: `now` never goes backwards between two calls that a caller orders; `sleep_until`
/// resolves once `now()` has reached `at` (at once when it already has), and may be dropped
/// before then.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once the clock has reached `at`.
    fn sleep_until(&self, at: DateTime<Utc>) -> impl Future<Output = ()> + Send + '_;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// The longest single sleep: the wall clock is read again after it, so a suspended laptop or a
/// stepped clock is noticed within a minute.
const RECHECK: Duration = Duration::from_secs(60);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        loop {
            let left = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(RECHECK)).await;
        }
    }
}

/// A clock that moves only when told ([`ManualClock::set`]); every clone is the same clock.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(watch::Sender::new(at)),
        }
    }

    /// Moves the clock to `at` (never backwards) and wakes whatever waits for it.
    pub fn set(&self, at: DateTime<Utc>) {
        self.now.send_if_modified(|now| {
            let later = at > *now;
            if later {
                *now = at;
            }
            later
        });
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.set(self.now() + by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> impl Future<Output = ()> + Send + '_ {
        let mut moved = self.now.subscribe();
        async move {
            // The sender lives as long as `self`, which outlives this future.
            let _ = moved.wait_for(|now| *now >= at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn a_manual_clock_wakes_sleepers_only_when_moved_past_their_time() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ManualClock::new(start);
        let later = start + chrono::Duration::seconds(5);
        let mut sleep = Box::pin(clock.sleep_until(later));
        assert!((&mut sleep).now_or_never().is_none());
        clock.advance(Duration::from_secs(4));
        assert!((&mut sleep).now_or_never().is_none());
        clock.set(start); // never backwards
        assert_eq!(clock.now(), start + chrono::Duration::seconds(4));
        clock.advance(Duration::from_secs(1));
        sleep.await;
        // Already past: at once.
        clock.sleep_until(start).await;
    }
}
