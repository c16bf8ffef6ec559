//! The report as JSON, for tools.

use super::Timeline;

/// Renders the timeline as pretty JSON.
pub fn render(timeline: &Timeline) -> String {
    let mut text = serde_json::to_string_pretty(timeline).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
