//! Bitget request signing (docs/venues/bitget.md §2).
//!
//! Pre-hash: `timestamp + METHOD + requestPath + ("?" + queryString when there is one) + body`,
//! the timestamp being the `ACCESS-TIMESTAMP` value (Unix milliseconds), the query exactly as
//! sent and the body the raw JSON of a POST (nothing for a GET). HMAC-SHA256 with the secret,
//! standard base64. The passphrase travels in `ACCESS-PASSPHRASE` and, like the key id and the
//! signature, is redacted wherever the request is shown. Bitget publishes no vector with a
//! secret: the cases below are computed with `openssl` and documented as such (§3).

use crate::exchanges::signing::{base64, hmac_sha256};
use crate::exchanges::{Header, Method, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The string Bitget signs for a request.
pub fn prehash(timestamp: &str, method: &str, path_and_query: &str, body: &str) -> String {
    format!("{timestamp}{method}{path_and_query}{body}")
}

/// The signature of a pre-hash string: base64 of its HMAC-SHA256.
pub fn sign_prehash(secret: &SecretString, prehash: &str) -> String {
    base64(&hmac_sha256(secret, prehash.as_bytes()))
}

/// Adds the `ACCESS-*` headers to a request.
pub fn sign(request: Request, credential: &Credential, now_ms: i64) -> SignedRequest {
    let ts = now_ms.to_string();
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
    // An absent passphrase is sent empty: Bitget answers 40011, which says what is missing.
    #[allow(clippy::disallowed_methods)] // signing: the passphrase is a request header
    let passphrase = credential
        .passphrase()
        .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
        .unwrap_or_default();
    let headers = vec![
        Header::sensitive("ACCESS-KEY", credential.key.as_str()),
        Header::sensitive("ACCESS-SIGN", signature),
        Header::shown("ACCESS-TIMESTAMP", ts),
        Header::sensitive("ACCESS-PASSPHRASE", passphrase),
        Header::shown("Content-Type", "application/json"),
        Header::shown("locale", "en-US"),
    ];
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    #[test]
    fn self_computed_vectors() {
        // docs/venues/bitget.md §3: computed with `openssl dgst -sha256 -hmac … -binary |
        // base64`, not official (Bitget publishes none with a secret). The first pre-hash is
        // the docs' own example string, 14-digit timestamp and all.
        let secret = SecretString::from("bitget-test-secret");
        let cases = [
            (
                "16273667805456",
                "GET",
                "/api/mix/v2/market/depth?limit=20&symbol=BTCUSDT",
                "",
                "WtsFnFmSuOeEzqug0GD9yGqAENc0GOd62PkQKoWC9rE=",
            ),
            (
                "1659076670000",
                "POST",
                "/api/v2/spot/trade/cancel-symbol-order",
                r#"{"symbol":"BTCUSDT"}"#,
                "PWE+CLjxeHBP+REFRJSIwiyvzSluM/ElO/SUwgB+0V8=",
            ),
        ];
        for (ts, method, path, body, want) in cases {
            assert_eq!(
                sign_prehash(&secret, &prehash(ts, method, path, body)),
                want
            );
        }
    }

    #[test]
    fn signs_the_bytes_sent_and_hides_secrets() {
        // printf '1704164645678POST/api/v2/user/modify-virtual-subaccount-apikey{…}' |
        //   openssl dgst -sha256 -hmac 'bitget-hand-secret' -binary | base64
        let body = r#"{"ipList":["127.0.0.1"],"label":"locked","passphrase":"abc12345","subAccountApiKey":"bg_k","subAccountUid":"1000002"}"#;
        let cred = Credential::new(
            KeyId::new("bg_fixture_key_0001"),
            SecretString::from("bitget-hand-secret"),
        )
        .with_passphrase(SecretString::from("Pass1phrase"));
        let signed = sign(
            Request::post("/api/v2/user/modify-virtual-subaccount-apikey", body.into()),
            &cred,
            1_704_164_645_678,
        );
        assert_eq!(
            check::wire_lines(&signed),
            [
                "POST /api/v2/user/modify-virtual-subaccount-apikey",
                "ACCESS-KEY: bg_fixture_key_0001",
                "ACCESS-SIGN: k0SbOdGJvZDojegsHO7zUK74eB+qZ2/TDpcaB6+JhLU=",
                "ACCESS-TIMESTAMP: 1704164645678",
                "ACCESS-PASSPHRASE: Pass1phrase",
                "Content-Type: application/json",
                "locale: en-US",
                body,
            ]
        );
        check::debug_hides(
            &signed,
            &[
                "Pass1phrase",
                "abc12345",
                "bg_fixture_key_0001",
                "bitget-hand-secret",
            ],
        );
        let get = sign(
            Request::get("/api/mix/v2/market/depth", "limit=20&symbol=BTCUSDT".into()),
            &Credential::new(KeyId::new("k"), SecretString::from("bitget-test-secret")),
            1_659_076_670_000,
        );
        let text = prehash(
            "1659076670000",
            "GET",
            "/api/mix/v2/market/depth?limit=20&symbol=BTCUSDT",
            "",
        );
        let want = sign_prehash(&SecretString::from("bitget-test-secret"), &text);
        assert!(
            get.headers
                .iter()
                .any(|h| h.name == "ACCESS-SIGN" && h.value.as_str() == want)
        );
    }
}
