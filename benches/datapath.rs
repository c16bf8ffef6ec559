//! The data path's figures: the diff over a million orders, a scenario with 100 k bot orders,
//! and a whole response with a million-line ledger (issue 14, parts 4 and 5).
//!
//! Each case runs in a child process of this binary (`LOCKDOWN_BENCH_CASE=<case>`), so its peak
//! resident memory (`VmHWM`) is its own; the data is written beforehand by the parent. The diff
//! goes through the real `diff_orders` action: a run resumed with a snapshot step marked done
//! whose files are on disk, and a ledger file. Everything talks to 127.0.0.1 only.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lockdown::actions::{JournalHandle, Outputs, RunInfo};
use lockdown::engine::{Confirm, Prior, Run, Start};
use lockdown::exchanges::model::{Amount, Category, Fill, Order, OrderStatus, Side};
use lockdown::exchanges::{Client, ExchangeId, Mode};
use lockdown::journal::Journal;
use lockdown::sim::Sim;
use lockdown::sim::scenario::Scenario;
use lockdown::ui::{Ui, Verbosity};
use serde_json::json;

const CASE: &str = "LOCKDOWN_BENCH_CASE";
const DIR: &str = "LOCKDOWN_BENCH_DIR";
/// A child that takes longer than this is stopped and reported as such.
const CHILD_LIMIT: Duration = Duration::from_secs(120);
const NOW_MS: i64 = 1_780_000_000_000;

fn main() {
    if let Ok(case) = std::env::var(CASE) {
        let dir = PathBuf::from(std::env::var(DIR).unwrap());
        child(&case, &dir);
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    let tmp = tempfile::tempdir().unwrap();
    println!("(machine shared with other builds: figures are indicative)");
    for (n, name) in [(1_000_000, "diff_1m_x_1m"), (100_000, "diff_100k")] {
        if !wanted(name) {
            continue;
        }
        let dir = tmp.path().join(name);
        write_diff_case(&dir, n);
        match measure("diff", &dir) {
            Some((seconds, peak_mb)) => {
                let target = if n == 1_000_000 { "< 1" } else { "-" };
                println!("figure: {name}_seconds = {seconds:.3} s (target {target})");
                let target = if n == 1_000_000 { "< 300" } else { "-" };
                println!("figure: {name}_peak_mb = {peak_mb:.0} MB (target {target})");
            }
            None => println!("figure: {name}_seconds = failed (see above)"),
        }
    }
    if wanted("scenario_100k") {
        let dir = tmp.path().join("scenario");
        write_scenario(&dir, 100_000);
        match measure("scenario", &dir) {
            Some((seconds, peak_mb)) => {
                println!("figure: scenario_100k_load_seconds = {seconds:.3} s (target < 2)");
                println!("figure: scenario_100k_load_peak_mb = {peak_mb:.0} MB (target -)");
            }
            None => println!("figure: scenario_100k_load_seconds = failed (see above)"),
        }
    }
    if wanted("run_1m_ledger") {
        run_case(tmp.path());
    }
}

/// A whole response on the Bybit simulator (served by this process) with a 1 M-line ledger
/// whose orders are all in the history window and none at the exchange (all missing).
fn run_case(tmp: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tmp.join("run");
    let (_running, session) = runtime.block_on(async {
        let sim = Sim::new(ExchangeId::Bybit, 7);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .unwrap();
        let session = sim.write_session(&dir, &running.base_url).unwrap();
        (running, session)
    });
    {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&session.known_orders)
            .unwrap();
        let mut out = BufWriter::new(file);
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        for i in 0..1_000_000i64 {
            let at = lockdown::clock::rfc3339_ms(now - 3_600_000 - i);
            writeln!(
                out,
                r#"{{"order_id":"L{i:09}","client_order_id":"grid-l{i}","symbol":"BTCUSDT","side":"buy","qty":"0.001","price":"60000","created_at":"{at}"}}"#
            )
            .unwrap();
        }
        out.flush().unwrap();
    }
    std::fs::write(dir.join("bench-key"), &session.leaked_key).unwrap();
    let measured = std::thread::scope(|_| measure("run", &dir));
    match measured {
        Some((seconds, peak_mb)) => {
            println!("figure: run_1m_ledger_seconds = {seconds:.3} s (target -)");
            println!("figure: run_1m_ledger_peak_mb = {peak_mb:.0} MB (target -)");
        }
        None => println!("figure: run_1m_ledger_seconds = failed (see above)"),
    }
    drop(runtime);
}

/// Runs `case` in a child process: its seconds and peak MB, or `None` (said on stderr); its
/// CPU seconds are printed as a note.
fn measure(case: &str, dir: &Path) -> Option<(f64, f64)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CASE, case)
        .env(DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            eprintln!("case `{case}` took longer than {CHILD_LIMIT:?}: stopped");
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    match (field("seconds="), field("peak_kb=")) {
        (Some(s), Some(kb)) => {
            if let Some(cpu) = field("cpu=") {
                println!(
                    "note: case `{case}` used {cpu:.2} s of CPU in all (its process, setup included)"
                );
            }
            Some((s, kb / 1024.0))
        }
        _ => {
            eprintln!("case `{case}` failed: {text}");
            None
        }
    }
}

fn child(case: &str, dir: &Path) {
    let seconds = match case {
        "diff" => diff_child(dir),
        "scenario" => scenario_child(dir),
        "run" => run_child(dir),
        other => panic!("unknown case {other}"),
    };
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().to_owned())
        .unwrap();
    // CPU time (user + system) of the whole child, in clock ticks (100 a second on Linux): on
    // a loaded machine the wall time says more about the neighbours than about the code.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    println!("seconds={seconds}");
    println!("peak_kb={peak_kb}");
    println!("cpu={}", ticks / 100.0);
}

fn order(i: usize, cid: Option<String>, qty: &str) -> Order {
    Order {
        order_id: format!("{i:012}"),
        client_order_id: cid,
        category: Category::Spot,
        symbol: if i.is_multiple_of(3) {
            "ETHUSDT"
        } else {
            "BTCUSDT"
        }
        .into(),
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type: "limit".into(),
        qty: Amount::new(qty),
        price: Some(Amount::new("60000.5")),
        filled_qty: Amount::new("0"),
        avg_price: None,
        status: OrderStatus::Filled,
        created_ms: NOW_MS - 86_400_000 + i as i64,
        updated_ms: NOW_MS - 86_400_000 + i as i64 + 5,
    }
}

/// `n` observed orders (history) and `n` ledger lines: most match by order id, some by client
/// id, 0.5 % are unauthorized (not in the ledger), 0.5 % of the ledger is missing, 0.1 %
/// tampered (another qty than the ledger's); `n / 10` fills.
fn write_diff_case(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("run").join("snapshots")).unwrap();
    let snaps = dir.join("run").join("snapshots");
    let mut orders =
        BufWriter::new(std::fs::File::create(snaps.join("history-orders.jsonl")).unwrap());
    let mut fills =
        BufWriter::new(std::fs::File::create(snaps.join("history-fills.jsonl")).unwrap());
    let mut ledger = BufWriter::new(std::fs::File::create(dir.join("ledger.jsonl")).unwrap());
    for i in 0..n {
        let cid = Some(format!("grid-{i}"));
        let unauthorized = i % 200 == 7;
        let tampered = i % 1000 == 3;
        let o = order(
            i,
            if unauthorized {
                Some(format!("x-{i}"))
            } else {
                cid
            },
            "0.01",
        );
        writeln!(orders, "{}", serde_json::to_string(&o).unwrap()).unwrap();
        if i.is_multiple_of(10) {
            let fill = Fill {
                fill_id: format!("F{i}"),
                order_id: o.order_id.clone(),
                client_order_id: o.client_order_id.clone(),
                category: Category::Spot,
                symbol: o.symbol.clone(),
                side: o.side,
                qty: Amount::new("0.01"),
                price: Amount::new("60000.5"),
                fee: Amount::new("0.01"),
                time_ms: o.created_ms,
            };
            writeln!(fills, "{}", serde_json::to_string(&fill).unwrap()).unwrap();
        }
        if unauthorized {
            // In the ledger instead: an order the exchange does not show.
            let at = lockdown::clock::rfc3339_ms(o.created_ms);
            writeln!(
                ledger,
                r#"{{"order_id":"M{i}","symbol":"BTCUSDT","side":"buy","qty":"1","created_at":"{at}"}}"#
            )
            .unwrap();
            continue;
        }
        let at = lockdown::clock::rfc3339_ms(o.created_ms);
        let qty = if tampered { "0.02" } else { "0.010" };
        let side = o.side;
        let id = if i % 50 == 1 {
            String::new()
        } else {
            format!(r#""order_id":"{}","#, o.order_id)
        };
        writeln!(
            ledger,
            r#"{{{id}"client_order_id":"grid-{i}","symbol":"{}","side":"{side}","qty":"{qty}","price":"60000.50","created_at":"{at}"}}"#,
            o.symbol
        )
        .unwrap();
    }
    orders.flush().unwrap();
    fills.flush().unwrap();
    ledger.flush().unwrap();
    let playbook = format!(
        r#"version: 1
name: bench-diff
exchange: bybit
inputs:
  key:
    required: true
steps:
  - id: history
    snapshot:
      key: "{{{{ inputs.key }}}}"
      of: [orders, fills]
  - id: diff
    diff_orders:
      observed: history
      known: "{}"
"#,
        dir.join("ledger.jsonl").display()
    );
    std::fs::write(dir.join("playbook.yaml"), playbook).unwrap();
    std::fs::write(dir.join("n"), n.to_string()).unwrap();
}

/// The diff as a resumed run whose snapshot step is done: returns the diff step's seconds.
fn diff_child(dir: &Path) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sim = Sim::new(ExchangeId::Bybit, 1);
        let session = sim
            .write_session(&dir.join("sim"), "http://127.0.0.1:9")
            .unwrap();
        let profile = lockdown::config::load_profile(&session.config, Some("sim")).unwrap();
        let playbook = lockdown::playbook::load(&dir.join("playbook.yaml")).unwrap();
        let client = Client::new(ExchangeId::Bybit.venue(), "http://127.0.0.1:9", Mode::Live).unwrap();
        let run_dir = dir.join("run");
        let journal = Journal::create_unkeyed(&run_dir.join(format!(
            "journal-{}.jsonl",
            std::process::id()
        )))
        .unwrap();
        let ui = Ui::new(Verbosity::Quiet, true);
        let mut inputs = BTreeMap::new();
        inputs.insert("key".to_owned(), session.leaked_key.clone());
        let mut history = Outputs::new();
        history.insert(
            "files".into(),
            json!({"orders": "snapshots/history-orders.jsonl", "fills": "snapshots/history-fills.jsonl"}),
        );
        history.insert("since_ms".into(), json!(NOW_MS - 7 * 86_400_000));
        history.insert("until_ms".into(), json!(NOW_MS));
        let mut done = BTreeMap::new();
        done.insert("history".to_owned(), history);
        let run = Run {
            playbook: &playbook,
            profile: &profile,
            client: &client,
            info: RunInfo {
                id: "bench".into(),
                dir: run_dir,
                started_at: lockdown::clock::now_rfc3339(),
                playbook: playbook.name.clone(),
                started: Instant::now(),
                incident_started_at: None,
                shared_reads: None,
            },
            journal: JournalHandle::new(journal),
            inputs,
            confirm: Confirm::Yes,
            operator: None,
            otp: None,
            gate: None,
            ui: &ui,
        };
        let outcome = run
            .execute(Start::Resumed {
                prior: Prior {
                    timing: Default::default(),
                    done,
                    unfinished: Vec::new(),
                },
                torn_line: None,
            })
            .await;
        let diff = outcome.steps.iter().find(|s| s.id == "diff").unwrap();
        assert_eq!(
            diff.status,
            lockdown::engine::StepStatus::Ok,
            "{:?}",
            diff.error
        );
        let n: usize = std::fs::read_to_string(dir.join("n")).unwrap().parse().unwrap();
        assert_eq!(outcome.unauthorized_orders(), Some(n / 200), "unauthorized");
        diff.duration_ms as f64 / 1000.0
    })
}

/// A scenario file with `n` bot orders.
fn write_scenario(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from(
        "name: bench-100k\nseed: 1\ndetection_delay: 200ms\nmarkets:\n  - { base: BTC, quote: USDT, price: \"65000\", book: deep }\n  - { base: ETH, quote: USDT, price: \"3200\", book: deep }\nbalances:\n  USDT: \"20000000\"\n  BTC: \"2000\"\n  ETH: \"20000\"\nbot:\n  client_prefix: grid-\n  orders:\n",
    );
    for i in 0..n {
        let (symbol, price) = if i.is_multiple_of(2) {
            ("BTCUSDT", 60_000 + i % 1000)
        } else {
            ("ETHUSDT", 3_000 + i % 100)
        };
        let side = if i % 4 < 2 { "buy" } else { "sell" };
        let status = ["open", "filled", "cancelled"][i % 3];
        let _ = writeln!(
            text,
            "    - {{ symbol: {symbol}, side: {side}, type: limit, qty: \"0.001\", price: \"{price}\", status: {status}, age: {}m }}",
            1 + i % 600
        );
    }
    text.push_str("attacker:\n  pattern: none\n");
    std::fs::write(dir.join("scenario.yaml"), text).unwrap();
}

/// Loads the scenario and seeds a simulator from it: the seconds it took.
fn scenario_child(dir: &Path) -> f64 {
    let path = dir.join("scenario.yaml").display().to_string();
    let started = Instant::now();
    let scenario = match Scenario::load(&path) {
        Ok(s) => s,
        Err(err) => {
            println!("error: {err}");
            std::process::exit(1);
        }
    };
    let sim = Sim::from_scenario_on(ExchangeId::Bybit, &scenario, 1);
    let seconds = started.elapsed().as_secs_f64();
    assert!(sim.inspect().orders.len() >= scenario.bot.orders.len());
    seconds
}

/// `respond` with the session's config (ledger of 1 M lines): the whole run's seconds.
fn run_child(dir: &Path) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = std::fs::read_to_string(dir.join("bench-key")).unwrap();
    let ui = Ui::new(Verbosity::Quiet, true);
    let started = Instant::now();
    let outcome = runtime
        .block_on(lockdown::respond::respond(
            lockdown::respond::Request {
                config: dir.join("config.yaml"),
                profile: Some("sim".into()),
                playbook: None,
                key: lockdown::secret::KeyId::new(key),
                inputs: BTreeMap::new(),
                confirm: Confirm::Yes,
                mode: Mode::Live,
                otp: None,
                operator: None,
                incident: None,
                rehearsal: None,
                cause: None,
            },
            &ui,
        ))
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(outcome.contained, "the run contained the key");
    seconds
}
