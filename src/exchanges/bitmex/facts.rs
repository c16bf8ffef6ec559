//! BitMEX's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use crate::exchanges::facts::{KeyAdmin, KeyShapes, Tolerance, VenueFacts, no_markets, text};
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // `api-expires` must lie after the server's clock, and lockdown sends it 10 s ahead, so this
    // machine may be 10 s behind. How far into the future BitMEX accepts it is not documented
    // (docs/venues/bitmex.md §2): taken as the same 10 s, the cautious reading.
    clock: Some(Tolerance {
        ahead_ms: super::EXPIRES_AHEAD_S * 1000,
        behind_ms: super::EXPIRES_AHEAD_S * 1000,
    }),
    // Keys are only listed since 2019 (docs/venues/bitmex.md §4).
    key_admin: KeyAdmin::Guided,
    key_admin_needs_ip_bound_master: false,
    master_from_listing: false,
    lists_sub_keys: true,
    listing_needs_account: true,
    // `GET /order` and `tradeHistory` state no limit (docs/venues/bitmex.md §6).
    kept: |_| Kept::default(),
    // `order` opens every market of the account (docs/venues/bitmex.md §4).
    per_product_permissions: false,
    permission_markets: no_markets,
    ccxt_symbol: &["symbol"],
    shapes: KeyShapes {
        // 24 alphanumeric characters (the key id of BitMEX's signing examples).
        id: |t| t.len() == 24 && text::alnum(t) && text::mixed(t),
        // 48 letters, digits, `_` and `-` (the secret of BitMEX's signing examples).
        secret: |t| t.len() == 48 && text::alnum_dash(t) && text::mixed(t),
        words: &["bitmex"],
        needs_name: false,
    },
};
