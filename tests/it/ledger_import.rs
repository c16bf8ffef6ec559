//! `lockdown ledger import` as an owner uses it: the bot's own database or export, written in
//! the bot's own format from the simulator's truth about the bot's orders, imported with the
//! real binary, then relied on by a real response: none of the bot's orders may come out
//! unauthorized, and the attacker's still do. Bad rows are named by file, line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lockdown::exchanges::ExchangeId;
use serde_json::{Value, json};

use crate::support::*;

/// One of the bot's orders: its ledger line as the session wrote it, with the simulator's truth
/// about how it stands and its market's coins.
struct BotOrder {
    order_id: String,
    client_order_id: String,
    category: String,
    side: String,
    qty: String,
    price: Option<String>,
    created_ms: i64,
    /// `New`, `PartiallyFilled`, `Filled`, `Cancelled`, `PartiallyFilledCanceled`.
    status: String,
    filled: String,
    market_order: bool,
    base: String,
    quote: String,
}

impl BotOrder {
    /// CCXT's unified symbol of the order's market.
    fn unified(&self) -> String {
        match self.category.as_str() {
            "spot" => format!("{}/{}", self.base, self.quote),
            "inverse" => format!("{}/{}:{}", self.base, self.quote, self.base),
            _ => format!("{}/{}:{}", self.base, self.quote, self.quote),
        }
    }

    /// CCXT's status word for the order.
    fn ccxt_status(&self) -> &'static str {
        match self.status.as_str() {
            "Filled" => "closed",
            "Cancelled" | "PartiallyFilledCanceled" => "canceled",
            _ => "open",
        }
    }
}

/// The bot's orders of a lab: the session's ledger, with each order's truth.
fn bot_orders(lab: &Lab) -> Vec<BotOrder> {
    let truth = lab.sim.inspect();
    read(&lab.session.known_orders)
        .lines()
        .map(|line| {
            let known: Value = serde_json::from_str(line).unwrap();
            let text = |k: &str| known[k].as_str().unwrap_or_default().to_owned();
            let order = truth
                .order(&text("order_id"))
                .expect("the bot's order is known");
            let market = truth
                .markets
                .iter()
                .find(|m| m.category == order.category && m.symbol == order.symbol)
                .expect("the order's market");
            BotOrder {
                order_id: text("order_id"),
                client_order_id: text("client_order_id"),
                category: text("category"),
                side: text("side"),
                qty: text("qty"),
                price: known["price"].as_str().map(str::to_owned),
                created_ms: order.created_ms,
                status: order.status.clone(),
                filled: order.cum_exec_qty.clone(),
                market_order: order.order_type == "Market",
                base: market.base_coin.clone(),
                quote: market.quote_coin.clone(),
            }
        })
        .collect()
}

/// `text` (a decimal) as millionths, the way Hummingbot stores amounts.
fn micro(text: &str) -> i64 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    format!("{int}{frac:0<6}").parse().unwrap()
}

/// `ms` as SQLAlchemy's SQLite DATETIME text (freqtrade's dates).
fn sqlalchemy_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// freqtrade's database holding the bot's orders, one trade each.
fn freqtrade_db(dir: &Path, orders: &[BotOrder], exchange: &str) -> PathBuf {
    let path = dir.join("tradesv3.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../fixtures/ledger_import/freqtrade.sql"))
        .unwrap();
    for (i, o) in (1_i64..).zip(orders) {
        let mode = if o.category == "spot" {
            "SPOT"
        } else {
            "FUTURES"
        };
        let qty: f64 = o.qty.parse().unwrap();
        let price: Option<f64> = o.price.as_deref().map(|p| p.parse().unwrap());
        let filled: f64 = o.filled.parse().unwrap();
        conn.execute(
            "INSERT INTO trades (id, exchange, pair, is_open, fee_open, fee_close, open_rate, \
             stake_amount, amount, open_date, is_stop_loss_trailing, is_short, interest_rate, \
             trading_mode) VALUES (?1, ?2, ?3, 1, 0.001, 0.001, ?4, 100, ?5, ?6, 0, 0, 0, ?7)",
            rusqlite::params![
                i,
                exchange,
                o.unified(),
                price.unwrap_or(0.0),
                qty,
                sqlalchemy_time(o.created_ms),
                mode
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO orders (ft_trade_id, ft_order_side, ft_pair, ft_is_open, ft_amount, \
             ft_price, order_id, status, symbol, order_type, side, price, amount, filled, \
             order_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?3, ?9, ?2, ?10, ?5, ?11, ?12)",
            rusqlite::params![
                i,
                o.side,
                o.unified(),
                o.ccxt_status() == "open",
                qty,
                price.unwrap_or(0.0),
                o.order_id,
                o.ccxt_status(),
                if o.market_order { "market" } else { "limit" },
                price,
                filled,
                sqlalchemy_time(o.created_ms),
            ],
        )
        .unwrap();
    }
    path
}

/// Hummingbot's database holding the bot's orders, as its markets recorder writes them.
fn hummingbot_db(dir: &Path, orders: &[BotOrder], connector: &str) -> PathBuf {
    let path = dir.join("conf_pure_mm_1.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(include_str!("../fixtures/ledger_import/hummingbot.sql"))
        .unwrap();
    for o in orders {
        let market = if o.category == "spot" {
            connector.to_owned()
        } else {
            format!("{connector}_perpetual")
        };
        let pair = format!("{}-{}", o.base, o.quote);
        let created = if o.side == "buy" {
            "BuyOrderCreated"
        } else {
            "SellOrderCreated"
        };
        let last = match o.status.as_str() {
            "Filled" if o.side == "buy" => "BuyOrderCompleted",
            "Filled" => "SellOrderCompleted",
            "PartiallyFilled" => "OrderFilled",
            "Cancelled" | "PartiallyFilledCanceled" => "OrderCancelled",
            _ => created,
        };
        conn.execute(
            "INSERT INTO \"Order\" VALUES (?1, 'conf_pure_mm_1.yml', 'pure_market_making', ?2, \
             ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?6, ?11, 'NIL')",
            rusqlite::params![
                o.client_order_id,
                market,
                pair,
                o.base,
                o.quote,
                o.created_ms,
                if o.market_order { "MARKET" } else { "LIMIT" },
                micro(&o.qty),
                o.price.as_deref().map_or(0, micro),
                last,
                o.order_id,
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO OrderStatus (order_id, timestamp, status) VALUES (?1, ?2, ?3)",
            rusqlite::params![o.client_order_id, o.created_ms, created],
        )
        .unwrap();
        if micro(&o.filled) > 0 {
            conn.execute(
                "INSERT INTO TradeFill VALUES ('conf_pure_mm_1.yml', 'pure_market_making', ?1, \
                 ?2, ?3, ?4, ?5, ?6, ?7, 'LIMIT', ?8, ?9, 1, '{}', 0, ?10, 'NIL')",
                rusqlite::params![
                    market,
                    pair,
                    o.base,
                    o.quote,
                    o.created_ms,
                    o.client_order_id,
                    o.side.to_uppercase(),
                    o.price.as_deref().map_or(0, micro),
                    micro(&o.filled),
                    format!("t-{}", o.order_id),
                ],
            )
            .unwrap();
        }
    }
    path
}

/// CCXT's `fetchOrders` output for the bot's orders, unified symbols only (no `info`).
fn ccxt_json(dir: &Path, orders: &[BotOrder]) -> PathBuf {
    let list: Vec<Value> = orders
        .iter()
        .map(|o| {
            let number = |t: &str| t.parse::<f64>().unwrap();
            json!({
                "id": o.order_id,
                "clientOrderId": o.client_order_id,
                "timestamp": o.created_ms,
                "datetime": lockdown::clock::rfc3339_ms(o.created_ms),
                "lastTradeTimestamp": null,
                "status": o.ccxt_status(),
                "symbol": o.unified(),
                "type": if o.market_order { "market" } else { "limit" },
                "timeInForce": "GTC",
                "side": o.side,
                "price": o.price.as_deref().map(number),
                "amount": number(&o.qty),
                "filled": number(&o.filled),
                "trades": [],
                "fee": null,
            })
        })
        .collect();
    let path = dir.join("orders.json");
    std::fs::write(&path, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    path
}

/// A spreadsheet export of the bot's orders: `;`-separated, decimal commas, Kraken-style names
/// (`Type` is the side there).
fn semicolon_csv(dir: &Path, orders: &[BotOrder]) -> PathBuf {
    let mut text = String::from("Order ID;Client Order ID;Pair;Type;Volume;Price;Status;Opened\n");
    for o in orders {
        text.push_str(&format!(
            "{};{};{};{};{};{};{};{}\n",
            o.order_id,
            o.client_order_id,
            o.unified(),
            o.side,
            o.qty.replace('.', ","),
            o.price.as_deref().unwrap_or("").replace('.', ","),
            o.ccxt_status(),
            sqlalchemy_time(o.created_ms),
        ));
    }
    let path = dir.join("orders.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The lines of a ledger file, by order id.
fn by_order_id(text: &str) -> BTreeMap<String, Value> {
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| (v["order_id"].as_str().unwrap().to_owned(), v))
        .collect()
}

/// Decimal text compared as lockdown compares amounts.
fn amount(v: &Value) -> Option<String> {
    v.as_str().map(|t| {
        lockdown::exchanges::model::Amount::new(t)
            .as_str()
            .to_owned()
    })
}

/// Imports `src` into the lab's ledger with the CLI, checks that the bot's every order came
/// through in the venue's terms, then responds on the imported ledger: the bot's orders are
/// not unauthorized, the attacker's are.
async fn import_then_respond(lab: &Lab, args: &[&str]) {
    let orders = bot_orders(lab);
    let imported = lab.sim_dir().join("imported.jsonl");
    let out = imported.display().to_string();
    let mut argv = vec!["ledger", "import"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--venue", lab.venue.as_str(), "--out", &out]);
    let output = lockdown(&argv, &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let n = orders.len();
    assert!(
        stderr(&output).contains(&format!("read {n}, written {n}, skipped 0")),
        "{}",
        stderr(&output)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&imported).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Every order, named as the venue names it (what the session's own ledger says).
    let session = by_order_id(&read(&lab.session.known_orders));
    let got = by_order_id(&read(&imported));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        session.keys().collect::<Vec<_>>()
    );
    for (id, want) in &session {
        let line = &got[id];
        for field in ["symbol", "category", "side"] {
            assert_eq!(line[field], want[field], "{id} {field}: {line}");
        }
        assert_eq!(amount(&line["qty"]), amount(&want["qty"]), "{id}: {line}");
        if !orders.iter().any(|o| &o.order_id == id && o.market_order) {
            assert_eq!(
                amount(&line["price"]),
                amount(&want["price"]),
                "{id}: {line}"
            );
        }
        assert!(line["status"].is_string(), "{id}: {line}");
    }

    // The response relies on it.
    std::fs::copy(&imported, &lab.session.known_orders).unwrap();
    let attacker = lab.sim.inspect().attacker_order_ids();
    let summary = if lab.venue == ExchangeId::Kraken {
        // Kraken keys are deleted by a person: the run waits there; once the key is deleted in
        // the web interface, `resume` finishes it (the diff among the rest).
        let output = lab.respond(&["--json"]).await;
        let waiting = waiting_for_a_person(&output, "revoke", &[]);
        assert!(lab.sim.web_ui_delete_key(&lab.leaked()));
        let run_dir = run_dir(&waiting).display().to_string();
        contained(&lockdown(&["resume", &run_dir, "--yes", "--json"], &[]).await)
    } else {
        contained(&lab.respond(&["--yes", "--json"]).await)
    };
    let report = report_of(&summary);
    let unauthorized = unauthorized_ids(&report);
    let bots: BTreeSet<String> = session.keys().cloned().collect();
    assert!(
        unauthorized.is_disjoint(&bots),
        "the bot's orders came out unauthorized: {:?}",
        unauthorized.intersection(&bots).collect::<Vec<_>>()
    );
    assert!(
        !unauthorized.is_disjoint(&attacker),
        "the attacker's orders are still found: {unauthorized:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_freqtrade_database_on_binance_keeps_the_bots_orders_out_of_the_diff() {
    let lab = Lab::start_on(ExchangeId::Binance, 31).await;
    let db = freqtrade_db(&lab.sim_dir(), &bot_orders(&lab), "binance");
    let db = db.display().to_string();
    import_then_respond(&lab, &["--from", "freqtrade", &db]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hummingbot_database_on_okx_keeps_the_bots_orders_out_of_the_diff() {
    let lab = Lab::start_on(ExchangeId::Okx, 32).await;
    let db = hummingbot_db(&lab.sim_dir(), &bot_orders(&lab), "okx");
    let db = db.display().to_string();
    import_then_respond(&lab, &["--from", "hummingbot", &db]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ccxt_json_on_deribit_keeps_the_bots_orders_out_of_the_diff() {
    let lab = Lab::start_on(ExchangeId::Deribit, 33).await;
    let json = ccxt_json(&lab.sim_dir(), &bot_orders(&lab));
    let json = json.display().to_string();
    import_then_respond(&lab, &["--from", "ccxt", &json]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_semicolon_csv_on_kraken_keeps_the_bots_orders_out_of_the_diff() {
    let lab = Lab::start_on(ExchangeId::Kraken, 34).await;
    let csv = semicolon_csv(&lab.sim_dir(), &bot_orders(&lab));
    let csv = csv.display().to_string();
    import_then_respond(
        &lab,
        &[
            "--from",
            "csv",
            &csv,
            "--map",
            "side=Type",
            "--decimal-comma",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_are_named_skipped_on_request_and_a_ledger_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("orders.tsv");
    std::fs::write(
        &csv,
        "order_id\tsymbol\tside\tqty\n1\tBTCUSDT\tbuy\t0.01\n2\tBTCUSDT\tlong\t0.01\n3\tBTCUSDT\tsell\t0.02\n",
    )
    .unwrap();
    let csv = csv.display().to_string();
    let out = dir.path().join("known.jsonl");
    let out = out.display().to_string();

    let output = lockdown(
        &["ledger", "import", "--from", "csv", &csv, "--out", &out],
        &[],
    )
    .await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{csv}:3: column `side` (column 3): `long` is not buy or sell"
        )),
        "{err}"
    );
    assert!(err.contains("write the side as `buy` or `sell`"), "{err}");
    assert!(!Path::new(&out).exists(), "nothing written on a bad row");

    let skip = [
        "ledger",
        "import",
        "--from",
        "csv",
        &csv,
        "--out",
        &out,
        "--skip-bad",
    ];
    let output = lockdown(&skip, &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("read 3, written 2, skipped 1"), "{err}");
    assert!(err.contains(&format!("skipped {csv}:3:")), "{err}");
    assert_eq!(read(Path::new(&out)).lines().count(), 2);

    // The ledger is there now: refused, appended, replaced.
    let output = lockdown(&skip, &[]).await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("--append"), "{}", stderr(&output));
    let mut append = skip.to_vec();
    append.push("--append");
    assert_eq!(code(&lockdown(&append, &[]).await), 0);
    assert_eq!(read(Path::new(&out)).lines().count(), 4);
    let mut force = skip.to_vec();
    force.push("--force");
    assert_eq!(code(&lockdown(&force, &[]).await), 0);
    assert_eq!(read(Path::new(&out)).lines().count(), 2);

    // `ledger check` reads it as the response will, and names the first problem of a bad one.
    let output = lockdown(&["ledger", "check", &out, "--json"], &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let checked = summary(&output);
    assert_eq!(
        (checked["lines"].as_u64(), checked["orders"].as_u64()),
        (Some(2), Some(2))
    );
    std::fs::write(
        &out,
        "{\"order_id\":\"1\"}\n{\"order_id\":\"2\",\"status\":\"done\"}\n",
    )
    .unwrap();
    let output = lockdown(&["ledger", "check", &out], &[]).await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{out}:2: `done` is not a status (open, partially_filled"
        )),
        "{}",
        stderr(&output)
    );

    // Flags that do not fit are refused before anything is read.
    for (args, says) in [
        (
            vec!["--from", "ccxt", &csv, "--map", "side=Type"],
            "are for `--from csv`",
        ),
        (vec!["--from", "csv", &csv, "--append"], "need `--out FILE`"),
        (
            vec!["--from", "csv", &csv, "--map", "sides=Type"],
            "is not a ledger field",
        ),
        (
            vec!["--from", "hummingbot", "-"],
            "cannot be read from stdin",
        ),
    ] {
        let mut argv = vec!["ledger", "import"];
        argv.extend(args);
        let output = lockdown(&argv, &[]).await;
        assert_eq!(code(&output), 2, "{argv:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(says),
            "{argv:?}: {}",
            stderr(&output)
        );
    }

    // To stdout by default, without `--out`.
    let output = lockdown(
        &["ledger", "import", "--from", "csv", &csv, "--skip-bad"],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 2);
}
