//! The access log: one entry per request the simulator answered.
//!
//! Tests and drills read it to measure time-to-contain (the first refusal of the attacker) and to
//! prove who was refused. It records the peer address the socket saw, never a header's claim, and
//! never a secret or a signature. Under injected faults it records both sides: what the client got
//! (`http_status`) and what the exchange did (`ret_code`), and which fault came between (`fault`).

use std::net::IpAddr;

use crate::sim::injector::FaultKind;

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
    /// HTTP status the client got (200 for every enveloped answer, as Bybit does); 0 when the
    /// connection was dropped without an answer (`reset-*` faults).
    pub http_status: u16,
    /// The `retCode` of the exchange's own answer; `None` when it had no envelope (401, 404) or
    /// the request was not executed (`429`, `*-before` faults). After a `*-after` fault it is the
    /// verdict the client never saw.
    pub ret_code: Option<i64>,
    /// Hidden truth: the key named in the request is one the attacker holds.
    pub leaked_key: bool,
    /// The injected fault this request met, if any (`Sim::set_faults`).
    pub fault: Option<FaultKind>,
}

impl AccessEntry {
    /// Returns true when the exchange executed and accepted the request (`retCode` 0), even if
    /// a `*-after` fault hid the answer from the client.
    pub fn accepted(&self) -> bool {
        self.ret_code == Some(0)
    }
}
