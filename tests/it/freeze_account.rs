//! `freeze_account`, the mass-leak option: one request through the master freezes a whole
//! sub-account, and every key of it (the leaked one, the bots' others) is refused by the
//! exchange; venues without such a call refuse the step before sending anything.

use lockdown::exchanges::model::TradePermission;
use lockdown::exchanges::{Auth, ExchangeId, Op};
use lockdown::secret::Credential;

use crate::adapter::{balances, create_key};
use crate::support::{Lab, bybit_playbook, respond_with_playbook, step_status};

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_sub_account_refuses_every_key_of_it() {
    let lab = Lab::start(390).await;
    let (master, bot) = lab.creds();
    let client = lab.client();
    let account = lab.account();
    // A second key of the same sub-account, as a vendor holding many would have.
    let other = create_key(
        &client,
        &master,
        &account,
        "second-bot",
        &[TradePermission::SpotTrade],
        &["127.0.0.1"],
    )
    .await;
    let other = Credential::new(other.info.key, other.secret);
    for key in [&bot, &other] {
        balances(&client, key).await;
    }

    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "mass-freeze",
            r#"steps:
  - id: freeze
    freeze_account: { key: "{{ inputs.key }}" }
finally:
  - id: report
    report: { formats: [markdown] }
"#,
        ),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(step_status(&summary, "freeze"), "ok", "{summary:#}");
    assert!(summary["contained_ms"].as_u64().is_some(), "{summary:#}");
    // The cost is said: the bots stop too, and how to undo it.
    assert!(
        err.contains("the bots' on it too") && err.contains("frozen=0"),
        "{err}"
    );
    let report = std::fs::read_to_string(crate::support::run_dir(&summary).join("report.md"))
        .unwrap_or_default();
    assert!(
        report.contains("sub-account frozen: every key of sub-account"),
        "the report says the cost: {report}"
    );

    // Every key of the sub-account is refused; the master still works.
    for key in [&bot, &other] {
        let refused = client
            .call(&Op::Balances, Auth::Key(key))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Some("10008"), "{refused}");
    }
    balances(&client, &master).await;
    let frozen: Vec<_> = lab
        .sim
        .inspect()
        .access_log
        .into_iter()
        .filter(|e| e.path == "/v5/user/frozen-sub-member")
        .collect();
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].ret_code, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_venue_without_a_sub_account_freeze_refuses_the_step_before_sending() {
    let lab = Lab::start_on(ExchangeId::Okx, 391).await;
    let playbook = format!(
        "version: 1\nname: mass-freeze\nexchange: okx\ninputs:\n  key: {{ required: true }}\n{}",
        r#"steps:
  - id: freeze
    freeze_account: { key: "{{ inputs.key }}" }
"#
    );
    let mark = lab.sent();
    let (code, summary, err) = respond_with_playbook(&lab, &playbook).await;
    assert_ne!(code, 0, "{err}");
    assert_eq!(step_status(&summary, "freeze"), "failed", "{summary:#}");
    assert!(err.contains("cannot freeze a sub-account by API"), "{err}");
    // Said before the first request, with its place and what to do instead; the run still
    // starts (nothing but the exchange may stop a lock or a revoke).
    assert!(
        err.contains("step `freeze` (freeze_account) cannot run on okx"),
        "{err}"
    );
    assert!(err.contains("`restrict_key` and `revoke_key`"), "{err}");
    assert!(
        lab.sent_since(mark).iter().all(|e| e.key_id.is_none()),
        "nothing signed was sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_account_in_the_profile_the_key_names_its_sub_account() {
    let lab = Lab::start(392).await;
    let (_, bot) = lab.creds();
    lab.drop_config_lines("account:");
    let (code, summary, err) = respond_with_playbook(
        &lab,
        &bybit_playbook(
            "mass-freeze",
            r#"steps:
  - id: freeze
    freeze_account: { key: "{{ inputs.key }}" }
"#,
        ),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(step_status(&summary, "freeze"), "ok", "{summary:#}");
    let refused = lab
        .client()
        .call(&Op::Balances, Auth::Key(&bot))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("10008"), "{refused}");
}
