//! BingX's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use crate::exchanges::facts::{
    INVERSE, KeyAdmin, KeyShapes, LINEAR, Market, SPOT, Tolerance, VenueFacts, text,
};
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // "The timestamp of the request must be within 5 seconds of the API service time"; a stale
    // one is refused past `recvWindow`, which lockdown leaves at its default 5000 ms
    // (docs/venues/bingx.md §2).
    clock: Some(Tolerance {
        ahead_ms: 5_000,
        behind_ms: 5_000,
    }),
    // The sub-account key endpoints need a main-account key with "Manage Subaccounts", a right
    // the key's permission codes do not show (docs/venues/bingx.md §4, §10): the check reads a
    // listing only a main account may read.
    key_admin: KeyAdmin::AnyOf {
        needed: &["2"],
        what: "a main-account key with Read (2) and \"Manage Subaccounts\" (BingX: API Management, edit the key); the sub-account endpoints refuse any other",
        master_only: true,
    },
    key_admin_needs_ip_bound_master: false,
    master_from_listing: false,
    // The master's listing (`apiKey/query`) masks key ids (`zF*******zQ`), so readiness checks
    // and `audit` could not tell one key from another by it: each configured key describes
    // itself instead (`apiPermissions`: its full id, codes and IP list). The lock still reads the
    // listing, matching the masked id by head and tail (docs/venues/bingx.md §4).
    lists_sub_keys: false,
    listing_needs_account: true,
    // No retention is documented for the order histories (docs/venues/bingx.md §6).
    kept: |_| Kept::default(),
    per_product_permissions: true,
    permission_markets,
    ccxt_symbol: &["symbol"],
    shapes: KeyShapes {
        // The docs' example key has 83 letters and digits; keys in public code 83 to 85.
        id: |t| (80..=90).contains(&t.len()) && text::alnum(t) && text::mixed(t),
        // The secret likewise.
        secret: |t| (80..=90).contains(&t.len()) && text::alnum(t) && text::mixed(t),
        words: &["bingx"],
        needs_name: true,
    },
};

/// `1` spot trading, `3` perpetual futures trading (USDT-M and coin-M), docs/venues/bingx.md §4.
fn permission_markets(permission: &str) -> &'static [Market] {
    match permission.trim() {
        "1" => &[SPOT],
        "3" => &[LINEAR, INVERSE],
        _ => &[],
    }
}
