//! The report as JSON, for tools.

use super::Timeline;

/// Renders the timeline as pretty JSON.
pub fn render(timeline: &Timeline) -> String {
    let mut value = serde_json::to_value(timeline).unwrap_or_default();
    if let serde_json::Value::Object(map) = &mut value {
        map.insert(
            "left".into(),
            serde_json::to_value(timeline.left()).unwrap_or_default(),
        );
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
