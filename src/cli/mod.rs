//! The command line: clap definitions, one file per subcommand.
//!
//! Secrets never come from argv: flags carry key *ids*, paths and names of profiles, and the
//! config refers to secrets by `env:`/`file:`. Global flags work before or after the subcommand.

mod audit;
mod bundle;
mod capabilities;
mod check;
mod completions;
mod drill;
mod ledger;
mod man;
mod notify;
mod otp;
mod plan;
mod report;
mod respond;
mod resume;
mod rotate;
mod scan;
mod schedule;
mod schema;
mod sim;
mod unlock;
mod validate;
mod verify;
mod watch;

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand};

use crate::error::Error;
use crate::exit::Exit;
use crate::ui::{Format, Ui, Verbosity};

/// Contain a leaked crypto-exchange API key in seconds.
#[derive(Debug, Parser)]
#[command(name = "lockdown", version = env!("LOCKDOWN_VERSION"), about, after_help = crate::exit::TABLE)]
pub struct Cli {
    /// Config file (default: $XDG_CONFIG_HOME/lockdown/config.yaml)
    #[arg(long, global = true, value_name = "FILE", env = "LOCKDOWN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,
    /// Only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also show every request (secrets redacted)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// No colour (also: NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The panic button: run the playbook live against the profile's exchange.
    Respond(respond::RespondArgs),
    /// A fire drill: the whole response against the simulator while an attacker trades; scored.
    Drill(drill::DrillArgs),
    /// Dry-run a playbook: real reads, and the exact requests the mutating steps would send.
    Plan(plan::PlanArgs),
    /// Finish an interrupted run from its journal; done steps are not repeated.
    Resume(resume::ResumeArgs),
    /// Check a run's journal chain (or an evidence bundle); names the first bad line or file.
    Verify(verify::VerifyArgs),
    /// Write a run folder as one evidence file (`.tar.gz` with a SHA-256 manifest) for support.
    Bundle(bundle::BundleArgs),
    /// Write a run's report again from its journal.
    Report(report::ReportArgs),
    /// Print the JSON Schema of the playbook format, or of the config file (for
    /// yaml-language-server).
    Schema(schema::SchemaArgs),
    /// Print what each venue can do by API (the README's capability table).
    Capabilities,
    /// Check playbooks offline; every problem with file:line:col.
    Validate(validate::ValidateArgs),
    /// Run the exchange simulator in the foreground, with a leaked-key incident seeded.
    Sim(sim::SimArgs),
    /// Get the known-orders ledger out of a bot (`import`), or see what a ledger holds (`check`).
    Ledger(ledger::LedgerArgs),
    /// Is each profile ready for an incident? Config, playbook, ledger, store, state dir, and
    /// the exchange's view of the credentials; read-only.
    #[command(after_help = check::EXITS)]
    Check(check::CheckArgs),
    /// Scheduled drills and checks from the config: run them, list them, or install them.
    Schedule(schedule::ScheduleArgs),
    /// Notifications: `notify test` sends a test message to each configured channel.
    Notify(notify::NotifyArgs),
    /// Print the shell's completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (`lockdown man | man -l -`), or write one per command with `--dir`.
    Man(man::ManArgs),
    /// A planned rotation: a new key with the old one's restrictions, stored and handed to the
    /// bot, then the old key revoked and proven refused.
    #[command(after_help = rotate::EXITS)]
    Rotate(rotate::RotateArgs),
    /// Every API key the master can see, with findings (withdraw rights, no IP list, age,
    /// unknown keys, unused products); read-only.
    #[command(after_help = audit::EXITS)]
    Audit(audit::AuditArgs),
    /// Exchange credentials in files and git history, each asked of the exchange for whether
    /// its key is still live; read-only.
    #[command(after_help = scan::EXITS)]
    Scan(scan::ScanArgs),
    /// The tripwire: follow each key's orders, judge them against the ledger as they come, and
    /// lock the key on an unauthorized order (the config's `watch:` policy); foreground.
    Watch(watch::WatchArgs),
    /// Undo a watcher's lock (a false alarm): bind the key to its addresses from before the lock.
    Unlock(unlock::UnlockArgs),
}

impl Cli {
    /// What stdout carries.
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            Format::Human
        }
    }

    /// How chatty people's output is.
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }
}

/// Runs a parsed command line.
pub async fn dispatch(cli: Cli, ui: &Ui) -> Result<Exit, Error> {
    let config = cli.config.clone();
    match cli.command {
        Command::Respond(args) => respond::run(args, config, ui).await,
        Command::Drill(args) => drill::run(args, config, ui).await,
        Command::Plan(args) => plan::run(args, config, ui).await,
        Command::Resume(args) => resume::run(args, ui).await,
        Command::Verify(args) => verify::run(args, ui),
        Command::Bundle(args) => bundle::run(args, ui),
        Command::Report(args) => report::run(args, ui),
        Command::Schema(args) => schema::run(args, ui),
        Command::Capabilities => capabilities::run(ui),
        Command::Validate(args) => validate::run(args, ui),
        Command::Sim(args) => sim::run(args, ui).await,
        Command::Ledger(args) => ledger::run(args, ui),
        Command::Check(args) => check::run(args, config, ui).await,
        Command::Schedule(args) => schedule::run(args, config, ui).await,
        Command::Notify(args) => notify::run(args, config, ui).await,
        Command::Completions(args) => completions::run(args, ui),
        Command::Man(args) => man::run(args, ui),
        Command::Rotate(args) => rotate::run(args, config, ui).await,
        Command::Audit(args) => audit::run(args, config, ui).await,
        Command::Scan(args) => scan::run(args, config, ui).await,
        Command::Watch(args) => watch::run(args, config, ui).await,
        Command::Unlock(args) => unlock::run(args, ui).await,
    }
}
