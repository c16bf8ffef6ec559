//! The Bitget classic (V2) dialect: routes, authentication, envelopes and error codes
//! (docs/venues/bitget.md).
//!
//! Every request goes through one pipeline, in this order (first failure answers):
//! 0. injected faults (`Sim::set_faults`), private routes only, as in the other dialects;
//! 1. unknown method + path: HTTP 404 with `40404`; `GET /api/v2/public/time` answers without a
//!    key;
//! 2. a missing `ACCESS-KEY`, `ACCESS-SIGN`, `ACCESS-TIMESTAMP` or `ACCESS-PASSPHRASE`: `40001`,
//!    `40002`, `40003`, `40011` (CCXT's reading of the codes, docs/venues/bitget.md §8); a
//!    timestamp that is not Unix ms `40005`, more than 30 s from the exchange's clock `40008`;
//! 3. a key never issued `40006`, deleted `40037`; a passphrase that is not the key's `40012`;
//!    a signature not over the exact bytes received (`auth.rs`) `40009`; the peer (the socket's,
//!    never a header) outside the key's IP list `40018`; a frozen sub-account `40013`;
//! 4. the per-UID, per-endpoint limit of the docs: HTTP 429 with `429`;
//! 5. the handler: the route's permission `40014`, then parameters `40034`/`40017`, then the
//!    venue's own refusals (`43012` balance, `43001`/`40768` no such order).
//!
//! Errors are HTTP 400 (429 for the rate limit) in the documented envelope
//! `{code, msg, requestTime, data: null}`. Bitget has no endpoint that deletes a classic
//! sub-account key (docs/venues/bitget.md §4): only `Sim::web_ui_delete_key` does, as a person in
//! the web interface. The UTA (`/api/v3`) family is not modelled and answers 404. It never
//! imports the client's Bitget code (`exchanges::bitget`).

mod account;
mod auth;
mod dialect;
mod orders;
mod params;
mod seed;
mod stream;
mod user;
mod wire;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::exchanges::ExchangeId;
use crate::sim::answer::Answer;
use crate::sim::front::{self, Incoming};
use crate::sim::key::{IpWhitelist, Tier};
use crate::sim::state::Venue;

pub(crate) use crate::sim::caller::Caller;
pub(crate) use dialect::DIALECT;
use params::Params;

/// Largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The permission group a Bitget key's `permList` is kept in.
pub(crate) const PERMS: &str = "bitget";

/// How far `ACCESS-TIMESTAMP` may be from the exchange's clock. Bitget does not publish it
/// (docs/venues/bitget.md §10); 30 s is what a derived third-party page says.
const TIMESTAMP_WINDOW_MS: i64 = 30_000;

/// The dialect's own state: the sub-accounts the master froze.
#[derive(Clone, Debug, Default)]
pub(crate) struct BitgetState {
    pub(crate) frozen: std::collections::BTreeSet<u64>,
}

/// What is Bitget's own at the front door.
#[derive(Debug)]
pub(crate) struct BitgetDialect;

impl front::Dialect for BitgetDialect {
    const EXCHANGE: ExchangeId = ExchangeId::Bitget;
    const MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

    fn faultable(req: &Incoming) -> bool {
        matches!(route(&req.method, &req.path), Some(r) if r != Route::Time)
    }

    fn key_id(_v: &Venue, req: &Incoming) -> Option<String> {
        req.header("access-key")
    }

    fn answer(v: &mut Venue, req: &Incoming) -> Answer {
        answer(v, req)
    }

    fn rate_limited() -> Answer {
        refusal(&Refusal::rate_limited(), 0)
    }
}

/// A refusal in Bitget's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) msg: String,
}

impl Refusal {
    pub(crate) fn new(code: &'static str, msg: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
        }
    }

    /// `40034`: a parameter that is missing or not one Bitget takes.
    pub(crate) fn param(name: &str) -> Refusal {
        Refusal::new("40034", format!("Parameter {name} does not exist"))
    }

    pub(crate) fn permission() -> Refusal {
        Refusal::new("40014", "Incorrect permissions")
    }

    fn rate_limited() -> Refusal {
        Refusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "429",
            msg: "Too Many Requests".to_owned(),
        }
    }
}

/// `{code, msg, requestTime, data: null}`.
fn refusal(r: &Refusal, now: i64) -> Answer {
    Answer::json(
        r.status,
        r.code.parse().unwrap_or(-1),
        json!({ "code": r.code, "msg": r.msg, "requestTime": now, "data": null }),
    )
}

/// `{code: "00000", msg: "success", requestTime, data}`.
fn success(data: Value, now: i64) -> Answer {
    Answer::json(
        StatusCode::OK,
        0,
        json!({ "code": "00000", "msg": "success", "requestTime": now, "data": data }),
    )
}

/// One served route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Time,
    AccountInfo,
    Assets,
    SpotPlace,
    SpotCancel,
    SpotCancelSymbol,
    SpotCancelReplace,
    SpotOpen,
    SpotHistory,
    SpotFills,
    MixPlace,
    MixCancel,
    MixCancelAll,
    MixModify,
    MixPending,
    MixHistory,
    MixFills,
    Withdrawal,
    WithdrawalRecords,
    SubTransfers,
    SubKeyList,
    SubKeyModify,
    SubKeyCreate,
    SubModify,
}

/// The route a request names.
fn route(method: &Method, path: &str) -> Option<Route> {
    Some(match (method.as_str(), path) {
        ("GET", "/api/v2/public/time") => Route::Time,
        ("GET", "/api/v2/spot/account/info") => Route::AccountInfo,
        ("GET", "/api/v2/spot/account/assets") => Route::Assets,
        ("POST", "/api/v2/spot/trade/place-order") => Route::SpotPlace,
        ("POST", "/api/v2/spot/trade/cancel-order") => Route::SpotCancel,
        ("POST", "/api/v2/spot/trade/cancel-symbol-order") => Route::SpotCancelSymbol,
        ("POST", "/api/v2/spot/trade/cancel-replace-order") => Route::SpotCancelReplace,
        ("GET", "/api/v2/spot/trade/unfilled-orders") => Route::SpotOpen,
        ("GET", "/api/v2/spot/trade/history-orders") => Route::SpotHistory,
        ("GET", "/api/v2/spot/trade/fills") => Route::SpotFills,
        ("POST", "/api/v2/mix/order/place-order") => Route::MixPlace,
        ("POST", "/api/v2/mix/order/cancel-order") => Route::MixCancel,
        ("POST", "/api/v2/mix/order/cancel-all-orders") => Route::MixCancelAll,
        ("POST", "/api/v2/mix/order/modify-order") => Route::MixModify,
        ("GET", "/api/v2/mix/order/orders-pending") => Route::MixPending,
        ("GET", "/api/v2/mix/order/orders-history") => Route::MixHistory,
        ("GET", "/api/v2/mix/order/fill-history") => Route::MixFills,
        ("POST", "/api/v2/spot/wallet/withdrawal") => Route::Withdrawal,
        ("GET", "/api/v2/spot/wallet/withdrawal-records") => Route::WithdrawalRecords,
        ("GET", "/api/v2/spot/account/sub-main-trans-record") => Route::SubTransfers,
        ("GET", "/api/v2/user/virtual-subaccount-apikey-list") => Route::SubKeyList,
        ("POST", "/api/v2/user/modify-virtual-subaccount-apikey") => Route::SubKeyModify,
        ("POST", "/api/v2/user/create-virtual-subaccount-apikey") => Route::SubKeyCreate,
        ("POST", "/api/v2/user/modify-virtual-subaccount") => Route::SubModify,
        _ => return None,
    })
}

impl Route {
    /// The `permList` right the route needs (docs/venues/bitget.md §4); reads need none.
    fn needs(self) -> Option<&'static str> {
        match self {
            Route::SpotPlace
            | Route::SpotCancel
            | Route::SpotCancelSymbol
            | Route::SpotCancelReplace => Some("spot_trade"),
            Route::MixPlace | Route::MixCancel | Route::MixCancelAll | Route::MixModify => {
                Some("contract_trade")
            }
            Route::Withdrawal => Some("withdraw"),
            _ => None,
        }
    }

    /// The master's key-management routes: main-account keys bound to an IP address only.
    fn key_admin(self) -> bool {
        matches!(
            self,
            Route::SubKeyList | Route::SubKeyModify | Route::SubKeyCreate | Route::SubModify
        )
    }

    /// The documented limit per UID and second (docs/venues/bitget.md §7).
    fn per_second(self) -> u32 {
        match self {
            Route::Time => 20,
            Route::AccountInfo => 1,
            Route::SpotHistory => 20,
            Route::SpotCancelSymbol | Route::SpotCancelReplace => 5,
            Route::SubKeyList | Route::SubKeyModify | Route::SubKeyCreate | Route::SubModify => 5,
            Route::SpotPlace | Route::SpotCancel | Route::MixPlace | Route::MixCancel => 10,
            _ => 10,
        }
    }
}

/// Runs the pipeline described in the module doc.
fn answer(v: &mut Venue, req: &Incoming) -> Answer {
    let now = v.now_ms();
    crate::sim::dead_man::fire(v, now);
    let Some(route) = route(&req.method, &req.path) else {
        return refusal(
            &Refusal {
                status: StatusCode::NOT_FOUND,
                code: "40404",
                msg: "Request URL NOT FOUND".to_owned(),
            },
            now,
        );
    };
    if route == Route::Time {
        return success(json!({ "serverTime": now.to_string() }), now);
    }
    match private(route, v, req, now) {
        Ok(data) => success(data, now),
        Err(r) => refusal(&r, now),
    }
}

/// Steps 2 to 4, then the handler.
fn private(route: Route, v: &mut Venue, req: &Incoming, now: i64) -> Result<Value, Refusal> {
    let header = |name: &str, code: &'static str, what: &str| {
        req.header(name)
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| Refusal::new(code, format!("{what} cannot be empty")))
    };
    let api_key = header("access-key", "40001", "ACCESS_KEY")?;
    let signature = header("access-sign", "40002", "ACCESS_SIGN")?;
    let timestamp = header("access-timestamp", "40003", "ACCESS_TIMESTAMP")?;
    let passphrase = header("access-passphrase", "40011", "ACCESS_PASSPHRASE")?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refusal::new("40005", "Invalid ACCESS_TIMESTAMP"))?;
    if (ts - now).abs() > TIMESTAMP_WINDOW_MS {
        return Err(Refusal::new("40008", "Request timestamp expired"));
    }
    let Some(key) = v.keys.iter().find(|k| k.api_key == api_key.trim()) else {
        return Err(Refusal::new("40006", "Invalid ACCESS_KEY"));
    };
    if !key.is_live() {
        return Err(Refusal::new("40037", "Apikey does not exist"));
    }
    if !auth::passphrase_matches(key, &passphrase) {
        return Err(Refusal::new("40012", "apikey/password is incorrect"));
    }
    let body: &[u8] = if req.method == Method::POST {
        &req.body
    } else {
        b""
    };
    if !auth::signature_matches(
        &key.secret,
        &timestamp,
        req.method.as_str(),
        &req.path,
        &req.query,
        body,
        &signature,
    ) {
        return Err(Refusal::new("40009", "sign signature error"));
    }
    if !key.ips.allows(req.peer) {
        let ip = req.peer.map(|p| p.to_string()).unwrap_or_default();
        return Err(Refusal::new("40018", format!("Invalid IP {ip}")));
    }
    if v.own
        .get::<BitgetState>()
        .is_some_and(|s| s.frozen.contains(&key.uid))
    {
        return Err(Refusal::new("40013", "User has been frozen"));
    }
    if route.key_admin() {
        if key.tier != Tier::Master {
            return Err(Refusal::permission());
        }
        if matches!(key.ips, IpWhitelist::Any) {
            // Newer copies of the docs: "the API Key needs to be bound to an IP address".
            return Err(Refusal::new(
                "40014",
                "Incorrect permissions: this endpoint needs an API key bound to IP addresses",
            ));
        }
    }
    if let Some(right) = route.needs()
        && !key.permissions.has(PERMS, right)
    {
        return Err(Refusal::permission());
    }
    let caller = Caller::from_key(key, req.peer);
    let verdict = v.limiter.check_window(
        &format!("uid:{}", caller.uid),
        &format!("{} {}", req.method, req.path),
        route.per_second(),
        1_000,
        now,
    );
    if !verdict.admitted {
        return Err(Refusal::rate_limited());
    }
    let p = Params::parse(req)?;
    match route {
        Route::Time => Ok(json!({ "serverTime": now.to_string() })),
        Route::AccountInfo => account::info(v, &caller),
        Route::Assets => account::assets(v, &caller, &p),
        Route::SpotPlace => orders::place(v, &caller, &p, None),
        Route::MixPlace => orders::place(v, &caller, &p, Some(orders::product(&p)?)),
        Route::SpotCancel => orders::cancel(v, &caller, &p, None),
        Route::MixCancel => orders::cancel(v, &caller, &p, Some(orders::product(&p)?)),
        Route::SpotCancelSymbol => orders::cancel_symbol(v, &caller, &p),
        Route::MixCancelAll => orders::cancel_all(v, &caller, &p),
        Route::SpotCancelReplace => orders::replace(v, &caller, &p, None),
        Route::MixModify => orders::replace(v, &caller, &p, Some(orders::product(&p)?)),
        Route::SpotOpen => orders::list(v, &caller, &p, None, true),
        Route::SpotHistory => orders::list(v, &caller, &p, None, false),
        Route::MixPending => orders::list(v, &caller, &p, Some(orders::product(&p)?), true),
        Route::MixHistory => orders::list(v, &caller, &p, Some(orders::product(&p)?), false),
        Route::SpotFills => orders::fills(v, &caller, &p, None),
        Route::MixFills => orders::fills(v, &caller, &p, Some(orders::product(&p)?)),
        Route::Withdrawal => account::withdraw(v, &caller, &p),
        Route::WithdrawalRecords => account::withdrawals(v, &caller, &p),
        Route::SubTransfers => account::transfers(v, &caller, &p),
        Route::SubKeyList => user::list(v, &caller, &p),
        Route::SubKeyModify => user::modify(v, &caller, &p),
        Route::SubKeyCreate => user::create(v, &caller, &p),
        Route::SubModify => user::freeze(v, &caller, &p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_rights() {
        assert_eq!(
            route(&Method::POST, "/api/v2/spot/trade/cancel-symbol-order"),
            Some(Route::SpotCancelSymbol)
        );
        assert_eq!(
            route(&Method::POST, "/api/v3/user/delete-sub-api"),
            None,
            "the UTA family is not modelled"
        );
        assert_eq!(Route::MixCancelAll.needs(), Some("contract_trade"));
        assert_eq!(Route::Withdrawal.needs(), Some("withdraw"));
        assert!(Route::SubKeyModify.key_admin());
        assert!(Route::SpotOpen.needs().is_none());
    }
}
