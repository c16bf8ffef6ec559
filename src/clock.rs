//! Time: the local clock, the exchange's clock, and the durations playbooks speak in.
//!
//! Venues refuse requests whose timestamp strays from their own clock, and their histories are
//! dated on that clock too, so every signed request and every history window takes its time
//! from a [`Clock`] that carries the offset to the exchange's server time. A run measures the
//! offset once at its start, alongside its first request (the lock), never in front of it
//! ([`Clock::begin_measuring`]); it is learnt again whenever the venue says our timestamp is
//! off. It never drifts silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::Serialize;
use tokio::sync::watch;

/// The local clock corrected by a learnt offset to one exchange's clock.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
    /// The run's measurement of the offset: not started, under way, or how it ended.
    measure: Arc<watch::Sender<Measure>>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            offset_ms: Arc::default(),
            measure: Arc::new(watch::Sender::new(Measure::NotStarted)),
        }
    }
}

/// Where the run's measurement of the exchange's clock stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// Nobody asked for one (offline, or a client outside a run).
    NotStarted,
    /// The server-time read is under way.
    Running,
    /// Measured.
    Done(Measured),
    /// The read failed (why, redacted); the local clock stands, with a wider margin.
    Failed(String),
}

/// One measurement of the exchange's clock (its offset, when, and how precise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measured {
    /// The exchange's clock minus this machine's, ms (positive: the exchange is ahead).
    pub offset_ms: i64,
    /// When it was measured, on the exchange's clock (RFC 3339 UTC).
    pub measured_at: String,
    /// The read's round trip, ms: the offset is known to within half of it.
    pub round_trip_ms: i64,
}

impl Clock {
    /// A clock with no offset yet.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch on the exchange's clock, as far as it is known.
    pub fn now_ms(&self) -> i64 {
        local_ms() + self.offset_ms.load(Ordering::Relaxed)
    }

    /// The current offset (exchange minus local), in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Learns the offset from a server time read between two local readings.
    pub fn sync(&self, sent_local_ms: i64, server_ms: i64, received_local_ms: i64) {
        let midpoint = sent_local_ms + (received_local_ms - sent_local_ms) / 2;
        self.offset_ms
            .store(server_ms - midpoint, Ordering::Relaxed);
    }

    /// Claims the run's measurement: true for the first caller only (the keys of one incident
    /// share a client, and so one measurement).
    pub fn begin_measuring(&self) -> bool {
        self.measure.send_if_modified(|state| {
            if *state == Measure::NotStarted {
                *state = Measure::Running;
                true
            } else {
                false
            }
        })
    }

    /// Learns the offset from the run's server-time read (see [`Clock::sync`]) and keeps it as
    /// the run's measurement.
    pub fn measured(&self, sent_local_ms: i64, server_ms: i64, received_local_ms: i64) {
        self.sync(sent_local_ms, server_ms, received_local_ms);
        self.measure.send_replace(Measure::Done(Measured {
            offset_ms: self.offset_ms(),
            measured_at: rfc3339_ms(server_ms),
            round_trip_ms: (received_local_ms - sent_local_ms).max(0),
        }));
    }

    /// The run's server-time read failed (`why`, already redacted): the offset stays as it was.
    pub fn measure_failed(&self, why: String) {
        self.measure.send_replace(Measure::Failed(why));
    }

    /// The run's measurement as it stands now.
    pub fn measurement(&self) -> Measure {
        self.measure.borrow().clone()
    }

    /// The run's measurement, waiting up to `patience` for one under way to end (a read that
    /// takes longer is not waited for: the caller goes on with the wider margin).
    pub async fn settled(&self, patience: Duration) -> Measure {
        let mut seen = self.measure.subscribe();
        let waited =
            tokio::time::timeout(patience, seen.wait_for(|state| *state != Measure::Running)).await;
        match waited {
            Ok(Ok(state)) => state.clone(),
            _ => self.measurement(),
        }
    }
}

/// How far past the exchange's "now" a history window reaches.
///
/// The offset is known to within half the server-time read's round trip, and a venue stamps an
/// order when its matching engine takes it, which may be a little later than its gateway's clock
/// said, and a venue whose server time has whole seconds only (Kraken's `unixtime`) reads up to
/// a second early: a window that ends exactly at "now" can miss the newest orders, which are the
/// attacker's. Two seconds plus the round trip cover all three on any working connection. Without a
/// measurement the local clock is only known to be within the venue's timestamp tolerance of the
/// exchange's (else its signed requests would be refused), and the widest one lockdown's venues
/// allow is Deribit's 60 s: the window reaches that far. Every venue takes an end time a little
/// in the future as a plain bound (docs/venues/*.md §6).
pub fn window_margin_ms(measure: &Measure) -> i64 {
    match measure {
        Measure::Done(measured) => 2_000 + measured.round_trip_ms.min(8_000),
        Measure::NotStarted | Measure::Running | Measure::Failed(_) => UNMEASURED_MARGIN_MS,
    }
}

/// The margin of a window whose offset was not measured (see [`window_margin_ms`]).
pub const UNMEASURED_MARGIN_MS: i64 = 60_000;

/// Milliseconds since the Unix epoch on this machine's clock.
pub fn local_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats a Unix-millisecond time as RFC 3339 UTC with milliseconds.
pub fn rfc3339_ms(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(at) => at.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("{ms}ms"),
    }
}

/// The current UTC time as RFC 3339 with milliseconds.
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 time into Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.timestamp_millis())
}

/// Parses a signed duration (`4s`, `-3s`, `+500ms`) into whole milliseconds.
pub fn parse_signed_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a signed duration; write it like `4s`, `-3s` or `500ms`");
    let text = text.trim();
    let (sign, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let d = humantime::parse_duration(magnitude.trim()).map_err(|_| bad())?;
    i64::try_from(d.as_millis())
        .map(|ms| sign * ms)
        .map_err(|_| bad())
}

/// Parses a duration as playbooks write it: `7d`, `24h`, `90s`, `1h 30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|err| {
        format!("`{text}` is not a duration ({err}); write it like `7d`, `24h` or `500ms`")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_takes_the_midpoint() {
        let clock = Clock::new();
        clock.sync(1_000, 5_000, 1_200);
        assert_eq!(clock.offset_ms(), 3_900);
    }

    #[tokio::test]
    async fn one_measurement_a_run_and_a_bounded_wait_for_it() {
        let clock = Clock::new();
        // Nobody measures: nothing to wait for, and the wide margin.
        assert_eq!(
            clock.settled(Duration::from_secs(60)).await,
            Measure::NotStarted
        );
        assert_eq!(window_margin_ms(&clock.measurement()), UNMEASURED_MARGIN_MS);
        assert!(clock.begin_measuring());
        assert!(
            !clock.clone().begin_measuring(),
            "a shared clock is measured once"
        );
        // Under way: the wait ends at its patience, not the read's.
        let waited = clock.settled(Duration::from_millis(20)).await;
        assert_eq!(waited, Measure::Running);
        let later = clock.clone();
        let waiting = tokio::spawn(async move { later.settled(Duration::from_secs(60)).await });
        clock.measured(1_000, 5_000, 1_200);
        let Measure::Done(measured) = waiting.await.unwrap() else {
            panic!("not measured");
        };
        assert_eq!(clock.offset_ms(), 3_900);
        assert_eq!(measured.offset_ms, 3_900);
        assert_eq!(measured.round_trip_ms, 200);
        assert_eq!(measured.measured_at, "1970-01-01T00:00:05.000Z");
        assert_eq!(window_margin_ms(&Measure::Done(measured)), 2_200);
        let failed = Clock::new();
        failed.begin_measuring();
        failed.measure_failed("connection refused".into());
        assert_eq!(failed.offset_ms(), 0, "a failed read changes nothing");
        assert_eq!(
            window_margin_ms(&failed.measurement()),
            UNMEASURED_MARGIN_MS
        );
    }

    #[test]
    fn signed_durations() {
        assert_eq!(parse_signed_ms("4s"), Ok(4_000));
        assert_eq!(parse_signed_ms("-3s"), Ok(-3_000));
        assert_eq!(parse_signed_ms("+500ms"), Ok(500));
        assert!(parse_signed_ms("ahead").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn formats_utc_with_millis() {
        assert_eq!(rfc3339_ms(1_658_384_314_791), "2022-07-21T06:18:34.791Z");
        assert_eq!(
            parse_rfc3339_ms("2022-07-21T06:18:34.791Z"),
            Some(1_658_384_314_791)
        );
    }
}
