//! The incident report: what happened, when (local and exchange time), which orders were not
//! the owner's, and the journal hash that proves the record was not edited.
//!
//! [`Timeline`] is a pure function of the journal; the renderers turn it into Markdown for
//! people and exchange support, and JSON for tools. Key ids are masked; order ids are not
//! (support needs them).

pub mod content;
mod html;
mod html_chart;
pub mod incident;
mod json;
mod markdown;
mod merged;
mod timeline;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use timeline::{Entry, Timeline};

use crate::journal;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `report.json`.
    Json,
    /// `report.html`: one self-contained page with a timeline picture.
    Html,
}

impl Format {
    /// The format's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Json => "report.json",
            Format::Html => "report.html",
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The journal does not verify.
    #[error(transparent)]
    Journal(#[from] journal::VerifyError),
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    /// The files, by format.
    pub files: Vec<(Format, PathBuf)>,
    /// The last journal event covered.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// Renders a run folder's journal into reports beside it.
pub fn write(run_dir: &Path, formats: &[Format]) -> Result<Written, ReportError> {
    let verified = journal::verify(&run_dir.join(journal::FILE_NAME))?;
    let timeline = Timeline::from_events(&verified.events);
    let mut files = Vec::new();
    for format in formats {
        let text = match format {
            Format::Markdown => markdown::render(&timeline),
            Format::Json => json::render(&timeline),
            Format::Html => html::render(&timeline),
        };
        let path = run_dir.join(format.file_name());
        crate::private::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        files.push((*format, path));
    }
    Ok(Written {
        files,
        seq: timeline.journal.seq,
        hash: timeline.journal.hash.clone(),
    })
}
