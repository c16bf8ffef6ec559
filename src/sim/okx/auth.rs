//! OKX V5 request authentication, written from the docs (docs/venues/okx.md §2), on its own.
//!
//! Headers `OK-ACCESS-KEY`, `OK-ACCESS-SIGN`, `OK-ACCESS-TIMESTAMP` (ISO-8601 UTC with
//! milliseconds, `2020-12-08T09:08:57.715Z`), `OK-ACCESS-PASSPHRASE`. Pre-hash: the timestamp
//! header as received + the method + the request path with `?` and the raw query when there is
//! one + the raw body (POST; nothing for GET), exactly as received. Signature: base64 of
//! HMAC-SHA256 keyed with the secret. Accepted when the timestamp is within 30 s of the server's
//! clock either way. An empty header is its own code (`50103`, `50104`, `50106`, `50107`), a
//! timestamp that is not the documented shape `50112`. This file must never import the client's
//! signing code (`exchanges/`): a shared bug would agree with itself. The base64 decoder is this
//! file's own; the signature and the passphrase are compared in constant time.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::sim::okx::reply::{ApiError, Code};

/// How far the request's timestamp may be from the server's clock (docs/venues/okx.md §2: 30 s).
pub(crate) const WINDOW_MS: i64 = 30_000;

/// The auth headers of one request, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) api_key: String,
    timestamp_raw: String,
    pub(crate) timestamp_ms: i64,
    sign: String,
    passphrase: String,
}

impl Credentials {
    /// Reads the auth headers; an empty or unreadable one is its documented code.
    pub(crate) fn from_headers(h: &HeaderMap) -> Result<Credentials, ApiError> {
        let get = |name: &str, code: Code, header: &str| -> Result<String, ApiError> {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::new(code, format!("Request header {header} cannot be empty."))
                })
        };
        let api_key = get("ok-access-key", Code::KeyHeaderEmpty, "OK-ACCESS-KEY")?;
        let sign = get("ok-access-sign", Code::SignHeaderEmpty, "OK-ACCESS-SIGN")?;
        let timestamp_raw = get(
            "ok-access-timestamp",
            Code::TimestampHeaderEmpty,
            "OK-ACCESS-TIMESTAMP",
        )?;
        let passphrase = get(
            "ok-access-passphrase",
            Code::PassphraseHeaderEmpty,
            "OK-ACCESS-PASSPHRASE",
        )?;
        let timestamp_ms = parse_timestamp(&timestamp_raw)
            .ok_or_else(|| ApiError::new(Code::InvalidTimestamp, "Invalid OK-ACCESS-TIMESTAMP"))?;
        Ok(Credentials {
            api_key,
            timestamp_raw,
            timestamp_ms,
            sign,
            passphrase,
        })
    }

    /// Whether the timestamp is within the window around `server_ms`.
    pub(crate) fn in_window(&self, server_ms: i64) -> bool {
        (self.timestamp_ms - server_ms).abs() <= WINDOW_MS
    }

    /// Whether the passphrase header is the key's.
    pub(crate) fn passphrase_matches(&self, passphrase: Option<&SecretString>) -> bool {
        let Some(passphrase) = passphrase else {
            return false;
        };
        // Allowed: the passphrase is checked here like a signature.
        #[allow(clippy::disallowed_methods)]
        let want = passphrase.expose_secret().as_bytes();
        constant_time_eq(want, self.passphrase.as_bytes())
    }

    /// The pre-hash for a request: timestamp, method, path (and `?query`), body.
    pub(crate) fn pre_hash(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Vec<u8> {
        let mut s = Vec::with_capacity(64 + path.len() + query.len() + body.len());
        s.extend_from_slice(self.timestamp_raw.as_bytes());
        s.extend_from_slice(method.as_bytes());
        s.extend_from_slice(path.as_bytes());
        if !query.is_empty() {
            s.push(b'?');
            s.extend_from_slice(query.as_bytes());
        }
        s.extend_from_slice(body);
        s
    }

    /// Whether `OK-ACCESS-SIGN` is the base64 HMAC-SHA256 of the pre-hash.
    pub(crate) fn signature_matches(
        &self,
        secret: &SecretString,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> bool {
        let Some(tag) = base64_decode(&self.sign) else {
            return false;
        };
        // Allowed: this is where a signature is computed.
        #[allow(clippy::disallowed_methods)]
        let key = secret.expose_secret().as_bytes();
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
            return false;
        };
        mac.update(&self.pre_hash(method, path, query, body));
        mac.verify_slice(&tag).is_ok()
    }
}

/// Whether `sign` is the base64 HMAC-SHA256, keyed with `secret`, of the WebSocket login's
/// text: `timestamp` (Unix seconds, as received) + `GET` + `/users/self/verify`
/// (docs/venues/okx.md "Private stream"). Compared in constant time.
pub(crate) fn login_sign_matches(secret: &SecretString, timestamp: &str, sign: &str) -> bool {
    let Some(tag) = base64_decode(sign) else {
        return false;
    };
    // Allowed: this is where a signature is computed.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b"GET/users/self/verify");
    mac.verify_slice(&tag).is_ok()
}

/// Whether a passphrase sent in a WebSocket login is the key's (constant time).
pub(crate) fn passphrase_is(passphrase: Option<&SecretString>, sent: &str) -> bool {
    let Some(passphrase) = passphrase else {
        return false;
    };
    // Allowed: the passphrase is checked here like a signature.
    #[allow(clippy::disallowed_methods)]
    let want = passphrase.expose_secret().as_bytes();
    constant_time_eq(want, sent.as_bytes())
}

/// Reads `YYYY-MM-DDTHH:MM:SS.sssZ`, the only shape OKX documents, into Unix ms.
fn parse_timestamp(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    let shape = b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z';
    if !shape {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Decodes standard base64 with padding (RFC 4648 §4); `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let quads = bytes.chunks(4).count();
    for (i, quad) in bytes.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

/// Compares two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn creds(ts: &str, sign: &str) -> Credentials {
        let mut h = HeaderMap::new();
        h.insert("ok-access-key", HeaderValue::from_static("k"));
        h.insert("ok-access-sign", HeaderValue::from_str(sign).unwrap());
        h.insert("ok-access-timestamp", HeaderValue::from_str(ts).unwrap());
        h.insert("ok-access-passphrase", HeaderValue::from_static("Pass1!xy"));
        Credentials::from_headers(&h).unwrap()
    }

    /// Fixtures from docs/venues/okx.md §3 (self-computed with Python `hmac`, not official).
    #[test]
    fn reference_fixtures_verify() {
        let secret = SecretString::from("22582BD0CFF14C41EDBF1AB98506286D");
        let get = creds(
            "2020-12-08T09:08:57.715Z",
            "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=",
        );
        assert!(get.signature_matches(&secret, "GET", "/api/v5/account/balance", "ccy=BTC", b""));
        assert!(!get.signature_matches(&secret, "GET", "/api/v5/account/balance", "ccy=ETH", b""));
        assert!(!get.signature_matches(&secret, "POST", "/api/v5/account/balance", "ccy=BTC", b""));
        let post = creds(
            "2020-12-08T09:08:57.715Z",
            "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8=",
        );
        let body = br#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#;
        assert!(post.signature_matches(&secret, "POST", "/api/v5/account/set-leverage", "", body));
        // Re-serialized JSON is different bytes: refused (docs/venues/README.md §2.1).
        let spaced = br#"{"instId": "BTC-USDT","lever":"5","mgnMode":"isolated"}"#;
        assert!(!post.signature_matches(
            &secret,
            "POST",
            "/api/v5/account/set-leverage",
            "",
            spaced
        ));
    }

    #[test]
    fn timestamps_must_have_the_documented_shape_and_window() {
        let c = creds("2020-12-08T09:08:57.715Z", "AAAA");
        assert_eq!(c.timestamp_ms, 1_607_418_537_715);
        assert!(c.in_window(1_607_418_537_715 + 30_000));
        assert!(!c.in_window(1_607_418_537_715 + 30_001));
        assert!(!c.in_window(1_607_418_537_715 - 30_001));
        for bad in [
            "1607418537715",
            "2020-12-08T09:08:57Z",
            "2020-12-08T09:08:57.715+00:00",
            "2020-12-08 09:08:57.715Z",
        ] {
            let mut h = HeaderMap::new();
            h.insert("ok-access-key", HeaderValue::from_static("k"));
            h.insert("ok-access-sign", HeaderValue::from_static("AAAA"));
            h.insert("ok-access-timestamp", HeaderValue::from_str(bad).unwrap());
            h.insert("ok-access-passphrase", HeaderValue::from_static("p"));
            let err = Credentials::from_headers(&h).unwrap_err();
            assert_eq!(err.code, Code::InvalidTimestamp, "{bad}");
        }
    }

    #[test]
    fn empty_headers_have_their_own_codes() {
        let mut h = HeaderMap::new();
        assert_eq!(
            Credentials::from_headers(&h).unwrap_err().code,
            Code::KeyHeaderEmpty
        );
        h.insert("ok-access-key", HeaderValue::from_static("k"));
        h.insert("ok-access-sign", HeaderValue::from_static("AAAA"));
        h.insert(
            "ok-access-timestamp",
            HeaderValue::from_static("2020-12-08T09:08:57.715Z"),
        );
        assert_eq!(
            Credentials::from_headers(&h).unwrap_err().code,
            Code::PassphraseHeaderEmpty
        );
    }

    #[test]
    fn passphrase_compares_whole() {
        let c = creds("2020-12-08T09:08:57.715Z", "AAAA");
        assert!(c.passphrase_matches(Some(&SecretString::from("Pass1!xy"))));
        assert!(!c.passphrase_matches(Some(&SecretString::from("Pass1!x"))));
        assert!(!c.passphrase_matches(None));
    }

    #[test]
    fn base64_decodes_rfc4648_vectors_and_refuses_junk() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_decode(coded).unwrap(), plain.as_bytes(), "{coded}");
        }
        for junk in ["Zg=", "Z===", "Zm9v!A==", "Zg==Zg=="] {
            assert!(base64_decode(junk).is_none(), "{junk}");
        }
    }
}
