//! `revoke_key`: delete the leaked key.
//!
//! Through the master for a sub-account key (Bybit `delete-sub-api`); with the key itself where
//! that is the only way (Bybit `delete-api` for a master-account key, docs/venues/bybit.md §4).
//! Where the venue has no API for it (every Kraken key, Binance master-account keys) it becomes a
//! guided manual step, verified by probing the key. Deleting cannot be undone, so a person confirms
//! it unless `--yes`.

use super::{Containment, RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Action, ActionError, Effect, ManualTask, Outputs, Plan, Preflight, Probe, StepContext,
};
use crate::exchanges::{Auth, Capability, Op, Revoke, Support};
use crate::playbook::schema::{object, string};
use crate::secret::KeyId;
use crate::template::Tpl;

/// Who signs the deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The master deletes a sub-account's key.
    #[default]
    Master,
    /// A sub-account key deletes itself.
    SelfSub,
    /// A master-account key deletes itself.
    SelfMaster,
}

/// Parameters of `revoke_key`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeKey {
    /// The key to delete.
    key: Tpl<String>,
    /// Who signs the deletion.
    #[serde(default)]
    via: Via,
}

impl RevokeKey {
    fn op_and_signer<'c>(
        &self,
        cx: &'c StepContext<'_>,
    ) -> Result<(Op, &'c crate::secret::Credential, KeyId), ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        Ok(match self.via {
            Via::Master => (
                Op::RevokeKey(Revoke::ByMaster {
                    key: key.clone(),
                    account: cx.key_account(&key),
                }),
                cx.master(),
                key,
            ),
            Via::SelfSub => (
                Op::RevokeKey(Revoke::SelfSub),
                cx.key_credential(&key)?,
                key,
            ),
            Via::SelfMaster => (
                Op::RevokeKey(Revoke::SelfMaster),
                cx.key_credential(&key)?,
                key,
            ),
        })
    }
}

impl RevokeKey {
    /// Whether `venue` deletes this kind of key only by hand, whatever key it is (Binance's
    /// master-account keys).
    pub fn by_hand(&self, venue: &dyn crate::exchanges::Venue) -> bool {
        let op = match self.via {
            Via::Master => return false,
            Via::SelfSub => Op::RevokeKey(Revoke::SelfSub),
            Via::SelfMaster => Op::RevokeKey(Revoke::SelfMaster),
        };
        venue.by_hand(&op).is_some()
    }

    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "key": string("the key to delete"),
                "via": { "enum": ["master", "self_sub", "self_master"], "description": "who signs the deletion" },
            }),
            &["key"],
        )
    }
}

impl Action for RevokeKey {
    const OUTPUTS: &'static [&'static str] = &[
        "key",
        "revoked",
        "probed",
        "acknowledged_ms",
        "contained_after_ms",
        "key_before",
    ];

    const CONTAINMENT: Containment = Containment::Contains;

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        if let Some(record) = outputs.get("key_before") {
            crate::report::key_before::fill(record, report);
        }
    }

    fn note(outputs: &Outputs) -> String {
        match outputs.get("by").and_then(Value::as_str) {
            Some(by) if outputs.contains_key("manual_wait_ms") => {
                format!("the exchange refuses the key now (done by hand: {by})")
            }
            _ => String::new(),
        }
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("the leaked key is NOT revoked: {}", end.why()),
            &format!(
                "delete the key in {}'s API management page now, then `lockdown resume` the run to prove it",
                run.venue
            ),
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn needs_confirmation(&self) -> bool {
        true
    }

    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        if self.via == Via::Master {
            return None;
        }
        pre.key_credential(&self.key)
    }

    /// Is the key still there? Asked as the key itself (an unknown-key refusal means gone), or
    /// through the master's list of the account's keys.
    async fn probe(&self, cx: &StepContext<'_>) -> Result<Probe, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let gone = if let Ok(cred) = cx.key_credential(&key) {
            match cx.client.call(&Op::WhoAmI, Auth::Key(cred)).await {
                Ok(_) => false,
                Err(err) if err.is_unauthenticated() => true,
                Err(err) => return Err(ActionError::exchange("probe the key")(err)),
            }
        } else if let Some(account) = cx.key_account(&key) {
            let keys = cx
                .account_keys(&account)
                .await
                .map_err(ActionError::exchange("probe the key"))?;
            !keys.iter().any(|info| info.names(&key))
        } else {
            false
        };
        if !gone {
            return Ok(Probe::NotDone);
        }
        let mut out = Outputs::new();
        out.insert("key".into(), json!(key.masked()));
        out.insert("revoked".into(), json!(true));
        out.insert("probed".into(), json!(true));
        out.insert("contained_after_ms".into(), json!(cx.run.elapsed_ms()));
        Ok(Probe::Done(out))
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        if let Support::Manual(guide) = cx.client.venue().support(Capability::RevokeKey) {
            // No API can lock the key first (Kraken): read it before a person is shown how to
            // delete it (`key_before.rs`).
            let task = ManualTask::RevokeKey { key: key.clone() };
            return Ok(super::key_before::guided_plan(cx, guide, task, &key).await);
        }
        let (op, signer, _) = self.op_and_signer(cx)?;
        if let Some(guide) = cx.client.venue().by_hand(&op) {
            return Ok(super::manual_plan(guide, ManualTask::RevokeKey { key }));
        }
        let request = cx
            .client
            .prepare(&op, Auth::Key(signer))
            .map_err(ActionError::exchange("build the revoke request"))?;
        let mut outputs = Outputs::new();
        outputs.insert("revoked".into(), json!(false));
        Ok(Plan::sends(vec![request.to_string()], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let (op, signer, key) = self.op_and_signer(cx)?;
        cx.client
            .call(&op, Auth::Key(signer))
            .await
            .map_err(ActionError::exchange(format!("revoke key `{key}`")))?;
        let mut out = Outputs::new();
        out.insert("key".into(), json!(key.masked()));
        out.insert("revoked".into(), json!(true));
        out.insert("acknowledged_ms".into(), json!(cx.client.clock().now_ms()));
        out.insert("contained_after_ms".into(), json!(cx.run.elapsed_ms()));
        Ok(out)
    }
}
