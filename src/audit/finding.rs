//! One thing `audit` found about one key (or about what it could not see), with how bad it is
//! and what to do. Key ids are whole here: they are not secrets, and the owner needs the whole
//! id to find the key in the venue's web interface (or to hand it to support).

use serde::Serialize;

use crate::check::Severity;

/// One finding of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The profile.
    pub profile: String,
    /// A stable id of the rule (`key.withdraw`, `key.unknown`, ...), for scripts and tests.
    pub check: &'static str,
    /// How bad.
    pub severity: Severity,
    /// The key's whole id; `None` for a finding about the audit itself (a listing that failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The key's label (the profile's, else the venue's note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The account it is on (`""`: the main account), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// What was found, for people (never a secret).
    pub message: String,
    /// What to do.
    pub fix: String,
}
