//! Deribit's answers about money (docs/venues/deribit.md §6): balances per currency, withdrawals,
//! and transfers then deposits, walked source by source over every currency of the run
//! ([`super::super::cursor::currencies`]).

use super::*;

/// The balance of each currency.
pub(super) fn balances(result: Value) -> Result<Reply, ExchangeError> {
    let summaries: Vec<DeribitSummary> = match result.get("summaries") {
        Some(list) => parse(list.clone())?,
        None => parse(result)?,
    };
    Ok(Reply::Balances(
        summaries
            .into_iter()
            .map(|s| Balance {
                coin: s.currency,
                total: amount(&s.balance),
                locked: amount(&s.spot_reserve),
                usd_value: None,
                account: None,
            })
            .collect(),
    ))
}

/// One page of withdrawals.
pub(super) fn withdrawals(
    window: &Window,
    cursor: Option<&str>,
    known: &[Segment],
    result: Value,
) -> Result<Reply, ExchangeError> {
    let walk = Walk::parse(cursor);
    let list: DeribitList<DeribitWithdrawal> = parse(result)?;
    let next = walk.next(list.data.len(), list.count, 1, known);
    let items = list
        .data
        .into_iter()
        .map(|w| Transfer {
            id: text_of(&w.id),
            kind: TransferKind::Withdrawal,
            coin: w.currency,
            amount: amount(&w.amount),
            from: None,
            to: non_empty(w.address),
            status: w.state,
            time_ms: w.created_timestamp,
        })
        .filter(|t| within(window, t.time_ms))
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// One page of transfers, then of deposits.
pub(super) fn transfers(
    window: &Window,
    cursor: Option<&str>,
    known: &[Segment],
    result: Value,
) -> Result<Reply, ExchangeError> {
    let walk = Walk::parse(cursor);
    let (got, total, items) = if walk.source == 0 {
        let list: DeribitList<DeribitTransfer> = parse(result)?;
        let got = list.data.len();
        let items: Vec<Transfer> = list
            .data
            .into_iter()
            .map(DeribitTransfer::into_transfer)
            .collect();
        (got, list.count, items)
    } else {
        let list: DeribitList<DeribitDeposit> = parse(result)?;
        let got = list.data.len();
        let items: Vec<Transfer> = list
            .data
            .into_iter()
            .map(DeribitDeposit::into_transfer)
            .collect();
        (got, list.count, items)
    };
    Ok(Reply::Transfers(Page {
        next: walk.next(got, total, TRANSFER_SOURCES.len(), known),
        items: items
            .into_iter()
            .filter(|t| within(window, t.time_ms))
            .collect(),
    }))
}

/// One currency of `private/get_account_summaries`.
#[derive(Debug, Deserialize)]
struct DeribitSummary {
    currency: String,
    #[serde(default)]
    balance: Value,
    /// What open spot orders hold.
    #[serde(default)]
    spot_reserve: Value,
}

/// `{count, data}` lists (withdrawals, deposits, transfers).
#[derive(Debug, Deserialize)]
struct DeribitList<T> {
    #[serde(default)]
    count: usize,
    #[serde(default = "Vec::new")]
    data: Vec<T>,
}

#[derive(Debug, Deserialize)]
struct DeribitWithdrawal {
    id: Value,
    currency: String,
    amount: Value,
    #[serde(default)]
    address: String,
    #[serde(default)]
    state: String,
    created_timestamp: i64,
}

#[derive(Debug, Deserialize)]
struct DeribitTransfer {
    id: Value,
    currency: String,
    amount: Value,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    other_side: String,
    #[serde(default)]
    state: String,
    created_timestamp: i64,
}

impl DeribitTransfer {
    fn into_transfer(self) -> Transfer {
        let other = non_empty(self.other_side);
        let incoming = self.direction == "income";
        Transfer {
            id: text_of(&self.id),
            kind: TransferKind::Internal,
            coin: self.currency,
            amount: amount(&self.amount),
            from: if incoming { other.clone() } else { None },
            to: if incoming { None } else { other },
            status: self.state,
            time_ms: self.created_timestamp,
        }
    }
}

#[derive(Debug, Deserialize)]
struct DeribitDeposit {
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    address: String,
    currency: String,
    amount: Value,
    #[serde(default)]
    state: String,
    received_timestamp: i64,
}

impl DeribitDeposit {
    fn into_transfer(self) -> Transfer {
        Transfer {
            id: self
                .transaction_id
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("{}@{}", self.address, self.received_timestamp)),
            kind: TransferKind::Deposit,
            coin: self.currency,
            amount: amount(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: self.state,
            time_ms: self.received_timestamp,
        }
    }
}
