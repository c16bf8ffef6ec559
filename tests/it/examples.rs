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
