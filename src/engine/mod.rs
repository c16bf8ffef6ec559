//! The engine: runs a playbook's steps against one exchange, journaling every step.
//!
//! Per step: check `when`, journal the start, `plan` (nothing mutating), journal the plan,
//! confirm where the action needs it, `apply`, journal the end with the step's calls and
//! outputs. `parallel:` groups run their members at once; `on_error` decides whether a failure
//! stops the run. Everything that can be checked before the first request (inputs, profile
//! fields, files, whether a confirmation can be asked) is checked first, so bad input never
//! leaves a half-done response. The run's [`Outcome`] maps onto the documented exit codes.

mod executor;
mod outcome;
pub mod template;

pub use executor::{Confirm, PreflightError, Run, preflight};
pub use outcome::{Outcome, StepRecord, StepStatus};
