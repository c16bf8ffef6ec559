//! An error as JSON, for `--json`: a tool reading stdout gets `{"error": {...}}` and the exit
//! code instead of an empty stdout. The same content people see on stderr (message, help, the
//! file, line and column it points at), never more: errors carry no secret by construction.

use miette::Diagnostic;
use serde_json::{Value, json};

/// `{"error": {"message", "code", "help", "exit", "at": [{file, line, column, label}], "related"}}`.
pub fn error_json(error: &dyn Diagnostic, exit: u8) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("message".into(), json!(error.to_string()));
    if let Some(code) = error.code() {
        body.insert("code".into(), json!(code.to_string()));
    }
    if let Some(help) = error.help() {
        body.insert("help".into(), json!(help.to_string()));
    }
    body.insert("exit".into(), json!(exit));
    let at = places(error);
    if !at.is_empty() {
        body.insert("at".into(), Value::Array(at));
    }
    let related: Vec<Value> = error
        .related()
        .into_iter()
        .flatten()
        .map(|r| error_json(r, exit)["error"].clone())
        .collect();
    if !related.is_empty() {
        body.insert("related".into(), Value::Array(related));
    }
    json!({ "error": body })
}

/// Where the error points: each label's file, 1-based line and column.
fn places(error: &dyn Diagnostic) -> Vec<Value> {
    let (Some(source), Some(labels)) = (error.source_code(), error.labels()) else {
        return Vec::new();
    };
    labels
        .filter_map(|label| {
            let span = source.read_span(label.inner(), 0, 0).ok()?;
            Some(json!({
                "file": span.name(),
                "line": span.line() + 1,
                "column": span.column() + 1,
                "label": label.label(),
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("unknown key `scedule`")]
    #[diagnostic(code(config::unknown_key), help("did you mean `schedule`?"))]
    struct Typo {
        #[source_code]
        src: miette::NamedSource<String>,
        #[label("here")]
        at: miette::SourceSpan,
    }

    #[test]
    fn an_error_with_a_place_names_file_line_and_column() {
        let text = "profiles:\n  main:\n    scedule: x\n".to_owned();
        let offset = text.find("scedule").unwrap_or_default();
        let err = Typo {
            src: miette::NamedSource::new("config.yaml", text),
            at: (offset, 7).into(),
        };
        let value = error_json(&err, 2);
        let body = &value["error"];
        assert_eq!(body["message"], "unknown key `scedule`");
        assert_eq!(body["help"], "did you mean `schedule`?");
        assert_eq!(body["code"], "config::unknown_key");
        assert_eq!(body["exit"], 2);
        assert_eq!(
            body["at"],
            json!([{"file": "config.yaml", "line": 3, "column": 5, "label": "here"}])
        );
    }
}
