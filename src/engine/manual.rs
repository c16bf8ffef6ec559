//! A step only a person can do: the guide shown, the person's "done" (or a drill operator's)
//! journaled round by round, and the result verified at the exchange where it can be seen.
//! Without a terminal and without `--yes` the step is pending, never silently accepted.

use std::time::Instant;

use serde_json::json;

use super::executor::{Confirm, Run, elapsed_ms};
use super::step::{Done, Prepared};
use crate::actions::{ActionError, ManualStep, Probe, StepContext};
use crate::journal::record;

impl Run<'_> {
    /// A step only a person can do: show the guide, get it done (the operator at the terminal,
    /// `--yes`, or a drill's simulated operator), and, where the exchange can show it, verify
    /// with the action's probe, asking again until it holds or the person gives up. Without a
    /// terminal and without `--yes` the step is left pending: the run stops, resumable.
    pub(super) async fn manual(
        &self,
        p: &Prepared<'_>,
        cx: &StepContext<'_>,
        manual: &ManualStep,
    ) -> Result<Done, ActionError> {
        const ROUNDS: u32 = 5;
        let id = p.step.id.as_str();
        let started = Instant::now();
        self.ui.block("To do by hand:", &manual.text());
        crate::notify::events::manual_pending(id, &manual.guide.title, &manual.text());
        for round in 1..=ROUNDS {
            let by = match self.confirm {
                Confirm::Ask if !self.ui.interactive() => {
                    return Err(ActionError::Pending {
                        what: format!("step `{id}`: {}", manual.guide.title),
                    });
                }
                Confirm::Ask => {
                    let done = self.ui.confirm(&format!("`{id}`: done?")).map_err(|err| {
                        ActionError::Input {
                            message: err.to_string(),
                            hint: "pass `--yes` once the step is done by hand".into(),
                        }
                    })?;
                    if !done {
                        self.journal
                            .record(&record::Confirmation {
                                step: id.to_owned(),
                                accepted: false,
                                by: "operator".to_owned(),
                                round: Some(round),
                            })
                            .map_err(ActionError::Journal)?;
                        return Err(ActionError::Declined {
                            what: format!("step `{id}` ({})", manual.guide.title),
                        });
                    }
                    "operator".to_owned()
                }
                Confirm::Yes => "--yes".to_owned(),
                Confirm::Drill => match &self.operator {
                    Some(operator) => {
                        let _shown = operator.takes(manual).map(|time| {
                            p.progress.countdown(
                                "the drill's operator does it by hand",
                                Instant::now() + time,
                            )
                        });
                        format!("drill operator: {}", operator.perform(manual).await)
                    }
                    None => "drill".to_owned(),
                },
            };
            self.journal
                .record(&record::Confirmation {
                    step: id.to_owned(),
                    accepted: true,
                    by: by.clone(),
                    round: Some(round),
                })
                .map_err(ActionError::Journal)?;
            let waited = elapsed_ms(started);
            // What the plan learnt before the guide was shown (the key before a guided lock).
            let planned = p.plan.outputs.clone().unwrap_or_default();
            if !manual.task.verifiable() {
                let mut outputs = planned;
                outputs.insert("done".into(), json!(true));
                outputs.insert("by".into(), json!(by));
                outputs.insert("manual_wait_ms".into(), json!(waited));
                return Ok(Done::Applied {
                    outputs,
                    attempts: round,
                    probed: false,
                });
            }
            match p.action.probe(cx).await? {
                Probe::Done(mut outputs) => {
                    for (name, value) in planned {
                        outputs.entry(name).or_insert(value);
                    }
                    outputs.insert("by".into(), json!(by));
                    outputs.insert("manual_wait_ms".into(), json!(waited));
                    return Ok(Done::Applied {
                        outputs,
                        attempts: round,
                        probed: true,
                    });
                }
                Probe::NotDone => {
                    self.ui.warn(&format!(
                        "`{id}`: the exchange does not show it done yet ({})",
                        manual.guide.title
                    ));
                    if self.confirm != Confirm::Ask {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }
        Err(ActionError::Check {
            message: format!(
                "`{id}`: still not done after {ROUNDS} rounds ({})",
                manual.guide.title
            ),
            hint: "do it in the exchange's web interface, then `lockdown resume` the run".into(),
        })
    }
}
