//! A drill's line in the history (no `kind`).
//!
//! Fields added later (`profile`, `regressed`) default to null, so lines written before them
//! still read.

use serde::{Deserialize, Serialize};

use crate::drill::Scorecard;

/// One drill's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Venue.
    pub venue: String,
    /// The simulator's faults.
    #[serde(default)]
    pub faults: String,
    /// The user's profile the drill twinned (`drill --profile`); null for the simulator's own
    /// setup.
    #[serde(default)]
    pub profile: Option<String>,
    /// Passed?
    pub passed: bool,
    /// Time to contain.
    pub time_to_contain_ms: Option<u64>,
    /// Lock acknowledged.
    pub lock_acknowledged_ms: Option<u64>,
    /// Detection: false positives and missed.
    pub false_positives: usize,
    /// Missed.
    pub missed: usize,
    /// The drill's folder.
    pub drill_dir: String,
    /// Why the drill is a regression against its comparable runs (`history::judge`); null
    /// when it is not.
    #[serde(default)]
    pub regressed: Option<String>,
}

impl Entry {
    /// The time a drill is judged and drawn by: its time to contain, or where the scenario has
    /// no attacker to refuse (`quiet`), the time until the lock was acknowledged.
    pub fn time_ms(&self) -> Option<u64> {
        self.time_to_contain_ms.or(self.lock_acknowledged_ms)
    }

    /// Whether `other` ran the same drill: venue, scenario, profile and faults (a drill under
    /// added latency is slower by design, not by rot).
    pub fn comparable(&self, other: &Entry) -> bool {
        self.venue == other.venue
            && self.scenario == other.scenario
            && self.profile == other.profile
            && self.faults == other.faults
    }
}

impl From<&Scorecard> for Entry {
    fn from(card: &Scorecard) -> Entry {
        Entry {
            at: card.at.clone(),
            scenario: card.scenario.clone(),
            seed: card.seed,
            venue: card.venue.clone(),
            faults: card.faults.clone(),
            profile: card.profile.clone(),
            passed: card.passed,
            time_to_contain_ms: card.time_to_contain_ms,
            lock_acknowledged_ms: card.lock_acknowledged_ms,
            false_positives: card.detection.false_positives,
            missed: card.detection.missed,
            drill_dir: card.drill_dir.clone(),
            regressed: None,
        }
    }
}
