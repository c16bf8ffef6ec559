//! Bybit V5's private stream, written from the docs (docs/venues/bybit.md §12), on its own.
//!
//! `/v5/private` (optional `max_active_time`, 30 s to 600 s, in `s` or `m`). The client sends
//! `{"op":"auth","args":[api_key, expires, signature]}`: the signature is the lowercase hex
//! HMAC-SHA256 of `GET/realtime{expires}` with the key's secret, and `expires` must be later
//! than the server's clock. The key must be live, unexpired, and its IP whitelist must hold the
//! peer. Then `{"op":"subscribe","args":["order"]}` (or the categorised `order.spot`,
//! `order.linear`, `order.inverse`, `order.option`; the two kinds may not be mixed in one
//! request). Each change of one of the account's orders is pushed as `topic: order` with the
//! order in `/v5/order/realtime`'s shape plus `category` (`wire::order`, `wire::conditional`).
//! `{"op":"ping"}` answers the private channels' `pong`. A connection with neither ping nor
//! push for `max_active_time` (10 minutes by default) is cut. Refusals say `success: false`
//! with Bybit's `ret_msg` where the docs or Bybit's answers show one (`Params Error`); the
//! other words are the simulator's own (docs/venues/bybit.md §12 lists them).
//! Never imports the client's signing code.

use std::net::IpAddr;

use axum::http::StatusCode;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::Sha256;

use super::conditional;
use super::wire;
use crate::sim::inspect::OrderView;
use crate::sim::order::Category;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

/// The longest and default idle time, and the shortest a client may ask for.
const MAX_ACTIVE_MS: i64 = 600_000;
const MIN_ACTIVE_MS: i64 = 30_000;

/// Bybit's private stream server.
#[derive(Debug)]
pub(crate) struct BybitStreams;

pub(crate) static STREAMS: BybitStreams = BybitStreams;

impl SimStream for BybitStreams {
    fn paths(&self) -> &'static [&'static str] {
        &["/v5/private"]
    }

    fn open(
        &self,
        v: &mut Venue,
        _path: &str,
        query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        let mut active_ms = MAX_ACTIVE_MS;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if let Some(value) = pair.strip_prefix("max_active_time=") {
                active_ms = parse_active(value).ok_or_else(|| {
                    (
                        StatusCode::BAD_REQUEST,
                        "max_active_time must be 30s to 600s (or 1m to 10m)\n".to_owned(),
                    )
                })?;
            }
        }
        let now = v.now_ms();
        Ok(Box::new(Session {
            conn_id: format!("sim{:08x}{:06x}-p", v.master_uid, v.streams.opened),
            peer,
            caller: None,
            topics: Vec::new(),
            active_ms,
            last_activity_ms: now,
        }))
    }
}

/// `max_active_time`: `30s`..`600s` or `1m`..`10m`.
fn parse_active(value: &str) -> Option<i64> {
    let ms = if let Some(s) = value.strip_suffix('s') {
        s.parse::<i64>().ok()? * 1000
    } else if let Some(m) = value.strip_suffix('m') {
        m.parse::<i64>().ok()? * 60_000
    } else {
        return None;
    };
    (MIN_ACTIVE_MS..=MAX_ACTIVE_MS).contains(&ms).then_some(ms)
}

/// One connection.
struct Session {
    conn_id: String,
    peer: Option<IpAddr>,
    /// The authenticated key and its account.
    caller: Option<(String, u64)>,
    /// The subscribed categories: `None` is the all-in-one `order`.
    topics: Vec<Option<Category>>,
    active_ms: i64,
    last_activity_ms: i64,
}

impl Session {
    fn answer(&self, op: &str, success: bool, ret_msg: &str, req_id: Option<&Value>) -> Out {
        let mut answer = json!({
            "success": success,
            "ret_msg": ret_msg,
            "op": op,
            "conn_id": self.conn_id,
        });
        if let Some(req_id) = req_id {
            answer["req_id"] = req_id.clone();
        }
        Out::Text(answer.to_string())
    }

    /// Checks an `auth` request; the key's id and account when it passes.
    fn auth(&self, v: &Venue, args: &[Value], now_ms: i64) -> Result<(String, u64), &'static str> {
        let [key, expires, signature] = args else {
            return Err("Params Error");
        };
        let (Some(key), Some(signature)) = (key.as_str(), signature.as_str()) else {
            return Err("Params Error");
        };
        // `expires` is a number in the docs' example; a string of digits is read too.
        let expires = match expires {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or("Params Error")?;
        let Some(api_key) = v.keys.iter().find(|k| k.api_key == key && k.is_live()) else {
            return Err("Invalid apikey");
        };
        if api_key.is_expired(now_ms) {
            return Err("Invalid apikey");
        }
        if expires <= now_ms {
            return Err("Params Error");
        }
        let Ok(given) = hex::decode(signature) else {
            return Err("Params Error");
        };
        if signature.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("Params Error");
        }
        // Allowed: this is where a signature is computed.
        #[allow(clippy::disallowed_methods)]
        let secret = api_key.secret.expose_secret().as_bytes();
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return Err("Params Error");
        };
        mac.update(format!("GET/realtime{expires}").as_bytes());
        if mac.verify_slice(&given).is_err() {
            return Err("Params Error");
        }
        if !api_key.ips.allows(self.peer) {
            return Err("Unmatched IP, please check your API key's bound IP addresses.");
        }
        Ok((api_key.api_key.clone(), api_key.uid))
    }

    fn subscribe(&mut self, args: &[Value]) -> Result<(), &'static str> {
        let mut topics = Vec::new();
        for arg in args {
            let topic = match arg.as_str() {
                Some("order") => None,
                Some(other) => match other.strip_prefix("order.").and_then(Category::parse) {
                    Some(category) => Some(category),
                    None => return Err("error:handler not found"),
                },
                None => return Err("Params Error"),
            };
            topics.push(topic);
        }
        let all = topics.iter().any(Option::is_none);
        let some = topics.iter().any(Option::is_some);
        if topics.is_empty() || (all && some) {
            return Err("Params Error");
        }
        self.topics.extend(topics);
        Ok(())
    }

    fn follows(&self, category: &str) -> bool {
        self.topics.iter().any(|topic| match topic {
            None => true,
            Some(c) => c.as_str() == category,
        })
    }
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return vec![self.answer("", false, "Params Error", None)];
        };
        let req_id = request.get("req_id");
        let args = request
            .get("args")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match request.get("op").and_then(Value::as_str) {
            Some("ping") => {
                self.last_activity_ms = now_ms;
                let mut pong = json!({
                    "op": "pong",
                    "args": [now_ms.to_string()],
                    "conn_id": self.conn_id,
                });
                if let Some(req_id) = req_id {
                    pong["req_id"] = req_id.clone();
                }
                vec![Out::Text(pong.to_string())]
            }
            Some("auth") => match self.auth(v, &args, now_ms) {
                Ok(caller) => {
                    self.caller = Some(caller);
                    vec![self.answer("auth", true, "", req_id)]
                }
                Err(words) => vec![self.answer("auth", false, words, req_id)],
            },
            Some("subscribe") if self.caller.is_none() => {
                vec![self.answer("subscribe", false, "Request not authorized", req_id)]
            }
            Some("subscribe") => match self.subscribe(&args) {
                Ok(()) => vec![self.answer("subscribe", true, "", req_id)],
                Err(words) => vec![self.answer("subscribe", false, words, req_id)],
            },
            Some(op) => {
                let op = op.to_owned();
                vec![self.answer(&op, false, "error:invalid op", req_id)]
            }
            None => vec![self.answer("", false, "Params Error", req_id)],
        }
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out> {
        let Some((key, uid)) = &self.caller else {
            return Vec::new();
        };
        if change.uid != *uid || !self.follows(&change.category) {
            return Vec::new();
        }
        // A key deleted (or whose address was unbound) since the login hears nothing more.
        let live = v
            .keys
            .iter()
            .any(|k| &k.api_key == key && k.is_live() && k.ips.allows(self.peer));
        if !live {
            return vec![Out::Close(
                1000,
                "the API key is no longer valid".to_owned(),
            )];
        }
        let Some(mut item) = render(v, change) else {
            return Vec::new();
        };
        item["category"] = json!(change.category);
        self.last_activity_ms = now_ms;
        vec![Out::Text(
            json!({
                "id": format!("{}-{}-{}", self.conn_id, change.order_id, change.updated_ms),
                "topic": "order",
                "creationTime": now_ms,
                "data": [item],
            })
            .to_string(),
        )]
    }

    fn on_tick(&mut self, _v: &Venue, now_ms: i64) -> Vec<Out> {
        if now_ms - self.last_activity_ms > self.active_ms {
            return vec![Out::Close(1000, "max active time reached".to_owned())];
        }
        Vec::new()
    }
}

/// The order as the REST lists show it: a plain order or a conditional one.
fn render(v: &Venue, change: &OrderView) -> Option<Value> {
    if let Some(order) = v
        .orders
        .iter()
        .find(|o| o.order_id == change.order_id && o.uid == change.uid)
    {
        return Some(wire::order(order));
    }
    let c = conditional::all(v)
        .iter()
        .find(|c| c.order_id == change.order_id && c.uid == change.uid)?;
    let last = v.last_price(c.category, &c.symbol).unwrap_or(0.0);
    Some(wire::conditional(c, last))
}

#[cfg(test)]
mod tests {
    use super::parse_active;

    #[test]
    fn max_active_time_is_thirty_seconds_to_ten_minutes() {
        assert_eq!(parse_active("30s"), Some(30_000));
        assert_eq!(parse_active("1m"), Some(60_000));
        assert_eq!(parse_active("600s"), Some(600_000));
        assert_eq!(parse_active("29s"), None);
        assert_eq!(parse_active("11m"), None);
        assert_eq!(parse_active("1h"), None);
    }
}
