//! CSV rows fed one line at a time, each row with the line it starts on: the known-orders
//! ledger's reader, `ledger check` and `ledger import --from csv` read CSV through this.
//!
//! The ledger is read line by line (it may hold millions of lines, and its first line says
//! whether it is JSON Lines or CSV), and an error must name the line a bad row starts on. The
//! `csv` crate's `Reader` pulls from its own buffer and skips blank lines after it has noted a
//! row's position, so a row after a blank line would be placed on that blank line. Its parser,
//! `csv-core`, has no I/O of its own: it is fed each line here, so quoting is RFC 4180 exactly as
//! the `csv` crate reads it (a quoted cell may hold commas, `""` and line breaks) and the line
//! numbers stay the caller's.
//!
//! Only `\n` ends a row, and `\r\n` is read as `\n` (a lone `\r` is text), so a line the
//! caller reads is at most one row.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder, Terminator};

/// A CSV reader fed line by line.
#[derive(Debug)]
pub struct Rows {
    core: Reader,
    /// The unquoted cells of the row being read, back to back.
    out: Vec<u8>,
    /// Where each cell of the row being read ends in `out`.
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// The line the row being read started on; `None` between rows.
    start: Option<usize>,
    /// The last line fed.
    last: usize,
}

/// One row: the line it starts on and its cells, unquoted, untrimmed.
#[derive(Debug)]
pub struct Row<'a> {
    /// The line the row starts on (from 1, as the caller numbers them).
    pub line: usize,
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Row<'a> {
    /// The cells in order.
    pub fn cells(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let text = self.text;
        let mut from = 0;
        self.ends.iter().map(move |&end| {
            let cell = text.get(from..end).unwrap_or_default();
            from = end;
            cell
        })
    }

    /// Whether every cell is blank (a line of spaces is no row).
    pub fn is_blank(&self) -> bool {
        self.cells().all(|c| c.trim().is_empty())
    }
}

impl Default for Rows {
    fn default() -> Rows {
        Rows::new()
    }
}

impl Rows {
    /// A reader for `,`-separated rows with `"` quoting.
    pub fn new() -> Rows {
        Rows::with_delimiter(b',')
    }

    /// A reader for rows separated by `delimiter` (`ledger import --from csv` takes `;`, tab
    /// and `|` too), with `"` quoting.
    pub fn with_delimiter(delimiter: u8) -> Rows {
        Rows {
            core: ReaderBuilder::new()
                .delimiter(delimiter)
                .terminator(Terminator::Any(b'\n'))
                .build(),
            out: vec![0; 256],
            ends: vec![0; 16],
            out_len: 0,
            ends_len: 0,
            start: None,
            last: 0,
        }
    }

    /// Feeds line `number`, with its `\n` as `BufRead::read_line` leaves it; returns the row it
    /// ends, if it ends one (a quoted cell may go on over several lines).
    pub fn feed(&mut self, number: usize, line: &str) -> Option<Row<'_>> {
        // Between rows the parser passes over an empty line, so a row starts on the first line
        // that is not empty.
        if self.start.is_none() && line != "\n" && line != "\r\n" {
            self.start = Some(number);
        }
        self.last = number;
        // `\r\n` is read as `\n`; the text before it cannot end a row (only `\n` does), and an
        // empty input would tell the parser the data has ended, so it is fed only when there is
        // some.
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body.strip_suffix('\r').unwrap_or(body), true),
            None => (line, false),
        };
        let ended =
            (!body.is_empty() && self.parse(body.as_bytes())) || (newline && self.parse(b"\n"));
        ended.then(|| self.take())
    }

    /// Ends the input: the row a last line without a line break left open, if any.
    pub fn finish(&mut self) -> Option<Row<'_>> {
        self.parse(&[]).then(|| self.take())
    }

    /// Runs the parser over `input` (empty: the end of the input); true when a row ended.
    fn parse(&mut self, mut input: &[u8]) -> bool {
        loop {
            let (result, read, wrote, ended) = self.core.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.out_len += wrote;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return false,
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => return true,
            }
        }
    }

    /// The row just ended; the next one starts empty.
    fn take(&mut self) -> Row<'_> {
        let out_len = std::mem::take(&mut self.out_len);
        let ends_len = std::mem::take(&mut self.ends_len);
        // The lines are text and the parser only removes ASCII quotes, so the cells are text.
        let text = std::str::from_utf8(&self.out[..out_len]).unwrap_or_default();
        Row {
            line: self.start.take().unwrap_or(self.last),
            text,
            ends: &self.ends[..ends_len],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of `text` fed line by line, as (line, cells).
    fn rows(text: &str) -> Vec<(usize, Vec<String>)> {
        let mut reader = Rows::new();
        let mut out = Vec::new();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            if let Some(row) = reader.feed(i + 1, line) {
                out.push((row.line, row.cells().map(str::to_owned).collect()));
            }
        }
        if let Some(row) = reader.finish() {
            out.push((row.line, row.cells().map(str::to_owned).collect()));
        }
        out
    }

    fn cells(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn quoted_cells_hold_commas_quotes_and_line_breaks() {
        let got = rows("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\n\"two\nlines\",2,3");
        assert_eq!(
            got,
            vec![
                (1, cells(&["a", "b", "c"])),
                (2, cells(&["x,1", "say \"hi\"", ""])),
                (3, cells(&["two\nlines", "2", "3"])),
            ]
        );
    }

    #[test]
    fn a_row_after_blank_lines_is_on_its_own_line() {
        let got = rows("h\n\n\nr1\n  \n\"q\n\nq\"\nr3\n");
        assert_eq!(
            got,
            vec![
                (1, cells(&["h"])),
                (4, cells(&["r1"])),
                (5, cells(&["  "])),
                (6, cells(&["q\n\nq"])),
                (9, cells(&["r3"])),
            ]
        );
    }

    #[test]
    fn crlf_ends_a_row_as_lf_does_and_a_lone_cr_is_text() {
        let got = rows("a,b\r\n\r\n1,\"2\"\r\nx\ry,z\r\n\"q\r\nr\"\r\n;\r");
        assert_eq!(
            got,
            vec![
                (1, cells(&["a", "b"])),
                (3, cells(&["1", "2"])),
                (4, cells(&["x\ry", "z"])),
                (5, cells(&["q\nr"])),
                (7, cells(&[";\r"])),
            ]
        );
        let mut semicolons = Rows::with_delimiter(b';');
        let row = semicolons.feed(1, "a;\"b;c\"\r\n").unwrap();
        assert_eq!(row.cells().collect::<Vec<_>>(), ["a", "b;c"]);
    }

    #[test]
    fn a_long_row_grows_the_buffers() {
        let long = "x".repeat(5000);
        let line = vec![long.as_str(); 40].join(",");
        let got = rows(&format!("{line}\n"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.len(), 40);
        assert!(got[0].1.iter().all(|c| *c == long));
    }
}
