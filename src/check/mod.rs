//! `lockdown check`: is the panic button loaded? Readiness of each profile, read-only.
//!
//! Everything an incident would find too late is looked for here, before one: a config or
//! playbook the venue cannot run, a master credential that does not authenticate, lacks the
//! key-management permission or expires soon, a clock far off the exchange's, a `responder_ip`
//! that is not this machine's address as the exchange sees it, bot keys that are missing or
//! broader than they should be, a ledger gone stale, a secret store that cannot be written.
//! Each finding carries a severity and the fix; the command's exit follows the worst one.
//!
//! Local checks (files, playbook, offline plan) live in this module's local part; the checks
//! that ask the exchange live in [`exchange`]. Nothing here changes anything on the exchange.

mod exchange;

use std::path::PathBuf;

use serde::Serialize;

use crate::config::Profile;
use crate::error::Error;
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

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The config file.
    pub config: PathBuf,
    /// Profiles to check; empty: every profile in the file.
    pub profiles: Vec<String>,
}

/// Every finding of one `check`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Readiness {
    /// The findings, profile by profile.
    pub findings: Vec<Finding>,
}

impl Readiness {
    /// The worst severity found (`Ok` when nothing is wrong).
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }
}

/// The checks that ask the profile's exchange (read-only): see [`exchange`].
pub async fn exchange_findings(profile: &Profile, playbook: &Playbook) -> Vec<Finding> {
    exchange::findings(profile, playbook).await
}

/// Checks the profiles of `options.config`.
pub async fn run(options: &CheckOptions, ui: &Ui) -> Result<Readiness, Error> {
    let _ = (options, ui);
    Err(Error::Usage {
        message: "`lockdown check` is being built".into(),
        help: None,
    })
}
