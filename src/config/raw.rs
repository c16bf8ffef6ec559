//! The config file as written: a serde mirror with no meaning attached yet.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::source::{Problems, Source};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Profiles by name.
    pub profiles: BTreeMap<String, RawProfile>,
    /// Scheduled drills and checks (`lockdown schedule`).
    #[serde(default)]
    pub schedules: Vec<RawSchedule>,
}

/// One scheduled job, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// Unique name (it names the systemd units).
    pub name: String,
    /// Cron expression: five fields, or six with seconds first.
    pub cron: String,
    /// IANA time zone the cron is read in (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    /// The lockdown command line to run, without `lockdown` (`[drill, --venue, okx]`).
    pub run: Vec<String>,
    /// Up to how long to delay each run at random (`5m`).
    #[serde(default)]
    pub jitter: Option<String>,
    /// How long a run may take before it is cancelled (`30m`).
    #[serde(default)]
    pub timeout: Option<String>,
}

/// One profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// Venue name.
    pub exchange: String,
    /// Base URL of the venue's REST API.
    pub base_url: String,
    /// The master credential.
    pub master: RawMaster,
    /// The bots' keys the owner holds.
    #[serde(default)]
    pub keys: Vec<RawKey>,
    /// The address lockdown responds from.
    pub responder_ip: String,
    /// The addresses the bots run from (replacement keys are bound to them).
    #[serde(default)]
    pub bot_ips: Vec<String>,
    /// The bots' order ledger.
    #[serde(default)]
    pub known_orders: Option<String>,
    /// How far the ledger may lag behind the bots' orders (`10s`).
    #[serde(default)]
    pub ledger_lag: Option<String>,
    /// How old the ledger's newest entry may be before `check` calls it stale (`24h`).
    #[serde(default)]
    pub ledger_max_age: Option<String>,
    /// Where runs are kept.
    #[serde(default)]
    pub state_dir: Option<String>,
    /// Where a replacement key's secret goes.
    #[serde(default)]
    pub secret_store: Option<String>,
    /// The playbook this profile responds with (default: the one shipped for its venue); read
    /// by `respond`, `check`, `drill --profile` and schedules.
    #[serde(default)]
    pub playbook: Option<String>,
    /// A URL that answers this machine's address as the internet sees it (`lockdown check`
    /// compares it with `responder_ip`); https, or http only to loopback.
    #[serde(default)]
    pub ip_echo: Option<String>,
    /// Demo trading (OKX: `x-simulated-trading: 1`).
    #[serde(default)]
    pub demo: bool,
    /// How to authenticate where the venue offers a choice (Deribit: `token` or `signature`).
    #[serde(default)]
    pub auth: Option<String>,
    /// Which key-management API manages the sub-account keys, where the venue has two
    /// (Binance: `sub_account` or `broker`).
    #[serde(default)]
    pub key_family: Option<String>,
    /// The venue's futures host when it is not `base_url` (Binance USD-M).
    #[serde(default)]
    pub futures_url: Option<String>,
}

/// The master credential, as references.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaster {
    /// Key id, literal or a reference.
    pub key: String,
    /// Secret reference.
    pub secret: String,
    /// Passphrase reference, for venues that have one.
    #[serde(default)]
    pub passphrase: Option<String>,
}

/// A bot key the owner holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    /// Key id.
    pub id: String,
    /// A name for people.
    #[serde(default)]
    pub label: Option<String>,
    /// The sub-account it belongs to.
    #[serde(default)]
    pub account: Option<String>,
    /// Secret reference.
    #[serde(default)]
    pub secret: Option<String>,
    /// Passphrase reference, for venues that have one.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// The key as the venue's key listing shows it (Deribit: `id`, `max_scope`), so that the
    /// lock need not read the listing first.
    #[serde(default)]
    pub listed: Option<crate::exchanges::ListedKey>,
}

/// Parses the file, reporting a structural error with its location.
pub fn parse(source: &Source) -> Result<RawConfig, Problems> {
    serde_yaml::from_str(source.text()).map_err(|err| Problems {
        file: source.name().to_owned(),
        problems: vec![source.yaml_problem(&err).help(
            "see the config format in README.md (`profiles:` with `exchange`, `base_url`, `master`, `keys`, `responder_ip`)",
        )],
    })
}
