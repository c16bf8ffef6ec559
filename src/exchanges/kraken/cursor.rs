//! Where the next page of a Kraken list starts, as the op's cursor string carries it.
//!
//! Kraken pages in two ways (docs/venues/kraken.md §6): `ClosedOrders`, `TradesHistory` and
//! `Ledgers` take an offset (`ofs`, 50 records a page, newest first, with the total `count`), while
//! `WithdrawStatus` and `DepositStatus` hand back a `next_cursor`. Lockdown's transfers are two
//! lists in a row, deposits (`DepositStatus`) and then internal transfers (`Ledgers` of type
//! `transfer`), so that cursor also says which list it is in: `d:<kraken cursor>` or
//! `l:<offset>`. Offsets survive a page cut short (the next offset counts what came), and the
//! window's `end` keeps records that arrive meanwhile from shifting them.

/// Records per offset page: the most Kraken returns (docs/venues/kraken.md §6).
pub const PAGE: u64 = 50;

/// The offset a cursor names (none: the first page).
pub fn offset(cursor: Option<&str>) -> u64 {
    cursor.and_then(|c| c.trim().parse().ok()).unwrap_or(0)
}

/// The cursor of the page after one that started at `ofs` and held `got` of `count` records:
/// none when nothing came or everything has.
pub fn next_offset(ofs: u64, got: usize, count: Option<u64>) -> Option<String> {
    let got = u64::try_from(got).unwrap_or(u64::MAX);
    let next = ofs.saturating_add(got);
    let more = match count {
        Some(count) => next < count,
        // Without a count, a full page may have more behind it.
        None => got >= PAGE,
    };
    (got > 0 && more).then(|| next.to_string())
}

/// Which list of the transfers walk a cursor is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferPhase {
    /// `DepositStatus`, from its first page (`None`) or Kraken's cursor.
    Deposits(Option<String>),
    /// `Ledgers` of type `transfer`, from this offset.
    Ledger(u64),
}

impl TransferPhase {
    /// Reads the op's cursor.
    pub fn parse(cursor: Option<&str>) -> TransferPhase {
        match cursor {
            Some(c) if c.starts_with("l:") => TransferPhase::Ledger(offset(Some(&c[2..]))),
            Some(c) if c.starts_with("d:") => TransferPhase::Deposits(Some(c[2..].to_owned())),
            _ => TransferPhase::Deposits(None),
        }
    }

    /// The op's cursor for this phase.
    pub fn to_cursor(&self) -> String {
        match self {
            TransferPhase::Deposits(None) => "d:".to_owned(),
            TransferPhase::Deposits(Some(c)) => format!("d:{c}"),
            TransferPhase::Ledger(ofs) => format!("l:{ofs}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_walk_to_the_count_and_survive_short_pages() {
        assert_eq!(offset(None), 0);
        assert_eq!(next_offset(0, 50, Some(120)).as_deref(), Some("50"));
        // A page cut short at 25: the next starts right after what came.
        assert_eq!(next_offset(50, 25, Some(120)).as_deref(), Some("75"));
        assert_eq!(next_offset(75, 45, Some(120)), None);
        assert_eq!(next_offset(0, 0, Some(3)), None, "nothing came: stop");
        assert_eq!(next_offset(0, 50, None).as_deref(), Some("50"));
        assert_eq!(next_offset(0, 10, None), None);
    }

    #[test]
    fn transfer_cursors_name_their_list() {
        for (cursor, phase) in [
            (None, TransferPhase::Deposits(None)),
            (Some("d:abc"), TransferPhase::Deposits(Some("abc".into()))),
            (Some("l:100"), TransferPhase::Ledger(100)),
        ] {
            assert_eq!(TransferPhase::parse(cursor), phase);
            if let Some(c) = cursor {
                assert_eq!(phase.to_cursor(), c);
            }
        }
    }
}
