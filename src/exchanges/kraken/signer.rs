//! Kraken Spot REST request signing (docs/venues/kraken.md §2, checked against the published vector
//! docs/venues/kraken.md §3).
//!
//! `API-Sign = base64(HMAC-SHA512(key = base64decode(secret), msg = URI path + SHA256(nonce +
//! POST data)))`: the path from `/0/private/`, followed by the *raw* 32 bytes of the SHA-256 of
//! the nonce's decimal digits and the exact body sent (form-encoded here, nonce included). The
//! key id travels in `API-Key`; both headers are redacted wherever the request is shown. A secret
//! that is not base64 gets an empty signature, which Kraken refuses as `EAPI:Invalid signature`
//! (the hint then points at the secret). Public requests are not signed.

use crate::exchanges::signing::{base64, hmac_sha512_base64_key, sha256};
use crate::exchanges::{Header, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The bytes Kraken MACs: the path, then SHA-256(nonce + body) raw.
pub fn message(path: &str, nonce: &str, body: &str) -> Vec<u8> {
    let mut msg = path.as_bytes().to_vec();
    msg.extend(sha256(format!("{nonce}{body}").as_bytes()));
    msg
}

/// `API-Sign` for a message: base64 of its HMAC-SHA512 under the decoded secret; empty when the
/// secret is not base64.
pub fn sign_message(secret: &SecretString, message: &[u8]) -> String {
    hmac_sha512_base64_key(secret, message)
        .map(|mac| base64(&mac))
        .unwrap_or_default()
}

/// Adds `API-Key`, `API-Sign` and the form content type to a private request whose body
/// carries `nonce` (the same decimal digits the endpoint wrote into the body).
pub fn sign(request: Request, credential: &Credential, nonce: &str) -> SignedRequest {
    let body = request.body.clone().unwrap_or_default();
    let signature = sign_message(credential.secret(), &message(&request.path, nonce, &body));
    let headers = vec![
        Header::sensitive("API-Key", credential.key.as_str()),
        Header::sensitive("API-Sign", signature),
        Header::shown("Content-Type", "application/x-www-form-urlencoded"),
    ];
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Method;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    /// docs/venues/kraken.md §3 (Kraken's published example, verified there with Python).
    const DOCS_SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

    #[test]
    fn published_vector() {
        let body =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        let msg = message("/0/private/AddOrder", "1616492376594", body);
        assert_eq!(
            sign_message(&SecretString::from(DOCS_SECRET), &msg),
            "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
        );
    }

    #[test]
    fn hand_computed_case() {
        // Computed outside this code, with openssl only (the secret is base64 of the ASCII text
        // `lockdown-kraken-hand-secret-0001`, whose hex is the HMAC key):
        // { printf '/0/private/CancelAllOrdersAfter';
        //   printf '%s' '1700000000123nonce=1700000000123&timeout=60' | openssl dgst -sha256 -binary; } \
        //   | openssl dgst -sha512 -mac HMAC \
        //       -macopt hexkey:6c6f636b646f776e2d6b72616b656e2d68616e642d7365637265742d30303031 -binary \
        //   | base64 -w0
        let secret = SecretString::from("bG9ja2Rvd24ta3Jha2VuLWhhbmQtc2VjcmV0LTAwMDE=");
        let msg = message(
            "/0/private/CancelAllOrdersAfter",
            "1700000000123",
            "nonce=1700000000123&timeout=60",
        );
        assert_eq!(
            sign_message(&secret, &msg),
            "HeQ7kYBQ1qUJvjTHN2GSCjnngmgQVaL076u3HJ+zD0QZQuKP+DecJ8opaPCg9KTGWofFRxxrHCDc5mHP4IEmpQ=="
        );
    }

    #[test]
    fn signs_the_body_as_sent_and_redacts_the_key_and_signature() {
        let cred = Credential::new(
            KeyId::new("kraken-fixture-key-000000000000000000"),
            SecretString::from(DOCS_SECRET),
        );
        let body =
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        let request = Request {
            method: Method::Post,
            path: "/0/private/AddOrder".into(),
            query: String::new(),
            body: Some(body.into()),
            mutating: true,
        };
        let signed = sign(request, &cred, "1616492376594");
        let header = |name: &str| {
            signed
                .headers
                .iter()
                .find(|h| h.name == name)
                .map(|h| h.value.as_str().to_owned())
        };
        assert_eq!(
            header("API-Sign").as_deref(),
            Some(
                "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
            )
        );
        assert_eq!(
            header("Content-Type").as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(signed.request.body.as_deref(), Some(body), "sent as signed");
        let shown = signed.to_string();
        for secret in ["kraken-fixture-key", "4/dpxb3iT4tp"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        // A secret that is not base64 signs nothing rather than something wrong.
        let bad = Credential::new(KeyId::new("k"), SecretString::from("not base64"));
        let signed = sign(
            Request::post("/0/private/Balance", "nonce=1".into()),
            &bad,
            "1",
        );
        assert_eq!(signed.headers[1].value.as_str(), "");
    }

    #[test]
    fn debug_lines_show_no_secret_and_the_bytes_sent_stay_the_same() {
        let cred = Credential::new(
            KeyId::new("kraken-fixture-key"),
            SecretString::from(DOCS_SECRET),
        );
        let signed = sign(
            Request::post("/0/private/CancelAll", "nonce=1616492376594".into()),
            &cred,
            "1616492376594",
        );
        let lines = check::wire_lines(&signed);
        assert_eq!(
            lines,
            [
                "POST /0/private/CancelAll",
                "API-Key: kraken-fixture-key",
                "API-Sign: OfXInJKG/CGUVlF8/2IGsoLjxoXdjGyjKbm/G/iWqfYNVVdF97YvCNsSn7F2MNZScPQycb4EsrhJFm5OtQCTYQ==",
                "Content-Type: application/x-www-form-urlencoded",
                "nonce=1616492376594",
            ]
        );
        let signature = lines[2].trim_start_matches("API-Sign: ").to_owned();
        check::debug_hides(&signed, &["kraken-fixture-key", &signature]);
    }
}
