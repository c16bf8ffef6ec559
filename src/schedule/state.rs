//! What the scheduler remembers across restarts: each job's last run, so a run missed while it
//! was down is caught up (once) when it starts again.
//!
//! One small JSON file in the scheduler's state folder, replaced atomically (written beside,
//! synced, renamed): a crash leaves the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The state file's name in the scheduler's state folder.
pub const STATE_FILE: &str = "schedule-state.json";

/// Each job's last run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The due time of each job's last run, by job name.
    pub last_run: BTreeMap<String, DateTime<Utc>>,
}

impl State {
    /// Reads the state file in `dir` (none yet: an empty state).
    pub fn load(dir: &Path) -> std::io::Result<State> {
        let path = dir.join(STATE_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(err) => Err(err),
        }
    }

    /// Replaces the state file in `dir` atomically.
    pub fn save(&self, dir: &Path) -> std::io::Result<PathBuf> {
        crate::private::create_dir(dir)?;
        let path = dir.join(STATE_FILE);
        let temp = dir.join(format!("{STATE_FILE}.tmp"));
        let mut file = crate::private::create(&temp)?;
        file.write_all(
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &path)?;
        // The rename itself is made durable by syncing the folder.
        if let Ok(folder) = std::fs::File::open(dir) {
            let _ = folder.sync_all();
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), State::default());
        let mut state = State::default();
        state.last_run.insert("nightly".into(), Utc::now());
        state.save(dir.path()).unwrap();
        assert_eq!(State::load(dir.path()).unwrap(), state);
        assert!(!dir.path().join(format!("{STATE_FILE}.tmp")).exists());
    }
}
