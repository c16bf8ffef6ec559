//! Bybit's answers about money (docs/venues/bybit.md §6): the unified trading wallet and the
//! funding wallet (`FUND`), each balance named with the account it is in; withdrawals; and the
//! transfers, read as one paged list that runs through two of Bybit's: the universal transfers
//! between the master and its sub-accounts, then the internal transfers between the caller's own
//! accounts (`UNIFIED` ↔ `FUND`). Which list a page belongs to travels in the cursor
//! ([`TransferList`]), so the caller pages through both without knowing there are two.

use super::*;

/// The unified wallet's balances, each marked `UNIFIED`.
pub(super) fn balances(result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitWallet> = parse(result)?;
    Ok(Reply::Balances(
        list.list
            .into_iter()
            .flat_map(|wallet| {
                let account = non_empty(wallet.account_type).unwrap_or_else(|| "UNIFIED".into());
                wallet.coin.into_iter().map(move |coin| Balance {
                    coin: coin.coin,
                    total: Amount::new(&coin.wallet_balance),
                    locked: Amount::new(&coin.locked),
                    usd_value: non_empty(coin.usd_value).map(|v| Amount::new(&v)),
                    account: Some(account.clone()),
                })
            })
            .collect(),
    ))
}

/// The funding wallet's balances (`query-account-coins-balance?accountType=FUND`), each marked
/// with the account type Bybit names; what cannot be transferred counts as locked.
pub(super) fn funding_balances(result: Value) -> Result<Reply, ExchangeError> {
    let wallet: BybitAccountCoins = parse(result)?;
    let account = non_empty(wallet.account_type).unwrap_or_else(|| "FUND".into());
    Ok(Reply::Balances(
        wallet
            .balance
            .into_iter()
            .map(|coin| {
                let total = Amount::new(&coin.wallet_balance);
                let free = Amount::new(&coin.transfer_balance);
                let locked = total
                    .to_decimal_or_zero()
                    .checked_sub(free.to_decimal_or_zero())
                    .unwrap_or_default()
                    .max(rust_decimal::Decimal::ZERO);
                Balance {
                    coin: coin.coin,
                    locked: Amount::from_decimal(locked),
                    total,
                    usd_value: None,
                    account: Some(account.clone()),
                }
            })
            .collect(),
    ))
}

/// One page of withdrawals.
pub(super) fn withdrawals(result: Value) -> Result<Reply, ExchangeError> {
    let rows: BybitRows<BybitWithdrawal> = parse(result)?;
    let next = rows.next_page_cursor.filter(|c| !c.is_empty());
    let items = rows
        .rows
        .into_iter()
        .map(|row| Transfer {
            id: row.withdraw_id,
            kind: TransferKind::Withdrawal,
            coin: row.coin,
            amount: Amount::new(&row.amount),
            from: None,
            to: non_empty(row.to_address),
            status: row.status,
            time_ms: row.create_time.parse().unwrap_or(0),
        })
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// Which of Bybit's transfer lists a cursor of [`Op::Transfers`] pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferList {
    /// `query-universal-transfer-list`: between UIDs (master ↔ sub, sub ↔ sub).
    Universal,
    /// `query-inter-transfer-list`: between the caller's own account types.
    Internal,
}

/// Marks a cursor of the internal list. Bybit's cursors are base64 or percent-encoded text
/// (docs/venues/bybit.md §6), which never holds `|`.
const INTERNAL: &str = "internal|";

impl TransferList {
    /// The list a cursor belongs to, and Bybit's own cursor in it (`None`: the first page).
    pub fn of(cursor: Option<&str>) -> (TransferList, Option<&str>) {
        match cursor {
            Some(c) => match c.strip_prefix(INTERNAL) {
                Some(inner) => (
                    TransferList::Internal,
                    Some(inner).filter(|i| !i.is_empty()),
                ),
                None => (TransferList::Universal, Some(c)),
            },
            None => (TransferList::Universal, None),
        }
    }

    /// The endpoint's path.
    pub fn path(self) -> &'static str {
        match self {
            TransferList::Universal => "/v5/asset/transfer/query-universal-transfer-list",
            TransferList::Internal => "/v5/asset/transfer/query-inter-transfer-list",
        }
    }

    /// The cursor of the page after one whose own `nextPageCursor` is `next`: more of the same
    /// list, or, after the universal list's last page, the internal list's first.
    fn next(self, next: Option<String>) -> Option<String> {
        match (self, next) {
            (TransferList::Universal, Some(next)) => Some(next),
            (TransferList::Universal, None) => Some(INTERNAL.to_owned()),
            (TransferList::Internal, Some(next)) => Some(format!("{INTERNAL}{next}")),
            (TransferList::Internal, None) => None,
        }
    }
}

/// One page of transfers: universal ones name the UIDs, internal ones the account types.
pub(super) fn transfers(cursor: Option<&str>, result: Value) -> Result<Reply, ExchangeError> {
    let (which, _) = TransferList::of(cursor);
    let list: BybitList<BybitTransfer> = parse(result)?;
    let next = which.next(list.next());
    let items = list
        .list
        .into_iter()
        .map(|row| {
            let (from, to) = match which {
                TransferList::Universal => (row.from_member_id, row.to_member_id),
                TransferList::Internal => (row.from_account_type, row.to_account_type),
            };
            Transfer {
                id: row.transfer_id,
                kind: TransferKind::Internal,
                coin: row.coin,
                amount: Amount::new(&row.amount),
                from: non_empty(from),
                to: non_empty(to),
                status: row.status,
                time_ms: row.timestamp.parse().unwrap_or(0),
            }
        })
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// `GET /v5/account/wallet-balance` accounts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitWallet {
    #[serde(default)]
    account_type: String,
    #[serde(default)]
    coin: Vec<BybitCoin>,
}

/// One coin of a wallet.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitCoin {
    coin: String,
    #[serde(default)]
    wallet_balance: String,
    #[serde(default)]
    locked: String,
    #[serde(default)]
    usd_value: String,
}

/// `GET /v5/asset/transfer/query-account-coins-balance`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitAccountCoins {
    #[serde(default)]
    account_type: String,
    #[serde(default)]
    balance: Vec<BybitAccountCoin>,
}

/// One coin of `query-account-coins-balance`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitAccountCoin {
    coin: String,
    #[serde(default)]
    wallet_balance: String,
    #[serde(default)]
    transfer_balance: String,
}

/// `GET /v5/asset/withdraw/query-record` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitWithdrawal {
    #[serde(deserialize_with = "decode::flex_string")]
    withdraw_id: String,
    coin: String,
    amount: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    to_address: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    create_time: String,
}

/// `query-universal-transfer-list` and `query-inter-transfer-list` items (the internal list has
/// no member ids).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitTransfer {
    transfer_id: String,
    coin: String,
    amount: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    from_member_id: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    to_member_id: String,
    #[serde(default)]
    from_account_type: String,
    #[serde(default)]
    to_account_type: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    timestamp: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What cannot be transferred is locked: wallet minus transferable, as decimals, never below
    /// zero.
    #[test]
    fn funding_locked_is_the_decimal_difference() {
        let result = serde_json::json!({
            "accountType": "FUND",
            "balance": [
                { "coin": "USDT", "walletBalance": "1.000000001", "transferBalance": "0.1" },
                { "coin": "BTC", "walletBalance": "0.3", "transferBalance": "0.5" },
                { "coin": "ETH", "walletBalance": "", "transferBalance": "" },
            ],
        });
        let Reply::Balances(rows) = funding_balances(result).unwrap() else {
            panic!("not balances");
        };
        let locked: Vec<&str> = rows.iter().map(|b| b.locked.as_str()).collect();
        assert_eq!(locked, ["0.900000001", "0", "0"]);
        assert_eq!(rows[0].account.as_deref(), Some("FUND"));
    }

    #[test]
    fn transfer_cursors_run_through_the_universal_then_the_internal_list() {
        let cases = [
            ("first page", None, TransferList::Universal, None),
            (
                "universal",
                Some("eyJtaW5JRCI6MX0"),
                TransferList::Universal,
                Some("eyJtaW5JRCI6MX0"),
            ),
            (
                "internal first",
                Some("internal|"),
                TransferList::Internal,
                None,
            ),
            (
                "internal",
                Some("internal|eyJ9"),
                TransferList::Internal,
                Some("eyJ9"),
            ),
        ];
        for (label, cursor, list, inner) in cases {
            assert_eq!(TransferList::of(cursor), (list, inner), "{label}");
        }
        let u = TransferList::Universal;
        assert_eq!(u.next(Some("a".into())).as_deref(), Some("a"));
        assert_eq!(u.next(None).as_deref(), Some("internal|"));
        let i = TransferList::Internal;
        assert_eq!(i.next(Some("b".into())).as_deref(), Some("internal|b"));
        assert_eq!(i.next(None), None);
    }
}
