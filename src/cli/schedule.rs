//! `lockdown schedule run|list|install`: the config's scheduled drills and checks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::config;
use crate::error::Error;
use crate::exit::Exit;
use crate::schedule::{self, Job, Runner, SystemClock};
use crate::ui::{Format, Ui};

/// Arguments of `schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    command: ScheduleCommand,
}

#[derive(Debug, Subcommand)]
enum ScheduleCommand {
    /// Run the schedules in the foreground (systemd, a container, a terminal) until SIGTERM or
    /// Ctrl-C
    Run(RunArgs),
    /// Each schedule with its next run times
    List(ListArgs),
    /// Write systemd units (`--systemd`) or print crontab lines (`--cron`) for the OS scheduler
    Install(InstallArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Where the scheduler keeps its state file and `schedule.jsonl` (default:
    /// $XDG_STATE_HOME/lockdown)
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// After SIGTERM or Ctrl-C, how long runs going on may take to end before they are cancelled
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    grace: Duration,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Next run times after this time (RFC 3339; default: now)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    from: Option<DateTime<Utc>>,
    /// How many next run times to show
    #[arg(long, value_name = "N", default_value_t = 3)]
    count: usize,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("scheduler").required(true))]
struct InstallArgs {
    /// A oneshot service and a timer per job, for the user's systemd
    #[arg(long, group = "scheduler")]
    systemd: bool,
    /// One crontab line per job, printed (lockdown never edits a crontab)
    #[arg(long, group = "scheduler")]
    cron: bool,
    /// Print the unit files instead of writing them
    #[arg(long)]
    dry_run: bool,
    /// Where to write the unit files (default: $XDG_CONFIG_HOME/systemd/user)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|err| format!("not an RFC 3339 time such as 2026-01-31T09:00:00Z: {err}"))
}

/// Runs `schedule`.
pub async fn run(args: ScheduleArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let path = config.unwrap_or_else(config::default_path);
    let jobs = config::load_schedules(&path)?;
    if jobs.is_empty() {
        return Err(Error::Usage {
            message: format!("`{}` has no `schedules:`", path.display()),
            help: Some(
                "add a `schedules:` list beside `profiles:` (see \"Scheduled drills and checks\" in README.md)"
                    .to_owned(),
            ),
        });
    }
    match args.command {
        ScheduleCommand::Run(args) => run_scheduler(args, jobs, &path, ui).await,
        ScheduleCommand::List(args) => {
            list(&jobs, args.from.unwrap_or_else(Utc::now), args.count, ui);
            Ok(Exit::Ok)
        }
        ScheduleCommand::Install(args) => install(&args, &jobs, ui),
    }
}

async fn run_scheduler(args: RunArgs, jobs: Vec<Job>, path: &Path, ui: &Ui) -> Result<Exit, Error> {
    let state_dir = args
        .state_dir
        .map(|dir| std::path::absolute(&dir).unwrap_or(dir))
        .unwrap_or_else(config::default_state_dir);
    crate::private::create_dir(&state_dir).map_err(|source| Error::Io {
        what: "create",
        path: state_dir.clone(),
        source,
    })?;
    // Paths in a job's `run` mean what they mean in the config: relative to its folder (the
    // systemd units and crontab lines run from there too).
    if let Some(dir) = jobs.first().and_then(|job| job.config.parent()) {
        std::env::set_current_dir(dir).map_err(|source| Error::Io {
            what: "change into",
            path: dir.to_owned(),
            source,
        })?;
    }
    let stop = crate::interrupt::forward().map_err(|source| Error::Io {
        what: "listen for signals in",
        path: path.to_owned(),
        source,
    })?;
    let stopped = Runner::new(jobs, SystemClock, state_dir)
        .grace(args.grace)
        .run(ui, stop)
        .await;
    Ok(stopped.exit())
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn list(jobs: &[Job], from: DateTime<Utc>, count: usize, ui: &Ui) {
    if ui.format() == Format::Json {
        let rows: Vec<_> = jobs
            .iter()
            .map(|job| {
                json!({
                    "name": job.name,
                    "cron": job.cron_text,
                    "timezone": job.zone.name(),
                    "run": job.run,
                    "jitter_ms": u64::try_from(job.jitter.as_millis()).unwrap_or(u64::MAX),
                    "timeout_ms": u64::try_from(job.timeout.as_millis()).unwrap_or(u64::MAX),
                    "next": job.next_times(from, count).into_iter().map(stamp).collect::<Vec<_>>(),
                })
            })
            .collect();
        ui.json(&json!({ "from": stamp(from), "schedules": rows }));
        return;
    }
    for job in jobs {
        ui.data(&format!(
            "{}  `{}` {}  {}",
            job.name,
            job.cron_text,
            job.zone.name(),
            job.describe()
        ));
        for at in job.next_times(from, count) {
            let local = at.with_timezone(&job.zone);
            ui.data(&format!(
                "  {}  ({})",
                stamp(at),
                local.format("%a %Y-%m-%d %H:%M:%S %Z")
            ));
        }
    }
}

fn install(args: &InstallArgs, jobs: &[Job], ui: &Ui) -> Result<Exit, Error> {
    let binary = std::env::current_exe().map_err(|source| Error::Io {
        what: "find",
        path: PathBuf::from("the lockdown binary"),
        source,
    })?;
    let refused = |reasons: Vec<String>| {
        Error::Usage {
        message: reasons.join("; "),
        help: Some(
            "write the cron with plain values, lists, ranges and steps (and, for cron, seconds `0`), or run `lockdown schedule run` instead"
                .to_owned(),
        ),
    }
    };
    if args.cron {
        let text = schedule::crontab(jobs, &binary).map_err(refused)?;
        ui.data(text.trim_end());
        ui.info("add these lines with `crontab -e`; lockdown never edits a crontab");
        return Ok(Exit::Ok);
    }
    let units = schedule::units(jobs, &binary).map_err(refused)?;
    if args.dry_run {
        for unit in &units {
            ui.data(&format!("### {}", unit.file_name));
            ui.data(unit.text.trim_end());
        }
        return Ok(Exit::Ok);
    }
    let dir = args.dir.clone().unwrap_or_else(user_units);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        what: "create",
        path: dir.clone(),
        source,
    })?;
    for unit in &units {
        let path = dir.join(&unit.file_name);
        std::fs::write(&path, &unit.text).map_err(|source| Error::Io {
            what: "write",
            path: path.clone(),
            source,
        })?;
        ui.info(&format!("wrote {}", path.display()));
    }
    let timers: Vec<String> = jobs
        .iter()
        .map(|job| format!("lockdown-{}.timer", job.name))
        .collect();
    ui.info(&format!(
        "now: systemctl --user daemon-reload && systemctl --user enable --now {}",
        timers.join(" ")
    ));
    Ok(Exit::Ok)
}

/// `$XDG_CONFIG_HOME/systemd/user` (or `~/.config/systemd/user`).
fn user_units() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("systemd")
        .join("user")
}
