//! What a file or blob is to the scanner: text to read, or binary or too large to (counted and
//! said in the summary, never silently dropped).

/// Files and blobs larger than this are skipped (minified bundles and data dumps; a credential
/// file is small).
pub(crate) const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// How much of the start is looked at for a NUL byte, as git does to call a file binary.
const SNIFF: usize = 8000;

/// A file's or blob's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Content {
    /// Text (invalid UTF-8 replaced).
    Text(String),
    /// Binary (a NUL byte near the start).
    Binary,
    /// Over [`MAX_BYTES`].
    TooLarge,
}

impl Content {
    /// The content of `bytes`.
    pub(crate) fn of(bytes: &[u8]) -> Content {
        if bytes.len() as u64 > MAX_BYTES {
            Content::TooLarge
        } else if bytes[..bytes.len().min(SNIFF)].contains(&0) {
            Content::Binary
        } else {
            Content::Text(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

/// What was read, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Files on disk read.
    pub files: usize,
    /// Commits walked (`--git`).
    pub commits: usize,
    /// Distinct blobs of history read (`--git`).
    pub blobs: usize,
    /// Files and blobs skipped as binary.
    pub skipped_binary: usize,
    /// Files and blobs skipped as over the size limit.
    pub skipped_large: usize,
    /// Findings a baseline accepted (not shown).
    pub baselined: usize,
}

impl Counts {
    /// Counts one file or blob's content; its text when it is to be read.
    pub(crate) fn take(&mut self, content: Content) -> Option<String> {
        match content {
            Content::Text(text) => Some(text),
            Content::Binary => {
                self.skipped_binary += 1;
                None
            }
            Content::TooLarge => {
                self.skipped_large += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_bytes_are_binary_and_big_files_too_large() {
        assert_eq!(Content::of(b"a\0b"), Content::Binary);
        assert_eq!(Content::of(b"key = 1"), Content::Text("key = 1".into()));
        let big = vec![b'a'; (MAX_BYTES + 1) as usize];
        assert_eq!(Content::of(&big), Content::TooLarge);
    }
}
