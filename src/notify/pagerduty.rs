//! The `pagerduty` channel (not built yet: a later change fills it in).

use std::path::Path;

use super::Channel;

/// Builds the channel from its config entry.
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let _ = (name, fields, dir);
    Err("the `pagerduty` channel is not available yet".to_owned())
}
