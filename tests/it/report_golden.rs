//! What the report says, pinned: the Markdown and JSON of a drill with a fixed seed on two
//! venues, compared with the files under `tests/golden/` after what changes from run to run
//! (run ids, folders, times, ports, durations, hashes, lockdown's own calls) is normalized.
//! The timeline's rows are compared sorted: with their times normalized away, the order in
//! which the exchange's and the run's lines of one millisecond interleave is the clocks', not
//! the seed's. A change to the report fails these tests until the golden files are rewritten on
//! purpose:
//! `UPDATE_GOLDEN=1 cargo test --test it report_golden` writes them from this run (review the
//! diff before committing it).
//!
//! Also here: the report writes itself last, so its own step and the support hand-off after it
//! show as done, and `verify` still accepts the report's journal head.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{code, lockdown, stderr, stdout};

/// A drill's scorecard and run folder.
async fn drill(state: &Path, venue: &str, seed: &str) -> (Value, PathBuf) {
    let state = state.display().to_string();
    let output = lockdown(
        &[
            "drill",
            "--json",
            "--state-dir",
            &state,
            "--venue",
            venue,
            "--scenario",
            "pump-illiquid",
            "--seed",
            seed,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let card: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let run_dir = PathBuf::from(card["run_dir"].as_str().unwrap());
    (card, run_dir)
}

/// The Markdown lines `| step | action | status |` of the steps table, as `step status`.
fn step_statuses(markdown: &str) -> Vec<String> {
    let start = markdown.find("## Steps").expect("a steps table");
    markdown[start..]
        .lines()
        .skip(4)
        .take_while(|l| l.starts_with("| "))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            format!("{} {}", cells[1], cells[3])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_writes_itself_last_and_still_verifies() {
    let state = tempfile::tempdir().unwrap();
    let (_, run_dir) = drill(state.path(), "bybit", "7").await;
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    let statuses = step_statuses(&markdown);
    assert_eq!(
        &statuses[statuses.len() - 3..],
        ["diff ok", "report ok", "support ok"],
        "{markdown}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "ok"),
        "{}",
        report["steps"]
    );
    // It covers the whole journal, seal included, and `verify` finds the event it names.
    let verified = lockdown::journal::verify(&run_dir.join("journal.jsonl")).unwrap();
    let last = verified.events.last().unwrap();
    assert_eq!(report["journal"]["seq"], last.seq);
    assert_eq!(report["journal"]["hash"], last.hash.as_str());
    let checked = lockdown(&["verify", run_dir.to_str().unwrap()], &[]).await;
    assert_eq!(code(&checked), 0, "{}", stderr(&checked));
    assert!(
        stderr(&checked).contains("report.json"),
        "{}",
        stderr(&checked)
    );
    // The calls went to the appendix, each one there.
    let calls = std::fs::read_to_string(run_dir.join("calls.md")).unwrap();
    let made: usize = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["calls"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        calls.lines().filter(|l| l.starts_with("| 20")).count(),
        made,
        "{calls}"
    );
    assert_eq!(report["appendix"]["calls"].as_array().unwrap().len(), made);
    assert!(!markdown.contains("GET /v5/"), "{markdown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bybit_drill_report_matches_its_golden_files() {
    golden_drill("bybit", "7").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deribit_drill_report_matches_its_golden_files() {
    golden_drill("deribit", "7").await;
}

async fn golden_drill(venue: &str, seed: &str) {
    let state = tempfile::tempdir().unwrap();
    let (card, run_dir) = drill(state.path(), venue, seed).await;
    let names = Names::of(&card, &run_dir);
    let markdown = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    golden(
        &format!("report-{venue}.md"),
        &sort_timeline(&names.normalize(&markdown)),
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let json = names.normalize_json(None, json);
    golden(
        &format!("report-{venue}.json"),
        &(serde_json::to_string_pretty(&json).unwrap() + "\n"),
    );
}

/// What differs between two runs of one drill, by name.
struct Names {
    drill_dir: String,
    run_folder: String,
    run_id: String,
}

impl Names {
    fn of(card: &Value, run_dir: &Path) -> Names {
        let run_folder = run_dir.file_name().unwrap().to_str().unwrap().to_owned();
        let run_id = run_folder.rsplit('-').next().unwrap().to_owned();
        Names {
            drill_dir: card["drill_dir"].as_str().unwrap().to_owned(),
            run_folder,
            run_id,
        }
    }

    /// Text with its folders, run id, times, durations, ports and hashes replaced.
    fn normalize(&self, text: &str) -> String {
        let text = text
            .replace(&self.drill_dir, "<drill>")
            .replace(&self.run_folder, "<run-folder>")
            .replace("ahead of this machine's", "<ahead|behind> this machine's")
            .replace("behind this machine's", "<ahead|behind> this machine's");
        // Hashes and times first: a run id's hex digits may occur inside either.
        let text = replace_times(&replace_hex64(&text)).replace(&self.run_id, "<run>");
        let text = replace_numbers_before(&text, " ms", "<n>");
        let text = replace_numbers_before(&text, " calls", "<n>");
        let text = replace_numbers_before(&text, " call(s)", "<n>");
        replace_after(&call_counts(&text), "127.0.0.1:", "<port>")
    }

    /// The JSON with its strings normalized, every `*_ms` number zero, and each list of calls
    /// replaced by how many there were.
    fn normalize_json(&self, key: Option<&str>, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.normalize(&s)),
            Value::Number(_) if key.is_some_and(|k| k.ends_with("_ms")) => Value::from(0),
            // How many calls a step made depends on pacing and retries, not the seed alone.
            Value::Array(_) if key == Some("calls") => Value::from("<calls>"),
            // Lines of one moment interleave as the clocks fell (see `sort_timeline`).
            Value::Array(items) if matches!(key, Some("entries" | "merged")) => {
                let mut items: Vec<Value> = items
                    .into_iter()
                    .map(|v| self.normalize_json(None, v))
                    .collect();
                items.sort_by_key(Value::to_string);
                Value::Array(items)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.normalize_json(None, v))
                    .collect(),
            ),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = self.normalize_json(Some(&k), v);
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

/// The steps table's last cell (how many calls a step made: pacing and retries, not the seed,
/// decide it) → `<calls>`.
fn call_counts(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        match line
            .strip_suffix(" |")
            .and_then(|l| l.rsplit_once(" ms | "))
        {
            Some((head, count))
                if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) =>
            {
                out.push(format!("{head} ms | <calls> |"));
            }
            _ => out.push(line.to_owned()),
        }
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// The timeline's rows sorted: the exchange's access-log lines (exchange time) and the run's
/// own (local time) interleave by the millisecond, as the two clocks and the scheduler fell, so
/// with the times normalized away their order says nothing the seed decides.
fn sort_timeline(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line == "## Timeline";
        }
        if inside && line.starts_with("| <time>") {
            rows.push(line);
            continue;
        }
        rows.sort_unstable();
        out.append(&mut rows);
        out.push(line);
    }
    rows.sort_unstable();
    out.append(&mut rows);
    out.join("\n") + "\n"
}

/// `2026-12-05T22:25:27.461Z` (and without fractions, or `+00:00`) → `<time>`.
fn replace_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let digits = |from: usize, n: usize| {
        bytes.len() >= from + n && bytes[from..from + n].iter().all(u8::is_ascii_digit)
    };
    while i < bytes.len() {
        let date = digits(i, 4)
            && bytes.get(i + 4) == Some(&b'-')
            && digits(i + 5, 2)
            && bytes.get(i + 7) == Some(&b'-')
            && digits(i + 8, 2)
            && bytes.get(i + 10) == Some(&b'T')
            && digits(i + 11, 2)
            && digits(i + 14, 2)
            && digits(i + 17, 2);
        if date {
            let mut end = i + 19;
            if bytes.get(end) == Some(&b'.') {
                end += 1;
                while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            if bytes.get(end) == Some(&b'Z') {
                end += 1;
            } else if text[end..].starts_with("+00:00") {
                end += 6;
            }
            out.push_str("<time>");
            i = end;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every (signed) whole number right before `unit` → `with`.
fn replace_numbers_before(text: &str, unit: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(unit) {
        let head = &rest[..at];
        let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let mut start = at - digits;
        if digits > 0 && head[..start].ends_with('-') {
            start -= 1;
        }
        out.push_str(&head[..start]);
        if digits > 0 {
            out.push_str(with);
        }
        out.push_str(unit);
        rest = &rest[at + unit.len()..];
    }
    out.push_str(rest);
    out
}

/// The digits right after each `prefix` → `with`.
fn replace_after(text: &str, prefix: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        out.push_str(&rest[..at + prefix.len()]);
        rest = &rest[at + prefix.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str(with);
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Runs of exactly 64 hex digits (SHA-256 hashes) → `<hash>`.
fn replace_hex64(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str("<hash>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Compares `text` with `tests/golden/<name>` (`UPDATE_GOLDEN=1` rewrites it first).
fn golden(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read {} ({err}); `UPDATE_GOLDEN=1 cargo test --test it report_golden` writes it",
            path.display()
        )
    });
    if text != expected {
        let (got, want): (Vec<&str>, Vec<&str>) =
            (text.lines().collect(), expected.lines().collect());
        let line = got
            .iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        let around =
            |lines: &[&str]| lines[line.saturating_sub(2)..(line + 3).min(lines.len())].join("\n");
        panic!(
            "the report differs from {} at line {}; if the change is meant, rewrite it with \
             `UPDATE_GOLDEN=1 cargo test --test it report_golden` and review the diff\n\
             --- got:\n{}\n--- expected:\n{}",
            path.display(),
            line + 1,
            around(&got),
            around(&want),
        );
    }
}

#[test]
fn normalizing_leaves_only_what_the_seed_decides() {
    let names = Names {
        drill_dir: "/tmp/x/drills/d1".into(),
        run_folder: "20261205T223455Z-a58bb0".into(),
        run_id: "a58bb0".into(),
    };
    let text = "Run `a58bb0` at 2026-12-05T22:34:55.496Z, 6 ms, offset -3 ms, \
                http://127.0.0.1:42325 /tmp/x/drills/d1/state/runs/20261205T223455Z-a58bb0 \
                0b85dccb7f0eba111c27942ff7fb6bf1de3b7dff9677756890c72356866448fa 250 USDT";
    assert_eq!(
        names.normalize(text),
        "Run `<run>` at <time>, <n> ms, offset <n> ms, http://127.0.0.1:<port> \
         <drill>/state/runs/<run-folder> <hash> 250 USDT"
    );
}
