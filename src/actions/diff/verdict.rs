//! The verdict on each observed order: matching against the ledger, one entry to one order.
//!
//! An order matches a ledger entry on (market, order id), where the market is (category,
//! symbol): Binance numbers orders per symbol and per market. It matches on its client id only
//! when the entry has no order id (the bot had not written it yet), and one entry matches one
//! order: a second order with a client id already taken is not the owner's. A client prefix is
//! a hint, never proof: it only marks an order as the bot's kind when the ledger may be late.
//! Numbers are compared as decimals (`7.5e-6` is `0.0000075`), never as strings.

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::super::ledger::{Habit, Known, Ledger, Markets};
use super::super::observed::SeenOrder;
use crate::exchanges::model::{Category, OrderStatus};

/// What one observed order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The ledger's entry, as the ledger last knew it.
    Owner { entry: u32 },
    /// The ledger's entry, but changed by someone else: the fields that differ (bits of
    /// [`FIELDS`]).
    Tampered { entry: u32, fields: u8 },
    /// Not (yet) in the ledger, but created inside the ledger's lag and of the bot's kind.
    Unconfirmed,
    /// Nobody's the owner knows of.
    Unauthorized(Why),
}

/// Why an order is unauthorized, beyond "not in the ledger".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Why {
    /// No entry names it.
    Unknown,
    /// Its client id is an entry's that another order (observed index) already matched.
    Taken { by: u32 },
    /// Its order id is an entry's (one without a market) that an order of another market
    /// already matched.
    IdTaken { by: u32 },
    /// Its client id is an entry's that names another order id.
    OtherOrder { entry: u32 },
}

/// The fields a matched order is compared on, in the order they are reported.
pub(super) const FIELDS: [&str; 4] = ["side", "qty", "price", "status"];

/// What the diff knows of the owner's habits.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rules<'a> {
    /// The bots' client-order-id prefix, if the playbook names one.
    pub prefix: Option<&'a str>,
    /// When the newest snapshot was taken (its window's end less the margin; exchange time, ms).
    pub until_ms: Option<i64>,
    /// How far the ledger may lag behind the orders, ms.
    pub lag_ms: i64,
    /// The orders the response's own cancel steps cancelled.
    pub own_cancels: Option<&'a HashSet<String>>,
    /// When a cancel-all that names no order (Kraken) began: a cancel from then on may be the
    /// response's own.
    pub unnamed_cancels_from_ms: Option<i64>,
    /// When the ledger was read again after the lag had passed (exchange time): an order
    /// created more than the lag before that read had all the time the ledger takes, so it is
    /// no longer "not in the ledger yet".
    pub reread_ms: Option<i64>,
}

impl Rules<'_> {
    /// Whether `o` has the bots' prefix.
    pub(super) fn has_prefix(&self, o: &SeenOrder<'_>) -> bool {
        match (self.prefix, o.client_order_id) {
            (Some(prefix), Some(cid)) => !prefix.is_empty() && cid.starts_with(prefix),
            _ => false,
        }
    }

    /// Whether the response itself may have cancelled `o`: it was open in the snapshot of open
    /// orders taken before the cancel, a cancel step names it, or a cancel-all that names no
    /// order ran before its last update.
    pub(super) fn maybe_own_cancel(&self, o: &SeenOrder<'_>) -> bool {
        o.was_open
            || self.own_cancels.is_some_and(|ids| ids.contains(o.order_id))
            || self
                .unnamed_cancels_from_ms
                .is_some_and(|from| o.updated_ms >= from)
    }

    /// Whether `o` was created inside the ledger's lag before the window's end (or before the
    /// ledger's second read, once there was one).
    pub(super) fn in_lag(&self, created_ms: i64) -> bool {
        self.reread_ms
            .or(self.until_ms)
            .is_some_and(|until| self.lag_ms > 0 && created_ms >= until - self.lag_ms)
    }
}

/// Each observed order's verdict; `get(i)` gives order `i` of `n`.
pub(super) fn classify<'o>(
    n: usize,
    get: impl Fn(usize) -> SeenOrder<'o>,
    known: &Ledger,
    rules: &Rules<'_>,
) -> Vec<Verdict> {
    const FREE: u32 = u32::MAX;
    let habit = std::cell::OnceCell::new();
    let markets = std::cell::OnceCell::new();
    let mut claimed = vec![FREE; known.len()];
    let mut verdicts: Vec<Option<Verdict>> = vec![None; n];
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    // First every match on (market, order id): it is certain, whatever the order of the lines.
    for (i, verdict) in verdicts.iter_mut().enumerate() {
        let o = get(i);
        if let Some(entry) = known.find_order(o.order_id, o.category, o.symbol) {
            if claimed[entry] == FREE {
                claimed[entry] = index(i);
                *verdict = Some(compare(known.get(entry), &o, index(entry), rules));
            } else {
                *verdict = Some(Verdict::Unauthorized(Why::IdTaken { by: claimed[entry] }));
            }
        }
    }
    // Then client ids, oldest order first: the first order with a client id is the one the bot
    // placed under it.
    let mut rest: Vec<usize> = (0..n).filter(|&i| verdicts[i].is_none()).collect();
    rest.sort_by_key(|&i| {
        let o = get(i);
        (o.created_ms, o.order_id)
    });
    for i in rest {
        let o = get(i);
        let by_client = o.client_order_id.and_then(|cid| {
            let free = known.find_client(cid, o.category, o.symbol, |e| {
                known.get(e).order_id.is_none() && claimed[e] == FREE
            });
            if let Some(entry) = free {
                claimed[entry] = index(i);
                return Some(compare(known.get(entry), &o, index(entry), rules));
            }
            let taken = known.find_client(cid, o.category, o.symbol, |e| {
                known.get(e).order_id.is_none()
            });
            if let Some(entry) = taken {
                return Some(Verdict::Unauthorized(Why::Taken { by: claimed[entry] }));
            }
            known
                .find_client(cid, o.category, o.symbol, |_| true)
                .map(|entry| {
                    Verdict::Unauthorized(Why::OtherOrder {
                        entry: index(entry),
                    })
                })
        });
        verdicts[i] = Some(match by_client {
            Some(verdict) => verdict,
            None if rules.in_lag(o.created_ms)
                && of_the_bots_kind(&o, known, rules, || {
                    (
                        habit.get_or_init(|| known.client_id_habit()),
                        markets.get_or_init(|| known.markets()),
                    )
                }) =>
            {
                Verdict::Unconfirmed
            }
            None => Verdict::Unauthorized(Why::Unknown),
        });
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Verdict::Unauthorized(Why::Unknown)))
        .collect()
}

/// Whether an order not in the ledger looks like the bots': its prefix when one is set, else a
/// market the ledger trades, with a client id as the ledger's are (the prefix they all share;
/// none, where the ledger has orders without one).
fn of_the_bots_kind<'h>(
    o: &SeenOrder<'_>,
    known: &Ledger,
    rules: &Rules<'_>,
    learnt: impl FnOnce() -> (&'h Habit, &'h Markets),
) -> bool {
    if rules.prefix.is_some_and(|p| !p.is_empty()) {
        return rules.has_prefix(o);
    }
    let (habit, markets) = learnt();
    if !markets.trades(known, o.category, o.symbol) {
        return false;
    }
    match o.client_order_id {
        None => habit.without,
        Some(cid) => habit.with && habit.prefix.as_deref().is_none_or(|p| cid.starts_with(p)),
    }
}

/// Compares a matched order with its entry's last known state.
fn compare(k: Known<'_>, o: &SeenOrder<'_>, entry: u32, rules: &Rules<'_>) -> Verdict {
    let fields = differs(&k, o, rules);
    if fields == 0 {
        Verdict::Owner { entry }
    } else {
        Verdict::Tampered { entry, fields }
    }
}

/// The fields (bits of [`FIELDS`]) in which `o` differs from the entry's last state.
pub(super) fn differs(k: &Known<'_>, o: &SeenOrder<'_>, rules: &Rules<'_>) -> u8 {
    let mut fields = 0;
    if k.side.is_some_and(|s| s != o.side) {
        fields |= 1;
    }
    if k.qty.is_some_and(|q| !same_amount(q, o.qty)) {
        fields |= 2;
    }
    if let (Some(price), Some(p)) = (k.price, o.price)
        && !same_amount(price, p)
    {
        fields |= 4;
    }
    // The ledger says it still trades, the venue says cancelled, and not by the response.
    if k.status.is_some_and(OrderStatus::is_open)
        && o.status == OrderStatus::Cancelled
        && !rules.maybe_own_cancel(o)
    {
        fields |= 8;
    }
    fields
}

/// The names of the fields in `mask`.
pub(super) fn field_names(mask: u8) -> Vec<&'static str> {
    FIELDS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// A decimal as written: `0.01`, `.01`, `1e-2`, `7.5E-6`.
pub(super) fn decimal(text: &str) -> Option<Decimal> {
    crate::exchanges::model::decimal(text)
}

/// Whether two amounts are the same number (equal text is; otherwise both are read as
/// decimals; text that is no number equals only itself).
pub(super) fn same_amount(a: &str, b: &str) -> bool {
    a == b
        || match (decimal(a), decimal(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
}

/// The status as the ledger and the reports write it.
pub(super) fn status_name(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Open => "open",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Untriggered => "untriggered",
    }
}

/// The reasons a tampered order is reported with: each field, the ledger's value and the
/// venue's.
pub(super) fn tampered_reasons(k: &Known<'_>, o: &SeenOrder<'_>, fields: u8) -> Vec<String> {
    let mut reasons = Vec::new();
    let or_dash = |v: Option<&str>| v.unwrap_or("–").to_owned();
    for name in field_names(fields) {
        let (ledger, venue) = match name {
            "side" => (
                k.side.map_or("–".to_owned(), |s| s.to_string()),
                o.side.to_string(),
            ),
            "qty" => (or_dash(k.qty), o.qty.to_owned()),
            "price" => (or_dash(k.price), or_dash(o.price)),
            _ => (
                k.status.map_or("–", status_name).to_owned(),
                status_name(o.status).to_owned(),
            ),
        };
        reasons.push(format!(
            "{name} differs: the ledger says {ledger}, the venue says {venue}"
        ));
    }
    if fields & 8 != 0 {
        reasons.push(
            "cancelled by someone else: not by the response (not open in its snapshot of open orders, not named by its cancel steps)"
                .to_owned(),
        );
    }
    reasons
}

/// The categories a ledger entry may be of (for retention: an entry without a category is held
/// to every category's limit).
pub(super) fn categories(k: &Known<'_>) -> Vec<Category> {
    match k.category {
        Some(c) => vec![c],
        None => vec![
            Category::Spot,
            Category::Linear,
            Category::Inverse,
            Category::Option,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_compare_as_numbers() {
        let cases = [
            ("exponent", "7.5e-6", "0.0000075", true),
            ("leading point", ".01", "0.01", true),
            ("trailing zeros", "0.0100", "0.01", true),
            ("capital exponent", "1E2", "100", true),
            ("different", "0.02", "0.01", false),
            ("not a number", "abc", "0.01", false),
        ];
        for (label, a, b, same) in cases {
            assert_eq!(same_amount(a, b), same, "{label}");
        }
    }
}
