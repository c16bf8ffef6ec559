//! Deribit's names for the venue's things: instruments, currencies, kinds, order and trade ids.
//!
//! The shared venue keeps instruments under their internal `BASE+QUOTE` symbol; Deribit calls
//! them `BTC_USDT` (spot) and `BTC_USDC-PERPETUAL` (linear perpetual), an inverse one
//! `BTC-PERPETUAL`, and an option keeps its Deribit name as its symbol (`BTC-27DEC26-100000-C`,
//! docs/venues/deribit.md §1). An instrument belongs to the currency it is
//! quoted or settled in (`USDT` for `BTC_USDT`, `BTC` for `BTC-PERPETUAL`), which is what the
//! per-currency lists filter on
//! (chosen: the docs do not say under which currency a spot pair is listed). Order ids are
//! `CURRENCY-number` and trade ids `CURRENCY-sequence`, as Deribit's examples show
//! (`ETH-100234`).

use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::state::Venue;

/// The first order number handed out.
pub(crate) const FIRST_ORDER_NO: u64 = 10_000_000;

/// Deribit's name for an instrument.
pub(crate) fn instrument_name(i: &Instrument) -> String {
    match i.category {
        // An option or a combo keeps its full name as its symbol (`BTC-27DEC26-100000-C`,
        // `BTC-FS-27DEC26_PERP`).
        _ if i.symbol.contains('-') => i.symbol.clone(),
        Category::Spot | Category::Option => format!("{}_{}", i.base_coin, i.settle_coin),
        Category::Linear => format!("{}_{}-PERPETUAL", i.base_coin, i.settle_coin),
        Category::Inverse => format!("{}-PERPETUAL", i.base_coin),
    }
}

/// Deribit's name for the instrument stored as `symbol` in `category`; the symbol itself when
/// the venue has no such instrument.
pub(crate) fn wire_symbol(v: &Venue, category: Category, symbol: &str) -> String {
    v.instrument(category, symbol)
        .map_or_else(|| symbol.to_owned(), instrument_name)
}

/// The instrument Deribit names `name`.
pub(crate) fn find<'v>(v: &'v Venue, name: &str) -> Option<&'v Instrument> {
    v.instruments.iter().find(|i| instrument_name(i) == name)
}

/// The currency an instrument is listed under: an inverse contract's coin (`BTC-PERPETUAL` is
/// BTC's), otherwise the quote or settlement currency.
pub(crate) fn currency(i: &Instrument) -> &str {
    match i.category {
        Category::Inverse => &i.base_coin,
        _ => &i.settle_coin,
    }
}

/// Deribit's instrument kind: a combo's by its name's two-letter tag (`BTC-FS-27DEC26_PERP`, a
/// future spread, is `future_combo`; `BTC-CS-…`, an option spread, `option_combo`), otherwise the
/// category's.
pub(crate) fn kind(i: &Instrument) -> &'static str {
    match i.symbol.split('-').nth(1) {
        Some("FS") => "future_combo",
        Some(tag) if tag.len() == 2 && tag.bytes().all(|b| b.is_ascii_uppercase()) => {
            "option_combo"
        }
        _ => match i.category {
            Category::Spot => "spot",
            Category::Linear | Category::Inverse => "future",
            Category::Option => "option",
        },
    }
}

/// Whether an instrument is in `currency` and of `kind` (`any` or absent: every kind; `combo`:
/// either combo kind).
pub(crate) fn listed(i: &Instrument, currency_wanted: &str, kind_wanted: Option<&str>) -> bool {
    let own = kind(i);
    currency(i) == currency_wanted
        && kind_wanted
            .is_none_or(|k| k == "any" || k == own || (k == "combo" && own.ends_with("_combo")))
}

/// A new order id for an instrument.
pub(crate) fn order_id(i: &Instrument, number: u64) -> String {
    format!("{}-{number}", currency(i))
}

/// A trade id for an instrument and the venue's execution sequence.
pub(crate) fn trade_id(i: &Instrument, seq: i64) -> String {
    format!("{}-{seq}", currency(i))
}

/// The sequence number in a trade id (`USDT-42` is 42).
pub(crate) fn trade_seq(trade_id: &str) -> Option<i64> {
    trade_id.rsplit('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_deribit() {
        let spot = Instrument::new(Category::Spot, "BTC", "USDT", 1.0);
        let perp = Instrument::new(Category::Linear, "BTC", "USDC", 1.0);
        assert_eq!(instrument_name(&spot), "BTC_USDT");
        assert_eq!(instrument_name(&perp), "BTC_USDC-PERPETUAL");
        assert!(listed(&spot, "USDT", Some("spot")) && listed(&spot, "USDT", None));
        assert!(!listed(&spot, "USDT", Some("future")) && !listed(&spot, "BTC", None));
        assert!(listed(&perp, "USDC", Some("future")) && listed(&perp, "USDC", Some("any")));
        let combo = Instrument {
            symbol: "BTC-FS-27DEC26_PERP".into(),
            ..Instrument::new(Category::Inverse, "BTC", "BTC", 1.0)
        };
        assert_eq!(instrument_name(&combo), "BTC-FS-27DEC26_PERP");
        assert!(
            listed(&combo, "BTC", Some("future_combo")) && listed(&combo, "BTC", Some("combo"))
        );
        assert!(!listed(&combo, "BTC", Some("future")) && listed(&combo, "BTC", Some("any")));
        assert_eq!(order_id(&spot, 7), "USDT-7");
        assert_eq!(trade_seq(&trade_id(&perp, 42)), Some(42));
    }
}
