//! The `handoff` step: once the new key is stored, the profile's command restarts the bot and
//! its health URL must answer; when that cannot be done, a person is guided, and the run is still
//! contained. The real `lockdown` binary against the simulator, a real script playing the bot's
//! restart (`tests/support/handoff-bot.sh`), and a health listener on 127.0.0.1 that answers 200
//! only once the script ran.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::support::{
    Lab, code, contained, edit_config, journal_of, lockdown, read, respond_args, run_dir, stderr,
    stdout, step_status, summary,
};

/// In lockdown's environment during every run here: the command must never see it.
const CANARY: &str = "canary-5d1e0f-handoff-env-secret";

/// The script that plays the bot's restart.
fn script() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/handoff-bot.sh")
        .display()
        .to_string()
}

/// A health listener on 127.0.0.1: 503 until `marker` exists, then 200. Its URL and how often
/// it was asked.
async fn health(marker: PathBuf) -> (String, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move || {
            let ready = marker.exists();
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if ready {
                    axum::http::StatusCode::OK
                } else {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/health"), asked)
}

/// Where the script writes what it was given, and the marker it creates.
struct Bot {
    dir: tempfile::TempDir,
}

impl Bot {
    fn new() -> Bot {
        Bot {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn env_file(&self) -> PathBuf {
        self.dir.path().join("env")
    }

    fn marker(&self) -> PathBuf {
        self.dir.path().join("restarted")
    }

    /// How often the script ran.
    fn runs(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("env.runs"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    /// The environment the script was given, by name.
    fn env(&self) -> (String, std::collections::BTreeMap<String, String>) {
        let text = read(&self.env_file());
        let vars = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        (text, vars)
    }
}

/// Gives the lab's profile a `handoff:` that runs the script (exiting with `status`) and checks
/// `health_url`, and keeps the master secret in an environment variable, as many owners do.
fn configure(lab: &Lab, bot: &Bot, status: u8, health_url: &str, timeout: &str) {
    let handoff = format!(
        "    handoff:\n      command: [\"{}\", \"{}\", \"{}\", \"{status}\"]\n      health_url: {health_url}\n      timeout: {timeout}\n    responder_ip:",
        script(),
        bot.env_file().display(),
        bot.marker().display()
    );
    edit_config(lab, "    responder_ip:", &handoff);
    edit_config(
        lab,
        "secret: file:master.secret",
        "secret: env:HANDOFF_MASTER_SECRET",
    );
}

/// `lockdown ARGS` with the master secret and the canary in its environment.
async fn run(lab: &Lab, args: &[&str]) -> Output {
    let master = read(&lab.sim_dir().join("master.secret"));
    lockdown(
        args,
        &[
            ("HANDOFF_MASTER_SECRET", &master),
            ("LOCKDOWN_CANARY", CANARY),
        ],
    )
    .await
}

/// `respond` so.
async fn respond(lab: &Lab, extra: &[&str]) -> Output {
    let config = lab.session.config.display().to_string();
    run(lab, &respond_args(&config, &lab.leaked(), extra)).await
}

/// The outputs the journal's `step_finished` of step `id` holds.
fn finished_outputs(summary: &Value, id: &str) -> Value {
    journal_of(summary)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|e| e["type"] == "step_finished" && e["data"]["step"] == id)
        .unwrap_or_else(|| panic!("no step_finished for `{id}`"))["data"]["outputs"]
        .clone()
}

/// The leaked key is gone at the exchange.
fn revoked(lab: &Lab) -> bool {
    lab.sim
        .inspect()
        .key(&lab.leaked())
        .is_none_or(|k| k.deleted)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_restarts_the_bot_with_the_new_key_id_and_no_secret() {
    let lab = Lab::start(61).await;
    let bot = Bot::new();
    let (url, asked) = health(bot.marker()).await;
    configure(&lab, &bot, 0, &url, "30s");

    let output = respond(&lab, &["--yes", "--json"]).await;
    let summary = contained(&output);
    assert_eq!(step_status(&summary, "handoff"), "ok");
    assert_eq!(bot.runs(), 1);
    assert!(
        asked.load(Ordering::SeqCst) >= 1,
        "the health URL was asked"
    );

    // What the script was given: the new key's id, where it is, the profile, the run folder.
    let replacement = lab.replacement();
    let (text, vars) = bot.env();
    assert_eq!(
        vars["LOCKDOWN_NEW_KEY_ID"],
        replacement["api_key"].as_str().unwrap()
    );
    let store = lab.sim_dir().join("replacement-key.json");
    assert_eq!(
        vars["LOCKDOWN_SECRET_STORE"],
        format!("file:{}", store.display())
    );
    assert_eq!(vars["LOCKDOWN_PROFILE"], "sim");
    assert_eq!(
        Path::new(&vars["LOCKDOWN_RUN_DIR"]),
        run_dir(&summary).as_path()
    );
    // ... and no secret: not the new one, not the master's (in lockdown's own environment),
    // not the leaked key's, nor anything else lockdown's environment held.
    let secrets = [
        (
            "replacement secret",
            replacement["api_secret"].as_str().unwrap().to_owned(),
        ),
        ("master secret", read(&lab.sim_dir().join("master.secret"))),
        ("bot secret", read(&lab.sim_dir().join("bot.secret"))),
        ("canary", CANARY.to_owned()),
    ];
    for (what, secret) in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} in the command's environment"
        );
    }
    assert!(!vars.contains_key("HANDOFF_MASTER_SECRET"));

    // Journaled: the exit code and how much the command wrote, never what it wrote.
    let outputs = finished_outputs(&summary, "handoff");
    assert_eq!(outputs["exit_code"], 0);
    assert_eq!(outputs["stdout_bytes"], "restarting the bot\n".len());
    assert_eq!(outputs["stderr_bytes"], "a warning\n".len());
    assert_eq!(outputs["verified"], "health: HTTP 200");
    let journal = journal_of(&summary);
    for said in ["restarting the bot", "a warning"] {
        assert!(!journal.contains(said), "the command's output is not kept");
        assert!(!stdout(&output).contains(said) && !stderr(&output).contains(said));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_leaves_a_guided_step_and_resume_does_not_run_it_again() {
    let lab = Lab::start(62).await;
    let bot = Bot::new();
    let (url, _) = health(bot.marker()).await;
    configure(&lab, &bot, 3, &url, "30s");

    // `--yes` accepts confirmations, never a restart that failed: the step waits for a person.
    let output = respond(&lab, &["--yes", "--json"]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let first = summary(&output);
    assert_eq!(
        first["contained"], true,
        "the failed hand-off does not undo containment"
    );
    assert!(revoked(&lab));
    for step in ["revoke", "verify_dead", "replace", "store"] {
        assert_eq!(step_status(&first, step), "ok", "{step}");
    }
    assert_eq!(step_status(&first, "handoff"), "pending");
    assert_eq!(bot.runs(), 1);
    let text = stderr(&output);
    for says in [
        "restart the bot so it reads the new key from file:",
        "exited with status 3",
        "lockdown resume",
    ] {
        assert!(text.contains(says), "{says}:\n{text}");
    }
    assert!(
        first["left"]
            .to_string()
            .contains("the bot may still run with the revoked key"),
        "{}",
        first["left"]
    );

    // Taken up again, the step is the guided one: the command is not run a second time.
    let dir = run_dir(&first).display().to_string();
    let output = run(&lab, &["resume", &dir, "--yes", "--json"]).await;
    let resumed = contained(&output);
    assert_eq!(step_status(&resumed, "handoff"), "ok");
    assert_eq!(bot.runs(), 1, "the command ran once");
    assert!(
        stderr(&output).contains("started the hand-off command; it is not run twice"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bot_that_never_answers_leaves_a_guided_step() {
    let lab = Lab::start(63).await;
    let bot = Bot::new();
    // The listener waits for a marker the script never creates.
    let (url, asked) = health(bot.dir.path().join("never")).await;
    configure(&lab, &bot, 0, &url, "1s");

    let output = respond(&lab, &["--yes", "--json"]).await;
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let summary = summary(&output);
    assert_eq!(summary["contained"], true);
    assert_eq!(step_status(&summary, "handoff"), "pending");
    assert!(asked.load(Ordering::SeqCst) >= 1);
    let text = stderr(&output);
    assert!(
        text.contains("did not answer 2xx in time") && text.contains("HTTP 503"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_handoff_a_person_is_guided() {
    // Without `--yes` the revoke's confirmation cannot be asked here: `--yes` answers the guided
    // step too, as it does every manual step, and says so.
    let lab = Lab::start(64).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    assert_eq!(step_status(&summary, "handoff"), "ok");
    let text = stderr(&output);
    for says in [
        "To do by hand:",
        "Restart the bot so it reads the new key from file:",
        "the profile has no `handoff:` command",
    ] {
        assert!(text.contains(says), "{says}:\n{text}");
    }
    let outputs = finished_outputs(&summary, "handoff");
    assert_eq!(outputs["by"], "--yes");
    assert!(
        outputs.get("exit_code").is_none(),
        "no command ran: {outputs}"
    );
    assert!(
        journal_of(&summary).contains("Restart the bot so it reads the new key from file:"),
        "the guide is journaled with the step's start"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_the_argv_and_the_names_never_a_value() {
    let lab = Lab::start(65).await;
    let bot = Bot::new();
    configure(&lab, &bot, 0, "http://127.0.0.1:9/health", "30s");
    let output = respond(&lab, &["--dry-run"]).await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stderr(&output);
    for says in [
        script().as_str(),
        "LOCKDOWN_NEW_KEY_ID, LOCKDOWN_SECRET_STORE, LOCKDOWN_PROFILE, LOCKDOWN_RUN_DIR set",
        "GET http://127.0.0.1:9/health until it answers 2xx",
    ] {
        assert!(text.contains(says), "{says}:\n{text}");
    }
    assert_eq!(bot.runs(), 0, "a dry run runs nothing");
}
