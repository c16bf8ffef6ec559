//! A validated profile: the venue, where to reach it, and the resolved credentials.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::credential::{SecretRef, resolve_path};
use super::raw::RawProfile;
use crate::exchanges::{AuthStyle, ExchangeId, KeyFamily, VenueSettings};
use crate::secret::{Credential, KeyId};
use crate::source::{Problem, Problems, Source, did_you_mean};
use crate::venues::VENUE_FIELDS;

/// One exchange account, ready to respond on.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name.
    pub name: String,
    /// The venue.
    pub exchange: ExchangeId,
    /// The REST base URL (https, or http on loopback).
    pub base_url: String,
    /// The master credential.
    pub master: Credential,
    /// The bots' keys the owner holds.
    pub keys: Vec<OwnedKey>,
    /// The address lockdown responds from: a leaked key is locked to it.
    pub responder_ip: IpAddr,
    /// The addresses the bots run from: replacement keys are bound to them.
    pub bot_ips: Vec<IpAddr>,
    /// The bots' order ledger.
    pub known_orders: Option<PathBuf>,
    /// How far the ledger may lag behind the bots' orders (the diff's `owner_unconfirmed`).
    pub ledger_lag: Duration,
    /// How old the ledger's newest entry may be before `lockdown check` calls it stale.
    pub ledger_max_age: Duration,
    /// Where runs are kept.
    pub state_dir: PathBuf,
    /// Where a replacement key's secret goes.
    pub secret_store: Option<SecretStore>,
    /// The playbook the profile responds with; `None`: the one shipped for the venue.
    pub playbook: Option<PathBuf>,
    /// A URL that answers this machine's egress address (`lockdown check` only): plain text, or
    /// JSON with `ip`.
    pub ip_echo: Option<String>,
    /// Venue settings (demo trading, authentication style).
    pub settings: VenueSettings,
    /// Fields the profile sets that this venue does not read (of [`VENUE_FIELDS`]): said before
    /// a run, never a reason to stop one.
    pub ignored_fields: Vec<&'static str>,
    /// Bot keys whose secret could not be read (a store down, a file gone), with why and the
    /// fix: the key is kept without its secret and the response goes on (the lock and the
    /// revoke need the master only; what needs the key's own secret says so when it fails).
    pub unread_keys: Vec<UnreadKey>,
    /// The config's secret stores (its `secrets:` settings and the run's read cache): the
    /// replacement key is written through them.
    pub stores: std::sync::Arc<crate::secrets::Stores>,
    /// How the bot picks up its replacement key (the `handoff` step); `None`: by hand.
    pub handoff: Option<super::BotHandoff>,
}

/// A bot key whose secret reference did not read.
#[derive(Debug, Clone)]
pub struct UnreadKey {
    /// The key.
    pub id: KeyId,
    /// The key, masked.
    pub key: String,
    /// Where in the config, and what failed (`file:line:col: …`; never a value).
    pub why: String,
    /// How to fix it.
    pub hint: String,
}

/// A bot key the owner holds.
#[derive(Debug, Clone)]
pub struct OwnedKey {
    /// The key id.
    pub id: KeyId,
    /// A name for people.
    pub label: String,
    /// The sub-account the key belongs to, when known.
    pub account: Option<String>,
    /// The key with its secret, when the owner has it.
    pub credential: Option<Credential>,
}

/// Where a replacement key's secret is written (see [`crate::secrets::Destination`]).
pub type SecretStore = crate::secrets::Destination;

impl Profile {
    /// Why `ip_echo` may not be asked (not https, nor http to loopback); `None` when it may, or
    /// when there is none.
    pub fn ip_echo_problem(&self) -> Option<String> {
        check_base_url(self.ip_echo.as_deref()?).err()
    }

    /// The bot key with this id.
    pub fn key(&self, id: &KeyId) -> Option<&OwnedKey> {
        self.keys.iter().find(|key| &key.id == id)
    }

    /// What templates may read of the profile: nothing secret.
    pub fn template_view(&self) -> Value {
        json!({
            "name": self.name,
            "exchange": self.exchange.as_str(),
            "base_url": self.base_url,
            // A key id, not a secret: playbooks name the owner's own key with it (Kraken).
            "owner_key": self.master.key.as_str(),
            "responder_ip": self.responder_ip.to_string(),
            "bot_ips": self.bot_ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "known_orders": self.known_orders.as_ref().map(|p| p.display().to_string()),
            "state_dir": self.state_dir.display().to_string(),
            "secret_store": self.secret_store.as_ref().map(SecretStore::describe),
        })
    }
}

/// How far a bot's ledger may lag behind its orders unless the profile says.
pub const DEFAULT_LEDGER_LAG: Duration = Duration::from_secs(10);

/// How old a ledger's newest entry may be unless the profile says: a bot that trades daily has
/// written one within a day.
pub const DEFAULT_LEDGER_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The profile fields templates may name.
pub const TEMPLATE_FIELDS: &[&str] = &[
    "name",
    "exchange",
    "base_url",
    "owner_key",
    "responder_ip",
    "bot_ips",
    "known_orders",
    "state_dir",
    "secret_store",
];

/// Whether a validation reads the secrets its references name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// Read every reference (a profile to respond with).
    Read,
    /// Check the references' syntax only and stand a placeholder in for each secret: the
    /// profile's shape, for a drill of it that never needs (nor reads) the owner's secrets.
    Unread,
}

/// Checks a raw profile, resolving its credentials (unless `secrets` says not to read them);
/// collects every problem.
pub fn validate(
    source: &Source,
    name: &str,
    raw: &RawProfile,
    dir: &Path,
    secrets: Secrets,
    stores: std::sync::Arc<crate::secrets::Stores>,
) -> Result<Profile, Problems> {
    // References resolve through the config's stores (`SecretRef::resolve` reads them).
    crate::secrets::with_stores(&stores.clone(), || {
        validate_with(source, name, raw, dir, secrets, stores)
    })
}

fn validate_with(
    source: &Source,
    name: &str,
    raw: &RawProfile,
    dir: &Path,
    secrets: Secrets,
    stores: std::sync::Arc<crate::secrets::Stores>,
) -> Result<Profile, Problems> {
    let mut check = Check {
        source,
        name,
        dir,
        secrets,
        problems: Vec::new(),
        unread_keys: Vec::new(),
    };
    let exchange = check.exchange(raw);
    check.base_url(raw);
    let master = check.master(raw);
    let keys = check.keys(raw);
    let (responder_ip, bot_ips) = check.addresses(raw);
    let settings = check.settings(raw, exchange);
    let secret_store = check.secret_store(raw);
    let ledger_lag = check.ledger_lag(raw);
    let ledger_max_age = check.ledger_max_age(raw);
    let ip_echo = check.ip_echo(raw);
    let handoff = check.handoff(raw, exchange);

    if !check.problems.is_empty() {
        return Err(Problems {
            file: source.name().to_owned(),
            problems: check.problems,
        });
    }
    let (Some(exchange), Some(master), Some(responder_ip)) = (exchange, master, responder_ip)
    else {
        return Err(Problems {
            file: source.name().to_owned(),
            problems: vec![source.problem_at(&check.at(""), "the profile is incomplete")],
        });
    };
    Ok(Profile {
        name: name.to_owned(),
        exchange,
        base_url: raw.base_url.trim().trim_end_matches('/').to_owned(),
        master,
        keys,
        responder_ip,
        bot_ips,
        known_orders: raw.known_orders.as_deref().map(|p| resolve_path(p, dir)),
        ledger_lag,
        ledger_max_age,
        state_dir: raw
            .state_dir
            .as_deref()
            .map(|p| resolve_path(p, dir))
            .unwrap_or_else(super::default_state_dir),
        secret_store,
        playbook: raw.playbook.as_deref().map(|p| resolve_path(p, dir)),
        ip_echo,
        settings,
        ignored_fields: ignored_fields(raw, exchange),
        unread_keys: check.unread_keys,
        stores,
        handoff,
    })
}

/// The venue-specific fields `raw` sets that `exchange` does not read.
fn ignored_fields(raw: &RawProfile, exchange: ExchangeId) -> Vec<&'static str> {
    let passphrase =
        raw.master.passphrase.is_some() || raw.keys.iter().any(|k| k.passphrase.is_some());
    let set = [
        ("demo", raw.demo),
        ("auth", raw.auth.is_some()),
        ("key_family", raw.key_family.is_some()),
        ("futures_url", raw.futures_url.is_some()),
        ("passphrase", passphrase),
        ("listed", raw.keys.iter().any(|k| k.listed.is_some())),
    ];
    debug_assert_eq!(set.len(), VENUE_FIELDS.len());
    set.into_iter()
        .filter(|(field, given)| *given && !exchange.spec().profile_fields.contains(field))
        .map(|(field, _)| field)
        .collect()
}

/// One profile being checked: every part adds its problems and goes on, so the operator sees
/// them all at once.
struct Check<'a> {
    source: &'a Source,
    name: &'a str,
    dir: &'a Path,
    secrets: Secrets,
    problems: Vec<Problem>,
    unread_keys: Vec<UnreadKey>,
}

impl Check<'_> {
    /// The config path of a field of this profile.
    fn at(&self, field: &str) -> String {
        format!("profiles.{}.{field}", self.name)
    }

    /// A problem at a field.
    fn problem(&self, field: &str, message: impl Into<String>) -> Problem {
        self.source.problem_at(&self.at(field), message)
    }

    fn exchange(&mut self, raw: &RawProfile) -> Option<ExchangeId> {
        let exchange = ExchangeId::parse(&raw.exchange);
        if exchange.is_none() {
            let names = ExchangeId::names();
            let problem = self
                .problem(
                    "exchange",
                    format!("`{}` is not a supported exchange", raw.exchange),
                )
                .help(
                    did_you_mean(&raw.exchange, names.iter().copied())
                        .unwrap_or_else(|| format!("supported: {}", names.join(", "))),
                );
            self.problems.push(problem);
        }
        exchange
    }

    fn base_url(&mut self, raw: &RawProfile) {
        if let Err(message) = check_base_url(&raw.base_url) {
            let problem = self
                .problem("base_url", message)
                .help("use https, or http only to a loopback address such as the simulator");
            self.problems.push(problem);
        }
    }

    fn master(&mut self, raw: &RawProfile) -> Option<Credential> {
        let master = credential(
            self.source,
            &self.at("master"),
            &raw.master.key,
            &raw.master.secret,
            self.dir,
            self.secrets,
        )
        .and_then(|cred| match &raw.master.passphrase {
            None => Ok(cred),
            Some(text) => resolve(
                self.source,
                &self.at("master.passphrase"),
                text,
                self.dir,
                self.secrets,
            )
            .map(|pass| cred.with_passphrase(pass)),
        });
        master.map_err(|problem| self.problems.push(problem)).ok()
    }

    fn keys(&mut self, raw: &RawProfile) -> Vec<OwnedKey> {
        let mut keys = Vec::new();
        for (i, key) in raw.keys.iter().enumerate() {
            let path = self.at(&format!("keys[{i}]"));
            let id = KeyId::new(key.id.clone());
            if id.as_str().is_empty() {
                let problem = self
                    .source
                    .problem_at(&format!("{path}.id"), "a key needs an `id`");
                self.problems.push(problem);
                continue;
            }
            // A reference that does not parse is a config error; one that does not *read*
            // (a store down at the worst moment) must not stop the lock: the key goes on
            // without its secret and the run says so.
            let unread = |this: &mut Self, err: Unreadable| match err {
                Unreadable::Bad(problem) => this.problems.push(problem),
                Unreadable::Failed(problem) => this.unread_keys.push(UnreadKey {
                    id: id.clone(),
                    key: id.masked(),
                    why: format!("{}: {}", problem.location(), problem.message()),
                    hint: problem.hint().unwrap_or_default().to_owned(),
                }),
            };
            let credential = match key.secret.as_ref().map(|text| {
                read(
                    self.source,
                    &format!("{path}.secret"),
                    text,
                    self.dir,
                    self.secrets,
                )
            }) {
                Some(Ok(secret)) => Some(Credential::new(id.clone(), secret)),
                Some(Err(err)) => {
                    unread(self, err);
                    None
                }
                None => None,
            };
            let credential = match (credential, &key.passphrase) {
                (Some(cred), Some(text)) => match read(
                    self.source,
                    &format!("{path}.passphrase"),
                    text,
                    self.dir,
                    self.secrets,
                ) {
                    Ok(pass) => Some(cred.with_passphrase(pass)),
                    Err(err) => {
                        unread(self, err);
                        None
                    }
                },
                (cred, _) => cred,
            };
            keys.push(OwnedKey {
                label: key.label.clone().unwrap_or_else(|| id.masked()),
                account: key.account.clone(),
                id,
                credential,
            });
        }
        keys
    }

    /// The responder's address and the bots' addresses.
    fn addresses(&mut self, raw: &RawProfile) -> (Option<IpAddr>, Vec<IpAddr>) {
        let responder_ip = match raw.responder_ip.trim().parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                let problem = self
                    .problem(
                        "responder_ip",
                        format!("`{}` is not an IP address", raw.responder_ip),
                    )
                    .help("the public address lockdown runs from; a leaked key is locked to it");
                self.problems.push(problem);
                None
            }
        };
        let mut bot_ips = Vec::new();
        for (i, ip) in raw.bot_ips.iter().enumerate() {
            match ip.trim().parse::<IpAddr>() {
                Ok(ip) if !ip.is_unspecified() => bot_ips.push(ip),
                _ => {
                    let problem = self.problem(
                        &format!("bot_ips[{i}]"),
                        format!("`{ip}` is not an exact IP address"),
                    );
                    self.problems.push(problem);
                }
            }
        }
        (responder_ip, bot_ips)
    }

    /// The venue-specific fields: demo trading, authentication style, key family, futures host.
    fn settings(&mut self, raw: &RawProfile, exchange: Option<ExchangeId>) -> VenueSettings {
        let auth = match raw.auth.as_deref().map(str::trim) {
            None | Some("token") => AuthStyle::Token,
            Some("signature") => AuthStyle::Signature,
            Some(other) => {
                let problem = self
                    .problem("auth", format!("`{other}` is not an authentication style"))
                    .help("write `token` (log in once, bearer token) or `signature` (sign every request)");
                self.problems.push(problem);
                AuthStyle::Token
            }
        };
        let key_family = match raw.key_family.as_deref().map(str::trim) {
            None | Some("sub_account") => KeyFamily::SubAccount,
            Some("broker") => KeyFamily::Broker,
            Some(other) => {
                let problem = self
                    .problem("key_family", format!("`{other}` is not a key family"))
                    .help("write `sub_account` (keys of a sub-account, by its email) or `broker` (Binance Link keys, by `subAccountId`)");
                self.problems.push(problem);
                KeyFamily::SubAccount
            }
        };
        let futures_url = match raw.futures_url.as_deref().map(str::trim) {
            Some(url) => match check_base_url(url) {
                Ok(()) => Some(url.trim_end_matches('/').to_owned()),
                Err(message) => {
                    let problem = self
                        .problem("futures_url", message)
                        .help("use https (`https://fapi.binance.com`), or http only to loopback");
                    self.problems.push(problem);
                    None
                }
            },
            None => exchange.and_then(|id| (id.spec().futures_url)(&raw.base_url)),
        };
        // What a key's `listed:` says, by key id: the lock goes without reading the listing.
        let listed = raw
            .keys
            .iter()
            .filter_map(|key| Some((key.id.trim().to_owned(), key.listed.clone()?)))
            .collect();
        VenueSettings {
            demo: raw.demo,
            auth,
            key_family,
            futures_url,
            listed,
        }
    }

    fn ledger_lag(&mut self, raw: &RawProfile) -> Duration {
        let Some(text) = raw.ledger_lag.as_deref() else {
            return DEFAULT_LEDGER_LAG;
        };
        crate::clock::parse_duration(text).unwrap_or_else(|message| {
            let problem = self.problem("ledger_lag", message).help(
                "how far the bot's ledger may lag behind its orders, e.g. `10s` (`0s`: never)",
            );
            self.problems.push(problem);
            DEFAULT_LEDGER_LAG
        })
    }

    fn ledger_max_age(&mut self, raw: &RawProfile) -> Duration {
        let Some(text) = raw.ledger_max_age.as_deref() else {
            return DEFAULT_LEDGER_MAX_AGE;
        };
        crate::clock::parse_duration(text).unwrap_or_else(|message| {
            let problem = self.problem("ledger_max_age", message).help(
                "how old the ledger's newest entry may be before `lockdown check` warns, e.g. `24h` or `7d`",
            );
            self.problems.push(problem);
            DEFAULT_LEDGER_MAX_AGE
        })
    }

    /// The echo URL `lockdown check` asks for this machine's address. Checked by `check` only
    /// (a bad one is a finding there): a field no response reads never stops a response.
    fn ip_echo(&mut self, raw: &RawProfile) -> Option<String> {
        let url = raw.ip_echo.as_deref()?.trim();
        (!url.is_empty()).then(|| url.to_owned())
    }

    fn handoff(
        &mut self,
        raw: &RawProfile,
        exchange: Option<ExchangeId>,
    ) -> Option<super::BotHandoff> {
        super::handoff::validate(raw.handoff.as_ref()?, self.dir, exchange)
            .map_err(|problems| {
                for (field, message, help) in problems {
                    let problem = self.problem(&field, message).help(help);
                    self.problems.push(problem);
                }
            })
            .ok()
    }

    fn secret_store(&mut self, raw: &RawProfile) -> Option<SecretStore> {
        let text = raw.secret_store.as_ref()?;
        SecretStore::parse(text, self.dir)
            .map_err(|message| {
                let problem = self.problem("secret_store", message);
                self.problems.push(problem);
            })
            .ok()
    }
}

fn credential(
    source: &Source,
    path: &str,
    key: &str,
    secret: &str,
    dir: &Path,
    secrets: Secrets,
) -> Result<Credential, Problem> {
    let key_id = if SecretRef::is_reference(key) {
        // Key ids are not secret, but owners often keep them beside the secret.
        resolve(source, &format!("{path}.key"), key, dir, secrets)
            .map(|value| KeyId::new(exposed(&value)))?
    } else {
        KeyId::new(key)
    };
    let secret = resolve(source, &format!("{path}.secret"), secret, dir, secrets)?;
    Ok(Credential::new(key_id, secret))
}

/// A key id read through a secret reference: an id, not a secret, so it may be shown masked.
fn exposed(value: &crate::secret::SecretString) -> String {
    use secrecy::ExposeSecret;
    #[allow(clippy::disallowed_methods)] // a key *id* read through a reference, not a secret
    let id = value.expose_secret().to_owned();
    id
}

/// Why a bot key's reference gave no secret.
enum Unreadable {
    /// It does not parse: the config is wrong.
    Bad(Problem),
    /// It parses but could not be read now.
    Failed(Problem),
}

/// [`resolve`], telling a bad reference from one that could not be read.
fn read(
    source: &Source,
    path: &str,
    text: &str,
    dir: &Path,
    secrets: Secrets,
) -> Result<crate::secret::SecretString, Unreadable> {
    if let Err(message) = SecretRef::parse(text, dir) {
        return Err(Unreadable::Bad(source.problem_at(path, message).help(
            "keep secrets out of the config: `secret: env:BOT_SECRET` or `secret: file:~/.lockdown/bot.secret`",
        )));
    }
    resolve(source, path, text, dir, secrets).map_err(Unreadable::Failed)
}

fn resolve(
    source: &Source,
    path: &str,
    text: &str,
    dir: &Path,
    secrets: Secrets,
) -> Result<crate::secret::SecretString, Problem> {
    let reference = SecretRef::parse(text, dir).map_err(|message| {
        source
            .problem_at(path, message)
            .help("keep secrets out of the config: `secret: env:BYBIT_MASTER_SECRET` or `secret: file:~/.lockdown/master.secret`")
    })?;
    if secrets == Secrets::Unread {
        return Ok(crate::secret::SecretString::from("unread".to_owned()));
    }
    reference
        .read()
        .map_err(|err| source.problem_at(path, err.to_string()).help(err.hint))
}

/// https anywhere; plain http only to loopback.
pub(crate) fn check_base_url(text: &str) -> Result<(), String> {
    let url =
        reqwest::Url::parse(text.trim()).map_err(|err| format!("`{text}` is not a URL ({err})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "`{text}` is plain http to a non-loopback host; credentials would cross the network unencrypted"
                ))
            }
        }
        other => Err(format!("`{other}` URLs are not supported; use https")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        for (label, url, ok) in [
            ("https", "https://api.bybit.com", true),
            ("loopback http", "http://127.0.0.1:8080", true),
            ("loopback range", "http://127.0.0.2:8080", true),
            ("localhost", "http://localhost:1", true),
            ("ipv6 loopback", "http://[::1]:1", true),
            ("remote http", "http://api.bybit.com", false),
            ("remote ip http", "http://10.0.0.1", false),
            ("ftp", "ftp://x", false),
            ("garbage", "not a url", false),
        ] {
            assert_eq!(check_base_url(url).is_ok(), ok, "{label}");
        }
    }
}
