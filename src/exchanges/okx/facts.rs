//! OKX's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use std::time::Duration;

use crate::exchanges::facts::{KeyAdmin, KeyShapes, Tolerance, VenueFacts, no_markets, text};
use crate::exchanges::model::Category;
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // `OK-ACCESS-TIMESTAMP` more than 30 s from the server's time is refused, `50102`
    // (docs/venues/okx.md §7).
    clock: Some(Tolerance {
        ahead_ms: 30_000,
        behind_ms: 30_000,
    }),
    // The sub-account key endpoints' "permission Trade" (docs/venues/okx.md §4).
    key_admin: KeyAdmin::AnyOf {
        needed: &["trade"],
        what: "a master-account key with the `Trade` permission (OKX: API management, edit the key)",
        master_only: false,
    },
    // `50035`: key management needs an IP-bound master (docs/venues/okx.md §4).
    key_admin_needs_ip_bound_master: true,
    master_from_listing: false,
    lists_sub_keys: true,
    listing_needs_account: true,
    kept,
    // `trade` opens every family.
    per_product_permissions: false,
    permission_markets: no_markets,
    ccxt_symbol: &["instId"],
    shapes: KeyShapes {
        // A UUID.
        id: text::uuid,
        // 32 upper-case hex digits.
        secret: |t| {
            t.len() == 32
                && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
                && text::letters_and_digits(t)
        },
        words: &["okx", "okex"],
        needs_name: false,
    },
};

/// Order history 7 days and its archive 3 months, cancelled orders without a fill 2 h in both;
/// fills 3 days and their archive 3 months (docs/venues/okx.md §6).
fn kept(_: Category) -> Kept {
    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(86_400);
    Kept {
        unfilled: Some(2 * HOUR),
        filled: Some(90 * DAY),
        fills: Some(90 * DAY),
    }
}
