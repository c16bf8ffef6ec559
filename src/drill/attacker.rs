//! The simulated attacker: an outside client trading with the leaked key until the exchange
//! refuses it.
//!
//! It binds 127.0.0.2 and talks to the simulator over real HTTP through a venue adapter, exactly
//! as an outside bot would (it resyncs its clock and waits out rate limits like one); nothing
//! tells it to stop but the exchange's answers. It first plays its scenario's plan (a fixed
//! number of orders, so the same seed gives the same truth set), signals that the plan is done,
//! then keeps probing until the exchange refuses the key. Probes do not wait out rate limits: a
//! refused probe is simply followed by the next one, so the first refusal of the key is seen as
//! soon as the exchange gives it, also on venues with tight per-account limits (OKX allows 5
//! `account/config` calls per 2 s). Probes are reads, except where every read draws on one
//! per-key counter (Kraken): reads every few milliseconds would keep the leaked key's counter
//! full and starve the responder's own read with that key (`GetApiKeyInfo`), the instrument
//! disturbing what it measures. There a probe cancels an order that does not exist, which the
//! venue counts on its trading limiter instead. Every request is recorded with its time and
//! answer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::watch;

use crate::exchanges::client::http_client_from;
use crate::exchanges::model::intern;
use crate::exchanges::model::{Category, Segment, Side};
use crate::exchanges::{
    Auth, Client, ExchangeError, ExchangeId, Mode, NewOrder, Op, OrderKind, QtyUnit, Reply,
    TimeInForce,
};
use crate::secret::Credential;
use crate::sim::scenario::{MarketKind, OrderSide, Pattern, Scenario};

/// Where the attacker sits.
pub const ATTACKER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// An order id shaped like a Kraken txid that no order has: the zero-cost probe cancels it.
const NO_SUCH_ORDER: &str = "ODRILL-PROBE-000000";

/// The longest an attacker lives, whatever happens: tests and drills stay bounded.
const LIFETIME: Duration = Duration::from_secs(60);

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
    /// What it tried: `order`, `cancel`, `withdraw`, `read`, `probe`.
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
    client: Client,
    /// The same connection, handing rate limits straight back: for probes.
    prober: Client,
    key: Credential,
    scenario: Scenario,
    started: Instant,
    record: Record,
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

    /// Market buys of the target, every other one a limit buy far above the price.
    async fn pump(&mut self, orders: u32) -> Result<(), Stop> {
        let Some((symbol, reference, _, _)) = self.target() else {
            return Ok(());
        };
        let quote: f64 = self
            .scenario
            .attacker
            .quote_per_order
            .as_deref()
            .and_then(|q| q.parse().ok())
            .unwrap_or(100.0);
        let markup = self.scenario.attacker.limit_markup;
        for i in 0..orders {
            let order = match markup {
                Some(markup) if i % 2 == 1 && reference > 0.0 => {
                    let price = reference * markup;
                    new_order(
                        &symbol,
                        Side::Buy,
                        OrderKind::Limit { price },
                        quote / price,
                        QtyUnit::Base,
                    )
                }
                _ => self.market_buy(&symbol, quote, reference),
            };
            self.attempt("order", Op::PlaceOrder(order)).await?;
            tokio::time::sleep(self.gap()).await;
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

    /// Cancels the bot's open orders, tries to withdraw, then pumps.
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
            tokio::time::sleep(every).await;
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
