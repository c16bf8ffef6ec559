//! `public/get_currencies`: every currency the venue knows, and the rule that a per-currency
//! method takes only those.
//!
//! Deribit's "Using the currency parameter" article calls `public/get_currencies` the
//! authoritative list and the method pages' `currency` enums (BTC, ETH, USDC, USDT, EURR) a
//! snapshot: any symbol it returns is a valid currency, any other is refused
//! (docs/venues/deribit.md §6). The simulator lists the five of the enums, then every coin of
//! its instruments (a `BTC_USDE` pair adds `USDE`), in that order, each in the documented shape
//! (the method page's example); the fees and confirmations are plausible values, not Deribit's.

use serde_json::{Value, json};

use crate::sim::state::Venue;

/// The currencies of the method pages' `currency` enum, always listed.
const ENUMERATED: &[&str] = &["BTC", "ETH", "USDC", "USDT", "EURR"];

/// Every currency the venue lists, in order, each once.
pub(crate) fn listed(v: &Venue) -> Vec<String> {
    let mut out: Vec<String> = ENUMERATED.iter().map(|c| (*c).to_owned()).collect();
    for inst in &v.instruments {
        for coin in [&inst.base_coin, &inst.settle_coin] {
            // `USD` is the quote of inverse contracts, not a currency one holds on Deribit.
            if coin != "USD" && !out.contains(coin) {
                out.push(coin.clone());
            }
        }
    }
    out
}

/// Whether a per-currency method takes `currency`.
pub(crate) fn is_listed(v: &Venue, currency: &str) -> bool {
    listed(v).iter().any(|c| c == currency)
}

/// The answer to `public/get_currencies`.
pub(crate) fn get_currencies(v: &Venue) -> Value {
    Value::Array(listed(v).iter().map(|c| entry(c)).collect())
}

/// One currency in the documented shape.
fn entry(currency: &str) -> Value {
    let (coin_type, long, decimals) = match currency {
        "BTC" => ("BITCOIN", "Bitcoin", 8),
        "ETH" => ("ETHER", "Ethereum", 6),
        "USDC" | "USDT" | "EURR" | "USDE" => ("ERC20", currency, 6),
        _ => ("ERC20", currency, 8),
    };
    json!({
        "coin_type": coin_type,
        "currency": currency,
        "currency_long": long,
        "min_confirmations": 1,
        "min_withdrawal_fee": 0.0001,
        "withdrawal_fee": 0.0001,
        "withdrawal_priorities": [{ "value": 0.15, "name": "very_low" }],
        "network_currency": if currency == "BTC" { "BTC" } else { "ETH" },
        "network_fee": 0.0001,
        "decimals": decimals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::instrument::Instrument;
    use crate::sim::order::Category;

    #[test]
    fn the_enum_then_every_coin_of_the_instruments() {
        let mut v = Venue::new(&crate::sim::deribit::DIALECT, 1, 1);
        v.instruments = vec![
            Instrument::new(Category::Spot, "BTC", "USDE", 1.0),
            Instrument::new(Category::Inverse, "ETH", "USD", 1.0),
        ];
        assert_eq!(
            listed(&v),
            ["BTC", "ETH", "USDC", "USDT", "EURR", "USDE"],
            "no `USD`: inverse contracts settle in their coin"
        );
        assert!(is_listed(&v, "USDE") && !is_listed(&v, "SOL"));
        assert_eq!(get_currencies(&v)[5]["currency"], "USDE");
    }
}
