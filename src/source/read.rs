//! Reading a whole file into a type, every problem at once.
//!
//! serde stops at its first error. An unknown key is the most common problem (a typo), so each
//! one is reported with a did-you-mean from the keys its place accepts, and then read as the
//! name meant (so its value is still checked and nothing says the meant key is missing) or left
//! out of a copy of the tree, and the tree read again: the text is parsed once whatever happens.

use serde::de::DeserializeOwned;

use super::de::{De, Error};
use super::tree::{Kind, Node};
use super::{Problem, Problems, Source, Span};

/// How many problems one file reports at most before it stops looking.
const MAX_PROBLEMS: usize = 50;

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

/// Reads `root` as a `T`; an error comes with its message prefixed by its path, as serde_yaml
/// words it (`profiles.a: unknown field ...`).
pub(super) fn read<T: DeserializeOwned>(root: &Node) -> Result<T, Error> {
    serde_path_to_error::deserialize::<_, T>(De::new(root)).map_err(|err| {
        let mut path = err.path().iter().collect::<Vec<_>>();
        if err.inner().in_key {
            path.pop();
        }
        let path = path_of(&path);
        let mut inner = err.into_inner();
        if !path.is_empty() {
            inner.message = format!("{path}: {}", inner.message);
        }
        inner
    })
}

/// `steps[2].retry`, as serde_yaml names a place: a tagged enum's variant is no step of it.
fn path_of(path: &[&serde_path_to_error::Segment]) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } => {}
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    out
}

impl Source {
    /// Deserializes the file, reporting every unknown key at once (each with a did-you-mean from
    /// the keys that place accepts) and then the first other problem. `hint` gives each problem
    /// its help from its message.
    ///
    /// YAML merge keys (`<<: *defaults`) are applied, and keys that start with `x-` (a place for
    /// anchors, as in Compose files) are ignored, at every level.
    pub fn parse_all<T: DeserializeOwned>(
        &self,
        hint: impl Fn(&str) -> Option<String>,
    ) -> Result<T, Problems> {
        let root = match self.tree() {
            Ok(root) => root,
            Err(syntax) => {
                let problem = self.problem(syntax.at, syntax.message.clone());
                let problem = match hint(problem.message()) {
                    Some(help) => problem.help(help),
                    None => problem,
                };
                return Err(self.problems(vec![problem]));
            }
        };
        let mut err = match read::<T>(root) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        // Typos are read past in a copy, made at the first: the tree is shared with the file's
        // other readers.
        let mut copy: Option<Node> = None;
        let mut problems = Vec::new();
        loop {
            let mut problem = self.problem(err.at, err.message.clone());
            let unknown = unknown_field(problem.message());
            let message = problem.message().to_owned();
            let mut meant = None;
            let help = match &unknown {
                Some((name, expected)) => {
                    let names = expected.iter().map(String::as_str);
                    let mean = did_you_mean(name, names.clone());
                    if mean.is_some() {
                        meant = names.min_by_key(|n| strsim::osa_distance(name, n));
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
            problems.push(problem);
            let read_past = match (&unknown, err.at) {
                (Some((name, _)), Some(at)) if problems.len() < MAX_PROBLEMS => {
                    read_past(copy.get_or_insert_with(|| root.clone()), at, name, meant)
                }
                _ => false,
            };
            let Some(copy) = copy.as_ref().filter(|_| read_past) else {
                break;
            };
            err = match read::<T>(copy) {
                Ok(_) => break,
                Err(err) => err,
            };
        }
        Err(self.problems(problems))
    }

    pub(super) fn problems(&self, problems: Vec<Problem>) -> Problems {
        Problems {
            file: self.name.clone(),
            problems,
        }
    }
}

/// Reads past the unknown key `name` written at `at`, in every mapping that holds it (a key
/// merged into several mappings is one typo): renamed to `meant` where that mapping has no
/// `meant` yet, else left out. False when no such key is found.
fn read_past(node: &mut Node, at: Span, name: &str, meant: Option<&str>) -> bool {
    match &mut node.kind {
        Kind::Scalar(..) => false,
        Kind::Seq(items) => items.iter_mut().fold(false, |found, item| {
            read_past(item, at, name, meant) | found
        }),
        Kind::Map(entries) => {
            let here = entries
                .iter()
                .position(|(k, _)| k.at.offset == at.offset && k.scalar() == Some(name));
            let mut found = false;
            if let Some(i) = here {
                found = true;
                let free = meant.filter(|m| !entries.iter().any(|(k, _)| k.scalar() == Some(*m)));
                match free {
                    Some(meant) => {
                        if let Kind::Scalar(text, _) = &mut entries[i].0.kind {
                            *text = meant.into();
                        }
                    }
                    None => {
                        entries.remove(i);
                    }
                }
            }
            entries.iter_mut().fold(found, |found, (_, value)| {
                read_past(value, at, name, meant) | found
            })
        }
    }
}

/// `unknown variant `x`, expected one of `a`, `b``: the name and the list.
fn unknown_variant(message: &str) -> Option<(String, Vec<String>)> {
    let (_, rest) = message.split_once("unknown variant `")?;
    unknown_field(&format!("unknown field `{rest}"))
}

/// `unknown field `x`, expected one of `a`, `b`` (or `expected `a``): the name and the list.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    // The path comes first (`profiles.a: unknown field …`).
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::super::Source;
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
