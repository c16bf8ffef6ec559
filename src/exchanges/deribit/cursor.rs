//! The cursors of Deribit's lists that need more than one kind of call.
//!
//! - [`Walk`]: withdrawals, deposits and transfers are listed one currency at a time with
//!   `offset`/`count` (docs/venues/deribit.md §6), but lockdown asks for "every withdrawal": the
//!   cursor walks every source, every currency, every page, in a fixed order
//!   (`source:CURRENCY:offset`). The currencies are the method pages' five, then every other one
//!   `public/get_currencies` listed for this run ([`crate::exchanges::CallContext::known`]): a
//!   withdrawal in USDE, which only the listing names, is read too. The cursor holds the
//!   currency's name, not its place, so it stays valid when the listing grows.
//! - [`Tier`]: order history and user trades answer recent records (orders of the last 30
//!   minutes, trades of the last day) without `historical`, and older ones only with
//!   `historical=true`, neither list holding the other's (docs/venues/deribit.md §6): the cursor
//!   reads the recent pages, then the historical ones (`r:position`, `h:position`). The order
//!   history then reads the trigger-order log (`t:continuation`), where a stop or take order
//!   cancelled before it fired is kept: the order history shows none.
//!
//! Both are opaque to callers; only this adapter reads them back.

use crate::exchanges::model::Segment;

/// The currencies of the method pages' `currency` enum, always walked first
/// (docs/venues/deribit.md §6).
pub const CURRENCIES: &[&str] = &["BTC", "ETH", "USDC", "USDT", "EURR"];

/// The currencies a walk lists, in order: [`CURRENCIES`], then the settle currency of every
/// other segment in `known`, each once, in the order they were listed.
pub fn currencies(known: &[Segment]) -> Vec<&'static str> {
    let mut out = CURRENCIES.to_vec();
    for settle in known.iter().filter_map(|s| s.settle) {
        if !out.contains(&settle) {
            out.push(settle);
        }
    }
    out
}

/// One position in a walk: which list, which currency, how far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Index into the walk's sources.
    pub source: usize,
    /// The currency this step lists.
    pub currency: String,
    /// Items already read in this list and currency.
    pub offset: usize,
}

impl Walk {
    /// Reads a cursor; none (or one this adapter did not write) starts at the beginning.
    pub fn parse(cursor: Option<&str>) -> Walk {
        let start = Walk {
            source: 0,
            currency: CURRENCIES[0].to_owned(),
            offset: 0,
        };
        let Some(cursor) = cursor else {
            return start;
        };
        let mut parts = cursor.split(':');
        let (Some(source), Some(currency), Some(offset), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return start;
        };
        let named = currency.starts_with(|c: char| c.is_ascii_alphabetic())
            && currency.chars().all(|c| c.is_ascii_alphanumeric());
        match (source.parse(), offset.parse()) {
            (Ok(source), Ok(offset)) if named => Walk {
                source,
                currency: currency.to_owned(),
                offset,
            },
            _ => start,
        }
    }

    /// The currency this step lists.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The cursor after a page of `got` items out of `total` (the list's own count) in this
    /// step, with `sources` lists to walk over the currencies of `known` ([`currencies`]);
    /// `None` at the end. A currency the walk does not know (a cursor from a longer listing)
    /// ends its source.
    pub fn next(
        &self,
        got: usize,
        total: usize,
        sources: usize,
        known: &[Segment],
    ) -> Option<String> {
        let read = self.offset + got;
        let order = currencies(known);
        let after = order
            .iter()
            .position(|c| *c == self.currency)
            .and_then(|i| order.get(i + 1));
        let (source, currency, offset) = if got > 0 && read < total {
            (self.source, self.currency.as_str(), read)
        } else if let Some(currency) = after {
            (self.source, *currency, 0)
        } else if self.source + 1 < sources {
            (self.source + 1, order[0], 0)
        } else {
            return None;
        };
        Some(format!("{source}:{currency}:{offset}"))
    }
}

/// A position in a history read: recent or historical records, or the trigger-order log, and
/// where in that list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Whether this step reads the historical records.
    pub historical: bool,
    /// Whether this step reads the trigger-order log (order history only).
    pub trigger: bool,
    /// Where the next page starts (an offset, a trade id, a continuation); `None` at the list's
    /// start.
    pub position: Option<String>,
}

impl Tier {
    /// Reads a cursor; none starts with the recent records.
    pub fn parse(cursor: Option<&str>) -> Tier {
        let (historical, trigger, position) = match cursor.and_then(|c| c.split_once(':')) {
            Some(("h", position)) => (true, false, position),
            Some(("t", position)) => (false, true, position),
            Some((_, position)) => (false, false, position),
            None => (false, false, ""),
        };
        Tier {
            historical,
            trigger,
            position: (!position.is_empty()).then(|| position.to_owned()),
        }
    }

    /// The cursor after a page: `more` names where this list goes on, if it does; at the end of
    /// the recent records the historical ones follow.
    pub fn next(&self, more: Option<String>) -> Option<String> {
        let tier = match (self.trigger, self.historical) {
            (true, _) => "t",
            (false, true) => "h",
            (false, false) => "r",
        };
        match more {
            Some(position) => Some(format!("{tier}:{position}")),
            None if tier == "r" => Some("h:".to_owned()),
            None => None,
        }
    }

    /// The cursor after a page of the order history: as [`Tier::next`], and after the
    /// historical records the trigger-order log.
    pub fn next_order_page(&self, more: Option<String>) -> Option<String> {
        match self.next(more) {
            None if self.historical => Some("t:".to_owned()),
            next => next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_read_recent_then_historical() {
        let start = Tier::parse(None);
        assert!(!start.historical && start.position.is_none());
        let next = start.next(Some("100".into())).unwrap();
        assert_eq!(Tier::parse(Some(&next)).position.as_deref(), Some("100"));
        let history = start.next(None).unwrap();
        let h = Tier::parse(Some(&history));
        assert!(h.historical && h.position.is_none());
        assert_eq!(h.next(None), None);
        assert_eq!(
            Tier::parse(Some(&h.next(Some("USDT-7".into())).unwrap()))
                .position
                .as_deref(),
            Some("USDT-7")
        );
        // The order history goes on to the trigger-order log, then ends.
        let log = h.next_order_page(None).unwrap();
        let t = Tier::parse(Some(&log));
        assert!(t.trigger && !t.historical && t.position.is_none());
        let more = t.next_order_page(Some("1555918941451.SLIS-103".into()));
        assert_eq!(more.as_deref(), Some("t:1555918941451.SLIS-103"));
        assert_eq!(t.next_order_page(None), None);
        assert_eq!(start.next_order_page(None).as_deref(), Some("h:"));
    }

    #[test]
    fn walks_every_source_currency_and_page() {
        let walked = |known: &[Segment]| {
            let mut cursor: Option<String> = None;
            let mut seen = Vec::new();
            // Every list holds 3 items, read 2 at a time, over 2 sources.
            for _ in 0..100 {
                let walk = Walk::parse(cursor.as_deref());
                let got = (3 - walk.offset).min(2);
                seen.push((walk.source, walk.currency().to_owned(), walk.offset, got));
                cursor = walk.next(got, 3, 2, known);
                if cursor.is_none() {
                    break;
                }
            }
            seen
        };
        let fixed = walked(&[]);
        assert_eq!(fixed.len(), 2 * CURRENCIES.len() * 2);
        assert_eq!(fixed[0], (0, "BTC".to_owned(), 0, 2));
        assert_eq!(fixed[1], (0, "BTC".to_owned(), 2, 1));
        assert_eq!(fixed.last(), Some(&(1, "EURR".to_owned(), 2, 1)));
        assert_eq!(Walk::parse(Some("junk")), Walk::parse(None));
        assert_eq!(Walk::parse(Some("0:0:0")), Walk::parse(None));
    }

    #[test]
    fn walks_the_listed_currencies_after_the_fixed_ones() {
        use crate::exchanges::model::Category;
        let seg = |category, settle| Segment {
            category,
            settle: Some(settle),
        };
        // The fixed segments first (each currency once), then a listed-only one.
        let mut known = crate::exchanges::deribit::SEGMENTS.to_vec();
        known.push(seg(Category::Linear, "USDE"));
        known.push(seg(Category::Spot, "USDE"));
        assert_eq!(
            currencies(&known),
            ["BTC", "ETH", "USDC", "USDT", "EURR", "USDE"]
        );
        let eurr = Walk::parse(Some("0:EURR:0"));
        let next = eurr.next(0, 0, 2, &known).unwrap();
        assert_eq!(next, "0:USDE:0");
        let usde = Walk::parse(Some(&next));
        assert_eq!(usde.currency(), "USDE");
        assert_eq!(usde.next(1, 1, 2, &known).as_deref(), Some("1:BTC:0"));
        assert_eq!(Walk::parse(Some("1:USDE:0")).next(0, 0, 2, &known), None);
        // Without the listing the walk ends with the fixed list.
        assert_eq!(eurr.next(0, 0, 2, &[]).as_deref(), Some("1:BTC:0"));
    }
}
