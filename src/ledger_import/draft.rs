//! One order as a source wrote it, cell by cell, and its checked ledger line.
//!
//! Every source reader (SQLite, JSON, CSV) fills a [`Draft`]: the text of each value it found
//! and the column it came from. [`Draft::build`] is the one place values are checked and
//! converted (numbers, times, statuses, sides, symbols), so a bad value is reported the same way
//! whatever the format: file, line or row, column, what is wrong, what to do.

use super::error::{Bad, ImportError, Place};
use super::line::LedgerLine;
use super::number::{self, Comma};
use super::status;
use super::symbol::{self, Given, Kind, Style};
use super::when;
use crate::clock;
use crate::exchanges::model::{Category, Side};
use crate::venues::ExchangeId;

/// A value and the column (or field) it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The value as text.
    pub text: String,
    /// The column, as error messages name it (`` `qty` (column 5) ``).
    pub column: String,
}

impl Cell {
    /// A value from `column`.
    pub fn new(text: impl Into<String>, column: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            column: column.into(),
        }
    }

    /// A value from `column` unless it is blank.
    pub fn some(text: impl Into<String>, column: impl Into<String>) -> Option<Cell> {
        let text = text.into();
        (!text.trim().is_empty()).then(|| Cell::new(text, column))
    }
}

/// The venue a source says an order was placed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The source does not say.
    Unknown,
    /// One lockdown speaks.
    Venue(ExchangeId),
    /// Another one (freqtrade's `binanceus`, Hummingbot's `gate_io`), by the source's name:
    /// its orders are left out.
    Other(String),
    /// A paper-trading or dry-run order, never sent to a venue.
    Paper,
}

/// One order as a source wrote it.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Where it is in the source.
    pub place: Place,
    /// The venue's order id.
    pub order_id: Option<Cell>,
    /// The bot's client order id.
    pub client_order_id: Option<Cell>,
    /// The market as the source names it.
    pub symbol: Option<Cell>,
    /// The venue's own name for the market, when the source carries one besides.
    pub raw_symbol: Option<Cell>,
    /// The market family as a word (`spot`, `linear`, `swap`, ...).
    pub category: Option<Cell>,
    /// The market family as the source's structure tells it (a connector, a trading mode).
    pub kind: Option<Kind>,
    /// Buy or sell.
    pub side: Option<Cell>,
    /// Quantity.
    pub qty: Option<Cell>,
    /// Limit price.
    pub price: Option<Cell>,
    /// Filled quantity.
    pub filled_qty: Option<Cell>,
    /// Status word.
    pub status: Option<Cell>,
    /// Placed at.
    pub created_at: Option<Cell>,
    /// Last changed at.
    pub updated_at: Option<Cell>,
    /// A market order: its price is the fill's, which the venue does not list as the order's.
    pub market_order: bool,
    /// A stop or other conditional order: `open` means it waits for its trigger.
    pub conditional: bool,
    /// The venue the source names.
    pub origin: Origin,
}

impl Draft {
    /// An empty draft at `place`.
    pub fn at(place: Place) -> Draft {
        Draft {
            place,
            order_id: None,
            client_order_id: None,
            symbol: None,
            raw_symbol: None,
            category: None,
            kind: None,
            side: None,
            qty: None,
            price: None,
            filled_qty: None,
            status: None,
            created_at: None,
            updated_at: None,
            market_order: false,
            conditional: false,
            origin: Origin::Unknown,
        }
    }
}

/// Why paper-trading and dry-run orders are left out, as [`Built::LeftOut`] says it.
pub const PAPER: &str = "paper trading or dry run";

/// What holds for every order of an import.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// `--venue`: symbols are written in its terms; orders on other venues are left out.
    pub venue: Option<ExchangeId>,
    /// `--category`: the family of orders whose source does not tell it.
    pub category: Option<Category>,
    /// How a comma in a number is read.
    pub comma: Comma,
    /// How non-unified market names are written.
    pub style: Style,
}

/// What became of one draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Built {
    /// A ledger line.
    Line(LedgerLine),
    /// Left out: placed on another venue than `--venue` (its name), or never sent (paper).
    LeftOut(String),
}

impl Draft {
    /// Checks every value and builds the ledger line.
    pub fn build(self, rules: &Rules) -> Result<Built, ImportError> {
        let venue = match &self.origin {
            Origin::Paper => return Ok(Built::LeftOut(PAPER.into())),
            // A venue lockdown does not respond on: never this ledger's.
            Origin::Other(name) => return Ok(Built::LeftOut(name.clone())),
            Origin::Venue(v) => match rules.venue {
                Some(want) if want != *v => return Ok(Built::LeftOut(v.to_string())),
                _ => Some(*v),
            },
            Origin::Unknown => rules.venue,
        };
        let place = &self.place;
        let pin = |cell: &Cell, bad: Bad| place.error(Some(&cell.column), bad);
        let text = |cell: &Option<Cell>| {
            cell.as_ref()
                .map(|c| c.text.trim().to_owned())
                .filter(|t| !t.is_empty())
        };
        let order_id = text(&self.order_id);
        let client_order_id = text(&self.client_order_id);
        if order_id.is_none() && client_order_id.is_none() {
            return Err(place.error(
                None,
                Bad::new(
                    "the order has neither an order id nor a client order id",
                    "every ledger line needs one; map the column that holds the venue's order \
                     id (`--map order_id=COLUMN`) or the bot's client id \
                     (`--map client_order_id=COLUMN`)",
                ),
            ));
        }
        let decimal = |cell: &Option<Cell>| -> Result<Option<String>, ImportError> {
            match cell {
                Some(c) if !c.text.trim().is_empty() => number::decimal(&c.text, rules.comma)
                    .map(Some)
                    .map_err(|b| pin(c, b)),
                _ => Ok(None),
            }
        };
        let qty = decimal(&self.qty)?;
        let price = decimal(&self.price)?.filter(|_| !self.market_order);
        let filled_qty = decimal(&self.filled_qty)?;
        let status = match &self.status {
            Some(c) if !c.text.trim().is_empty() => {
                let said = status::word(&c.text).map_err(|b| pin(c, b))?;
                let said = match said {
                    status::Said::Open if self.conditional => status::Said::Untriggered,
                    other => other,
                };
                Some(status::settle(said, qty.as_deref(), filled_qty.as_deref()))
            }
            _ => None,
        };
        let side = match &self.side {
            Some(c) if !c.text.trim().is_empty() => {
                Some(Side::parse(c.text.trim()).ok_or_else(|| {
                    pin(
                        c,
                        Bad::new(
                            format!("`{}` is not buy or sell", c.text.trim()),
                            "write the side as `buy` or `sell`, or map the column that holds it",
                        ),
                    )
                })?)
            }
            _ => None,
        };
        let time = |cell: &Option<Cell>| -> Result<Option<String>, ImportError> {
            match cell {
                Some(c) if !c.text.trim().is_empty() => when::parse(&c.text)
                    .map(|ms| Some(clock::rfc3339_ms(ms)))
                    .map_err(|b| pin(c, b)),
                _ => Ok(None),
            }
        };
        let created_at = time(&self.created_at)?;
        let updated_at = time(&self.updated_at)?;
        let kind = match &self.category {
            Some(c) if !c.text.trim().is_empty() => Some(kind(&c.text).map_err(|b| pin(c, b))?),
            _ => self.kind,
        };
        let symbol_cell = self.raw_symbol.as_ref().or(self.symbol.as_ref());
        let given = Given {
            symbol: self.symbol.as_ref().map(|c| c.text.as_str()),
            raw: self.raw_symbol.as_ref().map(|c| c.text.as_str()),
            kind,
        };
        let named = symbol::name(&given, venue, rules.style).map_err(|b| match symbol_cell {
            Some(c) => pin(c, b),
            None => place.error(None, b),
        })?;
        let category = named.category.or(match kind {
            Some(Kind::Exact(c)) => Some(c),
            _ => None,
        });
        Ok(Built::Line(LedgerLine {
            order_id,
            client_order_id,
            category: category.or(rules.category),
            symbol: (!named.symbol.is_empty()).then_some(named.symbol),
            side,
            qty,
            price,
            filled_qty,
            status,
            created_at,
            updated_at,
        }))
    }
}

/// A market family written as a word: the ledger's own, or a common synonym.
fn kind(text: &str) -> Result<Kind, Bad> {
    let word = text.trim().to_ascii_lowercase();
    Ok(match word.as_str() {
        "spot" | "margin" | "cash" => Kind::Exact(Category::Spot),
        "linear" => Kind::Exact(Category::Linear),
        "inverse" => Kind::Exact(Category::Inverse),
        "option" | "options" => Kind::Exact(Category::Option),
        "swap" | "future" | "futures" | "perpetual" | "perp" | "derivative" | "derivatives" => {
            Kind::Derivative
        }
        _ => {
            return Err(Bad::new(
                format!("`{}` is not a market family lockdown knows", text.trim()),
                "write spot, linear, inverse or option (margin counts as spot; swap, future, \
                 perpetual as linear or inverse by the symbol), or map no category column",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_import::error::At;

    fn draft() -> Draft {
        let mut d = Draft::at(Place {
            file: "orders.csv".into(),
            at: At::Line(4),
        });
        d.order_id = Cell::some("42", "`id` (column 1)");
        d
    }

    fn rules() -> Rules {
        Rules {
            venue: Some(ExchangeId::Bybit),
            category: None,
            comma: Comma::Refused,
            style: Style::Raw,
        }
    }

    #[test]
    fn a_draft_becomes_a_checked_line() {
        let mut d = draft();
        d.symbol = Cell::some("BTC/USDT:USDT", "`symbol` (column 2)");
        d.side = Cell::some("SELL", "`side` (column 3)");
        d.qty = Cell::some("1.0e-2", "`amount` (column 4)");
        d.price = Cell::some("63000.0", "`price` (column 5)");
        d.filled_qty = Cell::some("0.004", "`filled` (column 6)");
        d.status = Cell::some("open", "`status` (column 7)");
        d.created_at = Cell::some("1764237600123", "`timestamp` (column 8)");
        let Built::Line(line) = d.build(&rules()).unwrap() else {
            panic!("left out")
        };
        assert_eq!(
            line.to_json(),
            r#"{"order_id":"42","category":"linear","symbol":"BTCUSDT","side":"sell","qty":"0.01","price":"63000","filled_qty":"0.004","status":"partially_filled","created_at":"2025-11-27T10:00:00.123Z"}"#
        );
    }

    #[test]
    fn each_bad_value_names_its_column() {
        type Spoil = fn(&mut Draft);
        let cases: [(&str, Spoil); 6] = [
            ("`side` (column 3)", |d| {
                d.side = Cell::some("long", "`side` (column 3)")
            }),
            ("`amount` (column 4)", |d| {
                d.qty = Cell::some("ten", "`amount` (column 4)")
            }),
            ("`status` (column 7)", |d| {
                d.status = Cell::some("halfway", "`status` (column 7)")
            }),
            ("`timestamp` (column 8)", |d| {
                d.created_at = Cell::some("yesterday", "`timestamp` (column 8)")
            }),
            ("`category` (column 9)", |d| {
                d.category = Cell::some("bonds", "`category` (column 9)")
            }),
            ("`symbol` (column 2)", |d| {
                d.symbol = Cell::some("BTC/USDT:USDT-261225", "`symbol` (column 2)")
            }),
        ];
        for (column, spoil) in cases {
            let mut d = draft();
            spoil(&mut d);
            let err = d.build(&rules()).unwrap_err();
            assert_eq!(err.column.as_deref(), Some(column));
            assert!(
                err.to_string()
                    .starts_with(&format!("orders.csv:4: column {column}: ")),
                "{err}"
            );
            assert!(!err.hint.is_empty());
        }
        let mut d = draft();
        d.order_id = None;
        let err = d.build(&rules()).unwrap_err();
        assert!(err.message.contains("neither an order id"), "{err}");
    }

    #[test]
    fn other_venues_paper_orders_and_market_prices_are_left_out() {
        let mut d = draft();
        d.origin = Origin::Venue(ExchangeId::Okx);
        assert_eq!(d.build(&rules()).unwrap(), Built::LeftOut("okx".into()));
        let mut d = draft();
        d.origin = Origin::Paper;
        assert!(matches!(d.build(&rules()).unwrap(), Built::LeftOut(_)));
        let mut d = draft();
        d.market_order = true;
        d.price = Cell::some("63012.5", "`price`");
        d.conditional = true;
        d.status = Cell::some("open", "`status`");
        let Built::Line(line) = d.build(&rules()).unwrap() else {
            panic!("left out")
        };
        assert_eq!(line.price, None);
        assert_eq!(
            line.status,
            Some(crate::exchanges::model::OrderStatus::Untriggered)
        );
    }
}
