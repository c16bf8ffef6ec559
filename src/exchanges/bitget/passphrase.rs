//! Passphrases for the keys the adapter asks Bitget to create or change.
//!
//! Bitget wants a passphrase chosen by the caller when a sub-account key is created, and the
//! modify call requires one too: "English letters of 8−32 characters + numbers"
//! (docs/venues/bitget.md §4). The passphrase signs every later request like a second secret, so
//! it is derived under a key drawn from the operating system's RNG once per process (see
//! [`for_new_key`]); it has letters and digits only, so it needs no quoting in a dotenv file or a
//! shell.

use rand::{Rng, SeedableRng};

use crate::secret::SecretString;

/// How long a derived passphrase is.
pub const LENGTH: usize = 24;

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";

/// The passphrase the adapter sends for a key it creates: the create answer does not echo it
/// (docs/venues/bitget.md §4), so the decoder derives it again from the same request's
/// sub-account and label. Derived under a key drawn from the operating system's RNG once per
/// process, so nobody outside the process can compute it, and the same request built twice
/// (a plan, then the send) carries the same passphrase.
pub fn for_new_key(sub_account: &str, label: &str) -> String {
    derive(&format!("create\n{sub_account}\n{label}"))
}

/// The passphrase the lock's modify call sends for `key` (see `endpoints.rs`).
pub fn for_key(sub_account: &str, key: &str) -> String {
    derive(&format!("modify\n{sub_account}\n{key}"))
}

fn derive(what: &str) -> String {
    static SALT: std::sync::OnceLock<SecretString> = std::sync::OnceLock::new();
    let salt = SALT.get_or_init(|| {
        let mut rng = rand::rngs::StdRng::from_os_rng();
        SecretString::from(
            (0..32)
                .map(|_| char::from(LETTERS[rng.random_range(0..LETTERS.len())]))
                .collect::<String>(),
        )
    });
    let mac = crate::exchanges::signing::hmac_sha256(salt, what.as_bytes());
    let all: Vec<u8> = [LETTERS, DIGITS].concat();
    let mut chars: Vec<u8> = mac
        .iter()
        .take(LENGTH)
        .map(|b| all[usize::from(*b) % all.len()])
        .collect();
    // A letter first and a digit last, whatever the bytes were.
    chars[0] = LETTERS[usize::from(mac[LENGTH]) % LETTERS.len()];
    chars[LENGTH - 1] = DIGITS[usize::from(mac[LENGTH + 1]) % DIGITS.len()];
    chars.into_iter().map(char::from).collect()
}

/// Whether a passphrase meets Bitget's rules (docs/venues/bitget.md §4): 8 to 32 letters and
/// digits, with both.
pub fn is_valid(passphrase: &str) -> bool {
    (8..=32).contains(&passphrase.len())
        && passphrase.chars().all(|c| c.is_ascii_alphanumeric())
        && passphrase.chars().any(|c| c.is_ascii_digit())
        && passphrase.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_passphrases_meet_the_rules_and_differ() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..100 {
            let p = for_new_key("1000002", &format!("label{i}"));
            assert!(is_valid(&p), "{p}");
            seen.insert(p);
        }
        assert_eq!(seen.len(), 100);
        let a = for_new_key("1000002", "lockdown-x");
        assert!(is_valid(&a), "{a}");
        assert_eq!(
            a,
            for_new_key("1000002", "lockdown-x"),
            "stable in a process"
        );
        assert_ne!(a, for_new_key("1000002", "lockdown-y"));
        assert_ne!(for_key("1", "k"), for_new_key("1", "k"));
        for bad in [
            "short1",
            "nodigitsatall",
            "12345678",
            "with-dash-1",
            &"a1".repeat(17),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
