//! The data path at scale: a big diff goes to files the journal names, never inline.

use std::io::Write;

use serde_json::Value;
use sha2::Digest;

use crate::support::{Lab, contained, journal_of, run_dir};

/// How many ledger orders the exchange does not show.
const MISSING: usize = 5000;

#[tokio::test(flavor = "multi_thread")]
async fn a_big_diff_journals_counts_and_a_file_not_its_rows() {
    let lab = Lab::start(11).await;
    // The bot's ledger also names 5000 orders from the last hour that the exchange does not
    // show: every one of them is missing.
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let mut ledger = std::fs::OpenOptions::new()
        .append(true)
        .open(&lab.session.known_orders)
        .unwrap();
    for i in 0..MISSING {
        let at = lockdown::clock::rfc3339_ms(now - 3_600_000 + i64::try_from(i).unwrap());
        writeln!(
            ledger,
            r#"{{"order_id":"gone-{i}","client_order_id":"grid-gone-{i}","symbol":"BTCUSDT","side":"buy","qty":"0.001","created_at":"{at}"}}"#
        )
        .unwrap();
    }
    drop(ledger);

    let summary = contained(&lab.respond(&["--yes", "--json"]).await);
    let journal = journal_of(&summary);
    let line = journal
        .lines()
        .find(|l| {
            l.contains(r#""type":"step_finished""#) && l.contains(r#""action":"diff_orders""#)
        })
        .expect("the diff finished");
    // The journal keeps counts, the file's name and digest, and the first rows only.
    assert!(
        line.len() < 64 * 1024,
        "a diff's journal line of {} bytes",
        line.len()
    );
    let event: Value = serde_json::from_str(line).unwrap();
    let outputs = &event["data"]["outputs"];
    let count = outputs["counts"]["missing"].as_u64().unwrap();
    assert!(count >= MISSING as u64, "{}", outputs["counts"]);
    assert!(outputs["missing"].as_array().unwrap().len() <= 50);

    // The file holds every row, and its digest is the journaled one.
    let file = run_dir(&summary).join(outputs["files"]["missing"].as_str().unwrap());
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&bytes)),
        outputs["sha256"]["missing"].as_str().unwrap()
    );
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count() as u64, count);
    for i in [0, MISSING / 2, MISSING - 1] {
        assert!(
            text.contains(&format!(r#""order_id":"gone-{i}""#)),
            "gone-{i}"
        );
    }

    // The report counts them all and says where they are.
    let report = std::fs::read_to_string(run_dir(&summary).join("report.md")).unwrap();
    assert!(
        report.contains(&format!("Known orders missing at the exchange: {count}\n")),
        "{report}"
    );
}
