//! Which faults the simulator injects, and the CLI syntax that names them.
//!
//! A real exchange answers 429 under load, fails with 5xx behind its gateway, drops connections,
//! runs a clock that is not the host's and cuts pages short; a response tool that only ever met a
//! perfect exchange has not been tested. `Faults` is the configuration only: the seeded draws are
//! `injector.rs`, the answers they produce the dialect's (`bybit/mod.rs`).
//!
//! The syntax is `429=0.2,5xx=0.1,reset=0.05,skew=30s,short=0.3`: any subset, any order, each name
//! at most once; probabilities in `[0, 1]`, `skew` a signed duration (`30s`, `-2s`, `500ms`).
//! `none` or an empty string means no fault. Latency is not part of the syntax (it is set on its
//! own), so `Display` writes everything but the latency back in that syntax, in a fixed order.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The names the syntax knows, in the order `Display` writes them.
const KNOWN: &str = "429, 5xx, reset, skew, short";

/// The faults to inject; every probability is per private request.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer, public ones included.
    pub latency: Duration,
    /// `429`: probability of HTTP 429 with `Retry-After` (the request is not executed).
    pub rate_limit: f64,
    /// `5xx`: probability of HTTP 502 or 503 (half before, half after execution).
    pub server_error: f64,
    /// `reset`: probability of a dropped connection (half before, half after execution).
    pub reset: f64,
    /// `skew`: the exchange's clock minus the host's, ms.
    pub skew_ms: i64,
    /// `short`: probability that a paginated answer is cut short (with a cursor to the rest).
    pub short_pages: f64,
}

impl Faults {
    /// Returns the configuration that injects nothing.
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Parses the CLI syntax (see the module doc); errors name the offending item.
    pub fn parse(s: &str) -> Result<Faults, String> {
        let mut faults = Faults::none();
        let trimmed = s.trim();
        if trimmed.is_empty() || trimmed == "none" {
            return Ok(faults);
        }
        let mut seen: Vec<&str> = Vec::new();
        for item in trimmed.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (item, None),
            };
            if !matches!(name, "429" | "5xx" | "reset" | "skew" | "short") {
                return Err(format!("unknown fault \"{name}\"; known: {KNOWN}"));
            }
            let Some(value) = value else {
                return Err(format!(
                    "fault \"{name}\" needs a value, e.g. \"{name}={}\"",
                    if name == "skew" { "30s" } else { "0.2" }
                ));
            };
            if seen.contains(&name) {
                return Err(format!("fault \"{name}\" is given twice"));
            }
            seen.push(name);
            match name {
                "429" => faults.rate_limit = probability(item, value)?,
                "5xx" => faults.server_error = probability(item, value)?,
                "reset" => faults.reset = probability(item, value)?,
                "short" => faults.short_pages = probability(item, value)?,
                _ => faults.skew_ms = signed_ms(item, value)?,
            }
        }
        Ok(faults)
    }

    /// Returns these faults with `latency` added before every answer.
    pub fn with_latency(self, latency: Duration) -> Faults {
        Faults { latency, ..self }
    }

    /// Returns true when nothing is injected (no latency, skew or probability).
    pub fn is_none(&self) -> bool {
        *self == Faults::none()
    }
}

impl FromStr for Faults {
    type Err = String;

    fn from_str(s: &str) -> Result<Faults, String> {
        Faults::parse(s)
    }
}

impl fmt::Display for Faults {
    /// Writes the CLI syntax: non-zero items only, `none` when there is none; never the latency.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items = Vec::new();
        for (name, p) in [
            ("429", self.rate_limit),
            ("5xx", self.server_error),
            ("reset", self.reset),
        ] {
            if p != 0.0 {
                items.push(format!("{name}={p}"));
            }
        }
        if self.skew_ms != 0 {
            let ms = self.skew_ms;
            items.push(if ms % 1000 == 0 {
                format!("skew={}s", ms / 1000)
            } else {
                format!("skew={ms}ms")
            });
        }
        if self.short_pages != 0.0 {
            items.push(format!("short={}", self.short_pages));
        }
        if items.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&items.join(","))
        }
    }
}

/// Reads a probability in `[0, 1]` (NaN and infinities refused).
fn probability(item: &str, value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| {
            format!("fault \"{item}\": \"{value}\" is not a probability between 0 and 1")
        })
}

/// Reads a signed duration (`30s`, `-2s`, `+1m`, `500ms`) as whole milliseconds.
fn signed_ms(item: &str, value: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "fault \"{item}\": \"{value}\" is not a signed duration in whole milliseconds, \
             like \"30s\", \"-2s\" or \"500ms\""
        )
    };
    let (sign, magnitude) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let d = humantime::parse_duration(magnitude.trim()).map_err(|_| bad())?;
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(bad());
    }
    i64::try_from(d.as_millis())
        .map(|ms| sign * ms)
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_subset_in_any_order() {
        let all = Faults::parse("429=0.2,5xx=0.1,reset=0.05,skew=30s,short=0.3").unwrap();
        assert_eq!(
            all,
            Faults {
                latency: Duration::ZERO,
                rate_limit: 0.2,
                server_error: 0.1,
                reset: 0.05,
                skew_ms: 30_000,
                short_pages: 0.3,
            }
        );
        let cases = [
            (
                "short=1, 429=0",
                Faults {
                    short_pages: 1.0,
                    ..Faults::none()
                },
            ),
            (
                "skew=-2s",
                Faults {
                    skew_ms: -2_000,
                    ..Faults::none()
                },
            ),
            (
                "skew=500ms",
                Faults {
                    skew_ms: 500,
                    ..Faults::none()
                },
            ),
            (
                "skew=+1m",
                Faults {
                    skew_ms: 60_000,
                    ..Faults::none()
                },
            ),
            (
                "5xx=1,",
                Faults {
                    server_error: 1.0,
                    ..Faults::none()
                },
            ),
            ("", Faults::none()),
            (" none ", Faults::none()),
        ];
        for (input, want) in cases {
            assert_eq!(Faults::parse(input).unwrap(), want, "input {input:?}");
        }
        assert_eq!("reset=0.5".parse::<Faults>().unwrap().reset, 0.5);
    }

    #[test]
    fn display_round_trips() {
        let cases = [
            ("full", "429=0.2,5xx=0.1,reset=0.05,skew=30s,short=0.3"),
            ("reordered in, fixed order out", "short=0.3,skew=-2s,429=1"),
            ("milliseconds", "skew=-1500ms"),
            ("none", "none"),
            ("zeros dropped", "429=0,short=0.25"),
        ];
        for (label, input) in cases {
            let f = Faults::parse(input).unwrap();
            let shown = f.to_string();
            assert_eq!(Faults::parse(&shown).unwrap(), f, "{label}: {shown}");
        }
        assert_eq!(
            Faults::parse("short=0.3,skew=-2s,429=1")
                .unwrap()
                .to_string(),
            "429=1,skew=-2s,short=0.3"
        );
        assert_eq!(Faults::none().to_string(), "none");
        assert!(Faults::none().is_none());
        let slow = Faults::none().with_latency(Duration::from_millis(200));
        assert!(!slow.is_none());
        assert_eq!(
            slow.to_string(),
            "none",
            "latency is not part of the syntax"
        );
    }

    #[test]
    fn errors_name_the_bad_item() {
        let cases = [
            (
                "unknown",
                "42",
                "unknown fault \"42\"; known: 429, 5xx, reset, skew, short",
            ),
            ("unknown with value", "503=0.1", "unknown fault \"503\""),
            (
                "no value",
                "429",
                "fault \"429\" needs a value, e.g. \"429=0.2\"",
            ),
            ("no skew value", "skew", "\"skew=30s\""),
            (
                "above one",
                "5xx=1.5",
                "fault \"5xx=1.5\": \"1.5\" is not a probability",
            ),
            ("negative", "reset=-0.1", "\"-0.1\" is not a probability"),
            (
                "not a number",
                "short=half",
                "\"half\" is not a probability",
            ),
            ("nan", "429=NaN", "\"NaN\" is not a probability"),
            (
                "unitless skew",
                "skew=30",
                "fault \"skew=30\": \"30\" is not a signed duration",
            ),
            ("sub-ms skew", "skew=10us", "whole milliseconds"),
            ("twice", "429=0.1,429=0.2", "fault \"429\" is given twice"),
        ];
        for (label, input, want) in cases {
            let err = Faults::parse(input).unwrap_err();
            assert!(err.contains(want), "{label}: {err}");
        }
    }
}
