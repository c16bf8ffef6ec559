//! Knobs that set a simulated account up the way a real one goes wrong before an incident, for
//! the tests of `lockdown check`: a master key that expires or expired, that lost its
//! key-management permission, a bot key that can withdraw. They act as the venue's web
//! interface would, on the shared key model, so every dialect shows the change in its own
//! answers (`query-api`, `account/config`, `apiRestrictions`, `list_api_keys`,
//! `GetApiKeyInfo`). They change no hidden truth and reveal no secret.

use serde_json::Value;

use super::Sim;
use super::key::Permissions;

impl Sim {
    /// Makes a live key expire `in_ms` from now on the exchange's clock (negative: it expired
    /// that long ago), or never (`None`); returns whether the key exists. Bybit shows it as
    /// `expiredAt` and refuses an expired key with `33004`; Kraken shows it as `validUntil`.
    pub fn set_key_expiry_in(&self, api_key: &str, in_ms: Option<i64>) -> bool {
        let mut v = self.lock();
        let now = v.now_ms();
        let Some(key) = v
            .keys
            .iter_mut()
            .find(|k| k.api_key == api_key && k.is_live())
        else {
            return false;
        };
        key.expires_ms = in_ms.map(|ms| now + ms);
        true
    }

    /// Replaces what one permission group of a live key grants, in the dialect's own terms
    /// (Bybit `Wallet`, OKX `perm`, Binance `binance` flags, Deribit scope groups such as
    /// `account` with one level, Kraken `kraken`); an empty list grants nothing in the group.
    /// Returns whether the key exists.
    pub fn set_key_grant(&self, api_key: &str, group: &str, values: &[&str]) -> bool {
        let mut v = self.lock();
        let Some(key) = v
            .keys
            .iter_mut()
            .find(|k| k.api_key == api_key && k.is_live())
        else {
            return false;
        };
        let Value::Object(mut groups) = key.permissions.granted() else {
            return false;
        };
        groups.insert(
            group.to_owned(),
            Value::from(values.iter().map(|v| (*v).to_owned()).collect::<Vec<_>>()),
        );
        let owned: Vec<(String, Vec<String>)> = groups
            .into_iter()
            .map(|(g, list)| {
                let list = list
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                (g, list)
            })
            .collect();
        let lists: Vec<Vec<&str>> = owned
            .iter()
            .map(|(_, list)| list.iter().map(String::as_str).collect())
            .collect();
        let pairs: Vec<(&str, &[&str])> = owned
            .iter()
            .zip(&lists)
            .map(|((g, _), list)| (g.as_str(), list.as_slice()))
            .collect();
        key.permissions = Permissions::of(&pairs);
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::exchanges::ExchangeId;
    use crate::sim::Sim;

    fn key_where(sim: &Sim, pick: impl Fn(&crate::sim::KeyView) -> bool) -> String {
        sim.inspect()
            .keys
            .iter()
            .find(|k| pick(k))
            .unwrap()
            .id
            .clone()
    }

    #[test]
    fn a_grant_replaces_one_group_and_keeps_the_others() {
        let sim = Sim::new(ExchangeId::Bybit, 7);
        let master = key_where(&sim, |k| k.is_master);
        assert!(sim.set_key_grant(&master, "Wallet", &[]));
        assert!(!sim.set_key_grant("nobody", "Wallet", &[]));
        let v = sim.lock();
        let key = v.keys.iter().find(|k| k.api_key == master).unwrap();
        assert!(!key.permissions.has("Wallet", "AccountTransfer"));
        assert!(key.permissions.has("Spot", "SpotTrade"));
    }

    #[test]
    fn expiry_is_set_relative_to_the_exchange_clock() {
        let sim = Sim::new(ExchangeId::Kraken, 7);
        let leaked = key_where(&sim, |k| k.leaked);
        assert!(sim.set_key_expiry_in(&leaked, Some(-1)));
        assert!(!sim.set_key_expiry_in("nobody", None));
        let v = sim.lock();
        let key = v.keys.iter().find(|k| k.api_key == leaked).unwrap();
        assert!(key.is_expired(v.now_ms()));
    }
}
