//! Whether a client may send mutating requests, and how a run's mode is written down.
//!
//! The journal's `run_started` event and the report read the mode by these names (`live`,
//! `dry-run`, `offline`), so they are the serde names too: journals written before this type
//! had serde still read.

use serde::{Deserialize, Serialize};

/// Whether mutating requests may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Send everything.
    Live,
    /// Send reads only; refuse mutations.
    DryRun,
    /// Send nothing at all.
    Offline,
}

impl Mode {
    /// The name the journal and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::DryRun => "dry-run",
            Mode::Offline => "offline",
        }
    }

    /// Parses the name the journal uses; `None` for anything else.
    pub fn parse(text: &str) -> Option<Mode> {
        [Mode::Live, Mode::DryRun, Mode::Offline]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }

    /// Whether a request that does (or does not) change anything may be sent.
    pub fn permits(self, mutating: bool) -> bool {
        match self {
            Mode::Live => true,
            Mode::DryRun => !mutating,
            Mode::Offline => false,
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_journals() {
        for (mode, name) in [
            (Mode::Live, "live"),
            (Mode::DryRun, "dry-run"),
            (Mode::Offline, "offline"),
        ] {
            assert_eq!(mode.as_str(), name);
            assert_eq!(Mode::parse(name), Some(mode), "{name}");
            assert_eq!(serde_json::to_value(mode).unwrap(), name, "{name}");
            assert_eq!(
                serde_json::from_value::<Mode>(serde_json::json!(name)).unwrap(),
                mode,
                "{name}"
            );
        }
        assert_eq!(Mode::parse("dry_run"), None);
    }

    #[test]
    fn only_live_sends_changes() {
        assert!(Mode::Live.permits(true) && Mode::Live.permits(false));
        assert!(!Mode::DryRun.permits(true) && Mode::DryRun.permits(false));
        assert!(!Mode::Offline.permits(true) && !Mode::Offline.permits(false));
    }
}
