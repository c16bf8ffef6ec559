//! The clock, the markets, the spot account and what the calling key may do
//! (docs/venues/binance.md §4, §6, §7).
//!
//! `exchangeInfo` lists the venue's instruments of one market family with their base and quote
//! assets and the request-weight limit in force. `account` shows the caller's spot wallet:
//! `free` is what open orders do not hold, `locked` what they do; `omitZeroBalances=true` leaves
//! out empty assets. `apiRestrictions` describes the calling key only: whether it is bound to
//! addresses (not which), and its flags; it names neither the key nor its account.
//! `margin/isolated/account` lists the caller's isolated-margin pairs (no isolated wallet is
//! modelled: its amounts are zero).

use serde_json::{Value, json};

use crate::sim::binance::caller::Caller;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::ApiError;
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::weight::{Limits, Meter};
use crate::sim::binance::wire::{self, dec};
use crate::sim::key::{IpWhitelist, Tier};
use crate::sim::order::Category;
use crate::sim::state::Venue;

/// `GET /api/v3/time` and `GET /fapi/v1/time`.
pub(crate) fn time(v: &Venue) -> Value {
    json!({ "serverTime": v.now_ms() })
}

/// `GET /api/v3/exchangeInfo` (spot) and `GET /fapi/v1/exchangeInfo` (USD-M): the markets of
/// that category only.
pub(crate) fn exchange_info(v: &Venue, category: Category) -> Value {
    let symbols: Vec<Value> = v
        .instruments
        .iter()
        .filter(|i| i.category == category)
        .map(|i| {
            json!({
                "symbol": i.symbol,
                "status": "TRADING",
                "baseAsset": i.base_coin,
                "quoteAsset": i.settle_coin,
                "baseAssetPrecision": 8,
                "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "MARKET"],
                "isSpotTradingAllowed": category == Category::Spot,
                "permissions": [],
            })
        })
        .collect();
    let meter = if category == Category::Spot {
        Meter::Spot
    } else {
        Meter::Futures
    };
    let limit = v
        .own
        .get::<BinanceState>()
        .map_or_else(|| Limits::default().limit(meter), |s| s.limits.limit(meter));
    json!({
        "timezone": "UTC",
        "serverTime": v.now_ms(),
        "rateLimits": [
            { "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limit },
        ],
        "exchangeFilters": [],
        "symbols": symbols,
    })
}

/// `GET /api/v3/account`: the caller's spot wallet.
pub(crate) fn account(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let omit_zero = p.flag("omitZeroBalances")?.unwrap_or(false);
    let balances: Vec<Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .filter(|(_, wallet)| !omit_zero || wallet.abs() > 1e-12)
        .map(|(coin, wallet)| {
            let locked = v.locked(c.uid, &coin).min(wallet).max(0.0);
            json!({
                "asset": coin,
                "free": dec((wallet - locked).max(0.0)),
                "locked": dec(locked),
            })
        })
        .collect();
    Ok(json!({
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "canTrade": c.has("canTrade"),
        "canWithdraw": c.has("enableWithdrawals"),
        "canDeposit": true,
        "brokered": false,
        "requireSelfTradePrevention": false,
        "preventSor": false,
        "updateTime": v.now_ms(),
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": c.uid,
    }))
}

/// `GET /sapi/v1/margin/isolated/account`: the caller's isolated-margin pairs (those of
/// `symbols` when sent, at most 5), each with its two assets. The simulator keeps no isolated
/// wallet: every amount is zero.
pub(crate) fn isolated_account(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let only: Option<Vec<String>> = p
        .string("symbols")
        .map(|s| s.split(',').map(str::to_owned).collect());
    if only.as_ref().is_some_and(|s| s.len() > 5) {
        return Err(ApiError::invalid("symbols"));
    }
    let pairs: Vec<String> = v
        .own
        .get::<BinanceState>()
        .and_then(|s| s.isolated_pairs.get(&c.uid))
        .map(|pairs| pairs.iter().cloned().collect())
        .unwrap_or_default();
    let zero = dec(0.0);
    let asset = |name: &str| {
        json!({
            "asset": name,
            "borrowEnabled": true,
            "borrowed": zero,
            "free": zero,
            "interest": zero,
            "locked": zero,
            "netAsset": zero,
            "netAssetOfBtc": zero,
            "repayEnabled": true,
            "totalAsset": zero,
        })
    };
    let assets: Vec<Value> = pairs
        .iter()
        .filter(|symbol| only.as_ref().is_none_or(|o| o.contains(symbol)))
        .filter_map(|symbol| v.instrument(Category::Spot, symbol))
        .map(|inst| {
            json!({
                "baseAsset": asset(&inst.base_coin),
                "quoteAsset": asset(&inst.settle_coin),
                "symbol": inst.symbol,
                "isolatedCreated": true,
                "enabled": true,
                "marginLevel": zero,
                "marginLevelStatus": "EXCESSIVE",
                "marginRatio": zero,
                "indexPrice": dec(inst.ref_price),
                "liquidatePrice": zero,
                "liquidateRate": zero,
                "tradeEnabled": true,
            })
        })
        .collect();
    Ok(json!({
        "assets": assets,
        "totalAssetOfBtc": zero,
        "totalLiabilityOfBtc": zero,
        "totalNetAssetOfBtc": zero,
    }))
}

/// `GET /sapi/v1/account/apiRestrictions`: the calling key's flags.
pub(crate) fn api_restrictions(v: &mut Venue, c: &Caller) -> Result<Value, ApiError> {
    let key = v.live_key(&c.api_key).ok_or_else(ApiError::rejected_key)?;
    let has = |flag: &str| wire::flag(key, flag);
    Ok(json!({
        "ipRestrict": matches!(key.ips, IpWhitelist::Only(_)),
        "createTime": key.created_ms,
        "enableReading": true,
        "enableWithdrawals": has("enableWithdrawals"),
        "enableInternalTransfer": has("enableInternalTransfer"),
        "enableMargin": has("canMarginLoanRepay"),
        "enableFutures": has("canFuturesTrade"),
        "permitsUniversalTransfer": has("canUniversalTransfer"),
        "enableVanillaOptions": has("canVanillaOptions"),
        "enableFixApiTrade": false,
        "enableFixReadOnly": false,
        "enableSpotAndMarginTrading": has("canTrade"),
        "enablePortfolioMarginTrading": false,
        "tradingAuthorityExpirationTime": if key.tier == Tier::Master { Value::Null } else { json!(key.created_ms + 365 * crate::sim::key::DAY_MS) },
    }))
}
