//! The dead-man switch, `cancelAllAfter` (docs/venues/bingx.md §5): spot and USDT-M perpetuals
//! each have their own, and each cancels only its own product's orders. `type=ACTIVATE` with
//! `timeOut` (10–120 s) arms it or moves its moment; `type=CLOSE` disarms it. The answer gives
//! `triggerTime` in Unix seconds, as the docs' example does. Coin-M has none. One switch per
//! account and product: a leaked key with trading rights can disarm the owner's. Due switches
//! fire when the venue next answers anything (`mod.rs`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::sim::bingx::params::Params;
use crate::sim::bingx::{Caller, Product, Refusal, names};
use crate::sim::state::{SymbolFilter, Venue};

/// The armed switches: (account, product) to the moment (Unix ms) its orders go.
#[derive(Debug, Default)]
pub(crate) struct Switches(BTreeMap<(u64, u8), (i64, Product)>);

fn slot(product: Product) -> u8 {
    match product {
        Product::Spot => 0,
        Product::Swap => 1,
        Product::Cswap => 2,
    }
}

/// Cancels the orders of every switch due at `now_ms`, and disarms it.
pub(crate) fn fire(v: &mut Venue, now_ms: i64) {
    let due: Vec<((u64, u8), Product)> = v
        .own
        .get::<Switches>()
        .map(|s| {
            s.0.iter()
                .filter(|(_, (at, _))| *at <= now_ms)
                .map(|(k, (_, p))| (*k, *p))
                .collect()
        })
        .unwrap_or_default();
    for (key, product) in due {
        v.own.get_mut::<Switches>().0.remove(&key);
        v.cancel_open(
            key.0,
            names::category(product),
            &SymbolFilter::default(),
            None,
        );
    }
}

/// `POST …/cancelAllAfter`.
pub(crate) fn cancel_all_after(
    v: &mut Venue,
    c: &Caller,
    product: Product,
    p: &Params,
) -> Result<Value, Refusal> {
    if product == Product::Cswap {
        return Err(Refusal::invalid("coin-M has no cancelAllAfter"));
    }
    let now = v.now_ms();
    let key = (c.uid, slot(product));
    match p.required("type")?.as_str() {
        "ACTIVATE" => {
            let timeout = p
                .uint("timeOut")?
                .filter(|t| (10..=120).contains(t))
                .ok_or_else(|| Refusal::invalid("timeOut (10-120 seconds)"))?;
            let at = now + i64::try_from(timeout).unwrap_or(120) * 1000;
            v.own.get_mut::<Switches>().0.insert(key, (at, product));
            Ok(json!({
                "triggerTime": at.div_euclid(1000),
                "status": "ACTIVATED",
                "note": "All your pending orders will be closed automatically at the trigger time, before that you can cancel the timer, or extend triggerTime time by this request",
            }))
        }
        "CLOSE" => {
            v.own.get_mut::<Switches>().0.remove(&key);
            Ok(json!({ "triggerTime": 0, "status": "CLOSED", "note": "" }))
        }
        _ => Err(Refusal::invalid("type")),
    }
}
