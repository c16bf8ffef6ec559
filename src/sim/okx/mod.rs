//! The OKX V5 dialect: routes, authentication, envelopes and error codes (reference §4).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), for the private endpoints only, drawn and shaped as in
//!    the Bybit dialect: 429 (before), 5xx or a dropped connection (before or after the request
//!    ran), or a short page; whatever is answered is sent only after the configured latency;
//! 1. unknown method + path: HTTP 404; public `/api/v5/public/time`: answered without auth;
//! 2. an empty auth header: its own code, `50103`/`50106`/`50107`/`50104`; a timestamp not in
//!    the documented shape `50112`; outside 30 s of the server's clock `50102`;
//!    `x-simulated-trading: 1` `50101` (this is the live environment);
//! 3. key never issued `50111`, deleted `50119`; passphrase `50105`; signature over the exact
//!    bytes `50113`; peer IP (the socket's, never a header) not whitelisted `50110`;
//! 4. per-user (each sub-account apart) per-endpoint rate limit `50011` (HTTP 429);
//! 5. the handler: permission (`50120`, `59500`, `50035`, `59504`), then parameters (`50014`,
//!    `51000`), then venue rules, order outcomes per item (`sCode`).
//!
//! Handlers are thin: parse, check, call a venue operation, shape the answer. The venue lock is
//! taken once per request after the body is read, and never held across an `.await`. It never
//! imports the client's OKX code (`exchanges::okx`).

mod asset;
mod auth;
mod caller;
mod inst;
mod page;
mod params;
mod reply;
mod route;
mod seed;
mod trade;
mod user;
mod wire;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::sim::Sim;
use crate::sim::access::AccessEntry;
use crate::sim::injector::{Draw, FaultKind, Injected, ShortPage};
use crate::sim::state::Venue;

use auth::Credentials;
use caller::Caller;
use params::Params;
use reply::{Answer, ApiError, Code, Reply};
use route::Route;

pub(crate) use inst::inst_id;
pub(crate) use seed::seed_keys;

/// Largest request body read; a batch of 20 cancels is about 1 KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the router: every path goes to one dispatcher, which owns the 404.
pub(crate) fn router(sim: Sim) -> Router {
    Router::new().fallback(dispatch).with_state(sim)
}

/// One request, fully read, before the lock is taken.
#[derive(Debug)]
struct Incoming {
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Bytes,
    peer: Option<IpAddr>,
}

async fn dispatch(State(sim): State<Sim>, req: Request) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
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
    // The whole answer is computed under the lock, synchronously; the latency is slept after.
    let (reply, latency) = {
        let mut venue = sim.lock();
        let reply = answer_with_faults(&mut venue, &incoming);
        (reply, venue.injector.faults.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    reply.into_response()
}

/// Draws the request's faults (private endpoints only), runs the pipeline unless a fault stops
/// it first, and logs what the client got and what the exchange did.
fn answer_with_faults(v: &mut Venue, req: &Incoming) -> Reply {
    let private = Route::find(&req.method, &req.path).is_some_and(|r| !r.is_public());
    let draw = if private {
        v.injector.draw()
    } else {
        Draw::default()
    };
    if draw.short_page {
        v.short_page = ShortPage::Armed;
    }
    let (sent, code) = match draw.injected {
        Some(injected) => {
            let code = if injected.runs_request() {
                answer(v, req).code
            } else {
                None
            };
            (Reply::fault(injected), code)
        }
        None => {
            let reply = answer(v, req);
            let code = reply.code;
            (reply, code)
        }
    };
    let shortened = std::mem::take(&mut v.short_page) == ShortPage::Applied;
    let fault = draw
        .injected
        .map(Injected::kind)
        .or(shortened.then_some(FaultKind::ShortPage));
    log(v, req, &sent, code, fault);
    sent
}

/// Records the request in the access log: `sent` is what the client got, `code` the
/// exchange's own verdict.
fn log(v: &mut Venue, req: &Incoming, sent: &Reply, code: Option<i64>, fault: Option<FaultKind>) {
    let key_id = req
        .headers
        .get("ok-access-key")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let leaked_key = key_id.as_deref().is_some_and(|k| v.is_leaked_key(k));
    let entry = AccessEntry {
        at_ms: v.now_ms(),
        peer: req.peer,
        key_id,
        method: req.method.as_str().to_owned(),
        path: req.path.clone(),
        http_status: sent.seen_status(),
        ret_code: code,
        leaked_key,
        fault,
    };
    v.access_log.push(entry);
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Reply {
    let Some(route) = Route::find(&req.method, &req.path) else {
        return Reply::bare(StatusCode::NOT_FOUND);
    };
    let now = v.now_ms();
    if route.is_public() {
        return Reply::ok(json!([{ "ts": now.to_string() }]), None);
    }
    let creds = match Credentials::from_headers(&req.headers) {
        Ok(creds) => creds,
        Err(err) => return Reply::error(&err),
    };
    if !creds.in_window(now) {
        return Reply::error(&ApiError::new(
            Code::TimestampExpired,
            "Timestamp request expired",
        ));
    }
    let demo = req
        .headers
        .get("x-simulated-trading")
        .and_then(|h| h.to_str().ok())
        == Some("1");
    if demo {
        return Reply::error(&ApiError::new(
            Code::WrongEnvironment,
            "APIKey does not match current environment.",
        ));
    }
    let Some(key) = v.keys.iter().find(|k| k.api_key == creds.api_key) else {
        return Reply::error(&ApiError::new(Code::InvalidKey, "Invalid OK-ACCESS-KEY"));
    };
    if !key.is_live() {
        return Reply::error(&ApiError::new(
            Code::KeyDoesNotExist,
            "API key doesn't exist",
        ));
    }
    if !creds.passphrase_matches(key.passphrase.as_ref()) {
        return Reply::error(&ApiError::new(
            Code::PassphraseIncorrect,
            "Request header OK-ACCESS-PASSPHRASE incorrect.",
        ));
    }
    let body: &[u8] = if route.is_post() { &req.body } else { b"" };
    if !creds.signature_matches(
        &key.secret,
        req.method.as_str(),
        &req.path,
        &req.query,
        body,
    ) {
        return Reply::error(&ApiError::new(Code::InvalidSignature, "Invalid signature."));
    }
    if !key.ips.allows(req.peer) {
        let ip = req.peer.map(|p| p.to_string()).unwrap_or_default();
        return Reply::error(&ApiError::new(
            Code::IpNotWhitelisted,
            format!("Your IP {ip} is not included in your API key's IP whitelist."),
        ));
    }
    let caller = Caller::from_key(key);
    let (limit, window_ms) = route.limit();
    // GET and POST `users/subaccount/apikey` are two endpoints with their own limits.
    let verdict = v.limiter.check_window(
        &format!("uid:{}", caller.uid),
        &format!("{} {}", req.method, route.path()),
        limit,
        window_ms,
        now,
    );
    if !verdict.admitted {
        return Reply::error(&ApiError::new(Code::RateLimited, "Too Many Requests"));
    }
    let params = if route.is_post() {
        Params::from_body(&req.body)
    } else {
        Params::from_query(&req.query)
    };
    let gateway_us = route.is_trade().then(|| now * 1000);
    match params.and_then(|p| handle(route, v, &caller, &p)) {
        Ok(answer) => answer.reply(gateway_us),
        Err(err) => Reply::error(&err),
    }
}

/// Calls the endpoint's handler.
fn handle(route: Route, v: &mut Venue, c: &Caller, p: &Params) -> Result<Answer, ApiError> {
    match route {
        Route::AccountBalance => asset::balance(v, c, p),
        Route::AccountConfig => user::config(v, c, p),
        Route::AssetSubaccountBills => asset::sub_bills(v, c, p),
        Route::AssetWithdrawal => asset::withdraw(v, c, p),
        Route::AssetWithdrawalHistory => asset::withdrawals(v, c, p),
        Route::PublicTime => Ok(Answer::Data(json!([{ "ts": v.now_ms().to_string() }]))),
        Route::SubKeyCreate => user::create(v, c, p),
        Route::SubKeyDelete => user::delete(v, c, p),
        Route::SubKeyModify => user::modify(v, c, p),
        Route::SubKeys => user::list(v, c, p),
        Route::TradeCancelBatch => trade::cancel_batch(v, c, p),
        Route::TradeCancelOrder => trade::cancel(v, c, p),
        Route::TradeFills => trade::fills(v, c, p, false),
        Route::TradeFillsHistory => trade::fills(v, c, p, true),
        Route::TradeOrder => trade::order(v, c, p),
        Route::TradeOrdersArchive => trade::history(v, c, p, true),
        Route::TradeOrdersHistory => trade::history(v, c, p, false),
        Route::TradeOrdersPending => trade::pending(v, c, p),
    }
}
