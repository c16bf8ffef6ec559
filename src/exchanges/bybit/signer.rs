//! Bybit V5 request signing (docs/venues/bybit.md §2).
//!
//! Pre-hash: `timestamp + api_key + recv_window + payload`, where the payload is the query string
//! exactly as sent (GET) or the raw body (POST); HMAC-SHA256 with the secret, lowercase hex.
//! Checked against the docs/venues/bybit.md §3 fixtures and a hand-computed case below.

use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::{Header, Method, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The receive window sent with every request, in milliseconds (Bybit's default).
pub const RECV_WINDOW_MS: i64 = 5_000;

/// The string Bybit signs for a request.
pub fn prehash(timestamp_ms: i64, api_key: &str, recv_window_ms: i64, payload: &str) -> String {
    format!("{timestamp_ms}{api_key}{recv_window_ms}{payload}")
}

/// The signature of a pre-hash string.
pub fn sign_prehash(secret: &SecretString, prehash: &str) -> String {
    hmac_sha256_hex(secret, prehash.as_bytes())
}

/// Adds the `X-BAPI-*` headers to a request.
pub fn sign(request: Request, credential: &Credential, now_ms: i64) -> SignedRequest {
    let payload = match request.method {
        Method::Get | Method::Delete | Method::Put => request.query.clone(),
        Method::Post => request.body.clone().unwrap_or_default(),
    };
    let prehash = prehash(now_ms, credential.key.as_str(), RECV_WINDOW_MS, &payload);
    let signature = sign_prehash(credential.secret(), &prehash);
    let mut headers = vec![
        Header::sensitive("X-BAPI-API-KEY", credential.key.as_str()),
        Header::shown("X-BAPI-TIMESTAMP", now_ms.to_string()),
        Header::shown("X-BAPI-RECV-WINDOW", RECV_WINDOW_MS.to_string()),
        Header::sensitive("X-BAPI-SIGN", signature),
    ];
    if request.method == Method::Post {
        headers.push(Header::shown("Content-Type", "application/json"));
    }
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    /// The reference's placeholder key id: ten `X`s (docs/venues/bybit.md §3).
    fn fixture_key() -> String {
        "X".repeat(10)
    }

    fn secret() -> SecretString {
        SecretString::from("bybit-test-secret")
    }

    #[test]
    fn reference_fixtures() {
        // docs/venues/bybit.md §3 (self-computed with Python's hmac).
        let cases = [
            (
                "GET",
                1_658_384_314_791,
                "category=option&symbol=BTC-29JUL22-25000-C",
                "603cf75a23e0bd0a5226adb8f4f42accf1a7b89145fc1c05d3ec5f6855b26c67",
            ),
            (
                "POST",
                1_658_385_579_423,
                r#"{"category": "option"}"#,
                "0b6c1a0303aa265223e936cc8820dba57780ea6063a9e08473dcb575c5ca3a7c",
            ),
        ];
        for (label, ts, payload, want) in cases {
            let text = prehash(ts, &fixture_key(), 5_000, payload);
            assert_eq!(sign_prehash(&secret(), &text), want, "{label}");
        }
    }

    #[test]
    fn hand_computed_case() {
        // Computed outside this code: prehash = "1700000000000" + "KEY" + "5000" + "a=1", then
        // `printf '1700000000000KEY5000a=1' | openssl dgst -sha256 -hmac key`.
        let text = prehash(1_700_000_000_000, "KEY", 5_000, "a=1");
        assert_eq!(text, "1700000000000KEY5000a=1");
        assert_eq!(
            sign_prehash(&SecretString::from("key"), &text),
            "25f29c88b09fda654129786c6d41addac3a4a895b2197f1e658d16418c4d5c72"
        );
    }

    #[test]
    fn signs_get_query_and_post_body_as_sent() {
        let cred = Credential::new(KeyId::new(fixture_key()), secret());
        let get = sign(
            Request::get(
                "/v5/order/realtime",
                "category=option&symbol=BTC-29JUL22-25000-C".into(),
            ),
            &cred,
            1_658_384_314_791,
        );
        let sig = get
            .headers
            .iter()
            .find(|h| h.name == "X-BAPI-SIGN")
            .unwrap();
        assert_eq!(
            sig.value.as_str(),
            "603cf75a23e0bd0a5226adb8f4f42accf1a7b89145fc1c05d3ec5f6855b26c67"
        );
        let post = sign(
            Request::post("/v5/order/cancel-all", r#"{"category": "option"}"#.into()),
            &cred,
            1_658_385_579_423,
        );
        let sig = post
            .headers
            .iter()
            .find(|h| h.name == "X-BAPI-SIGN")
            .unwrap();
        assert_eq!(
            sig.value.as_str(),
            "0b6c1a0303aa265223e936cc8820dba57780ea6063a9e08473dcb575c5ca3a7c"
        );
        let shown = post.to_string();
        assert!(!shown.contains(&fixture_key()), "{shown}");
        assert!(!shown.contains(sig.value.as_str()), "{shown}");
    }

    #[test]
    fn debug_lines_show_no_secret_and_the_bytes_sent_stay_the_same() {
        let cred = Credential::new(KeyId::new(fixture_key()), secret());
        let signed = sign(
            Request::post("/v5/order/cancel-all", r#"{"category":"spot"}"#.into()),
            &cred,
            1_658_385_579_423,
        );
        let lines = check::wire_lines(&signed);
        assert_eq!(
            lines,
            [
                "POST /v5/order/cancel-all",
                "X-BAPI-API-KEY: XXXXXXXXXX",
                "X-BAPI-TIMESTAMP: 1658385579423",
                "X-BAPI-RECV-WINDOW: 5000",
                "X-BAPI-SIGN: 9a610809e1f30645e31c9fa5f70f2ac6013bad3c2435bf7ce42b3771ea66cdb9",
                "Content-Type: application/json",
                r#"{"category":"spot"}"#,
            ]
        );
        let signature = lines[4].trim_start_matches("X-BAPI-SIGN: ").to_owned();
        check::debug_hides(&signed, &[&fixture_key(), &signature]);
    }
}
