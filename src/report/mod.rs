//! The incident report: what happened, when (local and exchange time), which orders were not
//! the owner's, and the journal hash that proves the record was not edited.
//!
//! [`Timeline`] is a pure function of the journal; the renderers turn it into Markdown for
//! people and exchange support, and JSON for tools, and lockdown's own calls into the appendix
//! `calls.md`. Key and order ids are whole (support needs them; the terminal masks keys).
//! The `report` step writes the reports while the run is still going; once it is over,
//! [`rewrite`] renders them again so they show every step's end, their own included.

mod activity;
mod appendix;
pub mod cause;
pub mod content;
mod html;
mod html_chart;
pub mod incident;
mod json;
pub mod key_before;
mod markdown;
mod merged;
mod summary;
mod support;
mod timeline;
mod units;

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
    /// Every format, in the order they are written.
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Json, Format::Html];

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

/// Renders a run folder's journal into reports beside it, and the appendix of lockdown's
/// calls.
pub fn write(run_dir: &Path, formats: &[Format]) -> Result<Written, ReportError> {
    let verified = journal::verify(&run_dir.join(journal::FILE_NAME))?;
    write_events(run_dir, &verified.events, formats)
}

/// Renders the reports of a run that is over again, in the formats its last successful
/// `report` step wrote (the names of its outputs), so they show that step `ok` and the steps
/// after it. The journal is not written: report.json then names the seal, which `verify`
/// finds (`journal::witness`). `Ok(None)` when no `report` step succeeded.
pub fn rewrite(run_dir: &Path) -> Result<Option<Written>, ReportError> {
    use crate::journal::record::{Record, StepFinished};
    let verified = journal::verify(&run_dir.join(journal::FILE_NAME))?;
    let step = verified
        .events
        .iter()
        .filter_map(StepFinished::of)
        .rfind(|end| end.action == "report" && end.status == crate::engine::StepStatus::Ok);
    let Some(step) = step else {
        return Ok(None);
    };
    let formats: Vec<Format> = Format::ALL
        .into_iter()
        .filter(|format| step.outputs.contains_key(format.as_str()))
        .collect();
    if formats.is_empty() {
        return Ok(None);
    }
    write_events(run_dir, &verified.events, &formats).map(Some)
}

/// Renders `events` (the verified journal of `run_dir`) in `formats`, plus the appendix.
fn write_events(
    run_dir: &Path,
    events: &[journal::Event],
    formats: &[Format],
) -> Result<Written, ReportError> {
    let timeline = Timeline::from_run(events, run_dir);
    let mut files = Vec::new();
    let put = |path: PathBuf, text: String| {
        crate::private::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })
    };
    put(
        run_dir.join(content::APPENDIX_FILE),
        appendix::render(&timeline),
    )?;
    for format in formats {
        let text = match format {
            Format::Markdown => markdown::render(&timeline),
            Format::Json => json::render(&timeline),
            Format::Html => html::render(&timeline),
        };
        let path = run_dir.join(format.file_name());
        put(path.clone(), text)?;
        files.push((*format, path));
    }
    Ok(Written {
        files,
        seq: timeline.journal.seq,
        hash: timeline.journal.hash.clone(),
    })
}
