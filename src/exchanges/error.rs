//! Typed exchange errors, split by what the caller can do about them.
//!
//! Adapters map their venue's codes onto these variants (each venue's table cites its
//! reference section); the HTTP layer retries the ones that are safe to retry (timestamp, rate
//! limit) and the engine decides the rest. Messages never carry a secret or a whole key id.

/// Why an exchange call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The request's timestamp was outside the exchange's window.
    #[error("the exchange refused the request's timestamp (code {code}); the clock was resynced")]
    Timestamp {
        /// The venue's code.
        code: String,
    },
    /// The request's nonce was not above the key's last one (Kraken `EAPI:Invalid nonce`): another
    /// request with the same key (another program, or whoever else holds it) got in first.
    #[error(
        "the exchange refused the request's nonce (code {code}); lockdown sends it again with a higher one"
    )]
    Nonce {
        /// The venue's code.
        code: String,
    },
    /// The key's last nonce could not be read or recorded, so no nonce could be drawn safely.
    #[error("{detail}")]
    NonceStore {
        /// What failed, with the file.
        detail: String,
    },
    /// The key is unknown, deleted or for another environment.
    #[error(
        "the exchange does not accept this API key (code {code}): unknown, deleted, or for another environment"
    )]
    InvalidKey {
        /// The venue's code.
        code: String,
    },
    /// The signature did not verify.
    #[error("the exchange rejected the signature (code {code}): check the secret for this key")]
    Signature {
        /// The venue's code.
        code: String,
    },
    /// The key's passphrase is missing or wrong (OKX).
    #[error("the exchange rejected the passphrase of this API key (code {code}): {message}")]
    Passphrase {
        /// The venue's code.
        code: String,
        /// The venue's message.
        message: String,
    },
    /// The venue only serves this to a signing key that is bound to IP addresses (OKX `50035`:
    /// key management through the master needs an IP-bound master key).
    #[error(
        "the exchange only does this for an API key bound to IP addresses, and the signing key (the master, for key management) is not bound (code {code})"
    )]
    KeyNotIpBound {
        /// The venue's code.
        code: String,
    },
    /// The key or sub-account the request acts on does not exist (OKX `59506`, `59510`).
    #[error("the exchange says {what} does not exist (code {code})")]
    UnknownTarget {
        /// The venue's code.
        code: String,
        /// What was not found.
        what: String,
    },
    /// The request cannot be built: the venue needs something the profile does not give.
    #[error("{venue} needs {what} to build this request")]
    NeedsInput {
        /// The venue.
        venue: &'static str,
        /// What is missing.
        what: String,
    },
    /// A step's parameter is outside what the venue accepts; refused before anything is sent.
    #[error("{venue} takes {what}")]
    OutOfRange {
        /// The venue.
        venue: &'static str,
        /// What the venue takes, and what was given.
        what: String,
    },
    /// The key lacks the permission, or is read-only.
    #[error("the key is not permitted to do this (code {code}): {message}")]
    Permission {
        /// The venue's code.
        code: String,
        /// The venue's message.
        message: String,
    },
    /// Too many requests.
    #[error("rate limited by the exchange (code {code})")]
    RateLimited {
        /// The venue's code.
        code: String,
        /// When the limit resets, Unix ms on the exchange's clock, if the exchange said.
        reset_ms: Option<i64>,
        /// How long to wait, if the exchange said so instead (`Retry-After`).
        retry_after_ms: Option<u64>,
    },
    /// The exchange refused the key for this request and does not say why: unknown or
    /// deleted, used from an address outside its IP list, or without the permission (Binance
    /// `-2015`, one code for all three, docs/venues/binance.md §8).
    #[error(
        "the exchange refused this API key for this request (code {code}): unknown or deleted, used from an address outside its IP list, or lacking the permission"
    )]
    KeyRefused {
        /// The venue's code.
        code: String,
    },
    /// The exchange banned this client's address for sending too many requests (Binance HTTP
    /// 418, docs/venues/binance.md §7). Nothing may be sent until the ban ends: sending more
    /// lengthens it.
    #[error("the exchange banned this IP address for too many requests (code {code}){}", retry_after_ms.map(|ms| format!("; the ban ends in {} s", ms.div_ceil(1000))).unwrap_or_default())]
    IpBanned {
        /// The venue's code.
        code: String,
        /// How long the ban lasts from now (`Retry-After`), if the exchange said.
        retry_after_ms: Option<u64>,
    },
    /// The request came from an address outside the key's IP whitelist.
    #[error("the key is not allowed from this IP address (code {code})")]
    IpRejected {
        /// The venue's code.
        code: String,
    },
    /// The key has expired.
    #[error("the key has expired (code {code})")]
    KeyExpired {
        /// The venue's code.
        code: String,
    },
    /// A token venue's session expired or was revoked.
    #[error("the exchange ended the session (code {code})")]
    SessionExpired {
        /// The venue's code.
        code: String,
    },
    /// The venue wants a one-time two-factor code before it does this.
    #[error("the exchange asks for a two-factor code to do this")]
    TfaRequired {
        /// The venue's challenge, to send back with the code.
        challenge: String,
    },
    /// The exchange only allows this in its web interface.
    #[error("the exchange only allows {what} in its web interface (code {code})")]
    WebUiOnly {
        /// The venue's code.
        code: String,
        /// What must be done by hand.
        what: String,
    },
    /// Any other refusal.
    #[error("the exchange answered code {code}: {message}")]
    Api {
        /// The venue's code.
        code: String,
        /// The venue's message.
        message: String,
    },
    /// The exchange answered that it could not process the request in time; it may or may not
    /// have acted (Deribit 13028 `temporarily_unavailable`, docs/venues/deribit.md §8).
    #[error("the exchange is temporarily unavailable (code {code}): {message}")]
    Unavailable {
        /// The venue's code.
        code: String,
        /// The venue's message.
        message: String,
    },
    /// An HTTP status without a venue answer.
    #[error("the exchange answered HTTP {status}{}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Http {
        /// The status.
        status: u16,
        /// The start of the body.
        detail: String,
    },
    /// The base URL answered with a redirect, which is never followed: it would carry the signed
    /// request (and OKX's passphrase) to another address.
    #[error("the exchange answered HTTP {status}, a redirect {}; lockdown follows no redirect, as it would carry the signed request there", match to { Some(to) => format!("to `{to}`"), None => "without a usable `Location`".to_owned() })]
    Redirected {
        /// The status.
        status: u16,
        /// Where it points: `scheme://host[:port]` only, never a path or query.
        to: Option<String>,
    },
    /// The exchange could not be reached, or the connection broke.
    #[error("could not reach the exchange: {detail}")]
    Transport {
        /// What went wrong.
        detail: String,
        /// Whether the request may have reached the exchange (the connection was open).
        reached: bool,
    },
    /// The answer did not have the shape the venue documents.
    #[error("unexpected answer from the exchange: {detail}")]
    Protocol {
        /// What was unexpected.
        detail: String,
    },
    /// Dry-run: the HTTP client refused to send a mutating request.
    #[error("dry-run: refused to send the mutating `{op}` request")]
    DryRun {
        /// The operation.
        op: &'static str,
    },
    /// The venue has no API for this operation.
    #[error("{venue} has no API for `{op}`")]
    Unsupported {
        /// The venue.
        venue: &'static str,
        /// The operation.
        op: &'static str,
    },
}

/// What a failed call means for trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The exchange did not act; the same request may be sent again.
    Refused,
    /// The exchange may or may not have acted (dropped connection, 5xx): a mutation must be
    /// probed before it is sent again.
    Unknown,
    /// Trying again will get the same answer.
    Final,
}

impl ExchangeError {
    /// The error with `f` applied to every text it holds that came from an answer or a
    /// request (messages, details, codes), never to a challenge that is sent back.
    pub(crate) fn map_text(mut self, f: impl Fn(&str) -> String) -> ExchangeError {
        let texts: Vec<&mut String> = match &mut self {
            ExchangeError::Timestamp { code }
            | ExchangeError::Nonce { code }
            | ExchangeError::InvalidKey { code }
            | ExchangeError::Signature { code }
            | ExchangeError::KeyNotIpBound { code }
            | ExchangeError::RateLimited { code, .. }
            | ExchangeError::KeyRefused { code }
            | ExchangeError::IpBanned { code, .. }
            | ExchangeError::IpRejected { code }
            | ExchangeError::KeyExpired { code }
            | ExchangeError::SessionExpired { code } => vec![code],
            ExchangeError::Passphrase { code, message }
            | ExchangeError::Permission { code, message }
            | ExchangeError::Api { code, message }
            | ExchangeError::Unavailable { code, message } => vec![code, message],
            ExchangeError::UnknownTarget { code, what }
            | ExchangeError::WebUiOnly { code, what } => {
                vec![code, what]
            }
            ExchangeError::NeedsInput { what, .. } | ExchangeError::OutOfRange { what, .. } => {
                vec![what]
            }
            ExchangeError::NonceStore { detail }
            | ExchangeError::Http { detail, .. }
            | ExchangeError::Transport { detail, .. }
            | ExchangeError::Protocol { detail } => vec![detail],
            ExchangeError::Redirected { to, .. } => to.iter_mut().collect(),
            ExchangeError::TfaRequired { .. }
            | ExchangeError::DryRun { .. }
            | ExchangeError::Unsupported { .. } => Vec::new(),
        };
        for text in texts {
            *text = f(text);
        }
        self
    }

    /// Whether the exchange refused the key itself: what a revoked key must get.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            ExchangeError::InvalidKey { .. }
                | ExchangeError::KeyExpired { .. }
                | ExchangeError::KeyRefused { .. }
        )
    }

    /// Whether the exchange may have acted on the request, and whether trying again can help.
    pub fn outcome(&self) -> Outcome {
        match self {
            ExchangeError::Timestamp { .. }
            | ExchangeError::Nonce { .. }
            | ExchangeError::RateLimited { .. }
            | ExchangeError::SessionExpired { .. } => Outcome::Refused,
            ExchangeError::Transport { reached: false, .. } => Outcome::Refused,
            ExchangeError::Transport { reached: true, .. } => Outcome::Unknown,
            ExchangeError::Http { status, .. } if *status >= 500 => Outcome::Unknown,
            ExchangeError::Unavailable { .. } => Outcome::Unknown,
            // Trying again inside a ban only makes it longer (docs/venues/binance.md §7).
            ExchangeError::IpBanned { .. } => Outcome::Final,
            _ => Outcome::Final,
        }
    }

    /// A hint for people: what to do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ExchangeError::Timestamp { .. } => {
                Some("check this machine's clock (NTP); lockdown resyncs once per call")
            }
            ExchangeError::InvalidKey { .. } => Some(
                "check the key id and `base_url` (mainnet, testnet and demo keys are separate)",
            ),
            ExchangeError::Nonce { .. } => Some(
                "another program is using this key with higher nonces; stop it, or raise the key's nonce window in the exchange's web interface",
            ),
            ExchangeError::NonceStore { .. } => Some(
                "the profile's `state_dir` must be writable: lockdown records each key's last nonce there so none is ever sent twice",
            ),
            ExchangeError::Signature { .. } => {
                Some("check that the secret reference points at this key's secret")
            }
            ExchangeError::Passphrase { .. } => Some(
                "check the key's `passphrase:` reference in the profile: it must hold the passphrase chosen when the key was created",
            ),
            ExchangeError::KeyNotIpBound { .. } => Some(
                "bind the master API key to the responder's IP address in the exchange's web interface (OKX: API management, edit the key, link IP addresses), then run lockdown again",
            ),
            ExchangeError::UnknownTarget { .. } => Some(
                "check the key id and the profile's `account:` for it (the sub-account the key belongs to, by name on OKX)",
            ),
            ExchangeError::NeedsInput { .. } => Some(
                "add it to the profile's entry for this key (`account:` names the key's sub-account)",
            ),
            ExchangeError::OutOfRange { .. } => {
                Some("change the step's parameter in the playbook to a value the venue takes")
            }
            ExchangeError::Permission { .. } => Some(
                "the key lacks this permission or is read-only; key management needs a read-write master key with a Wallet permission (Bybit)",
            ),
            ExchangeError::IpRejected { .. } => {
                Some("run lockdown from an address in the key's whitelist, or fix `responder_ip`")
            }
            ExchangeError::KeyRefused { .. } => Some(
                "check the key id, that lockdown runs from `responder_ip` (an address in the key's IP list), and the key's permissions",
            ),
            ExchangeError::IpBanned { .. } => Some(
                "wait until the ban ends, then run `lockdown resume`; lockdown sends nothing to the exchange from this address meanwhile",
            ),
            ExchangeError::WebUiOnly { .. } => {
                Some("do this step in the exchange's web interface, then run lockdown again")
            }
            ExchangeError::Transport { .. } => {
                Some("check the network and `base_url`; nothing after this call was sent")
            }
            ExchangeError::Redirected { .. } => {
                Some("the base URL redirects: set `base_url` to the final https address")
            }
            ExchangeError::Unavailable { .. } => Some(
                "the exchange may or may not have acted; lockdown checks before it sends a change again",
            ),
            ExchangeError::TfaRequired { .. } => Some(
                "give the current two-factor code with `--otp-from REF` (`env:NAME`, `file:PATH`, `-` for stdin), or answer the prompt",
            ),
            _ => None,
        }
    }

    /// The venue code, where there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ExchangeError::Timestamp { code }
            | ExchangeError::Nonce { code }
            | ExchangeError::InvalidKey { code }
            | ExchangeError::Signature { code }
            | ExchangeError::Passphrase { code, .. }
            | ExchangeError::KeyNotIpBound { code }
            | ExchangeError::UnknownTarget { code, .. }
            | ExchangeError::Permission { code, .. }
            | ExchangeError::RateLimited { code, .. }
            | ExchangeError::IpRejected { code }
            | ExchangeError::KeyRefused { code }
            | ExchangeError::IpBanned { code, .. }
            | ExchangeError::KeyExpired { code }
            | ExchangeError::WebUiOnly { code, .. }
            | ExchangeError::SessionExpired { code }
            | ExchangeError::Unavailable { code, .. }
            | ExchangeError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}
