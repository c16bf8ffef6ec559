//! One market's order book: the synthetic liquidity of the other participants, and its trades.
//!
//! An attacker's damage is price impact, so a market needs depth that runs out. Three kinds:
//! `Reference` is one unlimited level a side at the reference price (the default incident's
//! behaviour from before the book: a market order fills in full at the reference price); `Deep`
//! is 50 levels a side, 0.05 % apart, each worth about $250k (±40 %); `Thin` is 12 levels a side
//! at 2, 4, 7, 11, 16, 22, 29, 37, 46, 56, 67 and 79 % from the mid, each worth $100–$500, so a
//! few thousand dollars move the price a lot. Asks sit at `ref × (1 + offset)`, bids at
//! `ref / (1 + offset)`, rounded to a tick of five significant digits of the reference price.
//!
//! Guarantees: sizes come from an RNG seeded with the simulator's seed and the market's name, so
//! the same seed gives the same book; taken liquidity is gone (nobody replenishes it); the last
//! price moves only on fills taken here, never on seeded history. Users' resting orders are not
//! in the book: never shown, never matched. It never reads the clock or the host.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::sim::matching::Fill;
use crate::sim::order::Side;

/// Deep book: levels a side.
const DEEP_LEVELS: usize = 50;

/// Deep book: distance between neighbouring levels, as a fraction of the reference price.
const DEEP_STEP: f64 = 0.0005;

/// Deep book: the USD worth of one level, before the ±40 % spread.
const DEEP_LEVEL_USD: f64 = 250_000.0;

/// Thin book: each level's distance from the mid (widening gaps), as a fraction of it.
const THIN_OFFSETS: [f64; 12] = [
    0.02, 0.04, 0.07, 0.11, 0.16, 0.22, 0.29, 0.37, 0.46, 0.56, 0.67, 0.79,
];

/// Thin book: the USD worth of one level is drawn from this range.
const THIN_LEVEL_USD: std::ops::Range<f64> = 100.0..500.0;

/// Reference book: the size shown for its unlimited level, in USD (display only).
const REFERENCE_SHOWN_USD: f64 = 1_000_000.0;

/// How much liquidity rests around the reference price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Liquidity {
    Deep,
    Reference,
    Thin,
}

impl Liquidity {
    /// Returns the lowercase name `Inspect` shows.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Liquidity::Deep => "deep",
            Liquidity::Reference => "reference",
            Liquidity::Thin => "thin",
        }
    }
}

/// One price level: a price and the base quantity resting there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Level {
    pub(crate) price: f64,
    pub(crate) qty: f64,
}

/// Trade statistics since the simulator started (it stands in for Bybit's 24 hours).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Stats {
    pub(crate) high: f64,
    pub(crate) low: f64,
    /// Base quantity traded.
    pub(crate) volume: f64,
    /// Quote value traded.
    pub(crate) turnover: f64,
    pub(crate) trades: u64,
}

/// One market's book.
#[derive(Clone, Debug)]
pub(crate) struct Book {
    liquidity: Liquidity,
    ref_price: f64,
    /// Best (lowest) first.
    asks: Vec<Level>,
    /// Best (highest) first.
    bids: Vec<Level>,
    /// The size a `Reference` book shows for its unlimited levels.
    shown_qty: f64,
    last_price: f64,
    stats: Stats,
    update_id: u64,
}

impl Book {
    /// Builds the book of the market `key` (e.g. `spot:XVGUSDT`) around `ref_price`, where one unit
    /// of the quote coin is worth `quote_usd` dollars; sizes are drawn from `seed` and `key`.
    pub(crate) fn new(
        liquidity: Liquidity,
        ref_price: f64,
        quote_usd: f64,
        seed: u64,
        key: &str,
    ) -> Book {
        let quote_usd = if quote_usd.is_finite() && quote_usd > 0.0 {
            quote_usd
        } else {
            1.0
        };
        let mut rng = StdRng::seed_from_u64(seed ^ fnv1a(key));
        let base_of = |usd: f64, price: f64| usd / (price * quote_usd);
        let mut side = |offsets: &mut dyn Iterator<Item = f64>| -> (Vec<Level>, Vec<Level>) {
            let (mut asks, mut bids) = (Vec::new(), Vec::new());
            for offset in offsets {
                let usd_ask = match liquidity {
                    Liquidity::Thin => rng.random_range(THIN_LEVEL_USD),
                    _ => DEEP_LEVEL_USD * rng.random_range(0.6..1.4),
                };
                let usd_bid = match liquidity {
                    Liquidity::Thin => rng.random_range(THIN_LEVEL_USD),
                    _ => DEEP_LEVEL_USD * rng.random_range(0.6..1.4),
                };
                let ask = round_to_tick(ref_price * (1.0 + offset), ref_price);
                let bid = round_to_tick(ref_price / (1.0 + offset), ref_price);
                asks.push(Level {
                    price: ask,
                    qty: base_of(usd_ask, ask),
                });
                bids.push(Level {
                    price: bid,
                    qty: base_of(usd_bid, bid),
                });
            }
            (asks, bids)
        };
        let (asks, bids) = match liquidity {
            Liquidity::Reference => {
                let unlimited = Level {
                    price: ref_price,
                    qty: f64::INFINITY,
                };
                (vec![unlimited], vec![unlimited])
            }
            Liquidity::Deep => {
                let mut steps = (1..=DEEP_LEVELS).map(|i| DEEP_STEP * i as f64);
                side(&mut steps)
            }
            Liquidity::Thin => side(&mut THIN_OFFSETS.into_iter()),
        };
        Book {
            liquidity,
            ref_price,
            asks,
            bids,
            shown_qty: base_of(REFERENCE_SHOWN_USD, ref_price),
            last_price: ref_price,
            stats: Stats {
                high: ref_price,
                low: ref_price,
                volume: 0.0,
                turnover: 0.0,
                trades: 0,
            },
            update_id: 1,
        }
    }

    /// Returns the kind of book.
    pub(crate) fn liquidity(&self) -> Liquidity {
        self.liquidity
    }

    /// Returns the reference (mid) price the book was built around.
    pub(crate) fn ref_price(&self) -> f64 {
        self.ref_price
    }

    /// Returns the price of the last fill taken here, the reference price before any.
    pub(crate) fn last_price(&self) -> f64 {
        self.last_price
    }

    /// Returns the trade statistics.
    pub(crate) fn stats(&self) -> Stats {
        self.stats
    }

    /// Returns the update id (`u`), which grows by one each time liquidity is taken.
    pub(crate) fn update_id(&self) -> u64 {
        self.update_id
    }

    /// Returns the levels a taker on `side` trades against, best first (asks for a Buy).
    pub(crate) fn against(&self, side: Side) -> &[Level] {
        match side {
            Side::Buy => &self.asks,
            Side::Sell => &self.bids,
        }
    }

    /// Returns up to `n` levels of `side` (bids for Buy), best first, as shown to clients: a
    /// `Reference` book's unlimited level shows a nominal $1M.
    pub(crate) fn shown(&self, side: Side, n: usize) -> Vec<Level> {
        let levels = match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        };
        levels
            .iter()
            .take(n)
            .map(|l| Level {
                price: l.price,
                qty: if l.qty.is_finite() {
                    l.qty
                } else {
                    self.shown_qty
                },
            })
            .collect()
    }

    /// Returns the best level of `side` (bids for Buy) as shown to clients.
    pub(crate) fn best(&self, side: Side) -> Option<Level> {
        self.shown(side, 1).into_iter().next()
    }

    /// Removes what a taker on `side` filled (fills in level order, as `matching` returns them)
    /// and records the trades.
    pub(crate) fn take(&mut self, side: Side, fills: &[Fill]) {
        if fills.is_empty() {
            return;
        }
        let levels = match side {
            Side::Buy => &mut self.asks,
            Side::Sell => &mut self.bids,
        };
        for fill in fills {
            let Some(front) = levels.first_mut() else {
                break;
            };
            let before = front.qty;
            front.qty -= fill.qty;
            // A level taken to float dust is gone; an unlimited one never is.
            if front.qty.is_finite() && front.qty <= before * 1e-9 {
                levels.remove(0);
            }
            self.last_price = fill.price;
            self.stats.high = self.stats.high.max(fill.price);
            self.stats.low = self.stats.low.min(fill.price);
            self.stats.volume += fill.qty;
            self.stats.turnover += fill.qty * fill.price;
            self.stats.trades += 1;
        }
        self.update_id += 1;
    }
}

/// Rounds `price` to five significant digits of `reference` (a tick of `10^(⌊log10 ref⌋ - 4)`).
///
/// Dividing by an exact power of ten gives the same double as parsing the decimal, so a client
/// that sends the shown price back as a limit compares equal.
fn round_to_tick(price: f64, reference: f64) -> f64 {
    let magnitude = reference.abs().log10().floor() as i32;
    let decimals = 4 - magnitude;
    if decimals >= 0 {
        let scale = 10f64.powi(decimals);
        (price * scale).round() / scale
    } else {
        let tick = 10f64.powi(-decimals);
        (price / tick).round() * tick
    }
}

/// FNV-1a, 64 bits: a stable hash of a market's name, so its RNG does not depend on the order
/// in which markets are built.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(levels: &[Level], quote_usd: f64) -> Vec<f64> {
        levels.iter().map(|l| l.price * l.qty * quote_usd).collect()
    }

    #[test]
    fn deep_book_has_fifty_large_levels_a_side() {
        let b = Book::new(Liquidity::Deep, 65_000.0, 1.0, 1, "spot:BTCUSDT");
        assert_eq!(b.against(Side::Buy).len(), 50);
        assert_eq!(b.against(Side::Sell).len(), 50);
        assert_eq!(b.against(Side::Buy)[0].price, 65_033.0);
        assert_eq!(b.against(Side::Sell)[0].price, 64_968.0);
        assert!(
            usd(b.against(Side::Buy), 1.0)
                .iter()
                .all(|v| (150_000.0..=350_000.0).contains(v))
        );
        let prices: Vec<f64> = b.against(Side::Buy).iter().map(|l| l.price).collect();
        assert!(prices.windows(2).all(|w| w[0] < w[1]), "asks ascend");
    }

    #[test]
    fn thin_book_has_widening_gaps_and_small_levels() {
        let b = Book::new(Liquidity::Thin, 0.005, 1.0, 1, "spot:XVGUSDT");
        let asks = b.against(Side::Buy);
        assert_eq!(asks.len(), 12);
        assert_eq!(asks[0].price, 0.0051);
        assert_eq!(asks[1].price, 0.0052);
        assert_eq!(asks[2].price, 0.00535);
        assert!(usd(asks, 1.0).iter().all(|v| (99.0..=501.0).contains(v)));
        let bids = b.against(Side::Sell);
        assert!(bids.iter().all(|l| l.price > 0.0 && l.price < 0.005));
        // Quoted in BTC at $65,000: the same dollar worth, in BTC.
        let via = Book::new(Liquidity::Thin, 0.000_002_1, 65_000.0, 1, "spot:VIABTC");
        assert!(
            usd(via.against(Side::Buy), 65_000.0)
                .iter()
                .all(|v| (99.0..=501.0).contains(v))
        );
    }

    #[test]
    fn same_seed_same_book_and_markets_differ() {
        let a = Book::new(Liquidity::Thin, 0.005, 1.0, 7, "spot:XVGUSDT");
        let b = Book::new(Liquidity::Thin, 0.005, 1.0, 7, "spot:XVGUSDT");
        let c = Book::new(Liquidity::Thin, 0.005, 1.0, 7, "linear:XVGUSDT");
        assert_eq!(a.against(Side::Buy), b.against(Side::Buy));
        assert_ne!(a.against(Side::Buy), c.against(Side::Buy));
    }

    #[test]
    fn taking_removes_liquidity_and_moves_the_last_price() {
        let mut b = Book::new(Liquidity::Thin, 0.005, 1.0, 1, "spot:XVGUSDT");
        let asks = b.against(Side::Buy).to_vec();
        let fills = [
            Fill {
                price: asks[0].price,
                qty: asks[0].qty,
                is_maker: false,
            },
            Fill {
                price: asks[1].price,
                qty: asks[1].qty / 2.0,
                is_maker: false,
            },
        ];
        b.take(Side::Buy, &fills);
        assert_eq!(b.against(Side::Buy).len(), 11);
        assert_eq!(b.against(Side::Buy)[0].price, asks[1].price);
        assert!((b.against(Side::Buy)[0].qty - asks[1].qty / 2.0).abs() < 1e-9);
        assert_eq!(b.last_price(), asks[1].price);
        assert_eq!(b.stats().trades, 2);
        assert_eq!(b.update_id(), 2);
    }

    #[test]
    fn reference_book_never_runs_out_and_shows_a_nominal_size() {
        let mut b = Book::new(Liquidity::Reference, 0.005, 1.0, 1, "spot:XVGUSDT");
        let fill = Fill {
            price: 0.005,
            qty: 1e12,
            is_maker: false,
        };
        b.take(Side::Buy, &[fill]);
        assert_eq!(b.against(Side::Buy).len(), 1);
        let shown = b.best(Side::Sell).unwrap();
        assert_eq!(shown.price, 0.005);
        assert!((shown.qty * shown.price - 1_000_000.0).abs() < 1e-3);
    }
}
