//! Nonce replay: a signed `nonce` is "single usage" (docs/venues/deribit.md §2).
//!
//! A nonce is remembered per key for twice the timestamp window, after which its timestamp
//! could not pass the window check anyway, so memory stays bounded.

use std::collections::HashMap;

use crate::sim::deribit::auth::TIMESTAMP_WINDOW_MS;

/// Nonces seen recently, by key.
#[derive(Debug, Default)]
pub(crate) struct Nonces(HashMap<(String, String), i64>);

impl Nonces {
    /// Returns true the first time `client_id` signs with `nonce`, and remembers it.
    pub(crate) fn first_use(&mut self, client_id: &str, nonce: &str, now_ms: i64) -> bool {
        self.0
            .retain(|_, seen| now_ms - *seen <= 2 * TIMESTAMP_WINDOW_MS);
        let key = (client_id.to_owned(), nonce.to_owned());
        if self.0.contains_key(&key) {
            return false;
        }
        self.0.insert(key, now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_used_once_per_key() {
        let mut n = Nonces::default();
        assert!(n.first_use("k", "abc", 0));
        assert!(!n.first_use("k", "abc", 10));
        assert!(n.first_use("other", "abc", 10));
        assert!(
            n.first_use("k", "abc", 2 * TIMESTAMP_WINDOW_MS + 1),
            "forgotten"
        );
    }
}
