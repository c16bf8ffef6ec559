//! Schedules: drills and checks that run on their own, so a panic button that rots (an expired
//! master key, a playbook the venue changed under, a slower lock) is found on a quiet Tuesday
//! and not during the incident.
//!
//! A config's `schedules:` list names jobs (`name`, `cron` with an optional `timezone`, `run`:
//! a lockdown command line, `jitter`, `timeout`), all checked at load with `file:line:col`.
//! `lockdown schedule run` is a foreground scheduler that runs each job in-process through
//! `cli::dispatch`, exactly as a person typing the line would, never two runs of one job at
//! once, catching up one missed run after downtime; `schedule list` shows the next run times;
//! `schedule install` writes systemd units or prints crontab lines for the OS scheduler.
//! Only `drill`, `check` and `rotate` (with `--yes` and `--min-age`) can be scheduled:
//! `respond` is never run unattended.

mod calendar;
mod clock;
mod crontab;
mod job;
mod record;
mod runner;
mod state;
mod systemd;
mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use crontab::crontab;
pub use job::Job;
pub use record::{Outcome, RECORD_FILE, RunRecord};
pub use runner::{Event, Runner, Stopped};
pub use state::{STATE_FILE, State};
pub use systemd::{Unit, units};
pub use validate::{SCHEDULABLE, validate};
