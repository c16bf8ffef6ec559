//! `--keys-file FILE`: the leaked key ids of an incident, one a line.
//!
//! A vendor breach comes with a list of keys. The file holds key ids only (never secrets: those
//! stay in the profile), one a line; `#` starts a comment, blank lines are skipped. A line that
//! is not one key id (spaces inside, control or non-ASCII characters, longer than a venue's ids)
//! is refused with `file:line` before anything is sent, like every other bad input.

use std::path::Path;

use crate::error::Error;
use crate::secret::KeyId;

/// The longest key id accepted (Binance's are 64 characters; OKX's are UUIDs).
const MAX_KEY_ID: usize = 128;

/// Reads the key ids of `path`, in file order.
pub fn read(path: &Path) -> Result<Vec<KeyId>, Error> {
    let text = crate::limits::read_file(path).map_err(|source| Error::Io {
        what: "read the keys file",
        path: path.to_owned(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses keys-file text; `name` is how errors name the file.
pub fn parse(name: &str, text: &str) -> Result<Vec<KeyId>, Error> {
    let mut keys = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(problem) = problem(line) {
            return Err(Error::Usage {
                message: format!("{name}:{}: {problem}", index + 1),
                help: Some(
                    "a keys file holds one key id a line (the id, never its secret); `#` starts a comment"
                        .into(),
                ),
            });
        }
        keys.push(KeyId::new(line.to_owned()));
    }
    if keys.is_empty() {
        return Err(Error::Usage {
            message: format!("{name}: no key id in the file"),
            help: Some("list the leaked keys' ids, one a line".into()),
        });
    }
    Ok(keys)
}

/// What is wrong with a line that should be one key id.
fn problem(line: &str) -> Option<String> {
    if line.split_whitespace().count() > 1 {
        return Some("a line holds one key id; this one holds several words".to_owned());
    }
    if !line.chars().all(|c| c.is_ascii_graphic()) {
        return Some("a key id is printable ASCII; this line holds other characters".to_owned());
    }
    if line.len() > MAX_KEY_ID {
        return Some(format!(
            "a key id is at most {MAX_KEY_ID} characters; this line has {}",
            line.len()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_skips_comments_and_blank_lines() {
        let keys = parse(
            "k.txt",
            "# the vendor's keys\n\nAAA111\n  BBB222  # grid bot\nCCC333\n",
        )
        .unwrap();
        let ids: Vec<&str> = keys.iter().map(KeyId::as_str).collect();
        assert_eq!(ids, ["AAA111", "BBB222", "CCC333"]);
    }

    #[test]
    fn a_bad_line_is_named_with_file_and_line() {
        let cases = [
            ("two words", "AAA\nBBB CCC\n", "k.txt:2:"),
            ("non-ascii", "# x\n\nAAA\nkéy\n", "k.txt:4:"),
            ("too long", &format!("{}\n", "x".repeat(200)), "k.txt:1:"),
        ];
        for (label, text, at) in cases {
            let err = parse("k.txt", text).unwrap_err().to_string();
            assert!(err.starts_with(at), "{label}: {err}");
        }
        let empty = parse("k.txt", "# nothing\n\n").unwrap_err().to_string();
        assert!(empty.contains("no key id"), "{empty}");
    }
}
