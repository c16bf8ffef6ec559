//! The one place lockdown talks HTTP to Vault / OpenBao: a token, the `X-Vault-Token` and
//! `X-Vault-Namespace` headers, and what each answer means.
//!
//! rustls, no redirects (a redirect would carry the token somewhere not configured), a timeout
//! on every request, answers read up to a bound. Failures become [`SecretError`]s that say what
//! the server said (sealed, permission denied, not found) in words; the token, a response body
//! or a value is never in one. Runs inside [`crate::secrets::block_on`].

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::Value;

use super::settings::{Auth, RoleId, Settings};
use crate::secret::SecretString;
use crate::secrets::{SecretError, SecretRef};

/// The most of an answer that is read: a key's secret is a few hundred bytes, and a server that
/// answers megabytes is not the Vault meant.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A server's answer: its status and its JSON (`Null` when it had none).
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The `errors` list Vault answers failures with, joined (server words, never a value).
    pub fn errors(&self) -> String {
        self.body["errors"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }
}

/// A client for one operation on one reference, with the credential it logs in with.
pub(super) struct Vault<'s> {
    settings: &'s Settings,
    credential: Credential,
    http: reqwest::Client,
    addr: String,
    namespace: Option<String>,
    /// The reference as written, for errors.
    shown: String,
}

impl<'s> Vault<'s> {
    /// A client for `settings` (address and namespace from the environment where the config
    /// gives none); `shown` is the reference errors name. Credentials are read here, on the
    /// caller's thread, through the stores of the config being loaded; the HTTP calls run
    /// later, inside [`crate::secrets::block_on`].
    pub fn new(settings: &'s Settings, shown: String) -> Result<Vault<'s>, SecretError> {
        let addr = match &settings.addr {
            Some(addr) => addr.clone(),
            None => match env("VAULT_ADDR") {
                Some(addr) => super::settings::check_addr(&addr).map_err(|err| {
                    SecretError::new(
                        &shown,
                        format!("VAULT_ADDR {}", err.trim_start_matches("`addr`: ")),
                        "set VAULT_ADDR (or `secrets.vault.addr`) to the server's https:// address",
                    )
                })?,
                None => {
                    return Err(SecretError::new(
                        &shown,
                        "no Vault address",
                        "set `secrets.vault.addr` in the config or export VAULT_ADDR (e.g. https://vault.example:8200)",
                    ));
                }
            },
        };
        let namespace = settings
            .namespace
            .clone()
            .or_else(|| env("VAULT_NAMESPACE"));
        let ca_file = settings
            .ca_file
            .clone()
            .or_else(|| env("VAULT_CACERT").map(std::path::PathBuf::from));
        let _ = rustls::crypto::ring::default_provider().install_default();
        let timeout = settings.timeout();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lockdown/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &ca_file {
            let roots = std::fs::read(path)
                .ok()
                .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
                .filter(|roots| !roots.is_empty())
                .ok_or_else(|| {
                    SecretError::new(
                        &shown,
                        format!("the CA file `{}` is not a readable PEM certificate", path.display()),
                        "point `secrets.vault.ca_file` (or VAULT_CACERT) at the PEM file of the CA that signed the server's certificate",
                    )
                })?;
            builder = builder.tls_certs_only(roots);
        }
        let http = builder.build().map_err(|err| {
            SecretError::new(
                &shown,
                format!("cannot set up the HTTP client: {err}"),
                "this is a bug in lockdown; please report it",
            )
        })?;
        let mut vault = Vault {
            settings,
            credential: Credential::Session,
            http,
            addr,
            namespace,
            shown,
        };
        vault.credential = vault.credential()?;
        Ok(vault)
    }

    /// An error about this reference.
    pub fn error(&self, what: impl Into<String>, hint: impl Into<String>) -> SecretError {
        SecretError::new(&self.shown, what, hint)
    }

    /// `GET /v1/{path}` with the run's token.
    pub async fn get(&self, path: &str) -> Result<Answer, SecretError> {
        let token = self.token().await?;
        self.send(reqwest::Method::GET, path, None, Some(&token))
            .await
    }

    /// `POST /v1/{path}` with the run's token and a JSON body (which may hold a secret).
    pub async fn post(&self, path: &str, body: &SecretString) -> Result<Answer, SecretError> {
        let token = self.token().await?;
        self.send(reqwest::Method::POST, path, Some(body), Some(&token))
            .await
    }

    /// Fails with what a non-success answer means for `path`, which needed `capability`.
    pub fn refused(&self, answer: &Answer, path: &str, capability: &str) -> SecretError {
        let said = answer.errors();
        match answer.status {
            403 => self.error(
                format!(
                    "permission denied on `{path}`: the token's policies do not grant `{capability}` there, or the token expired"
                ),
                format!(
                    "add `path \"{path}\" {{ capabilities = [\"{capability}\"] }}` to the token's policy, or log in again"
                ),
            ),
            503 if said.contains("sealed") => self.error(
                format!("the Vault at {} is sealed", self.addr),
                "unseal it (`bao operator unseal` / `vault operator unseal`), then run lockdown again",
            ),
            status => self.error(
                format!(
                    "the Vault at {} answered {status} to `{path}`{}",
                    self.addr,
                    if said.is_empty() { String::new() } else { format!(": {said}") }
                ),
                "check the server's health (`bao status`) and the path",
            ),
        }
    }

    /// What this client logs in with: the run's token if there is one already, else the
    /// configured token or the AppRole ids, read now.
    fn credential(&self) -> Result<Credential, SecretError> {
        if self.session().is_some() {
            return Ok(Credential::Session);
        }
        Ok(match &self.settings.auth {
            Auth::Environment => Credential::Token(self.environment_token()?),
            Auth::Token(reference) => Credential::Token(read_ref(reference).map_err(|err| {
                self.error(format!("cannot read the Vault token: {err}"), err.hint)
            })?),
            Auth::AppRole {
                role_id,
                secret_id,
                mount,
            } => {
                let read = |r: &SecretRef, what: &str| {
                    read_ref(r).map_err(|err| {
                        self.error(format!("cannot read the AppRole {what}: {err}"), err.hint)
                    })
                };
                let role_id = match role_id {
                    RoleId::Text(text) => SecretString::from(text.clone()),
                    RoleId::Ref(r) => read(r, "role id")?,
                };
                Credential::AppRole {
                    role_id,
                    secret_id: read(secret_id, "secret id")?,
                    mount: mount.clone(),
                }
            }
        })
    }

    /// The run's token: logged in or read once, then kept in the settings' session.
    async fn token(&self) -> Result<SecretString, SecretError> {
        if let Some(token) = self.session() {
            return Ok(token);
        }
        let token = match &self.credential {
            Credential::Token(token) => token.clone(),
            Credential::AppRole {
                role_id,
                secret_id,
                mount,
            } => self.app_role(role_id, secret_id, mount).await?,
            Credential::Session => {
                return Err(self.error(
                    "the run's Vault token is gone",
                    "this is a bug in lockdown; please report it",
                ));
            }
        };
        if let Ok(mut session) = self.settings.session.lock() {
            *session = Some(token.clone());
        }
        Ok(token)
    }

    fn session(&self) -> Option<SecretString> {
        self.settings.session.lock().ok().and_then(|s| s.clone())
    }

    /// `VAULT_TOKEN`, else the token helper's `~/.vault-token` (owner-only, as the CLI writes it).
    fn environment_token(&self) -> Result<SecretString, SecretError> {
        if let Some(token) = env("VAULT_TOKEN") {
            return Ok(SecretString::from(token));
        }
        let file =
            std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".vault-token"));
        match file {
            Some(file) if file.exists() => crate::config::read_private_file(&file).map_err(|err| {
                self.error(
                    format!("cannot read the Vault token: {err}"),
                    "log in again (`bao login`), or set `secrets.vault.auth`",
                )
            }),
            _ => Err(self.error(
                "no Vault token: VAULT_TOKEN is not set and there is no ~/.vault-token",
                "export VAULT_TOKEN, or set `secrets.vault.auth` (`token: REF` or `approle:`)",
            )),
        }
    }

    /// `POST /v1/auth/{mount}/login` with the role and secret ids; the answer's
    /// `auth.client_token`.
    async fn app_role(
        &self,
        role_id: &SecretString,
        secret_id: &SecretString,
        mount: &str,
    ) -> Result<SecretString, SecretError> {
        #[allow(clippy::disallowed_methods)] // logging in: the ids go to the server
        let body = serde_json::json!({
            "role_id": role_id.expose_secret(),
            "secret_id": secret_id.expose_secret(),
        });
        let body = SecretString::from(body.to_string());
        let path = format!("auth/{mount}/login");
        let answer = self
            .send(reqwest::Method::POST, &path, Some(&body), None)
            .await?;
        if answer.status == 200 {
            return answer.body["auth"]["client_token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(|t| SecretString::from(t.to_owned()))
                .ok_or_else(|| {
                    self.error(
                        format!("the AppRole login at `{path}` gave no token"),
                        "check the role's token settings (`token_type`, `token_policies`)",
                    )
                });
        }
        let said = answer.errors();
        if answer.status == 400 && said.contains("invalid") {
            return Err(self.error(
                format!("the AppRole login at `{path}` was refused: {said}"),
                "check `secrets.vault.auth.approle`: the role id, and that the secret id is current (they expire)",
            ));
        }
        if matches!(answer.status, 403 | 404) && said.is_empty() {
            return Err(self.error(
                format!("no AppRole login at `{path}` ({})", answer.status),
                "enable the method (`bao auth enable approle`) or set `secrets.vault.auth.approle.mount`",
            ));
        }
        Err(self.refused(&answer, &path, "update"))
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&SecretString>,
        token: Option<&SecretString>,
    ) -> Result<Answer, SecretError> {
        let url = format!("{}/v1/{path}", self.addr);
        let mut request = self.http.request(method, &url);
        if let Some(token) = token {
            #[allow(clippy::disallowed_methods)] // the token goes to its server only
            let value = reqwest::header::HeaderValue::from_str(token.expose_secret());
            let mut value = value.map_err(|_| {
                self.error(
                    "the Vault token has characters a header cannot carry",
                    "check the token's source: it must hold the token alone",
                )
            })?;
            value.set_sensitive(true);
            request = request.header("X-Vault-Token", value);
        }
        if let Some(namespace) = &self.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        if let Some(body) = body {
            #[allow(clippy::disallowed_methods)] // a write or login body goes to its server only
            let bytes = body.expose_secret().as_bytes().to_vec();
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let mut response = request.send().await.map_err(|err| self.transport(&err))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(self.error(
                format!(
                    "the Vault at {} answered a redirect ({status}), not followed",
                    self.addr
                ),
                "set `secrets.vault.addr` to the address the server answers on (the active node)",
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| self.transport(&err))? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(self.error(
                    format!(
                        "the Vault at {} answered more than {MAX_ANSWER_BYTES} bytes",
                        self.addr
                    ),
                    "check that `secrets.vault.addr` is a Vault or OpenBao server",
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// What a request that got no answer means.
    fn transport(&self, err: &reqwest::Error) -> SecretError {
        let cause = root_cause(err);
        let lower = cause.to_ascii_lowercase();
        let addr = &self.addr;
        if err.is_timeout() {
            return self.error(
                format!(
                    "the Vault at {addr} did not answer within {}",
                    humantime::format_duration(self.settings.timeout())
                ),
                "check that the server is up and reachable, or raise `secrets.vault.timeout`",
            );
        }
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return self.error(
                format!("the TLS handshake with {addr} failed: {cause}"),
                "set `secrets.vault.ca_file` (or VAULT_CACERT) to the CA that signed the server's certificate, and check the address's host name",
            );
        }
        if err.is_connect() {
            return self.error(
                format!("cannot connect to the Vault at {addr}: {cause}"),
                "check `secrets.vault.addr` / VAULT_ADDR and that the server is running",
            );
        }
        self.error(
            format!("the request to the Vault at {addr} failed: {cause}"),
            "check `secrets.vault.addr` / VAULT_ADDR and that the server is running",
        )
    }
}

/// The innermost error's words (reqwest's outer ones only say "error sending request").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// What a client logs in with.
enum Credential {
    /// The token this run already has (the settings' session).
    Session,
    /// A token.
    Token(SecretString),
    /// AppRole ids, for `POST /v1/auth/{mount}/login`.
    AppRole {
        role_id: SecretString,
        secret_id: SecretString,
        mount: String,
    },
}

/// Reads a credential's reference through the stores of the config being loaded.
fn read_ref(reference: &SecretRef) -> Result<SecretString, SecretError> {
    crate::secrets::current(|stores| stores.read(reference))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
