//! `create_key`'s `like:`: a replacement with the restrictions of a key that exists.
//!
//! A planned rotation (`lockdown rotate`) must not widen anything: the new key gets the old
//! key's trading rights (as the venue names them, read back through [`Venue::trade_rights`])
//! and its IP list, read through the master's listing of the key's account, else from the key
//! itself. Flags may only take away: `only_permissions` and `only_ips` must be subsets of what
//! the old key has, or the step stops before anything is created. Rights that are not trading
//! (withdrawals, transfers, margin loans) are never carried over, and are named; an old key
//! bound to no address is bound to the profile's `bot_ips` (an unbound key is a leak waiting).
//!
//! [`Venue::trade_rights`]: crate::exchanges::Venue::trade_rights

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ActionError, StepContext};
use crate::exchanges::model::{KeyInfo, TradePermission};
use crate::exchanges::{Auth, Op};
use crate::playbook::schema::{object, string};
use crate::secret::KeyId;
use crate::template::Tpl;

/// `like:` as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Like {
    /// The key whose restrictions the new one copies.
    key: Tpl<String>,
    /// Only these trading rights (comma-separated `spot_trade`, `contract_trade`,
    /// `options_trade`); empty: all the old key has.
    #[serde(default)]
    only_permissions: Option<Tpl<String>>,
    /// Only these addresses (comma-separated); empty: all the old key has.
    #[serde(default)]
    only_ips: Option<Tpl<String>>,
}

/// What was copied from the old key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The old key.
    pub key: KeyId,
    /// Its account, where the venue or the profile says.
    pub account: Option<String>,
    /// The trading rights the new key gets.
    pub trade: Vec<TradePermission>,
    /// The addresses it is bound to.
    pub ips: Vec<String>,
    /// What the old key had that the new one does not get, and why, for people and the report.
    pub not_copied: Vec<String>,
}

impl Like {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> Value {
        object(
            json!({
                "key": string("the key whose trading rights and IP list the new key copies"),
                "only_permissions": string("comma-separated trading rights to keep (each one the old key has); empty: all"),
                "only_ips": string("comma-separated addresses to keep (each one on the old key's list); empty: all"),
            }),
            &["key"],
        )
    }

    /// Reads the old key's restrictions and narrows them by the flags (never widens).
    pub async fn read(&self, cx: &StepContext<'_>) -> Result<Copied, ActionError> {
        let key = KeyId::new(cx.render(&self.key)?);
        let info = describe(cx, &key).await?;
        let venue = cx.client.venue();
        let mut not_copied = Vec::new();
        let had = if info.read_only {
            Vec::new()
        } else {
            venue
                .trade_rights(&info.permissions)
                .ok_or_else(|| ActionError::Input {
                    message: format!(
                        "cannot tell the trading rights of key `{key}` on {} from {:?}",
                        venue.id(),
                        info.permissions
                    ),
                    hint: "name the rights the new key gets with `--tighter-permissions`".into(),
                })?
        };
        for perm in info.permissions.iter().filter(|p| moves_money(p)) {
            not_copied.push(format!(
                "{perm} (moves money: never given to a replacement)"
            ));
        }
        let trade = match self.rendered(cx, &self.only_permissions)? {
            None => had,
            Some(wanted) => {
                let mut trade = Vec::new();
                for name in wanted {
                    let perm: TradePermission =
                        serde_json::from_value(json!(name)).map_err(|_| ActionError::Input {
                            message: format!("`{name}` is not a trading right"),
                            hint: "use spot_trade, contract_trade or options_trade".into(),
                        })?;
                    if !had.contains(&perm) {
                        return Err(widen(&key, &format!("the right `{name}`")));
                    }
                    trade.push(perm);
                }
                for perm in had.iter().filter(|p| !trade.contains(p)) {
                    not_copied.push(format!(
                        "{} (left out by `--tighter-permissions`)",
                        name_of(*perm)
                    ));
                }
                trade
            }
        };
        let old_ips = info.ips.clone();
        let ips = match self.rendered(cx, &self.only_ips)? {
            None if old_ips.is_empty() => {
                not_copied.push(
                    "no IP list (usable from anywhere): bound to the profile's `bot_ips`".into(),
                );
                cx.profile.bot_ips.iter().map(ToString::to_string).collect()
            }
            None => old_ips,
            Some(wanted) => {
                if let Some(wider) = wanted
                    .iter()
                    .find(|ip| !old_ips.is_empty() && !old_ips.iter().any(|old| old == ip.as_str()))
                {
                    return Err(widen(&key, &format!("the address `{wider}`")));
                }
                for ip in old_ips.iter().filter(|ip| !wanted.contains(ip)) {
                    not_copied.push(format!("address {ip} (left out by `--tighter-ips`)"));
                }
                wanted
            }
        };
        Ok(Copied {
            account: info
                .account
                .clone()
                .filter(|a| !a.is_empty())
                .or_else(|| cx.profile.key(&key).and_then(|k| k.account.clone())),
            key,
            trade,
            ips,
            not_copied,
        })
    }

    /// A comma list parameter; `None` when absent or empty.
    fn rendered(
        &self,
        cx: &StepContext<'_>,
        tpl: &Option<Tpl<String>>,
    ) -> Result<Option<Vec<String>>, ActionError> {
        let Some(tpl) = tpl else { return Ok(None) };
        let items: Vec<String> = cx
            .render(tpl)?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok((!items.is_empty()).then_some(items))
    }
}

/// What the exchange says of `key`: the master's listing of its account (what the owner sees
/// in the web interface) where the profile names the account and the listing shows the key
/// whole, else the key's own answer about itself (which also names its account on most venues).
async fn describe(cx: &StepContext<'_>, key: &KeyId) -> Result<KeyInfo, ActionError> {
    let account = cx.profile.key(key).and_then(|k| k.account.clone());
    let mut listed = None;
    if let Some(account) = &account {
        let keys = cx
            .account_keys(account)
            .await
            .map_err(ActionError::exchange("list the old key's account"))?;
        listed = keys.into_iter().find(|k| k.names(key));
    }
    let own = match cx.key_credential(key) {
        Ok(cred) => Some(
            cx.client
                .call(&Op::WhoAmI, Auth::Key(cred))
                .await
                .and_then(crate::exchanges::Reply::into_key)
                .map_err(ActionError::exchange(format!(
                    "read key `{key}`'s rights as the key"
                )))?,
        ),
        Err(err) if listed.is_none() => return Err(err),
        Err(_) => None,
    };
    match (listed, own) {
        // A listing that masks ids shows no IP list (Binance Link, docs/venues/binance.md §4):
        // the key's own answer says it.
        (Some(listed), Some(own)) if listed.is_masked() => Ok(KeyInfo {
            permissions: listed.permissions,
            read_only: listed.read_only,
            ..own
        }),
        (Some(mut listed), own) => {
            if listed.account.is_none() {
                listed.account = own.and_then(|o| o.account).or(account);
            }
            Ok(listed)
        }
        (None, Some(own)) => Ok(own),
        (None, None) => Err(ActionError::Check {
            message: format!("key `{key}` is not listed on its account"),
            hint: "check the key id, and the key's `account:` in the profile".into(),
        }),
    }
}

/// Whether a venue's permission name moves money off the account or between accounts (what a
/// replacement never gets; said so the owner knows the rotation took it away).
fn moves_money(perm: &str) -> bool {
    let lower = perm.to_ascii_lowercase();
    let single = KeyInfo {
        key: KeyId::new(""),
        label: String::new(),
        account: None,
        is_master: false,
        read_only: false,
        permissions: vec![perm.to_owned()],
        ips: Vec::new(),
        created_at: None,
        expires_at: None,
    };
    single.can_withdraw()
        || ["transfer", "margin", "loan", "add-funds", "earn"]
            .iter()
            .any(|word| lower.contains(word))
}

fn widen(key: &KeyId, what: &str) -> ActionError {
    ActionError::Input {
        message: format!("key `{key}` does not have {what}: a rotation may only tighten"),
        hint: "leave it out; the new key gets at most what the old one has".into(),
    }
}

fn name_of(perm: TradePermission) -> String {
    serde_json::to_value(perm)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
