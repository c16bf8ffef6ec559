//! Shared helpers: an in-process simulator (of any venue) with its session files, the `lockdown`
//! binary and what its runs leave, and a raw Bybit client for playing the attacker.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use lockdown::exchanges::{Client, ExchangeId, Mode, Window};
use lockdown::secret::{Credential, KeyId, SecretString};
use lockdown::sim::{AccessEntry, BOT_IP, Inspect, Running, Session, Sim};
use serde_json::Value;

/// A day, in ms.
pub const DAY_MS: i64 = 86_400_000;

/// The `days` days that end at `now` (ms on the exchange's clock).
pub fn last_days(now: i64, days: i64) -> Window {
    Window {
        start_ms: now - days * DAY_MS,
        end_ms: now,
    }
}

/// A simulator serving on 127.0.0.1 with its session files in a temporary folder.
pub struct Lab {
    pub venue: ExchangeId,
    pub sim: Sim,
    pub running: Running,
    pub session: Session,
    pub dir: tempfile::TempDir,
}

impl Lab {
    /// Starts a seeded Bybit simulator and writes its session files.
    pub async fn start(seed: u64) -> Lab {
        Lab::start_on(ExchangeId::Bybit, seed).await
    }

    /// Starts a seeded simulator of `venue` and writes its session files.
    pub async fn start_on(venue: ExchangeId, seed: u64) -> Lab {
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
            venue,
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

    /// A live client of the lab's venue, on the simulator.
    pub fn client(&self) -> Client {
        Client::new(self.venue.venue(), &self.running.base_url, Mode::Live).unwrap()
    }

    /// The leaked key's id.
    pub fn leaked(&self) -> String {
        self.session.leaked_key.clone()
    }

    /// The master key and the leaked bot key, as the session wrote them.
    pub fn creds(&self) -> (Credential, Credential) {
        let dir = self.sim_dir();
        let master = Credential::new(
            KeyId::new(read(&dir.join("master.key"))),
            SecretString::from(read(&dir.join("master.secret"))),
        );
        let bot = Credential::new(
            KeyId::new(self.leaked()),
            SecretString::from(read(&dir.join("bot.secret"))),
        );
        (master, bot)
    }

    /// The bot's sub-account, as the session's profile names it (`account:`).
    pub fn account(&self) -> String {
        let config = std::fs::read_to_string(&self.session.config).unwrap();
        let line = config
            .lines()
            .find(|l| l.trim_start().starts_with("account:"))
            .unwrap();
        line.split('"').nth(1).unwrap().to_owned()
    }

    /// Rewrites the session's config without the lines that start with `prefix` (indent aside).
    pub fn drop_config_lines(&self, prefix: &str) {
        let config = std::fs::read_to_string(&self.session.config).unwrap();
        let without: String = config
            .lines()
            .filter(|l| !l.trim_start().starts_with(prefix))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&self.session.config, without).unwrap();
    }

    /// Runs `respond --yes` with the profile's `account:` lines dropped and checks that it is bad
    /// input (exit 2), sent nothing to a path containing `key_management`, and left the leaked
    /// key alive; its stderr.
    pub async fn respond_without_account(&self, key_management: &str) -> String {
        self.drop_config_lines("account:");
        let mark = self.sent();
        let output = self.respond(&["--yes"]).await;
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        assert!(
            self.sent_since(mark)
                .iter()
                .all(|e| !e.path.contains(key_management)),
            "no key management was sent"
        );
        let truth = self.sim.inspect();
        assert!(truth.key(&self.leaked()).is_some_and(|k| !k.deleted));
        stderr(&output)
    }

    /// How many requests the simulator has logged: a mark for [`Lab::sent_since`].
    pub fn sent(&self) -> usize {
        self.sim.inspect().access_log.len()
    }

    /// The requests the simulator logged after `mark`.
    pub fn sent_since(&self, mark: usize) -> Vec<AccessEntry> {
        self.sim.inspect().access_log.split_off(mark)
    }

    /// Runs `lockdown respond` against this lab with extra arguments.
    pub async fn respond(&self, extra: &[&str]) -> Output {
        self.respond_for(&self.leaked(), extra).await
    }

    /// Runs `lockdown respond` against this lab for `key` (such as the master's), with extra
    /// arguments.
    pub async fn respond_for(&self, key: &str, extra: &[&str]) -> Output {
        let config = self.session.config.display().to_string();
        lockdown(&respond_args(&config, key, extra), &[]).await
    }

    /// The replacement key a run stored (`replacement-key.json`).
    pub fn replacement(&self) -> Value {
        serde_json::from_str(&read(&self.sim_dir().join("replacement-key.json"))).unwrap()
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

/// `respond --config CONFIG --profile sim --key KEY`, then `extra`.
pub fn respond_args<'a>(config: &'a str, key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "respond",
        "--config",
        config,
        "--profile",
        "sim",
        "--key",
        key,
    ];
    args.extend_from_slice(extra);
    args
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

/// How long one `lockdown` run may take before the test fails as hung: two minutes. A drill on
/// Binance may wait out the rest of the exchange's weight minute (its watcher's looks fill the
/// futures minute of 2400 in about 20 s at one look a second), 25 to 85 s depending on where in
/// the minute it started, and four tests run at a time on the 2-core CI machine.
const HANG: Duration = Duration::from_secs(120);

/// The same, from synchronous code.
pub fn run_blocking(args: &[String], env: &[(String, String)]) -> Output {
    run_within(args, env, HANG)
}

/// Runs the `lockdown` binary with no terminal attached, killed (and the test failed) after
/// `limit`.
pub fn run_within(args: &[String], env: &[(String, String)], limit: Duration) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockdown"));
    command.args(args);
    detached(&mut command);
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("lockdown starts");
    wait_bounded(child, limit)
}

/// Runs the `lockdown` binary like [`lockdown`], with `input` on its stdin.
pub async fn lockdown_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockdown"));
    command.args(args);
    detached(&mut command);
    command.stdin(Stdio::piped());
    let mut child = command.spawn().expect("lockdown starts");
    let mut stdin = child.stdin.take().expect("a stdin pipe");
    stdin.write_all(input.as_bytes()).expect("stdin written");
    drop(stdin);
    tokio::task::spawn_blocking(move || wait_bounded(child, HANG))
        .await
        .expect("the binary ran")
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

/// The summary a `--json` run printed.
pub fn summary(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).expect("one JSON object on stdout")
}

/// Checks that a `--json` run exited 0, contained, with every step `ok`; its summary.
pub fn contained(output: &Output) -> Value {
    assert_eq!(code(output), 0, "stderr:\n{}", stderr(output));
    let summary = summary(output);
    assert_eq!(summary["contained"], true);
    for step in summary["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "ok", "{step}");
    }
    summary
}

/// Checks that a `respond --json` run stopped at `step`, pending, for a person: exit 1, not
/// contained, and stderr saying so, with `says`, and how to go on. Its summary.
pub fn waiting_for_a_person(output: &Output, step: &str, says: &[&str]) -> Value {
    assert_eq!(code(output), 1, "{}", stderr(output));
    let summary = summary(output);
    assert_eq!(summary["contained"], false);
    assert_eq!(step_status(&summary, step), "pending");
    let text = stderr(output);
    let wants = ["waiting for a person"]
        .iter()
        .chain(says)
        .chain(&["lockdown resume"]);
    for want in wants {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    summary
}

/// The run folder a summary names.
pub fn run_dir(summary: &Value) -> PathBuf {
    PathBuf::from(summary["run_dir"].as_str().unwrap())
}

/// The run's journal, as text.
pub fn journal_of(summary: &Value) -> String {
    std::fs::read_to_string(run_dir(summary).join("journal.jsonl")).unwrap()
}

/// The `step_finished` events of the run folder `dir`'s journal, in order: each step's data
/// (`step`, `duration_ms`, `outputs`, ...).
pub fn finished_steps(dir: &Path) -> Vec<Value> {
    read(&dir.join("journal.jsonl"))
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "step_finished")
        .map(|e| e["data"].clone())
        .collect()
}

/// The run's `report.json`.
pub fn report_of(summary: &Value) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run_dir(summary).join("report.json")).unwrap())
        .unwrap()
}

/// The ids of the orders a report lists as unauthorized.
pub fn unauthorized_ids(report: &Value) -> BTreeSet<String> {
    report["unauthorized"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap().to_owned())
        .collect()
}

/// What a run showed and wrote, each with its name: stdout, stderr, and every file of the lab's
/// one run folder.
pub fn run_texts(lab: &Lab, output: &Output) -> Vec<(String, String)> {
    let mut texts = vec![
        ("stdout".to_owned(), stdout(output)),
        ("stderr".to_owned(), stderr(output)),
    ];
    let runs = lab.run_dirs();
    assert_eq!(runs.len(), 1);
    for file in files_under(&runs[0]) {
        texts.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    texts
}

/// Checks that no named text holds any of the named secrets.
pub fn assert_no_secret_in(texts: &[(String, String)], secrets: &[(&str, String)]) {
    for (name, text) in texts {
        for (which, secret) in secrets {
            assert!(
                !text.contains(secret.as_str()),
                "the {which} leaked into {name}"
            );
        }
    }
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
    let client = raw_client(from);
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

/// An HTTP client sending from a chosen local address, as an outside client would.
pub fn raw_client(from: IpAddr) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .local_address(from)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
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
    assert_outputs_declared(Path::new(card["drill_dir"].as_str().unwrap()));
    (state, card)
}

/// Checks that every step output journaled under `dir` is one its action declares
/// (`Action::OUTPUTS`, what `validate` checks `steps.<id>.<output>` against), so the list
/// cannot drift from what the actions produce. Returns how many steps were checked.
pub fn assert_outputs_declared(dir: &Path) -> usize {
    let mut checked = 0;
    for journal in files_under(dir)
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "journal.jsonl"))
    {
        for line in read(&journal).lines() {
            let event: Value = serde_json::from_str(line).unwrap();
            if event["type"] != "step_finished" {
                continue;
            }
            let action = event["data"]["action"].as_str().unwrap();
            let declared = lockdown::actions::ActionSpec::outputs_of(action)
                .unwrap_or_else(|| panic!("unknown action `{action}`"));
            for key in event["data"]["outputs"].as_object().unwrap().keys() {
                assert!(
                    declared.contains(&key.as_str())
                        || lockdown::actions::MANUAL_OUTPUTS.contains(&key.as_str()),
                    "`{action}` journaled output `{key}` it does not declare ({})",
                    journal.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no finished step under {}", dir.display());
    checked
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

/// No terminal, output captured, no colour, no config from the environment: how every test runs
/// `lockdown`.
fn detached(command: &mut Command) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG");
}

/// Runs the `lockdown` binary under `umask` (octal, as `sh` takes it), like [`lockdown`].
pub async fn lockdown_with_umask(umask: &str, args: &[&str]) -> Output {
    let script = format!("umask {umask}; exec \"$0\" \"$@\"");
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_lockdown"))
        .args(args);
    detached(&mut command);
    tokio::task::spawn_blocking(move || {
        wait_bounded(command.spawn().expect("sh starts"), Duration::from_secs(60))
    })
    .await
    .expect("the binary ran")
}

/// Checks that every folder under `dir` is 0700 and every file 0600 (owner only); returns how
/// many files it checked.
#[cfg(unix)]
pub fn assert_private_under(dir: &Path) -> usize {
    use std::os::unix::fs::PermissionsExt;
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        if path.is_dir() {
            assert_eq!(mode, 0o700, "folder {} is {mode:o}", path.display());
            files += assert_private_under(&path);
        } else {
            assert_eq!(mode, 0o600, "file {} is {mode:o}", path.display());
            files += 1;
        }
    }
    files
}

/// A Bybit playbook named `name` whose input `key` is the leaked key; `rest` (its `steps`,
/// `finally`, `deadline`) follows that header.
pub fn bybit_playbook(name: &str, rest: &str) -> String {
    format!(
        "version: 1\nname: {name}\nexchange: bybit\ninputs:\n  key: {{ required: true }}\n{rest}"
    )
}

/// Runs `respond --yes --json` against the lab with a playbook given as text: exit code, summary
/// (null when there is none), stderr.
pub async fn respond_with_playbook(lab: &Lab, text: &str) -> (i32, Value, String) {
    let playbook = lab.dir.path().join("custom.yaml");
    std::fs::write(&playbook, text).unwrap();
    let output = lab
        .respond(&["--yes", "--json", "--playbook", playbook.to_str().unwrap()])
        .await;
    let summary = serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null);
    (code(&output), summary, stderr(&output))
}

/// The response's first signed request after `before` was taken went to `path` and was
/// accepted: in a containing run, the lock.
pub fn assert_first_signed(before: &Inspect, after: &Inspect, path: &str) {
    let first = after
        .access_log
        .iter()
        .skip(before.access_log.len() + 1)
        .find(|e| e.key_id.is_some())
        .unwrap();
    assert_eq!(first.path, path);
    assert_eq!(first.ret_code, Some(0));
}

/// Nothing secret in what a run wrote: its journal, its reports and its stderr.
pub fn assert_run_wrote_none_of(run_dir: &Path, output: &Output, secrets: &[&str]) {
    for secret in secrets {
        for file in ["journal.jsonl", "report.md", "report.json"] {
            let text = std::fs::read_to_string(run_dir.join(file)).unwrap();
            assert!(!text.contains(secret), "{file} holds a secret");
        }
        assert!(!stderr(output).contains(secret));
    }
}

impl Lab {
    /// Starts a simulator of `venue` seeded from a scenario's YAML (written to the lab's folder)
    /// and writes its session files: many-key scenarios (`keys:`) write every leaked key.
    pub async fn start_scenario(venue: ExchangeId, yaml: &str, seed: u64) -> Lab {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("scenario.yaml");
        std::fs::write(&file, yaml).unwrap();
        let scenario =
            lockdown::sim::scenario::Scenario::load(&file.display().to_string()).expect("scenario");
        let sim = Sim::from_scenario_on(venue, &scenario, seed);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .expect("simulator starts");
        let session = sim
            .write_session(&dir.path().join("sim"), &running.base_url)
            .expect("session files");
        Lab {
            venue,
            sim,
            running,
            session,
            dir,
        }
    }
}

// What `lockdown check` calls a correct profile, on the simulator.

/// Rewrites the lab's config, replacing `from` with `to` (which must be there).
pub fn edit_config(lab: &Lab, from: &str, to: &str) {
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    assert!(text.contains(from), "{from} in {text}");
    std::fs::write(&lab.session.config, text.replacen(from, to, 1)).unwrap();
}

/// Binds the bot key where a careful owner would: the bots' address and the responder's.
pub fn bind_bot_key(lab: &Lab) {
    let localhost: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(lab.sim.set_key_ips(&lab.leaked(), &[localhost, BOT_IP]));
}

/// A loopback HTTP server that answers each caller's address, as text or as JSON with `ip`.
pub async fn echo_server(json: bool) -> String {
    use axum::extract::ConnectInfo;
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(
            move |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move {
                if json {
                    format!("{{\"ip\":\"{}\"}}", peer.ip())
                } else {
                    format!("{}\n", peer.ip())
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}/")
}

/// A lab whose profile `lockdown check` calls ready: the bot key bound to the bots' and the
/// responder's addresses, and on Binance (whose key listing shows only *that* the master has an
/// IP list) an `ip_echo:` that tells this machine's address.
pub async fn ready_lab(venue: ExchangeId, seed: u64) -> Lab {
    let lab = Lab::start_on(venue, seed).await;
    bind_bot_key(&lab);
    // Binance and BitMEX do not show which IP list is the master's: `ip_echo` confirms it.
    if matches!(venue, ExchangeId::Binance | ExchangeId::Bitmex) {
        let url = echo_server(false).await;
        edit_config(
            &lab,
            "    responder_ip:",
            &format!("    ip_echo: {url}\n    responder_ip:"),
        );
    }
    lab
}
