//! Bitget request authentication, written from the docs (docs/venues/bitget.md §2), on its own.
//!
//! Pre-hash: the `ACCESS-TIMESTAMP` header as received + the method + the request path, with
//! `?` and the raw query when there is one + the raw body (POST; nothing for GET), exactly as
//! received. Signature: base64 of HMAC-SHA256 keyed with the secret (the `base64` crate decodes
//! it, the MAC compares in constant time). The passphrase must be the one the key was made with,
//! compared in constant time too. This file must never import the client's signing code
//! (`exchanges/`): a shared bug would agree with itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::sim::key::ApiKey;

/// Whether `signature` (base64) signs the request as received.
pub(crate) fn signature_matches(
    secret: &SecretString,
    timestamp: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(tag) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    // Allowed: this is where a signature is verified.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes().to_vec();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(method.as_bytes());
    mac.update(path.as_bytes());
    if !query.is_empty() {
        mac.update(b"?");
        mac.update(query.as_bytes());
    }
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

/// Whether the `ACCESS-PASSPHRASE` header is the key's passphrase.
pub(crate) fn passphrase_matches(key: &ApiKey, given: &str) -> bool {
    let Some(want) = &key.passphrase else {
        return false;
    };
    // Allowed: the passphrase is checked here like a signature.
    #[allow(clippy::disallowed_methods)]
    let want = want.expose_secret().as_bytes();
    let given = given.as_bytes();
    want.len() == given.len()
        && want
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_computed_vectors_verify() {
        // docs/venues/bitget.md §3 (computed with openssl, not official).
        let secret = SecretString::from("bitget-test-secret");
        assert!(signature_matches(
            &secret,
            "16273667805456",
            "GET",
            "/api/mix/v2/market/depth",
            "limit=20&symbol=BTCUSDT",
            b"",
            "WtsFnFmSuOeEzqug0GD9yGqAENc0GOd62PkQKoWC9rE="
        ));
        let body = br#"{"symbol":"BTCUSDT"}"#;
        let sig = "PWE+CLjxeHBP+REFRJSIwiyvzSluM/ElO/SUwgB+0V8=";
        let path = "/api/v2/spot/trade/cancel-symbol-order";
        assert!(signature_matches(
            &secret,
            "1659076670000",
            "POST",
            path,
            "",
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "1659076670001",
            "POST",
            path,
            "",
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "1659076670000",
            "GET",
            path,
            "",
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "1659076670000",
            "POST",
            path,
            "",
            b"{}",
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "1659076670000",
            "POST",
            path,
            "",
            body,
            "!!"
        ));
    }
}
