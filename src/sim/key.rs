//! API keys as the venue stores them: owner, permissions, read-only flag, IP whitelist, lifetime.
//!
//! Permissions are Bybit's object of arrays (docs/venues/bybit.md §4), validated against the
//! documented groups and values so a typo is a 10001, not a silently useless key. The secret is a
//! `SecretString`: `Debug` prints it redacted, and it is exposed only where a signature is
//! verified or a session file is written. The `leaked` flag is hidden truth: no endpoint shows it.

use std::collections::BTreeMap;
use std::net::IpAddr;

use secrecy::SecretString;
use serde_json::{Map, Value};

/// Days an unbound key lives after creation (docs/venues/bybit.md §4 "Key-lifetime rules").
pub(crate) const UNBOUND_LIFETIME_MS: i64 = 90 * DAY_MS;

/// One day in milliseconds.
pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether a key may change anything (`readOnly` 0/1 on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    ReadWrite,
    ReadOnly,
}

impl Access {
    /// Returns Bybit's integer form: `0` read-write, `1` read-only.
    pub(crate) fn as_int(self) -> i64 {
        match self {
            Access::ReadWrite => 0,
            Access::ReadOnly => 1,
        }
    }
}

/// Which account a key belongs to in the hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tier {
    Master,
    Sub,
}

/// One API key, live or deleted.
#[derive(Debug)]
pub(crate) struct ApiKey {
    /// Bybit's numeric "internal" id (`id` on the wire).
    pub(crate) internal_id: String,
    /// The key id clients send in `X-BAPI-API-KEY` (`apiKey` on the wire).
    pub(crate) api_key: String,
    pub(crate) secret: SecretString,
    /// The passphrase chosen at creation, on dialects that have one (OKX).
    pub(crate) passphrase: Option<SecretString>,
    /// A disabled key is refused like a deleted one, but can be enabled again (Deribit).
    pub(crate) enabled: bool,
    pub(crate) uid: u64,
    pub(crate) tier: Tier,
    pub(crate) note: String,
    pub(crate) permissions: Permissions,
    pub(crate) access: Access,
    pub(crate) ips: IpWhitelist,
    pub(crate) created_ms: i64,
    /// When the key stops working; `None` for IP-bound (permanent) keys.
    pub(crate) expires_ms: Option<i64>,
    pub(crate) deleted_ms: Option<i64>,
    /// Hidden truth: this key's secret is in the attacker's hands.
    pub(crate) leaked: bool,
}

impl ApiKey {
    /// Returns true when the key has not been deleted.
    pub(crate) fn is_live(&self) -> bool {
        self.deleted_ms.is_none() && self.enabled
    }

    /// Returns true when the key's lifetime is over at `now_ms`.
    pub(crate) fn is_expired(&self, now_ms: i64) -> bool {
        self.expires_ms.is_some_and(|t| now_ms >= t)
    }

    /// Sets the whitelist and the lifetime that goes with it: bound keys are permanent,
    /// unbound keys live 90 days from now (docs/venues/bybit.md §4).
    pub(crate) fn set_ips(&mut self, ips: IpWhitelist, now_ms: i64) {
        self.expires_ms = match ips {
            IpWhitelist::Any => Some(self.expires_ms.unwrap_or(now_ms + UNBOUND_LIFETIME_MS)),
            IpWhitelist::Only(_) => None,
        };
        self.ips = ips;
    }
}

/// The IP addresses a key may be used from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IpWhitelist {
    /// `["*"]`: not bound to any address.
    Any,
    /// Bound to these addresses (never empty).
    Only(Vec<IpAddr>),
}

impl IpWhitelist {
    /// Returns true when a request from `peer` may use the key (`None` = unknown peer).
    pub(crate) fn allows(&self, peer: Option<IpAddr>) -> bool {
        match self {
            IpWhitelist::Any => true,
            IpWhitelist::Only(list) => peer.is_some_and(|p| list.contains(&canonical(p))),
        }
    }

    /// Returns the wire form: `["*"]` or the addresses as strings.
    pub(crate) fn to_wire(&self) -> Vec<String> {
        match self {
            IpWhitelist::Any => vec!["*".to_owned()],
            IpWhitelist::Only(list) => list.iter().map(ToString::to_string).collect(),
        }
    }

    /// Parses Bybit's `ips`: a comma string, or an array of strings that may themselves hold
    /// commas (the docs show both, docs/venues/bybit.md §4); `*` anywhere means unbound.
    pub(crate) fn parse(value: &Value) -> Result<IpWhitelist, String> {
        let mut parts: Vec<String> = Vec::new();
        match value {
            Value::String(s) => parts.extend(s.split(',').map(|p| p.trim().to_owned())),
            Value::Array(items) => {
                for item in items {
                    let Value::String(s) = item else {
                        return Err("`ips` entries must be strings".to_owned());
                    };
                    parts.extend(s.split(',').map(|p| p.trim().to_owned()));
                }
            }
            _ => return Err("`ips` must be a comma-separated string or an array".to_owned()),
        }
        parts.retain(|p| !p.is_empty());
        if parts.is_empty() || parts.iter().any(|p| p == "*") {
            return Ok(IpWhitelist::Any);
        }
        let mut list = Vec::new();
        for p in &parts {
            let ip: IpAddr = p
                .parse()
                .map_err(|_| format!("`ips` holds `{p}`, which is not an IP address"))?;
            if !list.contains(&canonical(ip)) {
                list.push(canonical(ip));
            }
        }
        Ok(IpWhitelist::Only(list))
    }
}

/// Maps IPv4-mapped IPv6 peers (`::ffff:127.0.0.1`) to plain IPv4 so whitelists compare.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Permission groups and the values each accepts (docs/venues/bybit.md §4), in Bybit's display
/// order.
const GROUPS: &[(&str, &[&str])] = &[
    ("ContractTrade", &["Order", "Position"]),
    ("Spot", &["SpotTrade"]),
    (
        "Wallet",
        &[
            "AccountTransfer",
            "SubMemberTransfer",
            "SubMemberTransferList",
            "Withdraw",
        ],
    ),
    ("Options", &["OptionsTrade"]),
    ("Derivatives", &["DerivativesTrade"]),
    ("CopyTrading", &["CopyTrading"]),
    ("BlockTrade", &["BlockTrade"]),
    ("Exchange", &["ExchangeHistory"]),
    ("NFT", &["NFTQueryProductList"]),
    ("Affiliate", &["Affiliate"]),
    ("Earn", &["Earn"]),
    ("FiatP2P", &["FiatP2POrder", "Advertising"]),
    ("FiatBitPay", &["FaitPayOrder"]),
    ("FiatConvertBroker", &["FiatConvertBrokerOrder"]),
    ("BitCard", &["BitCard"]),
    ("ByXPost", &["ByXPost"]),
];

/// Wallet permissions only a master-account key can hold (docs/venues/bybit.md §4).
const MASTER_ONLY: &[(&str, &str)] = &[("Wallet", "SubMemberTransfer"), ("Wallet", "Withdraw")];

/// Bybit's permission object: group name to the permissions granted in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Permissions(BTreeMap<String, Vec<String>>);

impl Permissions {
    /// Builds permissions from `(group, [values])` pairs; used by the seed.
    pub(crate) fn of(pairs: &[(&str, &[&str])]) -> Permissions {
        Permissions(
            pairs
                .iter()
                .map(|(g, vs)| {
                    (
                        (*g).to_owned(),
                        vs.iter().map(|v| (*v).to_owned()).collect(),
                    )
                })
                .collect(),
        )
    }

    /// Returns true when `group` grants `value`.
    pub(crate) fn has(&self, group: &str, value: &str) -> bool {
        self.0
            .get(group)
            .is_some_and(|vs| vs.iter().any(|v| v == value))
    }

    /// Returns true when `group` grants any of `values`.
    pub(crate) fn has_any(&self, group: &str, values: &[&str]) -> bool {
        values.iter().any(|v| self.has(group, v))
    }

    /// Returns true when no group grants anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.values().all(Vec::is_empty)
    }

    /// Returns the granted groups only (no empty arrays), as JSON.
    pub(crate) fn granted(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .filter(|(_, vs)| !vs.is_empty())
                .map(|(g, vs)| (g.clone(), Value::from(vs.clone())))
                .collect(),
        )
    }

    /// Returns the wire form: every common group, empty ones as `[]`, as Bybit shows it.
    pub(crate) fn to_wire(&self) -> Value {
        let mut out = Map::new();
        for (group, _) in GROUPS.iter().take(11) {
            out.insert((*group).to_owned(), Value::Array(Vec::new()));
        }
        for (g, vs) in &self.0 {
            out.insert(g.clone(), Value::from(vs.clone()));
        }
        Value::Object(out)
    }

    /// Parses and validates a permission object for a key of `tier`.
    ///
    /// Unknown groups or values, and master-only Wallet values on a sub key, are errors naming
    /// the offender. Empty arrays are allowed; whether "nothing granted" is acceptable is the
    /// caller's decision.
    pub(crate) fn parse(value: &Value, tier: Tier) -> Result<Permissions, String> {
        let Value::Object(map) = value else {
            return Err("`permissions` must be an object of arrays".to_owned());
        };
        let mut out = BTreeMap::new();
        for (group, vals) in map {
            let Some((_, allowed)) = GROUPS.iter().find(|(g, _)| g == group) else {
                return Err(format!("`permissions` has unknown group `{group}`"));
            };
            let Value::Array(vals) = vals else {
                return Err(format!("`permissions.{group}` must be an array"));
            };
            let mut list: Vec<String> = Vec::new();
            for v in vals {
                let Some(v) = v.as_str() else {
                    return Err(format!("`permissions.{group}` entries must be strings"));
                };
                if !allowed.contains(&v) {
                    return Err(format!("`permissions.{group}` has unknown value `{v}`"));
                }
                if tier == Tier::Sub && MASTER_ONLY.contains(&(group.as_str(), v)) {
                    return Err(format!(
                        "`permissions.{group}` value `{v}` is for master-account keys only"
                    ));
                }
                if !list.iter().any(|x| x == v) {
                    list.push(v.to_owned());
                }
            }
            out.insert(group.clone(), list);
        }
        Ok(Permissions(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ips_parse_cases() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        for (label, input, want) in [
            ("star string", json!("*"), Ok(IpWhitelist::Any)),
            ("star array", json!(["*"]), Ok(IpWhitelist::Any)),
            ("empty", json!(""), Ok(IpWhitelist::Any)),
            ("one", json!("127.0.0.1"), Ok(IpWhitelist::Only(vec![lo]))),
            (
                "comma in array",
                json!(["127.0.0.1,127.0.0.1"]),
                Ok(IpWhitelist::Only(vec![lo])),
            ),
        ] {
            assert_eq!(IpWhitelist::parse(&input), want, "{label}");
        }
        assert!(IpWhitelist::parse(&json!("nope")).is_err());
        assert!(IpWhitelist::parse(&json!(5)).is_err());
    }

    #[test]
    fn mapped_v6_peer_matches_v4_entry() {
        let w = IpWhitelist::Only(vec!["127.0.0.1".parse().unwrap()]);
        assert!(w.allows(Some("::ffff:127.0.0.1".parse().unwrap())));
        assert!(!w.allows(Some("127.0.0.2".parse().unwrap())));
        assert!(!w.allows(None));
    }

    #[test]
    fn permissions_validate() {
        let ok = Permissions::parse(&json!({"Spot": ["SpotTrade"], "Wallet": []}), Tier::Sub);
        assert!(ok.unwrap().has("Spot", "SpotTrade"));
        assert!(Permissions::parse(&json!({"Spot": ["Trade"]}), Tier::Sub).is_err());
        assert!(Permissions::parse(&json!({"Bogus": []}), Tier::Sub).is_err());
        assert!(Permissions::parse(&json!({"Wallet": ["Withdraw"]}), Tier::Sub).is_err());
        assert!(Permissions::parse(&json!({"Wallet": ["Withdraw"]}), Tier::Master).is_ok());
    }
}
