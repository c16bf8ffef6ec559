//! The readiness checks that ask the exchange, read-only, with the profile's master credential.
//!
//! Each finding is what an incident would otherwise find out too late: a master key that does not
//! authenticate, lacks the key-management permission, is unbound where the venue needs it bound
//! or expires soon; a clock off the exchange's; a `responder_ip` that is not this machine's
//! address as the exchange sees it (the lock would bind the leaked key to a wrong address and
//! lock the responder out of its next read); bot keys that are gone or broader than they should be.
//!
//! Guarantees: the client runs in dry-run mode, so nothing mutating can be sent whatever a check
//! does; every call is bounded in time; one failing call never stops the other checks; requests
//! go only to the profile's `base_url` (and `futures_url`) and its `ip_echo`; no message holds a
//! secret (keys are named by label and masked id).

mod clock;
mod egress;
pub(crate) mod facts;
mod keys;
mod master;

use super::{Finding, Severity};
use crate::audit::listing::{CALL_LIMIT, call, list_keys};
use crate::config::Profile;
use crate::exchanges::{ExchangeError, Mode};
use crate::playbook::Playbook;

/// Every exchange-side finding for `profile` running `playbook`.
pub(crate) async fn findings(profile: &Profile, playbook: &Playbook) -> Vec<Finding> {
    let client = match crate::respond::connect(profile, Mode::DryRun) {
        Ok(client) => client,
        Err(err) => {
            return vec![finding(
                profile,
                "master.auth",
                Severity::Critical,
                format!("cannot reach `{}`: {err}", profile.base_url),
                Some("check `base_url` and this machine's network and certificates".into()),
            )];
        }
    };
    // The clock first: it also sets the client's offset, so a skewed clock does not cost every
    // signed call below a refusal and a resync.
    let mut out = vec![clock::check(profile, &client).await];
    let master = master::read(profile, &client).await;
    out.extend(master::findings(profile, playbook, &master));
    out.push(egress::check(profile, &client, &master).await);
    out.extend(keys::findings(profile, &client).await);
    out
}

/// A finding of `profile`.
fn finding(
    profile: &Profile,
    check: &'static str,
    severity: Severity,
    message: String,
    fix: Option<String>,
) -> Finding {
    Finding {
        profile: profile.name.clone(),
        check,
        severity,
        message,
        fix,
    }
}

/// An exchange error for people: the venue's words, then what to do (its hint).
fn explain(err: &ExchangeError) -> (String, Option<String>) {
    (err.to_string(), err.hint().map(str::to_owned))
}

#[cfg(test)]
pub(super) mod tests {
    use crate::config::Profile;
    use crate::exchanges::{ExchangeId, VenueSettings};
    use crate::secret::{Credential, KeyId, SecretString};

    /// A profile of `venue` for judging answers (nothing is sent with it).
    pub(crate) fn profile(venue: ExchangeId) -> Profile {
        Profile {
            name: "main".into(),
            exchange: venue,
            base_url: "http://127.0.0.1:1".into(),
            master: Credential::new(KeyId::new("MASTERKEYID123456"), SecretString::from("s")),
            keys: Vec::new(),
            responder_ip: "127.0.0.1".parse().unwrap(),
            bot_ips: Vec::new(),
            known_orders: None,
            ledger_lag: std::time::Duration::from_secs(10),
            ledger_max_age: std::time::Duration::from_secs(24 * 60 * 60),
            state_dir: std::env::temp_dir(),
            secret_store: None,
            playbook: None,
            ip_echo: None,
            settings: VenueSettings::default(),
            ignored_fields: Vec::new(),
            unread_keys: Vec::new(),
            stores: Default::default(),
            handoff: None,
        }
    }
}
