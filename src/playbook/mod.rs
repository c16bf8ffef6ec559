//! Playbooks: the YAML a response runs, parsed in two layers.
//!
//! `raw` mirrors the file with serde; `validate` turns it into a [`Playbook`] where bad states
//! cannot exist: ids are unique, every step has exactly one action with well-typed parameters,
//! templates parse and only read what exists before them (never a secret), and step references
//! resolve. Every problem is collected and reported at once with `file:line:col`, a drawn snippet
//! and a hint. The default playbook per venue is embedded in the binary (`builtin`).

mod bounds;
mod builtin;
mod param_error;
mod raw;
mod references;
pub mod schema;
mod step;
mod validate;
mod venue_check;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use builtin::{builtin, by_origin, is_rotation, rotation, rotation_name};

use crate::actions::ActionSpec;
use crate::exchanges::ExchangeId;
use crate::source::{Problems, Source};

/// A validated playbook.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The venue it is written for.
    pub exchange: ExchangeId,
    /// The inputs it takes.
    pub inputs: Vec<Input>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Steps that always run after `steps`, also after an abort (report, notify).
    pub finally: Vec<Step>,
    /// How long `steps` may take altogether; past it the run stops and `finally` runs.
    pub deadline: Option<Duration>,
    /// Where it came from (a path, or `builtin:<venue>`).
    pub origin: String,
    /// SHA-256 of its text (for a built-in playbook, the text embedded in the binary), lowercase
    /// hex: `run_started` records it, so the journal says exactly which playbook ran.
    pub sha256: String,
    /// The steps its venue cannot do, each at its place with what to do instead (`venue_check`).
    /// `validate` and `check` refuse such a playbook; a response only says them before its
    /// first request and runs, because nothing but the exchange may stop the lock and the
    /// revoke: the step fails at its turn and containment goes on.
    pub unavailable: Option<std::sync::Arc<Problems>>,
}

/// A declared input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Its name.
    pub name: String,
    /// Whether a run must supply it.
    pub required: bool,
    /// Its value when not supplied.
    pub default: Option<String>,
    /// What it is.
    pub description: Option<String>,
}

/// A step id: lowercase letters, digits and `_`, starting with a letter, unique in a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(String);

impl StepId {
    /// Checks an id.
    pub fn parse(text: &str) -> Result<StepId, String> {
        let ok = text.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(StepId(text.to_owned()))
        } else {
            Err(format!(
                "step id `{text}` must be lowercase letters, digits and `_`, starting with a letter (templates name it as `steps.{text}`)"
            ))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to do when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop the run (later steps do not run).
    #[default]
    Abort,
    /// Record the failure and go on; the run ends incomplete.
    Continue,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its id.
    pub id: StepId,
    /// A name for people.
    pub name: Option<String>,
    /// A condition; the step is skipped when it is false.
    pub when: Option<String>,
    /// How long it may take.
    pub timeout: Option<Duration>,
    /// What a failure does.
    pub on_error: OnError,
    /// How a failure that is safe to retry is retried.
    pub retry: Option<Retry>,
    /// What it does.
    pub body: StepBody,
}

/// A step's retry policy: exponential backoff with jitter, capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    #[serde(default = "default_backoff", with = "duration_text")]
    pub backoff: Duration,
    /// The longest wait.
    #[serde(default = "default_max_backoff", with = "duration_text")]
    pub max_backoff: Duration,
}

fn default_backoff() -> Duration {
    Duration::from_millis(200)
}

fn default_max_backoff() -> Duration {
    Duration::from_secs(5)
}

/// Durations written as people write them (`200ms`, `5s`).
mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(de)?;
        crate::clock::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepBody {
    /// One action.
    Action(ActionSpec),
    /// Several steps at once, at most `max` of them running together.
    Parallel {
        /// The member steps, in order (their journal events keep this order).
        steps: Vec<Step>,
        /// How many run at the same time.
        max: usize,
    },
}

/// How many members of a `parallel` group run at once unless it says otherwise.
pub const DEFAULT_MAX_PARALLEL: usize = 4;

impl Step {
    /// The action's name, or `parallel`.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            StepBody::Action(action) => action.name(),
            StepBody::Parallel { .. } => "parallel",
        }
    }

    /// This step and, for a parallel group, its members, in order.
    pub fn flatten(&self) -> Vec<&Step> {
        match &self.body {
            StepBody::Action(_) => vec![self],
            StepBody::Parallel { steps, .. } => {
                let mut all = vec![self];
                all.extend(steps.iter());
                all
            }
        }
    }
}

impl Playbook {
    /// Every action step, groups opened, in order, `finally` last.
    pub fn action_steps(&self) -> Vec<(&Step, &ActionSpec)> {
        let mut out = Vec::new();
        for step in self.steps.iter().chain(&self.finally) {
            for inner in step.flatten() {
                if let StepBody::Action(action) = &inner.body {
                    out.push((inner, action));
                }
            }
        }
        out
    }
}

/// Why a playbook could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PlaybookError {
    /// The file could not be read.
    #[error("cannot read the playbook `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Problems),
}

/// Loads and validates a playbook file.
pub fn load(path: &Path) -> Result<Playbook, PlaybookError> {
    // A shipped rotation by its name (`lockdown rotate` passes it so; `plan --playbook` may too).
    if let Some(shipped) = path.to_str().and_then(builtin::rotation_named) {
        return Ok(shipped?);
    }
    let text = crate::limits::read_file(path).map_err(|source| PlaybookError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(parse(&path.display().to_string(), &text)?)
}

/// The playbook a run of `profile` uses: `explicit` (`--playbook`), else the profile's
/// `playbook:`, else the one shipped for its venue.
pub fn for_profile(
    explicit: Option<&Path>,
    profile: &crate::config::Profile,
) -> Result<Playbook, PlaybookError> {
    match explicit.or(profile.playbook.as_deref()) {
        Some(path) => load(path),
        None => Ok(builtin(profile.exchange)?),
    }
}

/// SHA-256 of a playbook's text, lowercase hex.
pub fn text_sha256(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// Parses and validates playbook text.
pub fn parse(name: &str, text: &str) -> Result<Playbook, Problems> {
    let source = Source::bounded(name, text)?;
    let raw = raw::parse(&source)?;
    bounds::check_step_count(&source, &raw)?;
    validate::validate(&source, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "version: 1\nname: t\nexchange: bybit\ninputs:\n  key: { required: true }\n";

    fn problems(steps: &str) -> Vec<String> {
        match parse("t.yaml", &format!("{HEAD}{steps}")) {
            Ok(_) => Vec::new(),
            Err(all) => all
                .problems
                .iter()
                .map(|p| format!("{p} (hint: {})", p.hint().unwrap_or_default()))
                .collect(),
        }
    }

    #[test]
    fn step_settings_are_checked() {
        for (label, steps, want) in [
            (
                "retry on a group",
                "steps:\n  - id: g\n    retry: { attempts: 2 }\n    parallel:\n      - id: a\n        report: {}\n",
                "`retry` belongs on the group's member steps",
            ),
            (
                "max_parallel on an action",
                "steps:\n  - id: a\n    max_parallel: 2\n    report: {}\n",
                "`max_parallel` belongs to a `parallel` group",
            ),
            (
                "zero attempts",
                "steps:\n  - id: a\n    retry: { attempts: 0 }\n    report: {}\n",
                "at least 1",
            ),
            (
                "misspelt retry field",
                "steps:\n  - id: a\n    retry: { attempts: 2, backof: 1s }\n    report: {}\n",
                "did you mean `backoff`?",
            ),
            (
                "bad deadline",
                "deadline: soon\nsteps:\n  - id: a\n    report: {}\n",
                "is not a duration",
            ),
            (
                "nested groups",
                "steps:\n  - id: g\n    parallel:\n      - id: h\n        parallel:\n          - id: a\n            report: {}\n",
                "cannot be nested",
            ),
        ] {
            let found = problems(steps);
            assert!(
                found.iter().any(|p| p.contains(want)),
                "{label}: wanted `{want}` in {found:#?}"
            );
        }
    }

    #[test]
    fn misspelt_steps_and_outputs_get_their_meaning() {
        let steps = "steps:
  - id: lock
    restrict_key: { key: \"{{ inputs.key }}\" }
  - id: open_orders
    snapshot: { key: \"{{ inputs.key }}\", of: open_orders }
  - id: note
    manual: { title: \"{{ steps.lock.acount }} {{ steps.lokc.account }}\" }
  - id: diff
    diff_orders: { observed: [open_ordrs] }
";
        let found = problems(steps);
        for want in [
            "t.yaml:12:22: template",
            "step `lock` (restrict_key) has no output `acount`; did you mean `account`?",
            "no earlier step `lokc`; did you mean `lock`?",
            "t.yaml:14:31: no earlier step `open_ordrs` (hint: did you mean `open_orders`? (`observed[0]` must name a `snapshot` step",
        ] {
            assert!(
                found.iter().any(|p| p.contains(want)),
                "wanted `{want}` in {found:#?}"
            );
        }
    }

    #[test]
    fn finally_and_deadline_parse() {
        let book = parse(
            "t.yaml",
            &format!(
                "{HEAD}deadline: 2m\nsteps:\n  - id: a\n    retry: {{ attempts: 3, backoff: 50ms }}\n    report: {{}}\nfinally:\n  - id: b\n    report: {{}}\n"
            ),
        )
        .unwrap();
        assert_eq!(book.deadline, Some(Duration::from_secs(120)));
        assert_eq!(book.finally.len(), 1);
        let retry = book.steps[0].retry.unwrap();
        assert_eq!(
            (retry.attempts, retry.backoff),
            (3, Duration::from_millis(50))
        );
        assert_eq!(book.action_steps().len(), 2);
    }

    #[test]
    fn the_content_hash_covers_the_text_byte_for_byte() {
        let text = format!("{HEAD}steps:\n  - id: a\n    report: {{}}\n");
        let book = parse("t.yaml", &text).unwrap();
        assert_eq!(book.sha256, text_sha256(&text));
        let again = parse("t.yaml", &format!("{text}# a comment\n")).unwrap();
        assert_ne!(again.sha256, book.sha256);
        // A built-in playbook is hashed as embedded in the binary.
        let (_, shipped) = builtin::text(ExchangeId::Bybit);
        assert_eq!(
            builtin(ExchangeId::Bybit).unwrap().sha256,
            text_sha256(shipped)
        );
    }

    #[test]
    fn a_playbook_is_parsed_once_bounds_and_places_included() {
        // Before: three passes (the bounds scan, serde's read, and the index that places the
        // steps), more with merge keys.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.yaml");
        let text = format!(
            "{HEAD}x-lock: &lock\n  key: \"{{{{ inputs.key }}}}\"\nsteps:\n  - id: lock\n    restrict_key: {{ <<: *lock }}\n  - id: a\n    report: {{}}\n# {}\n",
            std::process::id() ^ 0xb00c
        );
        std::fs::write(&path, text).unwrap();
        let before = crate::source::parses();
        let book = load(&path).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(book.action_steps().len(), 2);
        assert_eq!(crate::source::parses() - before, 1);
    }
}
