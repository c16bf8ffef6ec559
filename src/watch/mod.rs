//! `lockdown watch`: the tripwire that sees the attacker's first order and locks the key before
//! a person wakes up (docs/watch.md).
//!
//! Every figure of a response starts when someone presses the button; in the incidents lockdown
//! exists for, the owner found out hours later. The diff already knows which orders are not the
//! owner's; judging them as they appear turns the panic button into a tripwire. The parts:
//! [`Source`]s yield each watched key's new or changed orders (the REST poller, every venue);
//! the [`Judge`] gives them the diff's own verdict against the live ledger and raises
//! [`Signal`]s with evidence and a confidence; the [`Policy`] says notify, lock or respond; the
//! lock runs as a journaled run with the signal as its cause, and `lockdown unlock RUN` undoes
//! a false alarm. `drill --watch` measures all of it against the simulator.

mod access;
mod account;
mod judge;
mod lock;
mod notice;
mod policy;
mod poll;
pub mod signal;
mod source;
mod stream;
mod unlock;
mod watcher;

pub use access::{KnownAddresses, parse_net};
pub use judge::Judge;
pub use lock::lock_playbook;
pub use policy::{Act, Burst, Decision, INTERVAL_BOUNDS, Policy, Rule, Settings};
pub use poll::RestPoll;
pub use signal::{Confidence, Signal, SignalKind};
pub use source::{Batch, Source};
pub use stream::{StreamFigures, StreamSource};
pub use unlock::{Restore, Unlocked, restore_to, unlock};
pub use watcher::{Acted, Options, Report, Summary, run};
