//! The queue between a command and its channels: [`Notifier::notify`] never blocks and never
//! fails, so a dead or slow channel cannot hold back a lock or a revoke.
//!
//! Messages wait in a bounded inbox (256) while a background task reads the settings; then each
//! channel has its own bounded lane (64 messages) and one task that sends them in order,
//! each attempt bounded by the channel's `timeout`, retried up to `retries` times after
//! [`super::backoff`] or the delay the service asked for. When a lane is full the *new* message
//! is refused and counted (refuse-and-count: what is already queued, the run's start first, is
//! kept), and the count is reported at the end. [`Notifier::flush`] waits a bounded time at the
//! end of a command and reports what was not delivered.
//!
//! Every attempt is written, as one JSON line, to `notifications.jsonl` in the run folder when
//! there is one (`notification_sent` / `notification_failed`: channel, event, attempt, outcome;
//! nothing secret). Not in the hash-chained journal: attempts go on after its `run_finished`
//! seal, and a seal must stay the journal's last line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use super::Message;
use super::config::{Configured, Settings};

/// How many messages one channel's lane holds.
pub const LANE: usize = 64;
/// The longest a retry waits, whatever the service asked.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// The file attempts are written to, in a run folder.
pub const FILE_NAME: &str = "notifications.jsonl";

/// One attempt, as written to `notifications.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Attempt {
    /// `notification_sent` or `notification_failed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The channel's name.
    pub channel: String,
    /// The event.
    pub event: String,
    /// The message's group (run id, `check-<profile>`).
    pub dedup_key: String,
    /// The message's title (which manual step, contained or not).
    #[serde(default)]
    pub title: String,
    /// The message's id ([`Message::id`]: the same for every attempt and resume); empty in
    /// files written before ids.
    #[serde(default)]
    pub id: String,
    /// Sent by a drill's rehearsed response.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drill: bool,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// `delivered`, or why not (no secret), and whether it will be retried.
    pub outcome: String,
}

/// What a flush found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Messages delivered (per channel).
    pub delivered: u64,
    /// Messages given up on after their last attempt.
    pub failed: u64,
    /// Messages still queued or in flight when the flush's time ran out.
    pub undelivered: u64,
    /// Messages refused because a lane was full.
    pub refused: u64,
    /// What failed, one line each (`hook: webhook to 127.0.0.1: connection failed`).
    pub problems: Vec<String>,
}

/// Sends messages to the routed channels, in the background. Cheap to clone; the default sends
/// nothing.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    inner: Option<Arc<Inner>>,
    /// Messages not yet routed. Held by the notifiers only: when the last one is dropped the
    /// router, then each lane once drained, ends.
    inbox: Option<mpsc::Sender<Message>>,
}

#[derive(Debug)]
struct Inner {
    /// Messages queued or in flight, per channel (and not yet routed).
    pending: AtomicUsize,
    delivered: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
    problems: Mutex<Vec<String>>,
    log: Mutex<Option<PathBuf>>,
    /// How long a flush waits by default, in ms (the config's `notify.flush`).
    flush_ms: AtomicU64,
    /// (channel, [`done_key`]) pairs delivered before (a resumed run's): not sent again.
    done: Mutex<BTreeSet<(String, String)>>,
    /// Opened by [`Notifier::release`]: until then a held notifier only queues.
    gate: tokio::sync::watch::Sender<bool>,
}

/// How many messages wait to be routed.
const INBOX: usize = 256;

impl Notifier {
    /// Starts sending with `settings` (within a Tokio runtime); with no channels it sends
    /// nothing and starts nothing.
    pub fn start(settings: Settings) -> Notifier {
        if settings.is_empty() {
            return Notifier::default();
        }
        Notifier::start_with(move || Ok(settings))
    }

    /// Starts a notifier whose settings `load` reads on a background thread, so that reading
    /// the config and its secrets, and building the HTTP client, stay off the caller's path:
    /// messages wait in the inbox meanwhile. A `load` error is reported by [`Notifier::flush`].
    pub fn start_with(
        load: impl FnOnce() -> Result<Settings, String> + Send + 'static,
    ) -> Notifier {
        let notifier = Notifier::held(load);
        notifier.release();
        notifier
    }

    /// [`Notifier::start_with`], but nothing is read, built or sent before
    /// [`Notifier::release`] (or [`Notifier::flush`]): a response releases it once its lock is
    /// in, so that reading the config and loading the system's certificates (milliseconds of
    /// CPU) never compete with the lock.
    pub fn held(load: impl FnOnce() -> Result<Settings, String> + Send + 'static) -> Notifier {
        // Outside a runtime nothing can send: no notifications rather than a panic.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Notifier::default();
        };
        let (inbox, rx) = mpsc::channel(INBOX);
        let inner = Arc::new(Inner {
            pending: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            problems: Mutex::new(Vec::new()),
            log: Mutex::new(None),
            flush_ms: AtomicU64::new(super::config::DEFAULT_FLUSH.as_millis() as u64),
            done: Mutex::new(BTreeSet::new()),
            gate: tokio::sync::watch::Sender::new(false),
        });
        runtime.spawn(dispatch(Arc::clone(&inner), rx, load));
        Notifier {
            inner: Some(inner),
            inbox: Some(inbox),
        }
    }

    /// From now on, attempts are also written to `dir/notifications.jsonl`; messages it shows
    /// delivered before (a resumed run) are not sent again.
    pub fn log_to(&self, dir: &Path) {
        let Some(inner) = &self.inner else { return };
        let path = dir.join(FILE_NAME);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut done = lock(&inner.done);
            for attempt in text
                .lines()
                .filter_map(|l| serde_json::from_str::<Attempt>(l).ok())
                .filter(|a| a.kind == "notification_sent")
            {
                let key = if attempt.id.is_empty() {
                    legacy_key(&attempt.dedup_key, &attempt.event, &attempt.title)
                } else {
                    format!("id:{}", attempt.id)
                };
                done.insert((attempt.channel, key));
            }
        }
        *lock(&inner.log) = Some(path);
    }

    /// Lets a [`Notifier::held`] notifier start sending.
    pub fn release(&self) {
        if let Some(inner) = &self.inner {
            inner.gate.send_replace(true);
        }
    }

    /// Queues `message` for the channels its routes name; never waits, never fails.
    pub fn notify(&self, message: Message) {
        let (Some(inner), Some(inbox)) = (&self.inner, &self.inbox) else {
            return;
        };
        inner.pending.fetch_add(1, Ordering::SeqCst);
        let event = message.event;
        if inbox.try_send(message).is_err() {
            inner.pending.fetch_sub(1, Ordering::SeqCst);
            refuse(inner, "all channels", event);
        }
    }

    /// Waits at most `within` (default: the config's `notify.flush`) for what is queued, then
    /// says what was and was not delivered. Messages still queued are abandoned with the process.
    pub async fn flush(&self, within: Option<Duration>) -> Summary {
        let Some(inner) = &self.inner else {
            return Summary::default();
        };
        self.release();
        let within =
            within.unwrap_or_else(|| Duration::from_millis(inner.flush_ms.load(Ordering::SeqCst)));
        let deadline = Instant::now() + within;
        while inner.pending.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Summary {
            delivered: inner.delivered.load(Ordering::SeqCst),
            failed: inner.failed.load(Ordering::SeqCst),
            undelivered: inner.pending.load(Ordering::SeqCst) as u64,
            refused: inner.refused.load(Ordering::SeqCst),
            problems: lock(&inner.problems).clone(),
        }
    }
}

fn refuse(inner: &Inner, name: &str, event: super::Event) {
    inner.refused.fetch_add(1, Ordering::SeqCst);
    lock(&inner.problems).push(format!(
        "{name}: `{}` refused, the queue is full",
        event.as_str()
    ));
}

/// Reads the settings, starts one lane per channel, and routes the inbox's messages to them.
async fn dispatch(
    inner: Arc<Inner>,
    mut rx: mpsc::Receiver<Message>,
    load: impl FnOnce() -> Result<Settings, String> + Send + 'static,
) {
    let mut gate = inner.gate.subscribe();
    let _ = gate.wait_for(|open| *open).await;
    let loaded = tokio::task::spawn_blocking(move || load().map(|s| (s, client())))
        .await
        .unwrap_or_else(|_| Err("the notification settings could not be read".to_owned()));
    let settings = match loaded {
        Ok((settings, http)) => {
            inner
                .flush_ms
                .store(settings.flush.as_millis() as u64, Ordering::SeqCst);
            let mut lanes = BTreeMap::new();
            for (name, configured) in &settings.channels {
                let (tx, lane_rx) = mpsc::channel(LANE);
                lanes.insert(name.clone(), tx);
                tokio::spawn(lane(
                    Arc::clone(&inner),
                    configured.clone(),
                    lane_rx,
                    http.clone(),
                ));
            }
            Some((settings, lanes))
        }
        Err(problem) => {
            lock(&inner.problems).push(format!("notifications are off: {problem}"));
            None
        }
    };
    while let Some(message) = rx.recv().await {
        if let Some((settings, lanes)) = &settings {
            // The same message: the same id (a resumed run's `run_finished` ends at another
            // journal head, and is sent); a file written before ids matched group, event and title.
            let keys = [
                format!("id:{}", message.id),
                legacy_key(&message.dedup_key, message.event.as_str(), &message.title),
            ];
            for target in settings.targets(message.event, message.profile.as_deref()) {
                let name = target.channel.name();
                if !target.channel.takes(&message) {
                    continue;
                }
                let done = lock(&inner.done);
                if keys
                    .iter()
                    .any(|key| done.contains(&(name.to_owned(), key.clone())))
                {
                    continue;
                }
                drop(done);
                let Some(lane) = lanes.get(name) else {
                    continue;
                };
                inner.pending.fetch_add(1, Ordering::SeqCst);
                if lane.try_send(message.clone()).is_err() {
                    inner.pending.fetch_sub(1, Ordering::SeqCst);
                    refuse(&inner, name, message.event);
                }
            }
        }
        inner.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What identified a delivered message in `notifications.jsonl` before messages had ids.
fn legacy_key(dedup_key: &str, event: &str, title: &str) -> String {
    format!("legacy:{dedup_key}/{event}/{title}")
}

/// The channels' HTTP client: rustls, bounded, and no redirects (a webhook URL that redirects
/// would carry the message, or the signature, somewhere not configured).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("lockdown/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends one channel's messages in order.
async fn lane(
    inner: Arc<Inner>,
    configured: Configured,
    mut rx: mpsc::Receiver<Message>,
    http: reqwest::Client,
) {
    while let Some(message) = rx.recv().await {
        deliver(&inner, &configured, &message, &http).await;
        inner.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Tries one message until it is delivered, refused for good, or out of retries.
async fn deliver(
    inner: &Inner,
    configured: &Configured,
    message: &Message,
    http: &reqwest::Client,
) {
    let name = configured.channel.name();
    let attempts = configured.retries.saturating_add(1);
    for attempt in 1..=attempts {
        let sent =
            tokio::time::timeout(configured.timeout, configured.channel.send(message, http)).await;
        let error = match sent {
            Ok(Ok(())) => {
                inner.delivered.fetch_add(1, Ordering::SeqCst);
                write(inner, name, message, attempt, "delivered".to_owned(), true);
                return;
            }
            Ok(Err(err)) => err,
            Err(_) => super::SendError::Retry {
                reason: format!("no answer within {:?}", configured.timeout),
                after: None,
            },
        };
        let last = attempt == attempts;
        match error {
            super::SendError::Retry { reason, after } if !last => {
                let wait = after
                    .unwrap_or_else(|| super::backoff(attempt))
                    .min(MAX_WAIT);
                write(
                    inner,
                    name,
                    message,
                    attempt,
                    format!("{reason}; retrying in {} ms", wait.as_millis()),
                    false,
                );
                tokio::time::sleep(wait).await;
            }
            super::SendError::Retry { reason, .. } | super::SendError::Fatal { reason } => {
                inner.failed.fetch_add(1, Ordering::SeqCst);
                lock(&inner.problems).push(format!(
                    "{name}: `{}` not delivered after {attempt} attempt(s): {reason}",
                    message.event.as_str()
                ));
                write(
                    inner,
                    name,
                    message,
                    attempt,
                    format!("{reason}; given up"),
                    false,
                );
                return;
            }
        }
    }
}

fn write(
    inner: &Inner,
    channel: &str,
    message: &Message,
    attempt: u32,
    outcome: String,
    sent: bool,
) {
    // Held while writing: every channel's lane appends to the one file, and a line must never
    // be split by another's (`writeln!` may write the text and its newline apart).
    let log = lock(&inner.log);
    let Some(path) = log.as_ref() else {
        return;
    };
    let record = Attempt {
        kind: if sent {
            "notification_sent"
        } else {
            "notification_failed"
        }
        .to_owned(),
        at: crate::clock::now_rfc3339(),
        channel: channel.to_owned(),
        event: message.event.as_str().to_owned(),
        dedup_key: message.dedup_key.clone(),
        title: message.title.clone(),
        id: message.id.clone(),
        drill: message.drill,
        attempt,
        outcome,
    };
    let Ok(mut line) = serde_json::to_string(&record) else {
        return;
    };
    line.push('\n');
    // Best effort: a full disk must not stop the sending (nor anything else). One write of the
    // whole line, so that even another process appending (a resumed run) cannot split it.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = file.write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Event, Phase, Severity};

    fn message(i: usize) -> Message {
        crate::notify::events::message(
            Event::Custom,
            Severity::Info,
            Phase::Note,
            format!("m{i}"),
            String::new(),
        )
    }

    #[tokio::test]
    async fn a_full_queue_refuses_the_new_message_and_counts_it() {
        // Held: nothing is routed yet, so the inbox fills.
        let notifier = Notifier::held(|| Ok(Settings::default()));
        for i in 0..INBOX + 5 {
            notifier.notify(message(i));
        }
        let summary = notifier.flush(Some(Duration::from_secs(5))).await;
        assert_eq!(summary.refused, 5);
        assert_eq!(
            summary.undelivered, 0,
            "the queued ones were routed (to no channel)"
        );
        assert!(summary.problems[0].contains("refused, the queue is full"));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn lanes_writing_at_once_never_mix_their_lines() {
        // Every channel's lane records its attempts in the one file, at the same time.
        let dir = tempfile::tempdir().unwrap();
        let notifier = Notifier::held(|| Ok(Settings::default()));
        notifier.log_to(dir.path());
        let inner = Arc::clone(notifier.inner.as_ref().unwrap());
        let lanes: Vec<_> = (0..8)
            .map(|lane| {
                let inner = Arc::clone(&inner);
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let outcome = format!("lane {lane} attempt {i}");
                        write(&inner, &format!("c{lane}"), &message(i), 1, outcome, true);
                    }
                })
            })
            .collect();
        for lane in lanes {
            lane.join().unwrap();
        }
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8 * 200);
        for line in lines {
            serde_json::from_str::<Attempt>(line).unwrap_or_else(|err| panic!("{err}: {line}"));
        }
    }

    #[tokio::test]
    async fn settings_that_do_not_load_are_reported_not_raised() {
        let notifier = Notifier::start_with(|| Err("`c.yaml:3:5`: no such channel".to_owned()));
        notifier.notify(message(0));
        let summary = notifier.flush(Some(Duration::from_secs(5))).await;
        assert_eq!(summary.delivered + summary.failed, 0);
        assert!(summary.problems[0].starts_with("notifications are off"));
    }
}
