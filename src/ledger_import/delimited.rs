//! CSV with a header row and any delimiter: `,`, `;`, tab or `|`.
//!
//! The delimiter is `--delimiter` or, without it, the one of the four that occurs most often
//! outside quotes in the header line (a tie goes to `,`). Columns feed ledger fields by
//! `--map` or by their header names (`field.rs`). Quoting is RFC 4180 (the `csv` crate's parser,
//! fed line by line in `actions/ledger_csv.rs`), a byte-order mark is skipped, rows may be
//! shorter than the header. An error names the line the row starts on (blank lines counted) and
//! the column by header and number.

use super::draft::{Cell, Draft, Origin};
use super::error::{At, Bad, ImportError, Place};
use super::field::{self, Field, Mapping};
use crate::actions::ledger_csv::Rows;
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
    // Fed line by line so that every row keeps the line it starts on (blank lines and quoted
    // line breaks counted), as the diff's own reader places them.
    let mut reader = Rows::with_delimiter(delimiter);
    let mut lines = text.split_inclusive('\n').enumerate();
    let mut next_row = move || -> Option<(usize, Vec<String>)> {
        for (i, line) in lines.by_ref() {
            if let Some(row) = reader.feed(i + 1, line) {
                return Some((row.line, row.cells().map(str::to_owned).collect()));
            }
        }
        reader
            .finish()
            .map(|row| (row.line, row.cells().map(str::to_owned).collect()))
    };
    // The first row is the header (blank lines before it are passed over).
    let headers: Vec<String> = next_row().map(|(_, cells)| cells).unwrap_or_default();
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
    while let Some((line, record)) = next_row() {
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

#[cfg(test)]
mod import_tests {
    use crate::ledger_import::draft::Rules;
    use crate::ledger_import::error::At;
    use crate::ledger_import::field::parse_map;
    use crate::ledger_import::number::Comma;
    use crate::ledger_import::symbol::Style;
    use crate::ledger_import::{Format, ImportError, Imported, OnBad, Src, TextOptions, import};
    use crate::venues::ExchangeId;

    fn run(text: &str, comma: Comma, map: &[&str], on_bad: OnBad) -> Result<Imported, ImportError> {
        let rules = Rules {
            venue: Some(ExchangeId::Okx),
            category: None,
            comma,
            style: Style::Raw,
        };
        let map: Vec<String> = map.iter().map(|m| (*m).to_owned()).collect();
        import(
            Format::Csv,
            Src::Text(text),
            "orders.csv",
            &rules,
            &TextOptions {
                delimiter: None,
                map: parse_map(&map).unwrap(),
            },
            on_bad,
        )
    }

    fn lines(imported: &Imported) -> Vec<String> {
        imported.lines().map(str::to_owned).collect()
    }

    #[test]
    fn semicolons_with_decimal_commas_and_tabs_with_venue_headers() {
        // A spreadsheet export: `;`, decimal commas, a quoted cell, CCXT-style names.
        let semicolon = "\u{feff}id;clientOrderId;symbol;side;amount;price;status;datetime\n\
                         1001;\"grid;1\";BTC/USDT;buy;0,01;63000,5;open;2025-11-27 10:00:00\n\
                         \n\
                         1002;grid-2;BTC/USDT:USDT;SELL;1;64000;canceled;2025-11-27T11:00:00Z\n";
        let want = [
            r#"{"order_id":"1001","client_order_id":"grid;1","category":"spot","symbol":"BTC-USDT","side":"buy","qty":"0.01","price":"63000.5","status":"open","created_at":"2025-11-27T10:00:00.000Z"}"#,
            r#"{"order_id":"1002","client_order_id":"grid-2","category":"linear","symbol":"BTC-USDT-SWAP","side":"sell","qty":"1","price":"64000","status":"cancelled","created_at":"2025-11-27T11:00:00.000Z"}"#,
        ];
        assert_eq!(
            lines(&run(semicolon, Comma::Decimal, &[], OnBad::Stop).unwrap()),
            want
        );
        let err = run(semicolon, Comma::Refused, &[], OnBad::Stop).unwrap_err();
        assert_eq!(
            err.to_string(),
            "orders.csv:2: column `amount` (column 5): `0,01` has a comma"
        );
        assert!(err.hint.contains("--decimal-comma"), "{err:?}");

        // A venue's own export, tab-separated, with its own names and the venue's symbols.
        let tab = "Order ID\tClient Order ID\tInstrument ID\tSide\tSize\tPrice\tFilled\tState\tCreated Time\n\
                   6001\tgridvsuz8mgshq\tBTC-USDT\tbuy\t0.01\t63000\t0.004\tpartially_filled\t1764237600123\n";
        let want = [
            r#"{"order_id":"6001","client_order_id":"gridvsuz8mgshq","symbol":"BTC-USDT","side":"buy","qty":"0.01","price":"63000","filled_qty":"0.004","status":"partially_filled","created_at":"2025-11-27T10:00:00.123Z"}"#,
        ];
        let imported = run(tab, Comma::Refused, &[], OnBad::Stop).unwrap();
        assert_eq!(lines(&imported), want);
        crate::actions::ledger::Ledger::parse("x", &imported.text).unwrap();
    }

    /// A row after blank lines, and one after a cell with a line break in it, is named by the
    /// line it starts on; CRLF line breaks are line breaks.
    #[test]
    fn a_bad_row_is_named_by_the_line_it_starts_on() {
        let text = "Ref|Paar|Richtung\r\n\r\n1|\"BTC\r\nUSDT\"|buy\r\n\r\n\r\n2|BTC-USDT|long\r\n";
        let map = ["order_id=Ref,symbol=Paar,side=Richtung"];
        let err = run(text, Comma::Refused, &map, OnBad::Stop).unwrap_err();
        assert_eq!(err.at, At::Line(7), "{err}");
        assert_eq!(err.column.as_deref(), Some("`Richtung` (column 3)"));
    }

    #[test]
    fn columns_by_map_and_every_bad_row_named_or_skipped() {
        let text = "Ref|Paar|Richtung|Menge\n\
                    1|BTC-USDT|buy|0.01\n\
                    2|BTC-USDT|long|0.01\n\
                    3|BTC-USDT|sell|zwei\n\
                    4|BTC-USDT|sell|0.02\n";
        let map = ["order_id=Ref,symbol=Paar", "side=Richtung,qty=Menge"];
        let err = run(text, Comma::Refused, &map, OnBad::Stop).unwrap_err();
        assert_eq!(
            err.to_string(),
            "orders.csv:3: column `Richtung` (column 3): `long` is not buy or sell"
        );
        let imported = run(text, Comma::Refused, &map, OnBad::Skip).unwrap();
        assert_eq!((imported.read, imported.written), (4, 2));
        let skipped: Vec<(At, Option<String>)> = imported
            .skipped
            .iter()
            .map(|e| (e.at.clone(), e.column.clone()))
            .collect();
        assert_eq!(
            skipped,
            [
                (At::Line(3), Some("`Richtung` (column 3)".to_owned())),
                (At::Line(4), Some("`Menge` (column 4)".to_owned())),
            ]
        );
        // Without the map nothing names the order: the header line says what to do.
        let err = run(text, Comma::Refused, &[], OnBad::Stop).unwrap_err();
        assert_eq!(err.at, At::Line(1));
        assert!(err.hint.contains("--map order_id=COLUMN"), "{err:?}");
        assert!(err.hint.contains("`Ref`"), "{err:?}");
        // A mapped column the header lacks.
        let err = run(text, Comma::Refused, &["order_id=Referenz"], OnBad::Stop).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("`Referenz`"));
    }
}
