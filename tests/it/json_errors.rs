//! `--json` errors: a tool reading stdout gets one JSON document with the error and the exit code,
//! never an empty stdout (people still read the error on stderr).

use serde_json::Value;

use crate::support::run_blocking;

fn json_run(args: &[&str]) -> (Value, String, i32) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = run_blocking(&args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let value: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {stdout:?}"));
    (
        value,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn a_missing_config_is_a_json_error_with_its_exit_code_and_hint() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("absent.yaml");
    let (value, stderr, code) =
        json_run(&["--json", "check", "--config", config.to_str().unwrap()]);
    let error = &value["error"];
    assert_eq!(error["exit"], code);
    assert_eq!(code, 2);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("no config file")
    );
    assert!(error["help"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(
        stderr.contains("no config file"),
        "people still see it: {stderr}"
    );
}

#[test]
fn a_config_problem_points_at_its_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "profiles:\n  main:\n    exchange: bybit\n").unwrap();
    let (value, _, code) = json_run(&["check", "--config", config.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2);
    let places: Vec<&Value> = value["error"]["related"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(std::iter::once(&value["error"]))
        .filter_map(|e| e["at"].as_array())
        .flatten()
        .collect();
    let place = places.first().expect("a place in the file");
    assert_eq!(place["file"], config.to_str().unwrap());
    assert_eq!(place["line"], 3);
    assert_eq!(place["column"], 5);
}

#[test]
fn a_command_line_mistake_is_a_json_error_too() {
    let (value, stderr, code) = json_run(&["--json", "chek"]);
    assert_eq!(code, 2);
    assert_eq!(value["error"]["exit"], 2);
    assert!(value["error"]["detail"].as_str().unwrap().contains("check"));
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
}
