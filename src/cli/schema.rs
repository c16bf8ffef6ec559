//! `lockdown schema`: the JSON Schema of the playbook format, on stdout, for editors.

use crate::error::Error;
use crate::exit::Exit;
use crate::playbook::schema::schema;
use crate::ui::Ui;

/// Runs `schema`.
pub fn run(ui: &Ui) -> Result<Exit, Error> {
    ui.json(&schema());
    Ok(Exit::Ok)
}
