//! The vendor-leak drill (twenty leaked keys at once) beyond Bybit (in `many_keys.rs`): each
//! venue's further bots are seeded as the venue has them (OKX's sub-account names and
//! passphrases, Bitget's passphrases, BitMEX's one account with every key on it), and one
//! response locks (where the venue locks by API), revokes and replaces every key and singles out
//! every attacker order, key by key. Binance and Kraken do not pass yet: twenty keys' runs go
//! over Binance's request weight of the responder's address (an `open_orders` step times out
//! waiting for the minute), and through Kraken's one owner key, whose call counter makes the
//! twenty runs take far longer than a test may.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{code, run_within, stderr, stdout};

/// Twenty keys' runs, four at a time after the locks; BitMEX's operator deletes each by hand.
const LIMIT: Duration = Duration::from_secs(240);

/// Whether the venue locks a key by API (BitMEX has no key API: its keys are deleted by hand,
/// the drill's `SimOperator`).
fn locks_by_api(venue: &str) -> bool {
    venue != "bitmex"
}

/// Runs the drill on `venue` and checks every key: passed, revoked, replaced by a key that
/// cannot withdraw, every attacker order of its account found, no false positive, none left
/// open, and locked where the venue locks keys by API. Returns the scorecard and the state
/// folder it lives in (kept as long as the result).
async fn vendor_leak_passes(venue: &str) -> (tempfile::TempDir, Value) {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let args: Vec<String> = [
        "drill",
        "--venue",
        venue,
        "--scenario",
        "vendor-leak",
        "--json",
        "--state-dir",
        &dir,
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let output = tokio::task::spawn_blocking(move || run_within(&args, &[], LIMIT))
        .await
        .expect("the drill ran");
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    assert_eq!(
        code(&output),
        0,
        "{venue}: {:#}\n{}",
        card["failures"],
        stderr(&output)
    );
    assert_eq!(card["venue"], venue);
    assert_eq!(card["passed"], true);
    let keys = card["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 20, "{venue}");
    for k in keys {
        assert_eq!(k["passed"], true, "{venue}: {k:#}");
        assert_eq!(k["locked"], locks_by_api(venue), "{venue}: {k:#}");
        let score = &k["card"];
        assert_eq!(score["key_revoked"], true, "{venue}: {k:#}");
        assert!(score["replacement"].is_object(), "{venue}: {k:#}");
        assert_eq!(score["replacement"]["withdraw"], false, "{venue}: {k:#}");
        assert_eq!(score["attacker_open_orders_left"], 0, "{venue}: {k:#}");
        let d = &score["detection"];
        assert!(d["truth"].as_u64().unwrap() > 0, "an attacker on every key");
        assert_eq!(d["true_positives"], d["truth"], "{venue}: {d:#}");
        assert_eq!(d["false_positives"], 0, "{venue}: {d:#}");
        assert_eq!(d["tampered_false_positives"], 0, "{venue}: {d:#}");
    }
    let summary = &card["summary"];
    let locked = if locks_by_api(venue) { 20 } else { 0 };
    assert_eq!(summary["locked"], locked, "{venue}: {summary:#}");
    assert_eq!(summary["revoked"], 20, "{venue}: {summary:#}");
    assert_eq!(summary["replaced"], 20, "{venue}: {summary:#}");
    assert_every_key_in_the_profile(Path::new(card["drill_dir"].as_str().unwrap()));
    (state, card)
}

/// The session's profile names all twenty keys, each with a secret file of its own and, where
/// the first key has a passphrase, a passphrase file of its own too.
fn assert_every_key_in_the_profile(drill_dir: &Path) {
    let profile = std::fs::read_to_string(drill_dir.join("config.yaml")).unwrap();
    let passphrases = profile.contains("file:bot.passphrase");
    for n in 2..=20 {
        assert!(
            profile.contains(&format!("file:bot-{n}.secret")),
            "{profile}"
        );
        assert!(drill_dir.join(format!("bot-{n}.secret")).is_file());
        if passphrases {
            assert!(
                profile.contains(&format!("file:bot-{n}.passphrase")),
                "{profile}"
            );
            assert!(drill_dir.join(format!("bot-{n}.passphrase")).is_file());
        }
    }
}

/// The accounts the profile's `keys:` entries name, in order.
fn profile_accounts(card: &Value) -> Vec<String> {
    let dir = Path::new(card["drill_dir"].as_str().unwrap());
    let profile = std::fs::read_to_string(dir.join("config.yaml")).unwrap();
    profile
        .lines()
        .filter_map(|l| l.trim().strip_prefix("account: "))
        .map(|a| a.trim_matches('"').to_owned())
        .collect()
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_okx_with_named_sub_accounts_and_passphrases() {
    let (_state, card) = vendor_leak_passes("okx").await;
    let accounts = profile_accounts(&card);
    assert_eq!(accounts.len(), 20, "{accounts:?}");
    for name in &accounts {
        // OKX sub-account names: 6 to 20 letters and digits.
        assert!((6..=20).contains(&name.len()), "{name}");
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
    }
    let distinct: std::collections::BTreeSet<_> = accounts.iter().collect();
    assert_eq!(distinct.len(), 20, "{accounts:?}");
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_bitget() {
    let _ = vendor_leak_passes("bitget").await;
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_deribit() {
    let _ = vendor_leak_passes("deribit").await;
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_bingx() {
    let _ = vendor_leak_passes("bingx").await;
}

#[tokio::test]
async fn the_vendor_leak_drill_passes_on_bitmex_where_every_key_is_deleted_by_hand() {
    let (_state, card) = vendor_leak_passes("bitmex").await;
    // BitMEX keys name no account: all twenty sit on the one account, beside the owner's key.
    assert!(profile_accounts(&card).is_empty());
}
