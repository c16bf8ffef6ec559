//! Kraken Spot request authentication, written from the docs (docs/venues/kraken.md §2), on its
//! own.
//!
//! Headers `API-Key` and `API-Sign`; the body's `nonce`. `API-Sign` must be the base64 of
//! HMAC-SHA512, keyed with the base64-decoded secret, of the URI path followed by the raw
//! SHA-256 of the nonce's text and the exact body bytes received. The nonce must be above the
//! last one the key had accepted (no nonce window is modelled). This file must never import the
//! client's signing code (`exchanges/`): a shared bug would agree with itself. Its base64 is the
//! dialect's own (`base64.rs`); the MAC is compared in constant time by `hmac`.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256, Sha512};

use crate::sim::kraken::base64;
use crate::sim::kraken::reply::KrakenError;

/// The auth headers of one request, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) api_key: String,
    sign: String,
}

impl Credentials {
    /// Reads `API-Key` (missing: `EAPI:Invalid key`) and `API-Sign` (missing: `EAPI:Invalid
    /// signature`).
    pub(crate) fn from_headers(h: &HeaderMap) -> Result<Credentials, KrakenError> {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let api_key = get("api-key").ok_or(KrakenError::InvalidKey)?;
        let sign = get("api-sign").ok_or(KrakenError::InvalidSignature)?;
        Ok(Credentials { api_key, sign })
    }

    /// Whether `API-Sign` signs `path`, `nonce` and `body` with `secret`.
    pub(crate) fn signature_matches(
        &self,
        secret: &SecretString,
        path: &str,
        nonce: &str,
        body: &[u8],
    ) -> bool {
        let Some(tag) = base64::decode(&self.sign) else {
            return false;
        };
        // Allowed: this is where a signature is verified.
        #[allow(clippy::disallowed_methods)]
        let Some(key) = base64::decode(secret.expose_secret()) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha512> as KeyInit>::new_from_slice(&key) else {
            return false;
        };
        let mut inner = Sha256::new();
        inner.update(nonce.as_bytes());
        inner.update(body);
        mac.update(path.as_bytes());
        mac.update(&inner.finalize());
        mac.verify_slice(&tag).is_ok()
    }
}

/// The body's `nonce` as sent (its text is what was hashed) and as a number; `EAPI:Invalid
/// nonce` when it is missing or not an unsigned 64-bit integer.
pub(crate) fn nonce_of(text: Option<&str>) -> Result<(String, u64), KrakenError> {
    let text = text.ok_or(KrakenError::InvalidNonce)?;
    let value = text.parse::<u64>().map_err(|_| KrakenError::InvalidNonce)?;
    Ok((text.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn creds(sign: &str) -> Credentials {
        let mut h = HeaderMap::new();
        h.insert("api-key", HeaderValue::from_static("k"));
        h.insert("api-sign", HeaderValue::from_str(sign).unwrap());
        Credentials::from_headers(&h).unwrap()
    }

    /// docs/venues/kraken.md §3, Kraken's published example.
    #[test]
    fn published_vector_verifies() {
        let secret = SecretString::from(
            "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
        );
        let c = creds(
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==",
        );
        let body =
            b"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        assert!(c.signature_matches(&secret, "/0/private/AddOrder", "1616492376594", body));
        // Another path, another nonce text, or other bytes: refused.
        assert!(!c.signature_matches(&secret, "/0/private/CancelAll", "1616492376594", body));
        assert!(!c.signature_matches(&secret, "/0/private/AddOrder", "1616492376595", body));
        let reordered =
            b"nonce=1616492376594&pair=XBTUSD&ordertype=limit&price=37500&type=buy&volume=1.25";
        assert!(!c.signature_matches(&secret, "/0/private/AddOrder", "1616492376594", reordered));
        assert!(!creds("not base64").signature_matches(&secret, "/0/private/AddOrder", "1", body));
    }

    #[test]
    fn missing_headers_and_nonces_have_their_errors() {
        let mut h = HeaderMap::new();
        assert_eq!(
            Credentials::from_headers(&h).unwrap_err(),
            KrakenError::InvalidKey
        );
        h.insert("api-key", HeaderValue::from_static("k"));
        assert_eq!(
            Credentials::from_headers(&h).unwrap_err(),
            KrakenError::InvalidSignature
        );
        assert_eq!(nonce_of(None).unwrap_err(), KrakenError::InvalidNonce);
        assert_eq!(nonce_of(Some("-1")).unwrap_err(), KrakenError::InvalidNonce);
        assert_eq!(nonce_of(Some("42")).unwrap().1, 42);
    }
}
