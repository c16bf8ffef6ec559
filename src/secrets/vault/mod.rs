//! `vault:` references: a field of a HashiCorp Vault / OpenBao KV v2 secret
//! (`vault:secret/data/bybit#api_secret`), and a KV v2 secret as a replacement key's store
//! (`secret_store: vault:secret/data/bot`).
//!
//! Why check-and-set: the bot, an operator or a second lockdown may write the same secret
//! while a response runs. A write names the version it read (`options.cas`), so the server
//! refuses it if anyone wrote in between; lockdown then reads again and tries once more, and
//! after a second conflict says so rather than overwrite. Nothing is ever written by a probe.
//!
//! Plain `reqwest` (already the crate's HTTP stack) rather than a Vault client crate: five
//! endpoints do not earn a second HTTP stack (see docs/secrets.md). Only the reference and the
//! KV version number ever leave this module in an error, a log line or the journal.

mod client;
mod reference;
mod settings;

use secrecy::ExposeSecret;
use serde_json::Value;

pub use reference::VaultRef;
pub use settings::{Auth, DEFAULT_TIMEOUT, RoleId, Settings};

use super::{NewSecret, SecretError, Stored};
use crate::secret::SecretString;
use client::{Answer, Vault};

/// Reads one field of the current version.
pub fn read(settings: &Settings, r: &VaultRef) -> Result<SecretString, SecretError> {
    let shown = format!("vault:{r}");
    let Some(field) = r.field() else {
        return Err(SecretError::new(
            &shown,
            "a `vault:` secret reference names the field to read",
            format!("write `vault:{}#FIELD`, e.g. `#api_secret`", r.path()),
        ));
    };
    let vault = Vault::new(settings, shown)?;
    let path = r.path();
    let answer = run(&vault, vault.get(&path))?;
    if answer.status == 404 {
        return Err(not_found(&vault, &answer, &path));
    }
    if answer.status != 200 {
        return Err(vault.refused(&answer, &path, "read"));
    }
    let data = &answer.body["data"]["data"];
    match data.get(field) {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            Ok(SecretString::from(text.trim().to_owned()))
        }
        Some(Value::String(_)) => Err(vault.error(
            format!("field `{field}` of `{path}` is empty"),
            "write the secret into that field (`bao kv patch`)",
        )),
        Some(_) => Err(vault.error(
            format!("field `{field}` of `{path}` is not text"),
            "store the secret as a string",
        )),
        None => {
            let fields: Vec<&str> = data
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            Err(vault.error(
                format!("`{path}` has no field `{field}`"),
                if fields.is_empty() {
                    "the current version holds no fields".to_owned()
                } else {
                    format!("its fields are {}", backticked(&fields))
                },
            ))
        }
    }
}

/// Writes the new key as a new version of the secret, with check-and-set: the version read
/// just before is the only one the write may follow. A conflict is read again and tried once
/// more; a second one is an error (another writer is active), and nothing is overwritten.
pub fn write(
    settings: &Settings,
    r: &VaultRef,
    secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    let shown = format!("vault:{r}");
    refuse_field(r, &shown)?;
    let vault = Vault::new(settings, shown.clone())?;
    let path = r.path();
    // One runtime for the whole exchange: the version read and the write share a connection.
    let written = run(&vault, async {
        for _ in 0..2 {
            let version = current_version(&vault, r).await?;
            #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
            let json = secret.json.expose_secret().trim();
            let body = SecretString::from(format!(
                "{{\"options\":{{\"cas\":{version}}},\"data\":{json}}}"
            ));
            let answer = vault.post(&path, &body).await?;
            if answer.status == 200 {
                return answer.body["data"]["version"].as_u64().ok_or_else(|| {
                    vault.error(
                        format!("the write to `{path}` was answered without a version"),
                        "check that the mount is a KV version 2 engine",
                    )
                });
            }
            let conflict = answer.status == 400 && answer.errors().contains("check-and-set");
            if !conflict {
                let capability = if version == 0 { "create" } else { "update" };
                return Err(vault.refused(&answer, &path, capability));
            }
        }
        Err(vault.error(
            format!(
                "another writer changed `{path}` between lockdown's read and its write, twice \
                 (check-and-set conflict): nothing was overwritten"
            ),
            "find who else writes this secret (the bot, a deploy job), then run `lockdown resume` to store the key again",
        ))
    })?;
    Ok(Stored {
        destination: shown,
        version: Some(written.to_string()),
    })
}

/// Could the token write a new version there? Asks the server for the token's capabilities
/// on the data and metadata paths (`sys/capabilities-self`, which also proves the token is
/// valid) and reads the current version; writes nothing.
pub fn probe_write(settings: &Settings, r: &VaultRef) -> Result<(), SecretError> {
    let shown = format!("vault:{r}");
    refuse_field(r, &shown)?;
    let vault = Vault::new(settings, shown)?;
    let (path, metadata) = (r.path(), r.metadata_path());
    let body = SecretString::from(
        serde_json::json!({ "paths": [path.clone(), metadata.clone()] }).to_string(),
    );
    run(&vault, async {
        let answer = vault.post("sys/capabilities-self", &body).await?;
        if answer.status == 403 {
            return Err(vault.error(
                "the Vault token was refused (expired, revoked or not a token)",
                "log in again, or check `secrets.vault.auth`",
            ));
        }
        if answer.status != 200 {
            return Err(vault.refused(&answer, "sys/capabilities-self", "update"));
        }
        let granted = |p: &str| -> Vec<String> {
            answer.body["data"][p]
                .as_array()
                .or_else(|| answer.body[p].as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (on_data, on_metadata) = (granted(&path), granted(&metadata));
        let has =
            |list: &[String], capability: &str| list.iter().any(|c| c == capability || c == "root");
        if !has(&on_data, "read") && !has(&on_metadata, "read") {
            return Err(missing(&vault, &path, &on_data, "read"));
        }
        let version = current_version(&vault, r).await?;
        let needed = if version == 0 { "create" } else { "update" };
        if !has(&on_data, needed) {
            return Err(missing(&vault, &path, &on_data, needed));
        }
        Ok(())
    })
}

/// The `api_key` field of the current version (`None`: no secret there yet, or no such
/// field).
pub fn stored_key_id(settings: &Settings, r: &VaultRef) -> Result<Option<String>, SecretError> {
    let vault = Vault::new(settings, format!("vault:{r}"))?;
    let path = r.path();
    let answer = run(&vault, vault.get(&path))?;
    match answer.status {
        404 => Ok(None),
        200 => Ok(answer.body["data"]["data"]["api_key"]
            .as_str()
            .map(str::to_owned)),
        _ => Err(vault.refused(&answer, &path, "read")),
    }
}

/// The secret's current version (0 when it has none yet): from the metadata endpoint, or,
/// where the token may not read metadata, from the data endpoint's `metadata.version` (a
/// deleted current version answers 404 with its metadata).
async fn current_version(vault: &Vault<'_>, r: &VaultRef) -> Result<u64, SecretError> {
    let metadata = r.metadata_path();
    let answer = vault.get(&metadata).await?;
    match answer.status {
        200 => return Ok(answer.body["data"]["current_version"].as_u64().unwrap_or(0)),
        404 => return Ok(0),
        403 => {}
        _ => return Err(vault.refused(&answer, &metadata, "read")),
    }
    let path = r.path();
    let answer = vault.get(&path).await?;
    match answer.status {
        200 | 404 => Ok(answer.body["data"]["metadata"]["version"]
            .as_u64()
            .unwrap_or(0)),
        _ => Err(vault.refused(&answer, &path, "read")),
    }
}

/// Runs one operation's requests on the helper thread.
fn run<T: Send>(
    vault: &Vault<'_>,
    future: impl std::future::Future<Output = Result<T, SecretError>> + Send,
) -> Result<T, SecretError> {
    super::block_on(future)
        .map_err(|err| vault.error(err, "this is a bug in lockdown; please report it"))?
}

fn not_found(vault: &Vault<'_>, answer: &Answer, path: &str) -> SecretError {
    let metadata = &answer.body["data"]["metadata"];
    let deleted = metadata["deletion_time"]
        .as_str()
        .is_some_and(|t| !t.is_empty())
        || metadata["destroyed"].as_bool() == Some(true);
    if deleted {
        vault.error(
            format!(
                "the current version ({}) of `{path}` is deleted",
                metadata["version"].as_u64().unwrap_or(0)
            ),
            "undelete it (`bao kv undelete`) or write the secret again",
        )
    } else {
        vault.error(
            format!("no secret at `{path}`"),
            "check the mount and path (`bao kv list`): the reference is the API path, `MOUNT/data/PATH#FIELD`",
        )
    }
}

fn missing(vault: &Vault<'_>, path: &str, granted: &[String], capability: &str) -> SecretError {
    let has = if granted.is_empty() || granted.iter().all(|c| c == "deny") {
        "no capability".to_owned()
    } else {
        let list: Vec<&str> = granted.iter().map(String::as_str).collect();
        format!("only {}", backticked(&list))
    };
    vault.error(
        format!("the token's policies grant {has} on `{path}`, not `{capability}`"),
        format!(
            "add `path \"{path}\" {{ capabilities = [\"create\", \"update\", \"read\"] }}` to the token's policy"
        ),
    )
}

fn refuse_field(r: &VaultRef, shown: &str) -> Result<(), SecretError> {
    match r.field() {
        None => Ok(()),
        Some(_) => Err(SecretError::new(
            shown,
            "a `vault:` secret store names a secret, not a field: the new key is written as its fields `api_key` and `api_secret`",
            format!("write `vault:{}`", r.path()),
        )),
    }
}

fn backticked(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
