//! BingX request signing (docs/venues/bingx.md §2, §3).
//!
//! A signed request carries `timestamp` (Unix ms) among its parameters and `signature` after
//! them: the lowercase hex HMAC-SHA256, under the secret, of the parameters as `k=v&…`. The key
//! id travels in `X-BX-APIKEY`.
//! - Parameters in the query (every GET and DELETE, and the trade POSTs as CCXT sends them):
//!   the query exactly as sent, `signature` appended. lockdown sends only values that need no
//!   percent-encoding there (symbols, numbers, ids), so the text signed is the text sent whether
//!   BingX reads it encoded or decoded.
//! - Parameters in a JSON body (the sub-account POSTs, whose docs example uses one): the fields
//!   sorted a→z, arrays written as compact JSON (`[1,2]`, `["127.0.0.1"]`), then the same fields
//!   and `signature` in the body, `Content-Type: application/json`.
//!
//! BingX's published example is wrong (its one signature is given for two different strings,
//! and matches neither): the vectors below are ours, computed with Python's `hmac` and
//! `openssl`, and documented as such. The signature is redacted wherever the request is shown.

use serde_json::{Map, Value};

use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::{Header, Request, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The text signed for a JSON body's fields: sorted by name, `k=v` joined by `&`, strings as
/// they are and everything else as compact JSON.
pub fn sorted_text(fields: &Map<String, Value>) -> String {
    let mut names: Vec<&String> = fields.keys().filter(|k| *k != "signature").collect();
    names.sort();
    names
        .into_iter()
        .map(|name| match &fields[name] {
            Value::String(s) => format!("{name}={s}"),
            other => format!("{name}={other}"),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature of a text: lowercase hex HMAC-SHA256 under the secret.
pub fn sign_text(secret: &SecretString, text: &str) -> String {
    hmac_sha256_hex(secret, text.as_bytes())
}

/// Adds `timestamp` and `signature` to a request's parameters and the `X-BX-APIKEY` header.
pub fn sign(mut request: Request, credential: &Credential, now_ms: i64) -> SignedRequest {
    let mut headers = vec![Header::sensitive("X-BX-APIKEY", credential.key.as_str())];
    let json_body = request
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        });
    match json_body {
        Some(mut fields) => {
            fields.insert("timestamp".to_owned(), Value::from(now_ms));
            let signature = sign_text(credential.secret(), &sorted_text(&fields));
            fields.insert("signature".to_owned(), Value::from(signature));
            request.body = Some(Value::Object(fields).to_string());
            headers.push(Header::shown("Content-Type", "application/json"));
        }
        None => {
            let timed = if request.query.is_empty() {
                format!("timestamp={now_ms}")
            } else {
                format!("{}&timestamp={now_ms}", request.query)
            };
            let signature = sign_text(credential.secret(), &timed);
            request.query = format!("{timed}&signature={signature}");
        }
    }
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Method;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    /// The key and secret of BingX's signing example (docs/venues/bingx.md §3).
    const DOCS_KEY: &str =
        "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A";
    const DOCS_SECRET: &str =
        "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w";

    /// The signature BingX publishes for both of its example strings.
    const PUBLISHED: &str = "1e63e8cfd1c04919881e60cf369e404b9b7c87d3a09bc300f1abfdcce7da57e8";

    #[test]
    fn our_vectors_and_the_published_example_is_wrong() {
        let secret = SecretString::from(DOCS_SECRET);
        // Computed with Python's hmac and `openssl dgst -sha256 -hmac` (docs/venues/bingx.md §3).
        for (text, ours) in [
            (
                "recvWindow=0&symbol=BTC-USDT&timestamp=1696751141337",
                "f8d883609dfd31c824feb4de865b071008dedb1d461451fa70847875c8e7a7a2",
            ),
            (
                "recvWindow=0&subAccountString=abc12345&timestamp=1696751141337",
                "8d0d3ea9b592be3678c33332ab13e9102e093e67255921e15a581146c87c272f",
            ),
        ] {
            let got = sign_text(&secret, text);
            assert_eq!(got, ours, "{text}");
            assert_ne!(
                got, PUBLISHED,
                "the published signature does not sign {text}"
            );
        }
    }

    #[test]
    fn a_query_is_signed_as_sent_and_redacted() {
        let cred = Credential::new(KeyId::new(DOCS_KEY), SecretString::from(DOCS_SECRET));
        let request = Request::get(
            "/openApi/spot/v1/trade/openOrders",
            "symbol=BTC-USDT".into(),
        );
        let signed = sign(request, &cred, 1_696_751_141_337);
        let want = sign_text(
            &SecretString::from(DOCS_SECRET),
            "symbol=BTC-USDT&timestamp=1696751141337",
        );
        assert_eq!(
            signed.request.query,
            format!("symbol=BTC-USDT&timestamp=1696751141337&signature={want}")
        );
        assert_eq!(signed.headers[0].name, "X-BX-APIKEY");
        check::debug_hides(&signed, &[DOCS_KEY, &want]);
    }

    #[test]
    fn a_json_body_is_signed_sorted_with_arrays_as_json() {
        let cred = Credential::new(KeyId::new(DOCS_KEY), SecretString::from(DOCS_SECRET));
        let request = Request {
            method: Method::Post,
            path: "/openApi/subAccount/v1/apiKey/edit".into(),
            query: String::new(),
            body: Some(
                r#"{"subUid":"1000002","apiKey":"k","note":"bot","permissions":[1,2],"ipAddresses":["127.0.0.1"]}"#
                    .into(),
            ),
            mutating: true,
        };
        let signed = sign(request, &cred, 1_696_751_141_337);
        let want = sign_text(
            &SecretString::from(DOCS_SECRET),
            r#"apiKey=k&ipAddresses=["127.0.0.1"]&note=bot&permissions=[1,2]&subUid=1000002&timestamp=1696751141337"#,
        );
        let body: Value = serde_json::from_str(signed.request.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["signature"], want.as_str());
        assert_eq!(body["timestamp"], 1_696_751_141_337_i64);
        assert!(signed.request.query.is_empty());
        assert!(
            signed
                .headers
                .iter()
                .any(|h| h.name == "Content-Type" && h.value.as_str() == "application/json")
        );
        check::debug_hides(&signed, &[DOCS_KEY, &want]);
    }
}
