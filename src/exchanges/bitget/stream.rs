//! Bitget's private order stream for `lockdown watch` (docs/venues/bitget.md §12,
//! docs/watch.md §1).
//!
//! One connection carries every product: `wss://ws.bitget.com/v2/ws/private`. It logs in with
//! `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`, the timestamp in Unix
//! seconds and the sign base64 HMAC-SHA256 of `timestamp + "GET" + "/user/verify"` with the
//! key's secret, then subscribes, for each product the REST side covers (`SPOT`,
//! `USDT-FUTURES`, `USDC-FUTURES`, `COIN-FUTURES`, all markets with `instId` `default`), to
//! `orders` (order-book orders) and `orders-algo` (trigger orders, which the REST looks do not
//! list). The subscription is sent once the login is acknowledged, and the connection is ready
//! when the last channel is acknowledged. The client sends the text `ping` every 30 s, as the
//! docs ask (the server closes a connection that sent none for 2 minutes).
//!
//! Pushes carry the REST list's order fields under other names; `wire::pushed_orders` renames
//! them and reads them with the list's decoder, so a pushed order and a listed one compare
//! equal in the watcher's "once per state" filter.

use std::time::Duration;

use serde_json::{Value, json};
use url::Url;

use super::{endpoints, wire};
use crate::exchanges::ExchangeError;
use crate::exchanges::model::{Category, Segment};
use crate::exchanges::stream::{
    Connection, Frame, Keepalive, PrivateStream, passphrase_login, same_host,
};
use crate::secret::{Credential, SecretString};

/// The private stream's path, on Bitget's stream host and on any other host alike.
const PATH: &str = "/v2/ws/private";

/// What the login signs after the timestamp.
const VERIFY: &str = "GET/user/verify";

/// The client's keep-alive: "set a 30 seconds timer to send string `ping`".
const PING_EVERY: Duration = Duration::from_secs(30);

/// The order channels, each subscribed for every product.
const CHANNELS: [&str; 2] = ["orders", "orders-algo"];

/// The products (`instType`) subscribed, in order: the REST side's segments.
const PRODUCTS: [&str; 4] = [
    endpoints::SPOT,
    endpoints::USDT_FUTURES,
    endpoints::USDC_FUTURES,
    endpoints::COIN_FUTURES,
];

/// Bitget's private order stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct BitgetStream;

/// The login's signature: base64 of HMAC-SHA256 over `timestamp + "GET/user/verify"`.
fn login_sign(secret: &SecretString, timestamp: &str) -> String {
    super::signer::sign_prehash(secret, &format!("{timestamp}{VERIFY}"))
}

/// Every subscription argument, in the order sent; the last one's acknowledgement makes the
/// connection ready.
fn subscriptions() -> Vec<Value> {
    CHANNELS
        .iter()
        .flat_map(|channel| {
            PRODUCTS.iter().map(move |product| {
                json!({ "instType": product, "channel": channel, "instId": "default" })
            })
        })
        .collect()
}

/// The segment a push's `instType` names; `None` for a product lockdown does not list.
fn segment_of(inst_type: &str) -> Option<Segment> {
    let (category, settle) = match inst_type {
        endpoints::SPOT => (Category::Spot, endpoints::SPOT),
        endpoints::USDT_FUTURES => (Category::Linear, endpoints::USDT_FUTURES),
        endpoints::USDC_FUTURES => (Category::Linear, endpoints::USDC_FUTURES),
        endpoints::COIN_FUTURES => (Category::Inverse, endpoints::COIN_FUTURES),
        _ => return None,
    };
    Some(Segment {
        category,
        settle: Some(settle),
    })
}

/// What to do about a refusal code, for the operator (CCXT's reading of Bitget's WebSocket
/// codes, docs/venues/bitget.md §12).
fn hint(code: &str) -> &'static str {
    match code {
        "30005" => {
            " (the login: the key may be deleted, or bound to other IP addresses than this machine's)"
        }
        "30011" => " (the key is unknown: it may have been revoked)",
        "30012" => " (check the key's passphrase in the profile)",
        "30013" | "30014" => " (the login's timestamp: check this machine's clock)",
        "30015" => " (the signature: check the key's secret in the profile)",
        "30006" | "30007" => " (too many requests on the connection: it is retried later)",
        _ => "",
    }
}

impl PrivateStream for BitgetStream {
    fn connections(&self, _segments: &[Segment]) -> Vec<Connection> {
        // One address serves every product: the segments do not split the connections.
        vec![Connection {
            name: "private",
            token: None,
        }]
    }

    fn url(
        &self,
        rest_base: &Url,
        _connection: &Connection,
        _token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError> {
        match rest_base.host_str() {
            Some("api.bitget.com") => {
                Url::parse(&format!("wss://ws.bitget.com{PATH}")).map_err(|err| {
                    ExchangeError::Protocol {
                        detail: format!("Bitget stream address: {err}"),
                    }
                })
            }
            _ => same_host(rest_base, PATH, None),
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

    fn read(&self, _connection: &Connection, text: &str) -> Vec<Frame> {
        if text == "pong" {
            return vec![Frame::Nothing];
        }
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        let text_of = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let arg = message.get("arg");
        let field = |name: &str| {
            arg.and_then(|a| a.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        if let Some(event) = message.get("event").and_then(Value::as_str) {
            let code = text_of(message.get("code"));
            return vec![match event {
                "login" if code.is_empty() || code == "0" => {
                    Frame::Send(json!({ "op": "subscribe", "args": subscriptions() }).to_string())
                }
                "subscribe" => {
                    let last = subscriptions().pop().unwrap_or(Value::Null);
                    if field("channel") == last["channel"] && field("instType") == last["instType"]
                    {
                        Frame::Ready
                    } else {
                        Frame::Nothing
                    }
                }
                "error" | "login" => {
                    let msg = self.describe(&text_of(message.get("msg")));
                    Frame::Refused(format!("Bitget {code}: {msg}{}", hint(&code)))
                }
                // `unsubscribe` and anything new.
                _ => Frame::Nothing,
            }];
        }
        let Some(segment) = segment_of(field("instType")) else {
            return vec![Frame::Nothing];
        };
        let data = message.get("data").cloned().unwrap_or(Value::Null);
        let orders = match field("channel") {
            "orders" => wire::pushed_orders(&segment, data),
            "orders-algo" => wire::pushed_plans(&segment, data),
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
        "`orders` and `orders-algo` (trigger orders) for SPOT, USDT-, USDC- and COIN-FUTURES on \
         /v2/ws/private; not shown: margin (`orders-crossed`, `orders-isolated`), copy trading, \
         bots and unified (UTA) accounts"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Order, OrderStatus, Side};
    use crate::secret::KeyId;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/bitget/stream/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn private() -> Connection {
        BitgetStream.connections(&[]).remove(0)
    }

    #[test]
    fn the_login_sign_matches_an_independent_computation() {
        // Computed outside this code (Bitget publishes no vector with a secret):
        // printf '1704164645GET/user/verify' \
        //   | openssl dgst -sha256 -hmac 'bitget-hand-secret' -binary | base64
        let cred = Credential::new(
            KeyId::new("bg_fixture_key_0001"),
            SecretString::from("bitget-hand-secret"),
        )
        .with_passphrase(SecretString::from("Pass1phrase"));
        let login = BitgetStream.login(&private(), &cred, None, 1_704_164_645_678);
        assert_eq!(login.len(), 1);
        let sent: Value = serde_json::from_str(&login[0]).unwrap();
        let documented: Value = serde_json::from_str(&fixture("login-request")).unwrap();
        assert_eq!(sent["op"], documented["op"]);
        let keys = |v: &Value| {
            let mut keys: Vec<String> = v["args"][0].as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&sent), keys(&documented));
        assert_eq!(sent["args"][0]["timestamp"], "1704164645");
        assert_eq!(sent["args"][0]["apiKey"], "bg_fixture_key_0001");
        assert_eq!(sent["args"][0]["passphrase"], "Pass1phrase");
        assert_eq!(
            sent["args"][0]["sign"],
            "RP9sGiCetw/MCFNz4VDUxxr40CCVFJ7liKElHPlFObA="
        );
    }

    #[test]
    fn the_subscription_follows_the_login_and_the_last_ack_is_ready() {
        let frames = BitgetStream.read(&private(), &fixture("login-ok"));
        let [Frame::Send(subscribe)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        let subscribe: Value = serde_json::from_str(subscribe).unwrap();
        assert_eq!(subscribe["op"], "subscribe");
        let args = subscribe["args"].as_array().unwrap();
        assert_eq!(args.len(), 8);
        // The documented futures request, argument for argument.
        let documented: Value =
            serde_json::from_str(&fixture("subscribe-futures-orders-request")).unwrap();
        assert!(args.contains(&documented["args"][0]));
        assert!(
            args.contains(&json!({ "instType": "SPOT", "channel": "orders", "instId": "default" }))
        );
        assert_eq!(
            BitgetStream.read(&private(), &fixture("subscribe-futures-orders-ack")),
            [Frame::Nothing]
        );
        assert_eq!(
            BitgetStream.read(&private(), &fixture("subscribe-futures-orders-algo-ack")),
            [Frame::Nothing]
        );
        let last = r#"{"event":"subscribe","arg":{"instType":"COIN-FUTURES","channel":"orders-algo","instId":"default"}}"#;
        assert_eq!(BitgetStream.read(&private(), last), [Frame::Ready]);
    }

    #[test]
    fn refusals_say_what_and_what_next() {
        let frames = BitgetStream.read(&private(), &fixture("error-invalid-sign"));
        let [Frame::Refused(why)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert!(why.contains("30015") && why.contains("secret"), "{why}");
        let frames = BitgetStream.read(&private(), &fixture("error-channel"));
        assert!(matches!(frames.as_slice(), [Frame::Refused(why)] if why.contains("30001")));
        let failed = r#"{"event":"login","code":30005,"msg":"Login failed"}"#;
        assert!(matches!(
            BitgetStream.read(&private(), failed).as_slice(),
            [Frame::Refused(why)] if why.contains("IP addresses")
        ));
    }

    #[test]
    fn heartbeats_and_unknown_messages_are_nothing() {
        for text in [
            "pong",
            r#"{"event":"unsubscribe","arg":{"instType":"SPOT","channel":"orders","instId":"default"}}"#,
            r#"{"action":"snapshot","arg":{"instType":"SPOT","channel":"account","coin":"default"},"data":[{"coin":"USDT"}]}"#,
            r#"{"action":"snapshot","arg":{"instType":"SPOT","channel":"orders","instId":"default"},"data":[{"nonsense":true}]}"#,
            r#"{"action":"snapshot","arg":{"instType":"MARGIN","channel":"orders-crossed","instId":"BTCUSDT"},"data":[]}"#,
            "not json",
            "[]",
        ] {
            assert_eq!(
                BitgetStream.read(&private(), text),
                [Frame::Nothing],
                "{text}"
            );
        }
    }

    #[test]
    fn the_docs_spot_push_decodes_as_the_rest_list_does() {
        let frames = BitgetStream.read(&private(), &fixture("spot-orders-push"));
        assert_eq!(
            frames,
            [Frame::Orders(vec![Order {
                order_id: "1".into(),
                client_order_id: Some("1".into()),
                category: Category::Spot,
                symbol: "BTCUSDT".into(),
                side: Side::Buy,
                order_type: "market".into(),
                qty: Amount::new("8.0000"),
                price: None,
                filled_qty: Amount::new("0.0003"),
                avg_price: Some(Amount::new("26256.0")),
                status: OrderStatus::PartiallyFilled,
                created_ms: 1_695_797_773_257,
                updated_ms: 1_695_797_773_326,
            }])]
        );
    }

    #[test]
    fn a_futures_push_decodes_as_the_rest_list_does() {
        let frames = BitgetStream.read(&private(), &fixture("futures-orders-push-ccxt"));
        assert_eq!(
            frames,
            [Frame::Orders(vec![Order {
                order_id: "1116501214293032964".into(),
                client_order_id: Some("1116501214318198793".into()),
                category: Category::Linear,
                symbol: "BTCUSDT".into(),
                side: Side::Buy,
                order_type: "limit".into(),
                qty: Amount::new("0.003"),
                price: Some(Amount::new("35000")),
                filled_qty: Amount::new("0"),
                avg_price: None,
                status: OrderStatus::Cancelled,
                created_ms: 1_701_920_553_759,
                updated_ms: 1_701_920_595_866,
            }])]
        );
    }

    #[test]
    fn the_docs_trigger_pushes_decode_as_untriggered_orders() {
        let frames = BitgetStream.read(&private(), &fixture("futures-orders-algo-push"));
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert_eq!(orders[0].order_id, "1");
        assert_eq!(orders[0].category, Category::Linear);
        assert_eq!(orders[0].status, OrderStatus::Untriggered);
        assert_eq!(orders[0].order_type, "trigger-pl");
        assert_eq!(orders[0].qty, Amount::new("0.020000000"));
        assert_eq!(orders[0].price, None);
        assert_eq!(orders[0].created_ms, 1_695_719_197_612);
        // The spot page's example carries a futures `arg`: it is read as the arg says.
        let frames = BitgetStream.read(&private(), &fixture("spot-orders-algo-push"));
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert_eq!(orders[0].order_type, "trigger-amount");
    }

    #[test]
    fn bitgets_host_gets_its_stream_host_and_others_the_same_host() {
        let url = |base: &str| {
            BitgetStream
                .url(&Url::parse(base).unwrap(), &private(), None)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url("https://api.bitget.com"),
            "wss://ws.bitget.com/v2/ws/private"
        );
        assert_eq!(
            url("http://127.0.0.1:4100"),
            "ws://127.0.0.1:4100/v2/ws/private"
        );
        assert_eq!(
            BitgetStream.keepalive(),
            Some(Keepalive {
                every: PING_EVERY,
                text: Some("ping".into())
            })
        );
    }
}
