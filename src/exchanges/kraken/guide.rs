//! What a person does in Kraken's web interface for the steps Kraken has no API for.
//!
//! Kraken Spot has no endpoint to edit, delete or create an API key (docs/venues/README.md §1,
//! docs/venues/kraken.md §4): they are done by hand under Settings → API, and lockdown turns them
//! into guided manual steps. The engine shows the guide with the step's specifics (which key, which
//! label and addresses) and, for a deletion, verifies it: the old key must be refused with
//! `EAPI:Invalid key`. The clicks follow Kraken Pro's settings pages
//! (`pro.kraken.com/app/settings/api`; the classic site has the same page under Security → API).
//! Keep them exact: a person follows them under stress.

use crate::exchanges::Guide;

/// Where Kraken's API keys are managed.
pub const API_SETTINGS: &str = "https://pro.kraken.com/app/settings/api";

/// Deleting the leaked key.
pub fn revoke() -> Guide {
    Guide {
        title: "Delete the leaked API key in Kraken's web interface".to_owned(),
        url: API_SETTINGS.to_owned(),
        steps: vec![
            "Sign in to Kraken from a device you trust (not the bot's host) and open Settings → API (the link above)".to_owned(),
            "Find the leaked key in the list: its description is the bot's label and its API key starts and ends as shown above".to_owned(),
            "If lockdown could not document the key (step `key_info`), open it first and note its permissions, IP allow-list and \"Last used\" for the report".to_owned(),
            "Open the key's ⋮ menu and choose Delete; confirm (Kraken may ask for your 2FA code)".to_owned(),
            "Come back and confirm: lockdown checks that Kraken now refuses the old key (`EAPI:Invalid key`) and asks again until it does".to_owned(),
        ],
    }
}

/// Binding a key to addresses (Kraken has no API for it either).
pub fn lock() -> Guide {
    Guide {
        title: "Restrict the leaked API key to the responder's IP address in Kraken's web interface".to_owned(),
        url: API_SETTINGS.to_owned(),
        steps: vec![
            "Open Settings → API and find the key (description = the bot's label)".to_owned(),
            "Open the key's ⋮ menu → Edit, turn on \"IP address restriction\" and enter only the responder's address".to_owned(),
            "Click Save; prefer deleting the key (`revoke_key`): a restricted key still exists".to_owned(),
        ],
    }
}

/// Creating the bot's replacement key.
pub fn create() -> Guide {
    Guide {
        title: "Create the bot's replacement API key in Kraken's web interface".to_owned(),
        url: API_SETTINGS.to_owned(),
        steps: vec![
            "Open Settings → API and click \"Create API key\"".to_owned(),
            "Key description: the label shown above (it names this run)".to_owned(),
            "Funds permissions: tick Query only; leave Deposit, Withdraw and Earn unticked".to_owned(),
            "Orders and trades: tick Query open orders & trades, Query closed orders & trades, Create & modify orders, Cancel & close orders".to_owned(),
            "Data: leave unticked unless the bot needs the ledger; leave WebSocket and the withdrawal-address settings unticked".to_owned(),
            "Turn on \"IP address restriction\" and enter the bot's addresses shown above; no other address".to_owned(),
            "Click \"Generate key\", then put the private key straight into the bot's secret store: Kraken shows it once; never paste it into a chat or ticket".to_owned(),
            "Restart the bot with the new key, and confirm here".to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guides_point_at_the_api_settings_and_never_grant_withdrawals() {
        for guide in [revoke(), lock(), create()] {
            assert_eq!(guide.url, API_SETTINGS);
            assert!(guide.steps.iter().any(|s| s.contains("Settings → API")));
        }
        let create = create().steps.join("\n");
        assert!(create.contains("leave Deposit, Withdraw and Earn unticked"));
        assert!(create.contains("IP address restriction"));
        assert!(revoke().steps.iter().any(|s| s.contains("Delete")));
    }
}
