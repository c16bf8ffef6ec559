//! Where the watcher's orders come from: a [`Source`] per watched key.
//!
//! A source hands the watcher batches of orders that are new or changed since its last batch,
//! each order once per state: the REST poller ([`super::poll::RestPoll`], every venue) now; a
//! venue's private stream later, with the poller filling the gap after each reconnect
//! (docs/watch.md §1). The watcher does not care which: it judges what comes.

use std::future::Future;
use std::pin::Pin;

use crate::exchanges::ExchangeError;
use crate::exchanges::model::Order;

/// Orders new or changed since the last batch.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The orders, as the exchange shows them now.
    pub orders: Vec<Order>,
    /// When the look began, on the exchange's clock (Unix ms): everything before it is in.
    pub exchange_ms: i64,
}

/// A source of one key's orders.
pub trait Source: Send {
    /// What the last batch came from, for signals and logs (`rest_poll`, `stream`,
    /// `gap_fill`).
    fn name(&self) -> &'static str;

    /// REST reads sent so far.
    fn reads(&self) -> u64;

    /// Lines for the operator since the last call (a stream that dropped); none by default.
    fn take_notes(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Whether the source sees everything from now on: a poller after its first look, a
    /// stream once every connection has been up and its gap filled (until then it polls, and a
    /// drill's attacker waits). By default always.
    fn armed(&self) -> bool {
        true
    }

    /// A stream source's figures; `None` for the poller.
    fn figures(&self) -> Option<super::stream::StreamFigures> {
        None
    }

    /// The next batch, when there is one (a poller waits for its next tick). An error leaves
    /// the source where it was: the next batch covers what this one could not.
    fn next(&mut self) -> Pin<Box<dyn Future<Output = Result<Batch, ExchangeError>> + Send + '_>>;
}
