//! Order times as sources write them, read into Unix milliseconds.
//!
//! RFC 3339 (`2026-11-27T10:00:00.000Z`, any offset); SQLAlchemy's SQLite `DATETIME` text
//! (`2026-11-27 10:00:00.123456`, freqtrade's dates, naive and in UTC); and Unix numbers, whose
//! unit is told by their size: below 10^11 seconds (up to the year 5138), below 10^14
//! milliseconds, below 10^17 microseconds, else nanoseconds. A time without an offset is read
//! as UTC: every bot this module reads stores UTC.

use chrono::NaiveDateTime;

use super::error::Bad;
use crate::clock;

/// Reads a time written as text.
pub fn parse(text: &str) -> Result<i64, Bad> {
    let text = text.trim();
    if let Some(ms) = clock::parse_rfc3339_ms(text) {
        return Ok(ms);
    }
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Ok(n) = text.parse::<f64>()
    {
        return from_number(n);
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc().timestamp_millis());
        }
    }
    Err(Bad::new(
        format!("`{text}` is not a time"),
        "write times as RFC 3339 (`2026-11-27T10:00:00Z`), `2026-11-27 10:00:00` (UTC) or \
         Unix seconds or milliseconds",
    ))
}

/// Reads a Unix time given as a number, its unit told by its size.
pub fn from_number(n: f64) -> Result<i64, Bad> {
    if !n.is_finite() || n < 0.0 {
        return Err(Bad::new(
            format!("`{n}` is not a time"),
            "write Unix times as positive seconds or milliseconds",
        ));
    }
    let ms = if n < 1e11 {
        n * 1e3
    } else if n < 1e14 {
        n
    } else if n < 1e17 {
        n / 1e3
    } else {
        n / 1e6
    };
    // A float-to-integer cast saturates: an absurd time stays absurd, never wraps.
    Ok(ms.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_form_reads_as_the_same_instant() {
        let ms = 1_764_237_600_123; // 2025-11-27T10:00:00.123Z
        let cases = [
            ("rfc 3339", "2025-11-27T10:00:00.123Z"),
            ("rfc 3339 offset", "2025-11-27T12:00:00.123+02:00"),
            ("sqlalchemy datetime", "2025-11-27 10:00:00.123000"),
            ("naive T", "2025-11-27T10:00:00.123"),
            ("unix ms", "1764237600123"),
            ("unix s with fraction", "1764237600.123"),
            ("unix us", "1764237600123000"),
            ("unix ns", "1764237600123000000"),
        ];
        for (label, text) in cases {
            assert_eq!(parse(text).unwrap(), ms, "{label}");
        }
        assert_eq!(parse("2025-11-27 10:00").unwrap(), 1_764_237_600_000);
        assert_eq!(parse("1764237600").unwrap(), 1_764_237_600_000);
        for junk in ["yesterday", "", "27/11/2025", "-5"] {
            let err = parse(junk).unwrap_err();
            assert!(err.message.contains("is not a time"), "{junk}: {err:?}");
        }
    }
}
