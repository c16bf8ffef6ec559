//! What an installed `lockdown` gives a new user besides its commands: the version with its
//! commit, shell completions that the shell accepts, and manual pages that render.

use std::process::Command;

use crate::support::run_blocking;

fn run(args: &[&str]) -> (String, String, bool) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = run_blocking(&args, &[]);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn version_names_the_package_and_the_commit_when_built_from_git() {
    let (out, _, ok) = run(&["--version"]);
    assert!(ok);
    assert!(
        out.starts_with(&format!("lockdown {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    // The tests run from a git checkout (CI clones one): the commit is named.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git runs");
    if head.status.success() {
        let commit = String::from_utf8_lossy(&head.stdout).trim().to_owned();
        assert!(out.contains(&format!("({commit})")), "{out} lacks {commit}");
    }
}

#[test]
fn the_bash_completion_script_parses_and_completes_subcommands() {
    let (script, _, ok) = run(&["completions", "bash"]);
    assert!(ok);
    assert!(script.contains("respond") && script.contains("drill"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lockdown.bash");
    std::fs::write(&path, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Sourced in a real bash, asking for completions of `lockdown dr` offers `drill`.
    let probe = format!(
        "source {}; COMP_WORDS=(lockdown dr); COMP_CWORD=1; COMP_LINE='lockdown dr'; \
         COMP_POINT=${{#COMP_LINE}}; _lockdown lockdown dr lockdown; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let offered = Command::new("bash").arg("-c").arg(probe).output().unwrap();
    let offered = String::from_utf8_lossy(&offered.stdout);
    assert!(offered.lines().any(|l| l == "drill"), "offered: {offered}");
    // An unknown shell is refused with the choices.
    let (_, err, ok) = run(&["completions", "tcsh"]);
    assert!(!ok);
    assert!(err.contains("bash") && err.contains("zsh"), "{err}");
}

#[test]
fn the_manual_pages_render_without_warnings() {
    let (page, _, ok) = run(&["man"]);
    assert!(ok);
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("lockdown.1");
    std::fs::write(&top, &page).unwrap();
    let pages = dir.path().join("pages");
    let (_, err, ok) = run(&["man", "--dir", pages.to_str().unwrap()]);
    assert!(ok, "{err}");
    for name in ["lockdown.1", "lockdown-respond.1", "lockdown-drill.1"] {
        let path = pages.join(name);
        assert!(path.exists(), "{name} not written");
        // groff (tests/setup.sh installs it) renders the page; -ww turns every warning on.
        let render = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww"])
            .arg(&path)
            .output()
            .expect("groff runs: run tests/setup.sh");
        let stderr = String::from_utf8_lossy(&render.stderr);
        assert!(
            render.status.success() && stderr.is_empty(),
            "{name}: {stderr}"
        );
        let text = String::from_utf8_lossy(&render.stdout);
        assert!(text.contains("lockdown"), "{name} rendered empty");
    }
    assert_eq!(
        std::fs::read_to_string(pages.join("lockdown.1")).unwrap(),
        page
    );
}
