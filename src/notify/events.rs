//! The messages lockdown sends, and how a run's engine reaches its notifier without carrying it.
//!
//! A response sets the run's [`Current`] for the task that runs it ([`scope`]); the engine calls
//! [`key_locked`] and [`manual_pending`] where those happen, which do nothing outside a scope
//! (plans, `check`'s offline plan, tests). Every text here is built from what the terminal
//! shows: the leaked key masked as the terminal masks it, no secret, no ledger content.

use std::future::Future;

use super::queue::Notifier;
use super::{Event, Message, Phase, Severity};

/// The run a notification belongs to.
#[derive(Debug, Clone)]
pub struct Current {
    /// Where messages go.
    pub notifier: Notifier,
    /// The profile.
    pub profile: String,
    /// The venue.
    pub venue: String,
    /// The run id (the messages' `dedup_key`).
    pub run_id: String,
    /// The leaked key, masked.
    pub key: String,
    /// A drill's rehearsed response: every message is marked (`drill: true`, `[drill]` title).
    pub drill: bool,
    /// What the run does, for `run_started`: the playbook and its steps in order (a
    /// watcher's lock run only locks and reports; a response cancels, revokes, replaces).
    pub plan: String,
}

/// A drill's response with notifications on (`drill --notify`): the channels and routes come
/// from the owner's config (not the simulator session's), every message is marked as a drill,
/// and the attempts are written to the drill's own folder, beside its scorecard.
#[derive(Debug, Clone)]
pub struct Rehearsal {
    /// The config whose `notify:` section is used (its references resolve against its folder).
    pub config: std::path::PathBuf,
    /// The drill's folder: its `notifications.jsonl`.
    pub folder: std::path::PathBuf,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// Runs `future` with `current` as the run its engine events belong to.
pub async fn scope<F: Future>(current: Current, future: F) -> F::Output {
    CURRENT.scope(current, future).await
}

/// A message stamped now, without fields, group or profile (set them with `..`); its id is
/// `<event>/<at>` (see [`identified`]).
pub fn message(
    event: Event,
    severity: Severity,
    phase: Phase,
    title: String,
    text: String,
) -> Message {
    let at = crate::clock::now_rfc3339();
    Message {
        event,
        severity,
        phase,
        title,
        text,
        fields: Vec::new(),
        dedup_key: String::new(),
        profile: None,
        id: format!("{}/{at}", event.as_str()),
        at,
        drill: false,
    }
}

/// `message` with its id `<dedup_key>/<event>/<at>`, once its group is set.
fn identified(message: Message) -> Message {
    Message {
        id: format!(
            "{}/{}/{}",
            message.dedup_key,
            message.event.as_str(),
            message.at
        ),
        ..message
    }
}

/// A message of the current run; `which` names it within the run (the step, the journal head),
/// so that its id is the same when a resumed run sends it again.
#[allow(clippy::too_many_arguments)]
fn for_run(
    current: &Current,
    event: Event,
    which: &str,
    severity: Severity,
    phase: Phase,
    title: String,
    text: String,
    mut fields: Vec<(String, String)>,
) -> Message {
    let mut all = vec![
        ("profile".to_owned(), current.profile.clone()),
        ("venue".to_owned(), current.venue.clone()),
        ("key".to_owned(), current.key.clone()),
        ("run".to_owned(), current.run_id.clone()),
    ];
    all.append(&mut fields);
    let mut id = format!("{}/{}", current.run_id, event.as_str());
    if !which.is_empty() {
        id = format!("{id}/{which}");
    }
    let title = if current.drill {
        format!("[drill] {title}")
    } else {
        title
    };
    Message {
        fields: all,
        dedup_key: current.run_id.clone(),
        profile: Some(current.profile.clone()),
        id,
        drill: current.drill,
        ..message(event, severity, phase, title, text)
    }
}

/// A response started (live).
pub fn run_started(current: &Current) {
    current.notifier.notify(for_run(
        current,
        Event::RunStarted,
        "",
        Severity::Critical,
        Phase::Trigger,
        format!(
            "{}: responding to leaked key {} on {}",
            current.profile, current.key, current.venue
        ),
        format!("lockdown is locking the key first: {}.", current.plan),
        vec![],
    ));
}

/// The lock (or the revoke, where there is no lock) was acknowledged by the exchange.
pub fn key_locked(step: &str, contained_ms: Option<u64>) {
    let _ = CURRENT.try_with(|current| {
        // The lock is in: the notifier may now read its settings and send.
        current.notifier.release();
        let ms = contained_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_else(|| "unknown".to_owned());
        current.notifier.notify(for_run(
            current,
            Event::KeyLocked,
            step,
            Severity::Warning,
            Phase::Acknowledge,
            format!("{}: key {} locked in {ms}", current.profile, current.key),
            format!(
                "step `{step}` succeeded: the leaked key can no longer trade; the response goes on."
            ),
            vec![("time to contain".to_owned(), ms)],
        ));
    });
}

/// A manual step waits for a person: `text` is the guide the terminal shows.
pub fn manual_pending(step: &str, title: &str, text: &str) {
    let _ = CURRENT.try_with(|current| {
        // A person is needed: nothing automatic is racing, and they must hear of it now.
        current.notifier.release();
        current.notifier.notify(for_run(
            current,
            Event::ManualPending,
            step,
            Severity::Critical,
            Phase::Note,
            format!(
                "{}: step `{step}` must be done by hand: {title}",
                current.profile
            ),
            text.to_owned(),
            vec![("step".to_owned(), step.to_owned())],
        ));
    });
}

/// A response ended.
pub fn run_finished(current: &Current, outcome: &crate::engine::Outcome) {
    let unauthorized = match (outcome.unauthorized_orders(), outcome.unverified_orders()) {
        (Some(n), _) => n.to_string(),
        (None, Some(n)) => format!("unknown ({n} unverified: no usable ledger)"),
        (None, None) => "unknown".to_owned(),
    };
    let report = outcome
        .report()
        .get("markdown")
        .and_then(|v| v.as_str())
        .unwrap_or("none")
        .to_owned();
    let (severity, phase, verdict) = if outcome.contained {
        (Severity::Info, Phase::Resolve, "contained")
    } else {
        (Severity::Critical, Phase::Trigger, "NOT contained")
    };
    let ttc = outcome
        .contained_ms
        .map(|ms| format!("{ms} ms"))
        .unwrap_or_else(|| "-".to_owned());
    let left = outcome.left.len();
    current.notifier.notify(for_run(
        current,
        Event::RunFinished,
        &outcome.journal_hash,
        severity,
        phase,
        format!("{}: key {} {verdict}", current.profile, current.key),
        format!(
            "response finished: {verdict}; time to contain {ttc}; {unauthorized} unauthorized order(s); {left} thing(s) left to do by hand."
        ),
        vec![
            ("contained".to_owned(), outcome.contained.to_string()),
            ("time to contain".to_owned(), ttc),
            ("unauthorized orders".to_owned(), unauthorized),
            ("report".to_owned(), report),
            ("journal head".to_owned(), outcome.journal_hash.clone()),
            ("exit code".to_owned(), outcome.exit().code().to_string()),
        ],
    ));
}

/// Sends `message` from a command that is not a response (`drill`, `check`): the config's
/// `notify:` settings are read (`None`: the default config, none at all when it is missing),
/// and the command waits at most the flush time; what failed is a warning, never an error.
/// With `log_dir`, attempts are written to its `notifications.jsonl` too.
pub async fn send_and_wait(
    config: Option<&std::path::Path>,
    message: Message,
    log_dir: Option<&std::path::Path>,
    ui: &crate::ui::Ui,
) {
    let settings = match crate::config::load_notify(config) {
        Ok(settings) if settings.is_empty() => return,
        Ok(settings) => settings,
        Err(err) => {
            ui.warn(&format!("notifications are off: {err}"));
            return;
        }
    };
    let notifier = Notifier::start(settings);
    if let Some(dir) = log_dir {
        notifier.log_to(dir);
    }
    notifier.notify(message);
    crate::respond::report_notifications(&notifier.flush(None).await, ui);
}

/// Sends `message` without waiting (a scheduler's failed job: the scheduler goes on); needs a
/// Tokio runtime.
pub fn send_in_background(config: std::path::PathBuf, message: Message) {
    let notifier = Notifier::start_with(move || {
        crate::config::load_notify(Some(&config)).map_err(|err| err.to_string())
    });
    notifier.notify(message);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let _ = notifier.flush(None).await;
        });
    }
}

/// `drill_failed` or `drill_regressed` (`regressed`: why), for a drill of `venue`/`scenario`.
pub fn drill(
    venue: &str,
    scenario: &str,
    failed: bool,
    regressed: Option<&str>,
    folder: &std::path::Path,
) -> Message {
    let (event, severity, why) = if failed {
        (Event::DrillFailed, Severity::Critical, "failed".to_owned())
    } else {
        (
            Event::DrillRegressed,
            Severity::Warning,
            format!("regressed: {}", regressed.unwrap_or("worse than before")),
        )
    };
    identified(Message {
        fields: vec![
            ("venue".to_owned(), venue.to_owned()),
            ("scenario".to_owned(), scenario.to_owned()),
            ("scorecard".to_owned(), folder.display().to_string()),
        ],
        dedup_key: format!("drill-{venue}-{scenario}"),
        ..message(
            event,
            severity,
            Phase::Trigger,
            format!("drill {venue}/{scenario} {why}"),
            format!(
                "A fire drill of the response on {venue} ({scenario}) {why}; the scorecard is in {}.",
                folder.display()
            ),
        )
    })
}

/// What `check` tells about `profile`: `check_not_ready` with its critical findings (`check:
/// message` each; `regressed`: why it is worse than the last check, which makes it critical),
/// else `check_warnings` with its warnings, else nothing.
pub fn check(
    profile: &str,
    critical: &[String],
    warnings: &[String],
    regressed: Option<&str>,
) -> Option<Message> {
    let (event, severity, mut title, text) = if !critical.is_empty() {
        let mut text = format!(
            "`lockdown check` found {} critical problem(s):\n{}",
            critical.len(),
            critical.join("\n")
        );
        if !warnings.is_empty() {
            text.push_str(&format!(
                "\nand {} warning(s):\n{}",
                warnings.len(),
                warnings.join("\n")
            ));
        }
        let severity = if regressed.is_some() {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let title = format!("{profile}: not ready for an incident");
        (Event::CheckNotReady, severity, title, text)
    } else if !warnings.is_empty() {
        let text = format!(
            "`lockdown check` found the profile ready, with {} warning(s):\n{}",
            warnings.len(),
            warnings.join("\n")
        );
        let title = format!("{profile}: ready, with {} warning(s)", warnings.len());
        (Event::CheckWarnings, Severity::Warning, title, text)
    } else {
        return None;
    };
    let mut fields = vec![("profile".to_owned(), profile.to_owned())];
    if let Some(reason) = regressed {
        title.push_str(" (REGRESSED)");
        fields.push(("regressed".to_owned(), reason.to_owned()));
    }
    Some(identified(Message {
        fields,
        dedup_key: format!("check-{profile}"),
        profile: Some(profile.to_owned()),
        ..message(event, severity, Phase::Trigger, title, text)
    }))
}

/// `schedule_failed` for job `name`: `what` says how (exit code, timeout) and where.
pub fn schedule_failed(name: &str, what: &str) -> Message {
    identified(Message {
        fields: vec![("job".to_owned(), name.to_owned())],
        dedup_key: format!("schedule-{name}"),
        ..message(
            Event::ScheduleFailed,
            Severity::Warning,
            Phase::Trigger,
            format!("scheduled job `{name}` failed"),
            what.to_owned(),
        )
    })
}

/// A playbook's `notify` step `step`: `text`'s first line is the title. Whether it was queued
/// (not in a response with notifications: no).
pub fn custom(step: &str, text: &str, severity: Severity) -> bool {
    CURRENT
        .try_with(|current| {
            let first = text.lines().next().unwrap_or_default().trim();
            current.notifier.notify(for_run(
                current,
                Event::Custom,
                step,
                severity,
                Phase::Note,
                format!("{}: {first}", current.profile),
                text.to_owned(),
                vec![],
            ));
            true
        })
        .unwrap_or(false)
}
