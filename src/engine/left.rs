//! What a run leaves for people to finish, said plainly.
//!
//! A response that could not do everything must say what is still open and how to finish it,
//! in the terminal, in `--json`, in the journal's `run_finished` and in the report: "orders may
//! still be open", "the key is NOT revoked". One function reads the steps' ends (from the
//! engine's records or from the journal) so every place says the same.

use serde::{Deserialize, Serialize};

use super::StepStatus;

/// How one step ended, as far as what is left depends on it.
#[derive(Debug, Clone, Copy)]
pub struct StepEnd<'a> {
    /// Step id.
    pub id: &'a str,
    /// Action name.
    pub action: &'a str,
    /// How it ended.
    pub status: StepStatus,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// What to do about it.
    pub hint: Option<&'a str>,
    /// Why a step that ended is not whole.
    pub incomplete: Option<&'a str>,
}

impl StepEnd<'_> {
    /// "`cancel` failed: …" / "`cancel` did not run".
    pub fn why(&self) -> String {
        let status = match self.status {
            StepStatus::NotRun => "did not run",
            other => other.as_str(),
        };
        match self.error {
            Some(error) => format!("`{}` {status}: {error}", self.id),
            None => format!("`{}` {status}", self.id),
        }
    }

    /// A to-do whose `how` ends with the step's own hint, where it has one.
    pub fn todo(&self, what: String, how: &str) -> Todo {
        let how = match self.hint {
            Some(hint) => format!("{how} ({hint})"),
            None => how.to_owned(),
        };
        Todo { what, how }
    }
}

/// What the whole run did, as the to-dos of one step depend on it.
#[derive(Debug, Clone, Copy)]
pub struct RunEnd<'a> {
    /// The venue, for people (`bybit`).
    pub venue: &'a str,
    /// Whether a revoke succeeded.
    pub revoked: bool,
}

/// One thing left to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// What is still open.
    pub what: String,
    /// How to finish it.
    pub how: String,
}

/// What is left after a run whose steps ended as `steps`, on `venue` (a name for people).
/// Empty when everything the playbook does was done. Dry runs leave nothing: call it for live
/// runs only. What each action leaves is its own ([`crate::actions::Action::undone`]).
pub fn left(steps: &[StepEnd<'_>], venue: &str) -> Vec<Todo> {
    let run = RunEnd {
        venue,
        revoked: steps
            .iter()
            .any(|s| s.action == "revoke_key" && s.status == StepStatus::Ok),
    };
    let mut out = Vec::new();
    for s in steps {
        if s.status.is_done() {
            if let Some(incomplete) = s.incomplete {
                out.push(s.todo(
                    format!("`{}` is incomplete: {incomplete}", s.id),
                    "see the report and finish it by hand",
                ));
            }
        } else if let Some(todo) = crate::actions::ActionSpec::undone_of(s, &run) {
            out.push(todo);
        }
    }
    // A playbook that neither locks nor revokes says so.
    let contains = |s: &StepEnd<'_>| {
        crate::actions::ActionSpec::containment_of(s.action)
            == crate::actions::Containment::Contains
    };
    if !steps.iter().any(contains) {
        out.push(Todo {
            what: "the key was neither locked nor revoked: the playbook has no step that does"
                .to_owned(),
            how: format!("delete the key in {venue}'s API management page now"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end<'a>(id: &'a str, action: &'a str, status: &str) -> StepEnd<'a> {
        StepEnd {
            id,
            action,
            status: StepStatus::parse(status).expect("a status word"),
            error: None,
            hint: None,
            incomplete: None,
        }
    }

    #[test]
    fn a_whole_run_leaves_nothing() {
        let steps = [
            end("lock", "restrict_key", "ok"),
            end("cancel", "cancel_orders", "ok"),
            end("revoke", "revoke_key", "ok"),
            end("support", "manual", "skipped"),
        ];
        assert_eq!(left(&steps, "Bybit"), Vec::new());
    }

    #[test]
    fn each_open_end_is_named_with_how_to_finish() {
        let cases: &[(&str, StepEnd<'_>, &str)] = &[
            (
                "a failed cancel",
                StepEnd {
                    error: Some("the key is not allowed from this IP address (code 10010)"),
                    ..end("cancel", "cancel_orders", "failed")
                },
                "orders may still be open: `cancel` failed: the key is not allowed",
            ),
            (
                "a cancel that never ran",
                end("cancel", "cancel_orders", "not_run"),
                "orders may still be open: `cancel` did not run",
            ),
            (
                "a diff without a ledger",
                StepEnd {
                    incomplete: Some("3 order(s) could not be checked"),
                    ..end("diff", "diff_orders", "ok")
                },
                "`diff` is incomplete: 3 order(s)",
            ),
            (
                "a failed revoke",
                end("revoke", "revoke_key", "failed"),
                "the leaked key is NOT revoked",
            ),
        ];
        for (label, step, expected) in cases {
            let steps = [end("lock", "restrict_key", "ok"), *step];
            let todo = left(&steps, "Bybit");
            assert!(
                todo.iter().any(|t| t.what.starts_with(expected)),
                "{label}: {todo:?}"
            );
        }
    }

    #[test]
    fn a_failed_lock_is_left_only_when_the_revoke_failed_too() {
        let locked_out = [
            end("lock", "restrict_key", "failed"),
            end("revoke", "revoke_key", "ok"),
        ];
        assert_eq!(left(&locked_out, "OKX"), Vec::new());
        let neither = [
            end("lock", "restrict_key", "failed"),
            end("revoke", "revoke_key", "failed"),
        ];
        let todo = left(&neither, "OKX");
        assert_eq!(todo.len(), 2, "{todo:?}");
        assert!(todo[0].what.starts_with("the key was not locked"));
    }
}
