//! The attacker's new moves against each simulated venue, without a response: what the
//! simulator's hidden truth holds once its plan is played (the orders it placed, under which
//! client ids, and the bot orders it cancelled or amended).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use secrecy::SecretString;
use tokio::sync::watch;

use super::attacker::{Attacker, Record};
use crate::exchanges::ExchangeId;
use crate::secret::{Credential, KeyId};
use crate::sim::scenario::Scenario;
use crate::sim::{Inspect, Origin, Sim};

const VENUES: [ExchangeId; 5] = [
    ExchangeId::Bybit,
    ExchangeId::Okx,
    ExchangeId::Deribit,
    ExchangeId::Binance,
    ExchangeId::Kraken,
];

/// Plays `scenario`'s attacker plan on `venue` (no response, so nothing refuses it) and returns
/// the simulator's truth afterwards and the attacker's record.
async fn play(venue: ExchangeId, scenario: &str) -> (Inspect, Record) {
    let scenario = Scenario::load(scenario).expect("shipped scenario");
    let sim = Sim::from_scenario_on(venue, &scenario, scenario.seed);
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let session = sim
        .write_session(dir.path(), &running.base_url)
        .expect("session files");
    let secret = std::fs::read_to_string(dir.path().join("bot.secret")).expect("secret");
    let mut stolen = Credential::new(
        KeyId::new(session.leaked_key.clone()),
        SecretString::from(secret.trim().to_owned()),
    );
    if let Ok(passphrase) = std::fs::read_to_string(dir.path().join("bot.passphrase")) {
        stolen = stolen.with_passphrase(SecretString::from(passphrase.trim().to_owned()));
    }
    let attacker =
        Attacker::new(venue, &running.base_url, stolen, &scenario).expect("the attacker starts");
    let (plan_done, _) = watch::channel(false);
    // The drill is over before it starts: the attacker plays its plan and stops, unrefused.
    let (_over, drill_over) = watch::channel(true);
    let record = attacker.run(plan_done, drill_over).await;
    (sim.inspect(), record)
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_sabotage_cancels_and_amends_bot_orders_and_places_none() {
    for venue in VENUES {
        let (truth, record) = play(venue, "quiet-sabotage").await;
        let tampered = truth.tampered_order_ids();
        assert_eq!(tampered.len(), 4, "{venue:?}: {tampered:?} {record:#?}");
        assert!(truth.attacker_order_ids().is_empty(), "{venue:?}");
        assert!(tampered.is_subset(&truth.owner_order_ids()), "{venue:?}");
        let still_open = tampered
            .iter()
            .filter(|id| truth.order(id).is_some_and(|o| o.is_open()))
            .count();
        // Two cancelled, two amended (and still resting, at half their quantity).
        assert_eq!(still_open, 2, "{venue:?}: {record:#?}");
        for id in &tampered {
            let order = truth.order(id).unwrap();
            if order.is_open() {
                let qty: f64 = order.qty.parse().unwrap();
                assert!(
                    (qty - 0.005).abs() < 1e-9 || (qty - 0.15).abs() < 1e-9,
                    "{venue:?}: amended to half: {order:?}"
                );
            }
        }
        let amends = record
            .attempts
            .iter()
            .filter(|a| a.kind == "amend" && a.accepted)
            .count();
        assert_eq!(amends, 2, "{venue:?}: {record:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prefix_copycat_orders_carry_the_bots_prefix_and_copied_ids() {
    for venue in VENUES {
        let (truth, record) = play(venue, "prefix-copycat").await;
        let attacker: Vec<_> = truth
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Attacker)
            .collect();
        assert_eq!(attacker.len(), 8, "{venue:?}: {record:#?}");
        // OKX keeps letters and digits only: `grid-` becomes `grid`.
        assert!(
            attacker.iter().all(|o| o.order_link_id.starts_with("grid")),
            "{venue:?}: {attacker:#?}"
        );
        let bot_ids: BTreeSet<&str> = truth
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Owner && !o.is_open())
            .map(|o| o.order_link_id.as_str())
            .collect();
        let copied = attacker
            .iter()
            .filter(|o| bot_ids.contains(o.order_link_id.as_str()))
            .count();
        assert_eq!(
            copied, 4,
            "{venue:?}: every closed bot order's id reused once: {attacker:#?} {record:#?}"
        );
        assert!(truth.tampered_order_ids().is_empty(), "{venue:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn order_kinds_trade_two_pairs_rest_some_orders_and_sell_back() {
    for venue in VENUES {
        let (truth, record) = play(venue, "order-kinds").await;
        let attacker: Vec<_> = truth
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Attacker)
            .collect();
        let symbols: BTreeSet<&str> = attacker.iter().map(|o| o.symbol.as_str()).collect();
        assert_eq!(symbols.len(), 2, "{venue:?}: two targets: {attacker:#?}");
        assert!(
            attacker.iter().any(|o| o.is_open()),
            "{venue:?}: the post-only buy rests: {attacker:#?}"
        );
        assert!(
            attacker
                .iter()
                .any(|o| o.side == "Sell" && o.status == "Filled"),
            "{venue:?}: the round trip sold back: {attacker:#?} {record:#?}"
        );
        // Reduce-only has no position to reduce on spot: refused, never placed (Binance's adapter
        // refuses it before sending: spot takes no `reduceOnly`).
        assert!(
            venue == ExchangeId::Binance
                || record
                    .attempts
                    .iter()
                    .any(|a| a.kind == "order" && !a.accepted && a.key_worked),
            "{venue:?}: {record:#?}"
        );
        assert!(truth.tampered_order_ids().is_empty(), "{venue:?}");
    }
}
