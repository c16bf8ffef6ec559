//! CSV with a header row and any delimiter: `,`, `;`, tab or `|`.
//!
//! The delimiter is `--delimiter` or, without it, the one of the four that occurs most often
//! outside quotes in the header line (a tie goes to `,`). Columns feed ledger fields by
//! `--map` or by their header names (`field.rs`). Quoting is RFC 4180 (the `csv` crate), a
//! byte-order mark is skipped, rows may be shorter than the header. An error names the line the
//! row starts on and the column by header and number.

use super::draft::{Cell, Draft, Origin};
use super::error::{At, Bad, ImportError, Place};
use super::field::{self, Field, Mapping};
use crate::venues::ExchangeId;

/// The delimiters sniffed, the default first.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Parses `--delimiter`: one character, or `tab` / `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() => Ok(t.as_bytes()[0]),
        _ => Err(format!(
            "`{text}` is not a one-character delimiter; use `,`, `;`, `|` or `tab`"
        )),
    }
}

/// The delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes.
pub fn sniff(header: &str) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = DELIMITERS.iter().position(|d| *d == byte) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Reads every row of `text`, handing each draft to `each`.
pub fn read(
    file: &str,
    text: &str,
    delimiter: Option<u8>,
    map: &[Mapping],
    each: &mut dyn FnMut(Result<Draft, ImportError>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((header_at, header_line)) =
        text.lines().enumerate().find(|(_, l)| !l.trim().is_empty())
    else {
        return Err(ImportError::file(
            file,
            "the file is empty",
            "give a CSV file with a header row and one order a row",
        ));
    };
    let delimiter = delimiter.unwrap_or_else(|| sniff(header_line));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let bad_csv = |e: &csv::Error| {
        let line = e.position().map_or(header_at + 1, |p| {
            usize::try_from(p.line()).unwrap_or(usize::MAX)
        });
        ImportError {
            file: file.to_owned(),
            at: At::Line(line),
            column: None,
            message: format!("not CSV: {e}"),
            hint: "check the quoting on that line (a quote inside a cell is written twice: `\"\"`)"
                .to_owned(),
        }
    };
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad_csv(&e))?
        .iter()
        .map(str::to_owned)
        .collect();
    let header_place = Place {
        file: file.to_owned(),
        at: At::Line(header_at + 1),
    };
    let listed = || {
        headers
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let columns = field::assign(&headers, map).map_err(|missing| {
        header_place.error(
            Some(&format!("`{missing}`")),
            Bad::new(
                "`--map` names a column the header does not have",
                format!(
                    "the header has {}{}",
                    listed(),
                    if headers.len() == 1 {
                        " (one column: is the delimiter right? `--delimiter` sets it)"
                    } else {
                        ""
                    }
                ),
            ),
        )
    })?;
    if !columns
        .iter()
        .any(|(f, _)| matches!(f, Field::OrderId | Field::ClientOrderId))
    {
        return Err(header_place.error(
            None,
            Bad::new(
                "no column holds the order id or the client order id",
                format!(
                    "name the column with `--map order_id=COLUMN` (or `client_order_id=`); \
                     the header has {}{}",
                    listed(),
                    if headers.len() == 1 {
                        " (one column: is the delimiter right? `--delimiter` sets it)"
                    } else {
                        ""
                    }
                ),
            ),
        ));
    }
    let label = |at: usize| format!("`{}` (column {})", headers[at], at + 1);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                each(Err(bad_csv(&e)))?;
                continue;
            }
        }
        let line = record
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut d = Draft::at(Place {
            file: file.to_owned(),
            at: At::Line(line),
        });
        for &(f, at) in &columns {
            let Some(cell) = record.get(at).and_then(|v| Cell::some(v, label(at))) else {
                continue;
            };
            match f {
                Field::OrderId => d.order_id = Some(cell),
                Field::ClientOrderId => d.client_order_id = Some(cell),
                Field::Symbol => d.symbol = Some(cell),
                Field::Category => d.category = Some(cell),
                Field::Side => d.side = Some(cell),
                Field::Qty => d.qty = Some(cell),
                Field::Price => d.price = Some(cell),
                Field::FilledQty => d.filled_qty = Some(cell),
                Field::Status => d.status = Some(cell),
                Field::CreatedAt => d.created_at = Some(cell),
                Field::UpdatedAt => d.updated_at = Some(cell),
                Field::OrderType => {
                    d.market_order = cell.text.trim().eq_ignore_ascii_case("market")
                }
                Field::Exchange => {
                    let name = cell.text.trim().to_owned();
                    d.origin = match ExchangeId::parse(&name) {
                        Some(venue) => Origin::Venue(venue),
                        None => Origin::Other(name),
                    };
                }
            }
        }
        each(Ok(d))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_tells_the_delimiter() {
        let cases = [
            ("comma", "order_id,symbol,qty", b','),
            ("semicolon", "order_id;symbol;qty", b';'),
            ("tab", "order_id\tsymbol\tqty", b'\t'),
            ("pipe", "order_id|symbol|qty", b'|'),
            ("quoted commas", "\"a,b\";\"c,d\";e", b';'),
            ("one column", "order_id", b','),
        ];
        for (label, header, want) in cases {
            assert_eq!(sniff(header), want, "{label}");
        }
        assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
        assert_eq!(parse_delimiter(";").unwrap(), b';');
        assert!(parse_delimiter(";;").is_err());
    }
}
