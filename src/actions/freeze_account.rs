//! `freeze_account`: freeze a whole sub-account through the master credential, every key of it
//! refused in one request: the broader switch for a mass leak (a vendor that held many keys of
//! one sub-account).
//!
//! Its cost is the point of the step and is said wherever it shows: the owner's bots on that
//! sub-account stop too, until someone unfreezes it. Only venues that declare
//! [`Capability::FreezeAccount`] by API can (Bybit `frozen-sub-member`, docs/venues/bybit.md §4);
//! elsewhere the step fails before sending anything, naming why. Freezing is idempotent, so
//! retries need no probe. Not in the shipped playbooks: a playbook opts in.

use super::{Containment, RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Effect, Outputs, Plan, StepContext};
use crate::exchanges::{Auth, Capability, Op, Support};
use crate::playbook::schema::{object, string};
use crate::secret::KeyId;
use crate::template::Tpl;

/// Parameters of `freeze_account`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeAccount {
    /// The sub-account to freeze.
    #[serde(default)]
    account: Option<Tpl<String>>,
    /// Or a key of it: the sub-account is the key's (the profile's `account`, else asked).
    #[serde(default)]
    key: Option<Tpl<String>>,
}

/// What freezing costs, for the plan, the step's line and the report.
fn cost(account: &str, venue: &str) -> String {
    format!(
        "every key of sub-account {account} is refused, the bots' on it too: they stop until it \
         is unfrozen (in {venue}'s web interface, Subaccounts, or the same call with `frozen=0`)"
    )
}

impl FreezeAccount {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "account": string("the sub-account to freeze (its id)"),
                "key": string("or a key of it: the sub-account the key belongs to is frozen"),
            }),
            &[],
        )
    }

    fn check_support(cx: &StepContext<'_>) -> Result<(), ActionError> {
        let why = match cx.client.venue().support(Capability::FreezeAccount) {
            Support::Api => return Ok(()),
            Support::Unavailable(why) => why.to_owned(),
            Support::Manual(_) => "only by hand".to_owned(),
        };
        Err(ActionError::Input {
            message: format!(
                "{} cannot freeze a sub-account by API: {why}",
                cx.client.venue().id()
            ),
            hint: "remove the `freeze_account` step; lock and revoke each key instead".into(),
        })
    }

    /// The sub-account: as given, or the key's (the profile's, else asked with the key itself;
    /// when `ask` is false, a placeholder instead: an offline plan sends nothing).
    async fn account(&self, cx: &StepContext<'_>, ask: bool) -> Result<String, ActionError> {
        if let Some(account) = &self.account {
            let account = cx.render(account)?;
            if !account.trim().is_empty() {
                return Ok(account.trim().to_owned());
            }
        }
        let Some(key) = &self.key else {
            return Err(ActionError::Input {
                message: "`freeze_account` needs `account` or `key`".into(),
                hint: "name the sub-account (`account: \"…\"`) or a key of it (`key: \"{{ inputs.key }}\"`)"
                    .into(),
            });
        };
        let key = KeyId::new(cx.render(key)?);
        if let Some(account) = cx.key_account(&key) {
            return Ok(account);
        }
        if !ask {
            return Ok(format!("<the sub-account of {}>", key.masked()));
        }
        let cred = cx.key_credential(&key)?;
        cx.client
            .call(&Op::WhoAmI, Auth::Key(cred))
            .await
            .and_then(|reply| reply.into_key())
            .map_err(ActionError::exchange(format!(
                "learn the sub-account of key `{key}`"
            )))?
            .account
            .ok_or_else(|| ActionError::Input {
                message: format!("key `{key}` belongs to no sub-account: there is none to freeze"),
                hint: "a master-account key is locked and revoked, not frozen".into(),
            })
    }
}

impl Action for FreezeAccount {
    const OUTPUTS: &'static [&'static str] =
        &["account", "cost", "frozen_at", "contained_after_ms"];

    const CONTAINMENT: Containment = Containment::Contains;

    fn note(outputs: &Outputs) -> String {
        format!(
            "frozen: {}",
            outputs.get("cost").and_then(Value::as_str).unwrap_or("")
        )
    }

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        // The cost goes into the timeline, at the moment it started to apply.
        let text = |name: &str| outputs.get(name).and_then(Value::as_str);
        if let (Some(at), Some(cost)) = (text("frozen_at"), text("cost")) {
            report.entries.push(crate::report::Entry {
                at: at.to_owned(),
                server_time: None,
                what: format!("sub-account frozen: {cost}"),
            });
        }
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        (!run.revoked).then(|| {
            end.todo(
                format!("the sub-account was not frozen: {}", end.why()),
                &format!(
                    "freeze the sub-account in {}'s web interface, or delete each of its keys",
                    run.venue
                ),
            )
        })
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        Self::check_support(cx)?;
        // A dry run may ask which sub-account the key is in; a live plan (before the step is
        // journaled) and an offline one do not: the request is then named, not rendered.
        let account = self.account(cx, cx.dry_run_reads()).await?;
        let request = if account.starts_with('<') {
            format!("freeze {account} (learnt when the step runs)")
        } else {
            let op = Op::FreezeAccount {
                account: account.clone(),
            };
            cx.client
                .prepare(&op, Auth::Key(cx.master()))
                .map_err(ActionError::exchange("build the freeze request"))?
                .to_string()
        };
        let cost = cost(&account, cx.profile.exchange.as_str());
        let mut outputs = Outputs::new();
        outputs.insert("account".into(), json!(account));
        outputs.insert("cost".into(), json!(cost));
        Ok(Plan::sends(
            vec![format!("{request}\n(cost: {cost})")],
            outputs,
        ))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        Self::check_support(cx)?;
        let account = self.account(cx, true).await?;
        cx.client
            .call(
                &Op::FreezeAccount {
                    account: account.clone(),
                },
                Auth::Key(cx.master()),
            )
            .await
            .map_err(ActionError::exchange(format!(
                "freeze sub-account {account}"
            )))?;
        let contained_after_ms = cx.run.elapsed_ms();
        let frozen_at = crate::clock::now_rfc3339();
        let mut out = Outputs::new();
        out.insert("frozen_at".into(), json!(frozen_at));
        out.insert(
            "cost".into(),
            json!(cost(&account, cx.profile.exchange.as_str())),
        );
        out.insert("account".into(), json!(account));
        out.insert("contained_after_ms".into(), json!(contained_after_ms));
        Ok(out)
    }
}
