//! `drill --profile`: a drill of the owner's own setup against a simulator twin of its venue.
//!
//! A drill on the simulator's own profile proves the simulator works; the owner needs to know
//! that *their* panic button is loaded: their playbook, their inputs, their ledger's format, their
//! secret store's kind, their venue settings. The twin keeps the simulated incident (the
//! scenario's account, attacker and bot) and reshapes the session's profile after the owner's:
//! the venue, `key_family` (Binance), `auth` (Deribit), the keys (the first leaks, the others
//! are seeded beside it by label and must outlive the response), `ledger_lag`, `bot_ips`, the
//! ledger in the owner's format (the drill's bot writes it so too) and the store of the owner's
//! kind, in the drill folder. The reshaped profile is read back and must carry those settings. The owner's profile is read for its shape only
//! ([`crate::config::load_profile_shape`]): no secret of theirs is read, and nothing is sent
//! anywhere but the simulator on loopback. What a loopback twin cannot exercise
//! (`responder_ip`, `base_url`, the master credential) the scorecard says, with where to check
//! it instead. A playbook step the twin could not run fails the drill by its name: a drill that
//! skipped part of the owner's playbook would prove less than it says.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::bot::{LedgerFormat, csv_row};
use super::scorecard::Exercised;
use crate::config::{Profile, SecretStore};
use crate::engine::{Outcome, StepStatus};
use crate::error::Error;
use crate::exchanges::{AuthStyle, ExchangeId, KeyFamily};
use crate::playbook::Playbook;

/// The header a twin's CSV ledger gets when the owner's file cannot show its own.
const CSV_HEADER: [&str; 10] = [
    "order_id",
    "client_order_id",
    "category",
    "symbol",
    "side",
    "qty",
    "price",
    "status",
    "created_at",
    "updated_at",
];

/// The owner's profile a drill twins, with the playbook and inputs it responds with.
#[derive(Debug, Clone)]
pub struct Twin {
    /// The profile's shape (its secrets unread).
    profile: Profile,
    /// The playbook file the response runs (`--playbook`, else the profile's); `None`: the
    /// venue's shipped one.
    playbook_path: Option<PathBuf>,
    /// The playbook itself, loaded once to say which it is.
    playbook: Playbook,
    /// `--input NAME=VALUE`.
    inputs: BTreeMap<String, String>,
    /// The owner's ledger format (`None`: the profile keeps no ledger).
    ledger: Option<LedgerFormat>,
}

/// What the twin's session became: where its bot writes the ledger, and how.
#[derive(Debug)]
pub(super) struct Shaped {
    /// The ledger the twin's profile names (`None`: the owner keeps none).
    pub(super) ledger: Option<PathBuf>,
    /// Its format.
    pub(super) format: LedgerFormat,
}

impl Twin {
    /// Loads profile `name` of `config` for its shape and the playbook it responds with.
    pub fn load(
        config: &Path,
        name: &str,
        playbook: Option<&Path>,
        inputs: BTreeMap<String, String>,
    ) -> Result<Twin, Error> {
        let profile = crate::config::load_profile_shape(config, Some(name))?;
        let playbook_path = playbook
            .map(Path::to_path_buf)
            .or_else(|| profile.playbook.clone());
        let loaded = crate::playbook::for_profile(playbook, &profile)?;
        let ledger = profile
            .known_orders
            .as_deref()
            .map(ledger_format)
            .transpose()
            .map_err(|(path, source)| Error::Io {
                what: "read the ledger's header of",
                path,
                source,
            })?;
        Ok(Twin {
            profile,
            playbook_path,
            playbook: loaded,
            inputs,
            ledger,
        })
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.profile.name
    }

    /// The venue the twin simulates.
    pub fn venue(&self) -> ExchangeId {
        self.profile.exchange
    }

    /// Where the profile keeps its runs: the drill's folder and history line go there.
    pub fn state_dir(&self) -> &Path {
        &self.profile.state_dir
    }

    /// The labels of the profile's keys after the first (the twin leaks the first).
    pub(super) fn other_labels(&self) -> impl Iterator<Item = &str> {
        self.profile.keys.iter().skip(1).map(|k| k.label.as_str())
    }

    /// The addresses the profile's bots run from.
    pub(super) fn bot_ips(&self) -> &[std::net::IpAddr] {
        &self.profile.bot_ips
    }

    /// The playbook file the response runs (`None`: the shipped one).
    pub(super) fn playbook_path(&self) -> Option<PathBuf> {
        self.playbook_path.clone()
    }

    /// The inputs the response runs with.
    pub(super) fn inputs(&self) -> BTreeMap<String, String> {
        self.inputs.clone()
    }

    /// Reshapes the simulator's session in `drill_dir` after the owner's profile: its
    /// `config.yaml` (the profile's name and settings, the store's kind) and its ledger (the
    /// owner's format). `bot_uid` is the leaked key's account, which Binance's broker keys
    /// name by id; `siblings` the owner's further keys seeded beside it (id, label).
    pub(super) fn shape(
        &self,
        session: &crate::sim::Session,
        bot_uid: Option<u64>,
        siblings: &[(String, String)],
    ) -> io::Result<Shaped> {
        let dir = session.config.parent().unwrap_or(Path::new("."));
        let text = std::fs::read_to_string(&session.config)?;
        // A scenario's owner may have lost the ledger already (`owner: {ledger: missing}`).
        let seeded = session.known_orders.exists();
        let (ledger, format) = match &self.ledger {
            None => {
                if seeded {
                    std::fs::remove_file(&session.known_orders)?;
                }
                (None, LedgerFormat::Jsonl)
            }
            Some(LedgerFormat::Jsonl) => (Some(session.known_orders.clone()), LedgerFormat::Jsonl),
            Some(LedgerFormat::Csv(columns)) => {
                let csv = dir.join("known-orders.csv");
                if seeded {
                    to_csv(&session.known_orders, &csv, columns)?;
                    std::fs::remove_file(&session.known_orders)?;
                }
                (Some(csv), LedgerFormat::Csv(columns.clone()))
            }
        };
        let config = self.twin_config(&text, ledger.as_deref(), bot_uid, siblings);
        crate::private::write(&session.config, config.as_bytes())?;
        self.check_twin(&session.config, 1 + siblings.len())?;
        Ok(Shaped { ledger, format })
    }

    /// Reads the twin's profile back as `respond` will and checks that it has the owner's
    /// settings: a twin that silently lost one would exercise less than the scorecard says.
    fn check_twin(&self, config: &Path, keys: usize) -> io::Result<()> {
        let twin = crate::config::load_profile_shape(config, Some(&self.profile.name))
            .map_err(|err| io::Error::other(format!("the twin's profile does not load: {err}")))?;
        let p = &self.profile;
        // A drill writes a file store in its own folder whatever the owner's store is (never to
        // the owner's Vault, AWS or age file), so only a store's presence carries over.
        let kind = |store: &Option<SecretStore>| {
            store.as_ref().map(|s| match s {
                SecretStore::EnvFile(_) => "env-file",
                _ => "file",
            })
        };
        let differs = [
            ("exchange", twin.exchange != p.exchange),
            ("keys", twin.keys.len() != keys),
            (
                "key_family",
                p.exchange == ExchangeId::Binance
                    && twin.settings.key_family != p.settings.key_family,
            ),
            (
                "auth",
                p.exchange == ExchangeId::Deribit && twin.settings.auth != p.settings.auth,
            ),
            ("ledger_lag", twin.ledger_lag != p.ledger_lag),
            ("bot_ips", twin.bot_ips != p.bot_ips),
            (
                "secret_store",
                kind(&twin.secret_store) != kind(&p.secret_store),
            ),
            (
                "known_orders",
                twin.known_orders.is_some() != p.known_orders.is_some(),
            ),
        ];
        match differs.iter().find(|(_, differs)| *differs) {
            Some((field, _)) => Err(io::Error::other(format!(
                "the twin's profile does not have the owner's `{field}`"
            ))),
            None => Ok(()),
        }
    }

    /// The session's profile text, reshaped after the owner's.
    fn twin_config(
        &self,
        text: &str,
        ledger: Option<&Path>,
        bot_uid: Option<u64>,
        siblings: &[(String, String)],
    ) -> String {
        let p = &self.profile;
        let name = serde_json::Value::from(p.name.as_str());
        let mut lines: Vec<String> = Vec::new();
        let mut labelled = false;
        // The leaked key's `account:` line, for the keys seeded beside it.
        let mut account: Option<String> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            let line = if line == "  sim:" {
                format!("  {name}:")
            } else if trimmed.starts_with("exchange:") {
                lines.push(line.to_owned());
                if p.exchange == ExchangeId::Binance && p.settings.key_family == KeyFamily::Broker {
                    "    key_family: broker".to_owned()
                } else {
                    continue;
                }
            } else if trimmed == "auth: token" && p.settings.auth == AuthStyle::Signature {
                "    auth: signature".to_owned()
            } else if trimmed.starts_with("label:") && !labelled {
                labelled = true;
                match p.keys.first() {
                    Some(key) => format!(
                        "        label: {}",
                        serde_json::Value::from(key.label.as_str())
                    ),
                    None => line.to_owned(),
                }
            } else if trimmed.starts_with("account:")
                && p.exchange == ExchangeId::Binance
                && p.settings.key_family == KeyFamily::Broker
            {
                // Binance Link names a sub-account by its id, not its email.
                let line = format!("        account: \"{}\"", bot_uid.unwrap_or_default());
                account.get_or_insert_with(|| line.clone());
                line
            } else if trimmed.starts_with("account:") {
                account.get_or_insert_with(|| line.to_owned());
                line.to_owned()
            } else if trimmed.starts_with("bot_ips:") {
                let ips: Vec<String> = p.bot_ips.iter().map(ToString::to_string).collect();
                format!("    bot_ips: [{}]", ips.join(", "))
            } else if trimmed.starts_with("known_orders:") {
                match ledger.and_then(Path::file_name) {
                    Some(file) => format!("    known_orders: {}", file.to_string_lossy()),
                    None => continue,
                }
            } else if trimmed.starts_with("secret_store:") {
                match &p.secret_store {
                    Some(SecretStore::EnvFile(_)) => {
                        "    secret_store: env-file:replacement-key.env"
                    }
                    Some(_) => "    secret_store: file:replacement-key.json",
                    None => continue,
                }
                .to_owned()
            } else {
                line.to_owned()
            };
            if trimmed.starts_with("responder_ip:") {
                // The owner's further keys, beside the leaked one (no secret: only listed).
                for (id, label) in siblings {
                    lines.push(format!(
                        "      - id: {}",
                        serde_json::Value::from(id.as_str())
                    ));
                    lines.push(format!(
                        "        label: {}",
                        serde_json::Value::from(label.as_str())
                    ));
                    lines.extend(account.clone());
                }
            }
            lines.push(line);
            if trimmed.starts_with("responder_ip:") {
                lines.push(format!("    ledger_lag: {}ms", p.ledger_lag.as_millis()));
            }
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }

    /// Each of the owner's settings and whether the drill used it.
    /// `seeded`: how many of the profile's further keys the twin seeded beside the leaked one.
    pub(super) fn exercised(&self, seeded: usize) -> Vec<Exercised> {
        let p = &self.profile;
        let mut list = vec![Exercised::yes("venue", p.exchange.as_str())];
        let sha = &self.playbook.sha256[..self.playbook.sha256.len().min(12)];
        let playbook = match &self.playbook_path {
            Some(path) => format!("yours, {} sha256 {sha}…", path.display()),
            None => format!("shipped, {} sha256 {sha}…", self.playbook.origin),
        };
        list.push(Exercised::yes("playbook", playbook));
        if !self.inputs.is_empty() {
            let inputs: Vec<String> = self
                .inputs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            list.push(Exercised::yes("inputs", inputs.join(", ")));
        }
        let ledger = Exercised::yes(
            "ledger format",
            match &self.ledger {
                None => "none (the profile names no ledger; the twin keeps none either)",
                Some(LedgerFormat::Jsonl) => "jsonl",
                Some(LedgerFormat::Csv(_)) => "csv",
            },
        );
        list.push(match &self.ledger {
            None => ledger,
            Some(_) => ledger.noting(
                "the twin's bot writes it in the drill folder; yours is only read for its header",
            ),
        });
        list.push(Exercised::yes(
            "ledger_lag",
            humantime::format_duration(p.ledger_lag).to_string(),
        ));
        let store = Exercised::yes(
            "store",
            match &p.secret_store {
                None => "none (the profile names no store)",
                Some(store) => store.scheme(),
            },
        );
        list.push(match &p.secret_store {
            None => store,
            Some(SecretStore::File(_) | SecretStore::EnvFile(_)) => {
                store.noting("written in the drill folder, never to yours")
            }
            Some(_) => store.noting(
                "a file in the drill folder stands in: a drill never writes to your store (`lockdown check` probes it)",
            ),
        });
        let labels: Vec<&str> = p.keys.iter().map(|k| k.label.as_str()).collect();
        list.push(match labels.len() {
            0 => Exercised::no(
                "keys",
                "none listed",
                "the twin lists the simulator's leaked key",
            ),
            n if seeded + 1 >= n => Exercised::yes("keys", format!("{n}, {}", labels.join(", ")))
                .noting(if n > 1 {
                    "the first leaks; the others are seeded beside it and must outlive the response"
                } else {
                    "the one that leaks"
                }),
            n => Exercised::partly(
                "keys",
                format!("{} of {n}, {}", seeded + 1, labels[..=seeded].join(", ")),
                format!(
                    "the simulator did not take: {}",
                    labels[seeded + 1..].join(", ")
                ),
            ),
        });
        if let Some(account) = p.keys.first().and_then(|k| k.account.as_deref()) {
            list.push(Exercised::no(
                "accounts",
                account,
                "the twin's own sub-account stands in for it",
            ));
        }
        match p.exchange {
            ExchangeId::Binance => list.push(Exercised::yes(
                "key_family",
                match p.settings.key_family {
                    KeyFamily::Broker => "broker",
                    KeyFamily::SubAccount => "sub_account",
                },
            )),
            ExchangeId::Deribit => list.push(Exercised::yes(
                "auth",
                match p.settings.auth {
                    AuthStyle::Token => "token",
                    AuthStyle::Signature => "signature",
                },
            )),
            _ => {}
        }
        if !p.settings.listed.is_empty() {
            list.push(Exercised::no(
                "listed",
                "set",
                "the twin's key is read from the simulator's listing",
            ));
        }
        if p.settings.demo && p.exchange == ExchangeId::Okx {
            list.push(Exercised::no(
                "demo",
                "true",
                "the simulator models OKX's live environment only; the twin runs live",
            ));
        }
        let ips: Vec<String> = p.bot_ips.iter().map(ToString::to_string).collect();
        list.push(Exercised::yes(
            "bot_ips",
            if ips.is_empty() {
                "none (the replacement is bound to no address)".to_owned()
            } else {
                format!("replacement bound to {}", ips.join(", "))
            },
        ));
        list.push(Exercised::yes(
            "state_dir",
            p.state_dir.display().to_string(),
        ));
        let loopback = "loopback twin; see lockdown check";
        list.push(Exercised::no(
            "responder_ip",
            p.responder_ip.to_string(),
            loopback,
        ));
        list.push(Exercised::no("base_url", p.base_url.clone(), loopback));
        if p.settings.futures_url.is_some() && p.exchange == ExchangeId::Binance {
            list.push(Exercised::no(
                "futures_url",
                p.settings.futures_url.clone().unwrap_or_default(),
                loopback,
            ));
        }
        list.push(Exercised::no(
            "master credential",
            "yours",
            "never read: the twin's own master stands in; see lockdown check",
        ));
        list
    }
}

/// Why a twin drill fails for its playbook: each step that failed or waits for a person,
/// by name. A step `on_error: continue` lets the run go on, but the twin did not run it.
pub(super) fn step_failures(outcome: &Outcome) -> Vec<String> {
    outcome
        .steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Failed | StepStatus::Pending))
        .map(|s| {
            let why = s
                .error
                .as_deref()
                .unwrap_or(if s.status == StepStatus::Pending {
                    "it waits for a person"
                } else {
                    "no reason given"
                });
            format!(
                "step `{}` ({}) could not run in the twin: {why}",
                s.id, s.action
            )
        })
        .collect()
}

/// Why a twin drill fails for the owner's further keys: each one the response revoked (only
/// the leaked key may be), by label.
pub(super) fn siblings_lost(
    siblings: &[(String, String)],
    truth: &crate::sim::Inspect,
) -> Vec<String> {
    siblings
        .iter()
        .filter(|(id, _)| truth.key(id).is_none_or(|k| k.deleted))
        .map(|(_, label)| {
            format!("your other key `{label}` did not outlive the response (only the leaked key may be revoked)")
        })
        .collect()
}

/// The owner's ledger format: CSV when its first line is a CSV header (its columns kept when
/// the reader takes them all), else JSON Lines; a file not there yet goes by its extension.
fn ledger_format(path: &Path) -> Result<LedgerFormat, (PathBuf, io::Error)> {
    let first = match std::fs::File::open(path) {
        Ok(file) => {
            use std::io::BufRead;
            let mut first = String::new();
            for line in io::BufReader::new(file).lines() {
                let line = line.map_err(|err| (path.to_owned(), err))?;
                if !line.trim().is_empty() {
                    first = line;
                    break;
                }
            }
            first
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err((path.to_owned(), err)),
    };
    let csv = if first.is_empty() {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    } else {
        !first.trim_start().starts_with('{')
    };
    if !csv {
        return Ok(LedgerFormat::Jsonl);
    }
    // The header as the ledger's reader reads it (quoted names included).
    // `first` has no line break, so its row ends when the input does.
    let mut header = crate::actions::ledger_csv::Rows::new();
    let _ = header.feed(1, &first);
    let columns: Vec<String> = header
        .finish()
        .map(|row| row.cells().map(|c| c.trim().to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let ours = !first.is_empty()
        && columns.iter().any(|c| c == "order_id")
        && columns
            .iter()
            .all(|c| CSV_HEADER.contains(&c.as_str()) || c == "filled_qty");
    Ok(LedgerFormat::Csv(if ours {
        columns
    } else {
        CSV_HEADER.map(str::to_owned).to_vec()
    }))
}

/// Rewrites the session's JSON Lines ledger at `from` as CSV under `columns` at `to`.
fn to_csv(from: &Path, to: &Path, columns: &[String]) -> io::Result<()> {
    let mut text = columns.join(",");
    text.push('\n');
    for line in std::fs::read_to_string(from)?.lines() {
        if line.trim().is_empty() {
            continue;
        }
        // A line a scenario garbled stays garbled: the response must cope with it either way.
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(value) => text.push_str(&csv_row(columns, &value)),
            Err(_) => text.push_str(line),
        }
        text.push('\n');
    }
    crate::private::write(to, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Binance owner profile with a broker key, a CSV ledger and an env-file store, whose
    /// secret files do not exist; and a session profile as the simulator writes it.
    fn owner_and_session(dir: &Path) -> (Twin, PathBuf) {
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            "profiles:
  desk:
    exchange: binance
    key_family: broker
    base_url: https://api.binance.com
    master: { key: file:none.key, secret: file:none.secret }
    keys: [{ id: K1, label: grid, account: \"1\" }]
    responder_ip: 203.0.113.9
    bot_ips: [198.51.100.7]
    known_orders: ledger.csv
    ledger_lag: 12s
    secret_store: env-file:bot.env
",
        )
        .unwrap();
        let twin = Twin::load(&config, "desk", None, BTreeMap::new()).unwrap();
        let session = dir.join("session.yaml");
        std::fs::write(
            &session,
            "profiles:
  sim:
    exchange: binance
    base_url: http://127.0.0.1:1
    master:
      key: file:master.key
      secret: file:master.secret
    keys:
      - id: SIMKEY
        label: \"sim-bot\"
        account: \"bot@sub.example\"
        secret: file:bot.secret
    responder_ip: 127.0.0.1
    bot_ips: [127.0.0.1]
    known_orders: known-orders.jsonl
    state_dir: state
    secret_store: file:replacement-key.json
",
        )
        .unwrap();
        (twin, session)
    }

    #[test]
    fn the_twin_profile_has_the_owners_settings_or_the_drill_stops() {
        let dir = tempfile::tempdir().unwrap();
        let (twin, session) = owner_and_session(dir.path());
        let text = std::fs::read_to_string(&session).unwrap();
        let shaped = twin.twin_config(&text, Some(Path::new("known-orders.csv")), Some(42), &[]);
        assert!(shaped.contains("  \"desk\":\n"), "{shaped}");
        assert!(shaped.contains("    key_family: broker\n"), "{shaped}");
        assert!(shaped.contains("        account: \"42\"\n"), "{shaped}");
        assert!(shaped.contains("        label: \"grid\"\n"), "{shaped}");
        assert!(shaped.contains("    secret_store: env-file:replacement-key.env\n"));
        std::fs::write(&session, &shaped).unwrap();
        twin.check_twin(&session, 1).unwrap();
        // A twin profile that lost one of the owner's settings (were the simulator's session
        // ever written in another shape) is refused, not drilled as if it had it.
        let lost = shaped.replace("    ledger_lag: 12000ms\n", "");
        std::fs::write(&session, lost).unwrap();
        let err = twin.check_twin(&session, 1).unwrap_err();
        assert!(err.to_string().contains("`ledger_lag`"), "{err}");
    }

    #[test]
    fn a_further_key_the_response_revoked_fails_the_drill_by_its_label() {
        let dir = tempfile::tempdir().unwrap();
        let sim = crate::sim::Sim::new(ExchangeId::Bybit, 7);
        let session = sim.write_session(dir.path(), "http://127.0.0.1:1").unwrap();
        let siblings: Vec<(String, String)> = ["dca-bot", "hedge-bot"]
            .into_iter()
            .map(|label| {
                let id = sim
                    .web_ui_create_key(&session.leaked_key, label, &[])
                    .unwrap();
                (id, label.to_owned())
            })
            .collect();
        assert!(siblings_lost(&siblings, &sim.inspect()).is_empty());
        assert!(sim.web_ui_delete_key(&siblings[1].0));
        assert_eq!(
            siblings_lost(&siblings, &sim.inspect()),
            [
                "your other key `hedge-bot` did not outlive the response (only the leaked key may be revoked)"
            ]
        );
    }

    #[test]
    fn a_twin_csv_ledger_reads_back_as_the_response_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let (jsonl, csv) = (dir.path().join("k.jsonl"), dir.path().join("k.csv"));
        std::fs::write(
            &jsonl,
            "{\"order_id\":\"a,1\",\"client_order_id\":\"grid-\\\"x\\\"\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"qty\":\"0.01\",\"status\":\"open\"}\n",
        )
        .unwrap();
        let columns: Vec<String> = CSV_HEADER.map(str::to_owned).to_vec();
        to_csv(&jsonl, &csv, &columns).unwrap();
        let text = std::fs::read_to_string(&csv).unwrap();
        let ledger = crate::actions::ledger::Ledger::parse("k.csv", &text).unwrap();
        assert_eq!(ledger.len(), 1, "{text}");
        assert!(ledger.by_order_id("a,1").is_some(), "{text}");
        assert!(ledger.by_client_order_id("grid-\"x\"").is_some(), "{text}");
    }

    #[test]
    fn the_ledger_format_is_read_from_the_header_or_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("mine.txt");
        // Quoted names are read as the ledger's reader reads them.
        std::fs::write(&csv, "order_id,\"Symbol\", side ,qty\n1,BTCUSDT,buy,1\n").unwrap();
        assert_eq!(
            ledger_format(&csv).unwrap(),
            LedgerFormat::Csv(vec![
                "order_id".into(),
                "symbol".into(),
                "side".into(),
                "qty".into()
            ])
        );
        let jsonl = dir.path().join("mine.csv");
        std::fs::write(&jsonl, "\n{\"order_id\": \"1\"}\n").unwrap();
        assert_eq!(ledger_format(&jsonl).unwrap(), LedgerFormat::Jsonl);
        let missing = dir.path().join("later.csv");
        assert!(matches!(
            ledger_format(&missing).unwrap(),
            LedgerFormat::Csv(columns) if columns.len() == CSV_HEADER.len()
        ));
        assert_eq!(
            ledger_format(&dir.path().join("later.jsonl")).unwrap(),
            LedgerFormat::Jsonl
        );
    }
}
