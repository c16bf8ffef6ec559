//! Bitget's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use std::time::Duration;

use crate::exchanges::facts::{
    INVERSE, KeyAdmin, KeyShapes, LINEAR, Market, SPOT, Tolerance, VenueFacts,
};
use crate::exchanges::model::Category;
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // How far `ACCESS-TIMESTAMP` may stray is not published (docs/venues/bitget.md §10); 30 s
    // is what a page derived from Bitget's says, and what the simulator enforces (`40008`).
    clock: Some(Tolerance {
        ahead_ms: 30_000,
        behind_ms: 30_000,
    }),
    // The sub-account key endpoints serve main-account keys bound to IP addresses; no named
    // permission is documented for them (docs/venues/bitget.md §4), so a read-write key is asked
    // for, `chow` being the sub-account write authority `account/info` lists.
    key_admin: KeyAdmin::AnyOf {
        needed: &["chow", "stow", "coow", "wtow"],
        what: "a main-account key with read-write rights, bound to IP addresses (Bitget: API management, edit the key)",
        master_only: false,
    },
    key_admin_needs_ip_bound_master: true,
    master_from_listing: false,
    lists_sub_keys: true,
    listing_needs_account: true,
    kept,
    // `spot_trade` and `contract_trade` are separate rights (docs/venues/bitget.md §4).
    per_product_permissions: true,
    permission_markets,
    ccxt_symbol: &["symbol"],
    shapes: KeyShapes {
        // `bg_` and 32 hex digits (the docs' example key `bg_19aab20aafdb177408faf3fba6580656`).
        id: |t| {
            t.strip_prefix("bg_")
                .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
        },
        // 64 hex digits (the secret the simulator issues; Bitget shows no example).
        secret: |t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()),
        words: &["bitget"],
        needs_name: false,
    },
};

/// Order history, fills and records: the last 90 days (docs/venues/bitget.md §6).
fn kept(_: Category) -> Kept {
    const DAYS_90: Duration = Duration::from_secs(90 * 86_400);
    Kept {
        unfilled: Some(DAYS_90),
        filled: Some(DAYS_90),
        fills: Some(DAYS_90),
    }
}

/// The markets a right opens, in `permList` names and `account/info` authority codes.
fn permission_markets(permission: &str) -> &'static [Market] {
    match permission {
        "spot_trade" | "stow" | "margin_trade" | "smow" => &[SPOT],
        "contract_trade" | "coow" | "cpow" => &[LINEAR, INVERSE],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_markets() {
        assert!((FACTS.shapes.id)("bg_19aab20aafdb177408faf3fba6580656"));
        assert!(!(FACTS.shapes.id)("19aab20aafdb177408faf3fba6580656"));
        assert_eq!(permission_markets("contract_trade"), &[LINEAR, INVERSE]);
        assert!(permission_markets("read").is_empty());
    }
}
