//! The Kraken Spot REST dialect: routes, authentication, envelopes and errors
//! (docs/venues/kraken.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), private methods only, as in the other dialects;
//!    due dead-man switches fire before anything is answered;
//! 1. a path outside `/0/`: HTTP 404; an unknown method under it `EGeneral:Unknown method`;
//!    `/0/public/Time` is answered without a key;
//! 2. private methods are POSTs with a form (or JSON) body; `API-Key` missing or unknown or
//!    deleted: `EAPI:Invalid key`; `API-Sign` missing or not the HMAC-SHA512 of the exact bytes
//!    (`auth.rs`): `EAPI:Invalid signature`; `nonce` missing or not above the key's last
//!    accepted one: `EAPI:Invalid nonce` (an accepted nonce is spent even if a later check fails);
//! 3. the peer (the socket's address, never a header) not on the key's IP allow-list:
//!    `EGeneral:Permission denied` (Kraken documents no string for it, docs/venues/kraken.md §8);
//! 4. the key's call counter (`counter.rs`): `EAPI:Rate limit exceeded`;
//! 5. the method's permission (`route.rs`): `EGeneral:Permission denied`; then the handler:
//!    parameters (`EGeneral:Invalid arguments:<name>`), then venue rules.
//!
//! Kraken has no key-management methods at all (docs/venues/kraken.md §4): the simulator deletes
//! and creates Kraken keys only through `Sim::web_ui_delete_key` / `Sim::web_ui_create_key`, as a
//! person would in the web interface. Handlers are thin: parse, check, call a venue operation,
//! shape the answer. The venue lock is taken once per request after the body is read, and never
//! held across an `.await`. It never imports the client's Kraken code (`exchanges::kraken`).

mod auth;
mod base64;
mod caller;
mod counter;
mod dialect;
mod funding;
mod keys;
mod names;
mod page;
mod params;
mod reply;
mod route;
mod seed;
mod state;
mod stops;
mod stream;
mod trade;
mod wire;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::state::Venue;

use auth::Credentials;
use caller::Caller;
use params::Params;
use reply::KrakenError;
use route::{Found, Route};

pub(crate) use dialect::DIALECT;
use state::KrakenState;

/// Largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is Kraken's own at the front door.
#[derive(Debug)]
pub(crate) struct KrakenDialect;

impl front::Dialect for KrakenDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Kraken;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        matches!(Route::find(&req.path), Found::Route(r) if !r.is_public())
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("api-key")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let now = v.now_ms();
    crate::sim::dead_man::fire(v, now);
    let route = match Route::find(&req.path) {
        Found::Route(route) => route,
        Found::UnknownMethod => return reply::error(&KrakenError::UnknownMethod),
        Found::Elsewhere => return Answer::bare(StatusCode::NOT_FOUND),
    };
    if route.is_public() {
        let rfc1123 = chrono::DateTime::from_timestamp_millis(now)
            .unwrap_or_default()
            .format("%a, %d %b %y %H:%M:%S +0000")
            .to_string();
        return reply::ok(json!({ "unixtime": now / 1000, "rfc1123": rfc1123 }));
    }
    match private(route, v, req, now) {
        Ok(result) => reply::ok(result),
        Err(err) => reply::error(&err),
    }
}

/// Steps 2 to 5 of the pipeline, for a private method.
fn private(
    route: Route,
    v: &mut Venue,
    req: &Incoming,
    now: i64,
) -> Result<serde_json::Value, KrakenError> {
    if req.method != Method::POST {
        return Err(KrakenError::invalid("method"));
    }
    let content_type = req
        .headers
        .get("content-type")
        .and_then(|h| h.to_str().ok());
    let params = Params::parse(content_type, &req.body)?;
    let creds = Credentials::from_headers(&req.headers)?;
    let key = v.live_key(&creds.api_key).ok_or(KrakenError::InvalidKey)?;
    // The nonce's text as sent is what was hashed: a missing one cannot verify either.
    let (nonce_text, nonce) = auth::nonce_of(params.get("nonce"))?;
    if !creds.signature_matches(&key.secret, &req.path, &nonce_text, &req.body) {
        return Err(KrakenError::InvalidSignature);
    }
    let last = v
        .own
        .get::<KrakenState>()
        .and_then(|s| s.last_nonce.get(&key.api_key).copied())
        .unwrap_or(0);
    if nonce <= last {
        return Err(KrakenError::InvalidNonce);
    }
    let allowed = key.ips.allows(req.peer);
    let caller = Caller::from_key(key).at(req.peer);
    v.own
        .get_mut::<KrakenState>()
        .last_nonce
        .insert(caller.api_key.clone(), nonce);
    if !allowed {
        return Err(KrakenError::PermissionDenied);
    }
    if !v
        .own
        .get_mut::<KrakenState>()
        .counter
        .admit(&caller.api_key, route.cost(), now)
    {
        return Err(KrakenError::RateLimit);
    }
    route.permit(&caller)?;
    handle(route, v, &caller, &params)
}

/// Calls the method's handler.
fn handle(
    route: Route,
    v: &mut Venue,
    c: &Caller,
    p: &Params,
) -> Result<serde_json::Value, KrakenError> {
    match route {
        Route::AddOrder => trade::add_order(v, c, p),
        Route::Balance => funding::balance(v, c),
        Route::BalanceEx => funding::balance_ex(v, c),
        Route::CancelAll => trade::cancel_all(v, c),
        Route::CancelAllOrdersAfter => trade::cancel_after(v, c, p),
        Route::CancelOrder => trade::cancel_order(v, c, p),
        Route::AmendOrder => trade::amend_order(v, c, p),
        Route::ClosedOrders => trade::closed_orders(v, c, p),
        Route::DepositStatus => funding::deposit_status(v, c, p),
        Route::GetApiKeyInfo => keys::info(v, c),
        Route::GetWebSocketsToken => stream::token(v, c),
        Route::Ledgers => funding::ledgers(v, c, p),
        Route::OpenOrders => trade::open_orders(v, c, p),
        Route::TradesHistory => trade::trades_history(v, c, p),
        Route::Withdraw => funding::withdraw(v, c, p),
        Route::WithdrawStatus => funding::withdraw_status(v, c, p),
        // Public: answered before authentication.
        Route::Time => Err(KrakenError::UnknownMethod),
    }
}
