//! Benchmark: the memory `lockdown watch` needs for 50 watched keys (issue 23's target: under
//! 50 MB). Talks only to a simulator on 127.0.0.1.
//!
//! The watcher's process must hold the watcher alone, so the simulator runs in a child process
//! (this same binary, `WATCH_MEMORY_ROLE=sim`): it seeds one Bybit account with `keys` leaked
//! keys (each a sub-account key whose secret the session's profile holds, so each is watched
//! with its own credential), writes the session files and serves until its stdin closes. The
//! watcher (`WATCH_MEMORY_ROLE=watch`, also a process of its own per mode) runs
//! `lockdown::watch::run` over every key of the profile for a bounded time and prints its peak
//! RSS (`VmHWM` of /proc/self/status), its RSS before the watcher started, once every key had
//! made its first look, and at the end (the growth while watching is end − armed), the looks,
//! reads and signals, and the end's RSS split into anonymous pages (the heap: what watching
//! costs) and file pages (the binary's code, larger in a debug build). Modes: `poll` (REST polling; `streams: false`), and `stream` when the
//! venue has a private stream in this build (the poller fills its gaps).
//!
//! Knobs: `WATCH_MEMORY_KEYS` (default 50), `WATCH_MEMORY_SECS` (how long to watch, default 20),
//! `WATCH_MEMORY_INTERVAL_MS` (default 2000), `WATCH_MEMORY_MODES` (`poll,stream`).
//! Linux only (it reads /proc).

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lockdown::engine::Confirm;
use lockdown::exchanges::ExchangeId;
use lockdown::sim::Sim;
use lockdown::sim::scenario::Scenario;
use lockdown::ui::{Ui, Verbosity};
use lockdown::watch::{Options, Report, Settings};

const VENUE: ExchangeId = ExchangeId::Bybit;

/// The account: `keys` leaked keys, the owner's bot with a few resting orders (in the ledger),
/// no attacker: the watcher should only look.
fn scenario(keys: u32) -> String {
    format!(
        "
name: bench-watch-memory
seed: 11
detection_delay: 0s
keys: {keys}
markets:
  - {{ base: BTC, quote: USDT, price: \"65000\" }}
  - {{ base: ETH, quote: USDT, price: \"3000\" }}
balances: {{ USDT: \"10000\" }}
bot:
  client_prefix: bot-
  orders:
    - {{ symbol: BTCUSDT, side: buy, type: limit, qty: \"0.01\", price: \"60000\", status: open, age: 2h }}
    - {{ symbol: ETHUSDT, side: sell, type: limit, qty: \"0.5\", price: \"3300\", status: open, age: 1h }}
    - {{ symbol: ETHUSDT, side: buy, type: limit, qty: \"0.5\", price: \"2900\", status: filled, age: 30m }}
attacker: {{ pattern: none }}
"
    )
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of /proc/<pid>/status in kB (`VmRSS`, `VmHWM`).
fn status_kb(pid: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

#[allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
fn main() {
    match std::env::var("WATCH_MEMORY_ROLE").as_deref() {
        Ok("sim") => sim_role(),
        Ok("watch") => watch_role(),
        _ => {
            let stream_here = VENUE.venue().private_stream().is_some();
            let modes =
                std::env::var("WATCH_MEMORY_MODES").unwrap_or_else(|_| "poll,stream".into());
            for mode in modes.split(',').map(str::trim) {
                if mode == "stream" && !stream_here {
                    println!(
                        "watch_memory: mode stream: {VENUE} has no private stream in this build; skipped"
                    );
                    continue;
                }
                // Each mode in a process of its own: one mode's peak is not the next one's.
                let status = Command::new(std::env::current_exe().expect("own path"))
                    .env("WATCH_MEMORY_ROLE", "watch")
                    .env("WATCH_MEMORY_MODE", mode)
                    .status()
                    .expect("the watcher's process starts");
                assert!(status.success(), "mode {mode}: {status}");
            }
        }
    }
}

/// The simulator's process: seeds, writes the session under `WATCH_MEMORY_DIR`, prints its
/// base URL, and serves until its stdin closes (the watcher's process ended, however).
#[allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
fn sim_role() {
    let keys: u32 = env_or("WATCH_MEMORY_KEYS", 50);
    let dir = PathBuf::from(std::env::var("WATCH_MEMORY_DIR").expect("WATCH_MEMORY_DIR"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let scenario = Scenario::parse("bench-watch-memory", &scenario(keys)).expect("scenario");
        let sim = Sim::from_scenario_on(VENUE, &scenario, 11);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .expect("simulator");
        sim.write_session(&dir, &running.base_url).expect("session");
        println!("{}", running.base_url);
        std::io::stdout().flush().unwrap();
        // Blocks until the parent closes the pipe (or dies).
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        })
        .await
        .unwrap();
        drop(running);
    });
}

/// The watcher's process: starts the simulator's, watches every key, prints the figures.
#[allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
fn watch_role() {
    let keys: u32 = env_or("WATCH_MEMORY_KEYS", 50);
    let secs: u64 = env_or("WATCH_MEMORY_SECS", 20);
    let interval = Duration::from_millis(env_or("WATCH_MEMORY_INTERVAL_MS", 2000));
    let mode = std::env::var("WATCH_MEMORY_MODE").unwrap_or_else(|_| "poll".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("sim");
    let mut sim = Command::new(std::env::current_exe().expect("own path"))
        .env("WATCH_MEMORY_ROLE", "sim")
        .env("WATCH_MEMORY_DIR", &session)
        .env("WATCH_MEMORY_KEYS", keys.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the simulator's process starts");
    let mut line = String::new();
    BufReader::new(sim.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("the simulator says where it listens");
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    let sim_pid = sim.id().to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let figures = runtime.block_on(watch(&session.join("config.yaml"), &mode, interval, secs));
    let sim_rss = status_kb(&sim_pid, "VmHWM");
    drop(sim.stdin.take());
    let _ = sim.wait();

    let Figures {
        before,
        armed,
        armed_after,
        end,
        peak,
        anon,
        file,
        summary,
    } = figures;
    let watched = summary.keys.len();
    println!(
        "watch_memory: mode {mode}, {watched} of {keys} keys watched, interval {} ms, {secs} s",
        interval.as_millis()
    );
    println!(
        "  RSS before the watcher {} · all keys armed {} (after {} ms) · at the end {} · peak (VmHWM) {}",
        mb(before),
        armed.map_or_else(|| "never".to_owned(), mb),
        armed_after.map_or(0, |d| d.as_millis()),
        mb(end),
        mb(peak)
    );
    println!(
        "  at the end: anonymous (heap, stacks) {} · the binary's mapped pages {}",
        mb(anon),
        mb(file)
    );
    println!(
        "  growth while watching (end − armed): {}",
        armed.map_or_else(
            || "n/a".to_owned(),
            |a| format!("{:+.1} MB", (end as f64 - a as f64) / 1024.0)
        )
    );
    println!(
        "  looks {} ({:.2} a key a second; the interval asks {:.2}) · failed {} · reads {} ({:.0}/s) · signals {}",
        summary.looks,
        summary.looks as f64 / watched.max(1) as f64 / secs as f64,
        1.0 / interval.as_secs_f64(),
        summary.failed_looks,
        summary.reads,
        summary.reads as f64 / secs as f64,
        summary.signals.len()
    );
    println!(
        "  the simulator's own peak (another process, for scale): {}",
        sim_rss.map_or_else(|| "not read".to_owned(), mb)
    );
}

struct Figures {
    before: u64,
    armed: Option<u64>,
    armed_after: Option<Duration>,
    end: u64,
    peak: u64,
    /// At the end: heap and other anonymous pages, and the binary's own mapped pages.
    anon: u64,
    file: u64,
    summary: lockdown::watch::Summary,
}

async fn watch(config: &Path, mode: &str, interval: Duration, secs: u64) -> Figures {
    let profile = lockdown::config::load_profile(config, Some("sim")).expect("profile");
    let options = Options {
        config: config.to_owned(),
        profile,
        settings: Settings {
            interval,
            streams: mode == "stream",
            ..Settings::default()
        },
        confirm: Confirm::Yes,
    };
    let keys = options
        .profile
        .keys
        .iter()
        .filter(|k| k.credential.is_some())
        .count();
    let ui = Ui::new(Verbosity::Quiet, true);
    let before = status_kb("self", "VmRSS").unwrap_or(0);
    let (reports_tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let watcher = lockdown::watch::run(&options, Some(reports_tx), stop, &ui);
    let timer = async {
        let mut armed_keys = 0;
        let mut armed = None;
        let deadline = tokio::time::sleep(Duration::from_secs(secs));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                report = reports.recv() => match report {
                    Some(Report::Armed) => {
                        armed_keys += 1;
                        if armed_keys == keys {
                            armed = Some((status_kb("self", "VmRSS").unwrap_or(0), started.elapsed()));
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
                () = &mut deadline => break,
            }
        }
        let end = status_kb("self", "VmRSS").unwrap_or(0);
        let _ = stop_tx.send(true);
        (armed, end)
    };
    let (summary, (armed, end)) = tokio::join!(watcher, timer);
    let summary = summary.expect("the watcher ran");
    Figures {
        before,
        armed: armed.map(|a| a.0),
        armed_after: armed.map(|a| a.1),
        end,
        peak: status_kb("self", "VmHWM").unwrap_or(0),
        anon: status_kb("self", "RssAnon").unwrap_or(0),
        file: status_kb("self", "RssFile").unwrap_or(0),
        summary,
    }
}
