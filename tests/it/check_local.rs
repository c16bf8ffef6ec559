//! `lockdown check`, the local checks: a simulator session's profile is ready, and each thing an
//! incident would find too late (a step the venue cannot do, a plan that fails, a missing,
//! garbled or stale ledger, a store that cannot be written or that others can read, a state dir
//! others can read, a profile that does not load) is a finding with its fix, and the exit
//! follows the worst one. `check` changes nothing: no mode, no run folder, one history line.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use lockdown::exchanges::ExchangeId;
use serde_json::Value;

use crate::support::{
    Lab, assert_no_secret_in, code, lockdown, read, ready_lab, stderr, stdout, summary,
};

/// Runs `check --json` on the lab's config, then `extra`.
async fn check(lab: &Lab, extra: &[&str]) -> Output {
    let config = lab.session.config.display().to_string();
    let mut args = vec!["check", "--config", config.as_str(), "--json"];
    args.extend_from_slice(extra);
    lockdown(&args, &[]).await
}

/// The `--json` document of a check that exited `exit`.
fn report(output: &Output, exit: i32) -> Value {
    assert_eq!(code(output), exit, "stderr:\n{}", stderr(output));
    summary(output)
}

/// The findings of `check` about `profile`.
fn findings<'a>(doc: &'a Value, profile: &str) -> &'a Vec<Value> {
    doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == profile)
        .unwrap_or_else(|| panic!("no profile `{profile}` in {doc}"))["findings"]
        .as_array()
        .unwrap()
}

/// The one finding of check `id` about the session's profile.
fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let all = findings(doc, "sim");
    let found: Vec<_> = all.iter().filter(|f| f["check"] == id).collect();
    assert_eq!(found.len(), 1, "{id} in {all:#?}");
    found[0]
}

/// Checks that the findings not ok about the session's profile are exactly `wanted` (check id,
/// severity), and that each has a fix.
fn only(doc: &Value, wanted: &[(&str, &str)]) {
    let all = findings(doc, "sim");
    let found: Vec<(String, String)> = all
        .iter()
        .filter(|f| f["severity"] != "ok")
        .map(|f| {
            assert!(f["fix"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
            (
                f["check"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let wanted: Vec<(String, String)> = wanted
        .iter()
        .map(|(c, s)| ((*c).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(found, wanted, "{all:#?}");
}

/// Sets a field of the session's profile (`playbook`, `secret_store`), replacing its line.
fn set_field(lab: &Lab, field: &str, value: &str) {
    lab.drop_config_lines(&format!("{field}:"));
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let with = config.replace(
        "    exchange: ",
        &format!("    {field}: {value}\n    exchange: "),
    );
    std::fs::write(&lab.session.config, with).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn state_dir(lab: &Lab) -> PathBuf {
    lab.sim_dir().join("state")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_simulator_profile_is_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1601).await;
    let output = check(&lab, &[]).await;
    let doc = report(&output, 0);
    assert_eq!(doc["readiness"], "ready");
    let profiles = doc["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0]["name"], "sim");
    assert_eq!(profiles[0]["exchange"], "bybit");
    assert_eq!(profiles[0]["readiness"], "ready");
    only(&doc, &[]);
    for id in [
        "config.profile",
        "playbook.load",
        "playbook.venue",
        "playbook.steps",
        "playbook.plan",
        "ledger.exists",
        "ledger.parse",
        "ledger.stale",
        "store.folder",
        "store.file",
        "state_dir.usable",
    ] {
        let f = finding(&doc, id);
        assert_eq!(f["profile"], "sim");
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{f}");
    }
    let people = stderr(&output);
    assert!(people.contains("profile `sim` (bybit)"), "{people}");
    assert!(
        people.contains("  ok         playbook.plan"),
        "one line per check:\n{people}"
    );
    assert!(
        people
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("ready: 1 profile checked")),
        "{people}"
    );
    // No secret in anything it showed.
    let master = read(&lab.sim_dir().join("master.secret"));
    let bot = read(&lab.sim_dir().join("bot.secret"));
    assert_no_secret_in(
        &[
            ("stdout".to_owned(), stdout(&output)),
            ("stderr".to_owned(), people.clone()),
        ],
        &[("master secret", master), ("bot secret", bot)],
    );
    // The check is in the history of the profile's state dir.
    let history = std::fs::read_to_string(state_dir(&lab).join("drills.jsonl")).unwrap();
    let line: Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!(line["kind"], "check");
    assert_eq!(line["profile"], "sim");
    assert_eq!(line["venue"], "bybit");
    assert_eq!(line["readiness"], "ready");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_simulator_venue_is_ready() {
    for venue in ExchangeId::ALL {
        let lab = ready_lab(*venue, 1617).await;
        let doc = report(&check(&lab, &[]).await, 0);
        assert_eq!(doc["profiles"][0]["exchange"], venue.as_str());
        only(&doc, &[]);
        // Kraken manages keys only by hand: its steps are guided, not missing.
        let steps = finding(&doc, "playbook.steps");
        if *venue == ExchangeId::Kraken {
            assert!(
                steps["message"]
                    .as_str()
                    .unwrap()
                    .contains("done by hand, guided"),
                "{steps}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_the_venue_cannot_do_is_not_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1602).await;
    // Bybit's dead-man switch (DCP) is WebSocket-only: `cancel_after` cannot run there.
    let playbook = lab.sim_dir().join("dead-man.yaml");
    std::fs::write(
        &playbook,
        "version: 1
name: bybit-with-dead-man
exchange: bybit
inputs:
  key: { required: true }
steps:
  - id: lock
    restrict_key:
      key: \"{{ inputs.key }}\"
      ip_whitelist: [\"{{ profile.responder_ip }}\"]
  - id: dead_man
    cancel_after:
      key: \"{{ inputs.key }}\"
      seconds: 60
  - id: revoke
    revoke_key:
      key: \"{{ inputs.key }}\"
",
    )
    .unwrap();
    set_field(&lab, "playbook", "dead-man.yaml");
    let doc = report(&check(&lab, &[]).await, 2);
    assert_eq!(doc["readiness"], "not_ready");
    let steps = finding(&doc, "playbook.steps");
    assert_eq!(steps["severity"], "critical");
    let message = steps["message"].as_str().unwrap();
    assert!(
        message.contains("step `dead_man` (cancel_after) cannot run on bybit"),
        "{message}"
    );
    assert!(message.contains("WebSocket"), "{message}");
    // The offline plan stops at the same step.
    let plan = finding(&doc, "playbook.plan");
    assert_eq!(plan["severity"], "critical");
    assert!(
        plan["message"].as_str().unwrap().contains("dead_man"),
        "{plan}"
    );
    only(
        &doc,
        &[
            ("playbook.steps", "critical"),
            ("playbook.plan", "critical"),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_playbook_for_another_venue_is_not_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1603).await;
    let okx = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/okx.yaml");
    set_field(&lab, "playbook", &okx.display().to_string());
    let doc = report(&check(&lab, &[]).await, 2);
    let venue = finding(&doc, "playbook.venue");
    assert_eq!(venue["severity"], "critical");
    assert!(
        venue["message"]
            .as_str()
            .unwrap()
            .contains("is for okx, the profile is bybit"),
        "{venue}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_offline_plan_that_fails_is_not_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1604).await;
    // Without `bot_ips` the replacement key has no address to be bound to: the shipped
    // playbook's `replace` step cannot be planned.
    lab.drop_config_lines("bot_ips:");
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("playbook.plan", "critical")]);
    let plan = finding(&doc, "playbook.plan");
    let message = plan["message"].as_str().unwrap();
    assert!(message.contains("step `replace`"), "{message}");
    assert!(message.contains("IP whitelist"), "{message}");
    assert!(plan["fix"].as_str().unwrap().contains("bot_ips"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_ledger_is_a_warning() {
    let lab = ready_lab(ExchangeId::Bybit, 1605).await;
    lab.drop_config_lines("known_orders:");
    let output = check(&lab, &[]).await;
    let doc = report(&output, 1);
    assert_eq!(doc["readiness"], "warnings");
    only(&doc, &[("ledger.exists", "warning")]);
    let ledger = finding(&doc, "ledger.exists");
    assert!(
        ledger["message"]
            .as_str()
            .unwrap()
            .contains("cannot tell the owner's orders from the attacker's"),
        "{ledger}"
    );
    let people = stderr(&output);
    assert!(people.contains("  warning    ledger.exists"), "{people}");
    assert!(people.contains("fix: set `known_orders:`"), "{people}");
    assert!(
        people
            .lines()
            .last()
            .unwrap()
            .starts_with("ready, with 1 warning"),
        "{people}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_that_is_not_there_is_not_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1606).await;
    std::fs::remove_file(lab.sim_dir().join("known-orders.jsonl")).unwrap();
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("ledger.exists", "critical")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_not_ready_after_a_ready_one_is_marked_regressed() {
    let lab = ready_lab(ExchangeId::Bybit, 1618).await;
    let doc = report(&check(&lab, &[]).await, 0);
    assert_eq!(doc["profiles"][0]["regressed"], Value::Null, "{doc:#}");
    std::fs::remove_file(lab.sim_dir().join("known-orders.jsonl")).unwrap();
    let doc = report(&check(&lab, &[]).await, 2);
    let reason = doc["profiles"][0]["regressed"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("not ready after a check that was ready"),
        "{doc:#}"
    );
    // The history line says so too; a second not-ready check is no new regression.
    let history = read(&state_dir(&lab).join("drills.jsonl"));
    let last: Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!(last["regressed"], reason, "{history}");
    let doc = report(&check(&lab, &[]).await, 2);
    assert_eq!(doc["profiles"][0]["regressed"], Value::Null, "{doc:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_garbled_ledger_names_its_line_and_column() {
    let lab = ready_lab(ExchangeId::Bybit, 1607).await;
    let path = lab.sim_dir().join("known-orders.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"order_id\": \"x1\", \"side\": buy}";
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("ledger.parse", "critical")]);
    let message = finding(&doc, "ledger.parse")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(&format!("{}:3:28:", path.display())),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_ledger_is_a_warning() {
    let lab = ready_lab(ExchangeId::Bybit, 1608).await;
    let path = lab.sim_dir().join("known-orders.jsonl");
    let three_days_ago = chrono::Utc::now() - chrono::Duration::days(3);
    std::fs::write(
        &path,
        format!(
            "{{\"order_id\":\"o-1\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"created_at\":\"{}\"}}\n",
            three_days_ago.format("%Y-%m-%dT%H:%M:%S%.3fZ")
        ),
    )
    .unwrap();
    let doc = report(&check(&lab, &[]).await, 1);
    only(&doc, &[("ledger.stale", "warning")]);
    let stale = finding(&doc, "ledger.stale");
    let message = stale["message"].as_str().unwrap();
    assert!(message.contains("newest entry is 3d"), "{message}");
    assert!(message.contains("`ledger_max_age` (1d)"), "{message}");

    // A bot that trades rarely: the profile allows a week.
    set_field(&lab, "ledger_max_age", "7d");
    let doc = report(&check(&lab, &[]).await, 0);
    assert_eq!(finding(&doc, "ledger.stale")["severity"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_folder_that_cannot_be_written_is_not_ready() {
    let lab = ready_lab(ExchangeId::Bybit, 1609).await;
    // A folder no one can create files in, root included (tests may run as root, for whom a
    // mode of 0500 changes nothing).
    set_field(&lab, "secret_store", "file:/proc/self/replacement-key.json");
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("store.folder", "critical")]);
    let store = finding(&doc, "store.folder");
    assert!(
        store["message"]
            .as_str()
            .unwrap()
            .contains("`/proc/self` cannot be written"),
        "{store}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_others_can_read_is_a_warning_and_stays_as_it_is() {
    let lab = ready_lab(ExchangeId::Bybit, 1610).await;
    let store = lab.sim_dir().join("replacement-key.json");
    std::fs::write(&store, "{}").unwrap();
    set_mode(&store, 0o644);
    let doc = report(&check(&lab, &[]).await, 1);
    only(&doc, &[("store.file", "warning")]);
    let file = finding(&doc, "store.file");
    assert!(
        file["message"].as_str().unwrap().contains("mode 644"),
        "{file}"
    );
    assert_eq!(
        file["fix"].as_str().unwrap(),
        format!(
            "`chmod 600 {}`; if others may have read it, replace that key",
            store.display()
        )
    );
    assert_eq!(mode(&store), 0o644, "check changes no mode");

    // A folder where the store should be: the new secret cannot be renamed over it.
    std::fs::remove_file(&store).unwrap();
    std::fs::create_dir(&store).unwrap();
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("store.file", "critical")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_dir_others_can_read_is_a_warning_and_stays_as_it_is() {
    let lab = ready_lab(ExchangeId::Bybit, 1611).await;
    let state = state_dir(&lab);
    std::fs::create_dir(&state).unwrap();
    set_mode(&state, 0o755);
    let doc = report(&check(&lab, &[]).await, 1);
    only(&doc, &[("state_dir.private", "warning")]);
    let private = finding(&doc, "state_dir.private");
    assert!(
        private["message"].as_str().unwrap().contains("mode 755"),
        "{private}"
    );
    assert_eq!(
        private["fix"].as_str().unwrap(),
        format!("`chmod 700 {}`", state.display())
    );
    assert_eq!(mode(&state), 0o755, "check changes no mode");

    // A journal key others can read: runs would be journaled unauthenticated.
    set_mode(&state, 0o700);
    let key = state.join("journal.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    set_mode(&key, 0o644);
    let doc = report(&check(&lab, &[]).await, 1);
    only(&doc, &[("state_dir.journal_key", "warning")]);
    assert_eq!(mode(&key), 0o644, "check changes no mode");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_dir_that_cannot_be_used_is_not_ready_and_gets_nothing() {
    let lab = ready_lab(ExchangeId::Bybit, 1615).await;
    // A file where the state dir should be.
    let file = lab.sim_dir().join("not-a-folder");
    std::fs::write(&file, "mine\n").unwrap();
    set_field(&lab, "state_dir", "not-a-folder");
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("state_dir.usable", "critical")]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");

    // A state dir that cannot be created (not even by root: /proc takes no new files).
    set_field(&lab, "state_dir", "/proc/self/lockdown-state");
    let doc = report(&check(&lab, &[]).await, 2);
    only(&doc, &[("state_dir.usable", "critical")]);
    let usable = finding(&doc, "state_dir.usable");
    assert!(
        usable["message"]
            .as_str()
            .unwrap()
            .contains("does not exist and cannot be created in `/proc/self`"),
        "{usable}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_the_venue_does_not_read_is_a_warning() {
    let lab = ready_lab(ExchangeId::Bybit, 1616).await;
    // `demo` is OKX's (x-simulated-trading); on Bybit it changes nothing.
    set_field(&lab, "demo", "true");
    let doc = report(&check(&lab, &[]).await, 1);
    only(&doc, &[("config.profile", "warning")]);
    let profile = finding(&doc, "config.profile");
    assert!(
        profile["message"]
            .as_str()
            .unwrap()
            .contains("sets `demo`, which bybit does not read"),
        "{profile}"
    );
    assert_eq!(
        profile["fix"],
        "remove it from the profile (read on okx only)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_that_does_not_load_does_not_hide_the_others() {
    let lab = ready_lab(ExchangeId::Bybit, 1612).await;
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let broken = "  spare:
    exchange: bybit
    base_url: https://api.bybit.com
    master:
      key: spare-master
      secret: env:LOCKDOWN_CHECK_TEST_UNSET_SECRET
    responder_ip: 203.0.113.7
";
    std::fs::write(&lab.session.config, format!("{config}{broken}")).unwrap();
    let spare_line = config.lines().count() + 6;
    let output = check(&lab, &[]).await;
    let doc = report(&output, 2);
    assert_eq!(doc["readiness"], "not_ready");
    let names: Vec<&str> = doc["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sim", "spare"]);
    // The good profile is checked all the same, and ready.
    assert_eq!(doc["profiles"][0]["readiness"], "ready");
    assert!(findings(&doc, "sim").len() > 5);
    let spare = &doc["profiles"][1];
    assert_eq!(spare["exchange"], Value::Null);
    assert_eq!(spare["readiness"], "not_ready");
    let spare_findings = findings(&doc, "spare");
    assert_eq!(spare_findings.len(), 1, "{spare_findings:#?}");
    let f = &spare_findings[0];
    assert_eq!(f["check"], "config.profile");
    assert_eq!(f["severity"], "critical");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{}:{spare_line}:", lab.session.config.display())),
        "{message}"
    );
    assert!(
        message.contains("LOCKDOWN_CHECK_TEST_UNSET_SECRET"),
        "{message}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("export LOCKDOWN_CHECK_TEST_UNSET_SECRET"),
        "{f}"
    );
    let people = stderr(&output);
    assert!(
        people.contains("profile `spare`\n  NOT READY  config.profile"),
        "{people}"
    );

    // `--profile` checks the one named; a name not in the file is bad input.
    let doc = report(&check(&lab, &["--profile", "sim"]).await, 0);
    assert_eq!(doc["profiles"].as_array().unwrap().len(), 1);
    let output = check(&lab, &["--profile", "nope"]).await;
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no profile `nope`"),
        "{}",
        stderr(&output)
    );
    // `--json`: the error on stdout too, never an empty stdout.
    let error: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(error["error"]["exit"], 2);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no profile `nope`")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_that_does_not_parse_is_exit_2_with_its_place() {
    let lab = ready_lab(ExchangeId::Bybit, 1613).await;
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(&lab.session.config, format!("{config}    colour: blue\n")).unwrap();
    let line = config.lines().count() + 1;
    let output = check(&lab, &[]).await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{}:{line}:5", lab.session.config.display())),
        "{err}"
    );
    assert!(err.contains("colour"), "{err}");
}

/// Every file under `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    crate::support::files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_leaves_nothing_behind_but_its_history_line_and_the_keys_it_saw() {
    let lab = ready_lab(ExchangeId::Bybit, 1614).await;
    // A state dir that has seen a run: its key and history exist.
    let first = check(&lab, &[]).await;
    report(&first, 0);
    let key = state_dir(&lab).join("journal.key");
    std::fs::write(&key, format!("{}\n", "cd".repeat(32))).unwrap();
    set_mode(&key, 0o600);
    let before = snapshot(&lab.sim_dir());
    report(&check(&lab, &[]).await, 0);
    let mut after = snapshot(&lab.sim_dir());
    let history = state_dir(&lab).join("drills.jsonl");
    let old = before[&history].clone();
    let new = after.remove(&history).unwrap();
    assert!(new.starts_with(&old));
    let added = String::from_utf8(new[old.len()..].to_vec()).unwrap();
    assert_eq!(added.lines().count(), 1, "{added}");
    assert!(added.contains("\"kind\":\"check\""), "{added}");
    // The last view of each bot key, for a later incident's report: rewritten with its time.
    let seen = state_dir(&lab).join("keys-seen").join("bybit.json");
    let view =
        String::from_utf8(after.remove(&seen).expect("check keeps the keys it saw")).unwrap();
    assert!(
        view.contains(&lab.leaked()) && view.contains("\"by\": \"check\""),
        "{view}"
    );
    let mut before = before;
    before.remove(&history);
    before.remove(&seen);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file added or removed"
    );
    assert_eq!(before, after, "no file changed");
    assert!(
        !state_dir(&lab).join("runs").exists(),
        "the offline plan's run folder is not in the state dir"
    );
}
