//! The MAC primitives the venues' signers share, and standard base64.
//!
//! Each venue decides *what* it signs (its pre-hash string) in its own `signer.rs`; this file only
//! computes digests and MACs and encodes them. The secret is exposed here and nowhere else on the
//! client side. Base64 is the `base64` crate's standard engine (padded, canonical): OKX sends its
//! signatures in base64, Kraken its signatures too and its secrets are base64
//! (docs/venues/README.md §2.2). The simulator decodes with its own code on purpose
//! (`sim/okx/auth.rs`, `sim/kraken/base64.rs`): a bug shared by both sides would agree with itself.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256, Sha512};

use crate::secret::SecretString;

/// HMAC-SHA256 of `message` under `secret` (UTF-8), as lowercase hex.
pub fn hmac_sha256_hex(secret: &SecretString, message: &[u8]) -> String {
    hex::encode(hmac_sha256(secret, message))
}

/// HMAC-SHA256 of `message` under `secret` (UTF-8), raw bytes.
pub fn hmac_sha256(secret: &SecretString, message: &[u8]) -> Vec<u8> {
    #[allow(clippy::disallowed_methods)] // signing: the one place the MAC key is read
    let key = secret.expose_secret().as_bytes();
    // HMAC takes keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// HMAC-SHA512 of `message` under the bytes that `secret` holds in base64 (Kraken's secrets are
/// base64, and the MAC key is what they decode to, docs/venues/kraken.md §2); `None` when the
/// secret is not base64.
pub fn hmac_sha512_base64_key(secret: &SecretString, message: &[u8]) -> Option<Vec<u8>> {
    #[allow(clippy::disallowed_methods)] // signing: the one place the MAC key is read
    let key = base64_decode(secret.expose_secret().trim())?;
    let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

/// SHA-256 of `bytes`, raw.
pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Standard base64 (RFC 4648 §4) with `=` padding.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64 with padding (RFC 4648 §4); `None` for anything else: missing or
/// extra padding, characters outside the alphabet, whitespace, and non-zero bits left over in the
/// last character (the crate's `STANDARD` engine refuses those; a secret the venue issued never
/// has them).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let secret = SecretString::from("Jefe");
        assert_eq!(
            hmac_sha256_hex(&secret, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The same case for HMAC-SHA512, the key given as base64 ("Jefe" is `SmVmZQ==`).
        let b64 = SecretString::from("SmVmZQ==");
        let mac = hmac_sha512_base64_key(&b64, b"what do ya want for nothing?").unwrap();
        assert_eq!(
            hex::encode(mac),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
        assert!(hmac_sha512_base64_key(&SecretString::from("not base64!"), b"x").is_none());
    }

    #[test]
    fn sha256_of_abc() {
        // FIPS 180-2 example.
        assert_eq!(
            hex::encode(sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10, both ways.
        for (plain, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), want, "{plain:?}");
            assert_eq!(base64_decode(want).unwrap(), plain.as_bytes(), "{want:?}");
        }
        // Short or extra padding, a character outside the alphabet, padding in the middle,
        // whitespace, and a last character with bits left over (`Zh==` is not canonical).
        for junk in [
            "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm9v\n", " Zg==", "Zh==", "Zg",
        ] {
            assert!(base64_decode(junk).is_none(), "{junk}");
        }
    }
}
