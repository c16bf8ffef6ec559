//! The Bybit V5 dialect: routes, authentication, envelopes and error codes.
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), for the private endpoints only: the seeded draw picks
//!    429, 5xx or reset, each before or after the steps below (429 always before), or arms a
//!    short page; whatever is answered, it is sent only after the configured latency;
//! 1. unknown method + path: HTTP 404; then conditional orders the market has reached fire
//!    (`conditional.rs`); public `/v5/market/time`, `/v5/market/tickers`,
//!    `/v5/market/orderbook` and `/v5/market/instruments-info`: answered without auth and
//!    without a rate limit (`market.rs`);
//! 2. auth headers missing or malformed: HTTP 401, empty body;
//! 3. timestamp outside the window 10002; key unknown or deleted 10003; signature 10004;
//!    key expired 33004; peer IP (the socket's, never a header) not whitelisted 10010;
//! 4. per-key per-endpoint rate limit 10006 (counted, and headers sent, from here on);
//! 5. the handler: permission 10005, then parameters 10001, then venue rules. Where the
//!    permission depends on `category`, a missing or invalid `category` is 10001 first.
//!
//! Handlers are thin: parse, check, call a venue operation, shape the answer. The venue lock is
//! taken once per request after the body is read, and never held across an `.await` (the latency
//! is slept after it is released).

mod asset;
mod auth;
mod caller;
mod conditional;
mod dialect;
mod fund;
mod market;
mod page;
mod params;
mod reply;
mod route;
mod seed;
mod stream;
mod trade;
mod user;
mod wire;

use axum::http::StatusCode;
use serde_json::Value;

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::state::Venue;

use auth::Credentials;
use caller::Caller;
use params::Params;
use reply::{ApiError, RetCode};
use route::Route;

pub(crate) use dialect::DIALECT;

/// Bybit's own state on a venue (`own.rs`).
#[derive(Debug, Default)]
pub(crate) struct BybitState {
    /// Conditional orders, oldest first (`conditional.rs`).
    pub(crate) conditionals: Vec<conditional::Conditional>,
}

/// Largest request body read; Bybit's own bodies are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is Bybit's own at the front door.
#[derive(Debug)]
pub(crate) struct BybitDialect;

impl front::Dialect for BybitDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Bybit;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        Route::find(&req.method, &req.path).is_some_and(|r| !r.is_public())
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("x-bapi-api-key")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }

    fn rate_limited() -> Answer {
        reply::rate_limited()
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let Some(route) = Route::find(&req.method, &req.path) else {
        return Answer::bare(StatusCode::NOT_FOUND);
    };
    // Conditional orders whose trigger the market reached fire before anything is answered.
    conditional::fire_due(v);
    let now = v.now_ms();
    if route.is_public() {
        let result = Params::from_query(&req.query).and_then(|p| handle_public(route, v, &p));
        return match result {
            Ok(value) => reply::ok(value, now),
            Err(err) => reply::error(&err, now),
        };
    }
    let Ok(creds) = Credentials::from_headers(&req.headers) else {
        return Answer::bare(StatusCode::UNAUTHORIZED);
    };
    if !creds.in_window(now) {
        let msg = format!(
            "invalid request, please check your server timestamp or recv_window param. \
             req_timestamp[{}],server_timestamp[{now}],recv_window[{}]",
            creds.timestamp, creds.recv_window
        );
        return reply::error(&ApiError::new(RetCode::TimestampOutOfWindow, msg), now);
    }
    let Some(key) = v.live_key(&creds.api_key) else {
        return reply::error(
            &ApiError::new(RetCode::InvalidApiKey, "API key is invalid."),
            now,
        );
    };
    let payload: &[u8] = if route.is_post() {
        &req.body
    } else {
        req.query.as_bytes()
    };
    if !creds.signature_matches(&key.secret, payload) {
        let msg = format!(
            "error sign! origin_string[{}]",
            String::from_utf8_lossy(&creds.pre_hash(payload))
        );
        return reply::error(&ApiError::new(RetCode::BadSignature, msg), now);
    }
    if key.is_expired(now) {
        return reply::error(
            &ApiError::new(RetCode::KeyExpired, "Your api key has expired."),
            now,
        );
    }
    if !key.ips.allows(req.peer) {
        let msg = "Unmatched IP, please check your API key's bound IP addresses.";
        return reply::error(&ApiError::new(RetCode::UnmatchedIp, msg), now);
    }
    if user::is_frozen(v, key.uid) {
        return reply::error(&user::frozen_refusal(), now);
    }
    let caller = Caller::from_key(key).at(req.peer);
    let params = if route.is_post() {
        Params::from_body(payload)
    } else {
        Params::from_query(&req.query)
    };
    let category = params.as_ref().ok().and_then(Params::category_hint);
    let verdict = v.limiter.check(
        &caller.api_key,
        &route.bucket(category),
        route.limit(category),
        now,
    );
    if !verdict.admitted {
        let err = ApiError::new(
            RetCode::TooManyVisits,
            "Too many visits. Exceeded the API Rate Limit.",
        );
        return reply::with_limit(reply::error(&err, now), verdict);
    }
    let result = params.and_then(|p| handle(route, v, &caller, &p));
    let now = v.now_ms();
    let answer = match result {
        Ok(value) => reply::ok(value, now),
        Err(err) => reply::error(&err, now),
    };
    reply::with_limit(answer, verdict)
}

/// Calls a public endpoint's handler.
fn handle_public(route: Route, v: &Venue, p: &Params) -> Result<Value, ApiError> {
    match route {
        Route::MarketInstrumentsInfo => market::instruments(v, p),
        Route::MarketOrderbook => market::orderbook(v, p),
        Route::MarketTickers => market::tickers(v, p),
        _ => Ok(market::time(v.now_ms())),
    }
}

/// Calls the endpoint's handler.
fn handle(route: Route, v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    match route {
        Route::AccountWalletBalance => asset::wallet_balance(v, c, p),
        Route::AssetTransferList => asset::universal_transfers(v, c, p),
        Route::AssetCoinsBalance => fund::coins_balance(v, c, p),
        Route::AssetInterTransfer => fund::create_internal(v, c, p),
        Route::AssetInterTransferList => fund::internal_transfers(v, c, p),
        Route::AssetWithdrawCreate => asset::withdraw_create(v, c, p),
        Route::AssetWithdrawRecord => asset::withdraw_records(v, c, p),
        Route::ExecutionList => trade::executions(v, c, p),
        Route::MarketInstrumentsInfo
        | Route::MarketOrderbook
        | Route::MarketTickers
        | Route::MarketTime => handle_public(route, v, p),
        Route::OrderCancel => trade::cancel(v, c, p),
        Route::OrderAmend => trade::amend(v, c, p),
        Route::OrderCancelAll => trade::cancel_all(v, c, p),
        Route::OrderCreate => trade::create(v, c, p),
        Route::OrderHistory => trade::history(v, c, p),
        Route::OrderRealtime => trade::realtime(v, c, p),
        Route::UserCreateSubApi => user::create_sub_api(v, c, p),
        Route::UserDeleteApi => user::delete_api(v, c, p),
        Route::UserDeleteSubApi => user::delete_sub_api(v, c, p),
        Route::UserQueryApi => user::query_api(v, c, p),
        Route::UserSubApiKeys => user::sub_apikeys(v, c, p),
        Route::UserUpdateSubApi => user::update_sub_api(v, c, p),
        Route::UserFrozenSubMember => user::frozen_sub_member(v, c, p),
    }
}
