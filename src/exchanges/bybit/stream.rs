//! Bybit V5's private stream for `lockdown watch` (docs/venues/bybit.md §12).
//!
//! One connection to `/v5/private` per key: `auth` with `[api_key, expires, signature]`, where
//! the signature is the hex HMAC-SHA256 of `GET/realtime{expires}` with the key's secret, then a
//! subscription to the all-in-one `order` topic (spot, linear, inverse, option; conditional and
//! TP/SL orders included, `stopOrderType` set). The client pings every 20 s as Bybit asks; the
//! server cuts a connection after 10 minutes without ping or data. Pushes carry the same order
//! fields as `GET /v5/order/realtime`, plus `category`, so they decode with the REST decoder.

use serde_json::{Value, json};
use url::Url;

use super::wire;
use crate::exchanges::ExchangeError;
use crate::exchanges::model::Segment;
use crate::exchanges::signing::hmac_sha256_hex;
use crate::exchanges::stream::{Connection, Frame, Keepalive, PrivateStream, same_host};
use crate::secret::{Credential, SecretString};

/// Bybit's production REST host and its private stream.
const REST_HOST: &str = "api.bybit.com";
const STREAM: &str = "wss://stream.bybit.com/v5/private";
const TESTNET_REST_HOST: &str = "api-testnet.bybit.com";
const TESTNET_STREAM: &str = "wss://stream-testnet.bybit.com/v5/private";
const PATH: &str = "/v5/private";

/// How far ahead the login's `expires` is set: a few seconds covers the connect's own latency.
const EXPIRES_AHEAD_MS: i64 = 5_000;

/// The private stream.
#[derive(Debug)]
pub struct BybitStream;

/// The text a login signs.
pub fn login_prehash(expires_ms: i64) -> String {
    format!("GET/realtime{expires_ms}")
}

impl PrivateStream for BybitStream {
    fn connections(&self, _segments: &[Segment]) -> Vec<Connection> {
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
        let fixed = match rest_base.host_str() {
            Some(REST_HOST) => Some(STREAM),
            Some(TESTNET_REST_HOST) => Some(TESTNET_STREAM),
            _ => None,
        };
        match fixed {
            Some(url) => Url::parse(url).map_err(|err| ExchangeError::Protocol {
                detail: format!("Bybit's stream address: {err}"),
            }),
            None => same_host(rest_base, PATH, None),
        }
    }

    fn login(
        &self,
        _connection: &Connection,
        credential: &Credential,
        _token: Option<&SecretString>,
        now_ms: i64,
    ) -> Vec<String> {
        let expires = now_ms + EXPIRES_AHEAD_MS;
        let signature = hmac_sha256_hex(credential.secret(), login_prehash(expires).as_bytes());
        vec![
            json!({"op": "auth", "args": [credential.key.as_str(), expires, signature]})
                .to_string(),
        ]
    }

    fn read(&self, _connection: &Connection, text: &str) -> Vec<Frame> {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        let op = message.get("op").and_then(Value::as_str);
        let success = message.get("success").and_then(Value::as_bool);
        let said = || {
            message
                .get("ret_msg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        match (op, success) {
            (Some("auth"), Some(true)) => {
                vec![Frame::Send(
                    json!({"op": "subscribe", "args": ["order"]}).to_string(),
                )]
            }
            (Some("auth"), _) => vec![Frame::Refused(format!("login refused: {}", said()))],
            (Some("subscribe"), Some(true)) => vec![Frame::Ready],
            (Some("subscribe"), _) => vec![Frame::Refused(format!(
                "subscription to `order` refused: {}",
                said()
            ))],
            _ if message.get("topic").and_then(Value::as_str) == Some("order") => {
                match message.get("data").cloned().map(wire::stream_orders) {
                    Some(Ok(orders)) => vec![Frame::Orders(orders)],
                    // A push that does not decode: the gap fill after the next reconnect
                    // reads it by REST; say so rather than guess.
                    Some(Err(err)) => vec![Frame::Refused(format!(
                        "an `order` push did not decode ({err})"
                    ))],
                    None => vec![Frame::Nothing],
                }
            }
            _ => vec![Frame::Nothing],
        }
    }

    fn keepalive(&self) -> Option<Keepalive> {
        Some(Keepalive {
            every: std::time::Duration::from_secs(20),
            text: Some(json!({"op": "ping"}).to_string()),
        })
    }

    fn summary(&self) -> &'static str {
        "topic `order` on `/v5/private` (spot, linear, inverse, option; conditional and TP/SL orders too); spot OCO and bidirectional TP/SL are not covered by the REST side either"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Category, OrderStatus, Side};
    use crate::secret::KeyId;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/bybit/stream/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn private() -> Connection {
        BybitStream.connections(&[]).remove(0)
    }

    #[test]
    fn the_login_signs_get_realtime_and_expires() {
        let credential = Credential::new(
            KeyId::new("KEY"),
            SecretString::from("secret-for-the-vector"),
        );
        let login = BybitStream.login(&private(), &credential, None, 1_700_000_000_000);
        let sent: Value = serde_json::from_str(&login[0]).unwrap();
        // `printf 'GET/realtime1700000005000' | openssl dgst -sha256 -hmac secret-for-the-vector`
        assert_eq!(
            sent,
            json!({"op": "auth", "args": ["KEY", 1_700_000_005_000_i64,
                "443bbcedbe0df2a4bc5cfd930abe5bb001bea542309b3ec1076d958e09cc9a31"]})
        );
    }

    #[test]
    fn the_docs_answers_lead_to_a_subscription_then_ready() {
        let auth = BybitStream.read(&private(), &fixture("auth-ok.json"));
        assert_eq!(
            auth,
            vec![Frame::Send(
                r#"{"args":["order"],"op":"subscribe"}"#.to_owned()
            )]
        );
        assert_eq!(
            BybitStream.read(&private(), &fixture("subscribe-ok.json")),
            vec![Frame::Ready]
        );
        assert_eq!(
            BybitStream.read(&private(), &fixture("pong.json")),
            vec![Frame::Nothing]
        );
        let refused = BybitStream.read(&private(), &fixture("auth-refused.json"));
        assert_eq!(
            refused,
            vec![Frame::Refused("login refused: Params Error".to_owned())]
        );
        assert_eq!(
            BybitStream.read(&private(), "not json"),
            vec![Frame::Nothing]
        );
    }

    #[test]
    fn the_docs_order_push_decodes_as_the_rest_order() {
        let frames = BybitStream.read(&private(), &fixture("order-push.json"));
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        let order = &orders[0];
        assert_eq!(order.order_id, "5cf98598-39a7-459e-97bf-76ca765ee020");
        assert_eq!(order.category, Category::Option);
        assert_eq!(order.symbol, "ETH-30DEC22-1400-C");
        assert_eq!(order.side, Side::Sell);
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.filled_qty.as_str(), "1");
        assert_eq!(order.price, None, "a market order has no price");
        assert_eq!(order.created_ms, 1_672_364_262_444);
        assert_eq!(order.updated_ms, 1_672_364_262_457);
    }

    #[test]
    fn bybits_own_hosts_map_to_its_stream_and_others_to_the_same_host() {
        let url = |base: &str| {
            BybitStream
                .url(&Url::parse(base).unwrap(), &private(), None)
                .unwrap()
                .to_string()
        };
        assert_eq!(url("https://api.bybit.com"), STREAM);
        assert_eq!(url("https://api-testnet.bybit.com"), TESTNET_STREAM);
        assert_eq!(
            url("http://127.0.0.1:4100"),
            "ws://127.0.0.1:4100/v5/private"
        );
    }
}
