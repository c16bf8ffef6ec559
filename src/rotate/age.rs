//! How old a key is, for `lockdown rotate --min-age` (and so for scheduled rotations).
//!
//! The creation time is what the exchange says: the key's own answer about itself where the
//! profile holds its secret, else the master's listing of its account. A venue that does not
//! say when the key was made stops the rotation as bad input: rotating on a guess would churn
//! keys every time the schedule fires.

use std::time::Duration;

use serde::Serialize;

use crate::config::Profile;
use crate::error::Error;
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Auth, Op, Reply};
use crate::secret::KeyId;

const DAY: u64 = 86_400;

/// A key's age against the minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAge {
    /// When the exchange says it was made (RFC 3339).
    pub created_at: String,
    /// Whole days since.
    pub age_days: u64,
    /// The minimum, in whole days.
    pub min_age_days: u64,
    /// The minimum as given.
    #[serde(skip)]
    min: Duration,
    /// The age.
    #[serde(skip)]
    age: Duration,
}

impl KeyAge {
    /// Whether the key is at least the minimum age.
    pub fn old_enough(&self) -> bool {
        self.age >= self.min
    }
}

/// Reads `key`'s creation time from the exchange and measures it against `min`.
pub async fn of(profile: &Profile, key: &KeyId, min: Duration) -> Result<KeyAge, Error> {
    let client = crate::respond::connect(profile, crate::exchanges::Mode::Live)?;
    let info = describe(&client, profile, key).await?;
    let Some(created_at) = info.created_at.clone() else {
        return Err(Error::Usage {
            message: format!(
                "{} does not say when key {} was made: `--min-age` cannot be applied",
                profile.exchange,
                key.masked()
            ),
            help: Some(
                "rotate it without `--min-age` (by hand or on a schedule of its own)".into(),
            ),
        });
    };
    let made = chrono::DateTime::parse_from_rfc3339(&created_at)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|err| Error::Exchange {
            message: format!(
                "key {}'s creation time `{created_at}` does not read: {err}",
                key.masked()
            ),
            help: None,
        })?;
    let age = (chrono::Utc::now() - made).to_std().unwrap_or_default();
    Ok(KeyAge {
        created_at,
        age_days: age.as_secs() / DAY,
        min_age_days: min.as_secs() / DAY,
        min,
        age,
    })
}

async fn describe(
    client: &crate::exchanges::Client,
    profile: &Profile,
    key: &KeyId,
) -> Result<KeyInfo, Error> {
    let failed = |err: crate::exchanges::ExchangeError| Error::Exchange {
        message: format!("cannot read key {}: {err}", key.masked()),
        help: err.hint().map(str::to_owned),
    };
    if let Some(account) = profile.key(key).and_then(|k| k.account.clone()) {
        let keys = client
            .all_pages(
                |cursor| Op::SubKeys {
                    account: account.clone(),
                    cursor,
                },
                Auth::Key(&profile.master),
                Reply::into_keys,
            )
            .await
            .map_err(failed)?;
        if let Some(found) = keys
            .into_iter()
            .find(|k| k.names(key) && k.created_at.is_some())
        {
            return Ok(found);
        }
    }
    let cred = crate::actions::key_credential(profile, key).map_err(|err| Error::Usage {
        message: err.to_string(),
        help: err.hint(),
    })?;
    client
        .call(&Op::WhoAmI, Auth::Key(cred))
        .await
        .and_then(Reply::into_key)
        .map_err(failed)
}
