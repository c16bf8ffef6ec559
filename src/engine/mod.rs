//! The engine: runs a playbook's steps against one exchange, journaling every step.
//!
//! Per step: check `when`, `plan` (nothing mutating), journal the start with the plan, confirm
//! where the action needs it, `apply` (with the step's `timeout` and `retry`; a mutation whose
//! outcome is unknown is probed before it is sent again), journal the end with the step's calls
//! and outputs. `parallel:` groups act at once (bounded) and journal in order; `on_error`
//! decides whether a failure stops the run; how long a step may act follows what it does for
//! containment (`budget`: the deadline never cuts a lock or revoke short, evidence gets a share
//! and keeps what it read); `finally` steps always run; a dry run plans the
//! mutating steps without sending them. Everything that can be checked before the first request
//! is checked first (`preflight`). A run's [`Outcome`] maps onto the documented exit codes.

mod attempt;
mod budget;
mod executor;
pub mod left;
mod manual;
mod outcome;
mod preflight;
pub mod resume;
mod retry;
mod skip;
mod step;

pub use executor::{Confirm, Gate, Operator, Prior, Run, Start};
pub use outcome::{Outcome, StepRecord, StepStatus};
pub use preflight::{Advice, PreflightError, preflight};
