//! Pieces every adapter's decoder shares, so that a malformed answer reads the same whichever
//! venue sent it: the exchange's result parsed into a wire type, a field that is missing or
//! malformed, and the empty strings venues send for "none".

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ExchangeError;

/// Parses `value` into a wire type; `what` names the answer (`Bybit result`).
pub(crate) fn parse<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, ExchangeError> {
    serde_json::from_value(value).map_err(|err| ExchangeError::Protocol {
        detail: format!("{what}: {err}"),
    })
}

/// A field the answer lacks or that is not what the venue documents.
pub(crate) fn bad_field(what: &str, field: &str) -> ExchangeError {
    ExchangeError::Protocol {
        detail: format!("{what}: bad or missing `{field}`"),
    }
}

/// An empty string as absent.
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_answers_name_the_venue_and_the_field() {
        let err = parse::<u64>("Kraken result", Value::from("x")).unwrap_err();
        assert!(
            err.to_string().contains("Kraken result: invalid type"),
            "{err}"
        );
        let err = bad_field("OKX data", "triggerTime");
        assert!(
            err.to_string()
                .contains("OKX data: bad or missing `triggerTime`"),
            "{err}"
        );
        assert_eq!(non_empty(String::new()), None);
        assert_eq!(non_empty("a".into()).as_deref(), Some("a"));
    }
}
