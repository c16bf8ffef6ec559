//! OKX's published rate limits, as data for the client's scheduler (docs/venues/okx.md §7, each
//! endpoint's page under <https://www.okx.com/docs-v5/en/>): "N requests per 2 seconds" (or per
//! second) per user ID and endpoint, counted here per signing key; going over is `50011`.
//!
//! Declared for the calls whose endpoint the operation alone names (keys, balances, funds,
//! cancels, orders placed). Order and fill history and open orders are not declared: their
//! endpoint depends on the page (algo pages, the archive past 7 days, fills past 3 days), and
//! one conservative bucket for all would halve the plain reads; their refusals are waited out
//! like any other (with jitter, within the call's deadline).

use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate, RateLimits};
use crate::exchanges::{Op, Revoke};

use super::Okx;
use super::endpoints::is_algo_segment;

const fn per_key(name: &'static str, count: u32, window_ms: u64) -> Limit {
    Limit {
        name,
        per: Per::Key,
        rate: Rate::Window { count, window_ms },
    }
}

static CONFIG: Limit = per_key("/api/v5/account/config", 5, 2_000);
static SUB_KEYS: Limit = per_key("GET /api/v5/users/subaccount/apikey", 20, 2_000);
static MODIFY_KEY: Limit = per_key("/api/v5/users/subaccount/modify-apikey", 1, 1_000);
static DELETE_KEY: Limit = per_key("/api/v5/users/subaccount/delete-apikey", 1, 1_000);
static CREATE_KEY: Limit = per_key("POST /api/v5/users/subaccount/apikey", 1, 1_000);
static BALANCE: Limit = per_key("/api/v5/account/balance", 10, 2_000);
static FUNDING: Limit = per_key("/api/v5/asset/balances", 6, 1_000);
static WITHDRAWALS: Limit = per_key("/api/v5/asset/withdrawal-history", 6, 1_000);
static BILLS: Limit = per_key("/api/v5/asset/subaccount/bills", 6, 1_000);
static WITHDRAW: Limit = per_key("/api/v5/asset/withdrawal", 6, 1_000);
static CANCEL_BATCH: Limit = per_key("/api/v5/trade/cancel-batch-orders", 15, 2_000);
static CANCEL_ALGOS: Limit = per_key("/api/v5/trade/cancel-algos", 20, 2_000);
static CANCEL_AFTER: Limit = per_key("/api/v5/trade/cancel-all-after", 1, 1_000);
static CANCEL_ORDER: Limit = per_key("/api/v5/trade/cancel-order", 60, 2_000);

impl RateLimits for Okx {
    fn charges(&self, op: &Op) -> Vec<Charge> {
        let limit: Option<&'static Limit> = match op {
            Op::WhoAmI => Some(&CONFIG),
            Op::SubKeys { .. } => Some(&SUB_KEYS),
            Op::RestrictKey { .. } => Some(&MODIFY_KEY),
            Op::RevokeKey(Revoke::ByMaster { .. }) => Some(&DELETE_KEY),
            Op::CreateKey { .. } => Some(&CREATE_KEY),
            Op::Balances => Some(&BALANCE),
            Op::WalletBalances { .. } => Some(&FUNDING),
            Op::Withdrawals { .. } => Some(&WITHDRAWALS),
            Op::Transfers { .. } => Some(&BILLS),
            Op::Withdraw { .. } => Some(&WITHDRAW),
            Op::CancelBatch { segment, .. } if is_algo_segment(segment) => Some(&CANCEL_ALGOS),
            Op::CancelBatch { .. } => Some(&CANCEL_BATCH),
            Op::CancelAfter { .. } => Some(&CANCEL_AFTER),
            Op::CancelOrder { .. } => Some(&CANCEL_ORDER),
            _ => None,
        };
        limit.into_iter().map(Limit::once).collect()
    }
}
