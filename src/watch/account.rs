//! The account's other signs: money leaving it and the key itself changing (docs/watch.md §2).
//!
//! Orders are not all an attacker does with a key. Every `every` (default 30 s) the watcher
//! reads, with the watched key's own credential, what the exchange says about the key (its
//! permissions and IP list: someone who can edit it can widen it) and the account's withdrawals
//! and internal transfers since the watch began. A change of the key against the first read, a
//! withdrawal, or a transfer out is a signal. A read the key may not make (no wallet
//! permission, a venue without the call) is said once and not tried again: what the key cannot
//! read, the attacker holding it cannot do either, so little is lost. After the watcher's own
//! lock, the next read is the new baseline ([`AccountWatch::rebase`]).
//!
//! Where the venue keeps an access log (Deribit), each round also reads its newest entries and
//! raises `unknown_access` for a login or API access from an address nobody vouches for
//! (`access.rs`); elsewhere that is said once. On a venue whose "who am I" answer names the
//! account, not the key (Deribit), the key's permissions and IP list come from the account's
//! key listing, read with the key itself.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::access::{AccessJudge, KnownAddresses};
use super::signal::{Confidence, Signal, SignalKind};
use crate::exchanges::model::{AccessEvent, KeyInfo, Transfer, TransferKind};
use crate::exchanges::{
    Auth, Capability, Client, ExchangeError, History, Op, Reply, Support, Window,
};
use crate::secret::Credential;

/// The key as it was first seen: what matters of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyState {
    permissions: Vec<String>,
    ips: Vec<String>,
    read_only: bool,
}

impl KeyState {
    fn of(info: &KeyInfo) -> KeyState {
        let mut permissions = info.permissions.clone();
        permissions.sort();
        let mut ips = info.ips.clone();
        ips.sort();
        KeyState {
            permissions,
            ips,
            read_only: info.read_only,
        }
    }

    fn ips_text(&self) -> String {
        if self.ips.is_empty() {
            "any address".to_owned()
        } else {
            self.ips.join(", ")
        }
    }
}

/// What one read can do: still tried, or given up with the reason said once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readable {
    Yes,
    No,
}

/// One watched key's account reads.
#[derive(Debug)]
pub struct AccountWatch {
    client: Client,
    credential: Credential,
    profile: String,
    key: String,
    every: Duration,
    next: Option<Instant>,
    baseline: Option<KeyState>,
    rebase: bool,
    since_ms: Option<i64>,
    seen: HashSet<String>,
    key_read: Readable,
    withdrawals_read: Readable,
    transfers_read: Readable,
    listing_read: Readable,
    access_read: Readable,
    access: AccessJudge,
    /// Lines for the operator (a read given up), taken by the watcher.
    pub notes: Vec<String>,
    /// Reads sent.
    pub reads: u64,
}

impl AccountWatch {
    /// Reads `credential`'s key and account through `client` every `every`.
    pub fn new(
        client: Client,
        credential: Credential,
        profile: &str,
        every: Duration,
    ) -> AccountWatch {
        AccountWatch {
            key: credential.key.masked(),
            access: AccessJudge::new(credential.key.clone(), KnownAddresses::default()),
            client,
            credential,
            profile: profile.to_owned(),
            every,
            next: None,
            baseline: None,
            rebase: false,
            since_ms: None,
            seen: HashSet::new(),
            key_read: Readable::Yes,
            withdrawals_read: Readable::Yes,
            transfers_read: Readable::Yes,
            listing_read: Readable::Yes,
            access_read: Readable::Yes,
            notes: Vec::new(),
            reads: 0,
        }
    }

    /// The addresses the owner vouches for (the profile's responder and bots, `watch:
    /// known_ips`): an access from any of them is no signal.
    pub fn knowing(mut self, known: KnownAddresses) -> AccountWatch {
        self.access = AccessJudge::new(self.credential.key.clone(), known);
        self
    }

    /// Waits for the next read's time (the first at once).
    pub async fn tick(&mut self) {
        if let Some(next) = self.next {
            tokio::time::sleep_until(next.into()).await;
        }
    }

    /// The watcher changed the key itself (its lock): the next read is the new baseline.
    pub fn rebase(&mut self) {
        self.rebase = true;
    }

    /// One round of reads; the signals it raises.
    pub async fn look(&mut self) -> Vec<Signal> {
        self.next = Some(Instant::now() + self.every);
        let now_ms = self.client.clock().now_ms();
        let since = *self.since_ms.get_or_insert(now_ms - 60_000);
        let mut signals = Vec::new();
        if self.key_read == Readable::Yes {
            self.reads += 1;
            match self
                .client
                .call(&Op::WhoAmI, Auth::Key(&self.credential))
                .await
                .and_then(Reply::into_key)
            {
                Ok(info) => {
                    let info = self.listed(info).await;
                    self.access.whitelist_read(&info.ips);
                    signals.extend(self.judge_key(&info, now_ms));
                }
                Err(err) => self.give_up_on("the key's own settings", &err, |s| &mut s.key_read),
            }
        }
        if self.access_read == Readable::Yes {
            signals.extend(self.accesses(now_ms).await);
        }
        for (history, name) in [
            (History::Withdrawals, "withdrawals"),
            (History::Transfers, "transfers"),
        ] {
            let readable = match history {
                History::Withdrawals => self.withdrawals_read,
                _ => self.transfers_read,
            };
            if readable == Readable::No {
                continue;
            }
            match self.moves(history, since, now_ms).await {
                Ok(moves) => signals.extend(self.judge_moves(moves, now_ms)),
                Err(err) => self.give_up_on(name, &err, |s| match history {
                    History::Withdrawals => &mut s.withdrawals_read,
                    _ => &mut s.transfers_read,
                }),
            }
        }
        signals
    }

    /// The key as the account's listing shows it, where "who am I" names only the account
    /// (Deribit: `private/list_api_keys` of the key's own account, `account:read`). The summary
    /// as it is when the listing cannot be read or does not show the key.
    async fn listed(&mut self, summary: KeyInfo) -> KeyInfo {
        if !self.client.venue().id().facts().master_from_listing
            || self.listing_read == Readable::No
        {
            return summary;
        }
        self.reads += 1;
        let listing = self
            .client
            .all_pages(
                |cursor| Op::SubKeys {
                    account: String::new(),
                    cursor,
                },
                Auth::Key(&self.credential),
                Reply::into_keys,
            )
            .await;
        match listing {
            Ok(keys) => match keys.into_iter().find(|k| k.names(&self.credential.key)) {
                Some(listed) => KeyInfo {
                    account: summary.account,
                    is_master: summary.is_master,
                    ..listed
                },
                None => summary,
            },
            Err(err) => {
                self.give_up_on(
                    "the key's permissions and IP list (the account's key listing)",
                    &err,
                    |s| &mut s.listing_read,
                );
                summary
            }
        }
    }

    /// The access log's newest entries, judged (`access.rs`). The first read takes one page
    /// (the baseline); later ones page back to the newest entry already seen, at most
    /// [`ACCESS_PAGES`] pages a round.
    async fn accesses(&mut self, now_ms: i64) -> Vec<Signal> {
        let missing = match self.client.venue().support(Capability::AccessLog) {
            Support::Api => None,
            Support::Unavailable(why) => Some(why.to_owned()),
            Support::Manual(guide) => Some(format!(
                "the venue shows them only in its web interface ({})",
                guide.url
            )),
        };
        if let Some(why) = missing {
            self.access_read = Readable::No;
            self.notes.push(format!(
                "logins and API accesses from unknown addresses are not watched: {why}"
            ));
            return Vec::new();
        }
        let mut entries: Vec<AccessEvent> = Vec::new();
        let mut cursor = None;
        let mut caught_up = false;
        for _ in 0..ACCESS_PAGES {
            self.reads += 1;
            let page = self
                .client
                .call(
                    &Op::AccessLog {
                        cursor: cursor.clone(),
                    },
                    Auth::Key(&self.credential),
                )
                .await
                .and_then(Reply::into_access_log);
            let page = match page {
                Ok(page) => page,
                Err(err) => {
                    self.give_up_on("logins and API accesses", &err, |s| &mut s.access_read);
                    return Vec::new();
                }
            };
            let oldest = page.items.iter().map(|e| e.time_ms).min();
            entries.extend(page.items);
            // The first read is the baseline: one page. Later, back to what was seen.
            caught_up = !self.access.has_baseline()
                || page.next.is_none()
                || match (self.access.newest_ms, oldest) {
                    (Some(seen), Some(oldest)) => oldest <= seen,
                    _ => true,
                };
            if caught_up {
                break;
            }
            cursor = page.next;
        }
        if !caught_up {
            self.notes.push(format!(
                "the access log grew by more than {ACCESS_PAGES} pages since the last round; only the newest were judged"
            ));
        }
        let (findings, note) = self.access.judge(&entries);
        self.notes.extend(note);
        findings
            .into_iter()
            .map(|f| {
                self.signal(
                    SignalKind::UnknownAccess,
                    f.confidence,
                    &f.subject,
                    f.reasons,
                    now_ms,
                )
            })
            .collect()
    }

    /// Gives up a read the key may not make; a passing failure is only said.
    fn give_up_on(
        &mut self,
        what: &str,
        err: &ExchangeError,
        slot: impl FnOnce(&mut AccountWatch) -> &mut Readable,
    ) {
        let lasting = matches!(
            err,
            ExchangeError::Unsupported { .. } | ExchangeError::Permission { .. }
        );
        if lasting {
            *slot(self) = Readable::No;
            self.notes.push(format!(
                "{what} are not watched: {err} (what this key cannot read, its holder cannot do with it either)"
            ));
        } else {
            self.notes.push(format!(
                "reading {what} failed ({err}); tried again next round"
            ));
        }
    }

    async fn moves(
        &mut self,
        history: History,
        since: i64,
        now_ms: i64,
    ) -> Result<Vec<Transfer>, ExchangeError> {
        let max = i64::try_from(self.client.venue().max_window(history).as_millis())
            .unwrap_or(i64::MAX / 4);
        let mut out = Vec::new();
        for window in Window::split(since, now_ms, max) {
            self.reads += 1;
            let op = |cursor| match history {
                History::Withdrawals => Op::Withdrawals { window, cursor },
                _ => Op::Transfers { window, cursor },
            };
            out.extend(
                self.client
                    .all_pages(op, Auth::Key(&self.credential), Reply::into_transfers)
                    .await?,
            );
        }
        Ok(out)
    }

    fn judge_key(&mut self, info: &KeyInfo, now_ms: i64) -> Option<Signal> {
        let now = KeyState::of(info);
        let before = match (&self.baseline, self.rebase) {
            (Some(before), false) => before.clone(),
            _ => {
                self.baseline = Some(now);
                self.rebase = false;
                return None;
            }
        };
        if before == now {
            return None;
        }
        self.baseline = Some(now.clone());
        let gained: Vec<&String> = now
            .permissions
            .iter()
            .filter(|p| !before.permissions.contains(p))
            .collect();
        let lost: Vec<&String> = before
            .permissions
            .iter()
            .filter(|p| !now.permissions.contains(p))
            .collect();
        let mut reasons = Vec::new();
        if !gained.is_empty() {
            reasons.push(format!(
                "the key gained {}",
                gained
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !lost.is_empty() {
            reasons.push(format!(
                "the key lost {}",
                lost.iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if before.ips != now.ips {
            reasons.push(format!(
                "its IP list changed from {} to {}",
                before.ips_text(),
                now.ips_text()
            ));
        }
        if before.read_only != now.read_only {
            reasons.push(if now.read_only {
                "it became read-only".to_owned()
            } else {
                "it can trade again (was read-only)".to_owned()
            });
        }
        // Wider is an attacker's move (or an owner's mistake): money rights, or an address
        // list opened or grown.
        let wider = gained.iter().any(|p| {
            let p = p.to_ascii_lowercase();
            p.contains("withdraw") || p.contains("transfer")
        }) || (!before.ips.is_empty() && now.ips.is_empty())
            || now.ips.iter().any(|ip| !before.ips.contains(ip)) && !before.ips.is_empty()
            || (before.read_only && !now.read_only);
        let digest = format!("{:?}{:?}{}", now.permissions, now.ips, now.read_only);
        Some(self.signal(
            SignalKind::KeyChanged,
            if wider {
                Confidence::High
            } else {
                Confidence::Medium
            },
            &format!("{:016x}", fnv(&digest)),
            reasons,
            now_ms,
        ))
    }

    fn judge_moves(&mut self, moves: Vec<Transfer>, now_ms: i64) -> Vec<Signal> {
        let mut signals = Vec::new();
        for transfer in moves {
            if transfer.kind == TransferKind::Deposit
                || !self
                    .seen
                    .insert(format!("{:?}/{}", transfer.kind, transfer.id))
            {
                continue;
            }
            let (kind, confidence) = match transfer.kind {
                TransferKind::Withdrawal => (SignalKind::Withdrawal, Confidence::High),
                _ => (SignalKind::Transfer, Confidence::Medium),
            };
            let to = transfer
                .to
                .as_deref()
                .unwrap_or("an address the venue does not show");
            let reasons = vec![format!(
                "{} {} to {to} at {} ({})",
                transfer.amount.as_str(),
                transfer.coin,
                crate::clock::rfc3339_ms(transfer.time_ms),
                transfer.status
            )];
            signals.push(self.signal(kind, confidence, &transfer.id, reasons, now_ms));
        }
        signals
    }

    fn signal(
        &self,
        kind: SignalKind,
        confidence: Confidence,
        subject: &str,
        reasons: Vec<String>,
        now_ms: i64,
    ) -> Signal {
        Signal {
            id: format!("{}/{}/{subject}", self.key, kind.as_str()),
            kind,
            confidence,
            profile: self.profile.clone(),
            key: self.key.clone(),
            source: "account_read",
            at: crate::clock::now_rfc3339(),
            exchange_ms: now_ms,
            order: None,
            reasons,
            instant: std::time::Instant::now(),
        }
    }
}

/// The most access-log pages one round reads (Deribit: 100 entries a page): a flood of entries
/// between two rounds beyond that is said, not read.
const ACCESS_PAGES: usize = 5;

/// FNV-1a, for a short stable digest of a key's state in a signal id.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::Amount;
    use crate::exchanges::{ExchangeId, Mode};
    use crate::secret::{KeyId, SecretString};

    fn watch() -> AccountWatch {
        // Never called: the judging is tested alone.
        let client =
            Client::new(ExchangeId::Bybit.venue(), "http://127.0.0.1:9", Mode::Live).unwrap();
        let credential = Credential::new(KeyId::new("KEY123456"), SecretString::from("s"));
        AccountWatch::new(client, credential, "p", Duration::from_secs(30))
    }

    fn key(permissions: &[&str], ips: &[&str]) -> KeyInfo {
        KeyInfo {
            key: KeyId::new("KEY123456"),
            label: "bot".to_owned(),
            account: None,
            is_master: false,
            read_only: false,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            ips: ips.iter().map(|p| (*p).to_owned()).collect(),
            created_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn a_key_widened_after_the_first_read_is_a_high_signal_and_narrowed_a_medium_one() {
        let mut w = watch();
        assert!(
            w.judge_key(&key(&["Spot:SpotTrade"], &["10.0.0.1"]), 1)
                .is_none()
        );
        assert!(
            w.judge_key(&key(&["Spot:SpotTrade"], &["10.0.0.1"]), 2)
                .is_none()
        );
        let wider = w
            .judge_key(&key(&["Spot:SpotTrade", "Wallet:Withdraw"], &[]), 3)
            .expect("a change");
        assert_eq!(wider.kind, SignalKind::KeyChanged);
        assert_eq!(wider.confidence, Confidence::High);
        assert!(wider.reasons.iter().any(|r| r.contains("Wallet:Withdraw")));
        assert!(wider.reasons.iter().any(|r| r.contains("to any address")));
        let narrower = w
            .judge_key(&key(&["Spot:SpotTrade"], &["10.0.0.1"]), 4)
            .expect("a change");
        assert_eq!(narrower.confidence, Confidence::Medium);
        // The watcher's own lock is the new baseline, not a signal.
        w.rebase();
        assert!(
            w.judge_key(&key(&["Spot:SpotTrade"], &["127.0.0.1"]), 5)
                .is_none()
        );
        assert!(
            w.judge_key(&key(&["Spot:SpotTrade"], &["127.0.0.1"]), 6)
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_venue_without_an_access_log_is_said_once_and_never_asked() {
        // Bybit keeps no access log by API: nothing is sent (the client's address is a closed
        // port), one line says so, and the read is given up (`look` skips it from then on).
        let mut w = watch();
        assert!(w.accesses(1).await.is_empty());
        assert_eq!(w.reads, 0);
        assert_eq!(w.notes.len(), 1, "{:?}", w.notes);
        assert!(
            w.notes[0].contains("not watched") && w.notes[0].contains("Bybit"),
            "{:?}",
            w.notes
        );
        assert_eq!(w.access_read, Readable::No);
    }

    #[test]
    fn each_withdrawal_and_transfer_out_is_a_signal_once_and_deposits_none() {
        let mut w = watch();
        let moved = |id: &str, kind| Transfer {
            id: id.to_owned(),
            kind,
            coin: "USDT".to_owned(),
            amount: Amount::new("500"),
            from: None,
            to: Some("TXYZ".to_owned()),
            status: "success".to_owned(),
            time_ms: 1_700_000_000_000,
        };
        let first = w.judge_moves(
            vec![
                moved("w1", TransferKind::Withdrawal),
                moved("t1", TransferKind::Internal),
                moved("d1", TransferKind::Deposit),
            ],
            1,
        );
        let kinds: Vec<(SignalKind, Confidence)> =
            first.iter().map(|s| (s.kind, s.confidence)).collect();
        assert_eq!(
            kinds,
            [
                (SignalKind::Withdrawal, Confidence::High),
                (SignalKind::Transfer, Confidence::Medium)
            ]
        );
        assert!(first[0].reasons[0].contains("500 USDT to TXYZ"));
        assert!(
            w.judge_moves(vec![moved("w1", TransferKind::Withdrawal)], 2)
                .is_empty()
        );
    }
}
