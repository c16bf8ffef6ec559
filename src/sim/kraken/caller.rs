//! The authenticated caller a handler sees.
//!
//! Built only after the signature, nonce and IP checks passed, from a copy of the key's fields,
//! so handlers may mutate the venue freely. A Kraken key's rights are the permission strings of
//! docs/venues/kraken.md §4 (`query-funds`, `modify-trades`, `withdraw-funds`, …), kept in the
//! shared key model as the permission group `kraken`. It carries no secret.

use crate::sim::key::{ApiKey, Permissions};

/// The permission group the Kraken dialect keeps a key's rights in.
pub(crate) const PERMS: &str = "kraken";

/// The key a request was signed with.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) api_key: String,
    pub(crate) uid: u64,
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

    /// Whether the key holds `perm`.
    pub(crate) fn has(&self, perm: &str) -> bool {
        self.permissions.has(PERMS, perm)
    }
}

/// A key's permission strings, in the order docs/venues/kraken.md §4 lists them.
pub(crate) fn permission_list(permissions: &Permissions) -> Vec<&'static str> {
    [
        "query-funds",
        "add-funds",
        "withdraw-funds",
        "earn-funds",
        "query-open-trades",
        "query-closed-trades",
        "modify-trades",
        "close-trades",
        "query-ledger",
        "export-data",
        "create-ws-token",
        "add-withdraw-address",
        "update-withdraw-address",
    ]
    .into_iter()
    .filter(|p| permissions.has(PERMS, p))
    .collect()
}
