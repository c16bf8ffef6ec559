//! Binance's answers about money (docs/venues/binance.md §6): balances (the spot wallet's, then
//! the funding wallet's, each naming its wallet), withdrawals, deposits and
//! the transfers between the master and its sub-accounts (universal or broker), each read into the
//! model's [`Transfer`] with Binance's times (UTC text or Unix ms) as Unix ms.

use super::*;
use rust_decimal::Decimal;

/// The spot account's balances.
pub(super) fn balances(body: Value) -> Result<Reply, ExchangeError> {
    let account: BinanceAccount = parse(body)?;
    Ok(Reply::Balances(
        account
            .balances
            .into_iter()
            .map(|b| Balance {
                total: Amount::new(&sum(&b.free, &b.locked)),
                locked: Amount::new(&b.locked),
                coin: b.asset,
                usd_value: None,
                account: Some(endpoints::SPOT_WALLET.to_owned()),
            })
            .collect(),
    ))
}

/// The funding wallet's balances (`POST /sapi/v1/asset/get-funding-asset`): `free`, `locked`,
/// `freeze` and `withdrawing` make the total; all but `free` are unavailable.
pub(super) fn funding(body: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<BinanceFundingAsset> = parse(body)?;
    Ok(Reply::Balances(
        rows.into_iter()
            .map(|row| {
                // Summed as decimals (text that is no number counts as zero).
                let held = [&row.locked, &row.freeze, &row.withdrawing]
                    .iter()
                    .map(|a| Amount::new(a).to_decimal_or_zero())
                    .fold(Decimal::ZERO, |sum, a| sum.checked_add(a).unwrap_or(sum));
                let free = Amount::new(&row.free).to_decimal_or_zero();
                let total = free.checked_add(held).unwrap_or(free);
                Balance {
                    coin: row.asset,
                    total: Amount::from_decimal(total),
                    locked: Amount::from_decimal(held),
                    usd_value: None,
                    account: Some(endpoints::FUNDING.to_owned()),
                }
            })
            .collect(),
    ))
}

/// One asset of the funding wallet.
#[derive(Debug, Deserialize)]
struct BinanceFundingAsset {
    asset: String,
    #[serde(default)]
    free: String,
    #[serde(default)]
    locked: String,
    #[serde(default)]
    freeze: String,
    #[serde(default)]
    withdrawing: String,
}

/// One page of withdrawals, offset by offset.
pub(super) fn withdrawals(
    window: &Window,
    cursor: Option<&str>,
    body: Value,
) -> Result<Reply, ExchangeError> {
    let rows: Vec<BinanceWithdrawal> = parse(body)?;
    let page = MoneyCursor::parse(cursor)?;
    let next = (rows.len() >= MONEY_PAGE).then(|| {
        MoneyCursor {
            offset: page.offset + rows.len(),
            ..page.clone()
        }
        .to_text()
    });
    let items = rows
        .into_iter()
        .map(BinanceWithdrawal::into_transfer)
        .filter(|t| in_window(window, t.time_ms))
        .collect();
    Ok(Reply::Transfers(Page { items, next }))
}

/// Deposits, then transfers between the master and its sub-accounts.
pub(super) fn transfers(
    window: &Window,
    cursor: Option<&str>,
    body: Value,
) -> Result<Reply, ExchangeError> {
    let page = MoneyCursor::parse(cursor)?;
    if !page.transfers {
        let rows: Vec<BinanceDeposit> = parse(body)?;
        let next = if rows.len() >= MONEY_PAGE {
            MoneyCursor {
                offset: page.offset + rows.len(),
                ..page.clone()
            }
        } else {
            MoneyCursor {
                transfers: true,
                offset: 0,
                from_ms: None,
            }
        };
        let items = rows
            .into_iter()
            .map(BinanceDeposit::into_transfer)
            .filter(|t| in_window(window, t.time_ms))
            .collect();
        return Ok(Reply::Transfers(Page {
            items,
            next: Some(next.to_text()),
        }));
    }
    let rows: Vec<Transfer> = if body.is_array() {
        let rows: Vec<BinanceBrokerTransfer> = parse(body)?;
        rows.into_iter()
            .map(BinanceBrokerTransfer::into_transfer)
            .collect()
    } else {
        let listing: BinanceUniversalTransfers = parse(body)?;
        listing
            .result
            .into_iter()
            .map(BinanceUniversalTransfer::into_transfer)
            .collect()
    };
    // A full page: the next page of the same sub-window; else the next sub-window, if any.
    let (_, to) = page.sub_window(window.start_ms, window.end_ms);
    let next = if rows.len() >= TRANSFERS_PAGE {
        Some(MoneyCursor {
            offset: page.offset + 1,
            ..page
        })
    } else if to < window.end_ms {
        Some(MoneyCursor {
            offset: 0,
            from_ms: Some(to + 1),
            ..page
        })
    } else {
        None
    }
    .map(|c| c.to_text());
    Ok(Reply::Transfers(Page {
        items: rows
            .into_iter()
            .filter(|t| in_window(window, t.time_ms))
            .collect(),
        next,
    }))
}

/// `GET /api/v3/account`.
#[derive(Debug, Deserialize)]
pub(super) struct BinanceAccount {
    #[serde(default)]
    pub(super) balances: Vec<BinanceBalance>,
}

/// One asset of the spot account.
#[derive(Debug, Deserialize)]
pub(super) struct BinanceBalance {
    pub(super) asset: String,
    #[serde(default)]
    pub(super) free: String,
    #[serde(default)]
    pub(super) locked: String,
}

/// `GET /sapi/v1/capital/withdraw/history` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceWithdrawal {
    id: String,
    amount: String,
    coin: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    status: i64,
    /// `2019-10-12 11:12:02`, UTC.
    #[serde(default)]
    apply_time: String,
}

impl BinanceWithdrawal {
    fn into_transfer(self) -> Transfer {
        Transfer {
            time_ms: utc_time(&self.apply_time).unwrap_or(0),
            id: self.id,
            kind: TransferKind::Withdrawal,
            coin: self.coin,
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: match self.status {
                0 => "email sent",
                1 => "cancelled",
                2 => "awaiting approval",
                3 => "rejected",
                4 => "processing",
                5 => "failure",
                6 => "completed",
                _ => "unknown",
            }
            .to_owned(),
        }
    }
}

/// Reads `2019-10-12 11:12:02` (UTC) into Unix ms.
fn utc_time(text: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

/// `GET /sapi/v1/capital/deposit/hisrec` rows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceDeposit {
    #[serde(default)]
    id: String,
    amount: String,
    coin: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    tx_id: String,
    #[serde(default)]
    status: i64,
    insert_time: i64,
}

impl BinanceDeposit {
    fn into_transfer(self) -> Transfer {
        Transfer {
            id: if self.id.is_empty() {
                self.tx_id
            } else {
                self.id
            },
            kind: TransferKind::Deposit,
            coin: self.coin,
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.address),
            status: match self.status {
                0 => "pending",
                1 => "success",
                2 => "rejected",
                6 => "credited, cannot withdraw",
                7 => "wrong deposit",
                8 => "waiting for confirmation",
                _ => "unknown",
            }
            .to_owned(),
            time_ms: self.insert_time,
        }
    }
}

/// `GET /sapi/v1/sub-account/universalTransfer`.
#[derive(Debug, Deserialize)]
struct BinanceUniversalTransfers {
    #[serde(default)]
    result: Vec<BinanceUniversalTransfer>,
}

/// One universal transfer between the master and a sub-account (an empty email is the master).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceUniversalTransfer {
    tran_id: Value,
    #[serde(default)]
    from_email: String,
    #[serde(default)]
    to_email: String,
    asset: String,
    amount: String,
    create_time_stamp: i64,
    #[serde(default)]
    status: String,
}

impl BinanceUniversalTransfer {
    fn into_transfer(self) -> Transfer {
        internal_transfer(
            &self.tran_id,
            self.asset,
            &self.amount,
            (self.from_email, self.to_email),
            &self.status,
            self.create_time_stamp,
        )
    }
}

/// `GET /sapi/v1/broker/transfer` rows (an empty id is the broker's master account).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceBrokerTransfer {
    txn_id: Value,
    #[serde(default)]
    from_id: String,
    #[serde(default)]
    to_id: String,
    asset: String,
    qty: String,
    time: i64,
    #[serde(default)]
    status: String,
}

impl BinanceBrokerTransfer {
    fn into_transfer(self) -> Transfer {
        internal_transfer(
            &self.txn_id,
            self.asset,
            &self.qty,
            (self.from_id, self.to_id),
            &self.status,
            self.time,
        )
    }
}

/// A transfer between the master and a sub-account; an empty party is the master.
fn internal_transfer(
    id: &Value,
    coin: String,
    amount: &str,
    (from, to): (String, String),
    status: &str,
    time_ms: i64,
) -> Transfer {
    let who = |party: String| {
        if party.is_empty() {
            "master".to_owned()
        } else {
            party
        }
    };
    Transfer {
        id: value_text(id),
        kind: TransferKind::Internal,
        coin,
        amount: Amount::new(amount),
        from: Some(who(from)),
        to: Some(who(to)),
        status: status.to_ascii_lowercase(),
        time_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::binance::wire::tests::response;

    /// The funding wallet's total is `free` and the held amounts summed as decimals.
    #[test]
    fn funding_totals_are_decimal_sums() {
        let body = serde_json::json!([
            { "asset": "USDT", "free": "0.1", "locked": "0.2", "freeze": "0", "withdrawing": "" },
            { "asset": "BTC", "free": "12345678.12345678", "locked": "0.00000001", "freeze": "", "withdrawing": "1" },
        ]);
        let Reply::Balances(rows) = funding(body).unwrap() else {
            panic!("not balances");
        };
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|b| (b.total.as_str(), b.locked.as_str()))
            .collect();
        assert_eq!(got, [("0.3", "0.2"), ("12345679.12345679", "1.00000001")]);
        assert_eq!(super::super::sum("0.1", "0.2"), "0.3");
        assert_eq!(super::super::sum("5.00", "0"), "5.00");
    }

    #[test]
    fn transfers_walk_windows_of_at_most_seven_days() {
        let day = endpoints::DAY_MS;
        let window = Window {
            start_ms: 0,
            end_ms: 20 * day,
        };
        let mut cursor = Some(r#"{"transfers":true,"offset":0}"#.to_owned());
        let mut windows = Vec::new();
        while let Some(text) = cursor {
            let page = MoneyCursor::parse(Some(&text)).unwrap();
            windows.push(page.sub_window(window.start_ms, window.end_ms));
            let op = Op::Transfers {
                window,
                cursor: Some(text),
            };
            let body = r#"{"result":[],"totalCount":0}"#;
            cursor = decode(&op, &response(200, body))
                .reply
                .unwrap()
                .into_transfers()
                .unwrap()
                .next;
        }
        assert_eq!(
            windows,
            [
                (0, 7 * day - 1),
                (7 * day, 14 * day - 1),
                (14 * day, 20 * day)
            ]
        );
    }

    #[test]
    fn withdrawals_read_binance_times() {
        let op = Op::Withdrawals {
            window: Window {
                start_ms: 0,
                end_ms: i64::MAX,
            },
            cursor: None,
        };
        let body = r#"[{"id":"w1","amount":"5","coin":"USDT","address":"0xabc","status":6,"applyTime":"2019-10-12 11:12:02"}]"#;
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_transfers()
            .unwrap();
        assert_eq!(page.items[0].time_ms, 1_570_878_722_000);
        assert_eq!(page.items[0].status, "completed");
        assert_eq!(page.next, None);
    }
}
