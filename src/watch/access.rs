//! Who reached the account: a login or an API access from an address nobody vouches for
//! (docs/watch.md §2, signal `unknown_access`).
//!
//! A leaked key used from the attacker's machine leaves the machine's address in the venue's
//! access log, often before its first order (Deribit's `private/get_access_log`; the other
//! venues keep no such log by API, `lockdown capabilities` says so). An address is *known* when
//! the owner vouched for it or the account was already used from it when the watch began:
//!
//! - the key's own IP list as first read (an access by the key from outside it should be
//!   impossible: the list was changed or bypassed, so it is high confidence),
//! - the profile's `responder_ip` (the watcher's own reads and lock come from there) and
//!   `bot_ips`,
//! - `watch: known_ips` (addresses or CIDR blocks),
//! - every address in the log's first read: the baseline, as for `key_changed`. What happened
//!   before the watch began is the owner's to judge; the watcher names the addresses it took so.
//!
//! Each new (address, key) is raised once (a refused login and a later one that got in are two);
//! a login to the account itself (no key named) once per address too. This module judges entries; `account.rs` reads them.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::signal::Confidence;
use crate::exchanges::model::AccessEvent;
use crate::secret::KeyId;

/// An address (`203.0.113.7`) or a block (`203.0.113.0/24`), as configs and IP lists write them.
pub fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The addresses the owner vouches for: the responder's, the bots', `watch: known_ips`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownAddresses {
    nets: Vec<IpNet>,
}

impl KnownAddresses {
    /// The profile's responder and bot addresses and the config's list.
    pub fn new(responder: IpAddr, bots: &[IpAddr], configured: &[IpNet]) -> KnownAddresses {
        let mut nets = vec![IpNet::from(responder)];
        nets.extend(bots.iter().copied().map(IpNet::from));
        nets.extend(configured.iter().copied());
        KnownAddresses { nets }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

/// What an entry says happened, as far as the watched key is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    /// The watched key logged in (or was refused).
    Key,
    /// Someone logged in to the account without naming a key (the web interface).
    Account,
}

/// An access from an unknown address, judged: what `account.rs` turns into a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The part of the signal's id after its kind: one per address and key.
    pub subject: String,
    /// How sure.
    pub confidence: Confidence,
    /// What was seen, in words.
    pub reasons: Vec<String>,
}

/// One watched key's access-log judging.
#[derive(Debug)]
pub struct AccessJudge {
    key: KeyId,
    known: KnownAddresses,
    /// The key's IP list as first read; `Some(empty)`: any address; `None`: not read (yet).
    whitelist: Option<Vec<IpNet>>,
    /// The addresses in the log's first read.
    baseline: Option<HashSet<IpAddr>>,
    /// (address, who, refused) already raised: a refused login and a later one that got in
    /// from the same address are two findings.
    raised: HashSet<(IpAddr, Who, bool)>,
    /// The newest entry's time seen so far (the next read pages back to it, no further).
    pub newest_ms: Option<i64>,
}

impl AccessJudge {
    /// Judges `key`'s accesses against `known`.
    pub fn new(key: KeyId, known: KnownAddresses) -> AccessJudge {
        AccessJudge {
            key,
            known,
            whitelist: None,
            baseline: None,
            raised: HashSet::new(),
            newest_ms: None,
        }
    }

    /// The key's IP list as the venue shows it; only the first read counts (a list the
    /// attacker widened later vouches for nothing). Entries that are no address are dropped.
    pub fn whitelist_read(&mut self, ips: &[String]) {
        if self.whitelist.is_none() {
            self.whitelist = Some(ips.iter().filter_map(|ip| parse_net(ip)).collect());
        }
    }

    /// Whether the log has been read once (the baseline is taken).
    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    /// Judges one read of the log (any order). The first read is the baseline: no findings,
    /// and a line naming the addresses it took as known that nothing else vouches for.
    pub fn judge(&mut self, entries: &[AccessEvent]) -> (Vec<Finding>, Option<String>) {
        let mut accesses: Vec<(&AccessEvent, IpAddr, Who)> = entries
            .iter()
            .filter_map(|entry| {
                let who = self.who(entry)?;
                let ip = entry.ip.as_deref()?.trim().parse::<IpAddr>().ok()?;
                Some((entry, ip, who))
            })
            .collect();
        accesses.sort_by_key(|(entry, ..)| entry.time_ms);
        if let Some(newest) = entries.iter().map(|e| e.time_ms).max() {
            self.newest_ms = Some(self.newest_ms.map_or(newest, |n| n.max(newest)));
        }
        let Some(baseline) = &self.baseline else {
            let mut taken: Vec<IpAddr> = accesses
                .iter()
                .map(|(_, ip, _)| *ip)
                .filter(|ip| !self.known.contains(*ip) && !self.in_whitelist(*ip))
                .collect();
            taken.sort();
            taken.dedup();
            let note = (!taken.is_empty()).then(|| {
                format!(
                    "the access log already shows {} when the watch began; taken as known (name them in `watch: known_ips` once checked, or respond if one is not yours)",
                    taken
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            self.baseline = Some(accesses.iter().map(|(_, ip, _)| *ip).collect());
            return (Vec::new(), note);
        };
        let fresh: Vec<(&AccessEvent, IpAddr, Who)> = accesses
            .into_iter()
            .filter(|(_, ip, _)| {
                !baseline.contains(ip) && !self.known.contains(*ip) && !self.in_whitelist(*ip)
            })
            .collect();
        let mut findings = Vec::new();
        for (entry, ip, who) in fresh {
            if !self.raised.insert((ip, who, entry.event == "failure")) {
                continue;
            }
            findings.push(self.finding(entry, ip, who));
        }
        (findings, None)
    }

    fn who(&self, entry: &AccessEvent) -> Option<Who> {
        // Deribit's words for a login and a refused one; key events (`changed_whitelist`, …)
        // are the key's settings, which `key_changed` watches.
        if !matches!(entry.event.as_str(), "success" | "failure") {
            return None;
        }
        match entry.detail.as_deref() {
            None => Some(Who::Account),
            Some(detail) if detail == self.key.as_str() => Some(Who::Key),
            // Another key of the account: watched by its own watch where the profile holds it.
            Some(_) => None,
        }
    }

    fn in_whitelist(&self, ip: IpAddr) -> bool {
        self.whitelist
            .as_ref()
            .is_some_and(|nets| nets.iter().any(|net| net.contains(&ip)))
    }

    fn finding(&self, entry: &AccessEvent, ip: IpAddr, who: Who) -> Finding {
        let at = crate::clock::rfc3339_ms(entry.time_ms);
        let place = entry
            .place
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default();
        let refused = entry.event == "failure";
        let key = self.key.masked();
        let mut reasons = vec![match (who, refused) {
            (Who::Key, false) => format!("key {key} logged in from {ip}{place} at {at}"),
            (Who::Key, true) => format!(
                "a login with key {key} from {ip}{place} at {at} was refused: someone there has the key's id"
            ),
            (Who::Account, false) => {
                format!("someone logged in to the account from {ip}{place} at {at}")
            }
            (Who::Account, true) => {
                format!("a login to the account from {ip}{place} at {at} was refused")
            }
        }];
        reasons.push(format!(
            "{ip} is not the responder's or the bots' address, not in `watch: known_ips`, and was not in the access log when the watch began"
        ));
        // The key's own list as first read: an access from outside it should not have been
        // possible (the list was changed, or the venue let it through).
        let outside_list = match &self.whitelist {
            Some(nets) if !nets.is_empty() && who == Who::Key && !refused => Some(nets),
            _ => None,
        };
        let confidence = match outside_list {
            Some(nets) => {
                reasons.push(format!(
                    "it is outside the key's own IP list as first read ({}): the list was changed or bypassed",
                    nets.iter().map(net_text).collect::<Vec<_>>().join(", ")
                ));
                Confidence::High
            }
            None => Confidence::Medium,
        };
        let subject = match (who, refused) {
            (Who::Key, false) => format!("access-{ip}"),
            (Who::Key, true) => format!("refused-{ip}"),
            (Who::Account, false) => format!("login-{ip}"),
            (Who::Account, true) => format!("login-refused-{ip}"),
        };
        Finding {
            subject,
            confidence,
            reasons,
        }
    }
}

/// A block in words: a single address without its `/32` (`/128`).
fn net_text(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "KEY123456";

    fn entry(id: u64, ip: &str, event: &str, detail: Option<&str>) -> AccessEvent {
        AccessEvent {
            id: id.to_string(),
            time_ms: 1_700_000_000_000 + i64::try_from(id).unwrap() * 1000,
            event: event.to_owned(),
            ip: Some(ip.to_owned()),
            detail: detail.map(str::to_owned),
            place: None,
        }
    }

    fn judge(configured: &[&str]) -> AccessJudge {
        let configured: Vec<IpNet> = configured.iter().filter_map(|t| parse_net(t)).collect();
        let known = KnownAddresses::new(
            "127.0.0.1".parse().unwrap(),
            &["10.0.0.5".parse().unwrap()],
            &configured,
        );
        AccessJudge::new(KeyId::new(KEY), known)
    }

    #[test]
    fn addresses_and_blocks_parse_and_anything_else_does_not() {
        assert_eq!(parse_net("203.0.113.7").unwrap().prefix_len(), 32);
        assert!(
            parse_net(" 198.51.100.0/24 ")
                .unwrap()
                .contains(&"198.51.100.9".parse::<IpAddr>().unwrap())
        );
        assert!(parse_net("2001:db8::/32").is_some());
        assert!(parse_net("anywhere").is_none());
        assert!(parse_net("10.0.0.1/33").is_none());
    }

    #[test]
    fn the_first_read_is_the_baseline_and_each_new_address_is_raised_once() {
        let mut j = judge(&[]);
        j.whitelist_read(&[]);
        let (first, note) = j.judge(&[
            entry(1, "127.0.0.1", "success", Some(KEY)),
            entry(2, "198.51.100.4", "success", Some(KEY)),
        ]);
        assert!(first.is_empty());
        let note = note.expect("the baseline's unvouched address is named");
        assert!(
            note.contains("198.51.100.4") && !note.contains("127.0.0.1"),
            "{note}"
        );
        let (found, note) = j.judge(&[
            entry(3, "198.51.100.4", "success", Some(KEY)),
            entry(4, "203.0.113.9", "success", Some(KEY)),
            entry(5, "203.0.113.9", "success", Some(KEY)),
            entry(6, "127.0.0.1", "success", Some(KEY)),
            entry(7, "10.0.0.5", "success", Some(KEY)),
        ]);
        assert!(note.is_none());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].subject, "access-203.0.113.9");
        // The key could be used from anywhere: odd, not impossible.
        assert_eq!(found[0].confidence, Confidence::Medium);
        assert!(found[0].reasons[0].contains("logged in from 203.0.113.9"));
        // Seen again later: not raised again.
        let (again, _) = j.judge(&[entry(8, "203.0.113.9", "success", Some(KEY))]);
        assert!(again.is_empty());
        assert_eq!(j.newest_ms, Some(1_700_000_008_000));
    }

    #[test]
    fn outside_the_keys_own_list_is_high_and_inside_it_or_a_known_block_is_nothing() {
        let mut j = judge(&["192.0.2.0/24"]);
        j.whitelist_read(&["198.51.100.4".to_owned(), "not an address".to_owned()]);
        // A list widened later vouches for nothing: only the first read counts.
        j.whitelist_read(&["203.0.113.9".to_owned()]);
        assert!(j.judge(&[]).0.is_empty());
        let (found, _) = j.judge(&[
            entry(1, "198.51.100.4", "success", Some(KEY)),
            entry(2, "192.0.2.77", "success", Some(KEY)),
            entry(3, "203.0.113.9", "success", Some(KEY)),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].confidence, Confidence::High);
        assert!(found[0].reasons[2].contains("(198.51.100.4)"), "{found:#?}");
    }

    #[test]
    fn refusals_and_account_logins_are_medium_other_keys_and_key_events_are_not_judged() {
        let mut j = judge(&[]);
        j.whitelist_read(&["198.51.100.4".to_owned()]);
        j.judge(&[]);
        let (found, _) = j.judge(&[
            entry(1, "203.0.113.9", "failure", Some(KEY)),
            entry(2, "203.0.113.10", "success", None),
            entry(3, "203.0.113.11", "success", Some("OTHERKEY1")),
            entry(4, "203.0.113.12", "changed_whitelist", Some(KEY)),
        ]);
        let got: Vec<(&str, Confidence)> = found
            .iter()
            .map(|f| (f.subject.as_str(), f.confidence))
            .collect();
        assert_eq!(
            got,
            [
                ("refused-203.0.113.9", Confidence::Medium),
                ("login-203.0.113.10", Confidence::Medium)
            ]
        );
        assert!(found[0].reasons[0].contains("was refused"));
        // The same address getting in later is news (outside the key's list: high), once.
        let (later, _) = j.judge(&[entry(5, "203.0.113.9", "success", Some(KEY))]);
        assert_eq!(later.len(), 1, "{later:#?}");
        assert_eq!(later[0].subject, "access-203.0.113.9");
        assert_eq!(later[0].confidence, Confidence::High);
        assert!(
            j.judge(&[entry(6, "203.0.113.9", "success", Some(KEY))])
                .0
                .is_empty()
        );
    }
}
