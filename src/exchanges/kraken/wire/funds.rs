//! Kraken's answers about money (docs/venues/kraken.md §6): balances (with what open orders hold),
//! withdrawals, and deposits followed by the ledger's internal transfers.

use super::*;

/// One page of withdrawals.
pub(super) fn withdrawals(data: Value) -> Result<Reply, ExchangeError> {
    let (rows, next) = funding_page(data, "withdrawals")?;
    Ok(Reply::Transfers(Page {
        items: rows
            .into_iter()
            .map(|row| row.into_transfer(TransferKind::Withdrawal))
            .collect(),
        next,
    }))
}

/// One page of deposits, then of the ledger's internal transfers.
pub(super) fn transfers(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match TransferPhase::parse(cursor) {
        TransferPhase::Deposits(_) => {
            let (rows, next) = funding_page(data, "deposit")?;
            // After the last page of deposits come the ledger's internal transfers.
            let next = match next {
                Some(kraken) => TransferPhase::Deposits(Some(kraken)),
                None => TransferPhase::Ledger(0),
            };
            Reply::Transfers(Page {
                items: rows
                    .into_iter()
                    .map(|row| row.into_transfer(TransferKind::Deposit))
                    .collect(),
                next: Some(next.to_cursor()),
            })
        }
        TransferPhase::Ledger(ofs) => {
            let ledger: KrakenLedger = parse(data)?;
            let mut items: Vec<Transfer> = ledger
                .ledger
                .into_iter()
                .map(|(id, entry)| entry.into_transfer(id))
                .collect();
            items.sort_by(|a, b| (b.time_ms, &b.id).cmp(&(a.time_ms, &a.id)));
            let next = cursor::next_offset(ofs, items.len(), ledger.count)
                .map(|n| TransferPhase::Ledger(cursor::offset(Some(&n))).to_cursor());
            Reply::Transfers(Page { items, next })
        }
    })
}

/// `BalanceEx` (`{asset: {balance, hold_trade}}`), or `Balance` (`{asset: "amount"}`).
pub(super) fn balances(data: Value) -> Result<Vec<Balance>, ExchangeError> {
    let Value::Object(map) = data else {
        return Err(protocol("balances"));
    };
    let mut out: Vec<Balance> = map
        .into_iter()
        .map(|(asset, value)| {
            let (total, locked) = match &value {
                Value::Object(fields) => (
                    flex::text(fields.get("balance")),
                    flex::text(fields.get("hold_trade")),
                ),
                other => (flex::text(Some(other)), String::new()),
            };
            Balance {
                coin: names::coin(&asset),
                total: Amount::new(&total),
                locked: Amount::new(&locked),
                usd_value: None,
                account: None,
            }
        })
        .collect();
    out.sort_by(|a, b| a.coin.cmp(&b.coin));
    Ok(out)
}

/// A `WithdrawStatus`/`DepositStatus` answer: a plain list, or (asked with `cursor`) an object
/// with the list under `list_field` and `next_cursor`.
fn funding_page(
    data: Value,
    list_field: &str,
) -> Result<(Vec<KrakenFunding>, Option<String>), ExchangeError> {
    match data {
        Value::Array(_) => Ok((parse(data)?, None)),
        Value::Object(mut map) => {
            let next = map
                .get("next_cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            let list = map
                .remove(list_field)
                .or_else(|| map.remove(&format!("{list_field}s")))
                .unwrap_or(Value::Array(Vec::new()));
            let rows: Vec<KrakenFunding> = parse(list)?;
            // An empty page ends the walk whatever the cursor says.
            let next = next.filter(|_| !rows.is_empty());
            Ok((rows, next))
        }
        Value::Null => Ok((Vec::new(), None)),
        _ => Err(protocol(list_field)),
    }
}

/// `Ledgers`.
#[derive(Debug, Deserialize)]
struct KrakenLedger {
    #[serde(default)]
    ledger: BTreeMap<String, KrakenLedgerEntry>,
    #[serde(default)]
    count: Option<u64>,
}

/// One ledger entry, keyed by its id.
#[derive(Debug, Deserialize)]
struct KrakenLedgerEntry {
    #[serde(default)]
    refid: String,
    time: f64,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    subtype: String,
    asset: String,
    #[serde(deserialize_with = "flex::string")]
    amount: String,
}

impl KrakenLedgerEntry {
    fn into_transfer(self, id: String) -> Transfer {
        // The amount keeps its sign: positive came into the account, negative left it.
        let status = match (self.kind.as_str(), self.subtype.as_str()) {
            (kind, "") => kind.to_owned(),
            (kind, sub) => format!("{kind}/{sub}"),
        };
        Transfer {
            id,
            kind: TransferKind::Internal,
            coin: names::coin(&self.asset),
            amount: Amount::new(&self.amount),
            from: None,
            to: None,
            status: if self.refid.is_empty() {
                status
            } else {
                format!("{status} (ref {})", self.refid)
            },
            time_ms: seconds_to_ms(self.time),
        }
    }
}

/// One `WithdrawStatus` or `DepositStatus` row.
#[derive(Debug, Deserialize)]
struct KrakenFunding {
    #[serde(default)]
    refid: String,
    #[serde(default)]
    asset: String,
    /// The address (withdrawals: where to; deposits: where it came in).
    #[serde(default)]
    info: String,
    #[serde(default, deserialize_with = "flex::string")]
    amount: String,
    #[serde(default)]
    time: f64,
    #[serde(default)]
    status: String,
}

impl KrakenFunding {
    fn into_transfer(self, kind: TransferKind) -> Transfer {
        Transfer {
            id: self.refid,
            kind,
            coin: names::coin(&self.asset),
            amount: Amount::new(&self.amount),
            from: None,
            to: non_empty(self.info),
            status: self.status.to_ascii_lowercase(),
            time_ms: seconds_to_ms(self.time),
        }
    }
}
