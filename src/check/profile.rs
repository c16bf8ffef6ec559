//! Does the profile load? Each profile is loaded on its own, exactly as `respond` loads it, so a
//! secret reference that does not resolve here (an `env:` variable the scheduler's environment
//! lacks) is found now, and names its `file:line:col`, without hiding the other profiles.

use std::path::Path;

use super::Finding;
use crate::config::{self, ConfigError, Profile};

/// The check's id.
const CHECK: &str = "config.profile";

/// Loads profile `name` of `config`; a profile that does not load adds a critical finding per
/// problem and is `None`.
pub(super) fn load(config: &Path, name: &str, findings: &mut Vec<Finding>) -> Option<Profile> {
    match config::load_profile(config, Some(name)) {
        Ok(profile) => {
            findings.push(Finding::ok(
                name,
                CHECK,
                format!(
                    "loads from `{}` ({} at {})",
                    config.display(),
                    profile.exchange,
                    profile.base_url
                ),
            ));
            Some(profile)
        }
        Err(ConfigError::Invalid(problems)) => {
            for problem in &problems.problems {
                findings.push(Finding::critical(
                    name,
                    CHECK,
                    format!(
                        "the profile does not load: {}: {}",
                        problem.location(),
                        problem.message()
                    ),
                    problem
                        .hint()
                        .unwrap_or("fix the profile in the config file")
                        .to_owned(),
                ));
            }
            None
        }
        Err(err) => {
            let fix = miette::Diagnostic::help(&err)
                .map_or_else(|| "fix the config file".to_owned(), |h| h.to_string());
            findings.push(Finding::critical(
                name,
                CHECK,
                format!("the profile does not load: {err}"),
                fix,
            ));
            None
        }
    }
}
