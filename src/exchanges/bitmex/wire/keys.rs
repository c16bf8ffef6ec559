//! BitMEX's key listing (docs/venues/bitmex.md §4): `GET /apiKey` answers every key of the
//! user, and nothing changes a key by API. The listing's `secret` (declared by the swagger's
//! model, whether filled in is unsettled) is never read.
//!
//! The listing does not say which key signed the request. A listing of one key is that key; a
//! listing of several is summed up as one entry without an id (the union of their permissions
//! and CIDRs), so that nothing matches it by id and the report says what the account's keys can
//! do together. Either way the answer proves the signing key is accepted, which is what
//! verifying a deletion needs.

use super::*;

/// One row of `GET /apiKey`.
#[derive(Debug, Deserialize)]
struct BitmexKey {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    cidr: Option<String>,
    #[serde(default)]
    cidrs: Vec<Value>,
    #[serde(default)]
    permissions: Vec<Value>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default, rename = "targetAccountId")]
    target_account_id: Option<Value>,
}

/// The permissions that change anything (docs/venues/bitmex.md §2): `order`, `orderCancel`,
/// `withdraw`. A key without any is read-only.
const WRITES: &[&str] = &["order", "orderCancel", "withdraw"];

impl BitmexKey {
    fn permissions(&self) -> Vec<String> {
        self.permissions
            .iter()
            .map(decode::text_of)
            .filter(|p| !p.is_empty())
            .collect()
    }

    fn cidrs(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .cidrs
            .iter()
            .map(decode::text_of)
            .chain(self.cidr.clone())
            .filter(|c| !c.is_empty())
            .map(|c| single_address(&c))
            .collect();
        out.dedup();
        out
    }
}

/// A CIDR of one address (`/32`, `/128`) as the address, as the other venues list theirs; a
/// wider block as written.
fn single_address(cidr: &str) -> String {
    match cidr.split_once('/') {
        Some((ip, "32" | "128")) if ip.parse::<std::net::IpAddr>().is_ok() => ip.to_owned(),
        _ => cidr.to_owned(),
    }
}

fn info(key: BitmexKey) -> KeyInfo {
    let permissions = key.permissions();
    KeyInfo {
        read_only: !permissions.iter().any(|p| WRITES.contains(&p.as_str())),
        ips: key.cidrs(),
        permissions,
        key: KeyId::new(key.id),
        label: key.name,
        account: key
            .target_account_id
            .as_ref()
            .map(decode::text_of)
            .and_then(non_empty),
        is_master: false,
        created_at: key.created,
        expires_at: None,
    }
}

/// The answer to the signing key's question about itself.
pub(super) fn who_am_i(data: Value) -> Result<KeyInfo, ExchangeError> {
    let keys: Vec<BitmexKey> = parse(data)?;
    let mut keys: Vec<BitmexKey> = keys
        .into_iter()
        .filter(|k| k.enabled != Some(false))
        .collect();
    if keys.len() == 1 {
        return Ok(info(keys.remove(0)));
    }
    let count = keys.len();
    let mut permissions: Vec<String> = Vec::new();
    let mut ips: Vec<String> = Vec::new();
    let mut unbound = false;
    for key in &keys {
        for p in key.permissions() {
            if !permissions.contains(&p) {
                permissions.push(p);
            }
        }
        let cidrs = key.cidrs();
        unbound |= cidrs.is_empty();
        for c in cidrs {
            if !ips.contains(&c) {
                ips.push(c);
            }
        }
    }
    Ok(KeyInfo {
        key: KeyId::new(""),
        label: format!("{count} keys of this account (BitMEX does not say which one signed)"),
        account: None,
        is_master: false,
        read_only: !permissions.iter().any(|p| WRITES.contains(&p.as_str())),
        permissions,
        // One key usable from anywhere makes the account's keys usable from anywhere.
        ips: if unbound { Vec::new() } else { ips },
        created_at: None,
        expires_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_secret_is_never_kept_or_shown() {
        // The swagger's `APIKey` model declares `secret`; if BitMEX fills it in, it goes nowhere.
        let body = r#"[{"id":"LAqUlngMIQkIUjXMUreyu3qn","secret":"chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO","name":"bot","nonce":0,"permissions":["order"],"enabled":true,"userId":1}]"#;
        let key = who_am_i(serde_json::from_str(body).unwrap()).unwrap();
        let shown = format!("{key:?} {}", serde_json::to_string(&key).unwrap());
        assert!(!shown.contains("chNOOS4K"), "{shown}");
        let redacted = crate::exchanges::redact::redact(body);
        assert!(!redacted.contains("chNOOS4K"), "{redacted}");
    }

    #[test]
    fn one_key_is_itself_and_several_are_summed_up() {
        let one = serde_json::json!([{"id":"LAqUlngMIQkIUjXMUreyu3qn","name":"grid-bot","nonce":0,"cidr":"0.0.0.0/0","cidrs":[],"permissions":["order"],"enabled":true,"userId":1,"created":"2026-10-01T00:00:00.000Z"}]);
        let key = who_am_i(one).unwrap();
        assert_eq!(key.key.as_str(), "LAqUlngMIQkIUjXMUreyu3qn");
        assert!(!key.read_only && !key.can_withdraw());
        assert_eq!(key.ips, ["0.0.0.0/0"]);
        assert_eq!(single_address("203.0.113.10/32"), "203.0.113.10");
        assert_eq!(single_address("10.0.0.0/8"), "10.0.0.0/8");
        let two = serde_json::json!([
            {"id":"a","name":"owner","nonce":0,"cidr":"127.0.0.1/32","permissions":["orderCancel"],"enabled":true,"userId":1},
            {"id":"b","name":"bot","nonce":0,"permissions":["order","withdraw"],"enabled":true,"userId":1}
        ]);
        let both = who_am_i(two).unwrap();
        assert_eq!(both.key.as_str(), "");
        assert!(both.label.starts_with("2 keys"));
        assert!(both.can_withdraw());
        assert!(both.ips.is_empty(), "one key is unbound: {:?}", both.ips);
    }
}
