//! `lockdown scan` as a user runs it: a real git repository made with the `git` CLI, files a
//! false positive hides in, and the liveness of found keys asked of the simulator over HTTP on
//! 127.0.0.1. No secret may reach stdout, stderr or the JSON.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use crate::support::{Lab, assert_no_secret_in, code, lockdown, read, stderr, stdout};

/// Runs `git` in `dir`, failing the test with git's words when it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("the `git` CLI runs (install git)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A new repository in `dir` with a committer set.
fn init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "bot@example.com"]);
    git(dir, &["config", "user.name", "Bot Owner"]);
}

/// Commits everything in `dir`; the new commit's id.
fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `lockdown scan` with the lab's config and profile, then `extra`.
async fn scan(lab: &Lab, extra: &[&str]) -> Output {
    let config = lab.session.config.display().to_string();
    let mut args = vec!["scan", "--config", config.as_str(), "--profile", "sim"];
    args.extend_from_slice(extra);
    lockdown(&args, &[]).await
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|err| {
        panic!(
            "one JSON document on stdout ({err}): {}\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

fn findings(output: &Output) -> Vec<Value> {
    json(output)["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The lab's secrets, for the canary.
fn secrets(lab: &Lab) -> Vec<(&'static str, String)> {
    vec![
        ("master secret", read(&lab.sim_dir().join("master.secret"))),
        ("bot secret", read(&lab.sim_dir().join("bot.secret"))),
    ]
}

fn no_secret_in(lab: &Lab, output: &Output) {
    let texts = vec![
        ("stdout".to_owned(), stdout(output)),
        ("stderr".to_owned(), stderr(output)),
    ];
    let secrets = secrets(lab);
    let secrets: Vec<(&str, String)> = secrets.iter().map(|(w, s)| (*w, s.clone())).collect();
    assert_no_secret_in(&texts, &secrets);
}

#[tokio::test]
async fn a_key_committed_then_deleted_is_found_in_history_with_its_commit_and_is_live() {
    let lab = Lab::start(2001).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    init(dir);
    std::fs::write(dir.join("README.md"), "# grid bot\n").unwrap();
    commit(dir, "start");
    std::fs::write(
        dir.join(".env"),
        format!("BYBIT_API_KEY={key}\nBYBIT_API_SECRET={secret}\n"),
    )
    .unwrap();
    let added = commit(dir, "deploy settings");
    git(dir, &["rm", "-q", ".env"]);
    std::fs::write(dir.join(".gitignore"), ".env\n").unwrap();
    commit(dir, "remove the settings again");

    // On disk there is nothing left.
    let path = dir.display().to_string();
    let files_only = scan(&lab, &["--json", &path]).await;
    assert_eq!(code(&files_only), 0, "{}", stderr(&files_only));
    assert!(findings(&files_only).is_empty());

    // History still has it, live, with the commit that added it.
    let output = scan(&lab, &["--git", "--json", &path]).await;
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let found = findings(&output);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert!(f["path"].as_str().unwrap().ends_with(".env"), "{f:#?}");
    assert_eq!(f["line"], 2, "{f:#?}");
    assert_eq!(f["commit"].as_str(), Some(added.as_str()), "{f:#?}");
    assert_eq!(f["on_disk"], false);
    assert_eq!(f["rule"], "own_credential");
    assert_eq!(f["exposes"], "secret");
    assert_eq!(f["venue"], "bybit");
    assert_eq!(f["key_id"].as_str(), Some(key.as_str()));
    assert_eq!(f["secret"], "*** (36 characters)");
    let what = f["what"].as_str().unwrap();
    assert!(
        what.starts_with("the bot key `") && what.ends_with("'s secret (profile `sim`)"),
        "{what}"
    );
    assert_eq!(f["liveness"]["state"], "live", "{f:#?}");
    let respond = f["liveness"]["respond"].as_str().unwrap();
    assert!(
        respond.ends_with(&format!("--profile sim --key {key}")),
        "{respond}"
    );
    assert_eq!(json(&output)["counts"]["commits"], 3);
    no_secret_in(&lab, &output);

    // People read the same, with the command to run.
    let human = scan(&lab, &["--git", &path]).await;
    assert_eq!(code(&human), 2);
    let text = stderr(&human);
    assert!(
        text.contains(&format!("commit {}, only in history", &added[..12])),
        "{text}"
    );
    assert!(text.contains(respond), "{text}");
    assert!(
        text.contains("1 finding: 1 live, 0 revoked, 0 unknown"),
        "{text}"
    );
    no_secret_in(&lab, &human);
}

#[tokio::test]
async fn a_revoked_key_is_said_revoked_and_exits_1() {
    let lab = Lab::start(2002).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot.yaml"),
        format!("exchange:\n  api_key: {key}\n  api_secret: \"{secret}\"\n"),
    )
    .unwrap();
    assert!(lab.sim.web_ui_delete_key(&key));
    let output = scan(&lab, &["--json", &dir.path().display().to_string()]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let found = findings(&output);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["liveness"]["state"], "revoked", "{found:#?}");
    assert_eq!(found[0]["liveness"]["profile"], "sim");
    assert_eq!(found[0]["line"], 3);
    no_secret_in(&lab, &output);
}

#[tokio::test]
async fn scan_canary_no_secret_of_a_found_master_or_bot_key_is_printed() {
    let lab = Lab::start(2003).await;
    let (master, _) = lab.creds();
    let [(_, master_secret), (_, bot_secret)] = <[_; 2]>::try_from(secrets(&lab)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keys.py"),
        format!(
            "MASTER = ('{}', '{master_secret}')\n# the bot's\nSECRET = \"{bot_secret}\"\n",
            master.key.as_str()
        ),
    )
    .unwrap();
    let path = dir.path().display().to_string();
    for extra in [&["--json", "-v"][..], &["-v"][..]] {
        let mut args = extra.to_vec();
        args.push(&path);
        let output = scan(&lab, &args).await;
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        no_secret_in(&lab, &output);
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            all.contains("the master key's secret (profile `sim`)"),
            "{all}"
        );
        assert!(
            all.contains("'s secret (profile `sim`)") && all.contains("the bot key `"),
            "{all}"
        );
    }
}

/// Deterministic noise: the SHA-256 (hex) of `seed` and `n`.
fn hex256(seed: &str, n: usize) -> String {
    hex::encode(Sha256::digest(format!("{seed}{n}")))
}

/// A UUID (v4 layout) made from a digest.
fn uuid(n: usize) -> String {
    let h = hex256("uuid", n);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Base64 of `len` digest bytes.
fn b64(n: usize, len: usize) -> String {
    let mut bytes = Vec::new();
    let mut i = 0;
    while bytes.len() < len {
        bytes.extend_from_slice(&Sha512::digest(format!("b64{n}-{i}")));
        i += 1;
    }
    bytes.truncate(len);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn uuids_hashes_base64_blobs_lockfiles_and_placeholders_stay_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut uuids = String::from("[requests]\n");
    for n in 0..40 {
        uuids.push_str(&format!(
            "request_id = \"{}\"\ntrace_id: {}\napi_key_ref = \"{}\"\n",
            uuid(n),
            uuid(n + 100),
            uuid(n + 200)
        ));
    }
    std::fs::write(d.join("requests.toml"), uuids).unwrap();
    let mut hashes = String::new();
    for n in 0..40 {
        let h = hex256("h", n);
        hashes.push_str(&format!(
            "sha256: {h}\nmd5 = {}\nkey_hash = \"{}\"\ncommit {}\nsecret_digest: {}\n",
            &h[..32],
            hex256("k", n),
            &hex256("c", n)[..40],
            hex256("s", n).to_uppercase()
        ));
    }
    std::fs::write(d.join("hashes.yaml"), hashes).unwrap();
    let mut blobs = String::from("-----BEGIN PUBLIC KEY-----\n");
    let body = b64(1, 600);
    for chunk in body.as_bytes().chunks(64) {
        blobs.push_str(std::str::from_utf8(chunk).unwrap());
        blobs.push('\n');
    }
    blobs.push_str("-----END PUBLIC KEY-----\n");
    blobs.push_str(&format!(
        "icon: \"data:image/png;base64,{}\"\n",
        b64(2, 900)
    ));
    blobs.push_str(&format!("secret_blob = \"{}\"\n", b64(3, 300)));
    blobs.push_str(&format!("api_token_sig: {}\n", b64(4, 64)));
    std::fs::write(d.join("blobs.txt"), blobs).unwrap();
    let mut cargo_lock = String::from("version = 4\n\n");
    let mut npm = String::from("{\n  \"packages\": {\n");
    let mut yarn = String::new();
    for n in 0..30 {
        cargo_lock.push_str(&format!(
            "[[package]]\nname = \"crate{n}\"\nversion = \"1.0.{n}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n",
            hex256("crate", n)
        ));
        npm.push_str(&format!(
            "    \"node_modules/pkg{n}\": {{\n      \"version\": \"1.{n}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg{n}/-/pkg{n}-1.{n}.0.tgz\",\n      \"integrity\": \"sha512-{}\"\n    }},\n",
            b64(n + 10, 64)
        ));
        yarn.push_str(&format!(
            "pkg{n}@^1.0.0:\n  version \"1.{n}.0\"\n  resolved \"https://registry.yarnpkg.com/pkg{n}/-/pkg{n}-1.{n}.0.tgz#{}\"\n  integrity sha512-{}\n\n",
            &hex256("y", n)[..40],
            b64(n + 50, 64)
        ));
    }
    npm.push_str("  }\n}\n");
    std::fs::write(d.join("Cargo.lock"), cargo_lock).unwrap();
    std::fs::write(d.join("package-lock.json"), npm).unwrap();
    std::fs::write(d.join("yarn.lock"), yarn).unwrap();
    std::fs::write(
        d.join(".env.example"),
        "BYBIT_API_KEY=your_api_key_here\nBYBIT_API_SECRET=\nOKX_API_KEY=${OKX_API_KEY}\nOKX_SECRET_KEY=<your secret>\nOKX_PASSPHRASE=\nBINANCE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nKRAKEN_PRIVATE_KEY=changeme\n",
    )
    .unwrap();

    let config_home = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", config_home.path().to_str().unwrap())];
    let path = d.display().to_string();
    let output = lockdown(&["scan", "--json", &path], &env).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(findings(&output).is_empty(), "{:#?}", findings(&output));
    assert_eq!(json(&output)["counts"]["files"], 7);
    assert!(
        stderr(&output).contains("only the generic patterns"),
        "{}",
        stderr(&output)
    );

    // The same corpus with one real-looking key in it is not silent: the scan did read it.
    std::fs::write(
        d.join("settings.py"),
        "BYBIT_API_KEY = \"Xq7Lm2Pz9Rt4Wv1Kb8\"\nBYBIT_API_SECRET = \"f3Gh8Jk2Lq9Wz4Xc7Vb1Nm6Tr5Yp0Sd3Ae8U\"\n",
    )
    .unwrap();
    let output = lockdown(&["scan", "--json", &path], &env).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let found = findings(&output);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["rule"], "variable_name");
    assert_eq!(found[0]["key_id"], "Xq7Lm2Pz9Rt4Wv1Kb8");
    assert_eq!(found[0]["liveness"]["state"], "unknown");
}

#[tokio::test]
async fn a_baseline_keeps_accepted_findings_silent_but_never_a_live_key() {
    let lab = Lab::start(2004).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("fixture.env"),
        format!("BYBIT_API_KEY={key}\nBYBIT_API_SECRET={secret}\n"),
    )
    .unwrap();
    let baseline = dir.path().join("scan-baseline.json");
    let (tree, baseline) = (tree.display().to_string(), baseline.display().to_string());
    let wrote = scan(&lab, &["--baseline", &baseline, "--write-baseline", &tree]).await;
    assert_eq!(code(&wrote), 0, "{}", stderr(&wrote));
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        !text.contains(&secret) && text.contains("fixture.env"),
        "{text}"
    );

    // Accepted, but the key is live: still said, still exit 2.
    let live = scan(&lab, &["--json", "--baseline", &baseline, &tree]).await;
    assert_eq!(code(&live), 2, "{}", stderr(&live));
    let found = findings(&live);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["accepted"], true);
    assert_eq!(found[0]["liveness"]["state"], "live");

    // Once the key is gone, the accepted line is silent.
    assert!(lab.sim.web_ui_delete_key(&key));
    let output = scan(&lab, &["--json", "--baseline", &baseline, &tree]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(findings(&output).is_empty());
    assert_eq!(json(&output)["counts"]["baselined"], 1);

    // A new line is a new finding.
    std::fs::write(
        Path::new(&tree).join("other.env"),
        format!("BYBIT_API_SECRET={secret}\n"),
    )
    .unwrap();
    let output = scan(&lab, &["--json", "--baseline", &baseline, &tree]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let found = findings(&output);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0]["path"].as_str().unwrap(),
        format!("{tree}/other.env")
    );
    assert_eq!(found[0]["liveness"]["state"], "revoked");
}
