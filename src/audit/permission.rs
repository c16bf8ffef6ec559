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
use crate::exchanges::model::{Category, Segment};

/// Whether a permission, as the adapter names it, moves money off the account: a withdrawal or
/// a transfer right (Bybit `Wallet:*Transfer*`/`Withdraw`, Binance `canUniversalTransfer`,
/// `enableWithdrawals`, Kraken `withdraw-funds`, Deribit `wallet:read_write`, OKX `withdraw`).
pub(crate) fn moves_money(permission: &str) -> bool {
    let p = permission.to_ascii_lowercase();
    p.contains("withdraw") || p.contains("transfer") || p == "wallet:read_write"
}

/// A market a trading permission opens: a family, narrowed to one settle coin where the
/// venue's permission is (Bybit's `Options` on a classic account: options and USDC contracts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Market {
    /// The family.
    pub(crate) category: Category,
    /// The settle coin (as the venue's segments name it); `None`: the whole family.
    pub(crate) settle: Option<&'static str>,
}

impl Market {
    const fn all(category: Category) -> Market {
        Market {
            category,
            settle: None,
        }
    }

    /// Whether orders of `segment` are orders in this market.
    pub(crate) fn holds(self, segment: &Segment) -> bool {
        segment.category == self.category
            && (self.settle.is_none() || segment.settle == self.settle)
    }

    /// The market for people: `option`, `linear/USDC`.
    pub(crate) fn name(self) -> String {
        match self.settle {
            Some(settle) => format!("{}/{settle}", self.category.as_str()),
            None => self.category.as_str().to_owned(),
        }
    }
}

const SPOT: Market = Market::all(Category::Spot);
const LINEAR: Market = Market::all(Category::Linear);
const INVERSE: Market = Market::all(Category::Inverse);
const OPTION: Market = Market::all(Category::Option);
const USDC_LINEAR: Market = Market {
    category: Category::Linear,
    settle: Some("USDC"),
};

/// The markets a trading permission opens on `venue`; empty for a permission that opens none,
/// or one that is not per product.
pub(crate) fn markets(venue: ExchangeId, permission: &str) -> &'static [Market] {
    match venue {
        // Bybit's groups (docs/venues/bybit.md §4; https://bybit-exchange.github.io/docs/v5/user/apikey-info):
        // `Spot: [SpotTrade]`, `ContractTrade: [Order, Position]` (USDT/USDC and inverse
        // contracts), `Options: [OptionsTrade]` ("USDC Contract: it supports trade option and
        // USDC perpetual"), `Derivatives: [DerivativesTrade]` (a unified account's contracts and
        // options).
        ExchangeId::Bybit => match permission {
            "Spot:SpotTrade" => &[SPOT],
            "ContractTrade:Order" | "ContractTrade:Position" => &[LINEAR, INVERSE],
            "Options:OptionsTrade" => &[OPTION, USDC_LINEAR],
            "Derivatives:DerivativesTrade" => &[LINEAR, INVERSE, OPTION],
            _ => &[],
        },
        // A sub-account key's flags (`canTrade`, `canFuturesTrade`, `canVanillaOptions`) and a
        // key's own restrictions (`enableSpotAndMarginTrading`, `enableFutures`,
        // `enableVanillaOptions`; https://developers.binance.com/docs/wallet/endpoints/api-key-permission),
        // docs/venues/binance.md §4.
        ExchangeId::Binance => match permission {
            "canTrade" | "enableSpotAndMarginTrading" | "enableMargin" => &[SPOT],
            "canFuturesTrade" | "enableFutures" => &[LINEAR, INVERSE],
            "canVanillaOptions" | "enableVanillaOptions" => &[OPTION],
            _ => &[],
        },
        // BitMEX's `order` opens every market of the account (docs/venues/bitmex.md §4).
        ExchangeId::Okx | ExchangeId::Deribit | ExchangeId::Kraken | ExchangeId::Bitmex => &[],
    }
}

/// Whether `venue`'s trading permissions are per product (so that unused products can be told).
pub(crate) fn per_product(venue: ExchangeId) -> bool {
    matches!(venue, ExchangeId::Bybit | ExchangeId::Binance)
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
        assert!(USDC_LINEAR.holds(&usdc) && !USDC_LINEAR.holds(&usdt) && LINEAR.holds(&usdt));
        assert!(!per_product(ExchangeId::Deribit));
    }
}
