//! The account's security log, as `private/get_access_log` shows it (docs/venues/deribit.md §4).
//!
//! The simulator writes an entry for every API login (`success` or `failure`, with the key's
//! client id and the address) and every key change made through the API (`new_api_key`,
//! `removed_api_key`, `changed_scope`, `changed_whitelist`, `disabled_api_key`,
//! `enabled_api_key`, with the key's client id), on the account the key belongs to. Web-only
//! events (passwords, 2FA) never happen here. Countries and cities are not modelled (empty).

use std::net::IpAddr;

use serde_json::{Value, json};

use crate::sim::deribit::caller::Caller;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::RpcError;
use crate::sim::deribit::state::DeribitState;
use crate::sim::state::Venue;

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogEntry {
    pub(crate) id: u64,
    pub(crate) uid: u64,
    pub(crate) at_ms: i64,
    pub(crate) ip: Option<IpAddr>,
    pub(crate) log: &'static str,
    pub(crate) data: String,
}

/// Adds an entry to `uid`'s log.
pub(crate) fn record(v: &mut Venue, uid: u64, ip: Option<IpAddr>, log: &'static str, data: &str) {
    let at_ms = v.now_ms();
    let log_state = &mut v.own.get_mut::<DeribitState>();
    log_state.next_log_id += 1;
    let id = log_state.next_log_id;
    log_state.security_log.push(LogEntry {
        id,
        uid,
        at_ms,
        ip,
        log,
        data: data.to_owned(),
    });
}

/// `private/get_access_log`: the acting account's entries, newest first, `offset`/`count`
/// (default 10, at most 1000), as `{records_total, data}` (the method page's example; its schema
/// says a bare array). Each entry names its event `log`, as the schema and its list of values
/// do (the example calls it `result`).
pub(crate) fn get_access_log(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let count = p.count(10, 1000)?;
    let offset = p.offset()?;
    let mut entries: Vec<&LogEntry> = v
        .own
        .get_mut::<DeribitState>()
        .security_log
        .iter()
        .filter(|e| e.uid == c.account)
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse((e.at_ms, e.id)));
    let total = entries.len();
    let page: Vec<Value> = entries
        .into_iter()
        .skip(offset)
        .take(count)
        .map(|e| {
            json!({
                "id": e.id,
                "timestamp": e.at_ms,
                "ip": e.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                "log": e.log,
                "data": e.data,
                "country": "",
                "city": "",
            })
        })
        .collect();
    Ok(json!({ "records_total": total, "data": page }))
}
