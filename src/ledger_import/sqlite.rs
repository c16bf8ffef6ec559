//! Reading a bot's SQLite database, read-only, whatever version of the bot wrote it.
//!
//! Bots add columns over the years; a query names only columns the table has (a missing
//! optional one reads as NULL), so an older database imports with what it holds. The database is
//! opened read-only with a busy timeout: the bot may be running and writing to it.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::error::{Bad, ImportError};
use super::number;

/// An open database and the name it is reported under.
#[derive(Debug)]
pub struct Db {
    /// The connection.
    pub conn: Connection,
    /// The file, for messages.
    pub file: String,
}

impl Db {
    /// Opens `path` (reported as `file`) read-only; says which bot's database is expected
    /// when it is none.
    pub fn open(path: &Path, file: &str, what: &str) -> Result<Db, ImportError> {
        let file = file.to_owned();
        if !path.is_file() {
            return Err(ImportError::file(
                &file,
                "no such file",
                format!("give the path of {what}"),
            ));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            ImportError::file(
                &file,
                format!("cannot open as SQLite: {e}"),
                format!("give the path of {what}"),
            )
        })?;
        // A running bot holds write locks for moments at a time.
        let _ = conn.busy_timeout(Duration::from_secs(5));
        Ok(Db { conn, file })
    }

    /// The columns of `table`; an error naming the bot when there is no such table.
    pub fn columns(&self, table: &str, what: &str) -> Result<HashSet<String>, ImportError> {
        let fail = |e: rusqlite::Error| {
            ImportError::file(
                &self.file,
                format!("cannot read the database: {e}"),
                format!("give the path of {what}"),
            )
        };
        let mut statement = self
            .conn
            .prepare(&format!("PRAGMA table_info(\"{table}\")"))
            .map_err(fail)?;
        let columns: HashSet<String> = statement
            .query_map([], |row| row.get::<_, String>(1))
            .map_err(fail)?
            .collect::<Result<_, _>>()
            .map_err(fail)?;
        if columns.is_empty() {
            return Err(ImportError::file(
                &self.file,
                format!("the database has no `{table}` table"),
                format!("give the path of {what}"),
            ));
        }
        Ok(columns)
    }

    /// A query error, as an error about the file.
    pub fn failed(&self, e: &rusqlite::Error) -> ImportError {
        ImportError::file(
            &self.file,
            format!("cannot read the database: {e}"),
            "check that the file is a complete copy of the bot's database (copy it with \
             `sqlite3 SRC \".backup COPY\"` while the bot runs)",
        )
    }
}

/// `table.column`, or `NULL` when the table has no such column, for a SELECT list.
pub fn column_or_null(columns: &HashSet<String>, alias: &str, column: &str) -> String {
    if columns.contains(column) {
        format!("{alias}.\"{column}\"")
    } else {
        "NULL".to_owned()
    }
}

/// A stored value as text, blank for NULL.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Integer(n) => Some(n.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Text(t) => Some(t.clone()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A stored number as plain decimal text (a float as the shortest text that reads back as it).
pub fn decimal(value: &Value) -> Result<Option<String>, Bad> {
    match value {
        Value::Real(f) => number::from_f64(*f).map(Some),
        other => Ok(text(other)),
    }
}

/// A number stored as an integer scaled by `10^scale` (Hummingbot's `SqliteDecimal`); a column
/// declared FLOAT hands the same scaled value back as a float.
pub fn scaled(value: &Value, scale: u32) -> Result<Option<String>, Bad> {
    match value {
        Value::Null => Ok(None),
        Value::Integer(n) => Ok(Some(number::from_scaled(*n, scale))),
        Value::Real(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9e15 => {
            // Whole and under 2^53: the float holds the integer exactly.
            Ok(Some(number::from_scaled(*f as i64, scale)))
        }
        other => Err(Bad::new(
            format!(
                "`{}` is not a whole number of millionths",
                text(other).unwrap_or_default()
            ),
            "this column holds amounts times 10^6 as integers since Hummingbot's 2022 \
             database version; upgrade the bot once (it migrates the database) and import again",
        )),
    }
}
