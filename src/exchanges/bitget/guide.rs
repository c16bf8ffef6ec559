//! What a person does in Bitget's web interface for the step Bitget has no API for.
//!
//! A classic (virtual) sub-account's key can be modified and listed by the master's API, never
//! deleted (docs/venues/bitget.md §4): the lock already shut the attacker out, and a person
//! deletes the key afterwards under the sub-account's API management. lockdown verifies it:
//! Bitget must refuse the old key as unknown. Keep the clicks exact: a person follows them under
//! stress.

use crate::exchanges::Guide;

/// Where Bitget's sub-accounts and their API keys are managed.
pub const API_KEYS: &str = "https://www.bitget.com/account/sub-account";

/// Deleting the leaked sub-account key.
pub fn revoke() -> Guide {
    Guide {
        title: "Delete the leaked sub-account API key in Bitget's web interface".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Sign in to Bitget with the master account from a device you trust (not the bot's host) and open Sub-accounts (the link above)".to_owned(),
            "Find the bot's sub-account (its UID is in the profile's `account:`) and open its API management".to_owned(),
            "Find the leaked key: its note is the bot's label, or `lockdown-locked` once lockdown locked it; its key starts and ends as shown above".to_owned(),
            "Click Delete on its row and confirm with your 2FA code".to_owned(),
            "Come back and confirm: lockdown checks that Bitget now refuses the old key as unknown and asks again until it does".to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_points_at_the_sub_accounts_and_deletes() {
        let guide = revoke();
        assert_eq!(guide.url, API_KEYS);
        assert!(guide.steps.iter().any(|s| s.contains("Delete")));
        assert!(guide.steps.iter().any(|s| s.contains("refuses")));
    }
}
