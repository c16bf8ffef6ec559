//! Issue 18's "done when": a whole response on the simulator, scored as a drill scores it (every
//! attacker order found, none of the owner's called unauthorized, the key revoked, a
//! replacement stored), with the credentials where users keep them: the master in OpenBao and
//! the replacement written to AWS Secrets Manager (moto); then the master from a password
//! manager's command and the replacement encrypted to an age recipient. Real servers and tools
//! on 127.0.0.1, started by the tests (see `secrets_vault`, `secrets_aws`, `secrets_local`).

use std::collections::BTreeSet;

use lockdown::drill::Attacker;
use lockdown::exchanges::ExchangeId;
use lockdown::secret::{Credential, KeyId, SecretString};
use lockdown::sim::scenario::Scenario;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::secrets_aws::{Moto, TESTING, lockdown_aws};
use crate::secrets_local::{Managers, age_decrypt, keygen};
use crate::secrets_vault::Bao;
use crate::support::{
    Lab, assert_no_secret_in, contained, edit_config, lockdown, read, report_of, run_texts,
    unauthorized_ids,
};

/// The drill scenario the README's first command runs: an attacker pumps an illiquid coin.
const SCENARIO: &str = include_str!("../../scenarios/pump-illiquid.yaml");

/// The scenario's attacker, trading with the leaked key as in `lockdown drill`: returns once
/// its plan is played (it then probes until the exchange refuses it) and a handle that ends it.
async fn attack(lab: &Lab) -> (watch::Sender<bool>, tokio::task::JoinHandle<String>) {
    let scenario = Scenario::load("pump-illiquid").expect("the shipped scenario");
    let leaked = Credential::new(
        KeyId::new(lab.leaked()),
        SecretString::from(read(&lab.sim_dir().join("bot.secret"))),
    );
    let attacker = Attacker::new(ExchangeId::Bybit, &lab.running.base_url, leaked, &scenario)
        .expect("the attacker starts");
    let (plan_done, mut planned) = watch::channel(false);
    let (over, drill_over) = watch::channel(false);
    let task = tokio::spawn(async move { attacker.run(plan_done, drill_over).await.stopped });
    let _ = planned.wait_for(|done| *done).await;
    (over, task)
}

/// Ends the attacker; it must have been refused by the exchange.
async fn refused(over: watch::Sender<bool>, task: tokio::task::JoinHandle<String>) {
    let _ = over.send(true);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(60), task)
        .await
        .expect("the attacker ends")
        .unwrap();
    assert_eq!(stopped, "refused by the exchange");
}

/// Scores a run as `lockdown drill` does: every attacker order found, nothing of the owner's
/// called unauthorized, the leaked key gone.
fn scored(lab: &Lab, summary: &Value) {
    let truth = lab.sim.inspect();
    let attacker: BTreeSet<String> = truth.attacker_order_ids();
    assert!(!attacker.is_empty(), "the scenario traded as the attacker");
    let found = unauthorized_ids(&report_of(summary));
    let missed: Vec<_> = attacker.difference(&found).collect();
    let false_positives: Vec<_> = found.difference(&attacker).collect();
    assert!(missed.is_empty(), "attacker orders missed: {missed:?}");
    assert!(
        false_positives.is_empty(),
        "owner orders called unauthorized: {false_positives:?}"
    );
    assert!(
        truth.key(&lab.leaked()).is_none_or(|k| k.deleted),
        "the leaked key is alive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_with_the_master_in_openbao_and_the_replacement_in_aws_sm_passes() {
    let bao = Bao::start().await;
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let lab = Lab::start_scenario(ExchangeId::Bybit, SCENARIO, 7).await;
    let dir = lab.sim_dir();
    let master_key = read(&dir.join("master.key"));
    let master_secret = read(&dir.join("master.secret"));
    let bot_secret = read(&dir.join("bot.secret"));
    bao.put(
        "master",
        json!({ "api_key": master_key, "api_secret": master_secret }),
    )
    .await;
    // Only OpenBao holds the master credential now.
    std::fs::remove_file(dir.join("master.key")).unwrap();
    std::fs::remove_file(dir.join("master.secret")).unwrap();
    let token = dir.join("vault-token");
    std::fs::write(&token, &bao.token).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    edit_config(
        &lab,
        "key: file:master.key",
        "key: vault:secret/data/master#api_key",
    );
    edit_config(
        &lab,
        "secret: file:master.secret",
        "secret: vault:secret/data/master#api_secret",
    );
    edit_config(
        &lab,
        "secret_store: file:replacement-key.json",
        "secret_store: aws-sm:bots/grid-bot",
    );
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!(
            "{config}secrets:\n  vault:\n    addr: {}\n    auth: {{ token: file:vault-token }}\n  aws:\n    region: us-east-1\n    endpoint: {}\n    create: true\n",
            bao.addr, moto.url
        ),
    )
    .unwrap();

    let (over, attacker) = attack(&lab).await;
    let config = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let args = crate::support::respond_args(&config, &leaked, &["--yes", "--json"]);
    let output = lockdown_aws(&args, &TESTING, lab.dir.path()).await;
    let summary = contained(&output);
    scored(&lab, &summary);
    refused(over, attacker).await;

    // The replacement is AWS's current version of the secret, and the exchange knows it.
    let current = moto.current("bots/grid-bot");
    let stored: Value = serde_json::from_str(current["text"].as_str().unwrap()).unwrap();
    let new_id = stored["api_key"].as_str().unwrap();
    let new_secret = stored["api_secret"].as_str().unwrap().to_owned();
    assert!(lab.sim.inspect().key(new_id).is_some_and(|k| !k.deleted));
    assert!(!dir.join("replacement-key.json").exists());
    assert_no_secret_in(
        &run_texts(&lab, &output),
        &[
            ("master secret", master_secret),
            ("leaked key's secret", bot_secret),
            ("new key's secret", new_secret),
            ("Vault token", bao.token.clone()),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drill_with_the_master_from_a_password_manager_and_the_replacement_in_age_passes() {
    let lab = Lab::start_scenario(ExchangeId::Bybit, SCENARIO, 8).await;
    let pm = Managers::new();
    let master_secret = read(&lab.sim_dir().join("master.secret"));
    let bot_secret = read(&lab.sim_dir().join("bot.secret"));
    pm.op_item("Private/sim-master/secret", &master_secret);
    std::fs::remove_file(lab.sim_dir().join("master.secret")).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (identity, public) = keygen(keys.path());
    edit_config(
        &lab,
        "secret: file:master.secret",
        "secret: cmd:op read op://Private/sim-master/secret",
    );
    edit_config(
        &lab,
        "secret_store: file:replacement-key.json",
        "secret_store: age:replacement-key.age",
    );
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(
        &lab.session.config,
        format!("{config}secrets:\n  age:\n    recipients: [{public}]\n"),
    )
    .unwrap();

    let path = format!(
        "{}:{}",
        pm.bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (over, attacker) = attack(&lab).await;
    let config = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let args = crate::support::respond_args(&config, &leaked, &["--yes", "--json"]);
    let output = lockdown(&args, &[("PATH", &path)]).await;
    let summary = contained(&output);
    scored(&lab, &summary);
    refused(over, attacker).await;

    // Decrypted by the age CLI: the new key, live at the exchange.
    let stored: Value = serde_json::from_str(&age_decrypt(
        &identity,
        &lab.sim_dir().join("replacement-key.age"),
    ))
    .unwrap();
    let new_id = stored["api_key"].as_str().unwrap();
    let new_secret = stored["api_secret"].as_str().unwrap().to_owned();
    assert!(lab.sim.inspect().key(new_id).is_some_and(|k| !k.deleted));
    assert_no_secret_in(
        &run_texts(&lab, &output),
        &[
            ("master secret", master_secret),
            ("leaked key's secret", bot_secret),
            ("new key's secret", new_secret),
        ],
    );
}
