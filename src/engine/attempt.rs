//! Acting on one step: the attempts its `retry` allows, each bounded by its `timeout` and the
//! playbook's deadline; a two-factor challenge answered and the step sent again; and before a
//! mutation whose outcome is unknown is sent again, a probe that asks the exchange whether it
//! already happened (fail toward containment: a revoke that went through is a revoke).
//! A dry run never reaches the exchange with a write: it ends with the step's plan.

use std::time::Instant;

use super::budget::{self, Share};
use super::executor::{Run, left};
use super::retry;
use super::step::{Acted, Done, Prepared};
use crate::actions::{
    ActionError, Containment, Effect, Outputs, Probe, RetryClass, StepContext, Vault,
};
use crate::exchanges::{Mode, Tfa};
use crate::journal::record;
use crate::playbook::Retry;

/// How often a probe that failed for a passing reason is asked again (see `Run::probe`).
const PROBE_TRIES: u32 = 5;

impl Run<'_> {
    /// [`Self::act`] within the step's time (see `budget.rs`), noting when the step ended. An
    /// evidence step that ran out of its time or failed keeps what it read: it ends incomplete.
    pub(super) async fn act_timed(
        &self,
        p: &Prepared<'_>,
        vault: &Vault,
        deadline: Option<Instant>,
    ) -> Acted {
        let containment = p.action.containment();
        let share = Share::of(p.step.timeout, self.playbook.deadline);
        let until = budget::until(
            containment,
            share,
            p.started,
            deadline,
            self.playbook.deadline.is_some(),
        );
        let acted = match (until, &p.held) {
            // An incident's run: time held back for the venue's shared limits moves the end on.
            (Some(until), Some(_)) => {
                let before = p.held_before.unwrap_or_default();
                let cap = budget::held_cap(share, self.playbook.deadline);
                let latest = budget::step_end(until, cap, cap);
                // On the heap: the step's future is large, and this wraps it once more.
                let work = Box::pin(self.act(p, vault, Some(latest)));
                held_back(work, until, cap, || held_since(p, before))
                    .await
                    .unwrap_or_else(|| {
                        let after = p.started.elapsed();
                        Err((ActionError::TimedOut { after }, 1))
                    })
            }
            _ => self.act(p, vault, until).await,
        };
        let result = match acted {
            Err((err, attempts)) if containment == Containment::Evidence => self
                .salvaged(p, vault, &err, share, until)
                .map(|outputs| Done::Applied {
                    outputs,
                    attempts,
                    probed: false,
                })
                .ok_or((err, attempts)),
            other => other,
        };
        Acted::now(p, result)
    }

    /// What an evidence step that failed with `err` read before it did, if anything.
    fn salvaged(
        &self,
        p: &Prepared<'_>,
        vault: &Vault,
        err: &ActionError,
        share: Share,
        until: Option<Instant>,
    ) -> Option<Outputs> {
        let why = match err {
            ActionError::Journal(_) => return None,
            ActionError::TimedOut { .. } if until.is_some_and(|u| u < p.started + share.time) => {
                "the playbook's deadline passed".to_owned()
            }
            ActionError::TimedOut { .. } => {
                format!("the step ran out of its time ({})", share.describe())
            }
            other => other.to_string(),
        };
        p.action.salvage(&self.cx(p, vault), &why)
    }

    /// Does the step's work: plans only where nothing may be sent, hands a manual step to a
    /// person, answers two-factor challenges, and retries as the step's `retry` says, probing
    /// before it sends a mutation again whose outcome is unknown.
    pub(super) async fn act(
        &self,
        p: &Prepared<'_>,
        vault: &Vault,
        deadline: Option<Instant>,
    ) -> Result<Done, (ActionError, u32)> {
        let effect = p.action.effect();
        let mode = self.client.mode();
        if mode == Mode::Offline || (mode == Mode::DryRun && effect == Effect::Write) {
            return Ok(Done::Planned(p.plan.outputs.clone().unwrap_or_default()));
        }
        let cx = self.cx(p, vault);
        if let Some(manual) = &p.plan.manual {
            return self.manual(p, &cx, manual).await.map_err(|err| (err, 1));
        }
        let mut client = p.client.clone();
        let mut tfa_answers = 0;
        let policy = p.step.retry.unwrap_or(Retry {
            attempts: 1,
            backoff: std::time::Duration::ZERO,
            max_backoff: std::time::Duration::ZERO,
        });
        let mut attempt = 1;
        if p.probe_first {
            match self.probe(p, &cx, &policy, deadline).await {
                Ok(Probe::Done(outputs)) => {
                    return Ok(Done::Applied {
                        outputs,
                        attempts: 0,
                        probed: true,
                    });
                }
                Ok(Probe::NotDone) => {}
                Err(err) => return Err((err, attempt)),
            }
        }
        loop {
            let cx = StepContext {
                client: &client,
                ..self.cx(p, vault)
            };
            let err = match apply_once(p, &cx, deadline).await {
                Ok(outputs) => {
                    return Ok(Done::Applied {
                        outputs,
                        attempts: attempt,
                        probed: false,
                    });
                }
                Err(err) => err,
            };
            // A two-factor challenge is not a failure: answer it and send the step again.
            if let Some(challenge) = err.tfa_challenge()
                && tfa_answers < 2
            {
                tfa_answers += 1;
                let tfa = self.answer_tfa(p, challenge).map_err(|e| (e, attempt))?;
                client = p.client.with_tfa(tfa);
                continue;
            }
            let class = err.retry_class(effect);
            // Never send a mutation again blindly, and never give up on one whose outcome is
            // unknown without asking the exchange whether it happened, on the last attempt too:
            // a revoke that went through is a revoke.
            if class == RetryClass::UnknownOutcome {
                match self.probe(p, &cx, &policy, deadline).await {
                    Ok(Probe::Done(outputs)) => {
                        return Ok(Done::Applied {
                            outputs,
                            attempts: attempt,
                            probed: true,
                        });
                    }
                    Ok(Probe::NotDone) => {}
                    Err(_) => return Err((err, attempt)),
                }
            }
            if class == RetryClass::Never
                || attempt >= policy.attempts
                || left(deadline).is_some_and(|l| l.is_zero())
            {
                return Err((err, attempt));
            }
            self.back_off(
                p,
                &policy,
                (attempt, deadline),
                &err,
                &format!("attempt {attempt} failed"),
            )
            .await;
            attempt += 1;
        }
    }

    /// Waits out the `n`th failure (`what` failed with `err`) as the step's retry policy says,
    /// never past `deadline` (a rate limit's long reset must not hold the steps after it), and
    /// says so.
    async fn back_off(
        &self,
        p: &Prepared<'_>,
        policy: &Retry,
        (n, deadline): (u32, Option<Instant>),
        err: &ActionError,
        what: &str,
    ) {
        let wait = retry::delay(policy, n, err);
        let wait = left(deadline).map_or(wait, |l| wait.min(l));
        self.ui.detail(&format!(
            "    `{}`: {what} ({err}); again in {} ms",
            p.step.id,
            wait.as_millis()
        ));
        tokio::time::sleep(wait).await;
    }

    /// Asks the exchange whether a mutation whose outcome is unknown took effect. A probe is a
    /// read: one that fails for a passing reason (a rate limit, a dropped connection, a 5xx) is
    /// asked again, up to [`PROBE_TRIES`] times with the step's backoff and apart from the step's
    /// own attempts, so bad answers to the *question* never give up on a revoke or a
    /// replacement (fail toward containment); the mutation is not sent again until a probe has
    /// answered "not done".
    async fn probe(
        &self,
        p: &Prepared<'_>,
        cx: &StepContext<'_>,
        policy: &Retry,
        deadline: Option<Instant>,
    ) -> Result<Probe, ActionError> {
        let mut tries = 1;
        loop {
            let err = match p.action.probe(cx).await {
                Ok(found) => return Ok(found),
                Err(err) => err,
            };
            let out_of_time = left(deadline).is_some_and(|l| l.is_zero());
            if tries >= PROBE_TRIES
                || out_of_time
                || err.retry_class(Effect::Read) == RetryClass::Never
            {
                return Err(err);
            }
            self.back_off(
                p,
                policy,
                (tries, deadline),
                &err,
                "asking whether it took effect failed",
            )
            .await;
            tries += 1;
        }
    }

    /// Gets a one-time code for a venue's two-factor challenge: `--otp-from`, or the operator.
    fn answer_tfa(&self, p: &Prepared<'_>, challenge: String) -> Result<Tfa, ActionError> {
        let id = p.step.id.as_str();
        let (code, by) = match &self.otp {
            Some(code) => (code.clone(), "--otp-from"),
            None => {
                let code = self
                    .ui
                    .code(&format!(
                        "`{id}`: the exchange asks for your two-factor code"
                    ))
                    .map_err(|err| ActionError::Input {
                        message: format!("the exchange asks for a two-factor code: {err}"),
                        hint: "give the current code with `--otp-from env:NAME`, `file:PATH` or `-` (stdin)".into(),
                    })?;
                (code, "operator")
            }
        };
        self.journal
            .record(&record::TfaAnswered {
                step: id.to_owned(),
                by: by.to_owned(),
            })
            .map_err(ActionError::Journal)?;
        Ok(Tfa { challenge, code })
    }
}

/// `work` until `until`, moved on by the time `held` says its calls were held back for the
/// venue's shared limits, by at most `cap` (`budget::step_end`), looked at again each time the
/// end comes; `None` when it ran out.
async fn held_back<T>(
    work: impl std::future::Future<Output = T>,
    until: Instant,
    cap: std::time::Duration,
    held: impl Fn() -> std::time::Duration,
) -> Option<T> {
    let mut end = until;
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Some(done),
            () = tokio::time::sleep_until(end.into()) => {
                let later = budget::step_end(until, held(), cap);
                if later <= Instant::now() {
                    return None;
                }
                end = later;
            }
        }
    }
}

/// How long the step's calls have been held back for the venue's shared limits since `since`
/// (what the run's clock read then); nothing outside an incident.
fn held_since(p: &Prepared<'_>, since: std::time::Duration) -> std::time::Duration {
    p.held.as_ref().map_or(std::time::Duration::ZERO, |held| {
        held.total().saturating_sub(since)
    })
}

/// One attempt: the action's `apply`, bounded by the step's `timeout` and by what is left of
/// the playbook's deadline, whichever ends first.
async fn apply_once(
    p: &Prepared<'_>,
    cx: &StepContext<'_>,
    deadline: Option<Instant>,
) -> Result<Outputs, ActionError> {
    let limit = match (p.step.timeout, left(deadline)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let Some(limit) = limit else {
        return p.action.apply(cx).await;
    };
    let started = Instant::now();
    let timed_out = || ActionError::TimedOut {
        after: started.elapsed(),
    };
    match p.held.as_ref().zip(p.step.timeout) {
        // An incident's run: the attempt's `timeout` moves on by the time its calls were held
        // back for the venue's shared limits (the step's end bounds it through `deadline`).
        Some((held, timeout)) => {
            let before = held.total();
            let until = started + limit;
            // Up to the step's own latest end (`deadline` here), else once more its timeout.
            let cap = left(deadline).map_or(timeout, |left| left.saturating_sub(limit));
            held_back(Box::pin(p.action.apply(cx)), until, cap, || {
                held_since(p, before)
            })
            .await
            .unwrap_or_else(|| Err(timed_out()))
        }
        None => match tokio::time::timeout(limit, p.action.apply(cx)).await {
            Ok(result) => result,
            Err(_) => Err(ActionError::TimedOut { after: limit }),
        },
    }
}
