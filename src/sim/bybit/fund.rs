//! Bybit's funding account (`FUND`) beside the unified one, and the internal transfers between
//! an account's own two (docs/venues/bybit.md §6; account types from Bybit's enum page:
//! `UNIFIED` and `FUND`).
//!
//! The unified wallet is the venue's shared balances (`v.balances`); the funding wallet is this
//! dialect's own state, seeded for the master and the bot's sub-account so that a snapshot that
//! skips it has something to miss. `query-account-coins-balance` answers a key of the account
//! holding a Wallet permission (chosen, see [`WALLET`]); a master may name one of its
//! sub-accounts with `memberId`, as documented, and a sub key may not name anyone else. Internal transfers move coins between the two wallets of the caller's own
//! UID; creating one needs a read-write key with Wallet `AccountTransfer` (the permission's
//! name; the create page itself names none), and `query-inter-transfer-list` lists the caller's
//! own, newest first, in windows of at most 7 days. Coins in the funding wallet are never locked
//! by orders, so `transferBalance` equals `walletBalance`.

use serde_json::{Value, json};

use crate::sim::bybit::caller::Caller;
use crate::sim::bybit::page::{PageReq, Span, window};
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::funds::Balances;
use crate::sim::key::{DAY_MS, Tier};
use crate::sim::num;
use crate::sim::seed::{BOT_UID, MASTER_UID};
use crate::sim::state::Venue;

/// The Wallet permissions any one of which lets a key read balances through the asset
/// endpoints. Chosen: the docs name none; users report 10005 for keys without the Wallet group's
/// transfer box (JKorf/Bybit.Net issue 173), and a trading-only key is refused here so that
/// clients meet that refusal.
const WALLET: &[&str] = &[
    "AccountTransfer",
    "SubMemberTransfer",
    "SubMemberTransferList",
    "Withdraw",
];

/// The funding wallets and the internal transfers of every account.
#[derive(Debug, Default)]
pub(crate) struct FundState {
    /// `FUND` balances: UID to coin to amount.
    pub(crate) wallets: Balances,
    /// Internal transfers, in the order they were made.
    pub(crate) internal: Vec<InternalTransfer>,
}

/// One move between two account types of one UID.
#[derive(Clone, Debug)]
pub(crate) struct InternalTransfer {
    pub(crate) transfer_id: String,
    pub(crate) uid: u64,
    pub(crate) coin: String,
    pub(crate) amount: String,
    pub(crate) from: Wallet,
    pub(crate) to: Wallet,
    pub(crate) at_ms: i64,
}

/// The account types the simulator keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wallet {
    Unified,
    Fund,
}

impl Wallet {
    /// Reads Bybit's account type; 10001 for any other.
    fn parse(name: &str, text: &str) -> Result<Wallet, ApiError> {
        match text {
            "UNIFIED" => Ok(Wallet::Unified),
            "FUND" => Ok(Wallet::Fund),
            _ => Err(ApiError::invalid(
                name,
                "must be `UNIFIED` or `FUND` (the account types the simulator keeps)",
            )),
        }
    }

    /// Bybit's name.
    fn as_str(self) -> &'static str {
        match self {
            Wallet::Unified => "UNIFIED",
            Wallet::Fund => "FUND",
        }
    }
}

/// Seeds the funding wallets: some USDT the master keeps aside, and some the bot's sub-account
/// parked there.
pub(crate) fn seed(v: &mut Venue) {
    let state = v.own.get_mut::<FundState>();
    state.wallets.add(MASTER_UID, "USDT", 1_500.0);
    state.wallets.add(BOT_UID, "USDT", 250.0);
}

/// The `FUND` balance of `coin` in account `uid`.
pub(crate) fn balance(v: &Venue, uid: u64, coin: &str) -> f64 {
    v.own
        .get::<FundState>()
        .map_or(0.0, |s| s.wallets.get(uid, coin))
}

/// `GET /v5/asset/transfer/query-account-coins-balance`.
pub(crate) fn coins_balance(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require("Wallet", WALLET)?;
    let uid = match p.int("memberId")? {
        None => c.uid,
        Some(member) => {
            let member = u64::try_from(member)
                .map_err(|_| ApiError::invalid("memberId", "must be a UID"))?;
            let allowed = member == c.uid || (c.tier == Tier::Master && v.is_sub_of(member, c.uid));
            if !allowed {
                return Err(ApiError::invalid(
                    "memberId",
                    &format!("`{member}` is not this account or one of its sub-accounts"),
                ));
            }
            member
        }
    };
    let account_type = p.required("accountType")?;
    let wanted: Option<Vec<String>> = p
        .string("coin")?
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).collect());
    let wallet = Wallet::parse("accountType", &account_type)?;
    if wallet == Wallet::Unified && wanted.is_none() {
        // The docs: `coin` is mandatory for accountType=UNIFIED.
        return Err(ApiError::missing("coin"));
    }
    let coins: Vec<(String, f64)> = match wallet {
        Wallet::Fund => v
            .own
            .get::<FundState>()
            .map(|s| s.wallets.coins(uid))
            .unwrap_or_default(),
        Wallet::Unified => v.balances.coins(uid),
    };
    let balance: Vec<Value> = coins
        .into_iter()
        .filter(|(coin, _)| wanted.as_ref().is_none_or(|w| w.contains(coin)))
        .map(|(coin, amount)| {
            let free = match wallet {
                Wallet::Fund => amount,
                Wallet::Unified => (amount - v.locked(uid, &coin)).max(0.0),
            };
            json!({
                "coin": coin,
                "transferBalance": num::fmt(free),
                "walletBalance": num::fmt(amount),
                "bonus": "",
            })
        })
        .collect();
    Ok(json!({
        "memberId": uid.to_string(),
        "accountType": wallet.as_str(),
        "balance": balance,
    }))
}

/// `POST /v5/asset/transfer/inter-transfer`: move coins between the caller's own wallets.
pub(crate) fn create_internal(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_write()?;
    c.require("Wallet", &["AccountTransfer"])?;
    let transfer_id = p.required("transferId")?;
    let coin = p.required("coin")?;
    let amount_text = p.required("amount")?;
    let amount = num::parse_positive(&amount_text)
        .ok_or_else(|| ApiError::invalid("amount", "must be a positive decimal"))?;
    let taken = v
        .own
        .get::<FundState>()
        .is_some_and(|s| s.internal.iter().any(|t| t.transfer_id == transfer_id));
    if taken {
        return Err(ApiError::new(RetCode::TransferIdExists, "TransferId exist"));
    }
    let from = Wallet::parse("fromAccountType", &p.required("fromAccountType")?)?;
    let to = Wallet::parse("toAccountType", &p.required("toAccountType")?)?;
    if from == to {
        return Err(ApiError::invalid(
            "toAccountType",
            "must differ from `fromAccountType`",
        ));
    }
    let free = match from {
        Wallet::Fund => balance(v, c.uid, &coin),
        Wallet::Unified => v.balances.get(c.uid, &coin) - v.locked(c.uid, &coin),
    };
    if amount > free + 1e-12 {
        // 131212 is the asset service's "Insufficient balance", withdrawals' and transfers'.
        return Err(ApiError::new(
            RetCode::WithdrawInsufficientBalance,
            "Insufficient balance",
        ));
    }
    let now = v.now_ms();
    let signed = |w: Wallet| if w == from { -amount } else { amount };
    for wallet in [from, to] {
        match wallet {
            Wallet::Unified => v.balances.add(c.uid, &coin, signed(wallet)),
            Wallet::Fund => {
                let state = v.own.get_mut::<FundState>();
                state.wallets.add(c.uid, &coin, signed(wallet));
            }
        }
    }
    v.own
        .get_mut::<FundState>()
        .internal
        .push(InternalTransfer {
            transfer_id: transfer_id.clone(),
            uid: c.uid,
            coin,
            amount: amount_text,
            from,
            to,
            at_ms: now,
        });
    Ok(json!({ "transferId": transfer_id, "status": "SUCCESS" }))
}

/// `GET /v5/asset/transfer/query-inter-transfer-list`: the caller's own internal transfers.
pub(crate) fn internal_transfers(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let transfer_id = p.string("transferId")?;
    let coin = p.string("coin")?;
    let status = p.string("status")?;
    let (start, end) = window(p, v.now_ms(), Span::AtMost(7 * DAY_MS))?;
    let page = PageReq::from_params(p, 20, 50)?;
    let list: Vec<InternalTransfer> = v
        .own
        .get::<FundState>()
        .map(|s| s.internal.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.uid == c.uid && (start..=end).contains(&t.at_ms))
        .filter(|t| transfer_id.as_ref().is_none_or(|x| x == &t.transfer_id))
        .filter(|t| coin.as_ref().is_none_or(|x| x == &t.coin))
        // Every modelled transfer succeeds at once.
        .filter(|_| status.as_ref().is_none_or(|x| x == "SUCCESS"))
        .collect();
    let (list, next) = page.page(
        list,
        |t| (t.at_ms, t.transfer_id.clone()),
        &mut v.short_page,
    );
    let list: Vec<Value> = list
        .into_iter()
        .map(|t| {
            json!({
                "transferId": t.transfer_id,
                "coin": t.coin,
                "amount": t.amount,
                "fromAccountType": t.from.as_str(),
                "toAccountType": t.to.as_str(),
                "timestamp": t.at_ms.to_string(),
                "status": "SUCCESS",
            })
        })
        .collect();
    Ok(json!({ "list": list, "nextPageCursor": next }))
}
