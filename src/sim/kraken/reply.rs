//! Kraken's answers: the `{"error": [...], "result": {...}}` envelope, the error strings the
//! simulator uses (docs/venues/kraken.md §8), and the shapes of injected faults.
//!
//! Kraken answers every API-level outcome with HTTP 200, success and refusal alike; a non-200
//! status means the request never reached the API (a gateway, a proxy's 429), which is what the
//! injected faults look like (`sim/answer.rs`): 429 with `Retry-After: 1` and a text body, a
//! gateway's 502/503 page, or no answer at all. The access log needs numbers, so each error
//! string also has one (0 for success); Kraken itself has no numeric codes. Nothing here ever
//! holds a secret.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::sim::answer::Answer;

/// Why Kraken refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KrakenError {
    /// `EAPI:Invalid key`: unknown or deleted key (also a missing `API-Key`).
    InvalidKey,
    /// `EAPI:Invalid signature`.
    InvalidSignature,
    /// `EAPI:Invalid nonce`: missing, or not above the key's last.
    InvalidNonce,
    /// `EGeneral:Permission denied`: the key lacks the right, or the peer is not on its IP
    /// allow-list (Kraken documents no string for that, docs/venues/kraken.md §8; this one is
    /// chosen so a restricted key is never mistaken for a deleted one).
    PermissionDenied,
    /// `EAPI:Rate limit exceeded`.
    RateLimit,
    /// `EGeneral:Unknown method`.
    UnknownMethod,
    /// `EGeneral:Invalid arguments:<name>`.
    InvalidArguments(String),
    /// `EQuery:Unknown asset pair`.
    UnknownAssetPair,
    /// `EOrder:Insufficient funds`.
    InsufficientFunds,
    /// `EOrder:Unknown order`.
    UnknownOrder,
    /// `EFunding:Insufficient funds`.
    FundingInsufficient,
    /// `EOrder:Post only order`: a post-only order that would take.
    PostOnly,
}

impl KrakenError {
    /// `EGeneral:Invalid arguments:<name>`.
    pub(crate) fn invalid(name: &str) -> KrakenError {
        KrakenError::InvalidArguments(name.to_owned())
    }

    /// The string Kraken sends.
    pub(crate) fn text(&self) -> String {
        match self {
            KrakenError::InvalidKey => "EAPI:Invalid key".to_owned(),
            KrakenError::InvalidSignature => "EAPI:Invalid signature".to_owned(),
            KrakenError::InvalidNonce => "EAPI:Invalid nonce".to_owned(),
            KrakenError::PermissionDenied => "EGeneral:Permission denied".to_owned(),
            KrakenError::RateLimit => "EAPI:Rate limit exceeded".to_owned(),
            KrakenError::UnknownMethod => "EGeneral:Unknown method".to_owned(),
            KrakenError::InvalidArguments(name) => format!("EGeneral:Invalid arguments:{name}"),
            KrakenError::UnknownAssetPair => "EQuery:Unknown asset pair".to_owned(),
            KrakenError::InsufficientFunds => "EOrder:Insufficient funds".to_owned(),
            KrakenError::UnknownOrder => "EOrder:Unknown order".to_owned(),
            KrakenError::FundingInsufficient => "EFunding:Insufficient funds".to_owned(),
            KrakenError::PostOnly => "EOrder:Post only order".to_owned(),
        }
    }

    /// The access log's number for it.
    pub(crate) fn number(&self) -> i64 {
        match self {
            KrakenError::InvalidKey => 1,
            KrakenError::InvalidSignature => 2,
            KrakenError::InvalidNonce => 3,
            KrakenError::PermissionDenied => 4,
            KrakenError::RateLimit => 5,
            KrakenError::UnknownMethod => 6,
            KrakenError::InvalidArguments(_) => 7,
            KrakenError::UnknownAssetPair => 8,
            KrakenError::InsufficientFunds => 9,
            KrakenError::UnknownOrder => 10,
            KrakenError::FundingInsufficient => 11,
            KrakenError::PostOnly => 12,
        }
    }
}

/// Success with `result`.
pub(crate) fn ok(result: Value) -> Answer {
    Answer::json(StatusCode::OK, 0, json!({ "error": [], "result": result }))
}

/// A refusal: the error string alone, HTTP 200 (docs/venues/kraken.md §8).
pub(crate) fn error(err: &KrakenError) -> Answer {
    Answer::json(
        StatusCode::OK,
        err.number(),
        json!({ "error": [err.text()] }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_kraken_strings_with_http_200() {
        assert_eq!(
            KrakenError::invalid("volume").text(),
            "EGeneral:Invalid arguments:volume"
        );
        let answer = error(&KrakenError::InvalidKey);
        assert_eq!(answer.seen_status(), 200);
        assert_eq!(answer.code, Some(1));
        assert_eq!(ok(json!({})).code, Some(0));
    }
}
