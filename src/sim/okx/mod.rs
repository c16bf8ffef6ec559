//! The OKX V5 dialect: routes, authentication, envelopes and error codes (docs/venues/okx.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), for the private endpoints only, drawn and shaped as in
//!    the Bybit dialect: 429 (before), 5xx or a dropped connection (before or after the request
//!    ran), or a short page; whatever is answered is sent only after the configured latency;
//!    due dead-man switches (`cancel-all-after`, `sim/dead_man.rs`) fire before anything is
//!    answered;
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

pub(crate) mod algo;
mod asset;
mod auth;
mod caller;
mod dialect;
mod inst;
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
use serde_json::json;

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::own::OwnStates;
use crate::sim::state::Venue;

use auth::Credentials;
use caller::Caller;
use params::Params;
use reply::{ApiError, Code, Outcome};
use route::Route;

pub(crate) use dialect::DIALECT;

/// The OKX dialect's own state.
#[derive(Clone, Debug, Default)]
pub(crate) struct OkxState {
    /// Algo orders (trigger, conditional, OCO, trailing), oldest first (`algo.rs`).
    pub(crate) algo_orders: Vec<algo::AlgoOrder>,
    /// Each account's funding account (UID to coin to amount), apart from the trading account
    /// the shared venue models: `asset/balances` shows it, `account/balance` does not.
    pub(crate) funding: std::collections::BTreeMap<u64, std::collections::BTreeMap<String, f64>>,
    /// The orders and algo orders placed on margin (a spot pair traded in `cross` or
    /// `isolated`), by id: OKX lists them under `instType` `MARGIN`, not `SPOT`.
    pub(crate) margin: std::collections::BTreeSet<String>,
}

/// The venue's OKX algo orders, oldest first; none before one is placed or seeded.
pub(crate) fn algo_orders(own: &OwnStates) -> &[algo::AlgoOrder] {
    own.get::<OkxState>().map_or(&[], |s| &s.algo_orders)
}

/// Largest request body read; a batch of 20 cancels is about 1 KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is OKX's own at the front door.
#[derive(Debug)]
pub(crate) struct OkxDialect;

impl front::Dialect for OkxDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Okx;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        Route::find(&req.method, &req.path).is_some_and(|r| !r.is_public())
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("ok-access-key")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let now = v.now_ms();
    crate::sim::dead_man::fire(v, now);
    let Some(route) = Route::find(&req.method, &req.path) else {
        return Answer::bare(StatusCode::NOT_FOUND);
    };
    if route.is_public() {
        return reply::ok(json!([{ "ts": now.to_string() }]), None);
    }
    let creds = match Credentials::from_headers(&req.headers) {
        Ok(creds) => creds,
        Err(err) => return reply::error(&err),
    };
    if !creds.in_window(now) {
        return reply::error(&ApiError::new(
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
        return reply::error(&ApiError::new(
            Code::WrongEnvironment,
            "APIKey does not match current environment.",
        ));
    }
    let Some(key) = v.keys.iter().find(|k| k.api_key == creds.api_key) else {
        return reply::error(&ApiError::new(Code::InvalidKey, "Invalid OK-ACCESS-KEY"));
    };
    if !key.is_live() {
        return reply::error(&ApiError::new(
            Code::KeyDoesNotExist,
            "API key doesn't exist",
        ));
    }
    if !creds.passphrase_matches(key.passphrase.as_ref()) {
        return reply::error(&ApiError::new(
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
        return reply::error(&ApiError::new(Code::InvalidSignature, "Invalid signature."));
    }
    if !key.ips.allows(req.peer) {
        let ip = req.peer.map(|p| p.to_string()).unwrap_or_default();
        return reply::error(&ApiError::new(
            Code::IpNotWhitelisted,
            format!("Your IP {ip} is not included in your API key's IP whitelist."),
        ));
    }
    let caller = Caller::from_key(key).at(req.peer);
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
        return reply::error(&ApiError::new(Code::RateLimited, "Too Many Requests"));
    }
    let params = if route.is_post() {
        Params::from_body(&req.body)
    } else {
        Params::from_query(&req.query)
    };
    let gateway_us = route.is_trade().then(|| now * 1000);
    match params.and_then(|p| handle(route, v, &caller, &p)) {
        Ok(outcome) => outcome.answer(gateway_us),
        Err(err) => reply::error(&err),
    }
}

/// Calls the endpoint's handler.
fn handle(route: Route, v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    match route {
        Route::AccountBalance => asset::balance(v, c, p),
        Route::AccountConfig => user::config(v, c, p),
        Route::AssetBalances => asset::funding(v, c, p),
        Route::AssetSubaccountBills => asset::sub_bills(v, c, p),
        Route::AssetWithdrawal => asset::withdraw(v, c, p),
        Route::AssetWithdrawalHistory => asset::withdrawals(v, c, p),
        Route::PublicTime => Ok(Outcome::Data(json!([{ "ts": v.now_ms().to_string() }]))),
        Route::SubKeyCreate => user::create(v, c, p),
        Route::SubKeyDelete => user::delete(v, c, p),
        Route::SubKeyModify => user::modify(v, c, p),
        Route::SubKeys => user::list(v, c, p),
        Route::TradeCancelAlgos => algo::cancel(v, c, p),
        Route::TradeCancelAllAfter => trade::cancel_all_after(v, c, p),
        Route::TradeCancelBatch => trade::cancel_batch(v, c, p),
        Route::TradeCancelOrder => trade::cancel(v, c, p),
        Route::TradeAmendOrder => trade::amend(v, c, p),
        Route::TradeFills => trade::fills(v, c, p, false),
        Route::TradeFillsHistory => trade::fills(v, c, p, true),
        Route::TradeOrder => trade::order(v, c, p),
        Route::TradeOrderAlgo => algo::place(v, c, p),
        Route::TradeOrdersAlgoHistory => algo::history(v, c, p),
        Route::TradeOrdersAlgoPending => algo::pending(v, c, p),
        Route::TradeOrdersArchive => trade::history(v, c, p, true),
        Route::TradeOrdersHistory => trade::history(v, c, p, false),
        Route::TradeOrdersPending => trade::pending(v, c, p),
    }
}
