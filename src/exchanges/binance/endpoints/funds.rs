//! Binance wallet history requests (docs/venues/binance.md §6): withdrawals by offset, then
//! deposits and the transfers between the master and its sub-accounts (those in sub-windows of at
//! most 7 days, as the universal-transfer page allows), each page named by a [`MoneyCursor`].

use super::*;

/// One page of withdrawals in the window.
pub(super) fn withdrawals(window: &Window, cursor: Option<&str>) -> Result<Request, ExchangeError> {
    let page = MoneyCursor::parse(cursor)?;
    Ok(get(
        "/sapi/v1/capital/withdraw/history",
        &[
            ("startTime", window.start_ms.to_string()),
            ("endTime", window.end_ms.to_string()),
            ("offset", page.offset.to_string()),
            ("limit", MONEY_PAGE.to_string()),
        ],
    ))
}

/// Deposits (the account's own), then transfers between the master and its sub-accounts.
pub(super) fn transfers(
    family: KeyFamily,
    window: &Window,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    let page = MoneyCursor::parse(cursor)?;
    let times = [
        ("startTime", window.start_ms.to_string()),
        ("endTime", window.end_ms.to_string()),
    ];
    if !page.transfers {
        let mut params = times.to_vec();
        params.push(("offset", page.offset.to_string()));
        params.push(("limit", MONEY_PAGE.to_string()));
        return Ok(get("/sapi/v1/capital/deposit/hisrec", &params));
    }
    let path = match family {
        KeyFamily::SubAccount => "/sapi/v1/sub-account/universalTransfer",
        KeyFamily::Broker => "/sapi/v1/broker/transfer",
    };
    // Transfers: in sub-windows of at most 7 days (`MoneyCursor::sub_window`).
    let (from, to) = page.sub_window(window.start_ms, window.end_ms);
    let mut params = vec![("startTime", from.to_string()), ("endTime", to.to_string())];
    params.push(("page", (page.offset + 1).to_string()));
    params.push(("limit", TRANSFERS_PAGE.to_string()));
    Ok(get(path, &params))
}
