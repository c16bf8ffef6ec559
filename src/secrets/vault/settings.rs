//! `secrets.vault`: where the Vault / OpenBao server is and how lockdown logs in to it.
//!
//! Every field defaults to the environment variable the `vault` and `bao` CLIs read
//! (`VAULT_ADDR`, `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_TOKEN`, then the token helper's
//! `~/.vault-token`), read when a `vault:` reference is used, so a config with no `secrets:`
//! section works where the CLI does. The token is itself a secret reference (`env:`, `file:`,
//! `cmd:`), or an AppRole login made once per run; the token it yields is kept in
//! [`Settings`]' session for the run and never shown: `Debug` prints references only.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

use crate::secret::SecretString;
use crate::secrets::{SecretRef, resolve_path};

/// How long one request to the server may take, where `timeout` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// `secrets.vault`, checked.
#[derive(Clone, Default)]
pub struct Settings {
    /// `addr` (else `VAULT_ADDR`).
    pub addr: Option<String>,
    /// `namespace` (else `VAULT_NAMESPACE`): the `X-Vault-Namespace` header.
    pub namespace: Option<String>,
    /// `ca_file` (else `VAULT_CACERT`): the only roots the server's certificate is checked
    /// against, as the CLI does.
    pub ca_file: Option<PathBuf>,
    /// How lockdown gets a token.
    pub auth: Auth,
    /// `timeout` per request (default 10 s).
    pub timeout: Option<Duration>,
    /// The token this run logged in with (AppRole) or read, shared by clones of these settings.
    pub(super) session: Arc<Mutex<Option<SecretString>>>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let has_token = self.session.lock().map(|s| s.is_some()).unwrap_or(false);
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("namespace", &self.namespace)
            .field("ca_file", &self.ca_file)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("token", &if has_token { "<redacted>" } else { "none yet" })
            .finish()
    }
}

/// How lockdown gets a Vault token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// `VAULT_TOKEN`, else `~/.vault-token` (what the CLI's token helper writes).
    #[default]
    Environment,
    /// `auth: { token: REF }`.
    Token(SecretRef),
    /// `auth: { approle: { role_id, secret_id, mount } }`: `POST /v1/auth/<mount>/login`.
    AppRole {
        /// The role id: text (it is not secret by design) or a reference.
        role_id: RoleId,
        /// The secret id, a reference.
        secret_id: SecretRef,
        /// Where the AppRole method is mounted (default `approle`).
        mount: String,
    },
}

/// An AppRole role id, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleId {
    /// Written in the config.
    Text(String),
    /// Read through a reference.
    Ref(SecretRef),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    addr: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
    #[serde(default)]
    auth: Option<RawAuth>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    approle: Option<RawAppRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppRole {
    role_id: String,
    secret_id: String,
    #[serde(default)]
    mount: Option<String>,
}

impl Settings {
    /// Parses `secrets.vault`; relative paths resolve against `dir`.
    pub fn from_yaml(value: &serde_yaml::Value, dir: &Path) -> Result<Settings, String> {
        let raw: RawSettings = serde_path_to_error::deserialize(value.clone()).map_err(|err| {
            let at = err.path().to_string();
            if at == "." || at.is_empty() {
                err.inner().to_string()
            } else {
                format!("`{at}`: {}", err.inner())
            }
        })?;
        let addr = match raw.addr {
            Some(addr) => Some(check_addr(&addr)?),
            None => None,
        };
        let timeout = match raw.timeout {
            None => None,
            Some(text) => {
                let timeout = humantime::parse_duration(text.trim())
                    .map_err(|err| format!("`timeout`: `{text}` is not a duration ({err})"))?;
                if timeout.is_zero() || timeout > Duration::from_secs(300) {
                    return Err(format!(
                        "`timeout`: `{text}` must be more than 0 and at most 5m"
                    ));
                }
                Some(timeout)
            }
        };
        let auth = match raw.auth {
            None => Auth::Environment,
            Some(auth) => parse_auth(auth, dir)?,
        };
        Ok(Settings {
            addr,
            namespace: raw
                .namespace
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            ca_file: raw.ca_file.map(|p| resolve_path(p.trim(), dir)),
            auth,
            timeout,
            session: Arc::default(),
        })
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT)
    }
}

fn parse_auth(raw: RawAuth, dir: &Path) -> Result<Auth, String> {
    match (raw.token, raw.approle) {
        (Some(_), Some(_)) => Err("`auth`: give `token` or `approle`, not both".to_owned()),
        (None, None) => Err("`auth`: give `token: REF` or `approle: {role_id, secret_id}`".into()),
        (Some(token), None) => token_ref(&token, "auth.token", dir).map(Auth::Token),
        (None, Some(approle)) => {
            let role_id = if SecretRef::is_reference(&approle.role_id) {
                RoleId::Ref(token_ref(&approle.role_id, "auth.approle.role_id", dir)?)
            } else if approle.role_id.trim().is_empty() {
                return Err("`auth.approle.role_id` is empty".into());
            } else {
                RoleId::Text(approle.role_id.trim().to_owned())
            };
            let secret_id = token_ref(&approle.secret_id, "auth.approle.secret_id", dir)?;
            let mount = approle
                .mount
                .map(|m| m.trim().trim_matches('/').to_owned())
                .unwrap_or_else(|| "approle".to_owned());
            if mount.is_empty() {
                return Err("`auth.approle.mount` is empty".into());
            }
            Ok(Auth::AppRole {
                role_id,
                secret_id,
                mount,
            })
        }
    }
}

/// A reference to a Vault credential: any scheme but `vault:` (a token cannot come from the
/// server it unlocks).
fn token_ref(text: &str, field: &str, dir: &Path) -> Result<SecretRef, String> {
    let reference = SecretRef::parse(text, dir).map_err(|err| format!("`{field}`: {err}"))?;
    if let SecretRef::Vault(_) = reference {
        return Err(format!(
            "`{field}`: a Vault credential cannot come from Vault itself; use `env:`, `file:` or `cmd:`"
        ));
    }
    Ok(reference)
}

/// Checks a server address: https, or http to this machine only.
pub(super) fn check_addr(addr: &str) -> Result<String, String> {
    let addr = addr.trim().trim_end_matches('/');
    crate::config::check_url(addr).map_err(|err| format!("`addr`: {err}"))?;
    Ok(addr.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Settings, String> {
        let value: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        Settings::from_yaml(&value, Path::new("/cfg"))
    }

    #[test]
    fn settings_parse_with_defaults() {
        let s =
            parse("addr: https://vault.example:8200/\nnamespace: team\nca_file: ca.pem\n").unwrap();
        assert_eq!(s.addr.as_deref(), Some("https://vault.example:8200"));
        assert_eq!(s.namespace.as_deref(), Some("team"));
        assert_eq!(s.ca_file, Some(PathBuf::from("/cfg/ca.pem")));
        assert_eq!(s.auth, Auth::Environment);
        assert_eq!(s.timeout(), DEFAULT_TIMEOUT);

        let s = parse("auth:\n  approle: { role_id: abc, secret_id: file:sid }\ntimeout: 3s\n")
            .unwrap();
        assert_eq!(
            s.auth,
            Auth::AppRole {
                role_id: RoleId::Text("abc".into()),
                secret_id: SecretRef::File("/cfg/sid".into()),
                mount: "approle".into(),
            }
        );
        assert_eq!(s.timeout(), Duration::from_secs(3));
        let s = parse("auth: { token: env:BAO_TOKEN }").unwrap();
        assert_eq!(s.auth, Auth::Token(SecretRef::Env("BAO_TOKEN".into())));
    }

    #[test]
    fn bad_settings_are_refused() {
        for (label, yaml, says) in [
            (
                "remote http",
                "addr: http://vault.example:8200",
                "plain http",
            ),
            (
                "unknown field",
                "adress: https://x",
                "unknown field `adress`",
            ),
            (
                "literal token",
                "auth: { token: hvs.abcdef }",
                "not a value",
            ),
            (
                "vault token",
                "auth: { token: vault:secret/data/t#token }",
                "Vault itself",
            ),
            (
                "both",
                "auth: { token: env:T, approle: { role_id: a, secret_id: env:S } }",
                "not both",
            ),
            (
                "no secret id",
                "auth: { approle: { role_id: a } }",
                "secret_id",
            ),
            ("zero timeout", "timeout: 0s", "more than 0"),
        ] {
            let err = parse(yaml).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
        }
    }

    #[test]
    fn debug_never_shows_a_token() {
        let s = parse("auth: { token: env:VAULT_TOKEN }").unwrap();
        *s.session.lock().unwrap() = Some(SecretString::from("hvs.CANARY".to_owned()));
        let shown = format!("{s:?}");
        assert!(!shown.contains("CANARY"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
