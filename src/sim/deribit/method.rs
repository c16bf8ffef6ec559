//! The Deribit methods the simulator serves, and what each one needs.
//!
//! One enum variant per method; a path under `/api/v2/` naming another method is JSON-RPC
//! `-32601`, anything else HTTP 404. Each method's scope, "TFA required" mark and whether it is
//! a matching-engine method come from the method pages (reference §6.4–§6.6; the
//! `rosssaunders/coincise` copy of docs.deribit.com: `Scope:` lines, "This is a matching engine
//! method", "TFA required").

use crate::sim::deribit::scope::{Group, Level};

/// One served method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Auth,
    ExchangeToken,
    GetTime,
    Buy,
    Cancel,
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
    GetOpenOrdersByCurrency,
    GetOrderHistoryByCurrency,
    GetTransfers,
    GetUserTradesByCurrency,
    GetWithdrawals,
    ListApiKeys,
    RemoveApiKey,
    Sell,
    Withdraw,
}

/// Method, name, the scope it needs (none for public methods), matching engine, TFA required.
const TABLE: &[(Method, &str, Option<(Group, Level)>, bool, bool)] = &[
    (Method::Auth, "public/auth", None, false, false),
    (
        Method::ExchangeToken,
        "public/exchange_token",
        None,
        false,
        false,
    ),
    (Method::GetTime, "public/get_time", None, false, false),
    (
        Method::Buy,
        "private/buy",
        Some((Group::Trade, Level::ReadWrite)),
        true,
        false,
    ),
    (
        Method::Cancel,
        "private/cancel",
        Some((Group::Trade, Level::ReadWrite)),
        true,
        false,
    ),
    (
        Method::CancelAll,
        "private/cancel_all",
        Some((Group::Trade, Level::ReadWrite)),
        true,
        false,
    ),
    (
        Method::CancelAllByCurrency,
        "private/cancel_all_by_currency",
        Some((Group::Trade, Level::ReadWrite)),
        true,
        false,
    ),
    (
        Method::CreateApiKey,
        "private/create_api_key",
        Some((Group::Account, Level::ReadWrite)),
        false,
        true,
    ),
    (
        Method::DisableApiKey,
        "private/disable_api_key",
        Some((Group::Account, Level::ReadWrite)),
        false,
        true,
    ),
    (
        Method::EditApiKey,
        "private/edit_api_key",
        Some((Group::Account, Level::ReadWrite)),
        false,
        true,
    ),
    (
        Method::EnableApiKey,
        "private/enable_api_key",
        Some((Group::Account, Level::ReadWrite)),
        false,
        false,
    ),
    (
        Method::GetAccessLog,
        "private/get_access_log",
        Some((Group::Account, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetAccountSummaries,
        "private/get_account_summaries",
        Some((Group::Account, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetAccountSummary,
        "private/get_account_summary",
        Some((Group::Account, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetDeposits,
        "private/get_deposits",
        Some((Group::Wallet, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetOpenOrdersByCurrency,
        "private/get_open_orders_by_currency",
        Some((Group::Trade, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetOrderHistoryByCurrency,
        "private/get_order_history_by_currency",
        Some((Group::Trade, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetTransfers,
        "private/get_transfers",
        Some((Group::Wallet, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetUserTradesByCurrency,
        "private/get_user_trades_by_currency",
        Some((Group::Trade, Level::Read)),
        false,
        false,
    ),
    (
        Method::GetWithdrawals,
        "private/get_withdrawals",
        Some((Group::Wallet, Level::Read)),
        false,
        false,
    ),
    (
        Method::ListApiKeys,
        "private/list_api_keys",
        Some((Group::Account, Level::Read)),
        false,
        true,
    ),
    (
        Method::RemoveApiKey,
        "private/remove_api_key",
        Some((Group::Account, Level::ReadWrite)),
        false,
        false,
    ),
    (
        Method::Sell,
        "private/sell",
        Some((Group::Trade, Level::ReadWrite)),
        true,
        false,
    ),
    (
        Method::Withdraw,
        "private/withdraw",
        Some((Group::Wallet, Level::ReadWrite)),
        false,
        false,
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
            .find(|(_, n, ..)| *n == name)
            .map_or(Found::Unknown, |(m, ..)| Found::Method(*m))
    }

    fn row(self) -> &'static (Method, &'static str, Option<(Group, Level)>, bool, bool) {
        TABLE.iter().find(|(m, ..)| *m == self).unwrap_or(&TABLE[0])
    }

    /// The method's name (`private/buy`).
    pub(crate) fn name(self) -> &'static str {
        self.row().1
    }

    /// Returns true for methods that need no credentials.
    pub(crate) fn is_public(self) -> bool {
        self.row().2.is_none()
    }

    /// The scope a token must hold.
    pub(crate) fn scope(self) -> Option<(Group, Level)> {
        self.row().2
    }

    /// Returns true for matching-engine methods (their own credit pool, reference §6.7).
    pub(crate) fn is_matching_engine(self) -> bool {
        self.row().3
    }

    /// Returns true for methods marked "TFA required" (reference §6.4).
    pub(crate) fn needs_tfa(self) -> bool {
        self.row().4
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
        for (m, name, ..) in TABLE {
            assert_eq!(Method::find(&format!("/api/v2/{name}")), Found::Method(*m));
            assert_eq!(m.name(), *name);
        }
        assert!(Method::EditApiKey.needs_tfa() && !Method::RemoveApiKey.needs_tfa());
        assert!(Method::Buy.is_matching_engine() && !Method::ListApiKeys.is_matching_engine());
        assert!(Method::Auth.is_public() && !Method::Buy.is_public());
    }
}
