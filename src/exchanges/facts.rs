//! What each venue documents that modules outside its folders judge by, in one record per
//! venue ([`VenueFacts`], in `src/exchanges/<venue>/facts.rs`, reached from its row in
//! `src/venues.rs`).
//!
//! Readiness checks (clock window, key administration), the diff (how long history is kept),
//! `audit` (what a permission opens), `scan` (what a key looks like) and the CCXT ledger import
//! (where an order names its market) each used to `match` on the venue. A new venue then had to
//! find and extend every one of those matches; a record whose every field must be written makes
//! the compiler ask the questions instead. Facts only, each with its page in
//! `docs/venues/<venue>.md`; a fact a venue does not document is `None` or says so, never a guess
//! presented as the venue's.

use super::model::{Category, Segment};
use super::retention::Kept;

/// One venue's documented facts (see the module docs for who reads each).
#[derive(Debug)]
pub struct VenueFacts {
    /// The timestamp window a signed request must fall in; `None` when the venue checks none
    /// (Kraken checks nonces only).
    pub clock: Option<Tolerance>,
    /// What the master credential needs before the playbook's key steps can run.
    pub key_admin: KeyAdmin,
    /// Whether key management through the master refuses an unbound master key (OKX `50035`);
    /// elsewhere an unbound master only breaks least privilege.
    pub key_admin_needs_ip_bound_master: bool,
    /// Whether the master key's own scope and IP list are read from the account's key listing
    /// rather than from `WhoAmI` (Deribit's account summary names the account, not the key).
    pub master_from_listing: bool,
    /// Whether bot keys can be listed through the master (Kraken: a key describes only itself).
    pub lists_sub_keys: bool,
    /// Whether a key listing needs the key's `account:` (Deribit's listing with no subject is the
    /// main account's own keys).
    pub listing_needs_account: bool,
    /// How long the venue keeps each category's orders and fills readable.
    pub kept: fn(Category) -> Kept,
    /// Whether trading permissions are per product (so that unused products can be told).
    pub per_product_permissions: bool,
    /// The markets a trading permission (as the adapter names it) opens; empty for one that
    /// opens none or is not per product.
    pub permission_markets: fn(&str) -> &'static [Market],
    /// The keys of a CCXT order's `info` that hold the venue's own symbol, in order of trust.
    pub ccxt_symbol: &'static [&'static str],
    /// What the venue's keys look like, for `lockdown scan`.
    pub shapes: KeyShapes,
}

/// How far a signed request's timestamp may be from the exchange's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// This machine's clock ahead of the exchange's (timestamps from the future), ms.
    pub ahead_ms: i64,
    /// This machine's clock behind the exchange's (stale timestamps), ms.
    pub behind_ms: i64,
}

/// What the master credential needs before the playbook's key steps can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAdmin {
    /// A read-write key holding any of `needed` (as the adapter names them); `what` says how
    /// to give it. `master_only`: the venue serves key management to a master-account key
    /// only and its key answer cannot tell one, so a listing only a master may read is tried.
    AnyOf {
        needed: &'static [&'static str],
        what: &'static str,
        master_only: bool,
    },
    /// No key management by API: the key steps are guided manual steps.
    Guided,
}

/// A market a trading permission opens: a family, narrowed to one settle coin where the
/// venue's permission is (Bybit's `Options` on a classic account: options and USDC contracts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Market {
    /// The family.
    pub category: Category,
    /// The settle coin (as the venue's segments name it); `None`: the whole family.
    pub settle: Option<&'static str>,
}

impl Market {
    /// A whole family.
    pub const fn all(category: Category) -> Market {
        Market {
            category,
            settle: None,
        }
    }

    /// Whether orders of `segment` are orders in this market.
    pub fn holds(self, segment: &Segment) -> bool {
        segment.category == self.category
            && (self.settle.is_none() || segment.settle == self.settle)
    }

    /// The market for people: `option`, `linear/USDC`.
    pub fn name(self) -> String {
        match self.settle {
            Some(settle) => format!("{}/{settle}", self.category.as_str()),
            None => self.category.as_str().to_owned(),
        }
    }
}

/// Every spot market.
pub const SPOT: Market = Market::all(Category::Spot);
/// Every linear contract.
pub const LINEAR: Market = Market::all(Category::Linear);
/// Every inverse contract.
pub const INVERSE: Market = Market::all(Category::Inverse);
/// Every option.
pub const OPTION: Market = Market::all(Category::Option);

/// No per-product permission: every trading permission opens every family.
pub fn no_markets(_permission: &str) -> &'static [Market] {
    &[]
}

/// What one venue's keys look like. A shape alone never makes a `scan` finding (see
/// `src/scan/pattern.rs`); each shape's source is in docs/scan.md.
#[derive(Debug)]
pub struct KeyShapes {
    /// Whether text has the shape of the venue's key ids.
    pub id: fn(&str) -> bool,
    /// Whether text has the shape of the venue's secrets.
    pub secret: fn(&str) -> bool,
    /// The venue's names in identifiers and text, lower case (`okx`, `okex`).
    pub words: &'static [&'static str],
    /// Whether a pair of shapes needs the venue's name about (Deribit's client id shape is too
    /// plain to stand on its own).
    pub needs_name: bool,
}

/// Character classes the shapes are written in.
pub mod text {
    /// Whether every byte is in `[A-Za-z0-9]`.
    pub fn alnum(text: &str) -> bool {
        text.bytes().all(|b| b.is_ascii_alphanumeric())
    }

    /// Whether every byte is in `[A-Za-z0-9_-]`.
    pub fn alnum_dash(text: &str) -> bool {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// Whether every byte is in the base64 alphabet, padding aside.
    pub fn base64ish(text: &str) -> bool {
        text.trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    }

    /// A lowercase hyphenated UUID (`8-4-4-4-12` hex).
    pub fn uuid(text: &str) -> bool {
        let parts: Vec<&str> = text.split('-').collect();
        parts.len() == 5
            && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| {
                p.len() == n && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
    }

    /// Upper case, lower case and digits all present: what generated keys look like, and most
    /// words and identifiers do not.
    pub fn mixed(text: &str) -> bool {
        text.bytes().any(|b| b.is_ascii_uppercase())
            && text.bytes().any(|b| b.is_ascii_lowercase())
            && text.bytes().any(|b| b.is_ascii_digit())
    }

    /// Both letters and digits present.
    pub fn letters_and_digits(text: &str) -> bool {
        text.bytes().any(|b| b.is_ascii_digit()) && text.bytes().any(|b| b.is_ascii_alphabetic())
    }
}

#[cfg(test)]
mod tests {
    use super::text::*;
    use crate::exchanges::ExchangeId;

    #[test]
    fn character_classes() {
        assert!(alnum("aB3") && !alnum("a-b"));
        assert!(alnum_dash("a-b_c") && !alnum_dash("a+b"));
        assert!(base64ish("ab+/cd==") && !base64ish("ab-c"));
        assert!(uuid("0f8a1c2e-1234-4abc-8def-0123456789ab"));
        assert!(!uuid("0F8A1C2E-1234-4ABC-8DEF-0123456789AB"));
        assert!(mixed("aB3") && !mixed("ab3") && !mixed("aBc"));
        assert!(letters_and_digits("a1") && !letters_and_digits("aa"));
    }

    #[test]
    fn every_timestamp_window_is_wider_behind_than_ahead_and_kraken_has_none() {
        for venue in ExchangeId::ALL {
            if let Some(t) = venue.facts().clock {
                assert!(t.ahead_ms > 0 && t.behind_ms >= t.ahead_ms, "{venue}");
            }
        }
        assert!(ExchangeId::Kraken.facts().clock.is_none());
    }

    #[test]
    fn every_venue_names_itself_and_keeps_its_shapes_apart() {
        for venue in ExchangeId::ALL {
            let facts = venue.facts();
            assert!(
                facts.shapes.words.contains(&venue.as_str()),
                "{venue}: scan would not see its own name"
            );
            assert!(!facts.ccxt_symbol.is_empty(), "{venue}: no CCXT symbol key");
            if facts.key_admin_needs_ip_bound_master {
                assert!(
                    matches!(facts.key_admin, super::KeyAdmin::AnyOf { .. }),
                    "{venue}: an IP-bound master for key steps it cannot take"
                );
            }
        }
    }
}
