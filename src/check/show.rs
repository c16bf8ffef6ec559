//! How a [`Readiness`] reads: for people, a block per profile with one line per check (`ok`,
//! `warning`, `NOT READY`), its fix under it, and a one-line verdict; for scripts, one JSON
//! document grouped by profile. Text only: the `ui` module prints it.

use serde_json::{Value, json};

use super::{Readiness, Severity, worst};

/// The mark of a severity, as the lines show it.
fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "ok",
        Severity::Warning => "warning",
        Severity::Critical => "NOT READY",
    }
}

/// The lines for people.
pub fn human(readiness: &Readiness) -> Vec<String> {
    let width = readiness
        .findings
        .iter()
        .map(|f| f.check.len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for profile in &readiness.profiles {
        match &profile.exchange {
            Some(exchange) => lines.push(format!("profile `{}` ({exchange})", profile.name)),
            None => lines.push(format!("profile `{}`", profile.name)),
        }
        for f in readiness.of(&profile.name) {
            lines.push(format!(
                "  {:<9}  {:<width$}  {}",
                mark(f.severity),
                f.check,
                f.message
            ));
            if let Some(fix) = f.fix.as_ref().filter(|_| f.severity != Severity::Ok) {
                lines.push(format!("  {:<9}  {:<width$}  fix: {fix}", "", ""));
            }
        }
        if let Some(reason) = &profile.regressed {
            lines.push(format!(
                "  {:<9}  {:<width$}  {reason}",
                "REGRESSED", "history"
            ));
        }
    }
    lines.push(verdict(readiness));
    lines
}

/// The one-line verdict: ready, or what is wrong where.
pub fn verdict(readiness: &Readiness) -> String {
    let count = |severity| {
        readiness
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let (warnings, critical) = (count(Severity::Warning), count(Severity::Critical));
    let profiles = readiness.profiles.len();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let checked = plural(profiles, "profile", "profiles");
    let named = |severity| {
        readiness
            .profiles
            .iter()
            .filter(|p| {
                let findings: Vec<_> = readiness.of(&p.name).cloned().collect();
                worst(&findings) == severity
            })
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match readiness.worst() {
        Severity::Ok => format!("ready: {checked} checked, every check passed"),
        Severity::Warning => format!(
            "ready, with {}: {checked} checked; fix them before an incident ({})",
            plural(warnings, "warning", "warnings"),
            named(Severity::Warning)
        ),
        Severity::Critical => format!(
            "NOT READY: {} and {} in {checked}; a response would fail or not contain ({})",
            plural(critical, "critical finding", "critical findings"),
            plural(warnings, "warning", "warnings"),
            named(Severity::Critical)
        ),
    }
}

/// The `--json` document: `{"readiness", "profiles": [{"name", "exchange", "readiness",
/// "findings"}]}`.
pub fn json(readiness: &Readiness) -> Value {
    let profiles: Vec<Value> = readiness
        .profiles
        .iter()
        .map(|p| {
            let findings: Vec<_> = readiness.of(&p.name).cloned().collect();
            json!({
                "name": p.name,
                "exchange": p.exchange,
                "readiness": worst(&findings).readiness(),
                "regressed": p.regressed,
                "findings": findings,
            })
        })
        .collect();
    json!({
        "readiness": readiness.worst().readiness(),
        "profiles": profiles,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Checked, Finding};
    use super::*;

    fn sample() -> Readiness {
        Readiness {
            findings: vec![
                Finding::ok("main", "config.profile", "loads"),
                Finding::warning(
                    "main",
                    "ledger.stale",
                    "newest entry is 3d old",
                    "check the bot",
                ),
                Finding::critical("spare", "config.profile", "does not load", "export X"),
            ],
            profiles: vec![
                Checked {
                    name: "main".into(),
                    exchange: Some("bybit".into()),
                    regressed: None,
                },
                Checked {
                    name: "spare".into(),
                    exchange: None,
                    regressed: Some("not ready after ready".into()),
                },
            ],
        }
    }

    #[test]
    fn people_read_a_block_per_profile_and_a_verdict() {
        let text = human(&sample()).join("\n");
        assert_eq!(
            text,
            "profile `main` (bybit)\n\
             \x20 ok         config.profile  loads\n\
             \x20 warning    ledger.stale    newest entry is 3d old\n\
             \x20                            fix: check the bot\n\
             profile `spare`\n\
             \x20 NOT READY  config.profile  does not load\n\
             \x20                            fix: export X\n\
             \x20 REGRESSED  history         not ready after ready\n\
             NOT READY: 1 critical finding and 1 warning in 2 profiles; a response would fail or not contain (`spare`)"
        );
    }

    #[test]
    fn json_groups_findings_by_profile() {
        let doc = json(&sample());
        assert_eq!(doc["readiness"], "not_ready");
        assert_eq!(doc["profiles"][0]["readiness"], "warnings");
        assert_eq!(doc["profiles"][0]["findings"][1]["check"], "ledger.stale");
        assert_eq!(doc["profiles"][1]["exchange"], Value::Null);
        assert_eq!(doc["profiles"][1]["readiness"], "not_ready");
        assert_eq!(doc["profiles"][0]["regressed"], Value::Null);
        assert_eq!(doc["profiles"][1]["regressed"], "not ready after ready");
    }
}
