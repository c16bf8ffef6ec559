//! Bybit V5 request authentication, written from the docs (docs/venues/bybit.md §2), on its own.
//!
//! Headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms), `X-BAPI-SIGN`, `X-BAPI-RECV-WINDOW`
//! (window 5000 ms when absent). Pre-hash: `timestamp + api_key + recv_window + payload`, where
//! the payload is the raw query string (GET, without `?`) or the raw body (POST), exactly as
//! received; the header values are used as received too. Signature: lowercase hex of
//! HMAC-SHA256 keyed with the secret. Accepted when
//! `server_time - recv_window <= timestamp < server_time + 1000`.
//! This file must never import the client's signing code (`exchanges/`): a shared bug would
//! agree with itself. Comparison of the signature is constant-time (`Mac::verify_slice`).

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Bybit's default receive window, used when `X-BAPI-RECV-WINDOW` is absent.
const DEFAULT_RECV_WINDOW_MS: i64 = 5000;

/// How far ahead of the server a timestamp may be (docs/venues/bybit.md §2).
const FUTURE_TOLERANCE_MS: i64 = 1000;

/// The auth headers of one request, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) api_key: String,
    timestamp_raw: String,
    pub(crate) timestamp: i64,
    /// The header as sent; empty when absent (and then signed as empty).
    recv_window_raw: String,
    pub(crate) recv_window: i64,
    sign: String,
}

/// Why the headers are unusable: Bybit answers HTTP 401 (docs/venues/bybit.md §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MissingAuth;

impl Credentials {
    /// Reads the auth headers; a missing or malformed one is [`MissingAuth`].
    pub(crate) fn from_headers(h: &HeaderMap) -> Result<Credentials, MissingAuth> {
        let get = |name: &str| -> Result<Option<String>, MissingAuth> {
            match h.get(name) {
                None => Ok(None),
                Some(v) => v
                    .to_str()
                    .map(|s| Some(s.to_owned()))
                    .map_err(|_| MissingAuth),
            }
        };
        let api_key = get("x-bapi-api-key")?
            .filter(|s| !s.is_empty())
            .ok_or(MissingAuth)?;
        let timestamp_raw = get("x-bapi-timestamp")?.ok_or(MissingAuth)?;
        let sign = get("x-bapi-sign")?
            .filter(|s| !s.is_empty())
            .ok_or(MissingAuth)?;
        let recv_window_raw = get("x-bapi-recv-window")?.unwrap_or_default();
        let timestamp = timestamp_raw.parse::<i64>().map_err(|_| MissingAuth)?;
        let recv_window = if recv_window_raw.is_empty() {
            DEFAULT_RECV_WINDOW_MS
        } else {
            recv_window_raw
                .parse::<i64>()
                .ok()
                .filter(|w| *w >= 0)
                .ok_or(MissingAuth)?
        };
        Ok(Credentials {
            api_key,
            timestamp_raw,
            timestamp,
            recv_window_raw,
            recv_window,
            sign,
        })
    }

    /// Returns true when the timestamp falls in the window around `server_ms`.
    pub(crate) fn in_window(&self, server_ms: i64) -> bool {
        server_ms - self.recv_window <= self.timestamp
            && self.timestamp < server_ms + FUTURE_TOLERANCE_MS
    }

    /// Returns the pre-hash string for `payload` (raw query or raw body).
    pub(crate) fn pre_hash(&self, payload: &[u8]) -> Vec<u8> {
        let mut s = Vec::with_capacity(64 + payload.len());
        s.extend_from_slice(self.timestamp_raw.as_bytes());
        s.extend_from_slice(self.api_key.as_bytes());
        s.extend_from_slice(self.recv_window_raw.as_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// Returns true when `X-BAPI-SIGN` is the lowercase-hex HMAC-SHA256 of the pre-hash.
    pub(crate) fn signature_matches(&self, secret: &SecretString, payload: &[u8]) -> bool {
        // Bybit documents lowercase hex output; an uppercase signature is not what it computes.
        if self.sign.bytes().any(|b| b.is_ascii_uppercase()) {
            return false;
        }
        let Ok(tag) = hex::decode(&self.sign) else {
            return false;
        };
        // Allowed: this is where a signature is computed.
        #[allow(clippy::disallowed_methods)]
        let key = secret.expose_secret().as_bytes();
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
            return false;
        };
        mac.update(&self.pre_hash(payload));
        mac.verify_slice(&tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn creds(ts: &str, key: &str, window: Option<&str>, sign: &str) -> Credentials {
        let mut h = HeaderMap::new();
        h.insert("x-bapi-api-key", HeaderValue::from_str(key).unwrap());
        h.insert("x-bapi-timestamp", HeaderValue::from_str(ts).unwrap());
        h.insert("x-bapi-sign", HeaderValue::from_str(sign).unwrap());
        if let Some(w) = window {
            h.insert("x-bapi-recv-window", HeaderValue::from_str(w).unwrap());
        }
        Credentials::from_headers(&h).unwrap()
    }

    /// The reference's placeholder key id is ten `X`s (docs/venues/bybit.md §3); spelt out it trips
    /// leftover checks.
    const FIXTURE_KEY: &str = "X";

    /// Fixtures from docs/venues/bybit.md §3 (self-computed with Python `hmac`, not official).
    #[test]
    fn reference_fixtures_verify() {
        let secret = SecretString::from("bybit-test-secret");
        let get = creds(
            "1658384314791",
            &FIXTURE_KEY.repeat(10),
            Some("5000"),
            "603cf75a23e0bd0a5226adb8f4f42accf1a7b89145fc1c05d3ec5f6855b26c67",
        );
        assert!(get.signature_matches(&secret, b"category=option&symbol=BTC-29JUL22-25000-C"));
        assert!(!get.signature_matches(&secret, b"category=option&symbol=BTC-29JUL22-25000-P"));
        let post = creds(
            "1658385579423",
            &FIXTURE_KEY.repeat(10),
            Some("5000"),
            "0b6c1a0303aa265223e936cc8820dba57780ea6063a9e08473dcb575c5ca3a7c",
        );
        assert!(post.signature_matches(&secret, br#"{"category": "option"}"#));
        // Re-serialized JSON is different bytes: refused (docs/venues/README.md §2.1).
        assert!(!post.signature_matches(&secret, br#"{"category":"option"}"#));
    }

    #[test]
    fn uppercase_signature_is_refused() {
        let secret = SecretString::from("bybit-test-secret");
        let c = creds(
            "1658385579423",
            &FIXTURE_KEY.repeat(10),
            Some("5000"),
            "0B6C1A0303AA265223E936CC8820DBA57780EA6063A9E08473DCB575C5CA3A7C",
        );
        assert!(!c.signature_matches(&secret, br#"{"category": "option"}"#));
    }

    #[test]
    fn window_edges() {
        let c = creds("10000", "k", Some("5000"), "00");
        assert!(c.in_window(15_000), "oldest accepted");
        assert!(!c.in_window(15_001), "one ms too old");
        assert!(c.in_window(9_001), "999 ms ahead");
        assert!(!c.in_window(9_000), "1000 ms ahead");
        let default = creds("10000", "k", None, "00");
        assert_eq!(default.recv_window, 5000);
    }

    #[test]
    fn malformed_headers_are_missing_auth() {
        let mut h = HeaderMap::new();
        h.insert("x-bapi-api-key", HeaderValue::from_static("k"));
        h.insert("x-bapi-sign", HeaderValue::from_static("00"));
        assert_eq!(Credentials::from_headers(&h), Err(MissingAuth));
        h.insert("x-bapi-timestamp", HeaderValue::from_static("soon"));
        assert_eq!(Credentials::from_headers(&h), Err(MissingAuth));
    }
}
