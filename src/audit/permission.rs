//! What a key's permissions and IP list mean, as the adapters name them: whether a permission
//! moves money off the account, which markets a trading permission opens, and whether
//! an IP list is so wide that it binds nothing.
//!
//! Facts only, each from the venue's page in `docs/venues/<venue>.md` §4; nothing here calls
//! anything. A venue whose trading permission is not per product (OKX `trade`, Deribit
//! `trade:read_write`, Kraken's order rights) opens every family, so "broader than the bot uses"
//! cannot be judged from its permissions and is not.

use std::net::IpAddr;

use crate::exchanges::ExchangeId;

/// Whether a permission, as the adapter names it, moves money off the account: a withdrawal or
/// a transfer right (Bybit `Wallet:*Transfer*`/`Withdraw`, Binance `canUniversalTransfer`,
/// `enableWithdrawals`, Kraken `withdraw-funds`, Deribit `wallet:read_write`, OKX `withdraw`).
pub(crate) fn moves_money(permission: &str) -> bool {
    let p = permission.to_ascii_lowercase();
    p.contains("withdraw") || p.contains("transfer") || p == "wallet:read_write"
}

pub(crate) use crate::exchanges::facts::Market;

/// The markets a trading permission opens on `venue` (the venue's record,
/// `docs/venues/<venue>.md` §4); empty for a permission that opens none, or one that is not per
/// product.
pub(crate) fn markets(venue: ExchangeId, permission: &str) -> &'static [Market] {
    (venue.facts().permission_markets)(permission)
}

/// Whether `venue`'s trading permissions are per product (so that unused products can be told).
pub(crate) fn per_product(venue: ExchangeId) -> bool {
    venue.facts().per_product_permissions
}

/// Why an IP-list entry binds (almost) nothing, or `None` when it is a real bound: `*`, an
/// unspecified address, or a network wider than a /16 (IPv4) or a /32 (IPv6), which covers a
/// whole provider rather than the owner's servers.
pub(crate) fn wide(entry: &str) -> Option<String> {
    let entry = entry.trim();
    if entry == "*" {
        return Some("`*` (any address)".to_owned());
    }
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, prefix.parse::<u8>().ok()),
        None => (entry, None),
    };
    let address: IpAddr = address.parse().ok()?;
    if address.is_unspecified() {
        return Some(format!("`{entry}` (any address)"));
    }
    let limit = if address.is_ipv4() { 16 } else { 32 };
    match prefix {
        Some(bits) if bits < limit => Some(format!(
            "`{entry}` (a /{bits} network: {} addresses or more)",
            if address.is_ipv4() { "65536" } else { "2^96" }
        )),
        _ => None,
    }
}

/// Whether an IP list shows addresses (Binance's listings show only *that* a list exists, as a
/// word, so nothing about its width can be told).
pub(crate) fn shows_addresses(ips: &[String]) -> bool {
    ips.iter().any(|ip| {
        let address = ip.split('/').next().unwrap_or(ip).trim();
        address == "*" || address.parse::<IpAddr>().is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withdraw_and_transfer_rights_move_money() {
        for (perm, moves) in [
            ("Wallet:Withdraw", true),
            ("Wallet:SubMemberTransferList", true),
            ("canUniversalTransfer", true),
            ("withdraw-funds", true),
            ("wallet:read_write", true),
            ("wallet:read", false),
            ("Spot:SpotTrade", false),
            ("trade", false),
            ("canTrade", false),
        ] {
            assert_eq!(moves_money(perm), moves, "{perm}");
        }
    }

    #[test]
    fn wide_lists_are_any_address_or_big_networks() {
        for (label, entry, wide_) in [
            ("star", "*", true),
            ("unspecified v4", "0.0.0.0", true),
            ("everything v4", "0.0.0.0/0", true),
            ("a /8", "10.0.0.0/8", true),
            ("a /16", "203.0.0.0/16", false),
            ("one address", "203.0.113.7", false),
            ("a /24", "203.0.113.0/24", false),
            ("everything v6", "::/0", true),
            ("a v6 /48", "2001:db8:1::/48", false),
            ("not an address", "restricted", false),
        ] {
            assert_eq!(wide(entry).is_some(), wide_, "{label}");
        }
    }

    use crate::exchanges::facts::{INVERSE, LINEAR, SPOT};
    use crate::exchanges::model::{Category, Segment};

    #[test]
    fn only_bybit_and_binance_name_products_in_their_permissions() {
        assert_eq!(markets(ExchangeId::Bybit, "Spot:SpotTrade"), &[SPOT]);
        assert_eq!(
            markets(ExchangeId::Binance, "canFuturesTrade"),
            &[LINEAR, INVERSE]
        );
        assert!(markets(ExchangeId::Okx, "trade").is_empty());
        assert!(markets(ExchangeId::Bybit, "Wallet:AccountTransfer").is_empty());
        let usdc = Segment {
            category: Category::Linear,
            settle: Some("USDC"),
        };
        let usdt = Segment {
            category: Category::Linear,
            settle: Some("USDT"),
        };
        let usdc_linear = markets(ExchangeId::Bybit, "Options:OptionsTrade")[1];
        assert!(usdc_linear.holds(&usdc) && !usdc_linear.holds(&usdt) && LINEAR.holds(&usdt));
        assert!(!per_product(ExchangeId::Deribit));
    }
}
