//! `lockdown sim`: the exchange simulator in the foreground, for manual drills and try-outs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exchanges::ExchangeId;
use crate::exit::Exit;
use crate::sim::{Faults, Sim};
use crate::ui::{Format, Ui};

/// The longest `--latency`: a minute. A simulator that answers later is no simulator.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Which exchange to simulate
    #[arg(long, default_value = "bybit", value_parser = ExchangeId::from_arg)]
    venue: ExchangeId,
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Folder for the session files: config.yaml, credentials, leaked-key, known-orders.jsonl
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Seed for keys, ids and the incident (default: random)
    #[arg(long)]
    seed: Option<u64>,
    /// Delay every answer by this many milliseconds (at most a minute)
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=MAX_LATENCY_MS))]
    latency: u64,
    /// Seeded faults, e.g. `429=0.2,5xx=0.1,reset=0.05,skew=30s,short=0.3`
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    faults: Option<Faults>,
}

/// Parses `--faults` (errors name the bad item).
pub fn parse_faults(text: &str) -> Result<Faults, String> {
    Faults::parse(text)
}

/// Runs `sim` until SIGINT or SIGTERM.
pub async fn run(args: SimArgs, ui: &Ui) -> Result<Exit, Error> {
    let seed = args.seed.unwrap_or_else(|| {
        use rand::{Rng, SeedableRng};
        rand::rngs::StdRng::from_os_rng().random()
    });
    let sim = Sim::new(args.venue, seed);
    let faults = args
        .faults
        .unwrap_or_else(Faults::none)
        .with_latency(std::time::Duration::from_millis(args.latency));
    if !faults.is_none() {
        sim.set_faults(faults);
    }
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port);
    let running = sim.serve(addr).await.map_err(|source| Error::Io {
        what: "listen on",
        path: PathBuf::from(addr.to_string()),
        source,
    })?;
    let session = sim
        .write_session(&args.out, &running.base_url)
        .map_err(|source| Error::Io {
            what: "write the session files in",
            path: args.out.clone(),
            source,
        })?;
    if ui.format() == Format::Json {
        ui.json(&json!({
            "base_url": running.base_url,
            "config": session.config.display().to_string(),
            "leaked_key_file": args.out.join("leaked-key").display().to_string(),
            "known_orders": session.known_orders.display().to_string(),
            "seed": seed,
        }));
    } else {
        ui.data(&running.base_url);
    }
    ui.info(&format!(
        "simulated {} at {} (seed {seed})\n  config:     {}\n  leaked key: {}\n  try: lockdown respond --config {} --profile sim --key \"$(cat {})\" --yes\n  stop with Ctrl-C",
        args.venue,
        running.base_url,
        session.config.display(),
        args.out.join("leaked-key").display(),
        session.config.display(),
        args.out.join("leaked-key").display(),
    ));
    wait_for_signal().await;
    running.shutdown().await;
    ui.info("simulator stopped");
    Ok(Exit::Ok)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
