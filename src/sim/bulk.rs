//! Bulk history for benchmarks: many filled orders of the bot written straight into the state,
//! as the seeded incident's are (no HTTP, no matching), so that a benchmark reads a long history
//! without spending minutes placing it.

use crate::sim::Sim;
use crate::sim::matching::Fill;
use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
use crate::sim::seed::{BOT_UID, Ending, record_order};
use crate::sim::state::NewOrder;

impl Sim {
    /// Records `count` filled limit orders of the bot's account (one fill each), spread evenly
    /// over the `span_ms` before now and round-robin over the venue's instruments with a
    /// reference price (spot, linear, inverse), so that every history segment has its share.
    pub fn seed_filled_history(&self, count: usize, span_ms: i64) {
        let mut v = self.lock();
        let now = v.now_ms();
        let instruments: Vec<_> = v
            .instruments
            .iter()
            .filter(|i| {
                matches!(
                    i.category,
                    Category::Spot | Category::Linear | Category::Inverse
                ) && i.symbol.starts_with("BTC")
            })
            .cloned()
            .collect();
        if instruments.is_empty() || count == 0 {
            return;
        }
        let step = (span_ms / i64::try_from(count).unwrap_or(i64::MAX)).max(1);
        for n in 0..count {
            let inst = &instruments[n % instruments.len()];
            let created = now - span_ms + step * i64::try_from(n).unwrap_or(0);
            let price = inst.ref_price;
            let new = NewOrder {
                uid: BOT_UID,
                category: inst.category,
                symbol: inst.symbol.clone(),
                side: if n % 2 == 0 { Side::Buy } else { Side::Sell },
                order_type: OrderType::Limit,
                price: Some(format!("{price}")),
                qty: "1".to_owned(),
                qty_unit: QtyUnit::Base,
                order_link_id: String::new(),
                origin: Origin::Owner,
            };
            let fill = Fill {
                price,
                qty: 1.0,
                is_maker: true,
            };
            record_order(
                &mut v,
                inst,
                new,
                created,
                Ending::Filled {
                    fill,
                    at_ms: created + 1,
                },
            );
        }
    }
}
