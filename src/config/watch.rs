//! The config's `watch:` section (`lockdown watch`, `drill --watch`): how often to look, what a
//! burst is, and the policy. Read apart from the profiles, like `history:`, with every problem
//! of the section at its place in the file. A config without one watches with the defaults
//! (docs/watch.md §3).

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;
use crate::source::{Problem, Problems, Source};
use crate::watch::{Act, Burst, Confidence, INTERVAL_BOUNDS, Policy, Rule, Settings, SignalKind};

/// The `watch:` section, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    /// How often the REST source looks (`2s`).
    #[serde(default)]
    pub interval: Option<String>,
    /// How far back the first look reads the order history (`1m`).
    #[serde(default)]
    pub lookback: Option<String>,
    /// Whether to follow the venue's private order stream where it has one (default `true`);
    /// `false`: REST polling only.
    #[serde(default)]
    pub streams: Option<bool>,
    /// How often the key's settings and the account's withdrawals and transfers are read
    /// (`30s`).
    #[serde(default)]
    pub account_interval: Option<String>,
    /// Addresses (`203.0.113.7`) or CIDR blocks (`203.0.113.0/24`) a login or API access may
    /// come from without a signal, besides the responder's and the bots'.
    #[serde(default)]
    pub known_ips: Option<Vec<String>>,
    /// The bots' client-order-id prefix.
    #[serde(default)]
    pub client_prefix: Option<String>,
    /// What a burst is.
    #[serde(default)]
    pub burst: Option<RawBurst>,
    /// The rules, in order.
    #[serde(default)]
    pub policy: Option<Vec<RawRule>>,
}

/// `watch: burst:`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBurst {
    /// More new orders than this...
    #[serde(default)]
    pub orders: Option<usize>,
    /// ...within this long (`10s`).
    #[serde(default)]
    pub per: Option<String>,
}

/// One rule of `watch: policy:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// A signal kind, or `any`.
    pub signal: String,
    /// The lowest confidence (default `low`).
    #[serde(default)]
    pub confidence: Option<String>,
    /// `notify`, `lock` or `respond`.
    pub action: String,
}

/// Loads the `watch:` section of `path` (the defaults where there is none).
pub fn load_watch(path: &Path) -> Result<Settings, ConfigError> {
    #[derive(Deserialize)]
    struct View {
        #[serde(default)]
        watch: Option<RawWatch>,
    }
    let text = crate::private::read_config(path).map_err(|err| ConfigError::reading(path, err))?;
    let source = Source::bounded(path.display().to_string(), text)?;
    let view: View = source.parse_all(|_| Some(HELP.to_owned()))?;
    Ok(validate(&source, view.watch.as_ref())?)
}

const HELP: &str = "see docs/watch.md (`watch:` with `interval`, `lookback`, `streams`, `account_interval`, `known_ips`, `client_prefix`, `burst: {orders, per}`, `policy: [{signal, confidence, action}]`)";

/// The settings `raw` asks for, or every problem with it.
pub fn validate(source: &Source, raw: Option<&RawWatch>) -> Result<Settings, Problems> {
    let defaults = Settings::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let mut problems: Vec<Problem> = Vec::new();
    let mut problem = |at: String, message: String, help: &str| {
        problems.push(source.problem_at(&at, message).help(help));
    };
    let mut duration = |field: &str, text: Option<&str>, default, help: &str| match text {
        None => default,
        Some(text) => crate::clock::parse_duration(text).unwrap_or_else(|message| {
            problem(format!("watch.{field}"), message, help);
            default
        }),
    };
    let interval = duration(
        "interval",
        raw.interval.as_deref(),
        defaults.interval,
        "how often to look at each key's orders, e.g. `2s`",
    );
    let lookback = duration(
        "lookback",
        raw.lookback.as_deref(),
        defaults.lookback,
        "how far back the first look reads the order history, e.g. `1m`",
    );
    let account_interval = duration(
        "account_interval",
        raw.account_interval.as_deref(),
        defaults.account_interval,
        "how often the key's settings and the account's withdrawals and transfers are read, e.g. `30s`",
    );
    let per = duration(
        "burst.per",
        raw.burst.as_ref().and_then(|b| b.per.as_deref()),
        defaults.burst.per,
        "the window a burst is counted in, e.g. `10s`",
    );
    if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&account_interval) {
        problem(
            "watch.account_interval".into(),
            "`account_interval` must be between 1s and 1h".into(),
            "each round reads the key and the account's withdrawals and transfers, e.g. `30s`",
        );
    }
    let mut known_ips = Vec::new();
    for (i, text) in raw.known_ips.iter().flatten().enumerate() {
        match crate::watch::parse_net(text) {
            Some(net) => known_ips.push(net),
            None => problem(
                format!("watch.known_ips[{i}]"),
                format!("`{text}` is no IP address or CIDR block"),
                "an address the owner's logins and API calls come from, e.g. `203.0.113.7` or `203.0.113.0/24`",
            ),
        }
    }
    let (low, high) = INTERVAL_BOUNDS;
    if !(low..=high).contains(&interval) {
        problem(
            "watch.interval".into(),
            format!(
                "`interval` must be between {} and {}",
                humantime::format_duration(low),
                humantime::format_duration(high)
            ),
            "each look costs a few requests per key against the venue's rate limits, e.g. `2s`",
        );
    }
    let orders = raw
        .burst
        .as_ref()
        .and_then(|b| b.orders)
        .unwrap_or(defaults.burst.orders);
    if orders == 0 {
        problem(
            "watch.burst.orders".into(),
            "`orders` must be at least 1".into(),
            "more new orders than this within `per` is a burst, e.g. `60`",
        );
    }
    let policy = match &raw.policy {
        None => defaults.policy.clone(),
        Some(rules) => Policy {
            rules: rules
                .iter()
                .enumerate()
                .filter_map(|(i, rule)| {
                    let at = |field: &str| format!("watch.policy[{i}].{field}");
                    let kinds: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
                    let signal = match rule.signal.as_str() {
                        "any" => Some(None),
                        name => SignalKind::parse(name).map(Some),
                    };
                    if signal.is_none() {
                        problem(
                            at("signal"),
                            format!("`{}` is no signal", rule.signal),
                            &format!("one of: any, {}", kinds.join(", ")),
                        );
                    }
                    let confidence = match rule.confidence.as_deref() {
                        None => Some(Confidence::Low),
                        Some(text) => Confidence::parse(text),
                    };
                    if confidence.is_none() {
                        problem(
                            at("confidence"),
                            format!(
                                "`{}` is no confidence",
                                rule.confidence.as_deref().unwrap_or_default()
                            ),
                            "one of: low, medium, high",
                        );
                    }
                    let act = Act::parse(&rule.action);
                    if act.is_none() {
                        problem(
                            at("action"),
                            format!("`{}` is no action", rule.action),
                            "one of: notify, lock (reversible: `lockdown unlock RUN`), respond (the whole playbook, unattended)",
                        );
                    }
                    Some(Rule {
                        signal: signal?,
                        confidence: confidence?,
                        act: act?,
                    })
                })
                .collect(),
        },
    };
    if !problems.is_empty() {
        return Err(Problems {
            file: source.name().to_owned(),
            problems,
        });
    }
    Ok(Settings {
        interval,
        lookback,
        streams: raw.streams.unwrap_or(defaults.streams),
        account_interval,
        known_ips,
        client_prefix: raw.client_prefix.clone().filter(|p| !p.is_empty()),
        burst: Burst { orders, per },
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<Settings, Problems> {
        #[derive(Deserialize)]
        struct View {
            watch: Option<RawWatch>,
        }
        let source = Source::new("config.yaml".to_owned(), text.to_owned());
        let view: View = serde_yaml::from_str(text).unwrap();
        validate(&source, view.watch.as_ref())
    }

    #[test]
    fn the_section_is_read_and_every_problem_named() {
        let read = settings(
            "watch:\n  interval: 500ms\n  burst: { orders: 10, per: 5s }\n  policy:\n    - { signal: any, confidence: medium, action: lock }\n",
        )
        .unwrap();
        assert_eq!(read.interval, std::time::Duration::from_millis(500));
        assert_eq!(read.burst.orders, 10);
        assert_eq!(read.policy.rules.len(), 1);
        assert_eq!(read.policy.rules[0].act, Act::Lock);
        assert_eq!(settings("profiles: {}\n").unwrap(), Settings::default());
        let known = settings("watch:\n  known_ips: [203.0.113.7, 198.51.100.0/24]\n").unwrap();
        assert_eq!(known.known_ips.len(), 2);
        assert!(known.known_ips[1].contains(&"198.51.100.9".parse::<std::net::IpAddr>().unwrap()));
        let bad = settings("watch:\n  known_ips: [home]\n").unwrap_err();
        assert_eq!(bad.problems.len(), 1, "{bad:?}");
        let bad = settings(
            "watch:\n  interval: 1ms\n  policy:\n    - { signal: orders, action: panic }\n",
        )
        .unwrap_err();
        assert_eq!(bad.problems.len(), 3, "{bad:?}");
    }
}
