//! The owner's live bot: it keeps trading with the leaked key through the whole drill.
//!
//! A real incident does not stop the bot: it holds the same key as the attacker and keeps placing
//! and cancelling orders until the exchange refuses the key, which the lock does. Its orders are
//! the owner's, and its ledger (the file the drill's profile names) is seconds behind them: each
//! order event (placed, cancelled) is appended as one line of the shared ledger format
//! `ledger_lag` after it happened, and fsync'd. The response must not call those orders the
//! attacker's. The bot sits on `sim::BOT_IP` (the simulator tells it from the attacker by that
//! address alone) and talks to the simulator over real HTTP through lockdown's own adapter, as
//! the attacker does. Its choices (market, side, price, client id) come from the seed; the ids
//! come from the venue. It never waits out a rate limit and never retries: a refused request is
//! counted and the next one follows at its rate. The ledger is JSON Lines unless the drill
//! twins an owner whose ledger is CSV ([`LedgerFormat`]): then each line is a CSV row under the
//! owner's own header, as the owner's bot would write it.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use crate::exchanges::client::http_client_from;
use crate::exchanges::model::{Category, Segment, Side};
use crate::exchanges::{Auth, Client, ExchangeError, ExchangeId, Mode, NewOrder, Op, OrderKind};
use crate::exchanges::{QtyUnit, Reply, TimeInForce};
use crate::secret::Credential;
use crate::sim::BOT_IP;
use crate::sim::scenario::{Scenario, TradeKind, Trading};

/// The longest the bot lives, whatever happens: tests and drills stay bounded.
const LIFETIME: Duration = Duration::from_secs(60);

/// How many characters of a client order id the seed draws after the prefix.
const CLIENT_SUFFIX: usize = 10;

/// The longest client id every venue takes (Bybit 36, OKX 32, Binance 36, Kraken 18 free text,
/// Deribit 64): the prefix is cut to leave room for the suffix.
const MAX_CLIENT_ID: usize = 18;

const SPOT: Segment = Segment {
    category: Category::Spot,
    settle: None,
};

/// What the bot did, for the scorecard and the drill folder (`bot.json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BotRecord {
    /// Orders the exchange accepted.
    pub placed: usize,
    /// Of its orders, those it cancelled itself.
    pub cancelled: usize,
    /// Requests refused because the exchange refused the key (the lock): it stops at the first.
    pub refused: usize,
    /// Requests refused for any other reason (a rate limit, a balance).
    pub failed: usize,
    /// Lines it appended to the owner's ledger.
    pub ledger_lines: usize,
    /// Why it stopped.
    pub stopped: String,
    /// Every request, in order.
    pub events: Vec<BotEvent>,
}

/// One request of the bot.
#[derive(Debug, Clone, Serialize)]
pub struct BotEvent {
    /// Wall time it was sent, RFC 3339 UTC.
    pub at: String,
    /// `place` or `cancel`.
    pub op: &'static str,
    /// The order it placed or cancelled, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Whether the exchange did it.
    pub accepted: bool,
    /// Whether the exchange refused the key itself.
    pub refused_key: bool,
    /// The venue's code, when the exchange refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// When it was sent, on this process's monotonic clock.
    #[serde(skip)]
    pub instant: Option<Instant>,
}

/// One line of the owner's ledger, per the shared ledger format.
#[derive(Debug, Clone, Serialize)]
struct LedgerLine {
    order_id: String,
    client_order_id: String,
    category: &'static str,
    symbol: String,
    side: &'static str,
    qty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    /// `open` for a resting limit order, `cancelled` once the bot cancelled it; a market order's
    /// line has none (the bot does not read back how it filled).
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    created_at: String,
    updated_at: String,
}

/// How the bot writes its ledger lines: the format the owner's ledger is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LedgerFormat {
    /// One JSON object a line.
    #[default]
    Jsonl,
    /// CSV rows under this header (its columns, lowercase); the file already starts with it.
    Csv(Vec<String>),
}

impl LedgerFormat {
    /// One ledger line in this format, without its newline.
    fn line(&self, line: &LedgerLine) -> Option<String> {
        match self {
            LedgerFormat::Jsonl => serde_json::to_string(line).ok(),
            LedgerFormat::Csv(columns) => {
                let value = serde_json::to_value(line).ok()?;
                Some(csv_row(columns, &value))
            }
        }
    }
}

/// A CSV row of `value`'s fields named by `columns` (empty where it has none), without its line
/// break. Written by the `csv` crate: a cell with a comma, a quote or a line break is quoted, a
/// quote doubled (only `\n` ends a row, as the ledger's reader reads it).
pub(super) fn csv_row(columns: &[String], value: &serde_json::Value) -> String {
    let cells = columns.iter().map(|column| match &value[column.as_str()] {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    });
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory fails only on a write error, which a `Vec` never has.
    let bytes = match writer.write_record(cells) {
        Ok(()) => writer.into_inner().unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let mut text = String::from_utf8(bytes).unwrap_or_default();
    if text.ends_with('\n') {
        text.pop();
    }
    text
}

/// An order the bot placed and may cancel later.
#[derive(Debug, Clone)]
struct Resting {
    line: LedgerLine,
}

/// The live bot, ready to run.
#[derive(Debug)]
pub struct LiveBot {
    venue: ExchangeId,
    client: Client,
    key: Credential,
    trading: Trading,
    scenario: Scenario,
    prefix: String,
    lag: Duration,
    ledger: Option<PathBuf>,
    format: LedgerFormat,
    rng: StdRng,
    /// Limit orders it has tried: they alternate buy and sell.
    limits: usize,
}

/// Why the bot stops.
enum Stop {
    /// The exchange refused the key.
    Refused,
    /// It ran out of time.
    Lifetime,
    /// The drill ended without the exchange ever refusing it.
    DrillOver,
}

impl LiveBot {
    /// The scenario's live bot, holding the leaked key, against the venue at `base_url`,
    /// appending to the ledger at `ledger` (`None`: the owner keeps none). `None` when the
    /// scenario's bot does not trade during the drill.
    pub fn new(
        venue: ExchangeId,
        base_url: &str,
        key: Credential,
        scenario: &Scenario,
        seed: u64,
        ledger: Option<PathBuf>,
    ) -> Result<Option<LiveBot>, String> {
        let Some(trading) = scenario.bot.trading.clone() else {
            return Ok(None);
        };
        let http = http_client_from(BOT_IP).map_err(|err| err.to_string())?;
        let prefix: String = scenario
            .bot
            .client_prefix
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(MAX_CLIENT_ID - CLIENT_SUFFIX)
            .collect();
        Ok(Some(LiveBot {
            venue,
            client: Client::with_http(venue.venue(), base_url, Mode::Live, http)
                .with_rate_limit_waits(0),
            key,
            trading,
            scenario: scenario.clone(),
            prefix,
            lag: scenario.bot.ledger_lag,
            ledger,
            format: LedgerFormat::Jsonl,
            // Its own stream, apart from the simulator's ids and the attacker's plan.
            rng: StdRng::seed_from_u64(seed ^ 0x6c69_7665_2d62_6f74),
            limits: 0,
        }))
    }

    /// The bot writing its ledger in `format` (the owner's).
    pub fn writing(mut self, format: LedgerFormat) -> LiveBot {
        self.format = format;
        self
    }

    /// Trades until the exchange refuses the key (or `drill_over`), then writes the ledger lines
    /// still due, each at its time, and returns what it did.
    pub async fn run(mut self, drill_over: watch::Receiver<bool>) -> BotRecord {
        let (lines, queue) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_ledger(
            self.ledger.clone(),
            self.format.clone(),
            queue,
            drill_over.clone(),
        ));
        let mut record = BotRecord::default();
        let stop = match self.trade(&mut record, &lines, drill_over).await {
            Err(stop) => stop,
            Ok(()) => Stop::Lifetime,
        };
        drop(lines);
        record.ledger_lines = writer.await.unwrap_or(0);
        record.stopped = match stop {
            Stop::Refused => "refused by the exchange".to_owned(),
            Stop::Lifetime | Stop::DrillOver => "never refused".to_owned(),
        };
        record
    }

    async fn trade(
        &mut self,
        record: &mut BotRecord,
        lines: &mpsc::UnboundedSender<(Instant, LedgerLine)>,
        drill_over: watch::Receiver<bool>,
    ) -> Result<(), Stop> {
        let started = Instant::now();
        let gap = Duration::from_secs_f64(1.0 / self.trading.rate);
        let mut resting: VecDeque<Resting> = VecDeque::new();
        for turn in 0_usize.. {
            if *drill_over.borrow() {
                return Err(Stop::DrillOver);
            }
            if started.elapsed() > LIFETIME {
                return Err(Stop::Lifetime);
            }
            let kind = self.trading.kinds[turn % self.trading.kinds.len()];
            let symbol = self.trading.symbols[turn % self.trading.symbols.len()].clone();
            if let Some(placed) = self.place(record, lines, &symbol, kind).await? {
                resting.push_back(placed);
            }
            if resting.len() > self.trading.resting as usize
                && let Some(oldest) = resting.pop_front()
            {
                self.cancel(record, lines, oldest).await?;
            }
            tokio::time::sleep(gap).await;
        }
        Ok(())
    }

    /// Places one order; `Ok(Some)` for a limit order left resting.
    async fn place(
        &mut self,
        record: &mut BotRecord,
        lines: &mpsc::UnboundedSender<(Instant, LedgerLine)>,
        name: &str,
        kind: TradeKind,
    ) -> Result<Option<Resting>, Stop> {
        let Some(market) = self.scenario.market(name) else {
            return Ok(None);
        };
        let reference: f64 = market.price.parse().unwrap_or(0.0);
        let notional: f64 = self.trading.notional.parse().unwrap_or(0.0);
        let symbol = self
            .client
            .venue()
            .symbol(Category::Spot, &market.base, &market.quote);
        // Limit orders alternate a buy below and a sell above the price, 3 to 7 % away: they
        // rest. Market orders sell the base coin: every venue counts those in the base coin.
        let side = match kind {
            TradeKind::Limit if self.limits.is_multiple_of(2) => Side::Buy,
            _ => Side::Sell,
        };
        if kind == TradeKind::Limit {
            self.limits += 1;
        }
        let away = 0.03 + 0.01 * f64::from(self.rng.random_range(0..5_u8));
        let price = match (kind, side) {
            (TradeKind::Market, _) => None,
            (TradeKind::Limit, Side::Buy) => Some(decimal(reference * (1.0 - away))),
            (TradeKind::Limit, Side::Sell) => Some(decimal(reference * (1.0 + away))),
        };
        let at = price
            .as_deref()
            .map_or(reference, |p| p.parse().unwrap_or(0.0));
        if at <= 0.0 {
            return Ok(None);
        }
        let qty = decimal(notional / at);
        let client_order_id = self.client_order_id();
        let order = NewOrder {
            segment: SPOT,
            symbol: symbol.clone(),
            side,
            kind: match &price {
                Some(p) => OrderKind::Limit {
                    price: p.parse().unwrap_or(0.0),
                },
                None => OrderKind::Market,
            },
            qty: qty.parse().unwrap_or(0.0),
            unit: QtyUnit::Base,
            trigger: None,
            client_order_id: Some(client_order_id.clone()),
            time_in_force: TimeInForce::Gtc,
            reduce_only: false,
        };
        let sent = crate::clock::now_rfc3339();
        let reply = self.send(record, "place", Op::PlaceOrder(order)).await?;
        let Some(Reply::Placed(order_id)) = reply else {
            return Ok(None);
        };
        record.placed += 1;
        if let Some(event) = record.events.last_mut() {
            event.order_id = Some(order_id.clone());
        }
        let line = LedgerLine {
            order_id,
            client_order_id,
            category: Category::Spot.as_str(),
            symbol,
            side: match side {
                Side::Buy => "buy",
                Side::Sell => "sell",
            },
            qty,
            status: price.is_some().then_some("open"),
            price,
            created_at: sent.clone(),
            updated_at: sent,
        };
        let _ = lines.send((Instant::now() + self.lag, line.clone()));
        Ok((kind == TradeKind::Limit).then_some(Resting { line }))
    }

    /// Cancels one of its resting orders.
    async fn cancel(
        &mut self,
        record: &mut BotRecord,
        lines: &mpsc::UnboundedSender<(Instant, LedgerLine)>,
        order: Resting,
    ) -> Result<(), Stop> {
        let op = Op::CancelOrder {
            segment: SPOT,
            symbol: order.line.symbol.clone(),
            order_id: order.line.order_id.clone(),
        };
        let sent = crate::clock::now_rfc3339();
        let reply = self.send(record, "cancel", op).await?;
        if let Some(event) = record.events.last_mut() {
            event.order_id = Some(order.line.order_id.clone());
        }
        if reply.is_some() {
            record.cancelled += 1;
            let line = LedgerLine {
                status: Some("cancelled"),
                updated_at: sent,
                ..order.line
            };
            let _ = lines.send((Instant::now() + self.lag, line));
        }
        Ok(())
    }

    /// A client order id: the bot's prefix and a suffix drawn from the seed, in the characters
    /// the venue takes (OKX's `clOrdId` is 1 to 32 letters and digits:
    /// <https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order>).
    fn client_order_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let suffix: String = (0..CLIENT_SUFFIX)
            .map(|_| char::from(ALPHABET[self.rng.random_range(0..ALPHABET.len())]))
            .collect();
        let id = format!("{}{suffix}", self.prefix);
        match self.venue {
            ExchangeId::Okx => id.chars().filter(char::is_ascii_alphanumeric).collect(),
            _ => id,
        }
    }

    /// Sends one request and records it; `Err` when the exchange refused the key.
    async fn send(
        &mut self,
        record: &mut BotRecord,
        op_name: &'static str,
        op: Op,
    ) -> Result<Option<Reply>, Stop> {
        let at = crate::clock::now_rfc3339();
        let instant = Instant::now();
        let result = self.client.call(&op, Auth::Key(&self.key)).await;
        let refused_key = matches!(
            &result,
            Err(err) if err.is_unauthenticated() || matches!(err, ExchangeError::IpRejected { .. })
        );
        let code = match &result {
            Ok(_) => None,
            Err(err) => err.code().map(str::to_owned),
        };
        record.events.push(BotEvent {
            at,
            op: op_name,
            order_id: None,
            accepted: result.is_ok(),
            refused_key,
            code,
            instant: Some(instant),
        });
        match result {
            Ok(reply) => Ok(Some(reply)),
            Err(_) if refused_key => {
                record.refused += 1;
                Err(Stop::Refused)
            }
            Err(_) => {
                record.failed += 1;
                Ok(None)
            }
        }
    }
}

/// Appends each line to the ledger at its time, fsync'd, in the order they came (the lag is the
/// same for every line, so that is the order they fall due); returns how many it wrote. Ends
/// once the bot has stopped and every line is written. Once the drill is over (the response
/// done, nobody reading the ledger any more) the lines still due are written at once.
async fn write_ledger(
    path: Option<PathBuf>,
    format: LedgerFormat,
    mut queue: mpsc::UnboundedReceiver<(Instant, LedgerLine)>,
    mut drill_over: watch::Receiver<bool>,
) -> usize {
    let mut written = 0;
    while let Some((due, line)) = queue.recv().await {
        tokio::select! {
            () = tokio::time::sleep_until(due.into()) => {}
            _ = drill_over.wait_for(|over| *over) => {}
        }
        let Some(path) = path.clone() else {
            continue;
        };
        let Some(mut text) = format.line(&line) else {
            continue;
        };
        text.push('\n');
        let appended = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut file = crate::private::open_append(&path)?;
            file.write_all(text.as_bytes())?;
            file.sync_data()
        })
        .await;
        if matches!(appended, Ok(Ok(()))) {
            written += 1;
        }
    }
    written
}

/// A decimal with at most 8 places and no trailing zeros: how the adapters send sizes and
/// prices, so the ledger line says exactly what was sent.
fn decimal(value: f64) -> String {
    let text = format!("{value:.8}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use secrecy::SecretString;
    use serde_json::Value;

    use super::*;
    use crate::secret::KeyId;

    /// A row the bot writes reads back, cell for cell, through the ledger's own CSV reader.
    #[test]
    fn a_csv_row_is_quoted_only_where_needed_and_reads_back() {
        let columns: Vec<String> = ["order_id", "client_order_id", "qty", "symbol", "note"]
            .map(str::to_owned)
            .to_vec();
        let value = serde_json::json!({
            "order_id": "1", "client_order_id": "a,b", "qty": 0.5, "note": "say \"hi\"\nbye",
        });
        let row = csv_row(&columns, &value);
        assert_eq!(row, "1,\"a,b\",0.5,,\"say \"\"hi\"\"\nbye\"");
        let mut rows = crate::actions::ledger_csv::Rows::new();
        let text = format!("{row}\n");
        let mut read = None;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if let Some(r) = rows.feed(i + 1, line) {
                read = Some(r.cells().map(str::to_owned).collect::<Vec<_>>());
            }
        }
        assert_eq!(
            read.unwrap(),
            ["1", "a,b", "0.5", "", "say \"hi\"\nbye"].map(str::to_owned)
        );
    }
    use crate::sim::{Origin, Sim};

    /// Reads a JSON Lines file.
    fn lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn the_live_bot_trades_as_the_owner_until_the_key_is_refused_and_its_ledger_says_so() {
        let mut scenario = Scenario::load("busy-bot").unwrap();
        scenario.bot.ledger_lag = Duration::from_millis(200);
        for &venue in ExchangeId::ALL {
            let sim = Sim::from_scenario_on(venue, &scenario, 7);
            let running = sim
                .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
                .await
                .unwrap();
            let dir = tempfile::tempdir().unwrap();
            let session = sim.write_session(dir.path(), &running.base_url).unwrap();
            let read = |file: &str| std::fs::read_to_string(dir.path().join(file)).ok();
            let mut key = Credential::new(
                KeyId::new(session.leaked_key.clone()),
                SecretString::from(read("bot.secret").unwrap().trim().to_owned()),
            );
            if let Some(passphrase) = read("bot.passphrase") {
                key = key.with_passphrase(SecretString::from(passphrase.trim().to_owned()));
            }
            let seeded = lines(&session.known_orders);
            let bot = LiveBot::new(
                venue,
                &running.base_url,
                key,
                &scenario,
                7,
                Some(session.known_orders.clone()),
            )
            .unwrap()
            .unwrap();
            let (over_tx, over_rx) = watch::channel(false);
            let trading = tokio::spawn(bot.run(over_rx));
            // It trades until it has left a few orders, then the key is deleted under it.
            for _ in 0..400 {
                if sim.inspect().owner_order_ids().len() >= seeded.len() + 8 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert!(sim.web_ui_delete_key(&session.leaked_key), "{venue}");
            let record = tokio::time::timeout(Duration::from_secs(20), trading)
                .await
                .unwrap_or_else(|_| {
                    let _ = over_tx.send(true);
                    panic!("{venue}: the bot never noticed the key was gone")
                })
                .unwrap();
            let truth = sim.inspect();
            running.shutdown().await;

            assert_eq!(
                record.stopped, "refused by the exchange",
                "{venue}: {record:?}"
            );
            assert_eq!(record.refused, 1, "{venue}");
            assert!(
                record.placed >= 8 && record.cancelled >= 1,
                "{venue}: {record:?}"
            );
            assert_eq!(record.failed, 0, "{venue}: {record:?}");
            // Same key as the attacker, but from the bot's address: every order the owner's.
            assert!(truth.attacker_order_ids().is_empty(), "{venue}");
            let placed: BTreeSet<String> = record
                .events
                .iter()
                .filter(|e| e.op == "place" && e.accepted)
                .filter_map(|e| e.order_id.clone())
                .collect();
            assert_eq!(placed.len(), record.placed, "{venue}");
            for id in &placed {
                let order = truth.order(id).unwrap();
                assert_eq!(order.origin, Origin::Owner, "{venue} {id}");
            }
            // The ledger: the seeded lines, then one line per order event, in the shared format.
            let all = lines(&session.known_orders);
            assert_eq!(all[..seeded.len()], seeded[..], "{venue}");
            let written = &all[seeded.len()..];
            assert_eq!(written.len(), record.ledger_lines, "{venue}");
            assert_eq!(
                record.ledger_lines,
                record.placed + record.cancelled,
                "{venue}"
            );
            let symbols: BTreeSet<&str> =
                seeded.iter().filter_map(|l| l["symbol"].as_str()).collect();
            let mut last: BTreeMap<String, &Value> = BTreeMap::new();
            for line in written {
                let id = line["order_id"].as_str().unwrap();
                let order = truth.order(id).unwrap_or_else(|| panic!("{venue}: {line}"));
                assert!(placed.contains(id), "{venue}: {line}");
                let symbol = line["symbol"].as_str().unwrap();
                assert!(
                    symbols.contains(symbol),
                    "{venue}: the wire's symbol {line}"
                );
                assert_eq!(line["category"], "spot");
                assert_eq!(line["side"], order.side.to_ascii_lowercase(), "{venue}");
                assert_eq!(line["qty"], order.qty.as_str(), "{venue}");
                assert_eq!(line["price"].as_str(), order.price.as_deref(), "{venue}");
                let prefix = if venue == ExchangeId::Okx {
                    "mm"
                } else {
                    "mm-"
                };
                let client_id = line["client_order_id"].as_str().unwrap();
                assert!(client_id.starts_with(prefix), "{venue}: {client_id}");
                last.insert(id.to_owned(), line);
            }
            assert_eq!(
                last.len(),
                placed.len(),
                "{venue}: every order has its line"
            );
            let cancelled = last.values().filter(|l| l["status"] == "cancelled").count();
            assert_eq!(cancelled, record.cancelled, "{venue}");
            for (id, line) in &last {
                if line["status"] == "cancelled" {
                    assert_eq!(truth.order(id).unwrap().status, "Cancelled", "{venue} {id}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_line_waits_for_its_lag_unless_the_drill_is_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let (tx, rx) = mpsc::unbounded_channel();
        let (over_tx, over_rx) = watch::channel(false);
        let writer = tokio::spawn(write_ledger(
            Some(path.clone()),
            LedgerFormat::Jsonl,
            rx,
            over_rx,
        ));
        let line = |id: &str| LedgerLine {
            order_id: id.into(),
            client_order_id: format!("mm-{id}"),
            category: "spot",
            symbol: "BTCUSDT".into(),
            side: "buy",
            qty: "0.001".into(),
            price: Some("60000".into()),
            status: Some("open"),
            created_at: "2026-12-05T10:00:00.000Z".into(),
            updated_at: "2026-12-05T10:00:00.000Z".into(),
        };
        let now = Instant::now();
        tx.send((now, line("1"))).unwrap();
        tx.send((now + Duration::from_secs(3600), line("2")))
            .unwrap();
        for _ in 0..500 {
            if !lines(&path).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let ids = |path: &std::path::Path| -> Vec<String> {
            lines(path)
                .iter()
                .map(|l| l["order_id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&path), ["1"], "the second is due in an hour");
        // The drill is over: nobody reads the ledger any more, what is left is written now.
        over_tx.send(true).unwrap();
        drop(tx);
        assert_eq!(writer.await.unwrap(), 2);
        assert_eq!(ids(&path), ["1", "2"]);
    }

    #[test]
    fn decimals_are_written_as_the_adapters_send_them() {
        for (value, text) in [
            (61750.0, "61750"),
            (0.000_809_716_6, "0.00080972"),
            (0.00038, "0.00038"),
            (1e-10, "0"),
        ] {
            assert_eq!(decimal(value), text, "{value}");
        }
    }

    #[test]
    fn a_ledger_line_follows_the_shared_format() {
        let line = LedgerLine {
            order_id: "1".into(),
            client_order_id: "bb-abc".into(),
            category: "spot",
            symbol: "BTCUSDT".into(),
            side: "buy",
            qty: "0.001".into(),
            price: None,
            status: None,
            created_at: "2026-12-05T10:00:00.000Z".into(),
            updated_at: "2026-12-05T10:00:00.000Z".into(),
        };
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "order_id": "1", "client_order_id": "bb-abc", "category": "spot",
                "symbol": "BTCUSDT", "side": "buy", "qty": "0.001",
                "created_at": "2026-12-05T10:00:00.000Z", "updated_at": "2026-12-05T10:00:00.000Z"
            })
        );
    }
}
