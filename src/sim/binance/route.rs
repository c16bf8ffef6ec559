//! The Binance endpoints the simulator serves: each one's weight, the meter it counts against,
//! and what the calling key needs (docs/venues/binance.md §4–§7).
//!
//! One variant per (method, path); anything else is HTTP 404. Weights are the published ones
//! (`openOrders` weighs more without a symbol); sub-account and broker key management count
//! 3000 against the master's UID (docs/venues/binance.md §4: "weight(UID) 3000"; the broker
//! endpoints publish no weight, so the simulator uses the same). `/fapi`, `/dapi` and `/eapi`
//! paths are served on the same host as `/api` and `/sapi`, where Binance has `fapi.binance.com`,
//! `dapi.binance.com` and `eapi.binance.com`; COIN-M and options weigh against the USD-M meter
//! (Binance counts each apart: a simplification). Cross-margin weights are the margin docs' (IP,
//! and UID for a new order, counted against the IP here).
//!
//! Longer than the crate's other files on purpose: it is one table (a variant and a row in each
//! match per endpoint, over five products), kept whole so that an endpoint's path, weight, meter
//! and permission are read side by side and a new endpoint cannot miss one of them.

use axum::http::Method;

use crate::sim::binance::weight::Meter;

/// One served endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Account,
    AllOrders,
    ApiRestrictions,
    BrokerKeyCreate,
    BrokerKeyDelete,
    BrokerKeyIpGet,
    BrokerKeyIpSet,
    BrokerKeyPermission,
    BrokerKeys,
    BrokerTransfers,
    AmendKeepPriority,
    CancelOrder,
    CancelSymbol,
    CoinMAllOrders,
    CoinMCancelOrder,
    CoinMCancelSymbol,
    CoinMIncome,
    CoinMOpenOrders,
    CoinMPlaceOrder,
    CoinMUserTrades,
    DepositHistory,
    ExchangeInfo,
    FuturesAlgoOpenOrders,
    FuturesAlgoOrder,
    FuturesAllOrders,
    FuturesCancelAlgoSymbol,
    FuturesCancelOrder,
    FuturesCancelSymbol,
    FuturesExchangeInfo,
    FuturesIncome,
    FuturesOpenOrders,
    FuturesPlaceOrder,
    FuturesTime,
    FundingAsset,
    FuturesUserTrades,
    MarginAllOrders,
    MarginCancelOrder,
    MarginCancelSymbol,
    MarginIsolatedAccount,
    MarginMyTrades,
    MarginOpenOrders,
    MarginPlaceOrder,
    MyTrades,
    OpenOrders,
    OptionsCancelOrder,
    OptionsCancelSymbol,
    OptionsHistory,
    OptionsOpenOrders,
    OptionsPlaceOrder,
    OptionsUserTrades,
    PlaceOrder,
    SubKeyCreate,
    SubKeyCreateV2,
    SubKeyDelete,
    SubKeyIpDelete,
    SubKeyIpGet,
    SubKeyIpSet,
    SubKeyPermission,
    SubKeys,
    Time,
    UniversalTransfers,
    WithdrawApply,
    WithdrawHistory,
}

/// What the calling key must be or hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Nothing: a public endpoint.
    Nothing,
    /// Reading (every key can read).
    Reading,
    /// Spot trading (`canTrade`); `-2015` without it.
    SpotTrading,
    /// Futures (`canFuturesTrade`, `enableFutures`), for reads and trades on `/fapi` and `/dapi`;
    /// `-2015` without it.
    Futures,
    /// Options (`canVanillaOptions`, `enableVanillaOptions`), for reads and trades on `/eapi`;
    /// `-2015` without it.
    Options,
    /// A master-account key; `-1002` otherwise.
    Master,
    /// A master-account key that can trade (Binance Link, docs/venues/binance.md §4); `-1002`
    /// otherwise.
    BrokerMaster,
    /// The withdrawal permission; `-1002` without it.
    Withdrawals,
}

/// (route, method, path, weight, weight without a symbol, meter, needs).
type Row = (Route, &'static str, &'static str, u32, u32, Meter, Needs);

const TABLE: &[Row] = &[
    (
        Route::Time,
        "GET",
        "/api/v3/time",
        1,
        1,
        Meter::Spot,
        Needs::Nothing,
    ),
    (
        Route::ExchangeInfo,
        "GET",
        "/api/v3/exchangeInfo",
        20,
        20,
        Meter::Spot,
        Needs::Nothing,
    ),
    (
        Route::Account,
        "GET",
        "/api/v3/account",
        20,
        20,
        Meter::Spot,
        Needs::Reading,
    ),
    (
        Route::OpenOrders,
        "GET",
        "/api/v3/openOrders",
        6,
        80,
        Meter::Spot,
        Needs::Reading,
    ),
    (
        Route::CancelSymbol,
        "DELETE",
        "/api/v3/openOrders",
        1,
        1,
        Meter::Spot,
        Needs::SpotTrading,
    ),
    (
        Route::AllOrders,
        "GET",
        "/api/v3/allOrders",
        20,
        20,
        Meter::Spot,
        Needs::Reading,
    ),
    (
        Route::MyTrades,
        "GET",
        "/api/v3/myTrades",
        20,
        20,
        Meter::Spot,
        Needs::Reading,
    ),
    (
        Route::PlaceOrder,
        "POST",
        "/api/v3/order",
        1,
        1,
        Meter::Spot,
        Needs::SpotTrading,
    ),
    (
        Route::AmendKeepPriority,
        "PUT",
        "/api/v3/order/amend/keepPriority",
        4,
        4,
        Meter::Spot,
        Needs::SpotTrading,
    ),
    (
        Route::CancelOrder,
        "DELETE",
        "/api/v3/order",
        1,
        1,
        Meter::Spot,
        Needs::SpotTrading,
    ),
    (
        Route::FuturesTime,
        "GET",
        "/fapi/v1/time",
        1,
        1,
        Meter::Futures,
        Needs::Nothing,
    ),
    (
        Route::FuturesExchangeInfo,
        "GET",
        "/fapi/v1/exchangeInfo",
        1,
        1,
        Meter::Futures,
        Needs::Nothing,
    ),
    (
        Route::FuturesOpenOrders,
        "GET",
        "/fapi/v1/openOrders",
        1,
        40,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesCancelSymbol,
        "DELETE",
        "/fapi/v1/allOpenOrders",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesAllOrders,
        "GET",
        "/fapi/v1/allOrders",
        5,
        5,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesUserTrades,
        "GET",
        "/fapi/v1/userTrades",
        5,
        5,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesIncome,
        "GET",
        "/fapi/v1/income",
        30,
        30,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesPlaceOrder,
        "POST",
        "/fapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesCancelOrder,
        "DELETE",
        "/fapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    // Conditional (algo) orders: weight 1 each (docs/venues/binance.md §5).
    (
        Route::FuturesAlgoOrder,
        "POST",
        "/fapi/v1/algoOrder",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesAlgoOpenOrders,
        "GET",
        "/fapi/v1/openAlgoOrders",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::FuturesCancelAlgoSymbol,
        "DELETE",
        "/fapi/v1/algoOpenOrders",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    // COIN-M futures (`dapi.binance.com`): the USD-M rules, weights from the COIN-M docs.
    (
        Route::CoinMOpenOrders,
        "GET",
        "/dapi/v1/openOrders",
        1,
        40,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMCancelSymbol,
        "DELETE",
        "/dapi/v1/allOpenOrders",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMAllOrders,
        "GET",
        "/dapi/v1/allOrders",
        20,
        20,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMUserTrades,
        "GET",
        "/dapi/v1/userTrades",
        20,
        20,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMIncome,
        "GET",
        "/dapi/v1/income",
        20,
        20,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMPlaceOrder,
        "POST",
        "/dapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    (
        Route::CoinMCancelOrder,
        "DELETE",
        "/dapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Futures,
    ),
    // Options (`eapi.binance.com`).
    (
        Route::OptionsOpenOrders,
        "GET",
        "/eapi/v1/openOrders",
        1,
        40,
        Meter::Futures,
        Needs::Options,
    ),
    (
        Route::OptionsCancelSymbol,
        "DELETE",
        "/eapi/v1/allOpenOrders",
        1,
        1,
        Meter::Futures,
        Needs::Options,
    ),
    (
        Route::OptionsHistory,
        "GET",
        "/eapi/v1/historyOrders",
        3,
        3,
        Meter::Futures,
        Needs::Options,
    ),
    (
        Route::OptionsUserTrades,
        "GET",
        "/eapi/v1/userTrades",
        5,
        5,
        Meter::Futures,
        Needs::Options,
    ),
    (
        Route::OptionsPlaceOrder,
        "POST",
        "/eapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Options,
    ),
    (
        Route::OptionsCancelOrder,
        "DELETE",
        "/eapi/v1/order",
        1,
        1,
        Meter::Futures,
        Needs::Options,
    ),
    // Cross and isolated margin: trading takes the spot-and-margin flag (`canTrade`).
    (
        Route::MarginIsolatedAccount,
        "GET",
        "/sapi/v1/margin/isolated/account",
        10,
        10,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::MarginOpenOrders,
        "GET",
        "/sapi/v1/margin/openOrders",
        10,
        10,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::MarginCancelSymbol,
        "DELETE",
        "/sapi/v1/margin/openOrders",
        1,
        1,
        Meter::SapiIp,
        Needs::SpotTrading,
    ),
    (
        Route::MarginAllOrders,
        "GET",
        "/sapi/v1/margin/allOrders",
        200,
        200,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::MarginMyTrades,
        "GET",
        "/sapi/v1/margin/myTrades",
        10,
        10,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::MarginPlaceOrder,
        "POST",
        "/sapi/v1/margin/order",
        6,
        6,
        Meter::SapiIp,
        Needs::SpotTrading,
    ),
    (
        Route::MarginCancelOrder,
        "DELETE",
        "/sapi/v1/margin/order",
        10,
        10,
        Meter::SapiIp,
        Needs::SpotTrading,
    ),
    // The funding wallet (`get-funding-asset` is a POST that reads).
    (
        Route::FundingAsset,
        "POST",
        "/sapi/v1/asset/get-funding-asset",
        1,
        1,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::ApiRestrictions,
        "GET",
        "/sapi/v1/account/apiRestrictions",
        1,
        1,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::WithdrawApply,
        "POST",
        "/sapi/v1/capital/withdraw/apply",
        600,
        600,
        Meter::SapiUid,
        Needs::Withdrawals,
    ),
    (
        Route::WithdrawHistory,
        "GET",
        "/sapi/v1/capital/withdraw/history",
        18_000,
        18_000,
        Meter::SapiUid,
        Needs::Reading,
    ),
    (
        Route::DepositHistory,
        "GET",
        "/sapi/v1/capital/deposit/hisrec",
        1,
        1,
        Meter::SapiIp,
        Needs::Reading,
    ),
    (
        Route::UniversalTransfers,
        "GET",
        "/sapi/v1/sub-account/universalTransfer",
        1,
        1,
        Meter::SapiIp,
        Needs::Master,
    ),
    (
        Route::BrokerTransfers,
        "GET",
        "/sapi/v1/broker/transfer",
        1,
        1,
        Meter::SapiIp,
        Needs::BrokerMaster,
    ),
    (
        Route::SubKeyCreate,
        "POST",
        "/sapi/v1/sub-account/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyCreateV2,
        "POST",
        "/sapi/v2/sub-account/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyDelete,
        "DELETE",
        "/sapi/v1/sub-account/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeys,
        "GET",
        "/sapi/v1/sub-account/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyPermission,
        "POST",
        "/sapi/v1/sub-account/subAccountApiPermission",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyIpSet,
        "POST",
        "/sapi/v2/sub-account/subAccountApi/ipRestriction",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyIpGet,
        "GET",
        "/sapi/v1/sub-account/subAccountApi/ipRestriction",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::SubKeyIpDelete,
        "DELETE",
        "/sapi/v1/sub-account/subAccountApi/ipRestriction/ipList",
        3000,
        3000,
        Meter::SapiUid,
        Needs::Master,
    ),
    (
        Route::BrokerKeyCreate,
        "POST",
        "/sapi/v1/broker/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
    (
        Route::BrokerKeyDelete,
        "DELETE",
        "/sapi/v1/broker/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
    (
        Route::BrokerKeys,
        "GET",
        "/sapi/v1/broker/subAccountApi",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
    (
        Route::BrokerKeyPermission,
        "POST",
        "/sapi/v1/broker/subAccountApi/permission",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
    (
        Route::BrokerKeyIpSet,
        "POST",
        "/sapi/v2/broker/subAccountApi/ipRestriction",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
    (
        Route::BrokerKeyIpGet,
        "GET",
        "/sapi/v1/broker/subAccountApi/ipRestriction",
        3000,
        3000,
        Meter::SapiUid,
        Needs::BrokerMaster,
    ),
];

impl Route {
    /// Finds the endpoint for a method and path; `None` means 404.
    pub(crate) fn find(method: &Method, path: &str) -> Option<Route> {
        TABLE
            .iter()
            .find(|row| method.as_str() == row.1 && path == row.2)
            .map(|row| row.0)
    }

    fn row(self) -> Option<&'static Row> {
        TABLE.iter().find(|row| row.0 == self)
    }

    /// What the calling key must be or hold.
    pub(crate) fn needs(self) -> Needs {
        self.row().map_or(Needs::Master, |row| row.6)
    }

    /// Whether the endpoint is one of the margin account's (cross or isolated).
    pub(crate) fn is_margin(self) -> bool {
        self.row()
            .is_some_and(|row| row.2.starts_with("/sapi/v1/margin/"))
    }

    /// Whether the endpoint takes no signature.
    pub(crate) fn is_public(self) -> bool {
        self.needs() == Needs::Nothing
    }

    /// The meter the endpoint's weight counts against.
    pub(crate) fn meter(self) -> Meter {
        self.row().map_or(Meter::Spot, |row| row.5)
    }

    /// The request's weight: some endpoints weigh more when no symbol narrows them.
    pub(crate) fn weight(self, has_symbol: bool) -> u32 {
        self.row()
            .map_or(1, |row| if has_symbol { row.3 } else { row.4 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_matches_method_and_path() {
        assert_eq!(
            Route::find(&Method::GET, "/api/v3/openOrders"),
            Some(Route::OpenOrders)
        );
        assert_eq!(
            Route::find(&Method::DELETE, "/api/v3/openOrders"),
            Some(Route::CancelSymbol)
        );
        assert_eq!(Route::find(&Method::GET, "/api/v3/nope"), None);
        assert_eq!(Route::OpenOrders.weight(false), 80);
        assert_eq!(Route::OpenOrders.weight(true), 6);
        assert!(Route::Time.is_public());
        assert_eq!(Route::SubKeys.meter(), Meter::SapiUid);
        for row in TABLE {
            assert_eq!(Route::find(&row.1.parse().unwrap(), row.2), Some(row.0));
        }
    }
}
