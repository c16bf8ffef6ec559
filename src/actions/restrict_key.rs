//! `restrict_key`: lock a leaked key to the responder's address through the master credential.
//!
//! One request and the attacker is refused, while the owner, who holds the key's secret, can
//! still use it from the responder to snapshot and cancel (docs/architecture.md §5, "Containment
//! order"). The lock is sent before anything else in the step; the key's state before the lock is
//! read beside it (`key_before.rs`), and learning the key's account comes after.

use super::{Containment, RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::key_before;
use super::{Action, ActionError, Effect, ManualTask, Outputs, Plan, StepContext};
use crate::exchanges::model::{Access, IpWhitelist, Lock};
use crate::exchanges::{Auth, Capability, Op, Support};
use crate::playbook::schema::{object, string, strings};
use crate::secret::KeyId;
use crate::template::Tpl;

/// Parameters of `restrict_key`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictKey {
    /// The key to lock.
    key: Tpl<String>,
    /// The addresses it may be used from afterwards (default: the profile's `responder_ip`).
    #[serde(default)]
    ip_whitelist: Option<Tpl<Vec<String>>>,
    /// Also make it read-only (then it cannot cancel orders either).
    #[serde(default)]
    read_only: bool,
}

impl RestrictKey {
    /// The lock for `key`, with its sub-account where the venue names one. A key the profile
    /// does not hold has no `account:`; on a venue whose lock needs one (OKX's sub-account
    /// name, Binance's email), the master finds it first among the profile's accounts: the one
    /// read the lock cannot go without.
    async fn op_finding_account(&self, cx: &StepContext<'_>) -> Result<Op, ActionError> {
        let op = self.op(cx)?;
        let Op::RestrictKey {
            key, account: None, ..
        } = &op
        else {
            return Ok(op);
        };
        if cx.profile.key(key).is_some() {
            return Ok(op);
        }
        // Needed to build the request (OKX, Binance), or for the read the venue sends first to
        // name the key (Deribit lists the account's keys: the main account's without one).
        let needs = matches!(
            cx.client.prepare(&op, Auth::Key(cx.master())),
            Err(crate::exchanges::ExchangeError::NeedsInput { .. })
        );
        let looks_up = cx
            .client
            .venue()
            .lookup(&op, &cx.profile.settings)
            .is_some();
        if !needs && !looks_up {
            return Ok(op);
        }
        let found = match cx.find_account(key).await {
            Ok(found) => found,
            Err(err) if needs => {
                return Err(ActionError::exchange(format!(
                    "find the sub-account of key `{key}`"
                ))(err));
            }
            // The venue may still find it without one (a main-account key): let it answer.
            Err(_) => None,
        };
        let Some(found) = found else {
            if !needs {
                return Ok(op);
            }
            return Err(ActionError::Input {
                message: format!(
                    "key `{key}` is not in profile `{}`, and none of the sub-accounts it names lists it",
                    cx.profile.name
                ),
                hint: format!(
                    "add the key under `keys:` with its `account:`, or lock it in {}'s API management page now",
                    cx.profile.exchange
                ),
            });
        };
        let Op::RestrictKey { key, lock, .. } = op else {
            return Err(internal());
        };
        Ok(Op::RestrictKey {
            account: Some(found),
            key,
            lock,
        })
    }

    fn op(&self, cx: &StepContext<'_>) -> Result<Op, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let ips = match &self.ip_whitelist {
            Some(list) => cx.render(list)?,
            None => vec![cx.profile.responder_ip.to_string()],
        };
        let ips = IpWhitelist::parse(&ips).map_err(|message| ActionError::Input {
            message,
            hint: "lock the key to `profile.responder_ip`, the address lockdown runs from".into(),
        })?;
        Ok(Op::RestrictKey {
            account: cx.key_account(&key),
            key,
            lock: Lock {
                ips,
                access: if self.read_only {
                    Access::ReadOnly
                } else {
                    Access::Unchanged
                },
            },
        })
    }
}

impl RestrictKey {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "key": string("the key to lock"),
                "ip_whitelist": strings("addresses it may be used from afterwards (default: `responder_ip`)"),
                "read_only": { "type": "boolean", "description": "also take away trading" },
            }),
            &["key"],
        )
    }
}

impl Action for RestrictKey {
    const OUTPUTS: &'static [&'static str] = &[
        "key",
        "ips",
        "exchange_ips",
        "read_only",
        "account",
        "acknowledged_ms",
        "contained_after_ms",
        "key_before",
    ];

    const CONTAINMENT: Containment = Containment::Contains;

    fn note(outputs: &Outputs) -> String {
        format!("locked to {}", outputs.get("ips").unwrap_or(&Value::Null))
    }

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        if let Some(record) = outputs.get("key_before") {
            crate::report::key_before::fill(record, report);
        }
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        // Revoked after all: a failed lock leaves nothing open.
        (!run.revoked).then(|| {
            end.todo(
                format!("the key was not locked: {}", end.why()),
                &format!("delete the key in {}'s API management page now", run.venue),
            )
        })
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        if let Support::Manual(guide) = cx.client.venue().support(Capability::LockKey) {
            let key = KeyId::new(cx.render(&self.key)?);
            // Read before the guide is shown: nobody was asked to lock the key yet.
            let task = ManualTask::LockKey { key: key.clone() };
            return Ok(key_before::guided_plan(cx, guide, task, &key).await);
        }
        // The plan is the exact request (journaled before it is sent), so a key whose account
        // must be found is found here too; `apply` finds it again (a key outside the profile
        // on OKX or Binance only: one listing per account, all at once).
        let op = self.op_finding_account(cx).await?;
        let request = cx
            .client
            .prepare(&op, Auth::Key(cx.master()))
            .map_err(ActionError::exchange("build the lock request"))?;
        let Op::RestrictKey { key, lock, account } = &op else {
            return Err(internal());
        };
        let mut account = account.clone();
        if account.is_none()
            && cx.dry_run_reads()
            && let Ok(cred) = cx.key_credential(key)
            && let Ok(me) = cx.client.call(&Op::WhoAmI, Auth::Key(cred)).await
            && let Ok(me) = me.into_key()
        {
            account = me.account;
        }
        let mut outputs = Outputs::new();
        outputs.insert("key".into(), json!(key.masked()));
        outputs.insert("ips".into(), json!(lock.ips.to_strings()));
        outputs.insert("account".into(), json!(account));
        Ok(Plan::sends(vec![request.to_string()], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let op = self.op_finding_account(cx).await?;
        let Op::RestrictKey { key, lock, account } = &op else {
            return Err(internal());
        };
        let mut account = account.clone();
        // Acknowledged when the answer came, whatever the read beside it still takes.
        let call = async {
            let reply = cx.client.call(&op, Auth::Key(cx.master())).await;
            (reply, cx.client.clock().now_ms(), cx.run.elapsed_ms())
        };
        // The key as it was before the lock, read beside it (`key_before.rs`): never first,
        // never an error.
        let ((reply, acknowledged_ms, contained_after_ms), before) =
            match key_before::read_by(cx, key, account.as_deref()) {
                Some(by) => {
                    let read = key_before::read(cx, key, account.as_deref(), by);
                    let (out, record) =
                        key_before::alongside(call, read, lock, by, |(r, ..)| r.is_ok()).await;
                    (out, Some(record))
                }
                None => (call.await, None),
            };
        let before = key_before::with_last_seen(cx, key, before);
        let info = reply
            .map_err(ActionError::exchange(format!("lock key `{key}`")))?
            .into_key()
            .map_err(ActionError::exchange("read the lock answer"))?;

        // Now that the attacker is out, learn which account the key belongs to (the replacement
        // key is created there): from the profile, else from the key's own read beside the lock,
        // else by asking with the key itself.
        if account.is_none()
            && let Some(record) = &before
            && record.read_by == key_before::ReadBy::KeyItself
        {
            account = record.info.as_ref().and_then(|me| me.account.clone());
        }
        if account.is_none()
            && let Ok(cred) = cx.key_credential(key)
            && let Ok(reply) = cx.client.call(&Op::WhoAmI, Auth::Key(cred)).await
            && let Ok(me) = reply.into_key()
        {
            account = me.account;
        }
        // A key the profile does not hold: the master finds it among the profile's accounts,
        // while it is still listed (the revoke's proof and the report need its account).
        if account.is_none()
            && cx.profile.key(key).is_none()
            && let Ok(found) = cx.find_account(key).await
        {
            account = found;
        }

        let mut out = Outputs::new();
        out.insert("key".into(), json!(key.masked()));
        out.insert("ips".into(), json!(lock.ips.to_strings()));
        out.insert("exchange_ips".into(), json!(info.ips));
        out.insert("read_only".into(), json!(info.read_only));
        out.insert("account".into(), json!(account));
        out.insert("acknowledged_ms".into(), json!(acknowledged_ms));
        out.insert("contained_after_ms".into(), json!(contained_after_ms));
        if let Some(record) = before {
            out.insert("key_before".into(), json!(record));
        }
        Ok(out)
    }
}

fn internal() -> ActionError {
    ActionError::Input {
        message: "internal: restrict_key built another operation".into(),
        hint: "report this as a bug".into(),
    }
}
