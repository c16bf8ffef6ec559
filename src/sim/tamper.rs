//! Who touched an owner's order: the hidden truth of sabotage.
//!
//! An attacker need not trade to do harm: cancelling or amending the bot's orders is invisible in
//! a list of "orders nobody placed". The venue remembers each owner order cancelled or amended
//! one by one with a leaked key from an address other than the bot's, so a drill can score
//! whether the response's diff called them `tampered`. Cancel-all and batch cancels are not
//! counted: they are how the response itself clears the account, with the same key, once the
//! lock has bound it to the responder.

use std::net::{IpAddr, Ipv4Addr};

use crate::sim::order::Origin;
use crate::sim::state::Venue;

/// The bot's address. To be replaced by `sim::BOT_IP` when the drill's bot gets one of its own.
const BOT_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// Whether a request from `peer` comes from the owner's bot.
pub(crate) fn from_bot(peer: Option<IpAddr>) -> bool {
    peer == Some(BOT_ADDRESS)
}

impl Venue {
    /// Notes that `order_id` was cancelled or amended by the request being answered, signed by
    /// a key that is (`leaked`) or is not the attacker's: an owner order touched with a leaked
    /// key from anywhere but the bot's address is tampered with.
    pub(crate) fn note_touch(&mut self, leaked: bool, order_id: &str) {
        if !leaked || from_bot(self.peer) {
            return;
        }
        let owners = self
            .orders
            .iter()
            .any(|o| o.order_id == order_id && o.origin == Origin::Owner);
        if owners && !self.tampered.iter().any(|id| id == order_id) {
            self.tampered.push(order_id.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bots_address_is_the_bot() {
        assert!(from_bot(Some(BOT_ADDRESS)));
        assert!(!from_bot(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))));
        assert!(!from_bot(None));
    }
}
