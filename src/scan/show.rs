//! How a scan reads: lines for people (stderr) and one JSON document (`--json`, stdout).
//! Nothing here holds a secret: findings carry `***` and a length in its place.

use serde_json::{Value, json};

use super::Scanned;
use super::content::MAX_BYTES;
use super::finding::{Finding, Liveness};

/// The scan for people: what was read, each finding with its liveness, and a count.
pub fn human(scan: &Scanned) -> Vec<String> {
    let c = &scan.counts;
    let mut read = format!("read {} file{}", c.files, plural(c.files));
    if scan.history {
        read.push_str(&format!(
            " and {} commit{} ({} blob{})",
            c.commits,
            plural(c.commits),
            c.blobs,
            plural(c.blobs)
        ));
    }
    read.push_str(&format!(
        "; skipped {} binary and {} over {} MiB",
        c.skipped_binary,
        c.skipped_large,
        MAX_BYTES / (1024 * 1024)
    ));
    if c.baselined > 0 {
        read.push_str(&format!("; {} accepted by the baseline", c.baselined));
    }
    let mut out = vec![read];
    for f in &scan.findings {
        out.extend(finding(f));
    }
    let live = scan
        .findings
        .iter()
        .filter(|f| matches!(f.liveness, Liveness::Live { .. }))
        .count();
    let revoked = scan
        .findings
        .iter()
        .filter(|f| matches!(f.liveness, Liveness::Revoked { .. }))
        .count();
    out.push(match scan.findings.len() {
        0 => "no exchange credentials found".to_owned(),
        n => format!(
            "{n} finding{}: {live} live, {revoked} revoked, {} unknown",
            plural(n),
            n - live - revoked
        ),
    });
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One finding's lines.
fn finding(f: &Finding) -> Vec<String> {
    let mut place = format!("{}:{}", f.path, f.line);
    if let Some(commit) = &f.commit {
        let short = &commit[..commit.len().min(12)];
        place.push_str(&format!(" (commit {short}"));
        place.push_str(if f.on_disk { ")" } else { ", only in history)" });
    }
    let mut head = format!("{place}: {}", f.what);
    if let Some(venue) = f.venue {
        head.push_str(&format!("; venue {venue}"));
    }
    if let Some(id) = &f.key_id {
        head.push_str(&format!("; key {id}"));
    }
    if let Some(secret) = &f.secret {
        head.push_str(&format!("; {secret}"));
    }
    let mut out = vec![head];
    match &f.liveness {
        Liveness::Live { profile, respond } => {
            if f.accepted {
                out.push(
                    "  the baseline accepts this line, but a live key is never silenced".into(),
                );
            }
            out.push(format!(
                "  live: the exchange still has this key (profile `{profile}`); contain it now:"
            ));
            out.push(format!("    {respond}"));
        }
        Liveness::Revoked { profile } => {
            out.push(format!(
                "  revoked: the master of profile `{profile}` no longer sees it"
            ));
        }
        Liveness::Unknown { why } => out.push(format!("  unknown: {why}")),
    }
    out
}

/// The scan as one JSON document.
pub fn json(scan: &Scanned) -> Value {
    json!({
        "counts": scan.counts,
        "profiles": scan.profiles,
        "findings": scan.findings,
        "live": scan.findings.iter().filter(|f| matches!(f.liveness, Liveness::Live { .. })).count(),
        "exit": scan.exit().code(),
    })
}
