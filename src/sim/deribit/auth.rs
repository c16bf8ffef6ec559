//! Deribit authentication, written from the docs (docs/venues/deribit.md §2; docs.deribit.com
//! "Authentication"), on its own: this file must never import the client's signing code
//! (`exchanges/`), or a shared bug would agree with itself.
//!
//! - `client_signature` (`public/auth`): `signature` is the lowercase-hex HMAC-SHA256, keyed
//!   with the client secret, of `timestamp + "\n" + nonce + "\n" + data`.
//! - `deri-hmac-sha256` header: `Authorization: deri-hmac-sha256 id=…,ts=…,sig=…,nonce=…`
//!   (spaces after the commas allowed, as the docs print it), signed over
//!   `ts + "\n" + nonce + "\n" + METHOD + "\n" + path?query + "\n" + body + "\n"`, where the
//!   path, query and body are the raw bytes received.
//!
//! A timestamp is "valid for 60 seconds since generation"; the docs say nothing of timestamps
//! from the future, so the simulator allows 60 seconds either way. A nonce is "single usage"
//! ([`super::replay`]). Signatures are compared in constant time (`Mac::verify_slice`).

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far a signed timestamp may be from the exchange's clock.
pub(crate) const TIMESTAMP_WINDOW_MS: i64 = 60_000;

/// The `deri-hmac-sha256` header's fields, as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderSignature {
    pub(crate) client_id: String,
    pub(crate) timestamp_raw: String,
    pub(crate) timestamp: i64,
    pub(crate) signature: String,
    pub(crate) nonce: String,
}

impl HeaderSignature {
    /// Reads an `Authorization` value; `None` when it is not a complete `deri-hmac-sha256` one.
    pub(crate) fn parse(value: &str) -> Option<HeaderSignature> {
        let rest = value.trim().strip_prefix("deri-hmac-sha256 ")?;
        let (mut id, mut ts, mut sig, mut nonce) = (None, None, None, None);
        for field in rest.split(',') {
            let (name, value) = field.trim().split_once('=')?;
            let slot = match name {
                "id" => &mut id,
                "ts" => &mut ts,
                "sig" => &mut sig,
                "nonce" => &mut nonce,
                _ => return None,
            };
            *slot = Some(value.to_owned());
        }
        let timestamp_raw = ts?;
        Some(HeaderSignature {
            client_id: id.filter(|s| !s.is_empty())?,
            timestamp: timestamp_raw.parse().ok()?,
            timestamp_raw,
            signature: sig?,
            nonce: nonce.filter(|s| !s.is_empty())?,
        })
    }

    /// The string this header signs for a request.
    pub(crate) fn signed_string(&self, method: &str, uri: &str, body: &[u8]) -> Vec<u8> {
        let mut s = Vec::with_capacity(64 + uri.len() + body.len());
        for part in [
            self.timestamp_raw.as_bytes(),
            self.nonce.as_bytes(),
            method.to_ascii_uppercase().as_bytes(),
            uri.as_bytes(),
            body,
        ] {
            s.extend_from_slice(part);
            s.push(b'\n');
        }
        s
    }
}

/// The string `client_signature` signs.
pub(crate) fn client_signature_string(timestamp_raw: &str, nonce: &str, data: &str) -> Vec<u8> {
    format!("{timestamp_raw}\n{nonce}\n{data}").into_bytes()
}

/// Returns true when `timestamp` is within the window around `server_ms`.
pub(crate) fn in_window(timestamp: i64, server_ms: i64) -> bool {
    (timestamp - server_ms).abs() <= TIMESTAMP_WINDOW_MS
}

/// Returns true when `signature` is the lowercase-hex HMAC-SHA256 of `text` under `secret`.
pub(crate) fn signature_matches(secret: &SecretString, text: &[u8], signature: &str) -> bool {
    if signature.bytes().any(|b| b.is_ascii_uppercase()) {
        return false;
    }
    let Ok(tag) = hex::decode(signature) else {
        return false;
    };
    // Allowed: this is where a signature is verified.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(text);
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS")
    }

    /// Fixtures from docs/venues/deribit.md §3 (self-computed with Python `hmac`, not official).
    #[test]
    fn reference_fixtures_verify() {
        let login = client_signature_string("1576074319000", "1iqt2wls", "");
        assert!(signature_matches(
            &secret(),
            &login,
            "2fe846c73df8e9223e3644ec2c0b093474dfe5cd4b4a32c41689d7e04ff0ab15"
        ));
        let header = HeaderSignature::parse(
            "deri-hmac-sha256 id=AMANDA, ts=1576074319000, \
             sig=bda608a810fcfa84059a1e33a072a1b1f2706647f0a50940dc65f0462ee5c4cf, nonce=1iqt2wls",
        )
        .unwrap();
        let text = header.signed_string(
            "GET",
            "/api/v2/private/get_account_summary?currency=BTC",
            b"",
        );
        assert!(signature_matches(&secret(), &text, &header.signature));
        let other = header.signed_string(
            "GET",
            "/api/v2/private/get_account_summary?currency=ETH",
            b"",
        );
        assert!(!signature_matches(&secret(), &other, &header.signature));
        assert!(!signature_matches(
            &secret(),
            &text,
            &header.signature.to_ascii_uppercase()
        ));
    }

    #[test]
    fn malformed_headers_and_windows() {
        assert!(HeaderSignature::parse("Bearer abc").is_none());
        assert!(HeaderSignature::parse("deri-hmac-sha256 id=a,ts=soon,sig=00,nonce=n").is_none());
        assert!(HeaderSignature::parse("deri-hmac-sha256 id=a,ts=1,sig=00").is_none());
        assert!(in_window(100_000, 160_000));
        assert!(!in_window(100_000, 160_001));
        assert!(in_window(160_000, 100_000));
    }
}
