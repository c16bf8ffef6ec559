//! What a person does in BingX's web interface for the keys BingX has no API for.
//!
//! The sub-account endpoints edit, delete and create a sub-account's keys through the master
//! (docs/venues/bingx.md §4); nothing changes a master-account key by API, and a sub-account
//! key cannot delete itself. The docs send users to the API management page for a leaked key
//! ("delete it and change permissions on the UI"). The deletion is verified: BingX must then
//! refuse the old key with `100413`. Keep the clicks exact: a person follows them under stress.

use crate::exchanges::Guide;

/// Where BingX's API keys are managed (the address its `100419` answer names).
pub const API_KEYS: &str = "https://bingx.com/en/account/api/";

/// Deleting a leaked master-account key.
pub fn revoke_master() -> Guide {
    Guide {
        title: "Delete the leaked master-account API key in BingX's web interface".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Sign in to the main account from a device you trust (not the bot's host) and open Account → API Management (the link above)".to_owned(),
            "Find the leaked key: its note is the bot's label and its key starts and ends as shown above".to_owned(),
            "Note its permissions and IP whitelist for the report if lockdown could not read them (step `key_info`)".to_owned(),
            "Click Delete on its row and confirm with your 2FA code".to_owned(),
            "Come back and confirm: lockdown checks that BingX now refuses the old key (`100413` Incorrect apiKey) and asks again until it does".to_owned(),
        ],
    }
}

/// Deleting a sub-account key when the master's credential is not at hand.
pub fn revoke_sub() -> Guide {
    Guide {
        title: "A BingX sub-account key cannot delete itself: delete it from the main account".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Sign in to the main account and open Account → Sub-accounts, then the sub-account's API Management".to_owned(),
            "Find the key by its note and the first and last characters shown above, click Delete and confirm with 2FA".to_owned(),
            "Or run the step with `via: master` and the key's `account:` set to the sub-account's UID: BingX deletes it by API (`apiKey/del`)".to_owned(),
            "Come back and confirm: lockdown checks that BingX refuses the old key (`100413`)".to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guides_point_at_the_key_page() {
        for guide in [revoke_master(), revoke_sub()] {
            assert_eq!(guide.url, API_KEYS);
            assert!(guide.steps.iter().any(|s| s.contains("100413")));
        }
        assert!(revoke_master().steps.iter().any(|s| s.contains("Delete")));
    }
}
