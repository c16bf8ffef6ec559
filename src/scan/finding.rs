//! One credential found: where (file, line, commit), what it gives away, and whether the
//! exchange still has the key.
//!
//! A finding never holds a secret: a secret is `***` and its length; key ids are shown whole
//! (they name a key, they sign nothing, and `respond --key` needs them).

use serde::Serialize;

use super::detect::{Exposes, Hit, Rule};
use crate::exchanges::ExchangeId;

/// Whether the exchange still has a found key, as the master sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Liveness {
    /// The key exists: contain it.
    Live {
        /// The profile whose master saw it.
        profile: String,
        /// The command that contains it.
        respond: String,
    },
    /// The master's listing of the key's account no longer shows it (or the exchange refuses
    /// it, for the master key itself).
    Revoked {
        /// The profile whose master looked.
        profile: String,
    },
    /// Nothing could tell.
    Unknown {
        /// Why.
        why: String,
    },
}

/// One credential found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file, as walked (or its path in the repository, for history).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The commit that first added the line, when found in history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the line is also in the files on disk (not only in history).
    pub on_disk: bool,
    /// The venue, as matched or guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venue: Option<ExchangeId>,
    /// Which rule found it.
    pub rule: Rule,
    /// What it gives away.
    pub exposes: Exposes,
    /// For people.
    pub what: String,
    /// The key's id, when known (not a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// A secret, shown as `***` and its length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The profile whose credential it is (own matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// What a baseline accepts it by (path and line, hashed).
    pub fingerprint: String,
    /// Whether the baseline accepts it (shown all the same when it is a live key's secret).
    pub accepted: bool,
    /// Whether the key is still live.
    pub liveness: Liveness,
}

impl Finding {
    /// A finding from a hit in `path`, found on disk or in `commit`.
    pub(crate) fn new(path: &str, hit: Hit, commit: Option<String>) -> Finding {
        Finding {
            path: path.to_owned(),
            line: hit.line,
            on_disk: commit.is_none(),
            commit,
            venue: hit.venue,
            rule: hit.rule,
            exposes: hit.exposes,
            what: hit.what,
            key_id: hit.key_id,
            secret: hit.secret_len.map(|n| format!("*** ({n} characters)")),
            profile: hit.profile,
            fingerprint: hit.fingerprint,
            accepted: false,
            liveness: Liveness::Unknown {
                why: "not asked".into(),
            },
        }
    }

    /// Whether this is a live key's secret (exit 2).
    pub fn is_live_secret(&self) -> bool {
        matches!(self.liveness, Liveness::Live { .. }) && self.exposes != Exposes::KeyId
    }
}
