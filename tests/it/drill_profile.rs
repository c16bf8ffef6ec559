//! `drill --profile`: a drill of the owner's own profile on a simulator twin of its venue. Each
//! venue's twin runs the owner's playbook (a copy of the shipped one with a step renamed), in
//! their ledger format and store kind, and the scorecard says which settings it exercised; the
//! owner's secrets are never needed; a step the twin cannot run fails the drill by its name.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{code, lockdown, stderr, stdout};

/// The owner's folder: `config.yaml` with profile `main`, their playbook, their ledger. No
/// secret file exists: the twin must not need one.
struct Owner {
    dir: tempfile::TempDir,
}

impl Owner {
    fn new(venue: &str, settings: &str, ledger: &str, store: &str) -> Owner {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("my-playbook.yaml"), own_playbook(venue)).unwrap();
        std::fs::write(
            dir.path().join("config.yaml"),
            format!(
                "profiles:
  main:
    exchange: {venue}
    base_url: https://api.example.com{settings}
    master:
      key: file:secrets/master.key
      secret: file:secrets/master.secret
    keys:
      - id: REAL-BOT-KEY-1
        label: grid-bot
        secret: env:LOCKDOWN_TEST_UNSET_BOT_SECRET
      - id: REAL-BOT-KEY-2
        label: dca-bot
    responder_ip: 203.0.113.9
    bot_ips: [198.51.100.7]
    known_orders: {ledger}
    ledger_lag: 12s
    state_dir: state
    secret_store: {store}
    playbook: my-playbook.yaml
"
            ),
        )
        .unwrap();
        Owner { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `lockdown --config config.yaml drill --profile main --json …`.
    async fn drill(&self, extra: &[&str]) -> (i32, Value, String) {
        let config = self.path("config.yaml").display().to_string();
        let mut args = vec!["--config", &config, "drill", "--profile", "main", "--json"];
        args.extend_from_slice(extra);
        let output = lockdown(&args, &[]).await;
        let card: Value = serde_json::from_str(&stdout(&output))
            .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
        (code(&output), card, stderr(&output))
    }
}

/// The shipped playbook of `venue`, renamed and with its cancelling step renamed: the owner's.
fn own_playbook(venue: &str) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("playbooks")
            .join(format!("{venue}.yaml")),
    )
    .unwrap();
    let (from, to) = if venue == "kraken" {
        ("  - id: sweep\n", "  - id: sweep_mine\n")
    } else {
        ("  - id: cancel\n", "  - id: cancel_mine\n")
    };
    assert!(shipped.contains(from), "{venue}");
    shipped
        .replace(from, to)
        .replace(&format!("name: {venue}-"), &format!("name: mine-{venue}-"))
}

/// The scorecard's `exercised` entry for `setting`.
fn exercised<'a>(card: &'a Value, setting: &str) -> &'a Value {
    card["exercised"]
        .as_array()
        .unwrap_or_else(|| panic!("no `exercised` list: {card}"))
        .iter()
        .find(|e| e["setting"] == setting)
        .unwrap_or_else(|| panic!("`{setting}` not in {}", card["exercised"]))
}

/// The steps the response ran, by id.
fn step_ids(card: &Value) -> Vec<String> {
    let run_dir = PathBuf::from(card["run_dir"].as_str().unwrap());
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|event| event["data"]["step"].as_str().map(str::to_owned))
        .collect()
}

/// A drill of `owner` on quiet passes with their playbook, and says so.
async fn passes_with_own_playbook(owner: &Owner, step: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--scenario", "quiet"];
    args.extend_from_slice(extra);
    let (code, card, err) = owner.drill(&args).await;
    assert_eq!(code, 0, "{err}\n{card:#}");
    assert_eq!(card["passed"], true, "{card:#}");
    assert_eq!(card["profile"], "main");
    let playbook = exercised(&card, "playbook");
    assert_eq!(playbook["exercised"], "yes");
    let value = playbook["value"].as_str().unwrap();
    assert!(value.starts_with("yours, "), "{value}");
    assert!(value.contains("my-playbook.yaml sha256 "), "{value}");
    assert!(
        step_ids(&card).iter().any(|id| id == step),
        "the response ran no `{step}`: {:?}",
        step_ids(&card)
    );
    for setting in ["responder_ip", "base_url", "master credential"] {
        let entry = exercised(&card, setting);
        assert_eq!(entry["exercised"], "no", "{entry}");
        assert!(
            entry["note"].as_str().unwrap().contains("lockdown check"),
            "{entry}"
        );
    }
    assert_eq!(exercised(&card, "ledger_lag")["value"], "12s");
    // The owner's second key is seeded beside the leaked one and outlives the response.
    let keys = exercised(&card, "keys");
    assert_eq!(keys["exercised"], "yes", "{keys}");
    assert_eq!(keys["value"], "2, grid-bot, dca-bot");
    // The drill's folder and history line are in the profile's state_dir.
    let state = owner.path("state");
    let drill_dir = PathBuf::from(card["drill_dir"].as_str().unwrap());
    assert!(
        drill_dir.starts_with(&state) || state.join(&drill_dir).exists(),
        "{}",
        drill_dir.display()
    );
    let history = std::fs::read_to_string(state.join("drills.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 1, "{history}");
    card
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_twin_runs_my_playbook_with_my_csv_ledger_and_env_file_store() {
    let owner = Owner::new("bybit", "", "ledger.csv", "env-file:bot.env");
    // The owner's ledger has their own CSV header: the twin's ledger keeps it.
    std::fs::write(
        owner.path("ledger.csv"),
        "order_id,symbol,side,qty,price,created_at\n",
    )
    .unwrap();
    let card = passes_with_own_playbook(&owner, "cancel_mine", &["--input", "since=2d"]).await;
    assert_eq!(exercised(&card, "ledger format")["value"], "csv");
    assert_eq!(exercised(&card, "store")["value"], "env-file");
    assert_eq!(exercised(&card, "inputs")["value"], "since=2d");
    let drill_dir = owner.path(card["drill_dir"].as_str().unwrap());
    let ledger = std::fs::read_to_string(drill_dir.join("known-orders.csv")).unwrap();
    assert!(
        ledger.starts_with("order_id,symbol,side,qty,price,created_at\n"),
        "{ledger}"
    );
    let store = std::fs::read_to_string(drill_dir.join("replacement-key.env")).unwrap();
    assert!(
        store.contains("LOCKDOWN_API_KEY="),
        "the store holds no key"
    );
    // The owner's own ledger is not touched.
    assert_eq!(
        std::fs::read_to_string(owner.path("ledger.csv")).unwrap(),
        "order_id,symbol,side,qty,price,created_at\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binance_twin_uses_broker_keys_and_a_jsonl_ledger() {
    let owner = Owner::new(
        "binance",
        "\n    key_family: broker",
        "ledger.jsonl",
        "env-file:bot.env",
    );
    let card = passes_with_own_playbook(&owner, "cancel_mine", &[]).await;
    assert_eq!(exercised(&card, "key_family")["value"], "broker");
    assert_eq!(exercised(&card, "ledger format")["value"], "jsonl");
    assert_eq!(exercised(&card, "store")["value"], "env-file");
    // The twin's response went through Binance Link's endpoints.
    let run_dir = PathBuf::from(card["run_dir"].as_str().unwrap());
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(
        journal.contains("/sapi/v1/broker/subAccountApi"),
        "no broker request in the journal"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_twin_signs_every_request_and_writes_csv() {
    let owner = Owner::new(
        "deribit",
        "\n    auth: signature",
        "ledger.csv",
        "file:bot.json",
    );
    let card = passes_with_own_playbook(&owner, "cancel_mine", &[]).await;
    assert_eq!(exercised(&card, "auth")["value"], "signature");
    let drill_dir = owner.path(card["drill_dir"].as_str().unwrap());
    let twin = std::fs::read_to_string(drill_dir.join("config.yaml")).unwrap();
    assert!(twin.contains("\n    auth: signature\n"), "{twin}");
    assert_eq!(exercised(&card, "ledger format")["value"], "csv");
    assert_eq!(exercised(&card, "store")["value"], "file");
}

#[tokio::test(flavor = "multi_thread")]
async fn okx_twin_says_demo_is_not_exercised() {
    let owner = Owner::new("okx", "\n    demo: true", "ledger.csv", "env-file:bot.env");
    // Passphrases as OKX profiles have them, in files that do not exist.
    let config = std::fs::read_to_string(owner.path("config.yaml"))
        .unwrap()
        .replace(
            "      secret: file:secrets/master.secret\n",
            "      secret: file:secrets/master.secret\n      passphrase: file:secrets/master.passphrase\n",
        );
    std::fs::write(owner.path("config.yaml"), config).unwrap();
    let card = passes_with_own_playbook(&owner, "cancel_mine", &[]).await;
    assert_eq!(exercised(&card, "demo")["exercised"], "no");
    assert_eq!(exercised(&card, "ledger format")["value"], "csv");
    assert_eq!(exercised(&card, "store")["value"], "env-file");
}

#[tokio::test(flavor = "multi_thread")]
async fn kraken_twin_runs_my_playbook_with_a_csv_ledger() {
    let owner = Owner::new("kraken", "", "orders.csv", "env-file:bot.env");
    let card = passes_with_own_playbook(&owner, "sweep_mine", &[]).await;
    assert_eq!(exercised(&card, "ledger format")["value"], "csv");
    assert_eq!(exercised(&card, "store")["value"], "env-file");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_twin_bot_writes_my_csv_ledger_while_it_trades() {
    let owner = Owner::new("bybit", "", "ledger.csv", "file:bot.json");
    let (code, card, err) = owner.drill(&["--scenario", "busy-bot"]).await;
    assert_eq!(code, 0, "{err}\n{card:#}");
    assert_eq!(card["detection"]["false_positives"], 0, "{card:#}");
    let lines = card["bot"]["ledger_lines"].as_u64().unwrap();
    assert!(lines > 0, "{card:#}");
    let drill_dir = owner.path(card["drill_dir"].as_str().unwrap());
    let ledger = std::fs::read_to_string(drill_dir.join("known-orders.csv")).unwrap();
    assert!(
        !ledger.contains('{'),
        "a JSON line in the CSV ledger:\n{ledger}"
    );
    assert!(ledger.lines().count() as u64 > lines, "{ledger}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_whose_secrets_do_not_exist_drills_fine() {
    let owner = Owner::new("bybit", "", "ledger.jsonl", "file:bot.json");
    assert!(!owner.path("secrets").exists());
    // `respond` cannot even load the profile: its secrets are missing.
    let config = owner.path("config.yaml").display().to_string();
    let respond = lockdown(
        &[
            "--config",
            &config,
            "respond",
            "--profile",
            "main",
            "--key",
            "REAL-BOT-KEY-1",
            "--dry-run",
        ],
        &[],
    )
    .await;
    assert_ne!(code(&respond), 0);
    assert!(stderr(&respond).contains("master"), "{}", stderr(&respond));
    let (code, card, err) = owner.drill(&["--scenario", "quiet"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(card["passed"], true);
    assert_eq!(exercised(&card, "master credential")["value"], "yours");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_the_twin_cannot_run_fails_the_drill_by_name() {
    let owner = Owner::new("bybit", "", "ledger.jsonl", "file:bot.json");
    // The owner's playbook also makes a key on their other desk's sub-account, which the twin
    // does not have; on_error: continue would let the response go on past it.
    let playbook = own_playbook("bybit").replace(
        "\nfinally:",
        "
  - id: second_desk_key
    create_key:
      label: desk-two
      account: \"777777\"
      permissions: [spot_trade]
      ip_whitelist: \"{{ profile.bot_ips }}\"
    on_error: continue

finally:",
    );
    std::fs::write(owner.path("my-playbook.yaml"), playbook).unwrap();
    let (code, card, err) = owner.drill(&["--scenario", "quiet"]).await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(card["passed"], false);
    let failures = card["failures"].as_array().unwrap();
    assert!(
        failures.iter().any(|f| f
            .as_str()
            .unwrap()
            .starts_with("step `second_desk_key` (create_key) could not run in the twin")),
        "{failures:?}"
    );
}
