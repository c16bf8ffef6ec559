//! BitMEX's answers about money (docs/venues/bitmex.md §6): wallets (`GET /user/wallet`,
//! amounts in each currency's minor unit, scaled to whole coins in `names.rs`) and the wallet
//! history (`GET /user/walletHistory`: deposits, withdrawals, transfers and realised PnL in one
//! list, which is split here by the kind asked for and kept inside the window asked for).

use super::*;
use crate::exchanges::Window;
use crate::exchanges::bitmex::{endpoints, names};

/// One `Wallet` row.
#[derive(Debug, Deserialize)]
struct BitmexWallet {
    currency: String,
    #[serde(default, deserialize_with = "flex_string")]
    amount: String,
}

/// A minor-unit amount as whole coins: the decimal point moved `places` to the left, exactly
/// (text that is no number counts as zero).
fn scaled(amount: &str, places: u32) -> Amount {
    if places == 0 {
        return Amount::new(amount);
    }
    let mut value = Amount::new(amount).to_decimal_or_zero();
    let scale = value.scale() + places;
    if value.set_scale(scale).is_err() {
        // Beyond 28 places: no minor unit is that small, so this is no amount BitMEX sends.
        return Amount::new("0");
    }
    Amount::from_decimal(value)
}

/// `GET /user/wallet?currency=all`: an array of wallets (one object for a single currency).
pub(super) fn balances(data: Value) -> Result<Vec<Balance>, ExchangeError> {
    let rows: Vec<BitmexWallet> = match data {
        Value::Array(_) => parse(data)?,
        Value::Object(_) => vec![parse(data)?],
        _ => return Err(protocol("wallet")),
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let (coin, scale) = names::wallet_coin(&row.currency);
            Balance {
                coin,
                total: scaled(&row.amount, scale),
                // Held by open orders is in `/user/margin`, which is not read.
                locked: Amount::new("0"),
                usd_value: None,
                account: None,
            }
        })
        .collect())
}

/// One `Transaction` row.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitmexTransaction {
    #[serde(rename = "transactID")]
    transact_id: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    transact_type: String,
    #[serde(default, deserialize_with = "flex_string")]
    amount: String,
    #[serde(default)]
    transact_status: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    transact_time: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// The kind of money movement a `transactType` is; `None` for the rest (PnL, fees).
fn kind(transact_type: &str) -> Option<TransferKind> {
    match transact_type {
        "Withdrawal" => Some(TransferKind::Withdrawal),
        "Deposit" => Some(TransferKind::Deposit),
        t if t.contains("Transfer") => Some(TransferKind::Internal),
        _ => None,
    }
}

/// One page of the wallet history, of `kinds` inside `window`. The next cursor follows the
/// history's pages, whatever this page kept.
pub(super) fn history(
    window: &Window,
    cursor: Option<&str>,
    data: Value,
    kinds: &[TransferKind],
) -> Result<Reply, ExchangeError> {
    let rows: Vec<BitmexTransaction> = parse(data)?;
    let len = rows.len();
    let mut items = Vec::new();
    let mut older = false;
    for row in rows {
        let time_ms = ms(row
            .transact_time
            .as_deref()
            .or(row.timestamp.as_deref())
            .unwrap_or(""));
        older |= time_ms < window.start_ms;
        let Some(kind) = kind(&row.transact_type).filter(|k| kinds.contains(k)) else {
            continue;
        };
        if !(window.start_ms..=window.end_ms).contains(&time_ms) {
            continue;
        }
        let (coin, scale) = names::wallet_coin(&row.currency);
        let (from, to) = match kind {
            TransferKind::Withdrawal => (None, row.address.and_then(non_empty)),
            _ => (row.address.and_then(non_empty), None),
        };
        items.push(Transfer {
            id: row.transact_id,
            kind,
            coin,
            amount: scaled(row.amount.trim_start_matches('-'), scale),
            from,
            to,
            status: row.transact_status.to_ascii_lowercase(),
            time_ms,
        });
    }
    // Newest first: once a page reaches before the window, the rest is older still.
    let next = if older {
        None
    } else {
        next_offset(cursor, len, endpoints::WALLET_PAGE)
    };
    Ok(Reply::Transfers(Page { items, next }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitmex::wire::tests::response;

    /// Minor units become whole coins by moving the decimal point, so every digit stays.
    #[test]
    fn minor_units_scale_exactly() {
        for (amount, places, want) in [
            ("123456789", 8, "1.23456789"),
            ("1", 9, "0.000000001"),
            ("12345678901234567890", 8, "123456789012.3456789"),
            ("20000000000", 6, "20000"),
            ("7.5", 0, "7.5"),
            ("", 8, "0"),
        ] {
            assert_eq!(
                scaled(amount, places).as_str(),
                want,
                "{amount} / 10^{places}"
            );
        }
    }

    #[test]
    fn wallets_in_minor_units_and_the_history_split_by_kind() {
        let wallets = decode(
            &Op::Balances,
            &response(
                200,
                r#"[{"account":1,"currency":"XBt","amount":5000000,"timestamp":"2026-12-05T22:00:00.000Z"},{"account":1,"currency":"USDt","amount":20000000000}]"#,
            ),
        )
        .reply
        .unwrap()
        .into_balances()
        .unwrap();
        assert_eq!(wallets[0].coin, "BTC");
        assert_eq!(wallets[0].total.as_str(), "0.05");
        assert_eq!(wallets[1].total.as_str(), "20000");
        let body = r#"[
            {"transactID":"t1","account":1,"currency":"XBt","transactType":"Withdrawal","amount":-1000000,"fee":0,"transactStatus":"Pending","address":"bc1qattacker","transactTime":"2026-12-05T22:00:00.000Z"},
            {"transactID":"t2","account":1,"currency":"USDt","transactType":"Deposit","amount":5000000,"transactStatus":"Completed","address":"0xdep","transactTime":"2026-12-05T21:00:00.000Z"},
            {"transactID":"t3","account":1,"currency":"XBt","transactType":"RealisedPNL","amount":10,"transactStatus":"Completed","transactTime":"2026-12-05T20:00:00.000Z"}
        ]"#;
        let window = Window {
            start_ms: crate::clock::parse_rfc3339_ms("2026-12-05T00:00:00.000Z").unwrap(),
            end_ms: crate::clock::parse_rfc3339_ms("2026-12-06T00:00:00.000Z").unwrap(),
        };
        let out = decode(
            &Op::Withdrawals {
                window,
                cursor: None,
            },
            &response(200, body),
        )
        .reply
        .unwrap()
        .into_transfers()
        .unwrap();
        assert_eq!(out.items.len(), 1);
        assert_eq!(out.items[0].amount.as_str(), "0.01");
        assert_eq!(out.items[0].to.as_deref(), Some("bc1qattacker"));
        assert_eq!(out.next, None);
        let ins = decode(
            &Op::Transfers {
                window,
                cursor: None,
            },
            &response(200, body),
        )
        .reply
        .unwrap()
        .into_transfers()
        .unwrap();
        assert_eq!(ins.items.len(), 1);
        assert_eq!(ins.items[0].coin, "USDT");
    }
}
