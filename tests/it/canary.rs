//! No secret ever leaves through output: stdout, stderr, the journal, snapshots and reports are
//! searched for every secret of a run, the journal key included. Only the secret store holds
//! the new one.

use lockdown::exchanges::ExchangeId;

use crate::support::{
    Lab, assert_no_secret_in, code, files_under, lockdown, read, run_texts, stderr, stdout,
};

#[tokio::test(flavor = "multi_thread")]
async fn secrets_never_appear_in_any_output() {
    let lab = Lab::start(31).await;
    let master = read(&lab.sim_dir().join("master.secret"));
    let bot = read(&lab.sim_dir().join("bot.secret"));
    // Notifications on: what a receiver gets is searched too.
    let (hook, got) = crate::notify_webhook::receiver(crate::notify_webhook::Answer::Ok).await;
    crate::notify_webhook::add_webhooks(&lab, &[("ops", &hook, "")]);
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
    let mut texts = texts;
    let got = got.lock().unwrap().clone();
    assert!(got.len() >= 3, "the receiver got the run's messages");
    for (i, delivery) in got.iter().enumerate() {
        texts.push((
            format!("notification {i}"),
            String::from_utf8(delivery.body.to_vec()).unwrap(),
        ));
    }
    assert_no_secret_in(&texts, &secrets);
    let webhook = [
        ("webhook secret", crate::notify_webhook::SECRET.to_owned()),
        ("webhook url path", "tok3n-s3cret-path".to_owned()),
    ];
    assert_no_secret_in(&texts, &webhook);
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

/// Every run of 8 characters of `secret`: what a cut answer can leave of it.
fn pieces(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(8).map(|w| w.iter().collect()).collect()
}

/// The values of the fields named `names` anywhere in `value`.
fn fields(value: &serde_json::Value, names: &[&str], out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (name, item) in map {
                match item.as_str() {
                    Some(text) if names.contains(&name.as_str()) => out.push(text.to_owned()),
                    _ => fields(item, names, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| fields(i, names, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_key_answer_cut_short_leaves_its_secret_nowhere() {
    use secrecy::ExposeSecret;

    for (venue, route, keep, names) in [
        (
            ExchangeId::Deribit,
            "create_api_key",
            100,
            &["client_secret"][..],
        ),
        (
            ExchangeId::Okx,
            "POST /api/v5/users/subaccount/apikey",
            150,
            &["secretKey", "passphrase"][..],
        ),
        (ExchangeId::Bybit, "create-sub-api", 320, &["secret"][..]),
    ] {
        let lab = Lab::start_on(venue, 33).await;
        lab.sim.cut_short(route, keep);
        // The session's own files hold the credentials; what the run leaves is searched.
        let before = files_under(lab.dir.path());
        let output = lab.respond(&["--yes", "--json", "-vvv"]).await;
        let err = stderr(&output);
        assert_ne!(code(&output), 0, "{venue}: a cut answer is not a success");
        assert!(!err.contains("panicked"), "{err}");
        let whole = lab.sim.cut_answers();
        assert_eq!(whole.len(), 1, "{venue}: one create-key answer was cut");
        let seen = lab.sim.inspect().faults_seen();
        assert_eq!(seen.get("cut-short"), Some(&1), "{venue}: {seen:?}");
        // Allowed: the test reads the answer the client never got whole, to search for it.
        #[allow(clippy::disallowed_methods)]
        let whole = whole[0].expose_secret();
        let mut secrets = Vec::new();
        fields(&serde_json::from_str(whole).unwrap(), names, &mut secrets);
        assert_eq!(secrets.len(), names.len(), "{venue}: {names:?}");
        // The cut leaves part of a secret in what the client got: the test can see a leak.
        let got = &whole[..keep];
        assert!(
            secrets
                .iter()
                .any(|s| pieces(s).iter().any(|p| got.contains(p.as_str()))),
            "{venue}: cut at {keep} keeps none of the secret; move the cut"
        );
        let mut texts = vec![
            ("stdout".to_owned(), stdout(&output)),
            ("stderr".to_owned(), err.clone()),
        ];
        for file in files_under(lab.dir.path()) {
            if before.contains(&file) && !file.ends_with("config.yaml") {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&file) {
                texts.push((file.display().to_string(), text));
            }
        }
        assert!(
            texts
                .iter()
                .any(|(name, _)| name.ends_with("journal.jsonl")),
            "{venue}: the journal is searched"
        );
        // The run's own credentials too: -vvv shows every request, logins included.
        secrets.push(read(&lab.sim_dir().join("master.secret")));
        secrets.push(read(&lab.sim_dir().join("bot.secret")));
        for secret in &secrets {
            for piece in pieces(secret) {
                for (name, text) in &texts {
                    assert!(
                        !text.contains(&piece),
                        "{venue}: `{piece}` of the new key's secret leaked into {name}:\n{text}"
                    );
                }
            }
        }
    }
}
