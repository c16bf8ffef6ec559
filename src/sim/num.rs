//! Decimal strings as exchanges send them.
//!
//! Prices and quantities travel as strings (`"0.01"`, `"50000"`). The simulator keeps the string a
//! client sent for display and computes with `f64`; computed values are printed with eight decimals
//! (up to twelve below 1, so a price like `0.0000021420` keeps its significant digits) and no
//! trailing zeros, so `0.1 + 0.2` never shows as `0.30000000000000004`.

/// Parses a positive, finite decimal string; `None` for anything else (sign, exponent, text).
pub(crate) fn parse_positive(s: &str) -> Option<f64> {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.matches('.').count() <= 1;
    let v: f64 = if plain { s.parse().ok()? } else { return None };
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Parses a positive, finite number written leniently (surrounding spaces, an exponent), as a
/// scenario file may hold it; `None` for anything else.
pub(crate) fn parse_lenient(s: &str) -> Option<f64> {
    let v: f64 = s.trim().parse().ok()?;
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Returns true when `done` has reached `target`, allowing float error of one part in a billion.
pub(crate) fn reached(done: f64, target: f64) -> bool {
    done >= target - target.abs() * 1e-9 - 1e-12
}

/// Formats `v` with eight decimals, or up to twelve below 1 so that eight significant digits
/// survive, trailing zeros removed (`"0"` for zero and for float dust under `1e-12`).
pub(crate) fn fmt(v: f64) -> String {
    let magnitude = if v.is_finite() && v != 0.0 {
        v.abs().log10().floor() as i32
    } else {
        0
    };
    let decimals = usize::try_from((7 - magnitude).clamp(8, 12)).unwrap_or(8);
    let s = format!("{v:.decimals$}");
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
    fn lenient_and_reached() {
        assert_eq!(parse_lenient(" 1e-3 "), Some(0.001));
        assert_eq!(parse_lenient("0"), None);
        assert!(reached(0.1 + 0.2, 0.3));
        assert!(!reached(0.299, 0.3));
    }

    #[test]
    fn fmt_cases() {
        assert_eq!(fmt(0.1 + 0.2), "0.3");
        assert_eq!(fmt(50000.0), "50000");
        assert_eq!(fmt(0.0), "0");
        assert_eq!(fmt(0.000_000_01), "0.00000001");
        assert_eq!(
            fmt(0.000_002_142),
            "0.000002142",
            "small prices keep their digits"
        );
        assert_eq!(fmt(0.3 - 0.1 - 0.2), "0", "dust is zero");
        assert_eq!(fmt(65_032.5), "65032.5");
    }
}
