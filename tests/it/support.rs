//! Shared helpers: an in-process simulator (of any venue) with its session files, the `lockdown`
//! binary, and a raw Bybit client for playing the attacker.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use lockdown::sim::{Running, Session, Sim};

/// A simulator serving on 127.0.0.1 with its session files in a temporary folder.
pub struct Lab {
    pub sim: Sim,
    pub running: Running,
    pub session: Session,
    pub dir: tempfile::TempDir,
}

impl Lab {
    /// Starts a seeded Bybit simulator and writes its session files.
    pub async fn start(seed: u64) -> Lab {
        Lab::start_on(lockdown::exchanges::ExchangeId::Bybit, seed).await
    }

    /// Starts a seeded simulator of `venue` and writes its session files.
    pub async fn start_on(venue: lockdown::exchanges::ExchangeId, seed: u64) -> Lab {
        let sim = Sim::new(venue, seed);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .expect("simulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let session = sim
            .write_session(&dir.path().join("sim"), &running.base_url)
            .expect("session files");
        Lab {
            sim,
            running,
            session,
            dir,
        }
    }

    /// The session folder.
    pub fn sim_dir(&self) -> PathBuf {
        self.dir.path().join("sim")
    }

    /// The leaked key's id.
    pub fn leaked(&self) -> String {
        self.session.leaked_key.clone()
    }

    /// Runs `lockdown respond` against this lab with extra arguments.
    pub async fn respond(&self, extra: &[&str]) -> Output {
        let config = self.session.config.display().to_string();
        let key = self.leaked();
        let mut args = vec![
            "respond",
            "--config",
            &config,
            "--profile",
            "sim",
            "--key",
            &key,
        ];
        args.extend_from_slice(extra);
        lockdown(&args, &[]).await
    }

    /// Every run folder this lab's state dir holds.
    pub fn run_dirs(&self) -> Vec<PathBuf> {
        let runs = self.sim_dir().join("state").join("runs");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&runs)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        dirs.sort();
        dirs
    }
}

/// Runs the `lockdown` binary with no terminal attached, bounded in time.
pub async fn lockdown(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || run_blocking(&args, &env))
        .await
        .expect("the binary ran")
}

/// The same, from synchronous code.
pub fn run_blocking(args: &[String], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockdown"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG");
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("lockdown starts");
    wait_bounded(child, Duration::from_secs(60))
}

/// Waits for a child, killing it after `limit`.
pub fn wait_bounded(child: std::process::Child, limit: Duration) -> Output {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.expect("child output"),
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(id.to_string())
                .status();
            panic!("lockdown did not finish within {limit:?}");
        }
    }
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The exit code.
pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Reads a secret file the simulator wrote.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .expect("file readable")
        .trim()
        .to_owned()
}

/// A signed Bybit V5 request from a chosen local address, as an outside client (the attacker)
/// would send it. Returns the envelope's `retCode`.
pub async fn bybit_call(
    base_url: &str,
    from: IpAddr,
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    payload: &str,
) -> i64 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let ts = chrono::Utc::now().timestamp_millis();
    let prehash = lockdown::exchanges::bybit::prehash(ts, key, 5000, payload);
    let sign = lockdown::exchanges::bybit::sign_prehash(
        &lockdown::secret::SecretString::from(secret.to_owned()),
        &prehash,
    );
    let url = if method == "GET" && !payload.is_empty() {
        format!("{base_url}{path}?{payload}")
    } else {
        format!("{base_url}{path}")
    };
    let mut request = if method == "GET" {
        client.get(url)
    } else {
        client
            .post(url)
            .header("Content-Type", "application/json")
            .body(payload.to_owned())
    };
    request = request
        .header("X-BAPI-API-KEY", key)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-RECV-WINDOW", "5000")
        .header("X-BAPI-SIGN", sign);
    let response = request.send().await.expect("simulator answers");
    let bytes = response.bytes().await.expect("body");
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    body["retCode"].as_i64().unwrap_or(-999)
}

/// 127.0.0.2: where the attacker sits.
pub fn attacker_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
}

/// 127.0.0.1: where the responder sits.
pub fn responder_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// Every file under `dir`, recursively (what a secret must never be found in).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The status of step `id` in a `respond --json` or `resume --json` summary.
pub fn step_status(summary: &serde_json::Value, id: &str) -> String {
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}: {summary:#}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `lockdown drill --venue VENUE --scenario SCENARIO` in a fresh state folder and checks
/// what every passing drill shows: contained, the key revoked, no open order left, an IP-bound
/// replacement that cannot withdraw, detection without misses or false alarms. The folder lives
/// as long as the result.
pub async fn drill_passes(venue: &str, scenario: &str) -> (tempfile::TempDir, serde_json::Value) {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let args = [
        "drill",
        "--venue",
        venue,
        "--scenario",
        scenario,
        "--json",
        "--state-dir",
        &dir,
    ];
    let output = lockdown(&args, &[]).await;
    let card: serde_json::Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    assert_eq!(
        code(&output),
        0,
        "{venue} {scenario}: {card:#}\n{}",
        stderr(&output)
    );
    assert_eq!(card["venue"], venue);
    assert_eq!(card["passed"], true);
    assert_eq!(card["contained"], true);
    assert_eq!(card["key_revoked"], true);
    assert_eq!(card["open_orders_left"], 0);
    assert_eq!(card["replacement"]["withdraw"], false);
    assert_eq!(card["replacement"]["ip_bound"], true);
    assert_eq!(card["detection"]["false_positives"], 0);
    assert_eq!(card["detection"]["missed"], 0);
    (state, card)
}

/// The drill's attacker record (`attacker.json` in the drill folder).
pub fn attacker_record(card: &serde_json::Value) -> serde_json::Value {
    let dir = Path::new(card["drill_dir"].as_str().unwrap());
    serde_json::from_str(&std::fs::read_to_string(dir.join("attacker.json")).unwrap()).unwrap()
}

/// Checks that the exchange's own checks shut the drill's attacker out (it was not told to
/// stop) and returns the code of the last refusal.
pub fn refusal_code(card: &serde_json::Value) -> String {
    let record = attacker_record(card);
    let last = record["attempts"]
        .as_array()
        .unwrap()
        .last()
        .expect("the attacker sent requests")
        .clone();
    assert_eq!(last["refused_key"], true, "{last}");
    assert_eq!(record["stopped"], "refused by the exchange");
    assert!(card["time_to_contain_ms"].as_u64().is_some());
    last["code"].as_str().unwrap().to_owned()
}
