//! A venue's private order stream, as the watcher reads it (docs/watch.md §1).
//!
//! The venues push a key's order updates on an authenticated WebSocket; each does it its own way
//! (the address, a token fetched by REST first or a signed login message, the subscription, the
//! keep-alive, the message shapes). A venue that has one implements [`PrivateStream`]: pure
//! functions from a credential and a clock to the messages to send, and from each message
//! received to [`Frame`]s. Only `watch/stream.rs` touches the socket, so the wire formats can be
//! checked against the docs' example messages without a server, as the REST adapters are.
//!
//! A stream is never trusted alone: after every (re)connect the watcher reads the gap by REST
//! from where it last had news, so a drop, a missed message or a late subscription loses
//! nothing (docs/watch.md §1, gap fill).

use std::fmt;
use std::time::Duration;

use url::Url;

use super::ExchangeError;
use super::model::{Order, Segment};
use super::op::Op;
use crate::secret::{Credential, SecretString};

/// One connection a watched key needs (most venues: one for every product; Binance: one per
/// product family, each with its own listen key and host).
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// A short name for logs and figures (`private`, `spot`, `usdm`).
    pub name: &'static str,
    /// What the connection needs from REST before it opens (Binance's listen key, Kraken's
    /// token): an [`Op::StreamToken`], sent with the watched key's own credential, whose reply
    /// is handed to [`PrivateStream::url`] and [`PrivateStream::login`]. `None`: nothing.
    pub token: Option<Op>,
}

/// What one message from the server means to the watcher.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Send this text back (a login's follow-up subscription, an answer to the server's
    /// heartbeat request).
    Send(String),
    /// Authenticated and subscribed: from now on every order update arrives. The watcher fills
    /// the gap by REST when it sees this, once per connection.
    Ready,
    /// Orders as the stream shows them now (a new order, a fill, a cancel).
    Orders(Vec<Order>),
    /// The server refused the login or the subscription: the words, without any secret. The
    /// watcher falls back to polling and tries the stream again after a pause.
    Refused(String),
    /// An order of `segment` changed at `at_ms` (exchange time) but the message cannot say
    /// whose it is (BingX's spot push carries no client order id): the watcher reads that
    /// segment by REST as soon as its clock is past `at_ms` (a history window must reach the
    /// order), and the orders that look finds count as the stream's.
    Look {
        /// Where the order is.
        segment: Segment,
        /// When the change happened, on the exchange's clock.
        at_ms: i64,
    },
    /// A heartbeat, an acknowledgement or anything else with no news.
    Nothing,
}

/// How a connection is kept alive from the client's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keepalive {
    /// How often.
    pub every: Duration,
    /// The text sent (Bybit `{"op":"ping"}`, OKX `ping`); `None` for a WebSocket ping frame.
    pub text: Option<String>,
}

/// A venue's private order stream: what to send and how to read what comes.
pub trait PrivateStream: Send + Sync + fmt::Debug {
    /// The connections a key needs to see every order in `segments` (the venue's segments as
    /// the client lists them).
    fn connections(&self, segments: &[Segment]) -> Vec<Connection>;

    /// The address of `connection` for a profile whose REST base is `rest_base`: the venue's
    /// documented stream host for its own REST host; on any other host (the simulator, a
    /// proxy) the same host and port with `ws://` for `http://` (`wss://` for `https://`) and
    /// the documented path. `token` is the [`Connection::token`] reply, when there is one.
    fn url(
        &self,
        rest_base: &Url,
        connection: &Connection,
        token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError>;

    /// The messages to send once connected (a signed login, a subscription), in order, signed
    /// with `credential` at `now_ms` on the exchange's clock. Secrets go only into these texts,
    /// which are never logged.
    fn login(
        &self,
        connection: &Connection,
        credential: &Credential,
        token: Option<&SecretString>,
        now_ms: i64,
    ) -> Vec<String>;

    /// What one text message means. Unknown messages are [`Frame::Nothing`]: a venue that adds
    /// a field or a channel never stops the watcher.
    fn read(&self, connection: &Connection, text: &str) -> Vec<Frame>;

    /// The client's keep-alive, when the venue asks for one.
    fn keepalive(&self) -> Option<Keepalive>;

    /// How often `connection`'s token must be asked for again while it is connected, where the
    /// venue's token lapses on its own (Binance's listen key: 60 minutes unless extended).
    /// `None`, the default: the token lives as long as the connection. The watcher sends the
    /// connection's [`Connection::token`] op again on this period, with the same credential:
    /// the same token back means it was extended; another one, or a refusal, means the old one
    /// is gone, and the connection is opened again (the gap fill reads what passed meanwhile).
    fn token_refresh(&self, _connection: &Connection) -> Option<Duration> {
        None
    }

    /// The text of a binary message, for venues that send their messages compressed (BingX:
    /// gzip); `None` (the default) ignores binary messages.
    fn unpack(&self, _bytes: &[u8]) -> Option<String> {
        None
    }

    /// Whether the stream pushes the orders of `segment`; the watcher keeps polling the others
    /// at its interval while the stream is up (Binance streams neither margin nor options). By
    /// default every segment.
    fn pushes(&self, _segment: &Segment) -> bool {
        true
    }

    /// One line for `lockdown capabilities`: the channels followed, and what they do not show
    /// (the REST looks cover that: every gap fill and once a minute).
    fn summary(&self) -> &'static str;

    /// The text of the server's close or error, for the log: the default is the frame itself,
    /// cut to 200 characters and redacted.
    fn describe(&self, text: &str) -> String {
        let cut: String = text.chars().take(200).collect();
        super::redact::redact(&cut)
    }
}

/// The `login` message OKX and Bitget both document: `{"op":"login","args":[{apiKey,
/// passphrase, timestamp, sign}]}`, the timestamp in seconds, `sign` what the venue's own
/// `sign(secret, timestamp)` makes of it (docs/venues/okx.md §12, docs/venues/bitget.md §12).
/// An absent passphrase is sent empty: the venue refuses the login with a code that names it.
pub fn passphrase_login(
    credential: &Credential,
    now_ms: i64,
    sign: impl Fn(&SecretString, &str) -> String,
) -> String {
    let timestamp = now_ms.div_euclid(1000).to_string();
    #[allow(clippy::disallowed_methods)] // the login message carries the passphrase
    let passphrase = credential
        .passphrase()
        .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
        .unwrap_or_default();
    serde_json::json!({
        "op": "login",
        "args": [{
            "apiKey": credential.key.as_str(),
            "passphrase": passphrase,
            "timestamp": timestamp,
            "sign": sign(credential.secret(), &timestamp),
        }],
    })
    .to_string()
}

/// Turns a REST base into the WebSocket address of the same host: `http` → `ws`, `https` →
/// `wss`, with `path` (and `query`, if any). What venues use for every host but their own.
pub fn same_host(rest_base: &Url, path: &str, query: Option<&str>) -> Result<Url, ExchangeError> {
    let scheme = match rest_base.scheme() {
        "http" => "ws",
        "https" => "wss",
        other => {
            return Err(ExchangeError::Protocol {
                detail: format!("cannot stream from a `{other}:` base URL"),
            });
        }
    };
    let mut url = rest_base.clone();
    url.set_scheme(scheme)
        .map_err(|()| ExchangeError::Protocol {
            detail: format!("cannot turn {rest_base} into a WebSocket address"),
        })?;
    url.set_path(path);
    url.set_query(query);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::same_host;

    #[test]
    fn the_same_host_keeps_port_and_swaps_the_scheme() {
        let base = url::Url::parse("http://127.0.0.1:4100").unwrap();
        let url = same_host(&base, "/v5/private", None).unwrap();
        assert_eq!(url.as_str(), "ws://127.0.0.1:4100/v5/private");
        let base = url::Url::parse("https://example.test/api").unwrap();
        let url = same_host(&base, "/ws", Some("listenKey=x")).unwrap();
        assert_eq!(url.as_str(), "wss://example.test/ws?listenKey=x");
        assert!(same_host(&url::Url::parse("file:///x").unwrap(), "/", None).is_err());
    }
}
