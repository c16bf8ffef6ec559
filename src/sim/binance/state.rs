//! What the Binance dialect keeps besides the shared venue: request weights and bans, the
//! accounts' emails, USD-M conditional (algo) orders, which orders are cross- or isolated-margin
//! ones (and each account's isolated pairs), its funding wallets and the deposits that filled
//! them, and its numeric order and trade ids.
//!
//! Cross-margin orders trade on the spot books (Binance's margin account trades the spot
//! symbols), so they are the venue's spot orders; the ids kept here set them apart, so that the
//! spot endpoints never show them and the margin endpoints (`margin.rs`) show only them.
//!
//! Binance names sub-accounts by email (`…_virtual@…noemail.com` for virtual sub-accounts) in
//! the sub-account endpoints and by `subAccountId` in the broker ones (the simulator uses the
//! account's UID for it). Order and trade ids are integers that grow in creation order, as
//! Binance's do, which is what `orderId`/`fromId` paging relies on.

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::binance::algo::AlgoOrder;
use crate::sim::binance::outage::Outage;
use crate::sim::binance::wallet::Deposit;
use crate::sim::binance::weight::Limits;

/// The first order id handed out.
const FIRST_ORDER_ID: u64 = 4_100_000;
/// The first trade id handed out.
const FIRST_TRADE_ID: u64 = 930_000;

/// The Binance dialect's own state; empty on other dialects.
#[derive(Debug, Default)]
pub(crate) struct BinanceState {
    /// Request weights, back-offs and bans.
    pub(crate) limits: Limits,
    /// Every account's email, by UID.
    pub(crate) emails: BTreeMap<u64, String>,
    /// USD-M conditional (algo) orders, oldest first (`algo.rs`).
    pub(crate) algo_orders: Vec<AlgoOrder>,
    /// The ids of the spot orders placed in a cross-margin account (`margin.rs`).
    pub(crate) margin_orders: BTreeSet<String>,
    /// The ids of the spot orders placed in an isolated-margin account (`margin.rs`).
    pub(crate) isolated_orders: BTreeSet<String>,
    /// Every account's isolated-margin pairs (created by its first isolated order), by UID.
    pub(crate) isolated_pairs: BTreeMap<u64, BTreeSet<String>>,
    /// The accounts that never opened a margin account: their margin requests are `-3003`.
    pub(crate) without_margin: BTreeSet<u64>,
    /// Every account's funding wallet, by UID then coin (`wallet.rs`).
    pub(crate) funding: BTreeMap<u64, BTreeMap<String, f64>>,
    /// The deposits credited to the accounts (seeded only), oldest first (`wallet.rs`).
    pub(crate) deposits: Vec<Deposit>,
    /// The futures listen keys handed out (`stream.rs`).
    pub(crate) listen_keys: Vec<crate::sim::binance::stream::ListenKey>,
    /// A planned outage of one path (`Sim::binance_outage`), for tests.
    pub(crate) outage: Option<Outage>,
    orders_made: u64,
    trades_made: u64,
}

impl BinanceState {
    /// A new order id.
    pub(crate) fn order_id(&mut self) -> String {
        self.orders_made += 1;
        (FIRST_ORDER_ID + self.orders_made).to_string()
    }

    /// A new trade id.
    pub(crate) fn trade_id(&mut self) -> String {
        self.trades_made += 1;
        (FIRST_TRADE_ID + self.trades_made).to_string()
    }

    /// Whether a spot order was placed in a cross-margin account.
    pub(crate) fn is_margin(&self, order_id: &str) -> bool {
        self.margin_orders.contains(order_id)
    }

    /// Whether a spot order was placed in an isolated-margin account.
    pub(crate) fn is_isolated(&self, order_id: &str) -> bool {
        self.isolated_orders.contains(order_id)
    }

    /// The account's email.
    pub(crate) fn email(&self, uid: u64) -> Option<&str> {
        self.emails.get(&uid).map(String::as_str)
    }

    /// The account an email names.
    pub(crate) fn uid_of(&self, email: &str) -> Option<u64> {
        self.emails
            .iter()
            .find(|(_, e)| e.eq_ignore_ascii_case(email))
            .map(|(uid, _)| *uid)
    }
}
