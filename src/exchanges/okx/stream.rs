//! OKX's private order streams for `lockdown watch` (docs/venues/okx.md "Private stream",
//! docs/watch.md §1).
//!
//! OKX splits a key's orders over two WebSocket addresses, so a watched key needs two
//! connections: `/ws/v5/private` with the `orders` channel (every order-book order of every
//! instrument type, `instType` `ANY`), and `/ws/v5/business` with `orders-algo` (trigger,
//! one-way stop, OCO) and `algo-advance` (trailing stop, iceberg, TWAP), which OKX moved there.
//! Both log in the same way: `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`,
//! the timestamp in Unix seconds, the sign base64 HMAC-SHA256 of `timestamp + "GET" +
//! "/users/self/verify"` with the key's secret. OKX refuses a subscription sent before the
//! login's answer, so the subscription is sent when the login is acknowledged, and the
//! connection is ready when its last channel is acknowledged. The client keeps the connection
//! alive with the text `ping` every 20 s (OKX closes one silent for 30 s).
//!
//! Pushes carry the same order fields as the REST lists, so they are read by the REST
//! decoders (`wire/orders.rs`): an order-book order as `orders-pending` items are, an algo
//! order as `orders-algo-pending` items are.

use serde_json::{Value, json};
use url::Url;

use super::wire;
use crate::exchanges::ExchangeError;
use crate::exchanges::model::Segment;
use crate::exchanges::stream::{
    Connection, Frame, Keepalive, PrivateStream, passphrase_login, same_host,
};
use crate::secret::{Credential, SecretString};

/// The two connections' names, which are also the last part of their paths.
const PRIVATE: &str = "private";
const BUSINESS: &str = "business";

/// What the connection's login signs after the timestamp.
const VERIFY: &str = "GET/users/self/verify";

/// The client's keep-alive: OKX closes a connection silent for 30 s and asks for `ping`
/// before that.
const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// OKX's private order streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct OkxStream;

/// The channels each connection subscribes to, in order; the last one's acknowledgement makes
/// the connection ready.
fn channels(connection: &Connection) -> &'static [&'static str] {
    match connection.name {
        BUSINESS => &["orders-algo", "algo-advance"],
        _ => &["orders"],
    }
}

/// The WebSocket host of OKX's own REST hosts (docs/venues/okx.md §1 and "Private stream").
fn stream_host(rest_host: &str) -> Option<&'static str> {
    match rest_host {
        "www.okx.com" | "okx.com" | "openapi.okx.com" => Some("ws.okx.com"),
        "eea.okx.com" | "my.okx.com" => Some("wseea.okx.com"),
        "us.okx.com" | "app.okx.com" => Some("wsus.okx.com"),
        _ => None,
    }
}

/// The login's signature: base64 of HMAC-SHA256 over `timestamp + "GET/users/self/verify"`.
fn login_sign(secret: &SecretString, timestamp: &str) -> String {
    super::signer::sign_prehash(secret, &format!("{timestamp}{VERIFY}"))
}

/// What to do about a refusal code, for the operator (OKX's WebSocket error codes).
fn hint(code: &str) -> &'static str {
    match code {
        "60004" | "60006" => " (the login's timestamp: check this machine's clock)",
        "60005" | "60032" => " (the key is unknown or deleted: it may have been revoked)",
        "60007" => " (the signature: check the key's secret in the profile)",
        "60024" => " (check the key's passphrase in the profile)",
        "60009" => " (the key may be bound to other IP addresses than this machine's)",
        _ => "",
    }
}

impl PrivateStream for OkxStream {
    fn connections(&self, _segments: &[Segment]) -> Vec<Connection> {
        // Every instrument type in one subscription each (`instType` `ANY`): the segments do
        // not split the connections.
        vec![
            Connection {
                name: PRIVATE,
                token: None,
            },
            Connection {
                name: BUSINESS,
                token: None,
            },
        ]
    }

    fn url(
        &self,
        rest_base: &Url,
        connection: &Connection,
        _token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError> {
        let path = format!("/ws/v5/{}", connection.name);
        match rest_base.host_str().and_then(stream_host) {
            Some(host) => Url::parse(&format!("wss://{host}:8443{path}")).map_err(|err| {
                ExchangeError::Protocol {
                    detail: format!("OKX stream address: {err}"),
                }
            }),
            None => same_host(rest_base, &path, None),
        }
    }

    fn login(
        &self,
        _connection: &Connection,
        credential: &Credential,
        _token: Option<&SecretString>,
        now_ms: i64,
    ) -> Vec<String> {
        vec![passphrase_login(credential, now_ms, login_sign)]
    }

    fn read(&self, connection: &Connection, text: &str) -> Vec<Frame> {
        if text == "pong" {
            return vec![Frame::Nothing];
        }
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        let text_of = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        if let Some(event) = message.get("event").and_then(Value::as_str) {
            let code = text_of(message.get("code"));
            return vec![match event {
                "login" if code == "0" || code.is_empty() => {
                    let args: Vec<Value> = channels(connection)
                        .iter()
                        .map(|channel| json!({ "channel": channel, "instType": "ANY" }))
                        .collect();
                    Frame::Send(
                        json!({ "id": connection.name, "op": "subscribe", "args": args })
                            .to_string(),
                    )
                }
                "subscribe" => {
                    let channel = message
                        .get("arg")
                        .and_then(|arg| arg.get("channel"))
                        .and_then(Value::as_str);
                    if channel.is_some() && channel == channels(connection).last().copied() {
                        Frame::Ready
                    } else {
                        Frame::Nothing
                    }
                }
                "error" | "login" => {
                    let msg = self.describe(&text_of(message.get("msg")));
                    Frame::Refused(format!("OKX {code}: {msg}{}", hint(&code)))
                }
                "channel-conn-count-error" => Frame::Refused(format!(
                    "OKX allows {} connections to `{}` per sub-account: close the others",
                    text_of(message.get("connCount")),
                    text_of(message.get("channel")),
                )),
                // `channel-conn-count`, `notice` (a service upgrade closes the connection
                // soon; the watcher reconnects), `unsubscribe` and anything new.
                _ => Frame::Nothing,
            }];
        }
        let channel = message
            .get("arg")
            .and_then(|arg| arg.get("channel"))
            .and_then(Value::as_str);
        let data = message.get("data").cloned().unwrap_or(Value::Null);
        let orders = match channel {
            Some("orders") => wire::pushed_orders(data),
            Some("orders-algo" | "algo-advance") => wire::pushed_algo_orders(data),
            _ => return vec![Frame::Nothing],
        };
        if orders.is_empty() {
            vec![Frame::Nothing]
        } else {
            vec![Frame::Orders(orders)]
        }
    }

    fn keepalive(&self) -> Option<Keepalive> {
        Some(Keepalive {
            every: PING_EVERY,
            text: Some("ping".to_owned()),
        })
    }

    fn summary(&self) -> &'static str {
        "`orders` (every instType) on /ws/v5/private, `orders-algo` and `algo-advance` on \
         /ws/v5/business; not shown: trading-bot and copy-trading orders, demo trading's host"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Category, Order, OrderStatus, Side};
    use crate::secret::KeyId;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/okx/stream/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn connection(name: &'static str) -> Connection {
        OkxStream
            .connections(&[])
            .into_iter()
            .find(|c| c.name == name)
            .unwrap()
    }

    #[test]
    fn the_login_sign_matches_an_independent_computation() {
        // Computed outside this code:
        // printf '1538054050GET/users/self/verify' \
        //   | openssl dgst -sha256 -hmac '22582BD0CFF14C41EDBF1AB98506286D' -binary | base64
        // (the docs' own example sign, `7L+zFQ…`, uses a secret they do not show).
        let secret = SecretString::from("22582BD0CFF14C41EDBF1AB98506286D");
        assert_eq!(
            login_sign(&secret, "1538054050"),
            "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M="
        );
        // printf '1704164645GET/users/self/verify' \
        //   | openssl dgst -sha256 -hmac 'okx-hand-secret' -binary | base64
        let cred = Credential::new(
            KeyId::new("okx-fixture-key-0001"),
            SecretString::from("okx-hand-secret"),
        )
        .with_passphrase(SecretString::from("Pass-phrase1"));
        let login = OkxStream.login(&connection(PRIVATE), &cred, None, 1_704_164_645_678);
        assert_eq!(login.len(), 1);
        let sent: Value = serde_json::from_str(&login[0]).unwrap();
        let documented: Value = serde_json::from_str(&fixture("login-request")).unwrap();
        // The documented shape, field for field.
        assert_eq!(sent["op"], documented["op"]);
        let keys = |v: &Value| {
            let mut keys: Vec<String> = v["args"][0].as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&sent), keys(&documented));
        assert_eq!(sent["args"][0]["timestamp"], "1704164645");
        assert_eq!(sent["args"][0]["apiKey"], "okx-fixture-key-0001");
        assert_eq!(sent["args"][0]["passphrase"], "Pass-phrase1");
        assert_eq!(
            sent["args"][0]["sign"],
            "L2+UxgNd+wu89unn3hh9N+fy0GFokajTbPM4LNd5B/0="
        );
    }

    #[test]
    fn the_subscription_follows_the_login_and_the_last_ack_is_ready() {
        let private = connection(PRIVATE);
        let business = connection(BUSINESS);
        let frames = OkxStream.read(&private, &fixture("login-ok"));
        let [Frame::Send(subscribe)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        let subscribe: Value = serde_json::from_str(subscribe).unwrap();
        assert_eq!(subscribe["op"], "subscribe");
        assert_eq!(
            subscribe["args"],
            json!([{ "channel": "orders", "instType": "ANY" }])
        );
        let frames = OkxStream.read(&business, &fixture("login-ok"));
        let [Frame::Send(subscribe)] = frames.as_slice() else {
            panic!("business");
        };
        let subscribe: Value = serde_json::from_str(subscribe).unwrap();
        assert_eq!(
            subscribe["args"],
            json!([
                { "channel": "orders-algo", "instType": "ANY" },
                { "channel": "algo-advance", "instType": "ANY" }
            ])
        );
        assert_eq!(
            OkxStream.read(&private, &fixture("subscribe-orders-ack")),
            [Frame::Ready]
        );
        assert_eq!(
            OkxStream.read(&business, &fixture("subscribe-orders-algo-ack")),
            [Frame::Nothing]
        );
        assert_eq!(
            OkxStream.read(&business, &fixture("subscribe-algo-advance-ack")),
            [Frame::Ready]
        );
    }

    #[test]
    fn refusals_say_what_and_what_next() {
        let private = connection(PRIVATE);
        let frames = OkxStream.read(&private, &fixture("login-error"));
        let [Frame::Refused(why)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert!(
            why.contains("60009") && why.contains("IP addresses"),
            "{why}"
        );
        let frames = OkxStream.read(&private, &fixture("subscribe-error"));
        assert!(matches!(frames.as_slice(), [Frame::Refused(why)] if why.contains("60012")));
        let frames = OkxStream.read(&private, &fixture("channel-conn-count-error"));
        assert!(
            matches!(frames.as_slice(), [Frame::Refused(why)] if why.contains("30 connections"))
        );
    }

    #[test]
    fn heartbeats_and_unknown_messages_are_nothing() {
        let private = connection(PRIVATE);
        for text in [
            "pong".to_owned(),
            fixture("channel-conn-count"),
            r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#.to_owned(),
            r#"{"arg":{"channel":"account","uid":"1"},"data":[{"totalEq":"1"}]}"#.to_owned(),
            r#"{"arg":{"channel":"orders","uid":"1"},"data":[{"nonsense":true}]}"#.to_owned(),
            "not json".to_owned(),
            "[]".to_owned(),
        ] {
            assert_eq!(OkxStream.read(&private, &text), [Frame::Nothing], "{text}");
        }
    }

    #[test]
    fn the_docs_order_push_decodes_as_the_rest_list_does() {
        let frames = OkxStream.read(&connection(PRIVATE), &fixture("orders-push"));
        assert_eq!(
            frames,
            [Frame::Orders(vec![Order {
                order_id: "452197707845865472".into(),
                client_order_id: None,
                category: Category::Spot,
                symbol: "BTC-USDT".into(),
                side: Side::Sell,
                order_type: "limit".into(),
                qty: Amount::new("0.001"),
                price: Some(Amount::new("31527.1")),
                filled_qty: Amount::new("0.001"),
                avg_price: Some(Amount::new("31527.1")),
                status: OrderStatus::Filled,
                created_ms: 1_654_084_334_977,
                updated_ms: 1_654_084_353_264,
            }])]
        );
    }

    #[test]
    fn the_docs_algo_pushes_decode_as_the_algo_list_does() {
        let business = connection(BUSINESS);
        let frames = OkxStream.read(&business, &fixture("orders-algo-push"));
        assert_eq!(
            frames,
            [Frame::Orders(vec![Order {
                order_id: "581878926302093312".into(),
                client_order_id: None,
                category: Category::Spot,
                symbol: "BTC-USDC".into(),
                side: Side::Buy,
                order_type: "conditional".into(),
                qty: Amount::new("11"),
                price: None,
                filled_qty: Amount::new("0"),
                avg_price: None,
                status: OrderStatus::Untriggered,
                created_ms: 1_685_002_746_818,
                updated_ms: 1_708_679_675_245,
            }])]
        );
        // The advance example has no `uTime`: the creation time stands in.
        let frames = OkxStream.read(&business, &fixture("algo-advance-push"));
        assert_eq!(
            frames,
            [Frame::Orders(vec![Order {
                order_id: "355056228680335360".into(),
                client_order_id: None,
                category: Category::Spot,
                symbol: "BTC-USDT".into(),
                side: Side::Buy,
                order_type: "iceberg".into(),
                qty: Amount::new("0.1"),
                price: None,
                filled_qty: Amount::new("0"),
                avg_price: None,
                status: OrderStatus::Untriggered,
                created_ms: 1_630_924_001_545,
                updated_ms: 1_630_924_001_545,
            }])]
        );
    }

    #[test]
    fn okx_hosts_get_okx_stream_hosts_and_others_the_same_host() {
        let private = connection(PRIVATE);
        let business = connection(BUSINESS);
        let url = |base: &str, c: &Connection| {
            OkxStream
                .url(&Url::parse(base).unwrap(), c, None)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url("https://www.okx.com", &private),
            "wss://ws.okx.com:8443/ws/v5/private"
        );
        assert_eq!(
            url("https://openapi.okx.com", &business),
            "wss://ws.okx.com:8443/ws/v5/business"
        );
        assert_eq!(
            url("https://eea.okx.com", &private),
            "wss://wseea.okx.com:8443/ws/v5/private"
        );
        assert_eq!(
            url("http://127.0.0.1:4100", &business),
            "ws://127.0.0.1:4100/ws/v5/business"
        );
        assert_eq!(
            OkxStream.keepalive(),
            Some(Keepalive {
                every: PING_EVERY,
                text: Some("ping".into())
            })
        );
    }
}
