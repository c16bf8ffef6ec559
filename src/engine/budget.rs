//! How long a step may act, by what it does for containment.
//!
//! The playbook's `deadline` must never keep the key live: a revoke that starts a moment before
//! it would otherwise get that moment and fail. So the steps that contain (lock, revoke, what
//! completes them) are bounded by their own `timeout` only, never by the deadline; evidence
//! (snapshots, the diff) gets its own share of the time, so an evidence step that cannot finish
//! (pages that keep coming back short, an exchange that keeps failing) cannot use up the time
//! the revoke after it needs; the cancel may use what is left of the deadline, and at least its
//! share. An evidence step that runs out of its share keeps what it read (the engine asks the
//! action to salvage it) and ends incomplete.
//!
//! In an incident, every key's run shares the venue's limits (one client): a step held back for
//! them waits for the other keys' reads, not for its own work (twenty Binance keys' evidence
//! needs minutes of the address's futures weight). So there the time a run's calls were held
//! back ([`crate::exchanges::client::HeldClock`]) moves its deadline on ([`held_back`]), and a
//! step's own end too ([`step_end`]), each by at most the playbook's deadline once more (a step
//! without one: its share, [`held_cap`]): the lock is in by then, and a step waits for the
//! venue's next minutes rather than leave its evidence behind, never forever. A single
//! response is unchanged.

use std::time::{Duration, Instant};

use crate::actions::Containment;

/// The share of the playbook's deadline one evidence or cancel step may take: a quarter, so two
/// evidence steps before the revoke still leave it half the deadline.
const SHARE_OF_DEADLINE: u32 = 4;

/// What an evidence or cancel step may take when the playbook has no deadline and the step no
/// `timeout`.
pub const WITHOUT_DEADLINE: Duration = Duration::from_secs(120);

/// A step's own time: how long, and where that comes from (for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// How long.
    pub time: Duration,
    /// Where it comes from.
    pub from: &'static str,
}

impl Share {
    /// The time a step with `timeout` may take in all (attempts and the waits between them) in a
    /// playbook with `deadline`: its `timeout`, else a quarter of the deadline, else
    /// [`WITHOUT_DEADLINE`].
    pub fn of(timeout: Option<Duration>, deadline: Option<Duration>) -> Share {
        match (timeout, deadline) {
            (Some(time), _) => Share {
                time,
                from: "its `timeout`",
            },
            (None, Some(deadline)) => Share {
                time: deadline / SHARE_OF_DEADLINE,
                from: "a quarter of the playbook's deadline",
            },
            (None, None) => Share {
                time: WITHOUT_DEADLINE,
                from: "the playbook has no deadline",
            },
        }
    }

    /// "12s, a quarter of the playbook's deadline".
    pub fn describe(&self) -> String {
        format!(
            "{}, {}",
            humantime::format_duration(Duration::from_millis(
                u64::try_from(self.time.as_millis()).unwrap_or(u64::MAX)
            )),
            self.from
        )
    }
}

/// The instant a step that started at `started` must be done by (`None`: only its `timeout`
/// bounds each attempt). `deadline` is the run's deadline while it has not passed (`None` once
/// it has, in `finally`, or when the playbook has none); `has_deadline` whether the playbook
/// has one at all.
pub fn until(
    containment: Containment,
    share: Share,
    started: Instant,
    deadline: Option<Instant>,
    has_deadline: bool,
) -> Option<Instant> {
    let own = started + share.time;
    match containment {
        // Never the deadline: a revoke that went out is finished, retried, probed.
        Containment::Contains | Containment::Completes => None,
        // What is left of the deadline, and at least its share; without any deadline, as
        // long as it takes (each attempt bounded by its `timeout`).
        Containment::Cancels => match deadline {
            Some(deadline) => Some(deadline.max(own)),
            None if has_deadline => Some(own),
            None => None,
        },
        Containment::Evidence => Some(deadline.map_or(own, |deadline| deadline.min(own))),
        Containment::No => deadline,
    }
}

/// The run's `deadline` moved on by the time its calls were held back for the venue's shared
/// limits (`held`, an incident's run), by at most the playbook's deadline once more.
pub fn held_back(
    deadline: Option<Instant>,
    playbook: Option<Duration>,
    held: Option<&crate::exchanges::client::HeldClock>,
) -> Option<Instant> {
    match (deadline, playbook, held) {
        (Some(deadline), Some(playbook), Some(held)) => Some(deadline + held.total().min(playbook)),
        (deadline, _, _) => deadline,
    }
}

/// How much later than its own end a step of an incident's run may end for the time its calls
/// were held back for the venue's shared limits: the playbook's deadline, at least its share.
pub fn held_cap(share: Share, deadline: Option<Duration>) -> Duration {
    deadline.map_or(share.time, |deadline| deadline.max(share.time))
}

/// Where a step (or an attempt) bounded by `until` ends once its calls were held back `held`
/// for the venue's shared limits (an incident's run): that much later, by at most `cap` more
/// ([`held_cap`] for a step; for an attempt, up to its step's latest end).
pub fn step_end(until: Instant, held: Duration, cap: Duration) -> Instant {
    until + held.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_held_for_shared_limits_moves_the_end_on_within_its_cap() {
        let now = Instant::now();
        let share = Share::of(None, Some(S(300)));
        assert_eq!(step_end(now, S(60), share.time), now + S(60));
        assert_eq!(
            step_end(now, S(500), share.time),
            now + S(75),
            "at most the cap more"
        );
        let clock = crate::exchanges::client::HeldClock::default();
        assert_eq!(
            held_back(Some(now), Some(S(300)), Some(&clock)),
            Some(now),
            "nothing held"
        );
        assert_eq!(held_back(Some(now), Some(S(300)), None), Some(now));
        assert_eq!(held_back(None, None, Some(&clock)), None);
        assert_eq!(
            held_cap(share, Some(S(300))),
            S(300),
            "the deadline once more"
        );
        assert_eq!(held_cap(share, None), S(75), "else the share");
        assert_eq!(
            held_cap(Share::of(Some(S(600)), Some(S(300))), Some(S(300))),
            S(600)
        );
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_share_is_the_timeout_else_a_quarter_of_the_deadline() {
        let cases = [
            ("timeout wins", Some(S(5)), Some(S(300)), S(5)),
            ("a quarter", None, Some(S(300)), S(75)),
            ("no deadline", None, None, WITHOUT_DEADLINE),
        ];
        for (label, timeout, deadline, want) in cases {
            assert_eq!(Share::of(timeout, deadline).time, want, "{label}");
        }
        assert_eq!(
            Share::of(None, Some(S(300))).describe(),
            "1m 15s, a quarter of the playbook's deadline"
        );
    }

    #[test]
    fn containment_is_never_bounded_by_the_deadline_and_evidence_always_is() {
        let now = Instant::now();
        let share = Share::of(None, Some(S(40)));
        let soon = Some(now + S(1));
        let later = Some(now + S(100));
        let own = Some(now + S(10));
        let cases = [
            (
                "revoke, deadline near",
                Containment::Contains,
                soon,
                true,
                None,
            ),
            (
                "verify, deadline passed",
                Containment::Completes,
                None,
                true,
                None,
            ),
            (
                "evidence, deadline far",
                Containment::Evidence,
                later,
                true,
                own,
            ),
            (
                "evidence, deadline near",
                Containment::Evidence,
                soon,
                true,
                soon,
            ),
            (
                "evidence in finally",
                Containment::Evidence,
                None,
                true,
                own,
            ),
            (
                "evidence, no deadline",
                Containment::Evidence,
                None,
                false,
                own,
            ),
            (
                "cancel, deadline far",
                Containment::Cancels,
                later,
                true,
                later,
            ),
            (
                "cancel, deadline near",
                Containment::Cancels,
                soon,
                true,
                own,
            ),
            (
                "cancel, deadline passed",
                Containment::Cancels,
                None,
                true,
                own,
            ),
            (
                "cancel, no deadline",
                Containment::Cancels,
                None,
                false,
                None,
            ),
            ("report", Containment::No, soon, true, soon),
        ];
        for (label, containment, deadline, has, want) in cases {
            assert_eq!(
                until(containment, share, now, deadline, has),
                want,
                "{label}"
            );
        }
    }
}
