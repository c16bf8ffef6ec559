//! The BitMEX REST dialect: routes, authentication, answers and errors (docs/venues/bitmex.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), private routes only, as in the other dialects; due
//!    dead-man switches fire before anything is answered;
//! 1. a path outside `/api/v1`: HTTP 404; an unknown route under it: 404 `Not Found`; the root
//!    `GET /api/v1` answers the server's `timestamp` without a key;
//! 2. `api-key` missing, unknown or deleted: 401 `Invalid API Key.`; `api-expires` missing, not
//!    a number or not after the exchange's clock (Unix seconds): 401 `This request has expired`;
//!    `api-signature` not the hex HMAC-SHA256 of verb, path with query, expires and the exact
//!    body (`auth.rs`): 401 `Signature not valid.`;
//! 3. the peer (the socket's address, never a header) outside the key's CIDR: 401 (BitMEX's
//!    words for it are not documented, docs/venues/bitmex.md §8);
//! 4. the route's permission (`order`, or `orderCancel` for cancels and the switch;
//!    `withdraw`): 403 `Access Denied`; reads need none; then the handler: parameters (400).
//!
//! BitMEX has no key-changing endpoint (docs/venues/bitmex.md §4): `GET /apiKey` lists keys, and
//! the simulator deletes and creates them only through `Sim::web_ui_delete_key` /
//! `Sim::web_ui_create_key`, as a person does in the web interface. Rate limits are not
//! enforced here (the adapter paces under them); injected 429s test the client's waiting. It
//! never imports the client's BitMEX code (`exchanges::bitmex`).

mod account;
mod auth;
mod dialect;
mod names;
mod orders;
mod params;
mod seed;
mod stream;
mod wire;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::state::Venue;

pub(crate) use crate::sim::caller::Caller;
pub(crate) use dialect::DIALECT;
use params::Params;

/// Largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The API's base path.
const BASE: &str = "/api/v1";

/// The permission group a BitMEX key's rights are kept in (`order`, `orderCancel`,
/// `withdraw`).
pub(crate) const PERMS: &str = "bitmex";

/// What is BitMEX's own at the front door.
#[derive(Debug)]
pub(crate) struct BitmexDialect;

impl front::Dialect for BitmexDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Bitmex;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        matches!(route(&req.method, &req.path), Some(r) if r != Route::Root)
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("api-key")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }

    fn rate_limited() -> Answer {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded, retry in 1 seconds.",
        )
    }
}

/// A refusal in BitMEX's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// 400 for a parameter.
    pub(crate) fn invalid(what: &str) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, format!("Invalid {what}"))
    }

    pub(crate) fn access_denied() -> Refusal {
        Refusal::new(StatusCode::FORBIDDEN, "Access Denied")
    }
}

/// `{"error": {"message", "name"}}`.
fn error(status: StatusCode, message: &str) -> Answer {
    let name = if status.is_client_error() {
        "HTTPError"
    } else {
        "Error"
    };
    Answer::json(
        status,
        i64::from(status.as_u16()),
        json!({ "error": { "message": message, "name": name } }),
    )
}

/// One served route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Root,
    GetOrders,
    PlaceOrder,
    AmendOrder,
    CancelOrders,
    CancelAll,
    CancelAllAfter,
    TradeHistory,
    Wallet,
    WalletHistory,
    RequestWithdrawal,
    ApiKeys,
}

/// The route a request names.
fn route(method: &Method, path: &str) -> Option<Route> {
    let rest = path.strip_prefix(BASE)?;
    Some(match (method.as_str(), rest.trim_end_matches('/')) {
        ("GET", "") => Route::Root,
        ("GET", "/order") => Route::GetOrders,
        ("POST", "/order") => Route::PlaceOrder,
        ("PUT", "/order") => Route::AmendOrder,
        ("DELETE", "/order") => Route::CancelOrders,
        ("DELETE", "/order/all") => Route::CancelAll,
        ("POST", "/order/cancelAllAfter") => Route::CancelAllAfter,
        ("GET", "/execution/tradeHistory") => Route::TradeHistory,
        ("GET", "/user/wallet") => Route::Wallet,
        ("GET", "/user/walletHistory") => Route::WalletHistory,
        ("POST", "/user/requestWithdrawal") => Route::RequestWithdrawal,
        ("GET", "/apiKey") => Route::ApiKeys,
        _ => return None,
    })
}

impl Route {
    /// The permissions of which a key needs one; none for reads.
    fn needs(self) -> &'static [&'static str] {
        match self {
            Route::PlaceOrder | Route::AmendOrder => &["order"],
            Route::CancelOrders | Route::CancelAll | Route::CancelAllAfter => {
                &["order", "orderCancel"]
            }
            Route::RequestWithdrawal => &["withdraw"],
            _ => &[],
        }
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let now = v.now_ms();
    crate::sim::dead_man::fire(v, now);
    if !req.path.starts_with(BASE) {
        return Answer::bare(StatusCode::NOT_FOUND);
    }
    let Some(route) = route(&req.method, &req.path) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    if route == Route::Root {
        return Answer::json(
            StatusCode::OK,
            0,
            json!({ "name": "BitMEX API", "version": "1.2.0", "timestamp": now }),
        );
    }
    match private(route, v, req, now) {
        Ok(body) => Answer::json(StatusCode::OK, 0, body),
        Err(refusal) => error(refusal.status, &refusal.message),
    }
}

/// Steps 2 to 4, then the handler.
fn private(route: Route, v: &mut Venue, req: &Incoming, now: i64) -> Result<Value, Refusal> {
    let unauthorized = |m: &str| Refusal::new(StatusCode::UNAUTHORIZED, m);
    let api_key = req
        .header("api-key")
        .ok_or_else(|| unauthorized("Invalid API Key."))?;
    let key = v
        .live_key(api_key.trim())
        .ok_or_else(|| unauthorized("Invalid API Key."))?;
    let expires = req
        .header("api-expires")
        .and_then(|e| e.trim().parse::<i64>().ok())
        .ok_or_else(|| unauthorized("Missing or invalid api-expires header."))?;
    if expires <= now.div_euclid(1000) {
        return Err(unauthorized(&format!(
            "This request has expired - `expires` is in the past. Current time: {}",
            now.div_euclid(1000)
        )));
    }
    let signature = req.header("api-signature").unwrap_or_default();
    let path_and_query = if req.query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{}", req.path, req.query)
    };
    if !auth::signature_matches(
        &key.secret,
        req.method.as_str(),
        &path_and_query,
        expires,
        &req.body,
        &signature,
    ) {
        return Err(unauthorized("Signature not valid."));
    }
    if !key.ips.allows(req.peer) {
        return Err(unauthorized(
            "This IP address is not allowed for this API key.",
        ));
    }
    let needs = route.needs();
    if !needs.is_empty() && !needs.iter().any(|p| key.permissions.has(PERMS, p)) {
        return Err(Refusal::access_denied());
    }
    let caller = Caller::from_key(key, req.peer);
    let params = Params::parse(req)?;
    match route {
        Route::Root => Err(Refusal::invalid("route")),
        Route::GetOrders => orders::list(v, &caller, &params),
        Route::PlaceOrder => orders::place(v, &caller, &params),
        Route::AmendOrder => orders::amend(v, &caller, &params),
        Route::CancelOrders => orders::cancel(v, &caller, &params),
        Route::CancelAll => orders::cancel_all(v, &caller, &params),
        Route::CancelAllAfter => orders::cancel_after(v, &caller, &params),
        Route::TradeHistory => account::trade_history(v, &caller, &params),
        Route::Wallet => account::wallet(v, &caller, &params),
        Route::WalletHistory => account::wallet_history(v, &caller, &params),
        Route::RequestWithdrawal => account::withdraw(v, &caller, &params),
        Route::ApiKeys => account::api_keys(v, &caller),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_permissions() {
        assert_eq!(route(&Method::GET, "/api/v1"), Some(Route::Root));
        assert_eq!(
            route(&Method::DELETE, "/api/v1/order/all"),
            Some(Route::CancelAll)
        );
        assert_eq!(
            route(&Method::POST, "/api/v1/apiKey"),
            None,
            "no key changes by API"
        );
        assert_eq!(route(&Method::DELETE, "/api/v1/apiKey"), None);
        assert_eq!(Route::CancelAll.needs(), ["order", "orderCancel"]);
        assert!(Route::ApiKeys.needs().is_empty());
    }
}
