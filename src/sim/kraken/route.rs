//! The Kraken Spot methods the simulator serves, the permission each needs and what each costs
//! on the key's call counter (docs/venues/kraken.md §4–§7; each method's page names its
//! permission).
//!
//! Private methods are `POST /0/private/<Method>`; an unknown method under `/0/` is
//! `EGeneral:Unknown method`, anything else HTTP 404. The time is public (`GET` or `POST`).

use crate::sim::kraken::caller::Caller;
use crate::sim::kraken::reply::KrakenError;

/// One served method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    AddOrder,
    AmendOrder,
    Balance,
    BalanceEx,
    CancelAll,
    CancelAllOrdersAfter,
    CancelOrder,
    ClosedOrders,
    DepositStatus,
    GetApiKeyInfo,
    GetWebSocketsToken,
    Ledgers,
    OpenOrders,
    Time,
    TradesHistory,
    Withdraw,
    WithdrawStatus,
}

/// (route, method name, permissions of which one is needed, counter cost).
const TABLE: &[(Route, &str, &[&str], f64)] = &[
    (Route::AddOrder, "AddOrder", &["modify-trades"], 0.0),
    (Route::Balance, "Balance", &["query-funds"], 1.0),
    (Route::BalanceEx, "BalanceEx", &["query-funds"], 1.0),
    (
        Route::CancelAll,
        "CancelAll",
        &["modify-trades", "close-trades"],
        1.0,
    ),
    (
        Route::CancelAllOrdersAfter,
        "CancelAllOrdersAfter",
        &["modify-trades", "close-trades"],
        1.0,
    ),
    (
        Route::CancelOrder,
        "CancelOrder",
        &["modify-trades", "close-trades"],
        0.0,
    ),
    // "Orders and trades - Create & modify orders" or "Cancel & close orders" (Kraken docs,
    // "Amend Order"); counted by the trading engine, like the cancels.
    (
        Route::AmendOrder,
        "AmendOrder",
        &["modify-trades", "close-trades"],
        0.0,
    ),
    (
        Route::ClosedOrders,
        "ClosedOrders",
        &["query-closed-trades"],
        2.0,
    ),
    (Route::DepositStatus, "DepositStatus", &["query-funds"], 1.0),
    // No permission needed (docs/venues/kraken.md §4).
    (Route::GetApiKeyInfo, "GetApiKeyInfo", &[], 1.0),
    // "WebSocket interface - On" (`create-ws-token`, docs/venues/kraken.md "Private stream").
    (
        Route::GetWebSocketsToken,
        "GetWebSocketsToken",
        &["create-ws-token"],
        1.0,
    ),
    (Route::Ledgers, "Ledgers", &["query-ledger"], 2.0),
    (Route::OpenOrders, "OpenOrders", &["query-open-trades"], 1.0),
    (Route::Time, "Time", &[], 0.0),
    (
        Route::TradesHistory,
        "TradesHistory",
        &["query-closed-trades"],
        2.0,
    ),
    (Route::Withdraw, "Withdraw", &["withdraw-funds"], 1.0),
    // `Funds - Withdraw` or `Data - Query ledger entries` (docs/venues/kraken.md §6).
    (
        Route::WithdrawStatus,
        "WithdrawStatus",
        &["withdraw-funds", "query-ledger"],
        1.0,
    ),
];

/// Where a path leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A served method.
    Route(Route),
    /// Under `/0/` but not a method the simulator knows.
    UnknownMethod,
    /// Not Kraken's API at all.
    Elsewhere,
}

impl Route {
    /// Finds the method a path names.
    pub(crate) fn find(path: &str) -> Found {
        let (public, name) = if let Some(name) = path.strip_prefix("/0/private/") {
            (false, name)
        } else if let Some(name) = path.strip_prefix("/0/public/") {
            (true, name)
        } else {
            return Found::Elsewhere;
        };
        match TABLE.iter().find(|(_, n, ..)| *n == name) {
            Some((route, ..)) if route.is_public() == public => Found::Route(*route),
            _ => Found::UnknownMethod,
        }
    }

    fn row(self) -> Option<&'static (Route, &'static str, &'static [&'static str], f64)> {
        TABLE.iter().find(|(r, ..)| *r == self)
    }

    /// Whether the method needs no key.
    pub(crate) fn is_public(self) -> bool {
        self == Route::Time
    }

    /// What a call costs on the key's counter.
    pub(crate) fn cost(self) -> f64 {
        self.row().map_or(1.0, |(.., cost)| *cost)
    }

    /// Refuses a caller without one of the method's permissions.
    pub(crate) fn permit(self, caller: &Caller) -> Result<(), KrakenError> {
        let needed = self.row().map_or(&[][..], |(_, _, perms, _)| *perms);
        if needed.is_empty() || needed.iter().any(|p| caller.has(p)) {
            Ok(())
        } else {
            Err(KrakenError::PermissionDenied)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_methods() {
        assert_eq!(Route::find("/0/public/Time"), Found::Route(Route::Time));
        assert_eq!(
            Route::find("/0/private/CancelAll"),
            Found::Route(Route::CancelAll)
        );
        assert_eq!(Route::find("/0/private/Time"), Found::UnknownMethod);
        assert_eq!(Route::find("/0/private/DeleteApiKey"), Found::UnknownMethod);
        assert_eq!(Route::find("/api/v5/public/time"), Found::Elsewhere);
        assert_eq!(Route::Ledgers.cost(), 2.0);
        assert_eq!(Route::AddOrder.cost(), 0.0);
    }
}
