//! The simulator's own test bench: a simulator served on 127.0.0.1 port 0, and a client that
//! signs Bybit V5 requests with a helper written here from the Bybit docs, not the product's
//! client, so the simulator's tests pin it to the documented protocol on their own. Shared by
//! `tests.rs`, `reveal_tests.rs`, `scenario_tests.rs`, `book_tests.rs` and `fault_tests.rs`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::HeaderMap;
use secrecy::ExposeSecret;
use serde_json::Value;
use sha2::Sha256;

use super::scenario::Scenario;
use super::{Inspect, Running, Sim};

const SEED: u64 = 42;
pub(super) const BOT_UID: u64 = 1_000_002;

/// The local address the attacker uses in drills.
pub(super) const ATTACKER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

pub(super) struct Env {
    pub(super) sim: Sim,
    pub(super) run: Running,
}

#[derive(Clone)]
pub(super) struct Cred {
    pub(super) key: String,
    pub(super) secret: String,
}

#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: HeaderMap,
    pub(super) body: Value,
}

impl Answer {
    pub(super) fn code(&self) -> i64 {
        self.body["retCode"].as_i64().unwrap_or(-999)
    }

    pub(super) fn result(&self) -> &Value {
        &self.body["result"]
    }
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Bybit V5: hex(HMAC-SHA256(secret, timestamp + key + recv_window + payload)).
pub(super) fn sign(secret: &str, ts: i64, key: &str, recv_window: &str, payload: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}{key}{recv_window}{payload}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub(super) fn client_from(ip: Ipv4Addr) -> reqwest::Client {
    // reqwest with `rustls-no-provider` panics when building any client, plain-HTTP ones
    // included, unless a provider is installed; a second install is a harmless Err.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(ip))
        .build()
        .unwrap()
}

pub(super) async fn env() -> Env {
    env_seeded(SEED).await
}

async fn env_seeded(seed: u64) -> Env {
    env_from(Sim::bybit(seed)).await
}

/// Serves `sim` on 127.0.0.1, port 0.
pub(super) async fn env_from(sim: Sim) -> Env {
    let run = sim
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    Env { sim, run }
}

impl Env {
    #[allow(clippy::disallowed_methods)]
    pub(super) fn cred(&self, key_id: &str) -> Cred {
        let v = self.sim.lock();
        let k = v.keys.iter().find(|k| k.api_key == key_id).unwrap();
        Cred {
            key: key_id.to_owned(),
            secret: k.secret.expose_secret().to_owned(),
        }
    }

    pub(super) fn master(&self) -> Cred {
        let id = self.sim.inspect().master_key().unwrap().id.clone();
        self.cred(&id)
    }

    pub(super) fn bot(&self) -> Cred {
        let id = self.sim.inspect().leaked_key_id().unwrap().to_owned();
        self.cred(&id)
    }

    pub(super) async fn get(&self, path: &str, query: &str, c: &Cred) -> Answer {
        self.call(Ipv4Addr::LOCALHOST, "GET", path, query, Some(c), now_ms())
            .await
    }

    pub(super) async fn post(&self, path: &str, body: &str, c: &Cred) -> Answer {
        self.call(Ipv4Addr::LOCALHOST, "POST", path, body, Some(c), now_ms())
            .await
    }

    /// Sends a request; `payload` is the query (GET) or body (POST), signed as sent.
    pub(super) async fn call(
        &self,
        from: Ipv4Addr,
        method: &str,
        path: &str,
        payload: &str,
        cred: Option<&Cred>,
        ts: i64,
    ) -> Answer {
        let http = client_from(from);
        let mut req = if method == "GET" {
            let url = if payload.is_empty() {
                format!("{}{path}", self.run.base_url)
            } else {
                format!("{}{path}?{payload}", self.run.base_url)
            };
            http.get(url)
        } else {
            http.post(format!("{}{path}", self.run.base_url))
                .header("Content-Type", "application/json")
                .body(payload.to_owned())
        };
        if let Some(c) = cred {
            req = req
                .header("X-BAPI-API-KEY", &c.key)
                .header("X-BAPI-TIMESTAMP", ts.to_string())
                .header("X-BAPI-RECV-WINDOW", "5000")
                .header("X-BAPI-SIGN", sign(&c.secret, ts, &c.key, "5000", payload));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// Serves the sim of the shipped scenario `name`, seeded with its own seed.
pub(super) async fn scenario_env(name: &str) -> (Scenario, Env) {
    let scenario = Scenario::load(name).unwrap();
    let sim = Sim::from_scenario(&scenario, scenario.seed);
    (scenario, env_from(sim).await)
}

impl Env {
    /// Places an order with the leaked bot key; returns the answer.
    pub(super) async fn order(&self, body: Value) -> Answer {
        self.post("/v5/order/create", &body.to_string(), &self.bot())
            .await
    }

    /// Sends an unsigned GET.
    pub(super) async fn public(&self, path: &str, query: &str) -> Answer {
        self.call(Ipv4Addr::LOCALHOST, "GET", path, query, None, 0)
            .await
    }
}

pub(super) fn order_id(a: &Answer) -> String {
    assert_eq!(a.code(), 0, "{:?}", a.body);
    a.result()["orderId"].as_str().unwrap().to_owned()
}

/// Reads a decimal string out of JSON.
pub(super) fn f(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// Reads a decimal string.
pub(super) fn d(s: &str) -> f64 {
    s.parse().unwrap()
}

/// Average fill price and fill count of an order, from `Inspect`.
pub(super) fn fills(view: &Inspect, order_id: &str) -> (f64, usize) {
    let fills = view.fills_of(order_id);
    let qty: f64 = fills.iter().map(|e| d(&e.exec_qty)).sum();
    let value: f64 = fills.iter().map(|e| d(&e.exec_value)).sum();
    (value / qty, fills.len())
}
