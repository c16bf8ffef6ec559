//! A validated schedule entry: when it comes due (cron in its time zone) and what it runs.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use clap::Parser;
use croner::Cron;

use crate::cli::Cli;

/// One scheduled job, checked: its cron parses, its zone is known and its command line parses
/// as a schedulable lockdown command.
#[derive(Debug, Clone)]
pub struct Job {
    /// Unique name (letters, digits, `-`, `_`): it names the systemd units and the log lines.
    pub name: String,
    /// The cron expression as written.
    pub cron_text: String,
    /// The parsed cron expression.
    pub cron: Cron,
    /// The time zone the cron is read in.
    pub zone: Tz,
    /// The command line as written in `run` (without `lockdown`).
    pub run: Vec<String>,
    /// The config file (absolute), passed to the command as `--config`.
    pub config: PathBuf,
    /// Up to how long each run is delayed at random.
    pub jitter: Duration,
    /// How long a run may take before it is cancelled.
    pub timeout: Duration,
    /// Where the command writes its history line (`drills.jsonl`): the run's folder is read
    /// from it.
    pub history_dir: PathBuf,
}

impl Job {
    /// The whole argument list: `lockdown --config FILE <run…>`.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec![
            "lockdown".to_owned(),
            "--config".to_owned(),
            self.config.display().to_string(),
        ];
        argv.extend(self.run.iter().cloned());
        argv
    }

    /// The command line as parsed by the CLI (checked at load, so an error here is a bug).
    pub fn command(&self) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(self.argv())
    }

    /// The first time the job comes due strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&after.with_timezone(&self.zone), false)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The last time the job came due at or before `at`.
    pub fn last_due(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&at.with_timezone(&self.zone), true)
            .ok()
            .map(|due| due.with_timezone(&Utc))
    }

    /// The next `n` due times after `after`.
    pub fn next_times(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut times = Vec::with_capacity(n);
        let mut from = after;
        while times.len() < n {
            let Some(next) = self.next_after(from) else {
                break;
            };
            times.push(next);
            from = next;
        }
        times
    }

    /// The command line for people: `lockdown drill --venue okx`.
    pub fn describe(&self) -> String {
        let mut line = String::from("lockdown");
        for arg in &self.run {
            line.push(' ');
            line.push_str(arg);
        }
        line
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A job of `cron` in `zone` that drills on the simulator.
    pub(crate) fn job(cron: &str, zone: &str) -> Job {
        Job {
            name: "test".to_owned(),
            cron_text: cron.to_owned(),
            cron: super::super::validate::parse_cron(cron).unwrap(),
            zone: zone.parse().unwrap(),
            run: vec!["drill".to_owned()],
            config: PathBuf::from("/etc/lockdown/config.yaml"),
            jitter: Duration::ZERO,
            timeout: Duration::from_secs(60),
            history_dir: PathBuf::from("/var/lib/lockdown"),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn due_times_follow_the_zone_across_daylight_saving() {
        // 03:30 in Berlin is 02:30 UTC in winter and 01:30 UTC in summer (DST from 29 March 2026).
        let job = job("0 30 3 * * *", "Europe/Berlin");
        assert_eq!(
            job.next_times(at("2026-03-27T12:00:00Z"), 3),
            vec![
                at("2026-03-28T02:30:00Z"),
                at("2026-03-29T01:30:00Z"),
                at("2026-03-30T01:30:00Z"),
            ]
        );
        assert_eq!(
            job.last_due(at("2026-03-28T02:30:00Z")),
            Some(at("2026-03-28T02:30:00Z"))
        );
    }
}
