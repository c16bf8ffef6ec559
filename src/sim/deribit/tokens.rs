//! Access and refresh tokens: what `public/auth` and `public/exchange_token` issue.
//!
//! A token stands for one key acting in one account (its own, or a sub-account it switched to).
//! Access tokens live 15 minutes, refresh tokens a week (chosen: the docs give `expires_in`
//! without a default). Token strings come from the OS RNG, never from the venue's seeded id
//! RNG, so logging in never shifts a seeded id. When a key is removed or disabled its tokens die
//! with it (the docs do not say, docs/venues/deribit.md §10; anything else would let a revoked key
//! trade on). `Debug` shows no token.

use std::collections::HashMap;
use std::fmt;

use rand::distr::Alphanumeric;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How long an access token lives.
pub(crate) const ACCESS_LIFETIME_MS: i64 = 15 * 60 * 1000;
/// How long a refresh token lives.
const REFRESH_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Who a token acts for, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The key that logged in.
    pub(crate) client_id: String,
    /// The account it acts in.
    pub(crate) subject: u64,
    pub(crate) expires_ms: i64,
}

/// A freshly issued pair.
#[derive(Clone, Debug)]
pub(crate) struct Issued {
    pub(crate) access: String,
    pub(crate) refresh: String,
    pub(crate) expires_in_s: i64,
}

/// Every live token.
#[derive(Default)]
pub(crate) struct Tokens {
    access: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
    rng: Option<StdRng>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.len())
            .field("refresh", &self.refresh.len())
            .finish()
    }
}

impl Tokens {
    fn fresh(&mut self) -> String {
        let rng = self.rng.get_or_insert_with(StdRng::from_os_rng);
        rng.sample_iter(Alphanumeric)
            .take(40)
            .map(char::from)
            .collect()
    }

    /// Issues an access and a refresh token for `client_id` acting in `subject`.
    pub(crate) fn issue(&mut self, client_id: &str, subject: u64, now_ms: i64) -> Issued {
        let (access, refresh) = (self.fresh(), self.fresh());
        let grant = |lifetime| Grant {
            client_id: client_id.to_owned(),
            subject,
            expires_ms: now_ms + lifetime,
        };
        self.access
            .insert(access.clone(), grant(ACCESS_LIFETIME_MS));
        self.refresh
            .insert(refresh.clone(), grant(REFRESH_LIFETIME_MS));
        Issued {
            access,
            refresh,
            expires_in_s: ACCESS_LIFETIME_MS / 1000,
        }
    }

    /// The grant of a live access token.
    pub(crate) fn access(&self, token: &str, now_ms: i64) -> Option<&Grant> {
        self.access.get(token).filter(|g| now_ms < g.expires_ms)
    }

    /// The grant of a live refresh token.
    pub(crate) fn refresh(&self, token: &str, now_ms: i64) -> Option<&Grant> {
        self.refresh.get(token).filter(|g| now_ms < g.expires_ms)
    }

    /// The key an access token was issued to, live or not (for the access log).
    pub(crate) fn holder(&self, token: &str) -> Option<&str> {
        self.access.get(token).map(|g| g.client_id.as_str())
    }

    /// Ends every token of a key.
    pub(crate) fn revoke(&mut self, client_id: &str) {
        self.access.retain(|_, g| g.client_id != client_id);
        self.refresh.retain(|_, g| g.client_id != client_id);
    }

    /// Ends every access token at once, as if each had expired (refresh tokens too).
    pub(crate) fn expire_all(&mut self) {
        for grant in self.access.values_mut().chain(self.refresh.values_mut()) {
            grant.expires_ms = i64::MIN;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_live_expire_and_die_with_their_key() {
        let mut t = Tokens::default();
        let a = t.issue("KEY1", 7, 1_000);
        let b = t.issue("KEY2", 8, 1_000);
        assert_eq!(a.expires_in_s, 900);
        assert_eq!(t.access(&a.access, 2_000).unwrap().subject, 7);
        assert!(t.access(&a.access, 1_000 + ACCESS_LIFETIME_MS).is_none());
        assert!(t.refresh(&a.refresh, 2_000).is_some());
        t.revoke("KEY1");
        assert!(t.access(&a.access, 2_000).is_none() && t.refresh(&a.refresh, 2_000).is_none());
        assert_eq!(t.holder(&b.access), Some("KEY2"));
        t.expire_all();
        assert!(t.access(&b.access, 2_000).is_none());
        assert!(!format!("{t:?}").contains(&b.access));
    }
}
