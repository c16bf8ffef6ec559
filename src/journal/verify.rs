//! Reading a journal back and checking it: the chain, the seal, and the key.
//!
//! The chain (each `prev` is the previous `hash`) finds a changed, removed or reordered line;
//! the `mac` of each event under the state dir's key (see `key.rs`) finds a journal rewritten
//! with its chain recomputed; the seal (a last `run_finished` or `interrupted` event, itself
//! under the key) finds one cut short. What the chain cannot prove (no key at hand, a journal
//! written before journal keys, no seal) is reported in [`Verified`], never passed over: the
//! caller decides what each outcome means (`lockdown verify` gives each its own exit code;
//! `resume` goes on from an unsealed journal, which is what `kill -9` leaves).
//!
//! One file of over 600 lines on purpose: the checker is under 300; the rest is its tests,
//! which tamper with real journals line by line and byte by byte against exactly this code.

use std::path::{Path, PathBuf};

use super::{Authenticity, Event, EventKind, GENESIS, JournalKey, Seal, Verified};

/// Where and why a journal does not verify.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("cannot read the journal `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not an event, breaks the chain, or has a bad `mac`.
    #[error("journal `{}` line {line}: {reason}", path.display())]
    #[diagnostic(help(
        "the journal was changed after it was written: keep this copy as evidence and compare its head with the one printed when the run ended"
    ))]
    Broken {
        /// The file.
        path: PathBuf,
        /// The first bad line, 1-based.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The journal names another key than the one given.
    #[error(
        "journal `{}` line {line} names journal key {journal}, but the key given is {key}",
        path.display()
    )]
    #[diagnostic(help(
        "use the key the run was written with (`verify --journal-key PATH`; `resume` uses the state dir's `journal.key`); if this is that key, the journal was rewritten"
    ))]
    KeyMismatch {
        /// The file.
        path: PathBuf,
        /// The line that names the key.
        line: usize,
        /// The fingerprint in the journal.
        journal: String,
        /// The given key's fingerprint.
        key: String,
    },
    /// The journal ends before an event a witness in the run folder names: its end was cut off.
    #[error(
        "journal `{}` ends at event {events}, but `{}` names event {seq}: the end of the journal was cut off",
        path.display(),
        witness.display()
    )]
    #[diagnostic(help(
        "the journal lost its last lines after they were written (a truncated copy, a full disk during a copy, an edit): keep this copy as evidence and look for an intact one"
    ))]
    Truncated {
        /// The file.
        path: PathBuf,
        /// How many whole events it holds.
        events: usize,
        /// The witness (`journal.head`, `report.json`).
        witness: PathBuf,
        /// The event the witness names.
        seq: u64,
    },
    /// No event has the head hash the owner kept (`verify --expect-head`).
    #[error("journal `{}` has no event with hash {head}", path.display())]
    #[diagnostic(help(
        "the journal was rewritten, or cut before that event: compare it with the copy that hash came from"
    ))]
    HeadMissing {
        /// The file.
        path: PathBuf,
        /// The expected hash.
        head: String,
    },
}

/// Reads a journal and checks its chain and seal; `mac`s are checked for presence only.
pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    verify_with_key(path, None)
}

/// Reads a journal and checks its chain and seal, every `mac` under `key` when given, and that
/// it still holds every event the run folder's witnesses name (`witness.rs`).
pub fn verify_with_key(path: &Path, key: Option<&JournalKey>) -> Result<Verified, VerifyError> {
    let bytes = std::fs::read(path).map_err(|source| VerifyError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut verified = check(path, &bytes, key)?;
    verified.witnesses = super::witness::confirm(path, &verified.events, &verified.torn)?;
    Ok(verified)
}

/// Checks the bytes of the journal at `path` (named in errors).
fn check(path: &Path, bytes: &[u8], key: Option<&JournalKey>) -> Result<Verified, VerifyError> {
    // Every run writes `run_started` as it creates its journal: nothing at all is damage.
    if bytes.is_empty() {
        return Err(VerifyError::Broken {
            path: path.to_owned(),
            line: 1,
            reason: "the file is empty, though a run writes its first event as it creates it: it was emptied or cut".into(),
        });
    }
    let mut chain = Chain {
        path,
        key,
        events: Vec::new(),
        head: GENESIS.to_owned(),
        torn: Vec::new(),
        last_line: 0,
        keyed_from: None,
        named: None,
    };
    let ends_mid_line = !bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let lines: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    for (index, bytes) in lines.iter().enumerate() {
        let number = index + 1;
        let parsed = std::str::from_utf8(bytes)
            .map_err(|err| format!("not UTF-8 (at byte {} of the line)", err.valid_up_to() + 1))
            .and_then(|line| {
                serde_json::from_str::<Event>(line)
                    .map(|event| (line, event))
                    .map_err(|err| format!("not a journal event ({err})"))
            });
        let (line, event) = match parsed {
            Ok(parsed) => parsed,
            Err(_) if chain.torn_at(&lines, index, ends_mid_line) => {
                chain.torn.push(number);
                continue;
            }
            Err(reason) => return Err(chain.broken(number, reason)),
        };
        chain.link(number, line, &event)?;
        chain.keyed(number, &event)?;
        chain.head = event.hash.clone();
        chain.last_line = number;
        chain.events.push(event);
    }
    Ok(chain.finish(ends_mid_line))
}

/// A journal's chain as far as it has been read, line by line.
struct Chain<'a> {
    /// The file, named in errors.
    path: &'a Path,
    /// The key the `mac`s are checked under, when one is at hand.
    key: Option<&'a JournalKey>,
    events: Vec<Event>,
    /// The last whole event's hash.
    head: String,
    torn: Vec<usize>,
    /// The last whole event's line, 1-based.
    last_line: usize,
    /// The line from which every event must carry a `mac`.
    keyed_from: Option<usize>,
    /// The fingerprint last named.
    named: Option<String>,
}

impl Chain<'_> {
    fn broken(&self, line: usize, reason: String) -> VerifyError {
        VerifyError::Broken {
            path: self.path.to_owned(),
            line,
            reason,
        }
    }

    /// Whether line `index`, which is no event, is one a crash tore: a crash mid-write leaves the
    /// start of the next event (`{"seq":N,"at":"...`, cut anywhere, no newline after it) as the
    /// last line; `resume` keeps it and goes on, on the next line, with a `resumed` event chained
    /// to the last whole one. Nothing is written after `run_finished`. Anything else (a line
    /// appended or cut in the middle, a blank line) is damage.
    fn torn_at(&self, lines: &[&[u8]], index: usize, ends_mid_line: bool) -> bool {
        let line = lines[index];
        let next = format!("{{\"seq\":{},\"at\":\"", self.events.len() + 1);
        let shared = line.len().min(next.len());
        let starts_the_next = !line.is_empty() && line[..shared] == next.as_bytes()[..shared];
        let after_the_end = self
            .events
            .last()
            .is_some_and(|e| e.kind == EventKind::RunFinished);
        let last = index + 1 == lines.len() && ends_mid_line;
        let resumed_after = lines.get(index + 1).is_some_and(|next| {
            serde_json::from_slice::<Event>(next)
                .is_ok_and(|e| e.kind == EventKind::Resumed && e.prev == self.head)
        });
        starts_the_next && !after_the_end && (last || resumed_after)
    }

    /// Checks that `event` (line `number`, text `line`) follows the chain: its sequence
    /// number, its `prev`, its own hash, and its bytes as they were written.
    fn link(&self, number: usize, line: &str, event: &Event) -> Result<(), VerifyError> {
        let want_seq = self.events.len() as u64 + 1;
        if event.seq != want_seq {
            return Err(self.broken(
                number,
                format!("sequence number {} where {want_seq} was due", event.seq),
            ));
        }
        if event.prev != self.head {
            return Err(self.broken(number, "`prev` does not match the previous hash".into()));
        }
        if event.compute_hash() != event.hash {
            return Err(self.broken(number, "the event was changed after it was written".into()));
        }
        // Lines are written as `Event` serialises; one that reads the same but differs in a
        // byte (`1E-7` for `1e-7`, an uppercase hex digit, a trailing space) was edited too.
        if serde_json::to_string(event).ok().as_deref() != Some(line) {
            return Err(self.broken(
                number,
                "the line is not byte for byte as it was written".into(),
            ));
        }
        Ok(())
    }

    /// Checks `event`'s `mac` (line `number`): the key a run names must be the key given, and
    /// from the first keyed event on, every event carries a `mac` that holds under it.
    fn keyed(&mut self, number: usize, event: &Event) -> Result<(), VerifyError> {
        let names = matches!(event.kind, EventKind::RunStarted | EventKind::Resumed)
            .then(|| event.data.get("journal_key").and_then(|v| v.as_str()))
            .flatten();
        if let Some(fingerprint) = names {
            if let Some(key) = self.key
                && key.fingerprint() != fingerprint
            {
                return Err(VerifyError::KeyMismatch {
                    path: self.path.to_owned(),
                    line: number,
                    journal: fingerprint.to_owned(),
                    key: key.fingerprint().to_owned(),
                });
            }
            self.named = Some(fingerprint.to_owned());
        }
        if event.mac.is_some() || names.is_some() {
            self.keyed_from.get_or_insert(number);
        }
        match (&event.mac, self.keyed_from) {
            (None, Some(from)) => Err(self.broken(
                number,
                format!(
                    "the event has no `mac` though the journal is keyed from line {from}: it was written without the journal key"
                ),
            )),
            (Some(mac), _) if self.key.is_some_and(|key| !key.verifies(&event.hash, mac)) => {
                Err(self.broken(
                    number,
                    "the `mac` does not match the journal key: the event was rewritten and the chain recomputed"
                        .into(),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The whole chain, read: how it ends and what its `mac`s prove.
    fn finish(self, ends_mid_line: bool) -> Verified {
        let seal = match self.events.last() {
            None => Seal::Empty,
            Some(last) if matches!(last.kind, EventKind::RunFinished | EventKind::Interrupted) => {
                Seal::Sealed {
                    kind: last.kind,
                    line: self.last_line,
                }
            }
            Some(_) => Seal::Unsealed {
                line: self.last_line,
                after_step: self.events.iter().rev().find_map(|e| {
                    e.data
                        .get("step")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                }),
            },
        };
        let authenticity = match (self.keyed_from, self.key) {
            (None, _) => Authenticity::BeforeKeys,
            (Some(from_line), Some(key)) => Authenticity::Authenticated {
                fingerprint: key.fingerprint().to_owned(),
                from_line,
            },
            (Some(_), None) => Authenticity::NoKey {
                fingerprint: self.named,
            },
        };
        Verified {
            events: self.events,
            head: self.head,
            torn: self.torn,
            ends_mid_line,
            seal,
            authenticity,
            witnesses: Vec::new(),
        }
    }
}

/// Reads a journal, verifying it.
pub fn read(path: &Path) -> Result<Vec<Event>, VerifyError> {
    verify(path).map(|verified| verified.events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{HEAD_FILE_NAME, Journal};
    use serde_json::{Value, json};

    /// A sealed six-event run journal keyed with a new key: its path, the key and its lines.
    fn sealed(dir: &Path) -> (PathBuf, JournalKey, Vec<String>) {
        keyed(
            dir,
            vec![
                (EventKind::StepStarted, json!({"step": "lock"})),
                (
                    EventKind::StepFinished,
                    json!({"step": "lock", "price": 1.5e-7, "note": "\u{1f}"}),
                ),
                (EventKind::StepStarted, json!({"step": "cancel"})),
                (EventKind::StepFinished, json!({"step": "cancel"})),
            ],
        )
    }

    /// A journal of `run_started` (naming the key), `steps` and `run_finished`, keyed with the
    /// key of state dir `dir`: its path, the key and its lines.
    fn keyed(dir: &Path, steps: Vec<(EventKind, Value)>) -> (PathBuf, JournalKey, Vec<String>) {
        let path = dir.join("journal.jsonl");
        let mut journal = Journal::create(&path, JournalKey::load_or_create(dir).unwrap()).unwrap();
        let key = JournalKey::load_or_create(dir).unwrap();
        let start = (
            EventKind::RunStarted,
            json!({"run_id": "r", "journal_key": key.fingerprint()}),
        );
        let end = (EventKind::RunFinished, json!({"contained": true}));
        for (kind, data) in std::iter::once(start).chain(steps).chain([end]) {
            journal.append(kind, data).unwrap();
        }
        let lines = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        (path, key, lines)
    }

    fn write_lines(path: &Path, lines: &[String]) {
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }

    fn broken_line(result: Result<Verified, VerifyError>) -> usize {
        match result {
            Err(VerifyError::Broken { line, .. }) => line,
            other => panic!("expected a broken journal, got {other:?}"),
        }
    }

    /// Sealed, and authenticated under the key: what `lockdown verify` passes.
    fn passes(result: &Result<Verified, VerifyError>) -> bool {
        matches!(
            result,
            Ok(Verified {
                seal: Seal::Sealed { .. },
                authenticity: Authenticity::Authenticated { .. },
                ..
            })
        )
    }

    #[test]
    fn a_good_sealed_journal_passes() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, _) = sealed(dir.path());
        let verified = verify_with_key(&path, Some(&key)).unwrap();
        assert_eq!(
            verified.seal,
            Seal::Sealed {
                kind: EventKind::RunFinished,
                line: 6
            }
        );
        assert_eq!(
            verified.authenticity,
            Authenticity::Authenticated {
                fingerprint: key.fingerprint().to_owned(),
                from_line: 1
            }
        );
    }

    #[test]
    fn a_journal_checked_without_its_key_is_not_authenticated() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, _) = sealed(dir.path());
        let verified = verify(&path).unwrap();
        assert_eq!(
            verified.authenticity,
            Authenticity::NoKey {
                fingerprint: Some(key.fingerprint().to_owned())
            }
        );
    }

    #[test]
    fn a_rewritten_and_rechained_journal_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        // Change a field of line 3, then recompute every hash after it, keeping the `mac`s:
        // the chain holds again; only the key can tell.
        let mut events: Vec<Event> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        events[2].data["step"] = json!("forged");
        let mut prev = events[1].hash.clone();
        for event in &mut events[2..] {
            event.prev = prev;
            event.hash = event.compute_hash();
            prev = event.hash.clone();
        }
        let forged: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        write_lines(&path, &forged);
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 3);
        // The seal's witness names the old last hash: without the key it finds the rewrite too.
        assert_eq!(broken_line(verify(&path)), 6);
        std::fs::remove_file(dir.path().join(HEAD_FILE_NAME)).unwrap();
        // Without the key the chain holds, and the result says it could not be authenticated.
        assert!(matches!(
            verify(&path).unwrap().authenticity,
            Authenticity::NoKey { .. }
        ));

        // Stripping every `mac` (and the key's name) turns it into an old, unkeyed journal:
        // never authenticated, whatever key is given.
        for event in &mut events {
            event.mac = None;
        }
        events[0].data = json!({"run_id": "r"});
        let mut prev = GENESIS.to_owned();
        for event in &mut events {
            event.prev = prev;
            event.hash = event.compute_hash();
            prev = event.hash.clone();
        }
        let stripped: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        write_lines(&path, &stripped);
        let verified = verify_with_key(&path, Some(&key)).unwrap();
        assert_eq!(verified.authenticity, Authenticity::BeforeKeys);
        // Stripping the `mac` of one line only is found at that line.
        let mut one = lines.clone();
        let event: Event = serde_json::from_str(&one[3]).unwrap();
        one[3] = serde_json::to_string(&Event { mac: None, ..event }).unwrap();
        write_lines(&path, &one);
        assert_eq!(broken_line(verify(&path)), 4);
    }

    #[test]
    fn a_truncated_journal_is_unsealed_and_names_its_last_step() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        // Without the seal's witness (a copy of the journal alone, a run older than witnesses),
        // a cut end reads as a run killed there.
        std::fs::remove_file(dir.path().join(HEAD_FILE_NAME)).unwrap();
        write_lines(&path, &lines[..4]);
        let verified = verify_with_key(&path, Some(&key)).unwrap();
        assert_eq!(
            verified.seal,
            Seal::Unsealed {
                line: 4,
                after_step: Some("cancel".into())
            }
        );
    }

    #[test]
    fn a_removed_or_swapped_line_is_found_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        let mut removed = lines.clone();
        removed.remove(2);
        write_lines(&path, &removed);
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 3);

        let mut swapped = lines.clone();
        swapped.swap(3, 4);
        write_lines(&path, &swapped);
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 4);
    }

    #[test]
    fn any_single_changed_byte_is_found() {
        let dir = tempfile::tempdir().unwrap();
        // The start, a step with a float and an escaped control character, and the seal.
        let (path, key, lines) = keyed(
            dir.path(),
            vec![(
                EventKind::StepFinished,
                json!({"step": "lock", "price": 1.5e-7, "note": "\u{1f}"}),
            )],
        );
        let original = lines.join("\n") + "\n";
        assert!(passes(&check(&path, original.as_bytes(), Some(&key))));
        let original = original.into_bytes();
        let mut bytes = original.clone();
        for at in 0..original.len() {
            let byte = original[at];
            // A flipped bit, and a case change or whitespace JSON would skip.
            let other = if byte.is_ascii_alphabetic() {
                byte ^ 0x20
            } else {
                b' '
            };
            for other in [byte ^ 1, other].into_iter().filter(|b| *b != byte) {
                bytes[at] = other;
                let result = check(&path, &bytes, Some(&key));
                bytes[at] = byte;
                assert!(
                    !passes(&result),
                    "byte {at} ({:?} -> {:?}) went unnoticed",
                    byte as char,
                    other as char
                );
            }
        }
    }

    #[test]
    fn a_wrong_key_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _, _) = sealed(dir.path());
        let other = JournalKey::generate();
        assert!(matches!(
            verify_with_key(&path, Some(&other)),
            Err(VerifyError::KeyMismatch { line: 1, .. })
        ));
    }

    #[test]
    fn a_resumed_journal_is_sealed_only_by_its_last_seal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal =
            Journal::create(&path, JournalKey::load_or_create(dir.path()).unwrap()).unwrap();
        journal.append(EventKind::RunStarted, json!({})).unwrap();
        journal
            .append(EventKind::StepStarted, json!({"step": "lock"}))
            .unwrap();
        journal
            .append(EventKind::Interrupted, json!({"by": "ctrl-c"}))
            .unwrap();
        drop(journal);
        assert!(matches!(
            verify(&path).unwrap().seal,
            Seal::Sealed {
                kind: EventKind::Interrupted,
                line: 3
            }
        ));
        let key = || JournalKey::load_or_create(dir.path()).unwrap();
        let (mut journal, _) = Journal::reopen(&path, key()).unwrap();
        journal.append(EventKind::Resumed, json!({})).unwrap();
        journal
            .append(EventKind::StepFinished, json!({"step": "lock"}))
            .unwrap();
        assert_eq!(
            verify(&path).unwrap().seal,
            Seal::Unsealed {
                line: 5,
                after_step: Some("lock".into())
            }
        );
        journal.append(EventKind::RunFinished, json!({})).unwrap();
        let verified = verify_with_key(&path, Some(&key())).unwrap();
        assert!(matches!(verified.seal, Seal::Sealed { line: 6, .. }));
    }

    #[test]
    fn a_journal_older_than_keys_verifies_unauthenticated_and_resumes_keyed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        // Written as lockdown wrote journals before keys: no `mac`, no key named.
        let first = Event::new(1, "t".into(), EventKind::RunStarted, json!({}), GENESIS);
        let second = Event::new(
            2,
            "t".into(),
            EventKind::StepStarted,
            json!({"step": "lock"}),
            &first.hash,
        );
        let old: Vec<String> = [&first, &second]
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        write_lines(&path, &old);
        let key = || JournalKey::load_or_create(dir.path()).unwrap();
        let verified = verify_with_key(&path, Some(&key())).unwrap();
        assert_eq!(verified.authenticity, Authenticity::BeforeKeys);

        let (mut journal, _) = Journal::reopen(&path, key()).unwrap();
        let fingerprint = journal.key_fingerprint().unwrap().to_owned();
        journal
            .append(EventKind::Resumed, json!({"journal_key": fingerprint}))
            .unwrap();
        journal.append(EventKind::RunFinished, json!({})).unwrap();
        let verified = verify_with_key(&path, Some(&key())).unwrap();
        assert_eq!(
            verified.authenticity,
            Authenticity::Authenticated {
                fingerprint,
                from_line: 3
            }
        );
    }

    #[test]
    fn a_torn_last_line_is_reported_and_kept_and_resume_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let key = || JournalKey::load_or_create(dir.path()).unwrap();
        let mut journal = Journal::create(&path, key()).unwrap();
        journal
            .append(EventKind::RunStarted, json!({"n": 1}))
            .unwrap();
        let head = journal
            .append(EventKind::StepStarted, json!({"n": 2}))
            .unwrap()
            .hash;
        drop(journal);
        // A crash in the middle of writing the third event.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, br#"{"seq":3,"at":"2026-11-"#).unwrap();
        drop(file);
        let verified = verify(&path).unwrap();
        assert_eq!(verified.torn, [3]);
        assert!(verified.ends_mid_line);
        assert_eq!(verified.head, head);

        let (mut journal, _) = Journal::reopen(&path, key()).unwrap();
        journal.append(EventKind::Resumed, json!({})).unwrap();
        journal.append(EventKind::RunFinished, json!({})).unwrap();
        let verified = verify_with_key(&path, Some(&key())).unwrap();
        assert_eq!(verified.torn, [3], "the torn line is kept and reported");
        assert_eq!(verified.events.len(), 4);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#"{"seq":3,"at":"2026-11-"#));
    }

    #[test]
    fn one_changed_byte_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, JournalKey::generate()).unwrap();
        journal
            .append(EventKind::RunStarted, json!({"n": 1}))
            .unwrap();
        journal
            .append(EventKind::StepStarted, json!({"n": 2}))
            .unwrap();
        journal
            .append(EventKind::RunFinished, json!({"n": 3}))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"n\":2", "\"n\":5", 1)).unwrap();
        assert_eq!(broken_line(verify(&path)), 2);
    }

    #[test]
    fn dropped_last_lines_are_found_by_the_seals_witness() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        assert_eq!(
            verify_with_key(&path, Some(&key)).unwrap().witnesses,
            [dir.path().join(HEAD_FILE_NAME)]
        );
        // The chain of what is left holds; `journal.head` names event 6.
        for keep in [5, 1] {
            write_lines(&path, &lines[..keep]);
            match verify_with_key(&path, Some(&key)) {
                Err(VerifyError::Truncated { events, seq: 6, .. }) => assert_eq!(events, keep),
                other => panic!("{keep} kept: {other:?}"),
            }
        }
        // Cut in the middle of the seal's line: it reads as torn, and is cut off all the same.
        let cut = lines.join("\n") + "\n";
        std::fs::write(&path, &cut[..cut.len() - 30]).unwrap();
        assert!(matches!(
            verify_with_key(&path, Some(&key)),
            Err(VerifyError::Truncated { events: 5, .. })
        ));
        // A report that names another event than the journal holds there.
        write_lines(&path, &lines);
        let report = json!({"journal": {"seq": 4, "hash": "ab".repeat(32)}});
        std::fs::write(dir.path().join("report.json"), report.to_string()).unwrap();
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 4);
    }

    #[test]
    fn an_appended_or_blank_line_is_damage_not_a_tear() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        let cases: [(&str, String); 4] = [
            (
                "garbage after the seal",
                format!("{}\ngarbage\n", lines.join("\n")),
            ),
            (
                "garbage, no newline",
                format!("{}\ngarbage", lines.join("\n")),
            ),
            ("a blank last line", format!("{}\n\n", lines.join("\n"))),
            (
                "the start of an event after `run_finished`",
                format!("{}\n{{\"seq\":7,\"at\":\"2026", lines.join("\n")),
            ),
        ];
        for (label, text) in cases {
            std::fs::write(&path, text).unwrap();
            assert_eq!(
                broken_line(verify_with_key(&path, Some(&key))),
                7,
                "{label}"
            );
        }
        // A line cut in the middle, with lines after it.
        let mut cut = lines.clone();
        cut[2].truncate(40);
        write_lines(&path, &cut);
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 3);
        // A torn line that ends with a newline was written whole: it is no tear either.
        std::fs::remove_file(dir.path().join(HEAD_FILE_NAME)).unwrap();
        let text = format!("{}\n{{\"seq\":5,\"at\":\"20\n", lines[..4].join("\n"));
        std::fs::write(&path, text).unwrap();
        assert_eq!(broken_line(verify_with_key(&path, Some(&key))), 5);
    }

    #[test]
    fn an_empty_journal_and_bytes_that_are_not_utf8_are_named_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let (path, key, lines) = sealed(dir.path());
        std::fs::write(&path, "").unwrap();
        match verify_with_key(&path, Some(&key)) {
            Err(err @ VerifyError::Broken { line: 1, .. }) => {
                assert!(err.to_string().contains("the file is empty"), "{err}");
            }
            other => panic!("{other:?}"),
        }
        let mut bytes = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let mut line = line.clone().into_bytes();
            if i == 2 {
                let at = line.len() - 10;
                line[at] = 0xff;
            }
            bytes.extend(line);
            bytes.push(b'\n');
        }
        std::fs::write(&path, bytes).unwrap();
        match verify_with_key(&path, Some(&key)) {
            Err(err @ VerifyError::Broken { line: 3, .. }) => {
                assert!(err.to_string().contains("not UTF-8"), "{err}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_tear_that_cuts_a_character_in_half_is_still_a_tear() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, JournalKey::generate()).unwrap();
        journal.append(EventKind::RunStarted, json!({})).unwrap();
        drop(journal);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let torn =
            "{\"seq\":2,\"at\":\"2026-11-01\",\"type\":\"step_started\",\"data\":{\"note\":\"é";
        std::io::Write::write_all(&mut file, &torn.as_bytes()[..torn.len() - 1]).unwrap();
        drop(file);
        let verified = verify(&path).unwrap();
        assert_eq!(verified.torn, [2]);
        assert_eq!(verified.events.len(), 1);
    }
}
