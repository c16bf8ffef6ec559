//! How Binance says no (docs/venues/binance.md §8): a refusal's `{code, msg}` mapped to a typed
//! [`ExchangeError`], and an answer that is not Binance JSON at all. Kept apart from the decoders
//! of what Binance says yes with, because which error a code becomes decides what the response
//! does next (wait, stop, or ask the operator).

use super::*;
use crate::exchanges::binance::market::Market;

/// A refusal's body.
#[derive(Debug, Deserialize)]
pub(super) struct BinanceError {
    pub(super) code: i64,
    #[serde(default)]
    pub(super) msg: String,
}

/// Maps a Binance code to a typed error (docs/venues/binance.md §8).
pub(super) fn api_error(response: &Response, code: i64, message: String, op: &Op) -> ExchangeError {
    let code_text = code.to_string();
    if response.status == 418 {
        return ExchangeError::IpBanned {
            code: code_text,
            retry_after_ms: retry_after(response),
        };
    }
    match code {
        -1021 => ExchangeError::Timestamp { code: code_text },
        -1022 => ExchangeError::Signature { code: code_text },
        // `-2008` is SAPI's "Invalid Api-Key ID.": the key is unknown or deleted.
        -2014 | -2008 => ExchangeError::InvalidKey { code: code_text },
        // After the lock the responder's address is in the key's list and spot calls pass, so a
        // `-2015` on another product alone (USD-M, COIN-M, options, margin) is the permission
        // the key lacks there: a segment it cannot reach, not a refused key.
        -2015 if let Some(market) = off_spot(op) => ExchangeError::Permission {
            code: code_text,
            message: format!(
                "{message} ({}: the key may lack the {} permission)",
                market.name(),
                market.permission()
            ),
        },
        -2015 => ExchangeError::KeyRefused { code: code_text },
        -1002 => ExchangeError::Permission {
            code: code_text,
            message,
        },
        -1003 | -1015 => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: retry_after(response).or(Some(1000)),
        },
        // An invalid `email`, `subAccountId` or `subAccountApiKey` names nothing the master has.
        -1130
            if matches!(
                op,
                Op::RestrictKey { .. }
                    | Op::RevokeKey(_)
                    | Op::SubKeys { .. }
                    | Op::CreateKey { .. }
            ) =>
        {
            ExchangeError::UnknownTarget {
                code: code_text,
                what: format!("the sub-account or key named in the request ({message})"),
            }
        }
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// The product other than spot an operation acts on, if any.
fn off_spot(op: &Op) -> Option<Market> {
    let segment = match op {
        Op::OpenOrders { segment, .. }
        | Op::Orders { segment, .. }
        | Op::Fills { segment, .. }
        | Op::CancelBatch { segment, .. }
        | Op::CancelOrder { segment, .. } => segment,
        Op::PlaceOrder(order) => &order.segment,
        _ => return None,
    };
    Some(Market::of(segment)).filter(|m| *m != Market::Spot)
}

/// How an answer that is not Binance JSON reads: any 2xx was meant to be JSON; 418 is an IP ban.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::new("Binance JSON", 0..300, &[429], Some(1000)).banned_on(418);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::binance::wire::tests::response;

    #[test]
    fn maps_the_documented_codes() {
        let cases = [
            (-1021, 400, "Timestamp"),
            (-1022, 400, "Signature"),
            (-2014, 401, "InvalidKey"),
            (-2008, 400, "InvalidKey"),
            (-2015, 401, "KeyRefused"),
            (-1002, 401, "Permission"),
            (-1003, 429, "RateLimited"),
            (-1015, 429, "RateLimited"),
            (-1003, 418, "IpBanned"),
            (-1121, 400, "Api"),
        ];
        for (code, status, want) in cases {
            let body = format!(r#"{{"code":{code},"msg":"m"}}"#);
            let decoded = decode(&Op::WhoAmI, &response(status, &body));
            let err = decoded.reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
            assert_eq!(decoded.code, Some(code.to_string()));
        }
        let banned = decode(
            &Op::WhoAmI,
            &response(
                418,
                r#"{"code":-1003,"msg":"Way too much request weight used; IP banned"}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            banned,
            ExchangeError::IpBanned {
                code: "-1003".into(),
                retry_after_ms: Some(7000)
            }
        );
        assert_eq!(banned.outcome(), crate::exchanges::CallOutcome::Final);
        let refused = decode(&Op::WhoAmI, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(refused.is_unauthenticated());
        let futures = Op::OpenOrders {
            segment: Segment {
                category: Category::Linear,
                settle: None,
            },
            cursor: None,
        };
        let unreachable = decode(&futures, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(
            matches!(unreachable, ExchangeError::Permission { .. }),
            "{unreachable:?}"
        );
    }
}
