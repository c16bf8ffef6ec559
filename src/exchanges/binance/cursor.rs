//! The cursors Binance's paginated reads walk with (docs/venues/binance.md §4, §6).
//!
//! Binance answers with bare arrays and no cursor, and its order and fill histories are per
//! symbol with a bounded window (`allOrders`/`myTrades` 24 h on spot, `allOrders`/`userTrades`
//! under 7 days on USD-M). So a history read is a small walk that the adapter keeps in its
//! cursor, one request per step, and the client just follows the cursor:
//! 1. the symbols with open orders (`openOrders`, all symbols at once);
//! 2. spot: the assets the account holds (`account`, zero balances left out), then the markets
//!    whose base asset is one of them (`exchangeInfo`); USD-M: the symbols that paid a
//!    commission in the window (`income`, `COMMISSION`, a full page read on from its last row's
//!    time): every symbol that had a fill;
//! 3. spot: each symbol's newest orders first (`allOrders` without a window, which Binance
//!    answers with the newest `limit` orders of any age, docs/venues/binance.md §6): when that
//!    page is not full, or reaches back before the window, it holds every order the window has,
//!    and a symbol none of whose orders was placed or changed in the window had no fill there
//!    either (a fill changes its order's `updateTime`), so its fills are not read. A wide account
//!    that holds 140 coins and traded 10 thus costs one request of weight 20 per quiet symbol
//!    instead of 14 (seven 24 h windows, orders and fills); the order and fill walks send the
//!    same first request, which the snapshot sends once (`client::Kept`);
//! 4. each symbol (on spot: each the newest orders left unsettled) in turn, in sub-windows of the
//!    endpoint's width, oldest first; a full page (1000) goes on from its last record's time,
//!    leaving out what was already seen.
//!
//! A symbol no order touched and whose base asset the account no longer holds (an attacker's
//! round trip sold back to zero) is not found: Binance has no "every symbol I traded" read.
//! Key listings (sub-account family) walk too: the listing, then each key's IP list. Cursors
//! are compact JSON, opaque to everyone but this adapter.

use serde::{Deserialize, Serialize};

use crate::exchanges::ExchangeError;

/// Records one history page asks for (Binance's maximum, docs/venues/binance.md §6).
pub const PAGE: usize = 1000;

/// Where a history walk stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryCursor {
    /// The next request's kind.
    pub step: HistoryStep,
    /// The symbols found so far (sorted, no repeats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
    /// Spot: the assets the account holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// The symbol being walked.
    #[serde(default)]
    pub index: usize,
    /// The start of the sub-window being walked; `None` for the op's window start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
    /// The last (time, id) of the sub-window seen so far, after a full page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<(i64, u64)>,
}

/// The kinds of request a history walk makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStep {
    /// The open orders of every symbol.
    #[default]
    OpenOrders,
    /// Spot: the account's balances.
    Balances,
    /// Spot: the markets (`exchangeInfo`).
    Markets,
    /// USD-M: the commissions paid in the window.
    Income,
    /// Spot: one symbol's newest orders, without a window.
    Recent,
    /// One symbol's history in one sub-window.
    Walk,
}

impl HistoryCursor {
    /// Reads an op's cursor; none is the walk's start.
    pub fn parse(cursor: Option<&str>) -> Result<HistoryCursor, ExchangeError> {
        match cursor {
            None | Some("") => Ok(HistoryCursor::default()),
            Some(text) => serde_json::from_str(text).map_err(|_| bad_cursor(text)),
        }
    }

    /// The cursor as the client carries it.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Adds symbols to the ones found (sorted, no repeats).
    pub fn add_symbols(&mut self, found: impl IntoIterator<Item = String>) {
        self.symbols.extend(found);
        self.symbols.sort();
        self.symbols.dedup();
    }

    /// The cursor that starts walking the symbols found, or `None` when there are none.
    pub fn start_walk(mut self) -> Option<HistoryCursor> {
        if self.symbols.is_empty() {
            return None;
        }
        self.step = HistoryStep::Walk;
        self.index = 0;
        self.from_ms = None;
        self.after = None;
        Some(self)
    }

    /// Like [`HistoryCursor::start_walk`], each symbol looked at first through its newest
    /// orders ([`HistoryStep::Recent`]).
    pub fn start_recent(mut self) -> Option<HistoryCursor> {
        if self.symbols.is_empty() {
            return None;
        }
        self.step = HistoryStep::Recent;
        self.index = 0;
        self.from_ms = None;
        self.after = None;
        Some(self)
    }

    /// The cursor at the next symbol's first step (`step`), or `None` after the last.
    pub fn next_symbol(&self, step: HistoryStep) -> Option<HistoryCursor> {
        let mut next = self.clone();
        next.step = step;
        next.index += 1;
        next.from_ms = None;
        next.after = None;
        (next.index < next.symbols.len()).then_some(next)
    }

    /// The cursor that walks the current symbol's sub-windows from the first.
    pub fn walk_this(mut self) -> HistoryCursor {
        self.step = HistoryStep::Walk;
        self.from_ms = None;
        self.after = None;
        self
    }

    /// The sub-window `[from, to]` being walked within `[start, end]`, `span` wide.
    pub fn sub_window(&self, start: i64, end: i64, span: i64) -> (i64, i64) {
        let from = self.from_ms.unwrap_or(start).max(start);
        let to = (from + span - 1).min(end);
        (from, to)
    }

    /// The cursor after a walk page of `count` records (of at most `page` asked for) whose last
    /// was `last`: the same sub-window again after a full page, else the next sub-window, else
    /// the next symbol; `None` when every symbol is done.
    pub fn after_page(
        &self,
        (count, page): (usize, usize),
        last: Option<(i64, u64)>,
        window: (i64, i64),
        span: i64,
    ) -> Option<HistoryCursor> {
        let mut next = self.clone();
        if count >= page
            && let Some(last) = last
        {
            next.after = Some(last);
            return Some(next);
        }
        next.after = None;
        let (_, to) = self.sub_window(window.0, window.1, span);
        if to < window.1 {
            next.from_ms = Some(to + 1);
            return Some(next);
        }
        next.from_ms = None;
        next.index += 1;
        (next.index < next.symbols.len()).then_some(next)
    }

    /// The symbol being walked.
    pub fn symbol(&self) -> Result<&str, ExchangeError> {
        self.symbols
            .get(self.index)
            .map(String::as_str)
            .ok_or_else(|| bad_cursor(&self.to_text()))
    }
}

/// Where a key listing stands (sub-account family): the keys listed, each to be read with
/// its IP list, and the page of the listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysCursor {
    /// The listing page to read next once `pending` is empty; `None` when it was the last.
    #[serde(default)]
    pub next_page: Option<u32>,
    /// Listed keys whose IP list is still to be read.
    #[serde(default)]
    pub pending: Vec<ListedKey>,
}

/// One key as the sub-account listing shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedKey {
    /// The key id.
    pub key: String,
    /// Its name.
    pub label: String,
    /// The permission flags it has.
    pub permissions: Vec<String>,
    /// When it was made, Unix ms.
    pub created_ms: Option<i64>,
}

impl KeysCursor {
    /// Reads an op's cursor; none is the listing's first page.
    pub fn parse(cursor: Option<&str>) -> Result<Option<KeysCursor>, ExchangeError> {
        match cursor {
            None | Some("") => Ok(None),
            Some(text) => serde_json::from_str(text)
                .map(Some)
                .map_err(|_| bad_cursor(text)),
        }
    }

    /// The cursor as the client carries it; `None` when nothing is left.
    pub fn to_text(&self) -> Option<String> {
        (!self.pending.is_empty() || self.next_page.is_some())
            .then(|| serde_json::to_string(self).unwrap_or_default())
    }
}

/// Where an offset- or page-numbered read stands (withdrawals, deposits, transfers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyCursor {
    /// Transfers only: deposits are read first, then transfers between accounts.
    #[serde(default)]
    pub transfers: bool,
    /// Records already read in this phase (`offset`), or the page number less one.
    #[serde(default)]
    pub offset: usize,
    /// Transfers only: the start of the sub-window being read (at most [`TRANSFERS_SPAN_MS`]
    /// wide); `None` for the op's window start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_ms: Option<i64>,
}

/// The widest window of one sub-account transfer read: 7 days (the "Query Universal Transfer
/// History" page), a sub-window ending 1 ms short of it.
pub const TRANSFERS_SPAN_MS: i64 = 7 * 86_400_000;

impl MoneyCursor {
    /// Reads an op's cursor; none is the first page.
    pub fn parse(cursor: Option<&str>) -> Result<MoneyCursor, ExchangeError> {
        match cursor {
            None | Some("") => Ok(MoneyCursor::default()),
            Some(text) => serde_json::from_str(text).map_err(|_| bad_cursor(text)),
        }
    }

    /// The cursor as the client carries it.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The transfers sub-window `[from, to]` being read within `[start, end]`.
    pub fn sub_window(&self, start: i64, end: i64) -> (i64, i64) {
        let from = self.from_ms.unwrap_or(start).max(start);
        (from, (from + TRANSFERS_SPAN_MS - 1).min(end))
    }
}

fn bad_cursor(text: &str) -> ExchangeError {
    ExchangeError::Protocol {
        detail: format!("not a Binance cursor of this adapter: `{text}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn a_walk_covers_every_symbol_and_sub_window_once() {
        let cursor = HistoryCursor {
            symbols: vec!["A".into(), "B".into()],
            ..HistoryCursor::default()
        };
        let mut cursor = cursor.start_walk();
        let window = (0, 3 * DAY - 1);
        let mut seen = Vec::new();
        while let Some(current) = cursor {
            let (from, to) = current.sub_window(window.0, window.1, DAY);
            seen.push((current.symbol().unwrap().to_owned(), from, to));
            cursor = current.after_page((0, PAGE), None, window, DAY);
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], ("A".to_owned(), 0, DAY - 1));
        assert_eq!(seen[2], ("A".to_owned(), 2 * DAY, 3 * DAY - 1));
        assert_eq!(seen[3].0, "B");
        assert!(seen.iter().all(|(_, from, to)| to - from < DAY));
    }

    #[test]
    fn a_full_page_stays_in_its_sub_window() {
        let cursor = HistoryCursor {
            symbols: vec!["A".into()],
            ..HistoryCursor::default()
        }
        .start_walk()
        .unwrap();
        let next = cursor
            .after_page((PAGE, PAGE), Some((5, 77)), (0, DAY * 2), DAY)
            .unwrap();
        assert_eq!(next.after, Some((5, 77)));
        assert_eq!(next.from_ms, None);
        let parsed = HistoryCursor::parse(Some(&next.to_text())).unwrap();
        assert_eq!(parsed, next);
        assert!(HistoryCursor::parse(Some("nonsense")).is_err());
        assert!(
            HistoryCursor::default().start_walk().is_none(),
            "no symbol, no walk"
        );
    }

    #[test]
    fn a_margin_page_of_500_is_full() {
        use crate::exchanges::binance::market::Market;
        // Margin `allOrders` answers at most 500: a page of 500 has more behind it.
        assert_eq!(Market::Margin.history_page(), 500);
        assert_eq!(Market::Isolated.history_page(), 500);
        assert_eq!(Market::Spot.history_page(), PAGE);
        let cursor = HistoryCursor {
            symbols: vec!["A".into()],
            ..HistoryCursor::default()
        }
        .start_walk()
        .unwrap();
        let window = (0, DAY - 1);
        let on = cursor.after_page((500, 500), Some((5, 77)), window, DAY);
        assert_eq!(on.unwrap().after, Some((5, 77)));
        let done = cursor.after_page((500, PAGE), Some((5, 77)), window, DAY);
        assert!(done.is_none(), "500 of 1000 is the last page");
    }
}
