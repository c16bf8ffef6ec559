//! Passphrases for the replacement keys the adapter asks OKX to create.
//!
//! OKX wants a passphrase chosen by the caller at key creation: 8 to 32 characters with at least
//! one digit, one uppercase letter, one lowercase letter and one special character
//! (docs/venues/okx.md §4, `59505` otherwise). The passphrase signs every later request like a
//! second secret, so it comes from the operating system's RNG and is held as a `SecretString` from
//! the start. The special characters are ones that need no quoting in a dotenv file or a shell
//! (`store_secret` writes `env-file:` stores unquoted).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::secret::SecretString;

/// How long a generated passphrase is.
pub const LENGTH: usize = 24;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGIT: &[u8] = b"23456789";
const SPECIAL: &[u8] = b"!@*-_.";

/// A fresh passphrase that meets OKX's rules.
pub fn generate() -> SecretString {
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let classes = [UPPER, LOWER, DIGIT, SPECIAL];
    let all: Vec<u8> = classes.concat();
    // One of each class, the rest from all of them, then shuffled.
    let mut chars: Vec<u8> = classes
        .iter()
        .map(|class| class[rng.random_range(0..class.len())])
        .collect();
    while chars.len() < LENGTH {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    SecretString::from(chars.into_iter().map(char::from).collect::<String>())
}

/// Whether a passphrase meets OKX's rules (docs/venues/okx.md §4).
pub fn is_valid(passphrase: &str) -> bool {
    let len = passphrase.chars().count();
    (8..=32).contains(&len)
        && passphrase.chars().all(|c| c.is_ascii_graphic())
        && passphrase.chars().any(|c| c.is_ascii_digit())
        && passphrase.chars().any(|c| c.is_ascii_uppercase())
        && passphrase.chars().any(|c| c.is_ascii_lowercase())
        && passphrase.chars().any(|c| c.is_ascii_punctuation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn generated_passphrases_meet_the_rules_and_differ() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let p = generate();
            #[allow(clippy::disallowed_methods)] // the test reads what it checks
            let text = p.expose_secret();
            assert_eq!(text.len(), LENGTH);
            assert!(is_valid(text), "{text}");
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || SPECIAL.contains(&b))
            );
            seen.insert(text.to_owned());
        }
        assert_eq!(seen.len(), 200);
    }

    #[test]
    fn rules() {
        for (label, text, want) in [
            ("all classes", "Abcdef1!", true),
            ("too short", "Abcde1!", false),
            ("too long", &format!("Ab1!{}", "x".repeat(29)), false),
            ("no special", "Abcdefg1", false),
            ("no digit", "Abcdefg!", false),
            ("no upper", "abcdef1!", false),
            ("masked", "******", false),
        ] {
            assert_eq!(is_valid(text), want, "{label}");
        }
    }
}
