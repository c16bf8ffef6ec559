//! The authenticated caller a handler sees, and the permission checks on it.
//!
//! Built only after the signature, expiry and IP checks passed, from a copy of the key's fields,
//! so handlers may mutate the venue freely. Permission failures are 10005 (docs/venues/bybit.md §8)
//! with the reason in the message. It carries no secret.

use crate::sim::bybit::reply::ApiError;
use crate::sim::key::{Access, ApiKey, Permissions, Tier};
use crate::sim::order::Category;

/// Wallet permissions that allow key management (docs/venues/bybit.md §4: AccountTransfer,
/// SubMemberTransfer or Withdraw; sub keys hold SubMemberTransferList instead).
const KEY_ADMIN: &[&str] = &[
    "AccountTransfer",
    "SubMemberTransfer",
    "SubMemberTransferList",
    "Withdraw",
];

/// The key a request was signed with.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) api_key: String,
    pub(crate) uid: u64,
    pub(crate) tier: Tier,
    pub(crate) access: Access,
    pub(crate) permissions: Permissions,
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
            access: key.access,
            permissions: key.permissions.clone(),
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

    /// Refuses read-only keys.
    pub(crate) fn require_write(&self) -> Result<(), ApiError> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(ApiError::denied("the key is read-only")),
        }
    }

    /// Refuses sub-account keys.
    pub(crate) fn require_master(&self) -> Result<(), ApiError> {
        match self.tier {
            Tier::Master => Ok(()),
            Tier::Sub => Err(ApiError::denied("only a master-account key may call this")),
        }
    }

    /// Requires one of `values` in `group`.
    pub(crate) fn require(&self, group: &str, values: &[&str]) -> Result<(), ApiError> {
        if self.permissions.has_any(group, values) {
            Ok(())
        } else {
            Err(ApiError::denied(&format!(
                "needs `{group}` permission {}",
                values.join(" or ")
            )))
        }
    }

    /// Requires a read-write key holding a Wallet permission that manages keys.
    pub(crate) fn require_key_admin(&self) -> Result<(), ApiError> {
        self.require_write()?;
        self.require("Wallet", KEY_ADMIN)
    }

    /// Requires a read-write key with the trade permission of `category`.
    pub(crate) fn require_trade(&self, category: Category) -> Result<(), ApiError> {
        self.require_write()?;
        match category {
            Category::Spot => self.require("Spot", &["SpotTrade"]),
            Category::Linear | Category::Inverse => self.require("ContractTrade", &["Order"]),
            Category::Option => self.require("Options", &["OptionsTrade"]),
        }
    }
}
