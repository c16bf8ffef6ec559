//! Session files: what a `lockdown` profile needs to respond to the simulated incident.
//!
//! `write_session` writes the master credential, the leaked bot key's secret (the owner holds it
//! too), the leaked key id (and `leaked-keys`, every leaked key's id; a many-key scenario's
//! further keys each get `bot-<n>.secret`, `bot-<n>.passphrase` where the venue's keys have one,
//! and a `keys:` entry shaped as the first key's), the owner's known-orders ledger
//! (instruments and ids as the dialect's wire shows them; without the orders a scenario kept out
//! of it, `in_ledger: false`, which only [`Session::left_out`] names), a `config.yaml` whose
//! relative paths the reader resolves against the config's folder; on OKX also the master's and
//! the bot key's passphrases and the bot's sub-account by name, on Deribit the simulator's one
//! two-factor code (`otp`), on Binance the bot's sub-account by email. On Kraken the "master" is
//! the owner's own query-and-cancel key on the bot's account (Kraken keys have no hierarchy) and
//! the bot key names no account. Every file is created with mode 0600 before any byte is written
//! (the folder, when new, 0700), and tightened to 0600 if it already existed: the ledger and the
//! profile describe the account too. Secrets are copied out of the venue into this module's files
//! only: never into `Session` or any `Debug` output. What differs by venue (names, extra files,
//! the profile's shape) comes from its dialect.

use crate::exchanges::ExchangeId;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::sim::dialect::SimDialect;
use crate::sim::key::Tier;
use crate::sim::order::Origin;
use crate::sim::state::Venue;

/// The files `write_session` produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// `dir/config.yaml`, a profile named `sim`.
    pub config: PathBuf,
    /// The leaked key's id (not its secret).
    pub leaked_key: String,
    /// `dir/known-orders.jsonl`, the owner's own orders.
    pub known_orders: PathBuf,
    /// Every leaked key's id, the first one first (one for the default incident; a many-key
    /// scenario's all, also in `dir/leaked-keys`, a ready `--keys-file`).
    pub leaked_keys: Vec<String>,
    /// Hidden truth: the owner's orders left out of the ledger (a scenario's `in_ledger: false`),
    /// by order id. The owner's, though nothing the response can read says so.
    pub left_out: BTreeSet<String>,
}

/// The owner's seeded orders the ledger never got, by order id: kept on the venue
/// (`Venue::own`) from seeding until the session is written.
#[derive(Debug, Default)]
pub(crate) struct LedgerGap {
    pub(crate) order_ids: BTreeSet<String>,
}

/// One line of `known-orders.jsonl`: an order the owner's bot placed.
#[derive(Debug, Serialize)]
pub(crate) struct KnownOrder {
    pub(crate) order_id: String,
    pub(crate) client_order_id: String,
    pub(crate) category: &'static str,
    /// The instrument as the dialect's wire shows it.
    pub(crate) symbol: String,
    pub(crate) side: &'static str,
    pub(crate) qty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) price: Option<String>,
    /// ISO-8601 UTC with milliseconds ([`iso_ms`]).
    pub(crate) created_at: String,
    /// Where the order stood when the bot last wrote it (the ledger-line contract's spelling:
    /// `open`, `partially_filled`, `filled`, `cancelled`); absent when the record has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<&'static str>,
}

/// How a dialect's session profile differs from the plain one (every field at its default).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ProfileShape {
    pub(crate) auth: ProfileAuth,
    pub(crate) passphrases: Passphrases,
    pub(crate) key_account: KeyAccount,
    pub(crate) key_id: KeyIdText,
}

/// How the profile authenticates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ProfileAuth {
    /// Every request signed with the key (no `auth:` line).
    #[default]
    Signed,
    /// Tokens from a login (`auth: token`).
    Token,
}

/// Whether the master and the bot key name passphrase files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Passphrases {
    #[default]
    None,
    Files,
}

/// Whether the bot key names its account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum KeyAccount {
    #[default]
    Named,
    /// The key belongs to the account that signs with it: no `account:` line.
    Omitted,
}

/// How the bot key's id is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum KeyIdText {
    #[default]
    Plain,
    /// Quoted: it may hold YAML's special characters.
    Quoted,
}

/// A further leaked key of a many-key scenario, as its session files and `keys:` entry name it.
#[derive(Debug)]
struct MoreBot {
    key: String,
    secret: SecretString,
    /// On dialects whose keys have them.
    passphrase: Option<SecretString>,
    label: String,
    /// How the profile names its account ([`SimDialect::bot_account`]).
    account: String,
}

/// What the session files hold, copied out of the venue under its lock.
#[derive(Debug)]
pub(crate) struct SessionFiles {
    dialect: &'static dyn SimDialect,
    master: Option<(String, SecretString)>,
    bot: Option<(String, SecretString)>,
    /// Passphrases of the master and the bot key, on dialects that have them.
    passphrases: (Option<SecretString>, Option<SecretString>),
    /// The leaked key's note and account (Bybit: the UID; OKX: the sub-account's name), for the
    /// profile's key entry.
    bot_label: String,
    bot_account: String,
    /// The further leaked keys of a many-key scenario, each written as `bot-<n>.secret` (and
    /// `bot-<n>.passphrase` where it has one) and a `keys:` entry of its own.
    more_bots: Vec<MoreBot>,
    pub(crate) known_orders: Vec<KnownOrder>,
    /// The owner's orders left out of `known_orders` ([`LedgerGap`]).
    left_out: BTreeSet<String>,
}

impl SessionFiles {
    /// Copies the master key, the leaked key and the owner's orders out of `v`.
    pub(crate) fn from_venue(v: &Venue) -> SessionFiles {
        // The master account's master-tier key; on Kraken the owner's key, which sits on the
        // bot's own account.
        let owner = v
            .keys
            .iter()
            .filter(|k| k.tier == Tier::Master && k.is_live())
            .min_by_key(|k| k.uid != v.master_uid);
        let master = owner.map(|k| (k.api_key.clone(), k.secret.clone()));
        let leaked = v.keys.iter().find(|k| k.leaked);
        let bot = leaked.map(|k| (k.api_key.clone(), k.secret.clone()));
        let passphrases = (
            owner.and_then(|k| k.passphrase.clone()),
            leaked.and_then(|k| k.passphrase.clone()),
        );
        let bot_uid = leaked.map(|k| k.uid);
        let more_bots: Vec<MoreBot> = v
            .keys
            .iter()
            .filter(|k| k.leaked && k.is_live() && leaked.is_some_and(|l| l.api_key != k.api_key))
            .map(|k| MoreBot {
                key: k.api_key.clone(),
                secret: k.secret.clone(),
                passphrase: k.passphrase.clone(),
                label: k.note.clone(),
                account: v.dialect.bot_account(v, k.uid),
            })
            .collect();
        let bot_uids: Vec<u64> = v
            .keys
            .iter()
            .filter(|k| k.leaked && k.is_live())
            .map(|k| k.uid)
            .collect();
        let left_out = v
            .own
            .get::<LedgerGap>()
            .map(|gap| gap.order_ids.clone())
            .unwrap_or_default();
        let mut orders: Vec<_> = v
            .orders
            .iter()
            .filter(|o| {
                o.origin == Origin::Owner
                    && (Some(o.uid) == bot_uid || bot_uids.contains(&o.uid))
                    && !left_out.contains(&o.order_id)
            })
            .collect();
        orders.sort_by(|a, b| (a.created_ms, &a.order_id).cmp(&(b.created_ms, &b.order_id)));
        let mut known_orders: Vec<KnownOrder> = orders
            .into_iter()
            .map(|o| KnownOrder {
                order_id: o.order_id.clone(),
                client_order_id: o.order_link_id.clone(),
                category: o.category.as_str(),
                symbol: v.dialect.wire_symbol(v, o.category, &o.symbol),
                side: match o.side {
                    crate::sim::order::Side::Buy => "buy",
                    crate::sim::order::Side::Sell => "sell",
                },
                qty: o.qty.clone(),
                price: o.price.clone(),
                created_at: iso_ms(o.created_ms),
                status: Some(ledger_status(o.status)),
            })
            .collect();
        // Orders of the dialect's own records (OKX's algo orders) the bot placed are its too.
        if let Some(uid) = bot_uid {
            known_orders.extend(v.dialect.known_extra_orders(v, uid));
        }
        known_orders
            .sort_by(|a, b| (&a.created_at, &a.order_id).cmp(&(&b.created_at, &b.order_id)));
        SessionFiles {
            dialect: v.dialect,
            passphrases,
            master,
            bot,
            bot_label: leaked.map(|k| k.note.clone()).unwrap_or_default(),
            bot_account: bot_uid
                .map(|uid| v.dialect.bot_account(v, uid))
                .unwrap_or_default(),
            more_bots,
            known_orders,
            left_out,
        }
    }

    /// Writes every file into `dir` (created if missing) for a server at `base_url`.
    pub(crate) fn write(&self, dir: &Path, base_url: &str) -> io::Result<Session> {
        let (Some((master_key, master_secret)), Some((bot_key, bot_secret))) =
            (&self.master, &self.bot)
        else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the simulator has no live master key or no leaked key to write a session for",
            ));
        };
        // An existing `--out` folder (perhaps `.`) is the user's; a new one is private.
        if !dir.is_dir() {
            crate::private::create_dir(dir)?;
        }
        write_private(&dir.join("master.key"), master_key.as_bytes())?;
        // Allowed: this is where a secret is stored.
        #[allow(clippy::disallowed_methods)]
        let (master_secret, bot_secret) = (
            master_secret.expose_secret().as_bytes(),
            bot_secret.expose_secret().as_bytes(),
        );
        write_private(&dir.join("master.secret"), master_secret)?;
        write_private(&dir.join("bot.secret"), bot_secret)?;
        for (file, passphrase) in [
            ("master.passphrase", &self.passphrases.0),
            ("bot.passphrase", &self.passphrases.1),
        ] {
            if let Some(passphrase) = passphrase {
                // Allowed: this is where a secret is stored.
                #[allow(clippy::disallowed_methods)]
                let bytes = passphrase.expose_secret().as_bytes();
                write_private(&dir.join(file), bytes)?;
            }
        }
        write_private(&dir.join("leaked-key"), format!("{bot_key}\n").as_bytes())?;
        let mut leaked_keys = vec![bot_key.clone()];
        for (n, bot) in self.more_bots.iter().enumerate() {
            // Allowed: this is where a secret is stored.
            #[allow(clippy::disallowed_methods)]
            let bytes = bot.secret.expose_secret().as_bytes();
            write_private(&dir.join(format!("bot-{}.secret", n + 2)), bytes)?;
            if let Some(passphrase) = &bot.passphrase {
                // Allowed: this is where a secret is stored.
                #[allow(clippy::disallowed_methods)]
                let bytes = passphrase.expose_secret().as_bytes();
                write_private(&dir.join(format!("bot-{}.passphrase", n + 2)), bytes)?;
            }
            leaked_keys.push(bot.key.clone());
        }
        let mut list = String::from("# every leaked key of the session, one a line\n");
        for key in &leaked_keys {
            list.push_str(key);
            list.push('\n');
        }
        write_private(&dir.join("leaked-keys"), list.as_bytes())?;
        let mut lines = String::new();
        for order in &self.known_orders {
            lines.push_str(&serde_json::to_string(order).map_err(io::Error::other)?);
            lines.push('\n');
        }
        let known_orders = dir.join("known-orders.jsonl");
        write_private(&known_orders, lines.as_bytes())?;
        let config = dir.join("config.yaml");
        // Files of the dialect's own (Deribit's two-factor code), then the profile.
        for (file, contents) in self.dialect.session_extras() {
            write_private(&dir.join(file), contents.as_bytes())?;
        }
        let mut profile = config_yaml(
            self.dialect.exchange(),
            self.dialect.profile_shape(),
            base_url,
            bot_key,
            &self.bot_label,
            &self.bot_account,
        );
        if !self.more_bots.is_empty() {
            profile = more_keys_yaml(&profile, self.dialect.profile_shape(), &self.more_bots);
        }
        write_private(&config, profile.as_bytes())?;
        Ok(Session {
            config,
            leaked_key: bot_key.clone(),
            known_orders,
            leaked_keys,
            left_out: self.left_out.clone(),
        })
    }
}

/// Renders the profile in the dialect's shape; paths are relative to the config's folder. The
/// label is written as a JSON string, which YAML reads as the same string whatever a scenario
/// named its bot.
fn config_yaml(
    exchange: ExchangeId,
    shape: ProfileShape,
    base_url: &str,
    leaked_key: &str,
    label: &str,
    account: &str,
) -> String {
    let label = serde_json::Value::from(label);
    let auth = if shape.auth == ProfileAuth::Token {
        "\n    auth: token"
    } else {
        ""
    };
    let (master_passphrase, bot_passphrase) = if shape.passphrases == Passphrases::Files {
        (
            "\n      passphrase: file:master.passphrase",
            "\n        passphrase: file:bot.passphrase",
        )
    } else {
        ("", "")
    };
    let id = if shape.key_id == KeyIdText::Quoted {
        format!("\"{leaked_key}\"")
    } else {
        leaked_key.to_owned()
    };
    let account = if shape.key_account == KeyAccount::Omitted {
        String::new()
    } else {
        format!("\n        account: \"{account}\"")
    };
    format!(
        "# Written by `lockdown sim`: a profile for the simulator session at {base_url}.
profiles:
  sim:
    exchange: {exchange}
    base_url: {base_url}{auth}
    master:
      key: file:master.key
      secret: file:master.secret{master_passphrase}
    keys:
      - id: {id}
        label: {label}{account}
        secret: file:bot.secret{bot_passphrase}
    responder_ip: 127.0.0.1
    bot_ips: [127.0.0.1]
    known_orders: known-orders.jsonl
    state_dir: state
    secret_store: file:replacement-key.json
"
    )
}

/// Adds a `keys:` entry per further leaked key (`bot-<n>.secret`) after the first bot's, in the
/// dialect's shape as the first bot's entry: its id quoted or not, its account named or not, its
/// passphrase file (`bot-<n>.passphrase`) where the shape has passphrases.
fn more_keys_yaml(profile: &str, shape: ProfileShape, more: &[MoreBot]) -> String {
    let mut entries = String::new();
    for (n, bot) in more.iter().enumerate() {
        let n = n + 2;
        let key = &bot.key;
        let id = if shape.key_id == KeyIdText::Quoted {
            format!("\"{key}\"")
        } else {
            key.clone()
        };
        let label = serde_json::Value::from(bot.label.as_str());
        entries.push_str(&format!("      - id: {id}\n        label: {label}\n"));
        if shape.key_account == KeyAccount::Named {
            let account = serde_json::Value::from(bot.account.as_str());
            entries.push_str(&format!("        account: {account}\n"));
        }
        entries.push_str(&format!("        secret: file:bot-{n}.secret\n"));
        if shape.passphrases == Passphrases::Files && bot.passphrase.is_some() {
            entries.push_str(&format!("        passphrase: file:bot-{n}.passphrase\n"));
        }
    }
    // The first bot's entry ends the `keys:` list; the others follow it.
    match profile.find("    responder_ip:") {
        Some(at) => format!("{}{entries}{}", &profile[..at], &profile[at..]),
        None => profile.to_owned(),
    }
}

/// Writes `bytes` to `path` readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = crate::private::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Formats Unix ms as ISO-8601 UTC with milliseconds (`2026-11-27T10:00:00.000Z`).
pub(crate) fn iso_ms(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A simulated order's status as the owner's ledger writes it (the ledger-line contract).
fn ledger_status(status: crate::sim::order::OrderStatus) -> &'static str {
    use crate::sim::order::OrderStatus;
    match status {
        OrderStatus::New => "open",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot(n: u8, passphrase: bool) -> MoreBot {
        MoreBot {
            key: format!("key+/{n}="),
            secret: SecretString::from("not written here"),
            passphrase: passphrase.then(|| SecretString::from("not written here either")),
            label: format!("vendor-leak-{n}"),
            account: format!("vendorleak0{n}"),
        }
    }

    /// The `keys:` entries of a profile, parsed as YAML reads them.
    fn keys_of(profile: &str) -> Vec<serde_yaml::Value> {
        let doc: serde_yaml::Value = serde_yaml::from_str(profile).unwrap();
        doc["profiles"]["sim"]["keys"]
            .as_sequence()
            .unwrap()
            .clone()
    }

    #[test]
    fn further_keys_are_written_in_the_first_keys_shape() {
        // OKX's shape: accounts named, passphrase files.
        let shape = ProfileShape {
            passphrases: Passphrases::Files,
            ..ProfileShape::default()
        };
        let first = config_yaml(
            ExchangeId::Okx,
            shape,
            "http://x",
            "k1",
            "b",
            "vendorleak01",
        );
        let keys = keys_of(&more_keys_yaml(
            &first,
            shape,
            &[bot(2, true), bot(3, true)],
        ));
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[1]["account"].as_str(), Some("vendorleak02"));
        assert_eq!(keys[2]["secret"].as_str(), Some("file:bot-3.secret"));
        assert_eq!(
            keys[2]["passphrase"].as_str(),
            Some("file:bot-3.passphrase")
        );
        // BitMEX's and Kraken's shape: ids quoted (base64 reads as YAML otherwise), no account.
        let shape = ProfileShape {
            key_account: KeyAccount::Omitted,
            key_id: KeyIdText::Quoted,
            ..ProfileShape::default()
        };
        let first = config_yaml(ExchangeId::Kraken, shape, "http://x", "k1", "b", "");
        let keys = keys_of(&more_keys_yaml(&first, shape, &[bot(2, false)]));
        assert_eq!(keys[1]["id"].as_str(), Some("key+/2="));
        assert!(keys[1].get("account").is_none(), "{:?}", keys[1]);
        assert!(keys[1].get("passphrase").is_none(), "{:?}", keys[1]);
        assert_eq!(keys[1]["label"].as_str(), Some("vendor-leak-2"));
    }
}
