//! History reads and mass locks on the Bybit simulator, through the real client (issue 14).
//!
//! 1. 100 k filled orders (100 k orders and 100 k fills) seeded straight into the simulator's
//!    state; `orders` and `fills` read for every segment at once, as a snapshot does, at
//!    simulated latency 0 and 50 ms, each for at most [`READ_BUDGET`]. Figures: the rate the two
//!    history endpoints were read at, as a share of Bybit's per-endpoint limit (50 a second per
//!    UID), and the refusals (`10006`) the simulator gave.
//! 2. 100 keys of one sub-account restricted at once by the master (`update-sub-api`, 5 a second
//!    per UID). Figures: how many were locked, and how long it took.
//!
//! Run with `cargo bench --bench history`. Only 127.0.0.1 is used.

// A benchmark's output is its figures, one line each.
#![allow(clippy::print_stdout)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use lockdown::exchanges::model::{Access, IpWhitelist, Lock, Segment};
use lockdown::exchanges::{Auth, Client, ExchangeId, History, Mode, Op, Reply, Window};
use lockdown::secret::{Credential, KeyId, SecretString};
use lockdown::sim::{Faults, Sim};

/// The longest one history read runs.
const READ_BUDGET: Duration = Duration::from_secs(12);
/// Bybit's limit on `order/history` and `execution/list`, per UID per second.
const HISTORY_LIMIT: f64 = 50.0;
/// Bybit's limit on `user/update-sub-api`, per UID per second.
const LOCK_LIMIT: f64 = 5.0;
const DAY_MS: i64 = 86_400_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for latency in [0, 50] {
            history(latency).await;
        }
        restrict_100().await;
    });
}

/// A seeded Bybit simulator on 127.0.0.1, its session files under `dir`; the master and bot
/// credentials and the base URL.
async fn start(sim: &Sim, dir: &Path) -> (String, Credential, Credential, String) {
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .expect("simulator starts");
    let session = sim
        .write_session(dir, &running.base_url)
        .expect("session files");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .expect("session file")
            .trim()
            .to_owned()
    };
    let master = Credential::new(
        KeyId::new(read("master.key")),
        SecretString::from(read("master.secret")),
    );
    let bot = Credential::new(
        KeyId::new(session.leaked_key.clone()),
        SecretString::from(read("bot.secret")),
    );
    let base = running.base_url.clone();
    // The server runs as long as the process.
    std::mem::forget(running);
    (base, master, bot, session.leaked_key)
}

async fn history(latency_ms: u64) {
    let sim = Sim::new(ExchangeId::Bybit, 11);
    sim.seed_filled_history(100_000, 6 * DAY_MS);
    let dir = tempfile::tempdir().expect("temp dir");
    let (base, _, bot, _) = start(&sim, dir.path()).await;
    sim.set_faults(Faults::none().with_latency(Duration::from_millis(latency_ms)));
    let client = Client::new(ExchangeId::Bybit.venue(), &base, Mode::Live).expect("client");
    let now = client.resync().await.expect("server time");
    let window = Window {
        start_ms: now - 6 * DAY_MS - 60_000,
        end_ms: now,
    };
    let venue = client.venue();
    let segments: Vec<Segment> = venue.segments().to_vec();
    let orders: Vec<Segment> = segments
        .iter()
        .filter(|s| venue.reads_history(s, History::Orders))
        .copied()
        .collect();
    let fills: Vec<Segment> = segments
        .iter()
        .filter(|s| venue.reads_history(s, History::Fills))
        .copied()
        .collect();
    let mark = sim.inspect().access_log.len();
    let started = Instant::now();
    let auth = Auth::Key(&bot);
    let read = async {
        let orders = client.per_segment(
            &orders,
            auth,
            |segment, cursor| Op::Orders {
                segment,
                window,
                cursor,
            },
            Reply::into_orders,
        );
        let fills = client.per_segment(
            &fills,
            auth,
            |segment, cursor| Op::Fills {
                segment,
                window,
                cursor,
            },
            Reply::into_fills,
        );
        let (orders, fills) = tokio::join!(orders, fills);
        (orders.map(|o| o.len()), fills.map(|f| f.len()))
    };
    let outcome = tokio::time::timeout(READ_BUDGET, read).await;
    let elapsed = started.elapsed().as_secs_f64();
    let log = sim.inspect().access_log.split_off(mark);
    let count = |path: &str| log.iter().filter(|e| e.path == path).count();
    let (history, executions) = (count("/v5/order/history"), count("/v5/execution/list"));
    let refusals = log.iter().filter(|e| e.ret_code == Some(10006)).count();
    let admitted = |path: &str| {
        log.iter()
            .filter(|e| e.path == path && e.ret_code != Some(10006))
            .count() as f64
    };
    let pct = |path: &str| 100.0 * admitted(path) / (elapsed * HISTORY_LIMIT);
    let share = (pct("/v5/order/history") + pct("/v5/execution/list")) / 2.0;
    let how = match &outcome {
        Ok((Ok(o), Ok(f))) => format!("read {o} orders and {f} fills"),
        Ok((o, f)) => format!(
            "failed: orders {:?}, fills {:?}",
            o.as_ref().err().map(ToString::to_string),
            f.as_ref().err().map(ToString::to_string)
        ),
        Err(_) => format!("stopped after {}s", READ_BUDGET.as_secs()),
    };
    println!(
        "# latency {latency_ms} ms: {history} order/history and {executions} execution/list requests in {elapsed:.1} s, {how}"
    );
    println!(
        "figure: history_bybit_pct_of_limit_latency{latency_ms} = {share:.0} % (target >= 90 %)"
    );
    println!("figure: history_bybit_refusals_latency{latency_ms} = {refusals} refusals (target 0)");
}

async fn restrict_100() {
    let sim = Sim::new(ExchangeId::Bybit, 12);
    let dir = tempfile::tempdir().expect("temp dir");
    let (base, master, _, leaked) = start(&sim, dir.path()).await;
    let account = sim
        .inspect()
        .key(&leaked)
        .map(|k| k.uid.to_string())
        .expect("the bot's account");
    let keys: Vec<String> = (0..100)
        .map(|n| {
            sim.web_ui_create_key(&leaked, &format!("bot-{n}"), &[])
                .expect("a key")
        })
        .collect();
    let client = Client::new(ExchangeId::Bybit.venue(), &base, Mode::Live).expect("client");
    client.resync().await.expect("server time");
    let mark = sim.inspect().access_log.len();
    let started = Instant::now();
    let locks = keys.iter().map(|key| {
        let op = Op::RestrictKey {
            key: KeyId::new(key.clone()),
            account: Some(account.clone()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).expect("ip"),
                access: Access::Unchanged,
            },
        };
        let client = client.clone();
        let master = master.clone();
        tokio::spawn(async move { client.call(&op, Auth::Key(&master)).await.is_ok() })
    });
    let results = futures_util::future::join_all(locks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let inspect = sim.inspect();
    let locked = keys
        .iter()
        .filter(|k| inspect.key(k).is_some_and(|v| v.ips == ["127.0.0.1"]))
        .count();
    let ok = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let refusals = inspect.access_log[mark..]
        .iter()
        .filter(|e| e.ret_code == Some(10006))
        .count();
    println!(
        "# 100 restrict_key calls: {ok} succeeded, {refusals} refusals, {:.1} s",
        elapsed
    );
    println!("figure: restrict_100_keys_locked = {locked} of 100 (target 100 of 100)");
    println!(
        "figure: restrict_100_keys_seconds = {elapsed:.1} s (target <= {:.0} s)",
        100.0 / LOCK_LIMIT + 1.0
    );
}
