//! How an [`Audit`] reads: for people, per profile a table of its keys (whole ids: they are not
//! secrets, and the owner looks them up in the venue's web interface), the findings with their
//! fixes, what the venue could not show, and a one-line verdict; for scripts, one JSON document.
//! Text only: the `ui` module prints it.

use serde_json::{Value, json};

use super::{Audit, Key};
use crate::check::Severity;

/// The mark of a severity.
fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "ok",
        Severity::Warning => "warning",
        Severity::Critical => "CRITICAL",
    }
}

/// The word of a severity as a verdict (`--json`'s `verdict`).
fn verdict_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "clean",
        Severity::Warning => "warnings",
        Severity::Critical => "critical",
    }
}

/// A table's cells for one key.
fn cells(key: &Key) -> [String; 8] {
    let dash = |text: Option<&str>| text.filter(|t| !t.is_empty()).unwrap_or("-").to_owned();
    [
        mark(key.severity).to_owned(),
        key.role.to_owned(),
        key.label.clone(),
        key.id.clone(),
        match key.account.as_deref() {
            Some("") => "main".to_owned(),
            other => dash(other),
        },
        if key.ips.is_empty() {
            "any".to_owned()
        } else {
            key.ips.join(",")
        },
        dash(key.created_at.as_deref().map(|c| c.get(..10).unwrap_or(c))),
        if key.read_only {
            "read-only".to_owned()
        } else {
            key.permissions.join(",")
        },
    ]
}

/// The lines for people.
pub fn human(audit: &Audit) -> Vec<String> {
    const HEAD: [&str; 8] = [
        "",
        "role",
        "label",
        "key",
        "account",
        "ips",
        "created",
        "permissions",
    ];
    let mut lines = Vec::new();
    for profile in &audit.profiles {
        lines.push(format!(
            "profile `{}` ({}): {}",
            profile.name, profile.exchange, profile.scope
        ));
        let rows: Vec<[String; 8]> = profile.keys.iter().map(cells).collect();
        let mut width = HEAD.map(str::len);
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: [&str; 8]| {
            let mut text = String::from(" ");
            for (i, cell) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    text.push_str(&format!(" {cell}"));
                } else {
                    text.push_str(&format!(" {cell:<w$} ", w = width[i]));
                }
            }
            text.trim_end().to_owned()
        };
        if rows.is_empty() {
            lines.push("  no key seen".to_owned());
        } else {
            lines.push(line(HEAD));
            for row in &rows {
                lines.push(line(row.each_ref().map(String::as_str)));
            }
        }
        let findings: Vec<_> = audit.of(&profile.name).collect();
        let check_width = findings.iter().map(|f| f.check.len()).max().unwrap_or(0);
        for f in &findings {
            lines.push(format!(
                "  {:<8}  {:<check_width$}  {}",
                mark(f.severity),
                f.check,
                f.message
            ));
            lines.push(format!("  {:<8}  {:<check_width$}  fix: {}", "", "", f.fix));
        }
        for limit in &profile.limits {
            lines.push(format!("  not seen: {limit}"));
        }
    }
    lines.push(verdict(audit));
    lines
}

/// The one-line verdict.
pub fn verdict(audit: &Audit) -> String {
    let count = |severity| {
        audit
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let keys: usize = audit.profiles.iter().map(|p| p.keys.len()).sum();
    let seen = format!(
        "{} in {}",
        plural(keys, "key", "keys"),
        plural(audit.profiles.len(), "profile", "profiles")
    );
    let (critical, warnings) = (count(Severity::Critical), count(Severity::Warning));
    match audit.worst() {
        Severity::Ok => format!("clean: {seen}, no finding"),
        Severity::Warning => format!(
            "{} in {seen}; fix them before a leak does",
            plural(warnings, "warning", "warnings")
        ),
        Severity::Critical => format!(
            "CRITICAL: {} and {} in {seen}; a leak of these keys is a loss at once",
            plural(critical, "critical finding", "critical findings"),
            plural(warnings, "warning", "warnings")
        ),
    }
}

/// The `--json` document: `{"verdict", "max_age_days", "profiles": [{"name", "exchange",
/// "verdict", "scope", "limits", "keys", "findings"}]}`.
pub fn json(audit: &Audit) -> Value {
    let profiles: Vec<Value> = audit
        .profiles
        .iter()
        .map(|p| {
            let findings: Vec<_> = audit.of(&p.name).cloned().collect();
            let worst = findings
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Ok);
            json!({
                "name": p.name,
                "exchange": p.exchange,
                "verdict": verdict_word(worst),
                "scope": p.scope,
                "limits": p.limits,
                "keys": p.keys,
                "findings": findings,
            })
        })
        .collect();
    json!({
        "verdict": verdict_word(audit.worst()),
        "max_age_days": audit.max_age_days,
        "profiles": profiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Audited, Finding};

    fn audit(severity: Option<Severity>) -> Audit {
        let key = Key {
            id: "KEYID123456".into(),
            label: "grid".into(),
            account: Some("1001".into()),
            role: "bot",
            seen: "listing",
            read_only: false,
            permissions: vec!["Spot:SpotTrade".into()],
            ips: Vec::new(),
            created_at: Some("2026-01-02T03:04:05Z".into()),
            expires_at: None,
            last_used_at: None,
            severity: severity.unwrap_or(Severity::Ok),
        };
        let findings = severity
            .map(|severity| Finding {
                profile: "main".into(),
                check: "key.ip_list",
                severity,
                key: Some(key.id.clone()),
                label: Some("grid".into()),
                account: Some("1001".into()),
                message: "bot key `grid` (KEYID123456) has no IP allow-list".into(),
                fix: "bind it".into(),
            })
            .into_iter()
            .collect();
        Audit {
            profiles: vec![Audited {
                name: "main".into(),
                exchange: "bybit".into(),
                scope: "listed through the master on sub-account `1001`".into(),
                limits: vec!["something".into()],
                keys: vec![key],
            }],
            findings,
            max_age_days: 90,
        }
    }

    #[test]
    fn people_read_a_table_the_findings_and_a_verdict() {
        for (label, severity, verdict) in [
            ("clean", None, "clean: 1 key in 1 profile, no finding"),
            ("warning", Some(Severity::Warning), "1 warning in 1 key"),
            (
                "critical",
                Some(Severity::Critical),
                "CRITICAL: 1 critical finding",
            ),
        ] {
            let lines = human(&audit(severity));
            let text = lines.join("\n");
            assert!(
                text.contains("KEYID123456"),
                "{label}: whole ids in\n{text}"
            );
            assert!(text.contains("  not seen: something"), "{label}");
            assert!(
                lines.last().unwrap().starts_with(verdict),
                "{label}: {text}"
            );
            assert_eq!(text.contains("fix: bind it"), severity.is_some(), "{label}");
        }
    }

    #[test]
    fn json_names_the_verdict_per_profile_and_overall() {
        for (severity, word) in [
            (None, "clean"),
            (Some(Severity::Warning), "warnings"),
            (Some(Severity::Critical), "critical"),
        ] {
            let document = json(&audit(severity));
            assert_eq!(document["verdict"], word);
            assert_eq!(document["profiles"][0]["verdict"], word);
            assert_eq!(document["profiles"][0]["keys"][0]["id"], "KEYID123456");
            assert_eq!(document["max_age_days"], 90);
        }
    }
}
