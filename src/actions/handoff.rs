//! `handoff`: the bot picks up its replacement key.
//!
//! After `store_secret` wrote the new key to the bot's store, the bot still runs with the revoked
//! one until it reads the store again. The profile's `handoff:` names a command that makes it
//! (restart a systemd unit or a container), run without a shell and bounded by `timeout`. Its
//! environment is built, never inherited whole (lockdown's own may hold the master secret): the
//! new key's *id*, the store, the profile and the run folder, plus what running a program needs
//! (`PATH`, `HOME`, ...). Never a secret. Stdin is closed; stdout and stderr are counted and
//! thrown away (a bot may print its secret): only the counts and the exit code are journaled.
//! Then the bot is checked: its health URL must answer 2xx before the timeout is up.
//!
//! Whatever is missing or goes wrong (no `handoff:`, the command fails, the bot never answers),
//! the step becomes a guided manual step: a person restarts the bot and confirms; never a silent
//! skip. It runs after the revoke and never calls the exchange, so it cannot hold containment
//! back. A resumed run never runs the command twice: once this run's journal shows the step
//! started it, the step is the manual one.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Action, ActionError, Containment, Effect, ManualTask, Outputs, Plan, Preflight, Probe, RunEnd,
    StepContext, StepEnd, StepRef, Todo,
};
use crate::config::{BotHandoff, HandoffVerify};
use crate::engine::StepStatus;
use crate::exchanges::Guide;
use crate::journal::record::{self, Record};
use crate::playbook::schema::object;

/// What the command finds in its environment from lockdown (names only are ever shown).
pub const ENV_NAMES: [&str; 4] = [
    "LOCKDOWN_NEW_KEY_ID",
    "LOCKDOWN_SECRET_STORE",
    "LOCKDOWN_PROFILE",
    "LOCKDOWN_RUN_DIR",
];

/// lockdown's own variables the command inherits: what finding and running a program needs,
/// nothing else.
const PASSED: [&str; 11] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
];

/// How long the readers of stdout and stderr may go on after the command ended: whatever it
/// left running (a daemon) may hold the pipes open.
const DRAIN: Duration = Duration::from_millis(300);

/// The first wait between two health checks; it doubles up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(100);
const MAX_WAIT: Duration = Duration::from_secs(2);

/// The longest one health request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// Parameters of `handoff`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    /// The `create_key` step whose key the bot gets.
    from: String,
    /// The `store_secret` step that wrote it (default: the profile's `secret_store`).
    #[serde(default)]
    store: Option<String>,
}

/// Which key, and where the bot finds it.
struct Target {
    /// The new key's id, when this run made it (a key made by hand has none here).
    key: Option<String>,
    /// The store, as a reference (`file:/…`, `vault:…`).
    store: Option<String>,
}

impl Target {
    fn store(&self) -> &str {
        self.store.as_deref().unwrap_or("the bot's secret store")
    }
}

impl Handoff {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> Value {
        object(
            json!({
                "from": { "type": "string", "description": "the `create_key` step whose key the bot gets" },
                "store": { "type": "string", "description": "the `store_secret` step that wrote it (default: the profile's `secret_store`)" },
            }),
            &["from"],
        )
    }

    /// The steps this reads by id.
    pub fn step_refs(&self) -> Vec<StepRef> {
        let mut refs = vec![StepRef {
            param: "from".into(),
            step: self.from.clone(),
            action: "create_key",
        }];
        if let Some(store) = &self.store {
            refs.push(StepRef {
                param: "store".into(),
                step: store.clone(),
                action: "store_secret",
            });
        }
        refs
    }

    fn target(&self, cx: &StepContext<'_>) -> Target {
        let output = |step: &str, name: &str| {
            cx.outputs
                .get(step)
                .and_then(|o| o.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Target {
            key: output(&self.from, "key_id"),
            store: self
                .store
                .as_deref()
                .and_then(|step| output(step, "store"))
                .or_else(|| cx.profile.secret_store.as_ref().map(|s| s.describe())),
        }
    }
}

impl Action for Handoff {
    const OUTPUTS: &'static [&'static str] = &[
        "key",
        "store",
        "exit_code",
        "stdout_bytes",
        "stderr_bytes",
        "verified",
        "handoff_ms",
    ];

    /// It hands the replacement over: it runs after a stop, like the steps that made the key.
    const CONTAINMENT: Containment = Containment::Completes;

    fn note(outputs: &Outputs) -> String {
        match outputs.get("verified").and_then(Value::as_str) {
            Some(verified) => format!("the bot has its new key ({verified})"),
            None => super::done_by_hand(outputs),
        }
    }

    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        // Not run: the key was not made or stored, and that step says so.
        if end.status == StepStatus::NotRun {
            return None;
        }
        Some(end.todo(
            format!("the bot may still run with the revoked key: {}", end.why()),
            "restart the bot so it reads the new key from its store, then `lockdown resume RUN_DIR` to confirm",
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    /// A command that cannot be found is said before the run, never a reason to stop it: the
    /// step then asks a person.
    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        let handoff = pre.profile.handoff.as_ref()?;
        let program = handoff.command.first()?;
        if findable(program) {
            return None;
        }
        Some(ActionError::Input {
            message: format!(
                "the hand-off command `{program}` is not found; the step will ask a person to restart the bot"
            ),
            hint: "fix `handoff.command` in the profile (a program on PATH, or a path relative to the config folder)".into(),
        })
    }

    /// Never runs the command again: if this run started it, a person finishes the step.
    async fn probe(&self, cx: &StepContext<'_>) -> Result<Probe, ActionError> {
        if cx.profile.handoff.is_some() && started_before(cx) {
            return Err(pending(
                cx,
                &self.target(cx),
                "the hand-off command was started earlier in this run; it is not run twice",
            ));
        }
        Ok(Probe::NotDone)
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let target = self.target(cx);
        let Some(handoff) = &cx.profile.handoff else {
            return Ok(by_hand(&target, "the profile has no `handoff:` command"));
        };
        if started_before(cx) {
            return Ok(by_hand(
                &target,
                "an earlier attempt of this run started the hand-off command; it is not run twice",
            ));
        }
        let mut outputs = Outputs::new();
        outputs.insert("store".into(), json!(target.store()));
        Ok(Plan::sends(vec![describe(handoff)], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let target = self.target(cx);
        let Some(handoff) = &cx.profile.handoff else {
            return Err(pending(
                cx,
                &target,
                "the profile has no `handoff:` command",
            ));
        };
        let started = Instant::now();
        let deadline = started + handoff.timeout;
        let ran = run(handoff, &target, cx, deadline)
            .await
            .map_err(|why| pending(cx, &target, &why))?;
        let counts = format!(
            "stdout {} bytes, stderr {} bytes",
            ran.stdout_bytes, ran.stderr_bytes
        );
        let exit_code = match ran.code {
            Some(0) => 0,
            Some(code) => {
                let why = format!("the hand-off command exited with status {code} ({counts})");
                return Err(pending(cx, &target, &why));
            }
            None => {
                let why = format!("the hand-off command was killed by a signal ({counts})");
                return Err(pending(cx, &target, &why));
            }
        };
        let verified = match (handoff.verify, &handoff.health_url) {
            (HandoffVerify::Health, Some(url)) => {
                let status = healthy(url, deadline).await.map_err(|why| {
                    pending(
                        cx,
                        &target,
                        &format!("the command ran ({counts}), but {why}"),
                    )
                })?;
                format!("health: HTTP {status}")
            }
            _ => "command exited 0; nothing else checked (`verify: none`)".to_owned(),
        };
        let mut out = Outputs::new();
        if let Some(key) = &target.key {
            out.insert("key".into(), json!(crate::secret::mask(key)));
        }
        out.insert("store".into(), json!(target.store()));
        out.insert("exit_code".into(), json!(exit_code));
        out.insert("stdout_bytes".into(), json!(ran.stdout_bytes));
        out.insert("stderr_bytes".into(), json!(ran.stderr_bytes));
        out.insert("verified".into(), json!(verified));
        out.insert(
            "handoff_ms".into(),
            json!(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        );
        Ok(out)
    }
}

/// The guided manual step: restart the bot by hand, then confirm.
fn guide(target: &Target, why: &str) -> Guide {
    let key = match &target.key {
        Some(key) => format!("the new key {}", crate::secret::mask(key)),
        None => "the new key".to_owned(),
    };
    Guide {
        title: format!(
            "Restart the bot so it reads the new key from {}; then confirm",
            target.store()
        ),
        url: String::new(),
        steps: vec![
            format!("lockdown did not hand the key over: {why}"),
            format!(
                "Restart the bot (its service, container or process) so it reads {key} from {}",
                target.store()
            ),
            "Check that it trades again (its log, its health page): the old key is revoked and refused".to_owned(),
        ],
    }
}

fn by_hand(target: &Target, why: &str) -> Plan {
    super::manual_plan(guide(target, why), ManualTask::Other)
}

/// The step waits for a person: what to do, and why lockdown did not.
fn pending(cx: &StepContext<'_>, target: &Target, why: &str) -> ActionError {
    ActionError::Pending {
        what: format!(
            "step `{}`: restart the bot so it reads the new key from {}; then confirm ({why})",
            cx.step,
            target.store()
        ),
    }
}

/// What the step will do, for the plan, the journal's `step_started` and `--dry-run`: the argv
/// and the names of what it is given, never a value.
fn describe(handoff: &BotHandoff) -> String {
    let mut text = format!(
        "run {:?} (no shell, stdin closed, output counted and not kept) with {} set and {} passed on",
        handoff.command,
        ENV_NAMES.join(", "),
        PASSED.join(", ")
    );
    match (handoff.verify, &handoff.health_url) {
        (HandoffVerify::Health, Some(url)) => text.push_str(&format!(
            "; then GET {url} until it answers 2xx; all within {}",
            humantime::format_duration(handoff.timeout)
        )),
        _ => text.push_str(&format!(
            "; within {}; exit status 0 is the only check",
            humantime::format_duration(handoff.timeout)
        )),
    }
    text
}

/// Whether this run's journal shows the step started with a command to run (an earlier attempt,
/// or this one before a probe): the command may have run, and is not run again.
fn started_before(cx: &StepContext<'_>) -> bool {
    let Ok(text) = std::fs::read_to_string(cx.journal.path()) else {
        return false;
    };
    text.lines()
        .filter_map(|line| serde_json::from_str::<crate::journal::Event>(line).ok())
        .filter_map(|event| record::StepStarted::of(&event))
        .any(|start| {
            start.step == cx.step && start.action == "handoff" && !start.requests.is_empty()
        })
}

/// What the command did: its exit code (`None`: a signal) and how much it wrote.
struct Ran {
    code: Option<i32>,
    stdout_bytes: u64,
    stderr_bytes: u64,
}

/// Runs the command with its built environment until it ends or `deadline` passes (then it is
/// killed); `Err` says why it did not run to its end.
async fn run(
    handoff: &BotHandoff,
    target: &Target,
    cx: &StepContext<'_>,
    deadline: Instant,
) -> Result<Ran, String> {
    let (program, args) = handoff
        .command
        .split_first()
        .ok_or_else(|| "`handoff.command` is empty".to_owned())?;
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(
            PASSED
                .iter()
                .filter_map(|name| std::env::var_os(name).map(|v| (name, v))),
        )
        .env(
            "LOCKDOWN_NEW_KEY_ID",
            target.key.as_deref().unwrap_or_default(),
        )
        .env(
            "LOCKDOWN_SECRET_STORE",
            target.store.as_deref().unwrap_or_default(),
        )
        .env("LOCKDOWN_PROFILE", &cx.profile.name)
        .env("LOCKDOWN_RUN_DIR", &cx.run.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|err| format!("the hand-off command `{program}` did not start: {err}"))?;
    let stdout = Arc::new(AtomicU64::new(0));
    let stderr = Arc::new(AtomicU64::new(0));
    let readers = [
        tokio::spawn(count(child.stdout.take(), Arc::clone(&stdout))),
        tokio::spawn(count(child.stderr.take(), Arc::clone(&stderr))),
    ];
    let waited =
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), child.wait()).await;
    let status = match waited {
        Ok(Ok(status)) => status,
        Ok(Err(err)) => {
            return Err(format!(
                "the hand-off command could not be waited for: {err}"
            ));
        }
        Err(_) => {
            // Bounded: it is killed (what it started itself may live on).
            let _ = child.kill().await;
            for reader in &readers {
                reader.abort();
            }
            return Err(format!(
                "the hand-off command did not end within {}",
                humantime::format_duration(handoff.timeout)
            ));
        }
    };
    for reader in readers {
        let abort = reader.abort_handle();
        if tokio::time::timeout(DRAIN, reader).await.is_err() {
            abort.abort();
        }
    }
    Ok(Ran {
        code: status.code(),
        stdout_bytes: stdout.load(Ordering::Relaxed),
        stderr_bytes: stderr.load(Ordering::Relaxed),
    })
}

/// Reads a pipe to its end, counting and dropping what it reads.
async fn count<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>, total: Arc<AtomicU64>) {
    use tokio::io::AsyncReadExt;
    let Some(mut pipe) = pipe else { return };
    let mut buf = vec![0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        total.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Asks `url` until it answers 2xx (its status) or `deadline` passes (why not), waiting longer
/// each time.
async fn healthy(url: &str, deadline: Instant) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|err| format!("the health URL cannot be asked ({err})"))?;
    let mut wait = FIRST_WAIT;
    let mut last = "no answer".to_owned();
    let mut asked = 0u32;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "{url} did not answer 2xx in time ({asked} tries; last: {last})"
            ));
        }
        asked += 1;
        match client
            .get(url)
            .timeout(left.min(REQUEST_LIMIT))
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => {
                return Ok(response.status().as_u16());
            }
            Ok(response) => last = format!("HTTP {}", response.status().as_u16()),
            Err(err) => last = err.without_url().to_string(),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(wait.min(left)).await;
        wait = (wait * 2).min(MAX_WAIT);
    }
}

/// Whether `program` can be started: a path that exists, or a name on PATH.
fn findable(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HandoffVerify;

    fn handoff(verify: HandoffVerify, url: Option<&str>) -> BotHandoff {
        BotHandoff {
            command: vec![
                "/usr/local/bin/restart-bot".into(),
                "--unit".into(),
                "grid".into(),
            ],
            health_url: url.map(str::to_owned),
            timeout: Duration::from_secs(30),
            verify,
        }
    }

    #[test]
    fn the_plan_names_the_argv_and_the_variables_never_a_value() {
        let text = describe(&handoff(
            HandoffVerify::Health,
            Some("http://127.0.0.1:9/health"),
        ));
        for says in [
            r#"["/usr/local/bin/restart-bot", "--unit", "grid"]"#,
            "LOCKDOWN_NEW_KEY_ID, LOCKDOWN_SECRET_STORE, LOCKDOWN_PROFILE, LOCKDOWN_RUN_DIR set",
            "GET http://127.0.0.1:9/health until it answers 2xx; all within 30s",
        ] {
            assert!(text.contains(says), "{says}: {text}");
        }
        let text = describe(&handoff(HandoffVerify::None, None));
        assert!(text.contains("exit status 0 is the only check"), "{text}");
    }

    #[test]
    fn the_guide_says_where_the_key_is_and_why_it_is_by_hand() {
        let target = Target {
            key: Some("NEWKEY0000000000001".into()),
            store: Some("file:/srv/bot/key.json".into()),
        };
        let guide = guide(&target, "the profile has no `handoff:` command");
        assert_eq!(
            guide.title,
            "Restart the bot so it reads the new key from file:/srv/bot/key.json; then confirm"
        );
        assert!(guide.steps[0].ends_with("the profile has no `handoff:` command"));
        assert!(
            !guide.steps.concat().contains("NEWKEY0000000000001"),
            "the id is masked"
        );
    }

    #[test]
    fn programs_are_found_on_path_or_by_their_path() {
        assert!(findable("sh"));
        assert!(findable("/bin/sh"));
        assert!(!findable("no-such-program-lockdown-handoff"));
        assert!(!findable("/nonexistent/restart-bot"));
    }
}
