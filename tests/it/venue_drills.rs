//! Every shipped scenario passes on every venue, through `lockdown drill` and the simulator's
//! own checks: the attacker is shut out by the exchange's refusal (the codes each venue uses for
//! a locked or deleted key), the sabotage scenario's withdrawal is refused, the owner's live bot
//! is shut out by the same lock and none of its orders is called the attacker's, and on venues
//! where a person deletes the key (Kraken, BitMEX) the time to contain honestly includes the person.

use serde_json::Value;

use crate::support::{attacker_record, drill_passes, refusal_code};

/// What a venue's drills must show.
struct Venue {
    name: &'static str,
    /// The codes the exchange refuses the attacker's key with, once locked or deleted.
    refusals: &'static [&'static str],
    /// The code it refuses the sabotage scenario's withdrawal with (the bot key cannot withdraw).
    withdrawal_refused: &'static str,
    /// The simulated operator's delay for each guided manual step, when a person contains.
    by_hand_ms: Option<u64>,
    /// Whether an amend cancels the order and places a new one under a new id (Bitget's
    /// `cancel-replace-order`): the sabotage's amends then leave orders of the attacker's.
    amend_replaces: bool,
    /// The bot orders the quiet-sabotage attacker tampers with: 4 (two cancelled, two amended)
    /// where the venue amends in place; 2 where it has no amend for them (BingX spot offers only
    /// cancel-and-replace, docs/venues/bingx.md §10), so the adapter refuses the amends.
    tampered: u64,
}

const BYBIT: Venue = Venue {
    name: "bybit",
    refusals: &["10010", "10003"],
    withdrawal_refused: "10005",
    by_hand_ms: None,
    amend_replaces: false,
    tampered: 4,
};
const OKX: Venue = Venue {
    name: "okx",
    refusals: &["50110", "50119"],
    withdrawal_refused: "59504",
    by_hand_ms: None,
    amend_replaces: false,
    tampered: 4,
};
const DERIBIT: Venue = Venue {
    name: "deribit",
    refusals: &["13021", "13004"],
    withdrawal_refused: "13021",
    by_hand_ms: None,
    amend_replaces: false,
    tampered: 4,
};
const BINANCE: Venue = Venue {
    name: "binance",
    refusals: &["-2015"],
    withdrawal_refused: "-1002",
    by_hand_ms: None,
    amend_replaces: false,
    tampered: 4,
};
const KRAKEN: Venue = Venue {
    name: "kraken",
    refusals: &["EAPI:Invalid key"],
    withdrawal_refused: "EGeneral:Permission denied",
    by_hand_ms: Some(2_000),
    amend_replaces: false,
    tampered: 4,
};
const BINGX: Venue = Venue {
    name: "bingx",
    refusals: &["100419", "100413"],
    withdrawal_refused: "100004",
    by_hand_ms: None,
    amend_replaces: false,
    tampered: 2,
};
const BITMEX: Venue = Venue {
    name: "bitmex",
    refusals: &["Invalid API Key."],
    withdrawal_refused: "Access Denied",
    by_hand_ms: Some(2_000),
    amend_replaces: false,
    tampered: 4,
};

/// Bitget locks the key by API (the attacker is out before any person acts) and only the
/// deletion of the classic sub-account key is done by hand, after containment: no
/// `by_hand_ms`, since containment does not wait for the person.
const BITGET: Venue = Venue {
    name: "bitget",
    refusals: &["40018", "40006", "40037"],
    withdrawal_refused: "40014",
    by_hand_ms: None,
    amend_replaces: true,
    tampered: 4,
};

/// Runs `scenario` on `venue` and checks what that scenario must show there.
async fn passes(venue: &Venue, scenario: &str) -> Value {
    let (state, card) = drill_passes(venue.name, scenario).await;
    let history = std::fs::read_to_string(state.path().join("drills.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 1, "the history has the drill");
    assert!(card["lock_acknowledged_ms"].as_u64().is_some());
    // Every step, best-effort ones included, went through: the attacker's probing must not
    // starve the response's own calls with the leaked key (Kraken's `GetApiKeyInfo`).
    assert_eq!(card["respond_exit"], 0, "{card:#}");
    if let Some(delay) = venue.by_hand_ms {
        // The key's deletion and the replacement, each after the operator's delay; containment
        // waited on the first.
        assert!(
            card["manual_wait_ms"].as_u64().unwrap() >= 2 * delay,
            "{card:#}"
        );
        assert!(
            card["lock_acknowledged_ms"].as_u64().unwrap() >= delay,
            "{card:#}"
        );
    }
    if scenario == "quiet" {
        assert_eq!(card["detection"]["truth"], 0);
        assert_eq!(card["detection"]["detected"], 0);
        assert!(card["time_to_contain_ms"].is_null());
        return card;
    }
    let code = refusal_code(&card);
    assert!(
        venue.refusals.contains(&code.as_str()),
        "refused with {code}"
    );
    let tally = &card["attacker"];
    assert!(tally["accepted_total"].as_u64().unwrap() > 0);
    assert!(
        tally["probes"].as_u64().unwrap() > 0,
        "it probed until refused"
    );
    let sent = attacker_record(&card)["attempts"].as_array().unwrap().len() as u64;
    let counted = ["accepted_total", "refused", "probes"]
        .iter()
        .map(|field| tally[field].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(counted, sent, "every request counted once: {tally}");
    if let Some(delay) = venue.by_hand_ms {
        let contained = card["time_to_contain_ms"].as_u64().unwrap();
        assert!(
            contained >= delay,
            "containment cannot beat the person: {contained}"
        );
        assert!(
            tally["key_worked_after_start"].as_u64().unwrap() > 0,
            "the key worked while the person was deleting it: {tally}"
        );
    }
    match scenario {
        "pump-illiquid" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 8);
            let loss = card["estimated_loss"]["USDT"].as_f64().unwrap();
            assert!(loss > 0.0, "pumping a thin book costs: {loss}");
        }
        "alt-dump" => assert!(card["detection"]["truth"].as_u64().unwrap() >= 4),
        // Cross and isolated margin, COIN-M and USD-M conditional orders, each found and
        // cancelled.
        "products-binance" => assert_eq!(card["detection"]["truth"].as_u64(), Some(4)),
        "sabotage" => {
            let record = attacker_record(&card);
            let attempts = record["attempts"].as_array().unwrap();
            let withdraw = attempts
                .iter()
                .find(|a| a["kind"] == "withdraw")
                .expect("tried to withdraw");
            assert_eq!(withdraw["accepted"], false);
            assert_eq!(withdraw["code"], venue.withdrawal_refused);
            assert_eq!(
                withdraw["key_worked"], true,
                "refused on its merits: {withdraw}"
            );
            assert!(tally["refused"].as_u64().unwrap() >= 1);
            assert!(
                attempts
                    .iter()
                    .any(|a| a["kind"] == "cancel" && a["accepted"] == true),
                "the attacker cancelled the bot's orders"
            );
        }
        // 140 markets, 10 traded: the history stayed inside the weight and the diff found
        // every pumped order (`history.rs` counts the requests).
        "wide-binance" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 8);
            assert_eq!(card["detection"]["missed"], 0);
        }
        // Orders under the bot's copied client ids and prefix, on two pairs, all found.
        "prefix-copycat" | "order-kinds" => {
            let detection = &card["detection"];
            assert!(detection["truth"].as_u64().unwrap() >= 4, "{detection}");
            assert_eq!(detection["missed"], 0, "{detection}");
        }
        // Bot orders cancelled and amended, nothing placed: each reported as tampered.
        "quiet-sabotage" => {
            let detection = &card["detection"];
            // Two amends: on a venue that replaces, two new orders of the attacker's, found.
            let placed = if venue.amend_replaces { 2 } else { 0 };
            assert_eq!(detection["truth"], placed, "{detection}");
            assert_eq!(detection["detected"], placed, "{detection}");
            assert_eq!(detection["tampered_truth"], venue.tampered, "{detection}");
            assert_eq!(detection["tampered_missed"], 0, "{detection}");
        }
        // The owner's bot traded through the drill with a lagging ledger, from its own address,
        // until the lock shut it out too: none of its orders was called the attacker's.
        "busy-bot" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 6);
            let bot = &card["bot"];
            assert!(bot["placed"].as_u64().unwrap() >= 4, "{bot}");
            assert_eq!(bot["refused_after_lock"], 1, "{bot}");
            assert_eq!(bot["stopped"], "refused by the exchange", "{bot}");
            let lines = bot["placed"].as_u64().unwrap() + bot["cancelled"].as_u64().unwrap();
            assert_eq!(bot["ledger_lines"].as_u64(), Some(lines), "{bot}");
        }
        // The orders the ledger never got are reported and counted apart (OKX keeps no
        // cancelled order without fills past two hours: it shows two of the three).
        "ledger-gap" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 6);
            let apart = card["detection"]["owner_not_in_ledger"].as_u64().unwrap();
            assert!(apart >= 2, "{card:#}");
        }
        // Every resting order in the venue's products was placed and found.
        products if products.starts_with("products-") => {
            let detection = &card["detection"];
            assert!(detection["truth"].as_u64().unwrap() >= 3, "{detection}");
            assert_eq!(detection["detected"], detection["truth"], "{detection}");
        }
        // The exchange's clock 4 s ahead: the pump is found whole (the card's `missed` is 0),
        // and the history windows were read in exchange time, the offset measured.
        "skewed-clock" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 8);
            let clock = &step_outputs(&card, "history")["clock"];
            let offset = clock["offset_ms"].as_i64().expect("measured");
            // Kraken's server time has whole seconds: up to a second low.
            assert!((2_500..=5_000).contains(&offset), "{clock}");
        }
        // The old pump's orders (or, where the venue dropped them, their fills) and the new.
        "aged-out" => assert!(card["detection"]["truth"].as_u64().unwrap() >= 8),
        // The old cancelled orders the venue no longer keeps are not reported missing.
        "busy-history" => {
            assert!(card["detection"]["truth"].as_u64().unwrap() >= 6);
            let counts = &step_outputs(&card, "diff")["counts"];
            assert_eq!(counts["missing"], 0, "{counts}");
        }
        other => panic!("no expectations for scenario {other}"),
    }
    card
}

/// The outputs the drill's response journaled for step `id`.
fn step_outputs(card: &Value, id: &str) -> Value {
    let dir = std::path::Path::new(card["drill_dir"].as_str().unwrap());
    for journal in crate::support::files_under(dir)
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "journal.jsonl"))
    {
        for line in crate::support::read(&journal).lines() {
            let event: Value = serde_json::from_str(line).unwrap();
            if event["type"] == "step_finished" && event["data"]["step"] == id {
                return event["data"]["outputs"].clone();
            }
        }
    }
    panic!("no finished step `{id}` under {}", dir.display());
}

/// One test per venue and scenario, so they run side by side and fail by name.
macro_rules! drills {
    ($($test:ident: $venue:ident, $scenario:literal;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $test() {
                passes(&$venue, $scenario).await;
            }
        )*
    };
}

drills! {
    bybit_pump_illiquid: BYBIT, "pump-illiquid";
    bybit_alt_dump: BYBIT, "alt-dump";
    bybit_quiet: BYBIT, "quiet";
    bybit_sabotage: BYBIT, "sabotage";
    bybit_products_bybit: BYBIT, "products-bybit";
    okx_pump_illiquid: OKX, "pump-illiquid";
    okx_alt_dump: OKX, "alt-dump";
    okx_quiet: OKX, "quiet";
    okx_sabotage: OKX, "sabotage";
    deribit_pump_illiquid: DERIBIT, "pump-illiquid";
    deribit_alt_dump: DERIBIT, "alt-dump";
    deribit_quiet: DERIBIT, "quiet";
    deribit_sabotage: DERIBIT, "sabotage";
    deribit_products_deribit: DERIBIT, "products-deribit";
    binance_pump_illiquid: BINANCE, "pump-illiquid";
    binance_alt_dump: BINANCE, "alt-dump";
    binance_quiet: BINANCE, "quiet";
    binance_sabotage: BINANCE, "sabotage";
    binance_products_binance: BINANCE, "products-binance";
    binance_wide_binance: BINANCE, "wide-binance";
    kraken_pump_illiquid: KRAKEN, "pump-illiquid";
    kraken_alt_dump: KRAKEN, "alt-dump";
    kraken_quiet: KRAKEN, "quiet";
    kraken_sabotage: KRAKEN, "sabotage";
    okx_products_okx: OKX, "products-okx";
    kraken_products_kraken: KRAKEN, "products-kraken";
    bybit_skewed_clock: BYBIT, "skewed-clock";
    okx_skewed_clock: OKX, "skewed-clock";
    deribit_skewed_clock: DERIBIT, "skewed-clock";
    binance_skewed_clock: BINANCE, "skewed-clock";
    kraken_skewed_clock: KRAKEN, "skewed-clock";
    bybit_aged_out: BYBIT, "aged-out";
    okx_aged_out: OKX, "aged-out";
    deribit_aged_out: DERIBIT, "aged-out";
    binance_aged_out: BINANCE, "aged-out";
    kraken_aged_out: KRAKEN, "aged-out";
    bybit_busy_history: BYBIT, "busy-history";
    okx_busy_history: OKX, "busy-history";
    deribit_busy_history: DERIBIT, "busy-history";
    binance_busy_history: BINANCE, "busy-history";
    kraken_busy_history: KRAKEN, "busy-history";
    bybit_prefix_copycat: BYBIT, "prefix-copycat";
    okx_prefix_copycat: OKX, "prefix-copycat";
    deribit_prefix_copycat: DERIBIT, "prefix-copycat";
    binance_prefix_copycat: BINANCE, "prefix-copycat";
    kraken_prefix_copycat: KRAKEN, "prefix-copycat";
    bybit_order_kinds: BYBIT, "order-kinds";
    okx_order_kinds: OKX, "order-kinds";
    deribit_order_kinds: DERIBIT, "order-kinds";
    binance_order_kinds: BINANCE, "order-kinds";
    kraken_order_kinds: KRAKEN, "order-kinds";
    bybit_quiet_sabotage: BYBIT, "quiet-sabotage";
    okx_quiet_sabotage: OKX, "quiet-sabotage";
    deribit_quiet_sabotage: DERIBIT, "quiet-sabotage";
    binance_quiet_sabotage: BINANCE, "quiet-sabotage";
    kraken_quiet_sabotage: KRAKEN, "quiet-sabotage";
    bybit_busy_bot: BYBIT, "busy-bot";
    okx_busy_bot: OKX, "busy-bot";
    deribit_busy_bot: DERIBIT, "busy-bot";
    binance_busy_bot: BINANCE, "busy-bot";
    kraken_busy_bot: KRAKEN, "busy-bot";
    bybit_ledger_gap: BYBIT, "ledger-gap";
    okx_ledger_gap: OKX, "ledger-gap";
    deribit_ledger_gap: DERIBIT, "ledger-gap";
    binance_ledger_gap: BINANCE, "ledger-gap";
    kraken_ledger_gap: KRAKEN, "ledger-gap";
    bitmex_pump_illiquid: BITMEX, "pump-illiquid";
    bitmex_alt_dump: BITMEX, "alt-dump";
    bitmex_quiet: BITMEX, "quiet";
    bitmex_sabotage: BITMEX, "sabotage";
    bitmex_products_bitmex: BITMEX, "products-bitmex";
    bitmex_skewed_clock: BITMEX, "skewed-clock";
    bitmex_aged_out: BITMEX, "aged-out";
    bitmex_busy_history: BITMEX, "busy-history";
    bitmex_prefix_copycat: BITMEX, "prefix-copycat";
    bitmex_order_kinds: BITMEX, "order-kinds";
    bitmex_quiet_sabotage: BITMEX, "quiet-sabotage";
    bitmex_busy_bot: BITMEX, "busy-bot";
    bitmex_ledger_gap: BITMEX, "ledger-gap";
    bitget_pump_illiquid: BITGET, "pump-illiquid";
    bitget_alt_dump: BITGET, "alt-dump";
    bitget_quiet: BITGET, "quiet";
    bitget_sabotage: BITGET, "sabotage";
    bitget_skewed_clock: BITGET, "skewed-clock";
    bitget_aged_out: BITGET, "aged-out";
    bitget_busy_history: BITGET, "busy-history";
    bitget_prefix_copycat: BITGET, "prefix-copycat";
    bitget_order_kinds: BITGET, "order-kinds";
    bitget_quiet_sabotage: BITGET, "quiet-sabotage";
    bitget_busy_bot: BITGET, "busy-bot";
    bitget_ledger_gap: BITGET, "ledger-gap";
    bitget_products_bitget: BITGET, "products-bitget";
    bingx_pump_illiquid: BINGX, "pump-illiquid";
    bingx_alt_dump: BINGX, "alt-dump";
    bingx_quiet: BINGX, "quiet";
    bingx_sabotage: BINGX, "sabotage";
    bingx_products_bingx: BINGX, "products-bingx";
    bingx_skewed_clock: BINGX, "skewed-clock";
    bingx_aged_out: BINGX, "aged-out";
    bingx_busy_history: BINGX, "busy-history";
    bingx_prefix_copycat: BINGX, "prefix-copycat";
    bingx_order_kinds: BINGX, "order-kinds";
    bingx_quiet_sabotage: BINGX, "quiet-sabotage";
    bingx_busy_bot: BINGX, "busy-bot";
    bingx_ledger_gap: BINGX, "ledger-gap";
}

/// The list above covers every shipped scenario and every venue.
#[test]
fn every_venue_and_scenario_is_drilled() {
    let scenarios: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".yaml").map(str::to_owned)
            })
            .collect();
    let mut expected = Vec::new();
    for venue in [
        &BYBIT, &OKX, &DERIBIT, &BINANCE, &KRAKEN, &BITMEX, &BITGET, &BINGX,
    ] {
        // A venue's products (and wide-account) scenario is drilled on that venue only; the
        // many-key vendor leak on Bybit, key by key, in `many_keys.rs`.
        for scenario in scenarios
            .iter()
            .filter(|s| {
                s.strip_prefix("products-")
                    .or_else(|| s.strip_prefix("wide-"))
                    .is_none_or(|v| v == venue.name)
            })
            .filter(|s| *s != "vendor-leak")
        {
            expected.push(format!("{}_{}", venue.name, scenario.replace('-', "_")));
        }
    }
    let venues: Vec<&str> = lockdown::exchanges::ExchangeId::ALL
        .iter()
        .map(|id| id.as_str())
        .collect();
    assert_eq!(
        venues,
        [
            "bybit", "okx", "deribit", "binance", "kraken", "bitmex", "bitget", "bingx"
        ]
    );
    let source = include_str!("venue_drills.rs");
    for name in expected {
        assert!(
            source.contains(&format!("    {name}: ")),
            "no drill test {name}"
        );
    }
}
