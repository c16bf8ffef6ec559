//! How long a step's calls were held back for the venue's limits.
//!
//! In an incident every key's run shares one client, so one venue meter (Binance's futures
//! weight a minute, Kraken's call counter of the owner's key) serves twenty keys' evidence: a
//! key's step that waits for the next minute waits for the other keys' reads, not for its own.
//! The engine gives such a step (and the run's deadline) that time back ([`HeldClock::total`]);
//! this clock measures it as the union of the intervals during which at least one of the
//! step's calls waited (a hold, a crowded limit's single file, the scheduler's queue, a key's
//! turn or counter, a rate limit's reset), so five calls held the same minute count one minute.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// The time calls were held back, as one union of intervals.
#[derive(Debug, Default)]
pub struct HeldClock {
    state: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    /// Calls waiting now.
    waiting: usize,
    /// Since when at least one has been waiting.
    since: Option<Instant>,
    /// The closed intervals' time.
    total: Duration,
}

impl HeldClock {
    /// The time held so far, the interval still open included.
    pub fn total(&self) -> Duration {
        let held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        held.total + held.since.map_or(Duration::ZERO, |since| since.elapsed())
    }

    /// Counts a call as waiting until the guard drops.
    pub(super) fn enter(self: &Arc<Self>) -> Waiting {
        let mut held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        held.waiting += 1;
        if held.waiting == 1 {
            held.since = Some(Instant::now());
        }
        Waiting(Arc::clone(self))
    }
}

/// One call waiting, until dropped.
#[derive(Debug)]
pub(super) struct Waiting(Arc<HeldClock>);

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut held = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        held.waiting = held.waiting.saturating_sub(1);
        if held.waiting == 0
            && let Some(since) = held.since.take()
        {
            held.total += since.elapsed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn overlapping_waits_count_once_and_an_open_one_counts_so_far() {
        let ms = Duration::from_millis;
        let clock = Arc::new(HeldClock::default());
        assert_eq!(clock.total(), Duration::ZERO);
        let a = clock.enter();
        tokio::time::advance(ms(30)).await;
        let b = clock.enter();
        tokio::time::advance(ms(30)).await;
        drop(a);
        tokio::time::advance(ms(30)).await;
        assert_eq!(clock.total(), ms(90), "the open interval so far");
        drop(b);
        tokio::time::advance(ms(30)).await;
        assert_eq!(
            clock.total(),
            ms(90),
            "two waits over 90 ms count 90, not 120"
        );
        let c = clock.enter();
        tokio::time::advance(ms(10)).await;
        drop(c);
        assert_eq!(clock.total(), ms(100));
    }
}
