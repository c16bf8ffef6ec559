//! Money that is not an order: balances per account and coin, withdrawals, universal transfers.
//!
//! Balances move through fills (spot: both coins and the fee; linear: the fee) and accepted
//! withdrawals; transfers are seeded records that the snapshot endpoints list. A balance never
//! goes negative through the API: orders and withdrawals that would overdraw are refused before
//! they exist (see `state.rs`); only a scenario whose own history overdraws can seed one.

use std::collections::BTreeMap;

/// Wallet balances: account UID to coin to amount.
#[derive(Clone, Debug, Default)]
pub(crate) struct Balances(BTreeMap<u64, BTreeMap<String, f64>>);

impl Balances {
    /// Returns the wallet balance of `coin` in account `uid` (zero when absent).
    pub(crate) fn get(&self, uid: u64, coin: &str) -> f64 {
        self.0
            .get(&uid)
            .and_then(|m| m.get(coin))
            .copied()
            .unwrap_or(0.0)
    }

    /// Adds `delta` (may be negative) to `coin` in account `uid`.
    pub(crate) fn add(&mut self, uid: u64, coin: &str, delta: f64) {
        *self
            .0
            .entry(uid)
            .or_default()
            .entry(coin.to_owned())
            .or_insert(0.0) += delta;
    }

    /// Returns the coins held by `uid`, in coin order.
    pub(crate) fn coins(&self, uid: u64) -> Vec<(String, f64)> {
        self.0
            .get(&uid)
            .map(|m| m.iter().map(|(c, v)| (c.clone(), *v)).collect())
            .unwrap_or_default()
    }

    /// Returns every account's balances.
    pub(crate) fn all(&self) -> &BTreeMap<u64, BTreeMap<String, f64>> {
        &self.0
    }
}

/// How a withdrawal travels: Bybit's `withdrawType` 0 (on-chain) or 1 (off-chain, to another
/// Bybit UID; docs/venues/bybit.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WithdrawKind {
    OnChain,
    OffChain,
}

impl WithdrawKind {
    /// Returns Bybit's `withdrawType`.
    pub(crate) fn as_int(self) -> i64 {
        match self {
            WithdrawKind::OnChain => 0,
            WithdrawKind::OffChain => 1,
        }
    }
}

/// One withdrawal from an account (Bybit lists them for master keys only, docs/venues/bybit.md §6).
#[derive(Clone, Debug)]
pub(crate) struct Withdrawal {
    pub(crate) withdraw_id: String,
    pub(crate) uid: u64,
    pub(crate) kind: WithdrawKind,
    /// Empty until the chain has one.
    pub(crate) tx_id: String,
    pub(crate) coin: String,
    pub(crate) chain: String,
    pub(crate) amount: String,
    pub(crate) fee: String,
    pub(crate) to_address: String,
    pub(crate) status: String,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

/// One universal (master ↔ sub) transfer.
#[derive(Clone, Debug)]
pub(crate) struct Transfer {
    pub(crate) transfer_id: String,
    pub(crate) coin: String,
    pub(crate) amount: String,
    pub(crate) from_uid: u64,
    pub(crate) to_uid: u64,
    pub(crate) from_account_type: String,
    pub(crate) to_account_type: String,
    pub(crate) status: String,
    pub(crate) at_ms: i64,
}
