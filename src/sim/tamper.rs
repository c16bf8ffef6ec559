//! Who touched an owner's order: the hidden truth of sabotage.
//!
//! An attacker need not trade to do harm: cancelling or amending the bot's orders is invisible in
//! a list of "orders nobody placed". The venue remembers each owner order cancelled or amended
//! one by one with a leaked key from an address other than the bot's, so a drill can score
//! whether the response's diff called them `tampered`. Cancel-all and batch cancels are not
//! counted: they are how the response itself clears the account, with the same key, once the
//! lock has bound it to the responder. Nor is a touch through a key whose IP list names the
//! caller's address: the owner bound it there, so the caller is the owner (the responder after
//! the lock); the attacker can only use the key while it admits any address.

use std::net::{IpAddr, Ipv4Addr};

use crate::sim::key::IpWhitelist;
use crate::sim::order::Origin;
use crate::sim::state::Venue;

/// The bot's address. To be replaced by `sim::BOT_IP` when the drill's bot gets one of its own.
const BOT_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// Whether a request from `peer` comes from the owner's bot.
pub(crate) fn from_bot(peer: Option<IpAddr>) -> bool {
    peer == Some(BOT_ADDRESS)
}

impl Venue {
    /// Notes that `order_id` was cancelled or amended by the request being answered, signed
    /// with `api_key`: an owner order touched with a leaked key from anywhere but the bot's
    /// address, through a key not bound to that address, is tampered with.
    pub(crate) fn note_touch(&mut self, api_key: &str, order_id: &str) {
        let peer = self.peer;
        let bound_here = self.keys.iter().any(|k| {
            k.api_key == api_key && matches!(&k.ips, IpWhitelist::Only(ips) if peer.is_some_and(|p| ips.contains(&p)))
        });
        if !self.is_leaked_key(api_key) || from_bot(peer) || bound_here {
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
    use crate::exchanges::ExchangeId;
    use crate::sim::Sim;

    const RESPONDER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
    const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn only_an_owner_order_touched_by_the_attacker_is_tampered() {
        let sim = Sim::new(ExchangeId::Bybit, 7);
        let mut v = sim.lock();
        let leaked = v.keys.iter().find(|k| k.leaked).unwrap().api_key.clone();
        let other = v.keys.iter().find(|k| !k.leaked).unwrap().api_key.clone();
        let owners: Vec<String> = v
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Owner)
            .map(|o| o.order_id.clone())
            .take(4)
            .collect();
        assert_eq!(owners.len(), 4, "the default incident has bot orders");
        // The attacker, from its address, with the leaked key, while it admits any address.
        v.peer = Some(ATTACKER);
        v.note_touch(&leaked, &owners[0]);
        // The bot, from its own address; a key that did not leak.
        v.peer = Some(BOT_ADDRESS);
        v.note_touch(&leaked, &owners[1]);
        v.peer = Some(ATTACKER);
        v.note_touch(&other, &owners[1]);
        // The responder, once the lock bound the key to its address.
        let now = v.now_ms();
        let idx = v.live_key_index(&leaked).unwrap();
        v.keys[idx].set_ips(IpWhitelist::Only(vec![RESPONDER]), now);
        v.peer = Some(RESPONDER);
        v.note_touch(&leaked, &owners[2]);
        // Touched twice: listed once.
        v.note_touch(&leaked, &owners[0]);
        assert_eq!(v.tampered, [owners[0].clone()]);
    }

    #[test]
    fn only_the_bots_address_is_the_bot() {
        assert!(from_bot(Some(BOT_ADDRESS)));
        assert!(!from_bot(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))));
        assert!(!from_bot(None));
    }
}
