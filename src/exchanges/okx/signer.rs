//! OKX V5 request signing (docs/venues/okx.md §2).
//!
//! Pre-hash: `timestamp + METHOD + requestPath + body`, where the timestamp is the
//! `OK-ACCESS-TIMESTAMP` value (ISO-8601 UTC with milliseconds, `2020-12-08T09:08:57.715Z`), the
//! request path carries the query string exactly as sent (`/api/v5/account/balance?ccy=BTC`) and
//! the body is the raw JSON of a POST (nothing for a GET). HMAC-SHA256 with the secret, standard
//! base64 (with padding). The passphrase travels in its own header and, like the key id and the
//! signature, is redacted wherever the request is shown. Checked against the docs/venues/okx.md §3
//! fixtures and a case computed with `openssl` below. Base64 comes from `exchanges/signing.rs`.

use chrono::{DateTime, SecondsFormat};

use crate::exchanges::signing::{base64, hmac_sha256};
use crate::exchanges::{Header, Method, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The `OK-ACCESS-TIMESTAMP` for Unix ms: ISO-8601 UTC with milliseconds.
pub fn timestamp(now_ms: i64) -> String {
    DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The string OKX signs for a request.
pub fn prehash(timestamp: &str, method: &str, path_and_query: &str, body: &str) -> String {
    format!("{timestamp}{method}{path_and_query}{body}")
}

/// The signature of a pre-hash string: base64 of its HMAC-SHA256.
pub fn sign_prehash(secret: &SecretString, prehash: &str) -> String {
    base64(&hmac_sha256(secret, prehash.as_bytes()))
}

/// Adds the `OK-ACCESS-*` headers (and `x-simulated-trading: 1` in demo trading) to a request.
pub fn sign(request: Request, credential: &Credential, now_ms: i64, demo: bool) -> SignedRequest {
    let ts = timestamp(now_ms);
    let body = match request.method {
        Method::Post => request.body.clone().unwrap_or_default(),
        Method::Get | Method::Delete | Method::Put => String::new(),
    };
    let prehash = prehash(
        &ts,
        request.method.as_str(),
        &request.path_and_query(),
        &body,
    );
    let signature = sign_prehash(credential.secret(), &prehash);
    // An absent passphrase is sent empty: OKX answers 50104, which says what is missing.
    #[allow(clippy::disallowed_methods)] // signing: the passphrase is a request header
    let passphrase = credential
        .passphrase()
        .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
        .unwrap_or_default();
    let mut headers = vec![
        Header::sensitive("OK-ACCESS-KEY", credential.key.as_str()),
        Header::sensitive("OK-ACCESS-SIGN", signature),
        Header::shown("OK-ACCESS-TIMESTAMP", ts),
        Header::sensitive("OK-ACCESS-PASSPHRASE", passphrase),
        Header::shown("Content-Type", "application/json"),
    ];
    if demo {
        // docs/venues/okx.md §1: demo trading is the same host with this header.
        headers.push(Header::shown("x-simulated-trading", "1"));
    }
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    fn docs_secret() -> SecretString {
        // The docs' example SecretKey (docs/venues/okx.md §3).
        SecretString::from("22582BD0CFF14C41EDBF1AB98506286D")
    }

    #[test]
    fn reference_fixtures() {
        // docs/venues/okx.md §3 (self-computed with Python's hmac, not official).
        let cases = [
            (
                "GET",
                "/api/v5/account/balance?ccy=BTC",
                "",
                "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=",
            ),
            (
                "POST",
                "/api/v5/account/set-leverage",
                r#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#,
                "eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8=",
            ),
        ];
        for (method, path, body, want) in cases {
            let text = prehash("2020-12-08T09:08:57.715Z", method, path, body);
            assert_eq!(sign_prehash(&docs_secret(), &text), want, "{method}");
        }
    }

    #[test]
    fn hand_computed_case() {
        // Computed outside this code:
        // printf '2024-01-02T03:04:05.678ZPOST/api/v5/users/subaccount/modify-apikey{"apiKey":"k","ip":"127.0.0.1","subAcct":"gridbot01"}' \
        //   | openssl dgst -sha256 -hmac 'okx-hand-secret' -binary | base64
        let body = r#"{"apiKey":"k","ip":"127.0.0.1","subAcct":"gridbot01"}"#;
        let text = prehash(
            "2024-01-02T03:04:05.678Z",
            "POST",
            "/api/v5/users/subaccount/modify-apikey",
            body,
        );
        assert_eq!(
            sign_prehash(&SecretString::from("okx-hand-secret"), &text),
            "5F0SQ3QkFbqbUgsfFf7Mrx/Ld5AvcJcuH7GazGnO4Ac="
        );
        // 2024-01-02T03:04:05.678Z is 1704164645678 ms.
        assert_eq!(timestamp(1_704_164_645_678), "2024-01-02T03:04:05.678Z");
    }

    #[test]
    fn signs_query_and_body_as_sent_and_redacts_secrets() {
        let cred = Credential::new(KeyId::new("okx-fixture-key-0001"), docs_secret())
            .with_passphrase(SecretString::from("Pass-phrase1"));
        // 2020-12-08T09:08:57.715Z
        let now = 1_607_418_537_715;
        let get = sign(
            Request::get("/api/v5/account/balance", "ccy=BTC".into()),
            &cred,
            now,
            false,
        );
        let header = |signed: &SignedRequest, name: &str| {
            signed
                .headers
                .iter()
                .find(|h| h.name == name)
                .map(|h| h.value.as_str().to_owned())
        };
        assert_eq!(
            header(&get, "OK-ACCESS-SIGN").as_deref(),
            Some("HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=")
        );
        assert_eq!(
            header(&get, "OK-ACCESS-TIMESTAMP").as_deref(),
            Some("2020-12-08T09:08:57.715Z")
        );
        assert_eq!(header(&get, "x-simulated-trading"), None);
        let post = sign(
            Request::post(
                "/api/v5/account/set-leverage",
                r#"{"instId":"BTC-USDT","lever":"5","mgnMode":"isolated"}"#.into(),
            ),
            &cred,
            now,
            true,
        );
        assert_eq!(
            header(&post, "OK-ACCESS-SIGN").as_deref(),
            Some("eCnnCgWLjlQ9XnpUkrcny3qNq3WW/81KNrDr/XR6Xv8=")
        );
        assert_eq!(header(&post, "x-simulated-trading").as_deref(), Some("1"));
        let shown = post.to_string();
        for secret in ["Pass-phrase1", "okx-fixture-key-0001", "eCnnCgWLjlQ9"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn debug_lines_show_no_secret_and_the_bytes_sent_stay_the_same() {
        let cred = Credential::new(KeyId::new("okx-fixture-key-0001"), docs_secret())
            .with_passphrase(SecretString::from("Pass-phrase1"));
        let body = r#"{"label":"bot","passphrase":"New-pass9!","subAcct":"gridbot01"}"#;
        let signed = sign(
            Request::post("/api/v5/users/subaccount/apikey", body.into()),
            &cred,
            1_607_418_537_715,
            false,
        );
        assert_eq!(
            check::wire_lines(&signed),
            [
                "POST /api/v5/users/subaccount/apikey",
                "OK-ACCESS-KEY: okx-fixture-key-0001",
                "OK-ACCESS-SIGN: b8wc6k4CgH/tvEiEkcYkv/WYDtggWJyXPJCdaLmeqHU=",
                "OK-ACCESS-TIMESTAMP: 2020-12-08T09:08:57.715Z",
                "OK-ACCESS-PASSPHRASE: Pass-phrase1",
                "Content-Type: application/json",
                r#"{"label":"bot","passphrase":"New-pass9!","subAcct":"gridbot01"}"#,
            ]
        );
        check::debug_hides(
            &signed,
            &[
                "Pass-phrase1",
                "New-pass9!",
                "okx-fixture-key-0001",
                "22582BD0CFF14C41EDBF1AB98506286D",
            ],
        );
    }
}
