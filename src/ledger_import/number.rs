//! Quantities and prices as plain decimal text, whatever form the source wrote them in.
//!
//! Bots write numbers as JSON numbers (`7.5e-6`), as SQLite floats, as Hummingbot's integers
//! scaled by 10^6, or as text with a decimal comma in a `;`-separated export. The ledger gets
//! one form: plain decimal digits, no exponent, no trailing zeros (`0.0000075`, `0.01`), the
//! form `exchanges::model::Amount` normalises to, so even a reader that compares text agrees.
//! Arithmetic is never done in floating point: a float from a database is written as the
//! shortest text that reads back as the same float, then handled as text.

use std::cmp::Ordering;

use super::error::Bad;

/// The largest exponent a number may carry (`1e400` would be 400 digits of zeros).
const MAX_EXPONENT: i64 = 64;

/// How a comma in a number is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Comma {
    /// A comma is an error (it may be a thousands separator or a decimal mark).
    #[default]
    Refused,
    /// A comma is the decimal mark (`0,01`), as in many European spreadsheet exports.
    Decimal,
}

/// Reads decimal text (`0.0100`, `.01`, `7.5e-6`, `+3`) into plain form (`0.01`, `0.01`,
/// `0.0000075`, `3`).
pub fn decimal(text: &str, comma: Comma) -> Result<String, Bad> {
    let raw = text.trim();
    let owned;
    let mut text = raw;
    if raw.contains(',') {
        if comma == Comma::Decimal && raw.matches(',').count() == 1 && !raw.contains('.') {
            owned = raw.replace(',', ".");
            text = &owned;
        } else {
            return Err(Bad::new(
                format!("`{raw}` has a comma"),
                "write numbers with a decimal point; when commas are the decimal mark \
                 (`0,01`), pass `--decimal-comma`",
            ));
        }
    }
    let not_a_number = || {
        Bad::new(
            format!("`{raw}` is not a decimal number"),
            "write quantities and prices as decimals such as `0.01` or `7.5e-6`",
        )
    };
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let exponent: i64 = unsigned[at + 1..].parse().map_err(|_| not_a_number())?;
            if exponent.abs() > MAX_EXPONENT {
                return Err(Bad::new(
                    format!("`{raw}` is out of range"),
                    "quantities and prices need fewer than 64 digits",
                ));
            }
            (&unsigned[..at], exponent)
        }
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not_a_number());
    }
    // All digits, and where the point goes after them.
    let digits: String = format!("{int}{frac}");
    let point = i64::try_from(int.len()).unwrap_or(i64::MAX) + exponent;
    Ok(plain(negative, &digits, point))
}

/// The digits `digits` with the decimal point after `point` of them (negative: zeros first).
fn plain(negative: bool, digits: &str, point: i64) -> String {
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let (int, frac) = if point <= 0 {
        (
            String::new(),
            "0".repeat(usize::try_from(-point).unwrap_or(0)) + digits,
        )
    } else if point >= len {
        (
            digits.to_owned() + &"0".repeat(usize::try_from(point - len).unwrap_or(0)),
            String::new(),
        )
    } else {
        let at = usize::try_from(point).unwrap_or(0);
        (digits[..at].to_owned(), digits[at..].to_owned())
    };
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if negative && !(int.is_empty() && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A float as plain decimal text: the shortest text that reads back as the same float (what
/// the bot meant when it stored `0.1`), never its binary expansion.
pub fn from_f64(value: f64) -> Result<String, Bad> {
    if !value.is_finite() {
        return Err(Bad::new(
            format!("`{value}` is not a number"),
            "the source stored an infinite or undefined quantity; fix or drop that order",
        ));
    }
    // `Display` for f64 is the shortest round-trip text and never uses an exponent.
    decimal(&value.to_string(), Comma::Refused)
}

/// An integer that stands for `value / 10^scale` (Hummingbot's `SqliteDecimal`).
pub fn from_scaled(value: i64, scale: u32) -> String {
    let digits = value.unsigned_abs().to_string();
    plain(
        value < 0,
        &digits,
        i64::try_from(digits.len()).unwrap_or(0) - i64::from(scale),
    )
}

/// Compares two plain decimals ([`decimal`]'s output) as numbers.
pub fn compare(a: &str, b: &str) -> Ordering {
    let sign = |s: &str| s.starts_with('-') && s != "-0";
    match (sign(a), sign(b)) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (true, true) => return compare(&b[1..], &a[1..]),
        (false, false) => {}
    }
    let (ai, af) = a.split_once('.').unwrap_or((a, ""));
    let (bi, bf) = b.split_once('.').unwrap_or((b, ""));
    let ai = ai.trim_start_matches('0');
    let bi = bi.trim_start_matches('0');
    ai.len()
        .cmp(&bi.len())
        .then_with(|| ai.cmp(bi))
        .then_with(|| {
            let width = af.len().max(bf.len());
            format!("{af:0<width$}").cmp(&format!("{bf:0<width$}"))
        })
}

/// Whether a plain decimal is zero.
pub fn is_zero(a: &str) -> bool {
    compare(a, "0") == Ordering::Equal
}

/// The sum of plain decimals, exactly.
pub fn sum<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    // Scaled to the longest fraction among them; 38 digits of i128 are plenty for quantities.
    let values: Vec<&str> = values.into_iter().collect();
    let scale = values
        .iter()
        .map(|v| v.split_once('.').map_or(0, |(_, f)| f.len()))
        .max()
        .unwrap_or(0);
    let mut total: i128 = 0;
    for v in values {
        let (negative, v) = v.strip_prefix('-').map_or((false, v), |rest| (true, rest));
        let (int, frac) = v.split_once('.').unwrap_or((v, ""));
        let text = format!("{int}{frac:0<scale$}");
        let n: i128 = text.parse().unwrap_or(0);
        total += if negative { -n } else { n };
    }
    let digits = total.unsigned_abs().to_string();
    plain(
        total < 0,
        &digits,
        i64::try_from(digits.len()).unwrap_or(0) - i64::try_from(scale).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_written_form_becomes_plain_decimal() {
        let cases = [
            ("trailing zeros", "0.0100", "0.01"),
            ("no leading digit", ".01", "0.01"),
            ("exponent", "7.5e-6", "0.0000075"),
            ("big exponent", "1.5E+3", "1500"),
            ("integer", "63000", "63000"),
            ("integer with point", "63000.", "63000"),
            ("leading zeros", "007.50", "7.5"),
            ("plus", "+3", "3"),
            ("negative", "-0.50", "-0.5"),
            ("negative zero", "-0.0", "0"),
            ("zero", "0", "0"),
            ("spaces", " 2.5 ", "2.5"),
        ];
        for (label, text, want) in cases {
            assert_eq!(decimal(text, Comma::Refused).unwrap(), want, "{label}");
        }
    }

    #[test]
    fn commas_and_junk_are_refused_with_a_hint() {
        let err = decimal("0,01", Comma::Refused).unwrap_err();
        assert!(err.hint.contains("--decimal-comma"), "{err:?}");
        assert_eq!(decimal("0,01", Comma::Decimal).unwrap(), "0.01");
        assert!(decimal("1,000.5", Comma::Decimal).is_err());
        for junk in ["", ".", "abc", "1e", "1.2.3", "NaN", "1e999", "--1", "0x10"] {
            assert!(decimal(junk, Comma::Refused).is_err(), "{junk}");
        }
    }

    #[test]
    fn floats_scaled_integers_sums_and_comparisons() {
        assert_eq!(from_f64(0.1).unwrap(), "0.1");
        assert_eq!(from_f64(7.5e-6).unwrap(), "0.0000075");
        assert_eq!(from_f64(63000.0).unwrap(), "63000");
        assert!(from_f64(f64::NAN).is_err());
        assert_eq!(from_scaled(10_000, 6), "0.01");
        assert_eq!(from_scaled(63_000_000_000, 6), "63000");
        assert_eq!(from_scaled(1, 6), "0.000001");
        assert_eq!(from_scaled(0, 6), "0");
        assert_eq!(sum(["0.1", "0.2"]), "0.3");
        assert_eq!(sum(["1", "0.005", "2.5"]), "3.505");
        assert_eq!(sum([]), "0");
        assert_eq!(compare("0.01", "0.010"), Ordering::Equal);
        assert_eq!(compare("0.3", "0.25"), Ordering::Greater);
        assert_eq!(compare("10", "9.99"), Ordering::Greater);
        assert_eq!(compare("-1", "0"), Ordering::Less);
        assert!(is_zero("0"));
        assert!(!is_zero("0.000001"));
    }
}
