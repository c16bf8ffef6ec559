//! A profile's `handoff:`: how the bot is made to pick up its replacement key.
//!
//! The `handoff` step runs `command` (an argv, never a shell line) once the new key is in the
//! bot's store, then checks the bot: `health_url` must answer 2xx within `timeout`. Checked
//! here, before anything is sent: the program is named on PATH or relative to the config folder,
//! the URL is https (plain http only to loopback), and a verification is only accepted where it
//! can be carried out. No venue lockdown supports shows when a key was last used (the key
//! listings of Bybit, OKX, Binance and Deribit carry no such field; Kraken's `lastUsed` is in
//! `GetApiKeyInfo` of the *calling* key, and Kraken's replacement is made by hand, its secret
//! never seen by lockdown), so `verify: key_used` is refused with that reason.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::exchanges::ExchangeId;

/// How long the command and the health check may take together unless the profile says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// `handoff:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHandoff {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// A URL that answers 2xx once the bot runs (with its new key).
    #[serde(default)]
    pub health_url: Option<String>,
    /// How long the command and the health check may take together (`60s`).
    #[serde(default)]
    pub timeout: Option<String>,
    /// `key_used`, `health` or `none`.
    #[serde(default)]
    pub verify: Option<String>,
}

/// How lockdown tells that the bot picked up its new key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// The health URL answers 2xx.
    Health,
    /// The command's exit status 0 is all there is.
    None,
}

impl Verify {
    /// The word in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Verify::Health => "health",
            Verify::None => "none",
        }
    }
}

/// A checked `handoff:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotHandoff {
    /// The program (a path where it was given with a `/`, resolved against the config folder)
    /// and its arguments.
    pub command: Vec<String>,
    /// Where the bot answers once it runs.
    pub health_url: Option<String>,
    /// The command and the health check together.
    pub timeout: Duration,
    /// How the hand-off is checked.
    pub verify: Verify,
}

/// A problem with a field of `handoff:`: the field (`handoff.command`), what and the help.
pub type HandoffProblem = (String, String, String);

/// Checks `raw`; `dir` is the config folder, `exchange` the profile's venue (when known).
pub fn validate(
    raw: &RawHandoff,
    dir: &Path,
    exchange: Option<ExchangeId>,
) -> Result<BotHandoff, Vec<HandoffProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, what: String, help: &str| {
        problems.push((format!("handoff.{field}"), what, help.to_owned()));
    };
    let mut command = raw.command.clone();
    match command.first_mut() {
        None => problem(
            "command",
            "`command` is empty".into(),
            "name the program and its arguments, e.g. `[systemctl, --user, restart, bot]`",
        ),
        Some(program) if program.trim().is_empty() => problem(
            "command",
            "the program name is empty".into(),
            "name the program and its arguments, e.g. `[systemctl, --user, restart, bot]`",
        ),
        // A name with a slash is a path (relative to the config folder); a bare name is looked
        // up on PATH, as a shell would.
        Some(program) if program.contains('/') => {
            *program = crate::secrets::resolve_path(program, dir)
                .display()
                .to_string();
        }
        Some(_) => {}
    }
    let health_url = raw.health_url.as_deref().map(str::trim).map(str::to_owned);
    if let Some(url) = &health_url
        && let Err(message) = super::check_url(url)
    {
        problem(
            "health_url",
            message,
            "use https, or http only to a loopback address",
        );
    }
    let timeout = match raw.timeout.as_deref() {
        None => DEFAULT_TIMEOUT,
        Some(text) => match crate::clock::parse_duration(text) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                problem(
                    "timeout",
                    "`timeout` must be more than zero".into(),
                    "how long the bot has to come back with its new key, e.g. `60s`",
                );
                DEFAULT_TIMEOUT
            }
            Err(message) => {
                problem(
                    "timeout",
                    message,
                    "how long the bot has to come back with its new key, e.g. `60s`",
                );
                DEFAULT_TIMEOUT
            }
        },
    };
    let verify = match (raw.verify.as_deref().map(str::trim), &health_url) {
        (None, Some(_)) | (Some("health"), Some(_)) => Verify::Health,
        (None, None) | (Some("none"), _) => Verify::None,
        (Some("health"), None) => {
            problem(
                "verify",
                "`verify: health` needs a `health_url`".into(),
                "add `health_url:` (a URL the bot answers 2xx on once it runs), or `verify: none`",
            );
            Verify::None
        }
        (Some("key_used"), _) => {
            let venue = exchange.map_or("this venue", ExchangeId::as_str);
            problem(
                "verify",
                format!(
                    "`verify: key_used`: {venue} does not show when a key was last used, so lockdown cannot tell whether the bot uses its new key"
                ),
                "use `verify: health` with a `health_url` the bot answers once it runs, or `verify: none`",
            );
            Verify::None
        }
        (Some(other), _) => {
            problem(
                "verify",
                format!("`{other}` is not a verification"),
                "write `health` (the default with a `health_url`) or `none`",
            );
            Verify::None
        }
    };
    if problems.is_empty() {
        Ok(BotHandoff {
            command,
            health_url,
            timeout,
            verify,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(yaml: &str) -> RawHandoff {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_and_paths() {
        let dir = Path::new("/etc/lockdown");
        let cases = [
            (
                "a bare name stays for PATH; health by default with a URL",
                "command: [systemctl, restart, bot]\nhealth_url: http://127.0.0.1:9/health",
                "systemctl",
                Verify::Health,
                DEFAULT_TIMEOUT,
            ),
            (
                "a relative path is the config folder's; nothing to check without a URL",
                "command: [./restart-bot.sh]\ntimeout: 5s",
                "/etc/lockdown/./restart-bot.sh",
                Verify::None,
                Duration::from_secs(5),
            ),
            (
                "none wins over a URL",
                "command: [/usr/bin/true]\nhealth_url: https://bot.example/health\nverify: none",
                "/usr/bin/true",
                Verify::None,
                DEFAULT_TIMEOUT,
            ),
        ];
        for (label, yaml, program, verify, timeout) in cases {
            let handoff = validate(&raw(yaml), dir, Some(ExchangeId::Bybit)).expect(label);
            assert_eq!(handoff.command[0], program, "{label}");
            assert_eq!(handoff.verify, verify, "{label}");
            assert_eq!(handoff.timeout, timeout, "{label}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_carried_out() {
        let cases = [
            (
                "an empty command",
                "command: []",
                "handoff.command",
                "empty",
            ),
            (
                "plain http to another host",
                "command: [x]\nhealth_url: http://bot.example/health",
                "handoff.health_url",
                "plain http",
            ),
            (
                "health without a URL",
                "command: [x]\nverify: health",
                "handoff.verify",
                "needs a `health_url`",
            ),
            (
                "key_used, which no venue can tell",
                "command: [x]\nhealth_url: http://127.0.0.1:1/\nverify: key_used",
                "handoff.verify",
                "okx does not show when a key was last used",
            ),
            (
                "a zero timeout",
                "command: [x]\ntimeout: 0s",
                "handoff.timeout",
                "more than zero",
            ),
            (
                "a word it does not know",
                "command: [x]\nverify: maybe",
                "handoff.verify",
                "`maybe`",
            ),
        ];
        for (label, yaml, field, says) in cases {
            let problems =
                validate(&raw(yaml), Path::new("."), Some(ExchangeId::Okx)).expect_err(label);
            assert_eq!(problems.len(), 1, "{label}: {problems:?}");
            assert_eq!(problems[0].0, field, "{label}");
            assert!(problems[0].1.contains(says), "{label}: {}", problems[0].1);
        }
    }
}
