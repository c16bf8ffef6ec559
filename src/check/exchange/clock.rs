//! `clock`: how far this machine's clock is from the exchange's, against the venue's timestamp
//! window. A response resyncs after a refused timestamp, but each refusal costs the lock a round
//! trip; far enough off, every signed call is refused first. Warns above a third of the window,
//! critical above it.

use super::facts::Tolerance;
use super::{explain, finding};
use crate::check::{Finding, Severity};
use crate::config::Profile;
use crate::exchanges::Client;

/// The `clock` finding (the exchange's public server time; this also syncs `client`).
pub(super) async fn check(profile: &Profile, client: &Client) -> Finding {
    let read = tokio::time::timeout(super::CALL_LIMIT, client.resync()).await;
    let offset = match read {
        Ok(Ok(_)) => client.clock().offset_ms(),
        Ok(Err(err)) => {
            let (message, _) = explain(&err);
            return finding(
                profile,
                "clock",
                Severity::Warning,
                format!("cannot read the exchange's clock: {message}"),
                Some("check `base_url` and the network; lockdown resyncs during a response".into()),
            );
        }
        Err(_) => {
            return finding(
                profile,
                "clock",
                Severity::Warning,
                "the exchange's clock did not answer in time".into(),
                Some("check `base_url` and the network".into()),
            );
        }
    };
    judge(profile, offset, profile.exchange.facts().clock)
}

/// Judges an `offset_ms` (the exchange's clock minus this machine's) against the venue's window.
fn judge(profile: &Profile, offset_ms: i64, tolerance: Option<Tolerance>) -> Finding {
    let venue = profile.exchange;
    let (way, limit) = match tolerance {
        None => {
            return finding(
                profile,
                "clock",
                Severity::Ok,
                format!(
                    "this machine's clock is {} ms from {venue}'s; {venue} checks no timestamps",
                    offset_ms.abs()
                ),
                None,
            );
        }
        // The exchange ahead: this machine's timestamps are stale.
        Some(t) if offset_ms >= 0 => ("behind", t.behind_ms),
        Some(t) => ("ahead of", t.ahead_ms),
    };
    let off = offset_ms.abs();
    let severity = if off > limit {
        Severity::Critical
    } else if off * 3 > limit {
        Severity::Warning
    } else {
        Severity::Ok
    };
    let message = format!(
        "this machine's clock is {off} ms {way} {venue}'s (the venue accepts {limit} ms that way)"
    );
    let fix = (severity != Severity::Ok).then(|| {
        "synchronise this machine's clock (NTP: `timedatectl set-ntp true`, chrony); each refused timestamp costs the lock a round trip".to_owned()
    });
    finding(profile, "clock", severity, message, fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_of_the_window_warns_and_the_window_is_critical() {
        let profile = crate::check::exchange::tests::profile(crate::exchanges::ExchangeId::Bybit);
        let t = Some(Tolerance {
            ahead_ms: 1_000,
            behind_ms: 5_000,
        });
        for (label, offset, want) in [
            ("in sync", 100, Severity::Ok),
            ("behind, under a third", 1_600, Severity::Ok),
            ("behind, over a third", 1_700, Severity::Warning),
            ("behind, past the window", 5_001, Severity::Critical),
            ("ahead, over a third", -400, Severity::Warning),
            ("ahead, past the window", -1_001, Severity::Critical),
        ] {
            assert_eq!(judge(&profile, offset, t).severity, want, "{label}");
        }
        assert_eq!(judge(&profile, 90_000, None).severity, Severity::Ok);
    }
}
