//! Deribit's JSON-RPC over WebSocket, as far as a key's order stream needs it
//! (docs/venues/deribit.md §12, written from Deribit's pages, not from lockdown's client).
//!
//! One path, `/ws/api/v2`. Every text message is a JSON-RPC request; every answer carries its
//! `id` in the REST envelope (`usIn`, `usOut`, `usDiff`, `testnet`). What a session answers:
//! - `public/auth`: the REST login itself (`login.rs`: the `client_signature` string, the
//!   60-second timestamp window, a single-use nonce, a key that exists and is neither removed
//!   nor disabled, the key's IP whitelist against the socket's peer), with the same refusals
//!   (13009 with `data.reason`, 13004, 13021 `ip_not_whitelisted`). On success the connection
//!   is the key's account's (`connection` scope): later private calls need no token;
//! - `private/subscribe` (`channels`, `label` ignored): 10000 before a login (or without an
//!   `access_token` parameter); 13009 once the key is removed or disabled; 13021 from an address
//!   its whitelist does not name; else the list of channels subscribed. The channels served are
//!   `user.orders.{kind}.{currency}.{interval}` (kind `any`, `future`, `option`, `spot`,
//!   `future_combo`, `option_combo`, `combo`; currency `any` or one `public/get_currencies`
//!   lists; interval `raw`, `100ms`, `agg2`) and `user.orders.{instrument_name}.{interval}`;
//!   any other is left out of the answer (the page says only that the result lists what was
//!   subscribed);
//! - `public/set_heartbeat` (`interval` in seconds, at least 10), `public/disable_heartbeat`,
//!   `public/test` (`{"version": …}`), `public/get_time`; anything else -32601.
//!
//! Pushes: every change of an order of the connection's account, ordinary or trigger (an
//! untriggered stop shows `order_state` `untriggered`), in the shape the REST lists use
//! (`wire.rs`, `trigger.rs`), as `{"jsonrpc":"2.0","method":"subscription","params":{"channel",
//! "data"}}`: `data` one order on a `raw` channel, an array on an aggregated one (the simulator
//! sends each change at once; it does not wait out the interval). Nothing is pushed once the
//! key is no longer usable from the connection's address, as REST refuses its token then.
//!
//! Heartbeats: after `public/set_heartbeat` the server sends
//! `{"method":"heartbeat","params":{"type":"test_request"}}` every interval; the page says a
//! connection whose client does not answer with `public/test` is closed at once, without saying
//! how long it waits: the simulator closes it when the answer has not come by the next
//! interval. Without heartbeats no idle limit is documented and none is applied.

use std::net::IpAddr;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::sim::deribit::caller::{invalid_token, usable_key};
use crate::sim::deribit::names;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::{self, RpcError, Timing, code};
use crate::sim::deribit::state::DeribitState;
use crate::sim::deribit::{currencies, login, wire};
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::state::Venue;
use crate::sim::stream::{Out, SimStream, StreamSession};

/// The path Deribit serves its WebSocket API on.
const PATH: &str = "/ws/api/v2";

/// The smallest heartbeat interval `public/set_heartbeat` takes, in seconds.
const MIN_HEARTBEAT_S: f64 = 10.0;

/// The version `public/test` answers (the method page's example).
const VERSION: &str = "1.2.26";

/// The Deribit stream server.
pub(crate) struct DeribitStream;

/// The one instance the dialect hands out.
pub(crate) static STREAM: DeribitStream = DeribitStream;

impl SimStream for DeribitStream {
    fn paths(&self) -> &'static [&'static str] {
        &[PATH]
    }

    fn open(
        &self,
        _v: &mut Venue,
        _path: &str,
        _query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)> {
        Ok(Box::new(Session {
            peer,
            login: None,
            channels: Vec::new(),
            heartbeat: None,
        }))
    }
}

/// Who a connection acts for after `public/auth`.
#[derive(Debug, Clone)]
struct Login {
    client_id: String,
    account: u64,
}

/// The server's heartbeat after `public/set_heartbeat`.
#[derive(Debug, Clone, Copy)]
struct Heartbeat {
    every_ms: i64,
    next_ms: i64,
    /// When the unanswered `test_request` went out.
    awaiting: Option<i64>,
}

/// How a channel batches its pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interval {
    /// One message per change, `data` one order.
    Raw,
    /// `100ms` or `agg2`: `data` an array of orders.
    Aggregated,
}

/// Which orders a subscribed channel carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Filter {
    /// `user.orders.{kind}.{currency}.{interval}`; `None` is `any`.
    KindCurrency {
        kind: Option<String>,
        currency: Option<String>,
    },
    /// `user.orders.{instrument_name}.{interval}`.
    Instrument(String),
}

/// One subscribed channel.
#[derive(Debug, Clone)]
struct Channel {
    name: String,
    filter: Filter,
    interval: Interval,
}

impl Channel {
    /// Reads a `user.orders.…` channel name; `None` for any other channel.
    fn parse(v: &Venue, name: &str) -> Option<Channel> {
        let parts: Vec<&str> = name.split('.').collect();
        let interval = match parts.last().copied()? {
            "raw" => Interval::Raw,
            "100ms" | "agg2" => Interval::Aggregated,
            _ => return None,
        };
        let filter = match parts.as_slice() {
            ["user", "orders", kind, currency, _] => {
                let kind_ok = matches!(
                    *kind,
                    "any"
                        | "future"
                        | "option"
                        | "spot"
                        | "future_combo"
                        | "option_combo"
                        | "combo"
                );
                let currency_ok = *currency == "any" || currencies::is_listed(v, currency);
                if !kind_ok || !currency_ok {
                    return None;
                }
                Filter::KindCurrency {
                    kind: (*kind != "any").then(|| (*kind).to_owned()),
                    currency: (*currency != "any").then(|| (*currency).to_owned()),
                }
            }
            ["user", "orders", instrument, _] => {
                names::find(v, instrument)?;
                Filter::Instrument((*instrument).to_owned())
            }
            _ => return None,
        };
        Some(Channel {
            name: name.to_owned(),
            filter,
            interval,
        })
    }

    fn carries(&self, inst: &Instrument) -> bool {
        match &self.filter {
            Filter::Instrument(name) => names::instrument_name(inst) == *name,
            Filter::KindCurrency { kind, currency } => {
                let currency = currency
                    .clone()
                    .unwrap_or_else(|| names::currency(inst).to_owned());
                names::listed(inst, &currency, kind.as_deref())
            }
        }
    }
}

/// One connection.
struct Session {
    peer: Option<IpAddr>,
    login: Option<Login>,
    channels: Vec<Channel>,
    heartbeat: Option<Heartbeat>,
}

impl StreamSession for Session {
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out> {
        let us_in = super::now_us(v);
        let (id, result) = self.answer(v, text, now_ms);
        let timing = Timing {
            us_in,
            us_out: super::now_us(v),
        };
        let body = match result {
            Ok(value) => reply::ok_envelope(id.as_ref(), value, timing),
            Err(err) => reply::error_envelope(id.as_ref(), &err, timing),
        };
        vec![Out::Text(body.to_string())]
    }

    fn on_change(&mut self, v: &Venue, change: &OrderView, _now_ms: i64) -> Vec<Out> {
        let Some(login) = &self.login else {
            return Vec::new();
        };
        if self.channels.is_empty() || change.uid != login.account || !self.still_allowed(v) {
            return Vec::new();
        }
        let Some((data, inst)) = order_wire(v, change) else {
            return Vec::new();
        };
        self.channels
            .iter()
            .filter(|channel| channel.carries(inst))
            .map(|channel| {
                let data = match channel.interval {
                    Interval::Raw => data.clone(),
                    Interval::Aggregated => json!([data]),
                };
                Out::Text(
                    json!({
                        "jsonrpc": "2.0",
                        "method": "subscription",
                        "params": { "channel": channel.name, "data": data },
                    })
                    .to_string(),
                )
            })
            .collect()
    }

    fn on_tick(&mut self, _v: &Venue, now_ms: i64) -> Vec<Out> {
        let Some(beat) = &mut self.heartbeat else {
            return Vec::new();
        };
        if beat
            .awaiting
            .is_some_and(|sent| now_ms - sent >= beat.every_ms)
        {
            return vec![Out::Close(1000, "test_request not answered".to_owned())];
        }
        if now_ms < beat.next_ms {
            return Vec::new();
        }
        beat.next_ms = now_ms + beat.every_ms;
        beat.awaiting.get_or_insert(now_ms);
        vec![Out::Text(
            json!({
                "jsonrpc": "2.0",
                "method": "heartbeat",
                "params": { "type": "test_request" },
            })
            .to_string(),
        )]
    }
}

impl Session {
    /// One request's `id` and answer.
    fn answer(
        &mut self,
        v: &mut Venue,
        text: &str,
        now_ms: i64,
    ) -> (Option<Value>, Result<Value, RpcError>) {
        let method = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|request| request.get("method")?.as_str().map(str::to_owned));
        let Some(method) = method else {
            return (None, Err(RpcError::new(code::PARSE_ERROR, "Parse error")));
        };
        let params = match Params::from_body(text.as_bytes(), &method) {
            Ok(params) => params,
            Err(err) => return (None, Err(err)),
        };
        let result = match method.as_str() {
            "public/auth" => self.auth(v, &params, now_ms),
            "private/subscribe" => self.subscribe(v, &params, now_ms),
            "public/set_heartbeat" => self.set_heartbeat(&params, now_ms),
            "public/disable_heartbeat" => {
                self.heartbeat = None;
                Ok(json!("ok"))
            }
            "public/test" => {
                if let Some(beat) = &mut self.heartbeat {
                    beat.awaiting = None;
                }
                Ok(json!({ "version": VERSION }))
            }
            "public/get_time" => Ok(json!(now_ms)),
            _ => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
        };
        (params.id, result)
    }

    /// `public/auth`: the REST login; the connection acts for the token's account after it.
    fn auth(&mut self, v: &mut Venue, p: &Params, now_ms: i64) -> Result<Value, RpcError> {
        let answer = login::auth(v, p, self.peer)?;
        let grant = answer
            .get("access_token")
            .and_then(Value::as_str)
            .and_then(|token| {
                v.own
                    .get_mut::<DeribitState>()
                    .tokens
                    .access(token, now_ms)
                    .cloned()
            })
            .ok_or_else(invalid_token)?;
        self.login = Some(Login {
            client_id: grant.client_id,
            account: grant.subject,
        });
        Ok(answer)
    }

    /// `private/subscribe`.
    fn subscribe(&mut self, v: &mut Venue, p: &Params, now_ms: i64) -> Result<Value, RpcError> {
        // A private call over the socket may carry its own token instead of the connection's.
        if let Some(token) = p.string("access_token")? {
            let grant = v
                .own
                .get_mut::<DeribitState>()
                .tokens
                .access(&token, now_ms)
                .cloned()
                .ok_or_else(invalid_token)?;
            self.login = Some(Login {
                client_id: grant.client_id,
                account: grant.subject,
            });
        }
        let Some(login) = &self.login else {
            return Err(RpcError::new(
                code::AUTHORIZATION_REQUIRED,
                "authorization_required",
            ));
        };
        let key = usable_key(v, &login.client_id).ok_or_else(invalid_token)?;
        if !key.ips.allows(self.peer) {
            return Err(RpcError::forbidden("ip_not_whitelisted"));
        }
        let asked = p
            .array("channels")?
            .ok_or_else(|| RpcError::missing("channels"))?;
        let mut subscribed = Vec::new();
        for name in asked {
            let Some(channel) = Channel::parse(v, &name) else {
                continue;
            };
            if !self.channels.iter().any(|c| c.name == channel.name) {
                self.channels.push(channel);
            }
            subscribed.push(name);
        }
        Ok(json!(subscribed))
    }

    /// `public/set_heartbeat`.
    fn set_heartbeat(&mut self, p: &Params, now_ms: i64) -> Result<Value, RpcError> {
        let seconds = p
            .number("interval")?
            .ok_or_else(|| RpcError::missing("interval"))?;
        if !(MIN_HEARTBEAT_S..=86_400.0).contains(&seconds) {
            return Err(RpcError::param("interval", "must be at least 10 seconds"));
        }
        // Whole milliseconds of an interval between 10 s and a day: the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation)]
        let every_ms = (seconds * 1000.0).round() as i64;
        self.heartbeat = Some(Heartbeat {
            every_ms,
            next_ms: now_ms + every_ms,
            awaiting: None,
        });
        Ok(json!("ok"))
    }

    /// Whether the connection's key still reads from its address (REST refuses its token
    /// otherwise).
    fn still_allowed(&self, v: &Venue) -> bool {
        self.login.as_ref().is_some_and(|login| {
            usable_key(v, &login.client_id).is_some_and(|key| key.ips.allows(self.peer))
        })
    }
}

/// The changed order in its wire shape, and its instrument: a book order or a trigger order.
fn order_wire<'v>(v: &'v Venue, change: &OrderView) -> Option<(Value, &'v Instrument)> {
    if let Some(order) = v
        .orders
        .iter()
        .find(|o| o.uid == change.uid && o.order_id == change.order_id)
    {
        let inst = v.instrument(order.category, &order.symbol)?;
        return Some((wire::order(v, order), inst));
    }
    let trigger = v
        .own
        .get::<DeribitState>()?
        .trigger_orders
        .iter()
        .find(|t| t.uid == change.uid && t.order_id == change.order_id)?;
    let inst = v.instrument(trigger.category, &trigger.symbol)?;
    Some((trigger.to_wire(v), inst))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::Sim;

    fn session() -> Session {
        Session {
            peer: Some(IpAddr::from([127, 0, 0, 1])),
            login: None,
            channels: Vec::new(),
            heartbeat: None,
        }
    }

    fn text(out: &[Out]) -> Value {
        match out {
            [Out::Text(text)] => serde_json::from_str(text).unwrap(),
            other => panic!("one text expected, got {other:?}"),
        }
    }

    #[test]
    fn subscribing_needs_a_login_and_heartbeats_close_a_silent_client() {
        let sim = Sim::new(ExchangeId::Deribit, 7);
        let mut v = sim.lock();
        let mut s = session();
        let refused = text(&s.on_text(
            &mut v,
            r#"{"jsonrpc":"2.0","id":3,"method":"private/subscribe","params":{"channels":["user.orders.any.any.raw"]}}"#,
            1_000,
        ));
        assert_eq!(refused["id"], 3);
        assert_eq!(refused["error"]["code"], 10_000);

        let bad = text(&s.on_text(
            &mut v,
            r#"{"jsonrpc":"2.0","id":2,"method":"public/set_heartbeat","params":{"interval":5}}"#,
            1_000,
        ));
        assert_eq!(bad["error"]["code"], -32_602);
        let ok = text(&s.on_text(
            &mut v,
            r#"{"jsonrpc":"2.0","id":2,"method":"public/set_heartbeat","params":{"interval":10}}"#,
            1_000,
        ));
        assert_eq!(ok["result"], "ok");
        assert!(s.on_tick(&v, 10_999).is_empty());
        let request = text(&s.on_tick(&v, 11_000));
        assert_eq!(request["method"], "heartbeat");
        assert_eq!(request["params"]["type"], "test_request");
        // Answered: the next one comes an interval later, and nothing closes.
        let test = text(&s.on_text(
            &mut v,
            r#"{"jsonrpc":"2.0","id":4,"method":"public/test","params":{}}"#,
            12_000,
        ));
        assert_eq!(test["result"]["version"], VERSION);
        assert!(s.on_tick(&v, 20_999).is_empty());
        assert!(matches!(s.on_tick(&v, 21_000).as_slice(), [Out::Text(_)]));
        // Not answered by the next interval: closed.
        assert!(s.on_tick(&v, 30_999).is_empty());
        assert!(matches!(s.on_tick(&v, 31_000).as_slice(), [Out::Close(..)]));

        let unknown = text(&s.on_text(
            &mut v,
            r#"{"jsonrpc":"2.0","id":9,"method":"private/buy","params":{}}"#,
            1,
        ));
        assert_eq!(unknown["error"]["code"], -32_601);
        let garbage = text(&s.on_text(&mut v, "not json", 1));
        assert_eq!(garbage["error"]["code"], -32_700);
    }

    #[test]
    fn channels_parse_as_documented() {
        let sim = Sim::new(ExchangeId::Deribit, 7);
        let v = sim.lock();
        let any = Channel::parse(&v, "user.orders.any.any.raw").unwrap();
        assert_eq!(any.interval, Interval::Raw);
        // A channel of one kind and currency, from an instrument the venue lists.
        let future = v
            .instruments
            .iter()
            .find(|i| names::kind(i) == "future")
            .unwrap();
        let btc = format!("user.orders.future.{}.100ms", names::currency(future));
        let btc = Channel::parse(&v, &btc).unwrap();
        assert_eq!(btc.interval, Interval::Aggregated);
        let one = format!("user.orders.{}.raw", names::instrument_name(future));
        let one = Channel::parse(&v, &one).unwrap();
        for bad in [
            "user.orders.any.any.1s",
            "user.orders.swap.any.raw",
            "user.orders.any.NOPE.raw",
            "user.trades.any.any.raw",
            "user.orders.NOPE-PERPETUAL.raw",
        ] {
            assert!(Channel::parse(&v, bad).is_none(), "{bad}");
        }
        assert!(any.carries(future) && btc.carries(future) && one.carries(future));
        let spot = v
            .instruments
            .iter()
            .find(|i| names::kind(i) == "spot")
            .unwrap();
        assert!(any.carries(spot) && !btc.carries(spot) && !one.carries(spot));
    }
}
