//! What a run ended with, and which exit code that is.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::left::{StepEnd, Todo};
use crate::exit::Exit;

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Done.
    Ok,
    /// Failed.
    Failed,
    /// `when` was false.
    Skipped,
    /// A person said no.
    Declined,
    /// Dry run: planned, not sent.
    Planned,
    /// Waiting for a person (no terminal, no `--yes`): the run stopped here, resumable.
    Pending,
    /// Not reached: an earlier step stopped the run.
    NotRun,
}

impl StepStatus {
    /// Every status, in declaration order.
    pub const ALL: [StepStatus; 7] = [
        StepStatus::Ok,
        StepStatus::Failed,
        StepStatus::Skipped,
        StepStatus::Declined,
        StepStatus::Planned,
        StepStatus::Pending,
        StepStatus::NotRun,
    ];

    /// The status a word names (`ok`, `not_run`, ...); `None` for any other word, such as the
    /// journal's `running` for a step that has not ended.
    pub fn parse(word: &str) -> Option<StepStatus> {
        StepStatus::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the step did what the playbook asked of it (a `when` that was false and a dry
    /// run's plan count): nothing is left to do for it.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            StepStatus::Ok | StepStatus::Skipped | StepStatus::Planned
        )
    }

    /// The status word.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Ok => "ok",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Declined => "declined",
            StepStatus::Planned => "planned",
            StepStatus::Pending => "pending",
            StepStatus::NotRun => "not_run",
        }
    }
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Step id.
    pub id: String,
    /// Action name.
    pub action: String,
    /// How it ended.
    pub status: StepStatus,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Duration.
    pub duration_ms: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Why it is done but not whole (a diff without a usable ledger): the run ends 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    /// What it produced.
    #[serde(skip)]
    pub outputs: Value,
    /// The exit class of its failure.
    #[serde(skip)]
    pub failure: Option<Exit>,
}

impl StepRecord {
    /// How it ended, for [`super::left::left`].
    pub fn end(&self) -> StepEnd<'_> {
        StepEnd {
            id: &self.id,
            action: &self.action,
            status: self.status,
            error: self.error.as_deref(),
            hint: self.hint.as_deref(),
            incomplete: self.incomplete.as_deref(),
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Run id.
    pub run_id: String,
    /// Run folder.
    pub run_dir: String,
    /// Playbook name.
    pub playbook: String,
    /// Live, dry run or offline.
    pub mode: crate::exchanges::Mode,
    /// What the run leaves for people to finish (nothing for a dry run).
    pub left: Vec<Todo>,
    /// Whether a lock or revoke step succeeded.
    pub contained: bool,
    /// Run start → containment acknowledged by the exchange.
    pub contained_ms: Option<u64>,
    /// The whole run.
    pub duration_ms: u64,
    /// Every step, in order.
    pub steps: Vec<StepRecord>,
    /// Whether the run stopped early.
    pub aborted: bool,
    /// Set when the journal itself failed.
    pub journal_error: Option<String>,
    /// The journal's last event.
    pub journal_seq: u64,
    /// Its hash.
    pub journal_hash: String,
}

impl Outcome {
    /// The exit code the run ends with (README, docs/architecture.md §2).
    pub fn exit(&self) -> Exit {
        if self.journal_error.is_some() {
            return Exit::Io;
        }
        if self.aborted
            && !self.contained
            && let Some(failure) = self.steps.iter().find_map(|s| s.failure)
        {
            return failure;
        }
        let all_ok = self
            .steps
            .iter()
            .all(|s| s.incomplete.is_none() && s.status.is_done());
        // A dry run contains nothing; it succeeds when every step could be planned.
        let contained = self.contained || self.mode != crate::exchanges::Mode::Live;
        if contained && all_ok {
            Exit::Ok
        } else {
            Exit::Incomplete
        }
    }

    /// Unauthorized orders found by the diff, if one ran with a usable ledger.
    pub fn unauthorized_orders(&self) -> Option<usize> {
        self.diff_list("unauthorized")
    }

    /// Orders the diff could not check (no usable ledger), if it ran without one.
    pub fn unverified_orders(&self) -> Option<usize> {
        self.diff_list("unverified")
    }

    fn diff_list(&self, list: &str) -> Option<usize> {
        let diff = self
            .steps
            .iter()
            .find(|s| s.action == "diff_orders" && s.status == StepStatus::Ok)?;
        // Without a ledger nothing was found unauthorized: that is "unknown", not zero.
        if (list == "unauthorized") == diff.incomplete.is_some() {
            return None;
        }
        // The outputs hold the first rows of a list; `counts` holds how many there are.
        let counted = diff.outputs.get("counts").and_then(|c| c.get(list));
        match counted.and_then(Value::as_u64) {
            Some(n) => usize::try_from(n).ok(),
            None => diff
                .outputs
                .get(list)
                .and_then(Value::as_array)
                .map(Vec::len),
        }
    }

    /// Report files written, by format.
    pub fn report(&self) -> Value {
        self.steps
            .iter()
            .rev()
            .find(|s| s.action == "report" && s.status == StepStatus::Ok)
            .map(|s| {
                json!({
                    "markdown": s.outputs.get("markdown"),
                    "json": s.outputs.get("json"),
                })
            })
            .unwrap_or(Value::Null)
    }

    /// The summary `respond --json` prints.
    pub fn summary(&self) -> Value {
        json!({
            "run_id": self.run_id,
            "run_dir": self.run_dir,
            "playbook": self.playbook,
            "mode": self.mode.as_str(),
            "contained": self.contained,
            "contained_ms": self.contained_ms,
            "duration_ms": self.duration_ms,
            "exit_code": self.exit().code(),
            "steps": self.steps,
            "unauthorized_orders": self.unauthorized_orders(),
            "unverified_orders": self.unverified_orders(),
            "left": self.left,
            "report": self.report(),
            "journal": { "seq": self.journal_seq, "hash": self.journal_hash },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_word_reads_back_as_its_status() {
        for status in StepStatus::ALL {
            let word = serde_json::to_value(status).unwrap_or_default();
            assert_eq!(word.as_str(), Some(status.as_str()), "{status:?}");
            assert_eq!(StepStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(StepStatus::parse("running"), None);
    }
}
