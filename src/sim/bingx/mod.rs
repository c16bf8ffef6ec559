//! The BingX REST dialect: routes, authentication, answers and errors (docs/venues/bingx.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), private routes only; due dead-man switches (spot and
//!    USDT-M apart, `own.rs`) fire before anything is answered;
//! 1. an unknown route: HTTP 404; the two server-time routes answer without a key;
//! 2. `X-BX-APIKEY` missing (`100413` "Null apiKey"), unknown or deleted (`100413` "Incorrect
//!    apiKey"); `timestamp` missing or outside `recvWindow` (default 5000 ms, at most 60000)
//!    of the exchange's clock (`100421`); `signature` missing (`100412`) or not the hex
//!    HMAC-SHA256 of the parameters exactly as sent (`auth.rs`, `100001`); the private stream's
//!    listen key (`stream.rs`) is also handed out for the key's header alone, as its docs show;
//! 3. the peer (the socket's address, never a header) outside the key's IP whitelist (`100419`);
//!    a frozen sub-account's key (`100414`, the account is abnormal);
//! 4. the route's permission code (`1` spot trading, `2` read, `3` perpetual futures trading,
//!    `5` withdraw; the sub-account routes need a master key that may manage sub-accounts):
//!    `100004`; then the handler's parameters (`100400`).
//!
//! Business errors answer HTTP 200 with the code in the envelope `{code, msg, timestamp,
//! data}`, as CCXT reads BingX; a rate limit answers HTTP 429 with `100410`. Rate limits are not
//! enforced here (the adapter paces under them). Master-account keys have no API: the simulator
//! deletes and creates them only through `Sim::web_ui_delete_key` / `Sim::web_ui_create_key`,
//! as a person does in the web interface. It never imports the client's BingX code.

mod account;
mod auth;
mod dialect;
mod keys;
mod names;
mod orders;
mod params;
mod seed;
mod stream;
mod switch;
mod wire;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::key::Tier;
use crate::sim::state::Venue;

pub(crate) use crate::sim::caller::Caller;
pub(crate) use dialect::DIALECT;
use params::Params;

/// Largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The permission group a BingX key's codes are kept in (`"1"`, `"2"`, …).
pub(crate) const PERMS: &str = "bingx";

/// The right to manage sub-accounts and their keys ("Manage Subaccounts" in the docs; which
/// number it has is not documented): only master keys hold it.
pub(crate) const MANAGE_SUBS: &str = "manageSubAccounts";

/// The default and largest `recvWindow` (docs/venues/bingx.md §2).
const DEFAULT_RECV_WINDOW_MS: i64 = 5_000;
const MAX_RECV_WINDOW_MS: i64 = 60_000;

/// What is BingX's own at the front door.
#[derive(Debug)]
pub(crate) struct BingxDialect;

impl front::Dialect for BingxDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Bingx;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        matches!(route(&req.method, &req.path), Some(r) if !r.is_public())
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("x-bx-apikey")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }

    fn rate_limited() -> Answer {
        Answer::json(
            StatusCode::TOO_MANY_REQUESTS,
            100_410,
            json!({ "code": 100410, "msg": "rate limited", "timestamp": 0 }),
        )
    }
}

/// A refusal: BingX's code and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: i64,
    pub(crate) msg: String,
}

impl Refusal {
    pub(crate) fn new(code: i64, msg: impl Into<String>) -> Refusal {
        Refusal {
            code,
            msg: msg.into(),
        }
    }

    /// `100400` for a parameter.
    pub(crate) fn invalid(what: &str) -> Refusal {
        Refusal::new(100_400, format!("Invalid parameter: {what}"))
    }

    /// `100004`: the key lacks the permission.
    pub(crate) fn denied(why: &str) -> Refusal {
        Refusal::new(
            100_004,
            format!("Permission denied as the API key was created without the permission: {why}"),
        )
    }
}

/// The envelope around a handler's `data`.
fn ok(now: i64, data: Value) -> Answer {
    Answer::json(
        StatusCode::OK,
        0,
        json!({ "code": 0, "msg": "", "debugMsg": "", "timestamp": now, "data": data }),
    )
}

fn refused(now: i64, r: &Refusal) -> Answer {
    Answer::json(
        StatusCode::OK,
        r.code,
        json!({ "code": r.code, "msg": r.msg, "timestamp": now }),
    )
}

/// Which product an order route acts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Product {
    /// `/openApi/spot/*`.
    Spot,
    /// `/openApi/swap/*`: USDT-M perpetuals.
    Swap,
    /// `/openApi/cswap/*`: coin-M perpetuals.
    Cswap,
}

/// One served route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    ServerTime,
    PlaceOrder(Product),
    CancelOrder(Product),
    CancelAll(Product),
    OpenOrders(Product),
    OrderHistory(Product),
    CancelAllAfter(Product),
    SpotBalance,
    Withdraw,
    WithdrawHistory,
    ApiPermissions,
    Uid,
    ApiKeyQuery,
    SubList,
    SubKeyCreate,
    SubKeyEdit,
    SubKeyDelete,
    SubFreeze,
    /// The private stream's listen key (`stream.rs`).
    ListenKey(stream::ListenKeyCall),
}

/// The route a request names.
fn route(method: &Method, path: &str) -> Option<Route> {
    use Product::{Cswap, Spot, Swap};
    use stream::ListenKeyCall;
    Some(match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/openApi/swap/v2/server/time" | "/openApi/spot/v1/server/time") => {
            Route::ServerTime
        }
        ("POST", "/openApi/spot/v1/trade/order") => Route::PlaceOrder(Spot),
        ("POST", "/openApi/swap/v2/trade/order") => Route::PlaceOrder(Swap),
        ("POST", "/openApi/cswap/v1/trade/order") => Route::PlaceOrder(Cswap),
        ("POST", "/openApi/spot/v1/trade/cancel") => Route::CancelOrder(Spot),
        ("DELETE", "/openApi/swap/v2/trade/order") => Route::CancelOrder(Swap),
        ("DELETE", "/openApi/cswap/v1/trade/cancelOrder") => Route::CancelOrder(Cswap),
        ("POST", "/openApi/spot/v1/trade/cancelOpenOrders") => Route::CancelAll(Spot),
        ("DELETE", "/openApi/swap/v2/trade/allOpenOrders") => Route::CancelAll(Swap),
        // The docs say POST; CCXT sends DELETE ("post method in doc"): both are served.
        ("POST" | "DELETE", "/openApi/cswap/v1/trade/allOpenOrders") => Route::CancelAll(Cswap),
        ("GET", "/openApi/spot/v1/trade/openOrders") => Route::OpenOrders(Spot),
        ("GET", "/openApi/swap/v2/trade/openOrders") => Route::OpenOrders(Swap),
        ("GET", "/openApi/cswap/v1/trade/openOrders") => Route::OpenOrders(Cswap),
        ("GET", "/openApi/spot/v1/trade/historyOrders") => Route::OrderHistory(Spot),
        ("GET", "/openApi/swap/v2/trade/allOrders") => Route::OrderHistory(Swap),
        ("GET", "/openApi/cswap/v1/trade/orderHistory") => Route::OrderHistory(Cswap),
        ("POST", "/openApi/spot/v1/trade/cancelAllAfter") => Route::CancelAllAfter(Spot),
        ("POST", "/openApi/swap/v2/trade/cancelAllAfter") => Route::CancelAllAfter(Swap),
        ("GET", "/openApi/spot/v1/account/balance") => Route::SpotBalance,
        ("POST", "/openApi/wallets/v1/capital/withdraw/apply") => Route::Withdraw,
        ("GET", "/openApi/api/v3/capital/withdraw/history") => Route::WithdrawHistory,
        ("GET", "/openApi/v1/account/apiPermissions") => Route::ApiPermissions,
        ("GET", "/openApi/account/v1/uid") => Route::Uid,
        ("GET", "/openApi/account/v1/apiKey/query") => Route::ApiKeyQuery,
        ("GET", "/openApi/subAccount/v1/list") => Route::SubList,
        ("POST", "/openApi/subAccount/v1/apiKey/create") => Route::SubKeyCreate,
        ("POST", "/openApi/subAccount/v1/apiKey/edit") => Route::SubKeyEdit,
        ("POST", "/openApi/subAccount/v1/apiKey/del") => Route::SubKeyDelete,
        ("POST", "/openApi/subAccount/v1/updateStatus") => Route::SubFreeze,
        ("POST", "/openApi/user/auth/userDataStream") => Route::ListenKey(ListenKeyCall::Create),
        ("PUT", "/openApi/user/auth/userDataStream") => Route::ListenKey(ListenKeyCall::Extend),
        ("DELETE", "/openApi/user/auth/userDataStream") => Route::ListenKey(ListenKeyCall::Delete),
        _ => return None,
    })
}

/// What a route needs of the signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// Permission code `2`.
    Read,
    /// This permission code.
    Code(&'static str),
    /// A master key that manages sub-accounts.
    MasterAdmin,
    /// A master key with `2` (the sub-account reads "must be main account").
    MasterRead,
}

impl Route {
    fn is_public(self) -> bool {
        self == Route::ServerTime
    }

    /// The permission the docs give each route (its "API KEY permission" line).
    fn needs(self) -> Needs {
        match self {
            Route::PlaceOrder(p) | Route::CancelOrder(p) | Route::CancelAll(p) => trade(p),
            Route::CancelAllAfter(p) => trade(p),
            Route::Withdraw => Needs::Code("5"),
            Route::ApiKeyQuery | Route::SubList => Needs::MasterRead,
            Route::SubKeyCreate | Route::SubKeyEdit | Route::SubKeyDelete | Route::SubFreeze => {
                Needs::MasterAdmin
            }
            _ => Needs::Read,
        }
    }
}

fn trade(p: Product) -> Needs {
    match p {
        Product::Spot => Needs::Code("1"),
        Product::Swap | Product::Cswap => Needs::Code("3"),
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let now = v.now_ms();
    switch::fire(v, now);
    let Some(route) = route(&req.method, &req.path) else {
        return Answer::bare(StatusCode::NOT_FOUND);
    };
    if route == Route::ServerTime {
        return ok(now, json!({ "serverTime": now }));
    }
    match private(route, v, req, now) {
        // The docs' example of the withdrawal history is a bare array, without the envelope.
        Ok(data) if route == Route::WithdrawHistory => Answer::json(StatusCode::OK, 0, data),
        // The listen key's answer is bare too (`{"listenKey": …}`); an unknown one is HTTP 404.
        Ok(data) if matches!(route, Route::ListenKey(_)) => Answer::json(StatusCode::OK, 0, data),
        Err(r) if r.code == stream::UNKNOWN_LISTEN_KEY => Answer::bare(StatusCode::NOT_FOUND),
        Ok(data) => ok(now, data),
        Err(refusal) => refused(now, &refusal),
    }
}

/// Steps 2 to 4, then the handler.
fn private(route: Route, v: &mut Venue, req: &Incoming, now: i64) -> Result<Value, Refusal> {
    let api_key = req
        .header("x-bx-apikey")
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Refusal::new(100_413, "Null apiKey"))?;
    let key = v
        .live_key(&api_key)
        .ok_or_else(|| Refusal::new(100_413, "Incorrect apiKey"))?;
    let params = Params::parse(req)?;
    let timestamp = params
        .text("timestamp")
        .and_then(|t| t.trim().parse::<i64>().ok());
    let window = match params.text("recvWindow") {
        None => DEFAULT_RECV_WINDOW_MS,
        Some(w) => match w.trim().parse::<f64>() {
            // `recvWindow=0` (the docs' signing example) falls back to the default.
            Ok(0.0) => DEFAULT_RECV_WINDOW_MS,
            Ok(w) if w > 0.0 && w <= MAX_RECV_WINDOW_MS as f64 => w as i64,
            _ => return Err(Refusal::invalid("recvWindow")),
        },
    };
    let mismatch = || {
        Refusal::new(
            100_421,
            "Null timestamp or timestamp mismatch, try to run our sample code",
        )
    };
    // The listen key's docs send only the key's header: its time and signature are checked
    // when they come (its error list names the timestamp's codes).
    let header_only =
        matches!(route, Route::ListenKey(_)) && timestamp.is_none() && params.signature().is_none();
    if !header_only {
        let timestamp = timestamp.ok_or_else(mismatch)?;
        if now - timestamp > window || timestamp - now > DEFAULT_RECV_WINDOW_MS {
            return Err(mismatch());
        }
        let Some(signature) = params.signature() else {
            return Err(Refusal::new(100_412, "Null signature"));
        };
        if !auth::signature_matches(&key.secret, req, &signature) {
            return Err(Refusal::new(100_001, "Signature verification failed"));
        }
    }
    if !key.ips.allows(req.peer) {
        return Err(Refusal::new(
            100_419,
            "IP does not match IP whitelist , please go to https://bingx.com/en/account/api/ to verify the ip you have set",
        ));
    }
    if keys::is_frozen(v, key.uid) {
        return Err(Refusal::new(
            100_414,
            "The account is abnormal, please contact customer service.",
        ));
    }
    let has = |code: &str| key.permissions.has(PERMS, code);
    match route.needs() {
        Needs::Read if !has("2") => return Err(Refusal::denied("read (2)")),
        Needs::Code(code) if !has(code) => return Err(Refusal::denied(code)),
        Needs::MasterRead | Needs::MasterAdmin if key.tier != Tier::Master => {
            return Err(Refusal::denied("the signing user must be the main account"));
        }
        Needs::MasterAdmin if !has(MANAGE_SUBS) => {
            return Err(Refusal::denied("Manage Subaccounts"));
        }
        _ => {}
    }
    let caller = Caller::from_key(key, req.peer);
    match route {
        Route::ServerTime => Err(Refusal::invalid("route")),
        Route::PlaceOrder(p) => orders::place(v, &caller, p, &params),
        Route::CancelOrder(p) => orders::cancel(v, &caller, p, &params),
        Route::CancelAll(p) => orders::cancel_all(v, &caller, p, &params),
        Route::OpenOrders(p) => orders::open(v, &caller, p, &params),
        Route::OrderHistory(p) => orders::history(v, &caller, p, &params),
        Route::CancelAllAfter(p) => switch::cancel_all_after(v, &caller, p, &params),
        Route::SpotBalance => account::spot_balance(v, &caller),
        Route::Withdraw => account::withdraw(v, &caller, &params),
        Route::WithdrawHistory => account::withdraw_history(v, &caller, &params),
        Route::ApiPermissions => keys::api_permissions(v, &caller),
        Route::Uid => Ok(json!({ "uid": caller.uid })),
        Route::ApiKeyQuery => keys::query(v, &caller, &params),
        Route::SubList => keys::sub_list(v, &caller, &params),
        Route::SubKeyCreate => keys::create(v, &caller, &params),
        Route::SubKeyEdit => keys::edit(v, &caller, &params),
        Route::SubKeyDelete => keys::delete(v, &caller, &params),
        Route::SubFreeze => keys::freeze(v, &caller, &params),
        Route::ListenKey(call) => {
            stream::listen_key(v, &caller, call, params.text("listenKey").as_deref(), now)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_permissions() {
        assert_eq!(
            route(&Method::GET, "/openApi/swap/v2/server/time"),
            Some(Route::ServerTime)
        );
        assert_eq!(
            route(&Method::DELETE, "/openApi/swap/v2/trade/allOpenOrders"),
            Some(Route::CancelAll(Product::Swap))
        );
        assert_eq!(
            route(&Method::POST, "/openApi/cswap/v1/trade/allOpenOrders"),
            Some(Route::CancelAll(Product::Cswap))
        );
        assert_eq!(route(&Method::GET, "/openApi/spot/v1/trade/cancel"), None);
        assert_eq!(Route::CancelAll(Product::Spot).needs(), Needs::Code("1"));
        assert_eq!(Route::CancelAll(Product::Cswap).needs(), Needs::Code("3"));
        assert_eq!(Route::SubKeyEdit.needs(), Needs::MasterAdmin);
        assert_eq!(Route::SpotBalance.needs(), Needs::Read);
    }
}
