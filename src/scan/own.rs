//! The profile's own credentials, matched by keyed hash: each key id, secret and passphrase is
//! kept only as HMAC-SHA256 under a key drawn at random for this run, and each candidate token
//! of a scanned line is hashed the same way and looked up.
//!
//! So the matcher holds no secret (nor an unkeyed hash of one that could be tested offline), a
//! finding names the credential by its role ("the bot key `grid`'s secret"), and the secret's
//! text is never copied out of the profile. Only tokens as long as some credential are hashed.

use std::collections::{BTreeSet, HashMap};

use hmac::{Hmac, KeyInit, Mac};
use rand::{RngCore, SeedableRng};
use sha2::Sha256;

use super::pattern::Role;
use crate::config::Profile;
use crate::exchanges::ExchangeId;
use crate::secret::{Credential, SecretString};

/// Whose credential a match is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owned {
    /// The profile.
    pub(crate) profile: String,
    /// Its venue.
    pub(crate) venue: ExchangeId,
    /// The key's id (ids are not secrets).
    pub(crate) key_id: String,
    /// For people: "the master key", "the bot key `grid`".
    pub(crate) key: String,
    /// What of the key matched.
    pub(crate) role: Role,
}

impl Owned {
    /// What matched, for people: "the bot key `grid`'s secret (profile `main`)".
    pub(crate) fn describe(&self) -> String {
        let part = match self.role {
            Role::Id => "id",
            Role::Secret => "secret",
            Role::Passphrase => "passphrase",
        };
        format!("{}'s {part} (profile `{}`)", self.key, self.profile)
    }
}

/// The keyed hashes of every loaded profile's credentials.
pub(crate) struct OwnKeys {
    key: [u8; 32],
    lengths: BTreeSet<usize>,
    by_digest: HashMap<[u8; 32], Owned>,
}

impl std::fmt::Debug for OwnKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnKeys")
            .field("credentials", &self.by_digest.len())
            .finish_non_exhaustive()
    }
}

impl OwnKeys {
    /// The matcher for `profiles`, under a fresh random key.
    pub(crate) fn new(profiles: &[Profile]) -> OwnKeys {
        let mut key = [0u8; 32];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut key);
        let mut own = OwnKeys {
            key,
            lengths: BTreeSet::new(),
            by_digest: HashMap::new(),
        };
        for profile in profiles {
            own.add_key(profile, "the master key".to_owned(), &profile.master);
            for bot in &profile.keys {
                let name = format!("the bot key `{}`", bot.label);
                match &bot.credential {
                    Some(credential) => own.add_key(profile, name, credential),
                    None => own.add(profile, &name, bot.id.as_str(), bot.id.as_str(), Role::Id),
                }
            }
        }
        own
    }

    fn add_key(&mut self, profile: &Profile, name: String, credential: &Credential) {
        let id = credential.key.as_str();
        self.add(profile, &name, id, id, Role::Id);
        self.add_secret(profile, &name, id, credential.secret(), Role::Secret);
        if let Some(passphrase) = credential.passphrase() {
            self.add_secret(profile, &name, id, passphrase, Role::Passphrase);
        }
    }

    fn add_secret(
        &mut self,
        profile: &Profile,
        name: &str,
        id: &str,
        secret: &SecretString,
        role: Role,
    ) {
        // The keyed hash is the one use of the secret's text here; only the digest is kept.
        #[allow(clippy::disallowed_methods)]
        let text = secrecy::ExposeSecret::expose_secret(secret);
        self.add(profile, name, id, text, role);
    }

    fn add(&mut self, profile: &Profile, name: &str, id: &str, text: &str, role: Role) {
        // Placeholders of an unread profile and very short texts would match ordinary words.
        if text.len() < 6 {
            return;
        }
        self.lengths.insert(text.len());
        let owned = Owned {
            profile: profile.name.clone(),
            venue: profile.exchange,
            key_id: id.to_owned(),
            key: name.to_owned(),
            role,
        };
        self.by_digest.entry(self.digest(text)).or_insert(owned);
    }

    fn digest(&self, text: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether any credential is known.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }

    /// Whose credential `token` is, if it is one.
    pub(crate) fn lookup(&self, token: &str) -> Option<&Owned> {
        if !self.lengths.contains(&token.len()) {
            return None;
        }
        self.by_digest.get(&self.digest(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OwnedKey;
    use crate::secret::KeyId;

    fn profile() -> Profile {
        let mut p = crate::scan::tests::profile(ExchangeId::Bybit);
        p.keys.push(OwnedKey {
            id: KeyId::new("BOTKEYID1234567890"),
            label: "grid".into(),
            account: None,
            credential: Some(Credential::new(
                KeyId::new("BOTKEYID1234567890"),
                SecretString::from("bot-secret-text-abcdefghijklmnopqrs"),
            )),
        });
        p
    }

    #[test]
    fn each_credential_is_found_by_its_text_and_named_by_its_role() {
        let own = OwnKeys::new(&[profile()]);
        let secret = own.lookup("bot-secret-text-abcdefghijklmnopqrs").unwrap();
        assert_eq!(
            secret.describe(),
            "the bot key `grid`'s secret (profile `main`)"
        );
        assert_eq!(secret.key_id, "BOTKEYID1234567890");
        let id = own.lookup("MASTERKEYID123456").unwrap();
        assert_eq!(id.role, Role::Id);
        assert!(own.lookup("bot-secret-text-abcdefghijklmnopqrX").is_none());
        assert!(own.lookup("short").is_none());
        // Nothing of a secret shows in its debug form.
        assert!(!format!("{own:?}").contains("secret-text"));
    }
}
