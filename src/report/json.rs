//! The report as JSON, for tools: the timeline's fields, what is left, and the appendix of
//! lockdown's own calls under `appendix` (`file`, `calls`).

use super::Timeline;

/// Renders the timeline as pretty JSON.
pub fn render(timeline: &Timeline) -> String {
    let mut value = serde_json::to_value(timeline).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "left".into(),
            serde_json::to_value(timeline.left()).unwrap_or_default(),
        );
        // lockdown's own calls: the appendix, beside the name of its Markdown file.
        map.insert(
            "appendix".into(),
            serde_json::json!({
                "file": timeline.appendix,
                "calls": timeline.calls,
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
