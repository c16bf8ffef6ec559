//! Actions: what a playbook step can do.
//!
//! [`ActionSpec`] is the registry, one variant per action file, alphabetical. Every action
//! implements [`Action`]: `plan` renders the mutating requests it would send (read-only calls
//! allowed, nothing mutating), `apply` sends them. The engine journals both, asks for
//! confirmation where [`Action::needs_confirmation`] says so, and never runs `apply` in dry-run.
//! Step-level settings (`when`, `timeout`, `on_error`) live on the step, never in an action.

mod cancel_after;
mod cancel_orders;
mod context;
mod create_key;
mod diff;
mod error;
mod freeze_account;
mod handoff;
pub mod key_before;
mod key_like;
pub mod ledger;
pub mod ledger_csv;
mod manual;
mod notify;
mod observed;
mod report;
mod restrict_key;
mod revoke_key;
pub mod shared_reads;
mod snapshot;
mod store_secret;
mod verify_revoked;
mod wait_for_use;

use serde::de::DeserializeOwned;

pub use crate::engine::left::{RunEnd, StepEnd, Todo};
use crate::exchanges::Guide;
use crate::secret::KeyId;
use serde_json::{Map, Value};

pub use cancel_after::CancelAfter;
pub use cancel_orders::CancelOrders;
pub use context::{JournalHandle, Preflight, RunInfo, StepContext, Vault, key_credential};
pub use create_key::CreateKey;
pub(crate) use diff::live;
pub use diff::{DiffOrders, INLINE_ROWS};
pub use error::{ActionError, RetryClass};
pub use freeze_account::FreezeAccount;
pub use handoff::Handoff;
pub use manual::Manual;
pub use notify::Notify;
pub use report::Report;
pub use restrict_key::RestrictKey;
pub use revoke_key::RevokeKey;
pub use snapshot::{Snapshot, SnapshotKind};
pub use store_secret::{StoreSecret, remove_stale_temps};
pub use verify_revoked::VerifyRevoked;
pub use wait_for_use::WaitForUse;

/// What a step's action produced, readable by later steps as `steps.<id>.<name>`.
pub type Outputs = Map<String, Value>;

/// What a step done by hand outputs, whatever its action (see `engine::step`).
pub const MANUAL_OUTPUTS: &[&str] = &["done", "by", "manual_wait_ms"];

/// What an action will do, before it does it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The mutating requests it will send, rendered with secrets redacted.
    pub requests: Vec<String>,
    /// Instructions for a person, for steps done by hand.
    pub instructions: Option<String>,
    /// What later steps see of this one in a dry run (it does not apply there).
    pub outputs: Option<Outputs>,
    /// Set when a person must do it (the `manual` action, or what the venue has no API for):
    /// the engine guides, confirms, and verifies instead of applying.
    pub manual: Option<ManualStep>,
}

impl Plan {
    /// A plan that sends `requests`, and shows later steps `outputs` in a dry run.
    pub fn sends(requests: Vec<String>, outputs: Outputs) -> Plan {
        Plan {
            requests,
            outputs: Some(outputs),
            ..Plan::default()
        }
    }
}

/// A step only a person can carry out, and how the engine can tell it was done.
#[derive(Debug, Clone, PartialEq)]
pub struct ManualStep {
    /// What to do, where, and the clicks.
    pub guide: Guide,
    /// What it is about.
    pub task: ManualTask,
}

/// What a manual step achieves.
#[derive(Debug, Clone, PartialEq)]
pub enum ManualTask {
    /// Delete this key: verified by the action's probe (the exchange must refuse the key).
    RevokeKey {
        /// The key.
        key: KeyId,
    },
    /// Create a replacement key by hand (the tool cannot see or store its secret).
    CreateKey {
        /// The label to give it.
        label: String,
        /// The addresses to bind it to.
        ips: Vec<String>,
        /// The trading rights to give it (never a withdrawal right).
        permissions: Vec<String>,
    },
    /// Lock the key by hand.
    LockKey {
        /// The key.
        key: KeyId,
    },
    /// Anything else (the `manual` action): confirmed, not verifiable.
    Other,
}

impl ManualTask {
    /// Whether the exchange can show the task was done (the action's probe checks it).
    pub fn verifiable(&self) -> bool {
        matches!(self, ManualTask::RevokeKey { .. })
    }
}

impl ManualStep {
    /// The instructions as people read them.
    pub fn text(&self) -> String {
        let mut text = self.guide.title.clone();
        match &self.task {
            ManualTask::RevokeKey { key } | ManualTask::LockKey { key } => {
                text.push_str(&format!(" (key {key})"));
            }
            ManualTask::CreateKey {
                label,
                ips,
                permissions,
            } => text.push_str(&format!(
                " (label `{label}`; trading: {}; bound to: {})",
                permissions.join(", "),
                ips.join(", ")
            )),
            ManualTask::Other => {}
        }
        if !self.guide.url.is_empty() {
            text.push_str(&format!("\n  where: {}", self.guide.url));
        }
        for (i, step) in self.guide.steps.iter().enumerate() {
            text.push_str(&format!("\n  {}. {step}", i + 1));
        }
        text
    }
}

/// Whether an action changes anything outside the run folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads only: runs for real in a dry run.
    Read,
    /// Changes the exchange, the secret store, or needs a person: only planned in a dry run.
    Write,
}

/// What a probe found about an action whose outcome is unknown (a crash, a dropped connection).
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// The effect is there already; these are the step's outputs.
    Done(Outputs),
    /// It is not (and anything half-done was cleaned up): run the action again.
    NotDone,
}

/// The contract every action keeps.
pub trait Action {
    /// The outputs it can produce, readable by later steps as `steps.<id>.<name>`: `validate`
    /// refuses a template that reads any other, and the drill tests check every step's journaled
    /// outputs against it, so the list cannot drift from the code.
    const OUTPUTS: &'static [&'static str];

    /// What it does for containment (decides what may stop it, and when a run is contained).
    const CONTAINMENT: Containment = Containment::No;

    /// A few words about a finished step's outputs, for people (the step's line).
    fn note(_outputs: &Outputs) -> String {
        String::new()
    }

    /// What a finished step's outputs add to the incident report (the diff's orders, the
    /// snapshot's key description and access log, the replacement key).
    fn report(_outputs: &Outputs, _report: &mut crate::report::Timeline) {}

    /// What a step of this action that did not end well (failed, declined, pending, not run)
    /// leaves to do, and how to finish it; `None` when nothing is left because of it.
    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(end.why(), "see the step's error above"))
    }

    /// Whether running it changes anything (decides dry-run and retry behaviour).
    fn effect(&self) -> Effect;

    /// Whether a person must confirm before `apply` (unless `--yes`).
    fn needs_confirmation(&self) -> bool {
        false
    }

    /// Finds out whether an earlier attempt whose outcome is unknown took effect, before the
    /// action is sent again. Idempotent actions (sending them twice does no harm) keep the
    /// default; the others must look at the exchange and clean up a half-done effect.
    fn probe(&self, _cx: &StepContext<'_>) -> impl Future<Output = Result<Probe, ActionError>> {
        async { Ok(Probe::NotDone) }
    }

    /// Checks what can be checked before the run sends anything (profile fields, files).
    fn preflight(&self, _pre: &Preflight<'_>) -> Result<(), ActionError> {
        Ok(())
    }

    /// A problem found before the run that must not stop it (a missing ledger), said to the
    /// operator before the first request. Nothing that only evidence needs may stop the lock.
    fn advise(&self, _pre: &Preflight<'_>) -> Option<ActionError> {
        None
    }

    /// Renders the mutating requests `apply` will send. Must not send anything mutating.
    fn plan(&self, cx: &StepContext<'_>) -> impl Future<Output = Result<Plan, ActionError>>;

    /// Does it.
    fn apply(&self, cx: &StepContext<'_>) -> impl Future<Output = Result<Outputs, ActionError>>;

    /// What an evidence step read before it ran out of time or failed (`why`), as the outputs of
    /// a step that ended incomplete (its `incomplete` output says what is missing and why);
    /// `None` when nothing it read can be kept. Asked only of [`Containment::Evidence`] actions.
    fn salvage(&self, _cx: &StepContext<'_>, _why: &str) -> Option<Outputs> {
        None
    }
}

/// What an action does for containment, which decides what may stop it and how long it may
/// take: nothing but the exchange may stop the lock, the cancel and the revoke, so a failed or
/// slow evidence step never keeps the containment steps after it from running (the engine gives
/// evidence a bounded share of the playbook's time, see `engine::budget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// Succeeding means the attacker is out (lock, revoke).
    Contains,
    /// Finishes containment (prove the revoke, make and hand over the replacement key).
    Completes,
    /// Stops what the attacker set going (cancel the open orders): runs after a stop too, but
    /// its failure stops nothing after it.
    Cancels,
    /// Reads evidence (snapshots, the diff): bounded time; what it read before it ran out of
    /// time or failed is kept, the step marked incomplete.
    Evidence,
    /// Anything else: the report, notifications, steps done by hand.
    No,
}

macro_rules! registry {
    ($($name:literal => $variant:ident($ty:ty)),+ $(,)?) => {
        /// One playbook action with its parameters.
        #[derive(Debug, Clone)]
        pub enum ActionSpec {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant($ty),
            )+
        }

        impl ActionSpec {
            /// Every action name, alphabetical.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// Every action with the JSON Schema of its parameters.
            pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
                vec![$(($name, <$ty>::schema()),)+]
            }

            /// Reads an action's parameters; `None` when no action has this name.
            pub fn parse(
                name: &str,
                params: serde_yaml::Value,
            ) -> Option<Result<ActionSpec, ParamError>> {
                match name {
                    $($name => Some(params_of::<$ty>(params).map(ActionSpec::$variant)),)+
                    _ => None,
                }
            }

            /// The action's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ActionSpec::$variant(_) => $name,)+
                }
            }

            /// See [`Action::effect`].
            pub fn effect(&self) -> Effect {
                match self {
                    $(ActionSpec::$variant(action) => action.effect(),)+
                }
            }

            /// See [`Action::probe`].
            pub async fn probe(&self, cx: &StepContext<'_>) -> Result<Probe, ActionError> {
                match self {
                    $(ActionSpec::$variant(action) => action.probe(cx).await,)+
                }
            }

            /// The outputs the action called `name` declares (see [`Action::OUTPUTS`]).
            pub fn outputs_of(name: &str) -> Option<&'static [&'static str]> {
                match name {
                    $($name => Some(<$ty as Action>::OUTPUTS),)+
                    _ => None,
                }
            }

            /// [`Action::note`] of the action called `name`.
            pub fn note_of(name: &str, outputs: &Outputs) -> String {
                match name {
                    $($name => <$ty as Action>::note(outputs),)+
                    _ => String::new(),
                }
            }

            /// [`Action::report`] of the action called `name`.
            pub fn report_of(name: &str, outputs: &Outputs, report: &mut crate::report::Timeline) {
                match name {
                    $($name => <$ty as Action>::report(outputs, report),)+
                    _ => {}
                }
            }

            /// [`Action::undone`] of the step's action.
            pub fn undone_of(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
                match end.action {
                    $($name => <$ty as Action>::undone(end, run),)+
                    _ => Some(end.todo(end.why(), "see the step's error above")),
                }
            }

            /// [`Action::CONTAINMENT`] of the action called `name`.
            pub fn containment_of(name: &str) -> Containment {
                match name {
                    $($name => <$ty as Action>::CONTAINMENT,)+
                    _ => Containment::No,
                }
            }

            /// What the action does for containment.
            pub fn containment(&self) -> Containment {
                Self::containment_of(self.name())
            }

            /// See [`Action::OUTPUTS`]; a step done by hand also has [`MANUAL_OUTPUTS`].
            pub fn outputs(&self) -> &'static [&'static str] {
                match self {
                    $(ActionSpec::$variant(_) => <$ty as Action>::OUTPUTS,)+
                }
            }

            /// See [`Action::needs_confirmation`].
            pub fn needs_confirmation(&self) -> bool {
                match self {
                    $(ActionSpec::$variant(action) => action.needs_confirmation(),)+
                }
            }

            /// See [`Action::preflight`].
            pub fn preflight(&self, pre: &Preflight<'_>) -> Result<(), ActionError> {
                match self {
                    $(ActionSpec::$variant(action) => action.preflight(pre),)+
                }
            }

            /// See [`Action::advise`].
            pub fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
                match self {
                    $(ActionSpec::$variant(action) => action.advise(pre),)+
                }
            }

            /// The template strings in the parameters with their paths (`ip_whitelist[0]`), for
            /// validation.
            pub fn templates(&self) -> Vec<(String, String)> {
                let value = match self {
                    $(ActionSpec::$variant(action) => serde_json::to_value(action),)+
                };
                let mut out = Vec::new();
                collect_templates(&value.unwrap_or(Value::Null), String::new(), &mut out);
                out
            }

            /// See [`Action::plan`].
            pub async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
                match self {
                    $(ActionSpec::$variant(action) => action.plan(cx).await,)+
                }
            }

            /// See [`Action::apply`].
            pub async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
                match self {
                    $(ActionSpec::$variant(action) => action.apply(cx).await,)+
                }
            }

            /// See [`Action::salvage`].
            pub fn salvage(&self, cx: &StepContext<'_>, why: &str) -> Option<Outputs> {
                match self {
                    $(ActionSpec::$variant(action) => action.salvage(cx, why),)+
                }
            }
        }
    };
}

registry! {
    "cancel_after" => CancelAfter(CancelAfter),
    "cancel_orders" => CancelOrders(CancelOrders),
    "create_key" => CreateKey(CreateKey),
    "diff_orders" => DiffOrders(DiffOrders),
    "freeze_account" => FreezeAccount(FreezeAccount),
    "handoff" => Handoff(Handoff),
    "manual" => Manual(Manual),
    "notify" => Notify(Notify),
    "report" => Report(Report),
    "restrict_key" => RestrictKey(RestrictKey),
    "revoke_key" => RevokeKey(RevokeKey),
    "snapshot" => Snapshot(Snapshot),
    "store_secret" => StoreSecret(StoreSecret),
    "verify_revoked" => VerifyRevoked(VerifyRevoked),
    "wait_for_use" => WaitForUse(WaitForUse),
}

impl ActionSpec {
    /// Whether the step still runs after an earlier step stopped the run (or the deadline
    /// passed): the lock, the cancel, the revoke and what completes them always run, unless one
    /// of them failed (see [`Self::failure_stops_containment`]).
    pub fn runs_after_a_stop(&self) -> bool {
        !matches!(self.containment(), Containment::No | Containment::Evidence)
    }

    /// Whether this action failing stops the containment steps after it: a failed revoke (or a
    /// failed verification, creation, hand-over) leaves nothing the next ones could build on. A
    /// failed lock does not: the revoke is tried all the same.
    pub fn failure_stops_containment(&self) -> bool {
        matches!(
            self.containment(),
            Containment::Contains | Containment::Completes
        ) && !matches!(self, ActionSpec::RestrictKey(_))
    }

    /// The venue capability this action stands on, where its support can differ by venue.
    pub fn capability(&self) -> Option<crate::exchanges::Capability> {
        use crate::exchanges::Capability;
        match self {
            ActionSpec::RestrictKey(_) => Some(Capability::LockKey),
            ActionSpec::RevokeKey(_) => Some(Capability::RevokeKey),
            ActionSpec::CreateKey(_) => Some(Capability::CreateKey),
            ActionSpec::CancelOrders(_) => Some(Capability::CancelOrders),
            ActionSpec::CancelAfter(_) => Some(Capability::DeadMan),
            ActionSpec::FreezeAccount(_) => Some(Capability::FreezeAccount),
            _ => None,
        }
    }

    /// Whether a person does this step on `venue` (the `manual` action, a capability the venue
    /// has only by hand, or a key the venue manages only by hand): such a step waits, pending,
    /// when there is no terminal to confirm on, instead of stopping the run before it starts.
    pub fn by_hand(&self, venue: &dyn crate::exchanges::Venue) -> bool {
        use crate::exchanges::Support;
        matches!(self, ActionSpec::Manual(_))
            || self
                .capability()
                .is_some_and(|c| matches!(venue.support(c), Support::Manual(_)))
            || matches!(self, ActionSpec::RevokeKey(a) if a.by_hand(venue))
    }

    /// Steps this action reads by id (not through templates), with the actions they must be.
    pub fn step_refs(&self) -> Vec<StepRef> {
        match self {
            ActionSpec::DiffOrders(a) => a.step_refs(),
            ActionSpec::Handoff(a) => a.step_refs(),
            ActionSpec::StoreSecret(a) => a.step_refs(),
            ActionSpec::WaitForUse(a) => a.step_refs(),
            _ => Vec::new(),
        }
    }
}

/// A step id an action names in its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    /// The parameter (`from`, `observed[1]`).
    pub param: String,
    /// The step id.
    pub step: String,
    /// The action that step must have.
    pub action: &'static str,
}

/// A parameter error, with the parameter's path inside the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// Path inside the action's parameters (`ips[0]`), empty for the whole.
    pub path: String,
    /// serde's message.
    pub message: String,
}

/// The plan of an action the venue has no API for: a guided manual step.
fn manual_plan(guide: Guide, task: ManualTask) -> Plan {
    let step = ManualStep { guide, task };
    Plan {
        requests: Vec::new(),
        instructions: Some(step.text()),
        outputs: Some(Outputs::new()),
        manual: Some(step),
    }
}

fn params_of<T: DeserializeOwned>(params: serde_yaml::Value) -> Result<T, ParamError> {
    // `restrict_key:` with nothing after it means "all defaults".
    let params = match params {
        serde_yaml::Value::Null => serde_yaml::Value::Mapping(serde_yaml::Mapping::new()),
        other => other,
    };
    serde_path_to_error::deserialize(params).map_err(|err| {
        let path = err.path().to_string();
        ParamError {
            path: if path == "." { String::new() } else { path },
            message: err.into_inner().to_string(),
        }
    })
}

fn collect_templates(value: &Value, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if crate::template::is_template(text) => {
            out.push((path, text.clone()));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_templates(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                collect_templates(item, child, out);
            }
        }
        _ => {}
    }
}

/// The note of a step a person did instead of the API: "done by hand (who confirmed it)".
fn done_by_hand(outputs: &Outputs) -> String {
    format!(
        "done by hand ({})",
        outputs
            .get("by")
            .and_then(Value::as_str)
            .unwrap_or_default()
    )
}
