//! Binance's private order streams in the simulator, written from Binance's docs
//! (docs/venues/binance.md §12 "Private stream"), never from the client in
//! `exchanges/binance/stream.rs`.
//!
//! Spot: Binance retired the spot listen key, so a spot account's order updates come from the
//! WebSocket API (`/ws-api/v3`), where any session subscribes an account with
//! `userDataStream.subscribe.signature`: `apiKey`, `timestamp`, optional `recvWindow` and
//! `signature`, the hex HMAC-SHA256 of every other parameter sorted by name as `name=value`
//! joined by `&`. The checks are a SIGNED request's (`auth.rs`): the key's shape (`-2014`), the
//! key live (`-2015`), the signature (`-1022`), `recvWindow` (`-1131`), the timestamp window
//! (`-1021`), the peer inside the key's IP list (`-2015`); a second subscription of the same
//! account is `-2035`. An answer echoes the request's `id` with an HTTP-like `status` (`200`,
//! `400`, `401` for `-2015`) and `result` or `error`. Every change of the account's spot orders
//! (not its margin ones, which Binance streams elsewhere) is an `executionReport` wrapped as
//! `{"subscriptionId", "event"}`.
//!
//! USD-M and COIN-M: `POST /fapi/v1/listenKey` (`/dapi/v1/listenKey`; also `PUT`, `DELETE`)
//! with the key header only hands out a 60-minute listen key ([`listen_key`], called by the
//! front door before any signature check); `/private/ws/<listenKey>` (USD-M) and
//! `/ws/<listenKey>` (COIN-M) push `ORDER_TRADE_UPDATE`, on USD-M `ALGO_UPDATE` for
//! conditional orders, and `listenKeyExpired` once the key lapses; `LIST_SUBSCRIPTIONS` lists
//! the key as the connection's stream.
//!
//! A change the simulator makes in one request (an order placed and filled at once) is told as
//! Binance tells it: `NEW` first, then the trade. Not modelled: ping frames and the pong
//! timeouts (the shared socket answers pings; a session never sees frames), SBE,
//! `session.logon`; a connection closes at its 24-hour mark as the docs say. What Binance does
//! not document (an unknown listen key, a deleted key's streams) is the simulator's choice,
//! named in the docs. The hidden truth (`origin`) and the key's secret never reach the wire.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::sim::answer::Answer;
use crate::sim::binance::BinanceState;
use crate::sim::binance::auth::{self, Signed};
use crate::sim::binance::reply;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::wire::{
    client_id, coinm_order, dec, futures_order, side, spot_order, status,
};
use crate::sim::front::Incoming;
use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::order::{Order, OrderType, QtyUnit};
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

/// The WebSocket API's path (`wss://ws-api.binance.com:443/ws-api/v3`).
pub(crate) const WS_API_PATH: &str = "/ws-api/v3";

/// USD-M's listen-key stream (`wss://fstream.binance.com/private/ws/<listenKey>`).
const USDM_PATH: &str = "/private/ws/{listen_key}";

/// COIN-M's listen-key stream (`wss://dstream.binance.com/ws/<listenKey>`).
const COINM_PATH: &str = "/ws/{listen_key}";

/// A listen key lives 60 minutes from its last `POST` or `PUT`.
const LISTEN_KEY_LIFETIME_MS: i64 = 3_600_000;

/// A connection lives 24 hours at most.
const CONNECTION_LIFETIME_MS: i64 = 24 * 3_600_000;

/// Active subscriptions a session may hold at once.
const MAX_ACTIVE: usize = 1_000;

/// Binance's stream server.
pub(crate) struct BinanceStream;

/// The one instance the dialect hands out.
pub(crate) static STREAM: BinanceStream = BinanceStream;

impl SimStream for BinanceStream {
    fn paths(&self) -> &'static [&'static str] {
        &[WS_API_PATH, USDM_PATH, COINM_PATH]
    }

    fn open(
        &self,
        v: &mut Venue,
        path: &str,
        _query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        if let Some(key) = path.strip_prefix("/private/ws/") {
            return open_listen_key(v, key, Family::UsdM);
        }
        if let Some(key) = path.strip_prefix("/ws/") {
            return open_listen_key(v, key, Family::CoinM);
        }
        if path != WS_API_PATH {
            return Err((StatusCode::NOT_FOUND, String::new()));
        }
        Ok(Box::new(WsApiSession {
            peer,
            opened_ms: v.now_ms(),
            subscriptions: Vec::new(),
            next_id: 0,
            told: HashMap::new(),
            executions: 0,
        }))
    }
}

/// One subscribed account.
#[derive(Debug, Clone)]
struct Subscription {
    id: u64,
    uid: u64,
    api_key: String,
}

/// What this connection last told of an order: its filled quantity and value.
#[derive(Debug, Clone, Copy, Default)]
struct Told {
    filled: f64,
    value: f64,
}

/// One WebSocket API connection.
struct WsApiSession {
    peer: Option<IpAddr>,
    opened_ms: i64,
    subscriptions: Vec<Subscription>,
    /// The next `subscriptionId`; ids are never reused on a connection.
    next_id: u64,
    told: HashMap<String, Told>,
    /// Execution ids (`I`) handed out on this connection.
    executions: u64,
}

impl StreamSession for WsApiSession {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            return vec![refusal(
                &Value::Null,
                &ApiError::new(Code::InvalidParameter, "Malformed request."),
            )];
        };
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let params = match request.get("params") {
            None => Map::new(),
            Some(Value::Object(params)) => params.clone(),
            Some(_) => return vec![refusal(&id, &ApiError::invalid("params"))],
        };
        let method = request.get("method").and_then(Value::as_str).unwrap_or("");
        // A method may name its version: `v3/ping`.
        let method = method.strip_prefix("v3/").unwrap_or(method);
        let answer = match method {
            "ping" => Ok(json!({})),
            "userDataStream.subscribe.signature" => self.subscribe(v, &params, now_ms),
            "userDataStream.unsubscribe" => self.unsubscribe(&params),
            "session.subscriptions" => Ok(Value::Array(
                self.subscriptions
                    .iter()
                    .map(|s| json!({ "subscriptionId": s.id }))
                    .collect(),
            )),
            _ => Err(ApiError::unsupported()),
        };
        vec![match answer {
            Ok(result) => {
                Out::Text(json!({ "id": id, "status": 200, "result": result }).to_string())
            }
            Err(err) => refusal(&id, &err),
        }]
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        if change.category != "spot" {
            return Vec::new();
        }
        let Some(subscription) = self.subscriptions.iter().find(|s| s.uid == change.uid) else {
            return Vec::new();
        };
        let subscription_id = subscription.id;
        // A deleted key's subscription ends with it: nothing more is told.
        if v.live_key(&subscription.api_key).is_none() {
            return Vec::new();
        }
        let Some(state) = v.own.get::<BinanceState>() else {
            return Vec::new();
        };
        if state.is_margin(&change.order_id) || state.is_isolated(&change.order_id) {
            return Vec::new();
        }
        let Some(order) = v
            .orders
            .iter()
            .find(|o| o.uid == change.uid && o.order_id == change.order_id)
        else {
            return Vec::new();
        };
        let mut events = Vec::new();
        let told = match self.told.get(&order.order_id) {
            Some(told) => *told,
            None => {
                // Binance tells an order's acceptance before its fills.
                self.executions += 1;
                events.push(new_report(order, self.executions, now_ms));
                Told::default()
            }
        };
        if let Some(execution) = execution_after(order, told) {
            self.executions += 1;
            events.push(report(order, execution, told, self.executions, now_ms));
        }
        self.told.insert(
            order.order_id.clone(),
            Told {
                filled: order.cum_exec_qty,
                value: order.cum_exec_value,
            },
        );
        events
            .into_iter()
            .map(|event| {
                Out::Text(json!({ "subscriptionId": subscription_id, "event": event }).to_string())
            })
            .collect()
    }

    fn on_tick(&mut self, _v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.opened_ms >= CONNECTION_LIFETIME_MS {
            return vec![Out::Close(1000, "connection lifetime reached".into())];
        }
        Vec::new()
    }
}

impl WsApiSession {
    /// `userDataStream.subscribe.signature`: the checks of a SIGNED request, in Binance's order.
    fn subscribe(
        &mut self,
        v: &Venue,
        params: &Map<String, Value>,
        now_ms: i64,
    ) -> Result<Value, ApiError> {
        let text = |name: &str| params.get(name).map(param_text);
        let api_key = text("apiKey").ok_or_else(|| ApiError::missing("apiKey"))?;
        if !auth::is_key(&api_key) {
            return Err(ApiError::new(
                Code::BadApiKeyFormat,
                "API-key format invalid.",
            ));
        }
        let signature = text("signature").ok_or_else(|| ApiError::missing("signature"))?;
        let timestamp = text("timestamp")
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or_else(|| ApiError::missing("timestamp"))?;
        let key = v.live_key(&api_key).ok_or_else(ApiError::rejected_key)?;
        let signed = Signed {
            payload: payload(params),
            signature,
        };
        if !signed.payload.is_ascii() || !signed.verifies(&key.secret) {
            return Err(ApiError::new(
                Code::InvalidSignature,
                "Signature for this request is not valid.",
            ));
        }
        let recv_window = match text("recvWindow") {
            None => auth::DEFAULT_RECV_WINDOW_MS,
            Some(w) => w
                .parse::<f64>()
                .ok()
                .filter(|w| (0.0..=auth::MAX_RECV_WINDOW_MS as f64).contains(w))
                .map(|w| w.floor() as i64)
                .ok_or_else(|| {
                    ApiError::new(Code::BadRecvWindow, "recvWindow must be less than 60000")
                })?,
        };
        if !auth::in_time(timestamp, recv_window, now_ms) {
            let msg = if timestamp >= now_ms + auth::AHEAD_MS {
                "Timestamp for this request was 1000ms ahead of the server's time."
            } else {
                "Timestamp for this request is outside of the recvWindow."
            };
            return Err(ApiError::new(Code::InvalidTimestamp, msg));
        }
        if !key.ips.allows(self.peer) {
            return Err(ApiError::rejected_key());
        }
        if self.subscriptions.iter().any(|s| s.uid == key.uid) {
            return Err(ApiError::new(
                Code::SubscriptionActive,
                "User Data Stream subscription already active.",
            ));
        }
        if self.subscriptions.len() >= MAX_ACTIVE || self.next_id > u64::from(u16::MAX) {
            return Err(ApiError::new(
                Code::TooManySubscriptions,
                "Maximum subscription ID reached for this connection.",
            ));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.subscriptions.push(Subscription {
            id,
            uid: key.uid,
            api_key: api_key.clone(),
        });
        Ok(json!({ "subscriptionId": id }))
    }

    /// `userDataStream.unsubscribe`: one subscription, or every one without `subscriptionId`.
    fn unsubscribe(&mut self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        match params.get("subscriptionId").map(param_text) {
            None => self.subscriptions.clear(),
            Some(id) => {
                let before = self.subscriptions.len();
                self.subscriptions.retain(|s| s.id.to_string() != id);
                if self.subscriptions.len() == before {
                    return Err(ApiError::new(
                        Code::SubscriptionInactive,
                        "User Data Stream subscription not active.",
                    ));
                }
            }
        }
        Ok(json!({}))
    }
}

/// A parameter's value as it is signed: strings as they are, numbers as written.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every parameter but `signature`, sorted by name, as `name=value` joined by `&`.
fn payload(params: &Map<String, Value>) -> String {
    let mut pairs: Vec<(&String, String)> = params
        .iter()
        .filter(|(name, _)| name.as_str() != "signature")
        .map(|(name, value)| (name, param_text(value)))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A refusal in the WebSocket API's shape.
fn refusal(id: &Value, err: &ApiError) -> Out {
    let status = if err.code == Code::RejectedKey {
        401
    } else {
        400
    };
    Out::Text(
        json!({
            "id": id,
            "status": status,
            "error": { "code": err.code.number(), "msg": err.msg },
        })
        .to_string(),
    )
}

/// The `NEW` report of an order as it was accepted: nothing filled yet.
fn new_report(o: &Order, execution_id: u64, now_ms: i64) -> Value {
    let mut event = report(o, "NEW", Told::default(), execution_id, now_ms);
    event["X"] = json!("NEW");
    event["z"] = json!(dec(0.0));
    event["Z"] = json!(dec(0.0));
    event["l"] = json!(dec(0.0));
    event["L"] = json!(dec(0.0));
    event["Y"] = json!(dec(0.0));
    event["T"] = json!(o.created_ms);
    event["w"] = json!(o.order_type == OrderType::Limit);
    event
}

/// An `executionReport` of `o` now, `told` being what this connection last said of it.
fn report(o: &Order, execution: &str, told: Told, execution_id: u64, now_ms: i64) -> Value {
    // The REST shape holds the quantities as Binance shows them (a quote-sized market order's).
    let rest = spot_order(o);
    let last_qty = (o.cum_exec_qty - told.filled).max(0.0);
    let last_value = (o.cum_exec_value - told.value).max(0.0);
    let last_price = if last_qty > 0.0 {
        last_value / last_qty
    } else {
        0.0
    };
    let quote_qty = if o.qty_unit == QtyUnit::Quote {
        num::parse_positive(&o.qty).unwrap_or(0.0)
    } else {
        0.0
    };
    json!({
        "e": "executionReport",
        "E": now_ms,
        "s": o.symbol,
        "c": client_id(o),
        "S": side(o.side),
        "o": rest["type"],
        "f": rest["timeInForce"],
        "q": rest["origQty"],
        "p": rest["price"],
        "P": dec(0.0),
        "F": dec(0.0),
        "g": -1,
        "C": "",
        "x": execution,
        "X": status(o),
        "r": "NONE",
        "i": rest["orderId"],
        "l": dec(last_qty),
        "z": dec(o.cum_exec_qty),
        "L": dec(last_price),
        "n": "0",
        "N": Value::Null,
        "T": o.updated_ms,
        "t": -1,
        "I": execution_id,
        "w": o.status.is_open(),
        "m": false,
        "M": false,
        "O": o.created_ms,
        "Z": dec(o.cum_exec_value),
        "Y": dec(last_value),
        "Q": dec(quote_qty),
        "W": o.created_ms,
        "V": rest["selfTradePreventionMode"],
    })
}

/// The futures families that stream by listen key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    UsdM,
    CoinM,
}

impl Family {
    /// The shared category of the family's orders.
    fn category(self) -> &'static str {
        match self {
            Family::UsdM => "linear",
            Family::CoinM => "inverse",
        }
    }
}

/// One account's listen key for one family.
#[derive(Clone, Debug)]
pub(crate) struct ListenKey {
    key: String,
    uid: u64,
    api_key: String,
    family: Family,
    expires_ms: i64,
}

/// `POST`, `PUT` and `DELETE` on `/fapi/v1/listenKey` and `/dapi/v1/listenKey`: USER_STREAM,
/// the key header and nothing else (no signature). `None` for any other request.
pub(crate) fn listen_key(v: &mut Venue, req: &Incoming) -> Option<Answer> {
    let family = match req.path.as_str() {
        "/fapi/v1/listenKey" => Family::UsdM,
        "/dapi/v1/listenKey" => Family::CoinM,
        _ => return None,
    };
    let now = v.now_ms();
    let api_key = req.header("x-mbx-apikey").unwrap_or_default();
    if !auth::is_key(&api_key) {
        return Some(reply::error(&ApiError::new(
            Code::BadApiKeyFormat,
            "API-key format invalid.",
        )));
    }
    let Some(key) = v.live_key(&api_key).filter(|k| k.ips.allows(req.peer)) else {
        return Some(reply::error(&ApiError::rejected_key()));
    };
    let uid = key.uid;
    let fresh = v.ids.alnum(64);
    let state = v.own.get_mut::<BinanceState>();
    state.listen_keys.retain(|k| k.expires_ms > now);
    let active = state
        .listen_keys
        .iter_mut()
        .find(|k| k.uid == uid && k.family == family);
    Some(match (req.method.as_str(), active) {
        ("POST", Some(active)) => {
            active.expires_ms = now + LISTEN_KEY_LIFETIME_MS;
            reply::ok(json!({ "listenKey": active.key }))
        }
        ("POST", None) => {
            state.listen_keys.push(ListenKey {
                key: fresh.clone(),
                uid,
                api_key,
                family,
                expires_ms: now + LISTEN_KEY_LIFETIME_MS,
            });
            reply::ok(json!({ "listenKey": fresh }))
        }
        ("PUT", Some(active)) => {
            active.expires_ms = now + LISTEN_KEY_LIFETIME_MS;
            reply::ok(json!({ "listenKey": active.key }))
        }
        ("DELETE", Some(_)) => {
            state
                .listen_keys
                .retain(|k| !(k.uid == uid && k.family == family));
            reply::ok(json!({}))
        }
        ("PUT" | "DELETE", None) => reply::error(&ApiError::new(
            Code::NoListenKey,
            "This listenKey does not exist.",
        )),
        _ => Answer::bare(StatusCode::METHOD_NOT_ALLOWED),
    })
}

/// A connection to `…/ws/<listenKey>`: only a live listen key of the family opens one.
fn open_listen_key(
    v: &mut Venue,
    key: &str,
    family: Family,
) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
    let now = v.now_ms();
    let found = v.own.get::<BinanceState>().and_then(|s| {
        s.listen_keys
            .iter()
            .find(|k| k.key == key && k.family == family && k.expires_ms > now)
            .cloned()
    });
    match found {
        // Binance documents no answer for an unknown listen key; the simulator refuses the
        // upgrade (docs/venues/binance.md "Private stream").
        None => Err((StatusCode::BAD_REQUEST, "Invalid listen key".into())),
        Some(listen_key) => Ok(Box::new(FuturesSession {
            listen_key,
            opened_ms: now,
            expired: false,
            told: HashMap::new(),
        })),
    }
}

/// One listen-key connection.
struct FuturesSession {
    listen_key: ListenKey,
    opened_ms: i64,
    /// `listenKeyExpired` was sent: nothing more is pushed.
    expired: bool,
    told: HashMap<String, Told>,
}

impl FuturesSession {
    /// Whether the listen key is still live (renewed elsewhere, or not yet expired).
    fn live_until(&self, v: &Venue) -> Option<i64> {
        v.own.get::<BinanceState>().and_then(|s| {
            s.listen_keys
                .iter()
                .find(|k| k.key == self.listen_key.key)
                .map(|k| k.expires_ms)
        })
    }
}

impl StreamSession for FuturesSession {
    /// The requests every stream connection takes (`SUBSCRIBE`, `UNSUBSCRIBE`,
    /// `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`); the simulator models the listing
    /// (the listen key is the connection's one stream) and answers the others with the docs'
    /// error words.
    fn on_text(&mut self, _v: &mut Venue, text: &str, _now_ms: i64) -> Vec<Out> {
        let answer = match serde_json::from_str::<Value>(text) {
            Err(err) => json!({ "code": 3, "msg": format!("Invalid JSON: {err}") }),
            Ok(request) => match (
                request.get("method").and_then(Value::as_str),
                request.get("id"),
            ) {
                (_, id) if !id.is_some_and(Value::is_u64) => json!({
                    "code": 2,
                    "msg": "Invalid request: request ID must be an unsigned integer",
                }),
                (Some("LIST_SUBSCRIPTIONS"), Some(id)) => {
                    json!({ "result": [self.listen_key.key], "id": id })
                }
                (None, _) => json!({ "code": 2, "msg": "Invalid request: missing field `method`" }),
                (Some(other), _) => json!({
                    "code": 2,
                    "msg": format!("Invalid request: unknown variant {other}, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"),
                }),
            },
        };
        vec![Out::Text(answer.to_string())]
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        let key = &self.listen_key;
        if self.expired || change.uid != key.uid || change.category != key.family.category() {
            return Vec::new();
        }
        if v.live_key(&key.api_key).is_none() || self.live_until(v).is_none_or(|t| t <= now_ms) {
            return Vec::new();
        }
        let Some(state) = v.own.get::<BinanceState>() else {
            return Vec::new();
        };
        if let Some(algo) = state
            .algo_orders
            .iter()
            .find(|a| a.uid == change.uid && a.algo_id == change.order_id)
        {
            return vec![Out::Text(algo_update(&algo.to_wire(), now_ms).to_string())];
        }
        let Some(order) = v
            .orders
            .iter()
            .find(|o| o.uid == change.uid && o.order_id == change.order_id)
        else {
            return Vec::new();
        };
        let shown = match key.family {
            Family::UsdM => futures_order(order),
            Family::CoinM => coinm_order(order),
        };
        let mut events = Vec::new();
        let told = match self.told.get(&order.order_id) {
            Some(told) => *told,
            None => {
                events.push(order_trade_update(
                    order,
                    &shown,
                    "NEW",
                    Told::default(),
                    true,
                    now_ms,
                ));
                Told::default()
            }
        };
        if let Some(execution) = execution_after(order, told) {
            events.push(order_trade_update(
                order, &shown, execution, told, false, now_ms,
            ));
        }
        self.told.insert(
            order.order_id.clone(),
            Told {
                filled: order.cum_exec_qty,
                value: order.cum_exec_value,
            },
        );
        events
            .into_iter()
            .map(|e| Out::Text(e.to_string()))
            .collect()
    }

    fn on_tick(&mut self, v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.opened_ms >= CONNECTION_LIFETIME_MS {
            return vec![Out::Close(1000, "connection lifetime reached".into())];
        }
        if !self.expired && self.live_until(v).is_none_or(|t| t <= now_ms) {
            self.expired = true;
            return vec![Out::Text(
                json!({
                    "e": "listenKeyExpired",
                    "E": now_ms.to_string(),
                    "listenKey": self.listen_key.key,
                })
                .to_string(),
            )];
        }
        Vec::new()
    }
}

/// What an order's change is, after `told`: a trade, a cancel, an expiry; `None` for nothing new.
fn execution_after(o: &Order, told: Told) -> Option<&'static str> {
    if o.cum_exec_qty > told.filled {
        return Some("TRADE");
    }
    match status(o) {
        "CANCELED" => Some("CANCELED"),
        "EXPIRED" => Some("EXPIRED"),
        _ => None,
    }
}

/// `ORDER_TRADE_UPDATE` of a futures order (`shown`: its REST shape); `accepted` tells the
/// order as it was accepted, nothing filled.
fn order_trade_update(
    o: &Order,
    shown: &Value,
    execution: &str,
    told: Told,
    accepted: bool,
    now_ms: i64,
) -> Value {
    let (filled, value) = if accepted {
        (0.0, 0.0)
    } else {
        (o.cum_exec_qty, o.cum_exec_value)
    };
    let last_qty = (filled - told.filled).max(0.0);
    let last_price = if last_qty > 0.0 {
        (value - told.value) / last_qty
    } else {
        0.0
    };
    let average = if filled > 0.0 { value / filled } else { 0.0 };
    let time = if accepted { o.created_ms } else { o.updated_ms };
    json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now_ms,
        "T": time,
        "o": {
            "s": o.symbol,
            "c": shown["clientOrderId"],
            "S": shown["side"],
            "o": shown["type"],
            "f": shown["timeInForce"],
            "q": shown["origQty"],
            "p": shown["price"],
            "ap": dec(average),
            "sp": "0",
            "x": execution,
            "X": if accepted { "NEW" } else { status(o) },
            "i": shown["orderId"],
            "l": dec(last_qty),
            "z": dec(filled),
            "L": dec(last_price),
            "n": "0",
            "T": time,
            "t": 0,
            "b": "0",
            "a": "0",
            "m": false,
            "R": false,
            "wt": "CONTRACT_PRICE",
            "ot": shown["type"],
            "ps": "BOTH",
            "cp": false,
            "rp": "0",
            "pP": false,
            "V": shown["selfTradePreventionMode"],
            "pm": "NONE",
            "er": "0",
        },
    })
}

/// `ALGO_UPDATE` of a conditional order (`shown`: its `algoOrder` shape).
fn algo_update(shown: &Value, now_ms: i64) -> Value {
    json!({
        "e": "ALGO_UPDATE",
        "T": shown["updateTime"],
        "E": now_ms,
        "o": {
            "caid": shown["clientAlgoId"],
            "aid": shown["algoId"],
            "at": shown["algoType"],
            "o": shown["orderType"],
            "s": shown["symbol"],
            "S": shown["side"],
            "ps": shown["positionSide"],
            "f": shown["timeInForce"],
            "q": shown["quantity"],
            "X": shown["algoStatus"],
            "ai": "",
            "tp": shown["triggerPrice"],
            "p": shown["price"],
            "V": shown["selfTradePreventionMode"],
            "wt": shown["workingType"],
            "pm": shown["priceMatch"],
            "cp": shown["closePosition"],
            "pP": shown["priceProtect"],
            "R": shown["reduceOnly"],
            "tt": 0,
            "gtd": 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_sorts_every_parameter_but_the_signature() {
        let params: Map<String, Value> = serde_json::from_str(
            r#"{"timestamp": 1747385641636, "signature": "x", "apiKey": "k", "recvWindow": 5000}"#,
        )
        .unwrap();
        assert_eq!(
            payload(&params),
            "apiKey=k&recvWindow=5000&timestamp=1747385641636"
        );
    }

    /// The docs' HMAC example of a WebSocket API request (docs/venues/binance.md "Private
    /// stream"): the payload is built and verified by the simulator's own code.
    #[test]
    fn the_docs_ws_api_vector_verifies() {
        let params: Map<String, Value> = serde_json::from_str(
            r#"{"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
                "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
                "timestamp": 1645423376532,
                "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"}"#,
        )
        .unwrap();
        let signed = Signed {
            payload: payload(&params),
            signature: "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24".into(),
        };
        assert_eq!(
            signed.payload,
            "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        );
        let secret = secrecy::SecretString::from(
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        );
        assert!(signed.verifies(&secret));
    }
}
