//! Deribit's credits, as data for the client's scheduler (docs/venues/deribit.md §7,
//! <https://docs.deribit.com/articles/rate-limits>): a pool per (sub-)account, counted here per
//! signing key, one for matching-engine requests (orders and cancels) and one for the rest;
//! public methods cost nothing. The sizes are the defaults third parties cite (the page says
//! they depend on the tier): 500 credits a request from 50 000 refilled at 10 000 a second, and
//! the matching engine 5 requests a second with bursts of 20.

use crate::exchanges::Op;
use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate, RateLimits};

use super::Deribit;

/// Every private request outside the matching engine.
static NON_MATCHING: Limit = Limit {
    name: "deribit non-matching-engine credits",
    per: Per::Key,
    rate: Rate::Credits {
        size: 50_000,
        refill_per_s: 10_000,
    },
};

/// Orders and cancels.
static MATCHING: Limit = Limit {
    name: "deribit matching-engine credits",
    per: Per::Key,
    rate: Rate::Credits {
        size: 20_000,
        refill_per_s: 5_000,
    },
};

impl RateLimits for Deribit {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        match op {
            Op::ServerTime | Op::Segments { .. } => Vec::new(),
            Op::PlaceOrder(_)
            | Op::CancelOrder { .. }
            | Op::CancelAll { .. }
            | Op::CancelBatch { .. }
            | Op::CancelAfter { .. } => vec![Charge {
                limit: &MATCHING,
                cost: 1_000,
            }],
            _ => vec![Charge {
                limit: &NON_MATCHING,
                cost: 500,
            }],
        }
    }
}
