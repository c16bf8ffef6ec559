//! OKX's private WebSockets as the simulator serves them, written from OKX's docs
//! (docs/venues/okx.md "Private stream"), never from the client.
//!
//! Two addresses: `/ws/v5/private` carries the `orders` channel (every order-book order), and
//! `/ws/v5/business` the algo channels, `orders-algo` (trigger, conditional, OCO) and
//! `algo-advance` (trailing stops; iceberg and TWAP, which the simulator does not place). A
//! channel asked for on the other address is refused with the documented `64001`/`64002`.
//!
//! A connection logs in with `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`:
//! `timestamp` in Unix seconds within 30 s of the server's clock (`60004` unreadable, `60006`
//! expired), the key issued (`60005`) and not deleted (`60032`), the passphrase (`60024`), the
//! signature base64 HMAC-SHA256 of `timestamp + "GET" + "/users/self/verify"` (`60007`) and the
//! socket's peer inside the key's IP list (OKX documents no code of its own for that: `60009`,
//! "Login failed"). A refused login is answered with the error event and closed with `4001`. A
//! second login is `60031`; a subscription before the login `60011`. Orders are pushed only
//! after the subscription, only the session's own account's, in the channel's documented
//! shape, one order a message; nothing is pushed when subscribing to `orders` or
//! `orders-algo`, while `algo-advance` sends what is live at once, as the docs say. The text
//! `ping` is answered `pong`; a client silent for 30 s is closed with `4004`, and a logged-in
//! key deleted or given another IP list is closed with `4007`. Not modelled: the 30
//! connections a channel per sub-account (`channel-conn-count`), 480 logins and subscriptions
//! an hour per connection, 3 connections a second per IP (docs/venues/okx.md "Private stream").
//! The hidden `origin` is never on the wire; neither is any secret.

use std::net::IpAddr;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::sim::key::IpWhitelist;
use crate::sim::okx::algo::AlgoKind;
use crate::sim::okx::{algo_orders, auth, inst, wire};
use crate::sim::order::Order;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

use super::OkxDialect;

const PRIVATE: &str = "/ws/v5/private";
const BUSINESS: &str = "/ws/v5/business";

/// How far a login's timestamp may be from the server's clock ("The request will expire 30
/// seconds after the timestamp").
const LOGIN_WINDOW_MS: i64 = 30_000;

/// A connection the client has not spoken on for this long is closed (`4004`).
const IDLE_MS: i64 = 30_000;

/// The instrument types each channel takes (`ANY`: all).
const ORDER_TYPES: &[&str] = &[
    "SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION", "EVENTS", "ANY",
];
const ALGO_TYPES: &[&str] = &["SPOT", "MARGIN", "SWAP", "FUTURES", "ANY"];

/// The channels each address serves.
const ORDERS: &str = "orders";
const ORDERS_ALGO: &str = "orders-algo";
const ALGO_ADVANCE: &str = "algo-advance";

impl SimStream for OkxDialect {
    fn paths(&self) -> &'static [&'static str] {
        &[PRIVATE, BUSINESS]
    }

    fn open(
        &self,
        v: &mut Venue,
        path: &str,
        _query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        let address = match path {
            PRIVATE => Address::Private,
            BUSINESS => Address::Business,
            _ => return Err((StatusCode::NOT_FOUND, String::new())),
        };
        // An 8-hex-digit id like the docs' `a4d3ae55`, from the connection count: the seeded
        // id generator is left alone, so a drill with a stream draws the same ids as without.
        let n = v.streams.opened.wrapping_add(1);
        let conn_id = format!("{:08x}", (n.wrapping_mul(0x9E37_79B9) as u32) ^ 0xa4d3_ae55);
        Ok(Box::new(Session {
            address,
            conn_id,
            peer,
            login: None,
            subs: Vec::new(),
            heard_ms: v.now_ms(),
        }))
    }
}

/// Which of the two private addresses a connection opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Address {
    Private,
    Business,
}

impl Address {
    /// Whether `channel` is served here: `Ok`, or the documented refusal.
    fn serves(self, channel: &str) -> Result<(), (&'static str, String)> {
        match (self, channel) {
            (Address::Private, ORDERS) | (Address::Business, ORDERS_ALGO | ALGO_ADVANCE) => Ok(()),
            (Address::Private, ORDERS_ALGO | ALGO_ADVANCE) => Err((
                "64001",
                "This channel has been migrated to the '/business' URL. Please subscribe using \
                 the new URL."
                    .to_owned(),
            )),
            (Address::Business, ORDERS) => Err((
                "64002",
                "This channel is not supported by \"/business\" URL. Please use \"/private\" \
                 URL(for private channels), or \"/public\" URL(for public channels)."
                    .to_owned(),
            )),
            _ => Err((
                "60018",
                format!(
                    "Wrong URL or channel:{} doesn't exist. Please use the correct URL, channel \
                     and parameters referring to API document.",
                    cut(channel)
                ),
            )),
        }
    }
}

/// The key a connection logged in with, as it was then.
#[derive(Debug)]
struct Login {
    api_key: String,
    uid: u64,
    ips: IpWhitelist,
}

/// One subscription, as the client asked for it (echoed in every push's `arg`).
#[derive(Debug)]
struct Sub {
    channel: &'static str,
    inst_type: String,
    inst_id: Option<String>,
}

impl Sub {
    fn arg(&self) -> Value {
        let mut arg = json!({ "channel": self.channel, "instType": self.inst_type });
        if let Some(inst_id) = &self.inst_id {
            arg["instId"] = json!(inst_id);
        }
        arg
    }

    fn matches(&self, channel: &str, inst_type: &str, inst_id: &str) -> bool {
        self.channel == channel
            && (self.inst_type == "ANY" || self.inst_type == inst_type)
            && self.inst_id.as_deref().is_none_or(|id| id == inst_id)
    }
}

struct Session {
    address: Address,
    conn_id: String,
    peer: Option<IpAddr>,
    login: Option<Login>,
    subs: Vec<Sub>,
    /// When the client last sent anything.
    heard_ms: i64,
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        self.heard_ms = now_ms;
        if text == "ping" {
            return vec![Out::Text("pong".to_owned())];
        }
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            // The request is not echoed: it may be a login with its passphrase.
            return vec![self.error(None, "60012", "Invalid request")];
        };
        let id = request.get("id").and_then(Value::as_str).map(str::to_owned);
        let args = request.get("args");
        match request.get("op").and_then(Value::as_str) {
            Some("login") => self.login(v, id, args, now_ms),
            Some("subscribe") => self.subscribe(v, id, args, true),
            Some("unsubscribe") => self.subscribe(v, id, args, false),
            Some(op) => vec![self.error(id, "60019", &format!("Invalid op: {}", cut(op)))],
            None => vec![self.error(id, "60012", "Invalid request")],
        }
    }

    fn on_change(
        &mut self,
        v: &Venue,
        change: &crate::sim::inspect::OrderView,
        now_ms: i64,
    ) -> Vec<Out> {
        let Some(login) = &self.login else {
            return Vec::new();
        };
        if change.uid != login.uid {
            return Vec::new();
        }
        let Some((channel, inst_type, inst_id, data)) = pushed(v, &change.order_id, now_ms) else {
            return Vec::new();
        };
        self.subs
            .iter()
            .find(|sub| sub.matches(channel, inst_type, &inst_id))
            .map(|sub| {
                let mut arg = sub.arg();
                arg["uid"] = json!(login.uid.to_string());
                Out::Text(json!({ "arg": arg, "data": [data] }).to_string())
            })
            .into_iter()
            .collect()
    }

    fn on_tick(&mut self, v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.heard_ms > IDLE_MS {
            return vec![Out::Close(4004, "No data received in 30s".to_owned())];
        }
        if let Some(login) = &self.login {
            let same = v
                .keys
                .iter()
                .find(|k| k.api_key == login.api_key)
                .is_some_and(|k| k.is_live() && k.ips == login.ips);
            if !same {
                return vec![Out::Close(
                    4007,
                    "API key has been updated or deleted. Please reconnect.".to_owned(),
                )];
            }
        }
        Vec::new()
    }
}

impl Session {
    /// An `error` event.
    fn error(&self, id: Option<String>, code: &str, msg: &str) -> Out {
        let mut event = Map::new();
        if let Some(id) = id {
            event.insert("id".into(), json!(id));
        }
        event.insert("event".into(), json!("error"));
        event.insert("code".into(), json!(code));
        event.insert("msg".into(), json!(msg));
        event.insert("connId".into(), json!(self.conn_id));
        Out::Text(Value::Object(event).to_string())
    }

    fn login(
        &mut self,
        v: &Venue,
        id: Option<String>,
        args: Option<&Value>,
        now_ms: i64,
    ) -> Vec<Out> {
        match self.check_login(v, args, now_ms) {
            Ok(login) => {
                self.login = Some(login);
                vec![Out::Text(
                    json!({ "event": "login", "code": "0", "msg": "", "connId": self.conn_id })
                        .to_string(),
                )]
            }
            // A second login leaves the first standing.
            Err(("60031", msg)) => vec![self.error(id, "60031", &msg)],
            Err((code, msg)) => vec![
                self.error(id, code, &msg),
                Out::Close(4001, "Login Failed".to_owned()),
            ],
        }
    }

    /// The login's checks, in the REST pipeline's order: the parameters, the timestamp, the
    /// key, the passphrase, the signature, the peer's address.
    fn check_login(
        &self,
        v: &Venue,
        args: Option<&Value>,
        now_ms: i64,
    ) -> Result<Login, (&'static str, String)> {
        if self.login.is_some() {
            return Err((
                "60031",
                "The WebSocket endpoint does not allow multiple or repeated logins.".to_owned(),
            ));
        }
        let args = args
            .and_then(Value::as_array)
            .ok_or(("60013", "Invalid args".to_owned()))?;
        let arg = match args.as_slice() {
            [arg] => arg,
            [] => return Err(("60013", "Invalid args".to_owned())),
            _ => {
                return Err((
                    "60031",
                    "The WebSocket endpoint does not allow multiple or repeated logins.".to_owned(),
                ));
            }
        };
        let field = |name: &'static str| -> Result<&str, (&'static str, String)> {
            arg.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or(("60027", format!("Parameter {name} can not be empty.")))
        };
        let (api_key, passphrase, timestamp, sign) = (
            field("apiKey")?,
            field("passphrase")?,
            field("timestamp")?,
            field("sign")?,
        );
        let sent_ms = seconds_to_ms(timestamp).ok_or(("60004", "Invalid timestamp".to_owned()))?;
        if (now_ms - sent_ms).abs() > LOGIN_WINDOW_MS {
            return Err(("60006", "Timestamp request expired".to_owned()));
        }
        let key = v
            .keys
            .iter()
            .find(|k| k.api_key == api_key)
            .ok_or(("60005", "Invalid apiKey".to_owned()))?;
        if !key.is_live() {
            return Err(("60032", "API key doesn't exist.".to_owned()));
        }
        if !auth::passphrase_is(key.passphrase.as_ref(), passphrase) {
            return Err(("60024", "Wrong passphrase".to_owned()));
        }
        if !auth::login_sign_matches(&key.secret, timestamp, sign) {
            return Err(("60007", "Invalid sign".to_owned()));
        }
        if !key.ips.allows(self.peer) {
            return Err(("60009", "Login failed.".to_owned()));
        }
        Ok(Login {
            api_key: key.api_key.clone(),
            uid: key.uid,
            ips: key.ips.clone(),
        })
    }

    /// `subscribe` (or `unsubscribe`): each argument acknowledged in turn, or the first bad
    /// one refused.
    fn subscribe(
        &mut self,
        v: &Venue,
        id: Option<String>,
        args: Option<&Value>,
        on: bool,
    ) -> Vec<Out> {
        if self.login.is_none() {
            return vec![self.error(id, "60011", "Please log in")];
        }
        let Some(args) = args.and_then(Value::as_array).filter(|a| !a.is_empty()) else {
            return vec![self.error(id, "60013", "Invalid args")];
        };
        let mut outs = Vec::new();
        for arg in args {
            let sub = match self.parse_sub(arg) {
                Ok(sub) => sub,
                Err((code, msg)) => {
                    outs.push(self.error(id.clone(), code, &msg));
                    return outs;
                }
            };
            let mut ack = Map::new();
            if let Some(id) = &id {
                ack.insert("id".into(), json!(id));
            }
            ack.insert(
                "event".into(),
                json!(if on { "subscribe" } else { "unsubscribe" }),
            );
            ack.insert("arg".into(), sub.arg());
            ack.insert("connId".into(), json!(self.conn_id));
            outs.push(Out::Text(Value::Object(ack).to_string()));
            self.subs.retain(|s| {
                !(s.channel == sub.channel
                    && s.inst_type == sub.inst_type
                    && s.inst_id == sub.inst_id)
            });
            if on {
                // `algo-advance` sends what is live when first subscribed.
                if sub.channel == ALGO_ADVANCE {
                    outs.extend(self.advance_snapshot(v, &sub));
                }
                self.subs.push(sub);
            }
        }
        outs
    }

    fn parse_sub(&self, arg: &Value) -> Result<Sub, (&'static str, String)> {
        let text = |name: &str| {
            arg.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let channel = text("channel").ok_or(("60013", "Invalid args".to_owned()))?;
        self.address.serves(channel)?;
        let channel = match channel {
            ORDERS => ORDERS,
            ORDERS_ALGO => ORDERS_ALGO,
            _ => ALGO_ADVANCE,
        };
        let types = if channel == ORDERS {
            ORDER_TYPES
        } else {
            ALGO_TYPES
        };
        let inst_type =
            text("instType").ok_or(("60027", "Parameter instType can not be empty.".to_owned()))?;
        if !types.contains(&inst_type) {
            return Err((
                "60018",
                format!(
                    "Wrong URL or channel:{channel},instType:{} doesn't exist. Please use the \
                 correct URL, channel and parameters referring to API document.",
                    cut(inst_type)
                ),
            ));
        }
        Ok(Sub {
            channel,
            inst_type: inst_type.to_owned(),
            inst_id: text("instId").map(str::to_owned),
        })
    }

    /// The account's live trailing stops, one push each, for a new `algo-advance` subscription.
    fn advance_snapshot(&self, v: &Venue, sub: &Sub) -> Vec<Out> {
        let Some(login) = &self.login else {
            return Vec::new();
        };
        algo_orders(&v.own)
            .iter()
            .filter(|o| o.uid == login.uid && o.live && o.kind == AlgoKind::MoveOrderStop)
            .filter_map(|o| pushed(v, &o.algo_id, v.now_ms()))
            .filter(|(channel, inst_type, inst_id, _)| sub.matches(channel, inst_type, inst_id))
            .map(|(_, _, _, data)| {
                let mut arg = sub.arg();
                arg["uid"] = json!(login.uid.to_string());
                Out::Text(json!({ "arg": arg, "data": [data] }).to_string())
            })
            .collect()
    }
}

/// The channel, instrument type and id an order is pushed under, and its push item: an
/// order-book order on `orders`, an algo order on `orders-algo` or (trailing stops)
/// `algo-advance`.
fn pushed(v: &Venue, id: &str, now_ms: i64) -> Option<(&'static str, &'static str, String, Value)> {
    if let Some(order) = v.orders.iter().find(|o| o.order_id == id) {
        let inst_type = inst::order_inst_type(v, order.category, &order.order_id);
        let inst_id = inst::inst_id(v, order.category, &order.symbol);
        return Some((ORDERS, inst_type, inst_id, order_item(v, order)));
    }
    let algo = algo_orders(&v.own).iter().find(|o| o.algo_id == id)?;
    let inst_type = inst::order_inst_type(v, algo.category, &algo.algo_id);
    let inst_id = inst::inst_id(v, algo.category, &algo.symbol);
    let mut item = algo.to_wire(v);
    // The push items' fields beyond the list's (OKX docs, "WS / Algo orders channel" and
    // "WS / Advance algo orders channel").
    item["notionalUsd"] = json!("");
    item["reqId"] = json!("");
    item["amendResult"] = json!("");
    let channel = if algo.kind == AlgoKind::MoveOrderStop {
        item["pTime"] = json!(now_ms.to_string());
        ALGO_ADVANCE
    } else {
        ORDERS_ALGO
    };
    Some((channel, inst_type, inst_id, item))
}

/// An order as the `orders` channel pushes it: the list's fields (`wire::order`) and the
/// push's own (OKX docs, "WS / Order channel": this update's fill fee, the request's `code`
/// and `msg`, the amendment's result).
fn order_item(v: &Venue, order: &Order) -> Value {
    let mut item = wire::order(v, order);
    let fill = !item["fillSz"].as_str().unwrap_or_default().is_empty();
    let fee_ccy = item["feeCcy"].clone();
    for (name, value) in [
        ("fillFee", json!(if fill { "0" } else { "" })),
        ("fillFeeCcy", if fill { fee_ccy } else { json!("") }),
        ("fillNotionalUsd", json!("")),
        ("fillPnl", json!("0")),
        // Options only ("" for every other type, as the docs say).
        ("fillPxVol", json!("")),
        ("fillPxUsd", json!("")),
        ("fillMarkVol", json!("")),
        ("fillFwdPx", json!("")),
        ("fillMarkPx", json!("")),
        ("fillIdxPx", json!("")),
        ("execType", json!("")),
        ("notionalUsd", json!("")),
        ("code", json!("0")),
        ("msg", json!("")),
        ("reqId", json!("")),
        ("amendResult", json!("")),
        ("amendSource", json!("")),
        ("lastPx", json!("")),
        ("tradeQuoteCcy", json!("")),
    ] {
        item[name] = value;
    }
    item
}

/// Unix seconds as OKX's login sends them (`1538054050`, decimals allowed) in ms.
fn seconds_to_ms(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(fraction) {
        return None;
    }
    let ms: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(3)
        .collect();
    Some(whole.parse::<i64>().ok()? * 1000 + ms.parse::<i64>().ok()?)
}

/// A client's word, cut short for an answer.
fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn the_login_sign_is_checked_over_the_documented_text() {
        // Computed outside this code:
        // printf '1538054050GET/users/self/verify' \
        //   | openssl dgst -sha256 -hmac '22582BD0CFF14C41EDBF1AB98506286D' -binary | base64
        let secret = SecretString::from("22582BD0CFF14C41EDBF1AB98506286D");
        let sign = "+LdIr8lkkvhr5hoA3g9TMC0+uQJ849ftAcocA/ouu4M=";
        assert!(auth::login_sign_matches(&secret, "1538054050", sign));
        assert!(!auth::login_sign_matches(&secret, "1538054051", sign));
        // The docs' example sign is made with a secret they do not show.
        assert!(!auth::login_sign_matches(
            &secret,
            "1538054050",
            "7L+zFQ+CEgGu5rzCj4+BdV2/uUHGqddA9pI6ztsRRPs="
        ));
    }

    #[test]
    fn login_timestamps_are_seconds() {
        assert_eq!(seconds_to_ms("1538054050"), Some(1_538_054_050_000));
        assert_eq!(seconds_to_ms("1538054050.5"), Some(1_538_054_050_500));
        for bad in ["", "1538054050715x", "2020-12-08T09:08:57.715Z", "-1", ".5"] {
            assert_eq!(seconds_to_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_channel_has_its_address() {
        assert!(Address::Private.serves(ORDERS).is_ok());
        assert!(Address::Business.serves(ORDERS_ALGO).is_ok());
        assert!(Address::Business.serves(ALGO_ADVANCE).is_ok());
        assert_eq!(Address::Private.serves(ORDERS_ALGO).unwrap_err().0, "64001");
        assert_eq!(Address::Business.serves(ORDERS).unwrap_err().0, "64002");
        assert_eq!(Address::Private.serves("tickers").unwrap_err().0, "60018");
    }
}
