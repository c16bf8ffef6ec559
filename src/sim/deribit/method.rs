//! The Deribit methods the simulator serves, and what each one needs.
//!
//! One enum variant per method; a path under `/api/v2/` naming another method is JSON-RPC
//! `-32601`, anything else HTTP 404. Each method's scope, "TFA required" mark and whether it is
//! a matching-engine method come from the method pages (docs/venues/deribit.md §4–§6; the
//! `rosssaunders/coincise` copy of docs.deribit.com: `Scope:` lines, "This is a matching engine
//! method", "TFA required").

use crate::sim::deribit::scope::{Group, Level};

/// One served method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Auth,
    ExchangeToken,
    GetCurrencies,
    GetTime,
    Buy,
    Cancel,
    Edit,
    CancelAll,
    CancelAllByCurrency,
    CreateApiKey,
    DisableApiKey,
    EditApiKey,
    EnableApiKey,
    GetAccessLog,
    GetAccountSummaries,
    GetAccountSummary,
    GetDeposits,
    GetOpenOrders,
    GetOpenOrdersByCurrency,
    GetOrderHistoryByCurrency,
    GetTransfers,
    GetTriggerOrderHistory,
    GetUserTradesByCurrency,
    GetWithdrawals,
    ListApiKeys,
    RemoveApiKey,
    Sell,
    Withdraw,
}

/// Which credit pool a method draws on (docs/venues/deribit.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// "This is a matching engine method": orders and cancels.
    Matching,
    /// Everything else.
    Other,
}

/// Whether a method is marked "TFA required" (docs/venues/deribit.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tfa {
    Required,
    NotRequired,
}

/// One method's facts.
struct Spec {
    method: Method,
    name: &'static str,
    /// The scope a token must hold; `None` for public methods.
    needs: Option<(Group, Level)>,
    engine: Engine,
    tfa: Tfa,
}

const fn public(method: Method, name: &'static str) -> Spec {
    Spec {
        method,
        name,
        needs: None,
        engine: Engine::Other,
        tfa: Tfa::NotRequired,
    }
}

const fn private(
    method: Method,
    name: &'static str,
    needs: (Group, Level),
    engine: Engine,
    tfa: Tfa,
) -> Spec {
    Spec {
        method,
        name,
        needs: Some(needs),
        engine,
        tfa,
    }
}

const TABLE: &[Spec] = &[
    public(Method::Auth, "public/auth"),
    public(Method::ExchangeToken, "public/exchange_token"),
    public(Method::GetCurrencies, "public/get_currencies"),
    public(Method::GetTime, "public/get_time"),
    private(
        Method::Buy,
        "private/buy",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::Cancel,
        "private/cancel",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::Edit,
        "private/edit",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::CancelAll,
        "private/cancel_all",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::CancelAllByCurrency,
        "private/cancel_all_by_currency",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::CreateApiKey,
        "private/create_api_key",
        (Group::Account, Level::ReadWrite),
        Engine::Other,
        Tfa::Required,
    ),
    private(
        Method::DisableApiKey,
        "private/disable_api_key",
        (Group::Account, Level::ReadWrite),
        Engine::Other,
        Tfa::Required,
    ),
    private(
        Method::EditApiKey,
        "private/edit_api_key",
        (Group::Account, Level::ReadWrite),
        Engine::Other,
        Tfa::Required,
    ),
    private(
        Method::EnableApiKey,
        "private/enable_api_key",
        (Group::Account, Level::ReadWrite),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetAccessLog,
        "private/get_access_log",
        (Group::Account, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetAccountSummaries,
        "private/get_account_summaries",
        (Group::Account, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetAccountSummary,
        "private/get_account_summary",
        (Group::Account, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetDeposits,
        "private/get_deposits",
        (Group::Wallet, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetOpenOrders,
        "private/get_open_orders",
        (Group::Trade, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetOpenOrdersByCurrency,
        "private/get_open_orders_by_currency",
        (Group::Trade, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetOrderHistoryByCurrency,
        "private/get_order_history_by_currency",
        (Group::Trade, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetTransfers,
        "private/get_transfers",
        (Group::Wallet, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetTriggerOrderHistory,
        "private/get_trigger_order_history",
        (Group::Trade, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetUserTradesByCurrency,
        "private/get_user_trades_by_currency",
        (Group::Trade, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::GetWithdrawals,
        "private/get_withdrawals",
        (Group::Wallet, Level::Read),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::ListApiKeys,
        "private/list_api_keys",
        (Group::Account, Level::Read),
        Engine::Other,
        Tfa::Required,
    ),
    private(
        Method::RemoveApiKey,
        "private/remove_api_key",
        (Group::Account, Level::ReadWrite),
        Engine::Other,
        Tfa::NotRequired,
    ),
    private(
        Method::Sell,
        "private/sell",
        (Group::Trade, Level::ReadWrite),
        Engine::Matching,
        Tfa::NotRequired,
    ),
    private(
        Method::Withdraw,
        "private/withdraw",
        (Group::Wallet, Level::ReadWrite),
        Engine::Other,
        Tfa::NotRequired,
    ),
];

/// What a request path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// A served method.
    Method(Method),
    /// Under `/api/v2/`, but no method the simulator serves: JSON-RPC -32601.
    Unknown,
    /// Not the API at all: HTTP 404.
    NotApi,
}

impl Method {
    /// Reads a request path (`/api/v2/private/get_time`).
    pub(crate) fn find(path: &str) -> Found {
        let Some(name) = path.strip_prefix("/api/v2/") else {
            return Found::NotApi;
        };
        TABLE
            .iter()
            .find(|spec| spec.name == name)
            .map_or(Found::Unknown, |spec| Found::Method(spec.method))
    }

    fn spec(self) -> &'static Spec {
        TABLE
            .iter()
            .find(|spec| spec.method == self)
            .unwrap_or(&TABLE[0])
    }

    /// The method's name (`private/buy`).
    pub(crate) fn name(self) -> &'static str {
        self.spec().name
    }

    /// Returns true for methods that need no credentials.
    pub(crate) fn is_public(self) -> bool {
        self.spec().needs.is_none()
    }

    /// The scope a token must hold.
    pub(crate) fn scope(self) -> Option<(Group, Level)> {
        self.spec().needs
    }

    /// Returns true for matching-engine methods (their own credit pool, docs/venues/deribit.md §7).
    pub(crate) fn is_matching_engine(self) -> bool {
        self.spec().engine == Engine::Matching
    }

    /// Returns true for methods marked "TFA required" (docs/venues/deribit.md §4).
    pub(crate) fn needs_tfa(self) -> bool {
        self.spec().tfa == Tfa::Required
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_methods() {
        assert_eq!(
            Method::find("/api/v2/public/get_time"),
            Found::Method(Method::GetTime)
        );
        assert_eq!(Method::find("/api/v2/private/nope"), Found::Unknown);
        assert_eq!(Method::find("/v5/market/time"), Found::NotApi);
        for spec in TABLE {
            let found = Method::find(&format!("/api/v2/{}", spec.name));
            assert_eq!(found, Found::Method(spec.method));
            assert_eq!(spec.method.name(), spec.name);
        }
        assert!(Method::EditApiKey.needs_tfa() && !Method::RemoveApiKey.needs_tfa());
        assert!(Method::Buy.is_matching_engine() && !Method::ListApiKeys.is_matching_engine());
        assert!(Method::Auth.is_public() && !Method::Buy.is_public());
    }
}
