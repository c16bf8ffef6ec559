//! Binance's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use std::time::Duration;

use crate::exchanges::facts::{
    INVERSE, KeyAdmin, KeyShapes, LINEAR, Market, OPTION, SPOT, Tolerance, VenueFacts, text,
};
use crate::exchanges::model::Category;
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // `timestamp < serverTime + 1000` and `serverTime - timestamp <= recvWindow`, lockdown's
    // `recvWindow` 5000 (docs/venues/binance.md §7).
    clock: Some(Tolerance {
        ahead_ms: 1_000,
        behind_ms: super::RECV_WINDOW_MS,
    }),
    // Sub-account keys: "For Master Account" endpoints, and the IP restriction (the lock) needs
    // "Enable Spot & Margin Trading" on the calling key; Binance Link: "the calling key must
    // have trade enabled" (docs/venues/binance.md §4).
    key_admin: KeyAdmin::AnyOf {
        needed: &["enableSpotAndMarginTrading"],
        what: "a master-account key with \"Enable Spot & Margin Trading\" (Binance: API management, edit the key)",
        master_only: true,
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
        // 64 alphanumeric characters (HMAC keys; Ed25519 and RSA keys have the same id shape).
        id: |t| t.len() == 64 && text::alnum(t) && text::mixed(t),
        // 64 alphanumeric characters.
        secret: |t| t.len() == 64 && text::alnum(t) && text::mixed(t),
        words: &["binance"],
        needs_name: false,
    },
};

/// docs/venues/binance.md §6.
fn kept(category: Category) -> Kept {
    const DAY: Duration = Duration::from_secs(86_400);
    match category {
        // Spot and margin name no limit.
        Category::Spot => Kept::default(),
        // USD-M and COIN-M: cancelled or expired without a fill 3 days, any order 90 days;
        // fills 6 months.
        Category::Linear | Category::Inverse => Kept {
            unfilled: Some(3 * DAY),
            filled: Some(90 * DAY),
            fills: Some(180 * DAY),
        },
        // Options: the order history holds 5 days; fills: not documented.
        Category::Option => Kept {
            unfilled: Some(5 * DAY),
            filled: Some(5 * DAY),
            fills: None,
        },
    }
}

/// A sub-account key's flags (`canTrade`, `canFuturesTrade`, `canVanillaOptions`) and a key's own
/// restrictions (`enableSpotAndMarginTrading`, `enableFutures`, `enableVanillaOptions`;
/// https://developers.binance.com/docs/wallet/endpoints/api-key-permission),
/// docs/venues/binance.md §4.
fn permission_markets(permission: &str) -> &'static [Market] {
    match permission {
        "canTrade" | "enableSpotAndMarginTrading" | "enableMargin" => &[SPOT],
        "canFuturesTrade" | "enableFutures" => &[LINEAR, INVERSE],
        "canVanillaOptions" | "enableVanillaOptions" => &[OPTION],
        _ => &[],
    }
}
