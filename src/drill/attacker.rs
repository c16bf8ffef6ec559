//! The simulated attacker: an outside client trading with the leaked key until the exchange
//! refuses it.
//!
//! It binds 127.0.0.2, signs its own requests with the leaked secret and talks to the simulator
//! over real HTTP, exactly as an outside client would; nothing tells it to stop but the
//! exchange's answers. It first plays its scenario's plan (a fixed number of orders, so the same
//! seed gives the same truth set), signals that the plan is done, then keeps probing with reads
//! until the exchange refuses the key. Every request is recorded with its time and answer.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::clock;
use crate::exchanges::bybit::{RECV_WINDOW_MS, prehash, sign_prehash};
use crate::sim::scenario::{Pattern, Scenario};

/// Where the attacker sits.
pub const ATTACKER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// The longest an attacker lives, whatever happens: tests and drills stay bounded.
const LIFETIME: Duration = Duration::from_secs(60);

/// Bybit's codes for a refused key (reference §3.8): unknown or deleted, IP, expired.
const AUTH_REFUSALS: &[i64] = &[10003, 10010, 33004];

/// One request the attacker sent.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Milliseconds since the attacker started.
    pub at_ms: u64,
    /// Wall time, RFC 3339 UTC.
    pub at: String,
    /// What it tried: `order`, `cancel`, `withdraw`, `read`, `probe`.
    pub kind: &'static str,
    /// The path.
    pub path: &'static str,
    /// The venue's `retCode`, when the body had one.
    pub code: Option<i64>,
    /// HTTP status (0: no answer).
    pub status: u16,
    /// Whether the exchange did it.
    pub accepted: bool,
    /// Whether the exchange refused the key itself.
    pub refused_key: bool,
    /// The order id, for accepted orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip)]
    instant: Option<Instant>,
}

impl Attempt {
    /// When it was sent, on this process's monotonic clock.
    pub fn instant(&self) -> Option<Instant> {
        self.instant
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
pub struct Attacker {
    http: reqwest::Client,
    base_url: String,
    key: String,
    secret: SecretString,
    scenario: Scenario,
    started: Instant,
    record: Record,
    /// Exchange clock minus local clock, learnt from `/v5/market/time` like any bot does.
    offset_ms: i64,
}

impl std::fmt::Debug for Attacker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attacker")
            .field("base_url", &self.base_url)
            .field("key", &crate::secret::mask(&self.key))
            .finish_non_exhaustive()
    }
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
    /// An attacker holding the leaked key, against the exchange at `base_url`.
    pub fn new(
        base_url: &str,
        key: &str,
        secret: SecretString,
        scenario: &Scenario,
    ) -> Result<Attacker, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .local_address(ATTACKER_IP)
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|err| format!("cannot build the attacker's client: {err}"))?;
        Ok(Attacker {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            secret,
            scenario: scenario.clone(),
            started: Instant::now(),
            record: Record::default(),
            offset_ms: 0,
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

    fn reference(&self, symbol: &str) -> f64 {
        self.scenario
            .market(symbol)
            .and_then(|m| m.price.parse().ok())
            .unwrap_or(0.0)
    }

    /// Market buys of the target, every other one a limit buy far above the price.
    async fn pump(&mut self, orders: u32) -> Result<(), Stop> {
        let Some(target) = self.scenario.attacker.target.clone() else {
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
        let reference = self.reference(&target);
        for i in 0..orders {
            let body = match markup {
                Some(markup) if i % 2 == 1 && reference > 0.0 => {
                    let price = reference * markup;
                    json!({
                        "category": "spot", "symbol": target, "side": "Buy", "orderType": "Limit",
                        "qty": decimal(quote / price), "price": decimal(price),
                    })
                }
                _ => json!({
                    "category": "spot", "symbol": target, "side": "Buy", "orderType": "Market",
                    "qty": decimal(quote),
                }),
            };
            self.order(body).await?;
            tokio::time::sleep(self.gap()).await;
        }
        Ok(())
    }

    /// Sells each alt in two halves into its quote coin, then buys the target with it all.
    async fn alt_dump(&mut self) -> Result<(), Stop> {
        let pairs = self.scenario.attacker.sell.clone();
        let Some(target) = self.scenario.attacker.target.clone() else {
            return Ok(());
        };
        let mut budget = self.scenario.attacker.orders;
        for pair in pairs {
            let Some(market) = self.scenario.market(&pair).cloned() else {
                continue;
            };
            let free = self.free(&market.base).await?;
            for half in [free / 2.0, free / 2.0] {
                if budget <= 1 || half <= 0.0 {
                    break;
                }
                budget -= 1;
                self.order(json!({
                    "category": "spot", "symbol": pair, "side": "Sell", "orderType": "Market",
                    "qty": decimal(half * 0.999),
                }))
                .await?;
                tokio::time::sleep(self.gap()).await;
            }
        }
        if budget > 0
            && let Some(market) = self.scenario.market(&target).cloned()
        {
            let spend = self.free(&market.quote).await? * 0.98;
            if spend > 0.0 {
                self.order(json!({
                    "category": "spot", "symbol": target, "side": "Buy", "orderType": "Market",
                    "qty": decimal(spend),
                }))
                .await?;
            }
        }
        Ok(())
    }

    /// Cancels the bot's open orders, tries to withdraw, then pumps.
    async fn sabotage(&mut self) -> Result<(), Stop> {
        let (_, body) = self
            .send(
                "GET",
                "/v5/order/realtime",
                "category=spot&limit=50".to_owned(),
                "read",
            )
            .await?;
        let open: Vec<(String, String)> = body["result"]["list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                Some((
                    o["orderId"].as_str()?.to_owned(),
                    o["symbol"].as_str()?.to_owned(),
                ))
            })
            .collect();
        for (order_id, symbol) in open {
            let payload = json!({"category": "spot", "symbol": symbol, "orderId": order_id});
            self.send("POST", "/v5/order/cancel", payload.to_string(), "cancel")
                .await?;
            tokio::time::sleep(self.gap()).await;
        }
        if let Some(withdraw) = self.scenario.attacker.withdraw.clone() {
            let payload = json!({
                "coin": withdraw.coin, "chain": "ETH", "address": withdraw.address,
                "amount": withdraw.amount, "timestamp": clock::local_ms() + self.offset_ms, "forceChain": 0,
                "accountType": "UNIFIED",
            });
            self.send(
                "POST",
                "/v5/asset/withdraw/create",
                payload.to_string(),
                "withdraw",
            )
            .await?;
            tokio::time::sleep(self.gap()).await;
        }
        self.pump(self.scenario.attacker.orders).await
    }

    /// Reads until the exchange refuses the key: what an attacker waiting to cash out does.
    async fn probe(&mut self, drill_over: watch::Receiver<bool>) -> Stop {
        // Three endpoints in turn keep each under its own rate limit (reference §3.7).
        let reads = [
            ("/v5/account/wallet-balance", "accountType=UNIFIED"),
            ("/v5/order/realtime", "category=spot"),
            ("/v5/execution/list", "category=spot"),
        ];
        let every = self.scenario.attacker.probe_every;
        for turn in 0.. {
            if *drill_over.borrow() {
                return Stop::DrillOver;
            }
            let (path, query) = reads[turn % reads.len()];
            if let Err(stop) = self.send("GET", path, query.to_owned(), "probe").await {
                return stop;
            }
            tokio::time::sleep(every).await;
        }
        Stop::Lifetime
    }

    /// The free balance of a coin, read from the wallet.
    async fn free(&mut self, coin: &str) -> Result<f64, Stop> {
        let (_, body) = self
            .send(
                "GET",
                "/v5/account/wallet-balance",
                "accountType=UNIFIED".to_owned(),
                "read",
            )
            .await?;
        let coins = body["result"]["list"][0]["coin"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(coins
            .iter()
            .find(|c| c["coin"] == coin)
            .map(|c| number(&c["walletBalance"]) - number(&c["locked"]))
            .unwrap_or(0.0)
            .max(0.0))
    }

    /// Places an order; waits out a rate limit and tries again, like any bot.
    async fn order(&mut self, body: Value) -> Result<(), Stop> {
        for _ in 0..5 {
            let (code, _) = self
                .send("POST", "/v5/order/create", body.to_string(), "order")
                .await?;
            if code != Some(10006) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }

    /// Sends one signed request and records it; on a refused timestamp, resyncs its clock
    /// from the exchange and sends it once more.
    async fn send(
        &mut self,
        method: &'static str,
        path: &'static str,
        payload: String,
        kind: &'static str,
    ) -> Result<(Option<i64>, Value), Stop> {
        let (code, body) = self.send_once(method, path, payload.clone(), kind).await?;
        if code != Some(10002) {
            return Ok((code, body));
        }
        let url = format!("{}/v5/market/time", self.base_url);
        if let Ok(response) = self.http.get(url).send().await
            && let Ok(bytes) = response.bytes().await
            && let Ok(time) = serde_json::from_slice::<Value>(&bytes)
            && let Some(server) = time["time"].as_i64()
        {
            self.offset_ms = server - clock::local_ms();
        }
        self.send_once(method, path, payload, kind).await
    }

    async fn send_once(
        &mut self,
        method: &'static str,
        path: &'static str,
        payload: String,
        kind: &'static str,
    ) -> Result<(Option<i64>, Value), Stop> {
        if self.started.elapsed() > LIFETIME {
            return Err(Stop::Lifetime);
        }
        let ts = clock::local_ms() + self.offset_ms;
        let sign = sign_prehash(
            &self.secret,
            &prehash(ts, &self.key, RECV_WINDOW_MS, &payload),
        );
        let url = if method == "GET" {
            format!("{}{path}?{payload}", self.base_url)
        } else {
            format!("{}{path}", self.base_url)
        };
        let mut request = if method == "GET" {
            self.http.get(url)
        } else {
            self.http
                .post(url)
                .header("Content-Type", "application/json")
                .body(payload)
        };
        request = request
            .header("X-BAPI-API-KEY", self.key.as_str())
            .header("X-BAPI-TIMESTAMP", ts.to_string())
            .header("X-BAPI-RECV-WINDOW", RECV_WINDOW_MS.to_string())
            .header("X-BAPI-SIGN", sign);
        let sent = Instant::now();
        let at = clock::now_rfc3339();
        let (status, body) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let bytes = response.bytes().await.unwrap_or_default();
                (
                    status,
                    serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                )
            }
            Err(_) => (0, Value::Null),
        };
        let code = body["retCode"].as_i64();
        let refused_key = status == 401 || code.is_some_and(|c| AUTH_REFUSALS.contains(&c));
        let accepted = status == 200 && code == Some(0);
        self.record.attempts.push(Attempt {
            at_ms: u64::try_from(sent.duration_since(self.started).as_millis()).unwrap_or(0),
            at,
            kind,
            path,
            code,
            status,
            accepted,
            refused_key,
            order_id: if accepted && kind == "order" {
                body["result"]["orderId"].as_str().map(str::to_owned)
            } else {
                None
            },
            instant: Some(sent),
        });
        if refused_key {
            return Err(Stop::Refused);
        }
        Ok((code, body))
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::String(text) => text.parse().unwrap_or(0.0),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// A decimal with at most 8 places, without trailing zeros.
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
    use super::*;

    #[test]
    fn decimals_are_plain() {
        assert_eq!(decimal(500.0), "500");
        assert_eq!(decimal(0.000_001_23), "0.00000123");
        assert_eq!(decimal(33_333.333_333_333), "33333.33333333");
    }
}
