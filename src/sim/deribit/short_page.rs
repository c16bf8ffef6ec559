//! The `short` fault on Deribit's lists.
//!
//! Lists that tell the client there is more (`has_more` on user trades, the total `count` on
//! withdrawals, deposits and transfers) are cut to half a page (at least one item) when the
//! fault is armed, and still say there is more, so a client that follows them sees every item
//! once. Lists paged by `offset` alone (order history, the access log) are never cut: a client
//! could not tell a short page from the last one, and Deribit answers full pages.

use crate::sim::injector::ShortPage;

/// Cuts `items` to half (rounded down, at least one) when the fault is armed and there is more
/// than one; returns true when it did.
pub(crate) fn shorten<T>(items: &mut Vec<T>, short: &mut ShortPage) -> bool {
    if *short == ShortPage::Armed && items.len() > 1 {
        items.truncate(items.len() / 2);
        *short = ShortPage::Applied;
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_only_when_armed_and_worth_it() {
        let mut short = ShortPage::Armed;
        let mut one = vec![1];
        assert!(!shorten(&mut one, &mut short));
        let mut five = vec![1, 2, 3, 4, 5];
        assert!(shorten(&mut five, &mut short));
        assert_eq!(five, [1, 2]);
        assert_eq!(short, ShortPage::Applied);
        let mut off = ShortPage::Off;
        assert!(!shorten(&mut five, &mut off));
    }
}
