//! serde's errors about a step's parameters, made into a place and a hint: which parameter
//! (serde names an unknown field in some versions and not in others), the message without
//! serde's own location (ours is drawn), and the closest expected name. `raw` uses the hint for
//! the file's top-level keys too.

use crate::source::did_you_mean;

/// serde's messages sometimes end in a location of their own; ours is shown separately.
pub(super) fn strip_location(message: &str) -> &str {
    match message.find(" at line ") {
        Some(cut) => &message[..cut],
        None => message,
    }
}

/// Where an action-parameter error points, and a hint for it.
pub(super) fn locate_param_error(message: &str, path: &str) -> (String, Option<String>) {
    let mut path = path.to_owned();
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        // serde_path_to_error names the field itself in some versions, not in others.
        let named = path == field || path.ends_with(&format!(".{field}"));
        if !named {
            path = if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
        }
    }
    (path, serde_hint(message))
}

/// A hint for serde's "unknown field/variant" messages: the closest expected name.
pub fn serde_hint(message: &str) -> Option<String> {
    let (kind, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("field", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        ("variant", rest)
    } else {
        return None;
    };
    let name = rest.split('`').next()?;
    if kind == "variant" && name.to_ascii_lowercase().contains("withdraw") {
        return Some(
            "replacement keys never get a withdrawal permission; lockdown cannot express one"
                .to_owned(),
        );
    }
    let expected: Vec<&str> = rest
        .split_once("expected")
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    did_you_mean(name, expected.iter().copied()).or_else(|| {
        (!expected.is_empty()).then(|| format!("expected one of: {}", expected.join(", ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_for_unknown_fields_and_variants() {
        assert_eq!(
            serde_hint("unknown field `kye`, expected one of `key`, `ip_whitelist`, `read_only`")
                .as_deref(),
            Some("did you mean `key`?")
        );
        assert_eq!(
            serde_hint("unknown variant `withdraw`, expected one of `spot_trade`").as_deref(),
            Some("replacement keys never get a withdrawal permission; lockdown cannot express one")
        );
        assert_eq!(serde_hint("invalid type: integer"), None);
    }
}
