//! What a person does in BitMEX's web interface for the steps BitMEX has no API for.
//!
//! BitMEX removed every key-changing endpoint in 2019: `GET /apiKey` lists keys, nothing edits,
//! disables, deletes or creates one (docs/venues/bitmex.md §4). Deleting the leaked key and
//! making the bot's replacement are done by hand under Account → API Keys, and lockdown turns
//! them into guided steps; the deletion is verified (BitMEX must answer the old key with
//! `Invalid API Key.`). Keep the clicks exact: a person follows them under stress.

use crate::exchanges::Guide;

/// Where BitMEX's API keys are managed.
pub const API_KEYS: &str = "https://www.bitmex.com/app/apiKeys";

/// Deleting the leaked key.
pub fn revoke() -> Guide {
    Guide {
        title: "Delete the leaked API key in BitMEX's web interface".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Sign in to BitMEX from a device you trust (not the bot's host) and open Account → API Keys (the link above)".to_owned(),
            "Find the leaked key in the list: its name is the bot's label and its ID starts and ends as shown above".to_owned(),
            "Note its permissions and IP restriction (CIDR) for the report if lockdown could not read them (step `key_info`)".to_owned(),
            "Click Delete on its row and confirm (BitMEX asks for your 2FA code)".to_owned(),
            "Come back and confirm: lockdown checks that BitMEX now refuses the old key (`Invalid API Key.`) and asks again until it does".to_owned(),
        ],
    }
}

/// Restricting the key (BitMEX cannot change a key at all once made: only delete it).
pub fn lock() -> Guide {
    Guide {
        title: "BitMEX cannot restrict an existing API key: delete it instead".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Open Account → API Keys and find the key (name = the bot's label)".to_owned(),
            "BitMEX has no edit for a key's permissions or CIDR: delete the key (`revoke_key`), then create a new one bound to the right addresses".to_owned(),
        ],
    }
}

/// Creating the bot's replacement key.
pub fn create() -> Guide {
    Guide {
        title: "Create the bot's replacement API key in BitMEX's web interface".to_owned(),
        url: API_KEYS.to_owned(),
        steps: vec![
            "Open Account → API Keys, section \"Create API Key\"".to_owned(),
            "Key Name: the label shown above (it names this run)".to_owned(),
            "CIDR: the bot's address shown above as a /32 (one address); never leave it empty".to_owned(),
            "Key Permissions: Order (the bot trades); never Withdraw".to_owned(),
            "Click \"Create API Key\" and confirm with 2FA, then put the secret straight into the bot's secret store: BitMEX shows it once; never paste it into a chat or ticket".to_owned(),
            "Restart the bot with the new key, and confirm here".to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guides_point_at_the_key_page_and_never_grant_withdrawals() {
        for guide in [revoke(), lock(), create()] {
            assert_eq!(guide.url, API_KEYS);
            assert!(guide.steps.iter().any(|s| s.contains("API Keys")));
        }
        let create = create().steps.join("\n");
        assert!(create.contains("never Withdraw"));
        assert!(create.contains("CIDR"));
        assert!(revoke().steps.iter().any(|s| s.contains("Delete")));
    }
}
