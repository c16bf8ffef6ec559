//! Time: the local clock, the exchange's clock, and the durations playbooks speak in.
//!
//! Venues refuse requests whose timestamp strays from their own clock, so every signed request
//! takes its time from a [`Clock`] that carries the offset to the exchange's server time. The
//! offset is learnt from the venue's server-time endpoint whenever the venue says our timestamp
//! is off; it never drifts silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// The local clock corrected by a learnt offset to one exchange's clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
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
}

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
