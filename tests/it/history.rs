//! History reads: a snapshot keeps its place across its step's attempts, sends a request two
//! reads share once, and on a wide Binance account reads only the symbols the account touched.

use std::collections::BTreeMap;

use lockdown::exchanges::ExchangeId;
use lockdown::sim::AccessEntry;

use crate::support::*;

/// How many requests to each `METHOD path` the exchange answered 200.
fn answered(entries: &[AccessEntry]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.http_status == 200) {
        *counts
            .entry(format!("{} {}", entry.method, entry.path))
            .or_insert(0) += 1;
    }
    counts
}

/// Runs the default Binance response against a fresh lab (after `setup`): the requests the
/// exchange answered 200, the history step's journaled result, and every request sent.
async fn binance_respond(setup: impl FnOnce(&Lab)) -> (BTreeMap<String, usize>, serde_json::Value) {
    let lab = Lab::start_on(ExchangeId::Binance, 140).await;
    setup(&lab);
    let mark = lab.sent();
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary = summary(&output);
    let history = journal_of(&summary)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .find(|event| event["data"]["step"] == "history" && event["data"]["attempts"].is_u64())
        .unwrap_or_else(|| panic!("no result of `history`"));
    (answered(&lab.sent_since(mark)), history["data"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_snapshot_retry_reads_on_from_the_page_that_failed() {
    let (clean, _) = binance_respond(|_| {}).await;
    // The second history page fails five times in a row: the client gives up on it, the step
    // fails, and its retry runs the snapshot again.
    let (faulted, history) = binance_respond(|lab| {
        lab.sim.binance_outage("/api/v3/allOrders", 2, 5);
    })
    .await;
    assert_eq!(history["status"], "ok", "{history:#}");
    assert!(
        history["attempts"].as_u64().unwrap() >= 2,
        "the step was retried: {history:#}"
    );
    // Every page the exchange answered was asked for once: the retry read on from the page
    // that failed, not from page one.
    assert_eq!(faulted, clean);
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_that_send_the_same_request_send_it_once() {
    let (answered, _) = binance_respond(|_| {}).await;
    // The order and fill walks both learn their symbols from the same reads: spot's markets,
    // USD-M's commissions, the isolated-margin pairs. Each goes out once per snapshot step
    // (the open-orders step reads the isolated pairs for itself, and the cancel once more).
    for (request, times) in [
        ("GET /api/v3/exchangeInfo", 1),
        ("GET /fapi/v1/income", 1),
        ("GET /dapi/v1/income", 1),
    ] {
        assert_eq!(
            answered.get(request),
            Some(&times),
            "{request}: {answered:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wide_binance_account_is_read_within_its_weight() {
    // 140 markets whose coins the bot holds, 10 traded: the drill passes (history taken, the
    // diff ran and found the attacker's every order, nothing missed).
    let (_state, card) = drill_passes("binance", "wide-binance").await;
    assert!(
        card["detection"]["true_positives"].as_u64().unwrap() > 0,
        "{card:#}"
    );
    let journal = std::fs::read_to_string(
        std::path::Path::new(card["run_dir"].as_str().unwrap()).join("journal.jsonl"),
    )
    .unwrap();
    let results: Vec<serde_json::Value> = journal
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["data"].clone())
        .filter(|data| data["calls"].is_array())
        .collect();
    for id in ["history", "diff"] {
        let step = results.iter().find(|r| r["step"] == id);
        assert!(step.is_some_and(|s| s["status"] == "ok"), "{id}: {journal}");
    }
    // Not one request of the response was refused for its weight.
    let refused: Vec<&serde_json::Value> = results
        .iter()
        .flat_map(|r| r["calls"].as_array().unwrap())
        .filter(|call| call["status"] == 429 || call["status"] == 418)
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");
    // Only the symbols the account touched are walked: 10 traded coins, and the quiet ones
    // looked at once (their newest orders), not through seven 24-hour windows each.
    let history = results.iter().find(|r| r["step"] == "history").unwrap();
    let calls = history["calls"].as_array().unwrap();
    let to = |path: &str| calls.iter().filter(|c| c["path"] == path).count();
    assert!(
        to("/api/v3/myTrades") <= 10 * 8,
        "{}",
        to("/api/v3/myTrades")
    );
    assert!(
        to("/api/v3/allOrders") < 2 * 140,
        "{}",
        to("/api/v3/allOrders")
    );
}
