//! `store_secret`: hand the replacement key to the bot, never to a screen.
//!
//! The secret goes to a JSON file (`{"api_key", "api_secret"}`) or a dotenv file, mode 0600,
//! written to a temporary file in the same folder, synced, then renamed over the target, so a
//! crash leaves either the old file or the new one, never half of one. A crash between the two
//! leaves the temporary file, a copy of a secret: every later attempt, a resume's probe and the
//! start of every live run remove such leftovers (`.{name}.{pid}.tmp` beside the store) first.
//! Other lines of a dotenv file are kept. Only the path and the masked key id are journaled.
//!
//! Other destinations (`vault:`, `aws-sm:`, `age:`) are written through the profile's secret
//! stores (`crate::secrets`) as a new version of `{"api_key", "api_secret"[,
//! "api_passphrase"]}`; the destination and the store's version id are journaled, nothing else.

use super::{Containment, RunEnd, StepEnd, Todo};
use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Effect, Outputs, Plan, Preflight, Probe, StepContext, StepRef};
use crate::config::SecretStore;
use crate::exchanges::model::CreatedKey;
use crate::journal::record;
use crate::playbook::schema::{object, string};
use crate::template::Tpl;

/// Parameters of `store_secret`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSecret {
    /// The `create_key` step whose key is stored.
    from: String,
    /// `file:PATH`, `env-file:PATH`, `vault:…`, `aws-sm:…` or `age:PATH` (default: the
    /// profile's `secret_store`).
    #[serde(default)]
    to: Option<Tpl<String>>,
    /// Variable names in a dotenv file.
    #[serde(default)]
    env_names: Option<EnvNames>,
}

/// The variable names written to a dotenv store.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvNames {
    /// For the key id.
    key: String,
    /// For the secret.
    secret: String,
}

impl StoreSecret {
    /// The step this stores from.
    pub fn step_refs(&self) -> Vec<StepRef> {
        vec![StepRef {
            param: "from".into(),
            step: self.from.clone(),
            action: "create_key",
        }]
    }

    fn names(&self) -> EnvNames {
        self.env_names.clone().unwrap_or(EnvNames {
            key: "LOCKDOWN_API_KEY".into(),
            secret: "LOCKDOWN_API_SECRET".into(),
        })
    }

    fn store(
        &self,
        profile: &crate::config::Profile,
        rendered: Option<String>,
    ) -> Result<SecretStore, ActionError> {
        match rendered {
            Some(text) => {
                let base = profile.state_dir.clone();
                SecretStore::parse(&text, &base).map_err(|message| ActionError::Input {
                    message,
                    hint: "write `to: file:PATH`, `env-file:PATH`, `vault:MOUNT/data/PATH`, `aws-sm:SECRET_ID` or `age:PATH`".into(),
                })
            }
            None => profile.secret_store.clone().ok_or_else(|| ActionError::Input {
                message: "nowhere to store the replacement key's secret".into(),
                hint: "set the profile's `secret_store` (e.g. `file:~/.config/bot/key.json`) or the step's `to`"
                    .into(),
            }),
        }
    }
}

impl StoreSecret {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "from": { "type": "string", "description": "the `create_key` step" },
                "to": string("`file:PATH`, `env-file:PATH`, `vault:…`, `aws-sm:…` or `age:PATH` (default: the profile's `secret_store`)"),
                "env_names": object(json!({ "key": { "type": "string" }, "secret": { "type": "string" } }), &["key", "secret"]),
            }),
            &["from"],
        )
    }
}

impl Action for StoreSecret {
    const OUTPUTS: &'static [&'static str] = &["store", "key", "version"];

    const CONTAINMENT: Containment = Containment::Completes;

    fn note(outputs: &Outputs) -> String {
        format!(
            "stored in {}",
            outputs
                .get("store")
                .and_then(Value::as_str)
                .unwrap_or_default()
        )
    }

    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        Some(super::create_key::no_replacement(end))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    /// A store problem never stops a run: the lock and the revoke do not need the store. It is
    /// said before the first request, and `create_key` probes the store again before it makes
    /// a key (a key nobody can hold is never made).
    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        let rendered = match &self.to {
            None => None,
            Some(tpl) => match pre.render(tpl) {
                None => return None,
                Some(Ok(text)) => Some(text),
                Some(Err(err)) => return Some(err),
            },
        };
        let store = match self.store(pre.profile, rendered) {
            Ok(store) => store,
            Err(err) => return Some(err),
        };
        // Local checks only: preflight must not wait on a network before the lock.
        let path = store.path()?;
        crate::secrets::probe_local(&store, path)
            .err()
            .map(|err| ActionError::Input {
                message: format!(
                    "the secret store {err}: the key will be locked and revoked, but no replacement made"
                ),
                hint: err.hint,
            })
    }

    /// Did an earlier attempt already write this run's new key to the store? (The store then
    /// names the key the `from` step created.)
    async fn probe(&self, cx: &StepContext<'_>) -> Result<Probe, ActionError> {
        let rendered = self.to.as_ref().map(|t| cx.render(t)).transpose()?;
        let store = self.store(cx.profile, rendered)?;
        if let SecretStore::File(path) | SecretStore::EnvFile(path) = &store {
            remove_stale_temps(path).map_err(|source| ActionError::Io {
                what: "remove a stale temporary copy beside",
                path: path.to_owned(),
                source,
            })?;
        }
        let Some(created) = cx
            .outputs
            .get(&self.from)
            .and_then(|o| o.get("key_id"))
            .and_then(serde_json::Value::as_str)
        else {
            return Ok(Probe::NotDone);
        };
        let names = self.names();
        let stored = match &store {
            SecretStore::File(path) => std::fs::read_to_string(path).ok().and_then(|text| {
                serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("api_key").and_then(|k| k.as_str()).map(str::to_owned))
            }),
            SecretStore::EnvFile(path) => std::fs::read_to_string(path).ok().and_then(|text| {
                text.lines().find_map(|line| {
                    let line = line.strip_prefix("export ").unwrap_or(line);
                    let (name, value) = line.split_once('=')?;
                    (name.trim() == names.key).then(|| value.trim().to_owned())
                })
            }),
            // A store that cannot tell (unreachable, or an age file without the identity) is
            // written again: the same key, a new version.
            remote => {
                let stores = std::sync::Arc::clone(&cx.profile.stores);
                let to = remote.clone();
                tokio::task::spawn_blocking(move || stores.stored_key_id(&to))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .flatten()
            }
        };
        if stored.as_deref() != Some(created) {
            return Ok(Probe::NotDone);
        }
        let mut out = Outputs::new();
        out.insert("store".into(), json!(store.describe()));
        out.insert("key".into(), json!(crate::secret::mask(created)));
        Ok(Probe::Done(out))
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let rendered = self.to.as_ref().map(|t| cx.render(t)).transpose()?;
        let store = self.store(cx.profile, rendered)?;
        let mut outputs = Outputs::new();
        outputs.insert("store".into(), json!(store.describe()));
        Ok(Plan {
            requests: Vec::new(),
            instructions: Some(format!(
                "write the key from step `{}` to {}",
                self.from,
                store.describe()
            )),
            outputs: Some(outputs),
            manual: None,
        })
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let rendered = self.to.as_ref().map(|t| cx.render(t)).transpose()?;
        let store = self.store(cx.profile, rendered)?;
        let key = cx.vault.get(&self.from).ok_or_else(|| ActionError::Input {
            message: format!("step `{}` created no key in this run", self.from),
            hint: "`from` must name a `create_key` step that succeeded".into(),
        })?;
        let names = self.names();
        let version = match &store {
            SecretStore::File(path) | SecretStore::EnvFile(path) => {
                let contents = match &store {
                    SecretStore::EnvFile(_) => env_contents(path, &names, &key)?,
                    _ => json_contents(&key),
                };
                #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
                let text = contents.expose_secret();
                write_private(path, text)?;
                None
            }
            remote => {
                let stores = std::sync::Arc::clone(&cx.profile.stores);
                let to = remote.clone();
                let json = json_contents(&key);
                let id = key.info.key.clone();
                let written = tokio::task::spawn_blocking(move || {
                    stores.write(
                        &to,
                        &crate::secrets::NewSecret {
                            key: &id,
                            json: &json,
                        },
                    )
                })
                .await
                .map_err(|err| ActionError::Input {
                    message: format!("writing to {store} stopped: {err}"),
                    hint: "run `lockdown resume`: the key exists and is stored again".into(),
                })?
                .map_err(|err| ActionError::Input {
                    message: format!("cannot store the new key in {err}"),
                    hint: err.hint,
                })?;
                written.version
            }
        };
        cx.journal(&record::SecretStored {
            step: cx.step.to_owned(),
            from: self.from.clone(),
            key: key.info.key.masked(),
            store: store.describe(),
            version: version.clone(),
        })?;
        let mut out = Outputs::new();
        out.insert("store".into(), json!(store.describe()));
        out.insert("key".into(), json!(key.info.key.masked()));
        if let Some(version) = version {
            out.insert("version".into(), json!(version));
        }
        Ok(out)
    }
}

fn json_contents(key: &CreatedKey) -> crate::secret::SecretString {
    #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
    let secret = key.secret.expose_secret();
    let mut body = json!({ "api_key": key.info.key.as_str(), "api_secret": secret });
    if let Some(passphrase) = &key.passphrase {
        #[allow(clippy::disallowed_methods)] // storing: OKX keys need their passphrase
        let passphrase = passphrase.expose_secret();
        body["api_passphrase"] = json!(passphrase);
    }
    crate::secret::SecretString::from(format!("{body:#}\n"))
}

fn env_contents(
    path: &Path,
    names: &EnvNames,
    key: &CreatedKey,
) -> Result<crate::secret::SecretString, ActionError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ActionError::Io {
                what: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    let passphrase_name = format!("{}_PASSPHRASE", names.key.trim_end_matches("_KEY"));
    let mut lines: Vec<String> = existing
        .lines()
        .filter(|line| {
            let name = line.split('=').next().unwrap_or("").trim();
            let name = name.strip_prefix("export ").unwrap_or(name).trim();
            name != names.key && name != names.secret && name != passphrase_name
        })
        .map(str::to_owned)
        .collect();
    #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
    let secret = key.secret.expose_secret();
    lines.push(format!("{}={}", names.key, key.info.key.as_str()));
    lines.push(format!("{}={secret}", names.secret));
    if let Some(passphrase) = &key.passphrase {
        #[allow(clippy::disallowed_methods)] // storing: OKX keys need their passphrase
        let passphrase = passphrase.expose_secret();
        lines.push(format!("{passphrase_name}={passphrase}"));
    }
    Ok(crate::secret::SecretString::from(lines.join("\n") + "\n"))
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "secret".into())
}

/// Removes the temporary files earlier attempts to write the store at `path` left beside it
/// (`.{name}.{pid}.tmp`: a crash between writing and renaming); returns what it removed. Names
/// that only look alike (`.{name}.backup.tmp`) are not ours and stay.
pub fn remove_stale_temps(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let prefix = format!(".{}.", file_name(path));
    let entries = match std::fs::read_dir(parent(path)) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if ours {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    Ok(removed)
}

/// Writes `contents` to `path` atomically with mode 0600.
fn write_private(path: &Path, contents: &str) -> Result<(), ActionError> {
    let dir = parent(path);
    let tmp = dir.join(format!(".{}.{}.tmp", file_name(path), std::process::id()));
    let io = |what: &'static str, p: &Path| {
        let p = p.to_owned();
        move |source| ActionError::Io {
            what,
            path: p,
            source,
        }
    };
    remove_stale_temps(path).map_err(io("remove a stale temporary copy beside", path))?;
    let result = (|| {
        let mut file =
            crate::private::open(crate::private::options().write(true).create_new(true), &tmp)
                .map_err(io("create", &tmp))?;
        file.write_all(contents.as_bytes())
            .map_err(io("write", &tmp))?;
        file.sync_all().map_err(io("sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io("replace", path))?;
        if let Ok(folder) = std::fs::File::open(&dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::KeyInfo;
    use crate::secret::{KeyId, SecretString};

    fn key() -> CreatedKey {
        CreatedKey {
            info: KeyInfo {
                key: KeyId::new("NEWKEY000000000000"),
                label: "bot".into(),
                account: None,
                is_master: false,
                read_only: false,
                permissions: vec![],
                ips: vec![],
                created_at: None,
                expires_at: None,
            },
            secret: SecretString::from("new-secret"),
            passphrase: None,
        }
    }

    #[cfg(unix)]
    #[test]
    fn writes_private_files_and_keeps_other_env_lines() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bot.env");
        std::fs::write(&path, "OTHER=1\nLOCKDOWN_API_SECRET=old\n").unwrap();
        let names = EnvNames {
            key: "LOCKDOWN_API_KEY".into(),
            secret: "LOCKDOWN_API_SECRET".into(),
        };
        let contents = env_contents(&path, &names, &key()).unwrap();
        #[allow(clippy::disallowed_methods)] // test of the store itself
        let text = contents.expose_secret();
        write_private(&path, text).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "OTHER=1\nLOCKDOWN_API_KEY=NEWKEY000000000000\nLOCKDOWN_API_SECRET=new-secret\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }

    #[test]
    fn only_its_own_stale_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("key.json");
        let cases = [
            (".key.json.99999.tmp", false),
            (".key.json.1.tmp", false),
            (".key.json.backup.tmp", true),
            (".key.json..tmp", true),
            (".other.json.99999.tmp", true),
            ("key.json", true),
        ];
        for (name, _) in cases {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let removed = remove_stale_temps(&store).unwrap();
        assert_eq!(removed.len(), 2);
        for (name, kept) in cases {
            assert_eq!(dir.path().join(name).exists(), kept, "{name}");
        }
        // A folder that does not exist yet holds nothing to remove.
        assert!(
            remove_stale_temps(&dir.path().join("none").join("key.json"))
                .unwrap()
                .is_empty()
        );
    }
}
