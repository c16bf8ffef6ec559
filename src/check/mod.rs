//! `lockdown check`: is the panic button loaded? Readiness of each profile, read-only.
//!
//! Everything an incident would find too late is looked for here, before one: a config or
//! playbook the venue cannot run, a master credential that does not authenticate, lacks the
//! key-management permission or expires soon, a clock far off the exchange's, a `responder_ip`
//! that is not this machine's address as the exchange sees it, bot keys that are missing or
//! broader than they should be, a ledger gone stale, a secret store that cannot be written.
//! Each finding carries a severity and the fix; the command's exit follows the worst one.
//!
//! Local checks (files, playbook, offline plan) live in this module's files; the checks that
//! ask the exchange live in [`exchange`]. Nothing here changes anything on the exchange, and
//! nothing on disk but one history line per profile: no mode is changed (the fix says the
//! `chmod`), probe files are removed, the offline plan runs in a temporary folder.

pub(crate) mod exchange;
mod ledger;
mod plan;
mod playbook;
mod probe;
mod profile;
pub mod show;
mod state_dir;
mod store;

use std::path::PathBuf;

use serde::Serialize;

use crate::config::{self, Profile};
use crate::drill::history::{self, CheckEntry};
use crate::error::Error;
use crate::exit::Exit;
use crate::playbook::Playbook;
use crate::ui::Ui;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Checked and fine (listed so the output shows what was checked).
    Ok,
    /// Works, but something should be fixed (exit 1 when it is the worst).
    Warning,
    /// The response would fail or not contain (exit 2).
    Critical,
}

impl Severity {
    /// The readiness a worst finding of this severity means: `ready`, `warnings`, `not_ready`
    /// (the `--json` and history word).
    pub fn readiness(self) -> &'static str {
        match self {
            Severity::Ok => "ready",
            Severity::Warning => "warnings",
            Severity::Critical => "not_ready",
        }
    }
}

/// One thing found about one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The profile.
    pub profile: String,
    /// A stable id of the check (`master.expiry`, `ledger.stale`, ...), for scripts and tests.
    pub check: &'static str,
    /// How bad.
    pub severity: Severity,
    /// What was found, for people (never a secret).
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding without a fix.
    pub(crate) fn new(
        profile: &str,
        check: &'static str,
        severity: Severity,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            profile: profile.to_owned(),
            check,
            severity,
            message: message.into(),
            fix: None,
        }
    }

    /// A check that passed.
    pub(crate) fn ok(profile: &str, check: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(profile, check, Severity::Ok, message)
    }

    /// Something to fix that does not stop a response.
    pub(crate) fn warning(
        profile: &str,
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding::new(profile, check, Severity::Warning, message).with_fix(fix)
    }

    /// Something that would make a response fail or not contain.
    pub(crate) fn critical(
        profile: &str,
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding::new(profile, check, Severity::Critical, message).with_fix(fix)
    }

    /// The same, with how to fix it.
    pub(crate) fn with_fix(self, fix: impl Into<String>) -> Finding {
        Finding {
            fix: Some(fix.into()),
            ..self
        }
    }
}

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The config file.
    pub config: PathBuf,
    /// Profiles to check; empty: every profile in the file.
    pub profiles: Vec<String>,
}

/// A profile that was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// Its name.
    pub name: String,
    /// Its venue; `None` when the profile did not load.
    pub exchange: Option<String>,
    /// Why this check regressed against the profile's earlier ones (the config's `history:
    /// regression:` rule: not ready after ready); `None` when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regressed: Option<String>,
}

/// Every finding of one `check`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Readiness {
    /// The findings, profile by profile.
    pub findings: Vec<Finding>,
    /// The profiles checked, in the order checked.
    pub profiles: Vec<Checked>,
}

impl Readiness {
    /// The worst severity found (`Ok` when nothing is wrong).
    pub fn worst(&self) -> Severity {
        worst(&self.findings)
    }

    /// The findings about `profile`, in the order found.
    pub fn of<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = &'a Finding> {
        self.findings.iter().filter(move |f| f.profile == profile)
    }

    /// The command's exit: 0 ready, 1 when the worst is a warning, 2 when it is critical.
    pub fn exit(&self) -> Exit {
        match self.worst() {
            Severity::Ok => Exit::Ok,
            Severity::Warning => Exit::Incomplete,
            Severity::Critical => Exit::BadInput,
        }
    }
}

/// The worst severity of `findings` (`Ok` for none).
fn worst(findings: &[Finding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Ok)
}

/// The checks that ask the profile's exchange (read-only): see [`exchange`].
pub async fn exchange_findings(profile: &Profile, playbook: &Playbook) -> Vec<Finding> {
    exchange::findings(profile, playbook).await
}

/// Checks the profiles of `options.config`. A config that does not parse as a whole is an
/// error (exit 2, with its `file:line:col`); a profile that does not load is a finding, and the
/// others are checked all the same.
pub async fn run(options: &CheckOptions, ui: &Ui) -> Result<Readiness, Error> {
    let chosen = config::chosen_profiles(&options.config, &options.profiles)?;
    // The regression rule is read before anything is checked: a bad `history:` section is the
    // config's error (exit 2, with its place), as for `drill`.
    let rule = config::load_history(Some(&options.config))?.rule;
    let mut readiness = Readiness::default();
    for name in chosen {
        let (checked, findings) = check_profile(options, &name, &rule, ui).await;
        readiness.profiles.push(checked);
        readiness.findings.extend(findings);
    }
    Ok(readiness)
}

/// Every finding about one profile; its history line appended where its state dir allows.
async fn check_profile(
    options: &CheckOptions,
    name: &str,
    rule: &history::Rule,
    ui: &Ui,
) -> (Checked, Vec<Finding>) {
    let mut findings = Vec::new();
    let loaded = profile::load(&options.config, name, &mut findings);
    let Some(profile) = loaded else {
        let checked = Checked {
            name: name.to_owned(),
            exchange: None,
            regressed: None,
        };
        return (checked, findings);
    };
    let playbook = playbook::check(&profile, &mut findings);
    if let Some(book) = &playbook {
        findings.push(plan::check(&options.config, &profile, ui).await);
        // The exchange-side checks read what the playbook needs; one that does not load is
        // replaced by the venue's shipped playbook, so the credential is still checked.
        findings.extend(exchange_findings(&profile, book).await);
    } else if let Ok(shipped) = crate::playbook::builtin(profile.exchange) {
        findings.extend(exchange_findings(&profile, &shipped).await);
    }
    findings.extend(ledger::check(&profile, crate::clock::local_ms()));
    findings.extend(store::check(&profile, playbook.as_ref()));
    let state = state_dir::check(&profile, &mut findings);
    let mut regressed = None;
    if state == state_dir::Usable::Yes {
        match record(&profile, &findings, rule) {
            Ok(judged) => regressed = judged,
            Err(err) => findings.push(Finding::warning(
                &profile.name,
                "state_dir.history",
                format!("this check could not be added to the history: {err}"),
                "make the state dir writable by the user lockdown runs as",
            )),
        }
    }
    let checked = Checked {
        name: profile.name.clone(),
        exchange: Some(profile.exchange.as_str().to_owned()),
        regressed,
    };
    (checked, findings)
}

/// Appends the profile's check to the history in its state dir (created, owner-only, where it
/// does not exist yet: the first response would create it the same way), judged against the
/// profile's earlier checks; returns why it regressed, if it did.
fn record(
    profile: &Profile,
    findings: &[Finding],
    rule: &history::Rule,
) -> Result<Option<String>, Error> {
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let entry = CheckEntry {
        kind: "check".to_owned(),
        at: crate::clock::now_rfc3339(),
        profile: profile.name.clone(),
        venue: profile.exchange.as_str().to_owned(),
        readiness: worst(findings).readiness().to_owned(),
        warnings: count(Severity::Warning),
        critical: count(Severity::Critical),
    };
    if !profile.state_dir.exists() {
        crate::private::create_dir(&profile.state_dir).map_err(|source| Error::Io {
            what: "create the state dir",
            path: profile.state_dir.clone(),
            source,
        })?;
    }
    history::append_check_judged(&profile.state_dir, &entry, rule)
}
