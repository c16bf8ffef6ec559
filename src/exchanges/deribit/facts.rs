//! Deribit's documented facts outside the adapter's calls (`crate::exchanges::facts`).

use crate::exchanges::facts::{KeyAdmin, KeyShapes, Tolerance, VenueFacts, no_markets, text};
use crate::exchanges::retention::Kept;

pub(crate) static FACTS: VenueFacts = VenueFacts {
    // A signature's timestamp "is valid for 60 seconds"; timestamps from the future are not
    // documented, taken as the same 60 s (docs/venues/deribit.md §7).
    clock: Some(Tolerance {
        ahead_ms: 60_000,
        behind_ms: 60_000,
    }),
    // Key management takes `account:read_write` (docs/venues/deribit.md §4).
    key_admin: KeyAdmin::AnyOf {
        needed: &["account:read_write"],
        what: "a main-account key with the `account:read_write` scope (Deribit: Account, API, edit the key)",
        master_only: false,
    },
    key_admin_needs_ip_bound_master: false,
    // The account summary names the account, not the key: the master's scope and IP list come
    // from `private/list_api_keys` (docs/venues/deribit.md §4).
    master_from_listing: true,
    lists_sub_keys: true,
    // A listing with no subject is the main account's own keys.
    listing_needs_account: false,
    // With `historical=true` (which lockdown reads after the recent lists) records "persist
    // indefinitely" (docs/venues/deribit.md §6).
    kept: |_| Kept::default(),
    // `trade:read_write` opens every family.
    per_product_permissions: false,
    permission_markets: no_markets,
    ccxt_symbol: &["instrument_name"],
    shapes: KeyShapes {
        // The client id: short, letters and digits (`_`, `-` seen too).
        id: |t| (8..=12).contains(&t.len()) && text::alnum_dash(t) && text::letters_and_digits(t),
        // The client secret: 32 to 43 letters, digits, `_` and `-`.
        secret: |t| (32..=43).contains(&t.len()) && text::alnum_dash(t),
        words: &["deribit"],
        needs_name: true,
    },
};
