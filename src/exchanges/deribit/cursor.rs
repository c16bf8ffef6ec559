//! The cursors of Deribit's lists that need more than one kind of call.
//!
//! - [`Walk`]: withdrawals, deposits and transfers are listed one currency at a time with
//!   `offset`/`count` (docs/venues/deribit.md §6), but lockdown asks for "every withdrawal": the
//!   cursor walks every source, every currency, every page, in a fixed order
//!   (`source:CUR:offset`).
//! - [`Tier`]: order history and user trades answer recent records (orders of the last 30
//!   minutes, trades of the last day) without `historical`, and older ones only with
//!   `historical=true`, neither list holding the other's (docs/venues/deribit.md §6): the cursor
//!   reads the recent pages, then the historical ones (`r:position`, `h:position`).
//!
//! Both are opaque to callers; only this adapter reads them back.

/// The currencies Deribit lists money movements and order history by (docs/venues/deribit.md §6).
pub const CURRENCIES: &[&str] = &["BTC", "ETH", "USDC", "USDT", "EURR"];

/// One position in a walk: which list, which currency, how far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Index into the walk's sources.
    pub source: usize,
    /// Index into [`CURRENCIES`].
    pub currency: usize,
    /// Items already read in this list and currency.
    pub offset: usize,
}

impl Walk {
    /// Reads a cursor; none (or one this adapter did not write) starts at the beginning.
    pub fn parse(cursor: Option<&str>) -> Walk {
        let start = Walk {
            source: 0,
            currency: 0,
            offset: 0,
        };
        let Some(cursor) = cursor else {
            return start;
        };
        let mut parts = cursor.split(':');
        let (Some(source), Some(currency), Some(offset)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return start;
        };
        match (source.parse(), currency.parse(), offset.parse()) {
            (Ok(source), Ok(currency), Ok(offset)) if currency < CURRENCIES.len() => Walk {
                source,
                currency,
                offset,
            },
            _ => start,
        }
    }

    /// The currency this step lists.
    pub fn currency(&self) -> &'static str {
        CURRENCIES.get(self.currency).copied().unwrap_or("BTC")
    }

    /// The cursor after a page of `got` items out of `total` (the list's own count) in this
    /// step, with `sources` lists to walk; `None` at the end.
    pub fn next(&self, got: usize, total: usize, sources: usize) -> Option<String> {
        let read = self.offset + got;
        let next = if got > 0 && read < total {
            Walk {
                offset: read,
                ..self.clone()
            }
        } else if self.currency + 1 < CURRENCIES.len() {
            Walk {
                source: self.source,
                currency: self.currency + 1,
                offset: 0,
            }
        } else if self.source + 1 < sources {
            Walk {
                source: self.source + 1,
                currency: 0,
                offset: 0,
            }
        } else {
            return None;
        };
        Some(format!("{}:{}:{}", next.source, next.currency, next.offset))
    }
}

/// A position in a history read: recent or historical records, and where in that list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Whether this step reads the historical records.
    pub historical: bool,
    /// Where the next page starts (an offset, or a trade id); `None` at the list's start.
    pub position: Option<String>,
}

impl Tier {
    /// Reads a cursor; none starts with the recent records.
    pub fn parse(cursor: Option<&str>) -> Tier {
        let (historical, position) = match cursor.and_then(|c| c.split_once(':')) {
            Some(("h", position)) => (true, position),
            Some((_, position)) => (false, position),
            None => (false, ""),
        };
        Tier {
            historical,
            position: (!position.is_empty()).then(|| position.to_owned()),
        }
    }

    /// The cursor after a page: `more` names where this list goes on, if it does; at the end of
    /// the recent records the historical ones follow.
    pub fn next(&self, more: Option<String>) -> Option<String> {
        match (more, self.historical) {
            (Some(position), historical) => {
                Some(format!("{}:{position}", if historical { "h" } else { "r" }))
            }
            (None, false) => Some("h:".to_owned()),
            (None, true) => None,
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
    }

    #[test]
    fn walks_every_source_currency_and_page() {
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        // Every list holds 3 items, read 2 at a time, over 2 sources.
        for _ in 0..100 {
            let walk = Walk::parse(cursor.as_deref());
            let got = (3 - walk.offset).min(2);
            seen.push((walk.source, walk.currency(), walk.offset, got));
            cursor = walk.next(got, 3, 2);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 2 * CURRENCIES.len() * 2);
        assert_eq!(seen[0], (0, "BTC", 0, 2));
        assert_eq!(seen[1], (0, "BTC", 2, 1));
        assert_eq!(seen.last(), Some(&(1, "EURR", 2, 1)));
        assert_eq!(Walk::parse(Some("junk")), Walk::parse(None));
    }
}
