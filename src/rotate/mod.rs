//! `lockdown rotate`: a planned rotation of one key, through the same engine and journal as a
//! response, without the incident steps.
//!
//! The venue's shipped rotation playbook (`playbooks/rotate/<venue>.yaml`) makes the new key
//! with the old key's restrictions (`create_key` with `like:`; flags only narrow them), stores
//! it, hands it to the bot, waits until the bot is seen using it or a grace period ends
//! (`wait_for_use`), and only then revokes the old key and proves it refused. Everything before
//! the revoke failing stops the run there, with the old key still working: a rotation never
//! leaves the bot without a key. It runs through [`crate::respond`], so the run folder, the
//! journal, `resume` and the report are a response's; a rotation playbook's name ends in
//! `-rotation`, which is how the run, its notifications and its report know it is no incident.
//!
//! `--min-age` makes it schedulable: a key younger than that is left alone (exit 0), so a daily
//! cron rotates each key once it is old enough (`age.rs` reads the key's creation time).

mod age;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use age::KeyAge;

use crate::config;
use crate::engine::{Confirm, Operator, Outcome};
use crate::error::Error;
use crate::exchanges::Mode;
use crate::playbook;
use crate::respond::{Request, respond_for};
use crate::secret::{KeyId, SecretString};
use crate::ui::Ui;

/// What to rotate, and how.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The config file.
    pub config: PathBuf,
    /// The profile in it (default: the only one, or `default`).
    pub profile: Option<String>,
    /// The key to rotate.
    pub key: KeyId,
    /// A rotation playbook file (default: the one shipped for the venue).
    pub playbook: Option<PathBuf>,
    /// Only these trading rights (each one the old key has); empty: all of the old key's.
    pub permissions: Vec<String>,
    /// Only these addresses (each one on the old key's list); empty: all of the old key's.
    pub ips: Vec<String>,
    /// How long to wait for the bot to use the new key before the old one is revoked.
    pub grace: Option<Duration>,
    /// Leave a key younger than this alone.
    pub min_age: Option<Duration>,
    /// How confirmations are answered.
    pub confirm: Confirm,
    /// Live, or a dry run.
    pub mode: Mode,
    /// A one-time two-factor code, for venues that challenge key changes.
    pub otp: Option<SecretString>,
    /// Who carries out guided steps (a test's simulated operator); `None` for people.
    pub operator: Option<std::sync::Arc<dyn Operator>>,
}

/// How a rotation ended.
#[derive(Debug)]
pub enum Rotated {
    /// The rotation ran (its outcome says how far).
    Ran(Box<Outcome>),
    /// The key is younger than `--min-age`: nothing was changed.
    TooYoung(KeyAge),
}

/// What `--json` prints for a key left alone.
#[derive(Debug, Serialize)]
pub struct LeftAlone<'a> {
    /// Always false.
    pub rotated: bool,
    /// The key (masked).
    pub key: String,
    /// How old it is, and the minimum.
    #[serde(flatten)]
    pub age: &'a KeyAge,
}

/// Runs a rotation: the age check (with `--min-age`), then the rotation playbook.
pub async fn rotate(rotation: Rotation, ui: &Ui) -> Result<Rotated, Error> {
    if rotation.key.as_str().trim().is_empty() {
        return Err(Error::Usage {
            message: "`--key` is empty".into(),
            help: Some("name the key to rotate by its id (never its secret)".into()),
        });
    }
    let profile = config::load_profile(&rotation.config, rotation.profile.as_deref())?;
    let playbook = match &rotation.playbook {
        Some(path) => path.clone(),
        None => PathBuf::from(playbook::rotation_name(profile.exchange).ok_or_else(|| {
            Error::Usage {
                message: format!("no rotation playbook ships for {}", profile.exchange),
                help: Some(
                    "write one (see playbooks/rotate/) and pass it with `--playbook`".into(),
                ),
            }
        })?),
    };
    let loaded = playbook::for_profile(Some(&playbook), &profile)?;
    if !playbook::is_rotation(&loaded.name) {
        return Err(Error::Usage {
            message: format!(
                "playbook `{}` is not a rotation: its name does not end in `-rotation`",
                loaded.name
            ),
            help: Some(
                "`lockdown rotate` runs rotation playbooks (playbooks/rotate/); a response is `lockdown respond`"
                    .into(),
            ),
        });
    }
    if let Some(min) = rotation.min_age {
        let age = age::of(&profile, &rotation.key, min).await?;
        if !age.old_enough() {
            ui.info(&format!(
                "lockdown: key {} is {} day(s) old, younger than --min-age ({} days): nothing to do",
                rotation.key.masked(),
                age.age_days,
                age.min_age_days
            ));
            return Ok(Rotated::TooYoung(age));
        }
        ui.info(&format!(
            "lockdown: key {} is {} day(s) old (--min-age {} days): rotating",
            rotation.key.masked(),
            age.age_days,
            age.min_age_days
        ));
    }
    let mut inputs = BTreeMap::new();
    if !rotation.permissions.is_empty() {
        inputs.insert("permissions".to_owned(), rotation.permissions.join(","));
    }
    if !rotation.ips.is_empty() {
        inputs.insert("ips".to_owned(), rotation.ips.join(","));
    }
    if let Some(grace) = rotation.grace {
        inputs.insert(
            "grace".to_owned(),
            humantime::format_duration(grace).to_string(),
        );
    }
    let request = Request {
        config: rotation.config,
        profile: Some(profile.name.clone()),
        playbook: Some(playbook),
        key: rotation.key,
        inputs,
        confirm: rotation.confirm,
        mode: rotation.mode,
        otp: rotation.otp,
        operator: rotation.operator,
        incident: None,
        rehearsal: None,
        cause: None,
    };
    Ok(Rotated::Ran(Box::new(
        respond_for(profile, request, ui).await?,
    )))
}
