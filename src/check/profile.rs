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
            findings.push(loaded(config, &profile));
            for unread in &profile.unread_keys {
                findings.push(Finding::critical(
                    name,
                    CHECK,
                    format!(
                        "the secret of key {} does not read: {}; a response would go on without it (no cancel or snapshot with the key itself where the venue needs one)",
                        unread.key, unread.why
                    ),
                    unread.hint.clone(),
                ));
            }
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

/// A profile that loads: ok, unless it sets fields its venue does not read (a response says so
/// and goes on; the owner meant something that does not happen).
fn loaded(config: &Path, profile: &Profile) -> Finding {
    let loads = format!(
        "loads from `{}` ({} at {})",
        config.display(),
        profile.exchange,
        profile.base_url
    );
    if profile.ignored_fields.is_empty() {
        return Finding::ok(&profile.name, CHECK, loads);
    }
    let fields = profile
        .ignored_fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let readers = profile
        .ignored_fields
        .iter()
        .flat_map(|f| crate::venues::VenueSpec::readers_of(f))
        .map(str::to_owned)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    Finding::warning(
        &profile.name,
        CHECK,
        format!(
            "{loads}, but sets {fields}, which {} does not read: it changes nothing",
            profile.exchange
        ),
        format!("remove it from the profile (read on {readers} only)"),
    )
}
