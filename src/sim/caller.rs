//! The key a request was signed with, copied out of the venue, for dialects whose handlers need
//! no more than its id, account and hidden truth (BitMEX, Bitget, BingX). Dialects that carry a
//! tier, permissions or a session keep a `Caller` of their own.

use std::net::IpAddr;

use crate::sim::key::ApiKey;

/// The key a request was signed with.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) api_key: String,
    pub(crate) uid: u64,
    /// Hidden truth: orders placed by this key are the attacker's, unless placed from
    /// [`crate::sim::BOT_IP`].
    pub(crate) leaked: bool,
    /// The socket's peer address, when the router was served with connect info.
    pub(crate) peer: Option<IpAddr>,
}

impl Caller {
    /// Copies what the handlers need out of `key`.
    pub(crate) fn from_key(key: &ApiKey, peer: Option<IpAddr>) -> Caller {
        Caller {
            api_key: key.api_key.clone(),
            uid: key.uid,
            leaked: key.leaked,
            peer,
        }
    }

    /// Who an order this caller places belongs to (`crate::sim::origin_of`).
    pub(crate) fn origin(&self) -> crate::sim::Origin {
        crate::sim::origin_of(self.leaked, self.peer)
    }
}
