//! `lockdown drill`: a fire drill with a live attacker, scored.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::sim::MAX_LATENCY_MS;
use crate::config;
use crate::drill::{self, Drilled, IncidentCard, Options, Scorecard, Twin, history};
use crate::error::Error;
use crate::exchanges::ExchangeId;
use crate::exit::Exit;
use crate::sim::Faults;
use crate::sim::scenario::DEFAULT;
use crate::ui::{Format, Ui};

/// Arguments of `drill`.
#[derive(Debug, Args)]
pub struct DrillArgs {
    /// Which exchange to drill on (default: bybit); with `--history`, only its runs
    #[arg(long, value_parser = ExchangeId::from_arg, conflicts_with = "profile")]
    venue: Option<ExchangeId>,
    /// Drill your own setup: a simulator twin of this profile of the config (its venue,
    /// playbook, ledger format, store kind; its secrets are never read, nothing is sent to the
    /// exchange). History goes to the profile's `state_dir`. With `--history`: only this
    /// profile's runs, from its state folder
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// A playbook input, `NAME=VALUE` (repeatable; with `--profile`)
    #[arg(long = "input", value_name = "NAME=VALUE", requires = "profile")]
    inputs: Vec<String>,
    /// A shipped scenario (pump-illiquid, alt-dump, quiet, sabotage, busy-bot, ledger-gap,
    /// products-<venue>, vendor-leak) or a scenario file
    #[arg(long, value_name = "NAME|FILE", default_value = DEFAULT)]
    scenario: String,
    /// Playbook file (default: the one shipped for the venue)
    #[arg(long, value_name = "FILE")]
    playbook: Option<PathBuf>,
    /// Seed for the simulator and the attacker (default: the scenario's)
    #[arg(long)]
    seed: Option<u64>,
    /// Where drills and their history are kept (default: $XDG_STATE_HOME/lockdown; with
    /// `--profile`, the profile's `state_dir`)
    #[arg(long, value_name = "DIR", conflicts_with = "profile")]
    state_dir: Option<PathBuf>,
    /// Show the trend of the drills and checks (per venue, profile and scenario) and the latest
    /// runs instead of running one
    #[arg(long)]
    history: bool,
    /// With `--history`: how many of the latest runs each row covers and the list shows
    /// (default 20)
    #[arg(long, value_name = "N", requires = "history", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    last: Option<u64>,
    /// Delay every answer of the simulator by this many milliseconds (at most a minute)
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=MAX_LATENCY_MS))]
    latency: u64,
    /// The tripwire instead of the scenario's detection delay: the watcher (`lockdown watch`,
    /// REST polling) follows the leaked key and locks it on the attacker's first unauthorized
    /// order; the scorecard's clock starts at that order (`time_to_detect_ms`,
    /// `time_to_contain_from_first_order_ms`) and counts the watcher's false alarms
    #[arg(long, conflicts_with_all = ["profile", "history"])]
    watch: bool,
    /// With `--watch`: how often the watcher looks by REST (default 1s): between looks when
    /// polling, and while the private stream is down
    #[arg(long, value_name = "DURATION", requires = "watch", value_parser = super::watch::parse_interval)]
    watch_interval: Option<std::time::Duration>,
    /// With `--watch`: poll by REST only, even where the venue has a private stream
    #[arg(long, requires = "watch")]
    watch_poll: bool,
    /// With `--watch`: faults in the simulator's private streams, e.g.
    /// `drop-after=3,lose-every=4,duplicate,delay=50ms` (a drop loses the next update with
    /// it: only the watcher's gap fill finds it)
    #[arg(long, value_name = "SPEC", requires = "watch", value_parser = crate::sim::StreamFaults::parse)]
    stream_faults: Option<crate::sim::StreamFaults>,
    /// With `--watch`: the watcher only notifies, never locks, so it watches the whole attack;
    /// the scorecard counts the attacker's orders it never signalled (`watch.missed`), which
    /// fails the drill
    #[arg(long, requires = "watch")]
    watch_notify_only: bool,
    /// Seeded simulator faults, e.g. `429=0.2,5xx=0.1,reset=0.05,skew=30s`
    #[arg(long, value_name = "SPEC", value_parser = super::sim::parse_faults)]
    faults: Option<Faults>,
    /// Rehearse the notifications too: the drill's response sends through the `notify:`
    /// section of the config (`--config`, or the default), every message marked `[drill]`
    /// (PagerDuty pages no one unless its channel says `drills: page`); the attempts are
    /// recorded in the drill's folder
    #[arg(long)]
    notify: bool,
}

/// Runs `drill`: exit 0 only when the drill passed and did not regress. `config` is the global
/// `--config` (read for `--profile` and the `history:` section).
pub async fn run(args: DrillArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    if args.history {
        return show_history(&args, config.as_deref(), ui);
    }
    let rule = config::load_history(config.as_deref())?.rule;
    let twin = match &args.profile {
        Some(name) => {
            let config = config.clone().unwrap_or_else(config::default_path);
            let inputs = super::respond::parse_inputs(&args.inputs)?;
            Some(Box::new(Twin::load(
                &config,
                name,
                args.playbook.as_deref(),
                inputs,
            )?))
        }
        None => None,
    };
    let notify = if args.notify {
        Some(rehearsal_config(config.as_deref(), ui)?)
    } else {
        None
    };
    let state_dir = match &twin {
        Some(twin) => twin.state_dir().to_path_buf(),
        None => args.state_dir.unwrap_or_else(config::default_state_dir),
    };
    let drilled = drill::run(
        &Options {
            venue: twin
                .as_ref()
                .map_or(args.venue.unwrap_or(ExchangeId::Bybit), |twin| twin.venue()),
            scenario: args.scenario,
            seed: args.seed,
            playbook: args.playbook,
            state_dir: state_dir.clone(),
            faults: args
                .faults
                .unwrap_or_else(Faults::none)
                .with_latency(std::time::Duration::from_millis(args.latency)),
            twin,
            notify,
            watch: args.watch.then(|| drill::WatchDrill {
                interval: args
                    .watch_interval
                    .unwrap_or(std::time::Duration::from_secs(1)),
                streams: !args.watch_poll,
                stream_faults: args.stream_faults.unwrap_or_default(),
                notify_only: args.watch_notify_only,
            }),
        },
        ui,
    )
    .await?;
    // Judged against the earlier comparable drills; a regression is marked in its history line.
    let drill_dir = match &drilled {
        Drilled::One(card) => &card.drill_dir,
        Drilled::Many(card) => &card.drill_dir,
    };
    let regressed = history::judge_drill(&state_dir, drill_dir, &rule)?;
    let passed = match &drilled {
        Drilled::One(card) => {
            ui.summary(|| with_regression(&**card, regressed.as_deref()));
            show(card, ui);
            card.passed
        }
        Drilled::Many(card) => {
            ui.summary(|| with_regression(&**card, regressed.as_deref()));
            show_many(card, ui);
            card.passed
        }
    };
    if let Some(reason) = &regressed {
        ui.warn(&format!("drill REGRESSED (exit 1): {reason}"));
    }
    if !passed || regressed.is_some() {
        let (venue, scenario) = match &drilled {
            Drilled::One(card) => (card.venue.clone(), card.scenario.clone()),
            Drilled::Many(card) => (card.venue.clone(), card.scenario.clone()),
        };
        let folder = std::path::Path::new(drill_dir);
        let message =
            crate::notify::events::drill(&venue, &scenario, !passed, regressed.as_deref(), folder);
        crate::notify::events::send_and_wait(config.as_deref(), message, Some(folder), ui).await;
    }
    Ok(if passed && regressed.is_none() {
        Exit::Ok
    } else {
        Exit::Incomplete
    })
}

/// The config `drill --notify` sends through: its `notify:` section must load (a drill is where
/// a broken channel is found, so it stops the drill before it starts, exit 2); no channel is
/// only a warning.
fn rehearsal_config(config: Option<&Path>, ui: &Ui) -> Result<PathBuf, Error> {
    let path = config.map_or_else(config::default_path, Path::to_path_buf);
    let settings = config::load_notify(Some(&path))?;
    if settings.is_empty() {
        ui.warn(&format!(
            "drill --notify: `{}` configures no notification channel; the drill's response notifies no one",
            path.display()
        ));
    }
    Ok(std::path::absolute(&path).unwrap_or(path))
}

/// A scorecard as JSON with the regression verdict: `regressed` is null or why.
fn with_regression(card: &impl serde::Serialize, regressed: Option<&str>) -> serde_json::Value {
    let mut value = serde_json::to_value(card).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("regressed".into(), json!(regressed));
    }
    value
}

/// A many-key drill's scorecard for people: a row per key, then the verdict.
fn show_many(card: &IncidentCard, ui: &Ui) {
    let yes = |b: bool| if b { "yes" } else { "NO" };
    let s = &card.summary;
    ui.info("");
    ui.info(&format!(
        "  scenario          {} (seed {}), {} keys",
        card.scenario, card.seed, s.keys_total
    ));
    ui.info(&format!(
        "  all locks done    {}",
        s.locks_done_ms
            .map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms"))
    ));
    ui.info(&format!(
        "  locked            {} of {}; revoked {}; replaced {}",
        s.locked, s.keys_total, s.revoked, s.replaced
    ));
    if let Some(line) = watch_line(card) {
        ui.info(&line);
    }
    ui.info(&format!("  drill folder      {}", card.drill_dir));
    ui.info(&format!(
        "  incident summary  {}/summary.md",
        s.incident_dir
    ));
    ui.info("");
    ui.info(&format!(
        "  {:<12} {:>6} {:>8} {:>9} {:>14} {:>10} {:>6}",
        "key", "locked", "revoked", "replaced", "attacker found", "contained", "result"
    ));
    for k in &card.keys {
        let (revoked, replaced, found, contained) = match &k.card {
            Some(c) => (
                yes(c.key_revoked),
                yes(c.replacement.is_some()),
                format!("{} of {}", c.detection.true_positives, c.detection.truth),
                c.time_to_contain_ms
                    .map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms")),
            ),
            None => ("NO", "NO", "–".to_owned(), "–".to_owned()),
        };
        ui.info(&format!(
            "  {:<12} {:>6} {:>8} {:>9} {:>14} {:>10} {:>6}",
            k.key,
            yes(k.locked),
            revoked,
            replaced,
            found,
            contained,
            if k.passed { "pass" } else { "FAIL" }
        ));
    }
    if card.passed {
        ui.info("drill PASSED");
    } else {
        ui.warn(&format!("drill FAILED: {}", card.failures.join("; ")));
    }
}

/// A watched many-key drill in one line: the watcher's source, its signals, and each key's
/// first order → signal and → attacker refused, as the median and the slowest key.
fn watch_line(card: &IncidentCard) -> Option<String> {
    let cards: Vec<&Scorecard> = card.keys.iter().filter_map(|k| k.card.as_ref()).collect();
    let watches: Vec<_> = cards.iter().filter_map(|c| c.watch.as_ref()).collect();
    let first = watches.first()?;
    let spread = |mut values: Vec<u64>| -> String {
        values.sort_unstable();
        match (values.get(values.len() / 2), values.last()) {
            (Some(median), Some(max)) => format!("median {median} ms, slowest {max} ms"),
            _ => "–".to_owned(),
        }
    };
    let signals: usize = watches.iter().map(|w| w.signals).sum();
    let false_alarms: usize = watches.iter().map(|w| w.false_alarms).sum();
    let locked = watches.iter().filter(|w| w.lock_run.is_some()).count();
    Some(format!(
        "  watch             {}: {signals} signal(s), {false_alarms} false alarm(s), {locked} key(s) locked by the watcher\n  from 1st order    detected {}; attacker refused {}",
        first.source,
        spread(cards.iter().filter_map(|c| c.time_to_detect_ms).collect()),
        spread(
            cards
                .iter()
                .filter_map(|c| c.time_to_contain_from_first_order_ms)
                .collect()
        ),
    ))
}

/// The scorecard for people.
fn show(card: &Scorecard, ui: &Ui) {
    let ms = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms"));
    let d = &card.detection;
    let loss: Vec<String> = card
        .estimated_loss
        .iter()
        .map(|(coin, v)| format!("{v:.2} {coin}"))
        .collect();
    let lines = [
        format!("scenario          {} (seed {})", card.scenario, card.seed),
        format!("time to contain   {}", ms(card.time_to_contain_ms)),
        format!("lock acknowledged {}", ms(card.lock_acknowledged_ms)),
        format!("by hand           {}", ms(Some(card.manual_wait_ms))),
        format!(
            "attacker          {} requests carried out, {} refused; {}",
            card.attacker.accepted_total, card.attacker.refused, card.attacker.stopped
        ),
        format!(
            "its probes        {} ({} rate-limited); the key still worked for {} request(s) after the response started",
            card.attacker.probes, card.attacker.rate_limited, card.attacker.key_worked_after_start
        ),
        format!(
            "detection         {} of {} found, {} false positive(s), {} missed; of the owner's, {} unconfirmed (ledger lag), {} never in the ledger",
            d.true_positives,
            d.truth,
            d.false_positives,
            d.missed,
            d.unconfirmed,
            d.owner_not_in_ledger
        ),
        format!(
            "open orders left  {} ({} the attacker's)",
            card.open_orders_left, card.attacker_open_orders_left
        ),
        format!(
            "key revoked       {}",
            if card.key_revoked { "yes" } else { "no" }
        ),
        format!(
            "replacement       {}",
            card.replacement.as_ref().map_or_else(
                || "none".to_owned(),
                |r| format!(
                    "{} (withdraw: {}, IP-bound: {})",
                    r.key,
                    if r.withdraw { "YES" } else { "no" },
                    if r.ip_bound { "yes" } else { "NO" }
                )
            )
        ),
        format!(
            "estimated loss    {}",
            if loss.is_empty() {
                "none".to_owned()
            } else {
                loss.join(", ")
            }
        ),
        format!("drill folder      {}", card.drill_dir),
        format!(
            "journal head      event {} hash {}",
            card.journal["seq"],
            card.journal["hash"].as_str().unwrap_or_default()
        ),
    ];
    ui.info("");
    for line in lines {
        ui.info(&format!("  {line}"));
    }
    if let Some(w) = &card.watch {
        match &w.stream {
            Some(s) => ui.info(&format!(
                "  watch             private stream ({} connect(s), {} drop(s), {} injected; {} gap fill(s)), REST every {} ms while down, {} batches in {} ms: {} signal(s), {} false alarm(s)",
                s.connects,
                s.drops,
                w.stream_drops_injected,
                s.gap_fills,
                w.interval_ms,
                w.looks,
                w.watched_ms,
                w.signals,
                w.false_alarms
            )),
            None => ui.info(&format!(
                "  watch             {} every {} ms, {} looks in {} ms: {} signal(s), {} false alarm(s)",
                w.source, w.interval_ms, w.looks, w.watched_ms, w.signals, w.false_alarms
            )),
        }
        ui.info(&format!(
            "  from 1st order    detected {}, lock run started {}, attacker refused {}",
            ms(card.time_to_detect_ms),
            ms(w.first_order_to_lock_started_ms),
            ms(card.time_to_contain_from_first_order_ms)
        ));
        if let Some(run) = &w.lock_run {
            ui.info(&format!(
                "  watcher's lock    {run} (`lockdown unlock` undoes it)"
            ));
        }
        for line in &w.lines {
            ui.info(&format!("    - {line}"));
        }
    }
    if let Some(profile) = &card.profile {
        ui.info(&format!(
            "  your profile      {profile}, as a simulator twin:"
        ));
        for setting in &card.exercised {
            ui.info(&format!("    - {}", setting.line()));
        }
    }
    if let Some(bot) = &card.bot {
        ui.info(&format!(
            "  owner's bot       {} orders placed ({} after the response started), {} cancelled, {} ledger lines; {}",
            bot.placed, bot.placed_after_start, bot.cancelled, bot.ledger_lines, bot.stopped
        ));
    }
    if !card.left.is_empty() {
        ui.warn("the response left to do:");
        for todo in &card.left {
            ui.info(&format!("  - {}\n    how: {}", todo.what, todo.how));
        }
    }
    if card.passed {
        ui.info("drill PASSED");
    } else {
        ui.warn(&format!("drill FAILED: {}", card.failures.join("; ")));
    }
}

/// `--history`: the trend rows (drilled setups, checked profiles) and the latest runs.
fn show_history(args: &DrillArgs, config: Option<&Path>, ui: &Ui) -> Result<Exit, Error> {
    let state_dir = match (&args.state_dir, &args.profile) {
        (Some(dir), _) => dir.clone(),
        (None, Some(profile)) => config::load_history(config)?
            .state_dirs
            .remove(profile)
            .unwrap_or_else(config::default_state_dir),
        (None, None) => config::default_state_dir(),
    };
    let filter = history::Filter {
        venue: args.venue.map(|v| v.as_str().to_owned()),
        profile: args.profile.clone(),
        last: args
            .last
            .map_or(20, |n| usize::try_from(n).unwrap_or(usize::MAX)),
    };
    let trend = history::trend(&history::read(&state_dir)?, &filter);
    if ui.format() == Format::Json {
        ui.json(&json!(trend));
        return Ok(Exit::Ok);
    }
    if trend.runs.is_empty() {
        ui.info(&format!(
            "no drills or checks yet in {}",
            state_dir.join(history::FILE_NAME).display()
        ));
        return Ok(Exit::Ok);
    }
    show_trend(&trend, filter.last, ui);
    Ok(Exit::Ok)
}

/// The trend for people, on stdout: drills, checks, then the latest runs.
fn show_trend(trend: &history::Trend, last: usize, ui: &Ui) {
    let ms = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), |ms| format!("{ms} ms"));
    let dash = |v: Option<&str>| v.unwrap_or("–").to_owned();
    if !trend.drills.is_empty() {
        ui.data(&format!("drills (the latest {last} of each)"));
        ui.data(&format!(
            "  {:<8}  {:<10}  {:<14}  {:>4}  {:>6}  {:>9}  {:>9}  {:>6}  {:>6}  {:<6}  {:<20}  faults",
            "venue", "profile", "scenario", "runs", "passed", "median", "last", "missed", "false+", "result", "time to contain"
        ));
        for row in &trend.drills {
            ui.data(&format!(
                "  {:<8}  {:<10}  {:<14}  {:>4}  {:>5}%  {:>9}  {:>9}  {:>6}  {:>6}  {:<6}  {:<20}  {}",
                row.venue,
                dash(row.profile.as_deref()),
                row.scenario,
                row.runs,
                row.pass_rate_pct,
                ms(row.median_ms),
                ms(row.last_ms),
                row.missed,
                row.false_positives,
                if row.last == "pass" { "pass" } else { "FAIL" },
                row.sparkline,
                row.faults,
            ));
            if let Some(reason) = &row.regressed {
                ui.data(&format!("    REGRESSED: {reason}"));
            }
        }
    }
    if !trend.checks.is_empty() {
        ui.data(&format!("checks (the latest {last} of each)"));
        ui.data(&format!(
            "  {:<10}  {:<8}  {:>6}  {:>5}  {:<9}  {:>8}  {:>8}  readiness (✓ ready, ! warnings, ✗ not ready)",
            "profile", "venue", "checks", "ready", "last", "warnings", "critical"
        ));
        for row in &trend.checks {
            ui.data(&format!(
                "  {:<10}  {:<8}  {:>6}  {:>5}  {:<9}  {:>8}  {:>8}  {}",
                row.profile,
                row.venue,
                row.runs,
                format!("{}/{}", row.ready, row.runs),
                row.last,
                row.warnings,
                row.critical,
                row.trend
            ));
            if let Some(reason) = &row.regressed {
                ui.data(&format!("    REGRESSED: {reason}"));
            }
        }
    }
    ui.data(&format!("latest runs ({})", trend.runs.len()));
    ui.data(&format!(
        "  {:<24}  {:<8}  {:<10}  {:<14}  {:>10}  {:>8}  {:<9}  faults",
        "when (UTC)", "venue", "profile", "scenario", "seed", "contain", "result"
    ));
    for line in &trend.runs {
        match line {
            history::Line::Drill(e) => ui.data(&format!(
                "  {:<24}  {:<8}  {:<10}  {:<14}  {:>10}  {:>8}  {:<9}  {}{}",
                e.at,
                e.venue,
                dash(e.profile.as_deref()),
                e.scenario,
                e.seed,
                e.time_to_contain_ms
                    .map_or_else(|| "–".to_owned(), |ms| format!("{ms}ms")),
                match (e.passed, &e.regressed) {
                    (_, Some(_)) => "REGRESSED",
                    (true, None) => "pass",
                    (false, None) => "FAIL",
                },
                if e.faults.is_empty() {
                    "none"
                } else {
                    &e.faults
                },
                e.regressed
                    .as_ref()
                    .map(|why| format!("; {why}"))
                    .unwrap_or_default(),
            )),
            history::Line::Check(c) => ui.data(&format!(
                "  {:<24}  {:<8}  {:<10}  {:<14}  {:>10}  {:>8}  {:<9}  –{}",
                c.check.at,
                c.check.venue,
                c.check.profile,
                "check",
                "–",
                "–",
                c.check.readiness,
                c.regressed
                    .as_ref()
                    .map(|why| format!("; REGRESSED: {why}"))
                    .unwrap_or_default(),
            )),
        }
    }
}
