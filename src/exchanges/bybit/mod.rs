//! Bybit V5 (docs/venues/bybit.md): HMAC signing with `X-BAPI-*` headers, key management under
//! `/v5/user/*`, `cancel-all` per category, cursor-paginated history in 7-day windows.
//!
//! Bybit lets the master manage a sub-account's keys but not cancel its orders, so the default
//! playbook locks the leaked key to the responder's IP first and then uses the key itself.

mod endpoints;
mod signer;
mod wire;

use std::time::Duration;

use super::mechanisms::CompanionCalls;
use super::model::{Category, Segment};
use super::{
    CallContext, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request, Response,
};
use super::{Reply, SignedRequest, Support, Venue};
use crate::secret::Credential;

pub use signer::{RECV_WINDOW_MS, prehash, sign_prehash};

/// The Bybit V5 adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bybit;

/// Every slice `cancel-all` and `order/realtime` must be called for: linear and inverse need a
/// settle coin, spot and option do not (docs/venues/bybit.md §5).
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: None,
    },
    Segment {
        category: Category::Linear,
        settle: Some("USDT"),
    },
    Segment {
        category: Category::Linear,
        settle: Some("USDC"),
    },
    Segment {
        category: Category::Inverse,
        settle: Some("BTC"),
    },
    Segment {
        category: Category::Option,
        settle: None,
    },
];

impl Venue for Bybit {
    fn id(&self) -> ExchangeId {
        ExchangeId::Bybit
    }

    fn support(&self, capability: Capability) -> Support {
        // Sub-account keys: all by API through the master (docs/venues/README.md §1,
        // docs/venues/bybit.md §4); no security log; the dead-man switch (DCP) is
        // institutional-only and needs a WebSocket (docs/venues/bybit.md §5).
        match capability {
            Capability::AccessLog => Support::Unavailable("Bybit has no access-log API"),
            Capability::DeadMan => {
                Support::Unavailable("DCP is institutional-only and WebSocket-bound")
            }
            _ => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn max_window(&self, history: History) -> Duration {
        // docs/venues/bybit.md §6: orders, executions and transfers at most 7 days a call;
        // withdrawals under 30 days.
        let days = match history {
            History::Orders | History::Fills | History::Transfers => 7,
            History::Withdrawals => 29,
        };
        Duration::from_secs(days * 86_400)
    }

    fn symbol(&self, _category: Category, base: &str, quote: &str) -> String {
        format!("{base}{quote}")
    }

    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
        endpoints::encode(op, call.now_ms)
    }

    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest {
        signer::sign(request, credential, call.now_ms)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn companions(&self) -> Option<&dyn CompanionCalls> {
        Some(self)
    }
}

/// The funding wallet (`FUND`) is a second account beside the unified one, read by an endpoint
/// of its own (docs/venues/bybit.md §6): balances are the unified wallet's followed by it.
impl CompanionCalls for Bybit {
    fn then(&self, op: &Op, _reply: &Reply) -> Option<Op> {
        (*op == Op::Balances).then_some(Op::FundingBalances)
    }
}
