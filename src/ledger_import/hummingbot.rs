//! Hummingbot's database (`data/<strategy>.sqlite`): its `Order` table, with `OrderStatus` and
//! `TradeFill` for what `Order` leaves out.
//!
//! The schema is Hummingbot's SQLAlchemy model (`hummingbot/model/order.py`,
//! `order_status.py`, `trade_fill.py`) as `hummingbot/connector/markets_recorder.py` fills it:
//! `Order.id` is the client order id Hummingbot sends, `exchange_order_id` the venue's id (NULL
//! until the venue answered), `market` the connector (`binance`, `bybit_perpetual`,
//! `binance_paper_trade`), `symbol` the trading pair `BASE-QUOTE`, `creation_timestamp` and
//! `last_update_timestamp` Unix milliseconds, `amount` and `price` integers that stand for
//! millionths (`SqliteDecimal(6)`), `order_type` `MARKET`, `LIMIT` or `LIMIT_MAKER`, and
//! `last_status` the name of the last market event (`BuyOrderCreated`, `OrderFilled`,
//! `OrderCancelled`, `BuyOrderCompleted`, `OrderFailure`, `OrderExpired`, ...). `Order` has no
//! side: the `...OrderCreated` event in `OrderStatus` or a fill's `trade_type` (`BUY`, `SELL`)
//! tells it. The filled quantity is the sum of the order's `TradeFill.amount`. A connector
//! ending in `_perpetual` trades contracts. Only `<venue>` and `<venue>_perpetual` are the
//! venue itself: orders of `_paper_trade` connectors never reached a venue, and other
//! connectors (`binance_us`, `..._testnet`) are another venue or environment; both are left out.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::Value;

use super::draft::{Cell, Draft, Origin};
use super::error::{At, Bad, ImportError, Place};
use super::number;
use super::sqlite::{self, Db};
use super::symbol::Kind;
use crate::exchanges::model::Category;
use crate::venues::ExchangeId;

/// What the user is asked to give when the file is not Hummingbot's database.
const WHAT: &str = "Hummingbot's database (`data/<strategy config>.sqlite` in its folder)";

/// The `Order` columns read, in SELECT order.
const COLUMNS: &[&str] = &[
    "id",
    "market",
    "symbol",
    "creation_timestamp",
    "order_type",
    "amount",
    "price",
    "last_status",
    "last_update_timestamp",
    "exchange_order_id",
];

/// What the fills and status events of one order say.
#[derive(Debug, Default)]
struct Events {
    side: Option<&'static str>,
    /// Fill amounts, plain decimals.
    fills: Vec<String>,
}

/// Reads every order, oldest first, handing each draft to `each`.
pub fn read(
    path: &Path,
    name: &str,
    each: &mut dyn FnMut(Result<Draft, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let db = Db::open(path, name, WHAT)?;
    let columns = db.columns("Order", WHAT)?;
    let mut events: HashMap<String, Events> = HashMap::new();
    if db.columns("OrderStatus", WHAT).is_ok() {
        let mut statement = db
            .conn
            .prepare("SELECT order_id, status FROM OrderStatus ORDER BY timestamp, id")
            .map_err(|e| db.failed(&e))?;
        let mut rows = statement.query([]).map_err(|e| db.failed(&e))?;
        while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
            let id: Option<String> = row.get(0).map_err(|e| db.failed(&e))?;
            let status: Option<String> = row.get(1).map_err(|e| db.failed(&e))?;
            if let (Some(id), Some(side)) = (id, status.as_deref().and_then(event_side)) {
                events.entry(id).or_default().side.get_or_insert(side);
            }
        }
    }
    if db.columns("TradeFill", WHAT).is_ok() {
        let mut statement = db
            .conn
            .prepare("SELECT order_id, trade_type, amount FROM TradeFill")
            .map_err(|e| db.failed(&e))?;
        let mut rows = statement.query([]).map_err(|e| db.failed(&e))?;
        while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
            let id: Option<String> = row.get(0).map_err(|e| db.failed(&e))?;
            let trade_type: Option<String> = row.get(1).map_err(|e| db.failed(&e))?;
            let amount: Value = row.get(2).map_err(|e| db.failed(&e))?;
            let Some(id) = id else { continue };
            let entry = events.entry(id).or_default();
            if entry.side.is_none() {
                entry.side = match trade_type.as_deref() {
                    Some("BUY") => Some("buy"),
                    Some("SELL") => Some("sell"),
                    _ => None,
                };
            }
            // A fill whose amount cannot be read leaves the order's filled quantity unknown.
            if let Ok(Some(amount)) = sqlite::scaled(&amount, 6) {
                entry.fills.push(amount);
            }
        }
    }
    let select: Vec<String> = COLUMNS
        .iter()
        .map(|c| sqlite::column_or_null(&columns, "o", c))
        .collect();
    let sql = format!(
        "SELECT {} FROM \"Order\" o ORDER BY o.creation_timestamp, o.id",
        select.join(", ")
    );
    let mut statement = db.conn.prepare(&sql).map_err(|e| db.failed(&e))?;
    let mut rows = statement.query([]).map_err(|e| db.failed(&e))?;
    while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
        let mut values = Vec::with_capacity(COLUMNS.len());
        for i in 0..COLUMNS.len() {
            values.push(row.get::<_, Value>(i).map_err(|e| db.failed(&e))?);
        }
        each(draft(&db.file, &values, &events))?;
    }
    Ok(())
}

/// The side a status event names (`BuyOrderCreated`: buy).
fn event_side(status: &str) -> Option<&'static str> {
    if status.starts_with("Buy") {
        Some("buy")
    } else if status.starts_with("Sell") {
        Some("sell")
    } else {
        None
    }
}

/// One `Order` row as a draft.
fn draft(
    file: &str,
    values: &[Value],
    events: &HashMap<String, Events>,
) -> Result<Draft, ImportError> {
    let get =
        |name: &str| -> &Value { &values[COLUMNS.iter().position(|c| *c == name).unwrap_or(0)] };
    let text = |name: &str| sqlite::text(get(name)).filter(|t| !t.trim().is_empty());
    let id = text("id");
    let place = Place {
        file: file.to_owned(),
        at: At::Row {
            table: "Order",
            key: id
                .as_ref()
                .map_or_else(|| "?".to_owned(), |id| format!("id `{id}`")),
        },
    };
    let column = |name: &str| format!("`{name}`");
    let scaled = |name: &str| -> Result<Option<String>, ImportError> {
        sqlite::scaled(get(name), 6).map_err(|b| place.error(Some(&column(name)), b))
    };
    let mut d = Draft::at(place.clone());
    let none = Events::default();
    let seen = id.as_ref().and_then(|id| events.get(id)).unwrap_or(&none);
    d.client_order_id = id.clone().map(|id| Cell::new(id, column("id")));
    d.order_id = text("exchange_order_id").map(|v| Cell::new(v, column("exchange_order_id")));
    d.symbol = text("symbol").map(|v| Cell::new(v, column("symbol")));
    d.side = seen.side.map(|s| Cell::new(s, "`OrderStatus.status`"));
    let qty = scaled("amount")?;
    d.qty = qty.clone().map(|v| Cell::new(v, column("amount")));
    d.price = scaled("price")?.map(|v| Cell::new(v, column("price")));
    d.market_order = text("order_type").is_some_and(|t| t == "MARKET");
    let filled =
        (!seen.fills.is_empty()).then(|| number::sum(seen.fills.iter().map(String::as_str)));
    d.filled_qty = filled.clone().map(|v| Cell::new(v, "`TradeFill.amount`"));
    if let Some(last) = text("last_status") {
        let word = status_word(&last, qty.as_deref(), filled.as_deref())
            .map_err(|b| place.error(Some(&column("last_status")), b))?;
        d.status = Some(Cell::new(word, column("last_status")));
    }
    d.created_at = text("creation_timestamp").map(|v| Cell::new(v, column("creation_timestamp")));
    d.updated_at =
        text("last_update_timestamp").map(|v| Cell::new(v, column("last_update_timestamp")));
    if let Some(market) = text("market") {
        d.kind = Some(if market.contains("_perpetual") {
            Kind::Derivative
        } else {
            Kind::Exact(Category::Spot)
        });
        d.origin = origin(&market);
    }
    Ok(d)
}

/// The venue a connector name stands for.
fn origin(market: &str) -> Origin {
    if market.contains("paper_trade") {
        return Origin::Paper;
    }
    // Only `<venue>` and `<venue>_perpetual` are the venue itself: `binance_us` is another
    // exchange, `..._testnet` another environment.
    let venue = market.strip_suffix("_perpetual").unwrap_or(market);
    match ExchangeId::parse(venue) {
        Some(id) => Origin::Venue(id),
        None => Origin::Other(market.to_owned()),
    }
}

/// The ledger's status word for Hummingbot's last market event.
fn status_word(event: &str, qty: Option<&str>, filled: Option<&str>) -> Result<&'static str, Bad> {
    Ok(match event {
        "BuyOrderCreated" | "SellOrderCreated" => "open",
        // Filled so far: all of it, or part (`settle` makes an `open` with fills partly filled).
        "OrderFilled" => {
            let all = qty
                .zip(filled)
                .is_some_and(|(q, f)| number::compare(f, q) != std::cmp::Ordering::Less);
            if all { "filled" } else { "open" }
        }
        "BuyOrderCompleted" | "SellOrderCompleted" => "filled",
        "OrderCancelled" | "OrderExpired" => "cancelled",
        "OrderFailure" => "rejected",
        _ => {
            return Err(Bad::new(
                format!("`{event}` is not an order event lockdown knows"),
                "Hummingbot records BuyOrderCreated, SellOrderCreated, OrderFilled, \
                 BuyOrderCompleted, SellOrderCompleted, OrderCancelled, OrderExpired and \
                 OrderFailure; `--skip-bad` leaves this order out",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connectors_name_venues() {
        let cases = [
            ("binance", Origin::Venue(ExchangeId::Binance)),
            ("bybit_perpetual", Origin::Venue(ExchangeId::Bybit)),
            ("okx_perpetual", Origin::Venue(ExchangeId::Okx)),
            ("kraken", Origin::Venue(ExchangeId::Kraken)),
            ("binance_paper_trade", Origin::Paper),
            (
                "binance_perpetual_testnet",
                Origin::Other("binance_perpetual_testnet".into()),
            ),
            ("gate_io", Origin::Other("gate_io".into())),
            ("binance_us", Origin::Other("binance_us".into())),
        ];
        for (market, want) in cases {
            assert_eq!(origin(market), want, "{market}");
        }
    }
}

#[cfg(test)]
mod import_tests {
    use super::*;
    use crate::ledger_import::draft::Rules;
    use crate::ledger_import::number::Comma;
    use crate::ledger_import::symbol::Style;
    use crate::ledger_import::{Format, OnBad, Src, TextOptions, import};

    /// A Hummingbot database with the real schema, filled the way `markets_recorder.py` does.
    fn database(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("conf_pure_mm_1.sqlite");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!(
            "../../tests/fixtures/ledger_import/hummingbot.sql"
        ))
        .unwrap();
        let order = |id: &str,
                     market: &str,
                     pair: &str,
                     kind: &str,
                     amount: i64,
                     price: i64,
                     last: &str,
                     exchange_id: Option<&str>| {
            let (base, quote) = pair.split_once('-').unwrap();
            conn.execute(
                "INSERT INTO \"Order\" VALUES (?1, 'conf_pure_mm_1.yml', 'pure_market_making', ?2, \
                 ?3, ?4, ?5, 1764237600123, ?6, ?7, 1, ?8, ?9, 1764237660000, ?10, 'NIL')",
                rusqlite::params![
                    id,
                    market,
                    pair,
                    base,
                    quote,
                    kind,
                    amount,
                    price,
                    last,
                    exchange_id
                ],
            )
            .unwrap();
        };
        let status = |id: &str, event: &str| {
            conn.execute(
                "INSERT INTO OrderStatus (order_id, timestamp, status) VALUES (?1, 1764237600123, ?2)",
                rusqlite::params![id, event],
            )
            .unwrap();
        };
        let fill = |id: &str, side: &str, amount: i64, trade: &str| {
            conn.execute(
                "INSERT INTO TradeFill VALUES ('conf_pure_mm_1.yml', 'pure_market_making', \
                 'okx', 'BTC-USDT', 'BTC', 'USDT', 1764237630000, ?1, ?2, 'LIMIT', 63000000000, \
                 ?3, 1, '{}', 0, ?4, 'NIL')",
                rusqlite::params![id, side, amount, trade],
            )
            .unwrap();
        };
        // Resting, partly filled by two fills.
        order(
            "buy-BTC-USDT-1",
            "okx",
            "BTC-USDT",
            "LIMIT",
            10_000,
            63_000_000_000,
            "OrderFilled",
            Some("6001"),
        );
        status("buy-BTC-USDT-1", "BuyOrderCreated");
        status("buy-BTC-USDT-1", "OrderFilled");
        fill("buy-BTC-USDT-1", "BUY", 2_500, "t1");
        fill("buy-BTC-USDT-1", "BUY", 1_500, "t2");
        // Cancelled sell on the perpetual; a market order completed; one never answered.
        order(
            "sell-BTC-USDT-2",
            "okx_perpetual",
            "BTC-USDT",
            "LIMIT",
            1_000_000,
            64_000_500_000,
            "OrderCancelled",
            Some("6002"),
        );
        status("sell-BTC-USDT-2", "SellOrderCreated");
        order(
            "buy-ETH-USDT-3",
            "okx",
            "ETH-USDT",
            "MARKET",
            200_000,
            0,
            "BuyOrderCompleted",
            Some("6003"),
        );
        order(
            "buy-ETH-USDT-4",
            "okx",
            "ETH-USDT",
            "LIMIT",
            200_000,
            3_000_000_000,
            "BuyOrderCreated",
            None,
        );
        // Paper trading never reaches the venue; another venue's orders are left out.
        order(
            "buy-BTC-USDT-5",
            "okx_paper_trade",
            "BTC-USDT",
            "LIMIT",
            10_000,
            63_000_000_000,
            "BuyOrderCreated",
            None,
        );
        order(
            "buy-BTC-USDT-6",
            "binance",
            "BTC-USDT",
            "LIMIT",
            10_000,
            63_000_000_000,
            "BuyOrderCreated",
            Some("7"),
        );
        path
    }

    #[test]
    fn hummingbots_orders_become_ledger_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        let rules = Rules {
            venue: Some(ExchangeId::Okx),
            category: None,
            comma: Comma::Refused,
            style: Style::HyphenPair,
        };
        let imported = import(
            Format::Hummingbot,
            Src::File(&path),
            "hb.sqlite",
            &rules,
            &TextOptions::default(),
            OnBad::Stop,
        )
        .unwrap();
        let got: Vec<String> = imported.lines().map(str::to_owned).collect();
        // Oldest first; these were placed in one millisecond, so by id.
        let want = [
            r#"{"order_id":"6001","client_order_id":"buy-BTC-USDT-1","category":"spot","symbol":"BTC-USDT","side":"buy","qty":"0.01","price":"63000","filled_qty":"0.004","status":"partially_filled","created_at":"2025-11-27T10:00:00.123Z","updated_at":"2025-11-27T10:01:00.000Z"}"#,
            r#"{"order_id":"6003","client_order_id":"buy-ETH-USDT-3","category":"spot","symbol":"ETH-USDT","qty":"0.2","status":"filled","created_at":"2025-11-27T10:00:00.123Z","updated_at":"2025-11-27T10:01:00.000Z"}"#,
            r#"{"client_order_id":"buy-ETH-USDT-4","category":"spot","symbol":"ETH-USDT","qty":"0.2","price":"3000","status":"open","created_at":"2025-11-27T10:00:00.123Z","updated_at":"2025-11-27T10:01:00.000Z"}"#,
            r#"{"order_id":"6002","client_order_id":"sell-BTC-USDT-2","category":"linear","symbol":"BTC-USDT-SWAP","side":"sell","qty":"1","price":"64000.5","status":"cancelled","created_at":"2025-11-27T10:00:00.123Z","updated_at":"2025-11-27T10:01:00.000Z"}"#,
        ];
        assert_eq!(got, want);
        assert_eq!(
            imported.left_out.get(crate::ledger_import::draft::PAPER),
            Some(&1)
        );
        assert_eq!(imported.left_out.get("binance"), Some(&1));
        crate::actions::ledger::Ledger::parse("x", &imported.text).unwrap();
    }

    #[test]
    fn an_unknown_event_names_its_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch(
                "UPDATE \"Order\" SET last_status = 'OrderHalfway' WHERE id = 'buy-ETH-USDT-4';",
            )
            .unwrap();
        let rules = Rules {
            venue: Some(ExchangeId::Okx),
            category: None,
            comma: Comma::Refused,
            style: Style::HyphenPair,
        };
        let err = import(
            Format::Hummingbot,
            Src::File(&path),
            "hb.sqlite",
            &rules,
            &TextOptions::default(),
            OnBad::Stop,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "hb.sqlite: table `Order`, row id `buy-ETH-USDT-4`: column `last_status`: \
             `OrderHalfway` is not an order event lockdown knows"
        );
    }
}
