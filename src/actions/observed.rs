//! The orders the snapshots saw, read back from their files, one per order id, compact.
//!
//! A snapshot can hold a million orders, so they are never all held as [`Order`]s: each line is
//! read as an [`OrderView`] (the same fields, borrowed from the line), the fields the diff
//! compares go into one shared buffer, and the line's place in its file is kept, so the few
//! orders a diff reports are read whole again. The same order in several files (open now, and
//! in the history) counts once: its latest state wins. An order is keyed by its market
//! (category, symbol) and its id: Binance numbers orders per symbol and per market, so one id
//! may name two orders. Whether an order was open in a snapshot of open orders is kept: the
//! response's own cancel step ends those, so their cancellation is not someone else's doing.

use std::borrow::Cow;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ActionError;
use super::ledger::{IdTable, Text};
use super::snapshot::read_jsonl;
use crate::exchanges::model::{Category, Order, OrderStatus, Side};

/// An [`Order`] as a snapshot line holds it, borrowed from the line. Every field is read, so a
/// line that is not an order is refused as before; the diff compares a few of them.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct OrderView<'a> {
    /// The exchange's order id.
    #[serde(borrow)]
    pub order_id: Cow<'a, str>,
    /// The client order id.
    #[serde(default, borrow)]
    pub client_order_id: Option<Text<'a>>,
    /// The market family.
    pub category: Category,
    /// The instrument.
    #[serde(borrow)]
    pub symbol: Cow<'a, str>,
    /// Buy or sell.
    pub side: Side,
    /// `limit`, `market`, ….
    #[serde(borrow)]
    pub order_type: Cow<'a, str>,
    /// Ordered quantity.
    #[serde(borrow)]
    pub qty: Cow<'a, str>,
    /// Limit price.
    #[serde(default, borrow)]
    pub price: Option<Text<'a>>,
    /// Quantity filled.
    #[serde(borrow)]
    pub filled_qty: Cow<'a, str>,
    /// Average fill price.
    #[serde(default, borrow)]
    pub avg_price: Option<Text<'a>>,
    /// Where it stands.
    pub status: OrderStatus,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last update, Unix ms.
    pub updated_ms: i64,
}

/// Which snapshot a file of orders is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The open orders, taken before the response cancels them.
    Open,
    /// The order history.
    History,
}

/// One observed order: its compared fields in [`Observed::text`] from `at` (id, client id,
/// symbol, qty, price, back to back; a length of 0 is absent), and its line's place.
#[derive(Debug, Clone, Copy)]
struct Seen {
    at: u32,
    id_len: u16,
    cid_len: u16,
    symbol_len: u16,
    qty_len: u16,
    price_len: u16,
    file: u16,
    side: Side,
    category: Category,
    status: OrderStatus,
    /// Open in a snapshot of open orders.
    was_open: bool,
    line_len: u32,
    offset: u64,
    created_ms: i64,
    updated_ms: i64,
}

/// The compared fields of one observed order, borrowed from [`Observed`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeenOrder<'o> {
    /// Exchange order id.
    pub order_id: &'o str,
    /// Client order id.
    pub client_order_id: Option<&'o str>,
    /// Market family.
    pub category: Category,
    /// Instrument.
    pub symbol: &'o str,
    /// Side.
    pub side: Side,
    /// Quantity as the exchange wrote it.
    pub qty: &'o str,
    /// Limit price as the exchange wrote it.
    pub price: Option<&'o str>,
    /// Latest status.
    pub status: OrderStatus,
    /// Open in a snapshot of open orders (so a later cancel may be the response's own).
    pub was_open: bool,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// Last update, Unix ms.
    pub updated_ms: i64,
}

/// Observed orders, one per market and order id.
#[derive(Default)]
pub(crate) struct Observed {
    text: String,
    orders: Vec<Seen>,
    by_id: IdTable,
    files: Vec<PathBuf>,
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observed")
            .field("orders", &self.orders.len())
            .field("files", &self.files)
            .finish()
    }
}

impl Observed {
    /// Reads a snapshot file of orders, streamed; a line that is not an order is an error that
    /// names the file and line.
    pub(crate) fn add_file(&mut self, path: &Path, kind: Kind) -> Result<(), ActionError> {
        let file = u16::try_from(self.files.len()).map_err(|_| ActionError::Input {
            message: "more than 65535 snapshot files to compare".into(),
            hint: "compare fewer snapshot steps at once".into(),
        })?;
        self.files.push(path.to_owned());
        // Sized for the file up front (an order's line is rarely under 192 bytes).
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        let more = usize::try_from(bytes / 192).unwrap_or(0);
        if self.orders.is_empty() {
            self.orders.reserve(more);
            self.text.reserve(more.saturating_mul(32));
            self.by_id = IdTable::with_capacity(more);
        }
        read_jsonl(path, |line, offset, number| {
            let order: OrderView<'_> = serde_json::from_str(line)
                .map_err(|err| std::io::Error::other(format!("line {number}: {err}")))?;
            self.add(&order, kind, file, offset, line.len())
                .map_err(|err| std::io::Error::other(format!("line {number}: {err}")))
        })
    }

    fn add(
        &mut self,
        o: &OrderView<'_>,
        kind: Kind,
        file: u16,
        offset: u64,
        len: usize,
    ) -> Result<(), String> {
        let index = u32::try_from(self.orders.len()).map_err(|_| "too many orders".to_owned())?;
        let existing = self
            .find(o.category, &o.symbol, &o.order_id)
            .map(|i| i as u32);
        let was_open = (kind == Kind::Open && o.status.is_open())
            || existing.is_some_and(|i| self.orders[i as usize].was_open);
        // The latest state of an order wins (history after cancel).
        if let Some(i) = existing
            && self.orders[i as usize].updated_ms > o.updated_ms
        {
            self.orders[i as usize].was_open = was_open;
            return Ok(());
        }
        let len16 = |what: &str, text: Option<&str>| {
            u16::try_from(text.map_or(0, str::len))
                .map_err(|_| format!("`{what}` is longer than {} bytes", u16::MAX))
        };
        let at = u32::try_from(self.text.len())
            .map_err(|_| "more than 4 GiB of order ids; compare fewer snapshots".to_owned())?;
        let seen = Seen {
            at,
            id_len: len16("order_id", Some(&o.order_id))?,
            cid_len: len16("client_order_id", o.client_order_id.as_ref().map(|t| &*t.0))?,
            symbol_len: len16("symbol", Some(&o.symbol))?,
            qty_len: len16("qty", Some(&o.qty))?,
            price_len: len16("price", o.price.as_ref().map(|t| &*t.0))?,
            file,
            side: o.side,
            category: o.category,
            status: o.status,
            was_open,
            line_len: u32::try_from(len).map_err(|_| "a line longer than 4 GiB".to_owned())?,
            offset,
            created_ms: o.created_ms,
            updated_ms: o.updated_ms,
        };
        for text in [
            Some(&*o.order_id),
            o.client_order_id.as_ref().map(|t| &*t.0),
            Some(&*o.symbol),
            Some(&*o.qty),
            o.price.as_ref().map(|t| &*t.0),
        ]
        .into_iter()
        .flatten()
        {
            self.text.push_str(text);
        }
        match existing {
            // The same slot, now pointing at the newer copy of the same id.
            Some(i) => self.orders[i as usize] = seen,
            None => {
                self.orders.push(seen);
                let Observed {
                    text,
                    orders,
                    by_id,
                    ..
                } = self;
                by_id.insert_new(&o.order_id, index, |i| id_of(text, orders, i));
            }
        }
        Ok(())
    }

    /// How many distinct orders.
    pub(crate) fn len(&self) -> usize {
        self.orders.len()
    }

    /// Order `index`'s compared fields.
    pub(crate) fn get(&self, index: usize) -> SeenOrder<'_> {
        let s = self.orders[index];
        let mut at = s.at as usize;
        let mut take = |len: u16| {
            let start = at;
            at += usize::from(len);
            &self.text[start..at]
        };
        let order_id = take(s.id_len);
        let client_order_id = Some(take(s.cid_len)).filter(|c| !c.is_empty());
        let symbol = take(s.symbol_len);
        let qty = take(s.qty_len);
        let price = Some(take(s.price_len)).filter(|p| !p.is_empty());
        SeenOrder {
            order_id,
            client_order_id,
            category: s.category,
            symbol,
            side: s.side,
            qty,
            price,
            status: s.status,
            was_open: s.was_open,
            created_ms: s.created_ms,
            updated_ms: s.updated_ms,
        }
    }

    /// The order `id` of market (`category`, `symbol`).
    pub(crate) fn find(&self, category: Category, symbol: &str, id: &str) -> Option<usize> {
        self.by_id
            .find_where(
                id,
                |i| id_of(&self.text, &self.orders, i),
                |i| {
                    let s = &self.orders[i as usize];
                    s.category == category && self.symbol_of(s) == symbol
                },
            )
            .map(|i| i as usize)
    }

    fn symbol_of(&self, s: &Seen) -> &str {
        let at = s.at as usize + usize::from(s.id_len) + usize::from(s.cid_len);
        &self.text[at..at + usize::from(s.symbol_len)]
    }

    /// A reader of whole orders, for the few a diff reports.
    pub(crate) fn reader(&self) -> OrderReader<'_> {
        OrderReader {
            observed: self,
            open: Vec::new(),
            buf: Vec::new(),
        }
    }
}

fn id_of<'t>(text: &'t str, orders: &[Seen], index: u32) -> &'t str {
    let s = &orders[index as usize];
    let at = s.at as usize;
    &text[at..at + usize::from(s.id_len)]
}

/// Reads observed orders whole again from their snapshot files.
#[derive(Debug)]
pub(crate) struct OrderReader<'o> {
    observed: &'o Observed,
    open: Vec<Option<std::fs::File>>,
    buf: Vec<u8>,
}

impl OrderReader<'_> {
    /// Order `index`, as its snapshot line holds it.
    pub(crate) fn order(&mut self, index: usize) -> Result<Order, ActionError> {
        let s = self.observed.orders[index];
        let file = usize::from(s.file);
        let path = &self.observed.files[file];
        let fail = |what, source| ActionError::Io {
            what,
            path: path.clone(),
            source,
        };
        if self.open.len() <= file {
            self.open.resize_with(file + 1, || None);
        }
        let handle = match &mut self.open[file] {
            Some(handle) => handle,
            slot => slot.insert(std::fs::File::open(path).map_err(|e| fail("read", e))?),
        };
        self.buf.resize(s.line_len as usize, 0);
        handle
            .seek(SeekFrom::Start(s.offset))
            .and_then(|_| handle.read_exact(&mut self.buf))
            .map_err(|e| fail("read", e))?;
        serde_json::from_slice(&self.buf).map_err(|e| fail("parse", std::io::Error::other(e)))
    }
}
