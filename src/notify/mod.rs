//! Notifications: the people who must act hear about a response, a failed drill or a check that
//! is not ready, on the channels they watch (Telegram, Discord, Slack, PagerDuty, a signed
//! webhook, e-mail).
//!
//! Nothing here may stand in the way of containment: messages are queued and sent on their own
//! tasks, each channel bounded in time and retries, and a dead channel is only ever reported.
//! A [`Message`] is venue-neutral and holds nothing secret (no secret, no ledger content); each
//! channel renders it in its service's format and speaks that service's real API. A channel
//! answers with a [`SendError`] that says whether a retry may help and when (Telegram's
//! `retry_after`, HTTP 429's `Retry-After`); the queue decides when to try again.

pub mod config;
pub mod discord;
pub mod email;
pub mod events;
pub mod pagerduty;
pub mod queue;
pub mod slack;
pub mod telegram;
pub mod webhook;

mod chat;
pub use queue::Notifier;

use std::fmt::Debug;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What happened: the events a route can name (`routes: [{events: [...]}]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A response started (live).
    RunStarted,
    /// The leaked key is locked (with the time to contain so far).
    KeyLocked,
    /// A manual step waits for a person (what to do and where).
    ManualPending,
    /// A response finished, contained or not.
    RunFinished,
    /// A drill failed.
    DrillFailed,
    /// A drill regressed against its history.
    DrillRegressed,
    /// A `check` found a profile not ready.
    CheckNotReady,
    /// A `check` found a profile ready, with warnings (a master key expiring soon, no ledger).
    CheckWarnings,
    /// A scheduled job failed.
    ScheduleFailed,
    /// A playbook's `notify` step.
    Custom,
    /// `lockdown watch` raised a signal the policy notifies: what was seen, what lockdown did,
    /// the command to run next.
    WatchSignal,
    /// `lockdown notify test`.
    Test,
}

impl Event {
    /// Every event, in the order above.
    pub const ALL: &[Event] = &[
        Event::RunStarted,
        Event::KeyLocked,
        Event::ManualPending,
        Event::RunFinished,
        Event::DrillFailed,
        Event::DrillRegressed,
        Event::CheckNotReady,
        Event::CheckWarnings,
        Event::ScheduleFailed,
        Event::Custom,
        Event::WatchSignal,
        Event::Test,
    ];

    /// The name in configs and messages (`run_started`).
    pub fn as_str(self) -> &'static str {
        match self {
            Event::RunStarted => "run_started",
            Event::KeyLocked => "key_locked",
            Event::ManualPending => "manual_pending",
            Event::RunFinished => "run_finished",
            Event::DrillFailed => "drill_failed",
            Event::DrillRegressed => "drill_regressed",
            Event::CheckNotReady => "check_not_ready",
            Event::CheckWarnings => "check_warnings",
            Event::ScheduleFailed => "schedule_failed",
            Event::Custom => "custom",
            Event::WatchSignal => "watch_signal",
            Event::Test => "test",
        }
    }
}

/// How urgent a message is (PagerDuty's severities map onto it; chat channels mark it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record.
    Info,
    /// Someone should look.
    Warning,
    /// Someone must act now.
    Critical,
}

/// Where a message stands in the life of its incident (PagerDuty's `event_action`; other
/// channels may show it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Something needs attention (a response started, a drill failed).
    Trigger,
    /// Someone (lockdown) is on it: the key is locked, the response goes on.
    Acknowledge,
    /// Over: contained.
    Resolve,
    /// Neither: information only.
    Note,
}

/// One message, the same for every channel; nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// What happened.
    pub event: Event,
    /// How urgent.
    pub severity: Severity,
    /// Where the incident stands.
    pub phase: Phase,
    /// One line: `bybit-main: key AbCd…wxyz locked in 212 ms`.
    pub title: String,
    /// Plain text, a few short lines; channels escape it for their markup.
    pub text: String,
    /// Labelled facts (`venue` → `bybit`, `report` → a path), in order.
    pub fields: Vec<(String, String)>,
    /// Groups the messages of one run or schedule (PagerDuty's `dedup_key`, the webhook's
    /// `webhook-id` prefix): the run id, or `schedule-<name>`.
    pub dedup_key: String,
    /// The profile, when there is one (routes may select on it).
    pub profile: Option<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Which message this is, the same for every attempt and every resume of its run:
    /// `<run id>/<event>/<step id>` for a response's messages (`run_finished`: the journal head
    /// instead of a step), else `<dedup_key>/<event>/<at>`. `resume` sends no message whose id
    /// the run folder shows delivered; the webhook's `webhook-id` is derived from it.
    pub id: String,
    /// Sent by a drill's rehearsed response (`drill --notify`): nothing happened for real. The
    /// title then starts with `[drill]`, and PagerDuty pages no one unless its channel says
    /// `drills: page`.
    pub drill: bool,
}

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again (a 429, a 5xx, a timeout, a dropped connection); `after` is how long the
    /// service asked to wait, when it said.
    Retry {
        /// What went wrong, without secrets.
        reason: String,
        /// The service's `retry_after` / `Retry-After`.
        after: Option<Duration>,
    },
    /// Trying again will not help (a 4xx other than 429: a wrong token, chat or payload).
    Fatal {
        /// What went wrong, without secrets, and what to fix.
        reason: String,
    },
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Retry { reason, .. } | SendError::Fatal { reason } => f.write_str(reason),
        }
    }
}

/// A send in flight.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// One configured channel: renders a [`Message`] in its service's format and sends it once (the
/// queue retries). `Debug` never shows a secret.
pub trait Channel: Debug + Send + Sync {
    /// The channel's name in the config (`ops-telegram`).
    fn name(&self) -> &str;
    /// Its type (`telegram`, `discord`, `slack`, `pagerduty`, `webhook`, `email`).
    fn kind(&self) -> &'static str;
    /// Sends `message` once, bounded by the client's timeout.
    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a>;
    /// Whether `message` is for this channel at all (PagerDuty: a note pages no one, so it is
    /// not sent); one it does not take is neither sent nor recorded as an attempt.
    fn takes(&self, _message: &Message) -> bool {
        true
    }
}

/// Builds a channel of type `kind` named `name` from its config entry (`fields`: the entry's
/// keys but `type`, as JSON); secret references (`env:`, `file:`) resolve against `dir`. The
/// error is one sentence naming the field and the fix.
pub fn build_channel(
    kind: &str,
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    match kind {
        "telegram" => telegram::build(name, fields, dir),
        "discord" => discord::build(name, fields, dir),
        "slack" => slack::build(name, fields, dir),
        "pagerduty" => pagerduty::build(name, fields, dir),
        "webhook" => webhook::build(name, fields, dir),
        "email" => email::build(name, fields, dir),
        other => Err(format!(
            "`{other}` is not a channel type; use telegram, discord, slack, pagerduty, webhook or email"
        )),
    }
}

/// Resolves a channel's secret reference (`env:`/`file:`; a literal is refused); the error is
/// `{label}: {why}`, never the secret.
pub fn secret(label: &str, text: &str, dir: &Path) -> Result<crate::secret::SecretString, String> {
    crate::config::SecretRef::parse(text, dir)
        .and_then(|reference| reference.resolve())
        .map_err(|err| format!("{label}: {err}"))
}

/// Checks a channel's URL: https anywhere, plain http only to loopback (as for exchanges).
pub fn check_url(url: &str) -> Result<(), String> {
    crate::config::check_url(url)
}

/// Delay after `attempt` failed (1-based), when the service said nothing: 0.5 s, 1 s, 2 s, …
/// up to 30 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(30_000))
}

/// The delay an HTTP answer asks for in `Retry-After` (RFC 9110 §10.2.3): a number of seconds,
/// or an HTTP date, which is read against this machine's clock (a date already past: retry now).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    retry_after_value(value, std::time::SystemTime::now())
}

/// [`retry_after`]'s reading of one header value at `now`.
fn retry_after_value(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    // delay-seconds is `1*DIGIT`: no sign (Rust's `parse` would take a `+`).
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 1994-11-06T08:49:37Z, RFC 9110's example date.
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let read = |v: &str| retry_after_value(v, now);
        assert_eq!(read("120"), Some(Duration::from_secs(120)));
        assert_eq!(read(" 7 "), Some(Duration::from_secs(7)));
        // The three forms a recipient must accept (RFC 9110 §5.6.7), 90 s after `now`.
        assert_eq!(
            read("Sun, 06 Nov 1994 08:51:07 GMT"),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            read("Sunday, 06-Nov-94 08:51:07 GMT"),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            read("Sun Nov  6 08:51:07 1994"),
            Some(Duration::from_secs(90))
        );
        // A date already past: retry at once.
        assert_eq!(read("Sun, 06 Nov 1994 08:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(read("soon"), None);
        assert_eq!(read("-5"), None);
        assert_eq!(read("+5"), None);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::RETRY_AFTER,
            httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600))
                .parse()
                .unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600));
    }
}
