//! Kraken's private order stream for `lockdown watch`: WebSocket v2, channel `executions`
//! (docs/venues/kraken.md "Private stream", docs/watch.md §1).
//!
//! Kraken signs nothing on the socket: the watched key asks REST for a token
//! (`GetWebSocketsToken`, [`Op::StreamToken`]; the key needs the "WebSocket interface" right) and
//! the token goes in the `subscribe` message of `wss://ws-auth.kraken.com/v2`. A token must be
//! used within 15 minutes, so a fresh one is asked for on every connect. One subscription covers
//! every spot order of the key's account, conditional ones included.
//!
//! Kraken's reports are partial: a new order comes as a whole `pending_new` report, and what
//! follows (`new`, `trade`, `canceled`, `amended`) carries the order id and only what changed.
//! So the reader remembers each live order (`Known`), merges every report into it, and hands the
//! watcher the whole order as the REST decoders would read it: the same pair names (`BTC/USDT`
//! on the socket is `XBTUSDT`, the `altname` REST shows), statuses, conditional kinds and
//! prices. A report about an order it never saw whole says too little to judge and is passed
//! over: the REST look that follows every (re)connect, and the one every minute, read it. The
//! subscription's snapshot of open orders only fills that memory: the REST gap fill that
//! follows the acknowledgement reads the same orders with their true creation times. Order ids
//! are unique on the venue, so one memory serves every watched key; an order leaves it when it
//! ends, and the whole memory is dropped if it ever grows past [`MAX_KNOWN`].

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use url::Url;

use super::names;
use super::wire::CONDITIONAL;
use crate::exchanges::model::{Amount, Category, Order, OrderStatus, Segment, Side};
use crate::exchanges::stream::{Connection, Frame, Keepalive, PrivateStream, same_host};
use crate::exchanges::{ExchangeError, Op};
use crate::secret::{Credential, SecretString};

/// Kraken's REST host: its profiles stream from [`STREAM_URL`].
const REST_HOST: &str = "api.kraken.com";
/// The private WebSocket, v2 (Kraken's Spot WebSockets introduction).
const STREAM_URL: &str = "wss://ws-auth.kraken.com/v2";
/// The same path on any other host (the simulator).
const PATH: &str = "/v2";
/// The server drops a connection after about a minute without a message from the client; a
/// `ping` every 20 s keeps it up with room to spare.
const PING_EVERY: Duration = Duration::from_secs(20);
/// Live orders remembered at most; past that the memory starts again (REST covers the rest).
const MAX_KNOWN: usize = 20_000;

/// The reader of Kraken's `executions` channel, with its memory of live orders.
#[derive(Debug)]
pub struct KrakenStream {
    known: Mutex<BTreeMap<String, Known>>,
}

/// The one reader the adapter hands out.
pub(super) static STREAM: KrakenStream = KrakenStream::new();

impl KrakenStream {
    /// A reader that remembers nothing yet.
    pub const fn new() -> KrakenStream {
        KrakenStream {
            known: Mutex::new(BTreeMap::new()),
        }
    }

    /// Merges one `executions` message's reports; the orders that are whole afterwards (all of
    /// them for an `update`, none for a `snapshot`, which only fills the memory).
    fn executions(&self, message: &serde_json::Map<String, Value>) -> Vec<Order> {
        let snapshot = message.get("type").and_then(Value::as_str) == Some("snapshot");
        let Some(reports) = message.get("data").and_then(Value::as_array) else {
            return Vec::new();
        };
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() > MAX_KNOWN {
            known.clear();
        }
        let mut orders = Vec::new();
        for report in reports {
            let Some(id) = report.get("order_id").and_then(Value::as_str) else {
                continue;
            };
            let mut entry = known.get(id).cloned().unwrap_or_default();
            // A report older than what is known (a repeat) would turn the order back.
            if entry.is_newer_than(report) {
                continue;
            }
            entry.merge(report);
            // Only a whole order is remembered, and only while it lives.
            let Some(order) = entry.order(id) else {
                continue;
            };
            if order.status.is_open() {
                known.insert(id.to_owned(), entry);
            } else {
                known.remove(id);
            }
            if !snapshot {
                orders.push(order);
            }
        }
        orders
    }
}

impl Default for KrakenStream {
    fn default() -> KrakenStream {
        KrakenStream::new()
    }
}

/// What the reports told of one order so far.
#[derive(Debug, Clone, Default)]
struct Known {
    symbol: Option<String>,
    side: Option<Side>,
    order_type: Option<String>,
    qty: Option<String>,
    limit_price: Option<String>,
    client_order_id: Option<String>,
    filled: Option<String>,
    avg_price: Option<String>,
    status: Option<String>,
    triggered: bool,
    created_ms: Option<i64>,
    updated_ms: Option<i64>,
    /// The last report's time in µs, to tell a repeat from news.
    updated_us: Option<i64>,
}

/// A report's `timestamp`, in µs (Kraken writes microseconds, and two reports of one
/// request often share the millisecond).
fn timestamp(report: &Value) -> Option<i64> {
    report
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_micros())
}

impl Known {
    /// Whether what is known is newer than `report` (timestamps may repeat, so equal is not).
    fn is_newer_than(&self, report: &Value) -> bool {
        matches!((self.updated_us, timestamp(report)), (Some(known), Some(at)) if at < known)
    }

    /// Takes in what `report` says.
    fn merge(&mut self, report: &Value) {
        let text = |field: &str| report.get(field).map(number_text).filter(|t| !t.is_empty());
        if let Some(symbol) = report.get("symbol").and_then(Value::as_str) {
            self.symbol = Some(pair(symbol));
        }
        if let Some(side) = report.get("side").and_then(Value::as_str) {
            self.side = Side::parse(side).or(self.side);
        }
        if let Some(kind) = report.get("order_type").and_then(Value::as_str) {
            self.order_type = Some(kind.to_ascii_lowercase());
        }
        // A buy sized in the quote coin states `cash_order_qty`; REST shows that amount as `vol`.
        if let Some(qty) = text("order_qty").or_else(|| text("cash_order_qty")) {
            self.qty = Some(qty);
        }
        if let Some(price) = text("limit_price") {
            self.limit_price = Some(price);
        }
        if let Some(id) = report.get("cl_ord_id").and_then(Value::as_str) {
            self.client_order_id = Some(id.to_owned()).filter(|id| !id.is_empty());
        }
        if let Some(filled) = text("cum_qty") {
            self.filled = Some(filled);
        }
        if let Some(avg) = text("avg_price") {
            self.avg_price = Some(avg);
        }
        let exec_type = report.get("exec_type").and_then(Value::as_str);
        match report.get("order_status").and_then(Value::as_str) {
            Some(status) => self.status = Some(status.to_owned()),
            None => {
                if let Some(status) = exec_type.and_then(status_of_event) {
                    self.status = Some(status.to_owned());
                }
            }
        }
        if let Some(trigger) = report
            .get("triggers")
            .and_then(|t| t.get("status"))
            .and_then(Value::as_str)
        {
            self.triggered = trigger == "triggered";
        }
        if let Some(us) = timestamp(report) {
            self.created_ms.get_or_insert(us.div_euclid(1000));
            self.updated_ms = Some(us.div_euclid(1000));
            self.updated_us = Some(us);
        }
    }

    /// The order, when the reports told all of it: as the REST decoders read an order
    /// (`wire/orders.rs`): a conditional order's `price` is its limit, none for the plain kinds,
    /// and it is `Untriggered` while it waits.
    fn order(&self, id: &str) -> Option<Order> {
        let order_type = self.order_type.clone()?;
        let conditional = CONDITIONAL.contains(&order_type.as_str());
        let limit = match (conditional, order_type.ends_with("-limit")) {
            (true, false) => None,
            _ => self.limit_price.as_deref().map(Amount::new),
        };
        let filled = Amount::new(self.filled.as_deref().unwrap_or("0"));
        let status = match status(self.status.as_deref()?, filled.is_zero())? {
            OrderStatus::Open if conditional && !self.triggered => OrderStatus::Untriggered,
            other => other,
        };
        let created_ms = self.created_ms?;
        Some(Order {
            order_id: id.to_owned(),
            client_order_id: self.client_order_id.clone(),
            category: Category::Spot,
            symbol: self.symbol.clone()?,
            side: self.side?,
            price: limit.filter(|p| order_type != "market" && !p.is_zero()),
            order_type,
            qty: Amount::new(self.qty.as_deref()?),
            avg_price: self
                .avg_price
                .as_deref()
                .map(Amount::new)
                .filter(|p| !p.is_zero()),
            status,
            filled_qty: filled,
            created_ms,
            updated_ms: self.updated_ms.unwrap_or(created_ms),
        })
    }
}

/// `order_status` to the model (`pending_new`, `new`, `partially_filled`, `filled`,
/// `canceled`, `expired`); `None` for a word Kraken does not document.
fn status(text: &str, nothing_filled: bool) -> Option<OrderStatus> {
    Some(match text {
        "pending_new" | "new" if nothing_filled => OrderStatus::Open,
        "pending_new" | "new" | "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        "canceled" | "expired" => OrderStatus::Cancelled,
        _ => return None,
    })
}

/// The status an event implies when a report leaves `order_status` out.
fn status_of_event(exec_type: &str) -> Option<&'static str> {
    match exec_type {
        "pending_new" => Some("pending_new"),
        "new" => Some("new"),
        "filled" => Some("filled"),
        "canceled" => Some("canceled"),
        "expired" => Some("expired"),
        _ => None,
    }
}

/// A v2 symbol (`BTC/USDT`) as REST names the pair (`XBTUSDT`, the `altname`).
fn pair(symbol: &str) -> String {
    match symbol.split_once('/') {
        Some((base, quote)) => names::pair(base, quote),
        None => symbol.to_owned(),
    }
}

/// A JSON number's (or string's) text, as written.
fn number_text(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

impl PrivateStream for KrakenStream {
    /// One connection: Kraken Spot has one stream for the whole account.
    fn connections(&self, _segments: &[Segment]) -> Vec<Connection> {
        vec![Connection {
            name: "private",
            token: Some(Op::StreamToken { segment: None }),
        }]
    }

    fn url(
        &self,
        rest_base: &Url,
        _connection: &Connection,
        _token: Option<&SecretString>,
    ) -> Result<Url, ExchangeError> {
        if rest_base.host_str() == Some(REST_HOST) {
            return Url::parse(STREAM_URL).map_err(|err| ExchangeError::Protocol {
                detail: format!("Kraken's stream address: {err}"),
            });
        }
        same_host(rest_base, PATH, None)
    }

    /// The subscription with the token: open orders in the snapshot, no past trades, every
    /// status change.
    fn login(
        &self,
        _connection: &Connection,
        _credential: &Credential,
        token: Option<&SecretString>,
        _now_ms: i64,
    ) -> Vec<String> {
        let mut params = json!({
            "channel": "executions",
            "snap_orders": true,
            "snap_trades": false,
            "order_status": true,
        });
        if let (Some(token), Value::Object(map)) = (token, &mut params) {
            // Allowed: the token goes into the one message that carries it, never logged.
            #[allow(clippy::disallowed_methods)]
            let text = secrecy::ExposeSecret::expose_secret(token).to_owned();
            map.insert("token".into(), Value::String(text));
        }
        vec![json!({ "method": "subscribe", "params": params, "req_id": 1 }).to_string()]
    }

    fn read(&self, _connection: &Connection, text: &str) -> Vec<Frame> {
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return vec![Frame::Nothing];
        };
        if let Some(method) = message.get("method").and_then(Value::as_str) {
            let success = message.get("success").and_then(Value::as_bool);
            let channel = message
                .get("result")
                .and_then(|r| r.get("channel"))
                .and_then(Value::as_str);
            return vec![match (method, success) {
                ("subscribe", Some(true)) if channel == Some("executions") => Frame::Ready,
                (_, Some(false)) => Frame::Refused(refusal(method, &message)),
                // `pong`, an unsubscription's answer.
                _ => Frame::Nothing,
            }];
        }
        match message.get("channel").and_then(Value::as_str) {
            Some("executions") => {
                let orders = self.executions(&message);
                vec![if orders.is_empty() {
                    Frame::Nothing
                } else {
                    Frame::Orders(orders)
                }]
            }
            // `status`, `heartbeat`, anything new.
            _ => vec![Frame::Nothing],
        }
    }

    fn keepalive(&self) -> Option<Keepalive> {
        Some(Keepalive {
            every: PING_EVERY,
            text: Some(json!({ "method": "ping" }).to_string()),
        })
    }

    fn summary(&self) -> &'static str {
        "`executions` (WebSocket v2, a token from GetWebSocketsToken; the key needs the \
         WebSocket right): every spot order of the account, conditional ones included, from \
         pending to filled or cancelled; margin positions and Kraken Futures are not on it"
    }
}

/// A refusal in words: Kraken's error and what it usually means.
fn refusal(method: &str, message: &serde_json::Map<String, Value>) -> String {
    let error = message
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("no error text");
    let cut: String = error.chars().take(200).collect();
    let error = crate::exchanges::redact::redact(&cut);
    if method == "subscribe" {
        format!(
            "Kraken refused the `executions` subscription: {error} (an unknown or expired \
             token, or a deleted key; a fresh token is asked for on the next try)"
        )
    } else {
        format!("Kraken refused `{method}`: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Venue;
    use crate::secret::KeyId;

    /// A fixture's message (`tests/fixtures/kraken/stream/<name>.json`), as text.
    fn fixture(name: &str, field: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/kraken/stream/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        value[field].to_string()
    }

    fn connection() -> Connection {
        STREAM.connections(&[]).remove(0)
    }

    fn read(stream: &KrakenStream, text: &str) -> Vec<Frame> {
        stream.read(&connection(), text)
    }

    fn orders(frames: Vec<Frame>) -> Vec<Order> {
        match frames.as_slice() {
            [Frame::Orders(orders)] => orders.clone(),
            other => panic!("no orders: {other:?}"),
        }
    }

    fn ms(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn the_docs_pending_new_live_and_execution_examples_decode_in_turn() {
        let stream = KrakenStream::new();
        let pending = orders(read(&stream, &fixture("executions-pending-new", "message")));
        let expected = Order {
            order_id: "OK4GJX-KSTLS-7DZZO5".into(),
            client_order_id: None,
            category: Category::Spot,
            // `BTC/USD` on the socket is the pair REST calls `XBTUSD`.
            symbol: "XBTUSD".into(),
            side: Side::Sell,
            order_type: "limit".into(),
            qty: Amount::new("0.005"),
            price: Some(Amount::new("26500")),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: OrderStatus::Open,
            created_ms: ms("2023-09-22T10:33:05.709950Z"),
            updated_ms: ms("2023-09-22T10:33:05.709950Z"),
        };
        assert_eq!(pending, std::slice::from_ref(&expected));
        // `new` names the order only: the rest comes from what the reader remembers.
        let live = orders(read(&stream, &fixture("executions-new", "message")));
        assert_eq!(
            live,
            [Order {
                updated_ms: ms("2023-09-22T10:33:05.709982Z"),
                ..expected.clone()
            }]
        );
        let traded = orders(read(&stream, &fixture("executions-trade", "message")));
        assert_eq!(
            traded,
            [Order {
                filled_qty: Amount::new("0.005"),
                avg_price: Some(Amount::new("26599.9")),
                status: OrderStatus::PartiallyFilled,
                updated_ms: ms("2023-09-22T10:33:05.709993Z"),
                ..expected
            }]
        );
    }

    #[test]
    fn a_repeated_older_report_does_not_turn_an_order_back() {
        let stream = KrakenStream::new();
        orders(read(&stream, &fixture("executions-pending-new", "message")));
        orders(read(&stream, &fixture("executions-trade", "message")));
        assert_eq!(
            read(&stream, &fixture("executions-pending-new", "message")),
            [Frame::Nothing]
        );
        let again = orders(read(&stream, &fixture("executions-trade", "message")));
        assert_eq!(again[0].status, OrderStatus::PartiallyFilled);
        assert_eq!(again[0].filled_qty.as_str(), "0.005");
    }

    #[test]
    fn a_report_about_an_order_never_seen_whole_is_passed_over() {
        let stream = KrakenStream::new();
        assert_eq!(
            read(&stream, &fixture("executions-new", "message")),
            [Frame::Nothing]
        );
        // The execution names the pair and the side but not the quantity: not enough to judge.
        assert_eq!(
            read(&stream, &fixture("executions-trade", "message")),
            [Frame::Nothing]
        );
    }

    #[test]
    fn a_snapshot_fills_the_memory_and_an_order_leaves_it_when_it_ends() {
        let stream = KrakenStream::new();
        let snapshot = r#"{"channel":"executions","type":"snapshot","data":[
            {"order_id":"OAAAAA-AAAAA-AAAAAA","symbol":"DOGE/USDT","order_qty":250,"side":"buy","order_type":"market","cash_order_qty":250,"cum_qty":0,"exec_type":"new","order_status":"new","timestamp":"2026-12-06T04:00:00.000000Z","cl_ord_id":"grid-7"},
            {"order_id":"OBBBBB-BBBBB-BBBBBB","symbol":"BTC/USDT","order_qty":0.5,"side":"sell","order_type":"stop-loss-limit","limit_price":59000,"triggers":{"reference":"last","price":60000,"price_type":"static","status":"untriggered"},"exec_type":"new","order_status":"new","timestamp":"2026-12-06T04:00:01.000000Z"},
            {"order_id":"OCCCCC-CCCCC-CCCCCC","symbol":"ETH/USDT","order_qty":2,"side":"buy","order_type":"stop-loss","triggers":{"price":3000,"status":"untriggered"},"exec_type":"new","order_status":"new","timestamp":"2026-12-06T04:00:02.000000Z"}
        ],"sequence":1}"#;
        // The REST gap fill reads these: the snapshot only fills the memory.
        assert_eq!(read(&stream, snapshot), [Frame::Nothing]);
        let cancel = r#"{"channel":"executions","type":"update","data":[
            {"order_id":"OAAAAA-AAAAA-AAAAAA","exec_type":"canceled","order_status":"canceled","reason":"User requested","timestamp":"2026-12-06T04:00:05.000000Z"},
            {"order_id":"OBBBBB-BBBBB-BBBBBB","exec_type":"amended","amended":true,"order_qty":0.25,"limit_price":58000,"timestamp":"2026-12-06T04:00:06.000000Z"},
            {"order_id":"OCCCCC-CCCCC-CCCCCC","exec_type":"status","triggers":{"status":"triggered"},"timestamp":"2026-12-06T04:00:07.000000Z"}
        ],"sequence":2}"#;
        let [cancelled, amended, triggered] = orders(read(&stream, cancel)).try_into().unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(cancelled.symbol, "XDGUSDT");
        assert_eq!(cancelled.client_order_id.as_deref(), Some("grid-7"));
        assert_eq!(cancelled.price, None);
        assert_eq!(cancelled.created_ms, ms("2026-12-06T04:00:00Z"));
        assert_eq!(cancelled.updated_ms, ms("2026-12-06T04:00:05Z"));
        // A conditional order reads as REST reads it: untriggered, its limit as the price.
        assert_eq!(amended.status, OrderStatus::Untriggered);
        assert_eq!(amended.order_type, "stop-loss-limit");
        assert_eq!(amended.qty.as_str(), "0.25");
        assert_eq!(amended.price.as_ref().unwrap().as_str(), "58000");
        // A plain stop has no limit price; once triggered it is an open order.
        assert_eq!(triggered.price, None);
        assert_eq!(triggered.status, OrderStatus::Open);
        // The cancelled order was forgotten: its echo is passed over.
        let again = r#"{"channel":"executions","type":"update","data":[{"order_id":"OAAAAA-AAAAA-AAAAAA","exec_type":"canceled","order_status":"canceled","timestamp":"2026-12-06T04:00:05.000000Z"}],"sequence":3}"#;
        assert_eq!(read(&stream, again), [Frame::Nothing]);
        let known = stream.known.lock().unwrap();
        assert_eq!(known.len(), 2);
    }

    #[test]
    fn acknowledgements_refusals_and_chatter() {
        let stream = KrakenStream::new();
        assert_eq!(
            read(&stream, &fixture("subscribe-ack", "message")),
            [Frame::Ready]
        );
        let refused = read(&stream, &fixture("subscribe-refused", "message"));
        let [Frame::Refused(why)] = refused.as_slice() else {
            panic!("{refused:?}");
        };
        assert!(why.contains("ESession:Invalid session"), "{why}");
        for name in ["heartbeat", "status", "pong", "unsubscribe-ack"] {
            assert_eq!(
                read(&stream, &fixture(name, "message")),
                [Frame::Nothing],
                "{name}"
            );
        }
        for other in [
            "not json",
            "[1,2]",
            r#"{"channel":"balances","type":"update","data":[]}"#,
            r#"{"channel":"executions","type":"update"}"#,
        ] {
            assert_eq!(read(&stream, other), [Frame::Nothing], "{other}");
        }
    }

    #[test]
    fn the_subscription_carries_the_token_as_the_docs_example_does() {
        let credential = Credential::new(KeyId::new("k"), SecretString::from("s"));
        let token = SecretString::from("G38a1tGFzqGiUCmnegBcm8d4nfP3tytiNQz6tkCBYXY");
        let sent = STREAM.login(&connection(), &credential, Some(&token), 0);
        let [text] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        let ours: Value = serde_json::from_str(text).unwrap();
        let docs: Value = serde_json::from_str(&fixture("subscribe-request", "request")).unwrap();
        assert_eq!(ours["method"], docs["method"]);
        assert_eq!(ours["params"]["channel"], docs["params"]["channel"]);
        assert_eq!(ours["params"]["token"], docs["params"]["token"]);
        assert_eq!(ours["params"]["snap_orders"], true);
        assert_eq!(ours["params"]["snap_trades"], false);
        let ping: Value = serde_json::from_str(&STREAM.keepalive().unwrap().text.unwrap()).unwrap();
        assert_eq!(ping["method"], "ping");
    }

    #[test]
    fn the_token_request_is_signed_as_kraken_signs_any_private_call() {
        // Computed apart from this code, with Kraken's published secret (docs/venues/kraken.md
        // §3):
        // python3 -c "import hmac,hashlib,base64; s=base64.b64decode('kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=='); n='1616492376594'; m=b'/0/private/GetWebSocketsToken'+hashlib.sha256((n+'nonce='+n).encode()).digest(); print(base64.b64encode(hmac.new(s,m,hashlib.sha512).digest()).decode())"
        let settings = crate::exchanges::VenueSettings::default();
        let call = crate::exchanges::CallContext {
            now_ms: 0,
            nonce: "1616492376594",
            session: None,
            tfa: None,
            settings: &settings,
            subject: None,
            lookup: None,
            known: &[],
        };
        let op = Op::StreamToken { segment: None };
        let kraken = super::super::Kraken;
        let request = kraken.encode(&op, &call).unwrap();
        assert_eq!(request.path, "/0/private/GetWebSocketsToken");
        assert_eq!(request.body.as_deref(), Some("nonce=1616492376594"));
        assert!(!request.mutating);
        let credential = Credential::new(
            KeyId::new("key"),
            SecretString::from(
                "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
            ),
        );
        let signed = kraken.sign(request, &credential, &call);
        let sign = signed
            .headers
            .iter()
            .find(|h| h.name == "API-Sign")
            .unwrap();
        assert_eq!(
            sign.value.as_str(),
            "+mRDmY9Ks0Moc1zjv/BjfvYa98buO0x1yHChZR5onlfAzAUbfIYlLggUZzdQ0RsmXm4Sh+Q8iAIZdo2wSeHeiA=="
        );
    }

    #[test]
    fn the_token_answer_is_read_as_a_secret() {
        let body = fixture("get-websockets-token", "answer");
        let reply = kraken_decode(&body).unwrap();
        #[allow(clippy::disallowed_methods)] // the test reads what it checks
        let token = secrecy::ExposeSecret::expose_secret(&reply).to_owned();
        assert_eq!(token, "WOg6IVQ5RfogMzkhH25WOg6IVQ5RqhP+U3ZprQVnh7f");
        assert!(kraken_decode(r#"{"error":["EGeneral:Permission denied"]}"#).is_err());
        assert!(kraken_decode(r#"{"error":[],"result":{"expires":900}}"#).is_err());
    }

    fn kraken_decode(body: &str) -> Result<SecretString, ExchangeError> {
        let op = Op::StreamToken { segment: None };
        super::super::Kraken
            .decode(&op, &crate::exchanges::decode::answer(200, body))
            .reply
            .and_then(crate::exchanges::Reply::into_stream_token)
    }

    #[test]
    fn the_address_is_kraken_s_private_host_or_the_same_host() {
        let kraken = Url::parse("https://api.kraken.com").unwrap();
        assert_eq!(
            STREAM.url(&kraken, &connection(), None).unwrap().as_str(),
            "wss://ws-auth.kraken.com/v2"
        );
        let sim = Url::parse("http://127.0.0.1:4100").unwrap();
        assert_eq!(
            STREAM.url(&sim, &connection(), None).unwrap().as_str(),
            "ws://127.0.0.1:4100/v2"
        );
        assert_eq!(connection().token, Some(Op::StreamToken { segment: None }));
    }
}
