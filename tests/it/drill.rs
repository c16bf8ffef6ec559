//! `lockdown drill`: every shipped scenario passes; a playbook that does not contain fails;
//! the attacker is refused by the exchange's own checks; the same seed gives the same truth.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::support::{attacker_record, code, lockdown, stderr, stdout};

async fn drill(state: &Path, extra: &[&str]) -> (i32, Value, String) {
    let state = state.display().to_string();
    let mut args = vec!["drill", "--json", "--state-dir", &state];
    args.extend_from_slice(extra);
    let output = lockdown(&args, &[]).await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    (code(&output), card, stderr(&output))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_playbook_that_does_not_lock_or_revoke_fails() {
    let state = tempfile::tempdir().unwrap();
    let playbook = state.path().join("no-containment.yaml");
    std::fs::write(
        &playbook,
        "version: 1
name: no-containment
exchange: bybit
inputs:
  key: { required: true }
steps:
  - id: evidence
    snapshot: { key: \"{{ inputs.key }}\", of: [open_orders, orders] }
  - id: diff
    diff_orders: { observed: evidence, known: \"{{ profile.known_orders }}\" }
  - id: report
    report: {}
",
    )
    .unwrap();
    let (code, card, err) = drill(
        state.path(),
        &[
            "--scenario",
            "pump-illiquid",
            "--playbook",
            playbook.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(card["passed"], false);
    assert_eq!(card["contained"], false);
    assert_eq!(card["key_revoked"], false);
    assert!(card["time_to_contain_ms"].is_null());
    assert_eq!(attacker_record(&card)["stopped"], "never refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_gives_the_same_truth() {
    let state = tempfile::tempdir().unwrap();
    let mut truths = Vec::new();
    for _ in 0..2 {
        let (_, card, _) = drill(
            state.path(),
            &["--scenario", "pump-illiquid", "--seed", "77"],
        )
        .await;
        let ids: BTreeSet<String> = attacker_record(&card)["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["order_id"].as_str().map(str::to_owned))
            .collect();
        assert!(!ids.is_empty());
        truths.push(ids);
    }
    assert_eq!(truths[0], truths[1]);

    let history = lockdown(
        &[
            "drill",
            "--history",
            "--state-dir",
            state.path().to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&history), 0);
    let shown = stdout(&history);
    // The latest runs, each on a line that starts with its time (the trend row above them
    // names the scenario too).
    let lines: Vec<&str> = shown
        .lines()
        .filter(|l| l.contains("pump-illiquid") && l.trim_start().starts_with("20"))
        .collect();
    assert_eq!(lines.len(), 2, "{shown}");
    // Which venue, and under which faults, so a trend per venue can be read.
    for line in lines {
        assert!(
            line.contains("bybit") && line.contains("none (latency 0 ms)"),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_under_faults_still_passes() {
    let state = tempfile::tempdir().unwrap();
    let (code, card, err) = drill(
        state.path(),
        &[
            "--scenario",
            "pump-illiquid",
            "--faults",
            "429=0.3,5xx=0.2,reset=0.05",
            "--seed",
            "3",
        ],
    )
    .await;
    assert_eq!(code, 0, "{card:#}\n{err}");
    assert_eq!(card["passed"], true);
    assert!(card["faults"].as_str().unwrap().contains("429=0.3"));
    // The response really met the faults, and got through them.
    let run_dir = std::path::Path::new(card["run_dir"].as_str().unwrap());
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"status\":429"), "no 429 met");
    assert!(
        journal.contains("\"status\":502")
            || journal.contains("\"status\":503")
            || journal.contains("could not reach")
    );
    // The scorecard shows the journal's head, and the drill's journal verifies under the key
    // in the drill's own state dir.
    let hash = card["journal"]["hash"].as_str().unwrap();
    assert!(err.contains(&format!("hash {hash}")), "{err}");
    let verify = lockdown(
        &["verify", run_dir.to_str().unwrap(), "--expect-head", hash],
        &[],
    )
    .await;
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

#[tokio::test(flavor = "multi_thread")]
async fn more_attacker_orders_than_the_outputs_keep_inline_are_all_detected() {
    // The diff keeps its first rows in the step's outputs and the whole list in a file: a
    // scorecard that read the outputs alone would count at most those rows.
    let state = tempfile::tempdir().unwrap();
    let scenario = state.path().join("many-orders.yaml");
    let text = lockdown::sim::scenario::BUILTIN
        .iter()
        .find(|(name, _)| *name == "pump-illiquid")
        .unwrap()
        .1
        .replace("detection_delay: 1500ms", "detection_delay: 5s")
        .replace("rate: 20\n", "rate: 30\n")
        .replace("orders: 8\n", "orders: 70\n")
        .replace("quote_per_order: \"250\"", "quote_per_order: \"20\"");
    std::fs::write(&scenario, text).unwrap();
    let (code, card, err) = drill(state.path(), &["--scenario", scenario.to_str().unwrap()]).await;
    let detection = &card["detection"];
    let truth = detection["truth"].as_u64().unwrap();
    assert!(
        truth > lockdown::actions::INLINE_ROWS as u64,
        "{detection}: the attacker placed too few orders to test this"
    );
    assert_eq!(detection["detected"], truth, "{card:#}\n{err}");
    assert_eq!(detection["missed"], 0);
    assert_eq!(code, 0, "{card:#}\n{err}");
}

/// The owner's bot trades with the leaked key through the whole drill, from its own address,
/// until the lock shuts it out as well; every order it placed reaches the ledger, late. Whatever
/// the diff makes of the orders in the ledger's lag window, every attacker order is found and
/// the only owner orders that can be misread are the live bot's.
#[tokio::test(flavor = "multi_thread")]
async fn the_owners_bot_trades_until_the_lock_and_its_ledger_catches_up() {
    let state = tempfile::tempdir().unwrap();
    let (_, card, _) = drill(
        state.path(),
        &["--venue", "bybit", "--scenario", "busy-bot"],
    )
    .await;
    let bot = &card["bot"];
    assert_eq!(bot["refused_after_lock"], 1, "{bot}");
    assert_eq!(bot["stopped"], "refused by the exchange", "{bot}");
    assert_eq!(card["detection"]["missed"], 0, "{card:#}");
    let dir = Path::new(card["drill_dir"].as_str().unwrap());
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("bot.json")).unwrap()).unwrap();
    let placed: BTreeSet<String> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["op"] == "place" && e["accepted"] == true)
        .map(|e| e["order_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(Some(placed.len() as u64), bot["placed"].as_u64());
    let ledger: BTreeSet<String> = std::fs::read_to_string(dir.join("known-orders.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["order_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        placed.is_subset(&ledger),
        "every order the bot placed is in its ledger"
    );
    let report = crate::support::report_of(&card);
    let misread = crate::support::unauthorized_ids(&report)
        .intersection(&placed)
        .count();
    assert_eq!(
        card["detection"]["false_positives"].as_u64(),
        Some(misread as u64),
        "{card:#}"
    );
}

/// Orders seen only through their fills: with an order history read over a shorter window than
/// the fills (a playbook that keeps its order reads cheap), the backdated attacker's orders of
/// `aged-out` are outside the order snapshot while their fills are inside the fill snapshot.
/// They are the attacker's all the same: reported `fills_only`, counted as detected.
#[tokio::test(flavor = "multi_thread")]
async fn orders_seen_only_through_their_fills_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks/bybit.yaml"))
            .unwrap();
    let split = shipped.replace(
        "      of: [orders, fills, balances, withdrawals, transfers, key_info]\n      since: \"{{ inputs.since }}\"",
        "      of: [orders, balances, withdrawals, transfers, key_info]\n      since: 1d\n    retry: { attempts: 4, backoff: 200ms }\n    on_error: continue\n\n  - id: fills\n    name: Keep the fills of the whole look-back\n    snapshot:\n      key: \"{{ inputs.key }}\"\n      of: [fills]\n      since: \"{{ inputs.since }}\"",
    )
    .replace(
        "observed: [open_orders, history]",
        "observed: [open_orders, history, fills]",
    );
    assert_ne!(
        split, shipped,
        "the shipped playbook still has its history step"
    );
    assert!(split.contains("observed: [open_orders, history, fills]"));
    let playbook = dir.path().join("split.yaml");
    std::fs::write(&playbook, split).unwrap();
    let playbook = playbook.display().to_string();
    let (exit, card, err) = drill(
        &dir.path().join("state"),
        &[
            "--venue",
            "bybit",
            "--scenario",
            "aged-out",
            "--playbook",
            &playbook,
        ],
    )
    .await;
    assert_eq!(exit, 0, "{err}\n{card:#}");
    assert_eq!(card["detection"]["missed"], 0, "{card:#}");
    assert_eq!(card["detection"]["false_positives"], 0, "{card:#}");
    let run = std::path::Path::new(card["run_dir"].as_str().unwrap());
    let fills_only =
        std::fs::read_to_string(run.join("snapshots").join("diff-fills_only.jsonl")).unwrap();
    assert!(
        fills_only.lines().count() >= 4,
        "the old pump's orders, seen through their fills: {fills_only}"
    );
}
