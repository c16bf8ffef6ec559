//! Bybit's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use crate::exchanges::facts::{
    INVERSE, KeyAdmin, KeyShapes, LINEAR, Market, OPTION, SPOT, Tolerance, VenueFacts, text,
};
use crate::exchanges::model::Category;
use crate::exchanges::retention::Kept;

const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // `server_time - recv_window <= timestamp < server_time + 1000`, and lockdown sends a
    // 5000 ms `X-BAPI-RECV-WINDOW` (docs/venues/bybit.md §7).
    clock: Some(Tolerance {
        ahead_ms: 1_000,
        behind_ms: super::RECV_WINDOW_MS,
    }),
    // create-sub-api, frozen-sub-member, delete-api: "holding AccountTransfer,
    // SubMemberTransfer or Withdrawal" on a read-write master key (docs/venues/bybit.md §4).
    key_admin: KeyAdmin::AnyOf {
        needed: &[
            "Wallet:AccountTransfer",
            "Wallet:SubMemberTransfer",
            "Wallet:Withdraw",
        ],
        what: "a read-write master key with Wallet `AccountTransfer`, `SubMemberTransfer` or `Withdraw` (Bybit: API management, edit the key)",
        master_only: false,
    },
    key_admin_needs_ip_bound_master: false,
    master_from_listing: false,
    lists_sub_keys: true,
    listing_needs_account: true,
    kept,
    per_product_permissions: true,
    permission_markets,
    ccxt_symbol: &["symbol"],
    shapes: KeyShapes {
        // 18 alphanumeric characters.
        id: |t| t.len() == 18 && text::alnum(t) && text::mixed(t),
        // 36 alphanumeric characters.
        secret: |t| t.len() == 36 && text::alnum(t) && text::mixed(t),
        words: &["bybit"],
        needs_name: false,
    },
};

/// Order history "(2 years)"; the orders of the last 24 h in every status, beyond that only
/// those with a fill; fills 730 days (docs/venues/bybit.md §6).
fn kept(_: Category) -> Kept {
    Kept {
        unfilled: Some(DAY),
        filled: Some(730 * DAY),
        fills: Some(730 * DAY),
    }
}

/// Bybit's groups (docs/venues/bybit.md §4; https://bybit-exchange.github.io/docs/v5/user/apikey-info):
/// `Spot: [SpotTrade]`, `ContractTrade: [Order, Position]` (USDT/USDC and inverse contracts),
/// `Options: [OptionsTrade]` ("USDC Contract: it supports trade option and USDC perpetual"),
/// `Derivatives: [DerivativesTrade]` (a unified account's contracts and options).
fn permission_markets(permission: &str) -> &'static [Market] {
    const USDC_LINEAR: Market = Market {
        category: Category::Linear,
        settle: Some("USDC"),
    };
    match permission {
        "Spot:SpotTrade" => &[SPOT],
        "ContractTrade:Order" | "ContractTrade:Position" => &[LINEAR, INVERSE],
        "Options:OptionsTrade" => &[OPTION, USDC_LINEAR],
        "Derivatives:DerivativesTrade" => &[LINEAR, INVERSE, OPTION],
        _ => &[],
    }
}
