//! The owner's ledger of known orders: what the bots placed, as JSON Lines or CSV.
//!
//! Each entry names an order by exchange order id or client order id (at least one) and may
//! carry symbol, side, qty, price and time; fields that are present are compared, absent ones
//! are not. A bad line is reported with its file and line number.
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

use crate::clock;
use crate::exchanges::model::{Amount, Side};

/// One order the owner knows to be theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownOrder {
    /// Exchange order id.
    pub order_id: Option<String>,
    /// Client order id.
    pub client_order_id: Option<String>,
    /// Instrument.
    pub symbol: Option<String>,
    /// Side.
    pub side: Option<Side>,
    /// Quantity.
    pub qty: Option<Amount>,
    /// Limit price.
    pub price: Option<Amount>,
    /// Creation time, Unix ms.
    pub created_ms: Option<i64>,
    /// Line in the ledger, from 1.
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
    symbol: Option<Text<'a>>,
    #[serde(default, borrow)]
    side: Option<Text<'a>>,
    #[serde(default, borrow)]
    qty: Option<RawAmount<'a>>,
    #[serde(default, borrow)]
    price: Option<RawAmount<'a>>,
    #[serde(default, borrow)]
    created_at: Option<Text<'a>>,
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

/// One entry, compact: its strings are `order_id`, `client_order_id`, `qty` and `price` back
/// to back in [`Ledger::text`] from `at` (a length of 0: absent; present ones are never empty).
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: u32,
    id_len: u16,
    cid_len: u16,
    qty_len: u16,
    price_len: u16,
    /// Interned symbol + 1 (0: none).
    symbol: u32,
    line: u32,
    /// `i64::MIN`: none.
    created_ms: i64,
    /// 0 none, 1 buy, 2 sell.
    side: u8,
}

/// One entry as the diff reads it, borrowed from the [`Ledger`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Known<'l> {
    /// Exchange order id.
    pub order_id: Option<&'l str>,
    /// Client order id.
    pub client_order_id: Option<&'l str>,
    /// Instrument.
    pub symbol: Option<&'l str>,
    /// Side.
    pub side: Option<Side>,
    /// Quantity, normalised ([`Amount::new`]).
    pub qty: Option<&'l str>,
    /// Limit price, normalised.
    pub price: Option<&'l str>,
    /// Creation time, Unix ms.
    pub created_ms: Option<i64>,
    /// Line in the ledger, from 1.
    pub line: usize,
}

/// A read ledger: compact entries and their lookups by order id and client order id.
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

    /// The entry whose key is `key`.
    pub(crate) fn find<'s>(&self, key: &str, key_of: impl Fn(u32) -> &'s str) -> Option<u32> {
        self.table
            .find(self.hash(key), |&i| key_of(i) == key)
            .copied()
    }

    /// Files entry `index` under `key`; an entry already filed under it is replaced and returned.
    pub(crate) fn insert<'s>(
        &mut self,
        key: &str,
        index: u32,
        key_of: impl Fn(u32) -> &'s str,
    ) -> Option<u32> {
        let hash = self.hash(key);
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |&i| key_of(i) == key,
            |&i| std::hash::BuildHasher::hash_one(hasher, key_of(i)),
        ) {
            hashbrown::hash_table::Entry::Occupied(mut found) => {
                Some(std::mem::replace(found.get_mut(), index))
            }
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(index);
                None
            }
        }
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

    /// Builds a ledger from owned entries (their lines kept).
    pub fn from_entries(entries: &[KnownOrder]) -> Ledger {
        let mut ledger = Ledger::default();
        for k in entries {
            let checked = Checked {
                order_id: k.order_id.as_deref().map(Cow::Borrowed),
                client_order_id: k.client_order_id.as_deref().map(Cow::Borrowed),
                symbol: k.symbol.as_deref().map(Cow::Borrowed),
                side: k.side,
                qty: k.qty.as_ref().map(|a| Cow::Borrowed(a.as_str())),
                price: k.price.as_ref().map(|a| Cow::Borrowed(a.as_str())),
                created_ms: k.created_ms,
            };
            // Only ids over 64 KiB are refused, which owned entries in tests never have.
            let _ = ledger.push(checked, k.line);
        }
        ledger
    }

    /// How many entries it holds.
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
            symbol: e.symbol.checked_sub(1).map(|s| &*self.symbols[s as usize]),
            side: match e.side {
                1 => Some(Side::Buy),
                2 => Some(Side::Sell),
                _ => None,
            },
            created_ms: (e.created_ms != i64::MIN).then_some(e.created_ms),
            line: e.line as usize,
        }
    }

    /// The entry (the last one, if several) with exchange order id `id`.
    pub fn by_order_id(&self, id: &str) -> Option<usize> {
        self.by_id
            .find(id, |i| self.order_id(i))
            .map(|i| i as usize)
    }

    /// The entry (the last one, if several) with client order id `id`.
    pub fn by_client_order_id(&self, id: &str) -> Option<usize> {
        self.by_client
            .find(id, |i| self.client_order_id(i))
            .map(|i| i as usize)
    }

    /// Every entry, in ledger order.
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

    /// Adds one checked entry.
    fn push(&mut self, k: Checked<'_>, line: usize) -> Result<(), String> {
        let len = |what: &str, text: Option<&str>| {
            u16::try_from(text.map_or(0, str::len))
                .map_err(|_| format!("`{what}` is longer than {} bytes", u16::MAX))
        };
        let at = u32::try_from(self.text.len())
            .map_err(|_| "the ledger is larger than 4 GiB of ids; split it".to_owned())?;
        let index = u32::try_from(self.entries.len())
            .map_err(|_| "the ledger has more than 4 billion entries; split it".to_owned())?;
        let entry = Entry {
            at,
            id_len: len("order_id", k.order_id.as_deref())?,
            cid_len: len("client_order_id", k.client_order_id.as_deref())?,
            qty_len: len("qty", k.qty.as_deref())?,
            price_len: len("price", k.price.as_deref())?,
            symbol: match k.symbol.as_deref() {
                None => 0,
                Some(symbol) => self.intern(symbol) + 1,
            },
            line: u32::try_from(line).unwrap_or(u32::MAX),
            created_ms: k.created_ms.unwrap_or(i64::MIN),
            side: match k.side {
                None => 0,
                Some(Side::Buy) => 1,
                Some(Side::Sell) => 2,
            },
        };
        for text in [
            k.order_id.as_deref(),
            k.client_order_id.as_deref(),
            k.qty.as_deref(),
            k.price.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            self.text.push_str(text);
        }
        self.entries.push(entry);
        // The later entry wins a duplicate id, as it always has.
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
        if let Some(id) = k.order_id.as_deref() {
            by_id.insert(id, index, |i| slice(i, true));
        }
        if let Some(cid) = k.client_order_id.as_deref() {
            by_client.insert(cid, index, |i| slice(i, false));
        }
        Ok(())
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

/// Parses ledger text into owned entries.
pub fn parse(file: &str, text: &str) -> Result<Vec<KnownOrder>, LedgerError> {
    owned(file, text.as_bytes())
}

fn owned(file: &str, reader: impl BufRead) -> Result<Vec<KnownOrder>, LedgerError> {
    let mut entries = Vec::new();
    read(file, reader, |k, line| {
        entries.push(KnownOrder {
            order_id: k.order_id.map(Cow::into_owned),
            client_order_id: k.client_order_id.map(Cow::into_owned),
            symbol: k.symbol.map(Cow::into_owned),
            side: k.side,
            qty: k.qty.map(|q| Amount::new(&q)),
            price: k.price.map(|p| Amount::new(&p)),
            created_ms: k.created_ms,
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
    symbol: Option<Cow<'a, str>>,
    side: Option<Side>,
    /// Normalised as [`Amount::new`] does, without a copy where the line needs no unescaping.
    qty: Option<Cow<'a, str>>,
    price: Option<Cow<'a, str>>,
    created_ms: Option<i64>,
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

/// What [`Amount::new`] makes of `text`, as a slice of it.
fn normalized(text: &str) -> &str {
    let text = text.trim();
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    if text.is_empty() { "0" } else { text }
}

/// Reads ledger lines from `reader` one at a time, handing each checked entry and its line
/// number to `each`; the first bad line (or an error `each` returns) stops with file:line.
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
    // `None` until the first non-blank line says JSON or CSV; CSV keeps its header's columns.
    let mut format: Option<Option<Vec<String>>> = None;
    loop {
        buf.clear();
        let read = reader.read_line(&mut buf).map_err(|e| {
            err(
                number + 1,
                format!("cannot read the known-orders ledger: {e}"),
            )
        })?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let line = buf.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let columns = match &format {
            Some(columns) => columns,
            None => {
                if line.trim_start().starts_with('{') {
                    format = Some(None);
                } else {
                    let header = split_csv(line)
                        .into_iter()
                        .map(|c| c.trim().to_ascii_lowercase())
                        .collect();
                    format = Some(Some(header));
                    continue;
                }
                &None
            }
        };
        let checked = match columns {
            None => {
                let raw: RawEntry<'_> = serde_json::from_str(line)
                    .map_err(|e| err(number, format!("not a ledger entry: {e}")))?;
                entry(raw)
            }
            Some(columns) => {
                let cells = split_csv(line);
                let mut raw = RawEntry::default();
                for (column, cell) in columns.iter().zip(cells) {
                    let cell = cell.trim();
                    if cell.is_empty() {
                        continue;
                    }
                    let cell = Cow::Owned(cell.to_owned());
                    match column.as_str() {
                        "order_id" => raw.order_id = Some(Text(cell)),
                        "client_order_id" => raw.client_order_id = Some(Text(cell)),
                        "symbol" => raw.symbol = Some(Text(cell)),
                        "side" => raw.side = Some(Text(cell)),
                        "qty" => raw.qty = Some(RawAmount(Some(cell))),
                        "price" => raw.price = Some(RawAmount(Some(cell))),
                        "created_at" => raw.created_at = Some(Text(cell)),
                        _ => {}
                    }
                }
                entry(raw)
            }
        };
        let checked = checked.map_err(|m| err(number, m))?;
        each(checked, number).map_err(|m| err(number, m))?;
    }
}

fn non_empty(v: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    v.map(|s| match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    })
    .filter(|s| !s.is_empty())
}

fn entry(raw: RawEntry<'_>) -> Result<Checked<'_>, String> {
    let order_id = non_empty(text(raw.order_id));
    let client_order_id = non_empty(text(raw.client_order_id));
    if order_id.is_none() && client_order_id.is_none() {
        return Err("an entry needs `order_id` or `client_order_id`".to_owned());
    }
    let side = match non_empty(text(raw.side)) {
        None => None,
        Some(text) => Some(Side::parse(&text).ok_or(format!("`{text}` is not buy or sell"))?),
    };
    let created_ms = match non_empty(text(raw.created_at)) {
        None => None,
        Some(text) => Some(
            clock::parse_rfc3339_ms(&text)
                .or_else(|| text.parse().ok())
                .ok_or(format!(
                    "`{text}` is not an RFC 3339 time or Unix milliseconds"
                ))?,
        ),
    };
    Ok(Checked {
        order_id,
        client_order_id,
        symbol: non_empty(text(raw.symbol)),
        side,
        qty: amount(raw.qty),
        price: amount(raw.price),
        created_ms,
    })
}

/// Splits one CSV line; double quotes may enclose a cell, `""` is a quote inside one.
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells
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
        // The later of two entries with one order id wins; client ids are found unescaped.
        assert_eq!(compact.by_order_id("1"), Some(2));
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
}
