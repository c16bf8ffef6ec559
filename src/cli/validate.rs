//! `lockdown validate`: check playbooks offline, every problem at once.

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use crate::error::Error;
use crate::exit::Exit;
use crate::playbook::{self, PlaybookError};
use crate::ui::Ui;

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Playbook files
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Runs `validate`: exit 0 when every file is valid, 2 otherwise.
pub fn run(args: ValidateArgs, ui: &Ui) -> Result<Exit, Error> {
    let mut results: Vec<Value> = Vec::new();
    let mut failed = false;
    for file in &args.files {
        match playbook::load(file) {
            Ok(book) => {
                ui.info(&format!(
                    "{}: ok ({} steps, {})",
                    file.display(),
                    book.action_steps().len(),
                    book.exchange
                ));
                results
                    .push(json!({"file": file.display().to_string(), "ok": true, "problems": []}));
            }
            Err(err) => {
                failed = true;
                let problems: Vec<Value> = match &err {
                    PlaybookError::Invalid(problems) => problems
                        .problems
                        .iter()
                        .map(|p| json!({"location": p.location(), "message": p.message(), "hint": p.hint()}))
                        .collect(),
                    PlaybookError::Read { .. } => {
                        vec![json!({"location": file.display().to_string(), "message": err.to_string(), "hint": null})]
                    }
                };
                ui.error(&err);
                results.push(
                    json!({"file": file.display().to_string(), "ok": false, "problems": problems}),
                );
            }
        }
    }
    ui.summary(|| json!({ "files": results }));
    Ok(if failed { Exit::BadInput } else { Exit::Ok })
}
