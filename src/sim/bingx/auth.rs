//! The BingX signature check (docs/venues/bingx.md §2): `signature` must be the hex
//! HMAC-SHA256, under the key's secret, of the request's parameters.
//!
//! - Parameters in the query (GET, DELETE and the trade POSTs): the pairs before `signature`,
//!   joined by `&` exactly as received ("splice all parameters, without sorting"); the same
//!   pairs with their values percent-decoded are accepted too, since the docs tell clients to
//!   encode a value after signing it and CCXT signs the unencoded form.
//! - Parameters in a JSON body (the sub-account POSTs): every field but `signature`, sorted
//!   a→z, as `k=v&…`; a string as it is, a number or flag as written, an array or object as
//!   compact JSON (CCXT writes `["a","b"]`).
//!
//! Written apart from the client's signer, so that a shared bug cannot agree with itself.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;

use crate::percent::{self, Plus};
use crate::sim::front::Incoming;

/// Whether `signature` signs the request.
pub(crate) fn signature_matches(secret: &SecretString, req: &Incoming, signature: &str) -> bool {
    candidates(req)
        .iter()
        .any(|text| mac_matches(secret, text.as_bytes(), signature))
}

/// The texts the request could have been signed over.
fn candidates(req: &Incoming) -> Vec<String> {
    let body = std::str::from_utf8(&req.body).unwrap_or("").trim();
    if body.starts_with('{') {
        return match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(map)) => {
                let mut pairs: Vec<(&String, &Value)> =
                    map.iter().filter(|(k, _)| *k != "signature").collect();
                pairs.sort_by(|a, b| a.0.cmp(b.0));
                let text = pairs
                    .into_iter()
                    .map(|(k, v)| format!("{k}={}", json_text(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                vec![text]
            }
            _ => Vec::new(),
        };
    }
    let sent = if req.query.is_empty() {
        body
    } else {
        &req.query
    };
    let pairs: Vec<&str> = sent
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("signature="))
        .collect();
    let decoded: Vec<String> = pairs
        .iter()
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let v = percent::decode(v, Plus::Literal).unwrap_or_else(|| v.to_owned());
            format!("{k}={v}")
        })
        .collect();
    vec![pairs.join("&"), decoded.join("&")]
}

/// A JSON value as it appears in the signed text.
fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn mac_matches(secret: &SecretString, message: &[u8], signature: &str) -> bool {
    let Ok(tag) = hex::decode(signature.trim()) else {
        return false;
    };
    // Allowed: this is where a signature is verified.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes().to_vec();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(message);
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, Method};

    /// The secret of BingX's signing example (docs/venues/bingx.md §3).
    const DOCS_SECRET: &str =
        "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w";

    fn incoming(query: &str, body: &str) -> Incoming {
        Incoming {
            method: Method::POST,
            path: "/openApi/x".to_owned(),
            query: query.to_owned(),
            headers: HeaderMap::new(),
            body: body.to_owned().into(),
            peer: None,
        }
    }

    #[test]
    fn our_vectors_verify_and_the_published_signature_does_not() {
        let secret = SecretString::from(DOCS_SECRET);
        // Computed with Python's hmac and openssl (docs/venues/bingx.md §3): ours, not BingX's.
        let query = "recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337";
        let ours = "f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2";
        let published = "1e63e8cfd1c04919881e60cf369e404b9b7c87d3a09bc300f1abfdcce7da57e8";
        let req = incoming(&format!("{query}&signature={ours}"), "");
        assert!(signature_matches(&secret, &req, ours));
        assert!(!signature_matches(&secret, &req, published));
        let body = r#"{"recvWindow":0,"subAccountString":"abc12345","timestamp":1696751141337,"signature":"x"}"#;
        let ours = "8d0d3ea9b592be3678c33332ab13e9102e093e67255921e15a581146c87c272f";
        assert!(signature_matches(&secret, &incoming("", body), ours));
        assert!(!signature_matches(&secret, &incoming("", body), published));
    }

    #[test]
    fn json_arrays_are_signed_as_compact_json_and_values_may_be_encoded() {
        let secret = SecretString::from("s");
        let body =
            r#"{"timestamp":1,"permissions":[1,2],"ipAddresses":["127.0.0.1"],"apiKey":"k"}"#;
        let text = r#"apiKey=k&ipAddresses=["127.0.0.1"]&permissions=[1,2]&timestamp=1"#;
        let sig = hex::encode(
            <Hmac<Sha256> as KeyInit>::new_from_slice(b"s")
                .unwrap()
                .chain_update(text.as_bytes())
                .finalize()
                .into_bytes(),
        );
        assert!(signature_matches(&secret, &incoming("", body), &sig));
        let raw = "a=x y&timestamp=1";
        let sig = hex::encode(
            <Hmac<Sha256> as KeyInit>::new_from_slice(b"s")
                .unwrap()
                .chain_update(raw.as_bytes())
                .finalize()
                .into_bytes(),
        );
        let sent = format!("a=x%20y&timestamp=1&signature={sig}");
        assert!(signature_matches(&secret, &incoming(&sent, ""), &sig));
    }
}
