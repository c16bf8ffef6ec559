//! `lockdown verify`: check a run's journal: its chain, its seal and its key.
//!
//! Each outcome has its own exit code, so a script never reads "could not tell" as "intact":
//! 0 sealed and authenticated, 4 changed (the first bad line is named), 5 no seal (interrupted
//! or truncated), 6 not authenticated (no key at hand, or written before journal keys). The key
//! is looked for where the run folder's state dir keeps it (`RUN_DIR/../../journal.key`) unless
//! `--journal-key` names it; its bytes are never shown, only its fingerprint. A journal whose
//! end was cut off before an event the run folder's witnesses name (`journal.head`,
//! `report.json`) is changed (4), not unsealed.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use crate::error::Error;
use crate::exit::Exit;
use crate::journal::{self, Authenticity, JournalKey, Seal, Verified, VerifyError};
use crate::ui::Ui;

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A run folder, a `journal.jsonl`, or an evidence bundle (`lockdown bundle`)
    #[arg(value_name = "RUN_DIR")]
    run: PathBuf,
    /// The journal key (default: `journal.key` in the state dir above the run folder)
    #[arg(long, value_name = "PATH")]
    journal_key: Option<PathBuf>,
    /// A head hash you kept (printed when the run ended): the journal must contain that event
    #[arg(long, value_name = "HASH")]
    expect_head: Option<String>,
}

/// The journal file a run argument names.
pub fn journal_path(run: &Path) -> PathBuf {
    if run.is_dir() {
        run.join(journal::FILE_NAME)
    } else {
        run.to_owned()
    }
}

/// Where a journal's key is by default: `<state_dir>/journal.key`, two folders above the run
/// folder (`<state_dir>/runs/<stamp>-<id>/journal.jsonl`).
pub fn default_key_path(journal: &Path) -> Option<PathBuf> {
    let journal = std::fs::canonicalize(journal).unwrap_or_else(|_| journal.to_owned());
    let state_dir = journal.parent()?.parent()?.parent()?;
    Some(state_dir.join(journal::KEY_FILE_NAME))
}

/// The key to check a journal with: `--journal-key` (which must load), else the default path
/// when a file is there; `None` when there is none.
pub fn find_key(
    journal: &Path,
    given: Option<&Path>,
) -> Result<(Option<JournalKey>, Option<PathBuf>), Error> {
    if let Some(path) = given {
        return Ok((Some(JournalKey::load(path)?), Some(path.to_owned())));
    }
    match default_key_path(journal) {
        Some(path) if path.exists() => Ok((Some(JournalKey::load(&path)?), Some(path))),
        other => Ok((None, other)),
    }
}

/// Runs `verify`: 0 sealed and authenticated; 4 changed (first bad line); 5 unsealed; 6 not
/// authenticated.
pub fn run(args: VerifyArgs, ui: &Ui) -> Result<Exit, Error> {
    if crate::bundle::is_bundle(&args.run) {
        // Every file against the manifest first, then the journal inside as a run's.
        let unpacked = crate::bundle::open(&args.run)?;
        ui.info(&format!(
            "{}: {} files match {}",
            args.run.display(),
            unpacked.manifest.files.len(),
            crate::bundle::MANIFEST
        ));
        let inner = VerifyArgs {
            run: unpacked.run_dir.clone(),
            ..args
        };
        return run(inner, ui);
    }
    let path = journal_path(&args.run);
    let (key, key_path) = find_key(&path, args.journal_key.as_deref())?;
    let verified = journal::verify_with_key(&path, key.as_ref())?;
    let anchored = match &args.expect_head {
        Some(expected) => Some(anchor(&path, &verified, expected)?),
        None => None,
    };
    let exit = outcome(&verified);
    ui.summary(|| summary(&path, &verified, key_path.as_deref(), exit, anchored));
    for line in &verified.torn {
        ui.warn(&format!(
            "line {line} was cut short by a crash while it was written; it is kept and not part of the chain"
        ));
    }
    let head = format!(
        "head: event {} hash {}",
        verified.events.len(),
        verified.head
    );
    if let Some(seq) = anchored {
        let after = verified.events.len() as u64 - seq;
        ui.info(&format!(
            "the expected head is event {seq}{}",
            if after == 0 {
                String::new()
            } else {
                format!("; {after} event(s) were written after it")
            }
        ));
    }
    match &verified.seal {
        Seal::Sealed { kind, line } => {
            let name = serde_json::to_value(kind).unwrap_or_default();
            ui.info(&format!(
                "{}: chain holds, sealed by `{}` at line {line}; {head}",
                path.display(),
                name.as_str().unwrap_or_default()
            ));
        }
        Seal::Unsealed { line, after_step } => {
            ui.warn(&format!(
                "{}: ends after {} (line {line}) without a seal: interrupted or truncated; {head}",
                path.display(),
                after_step
                    .as_deref()
                    .map_or_else(|| "the start".to_owned(), |step| format!("step `{step}`"))
            ));
            ui.info(
                "a run killed before its end (`kill -9`, a crash) leaves this too: `lockdown resume` finishes it and seals the journal",
            );
        }
        Seal::Empty => ui.warn(&format!(
            "{}: holds no event: interrupted or truncated",
            path.display()
        )),
    }
    if !verified.witnesses.is_empty() {
        let names: Vec<String> = verified
            .witnesses
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        ui.info(&format!(
            "not cut short before what {} names",
            names.join(" and ")
        ));
    }
    match &verified.authenticity {
        Authenticity::Authenticated {
            fingerprint,
            from_line,
        } => {
            ui.info(&format!(
                "authenticated with journal key {fingerprint}{}",
                if *from_line > 1 {
                    format!(
                        " from line {from_line} (lines before it were written before journal keys and are covered through the chain)"
                    )
                } else {
                    String::new()
                }
            ));
        }
        Authenticity::NoKey { fingerprint } => ui.warn(&format!(
            "the journal could not be authenticated: it is keyed{}, but there is no key at {}; pass it with `--journal-key PATH`",
            fingerprint
                .as_deref()
                .map(|fp| format!(" with journal key {fp}"))
                .unwrap_or_default(),
            key_path.as_deref().map_or_else(
                || "the default path".to_owned(),
                |p| format!("`{}`", p.display())
            )
        )),
        Authenticity::BeforeKeys => ui.warn(
            "unauthenticated (written without a journal key: before journal keys, or by a run whose key file could not be used): the chain holds, but whoever can write the run folder could have rewritten it",
        ),
    }
    match exit {
        Exit::Ok => ui.info("ok"),
        other => ui.warn(&format!("not verified (exit {})", other.code())),
    }
    Ok(exit)
}

/// The exit code of a journal whose chain holds: the seal first, then the key.
fn outcome(verified: &Verified) -> Exit {
    match (&verified.seal, &verified.authenticity) {
        (Seal::Unsealed { .. } | Seal::Empty, _) => Exit::Unsealed,
        (_, Authenticity::NoKey { .. } | Authenticity::BeforeKeys) => Exit::Unauthenticated,
        (Seal::Sealed { .. }, Authenticity::Authenticated { .. }) => Exit::Ok,
    }
}

/// The sequence number of the event whose hash the owner kept; an error when none has it.
fn anchor(path: &Path, verified: &Verified, expected: &str) -> Result<u64, Error> {
    let expected = expected.trim().to_ascii_lowercase();
    verified
        .events
        .iter()
        .find(|e| e.hash == expected)
        .map(|e| e.seq)
        .ok_or_else(|| {
            Error::Verify(VerifyError::HeadMissing {
                path: path.to_owned(),
                head: expected,
            })
        })
}

fn summary(
    path: &Path,
    verified: &Verified,
    key_path: Option<&Path>,
    exit: Exit,
    anchored: Option<u64>,
) -> serde_json::Value {
    let (seal, unsealed) = match &verified.seal {
        Seal::Sealed { kind, line } => (json!({"type": kind, "line": line}), json!(null)),
        Seal::Unsealed { line, after_step } => {
            (json!(null), json!({"line": line, "after_step": after_step}))
        }
        Seal::Empty => (json!(null), json!({"line": 0, "after_step": null})),
    };
    let (authentication, fingerprint) = match &verified.authenticity {
        Authenticity::Authenticated { fingerprint, .. } => ("ok", Some(fingerprint.clone())),
        Authenticity::NoKey { fingerprint } => ("no_key", fingerprint.clone()),
        Authenticity::BeforeKeys => ("before_keys", None),
    };
    json!({
        "journal": path.display().to_string(),
        "ok": exit == Exit::Ok,
        "exit": exit.code(),
        "events": verified.events.len(),
        "head": verified.head,
        "head_seq": verified.events.len(),
        "torn_lines": verified.torn,
        "seal": seal,
        "unsealed": unsealed,
        "authenticated": authentication == "ok",
        "authentication": authentication,
        "journal_key": fingerprint,
        "key_file": key_path.map(|p| p.display().to_string()),
        "expected_head_seq": anchored,
        "witnesses": verified.witnesses,
    })
}
