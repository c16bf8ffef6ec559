//! Deribit's private order stream for `lockdown watch` (docs/venues/deribit.md §12,
//! docs/watch.md §1).
//!
//! One connection covers a key's whole account: JSON-RPC over WebSocket at `/ws/api/v2`, a
//! `public/auth` with the `client_signature` grant (the REST login's signature, §2), then one
//! channel, `user.orders.any.any.raw`: every order change of every kind and currency, the
//! untriggered trigger orders included, each pushed alone in the order lists' shape, so the
//! REST decoder reads it. The subscription waits for the login's answer (a refused login is
//! reported as such, not as a refused subscription), and heartbeats are asked for alongside
//! it: Deribit then sends `test_request`s, each answered with `public/test`. Fills and trades
//! are not followed here (an order's push carries its filled amount); the REST looks read them.

use serde_json::{Value, json};
use url::Url;

use super::signer::{client_signature_string, sign_string};
use super::wire::pushed;
use crate::exchanges::ExchangeError;
use crate::exchanges::model::Segment;
use crate::exchanges::stream::{Connection, Frame, Keepalive, PrivateStream, same_host};
use crate::secret::{Credential, SecretString};

/// Where Deribit serves its WebSocket API.
const PATH: &str = "/ws/api/v2";

/// The one channel followed: every order of the account, every kind and currency, unbatched.
pub const CHANNEL: &str = "user.orders.any.any.raw";

/// The heartbeat interval asked for, seconds (the docs' example; at least 10).
const HEARTBEAT_S: u32 = 30;

/// The JSON-RPC ids of the client's requests: each answer is known by its id.
mod id {
    pub const AUTH: u64 = 1;
    pub const HEARTBEAT: u64 = 2;
    pub const SUBSCRIBE: u64 = 3;
    pub const TEST: u64 = 4;
}

/// Deribit's private stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeribitStream;

impl DeribitStream {
    /// The `public/auth` request, signed with the key's secret at `now_ms` (the nonce is the
    /// timestamp's, prefixed so that it never meets a REST nonce of the same key).
    pub fn auth_request(credential: &Credential, now_ms: i64) -> String {
        let nonce = format!("ws{now_ms}");
        let signature = sign_string(
            credential.secret(),
            &client_signature_string(now_ms, &nonce, ""),
        );
        json!({
            "jsonrpc": "2.0",
            "id": id::AUTH,
            "method": "public/auth",
            "params": {
                "grant_type": "client_signature",
                "client_id": credential.key.as_str(),
                "timestamp": now_ms,
                "nonce": nonce,
                "data": "",
                "signature": signature,
            },
        })
        .to_string()
    }

    fn request(id: u64, method: &str, params: Value) -> String {
        json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()
    }

    /// An error object in words: code, message and reason (never a secret: the server's own).
    fn refusal(what: &str, error: &Value) -> Frame {
        let code = error.get("code").map_or_else(String::new, Value::to_string);
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        let reason = error
            .pointer("/data/reason")
            .and_then(Value::as_str)
            .map_or_else(String::new, |r| format!(" ({r})"));
        let words = format!("{what}: {code} {message}{reason}");
        Frame::Refused(crate::exchanges::redact::redact(&words))
    }

    /// An answer to one of the client's requests.
    fn answer(message: &Value, id: u64) -> Vec<Frame> {
        let error = message.get("error");
        match (id, error) {
            (id::AUTH, Some(error)) => vec![Self::refusal("the login was refused", error)],
            (id::AUTH, None) => vec![
                Frame::Send(Self::request(
                    id::HEARTBEAT,
                    "public/set_heartbeat",
                    json!({ "interval": HEARTBEAT_S }),
                )),
                Frame::Send(Self::request(
                    id::SUBSCRIBE,
                    "private/subscribe",
                    json!({ "channels": [CHANNEL] }),
                )),
            ],
            (id::SUBSCRIBE, Some(error)) => {
                vec![Self::refusal("the subscription was refused", error)]
            }
            (id::SUBSCRIBE, None) => {
                let subscribed = message
                    .get("result")
                    .and_then(Value::as_array)
                    .is_some_and(|channels| channels.iter().any(|c| c == CHANNEL));
                if subscribed {
                    vec![Frame::Ready]
                } else {
                    vec![Frame::Refused(format!(
                        "the subscription's answer does not list `{CHANNEL}`"
                    ))]
                }
            }
            // Heartbeats are the server's check on the connection; a refusal changes nothing
            // for the watcher. `public/test` answers carry no news.
            _ => vec![Frame::Nothing],
        }
    }

    /// A notification: an order push or a heartbeat.
    fn notification(message: &Value, method: &str) -> Vec<Frame> {
        let params = message.get("params");
        match method {
            "subscription" => {
                let channel = params
                    .and_then(|p| p.get("channel"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !channel.starts_with("user.orders.") {
                    return vec![Frame::Nothing];
                }
                let data = params
                    .and_then(|p| p.get("data"))
                    .cloned()
                    .unwrap_or(Value::Null);
                match pushed(data) {
                    Ok(orders) => vec![Frame::Orders(orders)],
                    // An order push that cannot be read may hide an order: reconnecting makes
                    // the watcher read the gap by REST.
                    Err(err) => vec![Frame::Refused(format!(
                        "an order push could not be read ({err})"
                    ))],
                }
            }
            "heartbeat" => {
                let kind = params.and_then(|p| p.get("type")).and_then(Value::as_str);
                if kind == Some("test_request") {
                    vec![Frame::Send(Self::request(
                        id::TEST,
                        "public/test",
                        json!({}),
                    ))]
                } else {
                    vec![Frame::Nothing]
                }
            }
            _ => vec![Frame::Nothing],
        }
    }
}

impl PrivateStream for DeribitStream {
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
        let own = match rest_base.host_str() {
            Some("www.deribit.com" | "deribit.com") => Some("wss://www.deribit.com/ws/api/v2"),
            Some("test.deribit.com") => Some("wss://test.deribit.com/ws/api/v2"),
            _ => None,
        };
        match own {
            Some(url) if rest_base.scheme() == "https" => {
                Url::parse(url).map_err(|err| ExchangeError::Protocol {
                    detail: format!("Deribit's stream address: {err}"),
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
        vec![Self::auth_request(credential, now_ms)]
    }

    fn read(&self, _connection: &Connection, text: &str) -> Vec<Frame> {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            return Self::notification(&message, method);
        }
        match message.get("id").and_then(Value::as_u64) {
            Some(id) => Self::answer(&message, id),
            None => vec![Frame::Nothing],
        }
    }

    /// None: the server's `test_request`s keep the connection alive (answered in `read`).
    fn keepalive(&self) -> Option<Keepalive> {
        None
    }

    fn summary(&self) -> &'static str {
        "`user.orders.any.any.raw` after a `client_signature` login: every order change of the \
         key's account, every kind and currency, untriggered trigger orders included; fills \
         only as an order's filled amount, block trades and RFQs not at all (REST looks cover them)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Category, OrderStatus, Side};
    use crate::secret::KeyId;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/deribit/stream/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    /// The docs' example push, in the notification envelope the notifications article shows.
    fn push(channel: &str, fixture_name: &str) -> String {
        let mut envelope = fixture("notification.json")["example"].clone();
        envelope["params"]["channel"] = json!(channel);
        envelope["params"]["data"] = fixture(fixture_name)["example"]["data"].clone();
        envelope.to_string()
    }

    fn read(text: &str) -> Vec<Frame> {
        let stream = DeribitStream;
        let connection = &stream.connections(&[])[0];
        stream.read(connection, text)
    }

    #[test]
    fn the_docs_example_pushes_decode_as_the_rest_lists_do() {
        let frames = read(&push(CHANNEL, "user.orders.kind.currency.raw.json"));
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        let [order] = orders.as_slice() else {
            panic!("{orders:?}");
        };
        assert_eq!(order.order_id, "6");
        assert_eq!(order.symbol, "BTC-PERPETUAL");
        assert_eq!(order.category, Category::Inverse);
        assert_eq!(order.side, Side::Buy);
        assert_eq!(order.order_type, "limit");
        assert_eq!(order.qty.as_str(), "200");
        assert_eq!(order.price.as_ref().unwrap().as_str(), "10542.68");
        assert!(order.filled_qty.is_zero());
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.client_order_id, None);
        assert_eq!(order.created_ms, 1_581_507_583_024);
        assert_eq!(order.updated_ms, 1_581_507_583_024);

        let frames = read(&push(
            "user.orders.future.BTC.100ms",
            "user.orders.kind.currency.interval.json",
        ));
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].order_id, "476137");
        assert_eq!(orders[0].qty.as_str(), "120");
        assert_eq!(orders[0].price.as_ref().unwrap().as_str(), "3928.5");
    }

    #[test]
    fn an_untriggered_stop_and_a_cancelled_fill_decode() {
        let stop = json!({"jsonrpc":"2.0","method":"subscription","params":{"channel":CHANNEL,"data":{
            "order_id":"ETH-SLTS-12","label":"x","instrument_name":"ETH-PERPETUAL","direction":"sell",
            "order_type":"stop_market","amount":10,"price":"market_price","order_state":"untriggered",
            "creation_timestamp":5,"last_update_timestamp":6,"trigger":"index_price","trigger_price":1800}}});
        let frames = read(&stop.to_string());
        let [Frame::Orders(orders)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        assert_eq!(orders[0].status, OrderStatus::Untriggered);
        assert_eq!(orders[0].order_type, "stop_market");
        assert_eq!(orders[0].price, None);
        assert_eq!(orders[0].client_order_id.as_deref(), Some("x"));
        assert_eq!(orders[0].updated_ms, 6);
    }

    #[test]
    fn the_login_is_answered_with_the_subscription_and_its_answer_means_ready() {
        let frames = read(
            r#"{"jsonrpc":"2.0","id":1,"result":{"access_token":"t","expires_in":900,"refresh_token":"r","scope":"connection","token_type":"bearer"}}"#,
        );
        let sends: Vec<Value> = frames
            .iter()
            .map(|f| match f {
                Frame::Send(text) => serde_json::from_str(text).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(sends[0]["method"], "public/set_heartbeat");
        assert_eq!(sends[0]["params"]["interval"], 30);
        assert_eq!(sends[1]["method"], "private/subscribe");
        assert_eq!(sends[1]["params"]["channels"], json!([CHANNEL]));
        // The subscription's answer, in the method page's shape, naming the channel.
        let mut answer = fixture("private-subscribe.json")["response"].clone();
        answer["id"] = json!(id::SUBSCRIBE);
        answer["result"] = json!([CHANNEL]);
        assert_eq!(read(&answer.to_string()), [Frame::Ready]);
        // The page's own example names another channel: not ready.
        let mut other = fixture("private-subscribe.json")["response"].clone();
        other["id"] = json!(id::SUBSCRIBE);
        assert!(matches!(
            read(&other.to_string()).as_slice(),
            [Frame::Refused(_)]
        ));
    }

    #[test]
    fn refusals_say_the_code_and_reason_and_heartbeats_are_answered() {
        let frames = read(
            r#"{"jsonrpc":"2.0","id":1,"error":{"code":13009,"message":"unauthorized","data":{"reason":"invalid_signature"}},"usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#,
        );
        assert_eq!(
            frames,
            [Frame::Refused(
                "the login was refused: 13009 unauthorized (invalid_signature)".to_owned()
            )]
        );
        let frames = read(
            r#"{"jsonrpc":"2.0","id":3,"error":{"code":13021,"message":"forbidden","data":{"reason":"ip_not_whitelisted"}}}"#,
        );
        assert!(matches!(frames.as_slice(), [Frame::Refused(w)] if w.contains("13021")));
        let frames =
            read(r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#);
        let [Frame::Send(text)] = frames.as_slice() else {
            panic!("{frames:?}");
        };
        let test: Value = serde_json::from_str(text).unwrap();
        assert_eq!(test["method"], "public/test");
        // Everything else is no news.
        for text in [
            r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#.to_owned(),
            fixture("notification.json")["example"].to_string(),
            fixture("public-test.json")["response"].to_string(),
            fixture("public-set_heartbeat.json")["response"].to_string(),
            r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.trades.any.any.raw","data":[]}}"#.to_owned(),
            "not json".to_owned(),
            "{}".to_owned(),
        ] {
            assert_eq!(read(&text), [Frame::Nothing], "{text}");
        }
        // An order push that cannot be read reconnects (and so fills the gap by REST).
        let broken = json!({"jsonrpc":"2.0","method":"subscription","params":{"channel":CHANNEL,"data":{"order_id":"1"}}});
        assert!(matches!(
            read(&broken.to_string()).as_slice(),
            [Frame::Refused(_)]
        ));
    }

    #[test]
    fn the_login_is_signed_as_the_docs_say() {
        let credential = Credential::new(
            KeyId::new("AMANDA"),
            SecretString::from("W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS"),
        );
        let login: Value =
            serde_json::from_str(&DeribitStream::auth_request(&credential, 1_576_074_319_000))
                .unwrap();
        assert_eq!(login["method"], "public/auth");
        let params = &login["params"];
        assert_eq!(params["grant_type"], "client_signature");
        assert_eq!(params["client_id"], "AMANDA");
        assert_eq!(params["timestamp"], 1_576_074_319_000_i64);
        assert_eq!(params["nonce"], "ws1576074319000");
        assert_eq!(params["data"], "");
        assert_eq!(params["signature"], SIGNATURE);
    }

    /// `printf '1576074319000\nws1576074319000\n' | openssl dgst -sha256 -hmac
    /// W0H6FJW4IRPZ1MOQ8FP6KMC5RZDUUKXS` (the docs' example secret, docs/venues/deribit.md §3).
    const SIGNATURE: &str = "5df40603c41f7b05325df67b3e72167990533f83aab72ff498036c8d451c7a74";

    #[test]
    fn the_address_is_deribits_own_for_its_hosts_and_the_same_host_elsewhere() {
        let stream = DeribitStream;
        let connection = &stream.connections(&[])[0];
        let url = |base: &str| {
            stream
                .url(&Url::parse(base).unwrap(), connection, None)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url("https://www.deribit.com"),
            "wss://www.deribit.com/ws/api/v2"
        );
        assert_eq!(
            url("https://test.deribit.com/api/v2"),
            "wss://test.deribit.com/ws/api/v2"
        );
        assert_eq!(
            url("http://127.0.0.1:4100"),
            "ws://127.0.0.1:4100/ws/api/v2"
        );
        assert!(!stream.summary().is_empty());
        assert!(stream.keepalive().is_none());
    }
}
