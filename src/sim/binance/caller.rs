//! The authenticated caller a handler sees, and what its key's flags allow.
//!
//! Built only after the key, signature, timestamp and IP checks passed, from a copy of the key's
//! fields, so handlers may mutate the venue freely. A Binance key's permissions are flags
//! (docs/venues/binance.md §4: `canTrade`, `canFuturesTrade`, `canMarginLoanRepay`,
//! `canUniversalTransfer`, `canVanillaOptions`, and on master keys `enableWithdrawals`,
//! `enableInternalTransfer`); the simulator keeps them in the shared key model as the permission
//! group [`FLAGS`]. A missing trading flag is `-2015` like every key refusal
//! (docs/venues/binance.md §8); a master-only endpoint or a withdrawal without its flag is `-1002`
//! (as Binance answers a withdrawal by a key without the permission: binance/binance-connector-js
//! issue #82). It carries no secret.

use crate::sim::binance::reply::ApiError;
use crate::sim::binance::route::Needs;
use crate::sim::key::{ApiKey, Permissions, Tier};

/// The permission group the Binance dialect keeps a key's flags in.
pub(crate) const FLAGS: &str = "binance";

/// The flags a sub-account family key may be given, in Binance's order.
pub(crate) const SUB_FLAGS: &[&str] = &[
    "canTrade",
    "canMarginLoanRepay",
    "canFuturesTrade",
    "canUniversalTransfer",
    "canVanillaOptions",
];

/// The key a request was signed with.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) api_key: String,
    pub(crate) uid: u64,
    pub(crate) tier: Tier,
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

    /// Whether the key has a flag.
    pub(crate) fn has(&self, flag: &str) -> bool {
        self.permissions.has(FLAGS, flag)
    }

    /// Refuses a key that lacks what an endpoint needs.
    pub(crate) fn check(&self, needs: Needs) -> Result<(), ApiError> {
        let ok = match needs {
            Needs::Nothing | Needs::Reading => true,
            Needs::SpotTrading => self.has("canTrade"),
            Needs::Futures => self.has("canFuturesTrade"),
            Needs::Options => self.has("canVanillaOptions"),
            Needs::Master => self.tier == Tier::Master,
            Needs::BrokerMaster => self.tier == Tier::Master && self.has("canTrade"),
            Needs::Withdrawals => self.has("enableWithdrawals"),
        };
        match (ok, needs) {
            (true, _) => Ok(()),
            (false, Needs::SpotTrading | Needs::Futures | Needs::Options) => {
                Err(ApiError::rejected_key())
            }
            (false, _) => Err(ApiError::unauthorized()),
        }
    }
}

/// A key's flags from their names.
pub(crate) fn flags(names: &[&str]) -> Permissions {
    Permissions::of(&[(FLAGS, names)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(tier: Tier, names: &[&str]) -> Caller {
        Caller {
            api_key: "k".into(),
            uid: 1,
            tier,
            permissions: flags(names),
            leaked: false,
            peer: None,
        }
    }

    #[test]
    fn needs_map_to_binance_codes() {
        use crate::sim::binance::reply::Code;
        let bot = caller(Tier::Sub, &["canTrade"]);
        assert!(bot.check(Needs::SpotTrading).is_ok());
        assert_eq!(
            bot.check(Needs::Futures).unwrap_err().code,
            Code::RejectedKey
        );
        assert_eq!(
            bot.check(Needs::Withdrawals).unwrap_err().code,
            Code::Unauthorized
        );
        assert_eq!(
            bot.check(Needs::Master).unwrap_err().code,
            Code::Unauthorized
        );
        let master = caller(Tier::Master, &["enableWithdrawals"]);
        assert!(master.check(Needs::Master).is_ok());
        assert!(master.check(Needs::BrokerMaster).is_err(), "needs trade");
        assert!(master.check(Needs::Withdrawals).is_ok());
    }
}
