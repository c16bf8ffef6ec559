//! BitMEX request signing (docs/venues/bitmex.md §2, checked against BitMEX's published vectors,
//! docs/venues/bitmex.md §3).
//!
//! `api-signature = hex(HMAC-SHA256(secret, VERB + path + expires + data))`: `path` from
//! `/api/v1/…` with the query string exactly as sent, `expires` the request's `api-expires` (Unix
//! seconds after which BitMEX refuses it), `data` the exact body or nothing. The key id travels
//! in `api-key`; the key id and the signature are redacted wherever the request is shown.

use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::{Header, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// How far ahead of the exchange's clock a request's `api-expires` lies, in seconds. BitMEX's
/// reference clients use 5, the Ruby gem 60 (docs/venues/bitmex.md §2); 10 leaves room for a
/// slow answer and a retry while keeping a captured request short-lived.
pub const EXPIRES_AHEAD_S: i64 = 10;

/// The text BitMEX MACs.
pub fn message(verb: &str, path_and_query: &str, expires: i64, body: &str) -> String {
    format!("{verb}{path_and_query}{expires}{body}")
}

/// `api-signature` for a message.
pub fn sign_message(secret: &SecretString, message: &str) -> String {
    hmac_sha256_hex(secret, message.as_bytes())
}

/// Adds `api-key`, `api-expires`, `api-signature` and, with a body, the JSON content type.
pub fn sign(request: Request, credential: &Credential, now_ms: i64) -> SignedRequest {
    let expires = now_ms.div_euclid(1000) + EXPIRES_AHEAD_S;
    let body = request.body.clone().unwrap_or_default();
    let msg = message(
        request.method.as_str(),
        &request.path_and_query(),
        expires,
        &body,
    );
    let mut headers = vec![
        Header::sensitive("api-key", credential.key.as_str()),
        Header::shown("api-expires", expires.to_string()),
        Header::sensitive("api-signature", sign_message(credential.secret(), &msg)),
    ];
    if request.body.is_some() {
        headers.push(Header::shown("Content-Type", "application/json"));
    }
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Method;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    /// BitMEX's published example key and secret (docs/venues/bitmex.md §3).
    const DOCS_KEY: &str = "LAqUlngMIQkIUjXMUreyu3qn";
    const DOCS_SECRET: &str = "chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO";

    #[test]
    fn published_vectors() {
        let secret = SecretString::from(DOCS_SECRET);
        for (label, verb, path, expires, data, want) in [
            (
                "simple GET",
                "GET",
                "/api/v1/instrument",
                1_518_064_236,
                "",
                "c7682d435d0cfe87c16098df34ef2eb5a549d4c5a3c2b1f0f77b8af73423bf00",
            ),
            (
                "GET with a URL-encoded query",
                "GET",
                "/api/v1/instrument?filter=%7B%22symbol%22%3A+%22XBTM15%22%7D",
                1_518_064_237,
                "",
                "e2f422547eecb5b3cb29ade2127e21b858b235b386bfa45e1c1756eb3383919f",
            ),
            (
                "POST with a JSON body",
                "POST",
                "/api/v1/order",
                1_518_064_238,
                r#"{"symbol":"XBTM15","price":219.0,"clOrdID":"mm_bitmex_1a/oemUeQ4CAJZgP3fjHsA","orderQty":98}"#,
                "1749cd2ccae4aa49048ae09f0b95110cee706e0944e6a14ad0b3a8cb45bd336b",
            ),
            (
                "the legacy nonce form (same MAC over a nonce)",
                "GET",
                "/api/v1/instrument?filter=%7B%22symbol%22%3A+%22XBTM15%22%7D",
                1_429_631_577_690,
                "",
                "9f1753e2db64711e39d111bc2ecace3dc9e7f026e6f65b65c4f53d3d14a60e5f",
            ),
        ] {
            let msg = message(verb, path, expires, data);
            assert_eq!(sign_message(&secret, &msg), want, "{label}");
        }
    }

    #[test]
    fn signs_path_query_expires_and_body_and_redacts() {
        let cred = Credential::new(KeyId::new(DOCS_KEY), SecretString::from(DOCS_SECRET));
        let request = Request {
            method: Method::Post,
            path: "/api/v1/order".into(),
            query: String::new(),
            body: Some(
                r#"{"symbol":"XBTM15","price":219.0,"clOrdID":"mm_bitmex_1a/oemUeQ4CAJZgP3fjHsA","orderQty":98}"#
                    .into(),
            ),
            mutating: true,
        };
        // 1518064238 s is the vector's `expires`; the request is signed that far ahead of now.
        let now_ms = (1_518_064_238 - EXPIRES_AHEAD_S) * 1000 + 999;
        let signed = sign(request, &cred, now_ms);
        let header = |name: &str| {
            signed
                .headers
                .iter()
                .find(|h| h.name == name)
                .map(|h| h.value.as_str().to_owned())
        };
        assert_eq!(header("api-expires").as_deref(), Some("1518064238"));
        assert_eq!(
            header("api-signature").as_deref(),
            Some("1749cd2ccae4aa49048ae09f0b95110cee706e0944e6a14ad0b3a8cb45bd336b")
        );
        assert_eq!(header("Content-Type").as_deref(), Some("application/json"));
        check::debug_hides(
            &signed,
            &[
                DOCS_KEY,
                "1749cd2ccae4aa49048ae09f0b95110cee706e0944e6a14ad0b3a8cb45bd336b",
            ],
        );
        assert!(!signed.to_string().contains(DOCS_KEY));
        // A GET carries no body and no content type; its query is signed as sent.
        let get = sign(
            Request::get("/api/v1/instrument", "filter=%7B%7D".into()),
            &cred,
            now_ms,
        );
        assert!(get.headers.iter().all(|h| h.name != "Content-Type"));
        let want = sign_message(
            &SecretString::from(DOCS_SECRET),
            "GET/api/v1/instrument?filter=%7B%7D1518064238",
        );
        assert_eq!(get.headers[2].value.as_str(), want);
    }
}
