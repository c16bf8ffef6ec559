//! BingX's private streams as the simulator serves them: the listen key handed out by REST,
//! the spot `spot.executionReport` channel and the perpetuals' account stream, heartbeats and
//! the idle timeout (docs/venues/bingx.md §12). Written from BingX's docs, never from the
//! client's reader (`exchanges/bingx/stream.rs`): a shared misreading would agree with itself.
//!
//! A key with Read (`2`) asks `POST /openApi/user/auth/userDataStream` for a listen key (through
//! the REST pipeline: the key, its IP whitelist, its account; `timestamp` and `signature` are
//! checked when sent, and the docs' header-only example is accepted too) and gets
//! `{"listenKey": …}`, good for an hour; `PUT` extends it by an hour, `DELETE` ends it, both
//! answering HTTP 404 for a key they do not know. The listen key goes in the address:
//! `/market?listenKey=…` (the spot host, and the coin-M host: on the real venue they are two
//! hosts with the same path, here one host serves both, so a `/market` connection pushes the
//! coin-M orders unasked and the spot orders once subscribed) and `/swap-market?listenKey=…`
//! (USDT-M, unasked). An address without a live listen key, with one whose API key was deleted,
//! or from outside that key's IP whitelist is refused before the upgrade (the docs show no such
//! refusal: HTTP 401 with `100401` "AUTHENTICATION_FAIL", and HTTP 403 with `100419`, the
//! codes the docs give for those cases, are this simulator's choice).
//!
//! Every message goes out gzip-compressed. The server pings every 5 s, the spot form
//! `{"ping":…,"time":…}` on `/market` and `Ping` on `/swap-market`, the first at once; a
//! client that leaves three in a row unanswered is closed (the docs say only that a client
//! must answer). A listen key that expires while connected gets `listenKeyExpired` and no more
//! pushes. Pushes carry what the docs' examples carry and nothing else: no client order id on
//! spot (the docs list none), `c` on the perpetuals.

use std::collections::HashMap;
use std::io::Write;
use std::net::IpAddr;

use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::sim::bingx::{Caller, Refusal, names};
use crate::sim::inspect::OrderView;
use crate::sim::num;
use crate::sim::order::Category;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

/// A listen key lives an hour from its creation or last extension.
const LISTEN_KEY_MS: i64 = 60 * 60 * 1000;

/// The server's heartbeat ("every 5 seconds").
const PING_MS: i64 = 5_000;

/// Heartbeats a client may leave unanswered in a row before it is closed (not documented).
const MISSED_PINGS: u32 = 3;

/// The spot order channel.
const SPOT_CHANNEL: &str = "spot.executionReport";

/// A `PUT` or `DELETE` of a listen key the venue does not know: HTTP 404 (an internal mark,
/// never on the wire as a code).
pub(crate) const UNKNOWN_LISTEN_KEY: i64 = -404;

/// The listen keys handed out, by key.
#[derive(Debug, Default)]
pub(crate) struct ListenKeys {
    keys: HashMap<String, ListenKey>,
    made: u64,
}

/// One listen key.
#[derive(Debug, Clone)]
struct ListenKey {
    /// The API key it was made for.
    api_key: String,
    /// That key's account.
    uid: u64,
    expires_ms: i64,
}

/// The three listen-key calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListenKeyCall {
    Create,
    Extend,
    Delete,
}

/// `POST`, `PUT` or `DELETE /openApi/user/auth/userDataStream`, after the pipeline's checks.
///
/// A new listen key is derived from the key's secret, a count and the time, so it cannot be
/// guessed from the key id and takes nothing from the venue's seeded dice (a watched drill
/// draws the same orders as a polled one).
pub(crate) fn listen_key(
    v: &mut Venue,
    c: &Caller,
    call: ListenKeyCall,
    listen_key: Option<&str>,
    now: i64,
) -> Result<Value, Refusal> {
    if call == ListenKeyCall::Create {
        let key = v
            .live_key(&c.api_key)
            .ok_or_else(|| Refusal::new(100_413, "Incorrect apiKey"))?;
        let made = v.own.get::<ListenKeys>().map_or(0, |k| k.made);
        let mut hash = Sha256::new();
        // Allowed: the secret seeds a value only the simulator and the key's holder can reach.
        #[allow(clippy::disallowed_methods)]
        hash.update(key.secret.expose_secret().as_bytes());
        hash.update(format!("listen-key:{made}:{now}").as_bytes());
        let text = hex::encode(hash.finalize());
        let keys = v.own.get_mut::<ListenKeys>();
        keys.made += 1;
        keys.keys.insert(
            text.clone(),
            ListenKey {
                api_key: c.api_key.clone(),
                uid: c.uid,
                expires_ms: now + LISTEN_KEY_MS,
            },
        );
        return Ok(json!({ "listenKey": text }));
    }
    let unknown = || Refusal::new(UNKNOWN_LISTEN_KEY, "not find key");
    let text = listen_key.filter(|k| !k.is_empty()).ok_or_else(unknown)?;
    let keys = v.own.get_mut::<ListenKeys>();
    match keys.keys.get_mut(text) {
        Some(key) if key.api_key == c.api_key && key.expires_ms > now => {
            if call == ListenKeyCall::Extend {
                key.expires_ms = now + LISTEN_KEY_MS;
            } else {
                keys.keys.remove(text);
            }
            Ok(json!({}))
        }
        _ => Err(unknown()),
    }
}

/// The private WebSocket server.
pub(crate) struct BingxStream;

/// The one instance the dialect hands out.
pub(crate) static STREAM: BingxStream = BingxStream;

/// Which stream a connection's path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Host {
    /// `/market`: spot (subscribed) and coin-M (unasked).
    Market,
    /// `/swap-market`: USDT-M (unasked).
    Swap,
}

impl SimStream for BingxStream {
    fn paths(&self) -> &'static [&'static str] {
        &["/market", "/swap-market"]
    }

    /// The listen key in the address must be live, its API key too, and the peer inside that
    /// key's IP whitelist.
    fn open(
        &self,
        v: &mut Venue,
        path: &str,
        query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        let now = v.now_ms();
        let host = if path.trim_end_matches('/') == "/swap-market" {
            Host::Swap
        } else {
            Host::Market
        };
        let text = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("listenKey="))
            .unwrap_or("");
        let refused = |status: StatusCode, code: i64, msg: &str| {
            (
                status,
                json!({ "code": code, "msg": msg, "timestamp": now }).to_string(),
            )
        };
        let auth_fail = || refused(StatusCode::UNAUTHORIZED, 100_401, "AUTHENTICATION_FAIL");
        let Some(listen) = v
            .own
            .get::<ListenKeys>()
            .and_then(|k| k.keys.get(text))
            .filter(|k| k.expires_ms > now)
            .cloned()
        else {
            return Err(auth_fail());
        };
        let Some(key) = v.live_key(&listen.api_key) else {
            return Err(auth_fail());
        };
        if !key.ips.allows(peer) {
            return Err(refused(
                StatusCode::FORBIDDEN,
                100_419,
                "IP does not match IP whitelist , please go to https://bingx.com/en/account/api/ to verify the ip you have set",
            ));
        }
        Ok(Box::new(Session {
            host,
            listen_key: text.to_owned(),
            api_key: listen.api_key,
            uid: listen.uid,
            spot: false,
            expired: false,
            next_ping_ms: now,
            unanswered: 0,
            pings: 0,
            seen: HashMap::new(),
        }))
    }
}

/// One connection.
struct Session {
    host: Host,
    listen_key: String,
    api_key: String,
    uid: u64,
    /// Whether `spot.executionReport` is subscribed (on `/market`).
    spot: bool,
    /// Whether `listenKeyExpired` went out.
    expired: bool,
    next_ping_ms: i64,
    /// Heartbeats sent since the client last answered one.
    unanswered: u32,
    /// Heartbeats sent, for their ids.
    pings: u64,
    /// What this connection last told of each order: filled quantity and value.
    seen: HashMap<String, (f64, f64)>,
}

impl Session {
    /// Whether the listen key still opens the account's pushes.
    fn live(&self, v: &Venue, now: i64) -> bool {
        !self.expired
            && v.live_key(&self.api_key).is_some()
            && v.own
                .get::<ListenKeys>()
                .and_then(|k| k.keys.get(&self.listen_key))
                .is_some_and(|k| k.expires_ms > now)
    }
}

impl StreamSession for Session {
    fn on_text(&mut self, _v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        let text = text.trim();
        if text == "Pong" {
            self.unanswered = 0;
            return Vec::new();
        }
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            return vec![gzip(
                &json!({ "code": 100_400, "msg": "ILLEGAL_ARGUMENT", "timestamp": now_ms })
                    .to_string(),
            )];
        };
        if request.contains_key("pong") {
            self.unanswered = 0;
            return Vec::new();
        }
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let req_type = request.get("reqType").and_then(Value::as_str);
        let data_type = request
            .get("dataType")
            .and_then(Value::as_str)
            .unwrap_or("");
        let answer = match (self.host, req_type, data_type) {
            (Host::Market, Some("sub") | None, SPOT_CHANNEL) => {
                self.spot = true;
                json!({ "code": 0, "id": id, "msg": "SUCCESS", "timestamp": now_ms })
            }
            (Host::Market, Some("unsub"), SPOT_CHANNEL) => {
                self.spot = false;
                json!({ "code": 0, "id": id, "msg": "SUCCESS", "timestamp": now_ms })
            }
            // The perpetual hosts push account data unasked; a request there is acknowledged
            // in the shape of their modules' example.
            (Host::Swap, Some("sub" | "unsub") | None, _) if !data_type.is_empty() => {
                json!({ "id": id, "code": 0, "msg": "", "dataType": "", "data": null })
            }
            _ => {
                json!({ "code": 100_400, "id": id, "msg": "ILLEGAL_ARGUMENT", "timestamp": now_ms })
            }
        };
        vec![gzip(&answer.to_string())]
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        if change.uid != self.uid || !self.live(v, now_ms) {
            return Vec::new();
        }
        let Some(category) = Category::parse(&change.category) else {
            return Vec::new();
        };
        let push = match (self.host, category) {
            (Host::Market, Category::Spot) if self.spot => spot_push(v, change, self, now_ms),
            (Host::Market, Category::Inverse) | (Host::Swap, Category::Linear) => {
                perpetual_push(v, category, change, self, now_ms)
            }
            _ => return Vec::new(),
        };
        vec![gzip(&push.to_string())]
    }

    fn on_tick(&mut self, v: &Venue, now_ms: i64) -> Vec<Out> {
        let mut outs = Vec::new();
        if !self.expired && !self.live(v, now_ms) {
            // Only an expiry is documented; a deleted key's listen key is silenced the same way.
            self.expired = true;
            outs.push(gzip(
                &json!({ "e": "listenKeyExpired", "E": now_ms, "listenKey": self.listen_key })
                    .to_string(),
            ));
        }
        if now_ms >= self.next_ping_ms {
            if self.unanswered >= MISSED_PINGS {
                outs.push(Out::Close(
                    1000,
                    "no Pong to the last heartbeats".to_owned(),
                ));
                return outs;
            }
            self.next_ping_ms = now_ms + PING_MS;
            self.unanswered += 1;
            self.pings += 1;
            let ping = match self.host {
                Host::Swap => "Ping".to_owned(),
                Host::Market => json!({
                    "ping": format!("{:016x}{:016x}", self.uid, self.pings),
                    "time": time_text(now_ms),
                })
                .to_string(),
            };
            outs.push(gzip(&ping));
        }
        outs
    }

    fn pack(&self, text: &str) -> Option<Vec<u8>> {
        Some(compress(text))
    }
}

/// The docs' heartbeat time, `2022-06-07T16:27:36.323+0800` (Beijing time).
fn time_text(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| {
        chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("UTC is an offset"))
    });
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%.3f%z")
        .to_string()
}

/// A message's text; [`StreamSession::pack`] compresses it on the way out.
fn gzip(text: &str) -> Out {
    Out::Text(text.to_owned())
}

/// A message as BingX sends every one: gzip-compressed, in a binary frame.
fn compress(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    encoder.finish().unwrap_or_default()
}

/// The side, type and id as the REST answers write them.
fn side(view: &OrderView) -> &'static str {
    if view.side == "Buy" { "BUY" } else { "SELL" }
}

fn kind(view: &OrderView) -> String {
    view.order_type.to_ascii_uppercase()
}

fn order_id(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// What changed in the fills since this connection last told of the order: the last fill's
/// quantity and value.
fn last_fill(session: &mut Session, view: &OrderView) -> (f64, f64) {
    let filled = view.cum_exec_qty.parse::<f64>().unwrap_or(0.0);
    let value = view.cum_exec_value.parse::<f64>().unwrap_or(0.0);
    let (was, was_value) = session
        .seen
        .insert(view.order_id.clone(), (filled, value))
        .unwrap_or((0.0, 0.0));
    ((filled - was).max(0.0), (value - was_value).max(0.0))
}

/// The execution type (`x`) and status (`X`) of a change.
/// Spot writes a resting order `PENDING` (as its REST rows and CCXT's recorded push do), the
/// perpetuals `NEW`; both write a cancel `CANCELED` in their pushes.
fn event(view: &OrderView, last_qty: f64, spot: bool) -> (&'static str, &'static str) {
    match view.status.as_str() {
        "New" => ("NEW", if spot { "PENDING" } else { "NEW" }),
        "PartiallyFilled" => ("TRADE", "PARTIALLY_FILLED"),
        "Filled" => ("TRADE", "FILLED"),
        _ if last_qty > 0.0 => ("TRADE", "CANCELED"),
        _ => ("CANCELED", "CANCELED"),
    }
}

/// A spot `executionReport`, with the fields the docs list (`spot.executionReport` page).
fn spot_push(v: &Venue, view: &OrderView, session: &mut Session, now: i64) -> Value {
    let (last_qty, last_value) = last_fill(session, view);
    let (x, status) = event(view, last_qty, true);
    let last_price = if last_qty > 0.0 {
        last_value / last_qty
    } else {
        0.0
    };
    // A market buy sized in the quote coin: `q` 0 and the amount in `Q`, as CCXT recorded.
    let (q, quote) = if view.qty_unit == "quote" {
        ("0".to_owned(), view.qty.clone())
    } else {
        (view.qty.clone(), "0".to_owned())
    };
    let symbol = names::wire_symbol(v, Category::Spot, &view.symbol);
    let fee_asset = v
        .instrument(Category::Spot, &view.symbol)
        .map(|i| i.base_coin.clone())
        .unwrap_or_default();
    json!({
        "code": 0,
        "dataType": SPOT_CHANNEL,
        "data": {
            "e": "executionReport",
            "E": now,
            "s": symbol,
            "S": side(view),
            "o": kind(view),
            "q": q,
            "p": view.price.clone().unwrap_or_else(|| "0".to_owned()),
            "x": x,
            "X": status,
            "i": order_id(&view.order_id),
            "l": num::fmt(last_qty),
            "z": view.cum_exec_qty,
            "L": num::fmt(last_price),
            "n": num::fmt(-view.cum_exec_fee.parse::<f64>().unwrap_or(0.0)),
            "N": fee_asset,
            "T": view.updated_ms,
            "t": if last_qty > 0.0 { json!(view.updated_ms) } else { json!(-1) },
            "O": view.created_ms,
            "Z": view.cum_exec_value,
            "Y": num::fmt(last_value),
            "Q": quote,
        }
    })
}

/// A perpetual `ORDER_TRADE_UPDATE`, with the fields of the docs' example.
fn perpetual_push(
    v: &Venue,
    category: Category,
    view: &OrderView,
    session: &mut Session,
    now: i64,
) -> Value {
    let (last_qty, _) = last_fill(session, view);
    let (x, status) = event(view, last_qty, false);
    let settle = v
        .instrument(category, &view.symbol)
        .map(|i| i.settle_coin.clone())
        .unwrap_or_default();
    json!({
        "e": "ORDER_TRADE_UPDATE",
        "E": now,
        "o": {
            "s": names::wire_symbol(v, category, &view.symbol),
            "c": view.order_link_id,
            "i": order_id(&view.order_id),
            "S": side(view),
            "o": kind(view),
            "q": view.qty,
            "p": view.price.clone().unwrap_or_else(|| "0".to_owned()),
            "ap": view.avg_price.clone().unwrap_or_else(|| "0".to_owned()),
            "x": x,
            "X": status,
            "N": settle,
            "n": num::fmt(-view.cum_exec_fee.parse::<f64>().unwrap_or(0.0)),
            "T": view.updated_ms,
            "wt": "MARK_PRICE",
            "ps": "BOTH",
            "rp": "0",
            "z": view.cum_exec_qty,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;

    /// A BingX venue, the leaked bot key's caller and a listen key of it made at `now`.
    fn venue() -> (Venue, Caller, String, i64) {
        let scenario = Scenario::load("quiet").unwrap();
        let mut v = scenario_venue(ExchangeId::Bingx, &scenario, 5);
        let now = v.now_ms();
        let key = v.keys.iter().find(|k| k.leaked).unwrap();
        let caller = Caller::from_key(key, None);
        let answer = listen_key(&mut v, &caller, ListenKeyCall::Create, None, now).unwrap();
        let text = answer["listenKey"].as_str().unwrap().to_owned();
        assert_eq!(text.len(), 64);
        (v, caller, text, now)
    }

    /// A connection, and the venue's "now" once it is open: its first heartbeat is due then
    /// (a "now" read before it may be a millisecond early on a busy machine).
    fn open(v: &mut Venue, path: &str, key: &str) -> (Box<dyn StreamSession>, i64) {
        match STREAM.open(v, path, &format!("listenKey={key}"), None) {
            Ok(session) => (session, v.now_ms()),
            Err((status, body)) => panic!("refused {status}: {body}"),
        }
    }

    fn texts(outs: &[Out]) -> Vec<String> {
        outs.iter()
            .map(|out| match out {
                Out::Text(text) => text.clone(),
                Out::Close(code, why) => format!("close {code} {why}"),
            })
            .collect()
    }

    #[test]
    fn heartbeats_every_five_seconds_and_a_silent_client_is_closed() {
        let (mut v, _, key, _) = venue();
        let (mut swap, now) = open(&mut v, "/swap-market", &key);
        assert_eq!(texts(&swap.on_tick(&v, now)), ["Ping"]);
        assert!(swap.on_tick(&v, now + 4_999).is_empty());
        assert_eq!(texts(&swap.on_tick(&v, now + 5_000)), ["Ping"]);
        // Answered: the count starts again.
        assert!(swap.on_text(&mut v, "Pong", now + 5_001).is_empty());
        assert_eq!(texts(&swap.on_tick(&v, now + 10_000)), ["Ping"]);
        assert_eq!(texts(&swap.on_tick(&v, now + 15_000)), ["Ping"]);
        assert_eq!(texts(&swap.on_tick(&v, now + 20_000)), ["Ping"]);
        let closed = texts(&swap.on_tick(&v, now + 25_000));
        assert!(closed[0].starts_with("close 1000"), "{closed:?}");
        // The spot host's heartbeat is JSON, answered in kind.
        let (mut market, now) = open(&mut v, "/market", &key);
        let ping: Value = serde_json::from_str(&texts(&market.on_tick(&v, now))[0]).unwrap();
        assert!(
            ping["ping"].is_string() && ping["time"].is_string(),
            "{ping}"
        );
        let pong = json!({ "pong": ping["ping"], "time": ping["time"] }).to_string();
        assert!(market.on_text(&mut v, &pong, now + 1).is_empty());
    }

    #[test]
    fn a_listen_key_lives_an_hour_unless_extended_and_ends_when_deleted() {
        let (mut v, caller, key, _) = venue();
        let (mut swap, now) = open(&mut v, "/swap-market", &key);
        swap.on_tick(&v, now);
        assert!(swap.on_tick(&v, now + 1_000).is_empty());
        // Extended at 30 minutes: still good at 61.
        listen_key(
            &mut v,
            &caller,
            ListenKeyCall::Extend,
            Some(&key),
            now + 1_800_000,
        )
        .unwrap();
        swap.on_tick(&v, now + 3_660_000);
        swap.on_text(&mut v, "Pong", now + 3_660_000);
        assert!(swap.on_tick(&v, now + 3_661_000).is_empty());
        // Past its hour it expires, said once.
        let expired = texts(&swap.on_tick(&v, now + 1_800_000 + LISTEN_KEY_MS + 1));
        let push: Value = serde_json::from_str(&expired[0]).unwrap();
        assert_eq!(push["e"], "listenKeyExpired");
        assert_eq!(push["listenKey"], key.as_str());
        // Unknown keys: HTTP 404 for PUT and DELETE, 401 at the socket.
        let unknown = listen_key(&mut v, &caller, ListenKeyCall::Delete, Some("f0"), now);
        assert_eq!(unknown.unwrap_err().code, UNKNOWN_LISTEN_KEY);
        let Err((status, body)) = STREAM.open(&mut v, "/market", "listenKey=f0", None) else {
            panic!("an unknown listen key opened a stream")
        };
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("100401"), "{body}");
        // Deleted: the socket no longer opens.
        let (mut v, caller, key, now) = venue();
        listen_key(&mut v, &caller, ListenKeyCall::Delete, Some(&key), now).unwrap();
        assert!(
            STREAM
                .open(&mut v, "/swap-market", &format!("listenKey={key}"), None)
                .is_err()
        );
    }

    #[test]
    fn spot_needs_its_subscription_and_the_perpetual_hosts_none() {
        let (mut v, _, key, now) = venue();
        let (mut market, _) = open(&mut v, "/market", &key);
        let sub = json!({ "id": "a1", "reqType": "sub", "dataType": SPOT_CHANNEL }).to_string();
        let ack: Value =
            serde_json::from_str(&texts(&market.on_text(&mut v, &sub, now))[0]).unwrap();
        assert_eq!(
            ack,
            json!({ "code": 0, "id": "a1", "msg": "SUCCESS", "timestamp": now })
        );
        let wrong = json!({ "id": "a2", "reqType": "sub", "dataType": "nope" }).to_string();
        let refused: Value =
            serde_json::from_str(&texts(&market.on_text(&mut v, &wrong, now))[0]).unwrap();
        assert_eq!(refused["code"], 100_400);
        let (mut swap, _) = open(&mut v, "/swap-market", &key);
        let any = json!({ "id": "a3", "reqType": "sub", "dataType": "ACCOUNT_UPDATE" }).to_string();
        let ack: Value = serde_json::from_str(&texts(&swap.on_text(&mut v, &any, now))[0]).unwrap();
        assert_eq!(ack["code"], 0);
        assert!(
            swap.pack("Ping")
                .is_some_and(|b| b.starts_with(&[0x1f, 0x8b]))
        );
    }

    #[test]
    fn heartbeat_times_are_written_as_the_docs_write_them() {
        // 2022-06-07T16:27:36.323+0800 is 08:27:36.323 UTC.
        assert_eq!(time_text(1_654_590_456_323), "2022-06-07T16:27:36.323+0800");
    }

    #[test]
    fn messages_are_gzipped() {
        let bytes = compress("Ping");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .unwrap();
        assert_eq!(text, "Ping");
    }
}
