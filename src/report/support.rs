//! What to ask the venue's support for: where to open the ticket and under which category,
//! what to attach, and what to request (a reversal review, the access logs of the attack's
//! window, a freeze).
//!
//! The ticket places are the shipped playbooks' `support` steps, checked against each venue's
//! help pages (cited in `docs/venues/<venue>.md`, "Support"). A venue without an entry gets
//! the general request: every exchange's support takes the same three asks.

use super::Timeline;
use super::content::SupportSection;

/// Where each venue takes a security ticket: its place and category, and how the account can
/// be frozen at once.
fn ticket(venue: &str) -> (&'static str, Option<&'static str>) {
    match venue {
        "bybit" => (
            "Bybit Help Center (https://www.bybit.com/en/help-center), Customer Support chat from the master account: \"Account security > API key compromised\"; where the funds went to another Bybit account, also Self Service > \"Report Stolen Funds\"",
            Some(
                "the master account can deactivate itself at once (Account & Security > Deactivate account: suspicious activity)",
            ),
        ),
        "okx" => (
            "OKX support chat or ticket (https://www.okx.com/help) from the master account: \"Security > API key compromised\"",
            Some(
                "OKX support freezes an account on request, and the account can freeze itself (Security > Account management > Freeze account)",
            ),
        ),
        "binance" => (
            "Binance support chat (https://www.binance.com/en/support) from the master account: \"Account security > API key compromised\"",
            Some(
                "the account can disable itself at once (Security > Disable account); support reopens it",
            ),
        ),
        "deribit" => (
            "Deribit support ticket (https://support.deribit.com): \"Security > Compromised API key\"",
            None,
        ),
        "kraken" => (
            "Kraken support ticket (https://support.kraken.com): \"Sign-in troubleshooting & Account security\" > \"Report Suspicious Activity\"",
            Some("Kraken's 24/7 Live Chat locks the account at once on request"),
        ),
        _ => (
            "the exchange's support center, under its account-security or compromised-account category",
            None,
        ),
    }
}

/// The support section for `t`, whose summary is already filled.
pub fn section(t: &Timeline) -> SupportSection {
    let s = &t.summary;
    let (ticket, freeze) = ticket(&s.venue);
    let account = match (&s.sub_account_uid, &s.account_uid) {
        (Some(sub), _) => format!("sub-account {sub}"),
        (None, Some(uid)) => format!("account {uid}"),
        (None, None) => "the account".to_owned(),
    };
    let window = match (&s.attack_started, &s.attack_ended) {
        (Some(from), Some(to)) => format!("from {from} to {to} (UTC, exchange time)"),
        _ => format!(
            "since the run's history window began, up to {}",
            t.run.started_at
        ),
    };
    let mut request = vec![
        format!(
            "a review of the unauthorized orders and fills in the activity table for reversal, and of any transfer or withdrawal out of {account} {window}"
        ),
        format!(
            "the login and API access logs of {account} and of the key `{}` {window}, with the source addresses",
            s.key_id
        ),
        format!(
            "a freeze of withdrawals and transfers out of {account} until the review is done{}",
            freeze
                .map(|f| format!("; meanwhile {f}"))
                .unwrap_or_default()
        ),
    ];
    if !s.source_ips.is_empty() {
        request.push(format!(
            "a check of the addresses {} across the exchange (other accounts they used)",
            s.source_ips.join(", ")
        ));
    }
    SupportSection {
        venue: s.venue.clone(),
        ticket: ticket.to_owned(),
        attach: vec![
            "report.html from the run folder (report.md where there is no HTML)".to_owned(),
            "the evidence bundle `lockdown bundle <run folder>` writes: the reports, the journal, the snapshots, calls.md and MANIFEST.sha256".to_owned(),
            format!(
                "the leaked key's id `{}` and the order ids of the activity table, quoted in the ticket's text",
                s.key_id
            ),
        ],
        request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_venue_has_its_own_ticket_place() {
        for venue in ["bybit", "okx", "binance", "deribit", "kraken"] {
            let (place, _) = ticket(venue);
            assert!(place.contains("https://"), "{venue}: {place}");
        }
        assert!(!ticket("bitmex").0.contains("https://"), "the fallback");
    }

    #[test]
    fn the_requests_name_the_key_the_account_and_the_window() {
        let mut t = Timeline::default();
        t.summary.venue = "bybit".into();
        t.summary.key_id = "E7OahdK9FTokYAvrMl".into();
        t.summary.sub_account_uid = Some("1000002".into());
        t.summary.attack_started = Some("2026-12-05T22:25:25.939Z".into());
        t.summary.attack_ended = Some("2026-12-05T22:25:26.314Z".into());
        let s = section(&t);
        let all = s.request.join("\n");
        for want in [
            "sub-account 1000002",
            "`E7OahdK9FTokYAvrMl`",
            "from 2026-12-05T22:25:25.939Z to 2026-12-05T22:25:26.314Z",
            "reversal",
            "freeze",
        ] {
            assert!(all.contains(want), "{want}: {all}");
        }
    }
}
