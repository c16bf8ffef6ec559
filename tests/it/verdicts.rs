//! The diff's verdicts through `respond` on the simulator: a bot order someone else cancelled
//! is `tampered`, an order with the bot's client prefix that the ledger does not know is
//! `unauthorized`, and a ledger that writes its numbers another way matches all the same.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::*;
use lockdown::sim::Origin;

/// The order ids of one of the report's verdict lists.
fn listed(report: &Value, list: &str) -> BTreeSet<String> {
    report[list]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|o| o["order_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Rewrites every line of the lab's ledger with `edit`.
fn edit_ledger(lab: &Lab, edit: impl Fn(&mut serde_json::Map<String, Value>)) {
    let path = &lab.session.known_orders;
    let text: String = read(path)
        .lines()
        .map(|line| {
            let mut entry: serde_json::Map<String, Value> = serde_json::from_str(line).unwrap();
            edit(&mut entry);
            serde_json::to_string(&entry).unwrap() + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_order_the_ledger_says_is_open_but_someone_cancelled_is_tampered() {
    let lab = Lab::start(31).await;
    let leaked = lab.leaked();
    let truth = lab.sim.inspect();
    let bot_uid = truth.keys.iter().find(|k| k.id == leaked).unwrap().uid;
    let victim = truth
        .orders
        .iter()
        .find(|o| o.uid == bot_uid && o.origin == Origin::Owner && o.is_open())
        .expect("the bot has an open order")
        .clone();
    // The bot's ledger says where each order stands: the victim is open.
    edit_ledger(&lab, |entry| {
        if entry["order_id"] == victim.order_id.as_str() {
            entry.insert("status".into(), json!("open"));
        }
    });
    // The attacker cancels it with the leaked key, without a trade.
    let cancelled = bybit_call(
        &lab.running.base_url,
        attacker_ip(),
        &leaked,
        &read(&lab.sim_dir().join("bot.secret")),
        "POST",
        "/v5/order/cancel",
        &json!({"category": victim.category, "symbol": victim.symbol, "orderId": victim.order_id})
            .to_string(),
    )
    .await;
    assert_eq!(cancelled, 0, "the attacker cancels the bot's order");

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = summary(&output);
    let report = report_of(&summary);
    assert_eq!(
        listed(&report, "tampered"),
        BTreeSet::from([victim.order_id.clone()]),
        "{:#}",
        report["tampered"]
    );
    let row = &report["tampered"][0];
    assert_eq!(row["verdict"], "tampered");
    assert!(
        row["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("status differs: the ledger says open, the venue says cancelled"),
        "{row:#}"
    );
    // The bot orders the response cancelled itself are not called tampered, and the support
    // step runs because of the tampered order.
    assert_ne!(step_status(&summary, "support"), "skipped");
    let markdown = read(&run_dir(&summary).join("report.md"));
    assert!(markdown.contains("## Tampered bot orders"), "{markdown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_with_the_bots_prefix_the_ledger_does_not_know_is_unauthorized() {
    let lab = Lab::start(32).await;
    let leaked = lab.leaked();
    let placed = bybit_call(
        &lab.running.base_url,
        attacker_ip(),
        &leaked,
        &read(&lab.sim_dir().join("bot.secret")),
        "POST",
        "/v5/order/create",
        r#"{"category":"spot","orderType":"Market","qty":"10","side":"Buy","symbol":"XVGUSDT","orderLinkId":"grid-x1"}"#,
    )
    .await;
    assert_eq!(
        placed, 0,
        "the attacker places an order with the bot's prefix"
    );
    let attacker: Vec<String> = lab
        .sim
        .inspect()
        .orders
        .iter()
        .filter(|o| o.order_link_id == "grid-x1")
        .map(|o| o.order_id.clone())
        .collect();
    assert_eq!(attacker.len(), 1);

    let playbook = bybit_playbook(
        "prefix",
        r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}", ip_whitelist: ["{{ profile.responder_ip }}"] }
  - id: open_orders
    snapshot: { key: "{{ inputs.key }}", of: open_orders }
  - id: history
    snapshot: { key: "{{ inputs.key }}", of: [orders, fills], since: 7d }
  - id: diff
    diff_orders: { observed: [open_orders, history], client_prefix: "grid-", ledger_lag: 0s }
finally:
  - id: report
    report: { formats: [json] }
"#,
    );
    let (code, summary, err) = respond_with_playbook(&lab, &playbook).await;
    assert_eq!(code, 0, "{err}");
    let report = report_of(&summary);
    assert!(
        listed(&report, "unauthorized").contains(&attacker[0]),
        "{:#}",
        report["unauthorized"]
    );
    let row = report["unauthorized"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_id"] == attacker[0].as_str())
        .unwrap();
    assert_eq!(
        row["reasons"],
        json!(["not in the owner's ledger", "uses the bot's prefix"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_written_another_way_match_the_venues() {
    let lab = Lab::start(33).await;
    // `0.5` as `5e-1`, `100` as `100.000`, and prices as JSON numbers.
    edit_ledger(&lab, |entry| {
        if let Some(Value::String(qty)) = entry.get("qty").cloned() {
            let digits = qty.replace('.', "");
            let point = qty.find('.').unwrap_or(qty.len());
            let exponent = point as i64 - digits.len() as i64;
            entry.insert("qty".into(), json!(format!("{digits}e{exponent}")));
        }
        if let Some(Value::String(price)) = entry.get("price").cloned() {
            let number: f64 = price.parse().unwrap();
            entry.insert("price".into(), json!(number));
        }
    });
    let ledger = read(&lab.session.known_orders);
    assert!(ledger.contains("e-") || ledger.contains("e0"), "{ledger}");

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = summary(&output);
    let report = report_of(&summary);
    // Before, amounts were compared as text: every one of these was reported "mismatched".
    assert!(
        listed(&report, "tampered").is_empty(),
        "{:#}",
        report["tampered"]
    );
    let truth = lab.sim.inspect();
    let owners: BTreeSet<String> = truth
        .orders
        .iter()
        .filter(|o| o.origin == Origin::Owner)
        .map(|o| o.order_id.clone())
        .collect();
    let flagged = listed(&report, "unauthorized");
    assert!(
        flagged.is_disjoint(&owners),
        "bot orders called unauthorized: {:?}",
        flagged.intersection(&owners).collect::<Vec<_>>()
    );
}
