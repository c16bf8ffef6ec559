//! BingX's rate limits, as data for the client's scheduler (docs/venues/bingx.md §7): each
//! endpoint's per-UID limit (the docs' `rate-limitation` field), counted here per signing key
//! as for the other venues, and the account groups' 2000 requests per 10 s per address. Over a
//! limit BingX answers `100410` (or HTTP 429), and holds the endpoint back for a while; a 429
//! ignored earns 418, an IP ban: the client never sends into one.

use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate, RateLimits};
use crate::exchanges::{Op, Revoke};

use super::Bingx;
use super::endpoints::{Product, product};

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

/// Spot trading, cancels and reads: 10 a second each.
static SPOT: Limit = per_second("bingx spot endpoints", 10);
/// The spot balance: 5 a second.
static BALANCE: Limit = per_second("bingx spot balance", 5);
/// The perpetuals' endpoints: 5 a second (USDT-M `cancelAllAfter`: 2).
static PERP: Limit = per_second("bingx perpetual endpoints", 5);
/// The sub-account and key endpoints: 5 a second.
static KEYS: Limit = per_second("bingx key endpoints", 5);
/// The stream's listen key: 2 a second.
static LISTEN_KEY: Limit = per_second("bingx listen key", 2);
/// Withdrawals: 2 a second.
static WITHDRAW: Limit = per_second("bingx withdraw", 2);
/// The withdrawal history: 10 a second.
static WALLET: Limit = per_second("bingx withdraw history", 10);

/// IP groups 2 and 3: 2000 requests per 10 s per address over the group.
static ADDRESS: Limit = Limit {
    name: "bingx account endpoints per address",
    per: Per::Address,
    rate: Rate::Window {
        count: 2000,
        window_ms: 10_000,
    },
};

impl RateLimits for Bingx {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        let endpoint = match op {
            Op::ServerTime | Op::Segments { .. } => return Vec::new(),
            Op::StreamToken { .. } => &LISTEN_KEY,
            Op::WhoAmI
            | Op::SubKeys { .. }
            | Op::RestrictKey { .. }
            | Op::RevokeKey(Revoke::ByMaster { .. })
            | Op::FreezeAccount { .. }
            | Op::CreateKey { .. } => &KEYS,
            Op::Balances | Op::WalletBalances { .. } => &BALANCE,
            Op::Withdraw { .. } => &WITHDRAW,
            Op::Withdrawals { .. } | Op::Transfers { .. } => &WALLET,
            Op::CancelAfter { .. } => &SPOT,
            Op::CancelAll { segment }
            | Op::CancelBatch { segment, .. }
            | Op::OpenOrders { segment, .. }
            | Op::Orders { segment, .. }
            | Op::Fills { segment, .. }
            | Op::CancelOrder { segment, .. }
            | Op::AmendOrder { segment, .. } => match product(segment) {
                Ok(Product::Spot) => &SPOT,
                _ => &PERP,
            },
            Op::PlaceOrder(order) => match product(&order.segment) {
                Ok(Product::Spot) => &SPOT,
                _ => &PERP,
            },
            Op::RevokeKey(_) | Op::AccessLog { .. } => &KEYS,
        };
        vec![endpoint.once(), ADDRESS.once()]
    }
}
