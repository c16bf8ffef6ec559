//! Bad input: clear errors with `file:line:col`, exit 2, and nothing sent to the exchange.

use crate::support::{Lab, code, lockdown, respond_args, run_within, stderr};

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn malformed_playbook_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "broken.yaml",
        "version: 1\nname: x\nexchange: bybit\nsteps:\n  - id: lock\n    restrict_key: { key: \"k\"\n",
    );
    let output = lockdown(&["validate", &file], &[]).await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{file}:7:1")) || err.contains(&format!("{file}:6:")),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_action_gets_did_you_mean_and_every_problem_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "typos.yaml",
        "version: 1
name: typos
exchange: bybit
inputs:
  key: { required: true }
steps:
  - id: lock
    restrict_kye: { key: \"{{ inputs.key }}\" }
  - id: cancel
    cancel_orders: { key: \"{{ inputs.key }}\", roundz: 3 }
  - id: lock
    revoke_key: { key: \"{{ inputs.nope }}\" }
",
    );
    let output = lockdown(&["validate", &file], &[]).await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("4 problems"), "{err}");
    for (location, text) in [
        (format!("{file}:8:5"), "unknown action `restrict_kye`"),
        (format!("{file}:8:5"), "did you mean `restrict_key`?"),
        (format!("{file}:10:47"), "did you mean `rounds`?"),
        (format!("{file}:11:9"), "duplicate step id `lock`"),
        (format!("{file}:12:24"), "input `nope` is not declared"),
    ] {
        assert!(err.contains(&location), "missing {location} in:\n{err}");
        assert!(err.contains(text), "missing `{text}` in:\n{err}");
    }
}

#[tokio::test]
async fn shipped_and_example_playbooks_validate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shipped = format!("{root}/playbooks/bybit.yaml");
    let example = format!("{root}/examples/lock-and-revoke.yaml");
    let output = lockdown(&["validate", &shipped, &example], &[]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

/// Rewrites the lab's config with `edit` and runs `respond` on it.
async fn respond_with(
    lab: &Lab,
    edit: impl Fn(String) -> String,
    env: &[(&str, &str)],
) -> std::process::Output {
    let text = std::fs::read_to_string(&lab.session.config).unwrap();
    let config = write(&lab.sim_dir(), "edited.yaml", &edit(text));
    let key = lab.leaked();
    lockdown(&respond_args(&config, &key, &["--yes"]), env).await
}

fn nothing_sent(lab: &Lab) {
    let log = lab.sim.inspect().access_log;
    assert!(log.is_empty(), "requests were sent: {log:?}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn world_readable_credential_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::start(21).await;
    let secret = lab.sim_dir().join("master.secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = respond_with(&lab, |t| t, &[]).await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("readable by group or others"), "{err}");
    assert!(
        err.contains(&format!("chmod 600 {}", secret.display())),
        "{err}"
    );
    assert!(
        err.contains("edited.yaml:8:"),
        "names the config line: {err}"
    );
    nothing_sent(&lab);
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_env_credential_is_refused() {
    let lab = Lab::start(22).await;
    let output = respond_with(
        &lab,
        |t| {
            t.replace(
                "secret: file:master.secret",
                "secret: env:LOCKDOWN_TEST_UNSET_SECRET",
            )
        },
        &[],
    )
    .await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("environment variable `LOCKDOWN_TEST_UNSET_SECRET` is not set"),
        "{err}"
    );
    nothing_sent(&lab);
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_a_remote_host_is_refused() {
    let lab = Lab::start(23).await;
    let output = respond_with(
        &lab,
        |t| t.replace(&lab.running.base_url, "http://api.bybit.com"),
        &[],
    )
    .await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("plain http to a non-loopback host"), "{err}");
    assert!(err.contains("edited.yaml:5:15"), "{err}");
    nothing_sent(&lab);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_needed_confirmation_without_a_terminal_stops_before_anything_is_sent() {
    let lab = Lab::start(24).await;
    let config = lab.session.config.display().to_string();
    let key = lab.leaked();
    let output = lockdown(&["respond", "--config", &config, "--key", &key], &[]).await;
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(
        err.contains("needs a confirmation and there is no terminal"),
        "{err}"
    );
    assert!(err.contains("--yes"), "{err}");
    nothing_sent(&lab);
    assert!(
        lab.run_dirs().is_empty(),
        "no run folder for a run that never started"
    );
}

/// How long lockdown may take over one malformed file before it counts as a hang.
const HANG: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs lockdown on a malformed input, bounded by [`HANG`]; checks that it did not panic and
/// refused the input (exit 2) naming `file`. Its stderr.
fn refused(args: &[&str], file: &str) -> String {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let output = run_within(&args, &[], HANG);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{args:?} panicked:\n{err}");
    assert_eq!(code(&output), 2, "{args:?}:\n{err}");
    assert!(err.contains(file), "{args:?} does not name {file}:\n{err}");
    err
}

/// A profile whose credential files exist, for `plan --offline` (which sends nothing).
fn offline_config(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    for (name, text) in [
        ("master.key", "K1"),
        ("master.secret", "s"),
        ("bot.secret", "s"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    write(
        dir,
        "config.yaml",
        "profiles:\n  p:\n    exchange: bybit\n    base_url: http://127.0.0.1:9\n    master: { key: file:master.key, secret: file:master.secret }\n    keys:\n      - { id: LEAKEDKEY00000000A, label: bot, account: \"1000002\", secret: file:bot.secret }\n    responder_ip: 127.0.0.1\n    bot_ips: [127.0.0.1]\n    state_dir: state\n    secret_store: file:replacement-key.json\n",
    )
}

/// `plan --offline` of `playbook` with the profile in `config`.
fn plan_offline<'a>(playbook: &'a str, config: &'a str) -> [&'a str; 8] {
    let key = "LEAKEDKEY00000000A";
    [
        "plan",
        playbook,
        "--config",
        config,
        "--key",
        key,
        "--offline",
        "--quiet",
    ]
}

#[test]
fn every_file_of_the_malformed_corpus_is_refused_at_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let config = offline_config(dir.path());
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/malformed");
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks/bybit.yaml");
    let state = dir.path().join("drills").display().to_string();
    let mut files: Vec<_> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    for path in files {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        // The first line says where the error is and what it says: `# expect: LINE:COL text`.
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "));
        let (place, says) = expect
            .and_then(|e| e.split_once(' '))
            .unwrap_or_else(|| panic!("{file} starts with `# expect: LINE:COL text`"));
        let at = format!("{file}:{place}");
        let name = path.file_name().unwrap().to_str().unwrap();
        let runs: Vec<Vec<&str>> = if name.starts_with("playbook-") {
            vec![
                vec!["validate", &file],
                plan_offline(&file, &config).to_vec(),
            ]
        } else if name.starts_with("config-") {
            vec![plan_offline(shipped, &file).to_vec()]
        } else if name.starts_with("scenario-") {
            vec![vec!["drill", "--scenario", &file, "--state-dir", &state]]
        } else {
            panic!("{name}: corpus files are named playbook-, config- or scenario-");
        };
        for args in runs {
            let err = refused(&args, &file);
            assert!(err.contains(&at), "{args:?}: no `{at}` in:\n{err}");
            assert!(err.contains(says), "{args:?}: no `{says}` in:\n{err}");
        }
    }
}

#[test]
fn huge_inputs_are_refused_before_they_are_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let config = offline_config(dir.path());
    let head =
        "version: 1\nname: huge\nexchange: bybit\ninputs:\n  key: { required: true }\nsteps:\n";
    let step = |i: usize| format!("  - {{ id: s{i}, report: {{}} }}\n");
    let megabyte_key = "k".repeat(1 << 20);
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let many: String = (0..200_000).map(step).collect();
    let just_over: String = (0..1001).map(step).collect();
    let mut most_a_file_holds = String::new();
    for line in (0..).map(step) {
        if head.len() + most_a_file_holds.len() + line.len() > 1 << 20 {
            break;
        }
        most_a_file_holds.push_str(&line);
    }
    let playbooks = [
        (
            "a 1 MB key",
            format!("{head}  - id: a\n    report: {{}}\n{megabyte_key}: 1\n"),
            "larger than 1024 KiB",
        ),
        (
            "a 900 kB key",
            format!(
                "{head}  - id: a\n    report: {{ {}: 1 }}\n",
                "k".repeat(900_000)
            ),
            "huge-1.yaml:8:15: a mapping key of 900000 bytes",
        ),
        (
            "100 k nested lists",
            format!("{head}  - id: a\n    report: {{ formats: {nested} }}\n"),
            "nested more than 64 levels deep",
        ),
        (
            "200 k steps",
            format!("{head}{many}"),
            "larger than 1024 KiB",
        ),
        (
            "1,001 steps",
            format!("{head}{just_over}"),
            "huge-4.yaml:6:1: 1001 steps; a playbook has at most 1000",
        ),
        (
            "a megabyte of steps",
            format!("{head}{most_a_file_holds}"),
            "steps; a playbook has at most 1000",
        ),
    ];
    for (i, (label, text, says)) in playbooks.iter().enumerate() {
        let file = write(dir.path(), &format!("huge-{i}.yaml"), text);
        let err = refused(&["validate", &file], &file);
        assert!(err.contains(says), "{label}: no `{says}` in:\n{err}");
    }
    let configs = [
        (
            "a 1 MB key",
            format!("profiles:\n  p:\n    {megabyte_key}: 1\n"),
            "larger than 1024 KiB",
        ),
        (
            "100 k nested lists",
            format!("profiles:\n  p:\n    bot_ips: {nested}\n"),
            "nested more than 64 levels deep",
        ),
    ];
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/playbooks/bybit.yaml");
    for (i, (label, text, says)) in configs.iter().enumerate() {
        let file = write(dir.path(), &format!("huge-config-{i}.yaml"), text);
        let err = refused(&plan_offline(shipped, &file), &file);
        assert!(err.contains(says), "{label}: no `{says}` in:\n{err}");
    }
    // A file that never ends is read no further than the bound.
    let err = refused(&["validate", "/dev/zero"], "/dev/zero");
    assert!(err.contains("larger than 1024 KiB"), "{err}");
    // The offline plan of a valid playbook with that profile works: the refusals are the files'.
    let fine = write(dir.path(), "fine.yaml", &format!("{head}{}", step(0)));
    let args: Vec<String> = plan_offline(&fine, &config)
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    let output = run_within(&args, &[], HANG);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn a_template_that_does_too_much_work_stops_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = offline_config(dir.path());
    for (i, when) in [
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{{ range(100000000) | length > 0 }}",
    ]
    .iter()
    .enumerate()
    {
        let file = write(
            dir.path(),
            &format!("work-{i}.yaml"),
            &format!(
                "version: 1\nname: work\nexchange: bybit\ninputs:\n  key: {{ required: true }}\nsteps:\n  - id: a\n    when: \"{when}\"\n    report: {{}}\n"
            ),
        );
        let args: Vec<String> = plan_offline(&file, &config)
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let args: Vec<String> = args.into_iter().filter(|a| a != "--quiet").collect();
        let output = run_within(&args, &[], HANG);
        let err = stderr(&output);
        assert!(!err.contains("panicked"), "{when}:\n{err}");
        assert!(
            err.contains(&format!("template `{when}`")),
            "{when}:\n{err}"
        );
        assert!(
            err.contains("does too much work") || err.contains("too many elements"),
            "{when}:\n{err}"
        );
    }
}

#[test]
fn a_simulator_latency_past_a_minute_is_refused() {
    for command in ["drill", "sim"] {
        let args: Vec<String> = [command, "--latency", "18446744073709551615"]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let output = run_within(&args, &[], HANG);
        let err = stderr(&output);
        assert_eq!(code(&output), 2, "{command}: {err}");
        assert!(err.contains("--latency"), "{command}: {err}");
        assert!(err.contains("0..=60000"), "{command}: {err}");
    }
}

/// What several steps share (a key whose secret the profile does not hold) is said once before
/// the run, naming the steps, and never stops the lock: the exchange answers it.
#[tokio::test(flavor = "multi_thread")]
async fn a_problem_of_several_steps_is_said_once() {
    let lab = Lab::start(23).await;
    let config = lab.session.config.display().to_string();
    let output = lockdown(
        &respond_args(&config, "NOTINPROFILEKEY123", &["--yes"]),
        &[],
    )
    .await;
    let err = stderr(&output);
    assert_eq!(err.matches("fails alone").count(), 1, "{err}");
    assert!(
        err.contains("steps `open_orders`, `cancel`, `history`: key"),
        "{err}"
    );
    // The lock went out, and the exchange, which knows no such key, refused it.
    assert!(
        lab.sim
            .inspect()
            .access_log
            .iter()
            .any(|e| e.path.contains("update-sub-api")),
        "{err}"
    );
    assert_eq!(code(&output), 3, "not contained: {err}");
}
