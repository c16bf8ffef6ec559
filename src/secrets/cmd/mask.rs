//! What of a command's standard error may be shown: its first line, with every long token
//! masked.
//!
//! Why show anything: "not signed in" or "is not in the password store" is what tells a person
//! what to fix, and it is almost always the first line. Why mask: a password manager may echo
//! what it was given or found, and a failing script may print a secret. Exchange keys and
//! secrets are long runs of letters, digits and `+/=_-` (hex, base64, UUIDs with their hyphens),
//! so every run of 16 or more such characters is replaced; the rest of the output (more lines,
//! past 200 characters) is never kept. Short secrets (a passphrase a person chose) could slip
//! through the first line: keep them out of error messages, or out of `cmd:` scripts' stderr.

/// Runs of this many token characters or more are masked.
pub const MIN_RUN: usize = 16;

/// At most this many characters of the line are kept.
const MAX_CHARS: usize = 200;

/// What replaces a masked run.
const MASK: &str = "****";

/// The first line of `stderr`, cleaned of control characters, long tokens masked, shortened.
pub fn first_line(stderr: &[u8]) -> String {
    let end = stderr
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(stderr.len());
    let line = String::from_utf8_lossy(&stderr[..end]);
    let mut out = String::new();
    let mut run = String::new();
    for c in line.chars() {
        if is_token(c) {
            run.push(c);
            continue;
        }
        flush(&mut out, &mut run);
        out.push(if c.is_control() { ' ' } else { c });
    }
    flush(&mut out, &mut run);
    let out = out.trim();
    if out.chars().count() > MAX_CHARS {
        let cut: String = out.chars().take(MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        out.to_owned()
    }
}

fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-')
}

fn flush(out: &mut String, run: &mut String) {
    if run.chars().count() >= MIN_RUN {
        out.push_str(MASK);
    } else {
        out.push_str(run);
    }
    secrecy::zeroize::Zeroize::zeroize(run);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_line_and_masks_long_tokens() {
        let cases = [
            (
                "plain message",
                "error: not signed in\nmore\n",
                "error: not signed in",
            ),
            (
                "a 36-character secret",
                "bad secret Zk3x9QpL2mVn8RtY4wBc6HdJ1sFa7GeK5uNo: denied",
                "bad secret ****: denied",
            ),
            (
                "a UUID key keeps its hyphens in the run",
                "key 0b8a4c2e-1f3d-4e5a-9b7c-6d2f8e1a3c5b refused",
                "key **** refused",
            ),
            (
                "base64 with slashes",
                "secret=ab/cdEFgh+ij/KLmnop== leaked",
                "**** leaked",
            ),
            (
                "15 characters stay",
                "code ABCDEFGHIJKLMNO",
                "code ABCDEFGHIJKLMNO",
            ),
            ("16 go", "code ABCDEFGHIJKLMNOP", "code ****"),
            ("control characters", "a\tb\x1b[31mc\r", "a b [31mc"),
            ("nothing", "", ""),
            ("accents", "caf\u{e9}", "café"),
        ];
        for (label, stderr, shown) in cases {
            assert_eq!(first_line(stderr.as_bytes()), shown, "{label}");
        }
        assert_eq!(
            first_line(b"caf\xe9 au lait"),
            "caf\u{fffd} au lait",
            "not UTF-8"
        );
    }

    #[test]
    fn long_lines_are_cut() {
        let line = "word ".repeat(100);
        let shown = first_line(line.as_bytes());
        assert_eq!(shown.chars().count(), MAX_CHARS + 1);
        assert!(shown.ends_with('…'));
    }
}
