//! What each venue documents that the exchange-side checks judge by: how far off its clock a
//! signed request may be, which permission the master key needs to manage keys, whether key
//! management needs an IP-bound master, and where a key's scope and IP list can be read.
//!
//! Facts only, each with its page in `docs/venues/<venue>.md`; nothing here calls anything. A
//! fact a venue does not document is `None` or says so, never a guess presented as the venue's.

use crate::exchanges::{ExchangeId, bybit};

/// How far a signed request's timestamp may be from the exchange's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tolerance {
    /// This machine's clock ahead of the exchange's (timestamps from the future), ms.
    pub(super) ahead_ms: i64,
    /// This machine's clock behind the exchange's (stale timestamps), ms.
    pub(super) behind_ms: i64,
}

/// The venue's timestamp window; `None` when it checks none (Kraken checks nonces only).
pub(super) fn clock_tolerance(venue: ExchangeId) -> Option<Tolerance> {
    match venue {
        // `server_time - recv_window <= timestamp < server_time + 1000`, and lockdown sends a
        // 5000 ms `X-BAPI-RECV-WINDOW` (docs/venues/bybit.md §7).
        ExchangeId::Bybit => Some(Tolerance {
            ahead_ms: 1_000,
            behind_ms: bybit::RECV_WINDOW_MS,
        }),
        // `timestamp < serverTime + 1000` and `serverTime - timestamp <= recvWindow`, lockdown's
        // `recvWindow` 5000 (docs/venues/binance.md §7).
        ExchangeId::Binance => Some(Tolerance {
            ahead_ms: 1_000,
            behind_ms: crate::exchanges::binance::RECV_WINDOW_MS,
        }),
        // `OK-ACCESS-TIMESTAMP` more than 30 s from the server's time is refused, `50102`
        // (docs/venues/okx.md §7).
        ExchangeId::Okx => Some(Tolerance {
            ahead_ms: 30_000,
            behind_ms: 30_000,
        }),
        // A signature's timestamp "is valid for 60 seconds"; timestamps from the future are not
        // documented, taken as the same 60 s (docs/venues/deribit.md §7).
        ExchangeId::Deribit => Some(Tolerance {
            ahead_ms: 60_000,
            behind_ms: 60_000,
        }),
        // Only the nonce's order is checked (docs/venues/kraken.md §7).
        ExchangeId::Kraken => None,
        // `api-expires` must lie after the server's clock, and lockdown sends it 10 s ahead, so
        // this machine may be 10 s behind. How far into the future BitMEX accepts it is not
        // documented (docs/venues/bitmex.md §2): taken as the same 10 s, the cautious reading.
        ExchangeId::Bitmex => Some(Tolerance {
            ahead_ms: crate::exchanges::bitmex::EXPIRES_AHEAD_S * 1000,
            behind_ms: crate::exchanges::bitmex::EXPIRES_AHEAD_S * 1000,
        }),
    }
}

/// What the master credential needs before the playbook's key steps can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAdmin {
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

/// The master's key-management permission on `venue`.
pub(crate) fn key_admin(venue: ExchangeId) -> KeyAdmin {
    match venue {
        // create-sub-api, frozen-sub-member, delete-api: "holding AccountTransfer,
        // SubMemberTransfer or Withdrawal" on a read-write master key (docs/venues/bybit.md §4).
        ExchangeId::Bybit => KeyAdmin::AnyOf {
            needed: &[
                "Wallet:AccountTransfer",
                "Wallet:SubMemberTransfer",
                "Wallet:Withdraw",
            ],
            what: "a read-write master key with Wallet `AccountTransfer`, `SubMemberTransfer` or `Withdraw` (Bybit: API management, edit the key)",
            master_only: false,
        },
        // The sub-account key endpoints' "permission Trade" (docs/venues/okx.md §4).
        ExchangeId::Okx => KeyAdmin::AnyOf {
            needed: &["trade"],
            what: "a master-account key with the `Trade` permission (OKX: API management, edit the key)",
            master_only: false,
        },
        // Sub-account keys: "For Master Account" endpoints, and the IP restriction (the lock)
        // needs "Enable Spot & Margin Trading" on the calling key; Binance Link: "the calling
        // key must have trade enabled" (docs/venues/binance.md §4).
        ExchangeId::Binance => KeyAdmin::AnyOf {
            needed: &["enableSpotAndMarginTrading"],
            what: "a master-account key with \"Enable Spot & Margin Trading\" (Binance: API management, edit the key)",
            master_only: true,
        },
        // Key management takes `account:read_write` (docs/venues/deribit.md §4).
        ExchangeId::Deribit => KeyAdmin::AnyOf {
            needed: &["account:read_write"],
            what: "a main-account key with the `account:read_write` scope (Deribit: Account, API, edit the key)",
            master_only: false,
        },
        // No endpoint creates, changes or deletes a key (docs/venues/kraken.md §4).
        ExchangeId::Kraken => KeyAdmin::Guided,
        // Keys are only listed since 2019 (docs/venues/bitmex.md §4).
        ExchangeId::Bitmex => KeyAdmin::Guided,
    }
}

/// Whether key management through the master refuses an unbound master key (OKX `50035`,
/// docs/venues/okx.md §4); elsewhere an unbound master only breaks least privilege.
pub(super) fn key_admin_needs_ip_bound_master(venue: ExchangeId) -> bool {
    venue == ExchangeId::Okx
}

/// Whether the master key's own scope and IP list are read from the account's key listing
/// rather than from `WhoAmI` (Deribit's account summary names the account, not the key:
/// docs/venues/deribit.md §4, `private/list_api_keys`).
pub(crate) fn master_from_listing(venue: ExchangeId) -> bool {
    venue == ExchangeId::Deribit
}

/// Whether bot keys can be listed through the master (Kraken has no key listing, docs/venues/
/// kraken.md §4: a key describes only itself).
pub(crate) fn lists_sub_keys(venue: ExchangeId) -> bool {
    venue != ExchangeId::Kraken
}

/// Whether a key listing needs the key's `account:` (every venue but Deribit, whose listing with
/// no subject is the main account's own keys).
pub(crate) fn listing_needs_account(venue: ExchangeId) -> bool {
    venue != ExchangeId::Deribit
}

/// Days before a key's expiry that `master.expiry` warns.
pub(crate) const EXPIRY_WARNING_DAYS: i64 = 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_timestamp_venue_has_a_window_and_kraken_none() {
        for venue in ExchangeId::ALL {
            let tolerance = clock_tolerance(*venue);
            assert_eq!(tolerance.is_none(), *venue == ExchangeId::Kraken, "{venue}");
            if let Some(t) = tolerance {
                assert!(t.ahead_ms > 0 && t.behind_ms >= t.ahead_ms, "{venue}");
            }
        }
    }
}
