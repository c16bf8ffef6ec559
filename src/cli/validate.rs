//! `lockdown validate`: check playbooks offline, every problem at once, steps the playbook's
//! venue cannot do included.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::error::Error;
use crate::exit::Exit;
use crate::playbook::{self, PlaybookError};
use crate::source::Problems;
use crate::ui::Ui;

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Playbook files
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn listed(problems: &Problems) -> Vec<Value> {
    problems
        .problems
        .iter()
        .map(|p| json!({"location": p.location(), "message": p.message(), "hint": p.hint()}))
        .collect()
}

/// Runs `validate`: exit 0 when every file is valid, 2 otherwise.
pub fn run(args: ValidateArgs, ui: &Ui) -> Result<Exit, Error> {
    let mut results: Vec<Value> = Vec::new();
    let mut failed = false;
    for file in &args.files {
        let name = file.display().to_string();
        let problems = match playbook::load(file) {
            // A step the venue cannot do lets a response start (it fails at its turn, and the
            // containment goes on), but a playbook that has one is not valid.
            Ok(book) => match &book.unavailable {
                Some(unavailable) => {
                    ui.error(unavailable.as_ref());
                    listed(unavailable)
                }
                None => {
                    ui.info(&format!(
                        "{name}: ok ({} steps, {})",
                        book.action_steps().len(),
                        book.exchange
                    ));
                    results.push(json!({"file": name, "ok": true, "problems": []}));
                    continue;
                }
            },
            Err(err) => {
                ui.error(&err);
                match &err {
                    PlaybookError::Invalid(problems) => listed(problems),
                    PlaybookError::Read { .. } => {
                        vec![json!({"location": name, "message": err.to_string(), "hint": null})]
                    }
                }
            }
        };
        failed = true;
        results.push(json!({"file": name, "ok": false, "problems": problems}));
    }
    ui.summary(|| json!({ "files": results }));
    Ok(if failed { Exit::BadInput } else { Exit::Ok })
}
