//! Percent-encoding (RFC 3986) of query strings and form bodies, for the adapters that build
//! them and the simulator that reads them.
//!
//! One implementation on each side of the wire: a signature covers the bytes exactly as sent, so
//! five slightly different encoders would be five chances to sign one thing and send another.
//! Whether `+` means a space is the one thing a venue decides (form bodies say yes; OKX and
//! Bybit read their query strings literally), so the decoder is told.
//!
//! The client's encoder is the `percent-encoding` crate (already in the tree through `url`) with
//! RFC 3986's unreserved set. The decoder, which only the simulator uses, stays written here:
//! the crate's `percent_decode` passes a broken escape (`%G0`, a trailing `%4`) through as text
//! and has no `+` rule, while a venue refuses such a request, so the simulator must see it
//! (docs/crates.md).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Every byte but RFC 3986 §2.3's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is escaped.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a `+` stands for when decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plus {
    /// A space, as in `application/x-www-form-urlencoded`.
    Space,
    /// Itself.
    Literal,
}

/// Percent-encodes a name or value: every byte but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`) becomes `%XX` in uppercase hex, UTF-8 first for non-ASCII text.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, ESCAPED).to_string()
}

/// Decodes `%XX` escapes (and `+`, as told); `None` for a broken escape or a result that is
/// not UTF-8.
pub fn decode(text: &str, plus: Plus) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let high = hex_digit(*bytes.get(i + 1)?)?;
                let low = hex_digit(*bytes.get(i + 2)?)?;
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus == Plus::Space => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A hex digit's value; `None` for anything else (a sign included).
fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_stay_and_the_rest_is_escaped_in_uppercase() {
        assert_eq!(encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(encode("a b&c=d/e+f"), "a%20b%26c%3Dd%2Fe%2Bf");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(encode(""), "");
    }

    /// The crate's encoder against RFC 3986 §2.3 written out, for every ASCII character: the
    /// unreserved ones stay, every other becomes `%XX` in uppercase hex.
    #[test]
    fn every_ascii_character_is_escaped_exactly_as_rfc_3986_says() {
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            let unreserved = c.is_ascii_alphanumeric() || "-_.~".contains(c);
            let want = if unreserved {
                c.to_string()
            } else {
                format!("%{byte:02X}")
            };
            assert_eq!(encode(&c.to_string()), want, "{byte:#04x}");
        }
    }

    #[test]
    fn decoding_inverts_encoding() {
        for text in ["a b&c=d/e+f", "é ∑ 1", "", "%"] {
            assert_eq!(decode(&encode(text), Plus::Literal).as_deref(), Some(text));
            assert_eq!(decode(&encode(text), Plus::Space).as_deref(), Some(text));
        }
    }

    #[test]
    fn plus_is_a_space_only_when_told() {
        assert_eq!(decode("a+b%2B", Plus::Space).as_deref(), Some("a b+"));
        assert_eq!(decode("a+b%2B", Plus::Literal).as_deref(), Some("a+b+"));
    }

    #[test]
    fn broken_escapes_and_non_utf8_are_refused() {
        for broken in ["%", "%4", "%G0", "%+F", "%-1", "a%2", "%C3"] {
            assert_eq!(decode(broken, Plus::Space), None, "{broken}");
        }
        assert_eq!(decode("%c3%a9", Plus::Literal).as_deref(), Some("é"));
    }
}
