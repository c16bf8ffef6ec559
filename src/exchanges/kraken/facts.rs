//! Kraken's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use crate::exchanges::facts::{KeyAdmin, KeyShapes, VenueFacts, no_markets, text};
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // Only the nonce's order is checked (docs/venues/kraken.md §7).
    clock: None,
    // No endpoint creates, changes or deletes a key (docs/venues/kraken.md §4).
    key_admin: KeyAdmin::Guided,
    key_admin_needs_ip_bound_master: false,
    master_from_listing: false,
    // No key listing: a key describes only itself (docs/venues/kraken.md §4).
    lists_sub_keys: false,
    listing_needs_account: true,
    // `ClosedOrders` and `TradesHistory` state no limit (docs/venues/kraken.md §6).
    kept: |_| Kept::default(),
    per_product_permissions: false,
    permission_markets: no_markets,
    ccxt_symbol: &["descr.pair"],
    shapes: KeyShapes {
        // The public key: 56 base64 characters.
        id: |t| t.len() == 56 && text::base64ish(t) && text::mixed(t),
        // The private key: 88 base64 characters (64 bytes), ending in `==`.
        secret: |t| t.len() == 88 && t.ends_with("==") && text::base64ish(t),
        words: &["kraken"],
        needs_name: false,
    },
};
