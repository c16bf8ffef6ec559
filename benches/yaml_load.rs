//! Loading a drill scenario of 100 000 bot orders: the one parse into a positioned tree (bounds
//! checked on the way, every section read from it) against the two passes it replaced (the
//! bounds scan, then serde_yaml reading the text), in the same process, turn by turn, so that a
//! busy machine weighs on both alike.
//!
//! Figures, one line each (`figure: <name> = <value> s`): the fastest and the median of
//! [`ROUNDS`] loads of each, and the same for a scenario with one misplaced order at its end
//! (its problem needs the places of the nodes: before, a third pass indexed them, stood for
//! here by a yaml-rust2 load of the text).
//!
//! Run with `cargo bench --bench yaml_load` (`--profile dev` for the figures of a debug build).

// A benchmark's output is its figures, one line each.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use lockdown::limits::{MAX_SCENARIO_BYTES, scan_up_to};
use lockdown::sim::scenario::Scenario;
use lockdown::source::Source;

/// Loads of each kind.
const ROUNDS: usize = 5;
/// Bot orders in the scenario.
const ORDERS: usize = 100_000;

fn scenario(last_symbol: &str) -> String {
    let mut text = String::from(
        "name: big\nseed: 7\ndetection_delay: 2s\nmarkets:\n  - { base: SOL, quote: USDT, price: \"150\", book: deep }\nbalances:\n  USDT: \"12000\"\nbot:\n  client_prefix: grid-\n  orders:\n",
    );
    for i in 0..ORDERS {
        text.push_str(&format!(
            "    - {{ symbol: SOLUSDT, side: buy, type: limit, qty: \"2\", price: \"{}\", status: open, age: 6h }}\n",
            100 + i % 50
        ));
    }
    text.push_str(&format!(
        "    - {{ symbol: {last_symbol}, side: buy, type: limit, qty: \"2\", price: \"1\", status: open, age: 6h }}\nattacker:\n  pattern: pump\n  target: SOLUSDT\n  rate: 10\n  orders: 6\n  quote_per_order: \"300\"\n"
    ));
    text
}

/// The reading that was replaced: the bounds scan, serde_yaml on the text and, for a problem
/// to place, the index pass (here as a yaml-rust2 load of the whole text).
fn two_passes(text: &str, place: bool) -> usize {
    scan_up_to(text, MAX_SCENARIO_BYTES).expect("within bounds");
    let read: Scenario = serde_yaml::from_str(text).expect("a scenario");
    if place {
        let docs = yaml_rust2::YamlLoader::load_from_str(text).expect("parses");
        return docs.len() + read.bot.orders.len();
    }
    read.bot.orders.len()
}

/// The one parse: bounds, the tree, the read, and the place of the problem from the same tree.
fn one_parse(text: &str, place: bool) -> usize {
    let source = Source::bounded_up_to("big.yaml", text, MAX_SCENARIO_BYTES).expect("bounded");
    let read: Scenario = source.parse_all(|_| None).expect("a scenario");
    if place {
        let at = source.locate(&format!("bot.orders[{ORDERS}].symbol"));
        return usize::from(at.is_some()) + read.bot.orders.len();
    }
    read.bot.orders.len()
}

fn figures(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let fastest = times[0].as_secs_f64();
    let median = times[times.len() / 2].as_secs_f64();
    println!("figure: {name}.fastest = {fastest:.2} s");
    println!("figure: {name}.median = {median:.2} s");
}

fn main() {
    for (label, text, place) in [
        ("clean", scenario("SOLUSDT"), false),
        ("placed", scenario("NOPE"), true),
    ] {
        println!("# {label}: {} bytes, {ORDERS} orders", text.len());
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let started = Instant::now();
            std::hint::black_box(two_passes(&text, place));
            before.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(one_parse(&text, place));
            after.push(started.elapsed());
        }
        figures(&format!("yaml_load.{label}.two_passes"), before);
        figures(&format!("yaml_load.{label}.one_parse"), after);
    }
    // The whole load, checks included, once, for reference.
    let started = Instant::now();
    let loaded = Scenario::parse("big.yaml", &scenario("SOLUSDT")).map(|s| s.bot.orders.len());
    assert_eq!(loaded.ok(), Some(ORDERS + 1), "the scenario loads");
    println!(
        "figure: yaml_load.scenario_parse = {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
