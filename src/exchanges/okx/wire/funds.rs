//! OKX's answers about money (docs/venues/okx.md §6): balances (the trading account's and the
//! funding account's, each named), withdrawals and the transfers
//! between the master and its sub-accounts, paged newest first by timestamp.

use super::*;

/// The trading account's balances.
pub(super) fn balances(data: Value) -> Result<Reply, ExchangeError> {
    let accounts: Vec<OkxBalance> = parse(data)?;
    Ok(Reply::Balances(
        accounts
            .into_iter()
            .flat_map(|account| account.details)
            .map(|coin| Balance {
                coin: coin.ccy,
                total: Amount::new(if coin.cash_bal.is_empty() {
                    &coin.eq
                } else {
                    &coin.cash_bal
                }),
                locked: Amount::new(&coin.frozen_bal),
                usd_value: non_empty(coin.eq_usd).map(|v| Amount::new(&v)),
                account: Some(endpoints::TRADING.to_owned()),
            })
            .collect(),
    ))
}

/// Another wallet's balances (`asset/balances`: the funding account), each named after it.
pub(super) fn wallet(account: &str, data: Value) -> Result<Reply, ExchangeError> {
    let coins: Vec<OkxFundingCoin> = parse(data)?;
    Ok(Reply::Balances(
        coins
            .into_iter()
            .map(|coin| Balance {
                coin: coin.ccy,
                total: Amount::new(&coin.bal),
                locked: Amount::new(if coin.frozen_bal.is_empty() {
                    "0"
                } else {
                    &coin.frozen_bal
                }),
                usd_value: None,
                account: Some(account.to_owned()),
            })
            .collect(),
    ))
}

/// One page of withdrawals.
pub(super) fn withdrawals(window: &Window, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<OkxWithdrawal> = parse(data)?;
    ts_page(rows, window, |row| {
        Ok(Transfer {
            time_ms: row.ts.parse().map_err(|_| protocol("ts"))?,
            id: row.wd_id,
            kind: TransferKind::Withdrawal,
            coin: row.ccy,
            amount: Amount::new(&row.amt),
            from: None,
            to: non_empty(row.to),
            status: withdrawal_state(&row.state).to_owned(),
        })
    })
}

/// One page of transfers between the master and its sub-accounts.
pub(super) fn transfers(window: &Window, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<OkxSubBill> = parse(data)?;
    ts_page(rows, window, |row| {
        // `type` 0: master to sub-account; 1: sub-account to master.
        let (from, to) = if row.kind == "1" {
            (Some(row.sub_acct), Some("master".to_owned()))
        } else {
            (Some("master".to_owned()), Some(row.sub_acct))
        };
        Ok(Transfer {
            time_ms: row.ts.parse().map_err(|_| protocol("ts"))?,
            id: row.bill_id,
            kind: TransferKind::Internal,
            coin: row.ccy,
            amount: Amount::new(&row.amt),
            from,
            to,
            status: "done".to_owned(),
        })
    })
}

/// A newest-first page of timestamped rows: the ones inside the window, and a cursor (the last
/// row's time) while the page is not empty and has not yet gone past the window's start.
fn ts_page<T>(
    rows: Vec<T>,
    window: &Window,
    convert: impl Fn(T) -> Result<Transfer, ExchangeError>,
) -> Result<Reply, ExchangeError> {
    let all: Vec<Transfer> = rows.into_iter().map(convert).collect::<Result<_, _>>()?;
    let next = all
        .last()
        .filter(|last| last.time_ms > window.start_ms)
        .map(|last| last.time_ms.to_string());
    let items = all
        .into_iter()
        .filter(|t| (window.start_ms..=window.end_ms).contains(&t.time_ms))
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// OKX withdrawal states (`withdrawal-history`, `state`), in words.
fn withdrawal_state(state: &str) -> &str {
    match state {
        "2" => "success",
        "-3" => "canceling",
        "-2" => "canceled",
        "-1" => "failed",
        "0" | "17" | "4" | "5" | "6" | "8" | "9" | "12" => "pending",
        "1" | "7" | "10" | "15" | "16" => "in progress",
        other => other,
    }
}

/// `GET /api/v5/account/balance` accounts.
#[derive(Debug, Deserialize)]
struct OkxBalance {
    #[serde(default)]
    details: Vec<OkxCoin>,
}

/// One coin of the trading account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxCoin {
    ccy: String,
    #[serde(default)]
    eq: String,
    #[serde(default)]
    cash_bal: String,
    #[serde(default)]
    frozen_bal: String,
    #[serde(default)]
    eq_usd: String,
}

/// `GET /api/v5/asset/balances` items: the funding account's coins.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxFundingCoin {
    ccy: String,
    bal: String,
    #[serde(default)]
    frozen_bal: String,
}

/// `GET /api/v5/asset/withdrawal-history` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxWithdrawal {
    #[serde(deserialize_with = "decode::flex_string")]
    wd_id: String,
    ccy: String,
    amt: String,
    #[serde(default)]
    to: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    state: String,
    #[serde(deserialize_with = "decode::flex_string")]
    ts: String,
}

/// `GET /api/v5/asset/subaccount/bills` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxSubBill {
    #[serde(deserialize_with = "decode::flex_string")]
    bill_id: String,
    ccy: String,
    amt: String,
    #[serde(rename = "type", default, deserialize_with = "decode::flex_string")]
    kind: String,
    #[serde(default)]
    sub_acct: String,
    #[serde(deserialize_with = "decode::flex_string")]
    ts: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::okx::wire::tests::response;

    #[test]
    fn timestamp_pages_stop_at_the_window() {
        let op = Op::Withdrawals {
            window: Window {
                start_ms: 1_000,
                end_ms: 5_000,
            },
            cursor: None,
        };
        let body = r#"{"code":"0","msg":"","data":[
            {"wdId":"3","ccy":"USDT","amt":"5","to":"0xabc","state":"2","ts":"4000"},
            {"wdId":"2","ccy":"USDT","amt":"6","to":"0xabc","state":"0","ts":"2000"}]}"#;
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0].status, "success");
        assert_eq!(page.next.as_deref(), Some("2000"));
        let past = r#"{"code":"0","msg":"","data":[
            {"wdId":"1","ccy":"USDT","amt":"5","to":"","state":"2","ts":"500"}]}"#;
        let page = decode(&op, &response(200, past))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert!(page.items.is_empty() && page.next.is_none());
    }
}
