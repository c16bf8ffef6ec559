//! The config's `notify:` section, validated: the channels (each built by its own module) and the
//! routes that say which events go where.
//!
//! Every problem of the section is reported at once, each at its place in the file: a channel's
//! own `build` error is placed at its entry, an unknown channel in a route at that name. A
//! config without `notify:` gives empty settings: nothing is sent, nothing else changes.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{Channel, Event};
use crate::config::{RawNotify, RawRoute};
use crate::source::{Problem, Problems, Source};

/// A channel's default timeout for one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// A channel's default number of retries after the first attempt.
pub const DEFAULT_RETRIES: u32 = 3;
/// How long a command waits at its end for what is still queued, by default.
pub const DEFAULT_FLUSH: Duration = Duration::from_secs(5);

/// One configured channel and how hard the queue tries it.
#[derive(Debug, Clone)]
pub struct Configured {
    /// The channel.
    pub channel: Arc<dyn Channel>,
    /// One attempt's bound.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
}

/// One route: events (and profiles) to channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The events it takes; `None`: all.
    pub events: Option<Vec<Event>>,
    /// The profiles it takes; `None`: any (and messages without a profile).
    pub profiles: Option<Vec<String>>,
    /// Channel names (each configured).
    pub channels: Vec<String>,
}

impl Route {
    fn takes(&self, event: Event, profile: Option<&str>) -> bool {
        let event_ok = self.events.as_ref().is_none_or(|e| e.contains(&event));
        let profile_ok = match (&self.profiles, profile) {
            (None, _) => true,
            (Some(names), Some(profile)) => names.iter().any(|n| n == profile),
            (Some(_), None) => false,
        };
        event_ok && profile_ok
    }
}

/// The validated `notify:` section.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Channels by name.
    pub channels: BTreeMap<String, Configured>,
    /// Routes, in order.
    pub routes: Vec<Route>,
    /// How long a command waits at its end for queued messages.
    pub flush: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            channels: BTreeMap::new(),
            routes: Vec::new(),
            flush: DEFAULT_FLUSH,
        }
    }
}

impl Settings {
    /// The channels a message of `event` for `profile` goes to: each once, in name order.
    pub fn targets(&self, event: Event, profile: Option<&str>) -> Vec<&Configured> {
        // `notify test` reaches every channel, routed or not.
        if event == Event::Test {
            return self.channels.values().collect();
        }
        let mut names: Vec<&str> = self
            .routes
            .iter()
            .filter(|r| r.takes(event, profile))
            .flat_map(|r| r.channels.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .filter_map(|n| self.channels.get(n))
            .collect()
    }

    /// Whether nothing is configured.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// Validates the section read from `source` (secret references resolve against `dir`).
pub fn validate(source: &Source, raw: &RawNotify, dir: &Path) -> Result<Settings, Problems> {
    let mut problems = Vec::new();
    let mut channels = BTreeMap::new();
    for (name, entry) in &raw.channels {
        let at = format!("notify.channels.{name}");
        match channel(name, entry, dir, source, &at, &mut problems) {
            Some(configured) => {
                channels.insert(name.clone(), configured);
            }
            None => continue,
        }
    }
    let routes = raw
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| route(source, i, r, raw, &mut problems))
        .collect();
    let flush = match raw.flush.as_deref() {
        None => DEFAULT_FLUSH,
        Some(text) => crate::clock::parse_duration(text).unwrap_or_else(|message| {
            problems.push(
                source
                    .problem_at("notify.flush", message)
                    .help("how long a command waits at its end for queued messages, e.g. `5s`"),
            );
            DEFAULT_FLUSH
        }),
    };
    if !problems.is_empty() {
        return Err(Problems {
            file: source.name().to_owned(),
            problems,
        });
    }
    Ok(Settings {
        channels,
        routes,
        flush,
    })
}

const CHANNEL_HELP: &str = "see \"Notifications\" in README.md: each channel has a `type` (telegram, discord, slack, pagerduty, webhook, email) and its fields";

fn channel(
    name: &str,
    entry: &serde_yaml::Value,
    dir: &Path,
    source: &Source,
    at: &str,
    problems: &mut Vec<Problem>,
) -> Option<Configured> {
    let mut push = |path: &str, message: String| {
        problems.push(source.problem_at(path, message).help(CHANNEL_HELP));
    };
    let fields = match serde_json::to_value(entry) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => {
            push(
                at,
                format!("channel `{name}` must be a mapping with a `type`"),
            );
            return None;
        }
    };
    let mut fields = fields;
    let Some(serde_json::Value::String(kind)) = fields.remove("type") else {
        push(at, format!("channel `{name}` has no `type`"));
        return None;
    };
    let timeout = match fields.remove("timeout") {
        None => DEFAULT_TIMEOUT,
        Some(serde_json::Value::String(text)) => match crate::clock::parse_duration(&text) {
            Ok(timeout) if !timeout.is_zero() => timeout,
            Ok(_) => {
                push(
                    &format!("{at}.timeout"),
                    "`timeout` must be above zero, e.g. `10s`".into(),
                );
                DEFAULT_TIMEOUT
            }
            Err(message) => {
                push(&format!("{at}.timeout"), format!("`timeout`: {message}"));
                DEFAULT_TIMEOUT
            }
        },
        Some(_) => {
            push(
                &format!("{at}.timeout"),
                "`timeout` is a duration such as `10s`".into(),
            );
            DEFAULT_TIMEOUT
        }
    };
    let retries = match fields.remove("retries") {
        None => DEFAULT_RETRIES,
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some_and(|n| n <= 10) => {
            n.as_u64().unwrap_or(0) as u32
        }
        Some(_) => {
            push(
                &format!("{at}.retries"),
                "`retries` is a whole number from 0 to 10".into(),
            );
            DEFAULT_RETRIES
        }
    };
    match super::build_channel(&kind, name, &serde_json::Value::Object(fields), dir) {
        Ok(channel) => Some(Configured {
            channel: Arc::from(channel),
            timeout,
            retries,
        }),
        Err(message) => {
            push(at, format!("channel `{name}` ({kind}): {message}"));
            None
        }
    }
}

fn route(
    source: &Source,
    index: usize,
    raw: &RawRoute,
    section: &RawNotify,
    problems: &mut Vec<Problem>,
) -> Route {
    let at = format!("notify.routes[{index}]");
    let mut events = Some(Vec::new());
    for (i, name) in raw.events.iter().enumerate() {
        if name == "all" {
            events = None;
            break;
        }
        match Event::ALL.iter().find(|e| e.as_str() == name) {
            Some(event) => events.get_or_insert_with(Vec::new).push(*event),
            None => {
                let known = Event::ALL
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(
                    source
                        .problem_at(
                            &format!("{at}.events[{i}]"),
                            format!("`{name}` is not an event"),
                        )
                        .help(format!("events: all, {known}")),
                );
            }
        }
    }
    if raw.events.is_empty() {
        problems.push(
            source
                .problem_at(&format!("{at}.events"), "a route needs at least one event")
                .help("e.g. `events: [run_started, run_finished]` or `events: [all]`"),
        );
    }
    for (i, name) in raw.channels.iter().enumerate() {
        if !section.channels.contains_key(name) {
            let known = section
                .channels
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            problems.push(
                source
                    .problem_at(
                        &format!("{at}.channels[{i}]"),
                        format!("no channel `{name}` in `notify.channels`"),
                    )
                    .help(if known.is_empty() {
                        "define it under `notify: channels:`".to_owned()
                    } else {
                        format!("channels defined: {known}")
                    }),
            );
        }
    }
    Route {
        events,
        profiles: raw.profiles.clone(),
        channels: raw.channels.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(events: Option<Vec<Event>>, profiles: Option<Vec<&str>>, channels: &[&str]) -> Route {
        Route {
            events,
            profiles: profiles.map(|p| p.into_iter().map(str::to_owned).collect()),
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn routes_filter_by_event_and_profile() {
        let route_a = route(Some(vec![Event::RunStarted]), None, &["a"]);
        let route_b = route(None, Some(vec!["main"]), &["b"]);
        assert!(route_a.takes(Event::RunStarted, None));
        assert!(!route_a.takes(Event::KeyLocked, Some("main")));
        assert!(route_b.takes(Event::KeyLocked, Some("main")));
        assert!(!route_b.takes(Event::KeyLocked, Some("other")));
        assert!(!route_b.takes(Event::DrillFailed, None));
    }

    #[test]
    fn every_problem_is_reported_at_its_place() {
        let text = "profiles: {}\nnotify:\n  channels:\n    hook:\n      type: webhook\n      url: http://example.com/\n      secret: env:LOCKDOWN_TEST_NO_SUCH_VAR\n    odd:\n      type: carrier_pigeon\n  routes:\n    - events: [run_started, tea_time]\n      channels: [hook, nobody]\n";
        let source = Source::new("c.yaml", text);
        let raw = crate::config::parse_notify(&source).unwrap();
        let err = validate(&source, &raw, Path::new(".")).unwrap_err();
        let shown: Vec<String> = err.problems.iter().map(|p| format!("{p:?}")).collect();
        let all = shown.join("\n");
        assert_eq!(err.problems.len(), 4, "{all}");
        assert!(all.contains("c.yaml:5:"), "{all}");
        assert!(all.contains("c.yaml:12:24"), "{all}");
        assert!(all.contains("carrier_pigeon"), "{all}");
        assert!(all.contains("tea_time"), "{all}");
        assert!(all.contains("no channel `nobody`"), "{all}");
    }
}
