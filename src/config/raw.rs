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
    /// How the history judges runs; validated by `load_history` (through [`RawHistoryView`]),
    /// here so that the whole file parses with it.
    #[serde(default)]
    #[allow(dead_code)]
    pub history: Option<RawHistory>,
    /// Notification channels and routes; validated by `load_notify`, here so that the whole
    /// file parses with it.
    #[serde(default)]
    #[allow(dead_code)]
    pub notify: Option<RawNotify>,
    /// Where secrets live: each backend's settings (`vault`, `aws`, `age`, `cmd`).
    #[serde(default)]
    pub secrets: Option<crate::secrets::RawSettings>,
    /// What `lockdown watch` looks for and does; validated by `load_watch`, here so that the
    /// whole file parses with it.
    #[serde(default)]
    #[allow(dead_code)]
    pub watch: Option<super::watch::RawWatch>,
}

/// The `notify:` section, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    /// Channels by name: `type` and the channel's own fields.
    #[serde(default)]
    pub channels: BTreeMap<String, serde_yaml::Value>,
    /// Which events go to which channels.
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    /// How long a command waits at its end for queued messages (`5s`).
    #[serde(default)]
    pub flush: Option<String>,
}

/// One route, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Event names, or `all`.
    pub events: Vec<String>,
    /// Only for these profiles (default: any).
    #[serde(default)]
    pub profiles: Option<Vec<String>>,
    /// Channel names.
    pub channels: Vec<String>,
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

/// The `history:` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHistory {
    /// When a run counts as regressed.
    #[serde(default)]
    pub regression: Option<RawRegression>,
}

/// `history: regression:`; a missing field takes its default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegression {
    /// How many of the latest comparable drills a drill is compared with.
    #[serde(default)]
    pub window: Option<usize>,
    /// A time above the median times this is a regression (0: off).
    #[serde(default)]
    pub ttc_factor: Option<f64>,
    /// ...and at least this much above it (`1s`).
    #[serde(default)]
    pub ttc_slack: Option<String>,
    /// The fewest earlier times a median is taken of.
    #[serde(default)]
    pub min_runs: Option<usize>,
    /// A failed drill after a passed one is a regression.
    #[serde(default)]
    pub failure_after_pass: Option<bool>,
    /// A check not ready after one that was is a regression.
    #[serde(default)]
    pub check_not_ready: Option<bool>,
}

/// What `drill` reads of a config without needing its profiles to be valid: the `history:`
/// section and each profile's state folder (other keys are not looked at).
#[derive(Debug, Default, Deserialize)]
pub struct RawHistoryView {
    /// How the history judges runs.
    #[serde(default)]
    pub history: Option<RawHistory>,
    /// Profiles by name, their state folder only.
    #[serde(default)]
    pub profiles: BTreeMap<String, RawStateDir>,
}

/// A profile's state folder, the rest of it unread.
#[derive(Debug, Default, Deserialize)]
pub struct RawStateDir {
    /// Where runs are kept.
    #[serde(default)]
    pub state_dir: Option<String>,
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
    /// How the bot picks up its replacement key (the `handoff` step).
    #[serde(default)]
    pub handoff: Option<super::handoff::RawHandoff>,
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

/// Parses the `history:` section and the profiles' state folders, reporting a structural error
/// with its location.
pub fn parse_history(source: &Source) -> Result<RawHistoryView, Problems> {
    // Merge keys and `x-` keys as everywhere; other keys are not looked at.
    source.parse_all(|_| {
        Some("see \"History and regressions\" in README.md (`history: regression:` with `window`, `ttc_factor`, `ttc_slack`, `min_runs`, `failure_after_pass`, `check_not_ready`)".to_owned())
    })
}

/// Parses the file, reporting every unknown key and the first other structural error, each with
/// its location.
pub fn parse(source: &Source) -> Result<RawConfig, Problems> {
    // Every unknown key at once, each with its did-you-mean, then the first other problem.
    source.parse_all(|_| {
        Some("see the config format in README.md (`profiles:` with `exchange`, `base_url`, `master`, `keys`, `responder_ip`)".to_owned())
    })
}
