//! Binance's private order streams, as the watcher reads them (docs/venues/binance.md "Private
//! stream", docs/watch.md §1).
//!
//! Binance has one stream per product family, each its own way. Spot orders come from the
//! WebSocket API (`wss://ws-api.binance.com:443/ws-api/v3`): Binance retired the spot listen key,
//! so the connection subscribes the key's account with `userDataStream.subscribe.signature`, the
//! hex HMAC-SHA256 of `apiKey=…&timestamp=…` (every parameter but `signature`, sorted by name),
//! and gets `executionReport` events wrapped in `{"subscriptionId", "event"}`. USD-M and COIN-M
//! futures take a listen key first (`POST /fapi/v1/listenKey`, `/dapi/v1/listenKey`, the key
//! header only: [`Op::StreamToken`]) and connect to `…/ws/<listenKey>` on their own stream
//! hosts, which push `ORDER_TRADE_UPDATE` (and on USD-M `ALGO_UPDATE` for conditional orders)
//! bare. A listen key lives 60 minutes unless extended: every [`LISTEN_KEY_REFRESH`] the watcher
//! sends the connection's `POST` again ([`PrivateStream::token_refresh`]), which on an account
//! with an active key returns that key and extends it by 60 minutes (documented; the `PUT`
//! keep-alive does the same but would need an operation of its own). Should the key lapse anyway
//! (the `POST` failed for an hour), Binance pushes `listenKeyExpired`, the connection is given up
//! as refused, the reconnect's `POST` returns a fresh key, and the gap fill reads what passed
//! meanwhile. Margin and options orders are not streamed here (their
//! streams need a listen token or host this adapter does not open); the REST looks cover them.
//! The listen key rides in the URL: it is never logged (`watch/stream.rs` redacts connect
//! errors) and never part of a [`Frame::Refused`].

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::hosts::{futures_url, sibling_url};
use super::market::{COIN_M, Market};
use super::signer::sign_payload;
use super::wire::{algo_status, order_status};
use crate::exchanges::decode::non_empty;
use crate::exchanges::model::{Amount, Category, Order, Segment, Side};
use crate::exchanges::stream::{Connection, Frame, Keepalive, PrivateStream, same_host};
use crate::exchanges::{ExchangeError, Op};
use crate::secret::{Credential, SecretString};
use secrecy::ExposeSecret;

/// The spot WebSocket API's path.
pub const WS_API_PATH: &str = "/ws-api/v3";

/// The id lockdown gives its subscription request, so the answer can be told apart.
const SUBSCRIBE_ID: &str = "lockdown-subscribe";

/// Asks a listen-key connection for its streams (the futures streams' `LIST_SUBSCRIPTIONS`).
const LIST_SUBSCRIPTIONS: &str = r#"{"method":"LIST_SUBSCRIPTIONS","id":1}"#;

/// How often a listen key is asked for again while its connection is up: half its documented
/// 60 minutes, so one failed extension still leaves half an hour for the next.
pub const LISTEN_KEY_REFRESH: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The USD-M segment a listen key is asked for.
const USDM: Segment = Segment {
    category: Category::Linear,
    settle: None,
};

/// Binance's streams.
#[derive(Debug, Clone, Copy, Default)]
pub struct BinanceStream;

/// The one instance the venue hands out.
pub static STREAM: BinanceStream = BinanceStream;

impl PrivateStream for BinanceStream {
    fn connections(&self, segments: &[Segment]) -> Vec<Connection> {
        let has = |market: Market| segments.iter().any(|s| Market::of(s) == market);
        let mut connections = Vec::new();
        if has(Market::Spot) {
            connections.push(Connection {
                name: "spot",
                token: None,
            });
        }
        if has(Market::UsdM) {
            connections.push(Connection {
                name: "usdm",
                token: Some(Op::StreamToken {
                    segment: Some(USDM),
                }),
            });
        }
        if has(Market::CoinM) {
            connections.push(Connection {
                name: "coinm",
                token: Some(Op::StreamToken {
                    segment: Some(COIN_M),
                }),
            });
        }
        connections
    }

    fn url(
        &self,
        rest_base: &Url,
        connection: &Connection,
        token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError> {
        // Allowed: the listen key is the address's last segment, which is where it is used.
        #[allow(clippy::disallowed_methods)]
        let listen_key = || {
            token
                .map(|t| t.expose_secret().to_owned())
                .ok_or_else(|| ExchangeError::Protocol {
                    detail: format!("the {} stream needs a listen key first", connection.name),
                })
        };
        let parse = |text: String| {
            Url::parse(&text).map_err(|err| ExchangeError::Protocol {
                detail: format!("the {} stream's address: {err}", connection.name),
            })
        };
        let known = stream_host(rest_base.as_str(), connection.name);
        match (connection.name, known) {
            ("spot", Some(host)) => parse(format!("{host}{WS_API_PATH}")),
            ("spot", None) => same_host(rest_base, WS_API_PATH, None),
            ("usdm", Some(host)) => parse(format!("{host}/private/ws/{}", listen_key()?)),
            ("usdm", None) => same_host(rest_base, &format!("/private/ws/{}", listen_key()?), None),
            (_, Some(host)) => parse(format!("{host}/ws/{}", listen_key()?)),
            (_, None) => same_host(rest_base, &format!("/ws/{}", listen_key()?), None),
        }
    }

    fn login(
        &self,
        connection: &Connection,
        credential: &Credential,
        _token: Option<&SecretString>,
        now_ms: i64,
    ) -> Vec<String> {
        if connection.name != "spot" {
            // The listen key in the address is the whole login; the listing of the
            // connection's streams answers at once, which says the connection is live.
            return vec![LIST_SUBSCRIPTIONS.to_owned()];
        }
        vec![subscribe_message(credential, now_ms)]
    }

    fn read(&self, connection: &Connection, text: &str) -> Vec<Frame> {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        match connection.name {
            "spot" => read_ws_api(&message),
            "coinm" => read_futures(&message, Category::Inverse),
            _ => read_futures(&message, Category::Linear),
        }
    }

    fn keepalive(&self) -> Option<Keepalive> {
        // Binance's servers ping (every 20 s on the WebSocket API, every 3 minutes on the
        // futures hosts) and the socket answers each with a pong by itself.
        None
    }

    fn token_refresh(&self, connection: &Connection) -> Option<std::time::Duration> {
        // Only the futures connections ride on a listen key; the spot subscription has none.
        connection.token.as_ref().map(|_| LISTEN_KEY_REFRESH)
    }

    fn pushes(&self, segment: &Segment) -> bool {
        matches!(
            Market::of(segment),
            Market::Spot | Market::UsdM | Market::UsdmAlgo | Market::CoinM
        )
    }

    fn summary(&self) -> &'static str {
        "spot: WebSocket API userDataStream.subscribe.signature (executionReport); USD-M and COIN-M: listen key streams (ORDER_TRADE_UPDATE, USD-M ALGO_UPDATE); not streamed: cross and isolated margin, options (polled by REST at the interval)"
    }
}

/// The documented stream host of a family for Binance's own REST hosts; `None` for any other
/// host (the simulator, a proxy), which gets the same host.
fn stream_host(rest_base: &str, family: &str) -> Option<&'static str> {
    let futures = futures_url(rest_base);
    match family {
        "spot" => match futures.as_deref()? {
            "https://fapi.binance.com" => Some("wss://ws-api.binance.com:443"),
            "https://testnet.binancefuture.com" => Some("wss://ws-api.testnet.binance.vision"),
            _ => None,
        },
        "usdm" => match futures.as_deref()? {
            "https://fapi.binance.com" => Some("wss://fstream.binance.com"),
            _ => None,
        },
        _ => match sibling_url(futures.as_deref()?, "dapi").as_deref()? {
            "https://dapi.binance.com" => Some("wss://dstream.binance.com"),
            _ => None,
        },
    }
}

/// The text the subscription signs: every parameter but `signature`, sorted by name.
pub fn subscribe_payload(api_key: &str, now_ms: i64) -> String {
    format!("apiKey={api_key}&timestamp={now_ms}")
}

/// `userDataStream.subscribe.signature` for the key at `now_ms`: holds a signature, never logged.
fn subscribe_message(credential: &Credential, now_ms: i64) -> String {
    let api_key = credential.key.as_str();
    let signature = sign_payload(credential.secret(), &subscribe_payload(api_key, now_ms));
    serde_json::json!({
        "id": SUBSCRIBE_ID,
        "method": "userDataStream.subscribe.signature",
        "params": { "apiKey": api_key, "timestamp": now_ms, "signature": signature },
    })
    .to_string()
}

/// A WebSocket API message: an answer to a request, or an event of a subscription.
fn read_ws_api(message: &Value) -> Vec<Frame> {
    if let Some(event) = message.get("event") {
        return match event.get("e").and_then(Value::as_str) {
            Some("executionReport") => {
                match serde_json::from_value::<ExecutionReport>(event.clone()) {
                    Ok(report) => report
                        .into_order()
                        .map_or_else(|_| vec![Frame::Nothing], |o| vec![Frame::Orders(vec![o])]),
                    Err(_) => vec![Frame::Nothing],
                }
            }
            Some("eventStreamTerminated") => {
                vec![Frame::Refused(
                    "Binance ended the User Data Stream subscription".into(),
                )]
            }
            _ => vec![Frame::Nothing],
        };
    }
    if message.get("id").and_then(Value::as_str) != Some(SUBSCRIBE_ID) {
        return vec![Frame::Nothing];
    }
    match message.get("status").and_then(Value::as_i64) {
        Some(200) => vec![Frame::Ready],
        _ => {
            let error = message.get("error");
            let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
            let msg = error
                .and_then(|e| e.get("msg"))
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            vec![Frame::Refused(match code {
                Some(code) => format!("{code}: {msg}"),
                None => msg.to_owned(),
            })]
        }
    }
}

/// A futures listen-key stream's message: the answer to `LIST_SUBSCRIPTIONS` (ready), or an
/// event, bare, no wrapper.
fn read_futures(message: &Value, category: Category) -> Vec<Frame> {
    // The answer to `LIST_SUBSCRIPTIONS`: the listen key's stream is there (its name is the
    // key, a secret, so it is never kept).
    if message.get("id").and_then(Value::as_u64) == Some(1) {
        return match message.get("result").and_then(Value::as_array) {
            Some(streams) if !streams.is_empty() => vec![Frame::Ready],
            _ => vec![Frame::Refused(format!(
                "the listen-key stream lists no subscription (code {})",
                message.get("code").and_then(Value::as_i64).unwrap_or(0)
            ))],
        };
    }
    match message.get("e").and_then(Value::as_str) {
        Some("ORDER_TRADE_UPDATE") => {
            match serde_json::from_value::<FuturesUpdate>(message.clone()) {
                Ok(update) => update
                    .o
                    .into_order(category)
                    .map_or_else(|_| vec![Frame::Nothing], |o| vec![Frame::Orders(vec![o])]),
                Err(_) => vec![Frame::Nothing],
            }
        }
        Some("ALGO_UPDATE") => match serde_json::from_value::<AlgoUpdate>(message.clone()) {
            Ok(update) => update
                .into_order()
                .map_or_else(|_| vec![Frame::Nothing], |o| vec![Frame::Orders(vec![o])]),
            Err(_) => vec![Frame::Nothing],
        },
        Some("listenKeyExpired") => vec![Frame::Refused(
            "the listen key expired; a new one is asked for".into(),
        )],
        _ => vec![Frame::Nothing],
    }
}

/// A spot `executionReport` (the fields lockdown reads).
#[derive(Debug, Deserialize)]
struct ExecutionReport {
    s: String,
    #[serde(default)]
    c: String,
    #[serde(rename = "S")]
    side: String,
    o: String,
    q: String,
    p: String,
    #[serde(rename = "X")]
    status: String,
    i: u64,
    z: String,
    #[serde(rename = "Z", default)]
    quote_filled: String,
    #[serde(rename = "T")]
    transaction_ms: i64,
    #[serde(rename = "O", default)]
    created_ms: i64,
}

impl ExecutionReport {
    fn into_order(self) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let order_type = self.o.to_ascii_lowercase();
        let price = Amount::new(&self.p);
        let filled = Amount::new(&self.z);
        // As the REST decoder does: the quote spent over the quantity filled, to 8 places.
        let avg = (!filled.is_zero())
            .then(|| {
                Amount::new(&self.quote_filled)
                    .to_decimal_or_zero()
                    .checked_div(filled.to_decimal_or_zero())
                    .unwrap_or_default()
                    .round_dp(8)
            })
            .map(Amount::from_decimal)
            .filter(|a| !a.is_zero());
        Ok(Order {
            order_id: self.i.to_string(),
            client_order_id: non_empty(self.c),
            category: Category::Spot,
            symbol: self.s,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.q),
            filled_qty: filled,
            avg_price: avg,
            status: order_status(&self.status),
            created_ms: if self.created_ms > 0 {
                self.created_ms
            } else {
                self.transaction_ms
            },
            updated_ms: self.transaction_ms,
        })
    }
}

/// `ORDER_TRADE_UPDATE` (USD-M and COIN-M).
#[derive(Debug, Deserialize)]
struct FuturesUpdate {
    o: FuturesOrder,
}

/// The order inside an `ORDER_TRADE_UPDATE`. It carries no creation time: the trade time
/// stands for both (the REST look that follows every reconnect has the true one).
#[derive(Debug, Deserialize)]
struct FuturesOrder {
    s: String,
    #[serde(default)]
    c: String,
    #[serde(rename = "S")]
    side: String,
    o: String,
    q: String,
    p: String,
    #[serde(default)]
    ap: String,
    #[serde(rename = "X")]
    status: String,
    i: u64,
    z: String,
    #[serde(rename = "T")]
    trade_ms: i64,
}

impl FuturesOrder {
    fn into_order(self, category: Category) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let order_type = self.o.to_ascii_lowercase();
        let price = Amount::new(&self.p);
        let avg = Amount::new(if self.ap.is_empty() { "0" } else { &self.ap });
        Ok(Order {
            order_id: self.i.to_string(),
            client_order_id: non_empty(self.c),
            category,
            symbol: self.s,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.q),
            filled_qty: Amount::new(&self.z),
            avg_price: (!avg.is_zero()).then_some(avg),
            status: order_status(&self.status),
            created_ms: self.trade_ms,
            updated_ms: self.trade_ms,
        })
    }
}

/// `ALGO_UPDATE`: a USD-M conditional order, as the REST decoder makes one (its `algoId`, its
/// own type, untriggered while `NEW`).
#[derive(Debug, Deserialize)]
struct AlgoUpdate {
    #[serde(rename = "T")]
    event_ms: i64,
    o: AlgoOrder,
}

#[derive(Debug, Deserialize)]
struct AlgoOrder {
    #[serde(default)]
    caid: String,
    aid: u64,
    o: String,
    s: String,
    #[serde(rename = "S")]
    side: String,
    #[serde(default)]
    q: String,
    #[serde(rename = "X")]
    status: String,
    #[serde(default)]
    p: String,
}

impl AlgoUpdate {
    fn into_order(self) -> Result<Order, ExchangeError> {
        let o = self.o;
        let side = Side::parse(&o.side).ok_or_else(|| protocol("side"))?;
        let price =
            Some(Amount::new(if o.p.is_empty() { "0" } else { &o.p })).filter(|p| !p.is_zero());
        Ok(Order {
            order_id: o.aid.to_string(),
            client_order_id: non_empty(o.caid),
            category: Category::Linear,
            symbol: o.s,
            side,
            order_type: o.o.to_ascii_lowercase(),
            // `closePosition` orders name no quantity: the whole position.
            qty: Amount::new(if o.q.is_empty() { "0" } else { &o.q }),
            price,
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: algo_status(&o.status),
            created_ms: self.event_ms,
            updated_ms: self.event_ms,
        })
    }
}

fn protocol(field: &str) -> ExchangeError {
    ExchangeError::Protocol {
        detail: format!("a Binance stream event with an unreadable `{field}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::OrderStatus;
    use crate::secret::KeyId;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/binance/stream/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn connection(name: &'static str) -> Connection {
        BinanceStream
            .connections(crate::exchanges::binance::SEGMENTS)
            .into_iter()
            .find(|c| c.name == name)
            .unwrap()
    }

    fn orders(frames: Vec<Frame>) -> Vec<Order> {
        match frames.as_slice() {
            [Frame::Orders(orders)] => orders.clone(),
            other => panic!("not orders: {other:?}"),
        }
    }

    #[test]
    fn one_connection_per_family_the_listen_keys_by_rest() {
        let names: Vec<_> = BinanceStream
            .connections(crate::exchanges::binance::SEGMENTS)
            .into_iter()
            .map(|c| (c.name, c.token.is_some()))
            .collect();
        assert_eq!(names, [("spot", false), ("usdm", true), ("coinm", true)]);
        assert!(BinanceStream.connections(&[]).is_empty());
    }

    #[test]
    fn listen_keys_are_asked_again_well_inside_their_hour_and_spot_has_none() {
        let refresh = |name| BinanceStream.token_refresh(&connection(name));
        assert_eq!(refresh("spot"), None);
        for name in ["usdm", "coinm"] {
            let every = refresh(name).expect("a listen key lapses");
            // Documented: 60 minutes unless extended; one failed extension must not lose it.
            assert!(every <= std::time::Duration::from_secs(30 * 60), "{name}");
        }
    }

    #[test]
    fn addresses_follow_the_docs_and_the_same_host_elsewhere() {
        let key = SecretString::from("XaEAKTsQSRLZAGH9");
        let prod = Url::parse("https://api.binance.com").unwrap();
        let url = |base: &Url, name| {
            BinanceStream
                .url(base, &connection(name), Some(&key))
                .unwrap()
        };
        assert_eq!(
            url(&prod, "spot").as_str(),
            "wss://ws-api.binance.com/ws-api/v3"
        );
        assert_eq!(
            url(&prod, "usdm").as_str(),
            "wss://fstream.binance.com/private/ws/XaEAKTsQSRLZAGH9"
        );
        assert_eq!(
            url(&prod, "coinm").as_str(),
            "wss://dstream.binance.com/ws/XaEAKTsQSRLZAGH9"
        );
        let testnet = Url::parse("https://testnet.binance.vision").unwrap();
        assert_eq!(
            url(&testnet, "spot").as_str(),
            "wss://ws-api.testnet.binance.vision/ws-api/v3"
        );
        let sim = Url::parse("http://127.0.0.1:4100").unwrap();
        assert_eq!(url(&sim, "spot").as_str(), "ws://127.0.0.1:4100/ws-api/v3");
        assert_eq!(
            url(&sim, "usdm").as_str(),
            "ws://127.0.0.1:4100/private/ws/XaEAKTsQSRLZAGH9"
        );
        assert_eq!(
            url(&sim, "coinm").as_str(),
            "ws://127.0.0.1:4100/ws/XaEAKTsQSRLZAGH9"
        );
        assert!(BinanceStream.url(&sim, &connection("usdm"), None).is_err());
    }

    /// The docs' own HMAC example of a WebSocket API request, then the subscription's text
    /// checked with `openssl`:
    /// `echo -n 'apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&timestamp=1747385641636' | openssl dgst -hex -sha256 -hmac 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j'`
    #[test]
    fn the_subscription_is_signed_as_the_docs_sign() {
        let secret =
            SecretString::from("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j");
        let docs = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
        assert_eq!(
            sign_payload(&secret, docs),
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        );
        let api_key = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
        let credential = Credential::new(KeyId::new(api_key), secret);
        let texts = BinanceStream.login(&connection("spot"), &credential, None, 1_747_385_641_636);
        let [text] = texts.as_slice() else {
            panic!("{texts:?}")
        };
        let message: Value = serde_json::from_str(text).unwrap();
        assert_eq!(message["method"], "userDataStream.subscribe.signature");
        assert_eq!(message["params"]["apiKey"], api_key);
        assert_eq!(message["params"]["timestamp"], 1_747_385_641_636_i64);
        assert_eq!(
            message["params"]["signature"],
            "681110a6057ad58657af22f5640fab9dd17418834cdfccdc81be8b0f7b2cde3e"
        );
        assert_eq!(
            BinanceStream.login(&connection("usdm"), &credential, None, 1),
            [LIST_SUBSCRIPTIONS]
        );
        let listed = r#"{"result":["pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"],"id":1}"#;
        assert_eq!(
            BinanceStream.read(&connection("usdm"), listed),
            [Frame::Ready]
        );
        let nothing = r#"{"result":[],"id":1}"#;
        assert!(matches!(
            BinanceStream.read(&connection("coinm"), nothing).as_slice(),
            [Frame::Refused(_)]
        ));
    }

    #[test]
    fn the_subscription_answers_read_as_ready_or_refused() {
        let spot = connection("spot");
        let ok = fixture("subscribe-signature-response.json")
            .replace("d3df8a22-98ea-4fe0-9f4e-0fcea5d418b7", SUBSCRIBE_ID);
        assert_eq!(BinanceStream.read(&spot, &ok), [Frame::Ready]);
        let refused = format!(
            r#"{{"id":"{SUBSCRIBE_ID}","status":400,"error":{{"code":-1022,"msg":"Signature for this request is not valid."}}}}"#
        );
        assert_eq!(
            BinanceStream.read(&spot, &refused),
            [Frame::Refused(
                "-1022: Signature for this request is not valid.".into()
            )]
        );
        assert_eq!(
            BinanceStream
                .read(&spot, &fixture("event-stream-terminated.json"))
                .len(),
            1
        );
        assert!(matches!(
            BinanceStream.read(&spot, &fixture("event-stream-terminated.json"))[0],
            Frame::Refused(_)
        ));
    }

    #[test]
    fn the_docs_execution_report_decodes() {
        let got =
            orders(BinanceStream.read(&connection("spot"), &fixture("execution-report.json")));
        assert_eq!(
            got,
            [Order {
                order_id: "4293153".into(),
                client_order_id: Some("mUvoqJxFIILMdfAW5iGSOW".into()),
                category: Category::Spot,
                symbol: "ETHBTC".into(),
                side: Side::Buy,
                order_type: "limit".into(),
                qty: Amount::new("1.00000000"),
                price: Some(Amount::new("0.10264410")),
                filled_qty: Amount::new("0.00000000"),
                avg_price: None,
                status: OrderStatus::Open,
                created_ms: 1_499_405_658_657,
                updated_ms: 1_499_405_658_657,
            }]
        );
    }

    #[test]
    fn the_docs_futures_updates_decode() {
        let usdm = connection("usdm");
        let got = orders(BinanceStream.read(&usdm, &fixture("order-trade-update-usdm.json")));
        assert_eq!(
            got,
            [Order {
                order_id: "8886774".into(),
                client_order_id: Some("TEST".into()),
                category: Category::Linear,
                symbol: "BTCUSDT".into(),
                side: Side::Sell,
                order_type: "trailing_stop_market".into(),
                qty: Amount::new("0.001"),
                price: None,
                filled_qty: Amount::new("0"),
                avg_price: None,
                status: OrderStatus::Open,
                created_ms: 1_568_879_465_650,
                updated_ms: 1_568_879_465_650,
            }]
        );
        let coinm = connection("coinm");
        let got = orders(BinanceStream.read(&coinm, &fixture("order-trade-update-coinm.json")));
        assert_eq!(got[0].category, Category::Inverse);
        assert_eq!(got[0].symbol, "BTCUSD_200925");
        assert_eq!(got[0].order_id, "8888888");
        assert_eq!(got[0].qty, Amount::new("2"));
        let got = orders(BinanceStream.read(&usdm, &fixture("algo-update.json")));
        assert_eq!(
            got,
            [Order {
                order_id: "2148719".into(),
                client_order_id: Some("Q5xaq5EGKgXXa0fD7fs0Ip".into()),
                category: Category::Linear,
                symbol: "BNBUSDT".into(),
                side: Side::Sell,
                order_type: "take_profit".into(),
                qty: Amount::new("0.01"),
                price: Some(Amount::new("750")),
                filled_qty: Amount::new("0"),
                avg_price: None,
                status: OrderStatus::Cancelled,
                created_ms: 1_750_515_742_297,
                updated_ms: 1_750_515_742_297,
            }]
        );
        assert!(matches!(
            BinanceStream.read(&usdm, &fixture("listen-key-expired.json")).as_slice(),
            [Frame::Refused(why)] if !why.contains("WsCMN0a4")
        ));
    }

    #[test]
    fn anything_else_is_nothing() {
        for (name, text) in [
            ("spot", "not json"),
            ("spot", r#"{"id":"other","status":200,"result":{}}"#),
            (
                "spot",
                r#"{"subscriptionId":0,"event":{"e":"outboundAccountPosition","E":1}}"#,
            ),
            ("usdm", r#"{"e":"ACCOUNT_UPDATE","E":1}"#),
            ("usdm", r#"{"e":"ORDER_TRADE_UPDATE","o":{"s":1}}"#),
            ("coinm", "{}"),
        ] {
            assert_eq!(
                BinanceStream.read(&connection(name), text),
                [Frame::Nothing],
                "{text}"
            );
        }
    }
}
