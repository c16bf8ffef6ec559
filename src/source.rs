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

/// How many problems one file reports at most before it stops looking.
const MAX_PROBLEMS: usize = 50;

impl Source {
    /// Deserializes the file, reporting every unknown key at once (each with a did-you-mean from
    /// the keys that place accepts) and then the first other problem: serde stops at its first
    /// error, so each unknown key's entry is blanked (lines kept, so later places stay right) and
    /// the text read again. `hint` gives each problem its help from its message.
    ///
    /// YAML merge keys (`<<: *defaults`) are applied, and keys that start with `x-` (a place for
    /// anchors, as in Compose files) are ignored, at every level.
    pub fn parse_all<T: serde::de::DeserializeOwned>(
        &self,
        hint: impl Fn(&str) -> Option<String>,
    ) -> Result<T, Problems> {
        let mut text = match self.expanded() {
            Ok(text) => text,
            Err(err) => return Err(self.problems(vec![self.yaml_problem(&err)])),
        };
        // Merged text has other places: a problem in it is placed by its path.
        let merged = text.is_some();
        let mut text = text.take().unwrap_or_else(|| self.text.to_string());
        let mut problems = Vec::new();
        // The names the did-you-means offered, latest last.
        let mut meant: Vec<String> = Vec::new();
        while problems.len() < MAX_PROBLEMS {
            let deserializer = serde_yaml::Deserializer::from_str(&text);
            let err = match serde_path_to_error::deserialize::<_, T>(deserializer) {
                Ok(value) if problems.is_empty() => return Ok(value),
                Ok(_) => break,
                Err(err) => err,
            };
            let path = err.path().to_string();
            let inner = err.into_inner();
            let mut problem = if merged {
                let message = inner.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                // An unknown key is shown at the key, anything else at its value.
                self.problem(self.key(&path).or_else(|| self.locate(&path)), message)
            } else {
                self.yaml_problem(&inner)
            };
            let unknown = unknown_field(problem.message());
            let message = problem.message().to_owned();

            let help = match &unknown {
                Some((name, expected)) => {
                    let names = expected.iter().map(String::as_str);
                    let mean = did_you_mean(name, names.clone());
                    if mean.is_some()
                        && let Some(best) = names.min_by_key(|n| strsim::osa_distance(name, n))
                    {
                        meant.push(best.to_owned());
                    }
                    match (mean, hint(&message)) {
                        (Some(mean), Some(h)) => Some(format!("{mean} ({h})")),
                        (mean, h) => mean.or(h),
                    }
                }
                None => match unknown_variant(&message) {
                    Some((name, expected)) => {
                        did_you_mean(&name, expected.iter().map(String::as_str))
                            .or_else(|| hint(&message))
                    }
                    None => hint(&message),
                },
            };
            if let Some(help) = help {
                problem = problem.help(help);
            }
            let has_meaning = help_meant(&problem);
            problems.push(problem);
            // A typo with a did-you-mean is read as the name meant (so its value is still
            // checked and nothing says the meant key is missing); any other unknown key is
            // blanked.
            let blanked = match (&unknown, inner.location()) {
                (Some((name, _)), Some(at)) if !merged => {
                    let renamed = meant
                        .last()
                        .filter(|_| has_meaning)
                        .is_some_and(|m| rename_key(&mut text, at.index(), name, m));
                    renamed || blank_entry(&mut text, at.index(), name)
                }
                _ => false,
            };
            if !blanked {
                break;
            }
        }
        Err(self.problems(problems))
    }

    fn problems(&self, problems: Vec<Problem>) -> Problems {
        Problems {
            file: self.name.clone(),
            problems,
        }
    }

    /// The text with merge keys applied and `x-` keys dropped, or `None` when it has neither
    /// (the text is read as written, so every place stays exact).
    fn expanded(&self) -> Result<Option<String>, serde_yaml::Error> {
        let has_merge = self.text.contains("<<");
        let has_extension = self
            .text
            .lines()
            .any(|l| l.trim_start().trim_start_matches("- ").starts_with("x-"));
        if !has_merge && !has_extension {
            return Ok(None);
        }
        let mut value: serde_yaml::Value = serde_yaml::from_str(&self.text)?;
        value.apply_merge()?;
        drop_extensions(&mut value);
        serde_yaml::to_string(&value).map(Some)
    }
}

/// Removes every `x-…` key of every mapping.
fn drop_extensions(value: &mut serde_yaml::Value) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            map.retain(|key, _| !key.as_str().is_some_and(|k| k.starts_with("x-")));
            for (_, v) in map.iter_mut() {
                drop_extensions(v);
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(drop_extensions),
        serde_yaml::Value::Tagged(tagged) => drop_extensions(&mut tagged.value),
        _ => {}
    }
}

/// `unknown variant `x`, expected one of `a`, `b``: the name and the list.
fn unknown_variant(message: &str) -> Option<(String, Vec<String>)> {
    let (_, rest) = message.split_once("unknown variant `")?;
    unknown_field(&format!("unknown field `{rest}"))
}

/// `unknown field `x`, expected one of `a`, `b`` (or `expected `a``): the name and the list.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    // serde_yaml puts the path first (`profiles.a: unknown field …`).
    let (_, rest) = message.split_once("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((name.to_owned(), expected))
}

/// Whether `problem`'s help is a did-you-mean.
fn help_meant(problem: &Problem) -> bool {
    problem
        .hint()
        .is_some_and(|h| h.starts_with("did you mean"))
}

/// Renames the block-style key `name` at byte `at` to `meant` when its mapping has no `meant`
/// key yet (the columns after it on that line move; no other line does).
fn rename_key(text: &mut String, at: usize, name: &str, meant: &str) -> bool {
    if !text
        .get(at..)
        .is_some_and(|rest| rest.starts_with(&format!("{name}:")))
    {
        return false;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = at - line_start;
    if !text[line_start..at].chars().all(|c| c == ' ') {
        return false;
    }
    // The siblings: lines at the same indentation, up and down, until a shallower line.
    let sibling = |line: &str| {
        let content = line.trim_start_matches(' ');
        let depth = line.len() - content.len();
        (depth, content.starts_with(&format!("{meant}:")))
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let here = text[..at].matches('\n').count();
    let mut taken = false;
    for range in [
        Box::new((0..here).rev()) as Box<dyn Iterator<Item = usize>>,
        Box::new(here + 1..lines.len()),
    ] {
        for i in range {
            let line = lines[i];
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (depth, is_meant) = sibling(line);
            if depth < indent {
                break;
            }
            taken |= depth == indent && is_meant;
        }
    }
    if taken {
        return false;
    }
    text.replace_range(at..at + name.len(), meant);
    true
}

/// Blanks the block-style mapping entry whose key `name` starts at byte `at`: its line and the
/// more-indented lines under it become empty lines (so every later place keeps its line and
/// column). False when the entry is not one this can cut out safely (flow style, or the first
/// key of a sequence item).
fn blank_entry(text: &mut String, at: usize, name: &str) -> bool {
    let Some(rest) = text.get(at..) else {
        return false;
    };
    let quoted = [name.to_owned(), format!("\"{name}\""), format!("'{name}'")];
    if !quoted.iter().any(|q| rest.starts_with(q.as_str())) {
        return false;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = at - line_start;
    if !text[line_start..at].chars().all(|c| c == ' ') {
        return false;
    }
    // The entry's lines: its own, then those indented deeper (blank lines and comments inside
    // it too, up to the next line at its indentation or less).
    let mut end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    while end < text.len() {
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        let line = &text[end..line_end];
        let content = line.trim_start_matches(' ');
        let deeper = line.len() - content.len() > indent;
        let empty = content.trim().is_empty();
        if !(deeper || empty) {
            break;
        }
        end = line_end;
    }
    let blanked: String = text[line_start..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(line_start..end, &blanked);
    true
}

#[cfg(test)]
mod parse_all_tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        profiles: std::collections::BTreeMap<String, Profile>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Profile {
        exchange: String,
        account: String,
        #[serde(default)]
        keys: Vec<String>,
        #[serde(default, rename = "schedule")]
        _schedule: Option<String>,
    }

    fn parse(text: &str) -> Result<Config, Problems> {
        Source::new("c.yaml", text.to_owned()).parse_all(|_| None)
    }

    #[test]
    fn every_typo_is_a_problem_in_one_read_with_its_place_and_meaning_and_no_echo() {
        let text = "profiles:\n  a:\n    exchnage: bybit\n    account: 1\n    kyes:\n      - one\n      - two\n    scedule: daily\n  b:\n    exchange: okx\n    acount: x\n    account: y\n";
        let Err(problems) = parse(text) else {
            panic!("typos accepted");
        };
        let found: Vec<(String, Option<String>)> = problems
            .problems
            .iter()
            .map(|p| (p.location().to_owned(), p.hint().map(str::to_owned)))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "c.yaml:3:5".to_owned(),
                    Some("did you mean `exchange`?".to_owned())
                ),
                (
                    "c.yaml:5:5".to_owned(),
                    Some("did you mean `keys`?".to_owned())
                ),
                (
                    "c.yaml:8:5".to_owned(),
                    Some("did you mean `schedule`?".to_owned())
                ),
                (
                    "c.yaml:11:5".to_owned(),
                    Some("did you mean `account`?".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn a_misspelt_value_of_a_closed_list_gets_its_meaning() {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Venue {
            Bybit,
            Okx,
        }
        #[derive(Debug, Deserialize)]
        struct File {
            _venue: Venue,
        }
        let source = Source::new("v.yaml", "_venue: bybitt\n".to_owned());
        let Err(problems) = source.parse_all::<File>(|_| None) else {
            panic!("accepted");
        };
        assert_eq!(problems.problems[0].hint(), Some("did you mean `bybit`?"));
    }

    #[test]
    fn plain_numbers_stay_strings_and_a_clean_file_reads() {
        let config = parse("profiles:\n  a:\n    exchange: bybit\n    account: 123456789\n")
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(config.profiles["a"].account, "123456789");
    }

    #[test]
    fn merge_keys_and_extension_keys_are_read() {
        let text = "x-common: &common\n  exchange: bybit\n  account: '7'\nprofiles:\n  a:\n    <<: *common\n    keys: [k]\n  b:\n    <<: *common\n    x-note: mine\n    exchange: okx\n";
        let config = parse(text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(config.profiles["a"].exchange, "bybit");
        assert_eq!(config.profiles["a"].keys, ["k"]);
        assert_eq!(config.profiles["b"].exchange, "okx");
        assert_eq!(config.profiles["b"].account, "7");
        // A typo in a merged file is still placed, by its path.
        let Err(problems) = parse(&format!("{text}    acount: 1\n")) else {
            panic!("typo accepted");
        };
        assert_eq!(problems.problems[0].location(), "c.yaml:12:5");
        assert_eq!(problems.problems[0].hint(), Some("did you mean `account`?"));
    }
}
