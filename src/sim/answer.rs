//! The one HTTP answer every dialect gives, and the shapes of injected faults.
//!
//! Every dialect answers through the same front door (`front.rs`), so the machinery is shared:
//! a status, the exchange's verdict code for the access log, a body, `Retry-After`, and a few
//! dialect headers (Bybit's `X-Bapi-Limit*`, Binance's `X-MBX-USED-WEIGHT-*`). What stays a
//! dialect's own is its envelopes and error codes (each `reply.rs`) and the words of its 429.
//!
//! Faults look as a gateway in front of the exchange would answer: 429 with `Retry-After: 1`,
//! a 502/503 HTML page, or no answer at all. Nothing here ever holds a secret.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::sim::injector::{Gateway, Injected};

/// The content type of a short text answer, such as an injected 429's.
pub(crate) const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// What an answer carries after its status line.
#[derive(Clone, Debug)]
enum Payload {
    /// No body (401, 404).
    Empty,
    /// A JSON body: the dialect's envelope or bare JSON.
    Json(Value),
    /// A non-JSON body, as a gateway in front of the exchange sends.
    Text {
        content_type: &'static str,
        text: String,
    },
    /// No answer: the connection is dropped.
    Dropped,
}

/// A complete answer before it becomes an HTTP response.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    status: StatusCode,
    /// The exchange's verdict code (0 for success), for the access log; `None` without one.
    pub(crate) code: Option<i64>,
    payload: Payload,
    /// `Retry-After`, whole seconds.
    retry_after_s: Option<u64>,
    /// Dialect headers, sent as given.
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Answer {
    /// A bodiless answer (401, 404).
    pub(crate) fn bare(status: StatusCode) -> Answer {
        Answer {
            status,
            code: None,
            payload: Payload::Empty,
            retry_after_s: None,
            headers: Vec::new(),
        }
    }

    /// A JSON body with the exchange's verdict `code`.
    pub(crate) fn json(status: StatusCode, code: i64, body: Value) -> Answer {
        Answer {
            code: Some(code),
            payload: Payload::Json(body),
            ..Answer::bare(status)
        }
    }

    /// A non-JSON body, with no verdict code: the exchange did not answer it.
    pub(crate) fn text(status: StatusCode, content_type: &'static str, text: String) -> Answer {
        Answer {
            payload: Payload::Text { content_type, text },
            ..Answer::bare(status)
        }
    }

    /// The same answer with one more header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Answer {
        self.headers.push((name, value));
        self
    }

    /// The same answer with `Retry-After`.
    pub(crate) fn with_retry_after(mut self, seconds: u64) -> Answer {
        self.retry_after_s = Some(seconds);
        self
    }

    /// The answer an injected fault gives instead of the exchange's: `rate_limited()` with
    /// `Retry-After: 1`, a gateway's 502 or 503 page, or no answer at all.
    pub(crate) fn fault(injected: Injected, rate_limited: impl FnOnce() -> Answer) -> Answer {
        match injected {
            Injected::RateLimited => rate_limited().with_retry_after(1),
            Injected::ServerError { gateway, .. } => {
                let (status, page) = gateway_page(gateway);
                Answer::text(status, "text/html", page)
            }
            Injected::Reset { .. } => Answer {
                payload: Payload::Dropped,
                ..Answer::bare(StatusCode::OK)
            },
        }
    }

    /// The same answer with a JSON body cut to its first `keep` bytes (always short of the whole,
    /// on a character boundary), and the whole body; any other answer as it is, and `None`.
    pub(crate) fn cut_short(self, keep: usize) -> (Answer, Option<String>) {
        let Payload::Json(body) = &self.payload else {
            return (self, None);
        };
        let whole = body.to_string();
        let mut keep = keep.min(whole.len().saturating_sub(1));
        while !whole.is_char_boundary(keep) {
            keep -= 1;
        }
        let cut = Answer {
            payload: Payload::Text {
                content_type: "application/json",
                text: whole[..keep].to_owned(),
            },
            ..self
        };
        (cut, Some(whole))
    }

    /// The HTTP status the client saw, for the access log: 0 when it saw none.
    pub(crate) fn seen_status(&self) -> u16 {
        match self.payload {
            Payload::Dropped => 0,
            _ => self.status.as_u16(),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(s) = self.retry_after_s {
            headers.insert(RETRY_AFTER, HeaderValue::from(s));
        }
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        match self.payload {
            Payload::Json(body) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                (self.status, headers, body.to_string()).into_response()
            }
            Payload::Text { content_type, text } => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                (self.status, headers, text).into_response()
            }
            Payload::Empty => (self.status, headers).into_response(),
            Payload::Dropped => dropped_connection(),
        }
    }
}

/// The page a gateway in front of the exchange answers an injected server error with: the
/// status and an nginx-style HTML body, the same for every dialect.
fn gateway_page(gateway: Gateway) -> (StatusCode, String) {
    let status = match gateway {
        Gateway::BadGateway => StatusCode::BAD_GATEWAY,
        Gateway::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Server Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
         <center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    (status, page)
}

/// A response whose body fails at once: hyper then closes the connection before it flushes the
/// status line, so the client sees the connection end with no answer (reqwest: an error from
/// `send`). Nothing is logged by the server for it.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::iter([Err::<Bytes, std::io::Error>(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "injected reset",
    ))]);
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sim::injector::When;

    fn header(resp: &Response, name: HeaderName) -> Option<&str> {
        resp.headers().get(name).and_then(|v| v.to_str().ok())
    }

    async fn body(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn too_many() -> Answer {
        Answer::text(
            StatusCode::TOO_MANY_REQUESTS,
            PLAIN_TEXT,
            "429 Too Many Requests\n".to_owned(),
        )
    }

    #[tokio::test]
    async fn a_rate_limit_fault_is_the_dialects_429_with_retry_after_1() {
        let answer = Answer::fault(Injected::RateLimited, too_many);
        assert_eq!(answer.seen_status(), 429);
        assert_eq!(answer.code, None);
        let resp = answer.into_response();
        assert_eq!(header(&resp, RETRY_AFTER), Some("1"));
        assert_eq!(header(&resp, CONTENT_TYPE), Some(PLAIN_TEXT));
        assert_eq!(body(resp).await, "429 Too Many Requests\n");
    }

    #[tokio::test]
    async fn a_server_error_fault_is_a_gateway_page() {
        for (gateway, status) in [(Gateway::BadGateway, 502), (Gateway::Unavailable, 503)] {
            let injected = Injected::ServerError {
                when: When::Before,
                gateway,
            };
            let answer = Answer::fault(injected, too_many);
            assert_eq!(answer.seen_status(), status);
            let resp = answer.into_response();
            assert_eq!(header(&resp, RETRY_AFTER), None);
            assert_eq!(header(&resp, CONTENT_TYPE), Some("text/html"));
            let page = body(resp).await;
            assert!(page.contains(&format!("<title>{status} ")), "{page}");
        }
    }

    #[tokio::test]
    async fn a_reset_fault_answers_nothing() {
        let answer = Answer::fault(Injected::Reset { when: When::After }, too_many);
        assert_eq!(answer.seen_status(), 0);
        let resp = answer.into_response();
        assert!(
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn json_answers_carry_their_code_and_headers() {
        let answer = Answer::json(StatusCode::OK, 0, json!({ "a": 1 }))
            .with_header(
                HeaderName::from_static("x-bapi-limit"),
                HeaderValue::from(10u32),
            )
            .with_retry_after(3);
        assert_eq!(answer.code, Some(0));
        let resp = answer.into_response();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            header(&resp, HeaderName::from_static("x-bapi-limit")),
            Some("10")
        );
        assert_eq!(header(&resp, RETRY_AFTER), Some("3"));
        assert_eq!(header(&resp, CONTENT_TYPE), Some("application/json"));
        assert_eq!(body(resp).await, r#"{"a":1}"#);
    }

    #[tokio::test]
    async fn a_bare_answer_has_no_body() {
        let resp = Answer::bare(StatusCode::NOT_FOUND).into_response();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&resp, CONTENT_TYPE), None);
        assert_eq!(body(resp).await, "");
    }
}
