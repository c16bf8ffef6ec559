//! The default playbook of each venue, embedded in the binary so the panic button works without
//! any file but the config; and the planned-rotation playbook of each venue that has one
//! (`lockdown rotate`, `playbooks/rotate/<venue>.yaml`).

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

/// The shipped rotation playbooks: name in reports, and text. A venue without a row has none
/// (`lockdown rotate` says so).
const ROTATE: &[(ExchangeId, &str, &str)] = &[
    (
        ExchangeId::Bybit,
        "builtin:playbooks/rotate/bybit.yaml",
        include_str!("../../playbooks/rotate/bybit.yaml"),
    ),
    (
        ExchangeId::Okx,
        "builtin:playbooks/rotate/okx.yaml",
        include_str!("../../playbooks/rotate/okx.yaml"),
    ),
    (
        ExchangeId::Deribit,
        "builtin:playbooks/rotate/deribit.yaml",
        include_str!("../../playbooks/rotate/deribit.yaml"),
    ),
    (
        ExchangeId::Binance,
        "builtin:playbooks/rotate/binance.yaml",
        include_str!("../../playbooks/rotate/binance.yaml"),
    ),
    (
        ExchangeId::Kraken,
        "builtin:playbooks/rotate/kraken.yaml",
        include_str!("../../playbooks/rotate/kraken.yaml"),
    ),
    (
        ExchangeId::Bingx,
        "builtin:playbooks/rotate/bingx.yaml",
        include_str!("../../playbooks/rotate/bingx.yaml"),
    ),
];

/// The shipped rotation playbook for a venue, validated; `None` when it has none.
pub fn rotation(exchange: ExchangeId) -> Option<Result<Playbook, crate::source::Problems>> {
    rotation_name(exchange).and_then(rotation_named)
}

/// The name of the shipped rotation playbook for a venue, which `--playbook` also takes.
pub fn rotation_name(exchange: ExchangeId) -> Option<&'static str> {
    ROTATE
        .iter()
        .find(|(id, _, _)| *id == exchange)
        .map(|(_, name, _)| *name)
}

/// The shipped playbook a journal's `playbook_origin` names (`builtin:playbooks/...`): the
/// venue's response, or one of the rotations.
pub fn by_origin(origin: &str, exchange: ExchangeId) -> Result<Playbook, crate::source::Problems> {
    rotation_named(origin).unwrap_or_else(|| builtin(exchange))
}

/// The shipped rotation playbook called `name` (`builtin:playbooks/rotate/bybit.yaml`).
pub fn rotation_named(name: &str) -> Option<Result<Playbook, crate::source::Problems>> {
    ROTATE
        .iter()
        .find(|(_, shipped, _)| *shipped == name)
        .map(|(_, name, text)| super::parse(name, text))
}

/// Whether a playbook is a planned rotation rather than an incident response: its name ends in
/// `-rotation` (every shipped rotation's does). A rotation sends no incident notifications, and
/// its report says "planned rotation".
pub fn is_rotation(playbook_name: &str) -> bool {
    playbook_name.ends_with("-rotation")
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

    #[test]
    fn every_shipped_rotation_validates_and_revokes_only_after_the_new_key_is_in_use() {
        for (exchange, name, _) in ROTATE {
            let playbook = rotation(*exchange)
                .unwrap()
                .unwrap_or_else(|e| panic!("{exchange}: {e:?}"));
            assert_eq!(playbook.exchange, *exchange);
            assert!(is_rotation(&playbook.name), "{}", playbook.name);
            assert_eq!(by_origin(name, *exchange).unwrap().name, playbook.name);
            let order: Vec<&str> = playbook
                .action_steps()
                .iter()
                .map(|(_, action)| action.name())
                .collect();
            let at = |name: &str| order.iter().position(|a| *a == name).unwrap();
            assert!(at("create_key") < at("handoff"), "{exchange}: {order:?}");
            assert!(
                at("wait_for_use") < at("revoke_key"),
                "{exchange}: {order:?}"
            );
            assert!(
                at("revoke_key") < at("verify_revoked"),
                "{exchange}: {order:?}"
            );
            assert!(
                !order.contains(&"restrict_key"),
                "{exchange}: no incident steps"
            );
        }
        assert!(!is_rotation(&builtin(ExchangeId::Bybit).unwrap().name));
    }
}
