//! Bybit's answers about money (docs/venues/bybit.md §6): wallet balances, withdrawals and the
//! universal transfers between the master and its sub-accounts.

use super::*;

/// The unified wallet's balances.
pub(super) fn balances(result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitWallet> = parse(result)?;
    Ok(Reply::Balances(
        list.list
            .into_iter()
            .flat_map(|wallet| wallet.coin)
            .map(|coin| Balance {
                coin: coin.coin,
                total: Amount::new(&coin.wallet_balance),
                locked: Amount::new(&coin.locked),
                usd_value: non_empty(coin.usd_value).map(|v| Amount::new(&v)),
                account: None,
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

/// One page of universal transfers.
pub(super) fn transfers(result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitUniversalTransfer> = parse(result)?;
    let next = list.next();
    let items = list
        .list
        .into_iter()
        .map(|row| Transfer {
            id: row.transfer_id,
            kind: TransferKind::Internal,
            coin: row.coin,
            amount: Amount::new(&row.amount),
            from: non_empty(row.from_member_id),
            to: non_empty(row.to_member_id),
            status: row.status,
            time_ms: row.timestamp.parse().unwrap_or(0),
        })
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// `GET /v5/account/wallet-balance` accounts.
#[derive(Debug, Deserialize)]
struct BybitWallet {
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

/// `GET /v5/asset/transfer/query-universal-transfer-list` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitUniversalTransfer {
    transfer_id: String,
    coin: String,
    amount: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    from_member_id: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    to_member_id: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    timestamp: String,
}
