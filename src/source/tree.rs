//! One parse of a YAML text into a tree that keeps where every node sits.
//!
//! Values and places used to come from two readers (serde_yaml for the values, yaml-rust2 for
//! the places), and a file with merge keys or typos was read several times over. The tree is
//! built from a single yaml-rust2 pass: anchors and aliases are resolved, merge keys (`<<`) are
//! applied and `x-` keys dropped while it is built, so every section of a file is deserialized
//! from the same tree ([`super::de`]) and every place is looked up in it.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::Span;
use crate::limits::{Bounds, Breach};

/// How many nodes aliases may copy in all: a few aliases of aliases would otherwise grow a
/// small file into billions of nodes ("billion laughs").
const MAX_ALIAS_NODES: usize = 1 << 20;

/// How a scalar was written: only a plain one is resolved to null, a boolean or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Unquoted.
    Plain,
    /// Quoted or a block scalar (`|`, `>`): always a string.
    Written,
}

/// A node and its place. Merged and aliased nodes keep the place they were written at.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) at: Span,
    /// A local tag (`!Variant`), which names an enum variant as serde_yaml reads it.
    pub(crate) tag: Option<Box<str>>,
    pub(crate) kind: Kind,
}

/// What a node holds.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar(Box<str>, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar text, whatever its style.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(text, _) => Some(text),
            _ => None,
        }
    }

    /// The text of a plain scalar.
    pub(crate) fn plain(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(text, Style::Plain) => Some(text),
            _ => None,
        }
    }

    fn count(&self) -> usize {
        match &self.kind {
            Kind::Scalar(..) => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.count() + v.count())
                    .sum::<usize>()
            }
        }
    }
}

/// Why a text has no tree: the message and, where known, the place.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) at: Option<Span>,
    /// A bound of [`crate::limits`] the text breaks (and what to do), rather than a syntax
    /// error.
    pub(crate) breach: Option<&'static str>,
}

/// Parses `text` (its first document; a second one is an error, as in serde_yaml), checking the
/// [`crate::limits`] bounds on the way and stopping at the first breach.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    #[cfg(test)]
    counter::bump();
    let mut builder = Builder {
        text,
        cursor: (0, 0),
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: 0,
        root: None,
        copied: 0,
        bounds: Bounds::default(),
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    while builder.error.is_none() {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((event, mark)) => match builder.bounds.check(&event, mark) {
                Ok(()) => builder.on_event(event, mark),
                Err(breach) => builder.breach(breach, mark),
            },
            Err(err) => {
                let mark = *err.marker();
                match crate::limits::breach_of(&err) {
                    Some(breach) => builder.breach(breach, mark),
                    None => {
                        let at = builder.span(mark, 1);
                        builder.fail(at, err.info());
                    }
                }
            }
        }
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.root.unwrap_or(Node {
        // An empty file reads as null, as in serde_yaml.
        at: Span {
            offset: 0,
            len: 1,
            line: 1,
            col: 1,
        },
        tag: None,
        kind: Kind::Scalar("".into(), Style::Plain),
    }))
}

/// A container whose end has not been seen yet.
enum Open {
    Seq {
        at: Span,
        anchor: usize,
        tag: Option<Box<str>>,
        items: Vec<Node>,
    },
    Map {
        at: Span,
        anchor: usize,
        tag: Option<Box<str>>,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

struct Builder<'a> {
    text: &'a str,
    /// The last character index converted and its byte offset: events come in text order,
    /// so each conversion walks on from the last one instead of from the start.
    cursor: (usize, usize),
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    documents: usize,
    root: Option<Node>,
    /// Nodes copied by aliases so far.
    copied: usize,
    bounds: Bounds,
    error: Option<SyntaxError>,
}

impl Builder<'_> {
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

    fn fail(&mut self, at: Span, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                message: message.into(),
                at: Some(at),
                breach: None,
            });
        }
    }

    fn breach(&mut self, breach: Breach, mark: Marker) {
        let at = breach.at.map(|_| self.span(mark, 1));
        self.error = Some(SyntaxError {
            message: breach.message,
            at,
            breach: Some(breach.hint),
        });
    }

    /// Places a finished node in its parent (or as the root).
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

/// Where a container starts: yaml-rust2 marks a block mapping after its first key, where
/// serde_yaml (libyaml) places it at that key, so a problem with the mapping as a whole (a
/// missing field) is shown where the mapping starts.
fn starts(mark: Span, first: Option<&Node>) -> Span {
    match first {
        Some(first) if first.at.offset < mark.offset => Span { len: 1, ..first.at },
        _ => mark,
    }
}

/// A local tag (`!Name`) by its name; core tags (`!!str`) are not enum tags and are left out.
fn local_tag(tag: Option<Tag>) -> Option<Box<str>> {
    let tag = tag?;
    (tag.handle == "!" && !tag.suffix.is_empty()).then(|| tag.suffix.into_boxed_str())
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    let at = self.span(mark, 1);
                    self.fail(
                        at,
                        "deserializing from YAML containing more than one document is not supported",
                    );
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let quoted = matches!(
                    style,
                    TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted
                );
                let at = self.span(mark, value.len() + if quoted { 2 } else { 0 });
                // `!!str 12` is the string `12`, as a quoted scalar.
                let core_str = tag
                    .as_ref()
                    .is_some_and(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "str");
                let style = if style == TScalarStyle::Plain && !core_str {
                    Style::Plain
                } else {
                    Style::Written
                };
                let node = Node {
                    at,
                    tag: local_tag(tag),
                    kind: Kind::Scalar(value.into_boxed_str(), style),
                };
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                let at = self.span(mark, 1);
                self.stack.push(Open::Seq {
                    at,
                    anchor,
                    tag: local_tag(tag),
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                let at = self.span(mark, 1);
                self.stack.push(Open::Map {
                    at,
                    anchor,
                    tag: local_tag(tag),
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Open::Seq {
                    at,
                    anchor,
                    tag,
                    items,
                }) = self.stack.pop()
                {
                    let node = Node {
                        at: starts(at, items.first()),
                        tag,
                        kind: Kind::Seq(items),
                    };
                    self.push(node, anchor);
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map {
                    at,
                    anchor,
                    tag,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    let at = starts(at, entries.first().map(|(key, _)| key));
                    match merged(entries) {
                        Ok(entries) => {
                            let node = Node {
                                at,
                                tag,
                                kind: Kind::Map(entries),
                            };
                            self.push(node, anchor);
                        }
                        Err((at, message)) => self.fail(at, message),
                    }
                }
            }
            Event::Alias(id) => {
                let at = self.span(mark, 1);
                match self.anchors.get(&id) {
                    Some(node) => {
                        self.copied += node.count();
                        if self.copied > MAX_ALIAS_NODES {
                            self.fail(at, "aliases copy too many nodes: write the values out, or use fewer aliases of aliases");
                        } else {
                            let node = node.clone();
                            self.push(node, 0);
                        }
                    }
                    None => self.fail(at, "an alias of a node that contains it (or of no anchor)"),
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// A mapping's entries with its merge keys (`<<: *a` or `<<: [*a, *b]`) applied, the keys
/// written in the mapping first, then each merged mapping's in order, and its `x-` keys
/// dropped (a place for anchors, as in Compose files).
fn merged(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, (Span, &'static str)> {
    let is_merge = |key: &Node| key.scalar() == Some("<<");
    if !entries.iter().any(|(k, _)| is_merge(k) || is_extension(k)) {
        return Ok(entries);
    }
    let mut own = Vec::with_capacity(entries.len());
    let mut sources = Vec::new();
    for (key, value) in entries {
        if is_merge(&key) {
            match value.kind {
                Kind::Map(entries) => sources.push(entries),
                Kind::Seq(items) => {
                    for item in items {
                        match item.kind {
                            Kind::Map(entries) => sources.push(entries),
                            _ => {
                                return Err((
                                    item.at,
                                    "expected a mapping for merging, but found something else",
                                ));
                            }
                        }
                    }
                }
                Kind::Scalar(..) => {
                    return Err((
                        value.at,
                        "expected a mapping or list of mappings for merging, but found scalar",
                    ));
                }
            }
        } else if !is_extension(&key) {
            own.push((key, value));
        }
    }
    for entries in sources {
        for (key, value) in entries {
            let taken = own.iter().any(|(k, _): &(Node, Node)| same_key(k, &key));
            if !taken && !is_extension(&key) {
                own.push((key, value));
            }
        }
    }
    Ok(own)
}

fn is_extension(key: &Node) -> bool {
    key.scalar().is_some_and(|k| k.starts_with("x-"))
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Scalar(a, _), Kind::Scalar(b, _)) => a == b,
        _ => false,
    }
}

/// The node at `path` (`steps[2].restrict_key.ips`, `[0]`, or `` for the root) and, for a
/// mapping entry, its key. A key may hold a `.` (`a.b` is tried as the key `a.b` as well as
/// `a` then `b`).
pub(crate) fn find<'a>(root: &'a Node, path: &str) -> Option<(&'a Node, Option<&'a Node>)> {
    descend(root, path, None, true)
}

fn descend<'a>(
    node: &'a Node,
    rest: &str,
    key: Option<&'a Node>,
    root: bool,
) -> Option<(&'a Node, Option<&'a Node>)> {
    if rest.is_empty() {
        return Some((node, key));
    }
    if let Some(after) = rest.strip_prefix('[') {
        let (index, after) = after.split_once(']')?;
        let Kind::Seq(items) = &node.kind else {
            return None;
        };
        let item = items.get(index.parse::<usize>().ok()?)?;
        return descend(item, after, None, false);
    }
    let Kind::Map(entries) = &node.kind else {
        return None;
    };
    let rest = if root { rest } else { rest.strip_prefix('.')? };
    entries.iter().find_map(|(k, v)| {
        // A complex (non-scalar) key is not something our files use; its path says "?".
        let after = rest.strip_prefix(k.scalar().unwrap_or("?"))?;
        if after.is_empty() || after.starts_with(['.', '[']) {
            descend(v, after, Some(k), false)
        } else {
            None
        }
    })
}

/// How many texts this thread has parsed (tests count the parses of one command).
#[cfg(test)]
pub(crate) mod counter {
    use std::cell::Cell;

    thread_local! {
        static PARSES: Cell<usize> = const { Cell::new(0) };
    }

    pub(crate) fn bump() {
        PARSES.with(|n| n.set(n.get() + 1));
    }

    /// The parses so far on this thread.
    pub(crate) fn parses() -> usize {
        PARSES.with(Cell::get)
    }
}
