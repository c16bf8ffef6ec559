//! What a venue may need besides the operation to build and sign one request: the exchange's
//! time, a nonce, a session token (token-based venues), a two-factor answer, the profile's
//! venue settings, the sub-account a session acts in, and the answer to a lookup the venue
//! asked for first. The HTTP client fills it in; adapters stay pure.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Response;
use super::model::Segment;
use crate::secret::SecretString;

/// Per-profile venue settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueSettings {
    /// Demo trading (OKX: the `x-simulated-trading: 1` header).
    #[serde(default)]
    pub demo: bool,
    /// How to authenticate on venues that offer a choice (Deribit: `token` via `public/auth`,
    /// or `signature` per request).
    #[serde(default)]
    pub auth: AuthStyle,
    /// Which key-management API manages the profile's sub-account keys, on venues with two
    /// (Binance: the sub-account endpoints or the Binance Link broker ones, docs/venues/binance.md
    /// §4).
    #[serde(default)]
    pub key_family: KeyFamily,
    /// Where a venue's futures endpoints live when that is another host than `base_url`
    /// (Binance USD-M: `https://fapi.binance.com`); `None` sends them to `base_url`, as the
    /// simulator serves every path on one host.
    #[serde(default)]
    pub futures_url: Option<String>,
    /// What the profile already says about its keys that a venue would otherwise read before
    /// changing one, by key id (Deribit: the numeric `id` and `max_scope`
    /// `private/list_api_keys` shows, docs/venues/deribit.md §4): the lock goes out without that
    /// read, one round trip sooner.
    #[serde(default)]
    pub listed: std::collections::BTreeMap<String, ListedKey>,
}

/// A key as the venue's key listing shows it, written in the profile ahead of time (a key's
/// `listed:`); only the lock reads it, and its answer is checked to name the same key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedKey {
    /// The venue's own number for the key (Deribit's `id`).
    pub id: u64,
    /// The key's scope as listed (Deribit's `max_scope`), which the lock keeps.
    pub max_scope: String,
}

/// Which key-management API a venue with two manages sub-account keys through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFamily {
    /// Binance's sub-account endpoints (`/sapi/v1|v2/sub-account/subAccountApi…`): keys of a
    /// sub-account named by its email.
    #[default]
    SubAccount,
    /// Binance Link broker endpoints (`/sapi/v1|v2/broker/subAccountApi…`): keys of a broker
    /// sub-account named by its `subAccountId`.
    Broker,
}

impl KeyFamily {
    /// The name used in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyFamily::SubAccount => "sub_account",
            KeyFamily::Broker => "broker",
        }
    }
}

/// How requests are authenticated on venues that offer a choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthStyle {
    /// A bearer token from a login call, refreshed before it expires.
    #[default]
    Token,
    /// A signature on every request.
    Signature,
}

/// A venue session (bearer token) for one key.
#[derive(Clone)]
pub struct Session {
    /// The bearer token.
    pub token: SecretString,
    /// When it expires, Unix ms on the exchange's clock.
    pub expires_ms: i64,
    /// The token to renew it with, where the venue gives one.
    pub refresh: Option<SecretString>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// A one-time code answering a venue's two-factor challenge.
#[derive(Clone)]
pub struct Tfa {
    /// The challenge the venue sent.
    pub challenge: String,
    /// The operator's one-time code.
    pub code: SecretString,
}

impl fmt::Debug for Tfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tfa")
            .field("challenge", &self.challenge)
            .field("code", &"<redacted>")
            .finish()
    }
}

/// Everything besides the operation that goes into one request.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    /// Unix ms on the exchange's clock, as far as it is known.
    pub now_ms: i64,
    /// A fresh nonce, for venues that sign one: random letters (Deribit), or, on venues that
    /// sign an ever-increasing integer ([`super::mechanisms::KeyCounters`], Kraken), the key's
    /// next one in decimal (a clock value when the request is only being rendered).
    pub nonce: &'a str,
    /// The key's session, on token-based venues once logged in.
    pub session: Option<&'a Session>,
    /// A two-factor answer, when the step is being retried with one.
    pub tfa: Option<&'a Tfa>,
    /// The profile's venue settings.
    pub settings: &'a VenueSettings,
    /// The sub-account the call acts in, on venues that keep one session per sub-account
    /// (Deribit `public/exchange_token`, see [`super::mechanisms::TokenSessions::subject`]);
    /// `None` for the credential's own account.
    pub subject: Option<&'a str>,
    /// The raw answer to the venue's lookup for this operation
    /// ([`super::mechanisms::CompanionCalls::lookup`]); `None` when it has none, or when a
    /// request is only being rendered (plans).
    pub lookup: Option<&'a Response>,
    /// The segments listed for this run so far ([`super::Client::segments`]), fixed ones first;
    /// empty when none were listed yet, and when a request is only being rendered (plans). For
    /// venues whose account-wide lists walk the account's segments one by one (Deribit's money
    /// movements, per currency).
    pub known: &'a [Segment],
}
