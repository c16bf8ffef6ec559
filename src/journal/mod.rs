//! The run journal: an append-only, hash-chained JSON Lines file.
//!
//! Every step writes an event before it starts and after it ends, each `sync_data`'d before the
//! run goes on, so a crash loses nothing that was done and `verify` can tell any later edit:
//! each event's `hash` is SHA-256 over the previous hash and the event itself, and its `mac`
//! an HMAC of that hash under a key kept outside the run folder (`key`), so a journal rewritten
//! with its chain recomputed shows too. A run ends with a seal (`run_finished` or
//! `interrupted`), so a journal cut short shows as well. Events hold no secret: callers pass
//! plain data (masked where people read it), never secret types.

mod event;
mod key;
pub mod record;
mod verified;
mod verify;
mod witness;
mod writer;

pub use event::{Event, EventKind, GENESIS};
pub use key::{FILE_NAME as KEY_FILE_NAME, JournalKey, KeyError};
pub use verified::{Authenticity, Seal, Verified};
pub use verify::{VerifyError, read, verify, verify_with_key};
pub use witness::{HEAD_FILE_NAME, Head};
pub use writer::{Journal, JournalError};

/// The journal's file name inside a run folder.
pub const FILE_NAME: &str = "journal.jsonl";
