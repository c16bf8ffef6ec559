//! The simulated attacker: an outside client trading with the leaked key until the exchange
//! refuses it.
//!
//! It binds 127.0.0.2 and talks to the simulator over real HTTP through a venue adapter, exactly
//! as an outside bot would (it resyncs its clock and waits out rate limits like one); nothing
//! tells it to stop but the exchange's answers. It first plays its scenario's plan (a fixed
//! number of orders, so the same seed gives the same truth set), signals that the plan is done,
//! then keeps probing until the exchange refuses the key. Probes do not retry a rate-limited
//! call: the next probe follows, so the first refusal of the key is seen as soon as the exchange
//! gives it, also on venues with tight per-account limits (OKX allows 5 `account/config` calls
//! per 2 s). But a probe told to wait (`Retry-After`, a reset time, a ban) waits that long, as
//! any client should: Binance bans an address that keeps sending inside its `Retry-After`, and a
//! banned attacker would never see the refusal the drill is there to measure. Probes are reads, except where every read draws on one
//! per-key counter (Kraken): reads every few milliseconds would keep the leaked key's counter
//! full and starve the responder's own read with that key (`GetApiKeyInfo`), the instrument
//! disturbing what it measures. There a probe cancels an order that does not exist, which the
//! venue counts on its trading limiter instead. Every request is recorded with its time and
//! answer.
//!
//! Real attackers hide: they send client ids with the bot's prefix or copy the bot's own (from
//! the account's order history), mix order kinds (IOC, fill-or-kill, post-only, reduce-only,
//! conditional) across several pairs, sell back what they bought, or trade nothing and only
//! cancel and amend the bot's orders. A kind of order the venue does not have is refused by its
//! adapter before anything is sent, and is not recorded.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::exchanges::client::http_client_from;
use crate::exchanges::model::intern;
use crate::exchanges::model::{Category, Order, OrderStatus, Segment, Side};
use crate::exchanges::{
    Auth, Client, ExchangeError, ExchangeId, Mode, NewOrder, Op, OrderKind, QtyUnit, Reply,
    TimeInForce, Window,
};
use crate::secret::Credential;
use crate::sim::scenario::{AttackKind, ClientIds, MarketKind, OrderSide, Pattern, Scenario};

/// Where the attacker sits.
pub const ATTACKER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// An order id shaped like a Kraken txid that no order has: the zero-cost probe cancels it.
const NO_SUCH_ORDER: &str = "ODRILL-PROBE-000000";

/// How far back the `copy` strategy reads the bot's order history for client ids.
const COPY_LOOKBACK_MS: i64 = 2 * 24 * 60 * 60 * 1000;

/// The most history pages the `copy` strategy reads (Binance's walk takes a few steps).
const COPY_PAGES: usize = 40;

/// The longest an attacker lives, whatever happens: tests and drills stay bounded.
const LIFETIME: Duration = Duration::from_secs(60);
/// The longest a probe waits when told to: longer would blur when the refusal came (the drill
/// gives the attacker a few seconds after the response to see it).
const MAX_WAIT: Duration = Duration::from_secs(2);

const SPOT: Segment = Segment {
    category: Category::Spot,
    settle: None,
};

/// One request the attacker sent.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Milliseconds since the attacker started.
    pub at_ms: u64,
    /// Wall time, RFC 3339 UTC.
    pub at: String,
    /// What it tried: `order`, `cancel`, `amend`, `withdraw`, `read`, `probe`.
    pub kind: &'static str,
    /// The operation.
    pub op: &'static str,
    /// The venue's code, when the exchange refused.
    pub code: Option<String>,
    /// Whether the exchange did it.
    pub accepted: bool,
    /// Whether the exchange refused the key itself.
    pub refused_key: bool,
    /// Whether it was refused for a rate limit.
    pub rate_limited: bool,
    /// Whether the exchange judged the request itself, so the key still worked: carried out, or
    /// refused on its merits (an order that does not exist, a withdrawal the key may not make).
    pub key_worked: bool,
    /// Why it was refused, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The order id, for accepted orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip)]
    instant: Option<Instant>,
    /// When the answer came (after any waits the client made for rate limits).
    #[serde(skip)]
    answered: Option<Instant>,
}

impl Attempt {
    /// When it was sent, on this process's monotonic clock.
    pub fn instant(&self) -> Option<Instant> {
        self.instant
    }

    /// When the exchange's answer came, on the same clock. A call that waited out a rate limit
    /// (OKX counts per 2 seconds) is answered well after it was first sent.
    pub fn answered(&self) -> Option<Instant> {
        self.answered
    }
}

/// Everything the attacker did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Record {
    /// Every request, in order.
    pub attempts: Vec<Attempt>,
    /// Why it stopped.
    pub stopped: String,
}

/// The attacker, ready to run.
#[derive(Debug)]
pub struct Attacker {
    venue: ExchangeId,
    client: Client,
    /// The same connection, handing rate limits straight back: for probes.
    prober: Client,
    key: Credential,
    scenario: Scenario,
    started: Instant,
    record: Record,
    /// Client ids of the bot's closed orders, for the `copy` strategy.
    copied: Vec<String>,
    /// How many client ids it made up so far.
    made_ids: u32,
    /// How long the exchange told it to wait after its last request (rate limit, ban).
    told_to_wait: Option<Duration>,
}

/// Why the attacker stops early.
enum Stop {
    /// The exchange refused the key.
    Refused,
    /// It ran out of time.
    Lifetime,
    /// The drill ended without the exchange ever refusing it.
    DrillOver,
}

impl Attacker {
    /// An attacker holding the leaked key, against the venue at `base_url`.
    pub fn new(
        venue: ExchangeId,
        base_url: &str,
        key: Credential,
        scenario: &Scenario,
    ) -> Result<Attacker, String> {
        let http = http_client_from(ATTACKER_IP).map_err(|err| err.to_string())?;
        Ok(Attacker {
            venue,
            copied: Vec::new(),
            made_ids: 0,
            told_to_wait: None,
            client: Client::with_http(venue.venue(), base_url, Mode::Live, http.clone()),
            prober: Client::with_http(venue.venue(), base_url, Mode::Live, http)
                .with_rate_limit_waits(0),
            key,
            scenario: scenario.clone(),
            started: Instant::now(),
            record: Record::default(),
        })
    }

    /// Plays the plan, tells `plan_done`, then probes until refused. `drill_over` only ends an
    /// attacker the exchange never refused (the score then says so); it is not a refusal.
    pub async fn run(
        mut self,
        plan_done: watch::Sender<bool>,
        drill_over: watch::Receiver<bool>,
    ) -> Record {
        self.started = Instant::now();
        let pattern = self.scenario.attacker.pattern;
        let planned = match pattern {
            Pattern::None => Ok(()),
            Pattern::Pump => self.pump(self.scenario.attacker.orders).await,
            Pattern::AltDump => self.alt_dump().await,
            Pattern::Sabotage => self.sabotage().await,
            Pattern::Spread => self.spread().await,
        };
        let _ = plan_done.send(true);
        self.record.stopped = match planned {
            Err(Stop::Refused) => "refused during its plan".to_owned(),
            Err(_) => "stopped during its plan, never refused".to_owned(),
            Ok(()) if pattern == Pattern::None => "no attacker in this scenario".to_owned(),
            Ok(()) => match self.probe(drill_over).await {
                Stop::Refused => "refused by the exchange".to_owned(),
                Stop::Lifetime | Stop::DrillOver => "never refused".to_owned(),
            },
        };
        self.record
    }

    fn gap(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.scenario.attacker.rate.max(0.1))
    }

    /// The venue's symbol and the reference price of a scenario market (`XVGUSDT`).
    fn market(&self, name: &str) -> Option<(String, f64, String, String)> {
        let market = self.scenario.market(name)?;
        let symbol = self
            .client
            .venue()
            .symbol(Category::Spot, &market.base, &market.quote);
        let price = market.price.parse().unwrap_or(0.0);
        Some((symbol, price, market.base.clone(), market.quote.clone()))
    }

    /// The scenario's target market, as [`Attacker::market`] gives it.
    fn target(&self) -> Option<(String, f64, String, String)> {
        let name = self.scenario.attacker.target.as_deref()?;
        self.market(name)
    }

    /// Buys its targets in turn: market buys, every other one a limit buy far above the price,
    /// or the scenario's `order_kinds` in turn; each with a client id of its strategy. With
    /// `round_trip` it then sells back what it bought of each.
    async fn pump(&mut self, orders: u32) -> Result<(), Stop> {
        let targets: Vec<(String, f64, String, String)> = self
            .scenario
            .attacker
            .all_targets()
            .iter()
            .filter_map(|name| self.market(name))
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        if self.scenario.attacker.client_ids == ClientIds::Copy {
            self.copy_ids().await?;
        }
        let quote: f64 = self
            .scenario
            .attacker
            .quote_per_order
            .as_deref()
            .and_then(|q| q.parse().ok())
            .unwrap_or(100.0);
        let kinds = self.scenario.attacker.order_kinds.clone();
        let markup = self.scenario.attacker.limit_markup;
        let mut bought = vec![0.0; targets.len()];
        for i in 0..orders {
            let turn = i as usize % targets.len();
            let (symbol, reference, ..) = &targets[turn];
            let (mut order, base) = match kinds.get(i as usize % kinds.len().max(1)) {
                Some(kind) => self.kind_order(*kind, symbol, *reference, quote),
                None => match markup {
                    Some(markup) if i % 2 == 1 && *reference > 0.0 => {
                        let price = reference * markup;
                        let order = new_order(
                            symbol,
                            Side::Buy,
                            OrderKind::Limit { price },
                            quote / price,
                            QtyUnit::Base,
                        );
                        (order, 0.0)
                    }
                    _ => (self.market_buy(symbol, quote, *reference), 0.0),
                },
            };
            let base = if base == 0.0 && order.kind == OrderKind::Market {
                bought_base(&order, *reference)
            } else {
                base
            };
            order.client_order_id = self.client_id();
            if self.place(order).await? {
                bought[turn] += base;
            }
            tokio::time::sleep(self.gap()).await;
        }
        if self.scenario.attacker.round_trip {
            for ((symbol, _, coin, _), bought) in targets.iter().zip(bought) {
                let qty = self.free(coin).await?.min(bought) * 0.98;
                if qty <= 0.0 {
                    continue;
                }
                let mut order =
                    new_order(symbol, Side::Sell, OrderKind::Market, qty, QtyUnit::Base);
                order.client_order_id = self.client_id();
                self.place(order).await?;
                tokio::time::sleep(self.gap()).await;
            }
        }
        Ok(())
    }

    /// One order of `kind` on `symbol` worth about `quote`, and the base coin it buys at once
    /// (0 for one that rests or sells).
    fn kind_order(
        &self,
        kind: AttackKind,
        symbol: &str,
        reference: f64,
        quote: f64,
    ) -> (NewOrder, f64) {
        let limit = |price: f64, side: Side| {
            new_order(
                symbol,
                side,
                OrderKind::Limit { price },
                quote / price,
                QtyUnit::Base,
            )
        };
        let above = reference * self.scenario.attacker.limit_markup.unwrap_or(1.02);
        match kind {
            AttackKind::Market => {
                let order = self.market_buy(symbol, quote, reference);
                let base = bought_base(&order, reference);
                (order, base)
            }
            AttackKind::Limit => (limit(above, Side::Buy), quote / above),
            AttackKind::Ioc | AttackKind::Fok => {
                let mut order = limit(above, Side::Buy);
                order.time_in_force = if kind == AttackKind::Ioc {
                    TimeInForce::Ioc
                } else {
                    TimeInForce::Fok
                };
                (order, quote / above)
            }
            AttackKind::PostOnly => {
                let mut order = limit(reference * 0.9, Side::Buy);
                order.time_in_force = TimeInForce::PostOnly;
                (order, 0.0)
            }
            AttackKind::ReduceOnly => {
                let mut order = limit(reference * 1.1, Side::Sell);
                order.reduce_only = true;
                (order, 0.0)
            }
            AttackKind::Conditional => {
                let mut order = limit(reference * 1.12, Side::Buy);
                order.trigger = Some(reference * 1.1);
                (order, 0.0)
            }
        }
    }

    /// Places an order; whether the exchange took it.
    async fn place(&mut self, order: NewOrder) -> Result<bool, Stop> {
        Ok(self
            .attempt("order", Op::PlaceOrder(order))
            .await?
            .is_some())
    }

    /// The next client id of its strategy, shaped as the venue takes it (OKX: letters and
    /// digits only).
    fn client_id(&mut self) -> Option<String> {
        let strategy = self.scenario.attacker.client_ids;
        let raw = match strategy {
            ClientIds::None => return None,
            ClientIds::Copy if !self.copied.is_empty() => self.copied.remove(0),
            ClientIds::Own => {
                self.made_ids += 1;
                format!("atk{}x{}", self.scenario.seed % 10_000, self.made_ids)
            }
            ClientIds::BotPrefix | ClientIds::Copy => {
                self.made_ids += 1;
                // Shaped like the bot's: its prefix and ten lowercase letters and digits.
                let mixed = (self.scenario.seed ^ 0x5eed)
                    .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    .wrapping_add(u64::from(self.made_ids).wrapping_mul(0xbf58_476d_1ce4_e5b9));
                let suffix = format!("{mixed:016x}");
                format!("{}{}", self.scenario.bot.client_prefix, &suffix[..10])
            }
        };
        Some(match self.venue {
            ExchangeId::Okx => raw
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(32)
                .collect(),
            _ => raw.chars().take(36).collect(),
        })
    }

    /// Reads the account's recent closed orders and keeps the client ids of the filled and
    /// cancelled ones, oldest first, for the `copy` strategy.
    async fn copy_ids(&mut self) -> Result<(), Stop> {
        let end_ms = chrono::Utc::now().timestamp_millis();
        let window = Window {
            start_ms: end_ms - COPY_LOOKBACK_MS,
            end_ms,
        };
        let mut segments = self.spot_segments();
        // Deribit lists history per currency: the targets' quote currencies.
        if self.venue == ExchangeId::Deribit {
            segments = self
                .scenario
                .attacker
                .all_targets()
                .iter()
                .filter_map(|name| self.market(name))
                .filter_map(|(.., quote)| intern(&quote))
                .map(|settle| Segment {
                    category: Category::Spot,
                    settle: Some(settle),
                })
                .collect();
            segments.dedup();
        }
        let mut found = Vec::new();
        for segment in segments {
            let mut cursor = None;
            for _ in 0..COPY_PAGES {
                let read = Op::Orders {
                    segment,
                    window,
                    cursor: cursor.take(),
                };
                let Some(reply) = self.attempt("read", read).await? else {
                    break;
                };
                let Ok(page) = reply.into_orders() else {
                    break;
                };
                found.extend(
                    page.items.into_iter().filter(|o| {
                        matches!(o.status, OrderStatus::Filled | OrderStatus::Cancelled)
                    }),
                );
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        found.sort_by_key(|o| o.created_ms);
        for order in found {
            if let Some(id) = order.client_order_id.filter(|id| !id.is_empty())
                && !self.copied.contains(&id)
            {
                self.copied.push(id);
            }
        }
        Ok(())
    }

    /// Sells each alt in two halves into its quote coin, then buys the target with it all.
    async fn alt_dump(&mut self) -> Result<(), Stop> {
        let pairs = self.scenario.attacker.sell.clone();
        let Some((target, target_price, _, target_quote)) = self.target() else {
            return Ok(());
        };
        let mut budget = self.scenario.attacker.orders;
        for pair in pairs {
            let Some((symbol, _, base, _)) = self.market(&pair) else {
                continue;
            };
            let free = self.free(&base).await?;
            for half in [free / 2.0, free / 2.0] {
                if budget <= 1 || half <= 0.0 {
                    break;
                }
                budget -= 1;
                let order = new_order(
                    &symbol,
                    Side::Sell,
                    OrderKind::Market,
                    half * 0.999,
                    QtyUnit::Base,
                );
                self.attempt("order", Op::PlaceOrder(order)).await?;
                tokio::time::sleep(self.gap()).await;
            }
        }
        if budget > 0 {
            let spend = self.free(&target_quote).await? * 0.98;
            if spend > 0.0 {
                let order = self.market_buy(&target, spend, target_price);
                self.attempt("order", Op::PlaceOrder(order)).await?;
            }
        }
        Ok(())
    }

    /// Leaves one resting order per `place` entry: a limit far from the price, conditional
    /// where the entry names a trigger, in the entry's product and account slice.
    async fn spread(&mut self) -> Result<(), Stop> {
        for entry in self.scenario.attacker.place.clone() {
            let Some(market) = self.scenario.market_of(entry.category, &entry.market) else {
                continue;
            };
            let category = match entry.category {
                MarketKind::Spot => Category::Spot,
                MarketKind::Linear => Category::Linear,
                MarketKind::Inverse => Category::Inverse,
            };
            let reference: f64 = market.price.parse().unwrap_or(0.0);
            let order = NewOrder {
                segment: Segment {
                    category,
                    settle: entry.account.as_deref().and_then(intern),
                },
                symbol: self
                    .client
                    .venue()
                    .symbol(category, &market.base, &market.quote),
                side: match entry.side {
                    OrderSide::Buy => Side::Buy,
                    OrderSide::Sell => Side::Sell,
                },
                kind: OrderKind::Limit {
                    price: reference * entry.price,
                },
                qty: entry.qty.parse().unwrap_or(0.0),
                unit: QtyUnit::Base,
                trigger: entry.trigger.map(|t| reference * t),
                client_order_id: None,
                time_in_force: TimeInForce::Gtc,
                reduce_only: false,
            };
            self.attempt("order", Op::PlaceOrder(order)).await?;
            tokio::time::sleep(self.gap()).await;
        }
        Ok(())
    }

    /// A market buy spending `quote` of the quote coin. Venues that size every order in the
    /// base coin get it at twice the reference price, so a walk up a thin book stays in budget.
    fn market_buy(&self, symbol: &str, quote: f64, reference: f64) -> NewOrder {
        if self.client.venue().quote_sized_market_buys() || reference <= 0.0 {
            new_order(symbol, Side::Buy, OrderKind::Market, quote, QtyUnit::Quote)
        } else {
            let base = quote / (reference * 2.0);
            new_order(symbol, Side::Buy, OrderKind::Market, base, QtyUnit::Base)
        }
    }

    /// The venue's spot segments (one on Bybit; one per quote currency on Deribit).
    fn spot_segments(&self) -> Vec<Segment> {
        let spot: Vec<Segment> = self
            .client
            .venue()
            .segments()
            .iter()
            .filter(|s| s.category == Category::Spot)
            .copied()
            .collect();
        if spot.is_empty() { vec![SPOT] } else { spot }
    }

    /// Cancels the bot's open orders, tries to withdraw, then pumps; or, with `cancel` or
    /// `amend` and no target, cancels that many of the bot's open orders, amends that many
    /// others, and does nothing else.
    async fn sabotage(&mut self) -> Result<(), Stop> {
        let mut open = Vec::new();
        for segment in self.spot_segments() {
            let read = Op::OpenOrders {
                segment,
                cursor: None,
            };
            if let Some(reply) = self.attempt("read", read).await? {
                let orders = reply
                    .into_orders()
                    .map(|page| page.items)
                    .unwrap_or_default();
                open.extend(orders.into_iter().map(|order| (segment, order)));
            }
        }
        let (cancel, amend) = (self.scenario.attacker.cancel, self.scenario.attacker.amend);
        if cancel > 0 || amend > 0 {
            return self.tamper(open, cancel as usize, amend as usize).await;
        }
        for (segment, order) in open {
            let op = Op::CancelOrder {
                segment,
                symbol: order.symbol,
                order_id: order.order_id,
            };
            self.attempt("cancel", op).await?;
            tokio::time::sleep(self.gap()).await;
        }
        if let Some(withdraw) = self.scenario.attacker.withdraw.clone() {
            let op = Op::Withdraw {
                coin: withdraw.coin,
                amount: withdraw.amount,
                address: withdraw.address,
            };
            self.attempt("withdraw", op).await?;
            tokio::time::sleep(self.gap()).await;
        }
        self.pump(self.scenario.attacker.orders).await
    }

    /// Cancels the first `cancel` of the bot's open orders and amends the next `amend`: half the
    /// quantity and a price a twentieth further from the market (Binance's spot amend only
    /// lowers the quantity).
    async fn tamper(
        &mut self,
        open: Vec<(Segment, Order)>,
        cancel: usize,
        amend: usize,
    ) -> Result<(), Stop> {
        for (i, (segment, order)) in open.into_iter().enumerate().take(cancel + amend) {
            let op = if i < cancel {
                Op::CancelOrder {
                    segment,
                    symbol: order.symbol,
                    order_id: order.order_id,
                }
            } else {
                let away = match order.side {
                    Side::Buy => 0.95,
                    Side::Sell => 1.05,
                };
                let price = order
                    .price
                    .as_ref()
                    .map(|p| p.to_f64() * away)
                    .filter(|_| self.venue != ExchangeId::Binance);
                Op::AmendOrder {
                    segment,
                    symbol: order.symbol,
                    order_id: order.order_id,
                    qty: Some(order.qty.to_f64() / 2.0),
                    price,
                }
            };
            let kind = if i < cancel { "cancel" } else { "amend" };
            self.attempt(kind, op).await?;
            tokio::time::sleep(self.gap()).await;
        }
        Ok(())
    }

    /// Probes until the exchange refuses the key: what an attacker waiting to cash out does.
    async fn probe(&mut self, drill_over: watch::Receiver<bool>) -> Stop {
        let every = self.scenario.attacker.probe_every;
        let probes = self.probes();
        for turn in 0.. {
            if *drill_over.borrow() {
                return Stop::DrillOver;
            }
            let op = probes[turn % probes.len()].clone();
            if let Err(stop) = self.attempt("probe", op).await {
                return stop;
            }
            let pause = self
                .told_to_wait
                .take()
                .map_or(every, |wait| wait.max(every));
            let mut over = drill_over.clone();
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = over.wait_for(|over| *over) => return Stop::DrillOver,
            }
        }
        Stop::Lifetime
    }

    /// The probes, taken in turn: different reads keep each under its own rate limit; where
    /// reads share one per-key counter, a cancel the counter does not count (module docs).
    fn probes(&self) -> Vec<Op> {
        let segment = self.spot_segments()[0];
        let venue = self.client.venue();
        if venue.budget().is_some() {
            let symbol = self
                .scenario
                .attacker
                .target
                .as_deref()
                .and_then(|target| self.market(target))
                .map(|(symbol, ..)| symbol)
                .unwrap_or_default();
            let cancel = Op::CancelOrder {
                segment,
                symbol,
                order_id: NO_SUCH_ORDER.to_owned(),
            };
            if venue.call_cost(&cancel) == 0.0 {
                return vec![cancel];
            }
        }
        // Binance weighs every request against the address's minute (docs/venues/binance.md
        // §7): balances (20) and open orders (80 without a symbol) every few milliseconds use up
        // the spot minute in seconds, and an address that keeps going is banned. The key's own
        // `apiRestrictions` weighs 1 on the SAPI minute, and is refused the same way.
        if self.venue == ExchangeId::Binance {
            return vec![Op::WhoAmI];
        }
        vec![
            Op::Balances,
            Op::OpenOrders {
                segment,
                cursor: None,
            },
            Op::WhoAmI,
        ]
    }

    /// The free balance of a coin.
    async fn free(&mut self, coin: &str) -> Result<f64, Stop> {
        let balances = match self.attempt("read", Op::Balances).await? {
            Some(reply) => reply.into_balances().unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(balances
            .iter()
            .find(|b| b.coin == coin)
            .map(|b| b.total.to_f64() - b.locked.to_f64())
            .unwrap_or(0.0)
            .max(0.0))
    }

    /// Sends one operation and records it; `Err` when the exchange refused the key.
    async fn attempt(&mut self, kind: &'static str, op: Op) -> Result<Option<Reply>, Stop> {
        if self.started.elapsed() > LIFETIME {
            return Err(Stop::Lifetime);
        }
        let sent = Instant::now();
        let at = crate::clock::now_rfc3339();
        let client = if kind == "probe" {
            &self.prober
        } else {
            &self.client
        };
        let result = client.call(&op, Auth::Key(&self.key)).await;
        // A kind of order the venue does not have: refused before anything was sent.
        if matches!(result, Err(ExchangeError::Unsupported { .. })) {
            return Ok(None);
        }
        let refused_key = matches!(
            &result,
            Err(err) if err.is_unauthenticated() || matches!(err, ExchangeError::IpRejected { .. })
        );
        let rate_limited = matches!(&result, Err(ExchangeError::RateLimited { .. }));
        let key_worked = match &result {
            Ok(_) => true,
            Err(err) => matches!(
                err,
                ExchangeError::Api { .. }
                    | ExchangeError::UnknownTarget { .. }
                    | ExchangeError::Permission { .. }
                    | ExchangeError::OutOfRange { .. }
            ),
        };
        self.told_to_wait = match &result {
            Err(ExchangeError::RateLimited {
                retry_after_ms,
                reset_ms,
                ..
            }) => retry_after_ms
                .or_else(|| {
                    reset_ms
                        .map(|reset| u64::try_from(reset - client.clock().now_ms()).unwrap_or(0))
                })
                .map(Duration::from_millis),
            Err(ExchangeError::IpBanned { retry_after_ms, .. }) => {
                retry_after_ms.map(Duration::from_millis)
            }
            _ => None,
        }
        .map(|wait| wait.min(MAX_WAIT));
        let (code, error) = match &result {
            Ok(_) => (None, None),
            Err(err) => (err.code().map(str::to_owned), Some(err.to_string())),
        };
        let (reply, order_id) = match result {
            Ok(Reply::Placed(id)) => (Some(Reply::Placed(id.clone())), Some(id)),
            Ok(reply) => (Some(reply), None),
            Err(_) => (None, None),
        };
        self.record.attempts.push(Attempt {
            at_ms: u64::try_from(sent.duration_since(self.started).as_millis()).unwrap_or(0),
            at,
            kind,
            op: op.name(),
            code,
            accepted: reply.is_some(),
            refused_key,
            rate_limited,
            key_worked,
            error,
            order_id,
            instant: Some(sent),
            answered: Some(Instant::now()),
        });
        if refused_key {
            return Err(Stop::Refused);
        }
        Ok(reply)
    }
}

fn new_order(symbol: &str, side: Side, kind: OrderKind, qty: f64, unit: QtyUnit) -> NewOrder {
    NewOrder {
        segment: SPOT,
        symbol: symbol.to_owned(),
        side,
        kind,
        qty,
        unit,
        trigger: None,
        client_order_id: None,
        time_in_force: TimeInForce::Gtc,
        reduce_only: false,
    }
}

/// The base coin a market order buys at about `reference` (0 for a sell).
fn bought_base(order: &NewOrder, reference: f64) -> f64 {
    match (order.side, order.unit) {
        (Side::Sell, _) => 0.0,
        (Side::Buy, QtyUnit::Base) => order.qty,
        (Side::Buy, QtyUnit::Quote) if reference > 0.0 => order.qty / reference,
        (Side::Buy, QtyUnit::Quote) => 0.0,
    }
}
