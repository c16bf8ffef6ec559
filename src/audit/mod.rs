//! `lockdown audit`: every API key the master can see, judged before a leak makes it matter.
//!
//! Traders are told to bind keys to addresses, keep withdrawals off, rotate every 90 days and
//! know every key they have; nothing checks it across accounts. The audit takes each profile's
//! [`inventory`] (the venue's key listings through the master, or each key's own answer where
//! there is no listing), reads which products each bot key's account trades ([`usage`]), and
//! judges it ([`judge`]): findings with a severity, the key's label and whole id, and the fix.
//! The exit follows the worst finding, as `check`'s does, so a schedule or CI can act on it.
//!
//! Read-only: clients run in dry-run mode, so nothing mutating can be sent, and every call is
//! bounded ([`listing`]). Nothing here prints (the `ui` module does) and no secret is read into
//! a finding: key ids are not secrets.

pub(crate) mod finding;
pub(crate) mod inventory;
mod judge;
pub(crate) mod listing;
pub(crate) mod permission;
pub mod show;
mod usage;

use std::path::PathBuf;

use serde::Serialize;

pub use self::finding::Finding;
use crate::check::Severity;
use crate::config;
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;

/// Days after which a key is due for rotation unless `--max-age-days` says.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 90;

/// What to audit.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// The config file.
    pub config: PathBuf,
    /// Profiles to audit; empty: every profile in the file.
    pub profiles: Vec<String>,
    /// Keys older than this many days are due for rotation.
    pub max_age_days: u32,
}

/// One key as the audit saw it (a row of the table).
#[derive(Debug, Clone, Serialize)]
pub struct Key {
    /// The whole key id (not a secret).
    pub id: String,
    /// Its label.
    pub label: String,
    /// The account it is on (`""`: the main account), when known.
    pub account: Option<String>,
    /// `master`, `bot` (in the profile's `keys:`) or `unknown`.
    pub role: &'static str,
    /// Where its description came from: `listing` (through the master) or `itself`.
    pub seen: &'static str,
    /// Read-only keys cannot trade or manage.
    pub read_only: bool,
    /// The venue's permission names.
    pub permissions: Vec<String>,
    /// Its IP allow-list; empty: usable from anywhere.
    pub ips: Vec<String>,
    /// Creation time, when the venue says.
    pub created_at: Option<String>,
    /// Expiry time, when the venue says.
    pub expires_at: Option<String>,
    /// Last use, when the venue says (no venue's key answer that lockdown reads does yet).
    pub last_used_at: Option<String>,
    /// The worst finding about it.
    pub severity: Severity,
}

/// One audited profile.
#[derive(Debug, Clone, Serialize)]
pub struct Audited {
    /// Its name.
    pub name: String,
    /// Its venue.
    pub exchange: String,
    /// How its keys were found.
    pub scope: String,
    /// What the venue cannot show by API: a clean audit covers only what was seen.
    pub limits: Vec<String>,
    /// Every key seen.
    pub keys: Vec<Key>,
}

/// Everything one `audit` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Audit {
    /// The profiles, in the order audited.
    pub profiles: Vec<Audited>,
    /// The findings, profile by profile.
    pub findings: Vec<Finding>,
    /// The rotation period the ages were judged by.
    pub max_age_days: u32,
}

impl Audit {
    /// The worst severity found (`Ok` when nothing is wrong).
    pub fn worst(&self) -> Severity {
        self.findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok)
    }

    /// The findings about `profile`, in the order found.
    pub fn of<'a>(&'a self, profile: &'a str) -> impl Iterator<Item = &'a Finding> {
        self.findings.iter().filter(move |f| f.profile == profile)
    }

    /// The command's exit, as `check`'s: 0 clean, 1 when the worst finding is a warning, 2 when
    /// one is critical (a config that does not load is 2 as well: either way nothing may pass).
    pub fn exit(&self) -> Exit {
        match self.worst() {
            Severity::Ok => Exit::Ok,
            Severity::Warning => Exit::Incomplete,
            Severity::Critical => Exit::BadInput,
        }
    }
}

/// Audits the profiles of `options.config`. A config or profile that does not load is an error
/// (exit 2, with its place); an exchange that cannot be reached is a finding of its profile, and
/// the other profiles are audited all the same.
pub async fn run(options: &AuditOptions) -> Result<Audit, Error> {
    let chosen = config::chosen_profiles(&options.config, &options.profiles)?;
    let mut audit = Audit {
        max_age_days: options.max_age_days,
        ..Audit::default()
    };
    for name in chosen {
        let profile = config::load_profile(&options.config, Some(&name))?;
        let (audited, findings) = one(&profile, options.max_age_days).await;
        audit.profiles.push(audited);
        audit.findings.extend(findings);
    }
    Ok(audit)
}

/// Audits one loaded profile.
async fn one(profile: &config::Profile, max_age_days: u32) -> (Audited, Vec<Finding>) {
    let rules = judge::Rules {
        profile: profile.name.clone(),
        max_age_days,
    };
    let client = match crate::respond::connect(profile, Mode::DryRun) {
        Ok(client) => client,
        Err(err) => {
            let finding = Finding {
                profile: profile.name.clone(),
                check: "audit.unseen",
                severity: Severity::Warning,
                key: None,
                label: None,
                account: None,
                message: format!("cannot reach `{}`: {err}", profile.base_url),
                fix: "check `base_url` and this machine's network and certificates".into(),
            };
            let audited = Audited {
                name: profile.name.clone(),
                exchange: profile.exchange.as_str().to_owned(),
                scope: "nothing was read".into(),
                limits: Vec::new(),
                keys: Vec::new(),
            };
            return (audited, vec![finding]);
        }
    };
    let inventory = inventory::take(profile, &client).await;
    let mut findings = judge::findings(&rules, &inventory);
    let mut limits = inventory.limits.clone();
    // Every key as it is now, for a later incident's report (`key_seen`).
    if let Err(err) = crate::key_seen::remember(
        &profile.state_dir,
        profile.exchange,
        inventory.keys.iter().map(|entry| &entry.info),
        "audit",
    ) {
        limits.push(format!(
            "the keys as seen now were not kept in the state dir for a later report: {err}"
        ));
    }
    for entry in &inventory.keys {
        let credential = profile
            .keys
            .iter()
            .find(|k| entry.info.names(&k.id))
            .and_then(|k| k.credential.as_ref());
        if let Some(credential) = credential {
            let markets = usage::markets(&client, &entry.info, credential, inventory.now_ms).await;
            findings.extend(judge::products(&rules, profile.exchange, entry, &markets));
            limits.extend(judge::unread(entry, &markets));
        }
    }
    let keys = inventory
        .keys
        .iter()
        .map(|entry| {
            let id = entry.info.key.as_str();
            let severity = findings
                .iter()
                .filter(|f| f.key.as_deref() == Some(id))
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Ok);
            Key {
                id: id.to_owned(),
                label: entry.label().to_owned(),
                account: entry.account.clone(),
                role: entry.role.as_str(),
                seen: match entry.seen {
                    inventory::Seen::Listing => "listing",
                    inventory::Seen::Itself => "itself",
                },
                read_only: entry.info.read_only,
                permissions: entry.info.permissions.clone(),
                ips: entry.info.ips.clone(),
                created_at: entry.info.created_at.clone(),
                expires_at: entry.info.expires_at.clone(),
                last_used_at: None,
                severity,
            }
        })
        .collect();
    let audited = Audited {
        name: profile.name.clone(),
        exchange: profile.exchange.as_str().to_owned(),
        scope: inventory.scope.clone(),
        limits,
        keys,
    };
    (audited, findings)
}
