//! YAML files with locations: where each node of a config or playbook sits, and the
//! diagnostics that point at it.
//!
//! A file is parsed once ([`tree`]) into nodes that keep their places; every section of it is
//! deserialized from that tree ([`de`], [`read`]), and everything found after deserializing (an
//! unknown action, a duplicate id, a bad reference) is placed by its path
//! (`steps[2].restrict_key.ips`) in the same tree. So every problem can be reported at once,
//! each with `file:line:col`, a drawn snippet and a hint.

mod de;
mod read;
mod tree;

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use miette::{Diagnostic, NamedSource, SourceSpan};

pub use read::did_you_mean;

/// How many texts this thread has parsed so far (tests count the parses of one command).
#[cfg(test)]
pub(crate) fn parses() -> usize {
    tree::counter::parses()
}

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

/// A YAML file's text, its tree and the location of each of its nodes.
#[derive(Clone)]
pub struct Source {
    name: String,
    text: Arc<str>,
    /// The text's tree, parsed on first use: every section of the file is read from it, and
    /// every place is found in it by its path.
    tree: OnceLock<Parsed>,
}

/// A text's tree, or why it has none; shared by the [`Source`]s of one text.
type Parsed = Arc<Result<tree::Node, tree::SyntaxError>>;

/// The trees of the last few files parsed, by text: the loaders of one command (profiles,
/// history, notify, watch, schedules) each read the config file on their own, and the same text
/// is then parsed only once per process.
static PARSED: Mutex<Vec<(Arc<str>, Parsed)>> = Mutex::new(Vec::new());

/// How many trees [`PARSED`] keeps (the most recently used). The unit tests, hundreds of
/// texts parsed on parallel threads, keep more: another test's parses must not push out a tree
/// between two loaders of the test that counts them.
#[cfg(not(test))]
const KEPT_TREES: usize = 4;
#[cfg(test)]
const KEPT_TREES: usize = 64;

/// The tree of `text`, parsed now or taken from [`PARSED`]. A large text (a drill scenario)
/// is parsed on its own and not kept.
fn parsed(text: &Arc<str>) -> Parsed {
    if text.len() > crate::limits::MAX_FILE_BYTES {
        return Arc::new(tree::parse(text));
    }
    {
        let mut kept = PARSED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = kept.iter().position(|(t, _)| **t == **text) {
            let hit = kept.remove(at);
            let tree = Arc::clone(&hit.1);
            kept.push(hit);
            return tree;
        }
    }
    let tree = Arc::new(tree::parse(text));
    let mut kept = PARSED.lock().unwrap_or_else(PoisonError::into_inner);
    if kept.len() >= KEPT_TREES {
        kept.remove(0);
    }
    kept.push((Arc::clone(text), Arc::clone(&tree)));
    tree
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("name", &self.name).finish()
    }
}

impl Source {
    /// A YAML text, parsed on first use. A syntax error is reported by the reading
    /// ([`Source::parse_all`]), with its location.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            tree: OnceLock::new(),
        }
    }

    /// The file's tree, or its syntax error.
    fn tree(&self) -> &Result<tree::Node, tree::SyntaxError> {
        self.tree.get_or_init(|| parsed(&self.text))
    }

    /// The node at `path` and, for a mapping entry, its key. A file with a syntax error (or a
    /// breach of a bound) has none: its one problem is placed already.
    fn find(&self, path: &str) -> Option<(&tree::Node, Option<&tree::Node>)> {
        self.tree()
            .as_ref()
            .ok()
            .and_then(|root| tree::find(root, path))
    }

    /// Checks `text` against the [`crate::limits`] (size, nesting depth, key length) as it
    /// parses it; a breach is a problem at its place.
    pub fn bounded(name: impl Into<String>, text: impl Into<Arc<str>>) -> Result<Source, Problems> {
        Source::bounded_up_to(name, text, crate::limits::MAX_FILE_BYTES)
    }

    /// [`Source::bounded`] with another size bound (`max` bytes): drill scenarios are data.
    /// The text is parsed here, once, and the bounds checked in the same pass; a syntax error
    /// is left to the reading ([`Source::parse_all`]), which reports it at its place.
    pub fn bounded_up_to(
        name: impl Into<String>,
        text: impl Into<Arc<str>>,
        max: usize,
    ) -> Result<Source, Problems> {
        let source = Source::new(name, text);
        let breach = match crate::limits::check_size(&source.text, max) {
            Err(breach) => Some((None, breach.message, breach.hint)),
            Ok(()) => match source.tree() {
                Err(tree::SyntaxError {
                    message,
                    at,
                    breach: Some(hint),
                }) => Some((*at, message.clone(), *hint)),
                _ => None,
            },
        };
        match breach {
            None => Ok(source),
            Some((at, message, hint)) => {
                Err(source.problems(vec![source.problem(at, message).help(hint)]))
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
        self.find(path).map(|(value, _)| value.at)
    }

    /// Where the key of the mapping entry at `path` sits.
    pub fn key(&self, path: &str) -> Option<Span> {
        self.find(path).and_then(|(_, key)| key).map(|key| key.at)
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
        // A block mapping starts at its first key (a missing field is shown there), a flow
        // one at its brace, a block list at its first dash.
        assert_eq!(at("steps[1]"), Some((5, 5)));
        assert_eq!(at("steps[0].restrict_key"), Some((4, 19)));
        assert_eq!(at("steps"), Some((3, 3)));
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
