//! How a venue cancels every open order of an account: the fact the `cancel_orders` action
//! needs to choose between one call per segment and listing orders to cancel them in batches.
//!
//! Bybit has a cancel-all per category (docs/venues/bybit.md §5); OKX has none and cancels at most
//! 20 named orders per request (docs/venues/okx.md §5); Binance cancels every open order of one
//! symbol per request (docs/venues/binance.md §5). The action, not the adapter, does the listing,
//! so adapters stay one request per operation.

/// How a venue cancels every open order of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelStyle {
    /// One [`super::Op::CancelAll`] per segment cancels everything in it.
    PerSegment,
    /// No cancel-all: list the open orders of each segment and cancel them with
    /// [`super::Op::CancelBatch`], at most `max` a call.
    Batches {
        /// The most orders one batch may name.
        max: usize,
    },
    /// A cancel-all per symbol only: list the open orders of each segment and send one
    /// [`super::Op::CancelBatch`] per symbol, naming that symbol's orders; the venue cancels
    /// every open order of the symbol (those placed since the listing too).
    PerSymbol,
}
