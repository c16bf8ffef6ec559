//! A serde `Deserializer` over the positioned tree ([`super::tree`]), reading values exactly as
//! serde_yaml reads them from text, so that a file parsed once can give every section.
//!
//! The rules are serde_yaml's (0.9 and its `yaml_serde` fork): a plain scalar is resolved only
//! when the target asks for "any" value (`~`, `null` and empty are null; `true`/`True`/`TRUE` and
//! the `false`s are booleans; decimal, `0x`, `0o`, `0b` integers; floats with `.inf`/`.nan`),
//! while a string target takes any scalar's text as written (`account: 123456789` is the string
//! `123456789`); a quoted or block scalar is always a string; an enum is a plain scalar (a unit
//! variant) or a node with a local tag (`!Variant`). An error keeps the place of the node it is
//! about, the innermost one.

use std::fmt;
use std::num::ParseIntError;

use serde::de::{self, DeserializeSeed, Unexpected, Visitor};

use super::Span;
use super::tree::{Kind, Node};

/// A value that does not fit its place, with the place of the node it is about.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) message: String,
    pub(crate) at: Option<Span>,
    /// Raised by a mapping key (an unknown field): its place is the key, its path the mapping's.
    pub(crate) in_key: bool,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            at: None,
            in_key: false,
        }
    }
}

impl Error {
    /// Places an error that has no place yet at `at` (the innermost node places it first).
    fn at(mut self, at: Span) -> Error {
        self.at.get_or_insert(at);
        self
    }
}

type Result<T> = std::result::Result<T, Error>;

/// Deserializes from one node.
pub(crate) struct De<'de> {
    node: &'de Node,
    /// Inside a tagged enum's content: its tag was read as the variant already.
    tagged: bool,
}

impl<'de> De<'de> {
    pub(crate) fn new(node: &'de Node) -> De<'de> {
        De {
            node,
            tagged: false,
        }
    }

    /// The enum tag to read, if any.
    fn tag(&self) -> Option<&'de str> {
        if self.tagged {
            None
        } else {
            self.node.tag.as_deref()
        }
    }

    /// What the node is, as a type error names it.
    fn unexpected(&self) -> Unexpected<'de> {
        match &self.node.kind {
            Kind::Seq(_) => Unexpected::Seq,
            Kind::Map(_) => Unexpected::Map,
            Kind::Scalar(text, _) => match self.node.plain() {
                Some(plain) => resolved(plain),
                None => Unexpected::Str(text),
            },
        }
    }

    fn invalid_type(&self, expected: &dyn de::Expected) -> Error {
        de::Error::invalid_type(self.unexpected(), expected)
    }

    /// A plain scalar that is empty or null.
    fn is_null(&self) -> bool {
        self.node
            .plain()
            .is_some_and(|text| text.is_empty() || is_null(text))
    }
}

fn is_null(text: &str) -> bool {
    matches!(text, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Leading zeros then digits (`0123`): a string in YAML 1.2, not an octal or decimal number.
fn digits_but_not_number(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    text.len() > 1 && text.starts_with('0') && text[1..].bytes().all(|b| b.is_ascii_digit())
}

/// An integer in `radix` after a `0x`/`0o`/`0b` prefix, the sign kept in front.
fn prefixed<T>(
    text: &str,
    parse: fn(&str, u32) -> std::result::Result<T, ParseIntError>,
    signed: bool,
) -> Option<T> {
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => ("", &text[1..]),
        Some(b'-') if signed => ("-", &text[1..]),
        Some(b'-') => return None,
        _ => ("", text),
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            return parse(&format!("{sign}{digits}"), radix).ok();
        }
    }
    None
}

/// An integer as serde_yaml reads one, for any integer type.
fn parse_int<T>(
    text: &str,
    parse: fn(&str, u32) -> std::result::Result<T, ParseIntError>,
    signed: bool,
) -> Option<T> {
    if text.starts_with("++") || text.starts_with("+-") {
        return None;
    }
    let unsigned_has_sign = !signed && text.strip_prefix('+').unwrap_or(text).starts_with('-');
    if unsigned_has_sign {
        return None;
    }
    if let Some(int) = prefixed(text, parse, signed) {
        return Some(int);
    }
    if digits_but_not_number(text) {
        return None;
    }
    parse(text.strip_prefix('+').unwrap_or(text), 10).ok()
}

fn parse_f64(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    match text {
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// What a plain scalar resolves to, for messages.
fn resolved(text: &str) -> Unexpected<'_> {
    if text.is_empty() || is_null(text) {
        Unexpected::Unit
    } else if let Some(b) = parse_bool(text) {
        Unexpected::Bool(b)
    } else if let Some(n) = parse_int(text, u64::from_str_radix, false) {
        Unexpected::Unsigned(n)
    } else if let Some(n) = parse_int(text, i64::from_str_radix, true) {
        Unexpected::Signed(n)
    } else if let Some(f) = (!digits_but_not_number(text))
        .then(|| parse_f64(text))
        .flatten()
    {
        Unexpected::Float(f)
    } else {
        Unexpected::Str(text)
    }
}

/// Visits a plain scalar as the value it resolves to.
fn visit_plain<'de, V: Visitor<'de>>(text: &'de str, visitor: V) -> Result<V::Value> {
    if text.is_empty() || is_null(text) {
        return visitor.visit_unit();
    }
    if let Some(b) = parse_bool(text) {
        return visitor.visit_bool(b);
    }
    if let Some(n) = parse_int(text, u64::from_str_radix, false) {
        return visitor.visit_u64(n);
    }
    if let Some(n) = parse_int(text, i64::from_str_radix, true) {
        return visitor.visit_i64(n);
    }
    if let Some(n) = parse_int(text, u128::from_str_radix, false) {
        return visitor.visit_u128(n);
    }
    if let Some(n) = parse_int(text, i128::from_str_radix, true) {
        return visitor.visit_i128(n);
    }
    if !digits_but_not_number(text)
        && let Some(f) = parse_f64(text)
    {
        return visitor.visit_f64(f);
    }
    visitor.visit_borrowed_str(text)
}

macro_rules! integer {
    ($($method:ident $visit:ident $ty:ty, $signed:expr;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let at = self.node.at;
            match self.node.plain().and_then(|t| parse_int(t, <$ty>::from_str_radix, $signed)) {
                Some(n) => visitor.$visit(n),
                None => Err(self.invalid_type(&visitor)),
            }
            .map_err(|e| e.at(at))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        if let Some(tag) = self.tag() {
            return visitor
                .visit_enum(Tagged { de: self, tag })
                .map_err(|e| e.at(at));
        }
        match &self.node.kind {
            Kind::Scalar(text, _) => match self.node.plain() {
                Some(plain) => visit_plain(plain, visitor),
                None => visitor.visit_borrowed_str(text),
            },
            Kind::Seq(items) => visit_seq(items, visitor),
            Kind::Map(entries) => visit_map(entries, visitor),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match self.node.plain().and_then(parse_bool) {
            Some(b) => visitor.visit_bool(b),
            None => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    // The narrow integers are read as 64-bit ones, and their visitors refuse what does not fit
    // ("invalid value: integer `256`, expected u8"), as in serde_yaml.
    integer! {
        deserialize_i8 visit_i64 i64, true;
        deserialize_i16 visit_i64 i64, true;
        deserialize_i32 visit_i64 i64, true;
        deserialize_i64 visit_i64 i64, true;
        deserialize_i128 visit_i128 i128, true;
        deserialize_u8 visit_u64 u64, false;
        deserialize_u16 visit_u64 u64, false;
        deserialize_u32 visit_u64 u64, false;
        deserialize_u64 visit_u64 u64, false;
        deserialize_u128 visit_u128 u128, false;
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match self.node.plain().and_then(parse_f64) {
            Some(f) => visitor.visit_f64(f),
            None => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match &self.node.kind {
            Kind::Scalar(text, _) => visitor.visit_borrowed_str(text),
            _ => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        Err(<Error as de::Error>::custom(
            "serialization and deserialization of bytes in YAML is not implemented",
        )
        .at(self.node.at))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        // A tagged node is a value, whatever it says.
        if self.tag().is_none() && self.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match &self.node.kind {
            Kind::Scalar(..) if self.is_null() => visitor.visit_unit(),
            Kind::Scalar(text, _) => Err(de::Error::invalid_value(Unexpected::Str(text), &"null")),
            _ => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        let at = self.node.at;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(at))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match &self.node.kind {
            Kind::Seq(items) => visit_seq(items, visitor),
            // An empty plain scalar (`steps:`) is an empty list.
            Kind::Scalar(..) if self.node.plain() == Some("") => visit_seq(&[], visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.node.at;
        match &self.node.kind {
            Kind::Map(entries) => visit_map(entries, visitor),
            // An empty plain scalar (`inputs:`) is an empty mapping.
            Kind::Scalar(..) if self.node.plain() == Some("") => visit_map(&[], visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let at = self.node.at;
        if self.tagged {
            // An enum inside a tagged variant: only a unit variant, by its name.
            return match self.node.scalar() {
                Some(text) if !text.is_empty() => visitor.visit_enum(Unit { de: self }),
                _ => Err(de::Error::custom(format!(
                    "deserializing nested enum in {name} from YAML is not supported yet"
                ))),
            }
            .map_err(|e| e.at(at));
        }
        if let Some(tag) = self.tag() {
            return visitor
                .visit_enum(Tagged { de: self, tag })
                .map_err(|e| e.at(at));
        }
        match &self.node.kind {
            Kind::Scalar(..) => visitor.visit_enum(Unit { de: self }),
            Kind::Map(_) => Err(de::Error::invalid_type(
                Unexpected::Map,
                &"a YAML tag starting with '!'",
            )),
            Kind::Seq(_) => Err(de::Error::invalid_type(
                Unexpected::Seq,
                &"a YAML tag starting with '!'",
            )),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }
}

fn visit_seq<'de, V: Visitor<'de>>(items: &'de [Node], visitor: V) -> Result<V::Value> {
    let mut access = Items {
        items: items.iter(),
    };
    let value = visitor.visit_seq(&mut access)?;
    match access.items.len() {
        0 => Ok(value),
        _ => Err(de::Error::invalid_length(items.len(), &"fewer elements")),
    }
}

fn visit_map<'de, V: Visitor<'de>>(entries: &'de [(Node, Node)], visitor: V) -> Result<V::Value> {
    let mut access = Entries {
        entries: entries.iter(),
        value: None,
    };
    visitor.visit_map(&mut access)
}

struct Items<'de> {
    items: std::slice::Iter<'de, Node>,
}

impl<'de> de::SeqAccess<'de> for Items<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.items
            .next()
            .map(|node| seed.deserialize(De::new(node)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Entries<'de> {
    entries: std::slice::Iter<'de, (Node, Node)>,
    value: Option<&'de Node>,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(De::new(key)).map(Some).map_err(|mut err| {
            err.in_key = true;
            err
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.value.take() {
            Some(node) => seed.deserialize(De::new(node)),
            None => Err(de::Error::custom("a value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as a tagged node: `!Variant content`.
struct Tagged<'de> {
    de: De<'de>,
    tag: &'de str,
}

impl<'de> de::EnumAccess<'de> for Tagged<'de> {
    type Error = Error;
    type Variant = De<'de>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, De<'de>)> {
        let variant =
            seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(self.tag))?;
        let content = De {
            node: self.de.node,
            tagged: true,
        };
        Ok((variant, content))
    }
}

impl<'de> de::VariantAccess<'de> for De<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        de::Deserializer::deserialize_unit(self, de::IgnoredAny).map(|_| ())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

/// An enum written as a plain name: a unit variant.
struct Unit<'de> {
    de: De<'de>,
}

impl<'de> de::EnumAccess<'de> for Unit<'de> {
    type Error = Error;
    type Variant = Unit<'de>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Unit<'de>)> {
        let node = self.de.node;
        let variant = seed.deserialize(De::new(node))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Unit<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"newtype variant",
        ))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"tuple variant",
        ))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(de::Error::invalid_type(
            Unexpected::UnitVariant,
            &"struct variant",
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde::de::DeserializeOwned;

    use super::super::read::read;
    use super::super::tree;

    /// What serde_yaml read from the text (merge keys applied and `x-` keys dropped, as the
    /// loaders did before the one parse), in the words of our errors.
    fn by_serde_yaml<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        fn drop_extensions(value: &mut serde_yaml::Value) {
            match value {
                serde_yaml::Value::Mapping(map) => {
                    map.retain(|key, _| !key.as_str().is_some_and(|k| k.starts_with("x-")));
                    map.iter_mut().for_each(|(_, v)| drop_extensions(v));
                }
                serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(drop_extensions),
                _ => {}
            }
        }
        let cut = |err: serde_yaml::Error| {
            let message = err.to_string();
            message
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        if text.contains("<<") || text.contains("x-") {
            let mut value: serde_yaml::Value = serde_yaml::from_str(text).map_err(cut)?;
            value.apply_merge().map_err(cut)?;
            drop_extensions(&mut value);
            let text = serde_yaml::to_string(&value).map_err(|e| e.to_string())?;
            return serde_yaml::from_str(&text).map_err(cut);
        }
        serde_yaml::from_str(text).map_err(cut)
    }

    fn by_tree<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        let root = tree::parse(text).map_err(|e| e.message)?;
        read(&root).map_err(|e| e.message)
    }

    #[test]
    fn every_shipped_yaml_file_reads_as_serde_yaml_reads_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = 0;
        for dir in ["examples", "playbooks", "playbooks/rotate", "scenarios"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let want = by_serde_yaml::<serde_yaml::Value>(&text);
                assert!(want.is_ok(), "{}: {want:?}", path.display());
                assert_eq!(by_tree(&text), want, "{}", path.display());
                files += 1;
            }
        }
        assert!(files > 40, "{files} files");
    }

    #[test]
    fn scalars_resolve_as_in_serde_yaml() {
        let text = "\
a: 123456789
b: '123'
c: 0x1F
d: -0o17
e: 0b101
f: 0123
g: 1.50
h: 1e3
i: .inf
j: -.INF
k: ~
l: null
m:
n: True
o: FALSE
p: yes
q: +12
r: -12
t: \"x\"
u: |
  block
v: [1, two, 3.0, '4']
w: {x: 1, 2: y}
y: !Tagged 5
z: 1_000
aa: 0x
ab: \"~\"
ac: -0
ad: +.5
ae: .5
af: 1.
ag: +-1
ah: 0o9
ai: !!str 12
";
        let want = by_serde_yaml::<serde_yaml::Value>(text);
        assert!(want.is_ok(), "{want:?}");
        assert_eq!(by_tree::<serde_yaml::Value>(text), want);
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Venue {
        Bybit,
        Okx,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Shape {
        Point,
        Circle(f64),
        Rect { w: u32, h: u32 },
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Typed {
        #[serde(default)]
        s: Option<String>,
        #[serde(default)]
        b: Option<bool>,
        #[serde(default)]
        n: Option<u8>,
        #[serde(default)]
        i: Option<i64>,
        #[serde(default)]
        f: Option<f64>,
        #[serde(default)]
        v: Vec<String>,
        #[serde(default)]
        venue: Option<Venue>,
        #[serde(default)]
        shape: Option<Shape>,
        #[serde(default)]
        m: BTreeMap<String, u64>,
        #[serde(default)]
        u: Option<()>,
    }

    #[test]
    fn typed_fields_read_and_fail_as_in_serde_yaml() {
        let cases = [
            "s: 123456789",
            "s: true",
            "s: ~",
            "s: 1.50",
            "s: 0x1F",
            "s: [a]",
            "s: {a: 1}",
            "b: true",
            "b: yes",
            "b: 'true'",
            "b: 1",
            "n: 255",
            "n: 256",
            "n: -1",
            "n: 0x10",
            "n: '7'",
            "i: -0x10",
            "i: 1.5",
            "i: 9223372036854775808",
            "f: 1",
            "f: 1.5",
            "f: .nan",
            "f: abc",
            "v: [a, 1, true, ~]",
            "v:",
            "v: a",
            "venue: okx",
            "venue: okk",
            "venue: {okx: 1}",
            "shape: !Point",
            "shape: !Circle 2.5",
            "shape: !Rect {w: 1, h: 2}",
            "shape: !Rect {w: 1, d: 2}",
            "shape: Point",
            "shape: Circle",
            "m: {a: 1, b: 2}",
            "m: {a: x}",
            "u: ~",
            "u: x",
            "sx: 1",
            "",
            "[1]",
            "x-note: 1\ns: a",
        ];
        for text in cases {
            let want = by_serde_yaml::<Typed>(text);
            let got = by_tree::<Typed>(text);
            // NaN is not equal to itself: compare how it prints.
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "`{text}`");
        }
    }

    #[test]
    fn anchors_aliases_and_merges_keep_the_places_they_were_written_at() {
        let text = "x-base: &base\n  a: 1\n  b: 2\nm:\n  <<: *base\n  b: 3\nl: [*base]\n";
        let root = tree::parse(text).unwrap();
        let key = |path: &str| {
            tree::find(&root, path).and_then(|(_, k)| k.map(|k| (k.at.line, k.at.col)))
        };
        let value = |path: &str| tree::find(&root, path).map(|(v, _)| (v.at.line, v.at.col));
        // `a` was merged from the anchor: it is placed there; `b` is the mapping's own.
        assert_eq!(key("m.a"), Some((2, 3)));
        assert_eq!(key("m.b"), Some((6, 3)));
        assert_eq!(value("l[0].b"), Some((3, 6)));
        assert_eq!(value("x-base"), None);
        // A key with a dot is found whole.
        let root = tree::parse("hosts:\n  a.example: { port: 1 }\n").unwrap();
        let found = tree::find(&root, "hosts.a.example.port").map(|(v, _)| v.scalar());
        assert_eq!(found, Some(Some("1")));
    }

    #[test]
    fn aliases_of_aliases_are_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = tree::parse(&text).unwrap_err();
        assert!(
            err.message.contains("aliases copy too many nodes"),
            "{err:?}"
        );
    }
}
