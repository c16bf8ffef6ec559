//! Bounds on the YAML files lockdown reads (playbooks, configs, drill scenarios), checked before
//! any of them is parsed.
//!
//! A file is written by a person, but a wrong one (a generated playbook gone astray, a binary
//! file named by mistake, `/dev/zero`) must get an error, never a hang or a crash: the parsers
//! behind serde and the location index are not linear in nesting depth, and the diagnostics
//! cannot draw a line of a megabyte. So a file is read up to [`MAX_FILE_BYTES`] and no further,
//! and [`Bounds`] refuses nesting deeper than [`MAX_DEPTH`] and mapping keys longer than
//! [`MAX_KEY_BYTES`] event by event, stopping at the first breach: inside the one parse of a
//! file (`crate::source`), or in a pass of its own ([`scan`]). A syntax error is left to the
//! reader, which reports it with its location.

use std::io::Read;
use std::path::Path;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, ScanError};

/// The largest file read: 1 MiB, hundreds of times a real playbook or config.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The largest drill scenario read: 64 MiB, room for 100 000s of bot orders (a scenario is data
/// a drill seeds the simulator with; its spans are found in linear time).
pub const MAX_SCENARIO_BYTES: usize = 64 << 20;

/// The longest mapping key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// The deepest nesting of mappings and lists.
pub const MAX_DEPTH: usize = 64;

/// Reads a whole file as text, refusing one larger than [`MAX_FILE_BYTES`] without reading
/// past it (the error's kind is [`std::io::ErrorKind::FileTooLarge`]).
pub fn read_file(path: &Path) -> std::io::Result<String> {
    read_file_up_to(path, MAX_FILE_BYTES)
}

/// [`read_file`] with another bound (`max` bytes).
pub fn read_file_up_to(path: &Path, max: usize) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        return Err(too_large(max));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it is not UTF-8 text (is it the right file?)",
        )
    })
}

fn too_large(max: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!(
            "it is larger than {} KiB, the most lockdown reads (is it the right file?)",
            max / 1024
        ),
    )
}

/// A bound a text breaks: what, and where (character index, 1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// What is too large.
    pub message: String,
    /// What to do.
    pub hint: &'static str,
    /// Where, when it is a place in the text: character index, line, column.
    pub at: Option<(usize, usize, usize)>,
}

/// Checks a YAML text against the bounds, in one pass that stops at the first breach.
pub fn scan(text: &str) -> Result<(), Breach> {
    scan_up_to(text, MAX_FILE_BYTES)
}

/// [`scan`] with another size bound (`max` bytes).
pub fn scan_up_to(text: &str, max: usize) -> Result<(), Breach> {
    check_size(text, max)?;
    let mut bounds = Bounds::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return Ok(()),
            Ok((event, mark)) => bounds.check(&event, mark)?,
            Err(err) => return breach_of(&err).map_or(Ok(()), Err),
        }
    }
}

/// Refuses a text larger than `max` bytes.
pub fn check_size(text: &str, max: usize) -> Result<(), Breach> {
    if text.len() > max {
        return Err(Breach {
            message: too_large(max).to_string(),
            hint: "split the file, or check that it is the file you meant",
            at: None,
        });
    }
    Ok(())
}

/// The breach a parser error is, if it is one: the scanner reads a flow list ahead to its end
/// before it yields its events, and gives up past 255 levels (deep nesting all the same). Any
/// other error is a syntax error, the reader's to report.
pub fn breach_of(err: &ScanError) -> Option<Breach> {
    (err.info() == "recursion limit exceeded").then(|| {
        let mark = err.marker();
        too_deep(Some((mark.index(), mark.line(), mark.col() + 1)))
    })
}

/// The depth and key-length bounds, checked on each parser event in turn.
#[derive(Debug, Default)]
pub struct Bounds {
    /// For each open mapping, whether the next scalar is a key.
    open: Vec<Option<bool>>,
}

impl Bounds {
    /// Checks the next event (at `mark`).
    pub fn check(&mut self, event: &Event, mark: Marker) -> Result<(), Breach> {
        let at = Some((mark.index(), mark.line(), mark.col() + 1));
        let is_key = matches!(self.open.last(), Some(Some(true)));
        if let Some(Some(next_is_key)) = self.open.last_mut()
            && !matches!(event, Event::MappingEnd | Event::SequenceEnd)
        {
            *next_is_key = !*next_is_key;
        }
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if self.open.len() >= MAX_DEPTH {
                    return Err(too_deep(at));
                }
                self.open
                    .push(matches!(event, Event::MappingStart(..)).then_some(true));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.open.pop();
            }
            Event::Scalar(value, ..) if is_key && value.len() > MAX_KEY_BYTES => {
                return Err(Breach {
                    message: format!(
                        "a mapping key of {} bytes; keys are at most {MAX_KEY_BYTES}",
                        value.len()
                    ),
                    hint: "keys are names such as `steps` or `cancel_orders`; check the file's indentation and colons",
                    at,
                });
            }
            _ => {}
        }
        Ok(())
    }
}

fn too_deep(at: Option<(usize, usize, usize)>) -> Breach {
    Breach {
        message: format!("nested more than {MAX_DEPTH} levels deep, the most lockdown reads"),
        hint: "flatten the structure; no lockdown file needs this depth",
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_within_bounds_pass_and_breaches_are_located() {
        let deep = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        let nested_maps: String = (0..70)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        let long_key = format!("steps:\n  - {}: 1\n", "k".repeat(300));
        let long_value = format!("name: {}\n", "v".repeat(10_000));
        // Label, text, and the breach wanted: what it says, line and column.
        type Want = Option<(&'static str, usize, usize)>;
        let cases: Vec<(&str, String, Want)> = vec![
            ("a playbook", "version: 1\nsteps: [{id: a}]\n".into(), None),
            ("depth at the bound", deep(MAX_DEPTH - 1), None),
            (
                "deep flow lists",
                deep(100_000),
                Some(("nested more than 64", 1, 259)),
            ),
            (
                "deep block mappings",
                nested_maps,
                Some(("nested more than 64", 65, 132)),
            ),
            (
                "a long key",
                long_key,
                Some(("a mapping key of 300 bytes", 2, 5)),
            ),
            ("a long value is no key", long_value, None),
            ("a syntax error is serde's", "a: [\n".into(), None),
            (
                "too large",
                "#".repeat(MAX_FILE_BYTES + 1),
                Some(("larger than 1024 KiB", 0, 0)),
            ),
        ];
        for (label, text, want) in cases {
            let got = scan(&text);
            match (want, got) {
                (None, Ok(())) => {}
                (Some((message, line, col)), Err(breach)) => {
                    assert!(breach.message.contains(message), "{label}: {breach:?}");
                    let (_, l, c) = breach.at.unwrap_or((0, 0, 0));
                    assert_eq!((l, c), (line, col), "{label}");
                }
                (want, got) => panic!("{label}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn files_are_read_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, "#".repeat(MAX_FILE_BYTES + 1)).unwrap();
        let err = read_file(&big).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("larger than 1024 KiB"), "{err}");
        let ok = dir.path().join("ok.yaml");
        std::fs::write(&ok, "#".repeat(MAX_FILE_BYTES)).unwrap();
        assert_eq!(read_file(&ok).unwrap().len(), MAX_FILE_BYTES);
        let binary = dir.path().join("bin.yaml");
        std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
        assert!(
            read_file(&binary)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
