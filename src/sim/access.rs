//! The access log: one entry per request the simulator answered.
//!
//! Tests and drills read it to measure time-to-contain (the first refusal of the attacker) and to
//! prove who was refused. It records the peer address the socket saw, never a header's claim, and
//! never a secret or a signature.

use std::net::IpAddr;

/// One answered request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AccessEntry {
    /// The exchange's clock (skew included) when the request was answered, Unix ms.
    pub at_ms: i64,
    /// The real peer address; `None` when the router was served without connect info.
    pub peer: Option<IpAddr>,
    /// The `X-BAPI-API-KEY` header as sent, known or not; `None` when absent.
    pub key_id: Option<String>,
    pub method: String,
    pub path: String,
    /// HTTP status (200 for every enveloped answer, as Bybit does).
    pub http_status: u16,
    /// The envelope's `retCode`; `None` when there was no envelope (401, 404).
    pub ret_code: Option<i64>,
    /// Hidden truth: the key named in the request is one the attacker holds.
    pub leaked_key: bool,
}

impl AccessEntry {
    /// Returns true when the request was accepted (`retCode` 0).
    pub fn accepted(&self) -> bool {
        self.ret_code == Some(0)
    }
}
