//! `verify_revoked`: prove the old key is dead.
//!
//! A request signed with the old key must now be refused as unauthenticated (unknown or
//! expired key), and the master's list of the account's keys must no longer hold it. Anything
//! else (accepted, or refused for another reason such as the IP) fails the step: a key that is
//! merely locked is not revoked.

use super::{Containment, RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Action, ActionError, Effect, Outputs, Plan, StepContext};
use crate::exchanges::{Auth, Op};
use crate::playbook::schema::{object, string};
use crate::secret::KeyId;
use crate::template::Tpl;

/// Parameters of `verify_revoked`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRevoked {
    /// The key that must be dead.
    key: Tpl<String>,
    /// The sub-account whose key list must not hold it (default: the profile's `account`).
    #[serde(default)]
    account: Option<Tpl<Option<String>>>,
}

impl VerifyRevoked {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "key": string("the key that must be dead"),
                "account": string("the sub-account whose key list must not hold it"),
            }),
            &["key"],
        )
    }
}

impl Action for VerifyRevoked {
    const OUTPUTS: &'static [&'static str] = &["key", "refused_code", "listed", "revoked"];

    const CONTAINMENT: Containment = Containment::Completes;

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("the revoke is not proven: {}", end.why()),
            &format!(
                "check in {}'s API management page that the key is gone, then `lockdown resume` the run",
                run.venue
            ),
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    async fn plan(&self, _cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        Ok(Plan::default())
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let mut out = Outputs::new();
        out.insert("key".into(), json!(key.masked()));

        match cx.key_credential(&key) {
            Ok(cred) => match cx.client.call(&Op::WhoAmI, Auth::Key(cred)).await {
                Ok(_) => {
                    return Err(ActionError::Check {
                        message: format!("key `{key}` is still accepted by the exchange"),
                        hint:
                            "revoke it in the exchange's web interface now, then run lockdown again"
                                .into(),
                    });
                }
                Err(err) if err.is_unauthenticated() => {
                    out.insert("refused_code".into(), json!(err.code()));
                }
                Err(err) => {
                    return Err(ActionError::Check {
                        message: format!(
                            "could not prove key `{key}` is dead: the exchange answered `{err}`, not an unknown-key refusal"
                        ),
                        hint: "check the key in the exchange's web interface".into(),
                    });
                }
            },
            Err(_) => {
                out.insert("refused_code".into(), json!(null));
            }
        }

        let account = match &self.account {
            Some(tpl) => cx.render(tpl)?,
            None => None,
        };
        let account = match account {
            Some(account) => Some(account),
            None => cx.key_account(&key),
        };
        if let Some(account) = account.filter(|a| !a.is_empty()) {
            let keys = cx
                .account_keys(&account)
                .await
                .map_err(ActionError::exchange("list the account's keys"))?;
            if keys.iter().any(|info| info.names(&key)) {
                return Err(ActionError::Check {
                    message: format!("key `{key}` is still listed on account {account}"),
                    hint: "delete it in the exchange's web interface".into(),
                });
            }
            out.insert("listed".into(), json!(false));
        } else if out.get("refused_code").is_some_and(|c| c.is_null()) {
            return Err(ActionError::Input {
                message: format!(
                    "cannot verify key `{key}`: no secret for it and no account to list"
                ),
                hint: "add the key's `secret` or `account` under the profile's `keys:`".into(),
            });
        }
        out.insert("revoked".into(), json!(true));
        Ok(out)
    }
}
