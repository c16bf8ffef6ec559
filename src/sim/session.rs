//! Session files: what a `lockdown` profile needs to respond to the simulated incident.
//!
//! `write_session` writes the master credential, the leaked bot key's secret (the owner holds it
//! too), the leaked key id, the owner's known-orders ledger (instruments and ids as the
//! dialect's wire shows them), a `config.yaml` whose relative paths the reader resolves against
//! the config's folder; on OKX also the master's and the bot key's passphrases and the bot's
//! sub-account by name, on Deribit the simulator's one two-factor code (`otp`), on Binance the
//! bot's sub-account by email. On Kraken the
//! "master" is the owner's own query-and-cancel key on the bot's account (Kraken keys have no
//! hierarchy) and the bot key names no account. Every file is created with mode 0600 before any
//! byte is written (the folder, when new, 0700), and tightened to 0600 if it already existed:
//! the ledger and the profile describe the account too. Secrets are copied
//! out of the venue into this module's files only: never into `Session` or any `Debug` output.

use crate::exchanges::ExchangeId;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

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
}

/// One line of `known-orders.jsonl`: an order the owner's bot placed.
#[derive(Debug, Serialize)]
struct KnownOrder {
    order_id: String,
    client_order_id: String,
    category: &'static str,
    symbol: String,
    side: &'static str,
    qty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    created_at: String,
}

/// What the session files hold, copied out of the venue under its lock.
#[derive(Debug)]
pub(crate) struct SessionFiles {
    dialect: ExchangeId,
    master: Option<(String, SecretString)>,
    bot: Option<(String, SecretString)>,
    /// Passphrases of the master and the bot key, on dialects that have them.
    passphrases: (Option<SecretString>, Option<SecretString>),
    /// The leaked key's note and account (Bybit: the UID; OKX: the sub-account's name), for the
    /// profile's key entry.
    bot_label: String,
    bot_account: String,
    known_orders: Vec<KnownOrder>,
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
        let mut orders: Vec<_> = v
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Owner && Some(o.uid) == bot_uid)
            .collect();
        orders.sort_by(|a, b| (a.created_ms, &a.order_id).cmp(&(b.created_ms, &b.order_id)));
        let mut known_orders: Vec<KnownOrder> = orders
            .into_iter()
            .map(|o| KnownOrder {
                order_id: o.order_id.clone(),
                client_order_id: o.order_link_id.clone(),
                category: o.category.as_str(),
                symbol: match v.dialect {
                    ExchangeId::Bybit | ExchangeId::Binance => o.symbol.clone(),
                    ExchangeId::Okx => crate::sim::okx::inst_id(v, o.category, &o.symbol),
                    ExchangeId::Deribit => {
                        crate::sim::deribit::wire_symbol(v, o.category, &o.symbol)
                    }
                    ExchangeId::Kraken => crate::sim::kraken::pair_name(v, o.category, &o.symbol),
                },
                side: match o.side {
                    crate::sim::order::Side::Buy => "buy",
                    crate::sim::order::Side::Sell => "sell",
                },
                qty: o.qty.clone(),
                price: o.price.clone(),
                created_at: iso_ms(o.created_ms),
            })
            .collect();
        // OKX algo orders the bot placed are its orders too (empty on other dialects).
        known_orders.extend(
            v.okx
                .algo_orders
                .iter()
                .filter(|o| o.origin == Origin::Owner && Some(o.uid) == bot_uid)
                .map(|o| KnownOrder {
                    order_id: o.algo_id.clone(),
                    client_order_id: o.algo_cl_ord_id.clone(),
                    category: o.category.as_str(),
                    symbol: crate::sim::okx::inst_id(v, o.category, &o.symbol),
                    side: match o.side {
                        crate::sim::order::Side::Buy => "buy",
                        crate::sim::order::Side::Sell => "sell",
                    },
                    qty: o.sz.clone(),
                    price: o.order_px.clone().filter(|p| p != "-1"),
                    created_at: iso_ms(o.created_ms),
                }),
        );
        known_orders
            .sort_by(|a, b| (&a.created_at, &a.order_id).cmp(&(&b.created_at, &b.order_id)));
        SessionFiles {
            dialect: v.dialect,
            passphrases,
            master,
            bot,
            bot_label: leaked.map(|k| k.note.clone()).unwrap_or_default(),
            bot_account: match (v.dialect, bot_uid) {
                (_, None) => String::new(),
                (ExchangeId::Bybit | ExchangeId::Deribit, Some(uid)) => uid.to_string(),
                // Kraken keys belong to the account that signs with them: nothing to name.
                (ExchangeId::Kraken, Some(_)) => String::new(),
                (ExchangeId::Okx, Some(uid)) => {
                    v.account(uid).map(|a| a.note.clone()).unwrap_or_default()
                }
                // Binance's sub-account endpoints name a sub-account by its email.
                (ExchangeId::Binance, Some(uid)) => crate::sim::binance::email(v, uid),
            },
            known_orders,
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
        let mut lines = String::new();
        for order in &self.known_orders {
            lines.push_str(&serde_json::to_string(order).map_err(io::Error::other)?);
            lines.push('\n');
        }
        let known_orders = dir.join("known-orders.jsonl");
        write_private(&known_orders, lines.as_bytes())?;
        let config = dir.join("config.yaml");
        let profile = match self.dialect {
            ExchangeId::Deribit => {
                // The one two-factor code the simulated Deribit accepts (`Sim::set_tfa_required`).
                write_private(
                    &dir.join("otp"),
                    format!("{}\n", crate::sim::deribit::SIMULATED_OTP).as_bytes(),
                )?;
                deribit_config_yaml(base_url, bot_key, &self.bot_label, &self.bot_account)
            }
            ExchangeId::Kraken => kraken_config_yaml(base_url, bot_key, &self.bot_label),
            dialect => config_yaml(
                dialect,
                base_url,
                bot_key,
                &self.bot_label,
                &self.bot_account,
            ),
        };
        write_private(&config, profile.as_bytes())?;
        Ok(Session {
            config,
            leaked_key: bot_key.clone(),
            known_orders,
        })
    }
}

/// Renders the profile; paths are relative to the config's folder. The label is written as a
/// JSON string, which YAML reads as the same string whatever a scenario named its bot. OKX keys
/// also name their passphrase files.
fn config_yaml(
    exchange: ExchangeId,
    base_url: &str,
    leaked_key: &str,
    label: &str,
    account: &str,
) -> String {
    let label = serde_json::Value::from(label);
    let (master_passphrase, bot_passphrase) = match exchange {
        ExchangeId::Okx => (
            "\n      passphrase: file:master.passphrase",
            "\n        passphrase: file:bot.passphrase",
        ),
        ExchangeId::Bybit | ExchangeId::Deribit | ExchangeId::Binance | ExchangeId::Kraken => {
            ("", "")
        }
    };
    format!(
        "# Written by `lockdown sim`: a profile for the simulator session at {base_url}.
profiles:
  sim:
    exchange: {exchange}
    base_url: {base_url}
    master:
      key: file:master.key
      secret: file:master.secret{master_passphrase}
    keys:
      - id: {leaked_key}
        label: {label}
        account: \"{account}\"
        secret: file:bot.secret{bot_passphrase}
    responder_ip: 127.0.0.1
    bot_ips: [127.0.0.1]
    known_orders: known-orders.jsonl
    state_dir: state
    secret_store: file:replacement-key.json
"
    )
}

/// Renders a Deribit profile: token authentication, the bot key on its sub-account (reached
/// through `public/exchange_token`).
fn deribit_config_yaml(base_url: &str, leaked_key: &str, label: &str, account: &str) -> String {
    let label = serde_json::Value::from(label);
    format!(
        "# Written by `lockdown sim`: a profile for the simulator session at {base_url}.
profiles:
  sim:
    exchange: deribit
    base_url: {base_url}
    auth: token
    master:
      key: file:master.key
      secret: file:master.secret
    keys:
      - id: {leaked_key}
        label: {label}
        account: \"{account}\"
        secret: file:bot.secret
    responder_ip: 127.0.0.1
    bot_ips: [127.0.0.1]
    known_orders: known-orders.jsonl
    state_dir: state
    secret_store: file:replacement-key.json
"
    )
}

/// Renders a Kraken profile: the owner's own key as `master` (it cancels and reads the account;
/// Kraken manages no keys by API), the bot key without an account.
fn kraken_config_yaml(base_url: &str, leaked_key: &str, label: &str) -> String {
    let label = serde_json::Value::from(label);
    format!(
        "# Written by `lockdown sim`: a profile for the simulator session at {base_url}.
profiles:
  sim:
    exchange: kraken
    base_url: {base_url}
    master:
      key: file:master.key
      secret: file:master.secret
    keys:
      - id: \"{leaked_key}\"
        label: {label}
        secret: file:bot.secret
    responder_ip: 127.0.0.1
    bot_ips: [127.0.0.1]
    known_orders: known-orders.jsonl
    state_dir: state
    secret_store: file:replacement-key.json
"
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;

    #[test]
    fn an_okx_bot_s_algo_orders_are_in_its_known_orders() {
        let scenario = Scenario::load("quiet").unwrap();
        let v = scenario_venue(ExchangeId::Okx, &scenario, 9);
        let stops: Vec<_> = v
            .okx
            .algo_orders
            .iter()
            .filter(|o| o.origin == Origin::Owner && o.live)
            .collect();
        assert_eq!(stops.len(), 1, "the bot keeps one stop-loss");
        let files = SessionFiles::from_venue(&v);
        let known = files
            .known_orders
            .iter()
            .find(|k| k.order_id == stops[0].algo_id)
            .expect("in the ledger");
        assert_eq!(known.client_order_id, stops[0].algo_cl_ord_id);
        assert!(
            known.symbol.contains('-'),
            "an OKX instId: {}",
            known.symbol
        );
        assert_eq!(files.known_orders.len(), v.orders.len() + 1);
        // Other venues have no algo orders of OKX's.
        let bybit = scenario_venue(ExchangeId::Bybit, &scenario, 9);
        assert!(bybit.okx.algo_orders.is_empty());
    }
}
