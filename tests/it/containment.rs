//! Fail toward containment: nothing but the exchange stops the lock and the revoke. A missing or
//! broken ledger, a `when` that cannot be evaluated, a responder that locked itself out: each
//! run still ends with the key revoked at the exchange, exit 1, and says what is left.

use std::path::Path;

use lockdown::exchanges::ExchangeId;
use serde_json::Value;

use crate::support::{
    Lab, bybit_playbook, code, lockdown, respond_with_playbook, run_dir, stderr, stdout,
    step_status,
};

/// The venues whose containment is all by API (Kraken's revoke is a person's: its own tests).
const BY_API: [ExchangeId; 4] = [
    ExchangeId::Bybit,
    ExchangeId::Okx,
    ExchangeId::Deribit,
    ExchangeId::Binance,
];

/// Runs the shipped playbook with `--yes --json`: exit code, summary, stderr.
async fn respond(lab: &Lab) -> (i32, Value, String) {
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null);
    (code(&output), summary, stderr(&output))
}

/// Replaces `from` with `to` in the lab's config.
fn edit_config(lab: &Lab, from: &str, to: &str) {
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    assert!(config.contains(from), "{from} not in the config");
    std::fs::write(&lab.session.config, config.replace(from, to)).unwrap();
}

/// The key is gone at the exchange, its replacement stored, and the run ended 1 saying why.
fn revoked_with_reason(lab: &Lab, venue: ExchangeId, code: i32, summary: &Value, err: &str) {
    assert_eq!(code, 1, "{venue}: {err}");
    let truth = lab.sim.inspect();
    assert!(
        truth.key(&lab.leaked()).is_none_or(|k| k.deleted),
        "{venue}: the leaked key is still alive\n{err}"
    );
    for step in ["revoke", "verify_dead", "replace", "store", "report"] {
        assert_eq!(step_status(summary, step), "ok", "{venue} `{step}`: {err}");
    }
    assert!(
        lab.replacement()["api_key"].as_str().is_some(),
        "{venue}: no replacement stored"
    );
    assert!(
        summary["left"].as_array().is_some_and(|l| !l.is_empty()),
        "{venue}: the summary says nothing is left: {summary:#}"
    );
    assert!(err.contains("left to do:"), "{venue}: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_the_venue_does_not_read_is_said_and_the_response_goes_on() {
    let lab = Lab::start(330).await;
    // Deribit's authentication style and OKX's demo switch, on a Bybit profile.
    edit_config(
        &lab,
        "responder_ip: 127.0.0.1",
        "responder_ip: 127.0.0.1\n    auth: signature\n    demo: true",
    );
    let (code, summary, err) = respond(&lab).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(step_status(&summary, "revoke"), "ok");
    for (field, readers) in [("auth", "deribit"), ("demo", "okx")] {
        assert!(
            err.contains(&format!("`{field}` is not read on bybit"))
                && err.contains(&format!("it applies to {readers} only")),
            "`{field}` not said: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_ledger_never_stops_the_lock_or_the_revoke() {
    for (i, venue) in BY_API.into_iter().enumerate() {
        let lab = Lab::start_on(venue, 300 + i as u64).await;
        std::fs::remove_file(lab.sim_dir().join("known-orders.jsonl")).unwrap();
        let (code, summary, err) = respond(&lab).await;
        revoked_with_reason(&lab, venue, code, &summary, &err);
        assert!(
            err.contains("the known-orders ledger cannot be used") && err.contains("goes on"),
            "{venue}: said before the first request: {err}"
        );
        // Every order the exchange showed is unverified, none called unauthorized.
        assert_eq!(step_status(&summary, "diff"), "ok");
        assert_eq!(summary["unauthorized_orders"], Value::Null, "{summary:#}");
        assert!(summary["unverified_orders"].as_u64().unwrap() > 0);
        let report = std::fs::read_to_string(run_dir(&summary).join("report.md")).unwrap();
        assert!(report.contains("## Unverified orders"), "{report}");
        assert!(report.contains("## Left to do"), "{report}");
    }
}

/// Spoils a lab's ledger.
type Spoil = fn(&Lab);

#[tokio::test(flavor = "multi_thread")]
async fn no_ledger_and_a_bad_ledger_line_go_on_too() {
    let cases: [(&str, Spoil); 2] = [
        ("no `known_orders` in the profile", |lab| {
            lab.drop_config_lines("known_orders:")
        }),
        ("a bad line", |lab| {
            let ledger = lab.sim_dir().join("known-orders.jsonl");
            let mut text = std::fs::read_to_string(&ledger).unwrap();
            text.push_str("{\"order_id\": 17, \"side\": \"sideways\"\n");
            std::fs::write(&ledger, text).unwrap();
        }),
    ];
    for (i, (label, spoil)) in cases.into_iter().enumerate() {
        let lab = Lab::start_on(ExchangeId::Bybit, 320 + i as u64).await;
        spoil(&lab);
        let (code, summary, err) = respond(&lab).await;
        revoked_with_reason(&lab, ExchangeId::Bybit, code, &summary, &err);
        assert!(
            !err.contains("rendered to"),
            "{label}: a template message: {err}"
        );
        assert!(err.contains("unverified"), "{label}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_responder_that_locked_itself_out_still_revokes_and_says_what_is_left() {
    for (i, venue) in BY_API.into_iter().enumerate() {
        let lab = Lab::start_on(venue, 340 + i as u64).await;
        // A documentation address (RFC 5737), not this machine's.
        edit_config(&lab, "responder_ip: 127.0.0.1", "responder_ip: 203.0.113.9");
        let open_before = lab.sim.inspect().attacker_order_ids().len();
        let (code, summary, err) = respond(&lab).await;
        revoked_with_reason(&lab, venue, code, &summary, &err);
        assert_eq!(step_status(&summary, "lock"), "ok", "{venue}: {err}");
        assert!(
            err.contains("203.0.113.9") && err.contains("locked itself out"),
            "{venue}: the cause is named: {err}"
        );
        let left = summary["left"].to_string();
        assert!(
            open_before == 0 || left.contains("orders may still be open"),
            "{venue}: {left}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_when_that_cannot_be_evaluated_is_a_failed_step_not_a_skip() {
    let lab = Lab::start(360).await;
    // `counts` exists; `open_orderz` in it does not: only running it can tell.
    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "when-fails",
            r#"steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}", ip_whitelist: ["{{ profile.responder_ip }}"] }
  - id: oo
    snapshot: { key: "{{ inputs.key }}", of: open_orders }
  - id: cancel
    when: "{{ steps.oo.counts.open_orderz > 0 }}"
    cancel_orders: { key: "{{ inputs.key }}" }
  - id: revoke
    revoke_key: { key: "{{ inputs.key }}" }
"#,
        ),
    )
    .await;
    assert_eq!(code, 1, "never 0 with the cancel left undone: {err}");
    assert_eq!(step_status(&summary, "cancel"), "failed", "{summary:#}");
    assert_eq!(step_status(&summary, "revoke"), "ok", "{summary:#}");
    assert!(err.contains("could not be evaluated"), "{err}");
    assert!(
        summary["left"]
            .to_string()
            .contains("orders may still be open")
    );
    let journal = std::fs::read_to_string(run_dir(&summary).join("journal.jsonl")).unwrap();
    assert!(
        journal
            .lines()
            .any(|l| l.contains("\"step_failed\"") && l.contains("\"cancel\"")),
        "the failure is journaled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_refuses_a_step_output_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oo.yaml");
    std::fs::write(
        &path,
        bybit_playbook(
            "bad-output",
            r#"steps:
  - id: oo
    snapshot: { key: "{{ inputs.key }}", of: open_orders }
  - id: cancel
    when: "{{ steps.oo.open_orders > 0 }}"
    cancel_orders: { key: "{{ inputs.key }}" }
"#,
        ),
    )
    .unwrap();
    let output = lockdown(&["validate", path.to_str().unwrap()], &[]).await;
    let err = stderr(&output);
    assert_eq!(code(&output), 2, "{err}");
    assert!(
        err.contains("has no output `open_orders`") && err.contains("counts"),
        "{err}"
    );
    assert!(err.contains("oo.yaml:10:11"), "names the line: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn containment_steps_run_after_the_deadline() {
    let lab = Lab::start(370).await;
    // The deadline passes during the slow evidence step; the revoke still runs after it.
    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "deadline",
            r#"deadline: 1ms
steps:
  - id: lock
    restrict_key: { key: "{{ inputs.key }}", ip_whitelist: ["{{ profile.responder_ip }}"] }
  - id: history
    snapshot: { key: "{{ inputs.key }}", of: [orders, fills] }
  - id: revoke
    revoke_key: { key: "{{ inputs.key }}" }
"#,
        ),
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(step_status(&summary, "revoke"), "ok", "{summary:#}");
    assert!(
        lab.sim
            .inspect()
            .key(&lab.leaked())
            .is_none_or(|k| k.deleted)
    );
    assert!(err.contains("deadline passed"), "{err}");
}

/// The journal names every step of the playbook, those that did not run too.
#[tokio::test(flavor = "multi_thread")]
async fn steps_a_stop_kept_from_running_are_journaled() {
    let lab = Lab::start(380).await;
    edit_config(&lab, "responder_ip: 127.0.0.1", "responder_ip: 203.0.113.9");
    let (_, summary, _) = respond(&lab).await;
    let journal =
        std::fs::read_to_string(Path::new(&run_dir(&summary)).join("journal.jsonl")).unwrap();
    // (The diff runs in `finally`, after the revoke, so it runs whatever stopped the steps.)
    assert!(
        journal.lines().any(|l| l.contains("\"step_skipped\"")
            && l.contains("\"step\":\"history\"")
            && l.contains("not_run")),
        "`history` is in the journal as not run"
    );
    // The cancel is a containment step: it runs after the stop too (and is refused here).
    let report = std::fs::read_to_string(run_dir(&summary).join("report.md")).unwrap();
    assert!(
        report.contains("| cancel | cancel_orders | failed |"),
        "{report}"
    );
    assert!(report.contains("orders may still be open"), "{report}");
}

/// A drill whose scenario rots the owner's setup (`owner:`): the response still revokes the key
/// at the exchange, ends 1, and the scorecard fails the drill saying why.
async fn drill_with_rotten_setup(venue: &str, owner: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pump-illiquid.yaml"),
    )
    .unwrap();
    let scenario = dir.path().join("rotten.yaml");
    std::fs::write(
        &scenario,
        format!(
            "{}\nowner:\n{owner}",
            shipped.replace("name: pump-illiquid", "name: rotten-setup")
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let output = lockdown(
        &[
            "drill",
            "--venue",
            venue,
            "--scenario",
            scenario.to_str().unwrap(),
            "--json",
            "--state-dir",
            state.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}): {}", stderr(&output)));
    assert_ne!(code(&output), 0, "a rotten setup fails the drill");
    assert_eq!(card["passed"], false, "{card:#}");
    assert_eq!(card["key_revoked"], true, "{venue}: {card:#}");
    assert_eq!(card["respond_exit"], 1, "{venue}: {card:#}");
    assert!(
        card["left"].as_array().is_some_and(|l| !l.is_empty()),
        "{card:#}"
    );
    card
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_with_a_deleted_ledger_revokes_and_fails_saying_why() {
    for venue in ["bybit", "okx"] {
        let card = drill_with_rotten_setup(venue, "  ledger: missing\n").await;
        let failures = card["failures"].to_string();
        assert!(
            failures.contains("could not be checked against the owner's ledger"),
            "{venue}: {failures}"
        );
        assert_eq!(card["open_orders_left"], 0, "{venue}: the cancels ran");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_with_a_wrong_responder_ip_revokes_and_fails_saying_why() {
    for venue in ["bybit", "deribit"] {
        let card = drill_with_rotten_setup(venue, "  responder_ip: 203.0.113.9\n").await;
        let left = card["left"].to_string();
        assert!(left.contains("locked itself out"), "{venue}: {left}");
        assert!(left.contains("orders may still be open"), "{venue}: {left}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_key_that_cannot_be_used_never_stops_the_response() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::start(390).await;
    // A key file others can read (a careless copy, a backup restored with the wrong mode).
    let state = lab.sim_dir().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let key = state.join("journal.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, summary, err) = respond(&lab).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        lab.sim
            .inspect()
            .key(&lab.leaked())
            .is_none_or(|k| k.deleted)
    );
    assert!(err.contains("not keyed") && err.contains("chmod"), "{err}");
    // Chain and seal hold; once the key is fixed, the journal says plainly it cannot be
    // authenticated (its events carry no `mac`).
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let verify = lockdown(&["verify", run_dir(&summary).to_str().unwrap()], &[]).await;
    assert_eq!(verify.status.code(), Some(6), "{}", stderr(&verify));
}

/// Keys made during this test's run that are still alive (neither the master nor the leaked
/// key nor one the session seeded).
fn live_new_keys(lab: &Lab, before: &[String]) -> Vec<String> {
    lab.sim
        .inspect()
        .keys
        .iter()
        .filter(|k| !k.deleted && !before.contains(&k.id))
        .map(|k| k.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_store_that_cannot_take_a_key_never_stops_the_lock_and_no_key_is_made() {
    for (name, store) in [
        ("a folder", "file:."),
        ("a missing folder", "file:nowhere/key.json"),
    ] {
        let lab = Lab::start(361).await;
        let before: Vec<String> = lab
            .sim
            .inspect()
            .keys
            .iter()
            .map(|k| k.id.clone())
            .collect();
        edit_config(
            &lab,
            "secret_store: file:replacement-key.json",
            &format!("secret_store: {store}"),
        );
        let (code, summary, err) = respond(&lab).await;
        assert_eq!(code, 1, "{name}: {err}");
        for step in ["lock", "revoke", "verify_dead"] {
            assert_eq!(step_status(&summary, step), "ok", "{name} `{step}`: {err}");
        }
        assert!(
            lab.sim
                .inspect()
                .key(&lab.leaked())
                .is_none_or(|k| k.deleted),
            "{name}: the leaked key is still alive"
        );
        assert_eq!(
            step_status(&summary, "replace"),
            "failed",
            "{name}: {summary:#}"
        );
        assert!(err.contains("no replacement key was made"), "{name}: {err}");
        assert!(
            err.contains("no replacement made"),
            "{name}: the store problem is said before the first request: {err}"
        );
        assert_eq!(
            live_new_keys(&lab, &before),
            Vec::<String>::new(),
            "{name}: a key nobody can hold was made"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_key_answer_lost_in_transit_is_deleted_at_once() {
    let lab = Lab::start(362).await;
    let before: Vec<String> = lab
        .sim
        .inspect()
        .keys
        .iter()
        .map(|k| k.id.clone())
        .collect();
    lab.sim.cut_short("create-sub-api", 320);
    let (code, summary, err) = respond(&lab).await;
    assert_ne!(code, 0, "{err}");
    assert_eq!(step_status(&summary, "revoke"), "ok", "{err}");
    assert_eq!(
        live_new_keys(&lab, &before),
        Vec::<String>::new(),
        "the key whose answer was lost is still alive, and nobody holds its secret"
    );
    let journal = std::fs::read_to_string(run_dir(&summary).join("journal.jsonl")).unwrap();
    assert!(
        journal.lines().any(|l| l.contains("\"key_deleted\"")),
        "the deletion is journaled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_key_secret_that_does_not_read_never_stops_the_lock_or_the_revoke() {
    let lab = Lab::start(363).await;
    edit_config(&lab, "secret: file:bot.secret", "secret: file:gone.secret");
    let (code, summary, err) = respond(&lab).await;
    assert!(code <= 1, "the response ran: {err}");
    assert!(
        err.contains("could not be read") && err.contains("gone.secret"),
        "said before the first request: {err}"
    );
    for step in ["lock", "revoke", "verify_dead"] {
        assert_eq!(step_status(&summary, step), "ok", "`{step}`: {err}");
    }
    assert!(
        lab.sim
            .inspect()
            .key(&lab.leaked())
            .is_none_or(|k| k.deleted),
        "the leaked key is still alive: {err}"
    );

    // `check` calls it critical: found before the incident.
    let config = lab.session.config.to_str().unwrap().to_owned();
    let checked = lockdown(&["--config", &config, "check", "--json"], &[]).await;
    assert_eq!(code_of(&checked), 2, "{}", stdout(&checked));
    assert!(
        stdout(&checked).contains("does not read"),
        "{}",
        stdout(&checked)
    );
}

fn code_of(output: &std::process::Output) -> i32 {
    code(output)
}

/// A key the profile does not hold (one `audit` reports as `key.unknown`, made by an attacker in
/// the web interface) is still locked and revoked through the master: a missing `keys:` entry
/// never stops containment. The steps that need the key's own secret fail alone, and the run
/// says what is left.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_not_in_the_profile_is_still_locked_and_revoked() {
    for venue in [
        ExchangeId::Bybit,
        ExchangeId::Okx,
        ExchangeId::Binance,
        ExchangeId::Deribit,
    ] {
        let lab = Lab::start_on(venue, 364).await;
        let bot = lab.leaked();
        let stranger = lab.sim.web_ui_create_key(&bot, "stranger", &[]).unwrap();
        let output = lab.respond_for(&stranger, &["--yes", "--json"]).await;
        let summary: Value = serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null);
        let err = stderr(&output);
        assert_eq!(code(&output), 1, "{venue}: {err}");
        let masked = lockdown::secret::KeyId::new(stranger.clone()).masked();
        assert!(
            err.contains(&format!("key `{masked}` is not in profile `sim`: it is locked and revoked through the master")),
            "{venue}: said before the first request: {err}"
        );
        assert!(err.contains("orders may still be open"), "{venue}: {err}");
        for step in ["lock", "revoke", "verify_dead"] {
            assert_eq!(step_status(&summary, step), "ok", "{venue} `{step}`: {err}");
        }
        let truth = lab.sim.inspect();
        assert!(
            truth.key(&stranger).is_none_or(|k| k.deleted),
            "{venue}: the stranger key is still alive: {err}"
        );
        assert!(
            truth.key(&bot).is_some_and(|k| !k.deleted),
            "{venue}: the bot's own key was touched"
        );
    }
}
