//! Is the profile's playbook one its venue can run? It must load (`--playbook` aside, the one a
//! response would use: the profile's `playbook:`, else the venue's shipped one), be written for
//! the profile's venue, and have no step the venue can do neither by API nor as a guided step by
//! hand. What the venue can do is judged when the playbook is read (`playbook::venue_check`, from
//! the venue's declared support, the same answer the engine acts on): a guided step by hand (the
//! run waits for a person) is fine, only a step that would fail is critical.

use super::Finding;
use crate::actions::ActionSpec;
use crate::config::Profile;
use crate::playbook::{self, Playbook, PlaybookError};

/// Checks the profile's playbook; the playbook when it loads.
pub(super) fn check(profile: &Profile, findings: &mut Vec<Finding>) -> Option<Playbook> {
    let name = profile.name.as_str();
    let book = match playbook::for_profile(None, profile) {
        Ok(book) => book,
        Err(PlaybookError::Invalid(problems)) => {
            for problem in &problems.problems {
                findings.push(Finding::critical(
                    name,
                    "playbook.load",
                    format!(
                        "the playbook does not load: {}: {}",
                        problem.location(),
                        problem.message()
                    ),
                    problem.hint().map_or_else(
                        || format!("`lockdown validate {}` shows every problem", problems.file),
                        str::to_owned,
                    ),
                ));
            }
            return None;
        }
        Err(err @ PlaybookError::Read { .. }) => {
            findings.push(Finding::critical(
                name,
                "playbook.load",
                err.to_string(),
                "point the profile's `playbook:` at the file, or remove it to use the venue's shipped playbook",
            ));
            return None;
        }
    };
    findings.push(Finding::ok(
        name,
        "playbook.load",
        format!(
            "`{}` ({}) loads: {} steps",
            book.name,
            book.origin,
            book.action_steps().len()
        ),
    ));
    findings.push(venue(profile, &book));
    findings.extend(steps(profile, &book));
    Some(book)
}

/// Whether the playbook is written for the profile's venue.
fn venue(profile: &Profile, book: &Playbook) -> Finding {
    if book.exchange == profile.exchange {
        return Finding::ok(
            &profile.name,
            "playbook.venue",
            format!("written for {}", book.exchange),
        );
    }
    Finding::critical(
        &profile.name,
        "playbook.venue",
        format!(
            "playbook `{}` is for {}, the profile is {}: a response refuses to start",
            book.name, book.exchange, profile.exchange
        ),
        format!(
            "point `playbook:` at a playbook for {}, or remove it to use the shipped one",
            profile.exchange
        ),
    )
}

/// A critical finding per step the playbook's venue cannot do at all (found when it was read,
/// [`Playbook::unavailable`], each at its `file:line:col`); else one that lists the steps done
/// by hand.
fn steps(profile: &Profile, book: &Playbook) -> Vec<Finding> {
    let venue = profile.exchange.venue();
    let mut findings = Vec::new();
    for problem in book.unavailable.iter().flat_map(|all| &all.problems) {
        findings.push(Finding::critical(
            &profile.name,
            "playbook.steps",
            format!("{}: {}", problem.location(), problem.message()),
            problem.hint().unwrap_or_default().to_owned(),
        ));
    }
    let mut by_hand = Vec::new();
    for (step, action) in book.action_steps() {
        if !matches!(action, ActionSpec::Manual(_)) && action.by_hand(venue.as_ref()) {
            by_hand.push(format!("`{}`", step.id));
        }
    }
    if findings.is_empty() {
        let message = if by_hand.is_empty() {
            format!("every step runs by API on {}", profile.exchange)
        } else {
            format!(
                "every step runs on {}; done by hand, guided: {}",
                profile.exchange,
                by_hand.join(", ")
            )
        };
        findings.push(Finding::ok(&profile.name, "playbook.steps", message));
    }
    findings
}
