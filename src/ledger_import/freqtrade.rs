//! freqtrade's database (`tradesv3.sqlite`): its `orders` table, joined to `trades`.
//!
//! The schema is freqtrade's SQLAlchemy model (`freqtrade/persistence/trade_model.py`, classes
//! `Order` and `Trade`): one `orders` row per order freqtrade placed, `order_id` the venue's id
//! (freqtrade sends no client id), `symbol`/`ft_pair` the CCXT unified symbol (`BTC/USDT`,
//! `BTC/USDT:USDT`), `status` CCXT's (`open`, `closed`, `canceled`, `expired`, `rejected`),
//! `side` buy or sell and `ft_order_side` also `stoploss`, amounts and prices as floats, dates as
//! SQLAlchemy's SQLite `DATETIME` text in UTC. `trades.exchange` names the venue and
//! `trades.trading_mode` the family (`SPOT`, `MARGIN`, `FUTURES`: SQLAlchemy stores an enum's
//! name). Quantity and price follow freqtrade's own fallbacks (`safe_amount`,
//! `safe_placement_price`): `amount` else `ft_amount`; `price` else `stop_price` else
//! `ft_price`. Dry-run orders (`dry_run_...` ids) never reached the venue and are left out.

use std::path::Path;

use rusqlite::types::Value;

use super::draft::{Cell, Draft, Origin};
use super::error::{At, ImportError, Place};
use super::sqlite::{self, Db};
use super::symbol::Kind;
use crate::exchanges::model::Category;
use crate::venues::ExchangeId;

/// What the user is asked to give when the file is not freqtrade's database.
const WHAT: &str = "freqtrade's database (`tradesv3.sqlite` in its `user_data` folder, or the \
                    file its `db_url` names)";

/// The `orders` columns read, in SELECT order, and `trades`'s after them.
const ORDER_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "ft_order_side",
    "ft_pair",
    "ft_amount",
    "ft_price",
    "status",
    "symbol",
    "order_type",
    "side",
    "price",
    "amount",
    "filled",
    "stop_price",
    "order_date",
    "order_filled_date",
    "order_update_date",
];
const TRADE_COLUMNS: &[&str] = &["exchange", "trading_mode"];

/// Reads every order, in the order freqtrade stored them, handing each draft to `each`.
pub fn read(
    path: &Path,
    each: &mut dyn FnMut(Result<Draft, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let db = Db::open(path, WHAT)?;
    let orders = db.columns("orders", WHAT)?;
    if !orders.contains("order_id") {
        return Err(ImportError::file(
            &db.file,
            "the `orders` table has no `order_id` column",
            format!("give the path of {WHAT}"),
        ));
    }
    // Databases from before freqtrade kept a trading mode, or without trades, still import.
    let trades = db.columns("trades", WHAT).unwrap_or_default();
    let mut select: Vec<String> = ORDER_COLUMNS
        .iter()
        .map(|c| sqlite::column_or_null(&orders, "o", c))
        .collect();
    select.extend(
        TRADE_COLUMNS
            .iter()
            .map(|c| sqlite::column_or_null(&trades, "t", c)),
    );
    let join = if trades.contains("id") && orders.contains("ft_trade_id") {
        "LEFT JOIN trades t ON t.id = o.ft_trade_id"
    } else {
        ""
    };
    let order_by = if orders.contains("id") {
        "ORDER BY o.id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {} FROM orders o {join} {order_by}",
        select.join(", ")
    );
    let mut statement = db.conn.prepare(&sql).map_err(|e| db.failed(&e))?;
    let width = ORDER_COLUMNS.len() + TRADE_COLUMNS.len();
    let mut rows = statement.query([]).map_err(|e| db.failed(&e))?;
    while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            values.push(row.get::<_, Value>(i).map_err(|e| db.failed(&e))?);
        }
        each(draft(&db.file, &values))?;
    }
    Ok(())
}

/// One `orders` row (with its trade's columns) as a draft.
fn draft(file: &str, values: &[Value]) -> Result<Draft, ImportError> {
    let get = |name: &str| -> &Value {
        let at = ORDER_COLUMNS
            .iter()
            .chain(TRADE_COLUMNS)
            .position(|c| *c == name)
            .unwrap_or(0);
        &values[at]
    };
    let text = |name: &str| sqlite::text(get(name)).filter(|t| !t.trim().is_empty());
    let key = text("id").map_or_else(|| "?".to_owned(), |id| format!("id {id}"));
    let place = Place {
        file: file.to_owned(),
        at: At::Row {
            table: "orders",
            key,
        },
    };
    let column = |name: &str| format!("`{name}`");
    // A number column's value as decimal text, else an error pinned to the column.
    let decimal = |name: &str| -> Result<Option<Cell>, ImportError> {
        let value = sqlite::decimal(get(name)).map_err(|b| place.error(Some(&column(name)), b))?;
        Ok(value.map(|v| Cell::new(v, column(name))))
    };
    let first = |names: &[&str]| -> Result<Option<Cell>, ImportError> {
        for name in names {
            if let Some(cell) = decimal(name)? {
                return Ok(Some(cell));
            }
        }
        Ok(None)
    };
    let mut d = Draft::at(place.clone());
    let order_id = text("order_id");
    if order_id
        .as_deref()
        .is_some_and(|id| id.starts_with("dry_run_"))
    {
        d.origin = Origin::Paper;
    }
    d.order_id = order_id.map(|id| Cell::new(id, column("order_id")));
    d.symbol = text("symbol")
        .map(|s| Cell::new(s, column("symbol")))
        .or_else(|| text("ft_pair").map(|s| Cell::new(s, column("ft_pair"))));
    let ft_side = text("ft_order_side");
    d.side = text("side")
        .map(|s| Cell::new(s, column("side")))
        .or_else(|| {
            ft_side
                .clone()
                .filter(|s| s == "buy" || s == "sell")
                .map(|s| Cell::new(s, column("ft_order_side")))
        });
    d.conditional = ft_side.as_deref() == Some("stoploss");
    d.market_order = text("order_type").is_some_and(|t| t.eq_ignore_ascii_case("market"));
    d.qty = first(&["amount", "ft_amount"])?;
    d.price = first(&["price", "stop_price", "ft_price"])?;
    d.filled_qty = decimal("filled")?;
    d.status = text("status").map(|s| Cell::new(s, column("status")));
    d.created_at = text("order_date").map(|s| Cell::new(s, column("order_date")));
    d.updated_at = text("order_update_date")
        .map(|s| Cell::new(s, column("order_update_date")))
        .or_else(|| text("order_filled_date").map(|s| Cell::new(s, column("order_filled_date"))));
    d.kind = text("trading_mode").and_then(|mode| match mode.to_ascii_lowercase().as_str() {
        "spot" | "margin" => Some(Kind::Exact(Category::Spot)),
        "futures" => Some(Kind::Derivative),
        _ => None,
    });
    if d.origin != Origin::Paper
        && let Some(exchange) = text("exchange")
    {
        d.origin = match ExchangeId::parse(&exchange) {
            Some(venue) => Origin::Venue(venue),
            None => Origin::Other(exchange),
        };
    }
    Ok(d)
}
