//! Bitget's answers about money (docs/venues/bitget.md §6): spot assets
//! (`available`/`frozen`/`locked` per coin), withdrawal records and the transfers between the
//! main account and its sub-accounts. Lists page by `idLessThan`, the smallest id of the page.

use super::*;

/// One coin of `spot/account/assets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Asset {
    coin: String,
    #[serde(default, deserialize_with = "flex_string")]
    available: String,
    #[serde(default, deserialize_with = "flex_string")]
    frozen: String,
    #[serde(default, deserialize_with = "flex_string")]
    locked: String,
}

fn num(text: &str) -> f64 {
    text.parse().unwrap_or(0.0)
}

pub(super) fn balances(data: Value) -> Result<Vec<Balance>, ExchangeError> {
    let assets: Vec<Asset> = match data {
        Value::Null => Vec::new(),
        data => parse(data)?,
    };
    Ok(assets
        .into_iter()
        .map(|a| {
            let held = num(&a.frozen) + num(&a.locked);
            Balance {
                coin: a.coin,
                total: Amount::new(&decode::decimal(num(&a.available) + held)),
                locked: Amount::new(&decode::decimal(held)),
                usd_value: None,
                account: None,
            }
        })
        .collect())
}

/// One row of `withdrawal-records`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Withdrawal {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    coin: String,
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    to_address: String,
    #[serde(default, deserialize_with = "flex_string")]
    c_time: String,
}

pub(super) fn withdrawals(data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<Withdrawal> = match data {
        Value::Null => Vec::new(),
        data => parse(data)?,
    };
    let next = next_below(rows.iter().map(|w| w.order_id.as_str()), rows.len());
    Ok(Reply::Transfers(Page {
        items: rows
            .into_iter()
            .map(|w| Transfer {
                id: w.order_id,
                kind: TransferKind::Withdrawal,
                coin: w.coin,
                amount: Amount::new(&w.size),
                from: None,
                to: non_empty(w.to_address),
                status: w.status,
                time_ms: ms(&w.c_time),
            })
            .collect(),
        next,
    }))
}

/// One row of `sub-main-trans-record`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubTransfer {
    #[serde(deserialize_with = "flex_string")]
    transfer_id: String,
    coin: String,
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "flex_string")]
    from_user_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    to_user_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    ts: String,
}

pub(super) fn transfers(data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<SubTransfer> = match data {
        Value::Null => Vec::new(),
        data => parse(data)?,
    };
    let next = next_below(rows.iter().map(|t| t.transfer_id.as_str()), rows.len());
    Ok(Reply::Transfers(Page {
        items: rows
            .into_iter()
            .map(|t| Transfer {
                id: t.transfer_id,
                kind: TransferKind::Internal,
                coin: t.coin,
                amount: Amount::new(&t.size),
                from: non_empty(t.from_user_id),
                to: non_empty(t.to_user_id),
                status: t.status,
                time_ms: ms(&t.ts),
            })
            .collect(),
        next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitget::wire::tests::response;

    #[test]
    fn assets_add_up() {
        let body = r#"{"code":"00000","msg":"success","requestTime":1,"data":[{"coin":"USDT","available":"10","limitAvailable":"0","frozen":"2","locked":"1","uTime":"1"}]}"#;
        let balances = decode(&Op::Balances, &response(200, body))
            .reply
            .unwrap()
            .into_balances()
            .unwrap();
        assert_eq!(balances[0].total.as_str(), "13");
        assert_eq!(balances[0].locked.as_str(), "3");
    }
}
