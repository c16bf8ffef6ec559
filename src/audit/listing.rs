//! The bounded, read-only calls that list API keys through the master: shared by `check` (is
//! each bot key still there, and how broad) and `audit` (every key the master can see).
//!
//! Every call is bounded in time ([`CALL_LIMIT`], retries and rate-limit waits included) and a
//! listing in pages ([`MAX_PAGES`]), so a venue that never stops paging cannot hold a scheduled
//! audit or check forever. Nothing here sends anything mutating: the callers' clients run in
//! dry-run mode.

use std::time::{Duration, Instant};

use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Auth, Client, ExchangeError, Op, Reply};
use crate::secret::Credential;

/// How long one call (its retries and rate-limit waits included) may take.
pub(crate) const CALL_LIMIT: Duration = Duration::from_secs(15);

/// The most pages one listing follows.
pub(crate) const MAX_PAGES: usize = 50;

/// Sends `op` signed by `credential` (or unsigned), bounded by [`CALL_LIMIT`].
pub(crate) async fn call(
    client: &Client,
    op: &Op,
    credential: Option<&Credential>,
) -> Result<Reply, ExchangeError> {
    let auth = credential.map_or(Auth::Public, Auth::Key);
    let client = client.with_deadline(Instant::now() + CALL_LIMIT);
    tokio::time::timeout(CALL_LIMIT, client.call(op, auth))
        .await
        .unwrap_or_else(|_| {
            Err(ExchangeError::Transport {
                detail: format!(
                    "no answer to `{}` within {} s",
                    op.name(),
                    CALL_LIMIT.as_secs()
                ),
                reached: true,
            })
        })
}

/// Every key of one account's listing (`Op::SubKeys`) as the master sees it, following its
/// cursor for at most [`MAX_PAGES`] pages. `account` is the sub-account as the venue names it;
/// `""` is the main account on venues whose listing takes no subject (Deribit).
pub(crate) async fn list_keys(
    client: &Client,
    master: &Credential,
    account: &str,
) -> Result<Vec<KeyInfo>, ExchangeError> {
    let mut keys = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let op = Op::SubKeys {
            account: account.to_owned(),
            cursor: cursor.take(),
        };
        let page = call(client, &op, Some(master)).await?.into_keys()?;
        keys.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(keys)
}
