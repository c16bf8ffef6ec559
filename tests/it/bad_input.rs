//! Bad input: clear errors with `file:line:col`, exit 2, and nothing sent to the exchange.

use crate::support::{Lab, code, lockdown, respond_args, stderr};

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
