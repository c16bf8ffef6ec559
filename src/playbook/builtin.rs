//! The default playbook of each venue, embedded in the binary so the panic button works without
//! any file but the config.

use super::Playbook;
use crate::exchanges::ExchangeId;

/// The shipped playbook text for a venue: its name and its text, from the venue's row.
pub fn text(exchange: ExchangeId) -> (&'static str, &'static str) {
    exchange.spec().playbook
}

/// The shipped playbook for a venue, validated.
pub fn builtin(exchange: ExchangeId) -> Result<Playbook, crate::source::Problems> {
    let (name, text) = text(exchange);
    super::parse(name, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_playbook_validates() {
        for exchange in ExchangeId::ALL {
            let playbook = builtin(*exchange).unwrap_or_else(|e| panic!("{exchange}: {e:?}"));
            assert_eq!(playbook.exchange, *exchange);
            // Containment first: the first step locks or revokes.
            let (_, first) = playbook.action_steps()[0];
            assert_eq!(
                first.containment(),
                crate::actions::Containment::Contains,
                "{exchange}: the first step must contain"
            );
        }
    }
}
