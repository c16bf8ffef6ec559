//! What a journal check found: how the journal ends (its seal) and what its `mac`s prove
//! (its authenticity). A check that passes still reports each of these, never passes over
//! them: `lockdown verify` gives each outcome its own exit code, `resume` goes on from an
//! unsealed journal.

use super::{Event, EventKind};

/// A journal whose chain holds.
#[derive(Debug)]
pub struct Verified {
    /// Its events, in order.
    pub events: Vec<Event>,
    /// The last hash.
    pub head: String,
    /// Lines a crash left half-written (1-based): kept in the file, not part of the chain.
    pub torn: Vec<usize>,
    /// Whether the file ends without a newline (a write was cut short).
    pub ends_mid_line: bool,
    /// How it ends.
    pub seal: Seal,
    /// What its `mac`s prove.
    pub authenticity: Authenticity,
    /// The files in the run folder that name an event the journal holds (`journal.head`,
    /// `report.json`): its end was not cut off before them.
    pub witnesses: Vec<std::path::PathBuf>,
}

/// How a journal ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seal {
    /// Its last event is `run_finished` or `interrupted`. After a resume only the last seal
    /// counts: an `interrupted` followed by `resumed` seals nothing.
    Sealed {
        /// `run_finished` or `interrupted`.
        kind: EventKind,
        /// Its line, 1-based.
        line: usize,
    },
    /// It ends on another event: the process was killed, or the end was cut off.
    Unsealed {
        /// The last event's line, 1-based.
        line: usize,
        /// The id of the last step it names, if any.
        after_step: Option<String>,
    },
    /// It holds no event at all.
    Empty,
}

/// What the journal's `mac`s prove about who wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authenticity {
    /// Every event from `from_line` on carries a good `mac` under the key given; earlier events
    /// (if any) were written before journal keys and are covered through the chain.
    Authenticated {
        /// The key's fingerprint.
        fingerprint: String,
        /// The first keyed event's line.
        from_line: usize,
    },
    /// The events carry `mac`s, but no key was given to check them.
    NoKey {
        /// The fingerprint the journal names, if it names one.
        fingerprint: Option<String>,
    },
    /// No event carries a `mac`: written before journal keys.
    BeforeKeys,
}
