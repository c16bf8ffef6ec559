//! BitMEX's rate limits, as data for the client's scheduler (docs/venues/bitmex.md §7): a
//! per-minute budget on every request and a per-second layer on the order routes
//! (`POST/PUT/DELETE /order`, `DELETE /order/all`). BitMEX counts per account; counted here per
//! signing key, as for the other venues. The per-minute figure is the 120 authenticated requests
//! CCXT and nautilus_trader cite; BitMEX's 2019 announcement said 60, so a refusal (HTTP 429) is
//! still waited out by its `x-ratelimit-reset`.

use crate::exchanges::Op;
use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate, RateLimits};

use super::Bitmex;

/// Every request.
static MINUTE: Limit = Limit {
    name: "bitmex requests",
    per: Per::Key,
    rate: Rate::Window {
        count: 120,
        window_ms: 60_000,
    },
};

/// The order routes' second layer.
static ORDERS: Limit = Limit {
    name: "bitmex order routes",
    per: Per::Key,
    rate: Rate::Window {
        count: 10,
        window_ms: 1_000,
    },
};

impl RateLimits for Bitmex {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        match op {
            Op::ServerTime => Vec::new(),
            Op::PlaceOrder(_)
            | Op::CancelOrder { .. }
            | Op::AmendOrder { .. }
            | Op::CancelAll { .. }
            | Op::CancelBatch { .. } => vec![MINUTE.once(), ORDERS.once()],
            _ => vec![MINUTE.once()],
        }
    }
}
