//! The baseline: findings someone has looked at and accepted (a test fixture, a revoked key
//! left in old history), by fingerprint, so that `scan` stays silent about them.
//!
//! The file holds fingerprints (a hash of path and line), the path and line for people, and
//! never a secret or the line's text. `--write-baseline` writes every current finding.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::finding::Finding;
use crate::error::Error;

/// One accepted finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Accepted {
    fingerprint: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    line: usize,
}

/// The file's shape.
#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    accepted: Vec<Accepted>,
}

/// Accepted fingerprints.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// Reads `path`; a file that does not exist accepts nothing.
    pub(crate) fn read(path: &Path) -> Result<Baseline, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Baseline::default());
            }
            Err(source) => {
                return Err(Error::Io {
                    what: "read the baseline",
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let file: File = serde_json::from_str(&text).map_err(|err| Error::Usage {
            message: format!("the baseline `{}` does not parse: {err}", path.display()),
            help: Some(
                "write it again with `lockdown scan --baseline FILE --write-baseline`".into(),
            ),
        })?;
        Ok(Baseline {
            fingerprints: file.accepted.into_iter().map(|a| a.fingerprint).collect(),
        })
    }

    /// Whether `finding` is accepted.
    pub(crate) fn accepts(&self, finding: &Finding) -> bool {
        self.fingerprints.contains(&finding.fingerprint)
    }

    /// Writes `findings` as the baseline at `path`.
    pub(crate) fn write(path: &PathBuf, findings: &[Finding]) -> Result<(), Error> {
        let mut accepted: Vec<Accepted> = findings
            .iter()
            .map(|f| Accepted {
                fingerprint: f.fingerprint.clone(),
                path: f.path.clone(),
                line: f.line,
            })
            .collect();
        accepted.sort_by(|a, b| {
            (&a.path, a.line, &a.fingerprint).cmp(&(&b.path, b.line, &b.fingerprint))
        });
        accepted.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        let text = serde_json::to_string_pretty(&File {
            version: 1,
            accepted,
        })
        .unwrap_or_default();
        std::fs::write(path, format!("{text}\n")).map_err(|source| Error::Io {
            what: "write the baseline",
            path: path.clone(),
            source,
        })
    }
}
