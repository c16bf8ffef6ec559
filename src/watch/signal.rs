//! What the watcher can say about an account, with its evidence and how sure it is.
//!
//! A signal is a claim a policy acts on (docs/watch.md §2): which kind, how confident, the order
//! it is about and the reasons in words a person checks against the exchange. Its `id` names
//! the claim (key, kind, order), so the same order never raises the same signal twice, however
//! often a poll or a stream shows it again.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::exchanges::model::Order;

/// The kinds of signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// An order (or its fills) that is not the owner's: not in the ledger, past its lag, or not
    /// of the bots' kind at all.
    UnauthorizedOrder,
    /// One of the bots' orders cancelled or amended by someone else (the ledger's last word on
    /// it is older than its lag and says otherwise).
    TamperedOrder,
    /// An order not in the ledger yet (inside its lag, of the bots' kind) on a market the bots
    /// never trade: too early to call unauthorized, too odd to keep quiet about.
    UnfamiliarMarket,
    /// More new orders in a window than the bots ever place.
    Burst,
    /// The key's permissions, IP list or read-only flag changed since the watch began
    /// (`account.rs`).
    KeyChanged,
    /// A withdrawal from the account.
    Withdrawal,
    /// An internal transfer out of the account (to another account on the exchange).
    Transfer,
    /// A login or an API access from an address nobody vouches for, where the venue keeps an
    /// access log (`access.rs`).
    UnknownAccess,
}

impl SignalKind {
    /// Every kind, as configs name them.
    pub const ALL: [SignalKind; 8] = [
        SignalKind::UnauthorizedOrder,
        SignalKind::TamperedOrder,
        SignalKind::UnfamiliarMarket,
        SignalKind::Burst,
        SignalKind::KeyChanged,
        SignalKind::Withdrawal,
        SignalKind::Transfer,
        SignalKind::UnknownAccess,
    ];

    /// The name in configs, logs and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::UnauthorizedOrder => "unauthorized_order",
            SignalKind::TamperedOrder => "tampered_order",
            SignalKind::UnfamiliarMarket => "unfamiliar_market",
            SignalKind::Burst => "burst",
            SignalKind::KeyChanged => "key_changed",
            SignalKind::Withdrawal => "withdrawal",
            SignalKind::Transfer => "transfer",
            SignalKind::UnknownAccess => "unknown_access",
        }
    }

    /// The kind a config names.
    pub fn parse(text: &str) -> Option<SignalKind> {
        SignalKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// How sure the watcher is that a signal means an attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Worth a look.
    Low,
    /// Odd enough to tell someone.
    Medium,
    /// The diff would call it the attacker's.
    High,
}

impl Confidence {
    /// The name in configs and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// The confidence a config names.
    pub fn parse(text: &str) -> Option<Confidence> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// One signal about one watched key.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    /// `<masked key>/<kind>/<order id or window>`: the same claim has the same id.
    pub id: String,
    /// What kind.
    pub kind: SignalKind,
    /// How sure.
    pub confidence: Confidence,
    /// The profile watched.
    pub profile: String,
    /// The watched key, masked.
    pub key: String,
    /// Where the watcher saw it (`rest_poll`).
    pub source: &'static str,
    /// When the watcher raised it, RFC 3339 UTC.
    pub at: String,
    /// When it raised it, on the exchange's clock (Unix ms).
    pub exchange_ms: i64,
    /// The order it is about, as the exchange showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
    /// When it was raised, on this process's monotonic clock (drills time detection with it).
    #[serde(skip)]
    pub instant: Instant,
}

impl Signal {
    /// One line for people: `unauthorized_order (high) XVGUSDT buy 12345: not in the ledger`.
    pub fn line(&self) -> String {
        let what = self.order.as_ref().map_or_else(String::new, |o| {
            format!(
                " {} {} {} order {}",
                o.symbol, o.side, o.order_type, o.order_id
            )
        });
        format!(
            "{} ({}){what}: {}",
            self.kind.as_str(),
            self.confidence.as_str(),
            self.reasons.join("; ")
        )
    }
}
