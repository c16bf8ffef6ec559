//! No secret ever leaves through output: stdout, stderr, the journal, snapshots and reports are
//! searched for every secret of a run, the journal key included. Only the secret store holds
//! the new one.

use crate::support::{
    Lab, assert_no_secret_in, files_under, lockdown, read, run_texts, stderr, stdout,
};

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_appear_in_any_output() {
    let lab = Lab::start(31).await;
    let master = read(&lab.sim_dir().join("master.secret"));
    let bot = read(&lab.sim_dir().join("bot.secret"));
    let output = lab.respond(&["--yes", "--json", "-vv"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let new_secret = lab.replacement()["api_secret"].as_str().unwrap().to_owned();
    assert!(new_secret.len() >= 16);

    let texts = run_texts(&lab, &output);
    assert!(
        texts.len() >= 6,
        "journal, reports and snapshots are searched: {}",
        texts.len()
    );
    let journal_key = read(&lab.sim_dir().join("state").join("journal.key"));
    assert_eq!(journal_key.len(), 64);
    let secrets = [
        ("master secret", master),
        ("bot secret", bot),
        ("replacement secret", new_secret),
        ("journal key", journal_key),
    ];
    assert_no_secret_in(&texts, &secrets);
    // The verbose output did show requests, with their signatures redacted.
    assert!(
        stderr(&output).contains("X-BAPI-SIGN: <redacted>"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_failing_command_does_not_print_an_env_secret() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "profiles:\n  p:\n    exchange: bybit\n    base_url: http://example.com\n    master: { key: K, secret: env:LOCKDOWN_CANARY }\n    responder_ip: nope\n",
    )
    .unwrap();
    let canary = "canary-7f3a9e1c-secret-value";
    let output = lockdown(
        &[
            "respond",
            "--config",
            config.to_str().unwrap(),
            "--key",
            "SOMEKEYID000000000",
            "--yes",
            "-v",
        ],
        &[("LOCKDOWN_CANARY", canary)],
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    for text in [stdout(&output), stderr(&output)] {
        assert!(!text.contains(canary), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_temporary_copy_of_a_secret_is_removed_by_the_next_run() {
    let lab = Lab::start(32).await;
    // What a `kill -9` between writing and renaming the store's temporary file leaves behind.
    let canary = "canary-3b8d0c55-stale-replacement-secret";
    let stale = lab.sim_dir().join(".replacement-key.json.99999.tmp");
    std::fs::write(
        &stale,
        format!("{{\"api_key\": \"OLDKEY\", \"api_secret\": \"{canary}\"}}\n"),
    )
    .unwrap();
    // Not ours: a name that only looks alike stays.
    let other = lab.sim_dir().join(".replacement-key.json.backup.tmp");
    std::fs::write(&other, "kept").unwrap();

    let output = lab.respond(&["--yes", "--json"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stale.exists(), "the stale copy is gone");
    assert!(other.exists());
    for file in files_under(lab.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert!(!text.contains(canary), "{}", file.display());
    }
}
