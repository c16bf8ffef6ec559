//! YAML files with locations: where each node of a config or playbook sits, and the
//! diagnostics that point at it.
//!
//! serde reports the first structural error with a line and column; everything found after
//! parsing (an unknown action, a duplicate id, a bad reference) needs the location of a node by
//! its path (`steps[2].restrict_key.ips`). [`Source`] indexes every key and value once, so every
//! problem can be reported at once, each with `file:line:col`, a drawn snippet and a hint.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use miette::{Diagnostic, NamedSource, SourceSpan};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The longest line a problem draws a snippet of, in bytes.
const MAX_DRAWN_LINE: usize = 4096;

/// A place in a file: byte offset and length, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the start.
    pub offset: usize,
    /// Length in bytes (at least 1).
    pub len: usize,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// A YAML file's text and the location of each of its nodes.
#[derive(Clone)]
pub struct Source {
    name: String,
    text: Arc<str>,
    /// The spans of values and keys, by path: indexed on the first look-up, so a file that
    /// parses without a problem (a scenario of 100 000 orders) is never indexed at all.
    index: OnceLock<Index>,
}

/// Where each value and each key of a file sits, by path.
#[derive(Debug, Clone, Default)]
struct Index {
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("name", &self.name).finish()
    }
}

impl Source {
    /// Indexes a YAML text. Syntax errors are left to serde, which reports them with a location.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut index = Indexer::new(&self.text);
            let mut parser = Parser::new_from_str(&self.text);
            // A syntax error ends indexing early; whatever was indexed still locates nodes.
            let _ = parser.load(&mut index, false);
            Index {
                values: index.values,
                keys: index.keys,
            }
        })
    }

    /// Checks `text` against the [`crate::limits`] (size, nesting depth, key length), then
    /// indexes it; a breach is a problem at its place.
    pub fn bounded(name: impl Into<String>, text: impl Into<Arc<str>>) -> Result<Source, Problems> {
        Source::bounded_up_to(name, text, crate::limits::MAX_FILE_BYTES)
    }

    /// [`Source::bounded`] with another size bound (`max` bytes): drill scenarios are data.
    pub fn bounded_up_to(
        name: impl Into<String>,
        text: impl Into<Arc<str>>,
        max: usize,
    ) -> Result<Source, Problems> {
        let name = name.into();
        let text: Arc<str> = text.into();
        match crate::limits::scan_up_to(&text, max) {
            Ok(()) => Ok(Source::new(name, text)),
            Err(breach) => {
                let source = Source {
                    name,
                    text,
                    index: OnceLock::from(Index::default()),
                };
                let span = breach.at.map(|(index, line, col)| {
                    let offset = source
                        .text
                        .char_indices()
                        .nth(index)
                        .map_or(source.text.len(), |(byte, _)| byte);
                    source.span_at(offset, line, col)
                });
                Err(Problems {
                    file: source.name.clone(),
                    problems: vec![source.problem(span, breach.message).help(breach.hint)],
                })
            }
        }
    }

    /// The file name as shown in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the value at `path` sits.
    pub fn value(&self, path: &str) -> Option<Span> {
        self.index().values.get(path).copied()
    }

    /// Where the key of the mapping entry at `path` sits.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.index().keys.get(path).copied()
    }

    /// The best place to point at for `path`: its value, its key, or its nearest ancestor.
    pub fn locate(&self, path: &str) -> Option<Span> {
        let mut path = path.to_owned();
        loop {
            if let Some(span) = self.value(&path).or_else(|| self.key(&path)) {
                return Some(span);
            }
            let cut = path.rfind(['.', '['])?;
            path.truncate(cut);
        }
    }

    /// The span at a byte offset, for errors that come with an offset only.
    pub fn span_at(&self, offset: usize, line: usize, col: usize) -> Span {
        let offset = offset.min(self.text.len());
        Span {
            offset,
            len: usize::from(offset < self.text.len()),
            line,
            col,
        }
    }

    /// A problem at `span` (or the file as a whole).
    pub fn problem(&self, span: Option<Span>, message: impl Into<String>) -> Problem {
        // A snippet of a very long line is unreadable, and the renderer cannot draw one whose
        // columns pass 65535: such a place keeps its `file:line:col` without a drawing.
        let drawn = span.filter(|span| self.line_around(*span) <= MAX_DRAWN_LINE);
        Problem {
            message: message.into(),
            location: match span {
                Some(span) => format!("{}:{}:{}", self.name, span.line, span.col),
                None => self.name.clone(),
            },
            src: NamedSource::new(self.name.clone(), Arc::clone(&self.text)),
            span: drawn.map(|span| SourceSpan::from((span.offset, span.len))),
            label: String::from("here"),
            help: None,
        }
    }

    /// The length in bytes of the lines `span` touches.
    fn line_around(&self, span: Span) -> usize {
        let text = self.text.as_bytes();
        let start = span.offset.min(text.len());
        let end = (span.offset + span.len).min(text.len());
        let before = text[..start]
            .iter()
            .rev()
            .take_while(|b| **b != b'\n')
            .count();
        let after = text[end..].iter().take_while(|b| **b != b'\n').count();
        before + (end - start) + after
    }

    /// A problem at the node `path`.
    pub fn problem_at(&self, path: &str, message: impl Into<String>) -> Problem {
        self.problem(self.locate(path), message)
    }

    /// Turns a YAML/serde error into a problem at the place it names.
    pub fn yaml_problem(&self, err: &serde_yaml::Error) -> Problem {
        let span = err
            .location()
            .map(|loc| self.span_at(loc.index(), loc.line(), loc.column()));
        // serde_yaml appends " at line X column Y"; the location is shown separately.
        let message = err.to_string();
        let message = match message.find(" at line ") {
            Some(cut) => message[..cut].to_owned(),
            None => message,
        };
        self.problem(span, message)
    }
}

/// One problem in a YAML file, with its place and a hint.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct Problem {
    message: String,
    location: String,
    #[source_code]
    src: NamedSource<Arc<str>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: Option<String>,
}

impl Problem {
    /// Adds a hint: what to do about it.
    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    /// Replaces the label drawn under the snippet.
    pub fn label(mut self, label: impl Into<String>) -> Problem {
        self.label = label.into();
        self
    }

    /// The message without location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `file:line:col` (or the file alone).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The hint, if any.
    pub fn hint(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// Every problem found in one file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{file}: {}", count(.problems.len()))]
pub struct Problems {
    /// The file.
    pub file: String,
    /// The problems, in file order.
    #[related]
    pub problems: Vec<Problem>,
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}

/// "Did you mean …?" for a misspelt name among `known`.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    // Edit distance (with transpositions) catches short typos like `kye`; Jaro-Winkler catches
    // longer names with a shared prefix.
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter_map(|candidate| {
            let edits = strsim::osa_distance(name, candidate);
            let close = edits <= limit || strsim::jaro_winkler(name, candidate) > 0.88;
            close.then_some((edits, candidate))
        })
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

/// Builds the path index from parser events.
struct Indexer<'a> {
    text: &'a str,
    /// The last character index converted and its byte offset: events come in text order,
    /// so each conversion walks on from the last one instead of from the start.
    cursor: (usize, usize),
    stack: Vec<Frame>,
    values: HashMap<String, Span>,
    keys: HashMap<String, Span>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

impl<'a> Indexer<'a> {
    fn new(text: &'a str) -> Indexer<'a> {
        Indexer {
            text,
            cursor: (0, 0),
            stack: Vec::new(),
            values: HashMap::new(),
            keys: HashMap::new(),
        }
    }

    fn span(&mut self, mark: Marker, len: usize) -> Span {
        // yaml-rust2 counts `index` in characters; miette needs bytes.
        let (mut chars, mut byte) = if mark.index() >= self.cursor.0 {
            self.cursor
        } else {
            (0, 0)
        };
        let offset = match self.text[byte..].char_indices().nth(mark.index() - chars) {
            Some((at, _)) => {
                byte += at;
                chars = mark.index();
                self.cursor = (chars, byte);
                byte
            }
            None => self.text.len(),
        };
        Span {
            offset,
            len: len.max(1),
            line: mark.line(),
            col: mark.col() + 1,
        }
    }

    /// Where the next node goes: `Some(path)` for a value, `None` when it is a mapping key.
    fn next_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map { path, key }) => {
                let key = key.take().unwrap_or_default();
                Some(join(path, &key))
            }
            Some(Frame::Seq { path, index }) => {
                let child = format!("{path}[{index}]");
                *index += 1;
                Some(child)
            }
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl MarkedEventReceiver for Indexer<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, style, ..) => {
                let quotes = if matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                ) {
                    2
                } else {
                    0
                };
                let len = value.len() + quotes;
                match self.next_path() {
                    Some(path) => {
                        let span = self.span(mark, len);
                        self.values.insert(path, span);
                    }
                    None => {
                        let span = self.span(mark, len);
                        if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                            self.keys.insert(join(path, &value), span);
                            *key = Some(value);
                        }
                    }
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                // A complex (non-scalar) key is not something our files use; index it as "?".
                let path = self.next_path().unwrap_or_else(|| "?".to_owned());
                let span = self.span(mark, 1);
                self.values.entry(path.clone()).or_insert(span);
                self.stack
                    .push(if matches!(event, Event::MappingStart(..)) {
                        Frame::Map { path, key: None }
                    } else {
                        Frame::Seq { path, index: 0 }
                    });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                let _ = self.next_path();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: x
steps:
  - id: lock
    restrict_key: { key: \"k\", ips: [a, b] }
  - id: é
    manual:
      title: t
";

    #[test]
    fn locates_keys_values_and_items() {
        let source = Source::new("p.yaml", TEXT);
        let key = |path: &str| source.key(path).map(|s| (s.line, s.col));
        let value = |path: &str| source.value(path).map(|s| (s.line, s.col));
        assert_eq!(key("name"), Some((1, 1)));
        assert_eq!(value("name"), Some((1, 7)));
        assert_eq!(key("steps[0].id"), Some((3, 5)));
        assert_eq!(value("steps[0].id"), Some((3, 9)));
        assert_eq!(key("steps[0].restrict_key.ips"), Some((4, 31)));
        assert_eq!(value("steps[0].restrict_key.ips"), Some((4, 36)));
        assert_eq!(value("steps[0].restrict_key.ips[1]"), Some((4, 40)));
        assert_eq!(key("steps[1].manual.title"), Some((7, 7)));
        // `locate` prefers the value, then the key, then the nearest ancestor.
        let at = |path: &str| source.locate(path).map(|s| (s.line, s.col));
        assert_eq!(at("steps[0].id"), Some((3, 9)));
        assert_eq!(
            at("steps[1].manual.title.nope"),
            at("steps[1].manual.title")
        );
        assert_eq!(at("nowhere"), None);
    }

    #[test]
    fn offsets_are_bytes() {
        let source = Source::new("p.yaml", TEXT);
        let span = source.value("steps[1].id").unwrap();
        assert_eq!(&TEXT[span.offset..span.offset + span.len], "é");
    }

    #[test]
    fn problem_shows_file_line_col() {
        let source = Source::new("p.yaml", TEXT);
        let problem = source.problem_at("steps[0].id", "bad id");
        assert_eq!(problem.to_string(), "p.yaml:3:9: bad id");
    }

    #[test]
    fn a_problem_on_a_huge_line_keeps_its_place_without_a_drawing() {
        let text = format!("name: x\nsteps: [{}]\n", "a, ".repeat(100_000));
        let source = Source::new("p.yaml", text);
        let problem = source.problem_at("steps[99999]", "bad");
        assert_eq!(problem.to_string(), "p.yaml:2:300006: bad");
        let mut shown = String::new();
        miette::GraphicalReportHandler::new()
            .render_report(&mut shown, &problem)
            .unwrap();
        assert!(shown.contains("bad"), "{shown}");
        // A short line is still drawn.
        let drawn = source.problem_at("name", "short");
        assert!(drawn.labels().is_some_and(|mut l| l.next().is_some()));
    }

    #[test]
    fn suggests_close_names() {
        let known = ["restrict_key", "revoke_key", "report"];
        assert_eq!(
            did_you_mean("restrict_kye", known).as_deref(),
            Some("did you mean `restrict_key`?")
        );
        assert_eq!(did_you_mean("zzz", known), None);
    }
}
