//! BingX's private order streams for `lockdown watch` (docs/venues/bingx.md §12, docs/watch.md
//! §1): one WebSocket per product, each opened with a listen key.
//!
//! BingX signs nothing on the socket. The watched key asks REST for a listen key
//! (`POST /openApi/user/auth/userDataStream`, [`Op::StreamToken`]; the key needs Read), good for
//! an hour, and puts it in the address: `?listenKey=…` on the spot host (`/market`, then a
//! subscription to `spot.executionReport`), the USDT-M host (`/swap-market`) and the coin-M host
//! (`/market`), where account data comes without a subscription. A fresh listen key is asked
//! for on every connect, so the key is never extended (`PUT`): when one expires the server says
//! `listenKeyExpired`, the connection is given up and opened again with a new key, and the gap
//! fill that follows every reconnect reads what happened meanwhile.
//!
//! Every server message is gzip-compressed binary ([`PrivateStream::unpack`]). The server sends
//! a heartbeat every 5 s and drops a client that does not answer it: the spot host writes
//! `{"ping":…,"time":…}` and wants `{"pong":…,"time":…}`, the perpetual hosts write `Ping` and
//! want `Pong`; both forms are answered on every connection.
//!
//! What each push says, read as the REST decoders read an order (`wire/orders.rs`): the
//! perpetual `ORDER_TRADE_UPDATE` carries the client order id (`c`), so its orders go to the
//! watcher as they are. The spot `executionReport` documents no client order id at all, and
//! an order judged without one would be called the attacker's even when the owner's bot placed
//! it; so a spot push asks the watcher for a REST look at once ([`Frame::Look`]), which reads
//! the order with its client id a moment later. A push whose status BingX's docs do not list
//! (the coin-M example's `"Unknown"`) asks for a look too. The perpetual push has no creation
//! time: an order's `created_ms` there is the event's time.

use std::io::Read;

use serde_json::{Map, Value, json};
use url::Url;

use crate::exchanges::decode::{non_empty, text_of};
use crate::exchanges::model::{Amount, Category, Order, OrderStatus, Segment, Side};
use crate::exchanges::stream::{Connection, Frame, Keepalive, PrivateStream, same_host};
use crate::exchanges::{ExchangeError, Op};
use crate::secret::{Credential, SecretString};

/// BingX's REST host: its profiles stream from the production hosts below.
const REST_HOST: &str = "open-api.bingx.com";
/// The demo (VST) REST host: only USDT-M has a documented demo stream.
const VST_HOST: &str = "open-api-vst.bingx.com";
/// Spot: `wss://open-api-ws.bingx.com/market`.
const SPOT_HOST: &str = "open-api-ws.bingx.com";
/// USDT-M perpetuals: `wss://open-api-swap.bingx.com/swap-market`.
const USDTM_HOST: &str = "open-api-swap.bingx.com";
/// USDT-M perpetuals on the demo: `wss://vst-open-api-ws.bingx.com/swap-market`.
const USDTM_VST_HOST: &str = "vst-open-api-ws.bingx.com";
/// Coin-M perpetuals: `wss://open-api-cswap-ws.bingx.com/market`.
const COINM_HOST: &str = "open-api-cswap-ws.bingx.com";
/// The spot and coin-M path.
const MARKET_PATH: &str = "/market";
/// The USDT-M path.
const SWAP_PATH: &str = "/swap-market";
/// The spot order channel.
const SPOT_CHANNEL: &str = "spot.executionReport";
/// The largest message unpacked (a push is a few hundred bytes).
const MAX_MESSAGE: u64 = 1 << 20;

/// The reader of BingX's three private streams.
#[derive(Debug, Default)]
pub struct BingxStream;

/// The one reader the adapter hands out.
pub(super) static STREAM: BingxStream = BingxStream;

/// Which stream a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Spot,
    UsdtM,
    CoinM,
}

impl Kind {
    fn of(connection: &Connection) -> Kind {
        match connection.name {
            "usdtm" => Kind::UsdtM,
            "coinm" => Kind::CoinM,
            _ => Kind::Spot,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Spot => "spot",
            Kind::UsdtM => "usdtm",
            Kind::CoinM => "coinm",
        }
    }

    fn category(self) -> Category {
        match self {
            Kind::Spot => Category::Spot,
            Kind::UsdtM => Category::Linear,
            Kind::CoinM => Category::Inverse,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Kind::UsdtM => SWAP_PATH,
            Kind::Spot | Kind::CoinM => MARKET_PATH,
        }
    }

    /// The documented host for a profile on `rest_host`, when there is one.
    fn host(self, rest_host: &str) -> Option<&'static str> {
        match (rest_host, self) {
            (REST_HOST, Kind::Spot) => Some(SPOT_HOST),
            (REST_HOST, Kind::UsdtM) => Some(USDTM_HOST),
            (REST_HOST, Kind::CoinM) => Some(COINM_HOST),
            (VST_HOST, Kind::UsdtM) => Some(USDTM_VST_HOST),
            _ => None,
        }
    }
}

impl PrivateStream for BingxStream {
    /// One connection per product the key's segments name, each with its own listen key.
    fn connections(&self, segments: &[Segment]) -> Vec<Connection> {
        let mut kinds: Vec<Kind> = Vec::new();
        for segment in segments {
            let kind = match segment.category {
                Category::Spot => Kind::Spot,
                Category::Linear => Kind::UsdtM,
                Category::Inverse => Kind::CoinM,
                Category::Option => continue,
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
            .into_iter()
            .map(|kind| Connection {
                name: kind.name(),
                token: Some(Op::StreamToken { segment: None }),
            })
            .collect()
    }

    fn url(
        &self,
        rest_base: &Url,
        connection: &Connection,
        token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError> {
        let Some(token) = token else {
            return Err(ExchangeError::Protocol {
                detail: "a BingX stream needs a listen key first".to_owned(),
            });
        };
        let kind = Kind::of(connection);
        // Allowed: the listen key goes into the address it opens, which is never logged.
        #[allow(clippy::disallowed_methods)]
        let query = format!(
            "listenKey={}",
            crate::percent::encode(secrecy::ExposeSecret::expose_secret(token))
        );
        match rest_base.host_str().and_then(|host| kind.host(host)) {
            Some(host) => {
                let mut url =
                    Url::parse(&format!("wss://{host}{}", kind.path())).map_err(|err| {
                        ExchangeError::Protocol {
                            detail: format!("BingX's stream address: {err}"),
                        }
                    })?;
                url.set_query(Some(&query));
                Ok(url)
            }
            None => same_host(rest_base, kind.path(), Some(&query)),
        }
    }

    /// The spot subscription; the perpetual hosts push account data without one.
    fn login(
        &self,
        connection: &Connection,
        _credential: &Credential,
        _token: Option<&SecretString>,
        now_ms: i64,
    ) -> Vec<String> {
        match Kind::of(connection) {
            Kind::Spot => vec![
                json!({
                    "id": format!("lockdown-{now_ms}"),
                    "reqType": "sub",
                    "dataType": SPOT_CHANNEL,
                })
                .to_string(),
            ],
            Kind::UsdtM | Kind::CoinM => Vec::new(),
        }
    }

    fn read(&self, connection: &Connection, text: &str) -> Vec<Frame> {
        let kind = Kind::of(connection);
        let perpetual = kind != Kind::Spot;
        if text.trim() == "Ping" {
            // The perpetual hosts' heartbeat; on them the first one also says the stream is up.
            let mut frames = vec![Frame::Send("Pong".to_owned())];
            if perpetual {
                frames.push(Frame::Ready);
            }
            return frames;
        }
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        if let Some(ping) = message.get("ping") {
            let pong = json!({ "pong": ping, "time": message.get("time").cloned().unwrap_or(Value::Null) });
            let mut frames = vec![Frame::Send(pong.to_string())];
            if perpetual {
                frames.push(Frame::Ready);
            }
            return frames;
        }
        let event = message.get("e").and_then(Value::as_str);
        if event == Some("listenKeyExpired") {
            return vec![Frame::Refused(
                "BingX says the listen key expired (an hour after it was made); a fresh one is \
                 asked for on the next try"
                    .to_owned(),
            )];
        }
        if let Some(code) = message.get("code").map(text_of).filter(|c| c != "0") {
            return vec![Frame::Refused(refusal(&code, &message))];
        }
        match kind {
            Kind::Spot => {
                if message.get("dataType").and_then(Value::as_str) == Some(SPOT_CHANNEL) {
                    return match message.get("data").and_then(Value::as_object) {
                        Some(data) => vec![spot_push(data)],
                        None => vec![Frame::Nothing],
                    };
                }
                // `{"id":…,"code":0,"msg":…}`: the subscription is acknowledged.
                if message.contains_key("id") && message.contains_key("code") {
                    return vec![Frame::Ready];
                }
                vec![Frame::Nothing]
            }
            Kind::UsdtM | Kind::CoinM => match event {
                Some("ORDER_TRADE_UPDATE" | "TRADE_UPDATE") => {
                    let Some(order) = message.get("o").and_then(Value::as_object) else {
                        return vec![Frame::Ready];
                    };
                    let at = message.get("E").and_then(Value::as_i64).unwrap_or(0);
                    vec![Frame::Ready, perpetual_push(kind.category(), order, at)]
                }
                // Account events (pushed once on connect, then as they happen): the stream is up.
                Some(_) => vec![Frame::Ready],
                None => vec![Frame::Nothing],
            },
        }
    }

    /// The server sends the heartbeat; the client only answers it.
    fn keepalive(&self) -> Option<Keepalive> {
        None
    }

    /// Every message is gzip-compressed.
    fn unpack(&self, bytes: &[u8]) -> Option<String> {
        gunzip(bytes)
    }

    fn summary(&self) -> &'static str {
        "`spot.executionReport` (spot host) and the USDT-M and coin-M account streams \
         (`ORDER_TRADE_UPDATE`, conditional orders too), each opened with a listen key from \
         `POST /openApi/user/auth/userDataStream`; a spot push names no client order id, so it \
         only rings for an immediate REST look of spot; spot OCO lists and TWAP orders are not \
         documented on them (the REST looks read what REST lists)"
    }
}

/// The text of a gzip-compressed message (at most [`MAX_MESSAGE`] bytes), or of a plain one.
fn gunzip(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return String::from_utf8(bytes.to_vec()).ok();
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_MESSAGE)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// An order status word as the REST decoder reads it; `None` for a word the docs do not list.
fn status(word: &str) -> Option<OrderStatus> {
    Some(match word {
        "NEW" | "PENDING" => OrderStatus::Open,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "FAILED" => OrderStatus::Rejected,
        "CANCELED" | "CANCELLED" | "EXPIRED" => OrderStatus::Cancelled,
        _ => return None,
    })
}

/// A field as text (`""` when absent).
fn field(map: &Map<String, Value>, name: &str) -> String {
    map.get(name).map(text_of).unwrap_or_default()
}

/// A positive amount, as the REST decoder reads prices.
fn positive(text: &str) -> Option<Amount> {
    Some(Amount::new(text)).filter(|a| !text.trim().is_empty() && !a.is_zero())
}

/// The parts every push shares; `None` when one is missing or the status is not documented.
struct Common {
    order_id: String,
    symbol: String,
    side: Side,
    order_type: String,
    status: OrderStatus,
}

fn common(map: &Map<String, Value>) -> Option<Common> {
    let order_id = field(map, "i");
    let symbol = field(map, "s");
    if order_id.is_empty() || symbol.is_empty() {
        return None;
    }
    Some(Common {
        order_id,
        symbol,
        side: Side::parse(&field(map, "S"))?,
        order_type: non_empty(field(map, "o"))?.to_ascii_lowercase(),
        status: status(&field(map, "X"))?,
    })
}

/// A spot `executionReport`: the order, when the push names its client id (`c`, not in the
/// docs' field list); else a REST look, which reads it with one.
fn spot_push(data: &Map<String, Value>) -> Frame {
    let at_ms = ["E", "T", "O"]
        .iter()
        .filter_map(|f| data.get(*f).and_then(Value::as_i64))
        .max()
        .unwrap_or(0);
    let look = Frame::Look {
        segment: Segment {
            category: Category::Spot,
            settle: None,
        },
        at_ms,
    };
    let Some(client_id) = data.get("c").map(text_of) else {
        return look;
    };
    let Some(c) = common(data) else {
        return look;
    };
    // A market buy sized in the quote coin states `q` 0 and its amount in `Q`; REST shows that
    // amount as `origQty`.
    let q = field(data, "q");
    let qty = if positive(&q).is_none() {
        non_empty(field(data, "Q")).unwrap_or(q)
    } else {
        q
    };
    let created_ms = data.get("O").and_then(Value::as_i64).unwrap_or(0);
    let at = data.get("E").and_then(Value::as_i64).unwrap_or(created_ms);
    Frame::Orders(vec![Order {
        order_id: c.order_id,
        client_order_id: non_empty(client_id),
        category: Category::Spot,
        symbol: c.symbol,
        side: c.side,
        price: price(&c.order_type, &field(data, "p")),
        order_type: c.order_type,
        qty: Amount::new(&qty),
        filled_qty: Amount::new(&non_empty(field(data, "z")).unwrap_or_else(|| "0".into())),
        avg_price: None,
        status: c.status,
        created_ms,
        updated_ms: at,
    }])
}

/// A perpetual `ORDER_TRADE_UPDATE` (or `TRADE_UPDATE`): the order; a REST look when its
/// status is not one the docs list.
fn perpetual_push(category: Category, o: &Map<String, Value>, at: i64) -> Frame {
    let Some(c) = common(o) else {
        return Frame::Look {
            segment: Segment {
                category,
                settle: None,
            },
            at_ms: at,
        };
    };
    let qty = field(o, "q");
    // The older example leaves `z` out of a filled order's push.
    let filled = match non_empty(field(o, "z")) {
        Some(z) => z,
        None if c.status == OrderStatus::Filled => qty.clone(),
        None => "0".to_owned(),
    };
    Frame::Orders(vec![Order {
        order_id: c.order_id,
        client_order_id: non_empty(field(o, "c")),
        category,
        symbol: c.symbol,
        side: c.side,
        price: price(&c.order_type, &field(o, "p")),
        order_type: c.order_type,
        qty: Amount::new(&qty),
        filled_qty: Amount::new(&filled),
        avg_price: positive(&field(o, "ap")),
        status: c.status,
        created_ms: at,
        updated_ms: at,
    }])
}

/// A push's price: a market order's `p` is a reference price, which REST shows as none.
fn price(order_type: &str, text: &str) -> Option<Amount> {
    if order_type == "market" {
        return None;
    }
    positive(text)
}

/// A refusal in words: BingX's code, its message (redacted) and what the code usually means.
fn refusal(code: &str, message: &Map<String, Value>) -> String {
    let msg: String = field(message, "msg").chars().take(200).collect();
    let msg = crate::exchanges::redact::redact(&msg);
    let meaning = match code {
        "100400" => "a request the server did not understand",
        "100401" => "the listen key was not accepted (expired, or its API key deleted)",
        "100403" => "the key may not read this",
        "100410" => "too many requests; the next try waits longer",
        "100416" => "more than 200 topics on one connection",
        "100419" => "this address is outside the key's IP whitelist, or over 60 connections",
        _ => "see docs/venues/bingx.md §12",
    };
    format!("BingX answered {code} {msg:?}: {meaning}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Venue;
    use crate::exchanges::bingx::Bingx;
    use crate::secret::KeyId;

    /// A fixture's message (`tests/fixtures/bingx/stream/<name>.json`), as the text BingX sends.
    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/bingx/stream/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        match &value["message"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    fn connection(kind: Kind) -> Connection {
        Connection {
            name: kind.name(),
            token: Some(Op::StreamToken { segment: None }),
        }
    }

    fn read(kind: Kind, text: &str) -> Vec<Frame> {
        STREAM.read(&connection(kind), text)
    }

    fn orders(frames: &[Frame]) -> Vec<Order> {
        frames
            .iter()
            .find_map(|f| match f {
                Frame::Orders(orders) => Some(orders.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no orders: {frames:?}"))
    }

    fn segment(category: Category) -> Segment {
        Segment {
            category,
            settle: None,
        }
    }

    #[test]
    fn one_connection_per_product_each_with_a_listen_key() {
        let all = STREAM.connections(Bingx.segments());
        let names: Vec<&str> = all.iter().map(|c| c.name).collect();
        assert_eq!(names, ["spot", "usdtm", "coinm"]);
        assert!(
            all.iter()
                .all(|c| c.token == Some(Op::StreamToken { segment: None }))
        );
        let only_spot = STREAM.connections(&[segment(Category::Spot), segment(Category::Option)]);
        assert_eq!(only_spot.len(), 1);
    }

    #[test]
    fn production_hosts_for_bingx_and_the_same_host_elsewhere() {
        let key =
            SecretString::from("a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7");
        let bingx = Url::parse("https://open-api.bingx.com").unwrap();
        let url = |base: &Url, kind| STREAM.url(base, &connection(kind), Some(&key)).unwrap();
        // The docs' own addresses (docs/venues/bingx.md §12).
        assert_eq!(
            url(&bingx, Kind::Spot).as_str(),
            "wss://open-api-ws.bingx.com/market?listenKey=a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7"
        );
        assert_eq!(
            url(&bingx, Kind::UsdtM).as_str(),
            "wss://open-api-swap.bingx.com/swap-market?listenKey=a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7"
        );
        assert_eq!(
            url(&bingx, Kind::CoinM).as_str(),
            "wss://open-api-cswap-ws.bingx.com/market?listenKey=a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7"
        );
        let vst = Url::parse("https://open-api-vst.bingx.com").unwrap();
        assert!(
            url(&vst, Kind::UsdtM)
                .as_str()
                .starts_with("wss://vst-open-api-ws.bingx.com/swap-market?listenKey=")
        );
        let sim = Url::parse("http://127.0.0.1:4100").unwrap();
        assert!(
            url(&sim, Kind::UsdtM)
                .as_str()
                .starts_with("ws://127.0.0.1:4100/swap-market?listenKey=a8ea")
        );
        assert!(STREAM.url(&sim, &connection(Kind::Spot), None).is_err());
    }

    #[test]
    fn the_listen_key_request_is_signed_and_its_answer_is_a_secret() {
        let settings = crate::exchanges::VenueSettings::default();
        let call = crate::exchanges::CallContext {
            now_ms: 1_696_751_141_337,
            nonce: "",
            session: None,
            tfa: None,
            settings: &settings,
            subject: None,
            lookup: None,
            known: &[],
        };
        let op = Op::StreamToken { segment: None };
        let request = Bingx.encode(&op, &call).unwrap();
        assert_eq!(request.path, "/openApi/user/auth/userDataStream");
        assert_eq!(request.method, crate::exchanges::Method::Post);
        let credential = Credential::new(
            KeyId::new(
                "hO6oQotzTE0S5FRYze2Jx2wGx7eVnJGMolpA1nZyehsoMgCcgKNWQHd4QgTFZuwl4Zt4xMe2PqGBegWXO4A",
            ),
            SecretString::from(
                "mheO6dR8ovSsxZQCOYEFCtelpuxcWGTfHw7te326y6jOwq5WpvFQ9JNljoTwBXZGv5It07m9RXSPpDQEK2w",
            ),
        );
        let signed = Bingx.sign(request, &credential, &call);
        // Computed apart from the signer, with the docs' example secret:
        // printf 'timestamp=1696751141337' | openssl dgst -sha256 -hmac '<secret>'
        // (Python's hmac gives the same).
        assert_eq!(
            signed.request.query,
            "timestamp=1696751141337&signature=b1206765e9bd1cc8ef850965fc5c1edce909192ac61a811e6616a9930b8bf64c"
        );
        let answer = crate::exchanges::decode::answer(200, &fixture("listen-key"));
        let token = Bingx
            .decode(&op, &answer)
            .reply
            .unwrap()
            .into_stream_token()
            .unwrap();
        assert!(!format!("{token:?}").contains("a8ea7568"));
        #[allow(clippy::disallowed_methods)]
        let text = secrecy::ExposeSecret::expose_secret(&token).to_owned();
        assert_eq!(
            text,
            "a8ea75681542e66f1a50a1616dd06ed77dab61baa0c296bca03a9b13ee5f2dd7"
        );
        let refused = crate::exchanges::decode::answer(
            200,
            r#"{"code":100413,"msg":"Incorrect apiKey","timestamp":1}"#,
        );
        assert!(Bingx.decode(&op, &refused).reply.is_err());
    }

    #[test]
    fn the_spot_login_is_the_documented_subscription() {
        let credential = Credential::new(KeyId::new("k"), SecretString::from("s"));
        let texts = STREAM.login(
            &connection(Kind::Spot),
            &credential,
            None,
            1_759_980_142_604,
        );
        let [text] = texts.as_slice() else {
            panic!("{texts:?}")
        };
        let sent: Value = serde_json::from_str(text).unwrap();
        let documented: Value = serde_json::from_str(&fixture("spot-subscribe")).unwrap();
        assert_eq!(sent["reqType"], documented["reqType"]);
        assert_eq!(sent["dataType"], documented["dataType"]);
        assert!(sent["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(
            STREAM
                .login(&connection(Kind::UsdtM), &credential, None, 1)
                .is_empty()
        );
    }

    #[test]
    fn heartbeats_are_answered_in_their_own_form() {
        let frames = read(Kind::Spot, &fixture("spot-ping"));
        let [Frame::Send(pong)] = frames.as_slice() else {
            panic!("{frames:?}")
        };
        let pong: Value = serde_json::from_str(pong).unwrap();
        let documented: Value = serde_json::from_str(&fixture("spot-pong")).unwrap();
        assert_eq!(pong, documented);
        assert_eq!(
            read(Kind::UsdtM, &fixture("swap-ping")),
            [Frame::Send("Pong".into()), Frame::Ready]
        );
        assert_eq!(
            read(Kind::Spot, "Ping"),
            [Frame::Send("Pong".into())],
            "on spot only the subscription's answer says ready"
        );
    }

    #[test]
    fn the_spot_acknowledgement_is_ready_and_an_error_is_refused() {
        assert_eq!(
            read(Kind::Spot, &fixture("spot-subscribe-ack")),
            [Frame::Ready]
        );
        let frames = read(Kind::Spot, &fixture("subscribe-error"));
        let [Frame::Refused(why)] = frames.as_slice() else {
            panic!("{frames:?}")
        };
        assert!(why.contains("100400"), "{why}");
    }

    #[test]
    fn a_documented_spot_push_rings_for_a_rest_look() {
        // Neither of the docs' examples names a client order id.
        assert_eq!(
            read(Kind::Spot, &fixture("spot-execution-report")),
            [Frame::Look {
                segment: segment(Category::Spot),
                at_ms: 1_760_068_118_150
            }]
        );
        assert_eq!(
            read(Kind::Spot, &fixture("spot-execution-report-new")),
            [Frame::Look {
                segment: segment(Category::Spot),
                at_ms: 1_499_405_658_658
            }]
        );
        // A perpetual push on the spot connection is not the spot channel's.
        assert_eq!(
            read(Kind::Spot, &fixture("coinm-order-trade-update")),
            [Frame::Nothing]
        );
    }

    #[test]
    fn a_spot_push_with_a_client_id_is_read_as_rest_reads_the_order() {
        let mut message: Value = serde_json::from_str(&fixture("spot-execution-report")).unwrap();
        message["data"]["c"] = json!("grid-7");
        let orders = orders(&read(Kind::Spot, &message.to_string()));
        let [order] = orders.as_slice() else {
            panic!("{orders:?}")
        };
        assert_eq!(order.order_id, "1976495057808654336");
        assert_eq!(order.client_order_id.as_deref(), Some("grid-7"));
        assert_eq!(order.category, Category::Spot);
        assert_eq!(order.symbol, "SUI-USDT");
        assert_eq!(order.side, Side::Buy);
        assert_eq!(order.order_type, "market");
        assert_eq!(order.qty, Amount::new("5"));
        assert_eq!(order.price, None);
        assert_eq!(order.filled_qty, Amount::new("5"));
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.created_ms, 1_760_068_117_941);
        assert_eq!(order.updated_ms, 1_760_068_118_150);
        // A market buy sized in the quote coin: `q` 0, the amount in `Q`.
        let mut quote: Value = serde_json::from_str(&fixture("spot-execution-report")).unwrap();
        quote["data"]["c"] = json!("");
        quote["data"]["q"] = json!(0);
        let orders = super::tests::orders(&read(Kind::Spot, &quote.to_string()));
        assert_eq!(orders[0].qty, Amount::new("17.5845"));
        assert_eq!(orders[0].client_order_id, None);
    }

    #[test]
    fn perpetual_pushes_decode_to_orders() {
        let frames = read(Kind::UsdtM, &fixture("swap-order-trade-update"));
        assert_eq!(frames[0], Frame::Ready);
        let orders = orders(&frames);
        let order = &orders[0];
        assert_eq!(order.order_id, "1627970445070303232");
        assert_eq!(order.client_order_id, None);
        assert_eq!(order.category, Category::Linear);
        assert_eq!(order.symbol, "LINK-USDT");
        assert_eq!(order.side, Side::Sell);
        assert_eq!(order.order_type, "market");
        assert_eq!(order.qty, Amount::new("5"));
        assert_eq!(order.price, None);
        // The example has no `z`: a filled order filled its quantity.
        assert_eq!(order.filled_qty, Amount::new("5"));
        assert_eq!(order.avg_price, Some(Amount::new("7.8269")));
        assert_eq!(order.status, OrderStatus::Filled);
        assert_eq!(order.created_ms, 1_676_973_375_161);

        let orders = super::tests::orders(&read(Kind::UsdtM, &fixture("swap-trade-update")));
        assert_eq!(orders[0].order_id, "1970374651259387904");
        assert_eq!(orders[0].symbol, "BTC-USDT");
        assert_eq!(orders[0].filled_qty, Amount::new("0.001"));

        let mut limit: Value = serde_json::from_str(&fixture("swap-order-trade-update")).unwrap();
        limit["o"]["o"] = json!("LIMIT");
        limit["o"]["X"] = json!("NEW");
        limit["o"]["c"] = json!("grid-9");
        let orders = super::tests::orders(&read(Kind::CoinM, &limit.to_string()));
        assert_eq!(orders[0].category, Category::Inverse);
        assert_eq!(orders[0].client_order_id.as_deref(), Some("grid-9"));
        assert_eq!(orders[0].price, Some(Amount::new("7.827")));
        assert_eq!(orders[0].status, OrderStatus::Open);
        assert_eq!(orders[0].filled_qty, Amount::new("0"));
    }

    #[test]
    fn an_undocumented_status_rings_for_a_look() {
        // The coin-M example's `"X":"Unknown"`.
        assert_eq!(
            read(Kind::CoinM, &fixture("coinm-order-trade-update")),
            [
                Frame::Ready,
                Frame::Look {
                    segment: segment(Category::Inverse),
                    at_ms: 1_760_079_163_296
                }
            ]
        );
    }

    #[test]
    fn account_events_say_ready_and_an_expired_key_is_given_up() {
        assert_eq!(
            read(Kind::UsdtM, &fixture("swap-account-config-update")),
            [Frame::Ready]
        );
        assert_eq!(
            read(Kind::UsdtM, &fixture("swap-account-update")),
            [Frame::Ready]
        );
        let frames = read(Kind::UsdtM, &fixture("swap-listen-key-expired"));
        let [Frame::Refused(why)] = frames.as_slice() else {
            panic!("{frames:?}")
        };
        assert!(
            why.contains("expired") && !why.contains("53c1067059"),
            "{why}"
        );
    }

    #[test]
    fn unknown_messages_are_nothing() {
        for text in [
            "",
            "hello",
            "[1,2]",
            r#"{"foo":1}"#,
            r#"{"dataType":"BTC-USDT@trade"}"#,
        ] {
            assert_eq!(read(Kind::Spot, text), [Frame::Nothing], "{text}");
        }
        assert_eq!(read(Kind::CoinM, r#"{"foo":1}"#), [Frame::Nothing]);
    }

    #[test]
    fn messages_come_gzipped() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"Ping").unwrap();
        let bytes = gz.finish().unwrap();
        assert_eq!(STREAM.unpack(&bytes).as_deref(), Some("Ping"));
        assert_eq!(STREAM.unpack(b"Ping").as_deref(), Some("Ping"));
        assert_eq!(STREAM.unpack(&[0x1f, 0x8b, 0, 1]), None);
    }

    #[test]
    fn the_adapter_hands_out_the_stream() {
        assert!(Bingx.private_stream().is_some());
        assert!(STREAM.summary().contains("listen key"));
    }
}
