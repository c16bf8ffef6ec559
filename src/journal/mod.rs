//! The run journal: an append-only, hash-chained JSON Lines file.
//!
//! Every step writes an event before it starts and after it ends, each `sync_data`'d before the
//! run goes on, so a crash loses nothing that was done and `verify` can tell any later edit:
//! each event's `hash` is SHA-256 over the previous hash and the event itself. Events hold no
//! secret: callers pass plain data (masked where people read it), never secret types.

mod event;
mod verify;
mod writer;

pub use event::{Event, EventKind, GENESIS};
pub use verify::{Verified, VerifyError, read, verify};
pub use writer::{Journal, JournalError};

/// The journal's file name inside a run folder.
pub const FILE_NAME: &str = "journal.jsonl";
