//! Binance request authentication, written from the docs (docs/venues/binance.md §2), on its own.
//!
//! A SIGNED request names its key in `X-MBX-APIKEY` and carries `timestamp`, an optional
//! `recvWindow` (default 5000, at most 60000) and `signature` among its parameters, in the query
//! or the form body; `signature` comes last in its part. The payload is the query string, then
//! the body, without a separator and without the `signature` parameter, exactly as received; the
//! signature is its HMAC-SHA256 under the secret, in hex (either case). Since 2026-01-15 the
//! payload must be percent-encoded: raw non-ASCII bytes are refused with `-1022`. A request is in
//! time when `timestamp < serverTime + 1000` and `serverTime - timestamp <= recvWindow`. Keys are
//! 64 letters and digits; anything else is `-2014`. This file must never import the client's
//! signing code (`exchanges/`): a shared bug would agree with itself. The hex decoder is its own
//! and the MAC is compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::sim::binance::reply::{ApiError, Code};

/// The `recvWindow` when a request names none.
pub(crate) const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;
/// The largest `recvWindow` accepted.
pub(crate) const MAX_RECV_WINDOW_MS: i64 = 60_000;
/// How far ahead of the server's clock a timestamp may be.
pub(crate) const AHEAD_MS: i64 = 1_000;

/// A request's payload and signature, split as Binance reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signed {
    /// The query, then the body, without the `signature` parameter.
    pub(crate) payload: String,
    /// The `signature` value as sent.
    pub(crate) signature: String,
}

impl Signed {
    /// Takes the `signature` parameter off the end of the query or the body.
    pub(crate) fn split(query: &str, body: &str) -> Result<Signed, ApiError> {
        if !query.is_ascii() || !body.is_ascii() {
            return Err(ApiError::new(
                Code::InvalidSignature,
                "Signature for this request is not valid.",
            ));
        }
        let take = |part: &str| -> Option<(String, String)> {
            let (rest, value) = match part.rsplit_once("&signature=") {
                Some((rest, value)) => (rest, value),
                None => ("", part.strip_prefix("signature=")?),
            };
            (!value.contains('&')).then(|| (rest.to_owned(), value.to_owned()))
        };
        if let Some((query, signature)) = take(query) {
            return Ok(Signed {
                payload: format!("{query}{body}"),
                signature,
            });
        }
        if let Some((body, signature)) = take(body) {
            return Ok(Signed {
                payload: format!("{query}{body}"),
                signature,
            });
        }
        Err(ApiError::missing("signature"))
    }

    /// Whether the signature is the hex HMAC-SHA256 of the payload under `secret`.
    pub(crate) fn verifies(&self, secret: &SecretString) -> bool {
        let Some(tag) = hex_decode(&self.signature) else {
            return false;
        };
        // Allowed: this is where a signature is computed.
        #[allow(clippy::disallowed_methods)]
        let key = secret.expose_secret().as_bytes();
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
            return false;
        };
        mac.update(self.payload.as_bytes());
        mac.verify_slice(&tag).is_ok()
    }
}

/// Whether `timestamp` is acceptable at `server_ms` with `recv_window`.
pub(crate) fn in_time(timestamp: i64, recv_window: i64, server_ms: i64) -> bool {
    timestamp < server_ms + AHEAD_MS && server_ms - timestamp <= recv_window
}

/// Whether a key id has Binance's shape: 64 letters and digits.
pub(crate) fn is_key(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Decodes hex of either case; `None` for anything else.
fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spot docs' example secret and vectors (docs/venues/binance.md §3).
    fn docs_secret() -> SecretString {
        SecretString::from("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    }

    #[test]
    fn published_vectors_verify_in_either_part() {
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        let in_query = Signed::split(&format!("{query}&signature={sig}"), "").unwrap();
        assert_eq!(in_query.payload, query);
        assert!(in_query.verifies(&docs_secret()));
        let upper =
            Signed::split("", &format!("{query}&signature={}", sig.to_uppercase())).unwrap();
        assert!(upper.verifies(&docs_secret()), "hex of either case");
        // The mixed example: query then body, no separator.
        let mixed = Signed::split(
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
            "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77",
        )
        .unwrap();
        assert!(mixed.verifies(&docs_secret()));
        // The percent-encoded full-width symbol verifies; the same bytes unencoded never do.
        let encoded = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let signed = Signed::split(
            &format!(
                "{encoded}&signature=e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
            ),
            "",
        )
        .unwrap();
        assert!(signed.verifies(&docs_secret()));
        let raw = Signed::split("", "symbol=１２３４５６&signature=00").unwrap_err();
        assert_eq!(raw.code, Code::InvalidSignature);
        // A changed byte, or a signature not last, does not pass.
        let changed = Signed::split(
            &format!("{}&signature={sig}", query.replace("0.1", "0.2")),
            "",
        )
        .unwrap();
        assert!(!changed.verifies(&docs_secret()));
        assert!(Signed::split(&format!("signature={sig}&{query}"), "").is_err());
        assert_eq!(
            Signed::split(query, "").unwrap_err().code,
            Code::MandatoryParam
        );
    }

    #[test]
    fn timing_follows_the_docs() {
        let server = 1_000_000;
        assert!(in_time(server - 5_000, 5_000, server));
        assert!(!in_time(server - 5_001, 5_000, server));
        assert!(in_time(server + 999, 5_000, server));
        assert!(!in_time(server + 1_000, 5_000, server));
        assert!(is_key(&"a".repeat(64)));
        assert!(!is_key("short"));
        assert!(!is_key(&"-".repeat(64)));
    }
}
