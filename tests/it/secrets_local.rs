//! Local secret stores: `cmd:` (a password manager's command, played by the `op` and `pass`
//! scripts of `tests/support/`) and `age:` (encrypted files, with the `age` CLI from Debian as the
//! independent other side), then a whole `respond` whose master secret comes from `op` and whose
//! replacement key goes to an age file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lockdown::secret::{KeyId, SecretString};
use lockdown::secrets::{Destination, NewSecret, SecretError, SecretRef, Settings, Stores};
use secrecy::ExposeSecret;

use crate::support::{
    Lab, assert_no_secret_in, bybit_call, code, contained, lockdown, read, report_of, responder_ip,
    run_dir, run_texts, stderr, stdout,
};

/// The fake session token `tests/support/op` puts in its stderr when an item is `locked`.
const OP_LEAK: &str = "opsess_Zk3x9QpL2mVn8RtY4wBc6HdJ1sFa7GeK5uNo";

/// A folder with copies of the `op` and `pass` scripts in `bin/`, their stores beside them.
pub(crate) struct Managers {
    dir: tempfile::TempDir,
}

impl Managers {
    pub(crate) fn new() -> Managers {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(bin.join("op-store")).unwrap();
        std::fs::create_dir_all(bin.join("pass-store")).unwrap();
        let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support");
        for name in ["op", "pass"] {
            std::fs::copy(support.join(name), bin.join(name)).unwrap();
        }
        Managers { dir }
    }

    pub(crate) fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Puts `value` at `op://{item}`.
    pub(crate) fn op_item(&self, item: &str, value: &str) {
        let path = self.bin().join("op-store").join(item);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, value).unwrap();
    }

    /// Puts `value` in `pass`'s store as `name`.
    fn pass_entry(&self, name: &str, value: &str) {
        let path = self.bin().join("pass-store").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, value).unwrap();
    }

    /// `cmd:{bin}/{program} {args}` (the scripts' own folder, so no `PATH` change is needed).
    fn reference(&self, command: &str) -> SecretRef {
        SecretRef::parse(
            &format!("cmd:{}/{command}", self.bin().display()),
            self.dir.path(),
        )
        .unwrap()
    }

    /// The file `op`'s `slow` item wrote a pid to.
    fn pid(&self, name: &str) -> u32 {
        read(&self.bin().join("op-store").join(name))
            .parse()
            .unwrap()
    }
}

/// Stores whose commands time out after `timeout`.
fn stores_with_timeout(timeout: &str) -> Stores {
    let raw: lockdown::secrets::RawSettings =
        serde_yaml::from_str(&format!("cmd:\n  timeout: {timeout}\n")).unwrap();
    Stores::new(Settings::from_raw(&raw, Path::new("/")).unwrap())
}

fn value(secret: &SecretString) -> String {
    #[allow(clippy::disallowed_methods)] // the test compares what was read
    let text = secret.expose_secret().to_owned();
    text
}

/// Checks that no part of an error (what, hint, display, debug) holds `secret`.
fn assert_clean(err: &SecretError, secret: &str) {
    for text in [
        err.to_string(),
        err.hint.clone(),
        err.what.clone(),
        format!("{err:?}"),
    ] {
        assert!(!text.contains(secret), "a secret in {text}");
    }
}

/// Whether the process `pid` has ended (gone, or a zombie nobody reaped yet), waiting for it a
/// bounded while: a `SIGKILL` is delivered when the process is next scheduled.
fn ended(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()))
            .flatten();
        if matches!(state, None | Some('Z') | Some('X')) {
            return true;
        }
        if Instant::now() > until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cmd_reads_what_op_and_pass_print() {
    let pm = Managers::new();
    pm.op_item("Private/bybit/secret", "op-secret-value-1");
    pm.pass_entry("exchange/bybit", "  pass-secret-value-2\n");
    let stores = Stores::default();
    let op = pm.reference("op read op://Private/bybit/secret");
    assert_eq!(value(&stores.read(&op).unwrap()), "op-secret-value-1");
    let pass = pm.reference("pass show exchange/bybit");
    assert_eq!(value(&stores.read(&pass).unwrap()), "pass-secret-value-2");
    // A quoted argument is one word, as a shell would pass it; no shell expands `$HOME`.
    pm.pass_entry("exchange/my $HOME key", "quoted");
    let quoted = pm.reference("pass show 'exchange/my $HOME key'");
    assert_eq!(value(&stores.read(&quoted).unwrap()), "quoted");
    // A program with a `/` is found from the config's folder.
    let relative = SecretRef::parse("cmd:bin/pass show exchange/bybit", pm.dir.path()).unwrap();
    assert_eq!(
        value(&stores.read(&relative).unwrap()),
        "pass-secret-value-2"
    );
}

#[test]
fn a_failing_command_shows_its_exit_code_and_no_secret_from_its_stderr() {
    let pm = Managers::new();
    let err = Stores::default()
        .read(&pm.reference("op read op://Private/locked/secret"))
        .unwrap_err();
    assert!(err.what.contains("`op` exited with code 1"), "{err}");
    assert!(
        err.what.contains("you are not currently signed in"),
        "{err}"
    );
    assert!(
        !err.what.contains("second line"),
        "one line of stderr: {err}"
    );
    assert!(err.hint.contains("unlock it first"), "{err:?}");
    assert_clean(&err, OP_LEAK);
    // Not in the store: `pass` says so, and the error shows it.
    let err = Stores::default()
        .read(&pm.reference("pass show exchange/none"))
        .unwrap_err();
    assert!(
        err.what
            .contains("exchange/none is not in the password store"),
        "{err}"
    );
}

#[test]
fn a_command_past_its_timeout_is_killed_with_its_process_group() {
    let pm = Managers::new();
    let stores = stores_with_timeout("1s");
    let err = stores
        .read(&pm.reference("op read op://Private/slow/secret"))
        .unwrap_err();
    assert!(err.what.contains("did not finish within 1s"), "{err}");
    assert!(err.what.contains("killed"), "{err}");
    assert!(err.hint.contains("secrets.cmd.timeout"), "{err:?}");
    assert!(ended(pm.pid("slow.pid")), "the command was killed");
    assert!(ended(pm.pid("helper.pid")), "what it started was killed");
}

#[test]
fn more_than_64_kib_of_output_is_refused() {
    let pm = Managers::new();
    let err = Stores::default()
        .read(&pm.reference("op read op://Private/huge/secret"))
        .unwrap_err();
    assert!(err.what.contains("printed more than 64 KiB"), "{err}");
    assert!(!err.what.contains("xxxxxxxx"), "{err}");
}

#[test]
fn a_command_that_prompts_gets_no_input_and_the_unlock_hint() {
    let pm = Managers::new();
    // A long timeout: the prompt must fail at once (its input is closed), not time out.
    let stores = stores_with_timeout("5m");
    let err = stores
        .read(&pm.reference("op read op://Private/prompt/secret"))
        .unwrap_err();
    assert!(err.what.contains("exited with code 1"), "{err}");
    assert!(
        err.hint
            .contains("unlock it first (`op signin`, `gpg-agent`)"),
        "{err:?}"
    );
    // One that stops (as reading the terminal from the background does) is killed and named.
    let err = stores
        .read(&pm.reference("op read op://Private/tty/secret"))
        .unwrap_err();
    assert!(err.what.contains("`op` asked for input"), "{err}");
    assert!(err.hint.contains("unlock it first"), "{err:?}");
}

#[test]
fn a_missing_program_or_empty_output_is_named() {
    let pm = Managers::new();
    let stores = Stores::default();
    let missing = SecretRef::parse("cmd:lockdown-no-such-manager read x", Path::new("/")).unwrap();
    let err = stores.read(&missing).unwrap_err();
    assert!(
        err.what
            .contains("`lockdown-no-such-manager` is not on PATH"),
        "{err}"
    );
    assert_eq!(err.reference, "cmd:lockdown-no-such-manager read x");
    pm.pass_entry("exchange/empty", "\n\n");
    let err = stores
        .read(&pm.reference("pass show exchange/empty"))
        .unwrap_err();
    assert!(err.what.contains("`pass` printed nothing"), "{err}");
}

/// The `age` CLI, or a failed test that says how to install it.
fn age_cli(program: &str) -> Command {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the `{program}` program is missing: `apt-get install -y age` (as .ci/run does)"
    );
    Command::new(program)
}

/// An identity made by `age-keygen` (mode 0600) and its public key.
pub(crate) fn keygen(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("identity.txt");
    let out = age_cli("age-keygen").arg("-o").arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    set_private(&path);
    let out = age_cli("age-keygen").arg("-y").arg(&path).output().unwrap();
    assert!(out.status.success());
    (
        path,
        String::from_utf8(out.stdout).unwrap().trim().to_owned(),
    )
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `age [-a] -r RECIPIENT -o OUT` with `plaintext` on its input.
fn age_encrypt(recipient: &str, armor: bool, out: &Path, plaintext: &str) {
    use std::io::Write;
    let mut command = age_cli("age");
    if armor {
        command.arg("-a");
    }
    let mut child = command
        .args(["-r", recipient, "-o"])
        .arg(out)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(plaintext.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// `age -d -i IDENTITY FILE`: the plaintext.
pub(crate) fn age_decrypt(identity: &Path, file: &Path) -> String {
    let out = age_cli("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Stores whose age settings are `yaml` (paths from `dir`).
fn age_stores(yaml: &str, dir: &Path) -> Stores {
    let raw: lockdown::secrets::RawSettings =
        serde_yaml::from_str(&format!("age:\n{yaml}")).unwrap();
    Stores::new(Settings::from_raw(&raw, dir).unwrap())
}

#[test]
fn files_encrypted_by_the_age_cli_are_read_by_lockdown() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, public) = keygen(dir.path());
    age_encrypt(
        &public,
        false,
        &dir.path().join("master.age"),
        "age-master-secret\n",
    );
    age_encrypt(
        &public,
        true,
        &dir.path().join("bot.age"),
        r#"{"api_key": "BOTKEY", "api_secret": "age-bot-secret"}"#,
    );
    let stores = age_stores("  identity: identity.txt\n", dir.path());
    let binary = SecretRef::parse("age:master.age", dir.path()).unwrap();
    assert_eq!(value(&stores.read(&binary).unwrap()), "age-master-secret");
    let armored = SecretRef::parse("age:bot.age#api_secret", dir.path()).unwrap();
    assert_eq!(value(&stores.read(&armored).unwrap()), "age-bot-secret");

    // Another identity cannot open them, and says so without a byte of either.
    let other = tempfile::tempdir().unwrap();
    let (other_identity, _) = keygen(other.path());
    let stores = age_stores(
        &format!("  identity: {}\n", other_identity.display()),
        dir.path(),
    );
    let err = stores.read(&binary).unwrap_err();
    assert!(err.what.contains("encrypted to other recipients"), "{err}");
    assert_clean(&err, "age-master-secret");
    // A loose identity file is refused before it is read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o644)).unwrap();
    let stores = age_stores("  identity: identity.txt\n", dir.path());
    let err = stores.read(&armored).unwrap_err();
    assert!(err.what.contains("chmod 600"), "{err}");
}

#[test]
fn a_store_written_by_lockdown_is_decrypted_by_the_age_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (identity, public) = keygen(dir.path());
    let second_dir = tempfile::tempdir().unwrap();
    let (_, second) = keygen(second_dir.path());
    // One recipient in the config, another in a recipients file: both can open the store.
    std::fs::write(
        dir.path().join("recipients.txt"),
        format!("# ops\n{second}\n"),
    )
    .unwrap();
    let stores = age_stores(
        &format!("  recipients: [{public}]\n  recipients_file: recipients.txt\n"),
        dir.path(),
    );
    let to = Destination::parse("age:bot/key.age", dir.path()).unwrap();
    std::fs::create_dir(dir.path().join("bot")).unwrap();
    stores.probe_write(&to).unwrap();
    let json = SecretString::from(
        "{\"api_key\": \"NEWKEY000000000000\", \"api_secret\": \"stored-by-lockdown\"}\n"
            .to_owned(),
    );
    let key = KeyId::new("NEWKEY000000000000");
    let stored = stores
        .write(
            &to,
            &NewSecret {
                key: &key,
                json: &json,
            },
        )
        .unwrap();
    assert_eq!(stored.destination, to.to_string());
    let file = dir.path().join("bot/key.age");
    let plaintext = age_decrypt(&identity, &file);
    let parsed: serde_json::Value = serde_json::from_str(&plaintext).unwrap();
    assert_eq!(parsed["api_key"], "NEWKEY000000000000");
    assert_eq!(parsed["api_secret"], "stored-by-lockdown");
    assert!(
        !std::fs::read_to_string(&file)
            .unwrap()
            .contains("stored-by-lockdown")
    );
    // Writing needed no identity; with one, the store tells which key it holds.
    assert_eq!(stores.stored_key_id(&to), Ok(None));
    let reading = age_stores(&format!("  identity: {}\n", identity.display()), dir.path());
    assert_eq!(
        reading.stored_key_id(&to),
        Ok(Some("NEWKEY000000000000".to_owned()))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn respond_with_the_master_secret_from_op_stores_the_new_key_for_age() {
    let lab = Lab::start(18).await;
    let pm = Managers::new();
    let master_secret = read(&lab.sim_dir().join("master.secret"));
    pm.op_item("Private/sim-master/secret", &master_secret);
    let keys = tempfile::tempdir().unwrap();
    let (identity, public) = keygen(keys.path());
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let config = config
        .replacen(
            "secret: file:master.secret",
            "secret: cmd:op read op://Private/sim-master/secret",
            1,
        )
        .replacen(
            "secret_store: file:replacement-key.json",
            "secret_store: age:replacement-key.age",
            1,
        );
    let config =
        format!("{config}secrets:\n  age:\n    recipients: [{public}]\n  cmd:\n    timeout: 30s\n");
    std::fs::write(&lab.session.config, config).unwrap();

    // `op` is found on PATH, as a user's would be.
    let path = format!(
        "{}:{}",
        pm.bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config_arg = lab.session.config.display().to_string();
    let leaked = lab.leaked();
    let args = crate::support::respond_args(&config_arg, &leaked, &["--yes", "--json"]);
    let output = lockdown(&args, &[("PATH", &path)]).await;
    let summary = contained(&output);

    let store = lab.sim_dir().join("replacement-key.age");
    let stored: serde_json::Value = serde_json::from_str(&age_decrypt(&identity, &store)).unwrap();
    let new_id = stored["api_key"].as_str().unwrap();
    let new_secret = stored["api_secret"].as_str().unwrap();
    let truth = lab.sim.inspect();
    let new_key = truth.key(new_id).expect("the stored key exists");
    assert!(!new_key.deleted);
    assert_ne!(new_id, leaked);
    assert!(truth.key(&leaked).is_none_or(|k| k.deleted));
    assert_eq!(
        bybit_call(
            &lab.running.base_url,
            responder_ip(),
            new_id,
            new_secret,
            "GET",
            "/v5/user/query-api",
            ""
        )
        .await,
        0,
        "the stored secret authenticates the new key"
    );
    // The journal names the store; nothing shows a secret or the identity.
    let journal = std::fs::read_to_string(run_dir(&summary).join("journal.jsonl")).unwrap();
    assert!(journal.contains("age:"), "the store is journaled");
    let report = report_of(&summary);
    assert!(
        report.to_string().contains("replacement-key.age"),
        "{report}"
    );
    let identity_text = read(&identity);
    let secret_key = identity_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .to_owned();
    assert_no_secret_in(
        &run_texts(&lab, &output),
        &[
            ("master secret", master_secret),
            ("new secret", new_secret.to_owned()),
            ("bot secret", read(&lab.sim_dir().join("bot.secret"))),
            ("age identity", secret_key),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_password_manager_stops_respond_with_its_reason_and_no_secret() {
    let lab = Lab::start(19).await;
    let pm = Managers::new();
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    let config = config.replacen(
        "secret: file:master.secret",
        &format!(
            "secret: cmd:{}/op read op://Private/locked/secret",
            pm.bin().display()
        ),
        1,
    );
    std::fs::write(&lab.session.config, config).unwrap();
    let mark = lab.sent();
    let output = lab.respond(&["--yes"]).await;
    assert_eq!(code(&output), 2, "bad input: {}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("`op` exited with code 1"), "{text}");
    // The store's own hint for this failure, not only the scheme's.
    assert!(text.contains("lockdown closes its input"), "{text}");
    for shown in [stdout(&output), text] {
        assert!(!shown.contains(OP_LEAK), "the token leaked: {shown}");
    }
    assert!(
        lab.sent_since(mark).is_empty(),
        "nothing was sent without a master secret"
    );
}
