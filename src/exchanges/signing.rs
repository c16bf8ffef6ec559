//! The MAC primitives the venues' signers share, and standard base64.
//!
//! Each venue decides *what* it signs (its pre-hash string) in its own `signer.rs`; this file only
//! computes digests and MACs and encodes them. The secret is exposed here and nowhere else on the
//! client side. Base64 is written here because the crate has no base64 dependency: OKX sends its
//! signatures in base64, Kraken its signatures too and its secrets are base64
//! (docs/venues/README.md §2.2).

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

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4) with `=` padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 with padding (RFC 4648 §4); `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        ALPHABET
            .iter()
            .position(|&a| a == c)
            .and_then(|i| u32::try_from(i).ok())
    };
    let quads = bytes.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (i, quad) in bytes.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
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
        for junk in ["Zg=", "Z===", "Zm9v!A==", "Zg==Zg=="] {
            assert!(base64_decode(junk).is_none(), "{junk}");
        }
    }
}
