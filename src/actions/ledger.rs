//! The owner's ledger of known orders: what the bots placed, as JSON Lines or CSV.
//!
//! Each entry names an order by exchange order id or client order id (at least one) and may
//! carry its market (category, symbol), side, qty, price, status, filled qty and times; fields
//! that are present are compared, absent ones are not. Several lines may name one order (same
//! order id in the same market, or same client id without an order id): they merge into one
//! entry, the later line's fields winning, so the last line is the order's last known state. A
//! bad line is reported with its file and line number, and a CSV this reader cannot take (no
//! known column, another delimiter) says to convert it with `lockdown ledger import`.
//!
//! A ledger can hold millions of lines, so it is read once, line by line, into a compact
//! [`Ledger`]: every string of an entry lives in one shared buffer, symbols are interned, and the
//! two lookups (by order id, by client order id) are hash tables of entry numbers with a fast
//! non-cryptographic hasher (the ids come from the owner's own file and the exchange, and a
//! lookup compares the ids themselves, so a collision costs time, never a wrong answer).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use hashbrown::HashTable;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::ledger_csv::Rows;
use crate::clock;
use crate::exchanges::model::{Amount, Category, OrderStatus, Side};

/// One order the owner knows to be theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOrder {
    /// Exchange order id.
    pub order_id: Option<String>,
    /// Client order id.
    pub client_order_id: Option<String>,
    /// Market family.
    pub category: Option<Category>,
    /// Instrument.
    pub symbol: Option<String>,
    /// Side.
    pub side: Option<Side>,
    /// Quantity.
    pub qty: Option<Amount>,
    /// Limit price.
    pub price: Option<Amount>,
    /// Last known status.
    pub status: Option<OrderStatus>,
    /// Quantity filled, as last known.
    pub filled_qty: Option<Amount>,
    /// Creation time, Unix ms.
    pub created_ms: Option<i64>,
    /// Last update, Unix ms.
    pub updated_ms: Option<i64>,
    /// Line in the ledger, from 1 (the last line that named the order).
    pub line: usize,
}

/// One line as written: strings borrowed from the line where they need no unescaping.
#[derive(Debug, Default, Deserialize)]
struct RawEntry<'a> {
    #[serde(default, borrow)]
    order_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    client_order_id: Option<Text<'a>>,
    #[serde(default, borrow)]
    category: Option<Text<'a>>,
    #[serde(default, borrow)]
    symbol: Option<Text<'a>>,
    #[serde(default, borrow)]
    side: Option<Text<'a>>,
    #[serde(default, borrow)]
    qty: Option<RawAmount<'a>>,
    #[serde(default, borrow)]
    price: Option<RawAmount<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default, borrow)]
    filled_qty: Option<RawAmount<'a>>,
    /// RFC 3339, or Unix ms as a string or a JSON number.
    #[serde(default, borrow)]
    created_at: Option<RawAmount<'a>>,
    #[serde(default, borrow)]
    updated_at: Option<RawAmount<'a>>,
}

/// A JSON string borrowed from its line unless it has escapes (serde copies an
/// `Option<Cow<str>>` always: a copy and a free per field and line).
#[derive(Debug)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        de.deserialize_str(V)
    }
}

fn text(value: Option<Text<'_>>) -> Option<Cow<'_, str>> {
    value.map(|t| t.0)
}

/// A quantity or price as written: a string or a JSON number (anything else counts as absent,
/// as it always has).
#[derive(Debug)]
struct RawAmount<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for RawAmount<'a> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAmount<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string or number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(RawAmount(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawAmount(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(RawAmount(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(RawAmount(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(RawAmount(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(RawAmount(
                    serde_json::Number::from_f64(v).map(|n| Cow::Owned(n.to_string())),
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(RawAmount(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawAmount(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawAmount(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
                de.deserialize_any(V)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(RawAmount(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RawAmount(None))
            }
        }
        de.deserialize_any(V)
    }
}

/// A ledger problem, with file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LedgerError {
    /// The ledger file.
    pub file: String,
    /// The line, from 1 (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One entry, compact: its strings are `order_id`, `client_order_id`, `qty`, `price` and
/// `filled_qty` back to back in [`Ledger::text`] from `at` (a length of 0: absent; present ones
/// are never empty).
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u32,
    id_len: u16,
    cid_len: u16,
    qty_len: u16,
    price_len: u16,
    filled_len: u16,
    /// Interned symbol + 1 (0: none).
    symbol: u32,
    line: u32,
    /// `i64::MIN`: none.
    created_ms: i64,
    /// `i64::MIN`: none.
    updated_ms: i64,
    /// 0 none, 1 buy, 2 sell.
    side: u8,
    /// 0 none, else 1 + the index in [`CATEGORIES`].
    category: u8,
    /// 0 none, else 1 + the index in [`STATUSES`].
    status: u8,
}

/// The categories an entry may name, as stored.
const CATEGORIES: [Category; 4] = [
    Category::Spot,
    Category::Linear,
    Category::Inverse,
    Category::Option,
];

/// The statuses an entry may name, as stored.
const STATUSES: [OrderStatus; 6] = [
    OrderStatus::Open,
    OrderStatus::PartiallyFilled,
    OrderStatus::Filled,
    OrderStatus::Cancelled,
    OrderStatus::Rejected,
    OrderStatus::Untriggered,
];

fn code<T: PartialEq + Copy>(all: &[T], value: Option<T>) -> u8 {
    value
        .and_then(|v| all.iter().position(|x| *x == v))
        .map_or(0, |i| u8::try_from(i + 1).unwrap_or(0))
}

fn decode<T: Copy>(all: &[T], code: u8) -> Option<T> {
    usize::from(code)
        .checked_sub(1)
        .and_then(|i| all.get(i))
        .copied()
}

/// Parses a status as the ledger contract writes it (`OrderStatus`'s names; `canceled` too).
fn parse_status(text: &str) -> Option<OrderStatus> {
    match text.to_ascii_lowercase().as_str() {
        "open" | "new" => Some(OrderStatus::Open),
        "partially_filled" => Some(OrderStatus::PartiallyFilled),
        "filled" => Some(OrderStatus::Filled),
        "cancelled" | "canceled" => Some(OrderStatus::Cancelled),
        "rejected" => Some(OrderStatus::Rejected),
        "untriggered" => Some(OrderStatus::Untriggered),
        _ => None,
    }
}

/// One entry as the diff reads it, borrowed from the [`Ledger`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Known<'l> {
    /// Exchange order id.
    pub order_id: Option<&'l str>,
    /// Client order id.
    pub client_order_id: Option<&'l str>,
    /// Market family.
    pub category: Option<Category>,
    /// Instrument.
    pub symbol: Option<&'l str>,
    /// Side.
    pub side: Option<Side>,
    /// Quantity, as written (zeros after the point trimmed).
    pub qty: Option<&'l str>,
    /// Limit price, likewise.
    pub price: Option<&'l str>,
    /// Last known status.
    pub status: Option<OrderStatus>,
    /// Quantity filled, likewise.
    pub filled_qty: Option<&'l str>,
    /// Creation time, Unix ms.
    pub created_ms: Option<i64>,
    /// Last update, Unix ms.
    pub updated_ms: Option<i64>,
    /// Line in the ledger, from 1 (the last line that named the order).
    pub line: usize,
}

impl Known<'_> {
    /// Whether this entry may be an order of `category` and `symbol` (a field the ledger does
    /// not give does not rule it out).
    pub fn in_market(&self, category: Category, symbol: &str) -> bool {
        self.category.is_none_or(|c| c == category)
            && self.symbol.is_none_or(|s| same_symbol(s, symbol))
    }
}

/// Whether two symbols name one instrument, written with or without separators and in any case
/// (`BTC/USDT`, `btc-usdt` and `BTCUSDT`).
pub fn same_symbol(a: &str, b: &str) -> bool {
    let letters = |s: &str| {
        s.bytes()
            .filter(|c| !matches!(c, b'/' | b'-' | b'_'))
            .map(|c| c.to_ascii_uppercase())
            .collect::<Vec<_>>()
    };
    a == b || a.eq_ignore_ascii_case(b) || letters(a) == letters(b)
}

/// The (category, symbol) pairs a ledger's entries name, as stored codes.
#[derive(Debug, Clone, Default)]
pub struct Markets {
    pairs: std::collections::HashSet<(u8, u32)>,
}

impl Markets {
    /// Whether any entry of `ledger` may trade market (`category`, `symbol`) (an entry without
    /// a category trades any category of its symbol).
    pub fn trades(&self, ledger: &Ledger, category: Category, symbol: &str) -> bool {
        let category = code(&CATEGORIES, Some(category));
        ledger
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| same_symbol(s, symbol))
            .any(|(id, _)| {
                let id = u32::try_from(id + 1).unwrap_or(0);
                self.pairs.contains(&(category, id)) || self.pairs.contains(&(0, id))
            })
    }
}

/// How the bots name their orders, as a ledger shows it (see [`Ledger::client_id_habit`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Habit {
    /// The prefix all client ids share.
    pub prefix: Option<String>,
    /// Some entry has a client id.
    pub with: bool,
    /// Some entry has none.
    pub without: bool,
}

/// A read ledger: compact entries (one per order) and their lookups by order id and by client
/// order id.
#[derive(Default)]
pub struct Ledger {
    text: String,
    entries: Vec<Entry>,
    symbols: Vec<Box<str>>,
    symbol_ids: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    by_id: IdTable,
    by_client: IdTable,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// A hash table of entry numbers keyed by a string each entry owns (the strings live elsewhere;
/// the caller says where with `key_of`).
#[derive(Default)]
pub(crate) struct IdTable {
    table: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl IdTable {
    /// A table with room for `entries` without growing.
    pub(crate) fn with_capacity(entries: usize) -> IdTable {
        IdTable {
            table: HashTable::with_capacity(entries),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    fn hash(&self, key: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(key)
    }

    /// The first entry whose key is `key` and that `also` accepts (several entries may share a
    /// key when they were filed with [`IdTable::insert_new`]).
    pub(crate) fn find_where<'s>(
        &self,
        key: &str,
        key_of: impl Fn(u32) -> &'s str,
        also: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        self.table
            .find(self.hash(key), |&i| key_of(i) == key && also(i))
            .copied()
    }

    /// Files entry `index` under `key`, beside any entry already filed under it.
    pub(crate) fn insert_new<'s>(
        &mut self,
        key: &str,
        index: u32,
        key_of: impl Fn(u32) -> &'s str,
    ) {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        self.table.insert_unique(hash, index, |&i| {
            std::hash::BuildHasher::hash_one(hasher, key_of(i))
        });
    }
}

impl Ledger {
    /// Reads a ledger file: JSON Lines, or CSV with a header row (by content, not extension),
    /// streamed line by line.
    pub fn load(path: &Path) -> Result<Ledger, LedgerError> {
        let file = path.display().to_string();
        let cannot = |err: std::io::Error| LedgerError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read the known-orders ledger: {err}"),
        };
        let reader = std::fs::File::open(path).map_err(cannot)?;
        // Sized for the file up front (a line is rarely under 64 bytes): growing a table of a
        // million entries rehashes it every time it doubles.
        let bytes = reader.metadata().map_or(0, |m| m.len());
        let mut ledger = Ledger::with_capacity(usize::try_from(bytes / 64).unwrap_or(0));
        let reader = std::io::BufReader::with_capacity(1 << 16, reader);
        read(&file, reader, |raw, line| ledger.push(raw, line))?;
        Ok(ledger)
    }

    fn with_capacity(entries: usize) -> Ledger {
        Ledger {
            entries: Vec::with_capacity(entries),
            text: String::with_capacity(entries.saturating_mul(24)),
            by_id: IdTable::with_capacity(entries),
            by_client: IdTable::with_capacity(entries),
            ..Ledger::default()
        }
    }

    /// Builds a ledger from ledger text.
    pub fn parse(file: &str, text: &str) -> Result<Ledger, LedgerError> {
        let mut ledger = Ledger::default();
        read(file, text.as_bytes(), |raw, line| ledger.push(raw, line))?;
        Ok(ledger)
    }

    /// Builds a ledger from owned entries (their lines kept), merged as lines of a file are.
    pub fn from_entries(entries: &[KnownOrder]) -> Ledger {
        let mut ledger = Ledger::default();
        for k in entries {
            let checked = Checked {
                order_id: k.order_id.as_deref().map(Cow::Borrowed),
                client_order_id: k.client_order_id.as_deref().map(Cow::Borrowed),
                category: k.category,
                symbol: k.symbol.as_deref().map(Cow::Borrowed),
                side: k.side,
                qty: k.qty.as_ref().map(|a| Cow::Borrowed(a.as_str())),
                price: k.price.as_ref().map(|a| Cow::Borrowed(a.as_str())),
                status: k.status,
                filled_qty: k.filled_qty.as_ref().map(|a| Cow::Borrowed(a.as_str())),
                created_ms: k.created_ms,
                updated_ms: k.updated_ms,
            };
            // Only ids over 64 KiB are refused, which owned entries in tests never have.
            let _ = ledger.push(checked, k.line);
        }
        ledger
    }

    /// How many entries (orders) it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `index`.
    pub fn get(&self, index: usize) -> Known<'_> {
        let e = self.entries[index];
        let mut at = e.at as usize;
        let mut take = |len: u16| {
            let start = at;
            at += usize::from(len);
            (len > 0).then(|| &self.text[start..at])
        };
        Known {
            order_id: take(e.id_len),
            client_order_id: take(e.cid_len),
            qty: take(e.qty_len),
            price: take(e.price_len),
            filled_qty: take(e.filled_len),
            category: decode(&CATEGORIES, e.category),
            symbol: e.symbol.checked_sub(1).map(|s| &*self.symbols[s as usize]),
            side: match e.side {
                1 => Some(Side::Buy),
                2 => Some(Side::Sell),
                _ => None,
            },
            status: decode(&STATUSES, e.status),
            created_ms: (e.created_ms != i64::MIN).then_some(e.created_ms),
            updated_ms: (e.updated_ms != i64::MIN).then_some(e.updated_ms),
            line: e.line as usize,
        }
    }

    /// The entry with exchange order id `id`, in any market.
    pub fn by_order_id(&self, id: &str) -> Option<usize> {
        self.by_id
            .find_where(id, |i| self.order_id(i), |_| true)
            .map(|i| i as usize)
    }

    /// An entry with client order id `id`, in any market.
    pub fn by_client_order_id(&self, id: &str) -> Option<usize> {
        self.by_client
            .find_where(id, |i| self.client_order_id(i), |_| true)
            .map(|i| i as usize)
    }

    /// The entry for the order `id` of market (`category`, `symbol`): order ids are unique per
    /// market only (Binance numbers them per symbol and per market).
    pub fn find_order(&self, id: &str, category: Category, symbol: &str) -> Option<usize> {
        self.by_id
            .find_where(
                id,
                |i| self.order_id(i),
                |i| self.get(i as usize).in_market(category, symbol),
            )
            .map(|i| i as usize)
    }

    /// An entry with client order id `cid` in market (`category`, `symbol`) that `accept` takes.
    pub fn find_client(
        &self,
        cid: &str,
        category: Category,
        symbol: &str,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        self.by_client
            .find_where(
                cid,
                |i| self.client_order_id(i),
                |i| self.get(i as usize).in_market(category, symbol) && accept(i as usize),
            )
            .map(|i| i as usize)
    }

    /// The markets the entries trade, for [`Markets::trades`] (read once per diff, when some
    /// order may be a late bot order).
    pub fn markets(&self) -> Markets {
        let mut pairs = std::collections::HashSet::new();
        for e in &self.entries {
            pairs.insert((e.category, e.symbol));
        }
        Markets { pairs }
    }

    /// The bots' habit with client ids, as the ledger shows it: the prefix every client id
    /// shares (two characters at least), whether any entry has a client id, and whether any
    /// has none.
    pub fn client_id_habit(&self) -> Habit {
        let mut habit = Habit::default();
        let mut common: Option<&str> = None;
        for i in 0..self.entries.len() {
            let cid = self.client_order_id(i as u32);
            if cid.is_empty() {
                habit.without = true;
                continue;
            }
            habit.with = true;
            common = Some(match common {
                None => cid,
                Some(c) => {
                    let n = c
                        .char_indices()
                        .zip(cid.chars())
                        .take_while(|((_, a), b)| a == b)
                        .last()
                        .map_or(0, |((at, a), _)| at + a.len_utf8());
                    &c[..n]
                }
            });
        }
        habit.prefix = common.filter(|c| c.chars().count() >= 2).map(str::to_owned);
        habit
    }

    /// Every entry, in the order of their first lines.
    pub fn iter(&self) -> impl Iterator<Item = Known<'_>> {
        (0..self.entries.len()).map(|i| self.get(i))
    }

    fn order_id(&self, index: u32) -> &str {
        let e = &self.entries[index as usize];
        let at = e.at as usize;
        &self.text[at..at + usize::from(e.id_len)]
    }

    fn client_order_id(&self, index: u32) -> &str {
        let e = &self.entries[index as usize];
        let at = e.at as usize + usize::from(e.id_len);
        &self.text[at..at + usize::from(e.cid_len)]
    }

    /// The entry a line names again: the same order id in a market that agrees, or the same
    /// client id where one of the two has no order id.
    fn same_order(&self, k: &Checked<'_>) -> Option<u32> {
        let agrees = |i: u32| {
            let e = self.get(i as usize);
            (e.category.is_none() || k.category.is_none() || e.category == k.category)
                && match (e.symbol, k.symbol.as_deref()) {
                    (Some(a), Some(b)) => same_symbol(a, b),
                    _ => true,
                }
        };
        if let Some(id) = k.order_id.as_deref()
            && let Some(i) = self.by_id.find_where(id, |i| self.order_id(i), agrees)
        {
            return Some(i);
        }
        let cid = k.client_order_id.as_deref()?;
        self.by_client.find_where(
            cid,
            |i| self.client_order_id(i),
            |i| agrees(i) && (k.order_id.is_none() || self.entries[i as usize].id_len == 0),
        )
    }

    /// Adds one checked line: a new entry, or the entry of the order it names again, its
    /// fields overwritten by those the line gives.
    fn push(&mut self, k: Checked<'_>, line: usize) -> Result<(), String> {
        let Some(index) = self.same_order(&k) else {
            let index = u32::try_from(self.entries.len())
                .map_err(|_| "the ledger has more than 4 billion entries; split it".to_owned())?;
            let entry = self.store(&k, line)?;
            self.entries.push(entry);
            self.file(index, k.order_id.as_deref(), k.client_order_id.as_deref());
            return Ok(());
        };
        let old = self.get(index as usize);
        let owned = |text: Option<&str>| text.map(|t| Cow::<str>::Owned(t.to_owned()));
        let merged = Checked {
            order_id: owned(old.order_id).or(k.order_id),
            // The first client id stays: the lookup by client id is filed under it.
            client_order_id: owned(old.client_order_id).or(k.client_order_id),
            category: k.category.or(old.category),
            symbol: k.symbol.or(owned(old.symbol)),
            side: k.side.or(old.side),
            qty: k.qty.or(owned(old.qty)),
            price: k.price.or(owned(old.price)),
            status: k.status.or(old.status),
            filled_qty: k.filled_qty.or(owned(old.filled_qty)),
            created_ms: old.created_ms.or(k.created_ms),
            updated_ms: k.updated_ms.or(old.updated_ms),
        };
        let new_id = old.order_id.is_none() && merged.order_id.is_some();
        let new_cid = old.client_order_id.is_none() && merged.client_order_id.is_some();
        let entry = self.store(&merged, line)?;
        self.entries[index as usize] = entry;
        self.file(
            index,
            merged.order_id.as_deref().filter(|_| new_id),
            merged.client_order_id.as_deref().filter(|_| new_cid),
        );
        Ok(())
    }

    /// Files entry `index` under the ids given.
    fn file(&mut self, index: u32, id: Option<&str>, cid: Option<&str>) {
        let Ledger {
            by_id,
            by_client,
            text,
            entries,
            ..
        } = self;
        let slice = |index: u32, id: bool| {
            let e = &entries[index as usize];
            let (start, len) = if id {
                (e.at as usize, e.id_len)
            } else {
                (e.at as usize + usize::from(e.id_len), e.cid_len)
            };
            &text[start..start + usize::from(len)]
        };
        if let Some(id) = id {
            by_id.insert_new(id, index, |i| slice(i, true));
        }
        if let Some(cid) = cid {
            by_client.insert_new(cid, index, |i| slice(i, false));
        }
    }

    /// Writes an entry's strings to the shared buffer and returns the compact entry.
    fn store(&mut self, k: &Checked<'_>, line: usize) -> Result<Entry, String> {
        let len = |what: &str, text: Option<&str>| {
            u16::try_from(text.map_or(0, str::len))
                .map_err(|_| format!("`{what}` is longer than {} bytes", u16::MAX))
        };
        let at = u32::try_from(self.text.len())
            .map_err(|_| "the ledger is larger than 4 GiB of ids; split it".to_owned())?;
        let entry = Entry {
            at,
            id_len: len("order_id", k.order_id.as_deref())?,
            cid_len: len("client_order_id", k.client_order_id.as_deref())?,
            qty_len: len("qty", k.qty.as_deref())?,
            price_len: len("price", k.price.as_deref())?,
            filled_len: len("filled_qty", k.filled_qty.as_deref())?,
            symbol: match k.symbol.as_deref() {
                None => 0,
                Some(symbol) => self.intern(symbol) + 1,
            },
            line: u32::try_from(line).unwrap_or(u32::MAX),
            created_ms: k.created_ms.unwrap_or(i64::MIN),
            updated_ms: k.updated_ms.unwrap_or(i64::MIN),
            side: match k.side {
                None => 0,
                Some(Side::Buy) => 1,
                Some(Side::Sell) => 2,
            },
            category: code(&CATEGORIES, k.category),
            status: code(&STATUSES, k.status),
        };
        for text in [
            k.order_id.as_deref(),
            k.client_order_id.as_deref(),
            k.qty.as_deref(),
            k.price.as_deref(),
            k.filled_qty.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            self.text.push_str(text);
        }
        Ok(entry)
    }

    fn intern(&mut self, symbol: &str) -> u32 {
        if let Some(&id) = self.symbol_ids.get(symbol) {
            return id;
        }
        let id = u32::try_from(self.symbols.len()).unwrap_or(u32::MAX);
        self.symbols.push(symbol.into());
        self.symbol_ids.insert(symbol.into(), id);
        id
    }
}

/// Reads a ledger file into its compact index (see [`Ledger::load`]).
pub fn load(path: &Path) -> Result<Ledger, LedgerError> {
    Ledger::load(path)
}

/// Parses ledger text into owned entries, one per line (not merged).
pub fn parse(file: &str, text: &str) -> Result<Vec<KnownOrder>, LedgerError> {
    owned(file, text.as_bytes())
}

fn owned(file: &str, reader: impl BufRead) -> Result<Vec<KnownOrder>, LedgerError> {
    let mut entries = Vec::new();
    read(file, reader, |k, line| {
        entries.push(KnownOrder {
            order_id: k.order_id.map(Cow::into_owned),
            client_order_id: k.client_order_id.map(Cow::into_owned),
            category: k.category,
            symbol: k.symbol.map(Cow::into_owned),
            side: k.side,
            qty: k.qty.map(|q| Amount::new(&q)),
            price: k.price.map(|p| Amount::new(&p)),
            status: k.status,
            filled_qty: k.filled_qty.map(|q| Amount::new(&q)),
            created_ms: k.created_ms,
            updated_ms: k.updated_ms,
            line,
        });
        Ok(())
    })?;
    Ok(entries)
}

/// An entry that passed the checks, still borrowing from its line.
struct Checked<'a> {
    order_id: Option<Cow<'a, str>>,
    client_order_id: Option<Cow<'a, str>>,
    category: Option<Category>,
    symbol: Option<Cow<'a, str>>,
    side: Option<Side>,
    /// Normalised as [`Amount::new`] does, without a copy where the line needs no unescaping.
    qty: Option<Cow<'a, str>>,
    price: Option<Cow<'a, str>>,
    status: Option<OrderStatus>,
    filled_qty: Option<Cow<'a, str>>,
    created_ms: Option<i64>,
    updated_ms: Option<i64>,
}

/// A quantity or price normalised as [`Amount::new`] does; blank is absent.
fn amount(value: Option<RawAmount<'_>>) -> Option<Cow<'_, str>> {
    match value.and_then(|v| v.0) {
        Some(Cow::Borrowed(text)) if !text.trim().is_empty() => {
            Some(Cow::Borrowed(normalized(text)))
        }
        Some(Cow::Owned(text)) if !text.trim().is_empty() => {
            Some(Cow::Owned(normalized(&text).to_owned()))
        }
        _ => None,
    }
}

/// What [`Amount::new`] makes of `text`, as a slice of it; a number with an exponent
/// (`1.0e10`) is kept whole (trimming its zeros would change it; the diff compares numbers).
fn normalized(text: &str) -> &str {
    let text = text.trim();
    let text = if text.contains('.') && !text.contains(['e', 'E']) {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    if text.is_empty() { "0" } else { text }
}

/// The columns a ledger CSV may have (others are passed over).
const COLUMNS: [&str; 11] = [
    "order_id",
    "client_order_id",
    "category",
    "symbol",
    "side",
    "qty",
    "price",
    "status",
    "filled_qty",
    "created_at",
    "updated_at",
];

/// Checks a CSV header: it must name an id column, and a header this reader cannot take says
/// how to convert the file.
fn check_header(line: &str, columns: &[String]) -> Result<(), String> {
    let known = columns.iter().any(|c| COLUMNS.contains(&c.as_str()));
    if !known {
        if let Some(delimiter) = [';', '\t', '|'].into_iter().find(|d| line.contains(*d)) {
            let name = if delimiter == '\t' {
                "tab".to_owned()
            } else {
                format!("`{delimiter}`")
            };
            return Err(format!(
                "the CSV header is {name}-separated and only `,` is read here; convert the file with `lockdown ledger import --from csv`"
            ));
        }
        return Err(format!(
            "the CSV header names none of the ledger's columns ({}); convert the file with `lockdown ledger import`",
            COLUMNS.map(|c| format!("`{c}`")).join(", ")
        ));
    }
    if !columns
        .iter()
        .any(|c| c == "order_id" || c == "client_order_id")
    {
        return Err(
            "the CSV header has neither `order_id` nor `client_order_id`: the diff cannot match an order without one"
                .to_owned(),
        );
    }
    Ok(())
}

/// What the first non-blank line said the file is.
enum Format {
    /// Not known yet: only blank lines so far.
    Unknown,
    /// One JSON object a line.
    Jsonl,
    /// CSV: the rows so far, and the header's columns once its row has ended (lowercase,
    /// trimmed), with the header's first line for the message when the header is refused.
    Csv {
        rows: Box<Rows>,
        first_line: String,
        columns: Option<Vec<String>>,
    },
}

/// Reads ledger lines from `reader` one at a time, handing each checked entry and the line it
/// starts on to `each`; the first bad line (or an error `each` returns) stops with file:line.
fn read(
    file: &str,
    mut reader: impl BufRead,
    mut each: impl FnMut(Checked<'_>, usize) -> Result<(), String>,
) -> Result<(), LedgerError> {
    let err = |line: usize, message: String| LedgerError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut buf = String::new();
    let mut number = 0;
    let mut format = Format::Unknown;
    loop {
        buf.clear();
        let read = reader.read_line(&mut buf).map_err(|e| {
            err(
                number + 1,
                format!("cannot read the known-orders ledger: {e}"),
            )
        })?;
        let ended = read == 0;
        if !ended {
            number += 1;
        }
        let line = buf.trim_end_matches(['\n', '\r']);
        // A byte-order mark (spreadsheets write one) is no part of the first line.
        let line = if number == 1 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        if let Format::Unknown = format {
            if ended {
                return Ok(());
            }
            if line.trim().is_empty() {
                continue;
            }
            format = if line.trim_start().starts_with('{') {
                Format::Jsonl
            } else {
                Format::Csv {
                    rows: Box::new(Rows::new()),
                    first_line: line.to_owned(),
                    columns: None,
                }
            };
        }
        match &mut format {
            Format::Unknown => {}
            Format::Jsonl => {
                if ended {
                    return Ok(());
                }
                if line.trim().is_empty() {
                    continue;
                }
                let raw: RawEntry<'_> = serde_json::from_str(line)
                    .map_err(|e| err(number, format!("not a ledger entry: {e}")))?;
                let checked = entry(raw).map_err(|m| err(number, m))?;
                each(checked, number).map_err(|m| err(number, m))?;
            }
            Format::Csv {
                rows,
                first_line,
                columns,
            } => {
                let row = if ended {
                    rows.finish()
                } else {
                    rows.feed(number, &buf)
                };
                if let Some(row) = row {
                    match columns {
                        None => {
                            let header: Vec<String> =
                                row.cells().map(|c| c.trim().to_ascii_lowercase()).collect();
                            check_header(first_line, &header).map_err(|m| err(row.line, m))?;
                            *columns = Some(header);
                        }
                        Some(_) if row.is_blank() => {}
                        Some(columns) => {
                            let checked =
                                csv_entry(columns, row.cells()).map_err(|m| err(row.line, m))?;
                            each(checked, row.line).map_err(|m| err(row.line, m))?;
                        }
                    }
                }
                if ended {
                    return Ok(());
                }
            }
        }
    }
}

/// A CSV row's entry: each cell goes to the field its column names (others are passed over).
fn csv_entry<'a>(
    columns: &[String],
    cells: impl Iterator<Item = &'a str>,
) -> Result<Checked<'a>, String> {
    let mut raw = RawEntry::default();
    for (column, cell) in columns.iter().zip(cells) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let cell = Cow::Borrowed(cell);
        match column.as_str() {
            "order_id" => raw.order_id = Some(Text(cell)),
            "client_order_id" => raw.client_order_id = Some(Text(cell)),
            "category" => raw.category = Some(Text(cell)),
            "symbol" => raw.symbol = Some(Text(cell)),
            "side" => raw.side = Some(Text(cell)),
            "qty" => raw.qty = Some(RawAmount(Some(cell))),
            "price" => raw.price = Some(RawAmount(Some(cell))),
            "status" => raw.status = Some(Text(cell)),
            "filled_qty" => raw.filled_qty = Some(RawAmount(Some(cell))),
            "created_at" => raw.created_at = Some(RawAmount(Some(cell))),
            "updated_at" => raw.updated_at = Some(RawAmount(Some(cell))),
            _ => {}
        }
    }
    entry(raw)
}

fn non_empty(v: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    v.map(|s| match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    })
    .filter(|s| !s.is_empty())
}

/// A time as the ledger writes it: RFC 3339 or Unix milliseconds.
fn time(field: &str, value: Option<RawAmount<'_>>) -> Result<Option<i64>, String> {
    match non_empty(value.and_then(|v| v.0)) {
        None => Ok(None),
        Some(text) => clock::parse_rfc3339_ms(&text)
            .or_else(|| text.parse().ok())
            .map(Some)
            .ok_or(format!(
                "`{field}` `{text}` is not an RFC 3339 time or Unix milliseconds"
            )),
    }
}

fn entry(raw: RawEntry<'_>) -> Result<Checked<'_>, String> {
    let order_id = non_empty(text(raw.order_id));
    let client_order_id = non_empty(text(raw.client_order_id));
    if order_id.is_none() && client_order_id.is_none() {
        return Err("an entry needs `order_id` or `client_order_id` (a bot's own export: convert it with `lockdown ledger import`)".to_owned());
    }
    let side = match non_empty(text(raw.side)) {
        None => None,
        Some(text) => Some(Side::parse(&text).ok_or(format!("`{text}` is not buy or sell"))?),
    };
    let category = match non_empty(text(raw.category)) {
        None => None,
        Some(text) => Some(Category::parse(&text).ok_or(format!(
            "`{text}` is not a category (spot, linear, inverse or option)"
        ))?),
    };
    let status = match non_empty(text(raw.status)) {
        None => None,
        Some(text) => Some(parse_status(&text).ok_or(format!(
            "`{text}` is not a status (open, partially_filled, filled, cancelled, rejected or untriggered)"
        ))?),
    };
    Ok(Checked {
        order_id,
        client_order_id,
        category,
        symbol: non_empty(text(raw.symbol)),
        side,
        qty: amount(raw.qty),
        price: amount(raw.price),
        status,
        filled_qty: amount(raw.filled_qty),
        created_ms: time("created_at", raw.created_at)?,
        updated_ms: time("updated_at", raw.updated_at)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_and_csv_alike() {
        let jsonl = r#"{"order_id":"1","client_order_id":"grid-1","symbol":"BTCUSDT","side":"buy","qty":"0.010","price":50000,"created_at":"2026-11-27T10:00:00.000Z"}

{"client_order_id":"grid-2"}
"#;
        let csv = "order_id,client_order_id,symbol,side,qty,price,created_at\n\
                   1,grid-1,BTCUSDT,Buy,0.01,50000,2026-11-27T10:00:00.000Z\n\
                   ,\"grid-2\",,,,,\n";
        let a = parse("a.jsonl", jsonl).unwrap();
        let b = parse("b.csv", csv).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 2);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.order_id, y.order_id);
            assert_eq!(x.client_order_id, y.client_order_id);
            assert_eq!(x.qty, y.qty);
            assert_eq!(x.price, y.price);
            assert_eq!(x.side, y.side);
            assert_eq!(x.created_ms, y.created_ms);
        }
        assert_eq!(a[0].qty.as_ref().map(Amount::as_str), Some("0.01"));
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let err = parse("k.jsonl", "{\"order_id\":\"1\"}\n{\"symbol\":\"X\"}\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.to_string().starts_with("k.jsonl:2: "), "{err}");
        let err = parse("k.jsonl", "{\"order_id\":\"1\",\"side\":\"long\"}\n").unwrap_err();
        assert!(err.message.contains("long"), "{err}");
    }

    #[test]
    fn the_compact_ledger_reads_what_the_owned_one_reads() {
        let jsonl = "{\"order_id\":\"1\",\"client_order_id\":\"grid-1\",\"symbol\":\"BTCUSDT\",\"side\":\"sell\",\"qty\":\"0.0100\",\"price\":50000.5,\"created_at\":\"2026-11-27T10:00:00.000Z\"}\n\
                     {\"client_order_id\":\"grid-\\u0032\",\"qty\":3}\n\
                     {\"order_id\":\"1\",\"symbol\":\"ETHUSDT\"}\n";
        let owned = parse("k.jsonl", jsonl).unwrap();
        let compact = Ledger::parse("k.jsonl", jsonl).unwrap();
        assert_eq!(compact.len(), owned.len());
        for (i, k) in owned.iter().enumerate() {
            let c = compact.get(i);
            assert_eq!(c.order_id, k.order_id.as_deref(), "entry {i}");
            assert_eq!(c.client_order_id, k.client_order_id.as_deref());
            assert_eq!(c.symbol, k.symbol.as_deref());
            assert_eq!(c.side, k.side);
            assert_eq!(c.qty, k.qty.as_ref().map(Amount::as_str));
            assert_eq!(c.price, k.price.as_ref().map(Amount::as_str));
            assert_eq!(c.created_ms, k.created_ms);
            assert_eq!(c.line, k.line);
        }
        // One order id in two markets is two orders; client ids are found unescaped.
        assert_eq!(compact.find_order("1", Category::Spot, "ETHUSDT"), Some(2));
        assert_eq!(compact.find_order("1", Category::Spot, "BTCUSDT"), Some(0));
        assert_eq!(compact.by_client_order_id("grid-2"), Some(1));
        assert_eq!(compact.by_client_order_id("grid-3"), None);
    }

    #[test]
    fn a_bad_line_in_a_streamed_file_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known.jsonl");
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("{{\"order_id\":\"{i}\"}}\n"));
        }
        text.push_str("{\"order_id\":\"x\",\"created_at\":\"yesterday\"}\n");
        std::fs::write(&path, text).unwrap();
        let err = Ledger::load(&path).unwrap_err();
        assert_eq!(err.line, 5001);
        assert!(
            err.to_string()
                .starts_with(&format!("{}:5001: ", path.display())),
            "{err}"
        );
        assert!(err.message.contains("yesterday"), "{err}");
    }

    #[test]
    fn lines_naming_one_order_merge_into_its_last_state() {
        let jsonl = r#"{"client_order_id":"grid-1","category":"spot","symbol":"BTCUSDT","side":"buy","qty":"0.01","price":"50000","status":"open","created_at":"2026-11-27T10:00:00Z"}
{"order_id":"7","client_order_id":"grid-1","status":"open"}
{"order_id":"7","status":"partially_filled","filled_qty":".005","updated_at":1700000000000}
{"order_id":"7","category":"linear","symbol":"BTCUSDT","qty":"3"}
{"client_order_id":"grid-2","status":"open"}
{"client_order_id":"grid-2","status":"canceled"}
"#;
        let ledger = Ledger::parse("k.jsonl", jsonl).unwrap();
        // Order 7 spot (three lines), order 7 linear (another market), grid-2 (two lines).
        assert_eq!(ledger.len(), 3);
        let spot = ledger.get(ledger.find_order("7", Category::Spot, "BTCUSDT").unwrap());
        assert_eq!(spot.client_order_id, Some("grid-1"));
        assert_eq!(spot.status, Some(OrderStatus::PartiallyFilled));
        assert_eq!(spot.filled_qty, Some(".005"));
        assert_eq!(spot.qty, Some("0.01"));
        assert_eq!(spot.updated_ms, Some(1_700_000_000_000));
        assert_eq!(spot.line, 3);
        let linear = ledger.get(
            ledger
                .find_order("7", Category::Linear, "BTC-USDT")
                .unwrap(),
        );
        assert_eq!(linear.qty, Some("3"));
        assert!(
            ledger
                .find_order("7", Category::Inverse, "BTCUSDT")
                .is_none()
        );
        let g2 = ledger.get(ledger.by_client_order_id("grid-2").unwrap());
        assert_eq!(g2.status, Some(OrderStatus::Cancelled));
        let markets = ledger.markets();
        assert!(markets.trades(&ledger, Category::Spot, "BTC/USDT"));
        assert!(markets.trades(&ledger, Category::Linear, "BTCUSDT"));
        assert!(!markets.trades(&ledger, Category::Inverse, "BTCUSDT"));
        assert!(!markets.trades(&ledger, Category::Spot, "ETHUSDT"));
    }

    #[test]
    fn numbers_with_an_exponent_are_kept_whole() {
        let ledger = Ledger::parse(
            "k.csv",
            "order_id,qty,price\n1,1.0e1,7.5e-6\n2,.0100,10.0\n",
        )
        .unwrap();
        assert_eq!(ledger.get(0).qty, Some("1.0e1"));
        assert_eq!(ledger.get(0).price, Some("7.5e-6"));
        assert_eq!(ledger.get(1).qty, Some(".01"));
        assert_eq!(ledger.get(1).price, Some("10"));
    }

    /// RFC 4180 quoting as the `csv` crate reads it, and every row on the line it starts on,
    /// blank lines and quoted line breaks counted.
    #[test]
    fn csv_rows_are_read_as_rfc_4180_says_on_the_lines_they_start_on() {
        let text = "Order_ID , client_order_id,qty\r\n\
                    1,\"grid,1\",0.010\r\n\
                    \r\n\
                    \n\
                    2,\"a \"\"b\"\"\nc\",2\n\
                    \"3\", ,\n\
                    4,x,1";
        let rows = parse("k.csv", text).unwrap();
        let got: Vec<(usize, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|k| (k.line, k.order_id.as_deref(), k.client_order_id.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, Some("1"), Some("grid,1")),
                (5, Some("2"), Some("a \"b\"\nc")),
                (7, Some("3"), None),
                (8, Some("4"), Some("x")),
            ]
        );
        assert_eq!(rows[0].qty.as_ref().map(Amount::as_str), Some("0.01"));
        // A bad row after blank lines and a two-line row is named by its own line.
        let err = parse("k.csv", "order_id,side\n\n\"1\nb\",buy\n\n2,long\n").unwrap_err();
        assert_eq!(err.line, 6, "{err}");
        assert!(err.message.contains("long"), "{err}");
    }

    /// A byte-order mark before the first line is passed over, in either format.
    #[test]
    fn a_byte_order_mark_is_passed_over() {
        let csv = parse("k.csv", "\u{feff}order_id,qty\n1,2\n").unwrap();
        assert_eq!(csv[0].order_id.as_deref(), Some("1"));
        let jsonl = parse("k.jsonl", "\u{feff}{\"order_id\":\"1\"}\n").unwrap();
        assert_eq!(jsonl[0].order_id.as_deref(), Some("1"));
    }

    #[test]
    fn a_csv_this_reader_cannot_take_says_how_to_convert_it() {
        let cases = [
            (
                "semicolons",
                "order_id;symbol;qty\n1;BTCUSDT;1\n",
                "`;`-separated",
            ),
            (
                "ccxt names",
                "id,clientOrderId,amount\n1,a,1\n",
                "none of the ledger's columns",
            ),
            (
                "no id column",
                "symbol,qty\nBTCUSDT,1\n",
                "neither `order_id`",
            ),
        ];
        for (label, text, says) in cases {
            let err = Ledger::parse("k.csv", text).unwrap_err();
            assert_eq!(err.line, 1, "{label}");
            assert!(err.message.contains(says), "{label}: {err}");
            assert!(
                err.message.contains("lockdown ledger import") || label == "no id column",
                "{label}: {err}"
            );
        }
        let err =
            Ledger::parse("k.jsonl", "{\"order_id\":\"1\",\"status\":\"gone\"}\n").unwrap_err();
        assert!(err.message.contains("`gone` is not a status"), "{err}");
    }
}
