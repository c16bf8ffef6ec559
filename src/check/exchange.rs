//! The readiness checks that ask the exchange, read-only, with the profile's master credential.

use super::Finding;
use crate::config::Profile;
use crate::playbook::Playbook;

/// Every exchange-side finding for `profile` running `playbook`.
pub(crate) async fn findings(profile: &Profile, playbook: &Playbook) -> Vec<Finding> {
    let _ = (profile, playbook);
    Vec::new()
}
