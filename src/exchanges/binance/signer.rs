//! Binance request signing (docs/venues/binance.md §2, §3).
//!
//! A SIGNED request carries `recvWindow` and `timestamp` (Unix ms) among its parameters and
//! `signature` last: the lowercase hex HMAC-SHA256, keyed with the secret, of the query string
//! concatenated without separator to the form body, both exactly as sent and percent-encoded
//! (since 2026-01-15 a payload with raw non-ASCII bytes is refused with `-1022`). The key id
//! travels in `X-MBX-APIKEY`. lockdown sends a GET's or DELETE's parameters in the query and a
//! POST's in an `application/x-www-form-urlencoded` body, so one of the two is always empty;
//! [`payload`] still concatenates both, as the docs' mixed examples do. Public endpoints (the
//! clock, `exchangeInfo`) get the key header only. Checked against every published vector of
//! docs/venues/binance.md §3, spot and USD-M, and a case computed with `openssl` below. The
//! signature is a query or body parameter, redacted wherever the request is shown (`request.rs`).

use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::{Header, Method, Request, SignedRequest};
use crate::percent;
use crate::secret::{Credential, SecretString};

/// The `recvWindow` sent with every signed request: Binance's default (docs/venues/binance.md §2).
pub const RECV_WINDOW_MS: i64 = 5_000;

/// A query string or form body from parameters, in the order given, percent-encoded.
pub fn encode_params(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(name, value)| format!("{}={}", percent::encode(name), percent::encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// What Binance signs: the query string, then the body, without a separator.
pub fn payload(query: &str, body: &str) -> String {
    format!("{query}{body}")
}

/// The signature of a payload: lowercase hex HMAC-SHA256 under the secret.
pub fn sign_payload(secret: &SecretString, payload: &str) -> String {
    hmac_sha256_hex(secret, payload.as_bytes())
}

/// Whether a path takes no signature: a public endpoint, or a listen key's (the key header only).
pub fn is_public(path: &str) -> bool {
    [
        "/api/v3/time",
        "/fapi/v1/time",
        "/api/v3/exchangeInfo",
        "/fapi/v1/exchangeInfo",
        // USER_STREAM: the listen keys take the key header and nothing else.
        "/fapi/v1/listenKey",
        "/dapi/v1/listenKey",
    ]
    .iter()
    .any(|public| path.ends_with(public))
}

/// Adds `recvWindow`, `timestamp` and `signature` to a request's parameters and the
/// `X-MBX-APIKEY` header; public endpoints get the header only.
pub fn sign(mut request: Request, credential: &Credential, now_ms: i64) -> SignedRequest {
    let mut headers = vec![Header::sensitive("X-MBX-APIKEY", credential.key.as_str())];
    if request.method == Method::Post {
        headers.push(Header::shown(
            "Content-Type",
            "application/x-www-form-urlencoded",
        ));
    }
    if is_public(&request.path) {
        return SignedRequest { request, headers };
    }
    let timing = format!("recvWindow={RECV_WINDOW_MS}&timestamp={now_ms}");
    let append = |text: &str, more: &str| {
        if text.is_empty() {
            more.to_owned()
        } else {
            format!("{text}&{more}")
        }
    };
    let in_body = request.method == Method::Post;
    if in_body {
        let body = append(request.body.as_deref().unwrap_or(""), &timing);
        request.body = Some(body);
    } else {
        request.query = append(&request.query, &timing);
    }
    let signature = sign_payload(
        credential.secret(),
        &payload(&request.query, request.body.as_deref().unwrap_or("")),
    );
    let signature = format!("signature={signature}");
    if in_body {
        let body = append(request.body.as_deref().unwrap_or(""), &signature);
        request.body = Some(body);
    } else {
        request.query = append(&request.query, &signature);
    }
    SignedRequest { request, headers }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::request::check;
    use crate::secret::KeyId;

    /// The spot docs' example secret (docs/venues/binance.md §3).
    fn spot_secret() -> SecretString {
        SecretString::from("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    }

    /// The USD-M docs' example secret (docs/venues/binance.md §3).
    fn futures_secret() -> SecretString {
        SecretString::from("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9")
    }

    #[test]
    fn every_published_vector() {
        // docs/venues/binance.md §3: three spot vectors and the USD-M ones, byte for byte.
        let cases = [
            (
                "spot, all in the query",
                spot_secret(),
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "",
                "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
            ),
            (
                "spot, non-ASCII symbol percent-encoded",
                spot_secret(),
                "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "",
                "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
            ),
            (
                "spot, mixed query and body",
                spot_secret(),
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
                "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
            ),
            (
                "USD-M, all in the query",
                futures_secret(),
                "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943",
                "",
                "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9",
            ),
            (
                "USD-M, mixed as printed (with the docs' stray space)",
                futures_secret(),
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
                "quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943",
                "f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2",
            ),
            (
                "USD-M, mixed without the space",
                futures_secret(),
                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
                "quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943",
                "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4",
            ),
        ];
        for (label, secret, query, body, want) in cases {
            assert_eq!(
                sign_payload(&secret, &payload(query, body)),
                want,
                "{label}"
            );
        }
    }

    #[test]
    fn non_ascii_parameters_are_percent_encoded_as_the_docs_show() {
        // docs/venues/binance.md §3: the symbol `１２３４５６` (full-width digits) goes out as UTF-8
        // `%XX`.
        let params = [
            ("symbol", "１２３４５６".to_owned()),
            ("side", "BUY".to_owned()),
            ("type", "LIMIT".to_owned()),
            ("timeInForce", "GTC".to_owned()),
            ("quantity", "1".to_owned()),
            ("price", "0.1".to_owned()),
            ("recvWindow", "5000".to_owned()),
            ("timestamp", "1499827319559".to_owned()),
        ];
        let encoded = encode_params(&params);
        assert_eq!(
            encoded,
            "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        );
        assert_eq!(
            sign_payload(&spot_secret(), &encoded),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        );
        assert_eq!(percent::encode("1.2.3.4,5.6.7.8"), "1.2.3.4%2C5.6.7.8");
        assert_eq!(percent::encode("a b@c"), "a%20b%40c");
    }

    #[test]
    fn hand_computed_case() {
        // Computed outside this code, with the body as lockdown sends a lock:
        // printf '%s' 'email=gridbot_virtual%40abcdefghnoemail.com&subAccountApiKey=k&status=2&ipAddress=127.0.0.1&recvWindow=5000&timestamp=1704164645678' \
        //   | openssl dgst -sha256 -hmac 'binance-hand-secret'
        let body = "email=gridbot_virtual%40abcdefghnoemail.com&subAccountApiKey=k&status=2&ipAddress=127.0.0.1&recvWindow=5000&timestamp=1704164645678";
        assert_eq!(
            sign_payload(
                &SecretString::from("binance-hand-secret"),
                &payload("", body)
            ),
            "a7363cf95c9481b88d2c6ed1e7d347ae1e219a936f4ef5fc0145749d02bae29c"
        );
    }

    #[test]
    fn signs_the_bytes_it_sends_and_puts_the_signature_last() {
        let cred = Credential::new(KeyId::new("binance-fixture-key-0001"), spot_secret());
        let now = 1_499_827_319_559;
        let get = sign(
            Request::get(
                "/api/v3/allOrders",
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1".into(),
            ),
            &cred,
            now,
        );
        assert_eq!(
            get.request.query,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        assert_eq!(get.headers[0].name, "X-MBX-APIKEY");
        assert!(get.headers[0].is_sensitive());
        let post = sign(
            Request::post(
                "/api/v3/order",
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1".into(),
            ),
            &cred,
            now,
        );
        assert!(post.request.query.is_empty());
        assert!(post.request.body.as_deref().is_some_and(|b| b.ends_with(
            "&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        )));
        assert!(
            post.headers
                .iter()
                .any(|h| h.value.as_str() == "application/x-www-form-urlencoded")
        );
        let shown = post.to_string();
        for secret in ["binance-fixture-key-0001", "c8db56825ae7"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let public = sign(
            Request::get("/api/v3/exchangeInfo", String::new()),
            &cred,
            now,
        );
        assert!(public.request.query.is_empty());
    }

    #[test]
    fn debug_lines_show_no_secret_and_the_bytes_sent_stay_the_same() {
        let cred = Credential::new(KeyId::new("binance-fixture-key-0001"), spot_secret());
        let signed = sign(
            Request {
                method: Method::Delete,
                path: "/api/v3/openOrders".into(),
                query: "symbol=BTCUSDT".into(),
                body: None,
                mutating: true,
            },
            &cred,
            1_499_827_319_559,
        );
        let lines = check::wire_lines(&signed);
        assert_eq!(
            lines,
            [
                "DELETE /api/v3/openOrders?symbol=BTCUSDT&recvWindow=5000&timestamp=1499827319559&signature=4dd01c83b23c3f059afcb6af54fbc730669d56153a400551ed1ed7f7913837ec",
                "X-MBX-APIKEY: binance-fixture-key-0001",
            ]
        );
        let signature = lines[0].rsplit('=').next().unwrap_or_default().to_owned();
        check::debug_hides(&signed, &["binance-fixture-key-0001", &signature]);
    }
}
