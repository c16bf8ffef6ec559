//! `aws-sm:` references and stores against a real Secrets Manager API: moto in server mode
//! (PyPI `moto[server]`, see tests/requirements.txt) on 127.0.0.1, started per test and killed
//! after. The other side is boto3 (AWS's own Python SDK, installed with moto): it creates the
//! secrets lockdown reads and reads back what lockdown wrote.
//!
//! `lockdown` runs with a clean AWS environment: no inherited `AWS_*` variable, no shared
//! config files, and instance metadata off (`AWS_EC2_METADATA_DISABLED`), so the credential
//! chain never leaves loopback and a developer's own AWS setup never leaks in.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    Lab, assert_no_secret_in, code, contained, journal_of, read, run_texts, stderr, stdout,
    summary, wait_bounded,
};

/// A moto server on a free loopback port, killed when dropped.
pub(crate) struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Starts `python3 -m moto.server` on a free port and waits until it answers; fails the
    /// test with the reason (and moto's own output) if it cannot start.
    pub(crate) fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// The same, with extra environment for moto (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`, which
    /// turns on its IAM checks after that many requests).
    pub(crate) fn start_with(env: &[(&str, &str)]) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("moto.log");
        let out = std::fs::File::create(&log).expect("moto log");
        let mut command = Command::new("python3");
        command
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap_or_else(|err| {
            panic!("moto cannot start: `python3` did not run ({err}); install python3 and `pip install -r tests/requirements.txt`")
        });
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "moto exited ({status}) before serving; is `moto[server]` installed (`pip install -r tests/requirements.txt`)?\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            if answers(port) {
                break;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "moto did not answer on {url} within 60 s\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            url,
            _dir: dir,
        }
    }

    /// Runs a boto3 script against this server as the test's other side: `E` is the endpoint,
    /// `A` the JSON `args`, credentials `testing` in `us-east-1` unless `env` says; its stdout.
    pub(crate) fn boto(&self, script: &str, args: &Value, env: &[(&str, &str)]) -> String {
        let mut command = Command::new("python3");
        command
            .arg("-c")
            .arg(format!(
                "import boto3, json, os, sys\nE = os.environ['ENDPOINT']\nA = json.loads(sys.argv[1])\n{script}"
            ))
            .arg(args.to_string())
            .env("ENDPOINT", &self.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("python3 runs");
        assert!(
            output.status.success(),
            "boto3 script failed:\n{script}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Creates secret `name` holding `text` in `region`; its ARN.
    pub(crate) fn create_secret(&self, name: &str, text: &str, region: &str) -> String {
        self.boto(
            "sm = boto3.client('secretsmanager', endpoint_url=E, region_name=A['region'])\nprint(sm.create_secret(Name=A['name'], SecretString=A['text'])['ARN'])",
            &serde_json::json!({ "name": name, "text": text, "region": region }),
            &[],
        )
    }

    /// The current version of secret `name` in us-east-1: `{"text", "version", "versions"}`
    /// (`versions`: how many versions it has).
    pub(crate) fn current(&self, name: &str) -> Value {
        let out = self.boto(
            "sm = boto3.client('secretsmanager', endpoint_url=E)\nv = sm.get_secret_value(SecretId=A['name'])\nn = len(sm.list_secret_version_ids(SecretId=A['name'])['Versions'])\nprint(json.dumps({'text': v['SecretString'], 'version': v['VersionId'], 'stages': v['VersionStages'], 'versions': n}))",
            &serde_json::json!({ "name": name }),
            &[],
        );
        serde_json::from_str(&out).expect("boto3 printed JSON")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something answers HTTP on `port` (moto's `/moto-api/` dashboard data).
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /moto-api/data.json HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Runs `lockdown` with a clean AWS environment (see the module doc) plus `env`, bounded in
/// time, on a blocking thread (the simulator answers on the test's runtime meanwhile).
pub(crate) async fn lockdown_aws(args: &[&str], env: &[(&str, &str)], home: &Path) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let home = home.to_owned();
    tokio::task::spawn_blocking(move || lockdown_aws_blocking(&args, &env, &home))
        .await
        .expect("the binary ran")
}

fn lockdown_aws_blocking(args: &[String], env: &[(String, String)], home: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockdown"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1")
        .env_remove("LOCKDOWN_CONFIG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command
        .env("AWS_CONFIG_FILE", home.join("aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        command.env(key, value);
    }
    wait_bounded(
        command.spawn().expect("lockdown starts"),
        Duration::from_secs(90),
    )
}

/// moto's credentials when its IAM checks are off.
pub(crate) const TESTING: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
];

/// The lab's master key id and secret, and the leaked bot key's secret, as the session wrote them.
fn lab_secrets(lab: &Lab) -> (String, String, String) {
    let dir = lab.sim_dir();
    (
        read(&dir.join("master.key")),
        read(&dir.join("master.secret")),
        read(&dir.join("bot.secret")),
    )
}

/// Puts the lab's master credential into moto (`lockdown/master-id`: the key id as the whole
/// secret; `lockdown/master`: JSON with `api_key` and `api_secret`); the JSON secret's ARN.
fn master_into(moto: &Moto, lab: &Lab) -> String {
    let (id, secret, _) = lab_secrets(lab);
    moto.create_secret("lockdown/master-id", &id, "us-east-1");
    let json = serde_json::json!({ "api_key": id, "api_secret": secret }).to_string();
    moto.create_secret("lockdown/master", &json, "us-east-1")
}

/// Points the lab's profile at `aws-sm:` references: the master credential's `key` and
/// `secret`, and `secrets.aws` with `settings` (YAML lines under `aws:`).
fn use_aws(lab: &Lab, key: &str, secret: &str, settings: &str) {
    let path = &lab.session.config;
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("key: file:master.key") && text.contains("secret: file:master.secret"));
    let text = text
        .replacen("key: file:master.key", &format!("key: {key}"), 1)
        .replacen(
            "secret: file:master.secret",
            &format!("secret: {secret}"),
            1,
        );
    let indented: String = settings
        .lines()
        .map(|line| format!("    {line}\n"))
        .collect();
    std::fs::write(path, format!("{text}secrets:\n  aws:\n{indented}")).unwrap();
}

fn config(lab: &Lab) -> String {
    lab.session.config.display().to_string()
}

/// `respond --dry-run` (reads only): loads the profile, so reads every `aws-sm:` reference.
async fn dry_run(lab: &Lab, env: &[(&str, &str)]) -> Output {
    let config = config(lab);
    let leaked = lab.leaked();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &leaked,
        "--dry-run",
        "--json",
    ];
    lockdown_aws(&args, env, lab.dir.path()).await
}

/// Checks that a run stopped on bad input naming `reference`, saying each of `says`.
fn refused(output: &Output, reference: &str, says: &[&str]) {
    let text = stderr(output);
    assert_eq!(code(output), 2, "{text}");
    assert!(
        text.contains(&format!("`{reference}`")),
        "{reference}:\n{text}"
    );
    for want in says {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_reads_the_master_from_aws_sm_and_stores_the_new_key_there() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let lab = Lab::start(41).await;
    let (_, master_secret, bot_secret) = lab_secrets(&lab);
    master_into(&moto, &lab);
    moto.create_secret("bot/replacement", r#"{"api_key":"none yet"}"#, "us-east-1");
    use_aws(
        &lab,
        "aws-sm:lockdown/master-id",
        "aws-sm:lockdown/master#api_secret",
        &format!("region: us-east-1\nendpoint: {}", moto.url),
    );
    crate::support::edit_config(
        &lab,
        "secret_store: file:replacement-key.json",
        "secret_store: aws-sm:bot/replacement",
    );

    let config = config(&lab);
    let leaked = lab.leaked();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &leaked,
        "--yes",
        "--json",
    ];
    let output = lockdown_aws(&args, &TESTING, lab.dir.path()).await;
    let summary = contained(&output);

    // The store's current version holds the new key, written once, as AWS's own SDK reads it.
    let current = moto.current("bot/replacement");
    assert_eq!(
        current["versions"], 2,
        "the placeholder and one new version: {current}"
    );
    assert_eq!(current["stages"], serde_json::json!(["AWSCURRENT"]));
    let stored: Value = serde_json::from_str(current["text"].as_str().unwrap()).unwrap();
    let new_id = stored["api_key"].as_str().unwrap();
    let new_secret = stored["api_secret"].as_str().unwrap().to_owned();
    let bot_uid = lab.sim.inspect().key(&leaked).unwrap().uid;
    let after = lab.sim.inspect();
    let new_key = after
        .key(new_id)
        .expect("the stored key exists on the exchange");
    assert_eq!(new_key.uid, bot_uid);
    assert!(!new_key.deleted);
    assert!(
        after.key(&leaked).is_none_or(|k| k.deleted),
        "leaked key revoked"
    );
    assert!(!lab.sim_dir().join("replacement-key.json").exists());

    // The journal names the store and the version, never the secret.
    let version = current["version"].as_str().unwrap();
    let journal = journal_of(&summary);
    assert!(journal.contains("aws-sm:bot/replacement"), "{journal}");
    assert!(
        journal.contains(version),
        "the journal names version {version}"
    );
    assert_no_secret_in(
        &run_texts(&lab, &output),
        &[
            ("master secret", master_secret),
            ("leaked key's secret", bot_secret),
            ("new key's secret", new_secret),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_sm_reads_name_the_reference_and_the_region_when_they_fail() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let lab = Lab::start(42).await;
    let arn = master_into(&moto, &lab);
    let (_, master_secret, _) = lab_secrets(&lab);
    let at_moto = format!("endpoint: {}", moto.url);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };

    // Read as a whole secret and as a JSON key: the dry run authenticates with them.
    let base = lab.session.config.clone();
    let original = std::fs::read_to_string(&base).unwrap();
    let setup = |key: &str, secret: &str, settings: &str| {
        std::fs::write(&base, &original).unwrap();
        use_aws(&lab, key, secret, settings);
    };
    setup(
        "aws-sm:lockdown/master-id",
        "aws-sm:lockdown/master#api_secret",
        &format!("region: us-east-1\n{at_moto}"),
    );
    let output = dry_run(&lab, &TESTING).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(summary(&output)["mode"], "dry-run");

    // An ARN's region wins over the settings'.
    setup(
        "aws-sm:lockdown/master-id",
        &format!("aws-sm:{arn}#api_secret"),
        &format!("region: us-east-1\n{at_moto}"),
    );
    let output = dry_run(&lab, &TESTING).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));

    for (label, secret, settings, env, says) in [
        (
            "missing secret",
            "aws-sm:lockdown/nope#api_secret",
            format!("region: us-east-1\n{at_moto}"),
            TESTING.to_vec(),
            vec!["no such secret", "region `us-east-1`"],
        ),
        (
            "wrong region",
            "aws-sm:lockdown/master#api_secret",
            format!("region: eu-west-1\n{at_moto}"),
            TESTING.to_vec(),
            vec!["no such secret", "region `eu-west-1`"],
        ),
        (
            "missing JSON key",
            "aws-sm:lockdown/master#secret",
            format!("region: us-east-1\n{at_moto}"),
            TESTING.to_vec(),
            vec!["no key `secret`"],
        ),
        (
            "no credentials",
            "aws-sm:lockdown/master#api_secret",
            format!("region: us-east-1\n{at_moto}"),
            vec![],
            vec!["no AWS credentials found"],
        ),
        (
            "no region",
            "aws-sm:lockdown/master#api_secret",
            at_moto.clone(),
            TESTING.to_vec(),
            vec!["no AWS region"],
        ),
        (
            "unreachable",
            "aws-sm:lockdown/master#api_secret",
            format!("region: us-east-1\nendpoint: http://127.0.0.1:{closed}\ntimeout: 5s"),
            TESTING.to_vec(),
            vec!["cannot reach Secrets Manager", "region `us-east-1`"],
        ),
    ] {
        setup("file:master.key", secret, &settings);
        let output = dry_run(&lab, &env).await;
        let text = stderr(&output);
        assert_eq!(code(&output), 2, "{label}: {text}");
        assert!(text.contains(&format!("`{secret}`")), "{label}: {text}");
        for want in says {
            assert!(text.contains(want), "{label}: {want}:\n{text}");
        }
        let shown = format!("{}{text}", stdout(&output));
        assert!(
            !shown.contains(&master_secret),
            "{label}: the master secret was shown"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_are_told_apart_and_never_shown() {
    // moto checks IAM after three unchecked requests: the setup's user, its key and the secret.
    let moto =
        tokio::task::spawn_blocking(|| Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]))
            .await
            .unwrap();
    let lab = Lab::start(43).await;
    let keys: Value = serde_json::from_str(&moto.boto(
        "iam = boto3.client('iam', endpoint_url=E)\niam.create_user(UserName='reader')\nk = iam.create_access_key(UserName='reader')['AccessKey']\nprint(json.dumps({'id': k['AccessKeyId'], 'secret': k['SecretAccessKey']}))",
        &Value::Null,
        &[],
    ))
    .unwrap();
    let (id, secret) = (
        keys["id"].as_str().unwrap(),
        keys["secret"].as_str().unwrap(),
    );
    let (_, master_secret, _) = lab_secrets(&lab);
    let json = serde_json::json!({ "api_secret": master_secret }).to_string();
    moto.create_secret("lockdown/master", &json, "us-east-1");
    use_aws(
        &lab,
        "file:master.key",
        "aws-sm:lockdown/master#api_secret",
        &format!("region: us-east-1\nendpoint: {}", moto.url),
    );

    let wrong_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYNOTTHEKEY";
    for (label, key_id, key_secret, says) in [
        (
            "unknown access key",
            "AKIAIOSFODNN7EXAMPLE",
            wrong_secret,
            "AWS refused the credentials",
        ),
        (
            "wrong secret key",
            id,
            wrong_secret,
            "AWS refused the credentials",
        ),
        ("no permission", id, secret, "may not do this"),
    ] {
        let env = [
            ("AWS_ACCESS_KEY_ID", key_id),
            ("AWS_SECRET_ACCESS_KEY", key_secret),
        ];
        let output = dry_run(&lab, &env).await;
        refused(
            &output,
            "aws-sm:lockdown/master#api_secret",
            &[says, "region `us-east-1`"],
        );
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            !text.contains(key_secret),
            "{label}: the AWS secret key was shown"
        );
        assert!(
            !text.contains(&master_secret),
            "{label}: the master secret was shown"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_probes_an_aws_sm_store_and_create_makes_a_missing_one() {
    let moto = tokio::task::spawn_blocking(Moto::start).await.unwrap();
    let lab = crate::support::ready_lab(lockdown::exchanges::ExchangeId::Bybit, 44).await;
    let settings = format!("region: us-east-1\nendpoint: {}", moto.url);
    use_aws(&lab, "file:master.key", "file:master.secret", &settings);
    crate::support::edit_config(
        &lab,
        "secret_store: file:replacement-key.json",
        "secret_store: aws-sm:bot/fresh",
    );
    let config = config(&lab);

    // `check` probes the store (DescribeSecret) and says how to make it; nothing is written.
    let output = lockdown_aws(
        &["check", "--config", &config, "--profile", "sim"],
        &TESTING,
        lab.dir.path(),
    )
    .await;
    let text = stderr(&output);
    assert_eq!(code(&output), 2, "{text}");
    for want in [
        "aws-sm:bot/fresh",
        "no such secret",
        "region `us-east-1`",
        "create-secret",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }

    // With `create: true` the probe passes and the response creates the secret.
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    std::fs::write(&lab.session.config, format!("{text}    create: true\n")).unwrap();
    let leaked = lab.leaked();
    let args = [
        "respond",
        "--config",
        &config,
        "--profile",
        "sim",
        "--key",
        &leaked,
        "--yes",
        "--json",
    ];
    let output = lockdown_aws(&args, &TESTING, lab.dir.path()).await;
    contained(&output);
    let current = moto.current("bot/fresh");
    assert_eq!(current["versions"], 1, "{current}");
    let stored: Value = serde_json::from_str(current["text"].as_str().unwrap()).unwrap();
    let new_id = stored["api_key"].as_str().unwrap();
    assert!(lab.sim.inspect().key(new_id).is_some_and(|k| !k.deleted));
}
