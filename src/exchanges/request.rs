//! Requests as adapters build them and responses as the HTTP layer hands them back.
//!
//! A [`SignedRequest`] is exactly what goes on the wire. Its `Display` is what people and the
//! journal see of it: the key id and the signature are redacted, the body is shown as sent
//! except for secret-bearing fields (OKX sends a new key's passphrase in the create body, Deribit
//! a refresh token in `exchange_token` and a one-time code in `authorization_data`), whose values
//! are redacted by the same function that redacts answers ([`super::redact`]). A signature sent
//! as a query or form parameter (Binance `signature=`, docs/venues/binance.md §2) is redacted like
//! a signature header.
//!
//! Secrets are types here, so that a debug line cannot leak one either: a credential header's
//! value is a [`Sensitive`] (the OKX passphrase, key ids, signatures, bearer tokens), and the
//! `Debug` of a [`Request`] shows its query and body through the same redaction as `Display`.
//! The bytes sent are never touched by any of it.

use std::fmt;

use serde::Deserialize;

/// HTTP methods the venues use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
    /// PUT (Binance's order amends; parameters in the query, as DELETE's).
    Put,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Put => "PUT",
        }
    }
}

/// An unsigned request. Its `Debug` redacts secret-bearing query and body fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, starting with `/`.
    pub path: String,
    /// The query string exactly as it will be sent, without `?`; empty for none.
    pub query: String,
    /// The body exactly as it will be sent.
    pub body: Option<String>,
    /// Whether sending it changes anything at the exchange.
    pub mutating: bool,
}

impl Request {
    /// A GET without side effects.
    pub fn get(path: &str, query: String) -> Request {
        Request {
            method: Method::Get,
            path: path.to_owned(),
            query,
            body: None,
            mutating: false,
        }
    }

    /// A POST that changes something.
    pub fn post(path: &str, body: String) -> Request {
        Request {
            method: Method::Post,
            path: path.to_owned(),
            query: String::new(),
            body: Some(body),
            mutating: true,
        }
    }

    /// The path with its query, as signed by venues that sign it.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// The body as people see it: every secret-bearing field redacted ([`super::redact`]), at any
/// depth (a JSON-RPC body nests its parameters); anything else as sent.
fn shown_body(body: &str) -> String {
    super::redact::redact(body)
}

/// A query string or form body as people see it: secret-bearing parameters (`signature=`)
/// redacted.
fn shown_params(text: &str) -> String {
    super::redact::redact(text)
}

/// A request body as people see it: JSON through [`shown_body`], a form through
/// [`shown_params`].
fn shown(body: &str) -> String {
    if body.trim_start().starts_with(['{', '[']) {
        shown_body(body)
    } else {
        shown_params(body)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &shown_params(&self.query))
            .field("body", &self.body.as_deref().map(shown))
            .field("mutating", &self.mutating)
            .finish()
    }
}

/// Text sent (or read) exactly as it is but never shown: its `Debug` and `Display` are
/// `<redacted>`. For credentials that travel as plain text (headers, wire fields), where a
/// `SecretString` would have to be exposed at every use.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a credential.
    pub fn new(text: impl Into<String>) -> Sensitive {
        Sensitive(text.into())
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether there is no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text, for moving into a `SecretString`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::redact::REDACTED)
    }
}

impl fmt::Display for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(super::redact::REDACTED)
    }
}

/// A header's value: shown as it is, or a credential shown redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Anything people may see (a timestamp, a content type).
    Shown(String),
    /// A key id, a signature, a passphrase or a token.
    Sensitive(Sensitive),
}

impl HeaderValue {
    /// A credential header's value.
    pub fn sensitive(text: impl Into<String>) -> HeaderValue {
        HeaderValue::Sensitive(Sensitive::new(text))
    }

    /// Any other header's value.
    pub fn shown(text: impl Into<String>) -> HeaderValue {
        HeaderValue::Shown(text.into())
    }

    /// The value as sent.
    pub fn as_str(&self) -> &str {
        match self {
            HeaderValue::Shown(text) => text,
            HeaderValue::Sensitive(secret) => secret.as_str(),
        }
    }
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Shown(text) => f.write_str(text),
            HeaderValue::Sensitive(secret) => fmt::Display::fmt(secret, f),
        }
    }
}

/// One request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name.
    pub name: &'static str,
    /// The value: sent as it is, redacted wherever the request is shown.
    pub value: HeaderValue,
}

impl Header {
    /// A credential header.
    pub fn sensitive(name: &'static str, value: impl Into<String>) -> Header {
        Header {
            name,
            value: HeaderValue::sensitive(value),
        }
    }

    /// Any other header.
    pub fn shown(name: &'static str, value: impl Into<String>) -> Header {
        Header {
            name,
            value: HeaderValue::shown(value),
        }
    }

    /// Whether the value is redacted wherever the request is shown.
    pub fn is_sensitive(&self) -> bool {
        matches!(self.value, HeaderValue::Sensitive(_))
    }
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The request.
    pub request: Request,
    /// Its headers, authentication included.
    pub headers: Vec<Header>,
}

impl fmt::Display for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let req = &self.request;
        if req.query.is_empty() {
            writeln!(f, "{} {}", req.method.as_str(), req.path)?;
        } else {
            writeln!(
                f,
                "{} {}?{}",
                req.method.as_str(),
                req.path,
                shown_params(&req.query)
            )?;
        }
        for header in &self.headers {
            writeln!(f, "{}: {}", header.name, header.value)?;
        }
        if let Some(body) = &req.body {
            writeln!(f)?;
            write!(f, "{}", shown(body))?;
        }
        Ok(())
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The gist of a body that is not the venue's JSON (often a gateway's HTML error page, or an
    /// answer cut short), for an error message: tags dropped, white space folded, secret-bearing
    /// values redacted ([`super::redact`]), at most 120 characters. Every excerpt of an answer
    /// an error keeps is this one.
    pub fn gist(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let mut text = String::new();
        let mut in_tag = false;
        for ch in body.chars() {
            match ch {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                _ if !in_tag => text.push(ch),
                _ => {}
            }
        }
        let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
        super::redact::redact(&folded).chars().take(120).collect()
    }
}

/// What the venues' secrets-as-types tests check on a signed request.
#[cfg(test)]
pub(crate) mod check {
    use super::SignedRequest;

    /// The request as it goes on the wire, a line per part (request line, each header, body),
    /// for comparing with a fixed vector.
    pub(crate) fn wire_lines(signed: &SignedRequest) -> Vec<String> {
        let req = &signed.request;
        let mut lines = vec![format!("{} {}", req.method.as_str(), req.path_and_query())];
        lines.extend(
            signed
                .headers
                .iter()
                .map(|h| format!("{}: {}", h.name, h.value.as_str())),
        );
        lines.extend(req.body.clone());
        lines
    }

    /// Fails when a debug line of the request, or the request as shown, holds any of
    /// `secrets`.
    pub(crate) fn debug_hides(signed: &SignedRequest, secrets: &[&str]) {
        let debug = format!("{signed:?}");
        let pretty = format!("{signed:#?}");
        let shown = signed.to_string();
        for secret in secrets {
            assert!(!debug.contains(secret), "{secret} in {debug}");
            assert!(!pretty.contains(secret), "{secret} in {pretty}");
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_page_is_summed_up_in_a_line() {
        let page = "<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad   Gateway</h1>\n<hr>nginx</body></html>";
        let response = Response {
            status: 502,
            headers: Vec::new(),
            body: page.as_bytes().to_vec(),
        };
        assert_eq!(response.gist(), "502 Bad Gateway 502 Bad Gateway nginx");
        let long = Response {
            body: "x ".repeat(200).into_bytes(),
            ..response
        };
        assert_eq!(long.gist().chars().count(), 120);
    }

    #[test]
    fn secret_body_fields_are_redacted_when_shown_only() {
        let body = r#"{"label":"bot","passphrase":"Sec-ret1!","subAcct":"gridbot01"}"#;
        let signed = SignedRequest {
            request: Request::post("/api/v5/users/subaccount/apikey", body.to_owned()),
            headers: Vec::new(),
        };
        let shown = signed.to_string();
        assert!(!shown.contains("Sec-ret1!"), "{shown}");
        assert!(shown.contains(r#""passphrase":"<redacted>""#), "{shown}");
        assert!(shown.contains("gridbot01"), "{shown}");
        // What is sent is untouched.
        assert_eq!(signed.request.body.as_deref(), Some(body));
        let form = SignedRequest {
            request: Request {
                method: Method::Delete,
                path: "/api/v3/openOrders".into(),
                query: "symbol=BTCUSDT&timestamp=1&signature=abc123".into(),
                body: None,
                mutating: true,
            },
            headers: Vec::new(),
        };
        let shown = form.to_string();
        assert!(shown.contains("symbol=BTCUSDT&timestamp=1&signature=<redacted>"));
        assert!(!shown.contains("abc123"), "{shown}");
        assert_eq!(
            shown_params("a=1&signature=f00&b=2"),
            "a=1&signature=<redacted>&b=2"
        );
        for (label, plain) in [
            ("no secret", r#"{"a":1}"#),
            ("array", r#"[{"instId":"X"}]"#),
        ] {
            assert_eq!(shown_body(plain), plain, "{label}");
        }
        let nested = r#"{"jsonrpc":"2.0","method":"public/exchange_token","params":{"refresh_token":"R3fr3sh","subject_id":7}}"#;
        assert!(!shown_body(nested).contains("R3fr3sh"));
        assert!(shown_body(nested).contains(r#""subject_id":7"#));
    }
}
