//! The authenticated caller a handler sees, and the permission checks on it.
//!
//! Built only after the passphrase, signature and IP checks passed, from a copy of the key's
//! fields, so handlers may mutate the venue freely. An OKX key's `perm` is a comma list of
//! `read_only`, `trade` and (master-account keys only) `withdraw` (docs/venues/okx.md §4); the
//! simulator keeps it in the shared key model as the permission group `perm`. Failures are OKX's
//! codes: `50120` for a missing permission, `59500` for a master-only endpoint, `50035` for key
//! management with a master key bound to no IP address, `59504` for a sub-account withdrawal.
//! It carries no secret.

use crate::sim::key::{ApiKey, IpWhitelist, Permissions, Tier};
use crate::sim::okx::reply::{ApiError, Code};

/// The permission group the OKX dialect keeps `perm` in.
pub(crate) const PERM: &str = "perm";

/// The key a request was signed with.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) api_key: String,
    pub(crate) uid: u64,
    pub(crate) tier: Tier,
    pub(crate) permissions: Permissions,
    pub(crate) ip_bound: bool,
    /// Hidden truth: orders placed by this key are the attacker's, unless placed from
    /// [`crate::sim::BOT_IP`].
    pub(crate) leaked: bool,
    /// The socket's peer address, when the router was served with connect info.
    pub(crate) peer: Option<std::net::IpAddr>,
}

impl Caller {
    /// Copies what the handlers need out of `key`.
    pub(crate) fn from_key(key: &ApiKey) -> Caller {
        Caller {
            api_key: key.api_key.clone(),
            uid: key.uid,
            tier: key.tier,
            permissions: key.permissions.clone(),
            ip_bound: matches!(key.ips, IpWhitelist::Only(_)),
            leaked: key.leaked,
            peer: None,
        }
    }

    /// The same caller, seen calling from `peer`.
    pub(crate) fn at(self, peer: Option<std::net::IpAddr>) -> Caller {
        Caller { peer, ..self }
    }

    /// Who an order this caller places belongs to (`crate::sim::origin_of`).
    pub(crate) fn origin(&self) -> crate::sim::Origin {
        crate::sim::origin_of(self.leaked, self.peer)
    }

    /// Whether the key holds `perm` (`read_only`, `trade`, `withdraw`).
    pub(crate) fn has(&self, perm: &str) -> bool {
        self.permissions.has(PERM, perm)
    }

    /// Requires the `trade` permission (placing, cancelling, and key management).
    pub(crate) fn require_trade(&self) -> Result<(), ApiError> {
        if self.has("trade") {
            Ok(())
        } else {
            Err(ApiError::no_permission("needs `trade`"))
        }
    }

    /// Requires a master-account key (`59500`).
    pub(crate) fn require_master(&self) -> Result<(), ApiError> {
        match self.tier {
            Tier::Master => Ok(()),
            Tier::Sub => Err(ApiError::new(
                Code::MasterOnly,
                "Only the API key of the main account has permission.",
            )),
        }
    }

    /// Requires a master key bound to IP addresses, with `trade`: what sub-account key
    /// management asks for (docs/venues/okx.md §4).
    pub(crate) fn require_key_admin(&self) -> Result<(), ApiError> {
        self.require_master()?;
        if !self.ip_bound {
            return Err(ApiError::new(
                Code::IpBindingRequired,
                "This endpoint requires that APIKey must be bound to IP",
            ));
        }
        self.require_trade()
    }

    /// Requires a master key with `withdraw` (sub-accounts cannot withdraw: `59504`).
    pub(crate) fn require_withdraw(&self) -> Result<(), ApiError> {
        if self.tier == Tier::Sub {
            return Err(ApiError::new(
                Code::SubAccountCannotWithdraw,
                "Sub-accounts don't support withdrawals. Please use your main account for withdrawals.",
            ));
        }
        if self.has("withdraw") {
            Ok(())
        } else {
            Err(ApiError::no_permission("needs `withdraw`"))
        }
    }
}

/// A key's `perm` as OKX writes it: `read_only,trade`.
pub(crate) fn perm_text(permissions: &Permissions) -> String {
    ["read_only", "trade", "withdraw"]
        .into_iter()
        .filter(|p| permissions.has(PERM, p))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a requested `perm` (`read_only`, `trade`, comma-joined); `read_only` is always
/// granted, `withdraw` cannot be asked for a sub-account key.
pub(crate) fn parse_perm(text: Option<&str>) -> Result<Permissions, ApiError> {
    let mut perms = vec!["read_only"];
    for part in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part {
            "read_only" | "read" => {}
            "trade" => {
                if !perms.contains(&"trade") {
                    perms.push("trade");
                }
            }
            other => {
                return Err(ApiError::invalid(
                    "perm",
                    &format!("`{other}` is not `read_only` or `trade`"),
                ));
            }
        }
    }
    Ok(Permissions::of(&[(PERM, &perms)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_round_trips_and_refuses_withdraw() {
        let p = parse_perm(Some("read_only,trade")).unwrap();
        assert_eq!(perm_text(&p), "read_only,trade");
        assert_eq!(perm_text(&parse_perm(None).unwrap()), "read_only");
        assert_eq!(
            parse_perm(Some("trade,withdraw")).unwrap_err().code,
            Code::ParamError
        );
    }
}
