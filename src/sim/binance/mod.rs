//! The Binance dialect: routes, authentication, request weights, bare-JSON answers and
//! `{code, msg}` refusals (docs/venues/binance.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), for the signed endpoints only: 429 (before), 5xx or a
//!    dropped connection (before or after the request ran); short pages are not applied, as
//!    Binance's pages carry no cursor; whatever is answered is sent after the latency; a
//!    planned outage of one path (`Sim::binance_outage`, `outage.rs`) answers 503 first;
//! 1. unknown method + path: HTTP 404; public endpoints (`time`, `exchangeInfo`) go straight to
//!    the weight check (step 5) and are answered without a key;
//! 2. `X-MBX-APIKEY` missing or not 64 letters and digits `-2014`; no live key with that id
//!    `-2008` on SAPI paths, `-2015` elsewhere;
//! 3. the signature over the exact percent-encoded bytes (query then body, `signature` last)
//!    `-1022`; `timestamp` missing `-1102`, `recvWindow` over 60000 `-1131`, outside the window
//!    or a second ahead `-1021`;
//! 4. the peer address (the socket's, never a header) outside the key's IP list `-2015`; a
//!    missing trading flag `-2015`, a master-only endpoint or withdrawal without its flag
//!    `-1002`;
//! 5. request weight per IP and minute (per account UID on UID-weighed SAPI endpoints): over the
//!    limit 429 with `Retry-After`; a client that keeps sending inside that `Retry-After` is
//!    banned, 418 with `Retry-After` (the rule is in `weight.rs`). Authentication comes first,
//!    so a refused key is refused whatever its address's weight (Binance does not document the
//!    order);
//! 6. the handler: parameters (`-1102`, `-1130`, `-1121`, `-1127`, `-1128`), then venue rules.
//!
//! Every counted answer carries its used-weight header. Handlers are thin: parse, check, call a
//! venue operation, shape the answer. It never imports the client's Binance code
//! (`exchanges::binance`) nor any signer.

mod account;
mod algo;
mod auth;
mod broker;
mod caller;
mod dialect;
mod history;
mod keys;
mod market;
mod outage;
mod params;
mod reply;
mod route;
mod seed;
mod state;
mod stream;
mod trade;
mod wallet;
mod weight;
mod wire;

use axum::http::StatusCode;
use serde_json::Value;

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::order::Category;
use crate::sim::state::Venue;

use auth::Signed;
use caller::Caller;
use market::Market;
use params::Params;
use reply::{ApiError, Code};
use route::Route;
use weight::Verdict;

pub(crate) use dialect::DIALECT;
use state::BinanceState;

/// Largest request body read: a form body of a few parameters.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What is Binance's own at the front door.
#[derive(Debug)]
pub(crate) struct BinanceDialect;

impl front::Dialect for BinanceDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Binance;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        Route::find(&req.method, &req.path).is_some_and(|r| !r.is_public())
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("x-mbx-apikey").filter(|k| !k.is_empty())
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        // The futures listen keys: the key header only, no signature (`stream.rs`).
        if let Some(answer) = stream::listen_key(v, req) {
            return answer;
        }
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
    let state = v.own.get_mut::<BinanceState>();
    if let Some(down) = state.outage.as_mut().and_then(|o| o.meet(&req.path)) {
        return down;
    }
    let now = v.now_ms();
    let body = String::from_utf8_lossy(&req.body).into_owned();
    if route.is_public() {
        return weighed(v, req, route, 0, false, |v| Ok(public(route, v)));
    }
    let caller = match authenticate(v, req, &body, route, now) {
        Ok(caller) => caller,
        Err(err) => return reply::error(&err),
    };
    let Some(params) = Params::parse(&req.query, &body) else {
        return reply::error(&ApiError::invalid("query"));
    };
    let has_symbol = params.string("symbol").is_some();
    weighed(v, req, route, caller.uid, has_symbol, |v| {
        handle(route, v, &caller, &params)
    })
}

/// Steps 2 to 4: the key, the signature, the time, the address and the key's flags.
fn authenticate(
    v: &Venue,
    req: &Incoming,
    body: &str,
    route: Route,
    now: i64,
) -> Result<Caller, ApiError> {
    let bad_format = || ApiError::new(Code::BadApiKeyFormat, "API-key format invalid.");
    let api_key = req
        .headers
        .get("x-mbx-apikey")
        .and_then(|h| h.to_str().ok())
        .ok_or_else(bad_format)?;
    if !auth::is_key(api_key) {
        return Err(bad_format());
    }
    let key = v.live_key(api_key).ok_or_else(|| {
        // SAPI names an unknown or deleted key by its own code; the trading hosts fold it into
        // `-2015` with every other refusal (docs/venues/binance.md §8).
        if req.path.starts_with("/sapi/") {
            ApiError::new(Code::InvalidKeyId, "Invalid Api-Key ID.")
        } else {
            ApiError::rejected_key()
        }
    })?;
    let signed = Signed::split(&req.query, body)?;
    if !signed.verifies(&key.secret) {
        return Err(ApiError::new(
            Code::InvalidSignature,
            "Signature for this request is not valid.",
        ));
    }
    let params = Params::parse(&req.query, body).ok_or_else(|| ApiError::invalid("query"))?;
    let timestamp = params
        .int("timestamp")?
        .ok_or_else(|| ApiError::missing("timestamp"))?;
    let recv_window = params
        .int("recvWindow")?
        .unwrap_or(auth::DEFAULT_RECV_WINDOW_MS);
    if !(0..=auth::MAX_RECV_WINDOW_MS).contains(&recv_window) {
        return Err(ApiError::new(
            Code::BadRecvWindow,
            "recvWindow must be less than 60000",
        ));
    }
    if !auth::in_time(timestamp, recv_window, now) {
        let msg = if timestamp >= now + auth::AHEAD_MS {
            "Timestamp for this request was 1000ms ahead of the server's time."
        } else {
            "Timestamp for this request is outside of the recvWindow."
        };
        return Err(ApiError::new(Code::InvalidTimestamp, msg));
    }
    if !key.ips.allows(req.peer) {
        return Err(ApiError::rejected_key());
    }
    let caller = Caller::from_key(key).at(req.peer);
    caller.check(route.needs())?;
    Ok(caller)
}

/// Step 5 and 6: counts the request's weight, then answers it with the used weight.
fn weighed(
    v: &mut Venue,
    req: &Incoming,
    route: Route,
    uid: u64,
    has_symbol: bool,
    run: impl FnOnce(&mut Venue) -> Result<Value, ApiError>,
) -> Answer {
    let now = v.now_ms();
    let meter = route.meter();
    let verdict = v.own.get_mut::<BinanceState>().limits.check(
        req.peer,
        uid,
        meter,
        route.weight(has_symbol),
        now,
    );
    match verdict {
        Verdict::Banned {
            until_ms,
            retry_after_s,
        } => reply::banned(until_ms, retry_after_s),
        Verdict::TooMany { retry_after_s } => reply::too_many(
            v.own.get_mut::<BinanceState>().limits.limit(meter),
            retry_after_s,
        ),
        Verdict::Admitted { header, used } => {
            let answer = match run(v) {
                Ok(body) => reply::ok(body),
                Err(err) => reply::error(&err),
            };
            reply::with_weight(answer, header, used)
        }
    }
}

/// The public endpoints.
fn public(route: Route, v: &Venue) -> Value {
    match route {
        Route::ExchangeInfo => account::exchange_info(v, Category::Spot),
        Route::FuturesExchangeInfo => account::exchange_info(v, Category::Linear),
        _ => account::time(v),
    }
}

/// Calls the endpoint's handler; an account without a margin account answers every margin
/// request `-3003` ("Margin account does not exist.", the margin error codes).
fn handle(route: Route, v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let no_margin = v
        .own
        .get::<BinanceState>()
        .is_some_and(|s| s.without_margin.contains(&c.uid));
    if no_margin && route.is_margin() {
        return Err(ApiError::new(
            Code::NoMarginAccount,
            "Margin account does not exist.",
        ));
    }
    use Market::{CoinM, Options, Spot, UsdM};
    match route {
        Route::Account => account::account(v, c, p),
        Route::AllOrders => history::all_orders(v, c, p, Spot),
        Route::CoinMAllOrders => history::all_orders(v, c, p, CoinM),
        Route::CoinMCancelOrder => trade::cancel(v, c, p, CoinM),
        Route::CoinMCancelSymbol => trade::cancel_symbol(v, c, p, CoinM),
        Route::CoinMIncome => history::income(v, c, p, CoinM),
        Route::CoinMOpenOrders => history::open_orders(v, c, p, CoinM),
        Route::CoinMPlaceOrder => trade::place(v, c, p, CoinM),
        Route::CoinMUserTrades => history::trades(v, c, p, CoinM),
        Route::FundingAsset => wallet::funding(v, c, p),
        Route::MarginAllOrders => history::all_orders(v, c, p, margin(p, true)?),
        Route::MarginCancelOrder => trade::cancel(v, c, p, margin(p, true)?),
        Route::MarginCancelSymbol => trade::cancel_symbol(v, c, p, margin(p, true)?),
        Route::MarginIsolatedAccount => account::isolated_account(v, c, p),
        Route::MarginMyTrades => history::trades(v, c, p, margin(p, true)?),
        Route::MarginOpenOrders => history::open_orders(v, c, p, margin(p, false)?),
        Route::MarginPlaceOrder => trade::place(v, c, p, margin(p, true)?),
        Route::OptionsCancelOrder => trade::cancel(v, c, p, Options),
        Route::OptionsCancelSymbol => trade::cancel_symbol(v, c, p, Options),
        Route::OptionsHistory => history::all_orders(v, c, p, Options),
        Route::OptionsOpenOrders => history::open_orders(v, c, p, Options),
        Route::OptionsPlaceOrder => trade::place(v, c, p, Options),
        Route::OptionsUserTrades => history::trades(v, c, p, Options),
        Route::ApiRestrictions => account::api_restrictions(v, c),
        Route::BrokerKeyCreate => broker::create(v, c, p),
        Route::BrokerKeyDelete => broker::delete(v, c, p),
        Route::BrokerKeyIpGet => broker::ip_get(v, c, p),
        Route::BrokerKeyIpSet => broker::ip_set(v, c, p),
        Route::BrokerKeyPermission => broker::permission(v, c, p),
        Route::BrokerKeys => broker::list(v, c, p),
        Route::BrokerTransfers => wallet::broker_transfers(v, c, p),
        Route::CancelOrder => trade::cancel(v, c, p, Spot),
        Route::AmendKeepPriority => trade::amend_keep_priority(v, c, p),
        Route::CancelSymbol => trade::cancel_symbol(v, c, p, Spot),
        Route::DepositHistory => wallet::deposits(v, c, p),
        Route::ExchangeInfo | Route::FuturesExchangeInfo | Route::FuturesTime | Route::Time => {
            Ok(public(route, v))
        }
        Route::FuturesAlgoOpenOrders => algo::open(v, c, p),
        Route::FuturesAlgoOrder => algo::place(v, c, p),
        Route::FuturesAllOrders => history::all_orders(v, c, p, UsdM),
        Route::FuturesCancelAlgoSymbol => algo::cancel_symbol(v, c, p),
        Route::FuturesCancelOrder => trade::cancel(v, c, p, UsdM),
        Route::FuturesCancelSymbol => trade::cancel_symbol(v, c, p, UsdM),
        Route::FuturesIncome => history::income(v, c, p, UsdM),
        Route::FuturesOpenOrders => history::open_orders(v, c, p, UsdM),
        Route::FuturesPlaceOrder => trade::place(v, c, p, UsdM),
        Route::FuturesUserTrades => history::trades(v, c, p, UsdM),
        Route::MyTrades => history::trades(v, c, p, Spot),
        Route::OpenOrders => history::open_orders(v, c, p, Spot),
        Route::PlaceOrder => trade::place(v, c, p, Spot),
        Route::SubKeyCreate | Route::SubKeyCreateV2 => keys::create(v, c, p),
        Route::SubKeyDelete => keys::delete(v, c, p),
        Route::SubKeyIpDelete => keys::ip_delete(v, c, p),
        Route::SubKeyIpGet => keys::ip_get(v, c, p),
        Route::SubKeyIpSet => keys::ip_set(v, c, p),
        Route::SubKeyPermission => keys::permission(v, c, p),
        Route::SubKeys => keys::list(v, c, p),
        Route::UniversalTransfers => wallet::universal_transfers(v, c, p),
        Route::WithdrawApply => wallet::withdraw(v, c, p),
        Route::WithdrawHistory => wallet::withdrawals(v, c, p),
    }
}

/// The margin account a margin request names: cross by default, isolated with
/// `isIsolated=TRUE`, which needs a `symbol` (`-1102` without one; the other margin endpoints
/// require it anyway, `symbol_always`).
fn margin(p: &Params, symbol_always: bool) -> Result<Market, ApiError> {
    match p.string("isIsolated").as_deref() {
        None | Some("FALSE") => Ok(Market::Margin),
        Some("TRUE") if symbol_always || p.string("symbol").is_some() => Ok(Market::Isolated),
        Some("TRUE") => Err(ApiError::missing("symbol")),
        Some(_) => Err(ApiError::invalid("isIsolated")),
    }
}

/// The email of an account, as Binance names sub-accounts (the session's `account:`).
pub(crate) fn email(v: &Venue, uid: u64) -> String {
    v.own
        .get::<BinanceState>()
        .and_then(|s| s.email(uid))
        .unwrap_or_default()
        .to_owned()
}
