//! `age:` references and stores: an age-encrypted file, read with an identity file and written
//! to recipients (public keys), so storing a replacement key's secret needs no secret at all.
//!
//! Reads (`age:PATH` or `age:PATH#JSON_KEY`) decrypt the file (armored or binary) with the
//! identity file of `secrets.age.identity` or `LOCKDOWN_AGE_IDENTITY` ([`keys`]); with `#key`
//! the plaintext is a JSON object and that key's string is the secret. Writes encrypt the new
//! key's JSON to `secrets.age.recipients` / `recipients_file` as an ASCII-armored file (text:
//! it survives being pasted, mailed or committed; `age -d` reads it as it reads binary files),
//! written beside the target, synced and renamed over it, mode 0600. Plaintext lives in buffers
//! zeroized on drop; no error holds a byte of it.
//!
//! Uses the `age` crate (the library of `rage`, maintained with the age specification).

mod keys;

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use secrecy::ExposeSecret;
use secrecy::zeroize::{Zeroize, Zeroizing};

use super::{Destination, NewSecret, SecretError, Stored};
use crate::secret::SecretString;

pub use keys::IDENTITY_ENV;

/// The most plaintext read from an encrypted file: a secret is a line, not a file.
const MAX_PLAINTEXT: usize = 64 * 1024;

/// What to do about a missing or wrong identity.
const IDENTITY_HINT: &str = "set `secrets.age.identity` (or LOCKDOWN_AGE_IDENTITY) to the identity \
                             file, mode 0600 (`age-keygen -o key.txt`)";

/// An encrypted file and, for reads of a JSON file, one key of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeRef {
    path: PathBuf,
    field: Option<String>,
}

impl AgeRef {
    /// Parses the text after `age:`: `PATH[#JSON_KEY]`.
    pub fn parse(text: &str, base: &Path) -> Result<AgeRef, String> {
        let text = text.trim();
        let (path, field) = match text.rsplit_once('#') {
            Some((path, field)) if !field.contains('/') => {
                if field.trim().is_empty() {
                    return Err(format!("`age:{text}` names no JSON key after `#`"));
                }
                (path, Some(field.trim().to_owned()))
            }
            _ => (text, None),
        };
        if path.trim().is_empty() {
            return Err("`age:` needs a file, e.g. `age:~/.config/lockdown/master.age`".into());
        }
        Ok(AgeRef {
            path: super::resolve_path(path.trim(), base),
            field,
        })
    }

    /// Parses a destination: `PATH` only (the whole key's JSON is written, so no `#key`).
    pub fn parse_destination(text: &str, base: &Path) -> Result<AgeRef, String> {
        let r = AgeRef::parse(text, base)?;
        if r.field.is_some() {
            return Err(format!(
                "`age:{}` is a destination: the new key's whole JSON is written, so it takes no \
                 `#key`",
                text.trim()
            ));
        }
        Ok(r)
    }

    /// The encrypted file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The JSON key, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for AgeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}#{field}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// `secrets.age`: `identity` (a file, for reads), `recipients` (`age1…` keys) and
/// `recipients_file` (for writes).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The identity file (`None`: `LOCKDOWN_AGE_IDENTITY`).
    pub identity: Option<PathBuf>,
    /// Public keys the stores are encrypted to (checked when the config loads).
    pub recipients: Vec<String>,
    /// A file of more public keys, one a line (read when a store is written or probed).
    pub recipients_file: Option<PathBuf>,
}

/// `secrets.age` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    recipients_file: Option<String>,
}

impl Settings {
    /// Parses `secrets.age`; paths resolve against `dir`, recipients must parse.
    pub fn from_yaml(value: &serde_yaml::Value, dir: &Path) -> Result<Settings, String> {
        let raw: RawSettings = serde_yaml::from_value(value.clone()).map_err(|err| {
            format!("{err}; the settings are `identity`, `recipients` and `recipients_file`")
        })?;
        for (n, text) in raw.recipients.iter().enumerate() {
            keys::recipient(text).map_err(|err| format!("`recipients[{n}]`: {err}"))?;
        }
        let path = |p: Option<String>| {
            p.filter(|p| !p.trim().is_empty())
                .map(|p| super::resolve_path(p.trim(), dir))
        };
        Ok(Settings {
            identity: path(raw.identity),
            recipients: raw.recipients.iter().map(|r| r.trim().to_owned()).collect(),
            recipients_file: path(raw.recipients_file),
        })
    }

    /// Every recipient: the listed ones and the file's.
    fn all_recipients(&self) -> Result<Vec<age::x25519::Recipient>, String> {
        let mut out = self
            .recipients
            .iter()
            .map(|text| keys::recipient(text))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(file) = &self.recipients_file {
            out.extend(keys::recipients_file(file)?);
        }
        if out.is_empty() {
            return Err("there is no recipient to encrypt to".into());
        }
        Ok(out)
    }
}

/// Decrypts the file with the identity; with `#key`, that key of its JSON.
pub fn read(settings: &Settings, r: &AgeRef) -> Result<SecretString, SecretError> {
    let reference = format!("age:{r}");
    let fail = |what: String, hint: &str| SecretError::new(&reference, what, hint);
    let Some(identity) = keys::identity_path(settings.identity.as_deref()) else {
        return Err(fail("no identity to decrypt it with".into(), IDENTITY_HINT));
    };
    let plaintext = decrypt(&identity, r.path()).map_err(|(what, hint)| fail(what, &hint))?;
    let shown = r.path().display();
    match r.field() {
        None => {
            let text = std::str::from_utf8(&plaintext).map_err(|_| {
                fail(
                    format!("`{shown}` does not hold text"),
                    "encrypt only the secret, as text",
                )
            })?;
            let text = text.trim();
            if text.is_empty() {
                return Err(fail(
                    format!("`{shown}` holds nothing"),
                    "encrypt the secret",
                ));
            }
            Ok(SecretString::from(text.to_owned()))
        }
        Some(field) => json_field(&plaintext, field).map_err(|what| {
            fail(
                format!("`{shown}` {what}"),
                "encrypt a JSON object with the key (`{\"api_secret\": \"…\"}`), or drop `#key`",
            )
        }),
    }
}

/// Encrypts the new secret's JSON to the recipients and replaces the file with it.
pub fn write(
    settings: &Settings,
    r: &AgeRef,
    secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    let destination = Destination::Age(r.clone());
    let fail = |what: String, hint: &str| SecretError::new(&destination, what, hint);
    if r.field().is_some() {
        return Err(fail(
            "a destination takes no `#key`".into(),
            "write `age:PATH`: the new key's whole JSON is stored",
        ));
    }
    let recipients = settings
        .all_recipients()
        .map_err(|what| fail(what, RECIPIENTS_HINT))?;
    #[allow(clippy::disallowed_methods)] // storing: the secret is encrypted to the store
    let json = secret.json.expose_secret().as_bytes();
    let armored = encrypt(&recipients, json)
        .map_err(|err| fail(format!("cannot encrypt: {err}"), RECIPIENTS_HINT))?;
    write_atomically(r.path(), &armored).map_err(|what| {
        fail(
            what,
            "the folder must exist and be writable by lockdown's user",
        )
    })?;
    Ok(Stored {
        destination: destination.to_string(),
        version: None,
    })
}

/// Are there recipients, and does the folder take a file? Nothing is left behind.
pub fn probe_write(settings: &Settings, r: &AgeRef) -> Result<(), SecretError> {
    let destination = Destination::Age(r.clone());
    settings
        .all_recipients()
        .map_err(|what| SecretError::new(&destination, what, RECIPIENTS_HINT))?;
    super::probe_local(&destination, r.path())?;
    let probe = temp_beside(r.path());
    crate::private::open(
        crate::private::options().write(true).create_new(true),
        &probe,
    )
    .and_then(|_| std::fs::remove_file(&probe))
    .map_err(|err| {
        SecretError::new(
            &destination,
            format!(
                "cannot create a file in `{}`: {err}",
                parent(r.path()).display()
            ),
            "the folder must be writable by lockdown's user",
        )
    })
}

/// The file's `api_key` when an identity is at hand (`Ok(None)` when none is, or there is no
/// file yet).
pub fn stored_key_id(settings: &Settings, r: &AgeRef) -> Result<Option<String>, SecretError> {
    let Some(identity) = keys::identity_path(settings.identity.as_deref()) else {
        return Ok(None);
    };
    if !r.path().exists() {
        return Ok(None);
    }
    let plaintext = decrypt(&identity, r.path())
        .map_err(|(what, hint)| SecretError::new(Destination::Age(r.clone()), what, hint))?;
    // The key id is not secret; the rest of the JSON is dropped (and zeroized) unread.
    Ok(json_field(&plaintext, "api_key").ok().map(|id| {
        #[allow(clippy::disallowed_methods)] // a key id, not a secret
        let id = id.expose_secret().to_owned();
        id
    }))
}

const RECIPIENTS_HINT: &str = "set `secrets.age.recipients` to the age public keys (`age1…`, \
                               `age-keygen -y key.txt`) or `recipients_file` to a file of them";

/// Decrypts `path` with the identity file: the plaintext, or what failed and its hint.
fn decrypt(identity: &Path, path: &Path) -> Result<Zeroizing<Vec<u8>>, (String, String)> {
    let identities = keys::identities(identity).map_err(|what| (what, IDENTITY_HINT.into()))?;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|err| {
        let what = if err.kind() == std::io::ErrorKind::NotFound {
            format!("`{shown}` does not exist")
        } else {
            format!("cannot read `{shown}`: {err}")
        };
        (
            what,
            "encrypt the secret to it: `age -r age1… -o FILE`".into(),
        )
    })?;
    let not_age = |err: age::DecryptError| match err {
        age::DecryptError::NoMatchingKeys => (
            format!(
                "the identity `{}` cannot open `{shown}`: it was encrypted to other recipients",
                identity.display()
            ),
            "encrypt it to the identity's public key (`age-keygen -y IDENTITY`)".to_owned(),
        ),
        other => (
            format!("`{shown}` is not an age file lockdown can open: {other}"),
            "encrypt it with `age` or `rage` (armored or binary)".to_owned(),
        ),
    };
    let decryptor = age::Decryptor::new_buffered(ArmoredReader::new(file)).map_err(not_age)?;
    if decryptor.is_scrypt() {
        return Err((
            format!("`{shown}` is encrypted with a passphrase, which lockdown never asks for"),
            "encrypt it to the identity's public key instead: `age -r age1… -o FILE`".to_owned(),
        ));
    }
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(not_age)?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(MAX_PLAINTEXT + 1));
    let mut chunk = Zeroizing::new([0u8; 4096]);
    loop {
        let n = reader.read(&mut chunk[..]).map_err(|err| {
            (
                format!("`{shown}` is damaged or was changed: {err}"),
                "encrypt it again".to_owned(),
            )
        })?;
        if n == 0 {
            return Ok(plaintext);
        }
        if plaintext.len() + n > MAX_PLAINTEXT {
            return Err((
                format!("`{shown}` holds more than {} KiB", MAX_PLAINTEXT / 1024),
                "encrypt only the secret".to_owned(),
            ));
        }
        plaintext.extend_from_slice(&chunk[..n]);
    }
}

/// The string at `field` of a JSON object (the rest is zeroized); what is wrong, otherwise.
fn json_field(plaintext: &[u8], field: &str) -> Result<SecretString, String> {
    let mut object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(plaintext).map_err(|_| "does not hold a JSON object".to_owned())?;
    let found = match object.get(field) {
        Some(serde_json::Value::String(text)) if !text.trim().is_empty() => {
            Ok(SecretString::from(text.trim().to_owned()))
        }
        Some(serde_json::Value::String(_)) => Err(format!("has an empty `{field}`")),
        Some(_) => Err(format!("has a `{field}` that is not a string")),
        None => {
            let keys: Vec<String> = object.keys().map(|k| format!("`{k}`")).collect();
            Err(format!("has no `{field}` (it has {})", keys.join(", ")))
        }
    };
    for value in object.values_mut() {
        if let serde_json::Value::String(text) = value {
            text.zeroize();
        }
    }
    found
}

/// The plaintext encrypted to `recipients`, ASCII-armored.
fn encrypt(recipients: &[age::x25519::Recipient], plaintext: &[u8]) -> std::io::Result<Vec<u8>> {
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(std::io::Error::other)?;
    let armor = ArmoredWriter::wrap_output(Vec::new(), Format::AsciiArmor)?;
    let mut writer = encryptor.wrap_output(armor)?;
    writer.write_all(plaintext)?;
    writer.finish()?.finish()
}

/// Writes `bytes` to a temporary file beside `path` (owner-only), syncs it and renames it over
/// `path`, so a crash leaves the old file or the new one. (Ciphertext: a leftover temporary
/// file would hold nothing readable without the identity.)
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = temp_beside(path);
    let result = (|| {
        let mut file =
            crate::private::open(crate::private::options().write(true).create_new(true), &tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(folder) = std::fs::File::open(parent(path)) {
            let _ = folder.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|err| format!("cannot write `{}`: {err}", path.display()))
}

/// `.{name}.{pid}.tmp` beside `path`: the name `store_secret` gives its temporary files.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secret".into());
    parent(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::KeyId;

    fn yaml(text: &str) -> serde_yaml::Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn references_parse_with_an_optional_json_key() {
        let base = Path::new("/cfg");
        let r = AgeRef::parse("keys/master.age#api_secret", base).unwrap();
        assert_eq!(r.path(), Path::new("/cfg/keys/master.age"));
        assert_eq!(r.field(), Some("api_secret"));
        assert_eq!(r.to_string(), "/cfg/keys/master.age#api_secret");
        let r = AgeRef::parse("/a/b.age", base).unwrap();
        assert_eq!(r.field(), None);
        for bad in ["", "#api_secret", "x.age#"] {
            assert!(AgeRef::parse(bad, base).is_err(), "{bad:?}");
        }
        assert!(AgeRef::parse_destination("x.age#api_secret", base).is_err());
        let to = Destination::parse("age:bot/key.age", base).unwrap();
        assert_eq!(to.to_string(), "age:/cfg/bot/key.age");
        assert!(Destination::parse("age:bot/key.age#api_key", base).is_err());
    }

    #[test]
    fn settings_check_recipients_when_the_config_loads() {
        let dir = Path::new("/cfg");
        let public = age::x25519::Identity::generate().to_public().to_string();
        let s = Settings::from_yaml(
            &yaml(&format!(
                "identity: key.txt\nrecipients: [{public}]\nrecipients_file: r.txt"
            )),
            dir,
        )
        .unwrap();
        assert_eq!(s.identity.as_deref(), Some(Path::new("/cfg/key.txt")));
        assert_eq!(s.recipients_file.as_deref(), Some(Path::new("/cfg/r.txt")));
        let err = Settings::from_yaml(&yaml("recipients: [age1nope]"), dir).unwrap_err();
        assert!(err.contains("recipients[0]"), "{err}");
        assert!(Settings::from_yaml(&yaml("identity_file: x"), dir).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_store_written_to_a_recipient_reads_back_with_the_identity() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let identity = age::x25519::Identity::generate();
        let key_file = dir.path().join("key.txt");
        #[allow(clippy::disallowed_methods)] // test: writes the identity file
        let text = format!("{}\n", identity.to_string().expose_secret());
        crate::private::write(&key_file, text).unwrap();
        let settings = Settings {
            identity: Some(key_file),
            recipients: vec![identity.to_public().to_string()],
            recipients_file: None,
        };
        let store = AgeRef::parse("bot.age", dir.path()).unwrap();
        let id = KeyId::new("NEWKEY000000000000");
        let json = SecretString::from(
            "{\"api_key\": \"NEWKEY000000000000\", \"api_secret\": \"s3cr3t-value\"}\n",
        );
        assert_eq!(stored_key_id(&settings, &store), Ok(None), "no file yet");
        probe_write(&settings, &store).unwrap();
        let stored = write(
            &settings,
            &store,
            &NewSecret {
                key: &id,
                json: &json,
            },
        )
        .unwrap();
        assert_eq!(stored.version, None);
        let written = std::fs::read_to_string(store.path()).unwrap();
        assert!(written.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(!written.contains("s3cr3t-value"));
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp left"
        );
        assert_eq!(
            stored_key_id(&settings, &store),
            Ok(Some("NEWKEY000000000000".into()))
        );
        let field = AgeRef::parse("bot.age#api_secret", dir.path()).unwrap();
        #[allow(clippy::disallowed_methods)] // test of the read itself
        let read_back = read(&settings, &field).unwrap().expose_secret().to_owned();
        assert_eq!(read_back, "s3cr3t-value");
        let missing = AgeRef::parse("bot.age#passphrase", dir.path()).unwrap();
        let err = read(&settings, &missing).unwrap_err();
        assert!(err.what.contains("has no `passphrase`"), "{err}");
        assert!(!err.what.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn a_passphrase_file_is_refused_without_a_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let identity = age::x25519::Identity::generate();
        let key_file = dir.path().join("key.txt");
        #[allow(clippy::disallowed_methods)] // test: writes the identity file
        let text = format!("{}\n", identity.to_string().expose_secret());
        crate::private::write(&key_file, text).unwrap();
        let encryptor =
            age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from("pw".to_owned()));
        let mut file = Vec::new();
        let mut writer = encryptor.wrap_output(&mut file).unwrap();
        writer.write_all(b"passphrase-protected").unwrap();
        writer.finish().unwrap();
        std::fs::write(dir.path().join("p.age"), file).unwrap();
        let settings = Settings {
            identity: Some(key_file),
            ..Settings::default()
        };
        let err = read(&settings, &AgeRef::parse("p.age", dir.path()).unwrap()).unwrap_err();
        assert!(err.what.contains("encrypted with a passphrase"), "{err}");
    }

    #[test]
    fn nothing_is_written_without_recipients() {
        let dir = tempfile::tempdir().unwrap();
        let store = AgeRef::parse("bot.age", dir.path()).unwrap();
        let err = probe_write(&Settings::default(), &store).unwrap_err();
        assert!(err.what.contains("no recipient"), "{err}");
        assert!(err.hint.contains("secrets.age.recipients"), "{err:?}");
    }
}
