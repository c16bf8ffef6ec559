//! `lockdown watch`: the tripwire, in the foreground (docs/watch.md).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use futures_util::future::join_all;
use serde_json::json;

use crate::config;
use crate::engine::Confirm;
use crate::error::Error;
use crate::exit::Exit;
use crate::ui::Ui;
use crate::watch::{self, Options, Summary};

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch this profile's keys (repeatable; default: every profile of the config)
    #[arg(long, value_name = "NAME")]
    profile: Vec<String>,
    /// How often to look at each key's orders (default: the config's `watch: interval:`, else 2s)
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    interval: Option<Duration>,
    /// Stop after this long (default: until SIGINT or SIGTERM)
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::clock::parse_duration)]
    for_: Option<Duration>,
}

pub(super) fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = crate::clock::parse_duration(text)?;
    let (low, high) = watch::INTERVAL_BOUNDS;
    if (low..=high).contains(&interval) {
        Ok(interval)
    } else {
        Err(format!(
            "must be between {} and {}",
            humantime::format_duration(low),
            humantime::format_duration(high)
        ))
    }
}

/// Runs `watch` until a signal or `--for`: exit 0, or 1 when a lock (or response) the policy
/// asked for failed or did not contain the key.
pub async fn run(args: WatchArgs, config: Option<PathBuf>, ui: &Ui) -> Result<Exit, Error> {
    let config = config.unwrap_or_else(config::default_path);
    let mut settings = config::load_watch(&config)?;
    if let Some(interval) = args.interval {
        settings.interval = interval;
    }
    let names = config::chosen_profiles(&config, &args.profile)?;
    let mut watched = Vec::new();
    for name in &names {
        watched.push(Options {
            config: config.clone(),
            profile: config::load_profile(&config, Some(name))?,
            settings: settings.clone(),
            // Unattended by design: each run journals its confirmations as `--yes`.
            confirm: Confirm::Yes,
        });
    }
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let stopper = tokio::spawn(async move {
        let until = async {
            match args.for_ {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = until => {}
            () = signalled() => {}
        }
        let _ = stop_tx.send(true);
    });
    let ran = join_all(
        watched
            .iter()
            .map(|options| watch::run(options, None, stop.clone(), ui)),
    )
    .await;
    stopper.abort();
    let mut summaries: Vec<Summary> = Vec::new();
    for summary in ran {
        summaries.push(summary?);
    }
    ui.summary(|| json!({ "watched": summaries }));
    let mut failed = false;
    for s in &summaries {
        ui.info(&format!(
            "watch `{}`: {} key(s), {} look(s) ({} failed, {} reads) in {}; {} signal(s), {} action(s)",
            s.profile,
            s.keys.len(),
            s.looks,
            s.failed_looks,
            s.reads,
            humantime::format_duration(Duration::from_millis(s.watched_ms)),
            s.signals.len(),
            s.acted.len()
        ));
        for acted in &s.acted {
            failed |= !acted.contained;
            ui.info(&format!(
                "  {} of key {} for {}: {}",
                acted.act,
                acted.key,
                acted.signal,
                match (&acted.error, &acted.run_dir) {
                    (Some(err), _) => format!("FAILED: {err}"),
                    (None, Some(dir)) => format!(
                        "{} in {dir}",
                        if acted.contained {
                            "contained"
                        } else {
                            "NOT contained"
                        }
                    ),
                    (None, None) => "no run".to_owned(),
                }
            ));
        }
    }
    Ok(if failed { Exit::Incomplete } else { Exit::Ok })
}

/// SIGINT or SIGTERM: the watcher stops between looks (a lock under way journals its own stop).
async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
