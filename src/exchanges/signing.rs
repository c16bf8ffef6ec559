//! The MAC primitives the venues' signers share.
//!
//! Each venue decides *what* it signs (its pre-hash string) in its own `signer.rs`; this file only
//! computes the MAC and encodes it. The secret is exposed here and nowhere else on the client side.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

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
    }
}
