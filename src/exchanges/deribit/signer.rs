//! Deribit v2 authentication (docs/venues/deribit.md §2), both ways.
//!
//! - Token: `public/auth` with `grant_type=client_signature`, signed over
//!   `timestamp + "\n" + nonce + "\n" + data` (empty `data`, so the string ends in `\n`); the
//!   answer's bearer token goes into `Authorization: Bearer …` on every private call, and
//!   `public/exchange_token` turns it into a token for a sub-account.
//! - Signature: `Authorization: deri-hmac-sha256 id=…,ts=…,sig=…,nonce=…` on every request,
//!   signed over `timestamp + "\n" + nonce + "\n" + METHOD + "\n" + URI + "\n" + BODY + "\n"`,
//!   where URI is the path with its query exactly as sent.
//!
//! Both MACs are hex HMAC-SHA256 under the client secret. Login requests travel as JSON-RPC
//! POST bodies so that no signature or refresh token ever sits in a URL (URLs end up in error
//! messages). Checked against the docs/venues/deribit.md §3 fixtures and hand-computed cases below.

use serde_json::{Value, json};

use super::endpoints::rpc_body;
use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::{CallContext, Header, Method, Request, Session, SignedRequest};
use crate::secret::{Credential, SecretString};

/// The string `client_signature` signs (docs/venues/deribit.md §2).
pub fn client_signature_string(timestamp_ms: i64, nonce: &str, data: &str) -> String {
    format!("{timestamp_ms}\n{nonce}\n{data}")
}

/// The string the `deri-hmac-sha256` header signs for one request (docs/venues/deribit.md §2).
pub fn request_string(
    timestamp_ms: i64,
    nonce: &str,
    method: &str,
    uri: &str,
    body: &str,
) -> String {
    format!(
        "{timestamp_ms}\n{nonce}\n{}\n{uri}\n{body}\n",
        method.to_ascii_uppercase()
    )
}

/// The hex HMAC-SHA256 of a string to sign.
pub fn sign_string(secret: &SecretString, text: &str) -> String {
    hmac_sha256_hex(secret, text.as_bytes())
}

/// The `Authorization` value of a per-request signature.
pub fn signature_header(
    client_id: &str,
    timestamp_ms: i64,
    signature: &str,
    nonce: &str,
) -> String {
    format!("deri-hmac-sha256 id={client_id},ts={timestamp_ms},sig={signature},nonce={nonce}")
}

/// `public/auth` with the `client_signature` grant for a key.
pub fn auth_request(credential: &Credential, call: &CallContext<'_>) -> Request {
    let signature = sign_string(
        credential.secret(),
        &client_signature_string(call.now_ms, call.nonce, ""),
    );
    login_request(
        "public/auth",
        json!({
            "grant_type": "client_signature",
            "client_id": credential.key.as_str(),
            "timestamp": call.now_ms,
            "nonce": call.nonce,
            "data": "",
            "signature": signature,
        }),
    )
}

/// `public/exchange_token`: the key's session for another subject (a sub-account).
pub fn exchange_token_request(session: &Session, subject: &str) -> Request {
    #[allow(clippy::disallowed_methods)] // the refresh token is a credential sent to the venue
    let refresh = session
        .refresh
        .as_ref()
        .map(|token| secrecy::ExposeSecret::expose_secret(token).to_owned())
        .unwrap_or_default();
    let subject_id: Value = subject
        .parse::<u64>()
        .map_or_else(|_| json!(subject), |id| json!(id));
    login_request(
        "public/exchange_token",
        json!({ "refresh_token": refresh, "subject_id": subject_id }),
    )
}

/// A login request: a JSON-RPC POST that changes nothing at the exchange.
fn login_request(method: &str, params: Value) -> Request {
    Request {
        method: Method::Post,
        path: format!("/api/v2/{method}"),
        query: String::new(),
        body: Some(rpc_body(method, params)),
        mutating: false,
    }
}

/// Signs a request: the session's bearer token when there is one, else a per-request
/// `deri-hmac-sha256` signature over the exact bytes sent.
pub fn sign(request: Request, credential: &Credential, call: &CallContext<'_>) -> SignedRequest {
    let value = match call.session {
        Some(session) => {
            #[allow(clippy::disallowed_methods)] // the bearer token goes into its header here
            let token = secrecy::ExposeSecret::expose_secret(&session.token).to_owned();
            format!("Bearer {token}")
        }
        None => {
            let text = request_string(
                call.now_ms,
                call.nonce,
                request.method.as_str(),
                &request.path_and_query(),
                request.body.as_deref().unwrap_or(""),
            );
            let signature = sign_string(credential.secret(), &text);
            signature_header(credential.key.as_str(), call.now_ms, &signature, call.nonce)
        }
    };
    SignedRequest {
        request,
        headers: vec![Header::sensitive("Authorization", value)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::VenueSettings;
    use crate::secret::KeyId;

    /// The docs' example secret (docs/venues/deribit.md §3).
    fn secret() -> SecretString {
        SecretString::from("W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS")
    }

    #[test]
    fn reference_fixtures() {
        // docs/venues/deribit.md §3 (self-computed with Python's hmac, not official).
        let login = client_signature_string(1_576_074_319_000, "1iqt2wls", "");
        assert_eq!(login, "1576074319000\n1iqt2wls\n");
        assert_eq!(
            sign_string(&secret(), &login),
            "2fe846c73df8e9223e3644ec2c0b093474dfe5cd4b4a32c41689d7e04ff0ab15"
        );
        let rest = request_string(
            1_576_074_319_000,
            "1iqt2wls",
            "get",
            "/api/v2/private/get_account_summary?currency=BTC",
            "",
        );
        assert_eq!(
            rest,
            "1576074319000\n1iqt2wls\nGET\n/api/v2/private/get_account_summary?currency=BTC\n\n"
        );
        assert_eq!(
            sign_string(&secret(), &rest),
            "bda608a810fcfa84059a1e33a072a1b1f2706647f0a50940dc65f0462ee5c4cf"
        );
    }

    #[test]
    fn hand_computed_cases() {
        // Computed outside this code with openssl:
        // `printf '1700000000000\nabc\nxyz' | openssl dgst -sha256 -hmac key`
        let login = client_signature_string(1_700_000_000_000, "abc", "xyz");
        assert_eq!(
            sign_string(&SecretString::from("key"), &login),
            "2000fb412f41af80899c3cc26278d5af21bec5054dcc02bd7621cdd47c8efe52"
        );
        // `printf '1700000000000\nn0nce\nPOST\n/api/v2/public/auth\n{"a":1}\n' |
        //  openssl dgst -sha256 -hmac secret`
        let post = request_string(
            1_700_000_000_000,
            "n0nce",
            "POST",
            "/api/v2/public/auth",
            r#"{"a":1}"#,
        );
        assert_eq!(
            sign_string(&SecretString::from("secret"), &post),
            "98a020ca1afc09d57cb2b24323314015c241951d3af3a46d56e08d06728c2305"
        );
    }

    fn call<'a>(settings: &'a VenueSettings, session: Option<&'a Session>) -> CallContext<'a> {
        CallContext {
            now_ms: 1_576_074_319_000,
            nonce: "1iqt2wls",
            session,
            tfa: None,
            settings,
            subject: None,
            lookup: None,
            known: &[],
        }
    }

    #[test]
    fn the_header_signs_the_path_and_query_as_sent() {
        let settings = VenueSettings::default();
        let cred = Credential::new(KeyId::new("AMANDA"), secret());
        let signed = sign(
            Request::get("/api/v2/private/get_account_summary", "currency=BTC".into()),
            &cred,
            &call(&settings, None),
        );
        assert_eq!(
            signed.headers[0].value.as_str(),
            "deri-hmac-sha256 id=AMANDA,ts=1576074319000,\
             sig=bda608a810fcfa84059a1e33a072a1b1f2706647f0a50940dc65f0462ee5c4cf,nonce=1iqt2wls"
        );
        assert!(signed.headers[0].is_sensitive());
        assert!(!signed.to_string().contains("bda608"));
    }

    #[test]
    fn a_session_signs_with_its_bearer_token() {
        let settings = VenueSettings::default();
        let session = Session {
            token: SecretString::from("tok"),
            expires_ms: 0,
            refresh: None,
        };
        let cred = Credential::new(KeyId::new("AMANDA"), secret());
        let signed = sign(
            Request::get("/api/v2/private/get_account_summary", String::new()),
            &cred,
            &call(&settings, Some(&session)),
        );
        assert_eq!(signed.headers[0].value.as_str(), "Bearer tok");
        assert!(!signed.to_string().contains("tok"));
    }

    #[test]
    fn login_carries_the_signature_in_its_body_not_its_url() {
        let settings = VenueSettings::default();
        let cred = Credential::new(KeyId::new("AMANDA"), secret());
        let request = auth_request(&cred, &call(&settings, None));
        assert_eq!(request.path, "/api/v2/public/auth");
        assert!(request.query.is_empty() && !request.mutating);
        let body: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["method"], "public/auth");
        assert_eq!(
            body["params"]["signature"],
            "2fe846c73df8e9223e3644ec2c0b093474dfe5cd4b4a32c41689d7e04ff0ab15"
        );
        assert_eq!(body["params"]["client_id"], "AMANDA");
    }
}
