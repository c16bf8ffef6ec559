//! Steps the playbook's venue cannot do, found when the playbook is read (so `validate`, `check`
//! and a response's start all say it, at the step's `file:line:col`), each naming what to do on
//! that venue instead.
//!
//! Nothing here is a second table of what venues can do: each answer is the adapter's own. A
//! step's capability ([`ActionSpec::capability`]) and a snapshot kind's are judged by
//! [`Venue::support`] (the answer `lockdown capabilities` prints and the engine acts on), and who
//! may sign a deletion (`revoke_key`'s `via`) by whether the adapter has a guided step for it or
//! builds its request at all ([`Venue::encode`] is pure, so asking sends nothing).
//!
//! Fail toward containment: only [`Support::Unavailable`] or a request the adapter refuses to
//! build is a problem. A capability the venue has only by hand ([`Support::Manual`]) is a guided
//! step the engine runs, never an error, so a lock or a revoke is refused for the venue's own
//! reason or not at all.

use serde_yaml::Value;

use super::validate::Flat;
use crate::actions::{ActionSpec, SnapshotKind};
use crate::exchanges::{
    CallContext, Capability, ExchangeError, ExchangeId, Op, Revoke, Support, Venue, VenueSettings,
};
use crate::source::{Problem, Source};

/// Every step of `flat` that `exchange` cannot do, as a problem at its place.
pub(super) fn check(
    source: &Source,
    flat: &[Flat],
    exchange: ExchangeId,
    problems: &mut Vec<Problem>,
) {
    let venue = exchange.venue();
    for step in flat {
        let (Some(action), Some(key)) = (&step.action, &step.action_key) else {
            continue;
        };
        let at = format!("{}.{key}", step.path);
        let name = format!("step `{}` ({key})", step.id.as_deref().unwrap_or("?"));
        if let Some(capability) = action.capability()
            && let Support::Unavailable(why) = venue.support(capability)
        {
            problems.push(
                source
                    .problem(
                        source.key(&at).or_else(|| source.locate(&at)),
                        format!("{name} cannot run on {exchange}: {why}"),
                    )
                    .help(alternative(capability, exchange))
                    .label("not on this venue"),
            );
            continue;
        }
        let params = step.params.as_ref();
        match action {
            ActionSpec::Snapshot(_) => {
                snapshot_kinds(
                    source,
                    &at,
                    &name,
                    params,
                    exchange,
                    venue.as_ref(),
                    problems,
                );
            }
            ActionSpec::RevokeKey(_) => {
                revoke_via(
                    source,
                    &at,
                    &name,
                    params,
                    exchange,
                    venue.as_ref(),
                    problems,
                );
            }
            _ => {}
        }
    }
}

/// The capability a snapshot kind is read through.
fn kind_capability(kind: SnapshotKind) -> Capability {
    match kind {
        SnapshotKind::OpenOrders | SnapshotKind::Orders => Capability::Orders,
        SnapshotKind::Fills => Capability::Fills,
        SnapshotKind::Balances => Capability::Balances,
        SnapshotKind::Transfers | SnapshotKind::Withdrawals => Capability::Transfers,
        SnapshotKind::KeyInfo => Capability::KeyInfo,
        SnapshotKind::AccessLog => Capability::AccessLog,
    }
}

/// Each kind of a snapshot's `of` (one, or a list; a template is known only at run time) that
/// the venue has no API for.
fn snapshot_kinds(
    source: &Source,
    at: &str,
    name: &str,
    params: Option<&Value>,
    exchange: ExchangeId,
    venue: &dyn Venue,
    problems: &mut Vec<Problem>,
) {
    let of = format!("{at}.of");
    let kinds: Vec<(String, &Value)> = match params.and_then(|p| p.get("of")) {
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{of}[{i}]"), item))
            .collect(),
        Some(one) => vec![(of.clone(), one)],
        None => Vec::new(),
    };
    for (path, value) in kinds {
        let Ok(kind) = serde_yaml::from_value::<SnapshotKind>(value.clone()) else {
            continue;
        };
        let capability = kind_capability(kind);
        // Withdrawals stand on their own call where a venue reads them but not the other
        // transfers (BingX): the capability then says "not yet" of the transfers only.
        let withdrawals = Op::Withdrawals {
            window: crate::exchanges::Window {
                start_ms: 0,
                end_ms: 0,
            },
            cursor: None,
        };
        if kind == SnapshotKind::Withdrawals && encodes(venue, &withdrawals) {
            continue;
        }
        if let Support::Unavailable(why) = venue.support(capability) {
            problems.push(
                source
                    .problem_at(
                        &path,
                        format!(
                            "{name} cannot take `{}` on {exchange}: {why}",
                            kind.as_str()
                        ),
                    )
                    .help(alternative(capability, exchange))
                    .label("not on this venue"),
            );
        }
    }
}

/// The signers `revoke_key`'s `via` names, as the schema spells them, and the deletion each
/// sends (`master` is the venue's [`Capability::RevokeKey`] itself).
const VIAS: &[(&str, Option<Revoke>)] = &[
    ("master", None),
    ("self_sub", Some(Revoke::SelfSub)),
    ("self_master", Some(Revoke::SelfMaster)),
];

/// Whether the venue deletes a key signed as `revoke` (`None`: by the master): by API, or as
/// a guided step.
fn deletes(venue: &dyn Venue, revoke: Option<&Revoke>) -> bool {
    if !matches!(venue.support(Capability::RevokeKey), Support::Api) {
        // Done by hand whoever would sign (Kraken, BitMEX): the guide does not depend on it.
        return true;
    }
    let Some(revoke) = revoke else {
        return true;
    };
    let op = Op::RevokeKey(revoke.clone());
    if venue.by_hand(&op).is_some() {
        return true;
    }
    encodes(venue, &op)
}

/// Whether the adapter builds `op` at all (building sends nothing): `false` only when it says
/// the venue has no such call.
fn encodes(venue: &dyn Venue, op: &Op) -> bool {
    let settings = VenueSettings::default();
    let call = CallContext {
        now_ms: 0,
        nonce: "0",
        session: None,
        tfa: None,
        settings: &settings,
        subject: None,
        lookup: None,
        known: &[],
    };
    !matches!(
        venue.encode(op, &call),
        Err(ExchangeError::Unsupported { .. })
    )
}

/// A `via` the venue has no deletion for.
fn revoke_via(
    source: &Source,
    at: &str,
    name: &str,
    params: Option<&Value>,
    exchange: ExchangeId,
    venue: &dyn Venue,
    problems: &mut Vec<Problem>,
) {
    let Some(via) = params.and_then(|p| p.get("via")).and_then(Value::as_str) else {
        return;
    };
    let Some((_, revoke)) = VIAS.iter().find(|(name, _)| *name == via) else {
        return;
    };
    if deletes(venue, revoke.as_ref()) {
        return;
    }
    let working: Vec<String> = VIAS
        .iter()
        .filter(|(_, r)| deletes(venue, r.as_ref()))
        .map(|(name, _)| format!("`via: {name}`"))
        .collect();
    problems.push(
        source
            .problem_at(
                &format!("{at}.via"),
                format!("{name} cannot run on {exchange}: no key is deleted there `via: {via}`"),
            )
            .help(format!(
                "on {exchange} write {} (the master deletes the sub-account's key)",
                working.join(" or ")
            ))
            .label("not on this venue"),
    );
}

/// What to do on `exchange` instead of a step that stands on `capability`.
fn alternative(capability: Capability, exchange: ExchangeId) -> String {
    let others = |c: Capability| {
        ExchangeId::ALL
            .iter()
            .filter(|id| matches!(id.venue().support(c), Support::Api))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let manual = format!("a `manual` step that says what to do in {exchange}'s web interface");
    match capability {
        Capability::AccessLog => format!(
            "leave `access_log` out of `of` on {exchange} and ask {exchange}'s support for the login history (the report says there is none, and what to ask); venues with one by API: {}",
            others(capability)
        ),
        Capability::DeadMan => format!(
            "on {exchange} use `cancel_orders`: it cancels now (run it again for orders placed since); venues with a dead-man switch by API: {}",
            others(capability)
        ),
        Capability::FreezeAccount => format!(
            "on {exchange} stop each key with `restrict_key` and `revoke_key`, or write {manual}"
        ),
        _ => format!("remove the step, or write {manual}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn book(exchange: &str, steps: &str) -> String {
        format!(
            "version: 1\nname: t\nexchange: {exchange}\ninputs:\n  key: {{ required: true }}\nsteps:\n  - id: lock\n    restrict_key: {{ key: \"{{{{ inputs.key }}}}\" }}\n{steps}"
        )
    }

    /// (location, message, hint) of each problem.
    fn problems(exchange: &str, steps: &str) -> Vec<(String, String, String)> {
        let all = match parse("p.yaml", &book(exchange, steps)) {
            Ok(book) => match book.unavailable {
                Some(all) => all,
                None => return Vec::new(),
            },
            Err(all) => std::sync::Arc::new(all),
        };
        all.problems
            .iter()
            .map(|p| {
                (
                    p.location().to_owned(),
                    p.message().to_owned(),
                    p.hint().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn an_access_log_snapshot_is_refused_where_the_venue_has_none_at_its_place() {
        let steps = "  - id: history\n    snapshot:\n      key: \"{{ inputs.key }}\"\n      of: [orders, access_log]\n";
        let found = problems("bybit", steps);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (location, message, hint) = &found[0];
        assert_eq!(location, "p.yaml:12:20");
        assert!(
            message.contains("step `history` (snapshot) cannot take `access_log` on bybit"),
            "{message}"
        );
        assert!(message.contains("Bybit has no access-log API"), "{message}");
        assert!(hint.contains("leave `access_log` out"), "{hint}");
        assert!(hint.contains("deribit"), "{hint}");
        // One kind, not a list, is pointed at too; Deribit has the log.
        let one = "  - id: log\n    snapshot: { key: \"{{ inputs.key }}\", of: access_log }\n";
        assert_eq!(problems("okx", one)[0].0, "p.yaml:10:46");
        assert!(problems("deribit", one).is_empty());
        assert!(problems("deribit", steps).is_empty());
    }

    #[test]
    fn a_dead_man_switch_is_refused_where_there_is_none_naming_the_alternative() {
        let steps =
            "  - id: deadman\n    cancel_after: { key: \"{{ inputs.key }}\", seconds: 60 }\n";
        let found = problems("bybit", steps);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (location, message, hint) = &found[0];
        assert_eq!(location, "p.yaml:10:5");
        assert!(
            message.contains("step `deadman` (cancel_after) cannot run on bybit"),
            "{message}"
        );
        assert!(hint.contains("use `cancel_orders`"), "{hint}");
        assert!(hint.contains("kraken"), "{hint}");
        for venue in ["okx", "kraken", "bitmex"] {
            assert!(problems(venue, steps).is_empty(), "{venue}");
        }
        for venue in ["deribit", "binance"] {
            assert_eq!(problems(venue, steps).len(), 1, "{venue}");
        }
    }

    #[test]
    fn a_signer_the_venue_has_no_deletion_for_is_refused_and_guided_ones_pass() {
        let revoke = |via: &str| {
            format!(
                "  - id: revoke\n    revoke_key: {{ key: \"{{{{ inputs.key }}}}\", via: {via} }}\n"
            )
        };
        // OKX and Deribit: only the master deletes a key.
        for venue in ["okx", "deribit"] {
            for via in ["self_master", "self_sub"] {
                let found = problems(venue, &revoke(via));
                assert_eq!(found.len(), 1, "{venue} {via}: {found:#?}");
                assert_eq!(found[0].0, "p.yaml:10:49", "{venue} {via}");
                assert!(found[0].2.contains("`via: master`"), "{}", found[0].2);
                assert!(!found[0].2.contains("self_"), "{}", found[0].2);
            }
            assert!(problems(venue, &revoke("master")).is_empty(), "{venue}");
        }
        // Bybit signs both; Binance guides a master-account key's deletion (not an error) but
        // has none by a sub-account key itself.
        assert!(problems("bybit", &revoke("self_master")).is_empty());
        assert!(problems("bybit", &revoke("self_sub")).is_empty());
        assert!(problems("binance", &revoke("self_master")).is_empty());
        let found = problems("binance", &revoke("self_sub"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].2.contains("`via: master` or `via: self_master`"),
            "{}",
            found[0].2
        );
        // Kraken and BitMEX delete every key by hand, whoever would sign: never refused.
        for venue in ["kraken", "bitmex"] {
            for via in ["master", "self_sub", "self_master"] {
                assert!(problems(venue, &revoke(via)).is_empty(), "{venue} {via}");
            }
        }
    }

    #[test]
    fn steps_done_by_hand_are_guided_not_problems() {
        // Kraken and BitMEX have no key API: the lock, the revoke and the replacement are
        // guided steps there, never refused.
        let steps = "  - id: revoke\n    revoke_key: { key: \"{{ inputs.key }}\" }\n  - id: replace\n    create_key: { label: \"{{ run.id }}\" }\n";
        for venue in ["kraken", "bitmex"] {
            assert!(problems(venue, steps).is_empty(), "{venue}");
        }
        // Freezing a sub-account: Bybit by API; elsewhere refused with what to do instead.
        let freeze = "  - id: freeze\n    freeze_account: { account: \"1\" }\n";
        assert!(problems("bybit", freeze).is_empty());
        let found = problems("okx", freeze);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].2.contains("`restrict_key` and `revoke_key`"),
            "{}",
            found[0].2
        );
    }

    #[test]
    fn every_shipped_playbook_passes_on_its_venue() {
        for id in ExchangeId::ALL {
            let rotation = crate::playbook::rotation(*id);
            for book in std::iter::once(crate::playbook::builtin(*id)).chain(rotation) {
                match book {
                    Ok(book) => {
                        assert!(book.unavailable.is_none(), "{id}: {:?}", book.unavailable);
                    }
                    Err(problems) => panic!("{id}: {problems:?}"),
                }
            }
        }
    }

    #[test]
    fn a_step_the_venue_cannot_do_is_said_with_every_other_problem() {
        let steps = "  - id: deadman\n    cancel_after: { key: \"{{ inputs.key }}\" }\n  - id: r\n    reprot: {}\n";
        let Err(all) = parse("p.yaml", &book("bybit", steps)) else {
            panic!("accepted");
        };
        let found: Vec<&str> = all.problems.iter().map(|p| p.location()).collect();
        assert_eq!(found, ["p.yaml:10:5", "p.yaml:12:5"]);
    }
}
