//! `lockdown notify test`: sends a test message to each configured channel (or one), so that a
//! new setup, or `check`, shows which channels reach people before an incident does.

use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::error::Error;
use crate::exit::Exit;
use crate::notify::{Event, Phase, Severity};
use crate::ui::Ui;

/// Arguments of `notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// What to do.
    #[command(subcommand)]
    command: NotifyCommand,
}

/// The `notify` subcommands.
#[derive(Debug, Subcommand)]
enum NotifyCommand {
    /// Send a test message to each configured channel and say which worked (exit 1: some failed).
    Test {
        /// Only this channel
        #[arg(long, value_name = "NAME")]
        channel: Option<String>,
    },
}

/// Runs `notify`.
pub async fn run(
    args: NotifyArgs,
    config: Option<std::path::PathBuf>,
    ui: &Ui,
) -> Result<Exit, Error> {
    let NotifyCommand::Test { channel } = args.command;
    let path = config.unwrap_or_else(crate::config::default_path);
    let settings = crate::config::load_notify(Some(&path))?;
    let chosen: Vec<_> = settings
        .channels
        .iter()
        .filter(|(name, _)| channel.as_ref().is_none_or(|c| c == *name))
        .map(|(_, configured)| configured.clone())
        .collect();
    if chosen.is_empty() {
        let known = settings
            .channels
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Error::Usage {
            message: match &channel {
                Some(name) => format!("no channel `{name}` in `{}`", path.display()),
                None => format!("`{}` configures no notification channel", path.display()),
            },
            help: Some(if known.is_empty() {
                "add `notify: channels:` to the config (see \"Notifications\" in README.md)".into()
            } else {
                format!("channels: {known}")
            }),
        });
    }
    let http = crate::notify::queue::client();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".to_owned());
    let message = crate::notify::Message {
        dedup_key: format!("test-{}", chrono::Utc::now().timestamp()),
        ..crate::notify::events::message(
            Event::Test,
            Severity::Info,
            Phase::Note,
            "lockdown: test message".to_owned(),
            format!("If you read this, lockdown on {host} can reach this channel."),
        )
    };
    // One attempt each, at once, bounded by each channel's timeout: a test says what works now.
    let sends = chosen.iter().map(|configured| {
        let (http, message) = (&http, &message);
        async move {
            let sent =
                tokio::time::timeout(configured.timeout, configured.channel.send(message, http))
                    .await;
            let result = match sent {
                Ok(Ok(())) => Ok(()),
                Ok(Err(err)) => Err(err.to_string()),
                Err(_) => Err(format!("no answer within {}", secs(configured.timeout))),
            };
            (configured, result)
        }
    });
    let results = futures_util::future::join_all(sends).await;
    let mut failed = false;
    let mut rows: Vec<Value> = Vec::new();
    for (configured, result) in results {
        let (name, kind) = (configured.channel.name(), configured.channel.kind());
        match &result {
            Ok(()) => ui.info(&format!("{name} ({kind}): ok")),
            Err(reason) => {
                failed = true;
                ui.warn(&format!("{name} ({kind}): failed: {reason}"));
            }
        }
        rows.push(json!({
            "channel": name,
            "type": kind,
            "ok": result.is_ok(),
            "error": result.err(),
        }));
    }
    ui.summary(|| json!({ "channels": rows }));
    Ok(if failed { Exit::Incomplete } else { Exit::Ok })
}

fn secs(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}
