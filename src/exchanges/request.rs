//! Requests as adapters build them and responses as the HTTP layer hands them back.
//!
//! A [`SignedRequest`] is exactly what goes on the wire. Its `Display` is what people and the
//! journal see of it: the key id and the signature are redacted, the body is shown as sent
//! (a venue whose request bodies can carry a secret must mark those headers or bodies sensitive).

use std::fmt;

/// HTTP methods the venues use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// An unsigned request.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// One request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The header name.
    pub name: &'static str,
    /// The value as sent.
    pub value: String,
    /// Redacted wherever the request is shown.
    pub sensitive: bool,
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
        writeln!(f, "{} {}", req.method.as_str(), req.path_and_query())?;
        for header in &self.headers {
            let value = if header.sensitive {
                "<redacted>"
            } else {
                header.value.as_str()
            };
            writeln!(f, "{}: {value}", header.name)?;
        }
        if let Some(body) = &req.body {
            writeln!(f)?;
            write!(f, "{body}")?;
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
}
