//! Many keys at once: the vendor leak, where every key a vendor held must be contained now.
//!
//! `respond --key A --key B …`, `--keys-file`, `--all-keys` and repeated `--profile` come here.
//! Each key gets the very same response as a single `respond` (its own run folder, journal and
//! report, through `crate::respond`), and the keys of one profile share ONE [`Client`], so every
//! request of the incident goes through one client's pacing (clones share its state). Every
//! key's run starts at once, and no key's run goes past its first step (the lock) before every
//! key's lock has gone out ([`Ticket`]); then at most `--parallel` keys' runs go on at a time
//! (a run's deadline moves on by its wait at that gate). One
//! incident folder `<state_dir>/incidents/<utc>-<id>/` gets `summary.md` and `summary.json`.
//! Each key's replacement is stored in a file of its own ([`key_store`]). Fail toward
//! containment: nothing here stops a key's lock or revoke. A key another process is already
//! responding to is refused (its lock file, [`KeyLock`]); the others go on.

pub mod keys_file;
mod lock;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Semaphore, watch};

pub use lock::{KeyLock, LockRefusal, lock_path};

use crate::config::{self, Profile, SecretStore};
use crate::engine::{Confirm, Gate, Outcome, StepStatus};
use crate::error::Error;
use crate::exchanges::{Auth, Client, Mode, Op, Reply};
use crate::exit::Exit;
use crate::report::incident::{KeyResult, Summary};
use crate::respond::{Request, respond, run_id};
use crate::secret::KeyId;
use crate::ui::Ui;

/// How many keys' steps after the lock run at once by default: the evidence of each key reads
/// through the master too (transfers: Bybit allows 1 to 5 a second), so a few keys at a time
/// keep every read within what the client's rate-limit waits can carry.
pub const DEFAULT_PARALLEL: u16 = 4;

/// What the keys of one incident share: the profile's client and the gate after the lock.
#[derive(Debug, Clone)]
pub struct Share {
    /// The profile's one client (clones share its pacing).
    pub client: Client,
    /// This key's place at the gate after its lock.
    pub gate: Arc<Ticket>,
    /// Where this key's replacement is stored, when several keys of one profile would all
    /// write to the profile's one `secret_store` ([`key_store`]).
    pub secret_store: Option<SecretStore>,
    /// When the incident began, RFC 3339 UTC: before any of its keys' runs.
    pub started_at: String,
    /// The reads its keys' runs make once for all (the master's money movements and key
    /// listings).
    pub reads: Arc<crate::actions::shared_reads::SharedReads>,
}

/// The incident's gate: no key's run goes past its first step (its lock) before every key's
/// lock has gone out (answered, or the run ended without one), then at most `parallel` keys'
/// runs go on at a time.
#[derive(Debug)]
struct Barrier {
    /// Keys whose lock has not gone out yet.
    pending: watch::Sender<usize>,
    /// Slots for the steps after the lock.
    slots: Arc<Semaphore>,
}

/// One key's place at the gate. A run that ends before it reaches the gate (refused, bad
/// input, a playbook of one step) drops its ticket, which counts its lock as gone out: nobody
/// waits for a lock that will never be sent.
#[derive(Debug)]
pub struct Ticket {
    barrier: Arc<Barrier>,
    arrived: AtomicBool,
}

impl Ticket {
    /// Tickets for `keys` keys, `parallel` of which go on at a time after every lock.
    pub fn issue(keys: usize, parallel: usize) -> Vec<Arc<Ticket>> {
        let barrier = Arc::new(Barrier {
            pending: watch::Sender::new(keys),
            slots: Arc::new(Semaphore::new(parallel.max(1))),
        });
        (0..keys)
            .map(|_| {
                Arc::new(Ticket {
                    barrier: barrier.clone(),
                    arrived: AtomicBool::new(false),
                })
            })
            .collect()
    }

    fn arrive(&self) {
        if !self.arrived.swap(true, Ordering::SeqCst) {
            self.barrier
                .pending
                .send_modify(|n| *n = n.saturating_sub(1));
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.arrive();
    }
}

impl Gate for Ticket {
    fn pass(&self) -> Pin<Box<dyn Future<Output = Box<dyn Send>> + Send + '_>> {
        Box::pin(async move {
            self.arrive();
            let mut pending = self.barrier.pending.subscribe();
            let _ = pending.wait_for(|n| *n == 0).await;
            let slot = self.barrier.slots.clone().acquire_owned().await;
            Box::new(slot) as Box<dyn Send>
        })
    }
}

/// The store of one key's replacement when several keys of a profile are answered at once:
/// the profile's `secret_store` with `.<label>-<hash>` before its extension
/// (`replacement-key.json` → `replacement-key.grid-bot-3f9a1c04.json`, `.env` →
/// `.env.grid-bot-3f9a1c04`), the label the key's `keys:` entry gives (letters, digits, `-` and
/// `_` kept), the hash the first 8 hex digits of the key id's SHA-256. Each bot's new secret then
/// lands in a file of its own instead of the last one overwriting the others.
pub fn key_store(store: &SecretStore, profile: &Profile, key: &KeyId) -> SecretStore {
    use sha2::{Digest, Sha256};
    let hash = hex::encode(&Sha256::digest(key.as_str().as_bytes())[..4]);
    let label: String = profile
        .key(key)
        .map(|k| k.label.as_str())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    let tag = if label.is_empty() {
        hash
    } else {
        format!("{label}-{hash}")
    };
    match store {
        SecretStore::File(path) => SecretStore::File(tagged(path, &tag)),
        SecretStore::EnvFile(path) => SecretStore::EnvFile(tagged(path, &tag)),
        SecretStore::Age(r) => SecretStore::parse(
            &format!("age:{}", tagged(r.path(), &tag).display()),
            Path::new("/"),
        )
        .unwrap_or_else(|_| store.clone()),
        // A remote store's secret gets `-<label>-<hash>` after its name.
        remote => SecretStore::parse(&format!("{remote}-{tag}"), Path::new("/"))
            .unwrap_or_else(|_| remote.clone()),
    }
}

/// Which keys an incident answers.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keys named on the command line or in a keys file, in order.
    pub keys: Vec<KeyId>,
    /// Also every key of each profile's `keys:`, and every key the master lists on their
    /// sub-accounts.
    pub all_keys: bool,
}

/// An incident to respond to.
#[derive(Debug, Clone)]
pub struct IncidentRequest {
    /// The config file.
    pub config: PathBuf,
    /// The profiles (empty: the config's only one, or `default`).
    pub profiles: Vec<String>,
    /// The keys.
    pub selection: Selection,
    /// A playbook file (default: the one shipped for each profile's exchange).
    pub playbook: Option<PathBuf>,
    /// Further playbook inputs, for every key.
    pub inputs: BTreeMap<String, String>,
    /// How confirmations are answered (several keys need `--yes`).
    pub confirm: Confirm,
    /// Live or a dry run.
    pub mode: Mode,
    /// A one-time two-factor code.
    pub otp: Option<crate::secret::SecretString>,
    /// Who carries out manual steps (a drill's simulated operator).
    pub operator: Option<Arc<dyn crate::engine::Operator>>,
    /// How many keys' steps after the lock run at once.
    pub parallel: usize,
}

/// One key of the incident, with the profile it is answered through.
#[derive(Debug, Clone)]
pub struct Target {
    /// The profile's name.
    pub profile: String,
    /// The key.
    pub key: KeyId,
}

/// How an incident ended: the summary, and each key's outcome where its run ran.
#[derive(Debug)]
pub struct Incident {
    /// The summary (also written to the incident folder).
    pub summary: Summary,
    /// Each key's outcome, in the summary's order.
    pub outcomes: Vec<Result<Outcome, Error>>,
}

impl Incident {
    /// The worst of the keys' exit codes.
    pub fn exit(&self) -> Exit {
        Exit::worst(self.outcomes.iter().map(|o| match o {
            Ok(outcome) => outcome.exit(),
            Err(err) => err.exit(),
        }))
    }
}

/// Takes `key`'s lock file for a live response: `None` (with a warning) when the file cannot be
/// used, an error when another process holds it.
pub fn lock_key(profile: &Profile, key: &KeyId, ui: &Ui) -> Result<Option<KeyLock>, Error> {
    match KeyLock::acquire(&profile.state_dir, profile.exchange, key) {
        Ok(lock) => Ok(Some(lock)),
        Err(LockRefusal::Held { holder, path }) => Err(Error::Busy {
            key: key.masked(),
            holder,
            lock_file: path,
        }),
        Err(LockRefusal::Unusable { path, source }) => {
            ui.warn(&format!(
                "cannot use the lock file `{}` ({source}); a second responder on key {key} would not be refused: the response goes on",
                path.display()
            ));
            Ok(None)
        }
    }
}

/// Loads the profiles and settles which keys to answer, before anything is sent (but for the
/// master's listing of sub-account keys that `--all-keys` asks for).
pub async fn targets(
    request: &IncidentRequest,
    clients: &BTreeMap<String, Client>,
    profiles: &[Profile],
    ui: &Ui,
) -> Result<Vec<Target>, Error> {
    let mut targets: Vec<Target> = Vec::new();
    let mut push = |profile: &str, key: KeyId| {
        if !targets.iter().any(|t| t.key == key && t.profile == profile) {
            targets.push(Target {
                profile: profile.to_owned(),
                key,
            });
        }
    };
    for key in &request.selection.keys {
        let owner = match profiles {
            [only] => only,
            _ => profiles
                .iter()
                .find(|p| p.key(key).is_some())
                .ok_or_else(|| Error::Usage {
                    message: format!(
                        "key {key} is under `keys:` of none of the profiles {}",
                        names(profiles)
                    ),
                    help: Some(
                        "with several `--profile`, each key must be listed under one profile's `keys:`"
                            .into(),
                    ),
                })?,
        };
        push(&owner.name, key.clone());
    }
    if request.selection.all_keys {
        for profile in profiles {
            for owned in &profile.keys {
                push(&profile.name, owned.id.clone());
            }
            let Some(client) = clients.get(&profile.name) else {
                continue;
            };
            for key in listed_keys(profile, client, ui).await {
                push(&profile.name, key);
            }
        }
    }
    if targets.is_empty() {
        return Err(Error::Usage {
            message: "no key to respond to".into(),
            help: Some(
                "name the leaked keys with `--key` (repeatable) or `--keys-file`, or take every key of the profile with `--all-keys`"
                    .into(),
            ),
        });
    }
    Ok(targets)
}

/// Every live key the master lists on the sub-accounts the profile's keys name, but the
/// master's own and the replacements lockdown made (`lockdown-<run>`). A listing that fails is
/// a warning: the profile's own keys are answered whatever the master can list.
async fn listed_keys(profile: &Profile, client: &Client, ui: &Ui) -> Vec<KeyId> {
    let mut accounts: Vec<&str> = profile
        .keys
        .iter()
        .filter_map(|k| k.account.as_deref())
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let mut keys = Vec::new();
    for account in accounts {
        let listed = client
            .all_pages(
                |cursor| Op::SubKeys {
                    account: account.to_owned(),
                    cursor,
                },
                Auth::Key(&profile.master),
                Reply::into_keys,
            )
            .await;
        match listed {
            Ok(listed) => keys.extend(
                listed
                    .into_iter()
                    .filter(|k| !k.is_master && !k.label.starts_with("lockdown-"))
                    .filter(|k| k.key != profile.master.key)
                    .map(|k| k.key),
            ),
            Err(err) => ui.warn(&format!(
                "cannot list the keys of sub-account `{account}` (profile `{}`): {err}; the response goes on with the profile's keys",
                profile.name
            )),
        }
    }
    keys
}

/// `path` with `.<tag>` before its extension (after the whole name when it has none, or is a
/// dotfile such as `.env`).
fn tagged(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let renamed = match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}.{tag}{}", &name[..dot], &name[dot..]),
        _ => format!("{name}.{tag}"),
    };
    path.with_file_name(renamed)
}

fn names(profiles: &[Profile]) -> String {
    profiles
        .iter()
        .map(|p| format!("`{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Responds to every key of the incident: all locks first, then the rest bounded; writes the
/// incident summary. `ui` gets one line per key as it ends; the keys' own runs print only errors.
pub async fn respond_many(request: IncidentRequest, ui: &Ui) -> Result<Incident, Error> {
    let started = Instant::now();
    let started_at = crate::clock::now_rfc3339();
    let names: Vec<Option<&str>> = if request.profiles.is_empty() {
        vec![None]
    } else {
        request.profiles.iter().map(|p| Some(p.as_str())).collect()
    };
    let mut profiles: Vec<Profile> = Vec::new();
    for name in names {
        let profile = config::load_profile(&request.config, name)?;
        if !profiles.iter().any(|p| p.name == profile.name) {
            profiles.push(profile);
        }
    }
    let mut clients = BTreeMap::new();
    for profile in &profiles {
        clients.insert(
            profile.name.clone(),
            crate::respond::connect(profile, request.mode)?,
        );
    }
    let targets = targets(&request, &clients, &profiles, ui).await?;
    // A dry run asks nothing; a live one would ask every key's questions at once.
    if targets.len() > 1 && request.confirm == Confirm::Ask && request.mode == Mode::Live {
        return Err(Error::Usage {
            message: format!(
                "{} keys cannot each ask for confirmations on one terminal",
                targets.len()
            ),
            help: Some(
                "pass `--yes` to accept every confirmation (each is journaled as `--yes`)".into(),
            ),
        });
    }
    let tickets = Ticket::issue(targets.len(), request.parallel);
    let id = run_id();
    let state_dir = profiles
        .first()
        .map(|p| p.state_dir.clone())
        .unwrap_or_default();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = state_dir.join("incidents").join(format!("{stamp}-{id}"));
    // Fail toward containment: a summary that cannot be written never holds back a lock.
    if let Err(err) = crate::private::create_dir(&dir) {
        ui.warn(&format!(
            "cannot create the incident folder `{}` ({err}); the response goes on, its summary only on the terminal",
            dir.display()
        ));
    }
    ui.info(&format!(
        "lockdown: incident {id}: responding to {} key(s) ({} at a time after the locks); summary in {}",
        targets.len(),
        request.parallel.max(1),
        dir.display()
    ));

    // The keys' own runs print only errors: a hundred runs' step lines would drown the summary.
    // On a terminal one line counts the keys contained as their locks are acknowledged.
    let keys_meter = ui.keys_meter(targets.len());
    let quiet = ui.for_one_key(keys_meter.clone());
    let reads = Arc::new(crate::actions::shared_reads::SharedReads::default());
    let runs = targets.iter().zip(tickets).map(|(target, ticket)| {
        let profile = profiles.iter().find(|p| p.name == target.profile);
        let shared_store = targets
            .iter()
            .filter(|t| t.profile == target.profile)
            .count()
            > 1;
        let share = Share {
            client: clients[&target.profile].clone(),
            gate: ticket,
            secret_store: profile
                .and_then(|p| p.secret_store.as_ref().map(|s| (p, s)))
                .filter(|_| shared_store)
                .map(|(p, s)| key_store(s, p, &target.key)),
            started_at: started_at.clone(),
            reads: reads.clone(),
        };
        let key_request = Request {
            config: request.config.clone(),
            profile: Some(target.profile.clone()),
            playbook: request.playbook.clone(),
            key: target.key.clone(),
            inputs: request.inputs.clone(),
            confirm: request.confirm,
            mode: request.mode,
            otp: request.otp.clone(),
            operator: request.operator.clone(),
            incident: Some(share),
            rehearsal: None,
            cause: None,
        };
        let quiet = quiet.clone();
        let target = target.clone();
        let ui = ui.clone();
        // Each key's run has a thread of its own (on the runtime's blocking pool, driven by its
        // handle): the journal's syncs of one key never hold up another key's lock.
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let begun = started.elapsed();
            let outcome = runtime.block_on(respond(key_request, &quiet));
            quiet.key_ended();
            ui.info(&line(&target, &outcome));
            let lock_ms = outcome
                .as_ref()
                .ok()
                .filter(|o| step_ok(o, "restrict_key"))
                .and_then(|o| o.contained_ms)
                .map(|ms| u64::try_from(begun.as_millis()).unwrap_or(u64::MAX) + ms);
            (outcome, lock_ms)
        })
    });
    let tasks: Vec<_> = runs.collect();
    let mut ended: Vec<(Result<Outcome, Error>, Option<u64>)> = Vec::new();
    for task in tasks {
        ended.push(task.await.unwrap_or_else(|err| {
            (
                Err(Error::Exchange {
                    message: format!("a key's response ended abnormally: {err}"),
                    help: Some("its run folder, if it has one, says how far it got".into()),
                }),
                None,
            )
        }));
    }

    drop((keys_meter, quiet));
    let keys: Vec<KeyResult> = targets
        .iter()
        .zip(&ended)
        .map(|(t, (o, _))| key_result(t, o))
        .collect();
    let incident = Incident {
        summary: Summary {
            incident_id: id,
            incident_dir: dir.display().to_string(),
            started_at,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            locks_done_ms: ended.iter().filter_map(|(_, ms)| *ms).max(),
            keys_total: keys.len(),
            locked: keys.iter().filter(|k| k.locked).count(),
            revoked: keys.iter().filter(|k| k.revoked).count(),
            replaced: keys.iter().filter(|k| k.replaced).count(),
            exit_code: Exit::worst(ended.iter().map(|(o, _)| exit_of(o))).code(),
            keys,
        },
        outcomes: ended.into_iter().map(|(o, _)| o).collect(),
    };
    if let Err(err) = incident.summary.write(&dir) {
        ui.warn(&format!(
            "cannot write the incident summary in `{}` ({err}); each key's run folder keeps its own report",
            dir.display()
        ));
    }
    Ok(incident)
}

fn exit_of(outcome: &Result<Outcome, Error>) -> Exit {
    match outcome {
        Ok(outcome) => outcome.exit(),
        Err(err) => err.exit(),
    }
}

/// Whether a step of `action` ended ok.
fn step_ok(outcome: &Outcome, action: &str) -> bool {
    outcome
        .steps
        .iter()
        .any(|s| s.action == action && s.status == StepStatus::Ok)
}

/// The summary's row for one key.
fn key_result(target: &Target, outcome: &Result<Outcome, Error>) -> KeyResult {
    match outcome {
        Ok(o) => {
            let has = |action: &str| o.steps.iter().any(|s| s.action == action);
            KeyResult {
                key: target.key.masked(),
                profile: target.profile.clone(),
                locked: step_ok(o, "restrict_key"),
                revoked: step_ok(o, "revoke_key")
                    && (!has("verify_revoked") || step_ok(o, "verify_revoked")),
                replaced: step_ok(o, "create_key")
                    && (!has("store_secret") || step_ok(o, "store_secret")),
                time_to_contain_ms: o.contained_ms,
                unauthorized_orders: o.unauthorized_orders(),
                exit_code: o.exit().code(),
                left: o.left.clone(),
                error: None,
                run_dir: Some(o.run_dir.clone()),
            }
        }
        Err(err) => KeyResult {
            key: target.key.masked(),
            profile: target.profile.clone(),
            locked: false,
            revoked: false,
            replaced: false,
            time_to_contain_ms: None,
            unauthorized_orders: None,
            exit_code: err.exit().code(),
            left: Vec::new(),
            error: Some(describe(err)),
            run_dir: match err {
                Error::Interrupted { run_dir, .. } => Some(run_dir.display().to_string()),
                _ => None,
            },
        },
    }
}

/// An error that kept a key's run from starting, with the problems of a refused preflight
/// (a key listed by the master but absent from `keys:` has no secret to read its orders with).
fn describe(err: &Error) -> String {
    match err {
        Error::Preflight { problems } => {
            let each: Vec<String> = problems
                .iter()
                .map(|p| match &p.help {
                    Some(help) => format!("{} ({help})", p.message),
                    None => p.message.clone(),
                })
                .collect();
            format!("{err}: {}", each.join("; "))
        }
        other => other.to_string(),
    }
}

/// One line for people as a key's run ends.
fn line(target: &Target, outcome: &Result<Outcome, Error>) -> String {
    match outcome {
        Ok(o) => format!(
            "key {} (profile `{}`): {}; exit {}; run folder {}",
            target.key,
            target.profile,
            o.contained_ms.map_or_else(
                || "NOT contained".to_owned(),
                |ms| format!("contained {ms} ms after its start")
            ),
            o.exit().code(),
            o.run_dir
        ),
        Err(err) => format!(
            "key {} (profile `{}`): did not run: {} (exit {})",
            target.key,
            target.profile,
            describe(err),
            err.exit().code()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[tokio::test]
    async fn no_key_goes_past_its_lock_before_every_lock_went_out() {
        let mut tickets = Ticket::issue(3, 1).into_iter();
        let (a, b, c) = (
            tickets.next().unwrap(),
            tickets.next().unwrap(),
            tickets.next().unwrap(),
        );
        let mut a_passes = a.pass();
        assert!(
            (&mut a_passes).now_or_never().is_none(),
            "b and c have not locked"
        );
        // c's run ended before its lock (refused, say): its dropped ticket does not hold anyone.
        drop(c);
        assert!((&mut a_passes).now_or_never().is_none(), "b has not locked");
        // b's lock is the last: it goes on at once and takes the one slot (`--parallel 1`).
        let slot = b.pass().now_or_never().expect("every lock went out");
        assert!(
            (&mut a_passes).now_or_never().is_none(),
            "the one slot is b's"
        );
        drop(slot);
        assert!(a_passes.now_or_never().is_some(), "b's run is over");
    }

    #[test]
    fn a_key_tag_goes_before_the_extension() {
        let cases = [
            (
                "json file",
                "/b/replacement-key.json",
                "/b/replacement-key.TAG.json",
            ),
            ("dotfile", "/b/.env", "/b/.env.TAG"),
            ("no extension", "/b/secret", "/b/secret.TAG"),
        ];
        for (label, store, want) in cases {
            assert_eq!(tagged(Path::new(store), "TAG"), Path::new(want), "{label}");
        }
    }
}
