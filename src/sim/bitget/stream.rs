//! Bitget's private WebSocket as the simulator serves it, written from Bitget's docs
//! (docs/venues/bitget.md §12), never from the client.
//!
//! One address, `/v2/ws/private`. A connection logs in with
//! `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}`: `timestamp` in Unix seconds
//! (the official SDKs send seconds) within 30 s of the server's clock (Bitget publishes no
//! window for the login; 30 s is the REST window the simulator uses, `30013` unreadable, `30014`
//! expired), the key issued and not deleted (`30011`), the passphrase (`30012`), the signature
//! base64 HMAC-SHA256 of `timestamp + "GET" + "/user/verify"` over the exact text received
//! (`30015`), and the socket's peer inside the key's IP list, the sub-account not frozen (no
//! code of their own is documented: `30005`, "Login failed"). Answers are CCXT's reading of
//! Bitget's codes: `{"event":"error","code":N,"msg":…}`, and `{"event":"login","code":0}` on
//! success. A subscription before the login is `30004`; an unknown channel, product or market
//! `30001`; an unknown `op` `30003`; a message that is not JSON `30002`.
//!
//! Channels: `orders` and `orders-algo` for `SPOT`, `USDT-FUTURES`, `USDC-FUTURES` and
//! `COIN-FUTURES` (`instId` a market or `default`, all markets), each argument acknowledged
//! with `{"event":"subscribe","arg":…}`. Nothing is pushed when subscribing ("initial
//! subscriptions will not trigger any push"); afterwards each change of the session's own
//! account's orders is pushed on `orders` as `{"action":"snapshot","arg":…,"data":[item],"ts"}`
//! in the product's documented item shape. The simulator has no trigger orders, so
//! `orders-algo` is acknowledged and stays silent. Keep-alive: the text `ping` is answered
//! `pong`; a connection with no subscription 30 s after it opened, or silent for 2 minutes, is
//! closed, and every connection is closed after 24 hours, as the docs say. Not modelled: 100
//! connections per IP, 300 connection requests per IP per 5 minutes, 240 subscriptions an hour
//! and 1000 channels per connection, 10 messages a second (docs/venues/bitget.md §12). The
//! hidden `origin` is never on the wire; neither is any secret.

use std::net::IpAddr;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::order::{Order, OrderStatus, OrderType, QtyUnit};
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

use super::wire::{self, COIN_FUTURES, USDC_FUTURES, USDT_FUTURES};
use super::{BitgetDialect, BitgetState, auth};

const PATH: &str = "/v2/ws/private";

/// What the login signs after the timestamp.
const VERIFY: &[u8] = b"GET/user/verify";

/// How far a login's timestamp may be from the server's clock (not published for the login;
/// the REST window).
const LOGIN_WINDOW_MS: i64 = 30_000;

/// "Websocket server will disconnect the connection if there is no string `ping` received for
/// 2 min."
const IDLE_MS: i64 = 120_000;

/// "The connection will break automatically if no subscription in 30s after connection
/// established."
const UNSUBSCRIBED_MS: i64 = 30_000;

/// "Websocket will be forcibly disconnected every 24 hours."
const LIFETIME_MS: i64 = 24 * 3_600_000;

const SPOT: &str = "SPOT";
const PRODUCTS: [&str; 4] = [SPOT, USDT_FUTURES, USDC_FUTURES, COIN_FUTURES];
const ORDERS: &str = "orders";
const ORDERS_ALGO: &str = "orders-algo";

impl SimStream for BitgetDialect {
    fn paths(&self) -> &'static [&'static str] {
        &[PATH]
    }

    fn open(
        &self,
        v: &mut Venue,
        path: &str,
        _query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        if path != PATH {
            return Err((StatusCode::NOT_FOUND, String::new()));
        }
        let now = v.now_ms();
        Ok(Box::new(Session {
            peer,
            login: None,
            subs: Vec::new(),
            opened_ms: now,
            heard_ms: now,
        }))
    }
}

/// One subscription, as acknowledged (and echoed in every push's `arg`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sub {
    channel: &'static str,
    inst_type: &'static str,
    /// A market, or `default` for all.
    inst_id: String,
}

impl Sub {
    fn arg(&self) -> Value {
        json!({ "instType": self.inst_type, "channel": self.channel, "instId": self.inst_id })
    }
}

struct Session {
    peer: Option<IpAddr>,
    /// The account (uid) of the key logged in with.
    login: Option<u64>,
    subs: Vec<Sub>,
    opened_ms: i64,
    /// When the client last sent anything.
    heard_ms: i64,
}

/// An error event, in CCXT's reading of Bitget's shape (the code a number).
fn error(code: u32, msg: &str) -> Out {
    Out::Text(json!({ "event": "error", "code": code, "msg": msg }).to_string())
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        self.heard_ms = now_ms;
        if text == "ping" {
            return vec![Out::Text("pong".to_owned())];
        }
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            // Never echoed: it may be a login with its passphrase.
            return vec![error(30002, "Illegal request")];
        };
        let args = request.get("args");
        match request.get("op").and_then(Value::as_str) {
            Some("login") => match self.check_login(v, args, now_ms) {
                Ok(uid) => {
                    self.login = Some(uid);
                    vec![Out::Text(
                        json!({ "event": "login", "code": 0 }).to_string(),
                    )]
                }
                Err((code, msg)) => vec![error(code, msg)],
            },
            Some(op @ ("subscribe" | "unsubscribe")) => self.subscribe(v, args, op == "subscribe"),
            _ => vec![error(30003, "Invalid op")],
        }
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        if self.login != Some(change.uid) {
            return Vec::new();
        }
        let Some(order) = v.orders.iter().find(|o| o.order_id == change.order_id) else {
            return Vec::new();
        };
        let (inst_type, symbol) = product_and_symbol(v, order);
        self.subs
            .iter()
            .find(|s| {
                s.channel == ORDERS
                    && s.inst_type == inst_type
                    && (s.inst_id == "default" || s.inst_id == symbol)
            })
            .map(|sub| {
                let push = json!({
                    "action": "snapshot",
                    "arg": sub.arg(),
                    "data": [item(v, order, inst_type, &symbol)],
                    "ts": now_ms,
                });
                Out::Text(push.to_string())
            })
            .into_iter()
            .collect()
    }

    fn on_tick(&mut self, _v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.heard_ms > IDLE_MS {
            return vec![Out::Close(
                1000,
                "no ping received for 2 minutes".to_owned(),
            )];
        }
        if self.subs.is_empty() && now_ms - self.opened_ms > UNSUBSCRIBED_MS {
            return vec![Out::Close(1000, "no subscription in 30s".to_owned())];
        }
        if now_ms - self.opened_ms > LIFETIME_MS {
            return vec![Out::Close(
                1000,
                "connection lifetime of 24 hours".to_owned(),
            )];
        }
        Vec::new()
    }
}

impl Session {
    /// The login's checks: the parameters, the timestamp, the key, the passphrase, the
    /// signature, the peer's address, the sub-account.
    fn check_login(
        &self,
        v: &Venue,
        args: Option<&Value>,
        now_ms: i64,
    ) -> Result<u64, (u32, &'static str)> {
        let arg = match args.and_then(Value::as_array).map(Vec::as_slice) {
            Some([arg]) => arg,
            _ => return Err((30016, "Param error")),
        };
        let field = |name: &str| -> Result<&str, (u32, &'static str)> {
            arg.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or((30016, "Param error"))
        };
        let (api_key, passphrase, timestamp, sign) = (
            field("apiKey")?,
            field("passphrase")?,
            field("timestamp")?,
            field("sign")?,
        );
        let seconds: i64 = timestamp
            .parse()
            .ok()
            .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()))
            .ok_or((30013, "Invalid ACCESS_TIMESTAMP"))?;
        if (now_ms - seconds.saturating_mul(1000)).abs() > LOGIN_WINDOW_MS {
            return Err((30014, "Request timestamp expired"));
        }
        let key = v
            .keys
            .iter()
            .find(|k| k.api_key == api_key && k.is_live())
            .ok_or((30011, "Invalid ACCESS_KEY"))?;
        if !auth::passphrase_matches(key, passphrase) {
            return Err((30012, "Invalid ACCESS_PASSPHRASE"));
        }
        if !sign_matches(&key.secret, timestamp, sign) {
            return Err((30015, "Invalid sign"));
        }
        let frozen = v
            .own
            .get::<BitgetState>()
            .is_some_and(|s| s.frozen.contains(&key.uid));
        if !key.ips.allows(self.peer) || frozen {
            return Err((30005, "Login failed"));
        }
        Ok(key.uid)
    }

    /// `subscribe` (or `unsubscribe`): each argument acknowledged in turn, or the first bad
    /// one refused.
    fn subscribe(&mut self, v: &Venue, args: Option<&Value>, on: bool) -> Vec<Out> {
        if self.login.is_none() {
            return vec![error(30004, "User needs to log in")];
        }
        let Some(args) = args.and_then(Value::as_array).filter(|a| !a.is_empty()) else {
            return vec![error(30016, "Param error")];
        };
        let mut outs = Vec::new();
        for arg in args {
            let Some(sub) = parse_sub(v, arg) else {
                let text = |n: &str| {
                    arg.get(n)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .chars()
                        .take(40)
                        .collect::<String>()
                };
                let msg = format!(
                    "instType:{},channel:{},instId:{} doesn't exist",
                    text("instType"),
                    text("channel"),
                    text("instId")
                );
                outs.push(Out::Text(
                    json!({ "event": "error", "code": 30001, "msg": msg }).to_string(),
                ));
                return outs;
            };
            let event = if on { "subscribe" } else { "unsubscribe" };
            outs.push(Out::Text(
                json!({ "event": event, "arg": sub.arg() }).to_string(),
            ));
            self.subs.retain(|s| *s != sub);
            if on {
                self.subs.push(sub);
            }
        }
        outs
    }
}

/// A subscription argument the docs allow, or `None`.
fn parse_sub(v: &Venue, arg: &Value) -> Option<Sub> {
    let text = |n: &str| arg.get(n).and_then(Value::as_str);
    let channel = match text("channel")? {
        ORDERS => ORDERS,
        ORDERS_ALGO => ORDERS_ALGO,
        _ => return None,
    };
    let inst_type = PRODUCTS
        .into_iter()
        .find(|p| Some(*p) == text("instType"))?;
    let inst_id = text("instId").unwrap_or("default");
    let product = (inst_type != SPOT).then_some(inst_type);
    if inst_id != "default" && wire::resolve(v, product, inst_id).is_none() {
        return None;
    }
    Some(Sub {
        channel,
        inst_type,
        inst_id: inst_id.to_owned(),
    })
}

/// The `instType` an order is pushed under, and its market's Bitget name.
fn product_and_symbol(v: &Venue, order: &Order) -> (&'static str, String) {
    let product = v
        .instrument(order.category, &order.symbol)
        .and_then(wire::product_of);
    (
        product.unwrap_or(SPOT),
        wire::wire_symbol(v, order.category, &order.symbol),
    )
}

/// The push's status words: `live` for a resting order, and spot's `cancelled` against
/// futures' `canceled`, as in each page's examples.
fn status(order: &Order, spot: bool) -> &'static str {
    match order.status {
        OrderStatus::New => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled if spot => "cancelled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "canceled",
    }
}

/// One pushed order, in the product's documented item shape (docs/venues/bitget.md §12).
fn item(v: &Venue, order: &Order, inst_type: &str, symbol: &str) -> Value {
    let spot = inst_type == SPOT;
    let limit = order.order_type == OrderType::Limit;
    let avg = order.avg_price().map_or_else(|| "0".to_owned(), num::fmt);
    let mut item = json!({
        "instId": symbol,
        "orderId": order.order_id,
        "clientOid": order.order_link_id,
        "size": order.qty,
        "orderType": if limit { "limit" } else { "market" },
        "force": "gtc",
        "side": wire::side(order.side),
        "accBaseVolume": num::fmt(order.cum_exec_qty),
        "priceAvg": avg,
        "status": status(order, spot),
        "cTime": order.created_ms.to_string(),
        "uTime": order.updated_ms.to_string(),
        "feeDetail": [],
        "enterPointSource": "API",
    });
    let price = order.price.clone().filter(|_| limit);
    if spot {
        // The order's worth in the quote coin: its size at its price, or a market order's
        // size where that is counted in the quote coin already (a market buy).
        let qty: f64 = order.qty.parse().unwrap_or(0.0);
        let notional = match &price {
            Some(p) => qty * p.parse::<f64>().unwrap_or(0.0),
            None if order.qty_unit == QtyUnit::Quote => qty,
            None => order.cum_exec_value,
        };
        item["notional"] = json!(num::fmt(notional));
        item["newSize"] = json!(order.qty);
        if let Some(price) = price {
            item["price"] = json!(price);
        }
    } else {
        let margin = v
            .instrument(order.category, &order.symbol)
            .map(|i| i.settle_coin.clone())
            .unwrap_or_default();
        item["price"] = json!(price.unwrap_or_else(|| "0".to_owned()));
        item["marginCoin"] = json!(margin);
        item["marginMode"] = json!("crossed");
        item["leverage"] = json!("20");
        item["posMode"] = json!("one_way_mode");
        item["posSide"] = json!("net");
        item["tradeSide"] = json!("open");
        item["reduceOnly"] = json!("no");
        item["notionalUsd"] = json!(num::fmt(order.cum_exec_value));
    }
    item
}

/// Whether `sign` (base64) is the HMAC-SHA256 of `timestamp + "GET/user/verify"` with the key's
/// secret, over the timestamp exactly as received.
fn sign_matches(secret: &SecretString, timestamp: &str, sign: &str) -> bool {
    let Ok(tag) = STANDARD.decode(sign.trim()) else {
        return false;
    };
    // Allowed: this is where a signature is verified.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes().to_vec();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(VERIFY);
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::Sim;

    fn session(now: i64) -> Session {
        Session {
            peer: None,
            login: None,
            subs: Vec::new(),
            opened_ms: now,
            heard_ms: now,
        }
    }

    fn text(out: &[Out]) -> Value {
        match out {
            [Out::Text(text)] => serde_json::from_str(text).unwrap(),
            other => panic!("one text expected, got {other:?}"),
        }
    }

    #[test]
    fn a_connection_is_closed_as_the_docs_say() {
        let sim = Sim::new(ExchangeId::Bitget, 7);
        let mut v = sim.lock();
        // No subscription 30 s after opening: closed.
        let mut s = session(0);
        assert!(s.on_tick(&v, 30_000).is_empty());
        assert!(matches!(s.on_tick(&v, 30_001).as_slice(), [Out::Close(..)]));
        // Subscribed (logged in by hand): open while pinged, closed 2 min after the last ping.
        let mut s = session(0);
        s.login = Some(1);
        let arg = r#"{"op":"subscribe","args":[{"instType":"SPOT","channel":"orders","instId":"default"}]}"#;
        assert_eq!(text(&s.on_text(&mut v, arg, 1_000))["event"], "subscribe");
        assert_eq!(
            s.on_text(&mut v, "ping", 100_000),
            [Out::Text("pong".into())]
        );
        assert!(s.on_tick(&v, 220_000).is_empty());
        assert!(matches!(
            s.on_tick(&v, 220_001).as_slice(),
            [Out::Close(..)]
        ));
        // Pinged all along: closed after 24 hours anyway.
        let mut s = session(0);
        s.subs.push(
            parse_sub(
                &v,
                &serde_json::json!({"instType": "SPOT", "channel": "orders"}),
            )
            .unwrap(),
        );
        s.heard_ms = LIFETIME_MS;
        assert!(s.on_tick(&v, LIFETIME_MS).is_empty());
        assert!(matches!(
            s.on_tick(&v, LIFETIME_MS + 1).as_slice(),
            [Out::Close(..)]
        ));
    }

    #[test]
    fn subscriptions_take_the_documented_channels_products_and_markets() {
        let sim = Sim::new(ExchangeId::Bitget, 7);
        let v = sim.lock();
        let sub = |arg: Value| parse_sub(&v, &arg);
        for product in PRODUCTS {
            for channel in [ORDERS, ORDERS_ALGO] {
                let got =
                    sub(json!({"instType": product, "channel": channel, "instId": "default"}));
                assert_eq!(
                    got.map(|s| s.arg()["instType"].clone()),
                    Some(json!(product))
                );
            }
        }
        assert!(
            sub(json!({"instType": "SPOT", "channel": "orders", "instId": "BTCUSDT"})).is_some()
        );
        // Each futures market by its Bitget name, under its own product.
        for i in v
            .instruments
            .iter()
            .filter(|i| wire::product_of(i).is_some())
        {
            let (product, name) = (wire::product_of(i).unwrap(), wire::symbol(i));
            let arg = json!({"instType": product, "channel": "orders", "instId": name});
            assert!(sub(arg).is_some(), "{product} {name}");
        }
        for bad in [
            json!({"instType": "SPOT", "channel": "orders", "instId": "NOSUCHUSDT"}),
            json!({"instType": "MARGIN", "channel": "orders-crossed", "instId": "BTCUSDT"}),
            json!({"instType": "SPOT", "channel": "account", "instId": "default"}),
            json!({"instType": "spot", "channel": "orders", "instId": "default"}),
            json!({"channel": "orders", "instId": "default"}),
        ] {
            assert!(sub(bad.clone()).is_none(), "{bad}");
        }
        // Before a login every subscription is refused; garbage and unknown ops have codes.
        drop(v);
        let mut v = sim.lock();
        let mut s = session(0);
        let arg = r#"{"op":"subscribe","args":[{"instType":"SPOT","channel":"orders","instId":"default"}]}"#;
        assert_eq!(text(&s.on_text(&mut v, arg, 1))["code"], 30004);
        assert_eq!(text(&s.on_text(&mut v, "hello", 1))["code"], 30002);
        assert_eq!(
            text(&s.on_text(&mut v, r#"{"op":"trade"}"#, 1))["code"],
            30003
        );
        assert_eq!(
            text(&s.on_text(&mut v, r#"{"op":"login","args":[]}"#, 1))["code"],
            30016
        );
    }

    #[test]
    fn the_login_sign_is_checked_over_the_documented_text() {
        // Computed outside this code:
        // printf '1704164645GET/user/verify' \
        //   | openssl dgst -sha256 -hmac 'bitget-hand-secret' -binary | base64
        let secret = SecretString::from("bitget-hand-secret");
        let sign = "RP9sGiCetw/MCFNz4VDUxxr40CCVFJ7liKElHPlFObA=";
        assert!(sign_matches(&secret, "1704164645", sign));
        assert!(!sign_matches(&secret, "1704164646", sign));
        assert!(!sign_matches(&secret, "1704164645000", sign));
        assert!(!sign_matches(
            &SecretString::from("other"),
            "1704164645",
            sign
        ));
        assert!(!sign_matches(&secret, "1704164645", "!!"));
    }
}
