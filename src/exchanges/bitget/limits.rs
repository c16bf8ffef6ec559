//! Bitget's published rate limits, as data for the client's scheduler (docs/venues/bitget.md
//! §7): each endpoint has its own "N times/1s" per UID, counted here per signing key as for the
//! other venues; going over is HTTP 429. Declared for the endpoints a response calls; spot
//! cancels are per symbol and futures cancels per product type, each its own endpoint.

use crate::exchanges::Op;
use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate, RateLimits};
use crate::exchanges::model::Segment;

use super::Bitget;
use super::endpoints::product_type;

const fn per_second(name: &'static str, count: u32) -> Limit {
    Limit {
        name,
        per: Per::Key,
        rate: Rate::Window {
            count,
            window_ms: 1_000,
        },
    }
}

static ACCOUNT_INFO: Limit = per_second("/api/v2/spot/account/info", 1);
static SUB_KEYS: Limit = per_second("/api/v2/user/virtual-subaccount-apikey-list", 5);
static MODIFY_KEY: Limit = per_second("/api/v2/user/modify-virtual-subaccount-apikey", 5);
static CREATE_KEY: Limit = per_second("/api/v2/user/create-virtual-subaccount-apikey", 5);
static FREEZE: Limit = per_second("/api/v2/user/modify-virtual-subaccount", 5);
static SPOT_CANCEL_SYMBOL: Limit = per_second("/api/v2/spot/trade/cancel-symbol-order", 5);
static MIX_CANCEL_ALL: Limit = per_second("/api/v2/mix/order/cancel-all-orders", 10);
static SPOT_HISTORY: Limit = per_second("/api/v2/spot/trade/history-orders", 20);
static SPOT_FILLS: Limit = per_second("/api/v2/spot/trade/fills", 10);
static MIX_HISTORY: Limit = per_second("/api/v2/mix/order/orders-history", 10);
static WITHDRAWALS: Limit = per_second("/api/v2/spot/wallet/withdrawal-records", 10);

fn spot(segment: &Segment) -> bool {
    product_type(segment).is_none()
}

impl RateLimits for Bitget {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        let limit: Option<&'static Limit> = match op {
            Op::WhoAmI => Some(&ACCOUNT_INFO),
            Op::SubKeys { .. } => Some(&SUB_KEYS),
            Op::RestrictKey { .. } => Some(&MODIFY_KEY),
            Op::CreateKey { .. } => Some(&CREATE_KEY),
            Op::FreezeAccount { .. } => Some(&FREEZE),
            Op::CancelBatch { segment, .. } if spot(segment) => Some(&SPOT_CANCEL_SYMBOL),
            Op::CancelBatch { .. } => Some(&MIX_CANCEL_ALL),
            Op::Orders { segment, .. } if spot(segment) => Some(&SPOT_HISTORY),
            Op::Orders { .. } => Some(&MIX_HISTORY),
            Op::Fills { segment, .. } if spot(segment) => Some(&SPOT_FILLS),
            Op::Withdrawals { .. } => Some(&WITHDRAWALS),
            _ => None,
        };
        limit.into_iter().map(Limit::once).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Venue;

    #[test]
    fn the_key_calls_and_cancels_are_paced() {
        assert_eq!(Bitget.charges(&Op::WhoAmI).len(), 1);
        assert!(Bitget.charges(&Op::ServerTime).is_empty());
        assert!(Bitget.rate_limits().is_some());
    }
}
