//! The OKX V5 endpoints the simulator serves, and each one's rate limit.
//!
//! One enum variant per (method, path); anything else is HTTP 404. Limits are "N requests per
//! window" per user ID (each sub-account counts apart) and endpoint, as OKX publishes them
//! (docs/venues/okx.md §4–§7 and each endpoint's page). `cancel-batch-orders` is limited by orders
//! (300 per 2 s); the simulator counts its requests instead, 15 per 2 s (300 orders in full
//! batches of 20). `cancel-algos` is limited to 20 orders per 2 s per user and instrument (OKX
//! docs, "Cancel algo order"); the simulator counts its requests per user instead, 20 per 2 s.
//! `order-algo` and `orders-algo-pending` allow 20 requests per 2 s. Public endpoints are limited
//! per IP at OKX, which is not modelled.

use axum::http::Method;

/// One served endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    AccountBalance,
    AccountConfig,
    AssetBalances,
    AssetSubaccountBills,
    AssetWithdrawal,
    AssetWithdrawalHistory,
    PublicTime,
    SubKeyCreate,
    SubKeyDelete,
    SubKeyModify,
    SubKeys,
    TradeCancelAlgos,
    TradeCancelAllAfter,
    TradeCancelBatch,
    TradeCancelOrder,
    TradeAmendOrder,
    TradeFills,
    TradeFillsHistory,
    TradeOrder,
    TradeOrderAlgo,
    TradeOrdersAlgoHistory,
    TradeOrdersAlgoPending,
    TradeOrdersArchive,
    TradeOrdersHistory,
    TradeOrdersPending,
}

/// (route, method, path, requests allowed, per this many milliseconds).
const TABLE: &[(Route, &str, &str, u32, i64)] = &[
    (
        Route::AccountBalance,
        "GET",
        "/api/v5/account/balance",
        10,
        2000,
    ),
    (
        Route::AccountConfig,
        "GET",
        "/api/v5/account/config",
        5,
        2000,
    ),
    // OKX docs, "Funding account: Get balance": 6 requests per second.
    (
        Route::AssetBalances,
        "GET",
        "/api/v5/asset/balances",
        6,
        1000,
    ),
    (
        Route::AssetSubaccountBills,
        "GET",
        "/api/v5/asset/subaccount/bills",
        6,
        1000,
    ),
    (
        Route::AssetWithdrawal,
        "POST",
        "/api/v5/asset/withdrawal",
        6,
        1000,
    ),
    (
        Route::AssetWithdrawalHistory,
        "GET",
        "/api/v5/asset/withdrawal-history",
        6,
        1000,
    ),
    (
        Route::PublicTime,
        "GET",
        "/api/v5/public/time",
        u32::MAX,
        2000,
    ),
    (
        Route::SubKeyCreate,
        "POST",
        "/api/v5/users/subaccount/apikey",
        1,
        1000,
    ),
    (
        Route::SubKeyDelete,
        "POST",
        "/api/v5/users/subaccount/delete-apikey",
        1,
        1000,
    ),
    (
        Route::SubKeyModify,
        "POST",
        "/api/v5/users/subaccount/modify-apikey",
        1,
        1000,
    ),
    (
        Route::SubKeys,
        "GET",
        "/api/v5/users/subaccount/apikey",
        20,
        2000,
    ),
    (
        Route::TradeCancelAlgos,
        "POST",
        "/api/v5/trade/cancel-algos",
        20,
        2000,
    ),
    (
        Route::TradeCancelAllAfter,
        "POST",
        "/api/v5/trade/cancel-all-after",
        1,
        1000,
    ),
    (
        Route::TradeCancelBatch,
        "POST",
        "/api/v5/trade/cancel-batch-orders",
        15,
        2000,
    ),
    (
        Route::TradeCancelOrder,
        "POST",
        "/api/v5/trade/cancel-order",
        60,
        2000,
    ),
    (
        Route::TradeAmendOrder,
        "POST",
        "/api/v5/trade/amend-order",
        60,
        2000,
    ),
    (Route::TradeFills, "GET", "/api/v5/trade/fills", 60, 2000),
    (
        Route::TradeFillsHistory,
        "GET",
        "/api/v5/trade/fills-history",
        10,
        2000,
    ),
    (Route::TradeOrder, "POST", "/api/v5/trade/order", 60, 2000),
    (
        Route::TradeOrderAlgo,
        "POST",
        "/api/v5/trade/order-algo",
        20,
        2000,
    ),
    // OKX docs, "GET / Algo order history": 20 requests per 2 seconds.
    (
        Route::TradeOrdersAlgoHistory,
        "GET",
        "/api/v5/trade/orders-algo-history",
        20,
        2000,
    ),
    (
        Route::TradeOrdersAlgoPending,
        "GET",
        "/api/v5/trade/orders-algo-pending",
        20,
        2000,
    ),
    (
        Route::TradeOrdersArchive,
        "GET",
        "/api/v5/trade/orders-history-archive",
        20,
        2000,
    ),
    (
        Route::TradeOrdersHistory,
        "GET",
        "/api/v5/trade/orders-history",
        40,
        2000,
    ),
    (
        Route::TradeOrdersPending,
        "GET",
        "/api/v5/trade/orders-pending",
        60,
        2000,
    ),
];

impl Route {
    /// Finds the endpoint for a method and path; `None` means 404.
    pub(crate) fn find(method: &Method, path: &str) -> Option<Route> {
        TABLE
            .iter()
            .find(|(_, m, p, _, _)| method.as_str() == *m && path == *p)
            .map(|(r, ..)| *r)
    }

    fn row(self) -> Option<&'static (Route, &'static str, &'static str, u32, i64)> {
        TABLE.iter().find(|(r, ..)| *r == self)
    }

    /// The endpoint's path.
    pub(crate) fn path(self) -> &'static str {
        self.row().map_or("", |(_, _, p, _, _)| *p)
    }

    /// Whether the endpoint needs no signature.
    pub(crate) fn is_public(self) -> bool {
        self == Route::PublicTime
    }

    /// Whether the endpoint reads a JSON body (POST) rather than the query.
    pub(crate) fn is_post(self) -> bool {
        self.row().is_some_and(|(_, m, ..)| *m == "POST")
    }

    /// Whether the answer carries the gateway's `inTime`/`outTime`: the order-book trade
    /// endpoints, whose documented examples show them; the algo endpoints' examples do not.
    pub(crate) fn is_trade(self) -> bool {
        matches!(
            self,
            Route::TradeOrder
                | Route::TradeCancelOrder
                | Route::TradeCancelBatch
                | Route::TradeAmendOrder
        )
    }

    /// Requests allowed per window, and the window in milliseconds.
    pub(crate) fn limit(self) -> (u32, i64) {
        self.row()
            .map_or((u32::MAX, 2000), |(_, _, _, n, w)| (*n, *w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_matches_method_and_path() {
        assert_eq!(
            Route::find(&Method::GET, "/api/v5/public/time"),
            Some(Route::PublicTime)
        );
        assert_eq!(
            Route::find(&Method::POST, "/api/v5/users/subaccount/apikey"),
            Some(Route::SubKeyCreate)
        );
        assert_eq!(
            Route::find(&Method::GET, "/api/v5/users/subaccount/apikey"),
            Some(Route::SubKeys)
        );
        assert_eq!(Route::find(&Method::GET, "/api/v5/nope"), None);
        for (r, m, p, _, _) in TABLE {
            assert_eq!(r.path(), *p);
            assert_eq!(r.is_post(), *m == "POST");
        }
        assert_eq!(Route::TradeFillsHistory.limit(), (10, 2000));
        assert_eq!(Route::SubKeyModify.limit(), (1, 1000));
        assert_eq!(
            Route::find(&Method::POST, "/api/v5/trade/cancel-all-after"),
            Some(Route::TradeCancelAllAfter)
        );
        assert_eq!(Route::TradeCancelAllAfter.limit(), (1, 1000));
    }
}
