//! `create_key`: make the bot's replacement key, restricted.
//!
//! The scope type cannot express a withdrawal or transfer permission, and the key is always
//! bound to exact addresses (the profile's `bot_ips` by default). The new key's id is journaled
//! before this step ends and before any secret is stored, so a crash never leads to a second key;
//! the secret itself stays in memory until `store_secret` writes it. With `like:` (a planned
//! rotation, `key_like.rs`) the rights and addresses are the old key's, narrowed by flags only.

use super::{Containment, RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::key_like::{Copied, Like};
use super::{
    Action, ActionError, Effect, ManualTask, Outputs, Plan, Preflight, Probe, StepContext,
};
use crate::exchanges::model::{IpWhitelist, KeyScope, TradePermission};
use crate::exchanges::{Auth, Capability, Op, Revoke, Support};
use crate::journal::record;
use crate::playbook::schema::{object, string, strings, tpl};
use crate::template::Tpl;

/// Parameters of `create_key`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// The new key's note.
    label: Tpl<String>,
    /// The sub-account to create it in (with `like`: the old key's, unless given).
    #[serde(default)]
    account: Option<Tpl<String>>,
    /// Trading permissions; none at all means read-only.
    #[serde(default)]
    permissions: Option<Tpl<Vec<TradePermission>>>,
    /// Addresses it may be used from (default: the profile's `bot_ips`).
    #[serde(default)]
    ip_whitelist: Option<Tpl<Vec<String>>>,
    /// Copy the restrictions of this key (a planned rotation) instead of `permissions` and
    /// `ip_whitelist`.
    #[serde(default)]
    like: Option<Like>,
}

impl CreateKey {
    fn ips(
        &self,
        profile_ips: Vec<String>,
        rendered: Option<Vec<String>>,
    ) -> Result<IpWhitelist, ActionError> {
        IpWhitelist::parse(&rendered.unwrap_or(profile_ips)).map_err(|message| ActionError::Input {
            message: format!("the replacement key needs an IP whitelist: {message}"),
            hint: "set the profile's `bot_ips` (the addresses the bot runs from) or `ip_whitelist`"
                .into(),
        })
    }

    /// The creation, with what `like` copied (read from the exchange) where it is set.
    async fn op(&self, cx: &StepContext<'_>) -> Result<(Op, Option<Copied>), ActionError> {
        let Some(like) = &self.like else {
            return Ok((self.op_as_written(cx)?, None));
        };
        let copied = like.read(cx).await?;
        let account = match &self.account {
            Some(tpl) => cx.render(tpl)?,
            None => copied.account.clone().ok_or_else(|| ActionError::Input {
                message: format!(
                    "the account of key `{}` is unknown: the exchange did not say",
                    copied.key
                ),
                hint: "set the key's `account:` under the profile's `keys:`".into(),
            })?,
        };
        let mut trade = copied.trade.clone();
        trade.sort();
        trade.dedup();
        let op = Op::CreateKey {
            account,
            label: cx.render(&self.label)?,
            scope: KeyScope {
                trade,
                ips: self.ips(Vec::new(), Some(copied.ips.clone()))?,
            },
        };
        Ok((op, Some(copied)))
    }

    fn op_as_written(&self, cx: &StepContext<'_>) -> Result<Op, ActionError> {
        let rendered = self
            .ip_whitelist
            .as_ref()
            .map(|t| cx.render(t))
            .transpose()?;
        let profile_ips = cx.profile.bot_ips.iter().map(ToString::to_string).collect();
        let mut trade = match &self.permissions {
            Some(tpl) => cx.render(tpl)?,
            None => vec![TradePermission::SpotTrade],
        };
        trade.sort();
        trade.dedup();
        let Some(account) = &self.account else {
            return Err(no_account());
        };
        Ok(Op::CreateKey {
            account: cx.render(account)?,
            label: cx.render(&self.label)?,
            scope: KeyScope {
                trade,
                ips: self.ips(profile_ips, rendered)?,
            },
        })
    }
}

impl CreateKey {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "label": string("the new key's note; must name the run (`{{ run.id }}`)"),
                "account": string("the sub-account to create it in"),
                "permissions": tpl(
                    json!({ "type": "array", "items": { "enum": ["spot_trade", "contract_trade", "options_trade"] } }),
                    "trading rights only; no withdrawal right exists",
                ),
                "ip_whitelist": strings("addresses it may be used from (default: the profile's `bot_ips`)"),
                "like": Like::schema(),
            }),
            &["label"],
        )
    }
}

impl Action for CreateKey {
    const OUTPUTS: &'static [&'static str] = &[
        "key_id",
        "key",
        "label",
        "account",
        "permissions",
        "ips",
        "read_only",
        "can_withdraw",
        "ip_bound",
        "copied_from",
        "not_copied",
    ];

    fn report(outputs: &Outputs, report: &mut crate::report::Timeline) {
        // The key's whole id stays in the journal; the report masks it.
        let mut key = outputs.clone();
        key.remove("key_id");
        report.replacement = Some(Value::Object(key));
    }

    const CONTAINMENT: Containment = Containment::Completes;

    fn note(outputs: &Outputs) -> String {
        let not_copied: Vec<&str> = outputs
            .get("not_copied")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let like = match outputs.get("copied_from").and_then(Value::as_str) {
            Some(old) if not_copied.is_empty() => format!(" with the restrictions of {old}"),
            Some(old) => format!(
                " with the restrictions of {old}; not carried over: {}",
                not_copied.join("; ")
            ),
            None => String::new(),
        };
        match outputs.get("key").and_then(Value::as_str) {
            Some(key) => format!("new key {key}{like}"),
            None => super::done_by_hand(outputs),
        }
    }

    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        Some(no_replacement(end))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn preflight(&self, pre: &Preflight<'_>) -> Result<(), ActionError> {
        if self.like.is_some() {
            if self.permissions.is_some() || self.ip_whitelist.is_some() {
                return Err(ActionError::Input {
                    message: "`like` copies the old key's rights and addresses: `permissions` and `ip_whitelist` cannot be given too".into(),
                    hint: "narrow them with `like.only_permissions` and `like.only_ips`".into(),
                });
            }
            return Ok(());
        }
        if self.account.is_none() {
            return Err(no_account());
        }
        let rendered = match &self.ip_whitelist {
            None => None,
            Some(tpl) => match pre.render(tpl) {
                None => return Ok(()),
                Some(ips) => Some(ips?),
            },
        };
        let profile_ips = pre
            .profile
            .bot_ips
            .iter()
            .map(ToString::to_string)
            .collect();
        self.ips(profile_ips, rendered).map(drop)
    }

    /// A key this step created whose secret never reached the store cannot be handed to the
    /// bot: find keys with this run's label on the account, delete them, and create afresh,
    /// so the run ends with exactly one replacement key.
    async fn probe(&self, cx: &StepContext<'_>) -> Result<Probe, ActionError> {
        let (Op::CreateKey { account, label, .. }, _) = self.op(cx).await? else {
            return Err(internal());
        };
        let keys = cx
            .account_keys(&account)
            .await
            .map_err(ActionError::exchange(
                "look for a key made by an earlier attempt",
            ))?;
        // Only a label naming this run identifies a key as ours; never guess otherwise.
        if !label.contains(cx.run.id.as_str()) {
            return Err(ActionError::Check {
                message: format!(
                    "cannot tell whether an earlier attempt created a key: the label `{label}` does not name the run"
                ),
                hint: "put `{{ run.id }}` in the `create_key` label, and check the account's keys by hand".into(),
            });
        }
        sweep(
            cx,
            &account,
            &keys,
            &label,
            "secret lost with an earlier attempt",
        )
        .await?;
        Ok(Probe::NotDone)
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let (op, copied) = self.op(cx).await?;
        if let Support::Manual(guide) = cx.client.venue().support(Capability::CreateKey) {
            let Op::CreateKey { label, scope, .. } = op else {
                return Err(internal());
            };
            let permissions = scope
                .trade
                .iter()
                .filter_map(|p| serde_json::to_value(p).ok())
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let task = ManualTask::CreateKey {
                label,
                ips: scope.ips.to_strings(),
                permissions,
            };
            return Ok(super::manual_plan(guide, task));
        }
        let request = cx
            .client
            .prepare(&op, Auth::Key(cx.master()))
            .map_err(ActionError::exchange("build the create-key request"))?;
        let Op::CreateKey {
            account,
            label,
            scope,
        } = op
        else {
            return Err(internal());
        };
        let mut outputs = Outputs::new();
        copied_outputs(copied.as_ref(), &mut outputs);
        outputs.insert("key".into(), json!("<not created: dry run>"));
        outputs.insert("label".into(), json!(label));
        outputs.insert("account".into(), json!(account));
        outputs.insert("permissions".into(), json!(scope.trade));
        outputs.insert("ips".into(), json!(scope.ips.to_strings()));
        Ok(Plan::sends(vec![request.to_string()], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let (op, copied) = self.op(cx).await?;
        store_takes_it(cx).await?;
        let answer = match cx.client.call(&op, Auth::Key(cx.master())).await {
            Ok(answer) => answer
                .into_created()
                .map_err(ActionError::exchange("read the new key")),
            Err(err) => Err(ActionError::exchange("create the replacement key")(err)),
        };
        let created = match answer {
            Ok(created) => created,
            Err(err) => {
                // A lost or garbled answer may hide a key the exchange made: one nobody holds
                // the secret of. Delete it now, not at a resume that may never come.
                if let Op::CreateKey { account, label, .. } = &op
                    && label.contains(cx.run.id.as_str())
                    && let Ok(keys) = cx.account_keys(account).await
                    && let Err(sweep_err) =
                        sweep(cx, account, &keys, label, "its creation's answer was lost").await
                {
                    return Err(ActionError::Check {
                        message: format!(
                            "{err}; a key the exchange may have made could not be deleted: {sweep_err}"
                        ),
                        hint: format!(
                            "delete keys labelled `{label}` on account {account} in the web interface"
                        ),
                    });
                }
                return Err(err);
            }
        };
        let mut info = created.info.clone();
        // On disk before anything else happens with the key (docs/architecture.md §9).
        cx.journal(&record::KeyCreated {
            step: cx.step.to_owned(),
            key_id: info.key.as_str().to_owned(),
            label: info.label.clone(),
            account: info.account.clone(),
            permissions: info.permissions.clone(),
            ips: info.ips.clone(),
        })?;
        cx.vault.put(cx.step, created);

        // Read the key back as the exchange stores it: its scope must be what was asked for.
        let Op::CreateKey { account, scope, .. } = &op else {
            return Err(internal());
        };
        let listed = cx
            .account_keys(account)
            .await
            .map_err(ActionError::exchange("read the new key back"))?;
        let Some(stored) = listed.into_iter().find(|k| k.names(&info.key)) else {
            return Err(ActionError::Check {
                message: format!(
                    "the new key `{}` is not listed on account {account}",
                    info.key
                ),
                hint: "check the account's keys in the web interface".into(),
            });
        };
        if stored.is_masked() {
            // A listing that masks ids shows no IP list either (Binance Link,
            // docs/venues/binance.md §4): the IP list stays the one the exchange confirmed when it
            // made and bound the key; the permissions are read back from the listing.
            info.permissions = stored.permissions;
            info.read_only = stored.read_only;
        } else {
            info = stored;
        }
        let wanted = scope.ips.to_strings();
        if info.ips.is_empty() || info.ips.iter().any(|ip| !wanted.contains(ip)) {
            return Err(ActionError::Check {
                message: format!(
                    "the new key `{}` is bound to {:?}, not to {:?}",
                    info.key, info.ips, wanted
                ),
                hint: "bind it in the web interface or delete it; an unbound key is a new leak"
                    .into(),
            });
        }
        if info.can_withdraw() {
            return Err(ActionError::Check {
                message: format!(
                    "the exchange gave the new key `{}` a withdrawal permission",
                    info.key
                ),
                hint: "delete that key in the web interface; lockdown never asks for one".into(),
            });
        }
        let mut out = Outputs::new();
        out.insert("key_id".into(), json!(info.key.as_str()));
        out.insert("key".into(), json!(info.key.masked()));
        out.insert("label".into(), json!(info.label));
        out.insert("account".into(), json!(info.account));
        out.insert("permissions".into(), json!(info.permissions));
        out.insert("ips".into(), json!(info.ips));
        out.insert("read_only".into(), json!(info.read_only));
        out.insert("can_withdraw".into(), json!(false));
        out.insert("ip_bound".into(), json!(true));
        copied_outputs(copied.as_ref(), &mut out);
        Ok(out)
    }
}

/// Deletes the keys labelled `label` (this run's) on `account` that this step does not hold.
async fn sweep(
    cx: &StepContext<'_>,
    account: &str,
    keys: &[crate::exchanges::model::KeyInfo],
    label: &str,
    why: &str,
) -> Result<(), ActionError> {
    for orphan in keys.iter().filter(|k| k.label == label) {
        if cx
            .vault
            .get(cx.step)
            .is_some_and(|held| orphan.names(&held.info.key))
        {
            continue;
        }
        cx.client
            .call(
                &Op::RevokeKey(Revoke::ByMaster {
                    key: orphan.key.clone(),
                    account: Some(account.to_owned()),
                }),
                Auth::Key(cx.master()),
            )
            .await
            .map_err(ActionError::exchange(format!(
                "delete key `{}` whose secret nobody holds",
                orphan.key
            )))?;
        cx.journal(&record::KeyDeleted {
            step: cx.step.to_owned(),
            key_id: orphan.key.as_str().to_owned(),
            why: why.to_owned(),
        })?;
    }
    Ok(())
}

/// The profile's secret store must be able to take the new key before the key is made: a key
/// whose secret has nowhere to go is a new leak nobody holds.
async fn store_takes_it(cx: &StepContext<'_>) -> Result<(), ActionError> {
    let Some(store) = cx.profile.secret_store.clone() else {
        return Ok(());
    };
    let stores = std::sync::Arc::clone(&cx.profile.stores);
    let to = store.clone();
    let probed = tokio::task::spawn_blocking(move || stores.probe_write(&to))
        .await
        .map_err(|err| ActionError::Check {
            message: format!("probing the secret store {store} stopped: {err}"),
            hint: "run `lockdown resume` to try again".into(),
        })?;
    probed.map_err(|err| ActionError::Check {
        message: format!("no replacement key was made: the secret store {err}"),
        hint: format!(
            "{}; then `lockdown resume` makes and stores the key",
            err.hint
        ),
    })
}

/// What `like` copied, as outputs: the old key (masked) and what it had that the new one lacks.
fn copied_outputs(copied: Option<&Copied>, out: &mut Outputs) {
    if let Some(copied) = copied {
        out.insert("copied_from".into(), json!(copied.key.masked()));
        out.insert("not_copied".into(), json!(copied.not_copied));
    }
}

fn no_account() -> ActionError {
    ActionError::Input {
        message: "`create_key` needs `account` (or `like`, which takes the old key's)".into(),
        hint: "add `account: \"{{ steps.lock.account }}\"` or `like: { key: ... }`".into(),
    }
}

fn internal() -> ActionError {
    ActionError::Input {
        message: "internal: create_key built another operation".into(),
        hint: "report this as a bug".into(),
    }
}

/// What a failed creation or hand-over of the replacement key leaves to do.
pub(super) fn no_replacement(end: &StepEnd<'_>) -> Todo {
    end.todo(
        format!("the bot has no replacement key: {}", end.why()),
        "`lockdown resume` the run, or create a key by hand (no withdraw permission, IP-bound) and give it to the bot",
    )
}
