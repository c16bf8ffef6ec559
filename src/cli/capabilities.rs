//! `lockdown capabilities`: what each venue can do by API, and what the response covers in each
//! product it offers, from the adapters' own declarations (the README's tables are this output;
//! a test keeps them equal). `--json`: the same as one object.

use crate::error::Error;
use crate::exchanges::{Capability, ExchangeId, Support, capability_table};
use crate::exit::Exit;
use crate::ui::Format;
use crate::ui::Ui;

/// Runs `capabilities`.
pub fn run(ui: &Ui) -> Result<Exit, Error> {
    if ui.format() == Format::Json {
        ui.json(&serde_json::json!({
            "venues": ExchangeId::ALL.iter().map(|id| {
                let venue = id.venue();
                let spec = id.spec();
                serde_json::json!({
                    "venue": id.to_string(),
                    "api": spec.api,
                    "docs": spec.docs,
                    "support": Capability::ALL.iter().map(|c| (c.as_str().to_owned(), serde_json::json!(match venue.support(*c) {
                        Support::Api => "api",
                        Support::Manual(_) => "manual",
                        Support::Unavailable(_) => "unavailable",
                    }))).collect::<serde_json::Map<_, _>>(),
                    "products": venue.products(),
                    "watch": match venue.private_stream() {
                        Some(stream) => serde_json::json!({"source": "stream", "follows": stream.summary()}),
                        None => serde_json::json!({"source": "rest_poll"}),
                    },
                })
            }).collect::<Vec<_>>(),
        }));
    } else {
        ui.data(capability_table().trim_end());
    }
    Ok(Exit::Ok)
}
