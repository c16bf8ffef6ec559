//! What an exchange's support agent reads first: the summary box, the key as it was before the
//! lock, one table of what the attacker did, one merged timeline in exchange time, and what to
//! ask support for.
//!
//! These are parts of [`super::Timeline`] (so every renderer, Markdown, JSON and HTML, carries
//! the same content); each is filled from the journal alone, like the rest of the timeline.
//! Key ids here are whole: ids are not secrets and support cannot act on a masked one (the
//! terminal keeps masking them).

use serde::Serialize;

/// The box at the top of every report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SummaryBox {
    /// The venue's name (`bybit`, ...).
    pub venue: String,
    /// The account's UID as the exchange gave it, when a read said.
    pub account_uid: Option<String>,
    /// The sub-account's UID the leaked key belongs to, when it is a sub-account key.
    pub sub_account_uid: Option<String>,
    /// The leaked key's whole id.
    pub key_id: String,
    /// The first unauthorized order or fill, exchange time (RFC 3339 UTC).
    pub attack_started: Option<String>,
    /// The last one.
    pub attack_ended: Option<String>,
    /// Addresses the exchange's access log shows using the key (empty when the venue has no
    /// such log or it showed none; `source_ips_note` says which).
    pub source_ips: Vec<String>,
    /// Where the addresses came from, or why there are none.
    pub source_ips_note: String,
    /// Run start → containment acknowledged, ms.
    pub time_to_contain_ms: Option<u64>,
    /// The attacker's effect per coin.
    pub losses: Vec<Loss>,
    /// How `losses` was computed, in a sentence.
    pub loss_method: String,
    /// What is still open or pending, one line each.
    pub left: Vec<String>,
}

/// One coin's estimate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Loss {
    /// The coin (`USDT`, `BTC`).
    pub coin: String,
    /// The amount, as a decimal string.
    pub amount: String,
}

/// The leaked key as the exchange described it before the lock changed it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyBefore {
    /// Its permissions, in the venue's words.
    pub permissions: Vec<String>,
    /// Its IP allow-list (empty: none, any address could use it).
    pub ips: Vec<String>,
    /// Whether it was read-only, where the venue says.
    pub read_only: Option<bool>,
    /// When it was created, RFC 3339 UTC.
    pub created_at: Option<String>,
    /// When it expires, RFC 3339 UTC.
    pub expires_at: Option<String>,
    /// How it was read: `read alongside the lock`, `the lock's answer`, ...
    pub source: String,
    /// When the read was answered, RFC 3339 UTC.
    pub read_at: String,
}

/// What an activity row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// An order the owner did not place.
    Unauthorized,
    /// A bot order someone else cancelled or amended.
    Tampered,
    /// An order seen only through its fills.
    Fill,
    /// A transfer out of the account.
    Transfer,
    /// A withdrawal.
    Withdrawal,
}

/// One row of the table of what the attacker did.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    /// What it is.
    pub kind: ActivityKind,
    /// The exchange's order (or transfer) id.
    pub id: String,
    /// The market (`BTCUSDT`, `linear`), or the coin of a transfer.
    pub market: String,
    /// `buy` / `sell`, empty for a transfer.
    pub side: String,
    /// `limit`, `market`, `stop`, ...
    pub order_type: String,
    /// Quantity, decimal string.
    pub quantity: String,
    /// Its unit (`BTC`, `contracts`, `USDT` for a quote-sized market buy).
    pub quantity_unit: String,
    /// Price, decimal string (empty for a market order).
    pub price: String,
    /// Notional, decimal string.
    pub notional: String,
    /// Its currency.
    pub notional_currency: String,
    /// The exchange's status word.
    pub status: String,
    /// Created, exchange time, RFC 3339 UTC.
    pub created_at: Option<String>,
    /// Last updated, exchange time, RFC 3339 UTC.
    pub updated_at: Option<String>,
}

/// Whose doing a line of the merged timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// The attacker's orders and fills.
    Attacker,
    /// The response's steps.
    Response,
    /// What the exchange acknowledged or logged.
    Exchange,
}

/// What a merged timeline line marks (the HTML timeline draws each differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// An unauthorized order placed.
    Order,
    /// A fill.
    Fill,
    /// A transfer or withdrawal.
    Transfer,
    /// A step started or ended.
    Step,
    /// The exchange acknowledged a change (lock, cancel, revoke).
    Ack,
    /// The moment the key was contained.
    Containment,
    /// An exchange access-log line.
    Access,
}

/// One line of the merged timeline, in exchange time.
#[derive(Debug, Clone, Serialize)]
pub struct MergedEvent {
    /// Exchange time where known, else local time corrected by the measured offset, RFC 3339 UTC.
    pub at: String,
    /// Whose doing.
    pub lane: Lane,
    /// What kind of mark.
    pub mark: Mark,
    /// The line, for people.
    pub what: String,
}

/// What to ask the venue's support for.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SupportSection {
    /// The venue.
    pub venue: String,
    /// Where to open the ticket and under which category.
    pub ticket: String,
    /// What to attach.
    pub attach: Vec<String>,
    /// What to request.
    pub request: Vec<String>,
}

/// The appendix file of lockdown's own calls, beside the reports.
pub const APPENDIX_FILE: &str = "calls.md";

/// Fills the parts this module describes that are derived from the rest of the timeline and
/// the journal `events` it was read from: the activity table, the summary box (which reads the
/// table), the support section (which reads the box) and the appendix's name. The key before
/// the lock and the merged timeline are filled where they are read.
pub fn fill(t: &mut super::Timeline, events: &[crate::journal::Event]) {
    t.activity = super::activity::rows(t);
    t.summary = super::summary::summary(t, events);
    t.support = Some(super::support::section(t));
    t.appendix = Some(APPENDIX_FILE.to_owned());
}
