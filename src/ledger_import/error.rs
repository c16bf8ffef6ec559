//! Why a source could not be imported, and exactly where: file, line or row, column.
//!
//! A bad row is the owner's to fix in their bot's export, so every error names the file, the
//! line (text formats) or the table and row key (SQLite), the column or field, what is wrong with
//! the value, and a hint saying what to do. Values quoted back are ids, symbols, numbers and
//! times from the owner's own file; a ledger holds no secret.

use std::fmt;

/// Where in a source a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// The source as a whole.
    File,
    /// A line of a text source, from 1.
    Line(usize),
    /// A row of a database table, by its key.
    Row {
        /// The table (`orders`, `Order`).
        table: &'static str,
        /// The row's key as the table names it (`id 12`).
        key: String,
    },
}

/// A problem with a source, a row of it, or the output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ImportError {
    /// The source file (or `-` for stdin).
    pub file: String,
    /// Where in it.
    pub at: At,
    /// The column or field, as the source names it (a CSV column also gets its number).
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl ImportError {
    /// A problem with the source as a whole.
    pub fn file(file: &str, message: impl Into<String>, hint: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_owned(),
            at: At::File,
            column: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn render(&self) -> String {
        let mut text = self.file.clone();
        match &self.at {
            At::File => {}
            At::Line(line) => text.push_str(&format!(":{line}")),
            At::Row { table, key } => text.push_str(&format!(": table `{table}`, row {key}")),
        }
        if let Some(column) = &self.column {
            text.push_str(&format!(": column {column}"));
        }
        text.push_str(": ");
        text.push_str(&self.message);
        text
    }
}

/// A problem found in one value, before the importer knows where the value came from: the
/// caller adds file, row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bad {
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl Bad {
    /// A problem and its hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Bad {
        Bad {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A place in a source that a [`Bad`] value is then pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The source file.
    pub file: String,
    /// Where in it.
    pub at: At,
}

impl Place {
    /// `bad` at this place, in `column`.
    pub fn error(&self, column: Option<&str>, bad: Bad) -> ImportError {
        ImportError {
            file: self.file.clone(),
            at: self.at.clone(),
            column: column.map(str::to_owned),
            message: bad.message,
            hint: bad.hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_place_and_column() {
        let cases = [
            (
                "whole file",
                "db.sqlite",
                At::File,
                None,
                "db.sqlite: no table",
            ),
            (
                "csv line",
                "x.csv",
                At::Line(7),
                Some("`qty` (column 5)"),
                "x.csv:7: column `qty` (column 5): no table",
            ),
            (
                "database row",
                "db.sqlite",
                At::Row {
                    table: "orders",
                    key: "id 3".into(),
                },
                Some("`side`"),
                "db.sqlite: table `orders`, row id 3: column `side`: no table",
            ),
        ];
        for (label, file, at, column, want) in cases {
            let place = Place {
                file: file.into(),
                at,
            };
            let err = place.error(column, Bad::new("no table", "make one"));
            assert_eq!(err.to_string(), want, "{label}");
            assert_eq!(err.hint, "make one", "{label}");
        }
    }
}
