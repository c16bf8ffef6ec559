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
    /// answer cut short), for an error message: its content type and length, then its text with
    /// tags dropped, white space folded, secret-bearing values redacted ([`super::redact`]), at
    /// most 120 characters. Every excerpt of an answer an error keeps is this one; the client
    /// keeps [`Response::gist_without`] the request's own secrets instead.
    pub fn gist(&self) -> String {
        self.gist_without(&[])
    }

    /// [`Response::gist`] with every value in `carried` (what the request sent that an echo of
    /// it would show: the key id, the signature, the passphrase, a token) replaced before the
    /// text is cut, so that no part of one is kept; without any text at all when a value is
    /// too short to be found safely ([`super::redact::can_scrub`]). A venue or a proxy in front
    /// of it may echo the request in an error page.
    pub fn gist_without(&self, carried: &[String]) -> String {
        let kind = self.content_type();
        let len = self.body.len();
        if !super::redact::can_scrub(carried) {
            return format!("{kind}, {len} bytes");
        }
        // Replaced before tags are dropped (a value may sit in a cell), by a mark tags leave.
        const MARK: &str = "\u{1}redacted\u{1}";
        let body = super::redact::scrub_with(&String::from_utf8_lossy(&self.body), carried, MARK);
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
        let redacted = super::redact::redact(&super::redact::scrub(&folded, carried))
            .replace(MARK, super::redact::REDACTED);
        let text: String = redacted.chars().take(120).collect();
        if text.is_empty() {
            format!("{kind}, {len} bytes")
        } else {
            format!("{kind}, {len} bytes: {text}")
        }
    }

    /// The media type of `Content-Type` (`text/html`), when it is one; a sender controls the
    /// header, so anything else is not shown.
    fn content_type(&self) -> String {
        let Some(value) = self.header("content-type") else {
            return "no content type".to_owned();
        };
        let media = value.split(';').next().unwrap_or_default().trim();
        let plain = media.len() <= 64
            && media.contains('/')
            && media
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '+' | '-' | '_'));
        if plain {
            media.to_ascii_lowercase()
        } else {
            "an unusual content type".to_owned()
        }
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
        assert_eq!(
            response.gist(),
            "no content type, 106 bytes: 502 Bad Gateway 502 Bad Gateway nginx"
        );
        let long = Response {
            headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
            body: "x ".repeat(200).into_bytes(),
            ..response.clone()
        };
        let gist = long.gist();
        let text = gist.strip_prefix("text/plain, 400 bytes: ").unwrap();
        assert_eq!(text.chars().count(), 120);
        let odd = Response {
            headers: vec![("content-type".into(), "text/html sig=abc123".into())],
            body: Vec::new(),
            ..response
        };
        assert_eq!(odd.gist(), "an unusual content type, 0 bytes");
    }

    #[test]
    fn an_echo_of_the_request_keeps_none_of_its_secrets_even_cut() {
        let sign = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let carried = vec![sign.to_owned(), "KEYID-0123456789".to_owned()];
        // A debugging proxy's page: names and values in cells, no `name: value` to redact by.
        let page = format!(
            "<html><table><tr><td>OK-ACCESS-KEY</td><td>KEYID-0123456789</td></tr>\
             <tr><td>OK-ACCESS-SIGN</td><td>{sign}</td></tr></table></html>"
        );
        let response = Response {
            status: 502,
            headers: vec![("content-type".into(), "text/html".into())],
            body: page.clone().into_bytes(),
        };
        let unsafe_gist = response.gist();
        assert!(unsafe_gist.contains("KEYID-0123456789"), "{unsafe_gist}");
        let gist = response.gist_without(&carried);
        assert_eq!(
            gist,
            format!(
                "text/html, {} bytes: OK-ACCESS-KEY <redacted> OK-ACCESS-SIGN <redacted>",
                page.len()
            )
        );
        // Cut inside the signature: none of it is kept either, as values go before the cut.
        for pad in 0..80 {
            let body = format!("{} {sign}", "p".repeat(pad));
            let cut = Response {
                body: body.into_bytes(),
                ..response.clone()
            };
            let gist = cut.gist_without(&carried);
            assert!(!gist.contains(&sign[..8]), "{pad}: {gist}");
        }
        // A value too short to find safely: no text at all.
        let short = response.gist_without(&["ab1".to_owned()]);
        assert_eq!(short, format!("text/html, {} bytes", page.len()));
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
