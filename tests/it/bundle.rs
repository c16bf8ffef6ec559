//! `lockdown bundle`: a run folder as one evidence file, checked by `lockdown verify`, with no
//! secret inside and every changed byte named.

use std::io::Read;
use std::path::Path;

use crate::support::{Lab, code, lockdown, read, run_dir, stderr, stdout, summary};

/// The bundle's members: name and bytes.
fn members(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(bundle).unwrap();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

/// Writes `members` as a bundle at `out`.
fn pack(members: &[(String, Vec<u8>)], out: &Path) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(out).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        tar.append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_verifies_holds_no_secret_and_names_a_changed_file() {
    let lab = Lab::start(420).await;
    let output = lab.respond(&["--yes", "--json"]).await;
    assert!(code(&output) <= 1, "{}", stderr(&output));
    let run = run_dir(&summary(&output));
    let out = lab.dir.path().join("evidence.tar.gz");
    let made = lockdown(
        &[
            "bundle",
            run.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    let listed = summary(&made);
    let files = listed["files"].as_array().unwrap();
    for name in ["journal.jsonl", "report.md", "report.json"] {
        assert!(
            files.iter().any(|f| f["path"] == name),
            "{name} missing: {listed:#}"
        );
    }

    // The journal key stays out; no secret of the session is inside.
    let inside = members(&out);
    assert!(inside.iter().any(|(n, _)| n.ends_with("/MANIFEST.sha256")));
    assert!(!inside.iter().any(|(n, _)| n.contains("journal.key")));
    let dir = lab.sim_dir();
    let secrets = [
        ("master secret", read(&dir.join("master.secret"))),
        ("bot secret", read(&dir.join("bot.secret"))),
        ("journal key", read(&dir.join("state").join("journal.key"))),
    ];
    for (name, bytes) in &inside {
        let text = String::from_utf8_lossy(bytes);
        for (which, secret) in &secrets {
            assert!(!text.contains(secret.as_str()), "the {which} is in {name}");
        }
    }
    let replacement = lab.replacement();
    let new_secret = replacement["api_secret"].as_str().unwrap();
    assert!(
        inside
            .iter()
            .all(|(_, b)| !String::from_utf8_lossy(b).contains(new_secret)),
        "the replacement's secret is in the bundle"
    );

    // Verified with the run's journal key: sealed and authenticated.
    let key = dir.join("state").join("journal.key");
    let checked = lockdown(
        &[
            "verify",
            out.to_str().unwrap(),
            "--journal-key",
            key.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(code(&checked), 0, "{}", stderr(&checked));
    assert!(
        stderr(&checked).contains("files match MANIFEST.sha256"),
        "{}",
        stderr(&checked)
    );

    // One byte of the report changed, the manifest kept: named, exit 4.
    let mut forged = inside.clone();
    let (_, report) = forged
        .iter_mut()
        .find(|(n, _)| n.ends_with("/report.md"))
        .unwrap();
    report[10] ^= 0x01;
    let tampered = lab.dir.path().join("tampered.tar.gz");
    pack(&forged, &tampered);
    let checked = lockdown(&["verify", tampered.to_str().unwrap()], &[]).await;
    assert_eq!(code(&checked), 4, "{}", stdout(&checked));
    let err = stderr(&checked);
    assert!(
        err.contains("report.md") && err.contains("does not match"),
        "{err}"
    );

    // A file added after the fact is named too.
    let mut added = inside.clone();
    let top = added[0].0.split('/').next().unwrap().to_owned();
    added.push((format!("{top}/extra.txt"), b"planted".to_vec()));
    pack(&added, &tampered);
    let checked = lockdown(&["verify", tampered.to_str().unwrap()], &[]).await;
    assert_eq!(code(&checked), 4);
    assert!(
        stderr(&checked).contains("extra.txt"),
        "{}",
        stderr(&checked)
    );
}
