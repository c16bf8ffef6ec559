//! What a run leaves for people to finish, said plainly.
//!
//! A response that could not do everything must say what is still open and how to finish it,
//! in the terminal, in `--json`, in the journal's `run_finished` and in the report: "orders may
//! still be open", "the key is NOT revoked". One function reads the steps' ends (from the
//! engine's records or from the journal) so every place says the same.

use serde::Serialize;

/// How one step ended, as far as what is left depends on it.
#[derive(Debug, Clone, Copy)]
pub struct StepEnd<'a> {
    /// Step id.
    pub id: &'a str,
    /// Action name.
    pub action: &'a str,
    /// Status word (`ok`, `failed`, `not_run`, ...).
    pub status: &'a str,
    /// Why it failed.
    pub error: Option<&'a str>,
    /// What to do about it.
    pub hint: Option<&'a str>,
    /// Why a step that ended is not whole.
    pub incomplete: Option<&'a str>,
}

/// One thing left to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Todo {
    /// What is still open.
    pub what: String,
    /// How to finish it.
    pub how: String,
}

/// What is left after a run whose steps ended as `steps`, on `venue` (a name for people).
/// Empty when everything the playbook does was done. Dry runs leave nothing: call it for live
/// runs only.
pub fn left(steps: &[StepEnd<'_>], venue: &str) -> Vec<Todo> {
    let ok = |action: &str| {
        let mut of = steps.iter().filter(|s| s.action == action).peekable();
        of.peek().is_some() && of.all(|s| s.status == "ok" || s.status == "skipped")
    };
    let ran = |action: &str| steps.iter().any(|s| s.action == action);
    let why = |s: &StepEnd<'_>| match (s.status, s.error) {
        (_, Some(error)) => format!("`{}` {}: {error}", s.id, status_word(s.status)),
        (status, None) => format!("`{}` {}", s.id, status_word(status)),
    };
    let revoked = ok("revoke_key");
    let mut out = Vec::new();
    for s in steps {
        if s.status == "ok" || s.status == "skipped" || s.status == "planned" {
            if let Some(incomplete) = s.incomplete {
                out.push(Todo {
                    what: format!("`{}` is incomplete: {incomplete}", s.id),
                    how: s.hint.map_or_else(
                        || "see the report's unverified orders and check them by hand".to_owned(),
                        str::to_owned,
                    ),
                });
            }
            continue;
        }
        let then = s.hint.map(|h| format!(" ({h})")).unwrap_or_default();
        let todo = match s.action {
            "cancel_orders" => Todo {
                what: format!("orders may still be open: {}", why(s)),
                how: format!(
                    "cancel every open order of the account, conditional and trigger orders too, in {venue}'s web interface, in every product it trades{then}"
                ),
            },
            "cancel_after" => Todo {
                what: format!("the dead-man switch is not armed: {}", why(s)),
                how: format!("cancel open orders by hand in {venue}'s web interface{then}"),
            },
            "restrict_key" if !revoked => Todo {
                what: format!("the key was not locked: {}", why(s)),
                how: format!("delete the key in {venue}'s API management page now{then}"),
            },
            // Revoked after all: a failed lock leaves nothing open.
            "restrict_key" => continue,
            "revoke_key" => Todo {
                what: format!("the leaked key is NOT revoked: {}", why(s)),
                how: format!(
                    "delete the key in {venue}'s API management page now, then `lockdown resume` the run to prove it{then}"
                ),
            },
            "verify_revoked" => Todo {
                what: format!("the revoke is not proven: {}", why(s)),
                how: format!(
                    "check in {venue}'s API management page that the key is gone, then `lockdown resume` the run{then}"
                ),
            },
            "create_key" | "store_secret" => Todo {
                what: format!("the bot has no replacement key: {}", why(s)),
                how: format!(
                    "`lockdown resume` the run, or create a key by hand (no withdraw permission, IP-bound) and give it to the bot{then}"
                ),
            },
            "snapshot" => Todo {
                what: format!("evidence is missing: {}", why(s)),
                how: format!(
                    "save the order history, fills and transfers from {venue}'s web interface before they age out{then}"
                ),
            },
            "diff_orders" => Todo {
                what: format!("the attacker's orders were not singled out: {}", why(s)),
                how: format!(
                    "compare the snapshots in the run folder with the bot's ledger by hand{then}"
                ),
            },
            _ => Todo {
                what: why(s),
                how: s
                    .hint
                    .map_or_else(|| "see the step's error above".to_owned(), str::to_owned),
            },
        };
        out.push(todo);
    }
    // A playbook without a revoke (or one the run never reached) says so.
    if !ran("revoke_key") && !ran("restrict_key") {
        out.push(Todo {
            what: "the key was neither locked nor revoked".to_owned(),
            how: format!("delete the key in {venue}'s API management page now"),
        });
    }
    out
}

fn status_word(status: &str) -> &str {
    match status {
        "not_run" => "did not run",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end<'a>(id: &'a str, action: &'a str, status: &'a str) -> StepEnd<'a> {
        StepEnd {
            id,
            action,
            status,
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
