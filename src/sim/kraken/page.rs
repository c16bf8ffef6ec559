//! Kraken's offset pages (docs/venues/kraken.md §6): newest first, 50 records from `ofs`, with the
//! total `count` beside them; and the cursor pages of the funding lists, whose opaque `next_cursor`
//! the simulator writes as `c<offset>`. An armed short page keeps half a page of more than one
//! record: a client that continues from what it got still sees every record once.

use crate::sim::injector::ShortPage;
use crate::sim::kraken::reply::KrakenError;

/// Records per offset page.
pub(crate) const SIZE: usize = 50;

/// The page of `items` (already newest first) from `ofs`, at most `size` long.
pub(crate) fn slice<T>(items: Vec<T>, ofs: usize, size: usize, short: &mut ShortPage) -> Vec<T> {
    let mut page: Vec<T> = items.into_iter().skip(ofs).take(size).collect();
    if *short == ShortPage::Armed && page.len() > 1 {
        page.truncate(page.len() / 2);
        *short = ShortPage::Applied;
    }
    page
}

/// Where a funding list's `cursor` parameter starts: `None` when the parameter asks for no
/// pages at all (absent or `false`: the whole list), else the offset.
pub(crate) fn cursor_offset(cursor: Option<&str>) -> Result<Option<usize>, KrakenError> {
    match cursor {
        None | Some("false") => Ok(None),
        Some("true") => Ok(Some(0)),
        Some(c) => c
            .strip_prefix('c')
            .and_then(|n| n.parse().ok())
            .map(Some)
            .ok_or_else(|| KrakenError::invalid("cursor")),
    }
}

/// The `next_cursor` after a page from `ofs` that held `got` of `total` records.
pub(crate) fn next_cursor(ofs: usize, got: usize, total: usize) -> Option<String> {
    (got > 0 && ofs + got < total).then(|| format!("c{}", ofs + got))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_cursors() {
        let items: Vec<u32> = (0..7).collect();
        assert_eq!(slice(items.clone(), 5, 50, &mut ShortPage::Off), [5, 6]);
        let mut armed = ShortPage::Armed;
        assert_eq!(slice(items, 0, 4, &mut armed), [0, 1]);
        assert_eq!(armed, ShortPage::Applied);
        assert_eq!(cursor_offset(Some("true")).unwrap(), Some(0));
        assert_eq!(cursor_offset(Some("c25")).unwrap(), Some(25));
        assert_eq!(cursor_offset(None).unwrap(), None);
        assert!(cursor_offset(Some("zz")).is_err());
        assert_eq!(next_cursor(0, 25, 30).as_deref(), Some("c25"));
        assert_eq!(next_cursor(25, 5, 30), None);
    }
}
