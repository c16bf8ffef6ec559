//! The playbook as written: a serde mirror of the top level. Steps stay YAML values here;
//! `validate` reads each one on its own so that one bad step does not hide the others.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::source::{Problems, Source};

/// The top level of a playbook file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlaybook {
    /// Format version; only 1 exists.
    pub version: u32,
    /// Name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Venue.
    pub exchange: String,
    /// Declared inputs.
    #[serde(default)]
    pub inputs: BTreeMap<String, RawInput>,
    /// Steps, each checked on its own.
    pub steps: Vec<serde_yaml::Value>,
    /// Steps that always run, also after an abort.
    #[serde(default)]
    pub finally: Vec<serde_yaml::Value>,
    /// How long the steps may take altogether (`2m`).
    #[serde(default)]
    pub deadline: Option<String>,
}

/// A declared input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    /// A run must supply it.
    #[serde(default)]
    pub required: bool,
    /// Value when not supplied.
    #[serde(default)]
    pub default: Option<String>,
    /// What it is.
    #[serde(default)]
    pub description: Option<String>,
}

/// Parses the top level, reporting a structural error with its location and a hint.
pub fn parse(source: &Source) -> Result<RawPlaybook, Problems> {
    // Every unknown top-level key at once (with did-you-mean), then the first other problem.
    source.parse_all(|message| {
        super::param_error::serde_hint(message).or_else(|| {
            Some("a playbook has `version: 1`, `name`, `exchange`, optional `inputs` and a list of `steps`".to_owned())
        })
    })
}
