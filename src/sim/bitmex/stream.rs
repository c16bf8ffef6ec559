//! BitMEX's realtime API as the simulator serves it, for `lockdown watch`: the login, the
//! `order` table and the heartbeat (docs/venues/bitmex.md §12). Written from BitMEX's docs and
//! its own connectors, never from the client's reader (`exchanges/bitmex/stream.rs`): a shared
//! misreading would agree with itself.
//!
//! One path, `/realtime`. The server greets every connection with its `info` message. A key
//! logs in with `{"op":"authKeyExpires","args":[key, expires, signature]}`, checked in the REST
//! pipeline's order (`mod.rs`): a key that is unknown or deleted is `401 Invalid API Key.`, a
//! disabled one `403 This key is disabled.`; `expires` (Unix seconds) at or before the server's
//! clock is refused as expired; the signature must be the hex HMAC-SHA256, under the key's
//! secret, of the exact bytes `GET/realtime` and `expires` as sent (`auth.rs`, the REST check)
//! or it is `401 Signature not valid.`; and the socket's peer must be inside the key's CIDR.
//! Every key may read its orders (BitMEX: "by default, API Keys can only read basic data, such
//! as positions, margin, orders"). Refusals use BitMEX's envelope `{status, error, meta,
//! request}` and leave the connection open (BitMEX disconnects only after "too many errors").
//!
//! `order` is account-locked: subscribed before a login it is `401 User requested an
//! account-locked subscription but no authorization was provided.`. Once subscribed (the whole
//! table, `order:*`, or one symbol's, `order:XBTUSD`) the server acknowledges, sends the
//! `partial` (the account's live orders, with `keys` and `filter`), then every change of one of
//! the account's orders: a new order whole as an `insert`, later changes as an `update` with
//! the row's key, `clOrdID`, `account`, `symbol`, `timestamp` and only what changed. The text
//! `ping` is answered `pong`. A logged-in key that is deleted, or whose CIDR no longer holds
//! the peer, ends the connection (BitMEX does not document this; the simulator assumes it).
//!
//! Not modelled (and refused in words when asked): the other tables, `cancelAllAfter` on the
//! socket, the legacy `authKey` login, the header and query-string logins; the 60 connections
//! an hour (so the welcome leaves out `limit`), a disconnection after too many errors, and any
//! server idle timeout (BitMEX documents none). The hidden `origin` is never on the wire;
//! neither is any secret.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::sim::bitmex::{auth, names, wire};
use crate::sim::inspect::OrderView;
use crate::sim::key::IpWhitelist;
use crate::sim::num;
use crate::sim::order::Category;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

use super::BitmexDialect;

/// The realtime path (`wss://ws.bitmex.com/realtime`).
const PATH: &str = "/realtime";

/// The one table served.
const ORDER: &str = "order";

/// The tables BitMEX locks to an account (its `websocketHelp`).
const ACCOUNT_LOCKED: &[&str] = &[
    "privateNotifications",
    "account",
    "wallet",
    "affiliate",
    "margin",
    "position",
    "transact",
    "order",
    "execution",
];

/// The public tables BitMEX lists (its `websocketHelp`); none is served here.
const PUBLIC: &[&str] = &[
    "announcement",
    "connected",
    "chat",
    "publicNotifications",
    "instrument",
    "settlement",
    "funding",
    "insurance",
    "liquidation",
    "orderBookL2",
    "orderBookL2_25",
    "orderBook10",
    "quote",
    "trade",
    "quoteBin1m",
    "quoteBin5m",
    "quoteBin1h",
    "quoteBin1d",
    "tradeBin1m",
    "tradeBin5m",
    "tradeBin1h",
    "tradeBin1d",
];

/// The swagger snapshot the simulator follows, as the welcome's `version`.
const VERSION: &str = "2024-05-29T01:29:07.000Z";

impl SimStream for BitmexDialect {
    fn paths(&self) -> &'static [&'static str] {
        &[PATH]
    }

    /// BitMEX refuses nothing before the upgrade here: the login comes as a message.
    fn open(
        &self,
        _v: &mut Venue,
        _path: &str,
        _query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        Ok(Box::new(Session {
            peer,
            greeted: false,
            login: None,
            topics: Vec::new(),
            seen: HashMap::new(),
        }))
    }
}

/// The key a connection logged in with, as it was then.
struct Login {
    api_key: String,
    uid: u64,
    ips: IpWhitelist,
}

/// One `order` subscription: the whole table, or one symbol's (BitMEX's wire symbol).
struct Topic {
    name: String,
    symbol: Option<String>,
}

/// What the session last told of one order.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: String,
    qty: String,
    price: Option<String>,
    filled: String,
    avg: Option<String>,
}

impl Seen {
    fn of(view: &OrderView) -> Seen {
        Seen {
            status: view.status.clone(),
            qty: view.qty.clone(),
            price: view.price.clone(),
            filled: view.cum_exec_qty.clone(),
            avg: view.avg_price.clone(),
        }
    }
}

struct Session {
    peer: Option<IpAddr>,
    /// Whether the welcome went out.
    greeted: bool,
    login: Option<Login>,
    topics: Vec<Topic>,
    seen: HashMap<String, Seen>,
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        let mut out = self.greeting(now_ms);
        match text {
            "ping" => out.push(Out::Text("pong".to_owned())),
            "help" => out.push(Out::Text(help().to_string())),
            _ => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(request)) => {
                    let op = request.get("op").and_then(Value::as_str).unwrap_or("");
                    // A single argument may come without its array.
                    let args = match request.get("args") {
                        Some(Value::Array(args)) => args.clone(),
                        Some(Value::Null) | None => Vec::new(),
                        Some(one) => vec![one.clone()],
                    };
                    let echo = Value::Object(request.clone());
                    let answers = match op {
                        "authKeyExpires" => vec![self.log_in(v, &args, echo, now_ms)],
                        "subscribe" => self.subscribe(v, &args, &echo),
                        "unsubscribe" => self.unsubscribe(&args, &echo),
                        "authKey" | "cancelAllAfter" => vec![error(
                            400,
                            &format!("`{op}` is not served by the simulator"),
                            echo,
                        )],
                        _ => vec![error(400, &format!("Unknown op: {}", cut(op)), echo)],
                    };
                    out.extend(answers.into_iter().map(|a| Out::Text(a.to_string())));
                }
                _ => out.push(Out::Text(
                    error(
                        400,
                        "Unrecognized request. See the docs or send 'help' for more details.",
                        Value::Null,
                    )
                    .to_string(),
                )),
            },
        }
        out
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, _now_ms: i64) -> Vec<Out> {
        let Some(login) = &self.login else {
            return Vec::new();
        };
        if change.uid != login.uid || self.topics.is_empty() {
            return Vec::new();
        }
        let symbol = wire_symbol(v, change);
        if !self
            .topics
            .iter()
            .any(|t| t.symbol.as_ref().is_none_or(|s| *s == symbol))
        {
            return Vec::new();
        }
        let message = match self.seen.get(&change.order_id) {
            None => json!({ "table": ORDER, "action": "insert", "data": [row(v, change)] }),
            Some(before) => {
                let Some(update) = update(v, before, change) else {
                    return Vec::new();
                };
                json!({ "table": ORDER, "action": "update", "data": [update] })
            }
        };
        self.seen.insert(change.order_id.clone(), Seen::of(change));
        vec![Out::Text(message.to_string())]
    }

    fn on_tick(&mut self, v: &Venue, now_ms: i64) -> Vec<Out> {
        if let Some(login) = &self.login {
            let holds = v
                .live_key(&login.api_key)
                .is_some_and(|k| k.enabled && k.ips == login.ips && k.ips.allows(self.peer));
            if !holds {
                // Not documented: the simulator assumes a deleted or re-bound key's session ends.
                return vec![Out::Close(1000, "Invalid API Key.".to_owned())];
            }
        }
        self.greeting(now_ms)
    }
}

impl Session {
    /// The welcome, once, before anything else.
    fn greeting(&mut self, now_ms: i64) -> Vec<Out> {
        if self.greeted {
            return Vec::new();
        }
        self.greeted = true;
        vec![Out::Text(
            json!({
                "info": "Welcome to the BitMEX Realtime API.",
                "version": VERSION,
                "timestamp": wire::time(now_ms),
                "docs": "https://www.bitmex.com/app/wsAPI",
            })
            .to_string(),
        )]
    }

    /// `authKeyExpires`: the answer, and the login when it holds.
    fn log_in(&mut self, v: &Venue, args: &[Value], echo: Value, now_ms: i64) -> Value {
        match self.check_login(v, args, now_ms) {
            Ok(login) => {
                self.login = Some(login);
                json!({ "success": true, "request": echo })
            }
            Err((status, words)) => error(status, &words, echo),
        }
    }

    /// The login's checks, in the REST pipeline's order: the arguments, the key, the clock,
    /// the signature, the peer's address.
    fn check_login(&self, v: &Venue, args: &[Value], now_ms: i64) -> Result<Login, (u16, String)> {
        if self.login.is_some() {
            return Err((400, "Already authenticated.".to_owned()));
        }
        let [key, expires, signature] = args else {
            return Err((
                400,
                "authKeyExpires takes three arguments: the API key, expires (Unix seconds) and \
                 the signature"
                    .to_owned(),
            ));
        };
        let invalid = || (401, "Invalid API Key.".to_owned());
        let key = key.as_str().ok_or_else(invalid)?;
        let key = v.live_key(key).ok_or_else(invalid)?;
        if !key.enabled {
            return Err((403, "This key is disabled.".to_owned()));
        }
        // Signed as text, so the number is read from its text (BitMEX's clients send a number).
        let expires_text = match expires {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let expires = expires_text
            .parse::<i64>()
            .map_err(|_| (400, "expires must be a Unix time in seconds".to_owned()))?;
        let now_s = now_ms.div_euclid(1000);
        if expires <= now_s {
            return Err((
                401,
                format!(
                    "This request has expired - `expires` is in the past. Current time: {now_s}"
                ),
            ));
        }
        let signature = signature.as_str().unwrap_or_default();
        if !auth::signature_matches(&key.secret, "GET", PATH, expires, b"", signature) {
            return Err((401, "Signature not valid.".to_owned()));
        }
        if !key.ips.allows(self.peer) {
            return Err((
                401,
                "This IP address is not allowed for this API key.".to_owned(),
            ));
        }
        Ok(Login {
            api_key: key.api_key.clone(),
            uid: key.uid,
            ips: key.ips.clone(),
        })
    }

    /// `subscribe`: per topic, the acknowledgement and the `partial`, or the refusal.
    fn subscribe(&mut self, v: &Venue, args: &[Value], echo: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        for arg in args {
            let topic = arg.as_str().unwrap_or_default();
            let (table, filter) = match topic.split_once(':') {
                Some((table, filter)) => (table, Some(filter)),
                None => (topic, None),
            };
            let refusal = |status, words: String| error(status, &words, echo.clone());
            if !ACCOUNT_LOCKED.contains(&table) && !PUBLIC.contains(&table) {
                out.push(refusal(400, format!("Unknown table: {}", cut(table))));
                continue;
            }
            if ACCOUNT_LOCKED.contains(&table) && self.login.is_none() {
                let mut answer = refusal(
                    401,
                    "User requested an account-locked subscription but no authorization was \
                     provided."
                        .to_owned(),
                );
                answer["meta"] = json!({ "notes": format!(
                    "Account-locked tables include the following: {}",
                    ACCOUNT_LOCKED[1..].join(",")
                )});
                out.push(answer);
                continue;
            }
            if table != ORDER {
                out.push(refusal(
                    400,
                    format!("the simulator does not serve the `{}` table", cut(table)),
                ));
                continue;
            }
            if self.topics.iter().any(|t| t.name == topic) {
                out.push(refusal(
                    400,
                    format!("You are already subscribed to this topic: {}", cut(topic)),
                ));
                continue;
            }
            let symbol = filter.filter(|f| *f != "*").map(str::to_owned);
            out.push(json!({ "success": true, "subscribe": topic, "request": echo }));
            out.push(self.partial(v, symbol.as_deref()));
            self.topics.push(Topic {
                name: topic.to_owned(),
                symbol,
            });
        }
        out
    }

    /// The table's image for this account (and symbol): its live orders. What every order is
    /// now is what later updates are told against.
    fn partial(&mut self, v: &Venue, symbol: Option<&str>) -> Value {
        let uid = self.login.as_ref().map_or(0, |l| l.uid);
        let views: Vec<OrderView> = v
            .orders
            .iter()
            .map(OrderView::from_order)
            .chain(v.dialect.extra_order_views(v))
            .filter(|view| view.uid == uid)
            .filter(|view| symbol.is_none_or(|s| wire_symbol(v, view) == s))
            .collect();
        for view in &views {
            self.seen.insert(view.order_id.clone(), Seen::of(view));
        }
        let data: Vec<Value> = views
            .iter()
            .filter(|view| view.is_open())
            .map(|view| row(v, view))
            .collect();
        let mut filter = json!({ "account": uid });
        if let Some(symbol) = symbol {
            filter["symbol"] = json!(symbol);
        }
        json!({
            "table": ORDER,
            "action": "partial",
            "keys": ["orderID"],
            "types": types(),
            "foreignKeys": { "symbol": "instrument", "side": "side", "ordStatus": "ordStatus" },
            "attributes": {
                "orderID": "grouped",
                "account": "grouped",
                "ordStatus": "grouped",
                "workingIndicator": "grouped",
            },
            "filter": filter,
            "data": data,
        })
    }

    fn unsubscribe(&mut self, args: &[Value], echo: &Value) -> Vec<Value> {
        args.iter()
            .map(|arg| {
                let topic = arg.as_str().unwrap_or_default();
                match self.topics.iter().position(|t| t.name == topic) {
                    Some(i) => {
                        self.topics.remove(i);
                        json!({ "success": true, "unsubscribe": topic, "request": echo })
                    }
                    None => error(
                        400,
                        &format!("You are not subscribed to this topic: {}", cut(topic)),
                        echo.clone(),
                    ),
                }
            })
            .collect()
    }
}

/// BitMEX's error envelope.
fn error(status: u16, words: &str, request: Value) -> Value {
    json!({ "status": status, "error": words, "meta": {}, "request": request })
}

/// At most 60 characters of what the client sent, for an answer.
fn cut(text: &str) -> String {
    text.chars().take(60).collect()
}

/// The answer to `help` (BitMEX's `websocketHelp`), with the tables this server serves.
fn help() -> Value {
    json!({
        "info": "See https://www.bitmex.com/app/wsAPI and https://www.bitmex.com/explorer for more documentation.",
        "usage": "Send a message in the format: {\"op\": string, \"args\": Array<string>}",
        "ops": ["authKeyExpires", "subscribe", "unsubscribe"],
        "subscribe": "To subscribe, send: {\"op\": \"subscribe\", \"args\": [subscriptionTopic, ...]}.",
        "subscriptionSubjects": { "authenticationRequired": [ORDER], "public": [] },
    })
}

/// The `types` of the `order` table's `partial` (BitMEX's own, from its connector's fixture).
fn types() -> Value {
    json!({
        "orderID": "guid", "clOrdID": "string", "clOrdLinkID": "symbol", "account": "long",
        "symbol": "symbol", "side": "symbol", "orderQty": "long", "price": "float",
        "displayQty": "long", "stopPx": "float", "pegOffsetValue": "float",
        "pegPriceType": "symbol", "currency": "symbol", "settlCurrency": "symbol",
        "ordType": "symbol", "timeInForce": "symbol", "execInst": "symbol",
        "contingencyType": "symbol", "ordStatus": "symbol", "triggered": "symbol",
        "workingIndicator": "boolean", "ordRejReason": "symbol", "leavesQty": "long",
        "cumQty": "long", "avgPx": "float", "text": "string", "transactTime": "timestamp",
        "timestamp": "timestamp",
    })
}

/// A view's BitMEX symbol (`XBTUSD`, `XBT_USDT`).
fn wire_symbol(v: &Venue, view: &OrderView) -> String {
    Category::parse(&view.category).map_or_else(
        || view.symbol.clone(),
        |c| names::wire_symbol(v, c, &view.symbol),
    )
}

/// A view's `ordStatus`.
fn status(view: &OrderView) -> &'static str {
    match view.status.as_str() {
        "PartiallyFilled" => "PartiallyFilled",
        "Filled" => "Filled",
        "Cancelled" | "PartiallyFilledCanceled" => "Canceled",
        _ => "New",
    }
}

/// A decimal text as the JSON number BitMEX writes; `null` for none.
fn number(text: Option<&str>) -> Value {
    text.and_then(num::parse_lenient)
        .map_or(Value::Null, |n| json!(n))
}

/// A filled quantity's text as a JSON number (zero included).
fn amount(text: &str) -> Value {
    json!(text.parse::<f64>().unwrap_or(0.0))
}

/// What is left of the order (0 once it ended), in its size's unit.
fn leaves(view: &OrderView) -> Value {
    if !view.is_open() {
        return json!(0.0);
    }
    let qty = num::parse_lenient(&view.qty).unwrap_or(0.0);
    let done = if view.qty_unit == "quote" {
        &view.cum_exec_value
    } else {
        &view.cum_exec_qty
    };
    json!((qty - done.parse::<f64>().unwrap_or(0.0)).max(0.0))
}

/// A whole `Order` row, as `GET /order` answers it (`wire::order`).
fn row(v: &Venue, view: &OrderView) -> Value {
    let instrument = Category::parse(&view.category).and_then(|c| v.instrument(c, &view.symbol));
    let (currency, settle) = instrument.map_or((String::new(), String::new()), |i| {
        (i.base_coin.clone(), i.settle_coin.clone())
    });
    let market = view.order_type == "Market";
    json!({
        "orderID": view.order_id,
        "clOrdID": view.order_link_id,
        "clOrdLinkID": "",
        "account": view.uid,
        "symbol": wire_symbol(v, view),
        "side": view.side,
        "orderQty": number(Some(&view.qty)),
        "price": number(view.price.as_deref()),
        "displayQty": null,
        "stopPx": null,
        "pegOffsetValue": null,
        "pegPriceType": "",
        "currency": currency,
        "settlCurrency": settle,
        "ordType": if market { "Market" } else { "Limit" },
        "timeInForce": if market { "ImmediateOrCancel" } else { "GoodTillCancel" },
        "execInst": "",
        "contingencyType": "",
        "ordStatus": status(view),
        "triggered": "",
        "workingIndicator": view.is_open(),
        "ordRejReason": "",
        "leavesQty": leaves(view),
        "cumQty": amount(&view.cum_exec_qty),
        "avgPx": number(view.avg_price.as_deref()),
        "text": "",
        "transactTime": wire::time(view.created_ms),
        "timestamp": wire::time(view.updated_ms),
    })
}

/// An `update` row: the key, `clOrdID`, `account`, `symbol`, `timestamp` and what changed
/// since `before`; `None` when nothing BitMEX shows did.
fn update(v: &Venue, before: &Seen, now: &OrderView) -> Option<Value> {
    let mut changed = Map::new();
    if before.status != now.status {
        changed.insert("ordStatus".into(), json!(status(now)));
        changed.insert("workingIndicator".into(), json!(now.is_open()));
    }
    if before.qty != now.qty {
        changed.insert("orderQty".into(), number(Some(&now.qty)));
    }
    if before.price != now.price {
        changed.insert("price".into(), number(now.price.as_deref()));
    }
    if before.filled != now.cum_exec_qty {
        changed.insert("cumQty".into(), amount(&now.cum_exec_qty));
    }
    if before.avg != now.avg_price {
        changed.insert("avgPx".into(), number(now.avg_price.as_deref()));
    }
    if changed.is_empty() {
        return None;
    }
    changed.insert("leavesQty".into(), leaves(now));
    let mut update = Map::new();
    update.insert("orderID".into(), json!(now.order_id));
    update.extend(changed);
    update.insert("timestamp".into(), json!(wire::time(now.updated_ms)));
    update.insert("clOrdID".into(), json!(now.order_link_id));
    update.insert("account".into(), json!(now.uid));
    update.insert("symbol".into(), json!(wire_symbol(v, now)));
    Some(Value::Object(update))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;
    use hmac::{Hmac, KeyInit, Mac};
    use secrecy::ExposeSecret;

    /// A BitMEX venue and the leaked bot key's id and secret.
    fn venue() -> (Venue, String, String) {
        let scenario = Scenario::load("quiet").unwrap();
        let v = scenario_venue(ExchangeId::Bitmex, &scenario, 5);
        let key = v.keys.iter().find(|k| k.leaked).unwrap();
        #[allow(clippy::disallowed_methods)] // the test signs as the key's holder does
        let secret = key.secret.expose_secret().to_owned();
        let id = key.api_key.clone();
        (v, id, secret)
    }

    fn open(v: &mut Venue, peer: Option<IpAddr>) -> Box<dyn StreamSession> {
        BitmexDialect.open(v, PATH, "", peer).unwrap()
    }

    fn texts(outs: Vec<Out>) -> Vec<Value> {
        outs.into_iter()
            .map(|out| match out {
                Out::Text(text) if text == "pong" => json!("pong"),
                Out::Text(text) => serde_json::from_str(&text).unwrap(),
                Out::Close(code, why) => panic!("closed {code} {why}"),
            })
            .collect()
    }

    /// The login text, signed here apart from the checker: hex HMAC-SHA256 of
    /// `GET/realtime` + expires.
    fn login(key: &str, secret: &str, expires: i64) -> String {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("GET/realtime{expires}").as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        json!({ "op": "authKeyExpires", "args": [key, expires, signature] }).to_string()
    }

    #[test]
    fn a_good_login_subscribes_and_gets_the_partial_then_inserts_and_updates() {
        let (mut v, key, secret) = venue();
        let now = v.now_ms();
        let mut session = open(&mut v, None);
        let greeting = texts(session.on_tick(&v, now));
        assert_eq!(greeting[0]["info"], "Welcome to the BitMEX Realtime API.");
        let answer = texts(session.on_text(&mut v, &login(&key, &secret, now / 1000 + 10), now));
        assert_eq!(answer[0]["success"], true, "{answer:?}");
        assert_eq!(answer[0]["request"]["op"], "authKeyExpires");
        let subscribed =
            texts(session.on_text(&mut v, r#"{"op":"subscribe","args":["order"]}"#, now));
        assert_eq!(subscribed[0]["subscribe"], "order");
        let partial = &subscribed[1];
        assert_eq!(partial["action"], "partial");
        assert_eq!(partial["keys"], json!(["orderID"]));
        let uid = v.live_key(&key).unwrap().uid;
        assert_eq!(partial["filter"]["account"], uid);
        let open_orders = v
            .orders
            .iter()
            .filter(|o| o.uid == uid && o.status.is_open())
            .count();
        assert!(open_orders > 0);
        assert_eq!(partial["data"].as_array().unwrap().len(), open_orders);
        // The partial's rows are the REST rows.
        let first = partial["data"][0].clone();
        let rest = v
            .orders
            .iter()
            .find(|o| o.order_id == first["orderID"].as_str().unwrap())
            .map(|o| wire::order(&v, o))
            .unwrap();
        assert_eq!(first, rest);
        assert!(!partial.to_string().contains("origin"));
        // A second subscription to the same topic is refused; `ping` is answered.
        let again = texts(session.on_text(&mut v, r#"{"op":"subscribe","args":"order"}"#, now));
        assert_eq!(again[0]["status"], 400);
        assert_eq!(texts(session.on_text(&mut v, "ping", now)), [json!("pong")]);

        // A new order of the account comes whole; its fill as an update of what changed.
        let mut view = OrderView::from_order(v.orders.iter().find(|o| o.uid == uid).unwrap());
        view.order_id = "00000000-0000-4000-8000-0000000000ff".into();
        view.status = "New".into();
        view.cum_exec_qty = "0".into();
        view.avg_price = None;
        let insert = texts(session.on_change(&v, &view, now));
        assert_eq!(insert[0]["action"], "insert");
        assert_eq!(insert[0]["data"][0]["orderID"], json!(view.order_id));
        assert_eq!(insert[0]["data"][0]["ordStatus"], "New");
        let mut filled = view.clone();
        filled.status = "Filled".into();
        filled.cum_exec_qty = filled.qty.clone();
        filled.avg_price = Some("1.5".into());
        filled.updated_ms += 1;
        let update = texts(session.on_change(&v, &filled, now));
        let row = &update[0]["data"][0];
        assert_eq!(update[0]["action"], "update");
        assert_eq!(row["ordStatus"], "Filled");
        assert_eq!(row["leavesQty"], 0.0);
        assert_eq!(row["avgPx"], 1.5);
        assert_eq!(row["account"], uid);
        assert!(
            row.get("side").is_none(),
            "an update carries only what changed: {row}"
        );
        // Nothing BitMEX shows changed: nothing is sent. Another account's order: nothing.
        assert!(session.on_change(&v, &filled, now).is_empty());
        let mut other = filled.clone();
        other.uid += 1;
        other.order_id = "00000000-0000-4000-8000-0000000000fe".into();
        assert!(session.on_change(&v, &other, now).is_empty());
    }

    #[test]
    fn logins_are_refused_as_bitmex_refuses_them() {
        let (mut v, key, secret) = venue();
        let now = v.now_ms();
        let later = now / 1000 + 10;
        let cases = [
            (
                "bad signature",
                login(&key, "not-the-secret", later),
                401,
                "Signature not valid.",
            ),
            (
                "expired",
                login(&key, &secret, now / 1000),
                401,
                "This request has expired",
            ),
            (
                "unknown key",
                login("AAAAAAAAAAAAAAAAAAAAAAAA", &secret, later),
                401,
                "Invalid API Key.",
            ),
            (
                "two arguments",
                json!({"op":"authKeyExpires","args":[key, later]}).to_string(),
                400,
                "three arguments",
            ),
        ];
        for (label, text, status, words) in cases {
            let mut session = open(&mut v, None);
            let answer = texts(session.on_text(&mut v, &text, now));
            let refusal = answer.last().unwrap();
            assert_eq!(refusal["status"], status, "{label}: {refusal}");
            assert!(
                refusal["error"].as_str().unwrap().contains(words),
                "{label}: {refusal}"
            );
            assert!(!refusal.to_string().contains(&secret), "{label}");
        }
        // An address outside the key's CIDR.
        let ip: IpAddr = "127.0.0.7".parse().unwrap();
        let idx = v.keys.iter().position(|k| k.api_key == key).unwrap();
        v.keys[idx].ips = IpWhitelist::parse(&json!(["127.0.0.5"])).unwrap();
        let mut session = open(&mut v, Some(ip));
        let answer = texts(session.on_text(&mut v, &login(&key, &secret, later), now));
        assert_eq!(
            answer[1]["error"],
            "This IP address is not allowed for this API key."
        );
        // Subscribing without a login is refused as account-locked.
        let answer = texts(session.on_text(&mut v, r#"{"op":"subscribe","args":["order"]}"#, now));
        assert_eq!(answer[0]["status"], 401);
        assert!(
            answer[0]["meta"]["notes"]
                .as_str()
                .unwrap()
                .contains("order")
        );
        // From inside the CIDR the login holds; the key bound elsewhere ends the session.
        let inside: IpAddr = "127.0.0.5".parse().unwrap();
        let mut session = open(&mut v, Some(inside));
        let answer = texts(session.on_text(&mut v, &login(&key, &secret, later), now));
        assert_eq!(answer[1]["success"], true);
        v.keys[idx].ips = IpWhitelist::parse(&json!(["127.0.0.6"])).unwrap();
        assert!(matches!(
            session.on_tick(&v, now).as_slice(),
            [Out::Close(1000, _)]
        ));
        // Deleted: refused as unknown.
        v.keys[idx].ips = IpWhitelist::parse(&json!([])).unwrap();
        v.delete_key(&key).unwrap();
        let mut session = open(&mut v, None);
        let answer = texts(session.on_text(&mut v, &login(&key, &secret, later), now));
        assert_eq!(answer[1]["error"], "Invalid API Key.");
    }

    #[test]
    fn other_tables_and_ops_are_refused_in_words() {
        let (mut v, key, secret) = venue();
        let now = v.now_ms();
        let mut session = open(&mut v, None);
        texts(session.on_text(&mut v, &login(&key, &secret, now / 1000 + 10), now));
        for (text, words) in [
            (
                r#"{"op":"subscribe","args":["execution"]}"#,
                "does not serve",
            ),
            (r#"{"op":"subscribe","args":["nonsense"]}"#, "Unknown table"),
            (r#"{"op":"cancelAllAfter","args":[60000]}"#, "not served"),
            (r#"{"op":"fly"}"#, "Unknown op"),
            ("{not json", "Unrecognized request"),
        ] {
            let answer = texts(session.on_text(&mut v, text, now));
            assert!(
                answer[0]["error"].as_str().unwrap().contains(words),
                "{text}: {answer:?}"
            );
        }
        let help = texts(session.on_text(&mut v, "help", now));
        assert_eq!(help[0]["ops"][0], "authKeyExpires");
    }
}
