//! Kraken's private WebSocket (v2) as the simulator serves it: the token handed out by REST, the
//! `executions` channel, heartbeats and the idle timeout (docs/venues/kraken.md "Private
//! stream"). Written from Kraken's docs, never from the client's reader (`exchanges/kraken/
//! stream.rs`): a shared misreading would agree with itself.
//!
//! Kraken signs nothing on the socket. A key with the "WebSocket interface" right
//! (`create-ws-token`) asks `POST /0/private/GetWebSocketsToken` for a token, through the REST
//! pipeline with all its checks (key, signature, nonce, IP allow-list, permission), and puts the
//! token in the `subscribe` message. The token must be used within 15 minutes of creation and
//! stays good once a subscription used it. A token that is unknown, too old, or whose key was
//! deleted gets `ESession:Invalid session` (the refusal string is not on Kraken's pages; it is
//! what clients record, see the venue page). The socket itself checks no address: Kraken
//! documents none there.
//!
//! Once subscribed, every change of an order of the token's account goes out as the docs show
//! it: a new order as a full `pending_new` report and a short `new` one; a fill as a `trade`
//! report with the cumulative figures (and `filled` when nothing is left); a cancel as
//! `canceled`; an amend as `amended`. Later reports carry only what changed, as Kraken's do, so
//! a reader must remember each order. The subscription answers with a snapshot of the account's
//! open orders (`snap_orders`, on by default). A `heartbeat` goes out every second without
//! other news; the server greets with a `status` message and closes a connection whose client
//! stayed silent for a minute ("Connection times out").

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::sim::inspect::OrderView;
use crate::sim::kraken::base64;
use crate::sim::kraken::caller::Caller;
use crate::sim::kraken::reply::KrakenError;
use crate::sim::kraken::state::KrakenState;
use crate::sim::order::Category;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

/// How long a token may wait for its first subscription (Kraken's GetWebSocketsToken page:
/// "used within 15 minutes of creation"); `expires` in its answer.
const FIRST_USE_MS: i64 = 15 * 60 * 1000;

/// A client silent for longer is disconnected ("within approximately one minute of
/// inactivity", Kraken's Spot WebSockets introduction).
const IDLE_MS: i64 = 60_000;

/// Heartbeats go out "approximately once every second in the absence of any other channel
/// updates" (Kraken's heartbeat page).
const HEARTBEAT_MS: i64 = 1_000;

/// The refusal of a token Kraken does not accept.
const INVALID_SESSION: &str = "ESession:Invalid session";

/// Channels of the public host, refused on the private one with the words clients record.
const PUBLIC_CHANNELS: &[&str] = &["book", "ticker", "trade", "ohlc", "instrument", "level3"];

/// The `maxratecount` a subscription acknowledges (Kraken's example value; it depends on the
/// account's tier, which the simulator does not model).
const MAX_RATE_COUNT: u32 = 125;

/// A token handed out by `GetWebSocketsToken`.
#[derive(Debug, Clone)]
pub(crate) struct WsToken {
    /// The key it was made for.
    api_key: String,
    /// That key's account.
    uid: u64,
    issued_ms: i64,
    /// Whether a subscription used it (then it no longer expires).
    used: bool,
}

/// `GetWebSocketsToken`: a fresh token for the calling key, `{token, expires}`.
///
/// The token is derived from the key's secret, a count and the time, so it cannot be guessed
/// from the key id and takes nothing from the venue's seeded dice (a watched drill draws the
/// same orders as a polled one).
pub(crate) fn token(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let now = v.now_ms();
    let key = v.live_key(&c.api_key).ok_or(KrakenError::InvalidKey)?;
    let state = v.own.get::<KrakenState>();
    let count = state.map_or(0, |s| s.ws_tokens.len());
    let mut hash = Sha256::new();
    // Allowed: the secret seeds a value only the simulator and the key's holder can reach.
    #[allow(clippy::disallowed_methods)]
    hash.update(key.secret.expose_secret().as_bytes());
    hash.update(format!("ws-token:{count}:{now}").as_bytes());
    let token = base64::encode(&hash.finalize())
        .trim_end_matches('=')
        .to_owned();
    let uid = key.uid;
    v.own.get_mut::<KrakenState>().ws_tokens.insert(
        token.clone(),
        WsToken {
            api_key: c.api_key.clone(),
            uid,
            issued_ms: now,
            used: false,
        },
    );
    Ok(json!({ "token": token, "expires": FIRST_USE_MS / 1000 }))
}

/// The private WebSocket server.
pub(crate) struct KrakenStream;

/// The one instance the dialect hands out.
pub(crate) static STREAM: KrakenStream = KrakenStream;

impl SimStream for KrakenStream {
    /// `wss://ws-auth.kraken.com/v2`: the path of the private host.
    fn paths(&self) -> &'static [&'static str] {
        &["/v2"]
    }

    /// Kraken refuses nothing before the upgrade: the token comes in the subscription.
    fn open(
        &self,
        v: &mut Venue,
        _path: &str,
        _query: &str,
        _peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        let now = v.now_ms();
        Ok(Box::new(Session {
            connection_id: u64::try_from(now).unwrap_or(0),
            greeted: false,
            heard_ms: now,
            sent_ms: now,
            sub: None,
            sequence: 0,
            seen: HashMap::new(),
        }))
    }
}

/// The account a subscription follows.
struct Subscription {
    api_key: String,
    uid: u64,
}

/// What a session last told about one order.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: String,
    filled: f64,
    qty: String,
    price: Option<String>,
}

impl Seen {
    fn of(view: &OrderView) -> Seen {
        Seen {
            status: view.status.clone(),
            filled: number(&view.cum_exec_qty),
            qty: view.qty.clone(),
            price: view.price.clone(),
        }
    }
}

/// One connection.
struct Session {
    connection_id: u64,
    /// Whether the `status` greeting went out.
    greeted: bool,
    /// When the client last sent anything.
    heard_ms: i64,
    /// When the server last sent anything.
    sent_ms: i64,
    sub: Option<Subscription>,
    /// The `sequence` of the last `executions` message.
    sequence: u64,
    seen: HashMap<String, Seen>,
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        self.heard_ms = now_ms;
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            return self.say(
                now_ms,
                vec![refusal("error", None, "Malformed request", now_ms)],
            );
        };
        let method = request.get("method").and_then(Value::as_str).unwrap_or("");
        let req_id = request.get("req_id").cloned();
        let params = request.get("params").cloned().unwrap_or(Value::Null);
        let replies = match method {
            "ping" => vec![with_req_id(
                json!({ "method": "pong", "time_in": rfc3339(now_ms), "time_out": rfc3339(now_ms) }),
                req_id,
            )],
            "subscribe" => self.subscribe(v, &params, req_id, now_ms),
            "unsubscribe" => self.unsubscribe(&params, req_id, now_ms),
            other => vec![refusal(other, req_id, "EGeneral:Invalid arguments", now_ms)],
        };
        self.say(now_ms, replies)
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        let Some(sub) = &self.sub else {
            return Vec::new();
        };
        if change.uid != sub.uid {
            return Vec::new();
        }
        let reports = reports(v, self.seen.get(&change.order_id), change);
        self.seen.insert(change.order_id.clone(), Seen::of(change));
        let messages = reports
            .into_iter()
            .map(|report| self.executions("update", vec![report]))
            .collect();
        self.say(now_ms, messages)
    }

    fn on_tick(&mut self, v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.heard_ms > IDLE_MS {
            return vec![Out::Close(
                1000,
                "closed after a minute of inactivity".to_owned(),
            )];
        }
        if let Some(sub) = &self.sub
            && v.live_key(&sub.api_key).is_none()
        {
            // Not documented: the simulator assumes a deleted key's subscription ends.
            return vec![Out::Close(1000, INVALID_SESSION.to_owned())];
        }
        let mut out = Vec::new();
        if !self.greeted {
            self.greeted = true;
            out.push(json!({
                "channel": "status",
                "type": "update",
                "data": [{
                    "api_version": "v2",
                    "connection_id": self.connection_id,
                    "system": "online",
                    "version": "2.0.0",
                }],
            }));
        } else if self.sub.is_some() && now_ms - self.sent_ms >= HEARTBEAT_MS {
            out.push(json!({ "channel": "heartbeat" }));
        }
        self.say(now_ms, out)
    }
}

impl Session {
    /// The texts of `messages`, noting that something went out.
    fn say(&mut self, now_ms: i64, messages: Vec<Value>) -> Vec<Out> {
        if !messages.is_empty() {
            self.sent_ms = now_ms;
        }
        messages
            .into_iter()
            .map(|m| Out::Text(m.to_string()))
            .collect()
    }

    /// One `executions` message with the next sequence number.
    fn executions(&mut self, kind: &str, data: Vec<Value>) -> Value {
        self.sequence += 1;
        json!({ "channel": "executions", "type": kind, "data": data, "sequence": self.sequence })
    }

    fn subscribe(
        &mut self,
        v: &mut Venue,
        params: &Value,
        req_id: Option<Value>,
        now_ms: i64,
    ) -> Vec<Value> {
        let channel = params.get("channel").and_then(Value::as_str).unwrap_or("");
        if channel != "executions" {
            let error = if PUBLIC_CHANNELS.contains(&channel) {
                "Public market data subscriptions are unavailable on this endpoint. Try ws.kraken.com"
            } else {
                // `balances` and the rest: not modelled.
                "EGeneral:Invalid arguments"
            };
            return vec![refusal("subscribe", req_id, error, now_ms)];
        }
        if self.sub.is_some() {
            return vec![refusal("subscribe", req_id, "Already subscribed", now_ms)];
        }
        let token = params.get("token").and_then(Value::as_str);
        let Some(sub) = accept(v, token, now_ms) else {
            let mut answer = refusal("subscribe", req_id, INVALID_SESSION, now_ms);
            if let Value::Object(map) = &mut answer {
                map.insert("channel".into(), json!("executions"));
            }
            return vec![answer];
        };
        let flag = |name: &str, default: bool| {
            params.get(name).and_then(Value::as_bool).unwrap_or(default)
        };
        let snap_orders = flag("snap_orders", true);
        let snap_trades = flag("snap_trades", false);
        let ack = with_req_id(
            json!({
                "method": "subscribe",
                "result": {
                    "channel": "executions",
                    "maxratecount": MAX_RATE_COUNT,
                    "snap_orders": snap_orders,
                    "snap_trades": snap_trades,
                },
                "success": true,
                "time_in": rfc3339(now_ms),
                "time_out": rfc3339(now_ms),
            }),
            req_id,
        );
        // What the account holds now is what later reports are told against.
        let views: Vec<OrderView> = v
            .orders
            .iter()
            .map(OrderView::from_order)
            .chain(v.dialect.extra_order_views(v))
            .filter(|view| view.uid == sub.uid)
            .collect();
        self.seen = views
            .iter()
            .map(|view| (view.order_id.clone(), Seen::of(view)))
            .collect();
        self.sub = Some(sub);
        let mut out = vec![ack];
        if snap_orders {
            let open = views
                .iter()
                .filter(|view| is_open(&view.status))
                .map(|view| full(v, view, "new", order_status(&view.status), view.updated_ms))
                .collect();
            out.push(self.executions("snapshot", open));
        }
        out
    }

    fn unsubscribe(&mut self, params: &Value, req_id: Option<Value>, now_ms: i64) -> Vec<Value> {
        let channel = params.get("channel").and_then(Value::as_str).unwrap_or("");
        if channel != "executions" || self.sub.is_none() {
            return vec![refusal(
                "unsubscribe",
                req_id,
                "Subscription Not Found",
                now_ms,
            )];
        }
        self.sub = None;
        vec![with_req_id(
            json!({
                "method": "unsubscribe",
                "result": { "channel": "executions" },
                "success": true,
                "time_in": rfc3339(now_ms),
                "time_out": rfc3339(now_ms),
            }),
            req_id,
        )]
    }
}

/// The subscription a token opens, or `None` when Kraken would refuse it: unknown, older than
/// 15 minutes and never used, or its key deleted. A token accepted is used from then on.
fn accept(v: &mut Venue, token: Option<&str>, now_ms: i64) -> Option<Subscription> {
    let token = token?;
    let known = v.own.get::<KrakenState>()?.ws_tokens.get(token)?.clone();
    if !known.used && now_ms - known.issued_ms > FIRST_USE_MS {
        return None;
    }
    v.live_key(&known.api_key)?;
    if let Some(entry) = v.own.get_mut::<KrakenState>().ws_tokens.get_mut(token) {
        entry.used = true;
    }
    Some(Subscription {
        api_key: known.api_key,
        uid: known.uid,
    })
}

/// The reports a change of `now` makes, told against what the session last said (`before`):
/// a new order first as `pending_new` and `new`, then an amend, a fill, the end.
fn reports(v: &Venue, before: Option<&Seen>, now: &OrderView) -> Vec<Value> {
    let mut out = Vec::new();
    let before = match before {
        Some(seen) => seen.clone(),
        None => {
            out.push(full(v, now, "pending_new", "pending_new", now.created_ms));
            out.push(json!({
                "order_id": now.order_id,
                "exec_type": "new",
                "order_status": "new",
                "timestamp": rfc3339(now.created_ms),
            }));
            Seen {
                status: "New".to_owned(),
                filled: 0.0,
                qty: now.qty.clone(),
                price: now.price.clone(),
            }
        }
    };
    let status = order_status(&now.status);
    let at = rfc3339(now.updated_ms);
    if before.qty != now.qty || before.price != now.price {
        let mut amended = json!({
            "order_id": now.order_id,
            "exec_type": "amended",
            "amended": true,
            "order_qty": decimal(&now.qty),
            "order_status": status,
            "timestamp": at,
        });
        if let (Some(price), Value::Object(map)) = (&now.price, &mut amended) {
            map.insert("limit_price".into(), decimal(price));
        }
        out.push(amended);
    }
    let filled = number(&now.cum_exec_qty);
    if filled > before.filled {
        let mut trade = json!({
            "order_id": now.order_id,
            "exec_type": "trade",
            "symbol": symbol(v, &now.symbol),
            "side": now.side.to_ascii_lowercase(),
            "order_type": now.order_type.to_ascii_lowercase(),
            "last_qty": filled - before.filled,
            "cum_qty": decimal(&now.cum_exec_qty),
            "cum_cost": decimal(&now.cum_exec_value),
            "order_status": if now.status == "Filled" { "filled" } else { "partially_filled" },
            "timestamp": at,
        });
        if let (Some(avg), Value::Object(map)) = (&now.avg_price, &mut trade) {
            map.insert("avg_price".into(), decimal(avg));
            map.insert("last_price".into(), decimal(avg));
        }
        out.push(trade);
    }
    if now.status != before.status {
        let end = match now.status.as_str() {
            "Filled" => Some("filled"),
            "Cancelled" | "PartiallyFilledCanceled" => Some("canceled"),
            _ => None,
        };
        if let Some(end) = end {
            let mut last = json!({
                "order_id": now.order_id,
                "exec_type": end,
                "order_status": end,
                "cum_qty": decimal(&now.cum_exec_qty),
                "timestamp": at,
            });
            if let Value::Object(map) = &mut last {
                if end == "canceled" {
                    map.insert("reason".into(), json!("User requested"));
                }
                if let Some(avg) = &now.avg_price {
                    map.insert("avg_price".into(), decimal(avg));
                }
            }
            out.push(last);
        }
    }
    out
}

/// An order's whole report (a new order, a snapshot): everything Kraken's `pending_new`
/// example carries, a conditional order's `triggers`, and what filled so far.
fn full(v: &Venue, view: &OrderView, exec_type: &str, status: &str, at_ms: i64) -> Value {
    let order_type = view.order_type.to_ascii_lowercase();
    let mut map = Map::new();
    map.insert("order_id".into(), json!(view.order_id));
    map.insert("symbol".into(), json!(symbol(v, &view.symbol)));
    // A buy sized in the quote coin (`viqc`) states that amount, not a base quantity.
    if view.qty_unit == "quote" {
        map.insert("cash_order_qty".into(), decimal(&view.qty));
    } else {
        map.insert("order_qty".into(), decimal(&view.qty));
    }
    map.insert("side".into(), json!(view.side.to_ascii_lowercase()));
    map.insert("order_type".into(), json!(order_type));
    if let Some(price) = &view.price {
        map.insert("limit_price_type".into(), json!("static"));
        map.insert("limit_price".into(), decimal(price));
    }
    if let Some(trigger) = &view.trigger_price {
        map.insert(
            "triggers".into(),
            json!({
                "reference": "last",
                "price": decimal(trigger),
                "price_type": "static",
                "status": "untriggered",
            }),
        );
    }
    if !view.order_link_id.is_empty() {
        map.insert("cl_ord_id".into(), json!(view.order_link_id));
    }
    map.insert("cum_qty".into(), decimal(&view.cum_exec_qty));
    map.insert("cum_cost".into(), decimal(&view.cum_exec_value));
    if let Some(avg) = &view.avg_price {
        map.insert("avg_price".into(), decimal(avg));
    }
    map.insert("exec_type".into(), json!(exec_type));
    map.insert("order_status".into(), json!(status));
    map.insert("timestamp".into(), json!(rfc3339(at_ms)));
    Value::Object(map)
}

/// Whether a view's status is a live order.
fn is_open(status: &str) -> bool {
    matches!(status, "New" | "PartiallyFilled")
}

/// Kraken's `order_status` for a view's status.
fn order_status(status: &str) -> &'static str {
    match status {
        "PartiallyFilled" => "partially_filled",
        "Filled" => "filled",
        "Cancelled" | "PartiallyFilledCanceled" => "canceled",
        _ => "new",
    }
}

/// The v2 symbol of an internal one: `BTC/USDT` (v2 writes bitcoin `BTC`, not `XBT`).
fn symbol(v: &Venue, internal: &str) -> String {
    v.instrument(Category::Spot, internal).map_or_else(
        || internal.to_owned(),
        |i| format!("{}/{}", i.base_coin, i.settle_coin),
    )
}

/// A decimal text as the JSON number v2 writes; the text itself if it is not one.
fn decimal(text: &str) -> Value {
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| json!(text), Value::Number)
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

/// RFC 3339 with microseconds, as v2 writes times.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// A refused request: `{error, method, status, success: false, time_in, time_out}`.
fn refusal(method: &str, req_id: Option<Value>, error: &str, now_ms: i64) -> Value {
    with_req_id(
        json!({
            "error": error,
            "method": method,
            "status": "error",
            "success": false,
            "time_in": rfc3339(now_ms),
            "time_out": rfc3339(now_ms),
        }),
        req_id,
    )
}

/// Echoes the request's `req_id`, when it had one.
fn with_req_id(mut answer: Value, req_id: Option<Value>) -> Value {
    if let (Some(id), Value::Object(map)) = (req_id, &mut answer) {
        map.insert("req_id".into(), id);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;

    /// A Kraken venue, the leaked bot key's caller and a fresh token of it.
    fn venue() -> (Venue, Caller, String) {
        let scenario = Scenario::load("quiet").unwrap();
        let mut v = scenario_venue(ExchangeId::Kraken, &scenario, 5);
        let key = v.keys.iter().find(|k| k.leaked).unwrap();
        let caller = Caller::from_key(key);
        let answer = token(&mut v, &caller).unwrap();
        assert_eq!(answer["expires"], 900);
        let token = answer["token"].as_str().unwrap().to_owned();
        (v, caller, token)
    }

    fn open(v: &mut Venue) -> Box<dyn StreamSession> {
        STREAM.open(v, "/v2", "", None).unwrap()
    }

    fn texts(outs: Vec<Out>) -> Vec<Value> {
        outs.into_iter()
            .map(|out| match out {
                Out::Text(text) => serde_json::from_str(&text).unwrap(),
                Out::Close(code, why) => panic!("closed {code} {why}"),
            })
            .collect()
    }

    fn subscribe(token: &str) -> String {
        json!({"method": "subscribe", "params": {"channel": "executions", "token": token}, "req_id": 7})
            .to_string()
    }

    #[test]
    fn a_fresh_token_subscribes_and_gets_the_open_orders() {
        let (mut v, caller, token) = venue();
        let now = v.now_ms();
        let mut session = open(&mut v);
        let greeting = texts(session.on_tick(&v, now));
        assert_eq!(greeting[0]["channel"], "status");
        let answers = texts(session.on_text(&mut v, &subscribe(&token), now));
        assert_eq!(answers[0]["method"], "subscribe");
        assert_eq!(answers[0]["success"], true);
        assert_eq!(answers[0]["req_id"], 7);
        assert_eq!(answers[0]["result"]["channel"], "executions");
        let snapshot = &answers[1];
        assert_eq!(snapshot["type"], "snapshot");
        let open_orders = v
            .orders
            .iter()
            .filter(|o| o.uid == caller.uid && o.status.is_open())
            .count();
        assert_eq!(snapshot["data"].as_array().unwrap().len(), open_orders);
        assert!(open_orders > 0);
        for report in snapshot["data"].as_array().unwrap() {
            assert!(report["symbol"].as_str().unwrap().contains('/'), "{report}");
            assert!(report.get("origin").is_none());
        }
        // A second subscription on the same connection is refused.
        let again = texts(session.on_text(&mut v, &subscribe(&token), now));
        assert_eq!(again[0]["success"], false);
        // Heartbeats once a second without news; pings answered.
        assert_eq!(
            texts(session.on_tick(&v, now + 1_000)),
            [json!({"channel": "heartbeat"})]
        );
        let pong = texts(session.on_text(&mut v, r#"{"method":"ping","req_id":101}"#, now));
        assert_eq!(pong[0]["method"], "pong");
        assert_eq!(pong[0]["req_id"], 101);
    }

    #[test]
    fn unknown_stale_and_orphaned_tokens_are_an_invalid_session() {
        let (mut v, caller, token) = venue();
        let now = v.now_ms();
        for (label, text, at) in [
            (
                "no token",
                r#"{"method":"subscribe","params":{"channel":"executions"}}"#.to_owned(),
                now,
            ),
            ("unknown", subscribe("bm90IGEgdG9rZW4"), now),
            (
                "unused for 15 minutes",
                subscribe(&token),
                now + FIRST_USE_MS + 1,
            ),
        ] {
            let mut session = open(&mut v);
            let answer = texts(session.on_text(&mut v, &text, at));
            assert_eq!(answer[0]["success"], false, "{label}");
            assert_eq!(answer[0]["error"], INVALID_SESSION, "{label}");
            assert_eq!(answer[0]["channel"], "executions", "{label}");
        }
        // Used once within the window, the token stays good.
        let mut session = open(&mut v);
        assert_eq!(
            texts(session.on_text(&mut v, &subscribe(&token), now))[0]["success"],
            true
        );
        let mut later = open(&mut v);
        let at = now + FIRST_USE_MS + 1;
        assert_eq!(
            texts(later.on_text(&mut v, &subscribe(&token), at))[0]["success"],
            true
        );
        // Its key deleted: refused, and the open subscriptions end.
        v.delete_key(&caller.api_key).unwrap();
        let mut orphan = open(&mut v);
        let answer = texts(orphan.on_text(&mut v, &subscribe(&token), now));
        assert_eq!(answer[0]["error"], INVALID_SESSION);
        assert!(matches!(
            session.on_tick(&v, now).as_slice(),
            [Out::Close(..)]
        ));
    }

    #[test]
    fn a_silent_client_is_closed_after_a_minute() {
        let (mut v, _, _) = venue();
        let now = v.now_ms();
        let mut session = open(&mut v);
        texts(session.on_text(&mut v, r#"{"method":"ping"}"#, now));
        assert!(!matches!(
            session.on_tick(&v, now + IDLE_MS).as_slice(),
            [Out::Close(..)]
        ));
        assert!(matches!(
            session.on_tick(&v, now + IDLE_MS + 1).as_slice(),
            [Out::Close(1000, _)]
        ));
    }

    #[test]
    fn requests_it_does_not_serve_are_refused_in_kraken_s_words() {
        let (mut v, _, _) = venue();
        let now = v.now_ms();
        let mut session = open(&mut v);
        let malformed = texts(session.on_text(&mut v, "{not json", now));
        assert_eq!(malformed[0]["error"], "Malformed request");
        let public = texts(session.on_text(
            &mut v,
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}"#,
            now,
        ));
        assert!(
            public[0]["error"]
                .as_str()
                .unwrap()
                .contains("ws.kraken.com")
        );
        let unknown = texts(session.on_text(&mut v, r#"{"method":"add_order"}"#, now));
        assert_eq!(unknown[0]["success"], false);
    }

    #[test]
    fn a_change_is_told_against_what_was_last_said() {
        let (v, _, _) = venue();
        let view = OrderView::from_order(v.orders.iter().find(|o| o.status.is_open()).unwrap());
        let new = reports(&v, None, &view);
        assert_eq!(new[0]["exec_type"], "pending_new");
        assert_eq!(new[0]["order_id"], json!(view.order_id));
        assert_eq!(
            new[1],
            json!({
                "order_id": view.order_id,
                "exec_type": "new",
                "order_status": "new",
                "timestamp": rfc3339(view.created_ms),
            })
        );
        let before = Seen::of(&view);
        let mut filled = view.clone();
        filled.status = "Filled".to_owned();
        filled.cum_exec_qty = filled.qty.clone();
        filled.avg_price = Some("1".to_owned());
        let told = reports(&v, Some(&before), &filled);
        assert_eq!(told.len(), 2, "{told:?}");
        assert_eq!(told[0]["exec_type"], "trade");
        assert_eq!(told[0]["order_status"], "filled");
        assert_eq!(told[1]["exec_type"], "filled");
        let mut cancelled = view.clone();
        cancelled.status = "Cancelled".to_owned();
        let told = reports(&v, Some(&before), &cancelled);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0]["exec_type"], "canceled");
        assert!(reports(&v, Some(&before), &view).is_empty());
    }
}
