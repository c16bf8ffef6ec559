//! The BitMEX signature check (docs/venues/bitmex.md §2): `api-signature` must be the hex
//! HMAC-SHA256, under the key's secret, of the verb, the path with its query exactly as
//! received, `api-expires` and the body's exact bytes. Written apart from the client's signer, so
//! that a shared bug cannot agree with itself.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Whether `signature` signs the request.
pub(crate) fn signature_matches(
    secret: &SecretString,
    verb: &str,
    path_and_query: &str,
    expires: i64,
    body: &[u8],
    signature: &str,
) -> bool {
    let Ok(tag) = hex::decode(signature.trim()) else {
        return false;
    };
    // Allowed: this is where a signature is verified.
    #[allow(clippy::disallowed_methods)]
    let key = secret.expose_secret().as_bytes().to_vec();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&key) else {
        return false;
    };
    mac.update(verb.as_bytes());
    mac.update(path_and_query.as_bytes());
    mac.update(expires.to_string().as_bytes());
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_post_vector_verifies() {
        let secret = SecretString::from("chNOOS4KvNXR_Xq4k4c9qsfoKWvnDecLATCRlcBwyKDYnWgO");
        let body = br#"{"symbol":"XBTM15","price":219.0,"clOrdID":"mm_bitmex_1a/oemUeQ4CAJZgP3fjHsA","orderQty":98}"#;
        let sig = "1749cd2ccae4aa49048ae09f0b95110cee706e0944e6a14ad0b3a8cb45bd336b";
        assert!(signature_matches(
            &secret,
            "POST",
            "/api/v1/order",
            1_518_064_238,
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "POST",
            "/api/v1/order",
            1_518_064_239,
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "PUT",
            "/api/v1/order",
            1_518_064_238,
            body,
            sig
        ));
        assert!(!signature_matches(
            &secret,
            "POST",
            "/api/v1/order",
            1_518_064_238,
            body,
            "zz"
        ));
    }
}
