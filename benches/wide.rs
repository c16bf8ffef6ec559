//! The wide Binance account (issue 14): the whole drill of `scenarios/wide-binance.yaml` (140
//! spot markets whose coins the bot holds, 10 traded, the attacker pumping one) against the
//! simulator on 127.0.0.1, through the same code as `lockdown drill`; the figures come from the
//! run's journal. Run with `cargo bench --bench wide`.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use lockdown::drill::{Options, run};
use lockdown::exchanges::ExchangeId;
use lockdown::sim::Faults;
use lockdown::ui::{Ui, Verbosity};
use serde_json::Value;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let state = tempfile::tempdir().expect("temp dir");
    let options = Options {
        venue: ExchangeId::Binance,
        scenario: "wide-binance".to_owned(),
        seed: None,
        playbook: None,
        state_dir: state.path().to_owned(),
        faults: Faults::none(),
        twin: None,
        notify: None,
        watch: None,
    };
    let ui = Ui::new(Verbosity::Quiet, true);
    let started = Instant::now();
    let card = match runtime
        .block_on(run(&options, &ui))
        .expect("the drill runs")
    {
        lockdown::drill::Drilled::One(card) => card,
        lockdown::drill::Drilled::Many(_) => panic!("wide-binance leaks one key"),
    };
    let drill_s = started.elapsed().as_secs_f64();
    let journal = std::fs::read_to_string(Path::new(&card.run_dir).join("journal.jsonl"))
        .expect("the run's journal");
    let results: Vec<Value> = journal
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|event| event["data"].clone())
        .filter(|data| data["calls"].is_array())
        .collect();
    let step = |id: &str| results.iter().find(|r| r["step"] == id);
    let history = step("history").expect("a history step");
    let history_s = history["duration_ms"].as_f64().unwrap_or(f64::NAN) / 1000.0;
    let calls: Vec<&Value> = results
        .iter()
        .flat_map(|r| r["calls"].as_array().into_iter().flatten())
        .collect();
    // A refusal: the exchange's 429 or 418, or a call the client held back after one.
    let refusals = calls
        .iter()
        .filter(|c| {
            c["status"] == 429
                || c["status"] == 418
                || c["outcome"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("rate limited"))
        })
        .count();
    let history_requests = history["calls"].as_array().map_or(0, Vec::len);
    let diff_ran = step("diff").is_some_and(|d| d["status"] == "ok");
    println!(
        "figure: wide_binance_history_seconds = {history_s:.3} s (target completes; {} history)",
        history["status"].as_str().unwrap_or("?")
    );
    println!("figure: wide_binance_refusals = {refusals} count (target 0)");
    println!(
        "figure: wide_binance_diff_ran = {} (target yes)",
        if diff_ran { "yes" } else { "no" }
    );
    println!(
        "figure: wide_binance_requests = {history_requests} count (target as few as the touched symbols need; {} in the whole response)",
        calls.len()
    );
    println!(
        "figure: wide_binance_drill_seconds = {drill_s:.3} s (target under the playbook's 5 m deadline; passed: {})",
        card.passed
    );
}
