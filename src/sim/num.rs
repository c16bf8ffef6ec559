//! Decimal strings as exchanges send them.
//!
//! Prices and quantities travel as strings (`"0.01"`, `"50000"`). The simulator keeps the string a
//! client sent for display and computes with `f64`; computed values are printed with at most eight
//! decimals and no trailing zeros, so `0.1 + 0.2` never shows as `0.30000000000000004`.

/// Parses a positive, finite decimal string; `None` for anything else (sign, exponent, text).
pub(crate) fn parse_positive(s: &str) -> Option<f64> {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.matches('.').count() <= 1;
    let v: f64 = if plain { s.parse().ok()? } else { return None };
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Formats `v` with at most eight decimals, trailing zeros removed (`"0"` for zero).
pub(crate) fn fmt(v: f64) -> String {
    let s = format!("{v:.8}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" { "0".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_cases() {
        for (label, input, want) in [
            ("integer", "50000", Some(50000.0)),
            ("fraction", "0.01", Some(0.01)),
            ("zero", "0", None),
            ("negative", "-1", None),
            ("exponent", "1e3", None),
            ("two dots", "1.2.3", None),
            ("empty", "", None),
        ] {
            assert_eq!(parse_positive(input), want, "{label}");
        }
    }

    #[test]
    fn fmt_cases() {
        assert_eq!(fmt(0.1 + 0.2), "0.3");
        assert_eq!(fmt(50000.0), "50000");
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(0.000_000_01), "0.00000001");
    }
}
