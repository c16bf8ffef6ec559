//! `lockdown scan`: exchange credentials in files and in git history, before someone else
//! finds them.
//!
//! Two kinds of match: the profiles' own key ids, secrets and passphrases, by keyed hash (never
//! printed, named by role), and generic per-venue patterns (a venue's variable names, its id
//! and secret shapes near each other) with an entropy check so UUIDs, digests and base64 stay
//! quiet. Each finding is then asked of the exchange through the profile's master, read-only:
//! `live` (with the `respond` command that contains it), `revoked`, or `unknown` and why.
//!
//! Guarantees: no secret reaches any output (a secret is `***` and its length); nothing is
//! written but the baseline file when asked (`--write-baseline`); nothing mutating is sent.

mod baseline;
mod content;
mod detect;
mod finding;
mod history;
mod liveness;
mod own;
mod pattern;
pub mod show;
mod token;
mod walk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{self, Profile};
use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;

pub use content::Counts;
pub use detect::{Exposes, Rule};
pub use finding::{Finding, Liveness};
pub use walk::Ignores;

use baseline::Baseline;
use detect::detect;
use own::OwnKeys;

/// Whether git history is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Only the files on disk.
    FilesOnly,
    /// Also every commit's blobs (`--git`).
    Git,
}

/// What to do with the baseline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineUse {
    /// No baseline.
    None,
    /// Findings it accepts stay silent.
    Filter(PathBuf),
    /// Write every current finding to it (`--write-baseline`).
    Write(PathBuf),
}

/// What to scan, and with which profiles.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and folders.
    pub paths: Vec<PathBuf>,
    /// Files only, or history too.
    pub history: History,
    /// Whether ignore files hide files.
    pub ignores: Ignores,
    /// The baseline.
    pub baseline: BaselineUse,
    /// The config file.
    pub config: PathBuf,
    /// Whether the config was named (`--config`); then the `respond` command names it too.
    pub config_named: bool,
    /// Profiles whose keys are matched and asked about; empty: every profile of the config,
    /// when there is one.
    pub profiles: Vec<String>,
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// What was read.
    pub counts: Counts,
    /// Whether history was read.
    pub history: bool,
    /// The profiles whose keys were matched.
    pub profiles: Vec<String>,
    /// The findings, baseline-accepted ones left out, by path and line.
    pub findings: Vec<Finding>,
}

impl Scanned {
    /// 2 when a live key's secret (or passphrase) was found, 1 for other findings, 0 for none.
    pub fn exit(&self) -> Exit {
        if self.findings.iter().any(Finding::is_live_secret) {
            Exit::BadInput
        } else if self.findings.is_empty() {
            Exit::Ok
        } else {
            Exit::Incomplete
        }
    }
}

/// Loads the profiles to match: the named ones (each must load), else every profile of the
/// config when it exists (one that does not load is a warning).
fn profiles(options: &ScanOptions, ui: &Ui) -> Result<Vec<Profile>, Error> {
    if !options.profiles.is_empty() {
        return options
            .profiles
            .iter()
            .map(|name| config::load_profile(&options.config, Some(name)).map_err(Error::from))
            .collect();
    }
    if !options.config.exists() {
        ui.info(&format!(
            "no config at `{}`: only the generic patterns are matched and liveness is unknown",
            options.config.display()
        ));
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for name in config::profile_names(&options.config)? {
        match config::load_profile(&options.config, Some(&name)) {
            Ok(profile) => out.push(profile),
            Err(err) => ui.warn(&format!(
                "profile `{name}` not loaded, its keys are not matched: {err}"
            )),
        }
    }
    Ok(out)
}

/// The path shown for `path` (found under `root`): as walked, without a leading `./`.
fn shown(path: &Path) -> String {
    let text = path.display().to_string();
    text.strip_prefix("./").map(str::to_owned).unwrap_or(text)
}

/// The path a fingerprint names: relative to the scanned folder (the repository's top for
/// history), so that a line on disk and the same line in history are one finding.
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .ok()
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Runs a scan.
pub async fn run(options: &ScanOptions, ui: &Ui) -> Result<Scanned, Error> {
    let profiles = profiles(options, ui)?;
    let own = OwnKeys::new(&profiles);
    let baseline = match &options.baseline {
        BaselineUse::Filter(path) => Baseline::read(path)?,
        _ => Baseline::default(),
    };
    let mut counts = Counts::default();
    let mut findings: Vec<finding::Finding> = Vec::new();
    let mut by_fingerprint: HashMap<String, usize> = HashMap::new();
    for root in &options.paths {
        walk::files(
            root,
            options.ignores,
            |path, content| {
                counts.files += 1;
                let Some(text) = counts.take(content) else {
                    return;
                };
                let rel = relative(root, path);
                for hit in detect(&rel, &text, &own) {
                    if by_fingerprint.contains_key(&hit.fingerprint) {
                        continue;
                    }
                    by_fingerprint.insert(hit.fingerprint.clone(), findings.len());
                    findings.push(Finding::new(&shown(path), hit, None));
                }
            },
            |problem| ui.warn(&problem),
        )?;
        if options.history == History::Git {
            let commits = history::blobs(root, |commit, path, content| {
                counts.blobs += 1;
                let Some(text) = counts.take(content) else {
                    return;
                };
                for hit in detect(path, &text, &own) {
                    match by_fingerprint.get(&hit.fingerprint) {
                        Some(at) => {
                            let found = &mut findings[*at];
                            if found.commit.is_none() {
                                found.commit = Some(commit.to_owned());
                            }
                        }
                        None => {
                            by_fingerprint.insert(hit.fingerprint.clone(), findings.len());
                            let mut found = Finding::new(
                                &shown(&root.join(path)),
                                hit,
                                Some(commit.to_owned()),
                            );
                            found.on_disk = false;
                            findings.push(found);
                        }
                    }
                }
            })?;
            counts.commits += commits;
        }
    }
    findings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    if let BaselineUse::Write(path) = &options.baseline {
        Baseline::write(path, &findings)?;
        ui.info(&format!(
            "wrote {} finding{} to the baseline `{}`",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            path.display()
        ));
        counts.baselined = findings.len();
        findings.clear();
    }
    for finding in &mut findings {
        finding.accepted = baseline.accepts(finding);
    }
    let config = options.config_named.then_some(options.config.as_path());
    liveness::judge(&profiles, config, &mut findings).await;
    // A baseline silences what someone accepted, never a live key's secret.
    let before = findings.len();
    findings.retain(|f| !f.accepted || f.is_live_secret());
    counts.baselined += before - findings.len();
    Ok(Scanned {
        counts,
        history: options.history == History::Git,
        profiles: profiles.iter().map(|p| p.name.clone()).collect(),
        findings,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::config::Profile;
    use crate::exchanges::{ExchangeId, VenueSettings};
    use crate::secret::{Credential, KeyId, SecretString};

    /// A profile of `venue` whose master is `MASTERKEYID123456` (nothing is sent with it).
    pub(crate) fn profile(venue: ExchangeId) -> Profile {
        Profile {
            name: "main".into(),
            exchange: venue,
            base_url: "http://127.0.0.1:1".into(),
            master: Credential::new(
                KeyId::new("MASTERKEYID123456"),
                SecretString::from("master-secret-text-0123456789"),
            ),
            keys: Vec::new(),
            responder_ip: "127.0.0.1".parse().unwrap(),
            bot_ips: Vec::new(),
            known_orders: None,
            ledger_lag: std::time::Duration::from_secs(10),
            ledger_max_age: std::time::Duration::from_secs(24 * 60 * 60),
            state_dir: std::env::temp_dir(),
            secret_store: None,
            playbook: None,
            ip_echo: None,
            settings: VenueSettings::default(),
            ignored_fields: Vec::new(),
            unread_keys: Vec::new(),
            stores: Default::default(),
            handoff: None,
        }
    }
}
