//! Run and drill folders hold account data (orders, balances, the access log, the session's
//! credentials): every folder lockdown makes is 0700 and every file 0600, whatever the umask.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{assert_private_under, code, lockdown_with_umask, stderr, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn everything_a_drill_leaves_is_private_whatever_the_umask() {
    for umask in ["000", "022"] {
        let state = tempfile::tempdir().unwrap();
        let dir = state.path().display().to_string();
        // Kraken: nonces are kept on disk too.
        let args = [
            "drill",
            "--venue",
            "kraken",
            "--scenario",
            "quiet",
            "--json",
            "--state-dir",
            &dir,
        ];
        let output = lockdown_with_umask(umask, &args).await;
        let card: Value = serde_json::from_str(&stdout(&output)).unwrap_or_else(|err| {
            panic!("umask {umask}: no scorecard ({err}): {}", stderr(&output))
        });
        let drill_dir = PathBuf::from(card["drill_dir"].as_str().unwrap());
        let runs: Vec<PathBuf> = std::fs::read_dir(drill_dir.join("state").join("runs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(runs.len(), 1, "umask {umask}");
        for wanted in ["snapshots", "report.json", "journal.jsonl"] {
            assert!(runs[0].join(wanted).exists(), "umask {umask}: {wanted}");
        }
        assert!(
            drill_dir.join("state").join("nonces").is_dir(),
            "umask {umask}"
        );
        assert!(state.path().join("drills.jsonl").is_file(), "umask {umask}");
        let files = assert_private_under(state.path());
        assert!(files >= 15, "umask {umask}: only {files} files");

        // Written again over a copy left readable to others: private again.
        let report = runs[0].join("report.json");
        set_mode(&report, 0o644);
        let rewritten = lockdown_with_umask(umask, &["report", runs[0].to_str().unwrap()]).await;
        assert_eq!(code(&rewritten), 0, "{}", stderr(&rewritten));
        assert_private_under(&runs[0]);
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
