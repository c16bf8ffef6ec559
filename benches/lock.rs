//! How long a response takes to its lock: from `respond::respond` being called with a config
//! (what a process does right after parsing its arguments) to the lock step's acknowledgement,
//! against the in-process simulator with 50 ms added before every answer.
//!
//! "Acknowledged" is the lock step's own output `contained_after_ms` (the run's
//! `Outcome::contained_ms`): the run's clock when the exchange's answer to the locking request
//! was read. Each case runs a few times and reports the median. Only 127.0.0.1 is ever reached.
//!
//! `cargo bench --bench lock`; each figure is one line `figure: <name> = <value> <unit> (target
//! <target>)`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use lockdown::engine::Confirm;
use lockdown::exchanges::{Auth, Client, ExchangeId, Mode, Op, Reply};
use lockdown::respond::{Request, respond};
use lockdown::secret::{Credential, KeyId, SecretString};
use lockdown::sim::{Faults, Sim};
use lockdown::ui::{Ui, Verbosity};

/// Runs per case; the median is reported.
const RUNS: usize = 7;
/// Lines in the large ledger.
const LEDGER_LINES: usize = 1_000_000;
/// Latency the simulator adds before every answer.
const LATENCY: Duration = Duration::from_millis(50);

/// A playbook that locks, then reads what the diff needs and diffs against the ledger: the
/// diff is what reads the ledger, so its checks are in the run whose lock is timed.
fn playbook(exchange: &str) -> String {
    format!(
        r#"version: 1
name: bench-lock
exchange: {exchange}
inputs:
  key: {{ required: true }}
steps:
  - id: lock
    restrict_key:
      key: "{{{{ inputs.key }}}}"
      ip_whitelist: ["{{{{ profile.responder_ip }}}}"]
  - id: open_orders
    snapshot: {{ key: "{{{{ inputs.key }}}}", of: open_orders }}
  - id: diff
    diff_orders: {{ observed: [open_orders] }}
"#
    )
}

/// Appends `lines` valid ledger lines to `ledger`.
fn grow_ledger(ledger: &Path, lines: usize) {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(ledger)
        .unwrap();
    let mut out = std::io::BufWriter::new(file);
    for i in 0..lines {
        writeln!(
            out,
            r#"{{"order_id":"bench-{i}","client_order_id":"bench-c-{i}","symbol":"BTCUSDT","side":"buy","qty":"0.001","price":"50000"}}"#
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// How the session's profile is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// As the simulator wrote it.
    AsWritten,
    /// With the leaked key's `listed:` (what Deribit's key listing shows of it).
    Listed,
}

/// The leaked key's `listed:` line: its number and scope as `private/list_api_keys` shows them.
async fn listed_line(sim: &Sim, base_url: &str, dir: &Path, leaked: &str) -> String {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let master = Credential::new(
        KeyId::new(read("master.key").trim()),
        SecretString::from(read("master.secret").trim().to_owned()),
    );
    let config = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    let account = config
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("account:"))
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_owned();
    let client = Client::new(ExchangeId::Deribit.venue(), base_url, Mode::Live).unwrap();
    let keys = client
        .all_pages(
            |cursor| Op::SubKeys {
                account: account.clone(),
                cursor,
            },
            Auth::Key(&master),
            Reply::into_keys,
        )
        .await
        .unwrap();
    let scope = keys
        .iter()
        .find(|k| k.key.as_str() == leaked)
        .unwrap()
        .permissions
        .join(" ");
    let number = sim.inspect().key(leaked).unwrap().internal_id.clone();
    format!("listed: {{ id: {number}, max_scope: \"{scope}\" }}")
}

/// The median lock time (ms) of `RUNS` responses to the leaked key on a fresh simulator of
/// `venue`, its ledger grown by `extra` lines.
async fn lock_ms(venue: ExchangeId, seed: u64, extra: usize, profile: Profile) -> f64 {
    let sim = Sim::new(venue, seed);
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let session = sim
        .write_session(&dir.path().join("sim"), &running.base_url)
        .unwrap();
    if profile == Profile::Listed {
        let line = listed_line(
            &sim,
            &running.base_url,
            &dir.path().join("sim"),
            &session.leaked_key,
        )
        .await;
        let config = std::fs::read_to_string(&session.config).unwrap();
        let with = format!("secret: file:bot.secret\n        {line}");
        std::fs::write(
            &session.config,
            config.replacen("secret: file:bot.secret", &with, 1),
        )
        .unwrap();
    }
    if extra > 0 {
        grow_ledger(&session.known_orders, extra);
    }
    let playbook_path = dir.path().join("bench-lock.yaml");
    std::fs::write(&playbook_path, playbook(venue.as_str())).unwrap();
    sim.set_faults(Faults::none().with_latency(LATENCY));
    let ui = Ui::new(Verbosity::Quiet, true);
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let request = Request {
            config: session.config.clone(),
            profile: Some("sim".into()),
            playbook: Some(playbook_path.clone()),
            key: KeyId::new(session.leaked_key.clone()),
            inputs: BTreeMap::new(),
            confirm: Confirm::Yes,
            mode: Mode::Live,
            otp: None,
            operator: None,
            incident: None,
            rehearsal: None,
            cause: None,
        };
        let outcome = respond(request, &ui).await.unwrap();
        let ms = outcome
            .contained_ms
            .unwrap_or_else(|| panic!("{venue}: the lock was not acknowledged: {outcome:?}"));
        times.push(ms as f64);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn figure(name: &str, value: f64, unit: &str, target: &str) {
    println!("figure: {name} = {value:.1} {unit} (target {target})");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bybit = lock_ms(ExchangeId::Bybit, 1, 0, Profile::AsWritten).await;
        figure("lock_ms_bybit_latency50", bybit, "ms", "<= 53");
        let large = lock_ms(ExchangeId::Bybit, 2, LEDGER_LINES, Profile::AsWritten).await;
        figure("lock_ms_bybit_1m_ledger_latency50", large, "ms", "<= 53");
        figure("lock_ms_1m_ledger_minus_empty", large - bybit, "ms", "<= 2");
        // A sub-account key (the simulator's): the master logs in and switches to the
        // sub-account before any key of it can be changed (docs/venues/deribit.md §4).
        let deribit = lock_ms(ExchangeId::Deribit, 3, 0, Profile::AsWritten).await;
        figure("lock_ms_deribit_latency50", deribit, "ms", "<= 105");
        let listed = lock_ms(ExchangeId::Deribit, 4, 0, Profile::Listed).await;
        figure("lock_ms_deribit_listed_latency50", listed, "ms", "<= 105");
    });
}
