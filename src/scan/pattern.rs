//! The generic patterns: what each venue's key ids and secrets look like, and the `.env`-style
//! names bots keep them under. Shapes and names only, each with its source in docs/scan.md.
//!
//! A shape alone never makes a finding: an id shape and a secret shape of the same venue must
//! stand near each other (with a credential word about), or a venue's variable name must be
//! assigned a value that passes the entropy check. That is what keeps UUIDs (OKX's id shape),
//! hex digests, base64 blobs and lockfile checksums quiet.

use super::token::random_enough;
use crate::exchanges::ExchangeId;

/// What a value is to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The key id (public: it names the key).
    Id,
    /// The secret (HMAC key, private key, client secret).
    Secret,
    /// OKX's passphrase (or another venue's password-like extra).
    Passphrase,
}

/// Whether `text` has the shape of `venue`'s key ids (the venue's record, sources in
/// docs/scan.md).
pub(crate) fn id_shape(venue: ExchangeId, text: &str) -> bool {
    (venue.facts().shapes.id)(text)
}

/// Whether `text` has the shape of `venue`'s secrets.
pub(crate) fn secret_shape(venue: ExchangeId, text: &str) -> bool {
    (venue.facts().shapes.secret)(text)
}

/// Whether a pair of `venue`'s shapes needs the venue's name about (Deribit's client id shape
/// is too plain to stand on its own).
pub(crate) fn needs_name(venue: ExchangeId) -> bool {
    venue.facts().shapes.needs_name
}

/// Whether `hay` holds `needle` (lower case ASCII), whatever the case.
fn holds(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The venue a piece of text names, if any (each venue's words, in the venue table's order).
pub(crate) fn venue_named(text: &str) -> Option<ExchangeId> {
    ExchangeId::ALL.iter().copied().find(|venue| {
        venue
            .facts()
            .shapes
            .words
            .iter()
            .any(|word| holds(text, word))
    })
}

/// Words that say a line is about credentials.
const CREDENTIAL_WORDS: &[&str] = &[
    "key",
    "secret",
    "api",
    "token",
    "client",
    "passphrase",
    "private",
    "auth",
    "cred",
];

/// Whether `text` has a credential word or a venue's name.
pub(crate) fn about_credentials(text: &str) -> bool {
    CREDENTIAL_WORDS.iter().any(|w| holds(text, w)) || venue_named(text).is_some()
}

/// The role a variable name gives its value, for a name that names a venue
/// (`BYBIT_API_SECRET`, `okx_passphrase`, `binanceApiKey`, `DERIBIT_CLIENT_ID`).
pub(crate) fn env_name(name: &str) -> Option<(ExchangeId, Role)> {
    let venue = venue_named(name)?;
    let lower: String = name
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let role = if lower.ends_with("passphrase") || lower.ends_with("password") {
        Role::Passphrase
    } else if lower.ends_with("secret")
        || lower.ends_with("secretkey")
        || lower.ends_with("privatekey")
        || lower.ends_with("apisign")
    {
        Role::Secret
    } else if lower.ends_with("key")
        || lower.ends_with("keyid")
        || lower.ends_with("clientid")
        || lower.ends_with("apikey")
    {
        Role::Id
    } else {
        return None;
    };
    Some((venue, role))
}

/// Values that stand for a credential without being one.
fn placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    value.starts_with('$')
        || value.starts_with('<')
        || value.starts_with('{')
        || value.starts_with('%')
        || [
            "your",
            "xxxx",
            "change",
            "example",
            "placeholder",
            "dummy",
            "redacted",
            "secret",
            "todo",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// Whether `value`, assigned to a name of `venue` with `role`, is worth a finding: a secret that
/// passes the entropy check (or has the venue's secret shape), an id of the venue's shape, a
/// passphrase that is not a placeholder or a reference.
pub(crate) fn value_counts(venue: ExchangeId, role: Role, value: &str) -> bool {
    if value.is_empty() || placeholder(value) {
        return false;
    }
    match role {
        Role::Id => id_shape(venue, value),
        Role::Secret => secret_shape(venue, value) || (value.len() >= 16 && random_enough(value)),
        Role::Passphrase => value.len() >= 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_their_venue_and_not_common_noise() {
        let cases = [
            (
                "bybit id",
                ExchangeId::Bybit,
                "Ab3dE5fG7hJ9kL1mN2",
                true,
                false,
            ),
            (
                "bybit secret",
                ExchangeId::Bybit,
                "q8Xw2Lr5Tz9Kp3Vn7Bc1Md4Hs6Jf0Gy8Ue2W",
                false,
                true,
            ),
            (
                "okx id",
                ExchangeId::Okx,
                "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
                true,
                false,
            ),
            (
                "okx secret",
                ExchangeId::Okx,
                "9B3F0A7C1E5D2B8A4C6E0F1A3B5D7C9E",
                false,
                true,
            ),
            (
                "sha256 is no binance key",
                ExchangeId::Binance,
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                false,
                false,
            ),
            (
                "upper uuid is no okx id",
                ExchangeId::Okx,
                "3F2504E0-4F89-41D3-9A0C-0305E82C3301",
                false,
                false,
            ),
        ];
        for (label, venue, text, id, secret) in cases {
            assert_eq!(id_shape(venue, text), id, "{label} id");
            assert_eq!(secret_shape(venue, text), secret, "{label} secret");
        }
    }

    #[test]
    fn env_names_say_the_venue_and_role() {
        for (name, want) in [
            ("BYBIT_API_SECRET", Some((ExchangeId::Bybit, Role::Secret))),
            ("BYBIT_API_KEY", Some((ExchangeId::Bybit, Role::Id))),
            ("OKX_PASSPHRASE", Some((ExchangeId::Okx, Role::Passphrase))),
            (
                "binanceSecretKey",
                Some((ExchangeId::Binance, Role::Secret)),
            ),
            ("DERIBIT_CLIENT_ID", Some((ExchangeId::Deribit, Role::Id))),
            (
                "KRAKEN_PRIVATE_KEY",
                Some((ExchangeId::Kraken, Role::Secret)),
            ),
            ("BYBIT_TESTNET", None),
            ("API_SECRET", None),
        ] {
            assert_eq!(env_name(name), want, "{name}");
        }
    }

    #[test]
    fn placeholders_and_references_do_not_count() {
        for value in [
            "${BYBIT_SECRET}",
            "your-api-secret-here",
            "<secret>",
            "xxxxxxxxxxxxxxxxxxxx",
            "",
        ] {
            assert!(
                !value_counts(ExchangeId::Bybit, Role::Secret, value),
                "{value}"
            );
        }
        assert!(value_counts(
            ExchangeId::Bybit,
            Role::Secret,
            "q8Xw2Lr5Tz9Kp3Vn7Bc1Md4Hs6Jf0Gy8Ue2W"
        ));
    }
}
