//! Call records: one line per request for the journal and the report.
//!
//! A record holds the method, the path without its query (queries can be long and hold account
//! ids), the masked key id, timings, status, the venue's code and the outcome: never a body or a
//! header, so nothing secret reaches the journal through it.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::Client;
use super::plan::Plan;
use crate::clock;
use crate::exchanges::ExchangeError;
use crate::secret::Credential;

/// One call as the journal and the report see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRecord {
    /// The operation's name.
    pub op: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path (no query: queries can be long and hold account ids).
    pub path: String,
    /// Masked id of the signing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When it was sent, RFC 3339 UTC, local clock.
    pub sent_at: String,
    /// Round-trip time.
    pub duration_ms: u64,
    /// HTTP status, when an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The venue's result code, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The exchange's clock when it answered, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
    /// `ok`, or the error.
    pub outcome: String,
}

/// Where a client appends its call records.
pub type CallSink = Arc<Mutex<Vec<CallRecord>>>;

/// When a request left, for its record.
pub(super) struct Sent {
    at: String,
    started: Instant,
}

impl Sent {
    /// Now.
    pub(super) fn now() -> Sent {
        Sent {
            at: clock::now_rfc3339(),
            started: Instant::now(),
        }
    }

    /// The round trip, now that the answer came.
    pub(super) fn answered(self) -> Took {
        Took {
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            at: self.at,
        }
    }
}

/// When a request left and how long its answer took.
pub(super) struct Took {
    at: String,
    duration_ms: u64,
}

/// What came of a request, for its record.
pub(super) struct Answer<'a, T> {
    pub(super) status: Option<u16>,
    pub(super) code: Option<String>,
    pub(super) server_ms: Option<i64>,
    pub(super) result: &'a Result<T, ExchangeError>,
}

impl CallRecord {
    /// The record of `plan`, sent for `op` with `key`'s credential, and answered.
    pub(super) fn new<T>(
        op: &'static str,
        plan: &Plan,
        key: Option<&Credential>,
        took: Took,
        answer: Answer<'_, T>,
    ) -> CallRecord {
        CallRecord {
            op,
            method: plan.request().method.as_str(),
            path: plan.request().path.clone(),
            key: key.map(|cred| cred.key.masked()),
            sent_at: took.at,
            duration_ms: took.duration_ms,
            status: answer.status,
            code: answer.code,
            server_time: answer.server_ms.map(clock::rfc3339_ms),
            outcome: match answer.result {
                Ok(_) => "ok".to_owned(),
                Err(err) => err.to_string(),
            },
        }
    }
}

impl Client {
    /// Appends a record to the sink, when the client records.
    pub(super) fn record(&self, record: CallRecord) {
        if let Some(sink) = &self.sink
            && let Ok(mut records) = sink.lock()
        {
            records.push(record);
        }
    }
}
