//! The Bybit V5 endpoints the simulator serves, and each one's rate limit.
//!
//! One enum variant per (method, path); anything else is HTTP 404. Limits are per key and
//! endpoint over a rolling second. Documented ones come from docs/venues/bybit.md §4, §5 and §7 and
//! Bybit's rate-limit table (docs `rate-limit/rate-limit.mdx`); the rest are choices marked
//! "chosen" below. `create`, `cancel` and `cancel-all` count each category separately, because
//! their limits differ by category. Public market endpoints are not counted: Bybit limits them
//! per IP (600 per 5 s, docs/venues/bybit.md §7), which the simulator does not model.

use axum::http::Method;

use crate::sim::order::Category;

/// One served endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    AccountWalletBalance,
    AssetCoinsBalance,
    AssetInterTransfer,
    AssetInterTransferList,
    AssetTransferList,
    AssetWithdrawCreate,
    AssetWithdrawRecord,
    ExecutionList,
    MarketInstrumentsInfo,
    MarketOrderbook,
    MarketTickers,
    MarketTime,
    OrderAmend,
    OrderCancel,
    OrderCancelAll,
    OrderCreate,
    OrderHistory,
    OrderRealtime,
    UserCreateSubApi,
    UserDeleteApi,
    UserDeleteSubApi,
    UserQueryApi,
    UserSubApiKeys,
    UserUpdateSubApi,
    UserFrozenSubMember,
}

const TABLE: &[(Route, &str, &str)] = &[
    (
        Route::AccountWalletBalance,
        "GET",
        "/v5/account/wallet-balance",
    ),
    (
        Route::AssetCoinsBalance,
        "GET",
        "/v5/asset/transfer/query-account-coins-balance",
    ),
    (
        Route::AssetInterTransfer,
        "POST",
        "/v5/asset/transfer/inter-transfer",
    ),
    (
        Route::AssetInterTransferList,
        "GET",
        "/v5/asset/transfer/query-inter-transfer-list",
    ),
    (
        Route::AssetTransferList,
        "GET",
        "/v5/asset/transfer/query-universal-transfer-list",
    ),
    (
        Route::AssetWithdrawCreate,
        "POST",
        "/v5/asset/withdraw/create",
    ),
    (
        Route::AssetWithdrawRecord,
        "GET",
        "/v5/asset/withdraw/query-record",
    ),
    (Route::ExecutionList, "GET", "/v5/execution/list"),
    (
        Route::MarketInstrumentsInfo,
        "GET",
        "/v5/market/instruments-info",
    ),
    (Route::MarketOrderbook, "GET", "/v5/market/orderbook"),
    (Route::MarketTickers, "GET", "/v5/market/tickers"),
    (Route::MarketTime, "GET", "/v5/market/time"),
    (Route::OrderAmend, "POST", "/v5/order/amend"),
    (Route::OrderCancel, "POST", "/v5/order/cancel"),
    (Route::OrderCancelAll, "POST", "/v5/order/cancel-all"),
    (Route::OrderCreate, "POST", "/v5/order/create"),
    (Route::OrderHistory, "GET", "/v5/order/history"),
    (Route::OrderRealtime, "GET", "/v5/order/realtime"),
    (Route::UserCreateSubApi, "POST", "/v5/user/create-sub-api"),
    (Route::UserDeleteApi, "POST", "/v5/user/delete-api"),
    (Route::UserDeleteSubApi, "POST", "/v5/user/delete-sub-api"),
    (Route::UserQueryApi, "GET", "/v5/user/query-api"),
    (Route::UserSubApiKeys, "GET", "/v5/user/sub-apikeys"),
    (Route::UserUpdateSubApi, "POST", "/v5/user/update-sub-api"),
    (
        Route::UserFrozenSubMember,
        "POST",
        "/v5/user/frozen-sub-member",
    ),
];

impl Route {
    /// Finds the endpoint for a method and path; `None` means 404.
    pub(crate) fn find(method: &Method, path: &str) -> Option<Route> {
        TABLE
            .iter()
            .find(|(_, m, p)| method.as_str() == *m && path == *p)
            .map(|(r, _, _)| *r)
    }

    /// Returns the endpoint's path.
    pub(crate) fn path(self) -> &'static str {
        TABLE
            .iter()
            .find(|(r, _, _)| *r == self)
            .map_or("", |(_, _, p)| *p)
    }

    /// Returns true for endpoints that need no signature.
    pub(crate) fn is_public(self) -> bool {
        matches!(
            self,
            Route::MarketTime
                | Route::MarketTickers
                | Route::MarketOrderbook
                | Route::MarketInstrumentsInfo
        )
    }

    /// Returns true when the endpoint reads a JSON body (POST) rather than the query.
    pub(crate) fn is_post(self) -> bool {
        TABLE.iter().any(|(r, m, _)| *r == self && *m == "POST")
    }

    /// Returns the requests allowed per key per rolling second.
    pub(crate) fn limit(self, category: Option<Category>) -> u32 {
        match self {
            Route::UserCreateSubApi => 1,
            Route::UserUpdateSubApi
            | Route::UserDeleteSubApi
            | Route::UserDeleteApi
            | Route::UserFrozenSubMember => 5,
            Route::UserQueryApi | Route::UserSubApiKeys => 10,
            Route::OrderRealtime | Route::OrderHistory | Route::ExecutionList => 50,
            Route::AccountWalletBalance => 50,
            Route::OrderCancelAll => match category {
                Some(Category::Spot) => 20,
                Some(Category::Option) => 1,
                // linear/inverse 10; a missing category is refused later anyway.
                _ => 10,
            },
            // Spot 20/s, the others 10/s (docs `rate-limit/rate-limit.mdx`).
            Route::OrderCreate | Route::OrderCancel | Route::OrderAmend => match category {
                Some(Category::Spot) => 20,
                _ => 10,
            },
            // 5/s (docs `rate-limit/rate-limit.mdx`).
            Route::AssetWithdrawCreate => 5,
            // Chosen: 300/min (docs/venues/bybit.md §7) spread evenly.
            Route::AssetWithdrawRecord => 5,
            // 5/s; the internal list and transfer 60/min, spread evenly (docs
            // `rate-limit/rate-limit.mdx`).
            Route::AssetTransferList | Route::AssetCoinsBalance => 5,
            Route::AssetInterTransferList | Route::AssetInterTransfer => 1,
            // Public, never counted.
            Route::MarketTime
            | Route::MarketTickers
            | Route::MarketOrderbook
            | Route::MarketInstrumentsInfo => u32::MAX,
        }
    }

    /// Returns the limiter bucket: the path, plus the category for order create and cancels.
    pub(crate) fn bucket(self, category: Option<Category>) -> String {
        match (self, category) {
            (
                Route::OrderCancelAll | Route::OrderCancel | Route::OrderCreate | Route::OrderAmend,
                Some(c),
            ) => {
                format!("{}#{}", self.path(), c.as_str())
            }
            _ => self.path().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_matches_method_and_path() {
        assert_eq!(
            Route::find(&Method::GET, "/v5/market/time"),
            Some(Route::MarketTime)
        );
        assert_eq!(Route::find(&Method::POST, "/v5/market/time"), None);
        assert_eq!(Route::find(&Method::GET, "/v5/nope"), None);
        for (r, _, p) in TABLE {
            assert_eq!(r.path(), *p);
        }
    }

    #[test]
    fn cancel_all_limit_per_category() {
        let r = Route::OrderCancelAll;
        assert_eq!(r.limit(Some(Category::Spot)), 20);
        assert_eq!(r.limit(Some(Category::Linear)), 10);
        assert_eq!(r.limit(Some(Category::Option)), 1);
        assert_ne!(
            r.bucket(Some(Category::Spot)),
            r.bucket(Some(Category::Linear))
        );
        for r in [Route::OrderCreate, Route::OrderCancel] {
            assert_eq!(r.limit(Some(Category::Spot)), 20);
            assert_eq!(r.limit(Some(Category::Linear)), 10);
        }
        assert_eq!(Route::AssetWithdrawCreate.limit(None), 5);
        assert!(Route::MarketTickers.is_public() && Route::MarketOrderbook.is_public());
    }
}
