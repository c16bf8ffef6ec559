//! The Deribit JSON-RPC v2 dialect over REST: methods, authentication, envelopes, error codes,
//! tokens and sub-account switching, a credit-based rate limit, two-factor challenges, and the
//! account's security log (docs/venues/deribit.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`) for every method but `public/get_time` (so a client
//!    can always resync its clock): 429, 5xx or reset, before or after the steps below, or a
//!    short page; whatever is answered, it is sent only after the configured latency;
//! 1. a path outside `/api/v2/`: HTTP 404; an unknown method: -32601; a body that is not
//!    JSON-RPC: -32700; then the parameters (query of a GET, `params` of a POST);
//! 2. `public/get_time`, `public/get_currencies` (`currencies.rs`), `public/auth`,
//!    `public/exchange_token` answer here (`login.rs`);
//! 3. credentials and the peer address (`caller.rs`): 10000, 13009, 13004, 13021;
//! 4. the account's credits (`credits.rs`): 10028;
//! 5. the method's scope: 13021 with reason `insufficient_scope`;
//! 6. "TFA required" methods, when the simulator requires it (`tfa.rs`): a challenge, 13006,
//!    13009;
//! 7. the handler: its parameters (-32602), then the venue's rules.
//!
//! Handlers are thin: parse, check, call a venue operation, shape the answer. The venue lock is
//! taken once per request after the body is read and never held across an `.await`. This
//! dialect's verification is its own (`auth.rs`); it never imports `exchanges/`.

mod auth;
mod caller;
mod credits;
mod currencies;
mod dialect;
mod keys;
mod login;
mod method;
mod names;
mod params;
mod replay;
mod reply;
mod scope;
mod security_log;
mod seed;
mod short_page;
mod state;
mod stream;
mod tfa;
mod tokens;
mod trade;
mod trigger;
mod wallet;
mod wire;

use axum::http::{Method as HttpMethod, StatusCode};
use serde_json::{Value, json};

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::order::Side;
use crate::sim::state::Venue;

use caller::{Caller, Signed};
use method::{Found, Method};
use params::Params;
use reply::{RpcError, Timing, code};

pub(crate) use dialect::DIALECT;
use state::DeribitState;

/// Largest request body read (docs/venues/deribit.md §8: -32600 above 32 kB).
const MAX_BODY_BYTES: usize = 32 * 1024;

/// What is Deribit's own at the front door.
#[derive(Debug)]
pub(crate) struct DeribitDialect;

impl front::Dialect for DeribitDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Deribit;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        matches!(Method::find(&req.path), Found::Method(m) if m != Method::GetTime)
    }

    fn key_id(v: &Venue, req: &Incoming) -> Option<String> {
        who(v, req)
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }
}

/// The key a request names: its bearer token's, its signature's, or a login's `client_id`.
fn who(v: &Venue, req: &Incoming) -> Option<String> {
    if let Some(header) = req
        .headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
    {
        if let Some(token) = header.strip_prefix("Bearer ") {
            return v
                .own
                .get::<DeribitState>()
                .and_then(|s| s.tokens.holder(token.trim()))
                .map(str::to_owned);
        }
        return auth::HeaderSignature::parse(header).map(|s| s.client_id);
    }
    let params = match req.method {
        HttpMethod::POST => Params::from_body(&req.body, "public/auth").ok(),
        _ => Params::from_query(&req.query).ok(),
    };
    params.and_then(|p| p.string("client_id").ok().flatten())
}

/// The exchange's clock in microseconds.
fn now_us(v: &Venue) -> i64 {
    chrono::Utc::now().timestamp_micros() + v.clock_skew_ms * 1000
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let us_in = now_us(v);
    let timing = |v: &Venue| Timing {
        us_in,
        us_out: now_us(v),
    };
    let method = match Method::find(&req.path) {
        Found::NotApi => return Answer::bare(StatusCode::NOT_FOUND),
        Found::Unknown => {
            let err = RpcError::new(code::METHOD_NOT_FOUND, "Method not found");
            return reply::error(None, &err, timing(v));
        }
        Found::Method(method) => method,
    };
    let params = if req.method == HttpMethod::POST {
        Params::from_body(&req.body, method.name())
    } else {
        Params::from_query(&req.query)
    };
    let params = match params {
        Ok(params) => params,
        Err(err) => return reply::error(None, &err, timing(v)),
    };
    let result = run(v, req, method, &params);
    match result {
        Ok(value) => reply::ok(params.id.as_ref(), value, timing(v)),
        Err(err) => reply::error(params.id.as_ref(), &err, timing(v)),
    }
}

/// Steps 2 to 7 of the pipeline.
fn run(v: &mut Venue, req: &Incoming, method: Method, p: &Params) -> Result<Value, RpcError> {
    if method.is_public() {
        return match method {
            Method::Auth => login::auth(v, p, req.peer),
            Method::ExchangeToken => login::exchange_token(v, p, req.peer),
            Method::GetCurrencies => Ok(currencies::get_currencies(v)),
            _ => Ok(json!(v.now_ms())),
        };
    }
    let signed = Signed {
        method: req.method.as_str(),
        path: &req.path,
        query: &req.query,
        body: &req.body,
    };
    let caller = Caller::authenticate(v, &req.headers, signed, req.peer)?;
    let now = v.now_ms();
    if !v.own.get_mut::<DeribitState>().credits.spend(
        caller.account,
        method.is_matching_engine(),
        now,
    ) {
        return Err(RpcError::new(code::TOO_MANY_REQUESTS, "too_many_requests"));
    }
    if let Some((group, level)) = method.scope()
        && !caller.scope.allows(group, level)
    {
        return Err(RpcError::forbidden("insufficient_scope").because(&format!(
            "insufficient_scope: `{}:{}` required",
            group.as_str(),
            level.as_str()
        )));
    }
    if method.needs_tfa() && v.own.get_mut::<DeribitState>().tfa_required {
        match (p.string("authorization_data")?, p.string("challenge")?) {
            (Some(answer), Some(challenge)) => {
                v.own.get_mut::<DeribitState>().challenges.check(
                    &caller.client_id,
                    &challenge,
                    &answer,
                    now,
                )?;
            }
            _ => {
                let challenge = v
                    .own
                    .get_mut::<DeribitState>()
                    .challenges
                    .issue(&caller.client_id, now);
                return Ok(json!({
                    "security_key_authorization_required": true,
                    "challenge": challenge,
                    "rp_id": "test.deribit.com",
                }));
            }
        }
    }
    handle(method, v, &caller, p)
}

/// Calls the method's handler.
fn handle(method: Method, v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    match method {
        Method::Buy => trade::place(v, c, p, Side::Buy),
        Method::Sell => trade::place(v, c, p, Side::Sell),
        Method::Cancel => trade::cancel(v, c, p),
        Method::Edit => trade::edit(v, c, p),
        Method::CancelAll => trade::cancel_all(v, c, p),
        Method::CancelAllByCurrency => trade::cancel_all_by_currency(v, c, p),
        Method::CreateApiKey => keys::create_api_key(v, c, p),
        Method::DisableApiKey => keys::set_enabled(v, c, p, false),
        Method::EditApiKey => keys::edit_api_key(v, c, p),
        Method::EnableApiKey => keys::set_enabled(v, c, p, true),
        Method::GetAccessLog => security_log::get_access_log(v, c, p),
        Method::GetAccountSummaries => wallet::account_summaries(v, c, p),
        Method::GetAccountSummary => wallet::account_summary(v, c, p),
        Method::GetDeposits => wallet::deposits(v, c, p),
        Method::GetOpenOrders => trade::all_open_orders(v, c, p),
        Method::GetOpenOrdersByCurrency => trade::open_orders(v, c, p),
        Method::GetOrderHistoryByCurrency => trade::order_history(v, c, p),
        Method::GetTransfers => wallet::transfers(v, c, p),
        Method::GetTriggerOrderHistory => trigger::history(v, c, p),
        Method::GetUserTradesByCurrency => trade::user_trades(v, c, p),
        Method::GetWithdrawals => wallet::withdrawals(v, c, p),
        Method::ListApiKeys => keys::list_api_keys(v, c, p),
        Method::RemoveApiKey => keys::remove_api_key(v, c, p),
        Method::Withdraw => wallet::withdraw(v, c, p),
        Method::Auth | Method::ExchangeToken | Method::GetCurrencies | Method::GetTime => {
            Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found"))
        }
    }
}
