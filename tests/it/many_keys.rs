//! Many keys at once (the vendor leak): one `respond` for several keys, a keys file, the lock
//! file that keeps a second responder off a key, and the vendor-leak drill.

use std::path::PathBuf;

use lockdown::exchanges::ExchangeId;
use lockdown::incident::KeyLock;
use lockdown::secret::KeyId;
use serde_json::Value;

use crate::support::{Lab, code, drill_passes, lockdown, stderr, stdout};

/// Three bots, each on a sub-account of its own with a leaked key; no attacker trades.
pub(crate) const THREE_BOTS: &str = "
name: three-bots
seed: 5
detection_delay: 0s
keys: 3
markets:
  - { base: BTC, quote: USDT, price: \"65000\" }
balances: { USDT: \"1000\" }
bot:
  client_prefix: bot-
  orders:
    - { symbol: BTCUSDT, side: buy, type: limit, qty: \"0.01\", price: \"60000\", status: open, age: 2h }
attacker: { pattern: none }
";

fn config(lab: &Lab) -> String {
    lab.session.config.display().to_string()
}

#[tokio::test]
async fn two_keys_in_one_respond_are_both_contained_with_one_incident_summary() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    assert_eq!(keys.len(), 3);
    let (a, b, untouched) = (&keys[0], &keys[1], &keys[2]);
    let config = config(&lab);
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        a,
        "--key",
        b,
        "--yes",
        "--json",
    ];
    let output = lockdown(&args, &[]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));

    // One summary on stdout, and the same in the incident folder.
    let summary: Value = serde_json::from_str(&stdout(&output)).expect("one JSON summary");
    assert_eq!(summary["keys_total"], 2);
    for count in ["locked", "revoked", "replaced"] {
        assert_eq!(summary[count], 2, "{count}: {summary:#}");
    }
    assert_eq!(summary["exit_code"], 0);
    let dir = PathBuf::from(summary["incident_dir"].as_str().unwrap());
    assert!(dir.starts_with(lab.sim_dir().join("state").join("incidents")));
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(written["keys"], summary["keys"]);
    let markdown = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    for key in [a, b] {
        let masked = KeyId::new(key.clone()).masked();
        assert!(markdown.contains(&masked), "{markdown}");
        assert!(!markdown.contains(key.as_str()), "key ids are masked");
    }
    // One run folder per key.
    assert_eq!(lab.run_dirs().len(), 2);

    // At the exchange: both keys gone, each replaced on its own sub-account, the third alive.
    let truth = lab.sim.inspect();
    for key in [a, b] {
        let view = truth.key(key).unwrap();
        assert!(view.deleted, "{key} revoked");
        assert!(
            truth
                .keys
                .iter()
                .any(|k| k.uid == view.uid && !k.deleted && !k.leaked && !k.is_master),
            "a replacement on the sub-account of {key}"
        );
    }
    assert!(!truth.key(untouched).unwrap().deleted);
    // Each key's replacement went to a store of its own, not one over the other.
    let stores: Vec<PathBuf> = std::fs::read_dir(lab.sim_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("replacement-key.")
        })
        .collect();
    assert_eq!(stores.len(), 2, "{stores:?}");

    // Every lock was answered before any request signed with a bot key (the evidence).
    let log = &truth.access_log;
    let last_lock = log
        .iter()
        .rposition(|e| e.path == "/v5/user/update-sub-api")
        .unwrap();
    let first_with_a_bot_key = log
        .iter()
        .position(|e| {
            e.key_id
                .as_ref()
                .is_some_and(|k| k == a.as_str() || k == b.as_str())
        })
        .unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.path == "/v5/user/update-sub-api")
            .count(),
        2
    );
    assert!(
        last_lock < first_with_a_bot_key,
        "every lock before the evidence"
    );
}

/// The master's money movements are one account's, whichever key's run asks: the incident
/// reads them once and every key's run keeps those rows, saying which run read them.
#[tokio::test]
async fn the_keys_of_one_incident_read_the_masters_withdrawals_once() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    let config = config(&lab);
    let mut args = vec!["respond", "--config", &config, "--profile", "sim"];
    for key in &keys {
        args.extend(["--key", key.as_str()]);
    }
    args.extend(["--yes", "--json"]);
    let output = lockdown(&args, &[]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));

    let truth = lab.sim.inspect();
    let withdrawal_reads = truth
        .access_log
        .iter()
        .filter(|e| e.path == "/v5/asset/withdraw/query-record")
        .count();
    assert_eq!(
        withdrawal_reads, 1,
        "one read (7 days, one page) for three keys"
    );

    let dirs = lab.run_dirs();
    assert_eq!(dirs.len(), 3);
    let mut readers = Vec::new();
    let mut digests = Vec::new();
    for dir in &dirs {
        let history = crate::support::finished_steps(dir)
            .into_iter()
            .find(|step| step["step"] == "history")
            .unwrap_or_else(|| panic!("no history in {}", dir.display()));
        let outputs = &history["outputs"];
        digests.push(outputs["sha256"]["withdrawals"].clone());
        readers.push(
            ["withdrawals", "transfers"]
                .map(|kind| outputs["shared"][kind]["run"].as_str().map(str::to_owned)),
        );
        assert!(
            std::fs::metadata(dir.join("snapshots").join("history-withdrawals.jsonl")).is_ok(),
            "each run keeps the rows in its own folder"
        );
    }
    // Each kind is read once, by whichever run asks first: the withdrawals and the transfers
    // of one step go out at once, so two runs may each be first for one of them.
    for (k, kind) in ["withdrawals", "transfers"].iter().enumerate() {
        let own: Vec<&PathBuf> = dirs
            .iter()
            .zip(&readers)
            .filter(|(_, r)| r[k].is_none())
            .map(|(d, _)| d)
            .collect();
        assert_eq!(own.len(), 1, "one run read the {kind}: {readers:?}");
        let reader = own[0].file_name().unwrap().to_string_lossy().into_owned();
        for by in readers.iter().filter_map(|r| r[k].as_deref()) {
            assert!(
                !by.is_empty() && reader.ends_with(by),
                "{by} read the {kind}, not {reader}"
            );
        }
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
}

#[tokio::test]
async fn a_keys_file_with_a_bad_line_is_refused_with_file_and_line_before_anything_is_sent() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    let file = lab.sim_dir().join("vendor-keys.txt");
    std::fs::write(
        &file,
        format!(
            "# the vendor's list\n{}\n\n{} # grid\nnot one key\n",
            keys[0], keys[1]
        ),
    )
    .unwrap();
    let mark = lab.sent();
    let config = config(&lab);
    let file_arg = file.display().to_string();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--keys-file",
        &file_arg,
        "--yes",
    ];
    let output = lockdown(&args, &[]).await;
    assert_eq!(code(&output), 2, "stderr:\n{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains(&format!("{file_arg}:5")), "{err}");
    assert!(lab.sent_since(mark).is_empty(), "nothing was sent");
    assert!(lab.run_dirs().is_empty());
    let truth = lab.sim.inspect();
    assert!(keys.iter().all(|k| !truth.key(k).unwrap().deleted));
}

#[tokio::test]
async fn a_second_responder_on_a_locked_key_is_refused_and_a_stale_lock_file_does_not_block() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let key = lab.leaked();
    let state = lab.sim_dir().join("state");
    // Another responder holds the key: its lock file names its run folder.
    let mut other = KeyLock::acquire(&state, ExchangeId::Bybit, &KeyId::new(key.clone()))
        .expect("the first responder's lock");
    let other_run = state.join("runs").join("20261205T110000Z-0ther1");
    other.note_run(&other_run).unwrap();

    let mark = lab.sent();
    let output = lab.respond(&["--yes"]).await;
    assert_eq!(code(&output), 7, "stderr:\n{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("another lockdown process is responding"),
        "{err}"
    );
    assert!(err.contains(&other_run.display().to_string()), "{err}");
    assert!(lab.sent_since(mark).is_empty(), "nothing was sent");
    assert!(!lab.sim.inspect().key(&key).unwrap().deleted);

    // Among several keys, the held one is refused and the others are contained; the worst
    // code wins.
    let keys = lab.session.leaked_keys.clone();
    let config = config(&lab);
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &keys[0],
        "--key",
        &keys[1],
        "--yes",
        "--json",
    ];
    let output = lockdown(&args, &[]).await;
    assert_eq!(code(&output), 7, "stderr:\n{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["locked"], 1);
    assert_eq!(summary["keys"][0]["exit_code"], 7);
    assert_eq!(summary["keys"][1]["exit_code"], 0);
    let truth = lab.sim.inspect();
    assert!(!truth.key(&keys[0]).unwrap().deleted);
    assert!(truth.key(&keys[1]).unwrap().deleted);

    // The holder is gone: its lock file stays behind, and does not block.
    drop(other);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert!(lab.sim.inspect().key(&key).unwrap().deleted);
}

#[tokio::test]
async fn a_key_let_through_the_gate_last_still_gets_the_whole_deadline_for_its_steps() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    // Each run's own steps take two seconds (the grace of `settle`, no bot to show its new key)
    // of a three-second deadline; one key at a time, so the second waits at the gate while the
    // first runs. Without its wait moving its deadline on, the second's `history` never runs.
    let playbook = lab.sim_dir().join("gate-deadline.yaml");
    std::fs::write(
        &playbook,
        r#"version: 1
name: gate-deadline
exchange: bybit
inputs:
  key: { required: true }
deadline: 3s
steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}", ip_whitelist: ["{{ profile.responder_ip }}"] }
  - id: replace
    create_key:
      label: "gate-{{ run.id }}"
      account: "{{ steps.lock.account }}"
      permissions: [spot_trade]
      ip_whitelist: "{{ profile.bot_ips }}"
  - id: settle
    timeout: 10s
    wait_for_use: { from: replace, grace: 2s }
  - id: history
    snapshot: { key: "{{ inputs.key }}", of: [orders] }
  - id: revoke
    revoke_key: { key: "{{ inputs.key }}" }
"#,
    )
    .unwrap();
    let config = config(&lab);
    let playbook = playbook.display().to_string();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &keys[0],
        "--key",
        &keys[1],
        "--parallel",
        "1",
        "--playbook",
        &playbook,
        "--yes",
        "--json",
    ];
    let output = lockdown(&args, &[]).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 0, "stderr:\n{err}");
    assert!(!err.contains("deadline passed"), "{err}");
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(summary["revoked"], 2, "{summary:#}");
    for key in &summary["keys"].as_array().unwrap()[..] {
        assert_eq!(key["exit_code"], 0, "{summary:#}");
    }
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_bybit_key_by_key() {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let args = [
        "drill",
        "--venue",
        "bybit",
        "--scenario",
        "vendor-leak",
        "--json",
        "--state-dir",
        &dir,
    ];
    let output = lockdown(&args, &[]).await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    assert_eq!(code(&output), 0, "{card:#}\n{}", stderr(&output));
    assert_eq!(card["passed"], true);
    let keys = card["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 20);
    for k in keys {
        let score = &k["card"];
        assert_eq!(k["passed"], true, "{k:#}");
        assert_eq!(k["locked"], true);
        assert_eq!(score["key_revoked"], true);
        assert_eq!(score["replacement"]["withdraw"], false);
        assert_eq!(score["replacement"]["ip_bound"], true);
        assert_eq!(score["attacker_open_orders_left"], 0);
        let d = &score["detection"];
        assert!(d["truth"].as_u64().unwrap() > 0, "an attacker on every key");
        assert_eq!(d["true_positives"], d["truth"]);
        assert_eq!(d["false_positives"], 0);
    }
    assert_eq!(card["summary"]["locked"], 20);
    assert_eq!(card["summary"]["replaced"], 20);
    let _ = drill_passes;
}

#[tokio::test]
async fn the_vendor_leak_drill_with_the_watcher_locks_every_key_from_its_own_signals() {
    // One watcher follows all twenty keys' streams; every attacker starts once every key is
    // armed. Each key is scored on its own signals and the watcher's lock of that key.
    let (code, card, err) = crate::ws::drill_watch("bybit", "vendor-leak", &["--seed", "11"]).await;
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
    let keys = card["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 20);
    let mut runs = std::collections::BTreeSet::new();
    for k in keys {
        assert_eq!(k["passed"], true, "{k:#}");
        let score = &k["card"];
        let watch = &score["watch"];
        assert_eq!(watch["source"], "stream", "{watch:#}");
        assert!(watch["true_signals"].as_u64().unwrap() >= 1, "{watch:#}");
        assert_eq!(watch["false_alarms"], 0, "{watch:#}");
        // Its signals name it, and no other key.
        for line in watch["lines"].as_array().unwrap() {
            assert!(line.as_str().unwrap().contains("XVGUSDT"), "{line}");
        }
        runs.insert(
            watch["lock_run"]
                .as_str()
                .unwrap_or_else(|| panic!("key {} not locked by the watcher", k["key"]))
                .to_owned(),
        );
        score["time_to_detect_ms"]
            .as_u64()
            .expect("each key's first attacker order was detected");
    }
    assert_eq!(runs.len(), 20, "one lock run per key: {runs:#?}");
    assert_eq!(card["summary"]["locked"], 20);
    assert!(err.contains("20 key(s) locked by the watcher"), "{err}");
}

#[tokio::test]
async fn all_keys_answers_every_key_of_the_profile_and_contains_the_listed_ones_too() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, THREE_BOTS, 5).await;
    let keys = lab.session.leaked_keys.clone();
    // A key made in the web interface on the first bot's sub-account: in no profile, but the
    // master lists it. One lockdown made earlier (`lockdown-<run>`) is not a leaked key.
    let extra = lab
        .sim
        .web_ui_create_key(&keys[0], "made-by-hand", &[])
        .unwrap();
    let earlier = lab
        .sim
        .web_ui_create_key(&keys[0], "lockdown-0ld0ne", &["127.0.0.1".parse().unwrap()])
        .unwrap();
    let config = config(&lab);
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--all-keys",
        "--yes",
        "--json",
    ];
    let output = lockdown(&args, &[]).await;
    let summary: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("{err}; stderr:\n{}", stderr(&output)));
    let err = stderr(&output);
    assert_eq!(summary["keys_total"], 4, "{summary:#}");
    // Every key of the profile is contained, and the listed key the profile does not hold
    // too: through the master, as any key outside the profile (its cancel and snapshots need
    // its own secret, and fail alone).
    assert_eq!(summary["locked"], 4, "{summary:#}\n{err}");
    assert_eq!(summary["revoked"], 4, "{summary:#}\n{err}");
    let truth = lab.sim.inspect();
    for key in keys.iter().chain([&extra]) {
        assert!(truth.key(key).unwrap().deleted, "{key}");
    }
    assert!(
        !truth.key(&earlier).unwrap().deleted,
        "lockdown's own key is left"
    );
    let listed = &summary["keys"][3];
    assert_eq!(listed["key"], KeyId::new(extra.clone()).masked());
    assert_eq!(listed["locked"], true, "{listed:#}");
    assert_eq!(code(&output), 1, "the worst of the keys' codes:\n{err}");
}
