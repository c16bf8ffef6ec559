//! The front door every dialect shares: read the request whole, take the venue lock once, draw
//! the seeded faults, run the dialect's pipeline (or not, or run it and hide the answer), log
//! what the client got and what the exchange did, and answer after the configured latency.
//!
//! A dialect only says what is its own (`Dialect`): which exchange it answers as, which requests
//! faults may hit, which key a request names, its pipeline, and the words of its injected 429.
//! Every dialect answers with the same [`Answer`]. The lock is never held across an `.await`.

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::exchanges::ExchangeId;
use crate::sim::Sim;
use crate::sim::access::AccessEntry;
use crate::sim::answer::{Answer, PLAIN_TEXT};
use crate::sim::injector::{Draw, FaultKind, Injected, ShortPage};
use crate::sim::state::Venue;

/// One request, fully read, before the lock is taken.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) peer: Option<IpAddr>,
}

impl Incoming {
    /// The text of header `name`, when present and readable.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    }
}

/// What a venue dialect brings to the front door.
pub(crate) trait Dialect: Send + Sync + 'static {
    /// The exchange whose HTTP API this dialect answers as.
    const EXCHANGE: ExchangeId;

    /// The largest body read; larger requests get HTTP 413.
    const MAX_BODY_BYTES: usize;

    /// Whether faults may hit this request (private endpoints; never the clock, so a client
    /// can always resync).
    fn faultable(req: &Incoming) -> bool;

    /// The key the request names, for the access log (read before the pipeline runs).
    fn key_id(v: &Venue, req: &Incoming) -> Option<String>;

    /// The dialect's pipeline: the answer, whose `code` is the exchange's own verdict.
    fn answer(v: &mut Venue, req: &Incoming) -> Answer;

    /// The answer an injected 429 gives, before the front door adds `Retry-After: 1`: by
    /// default a short text no exchange documents; a dialect whose 429 has its own words
    /// overrides it. Never an answer that reveals anything of the venue.
    fn rate_limited() -> Answer {
        Answer::text(
            StatusCode::TOO_MANY_REQUESTS,
            PLAIN_TEXT,
            "429 Too Many Requests\n".to_owned(),
        )
    }
}

/// Builds a dialect's router: every path goes to one dispatcher, which owns the 404.
pub(crate) fn router<D: Dialect>(sim: Sim) -> Router {
    Router::new().fallback(dispatch::<D>).with_state(sim)
}

/// The front door as an object: what the core's `SimDialect` asks of the HTTP side, given
/// once for every [`Dialect`].
pub(crate) trait FrontDoor {
    /// The exchange this dialect speaks as.
    fn exchange(&self) -> ExchangeId;

    /// Builds the HTTP router on the shared front door; pure, no I/O.
    fn router(&self, sim: Sim) -> Router;
}

impl<D: Dialect> FrontDoor for D {
    fn exchange(&self) -> ExchangeId {
        D::EXCHANGE
    }

    fn router(&self, sim: Sim) -> Router {
        router::<D>(sim)
    }
}

async fn dispatch<D: Dialect>(State(sim): State<Sim>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, D::MAX_BODY_BYTES).await else {
        let latency = sim.lock().injector.faults.latency;
        tokio::time::sleep(latency).await;
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let incoming = Incoming {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts.headers,
        body,
        peer,
    };
    // A test's hold (`hold.rs`) waits before the exchange applies the request, off the lock.
    let line = format!("{} {}", incoming.method, incoming.path);
    let holds = std::sync::Arc::clone(&sim.lock().holds);
    if let Some(held) = holds.arrived(&line) {
        holds.wait(held).await;
    }
    // The whole answer is computed under the lock, synchronously; the latency is slept after.
    let (reply, latency) = {
        let mut venue = sim.lock();
        let reply = answer_with_faults::<D>(&mut venue, &incoming);
        (reply, venue.injector.faults.latency)
    };
    holds.answered(&line);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    reply.into_response()
}

/// Draws the request's faults, runs the pipeline unless a fault stops it first, and logs what
/// the client got and what the exchange did.
fn answer_with_faults<D: Dialect>(v: &mut Venue, req: &Incoming) -> Answer {
    v.peer = req.peer;
    let draw = if D::faultable(req) {
        v.injector.draw()
    } else {
        Draw::default()
    };
    if draw.short_page {
        v.short_page = ShortPage::Armed;
    }
    let key_id = D::key_id(v, req);
    let (sent, ret_code) = match draw.injected {
        Some(injected) => {
            let ret_code = if injected.runs_request() {
                D::answer(v, req).code
            } else {
                None
            };
            (Answer::fault(injected, D::rate_limited), ret_code)
        }
        None => {
            let answer = D::answer(v, req);
            let ret_code = answer.code;
            (answer, ret_code)
        }
    };
    // Whatever the request changed goes out on the private streams (none open: no cost).
    crate::sim::stream::publish(v);
    let (sent, cut) = match v.injector.cut.as_mut() {
        Some(route) => route.apply(req.method.as_str(), &req.path, sent),
        None => (sent, false),
    };
    let shortened = std::mem::take(&mut v.short_page) == ShortPage::Applied;
    let fault = draw
        .injected
        .map(Injected::kind)
        .or(shortened.then_some(FaultKind::ShortPage))
        .or(cut.then_some(FaultKind::CutShort));
    let leaked_key = key_id.as_deref().is_some_and(|k| v.is_leaked_key(k));
    let entry = AccessEntry {
        at_ms: v.now_ms(),
        peer: req.peer,
        key_id,
        method: req.method.as_str().to_owned(),
        path: req.path.clone(),
        http_status: sent.seen_status(),
        ret_code,
        leaked_key,
        fault,
    };
    v.access_log.push(entry);
    sent
}
