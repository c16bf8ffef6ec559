//! Candidate tokens of a line, and the entropy check that keeps ordinary text quiet.
//!
//! Every venue's generated key ids and secrets are runs of `[A-Za-z0-9+/_-]`, base64 ones ending
//! in up to two `=` (docs/scan.md): a line is cut into such runs and nothing else is ever
//! compared. `=` inside a run ends it, so `BYBIT_API_KEY=abc` gives `BYBIT_API_KEY` and `abc`.

/// One candidate token: where it starts in its line (bytes) and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// Byte offset in the line.
    pub(crate) at: usize,
    /// The text.
    pub(crate) text: &'a str,
}

fn is_body(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-')
}

/// The tokens of `line`, each at least `min` bytes long.
pub(crate) fn tokens(line: &str, min: usize) -> Vec<Token<'_>> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_body(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_body(bytes[i]) {
            i += 1;
        }
        // Base64 padding: up to two `=` that end the run (not an assignment's `=`).
        let mut end = i;
        let mut pad = 0;
        while pad < 2 && end < bytes.len() && bytes[end] == b'=' {
            end += 1;
            pad += 1;
        }
        if pad > 0 && end < bytes.len() && (is_body(bytes[end]) || bytes[end] == b'=') {
            end = i;
        }
        if end - start >= min {
            out.push(Token {
                at: start,
                text: &line[start..end],
            });
        }
        i = end.max(i);
    }
    out
}

/// Shannon entropy of `text` in bits per character.
pub(crate) fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = text.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `text` looks random enough to be a generated credential of its length: a floor on
/// bits per character that grows with the length (a random 18-character alphanumeric string
/// has about 3.9, a 64-character one about 5.3; `xxxx` placeholders, repeated patterns and
/// short hex stay under). Placeholders made of words are the patterns' to refuse.
pub(crate) fn random_enough(text: &str) -> bool {
    let floor = match text.len() {
        0..=15 => 2.8,
        16..=23 => 3.3,
        24..=39 => 3.8,
        40..=59 => 4.3,
        _ => 4.6,
    };
    entropy(text) >= floor
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::facts::text::mixed;

    #[test]
    fn a_line_is_cut_into_runs_with_base64_padding_kept() {
        let texts = |line: &str| -> Vec<String> {
            tokens(line, 1).iter().map(|t| t.text.to_owned()).collect()
        };
        for (label, line, want) in [
            ("env", "BYBIT_API_KEY=abc", vec!["BYBIT_API_KEY", "abc"]),
            ("padded", "k: \"YWJj==\"", vec!["k", "YWJj=="]),
            ("assignment after padding", "a==b", vec!["a", "b"]),
            ("yaml", "  secret: ab+/c_d-e", vec!["secret", "ab+/c_d-e"]),
            ("dots split", "a.b", vec!["a", "b"]),
        ] {
            assert_eq!(texts(line), want, "{label}");
        }
        assert_eq!(tokens("x = abcdef", 4)[0].at, 4);
    }

    #[test]
    fn random_credentials_pass_and_repeated_patterns_do_not() {
        for (label, text, random) in [
            ("bybit id", "Ab3dE5fG7hJ9kL1mN2", true),
            ("bybit secret", "q8Xw2Lr5Tz9Kp3Vn7Bc1Md4Hs6Jf0Gy8Ue2W", true),
            ("repeated pattern", "abcabcabcabcabcabcabc", false),
            ("xs", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false),
            ("repeated hex", "deadbeefdeadbeefdeadbeef", false),
        ] {
            assert_eq!(random_enough(text), random, "{label}: {}", entropy(text));
        }
        assert!(mixed("Ab3"));
        assert!(!mixed("deadbeef0123"));
    }
}
