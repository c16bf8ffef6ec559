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
const WHAT: &str = "freqtrade's database (`tradesv3.sqlite` in the folder freqtrade runs in, or \
                    the file its `--db-url` names)";

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
    name: &str,
    each: &mut dyn FnMut(Result<Draft, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let db = Db::open(path, name, WHAT)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger_import::draft::Rules;
    use crate::ledger_import::number::Comma;
    use crate::ledger_import::symbol::Style;
    use crate::ledger_import::{Format, OnBad, Src, TextOptions, import};

    /// A freqtrade database with the real schema and the given orders (`ft_trade_id`, then the
    /// columns `INSERT` names).
    fn database(dir: &Path, orders: &[&str]) -> std::path::PathBuf {
        let path = dir.join("tradesv3.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!(
            "../../tests/fixtures/ledger_import/freqtrade.sql"
        ))
        .unwrap();
        for (id, exchange, pair, mode) in [
            (1, "bybit", "BTC/USDT", "SPOT"),
            (2, "bybit", "ETH/USDT:USDT", "FUTURES"),
            (3, "binanceus", "BTC/USDT", "SPOT"),
        ] {
            conn.execute(
                "INSERT INTO trades (id, exchange, pair, is_open, fee_open, fee_close, open_rate, \
                 stake_amount, amount, open_date, is_stop_loss_trailing, is_short, interest_rate, \
                 trading_mode) VALUES (?1, ?2, ?3, 1, 0.001, 0.001, 63000, 100, 0.01, \
                 '2025-11-27 10:00:00.000000', 0, 0, 0, ?4)",
                rusqlite::params![id, exchange, pair, mode],
            )
            .unwrap();
        }
        for values in orders {
            conn.execute_batch(&format!(
                "INSERT INTO orders (ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount, \
                 ft_price, order_id, status, symbol, order_type, side, price, amount, filled, \
                 stop_price, order_date, order_update_date) VALUES ({values});"
            ))
            .unwrap();
        }
        path
    }

    fn run(path: &Path, on_bad: OnBad) -> Result<crate::ledger_import::Imported, ImportError> {
        let rules = Rules {
            venue: Some(ExchangeId::Bybit),
            category: None,
            comma: Comma::Refused,
            style: Style::Raw,
        };
        import(
            Format::Freqtrade,
            Src::File(path),
            &path.display().to_string(),
            &rules,
            &TextOptions::default(),
            on_bad,
        )
    }

    #[test]
    fn freqtrades_orders_become_ledger_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(
            dir.path(),
            &[
                // A resting spot buy, and the sell that closed the trade.
                "1, 'buy', 'BTC/USDT', 1, 0.01, 63000, '1001', 'open', 'BTC/USDT', 'limit', \
                 'buy', 63000.0, 0.01, 0.0, NULL, '2025-11-27 10:00:00.123000', NULL",
                "1, 'sell', 'BTC/USDT', 0, 0.01, 64000, '1002', 'closed', 'BTC/USDT', 'limit', \
                 'sell', 64000.0, 0.01, 0.01, NULL, '2025-11-27 11:00:00.000000', \
                 '2025-11-27 11:05:00.000000'",
                // Futures: a market entry (its price is the fill's), a stop waiting, a cancel.
                "2, 'buy', 'ETH/USDT:USDT', 0, 0.2, 3000, '2001', 'closed', 'ETH/USDT:USDT', \
                 'market', 'buy', 3001.5, 0.2, 0.2, NULL, '2025-11-27 12:00:00.000000', NULL",
                "2, 'stoploss', 'ETH/USDT:USDT', 1, 0.2, 2800, '2002', 'open', \
                 'ETH/USDT:USDT', 'stop_market', 'sell', NULL, 0.2, 0.0, 2800.0, \
                 '2025-11-27 12:00:01.000000', NULL",
                "2, 'sell', 'ETH/USDT:USDT', 0, 7.5e-6, 3100, '2003', 'canceled', NULL, \
                 'limit', NULL, NULL, NULL, 0.0, NULL, '2025-11-27 12:30:00.000000', NULL",
                // Never sent (dry run), and another venue's.
                "1, 'buy', 'BTC/USDT', 1, 0.01, 63000, 'dry_run_buy_BTC/USDT_1764237600.0', \
                 'open', 'BTC/USDT', 'limit', 'buy', 63000.0, 0.01, 0.0, NULL, \
                 '2025-11-27 10:00:00.000000', NULL",
                "3, 'buy', 'BTC/USDT', 1, 0.01, 63000, '3001', 'open', 'BTC/USDT', 'limit', \
                 'buy', 63000.0, 0.01, 0.0, NULL, '2025-11-27 10:00:00.000000', NULL",
            ],
        );
        let imported = run(&path, OnBad::Stop).unwrap();
        let want = [
            r#"{"order_id":"1001","category":"spot","symbol":"BTCUSDT","side":"buy","qty":"0.01","price":"63000","filled_qty":"0","status":"open","created_at":"2025-11-27T10:00:00.123Z"}"#,
            r#"{"order_id":"1002","category":"spot","symbol":"BTCUSDT","side":"sell","qty":"0.01","price":"64000","filled_qty":"0.01","status":"filled","created_at":"2025-11-27T11:00:00.000Z","updated_at":"2025-11-27T11:05:00.000Z"}"#,
            r#"{"order_id":"2001","category":"linear","symbol":"ETHUSDT","side":"buy","qty":"0.2","filled_qty":"0.2","status":"filled","created_at":"2025-11-27T12:00:00.000Z"}"#,
            r#"{"order_id":"2002","category":"linear","symbol":"ETHUSDT","side":"sell","qty":"0.2","price":"2800","filled_qty":"0","status":"untriggered","created_at":"2025-11-27T12:00:01.000Z"}"#,
            r#"{"order_id":"2003","category":"linear","symbol":"ETHUSDT","side":"sell","qty":"0.0000075","price":"3100","filled_qty":"0","status":"cancelled","created_at":"2025-11-27T12:30:00.000Z"}"#,
        ];
        let got: Vec<String> = imported.lines().map(str::to_owned).collect();
        assert_eq!(got, want);
        assert_eq!(imported.read, 7);
        assert_eq!(imported.left_out.get("binanceus"), Some(&1));
        assert_eq!(
            imported.left_out.get(crate::ledger_import::draft::PAPER),
            Some(&1)
        );
        // What the diff reads.
        let ledger = crate::actions::ledger::Ledger::parse("x", &imported.text).unwrap();
        assert_eq!(ledger.len(), 5);
    }

    #[test]
    fn a_bad_row_names_table_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(
            dir.path(),
            &[
                "1, 'buy', 'BTC/USDT', 1, 0.01, 63000, '1001', 'open', 'BTC/USDT', 'limit', \
                 'buy', 63000.0, 0.01, 0.0, NULL, '2025-11-27 10:00:00.000000', NULL",
                "1, 'buy', 'BTC/USDT', 1, 0.01, 63000, '1002', 'open', 'BTC/USDT', 'limit', \
                 'long', 63000.0, 0.01, 0.0, NULL, '2025-11-27 10:00:00.000000', NULL",
                "1, 'buy', 'BTC/USDT', 1, 0.01, 63000, '1003', 'open', 'BTC/USDT', 'limit', \
                 'buy', 63000.0, 0.01, 0.0, NULL, 'yesterday', NULL",
            ],
        );
        let err = run(&path, OnBad::Stop).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: table `orders`, row id 2: column `side`: `long` is not buy or sell",
                path.display()
            )
        );
        let imported = run(&path, OnBad::Skip).unwrap();
        assert_eq!((imported.read, imported.written), (3, 1));
        assert_eq!(imported.skipped.len(), 2);
        assert_eq!(imported.skipped[1].column.as_deref(), Some("`order_date`"));

        let other = dir.path().join("other.sqlite");
        rusqlite::Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER);")
            .unwrap();
        let err = run(&other, OnBad::Stop).unwrap_err();
        assert!(err.message.contains("no `orders` table"), "{err}");
        assert!(err.hint.contains("tradesv3.sqlite"), "{err}");
    }
}
