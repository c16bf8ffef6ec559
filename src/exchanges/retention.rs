//! How long each venue keeps an order or a fill where its history endpoints can read it.
//!
//! A diff that calls a ledger order "missing" because the venue no longer shows it is a false
//! alarm when the venue simply stopped keeping it: venues drop unfilled cancelled orders from
//! their history after hours or days, long before filled ones and fills. The facts, with their
//! sources, are in each venue's page under `docs/venues/`; the simulator models the same facts
//! from the same pages.

use std::time::Duration;

use crate::exchanges::ExchangeId;
use crate::exchanges::model::{Category, OrderStatus};

/// How long one venue keeps one category's records readable. `None`: no documented limit
/// (the playbook's look-back is the only bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kept {
    /// Orders that ended without any fill (cancelled, rejected, expired).
    pub unfilled: Option<Duration>,
    /// Orders that ended with a fill (filled, or cancelled after a partial fill).
    pub filled: Option<Duration>,
    /// Fills (executions, trades).
    pub fills: Option<Duration>,
}

impl Kept {
    /// Whether the venue still shows an order of `age` that ended in `status` (`None`: the
    /// status is not known, so the shorter of the two order limits holds). Open orders are
    /// always shown.
    pub fn shows_order(&self, status: Option<OrderStatus>, filled: bool, age: Duration) -> bool {
        let limit = match status {
            Some(status) if status.is_open() => None,
            Some(OrderStatus::Filled) => self.filled,
            Some(_) if filled => self.filled,
            Some(_) => self.unfilled,
            None => match (self.unfilled, self.filled) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        };
        limit.is_none_or(|limit| age <= limit)
    }

    /// Whether the venue still shows a fill of `age`.
    pub fn shows_fill(&self, age: Duration) -> bool {
        self.fills.is_none_or(|limit| age <= limit)
    }
}

/// What `venue` keeps of `category`, as its documentation says (each fact's page is in
/// `docs/venues/<venue>.md` §6, "Retention"; the venue's record holds it). A limit the
/// documentation does not state is `None`: the look-back is then the only bound, and an order
/// the venue does not show counts.
pub fn kept(venue: ExchangeId, category: Category) -> Kept {
    (venue.facts().kept)(category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_orders_are_always_shown_and_unknown_status_takes_the_shorter_limit() {
        let hour = Duration::from_secs(3600);
        let kept = Kept {
            unfilled: Some(2 * hour),
            filled: Some(72 * hour),
            fills: None,
        };
        assert!(kept.shows_order(Some(OrderStatus::Open), false, 1000 * hour));
        assert!(!kept.shows_order(Some(OrderStatus::Cancelled), false, 3 * hour));
        assert!(kept.shows_order(Some(OrderStatus::Cancelled), true, 3 * hour));
        assert!(kept.shows_order(Some(OrderStatus::Filled), true, 3 * hour));
        assert!(!kept.shows_order(None, false, 3 * hour));
        assert!(kept.shows_order(None, false, hour));
        assert!(kept.shows_fill(1000 * hour));
    }

    #[test]
    fn venues_keep_what_their_documentation_says() {
        let hour = Duration::from_secs(3600);
        let okx = kept(ExchangeId::Okx, Category::Spot);
        assert!(!okx.shows_order(Some(OrderStatus::Cancelled), false, 3 * hour));
        assert!(okx.shows_order(Some(OrderStatus::Filled), true, 30 * 24 * hour));
        let bybit = kept(ExchangeId::Bybit, Category::Linear);
        assert!(!bybit.shows_order(Some(OrderStatus::Cancelled), false, 25 * hour));
        assert!(bybit.shows_order(Some(OrderStatus::Cancelled), false, 23 * hour));
        let usdm = kept(ExchangeId::Binance, Category::Linear);
        assert!(!usdm.shows_order(Some(OrderStatus::Cancelled), false, 73 * hour));
        assert!(usdm.shows_order(Some(OrderStatus::Cancelled), true, 73 * hour));
        assert!(usdm.shows_fill(100 * 24 * hour));
        let spot = kept(ExchangeId::Binance, Category::Spot);
        assert!(spot.shows_order(Some(OrderStatus::Cancelled), false, 300 * 24 * hour));
        for venue in [ExchangeId::Deribit, ExchangeId::Kraken] {
            assert_eq!(kept(venue, Category::Spot), Kept::default(), "{venue:?}");
        }
    }
}
