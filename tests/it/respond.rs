//! `lockdown respond` end to end against the simulator over real HTTP.

use crate::support::{
    Lab, attacker_ip, bybit_call, code, contained, journal_of, read, report_of, responder_ip,
    run_dir, stderr, step_status, summary, unauthorized_ids,
};

/// `query-api` signed with `key` from the responder's address: the `retCode`.
async fn query_api(lab: &Lab, key: &str, secret: &str) -> i64 {
    let (url, from) = (&lab.running.base_url, responder_ip());
    bybit_call(url, from, key, secret, "GET", "/v5/user/query-api", "").await
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_contains_a_leaked_bybit_key() {
    let lab = Lab::start(11).await;
    let leaked = lab.leaked();
    let before = lab.sim.inspect();
    let bot_uid = before.key(&leaked).expect("leaked key exists").uid;
    assert!(
        !before.open_orders(bot_uid).is_empty(),
        "the seed has open orders"
    );

    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    for field in [
        "run_id",
        "run_dir",
        "steps",
        "unauthorized_orders",
        "report",
    ] {
        assert!(
            !summary[field].is_null(),
            "summary lacks `{field}`: {summary}"
        );
    }
    for step in summary["steps"].as_array().unwrap() {
        for field in ["id", "status", "started_at", "duration_ms"] {
            assert!(!step[field].is_null(), "step lacks `{field}`: {step}");
        }
    }

    let after = lab.sim.inspect();
    // No open order is left on the bot's account.
    assert!(
        after.open_orders(bot_uid).is_empty(),
        "{:?}",
        after.open_orders(bot_uid)
    );
    // The leaked key is deleted, and the exchange refuses it as unauthenticated.
    assert!(
        after.key(&leaked).is_none_or(|k| k.deleted),
        "leaked key still live"
    );
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    assert_eq!(query_api(&lab, &leaked, &bot_secret).await, 10003);

    // The replacement key: on the bot's account, no withdraw or transfer right, IP-bound.
    let replacement = lab.replacement();
    let new_id = replacement["api_key"].as_str().unwrap();
    let new_key = after.key(new_id).expect("replacement key exists");
    assert_eq!(new_key.uid, bot_uid);
    assert!(!new_key.deleted);
    assert_eq!(new_key.ips, ["127.0.0.1"]);
    assert!(
        new_key.permissions.get("Wallet").is_none(),
        "{}",
        new_key.permissions
    );
    let perms = new_key.permissions.to_string().to_ascii_lowercase();
    assert!(
        !perms.contains("withdraw") && !perms.contains("transfer"),
        "{perms}"
    );
    // The new secret authenticates from the bot's address.
    let new_secret = replacement["api_secret"].as_str().unwrap();
    assert_eq!(query_api(&lab, new_id, new_secret).await, 0);

    // The report lists exactly the seeded unauthorized orders.
    let run_dir = run_dir(&summary);
    let report = report_of(&summary);
    let reported = unauthorized_ids(&report);
    assert_eq!(reported, before.attacker_order_ids());
    assert_eq!(summary["unauthorized_orders"], reported.len());
    for order in report["unauthorized"].as_array().unwrap() {
        for field in ["symbol", "side", "qty", "created_at"] {
            assert!(
                !order[field].is_null(),
                "unauthorized order lacks `{field}`: {order}"
            );
        }
    }
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    for id in &reported {
        assert!(markdown.contains(id.as_str()), "report.md lacks order {id}");
    }
    // Whole: support cannot act on a masked key id (ids are not secrets).
    assert!(
        markdown.contains(&format!("| Leaked key | `{leaked}` |")),
        "report.md names the whole key id"
    );

    // The journal's chain holds, and the report names its hash.
    let verified = lockdown::journal::verify(&run_dir.join("journal.jsonl")).expect("chain holds");
    assert!(verified.events.len() > 20);
    let hash = report["journal"]["hash"].as_str().unwrap();
    assert!(verified.events.iter().any(|e| e.hash == hash));
    assert_eq!(summary["journal"]["hash"], verified.head);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_the_lock_the_attacker_is_refused_and_the_owner_is_not() {
    let lab = Lab::start(12).await;
    let leaked = lab.leaked();
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    let order =
        r#"{"category":"spot","orderType":"Market","qty":"10","side":"Buy","symbol":"XVGUSDT"}"#;
    let base = lab.running.base_url.clone();

    let attacker_order = || {
        bybit_call(
            &base,
            attacker_ip(),
            &leaked,
            &bot_secret,
            "POST",
            "/v5/order/create",
            order,
        )
    };

    // Before: the leaked key trades from anywhere.
    let before = attacker_order().await;
    assert_eq!(before, 0, "the attacker trades before the response");

    // A playbook that only locks.
    let playbook = lab.dir.path().join("lock-only.yaml");
    std::fs::write(
        &playbook,
        "version: 1\nname: lock-only\nexchange: bybit\ninputs:\n  key: { required: true }\nsteps:\n  - id: lock\n    restrict_key: { key: \"{{ inputs.key }}\" }\n",
    )
    .unwrap();
    let output = lab
        .respond(&["--yes", "--playbook", playbook.to_str().unwrap()])
        .await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));

    // After: refused from the attacker's address (10010), still usable from the responder's.
    assert_eq!(attacker_order().await, 10010);
    assert_eq!(query_api(&lab, &leaked, &bot_secret).await, 0);
    assert_eq!(lab.sim.inspect().key(&leaked).unwrap().ips, ["127.0.0.1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skewed_exchange_clock_is_resynced() {
    let lab = Lab::start(13).await;
    // The exchange runs 20 s ahead: every first request is refused with 10002, then resynced.
    lab.sim.set_clock_skew_ms(20_000);
    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    let summary = summary(&output);
    assert_eq!(summary["contained"], true);
    let journal = journal_of(&summary);
    assert!(
        journal.contains("\"code\":\"10002\""),
        "the first call should have met the skew"
    );
}

/// The parts of the exchange a response could change (the access log and clock excluded).
fn exchange_state(lab: &Lab) -> String {
    let view = lab.sim.inspect();
    serde_json::to_string(&serde_json::json!({
        "keys": view.keys,
        "orders": view.orders,
        "executions": view.executions,
        "balances": view.balances,
        "markets": view.markets,
        "withdrawals": view.withdrawals,
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_reads_and_shows_but_changes_nothing() {
    let lab = Lab::start(14).await;
    let before = exchange_state(&lab);
    let output = lab.respond(&["--dry-run", "--json", "-v"]).await;
    assert_eq!(code(&output), 0, "stderr:\n{}", stderr(&output));
    assert_eq!(
        exchange_state(&lab),
        before,
        "a dry run changed the exchange"
    );

    // It did read (snapshots are real), and sent nothing mutating.
    let log = lab.sim.inspect().access_log;
    assert!(log.iter().any(|e| e.path == "/v5/order/realtime"));
    assert!(log.iter().all(|e| e.method == "GET"), "{log:?}");

    // Every mutating step was planned, with its exact request shown and journaled, redacted.
    let summary = summary(&output);
    assert_eq!(summary["mode"], "dry-run");
    assert_eq!(summary["contained"], false);
    for id in ["lock", "cancel", "revoke", "replace", "store"] {
        assert_eq!(step_status(&summary, id), "planned", "{id}");
    }
    assert_eq!(step_status(&summary, "history"), "ok");
    assert_eq!(step_status(&summary, "diff"), "ok");
    let err = stderr(&output);
    assert!(err.contains("POST /v5/user/update-sub-api"), "{err}");
    assert!(err.contains("X-BAPI-SIGN: <redacted>"), "{err}");
    let journal = journal_of(&summary);
    assert!(journal.contains("POST /v5/user/create-sub-api"));
    assert!(journal.contains("POST /v5/order/cancel-all"));
    assert!(!lab.sim_dir().join("replacement-key.json").exists());
}
