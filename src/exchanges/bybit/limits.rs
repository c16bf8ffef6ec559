//! Bybit's published rate limits, as data for the client's scheduler (docs/venues/bybit.md §7,
//! <https://bybit-exchange.github.io/docs/v5/rate-limit>): every endpoint per UID over a rolling
//! second (counted here per signing key), and every request per IP, 600 in 5 s. The user
//! endpoints' limits are on their own pages (docs/venues/bybit.md §4).

use crate::exchanges::mechanisms::{Charge, Limit, Per, RateLimits};
use crate::exchanges::model::Category;
use crate::exchanges::{Op, Revoke};

use super::Bybit;
use super::wire::TransferList;

/// A limit per key over a rolling second.
const fn per_second(name: &'static str, count: u32) -> Limit {
    per_key(name, count, 1_000)
}

const fn per_key(name: &'static str, count: u32, window_ms: u64) -> Limit {
    Limit {
        name,
        per: Per::Key,
        rate: crate::exchanges::mechanisms::Rate::Window { count, window_ms },
    }
}

/// Every request from the address.
static IP: Limit = Limit {
    name: "bybit requests per address",
    per: Per::Address,
    rate: crate::exchanges::mechanisms::Rate::Window {
        count: 600,
        window_ms: 5_000,
    },
};
static UPDATE_SUB_API: Limit = per_second("/v5/user/update-sub-api", 5);
static DELETE_SUB_API: Limit = per_second("/v5/user/delete-sub-api", 5);
static DELETE_API: Limit = per_second("/v5/user/delete-api", 5);
static CREATE_SUB_API: Limit = per_second("/v5/user/create-sub-api", 1);
static QUERY_API: Limit = per_second("/v5/user/query-api", 10);
// docs/venues/bybit.md §4: the freeze page's 5 requests a second.
static FREEZE_SUB: Limit = per_second("/v5/user/frozen-sub-member", 5);
static SUB_APIKEYS: Limit = per_second("/v5/user/sub-apikeys", 10);
static REALTIME: Limit = per_second("/v5/order/realtime", 50);
static HISTORY: Limit = per_second("/v5/order/history", 50);
static EXECUTIONS: Limit = per_second("/v5/execution/list", 50);
static WALLET: Limit = per_second("/v5/account/wallet-balance", 50);
static FUND_COINS: Limit = per_second("/v5/asset/transfer/query-account-coins-balance", 5);
static WITHDRAWALS: Limit = per_key("/v5/asset/withdraw/query-record", 300, 60_000);
static UNIVERSAL_TRANSFERS: Limit =
    per_second("/v5/asset/transfer/query-universal-transfer-list", 5);
static INTERNAL_TRANSFERS: Limit =
    per_key("/v5/asset/transfer/query-inter-transfer-list", 60, 60_000);
static WITHDRAW: Limit = per_second("/v5/asset/withdraw/create", 5);
static CANCEL_ALL_SPOT: Limit = per_second("/v5/order/cancel-all spot", 20);
static CANCEL_ALL_DERIVATIVES: Limit = per_second("/v5/order/cancel-all linear/inverse", 10);
static CANCEL_ALL_OPTION: Limit = per_second("/v5/order/cancel-all option", 1);
static CREATE_SPOT: Limit = per_second("/v5/order/create spot", 20);
static CREATE_OTHER: Limit = per_second("/v5/order/create linear/inverse/option", 10);
static AMEND_SPOT: Limit = per_second("/v5/order/amend spot", 20);
static AMEND_OTHER: Limit = per_second("/v5/order/amend linear/inverse/option", 10);
static CANCEL_SPOT: Limit = per_second("/v5/order/cancel spot", 20);
static CANCEL_OTHER: Limit = per_second("/v5/order/cancel linear/inverse/option", 10);

impl RateLimits for Bybit {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        let spot = |category: Category| category == Category::Spot;
        let endpoint: Option<&'static Limit> = match op {
            Op::RestrictKey { .. } => Some(&UPDATE_SUB_API),
            Op::FreezeAccount { .. } => Some(&FREEZE_SUB),
            Op::RevokeKey(Revoke::SelfMaster) => Some(&DELETE_API),
            Op::RevokeKey(_) => Some(&DELETE_SUB_API),
            Op::CreateKey { .. } => Some(&CREATE_SUB_API),
            Op::WhoAmI => Some(&QUERY_API),
            Op::SubKeys { .. } => Some(&SUB_APIKEYS),
            Op::OpenOrders { .. } => Some(&REALTIME),
            Op::Orders { .. } => Some(&HISTORY),
            Op::Fills { .. } => Some(&EXECUTIONS),
            Op::Balances => Some(&WALLET),
            Op::WalletBalances { .. } => Some(&FUND_COINS),
            Op::Withdrawals { .. } => Some(&WITHDRAWALS),
            Op::Transfers { cursor, .. } => match TransferList::of(cursor.as_deref()).0 {
                TransferList::Universal => Some(&UNIVERSAL_TRANSFERS),
                TransferList::Internal => Some(&INTERNAL_TRANSFERS),
            },
            Op::Withdraw { .. } => Some(&WITHDRAW),
            Op::CancelAll { segment } => Some(match segment.category {
                Category::Spot => &CANCEL_ALL_SPOT,
                Category::Option => &CANCEL_ALL_OPTION,
                _ => &CANCEL_ALL_DERIVATIVES,
            }),
            Op::PlaceOrder(order) if spot(order.segment.category) => Some(&CREATE_SPOT),
            Op::PlaceOrder(_) => Some(&CREATE_OTHER),
            Op::CancelOrder { segment, .. } if spot(segment.category) => Some(&CANCEL_SPOT),
            Op::CancelOrder { .. } => Some(&CANCEL_OTHER),
            Op::AmendOrder { segment, .. } if spot(segment.category) => Some(&AMEND_SPOT),
            Op::AmendOrder { .. } => Some(&AMEND_OTHER),
            Op::ServerTime
            | Op::Segments { .. }
            | Op::StreamToken { .. }
            | Op::CancelAfter { .. }
            | Op::CancelBatch { .. }
            | Op::AccessLog { .. } => None,
        };
        // The endpoint first: a refusal holds the first charge (`10006` is per endpoint).
        endpoint
            .into_iter()
            .map(Limit::once)
            .chain(std::iter::once(IP.once()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::Segment;
    use crate::exchanges::{ExchangeId, Window};

    #[test]
    fn each_call_counts_on_its_endpoint_then_the_address() {
        let venue = ExchangeId::Bybit.venue();
        let window = Window {
            start_ms: 0,
            end_ms: 1,
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        for (op, first) in [
            (
                Op::Orders {
                    segment: spot,
                    window,
                    cursor: None,
                },
                "/v5/order/history",
            ),
            (
                Op::Fills {
                    segment: spot,
                    window,
                    cursor: None,
                },
                "/v5/execution/list",
            ),
            (
                Op::Transfers {
                    window,
                    cursor: Some("internal|x".into()),
                },
                "/v5/asset/transfer/query-inter-transfer-list",
            ),
            (Op::CancelAll { segment: spot }, "/v5/order/cancel-all spot"),
        ] {
            let charges = venue.charges(&op);
            assert_eq!(charges[0].limit.name, first, "{op:?}");
            assert_eq!(charges.last().map(|c| c.limit.per), Some(Per::Address));
        }
        assert_eq!(venue.charges(&Op::ServerTime).len(), 1);
    }
}
