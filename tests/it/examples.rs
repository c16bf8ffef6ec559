//! The files in `examples/` work as their comments say: the per-venue configs load (a lib test,
//! `config::example_tests`), the custom playbook validates and passes a drill, and the custom
//! scenario passes a drill on every venue.

use crate::support::{code, drill_passes, lockdown, stderr, stdout};

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn the_example_playbook_validates_and_passes_a_drill() {
    let playbook = example("lock-and-revoke.yaml");
    let out = lockdown(&["validate", &playbook], &[]).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let args = [
        "drill",
        "--playbook",
        &playbook,
        "--json",
        "--state-dir",
        &dir,
    ];
    let out = lockdown(&args, &[]).await;
    let card: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(code(&out), 0, "{card:#}\n{}", stderr(&out));
    assert_eq!(card["passed"], true);
    assert_eq!(card["key_revoked"], true);
    assert_eq!(card["open_orders_left"], 0);
    assert_eq!(card["detection"]["missed"], 0);
    assert_eq!(card["detection"]["false_positives"], 0);
}

#[tokio::test]
async fn the_example_scenario_passes_a_drill_on_every_venue() {
    let scenario = example("scenario-weekend-pump.yaml");
    for venue in ["bybit", "okx", "binance", "deribit", "kraken"] {
        let (_state, card) = drill_passes(venue, &scenario).await;
        assert_eq!(card["scenario"], "weekend-pump", "{venue}");
    }
}

/// Every example config is valid against `schemas/config.schema.json` by an independent
/// validator (Python `jsonschema`, tests/requirements.txt), and a misspelt key is not.
#[tokio::test]
async fn every_example_config_validates_against_the_config_schema() {
    let root = env!("CARGO_MANIFEST_DIR");
    let schema = format!("{root}/schemas/config.schema.json");
    let script = format!("{root}/tests/support/validate_schema.py");
    let mut configs: Vec<String> = std::fs::read_dir(format!("{root}/examples"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("config") && n.ends_with(".yaml"))
        })
        .map(|p| p.display().to_string())
        .collect();
    configs.sort();
    assert!(configs.len() >= 6, "{configs:?}");
    let run = |files: Vec<String>| {
        let script = script.clone();
        let schema = schema.clone();
        async move {
            tokio::time::timeout(
                std::time::Duration::from_secs(60),
                tokio::process::Command::new("python3")
                    .arg(&script)
                    .arg(&schema)
                    .args(&files)
                    .output(),
            )
            .await
            .expect("the validator did not finish")
            .expect("python3 runs")
        }
    };
    let out = run(configs.clone()).await;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The control: a typo, a venue that does not exist and a secret given as a value.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("config.yaml");
    let text = "profiles:\n  main:\n    exchange: bybitt\n    base_url: https://api.bybit.com\n    responder_iq: 203.0.113.10\n    master: { key: k, secret: hunter2 }\n";
    std::fs::write(&bad, text).unwrap();
    let out = run(vec![bad.display().to_string()]).await;
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{said}");
    for wanted in ["responder_iq", "bybitt", "hunter2"] {
        assert!(said.contains(wanted), "`{wanted}` not refused:\n{said}");
    }
}
