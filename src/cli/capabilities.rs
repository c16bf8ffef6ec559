//! `lockdown capabilities`: what each venue can do by API, from the adapters' own declarations
//! (the README's table is this output; a test keeps them equal).

use crate::error::Error;
use crate::exchanges::capability_table;
use crate::exit::Exit;
use crate::ui::Ui;

/// Runs `capabilities`.
pub fn run(ui: &Ui) -> Result<Exit, Error> {
    ui.data(capability_table().trim_end());
    Ok(Exit::Ok)
}
