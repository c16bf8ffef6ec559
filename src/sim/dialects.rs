//! The one place that maps an exchange to its simulated dialect.
//!
//! Everything else in the core reaches a venue's ways through [`SimDialect`]; keeping the
//! mapping to a single `match` here means a new dialect adds one line and the core stays
//! unaware of the dialects' folders.

use crate::exchanges::ExchangeId;
use crate::sim::dialect::SimDialect;
use crate::sim::{binance, bybit, deribit, kraken, okx};

/// Returns the simulated dialect of `id`.
pub(crate) fn dialect(id: ExchangeId) -> &'static dyn SimDialect {
    match id {
        ExchangeId::Binance => &binance::DIALECT,
        ExchangeId::Bybit => &bybit::DIALECT,
        ExchangeId::Deribit => &deribit::DIALECT,
        ExchangeId::Kraken => &kraken::DIALECT,
        ExchangeId::Okx => &okx::DIALECT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    #[test]
    fn every_exchange_maps_to_the_dialect_that_speaks_as_it() {
        for &id in ExchangeId::ALL {
            assert_eq!(dialect(id).exchange(), id, "{id}");
            assert_eq!(Sim::new(id, 1).dialect(), id, "{id}");
        }
    }
}
