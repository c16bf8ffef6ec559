//! `aws-sm:` references: an AWS Secrets Manager secret or one JSON key of it
//! (`aws-sm:prod/bybit#api_secret`), and a secret as a replacement key's store.
//!
//! Reads are `GetSecretValue` (the `SecretString`, or one key of its JSON). A store writes the
//! new key's JSON as a new version (`PutSecretValue`) labelled `secrets.aws.version_stage`,
//! with a `ClientRequestToken` derived from the key id: a retried write of the same key is the
//! same version, never a second one. A missing secret is created only when `secrets.aws.create`
//! says so. `check` probes a store with `DescribeSecret` (nothing written, no value read), and
//! `resume` asks the stored version's `api_key`.
//!
//! Every call runs on [`crate::secrets::block_on`], bounded by `secrets.aws.timeout`. Errors
//! name the reference and the region asked; never a credential, never a value.

mod client;
mod failure;
mod reference;
mod settings;

use std::time::Duration;

use sha2::{Digest, Sha256};

pub use reference::AwsRef;
pub use settings::{OnMissing, Settings};

use super::{NewSecret, SecretError, Stored};
use crate::secret::SecretString;
use client::Session;
use failure::Failure;

/// Reads the secret, or one key of its JSON.
pub fn read(settings: &Settings, r: &AwsRef) -> Result<SecretString, SecretError> {
    let reference = format!("aws-sm:{r}");
    let text = run(settings, r, &reference, |session| async move {
        session.get(r.path(), None).await
    })?;
    match r.field() {
        None => Ok(text),
        Some(key) => {
            json_key(&text, key).map_err(|(what, hint)| SecretError::new(&reference, what, hint))
        }
    }
}

/// Writes a new version (`PutSecretValue`; `CreateSecret` first if the secret is missing and
/// `create: true`).
pub fn write(
    settings: &Settings,
    r: &AwsRef,
    secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    let reference = format!("aws-sm:{r}");
    if r.field().is_some() {
        return Err(field_in_destination(&reference));
    }
    let token = request_token(secret.key.as_str());
    let version = run(settings, r, &reference, |session| {
        let token = token.clone();
        async move {
            match session
                .put(r.path(), secret.json, &token, &settings.version_stage)
                .await
            {
                Err(Failure::NotFound)
                    if settings.on_missing == OnMissing::Create && !r.is_arn() =>
                {
                    session.create(r.path(), secret.json, &token).await
                }
                other => other,
            }
        }
    })?;
    Ok(Stored {
        destination: reference,
        version,
    })
}

/// Could a new version be written now? `DescribeSecret`: the credentials work in that region
/// and the secret exists and is not scheduled for deletion (or may be created). Whether
/// `PutSecretValue` itself is allowed cannot be asked without writing.
pub fn probe_write(settings: &Settings, r: &AwsRef) -> Result<(), SecretError> {
    let reference = format!("aws-sm:{r}");
    if r.field().is_some() {
        return Err(field_in_destination(&reference));
    }
    let probed = run(settings, r, &reference, |session| async move {
        match session.describe(r.path()).await {
            Ok(described) => Ok(Probe::Exists(described)),
            Err(Failure::NotFound) => Ok(Probe::Missing(session.region.clone())),
            Err(other) => Err(other),
        }
    })?;
    match probed {
        Probe::Exists(described) if described.deleted => Err(SecretError::new(
            &reference,
            "the secret is scheduled for deletion: a new version would be refused",
            "restore it (`aws secretsmanager restore-secret --secret-id ID`) or name another secret",
        )),
        Probe::Exists(_) => Ok(()),
        Probe::Missing(_) if settings.on_missing == OnMissing::Create && !r.is_arn() => Ok(()),
        Probe::Missing(region) => {
            let mut err =
                Failure::NotFound.into_error(&reference, &region, settings.endpoint.as_deref());
            err.hint = if r.is_arn() {
                "check the ARN: lockdown never creates a secret named by ARN".into()
            } else {
                format!(
                    "create it before the incident (`aws secretsmanager create-secret --name {} --region {region}`), set `secrets.aws.create: true`, or check `secrets.aws.region`",
                    r.path()
                )
            };
            Err(err)
        }
    }
}

/// What `DescribeSecret` found.
enum Probe {
    Exists(client::Described),
    /// Not in this region.
    Missing(String),
}

/// The `api_key` of the version labelled `secrets.aws.version_stage` (resume's probe);
/// `Ok(None)` when the secret or that version does not exist, or holds no `api_key`.
pub fn stored_key_id(settings: &Settings, r: &AwsRef) -> Result<Option<String>, SecretError> {
    let reference = format!("aws-sm:{r}");
    let text = run(settings, r, &reference, |session| async move {
        match session.get(r.path(), Some(&settings.version_stage)).await {
            Ok(text) => Ok(Some(text)),
            Err(Failure::NotFound) => Ok(None),
            Err(other) => Err(other),
        }
    })?;
    Ok(text
        .and_then(|text| json_key(&text, "api_key").ok())
        .map(|id| {
            #[allow(clippy::disallowed_methods)]
            // a key id, not a secret: compared with the new key's
            let id = secrecy::ExposeSecret::expose_secret(&id).to_owned();
            id
        }))
}

/// Opens a session for `r` and runs `call` on it on a helper thread, the whole bounded by
/// `settings.timeout`; failures become errors about `reference`.
fn run<'a, T, F, Fut>(
    settings: &'a Settings,
    r: &'a AwsRef,
    reference: &str,
    call: F,
) -> Result<T, SecretError>
where
    T: Send,
    F: FnOnce(Session) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<T, Failure>> + Send + 'a,
{
    let asked = r
        .region()
        .or(settings.region.as_deref())
        .unwrap_or("the AWS chain's")
        .to_owned();
    let outcome = super::block_on(async move {
        let work = async move {
            let session = Session::open(settings, r.region()).await?;
            let region = session.region.clone();
            call(session)
                .await
                .map_err(|failure| (failure, Some(region)))
        };
        // The SDK bounds each attempt; this bounds the whole, credentials and retries included.
        match tokio::time::timeout(settings.timeout + Duration::from_secs(1), work).await {
            Ok(done) => done,
            Err(_) => Err((Failure::TimedOut, None)),
        }
    });
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err((failure, region))) => Err(failure.into_error(
            reference,
            region.as_deref().unwrap_or(&asked),
            settings.endpoint.as_deref(),
        )),
        Err(what) => Err(SecretError::new(
            reference,
            what,
            "this is a bug in lockdown; please report it",
        )),
    }
}

/// One key of a JSON object secret: a string as is, a number or boolean as its text.
fn json_key(text: &SecretString, key: &str) -> Result<SecretString, (String, String)> {
    #[allow(clippy::disallowed_methods)] // reading: the secret's JSON is parsed for one key
    let parsed: Result<serde_json::Value, _> =
        serde_json::from_str(secrecy::ExposeSecret::expose_secret(text));
    let Ok(serde_json::Value::Object(map)) = parsed else {
        return Err((
            format!("the secret is not a JSON object, so it has no key `{key}`"),
            "drop the `#KEY` to read the whole secret, or store it as JSON (`{\"api_secret\": \"...\"}`)".into(),
        ));
    };
    match map.get(key) {
        Some(serde_json::Value::String(value)) => Ok(SecretString::from(value.clone())),
        Some(value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            Ok(SecretString::from(value.to_string()))
        }
        Some(_) => Err((
            format!("the secret's key `{key}` holds an object, a list or null, not a value"),
            "point `#KEY` at a key whose value is a string".into(),
        )),
        None => {
            let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
            keys.sort_unstable();
            Err((
                format!("the secret's JSON has no key `{key}`"),
                format!("its keys are: {}", keys.join(", ")),
            ))
        }
    }
}

/// The `ClientRequestToken` for storing key `key_id`: the same key always gets the same token,
/// so a retried `PutSecretValue` is the same version (AWS ignores a repeat with the same data).
/// The API wants 32 to 64 characters.
fn request_token(key_id: &str) -> String {
    let digest = Sha256::digest(format!("lockdown aws-sm store {key_id}").as_bytes());
    format!("lockdown-{}", &hex::encode(digest)[..32])
}

fn field_in_destination(reference: &str) -> SecretError {
    SecretError::new(
        reference,
        "a secret store is a whole secret, not one JSON key of it",
        "drop the `#KEY`: the store's version holds `{\"api_key\", \"api_secret\"}`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    fn shown(value: &SecretString) -> String {
        #[allow(clippy::disallowed_methods)] // test: compares a read value
        secrecy::ExposeSecret::expose_secret(value).to_owned()
    }

    #[test]
    fn json_keys_are_read_and_missing_ones_named() {
        let text = secret(r#"{"api_key":"K1","api_secret":"S1","n":7,"o":{}}"#);
        assert_eq!(shown(&json_key(&text, "api_secret").unwrap()), "S1");
        assert_eq!(shown(&json_key(&text, "n").unwrap()), "7");
        let (what, hint) = json_key(&text, "secret").unwrap_err();
        assert!(what.contains("no key `secret`"), "{what}");
        assert_eq!(hint, "its keys are: api_key, api_secret, n, o");
        assert!(json_key(&text, "o").unwrap_err().0.contains("not a value"));
        let (what, _) = json_key(&secret("plain-S1"), "k").unwrap_err();
        assert!(what.contains("not a JSON object"), "{what}");
        assert!(!what.contains("plain-S1"));
    }

    #[test]
    fn the_request_token_is_per_key_and_fits_the_api() {
        let one = request_token("KEY1");
        assert_eq!(one, request_token("KEY1"), "a retry is the same version");
        assert_ne!(one, request_token("KEY2"));
        assert!((32..=64).contains(&one.len()), "{one}");
    }

    #[test]
    fn a_store_is_a_whole_secret() {
        let r = AwsRef::parse("bot/replacement#api_key").unwrap();
        let err = probe_write(&Settings::default(), &r).unwrap_err();
        assert!(err.what.contains("not one JSON key"), "{err}");
    }
}
