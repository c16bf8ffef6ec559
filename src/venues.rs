//! The venue table: one [`VenueSpec`] row per exchange lockdown can respond on.
//!
//! Every place outside a venue's own folders that needs to know "which venue" asks its row here:
//! the names a config or the command line may use, the adapter, the shipped playbook, the
//! defaults a profile takes, and the simulator dialect. Adding a venue is its adapter folder
//! (`src/exchanges/<venue>/`), its simulator folder (`src/sim/<venue>/`), its playbook
//! (`playbooks/<venue>.yaml`), its docs page, and one variant plus one row in this file
//! (docs/adding-a-venue.md walks through it).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::exchanges::facts::VenueFacts;
use crate::exchanges::{Venue, binance, bingx, bitget, bitmex, bybit, deribit, kraken, okx};
use crate::sim::dialect::SimDialect;

/// The exchanges lockdown can respond on: one variant per row of [`VENUES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeId {
    /// Bybit V5 (docs/venues/bybit.md).
    Bybit,
    /// OKX V5 (docs/venues/okx.md).
    Okx,
    /// Deribit JSON-RPC v2 (docs/venues/deribit.md).
    Deribit,
    /// Binance Spot, margin, USD-M and COIN-M futures, options and SAPI (docs/venues/binance.md).
    Binance,
    /// Kraken Spot REST (docs/venues/kraken.md).
    Kraken,
    /// BitMEX REST: contracts and spot; keys changed by hand only (docs/venues/bitmex.md).
    Bitmex,
    /// Bitget classic (V2) REST: spot and futures; sub-account keys locked by API, deleted by
    /// hand (docs/venues/bitget.md).
    Bitget,
    /// BingX spot, USDT-M and coin-M perpetuals; master keys changed by hand only
    /// (docs/venues/bingx.md).
    Bingx,
}

/// What lockdown knows about one venue outside its own folders.
pub struct VenueSpec {
    /// Which venue.
    pub id: ExchangeId,
    /// The lowercase name configs, playbooks and the command line use.
    pub name: &'static str,
    /// The API the adapter speaks, as the docs name it.
    pub api: &'static str,
    /// Where the API facts the adapter and simulator rely on are written down, with sources.
    pub docs: &'static str,
    /// The adapter.
    pub adapter: fn() -> Box<dyn Venue>,
    /// The shipped playbook: its name in reports (`builtin:playbooks/<venue>.yaml`) and text.
    pub playbook: (&'static str, &'static str),
    /// The futures host that goes with a profile's `base_url`, on venues that serve derivatives
    /// from a host of their own; `None` keeps every path on `base_url`.
    pub futures_url: fn(&str) -> Option<String>,
    /// The profile fields only some venues read that this one does (of [`VENUE_FIELDS`]); a
    /// profile that sets another is told it changes nothing here.
    pub profile_fields: &'static [&'static str],
    /// The simulator's dialect of this venue (`src/sim/<venue>/`), written from the venue's docs.
    pub(crate) simulator: &'static dyn SimDialect,
    /// What the venue documents that checks, the diff, `audit`, `scan` and the ledger import
    /// judge by (`src/exchanges/<venue>/facts.rs`).
    pub facts: &'static VenueFacts,
}

impl fmt::Debug for VenueSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VenueSpec")
            .field("id", &self.id)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

/// The profile fields that only some venues read (`master.passphrase` and a key's
/// `passphrase` count as `passphrase`); each row lists those its venue reads.
pub const VENUE_FIELDS: &[&str] = &[
    "demo",
    "auth",
    "key_family",
    "futures_url",
    "passphrase",
    "listed",
];

impl VenueSpec {
    /// The venues that read a profile field of [`VENUE_FIELDS`].
    pub fn readers_of(field: &str) -> Vec<&'static str> {
        VENUES
            .iter()
            .filter(|row| row.profile_fields.contains(&field))
            .map(|row| row.name)
            .collect()
    }
}

/// No futures host of its own.
fn same_host(_base_url: &str) -> Option<String> {
    None
}

/// The rows, in the order the docs list the venues (and [`ExchangeId::ALL`] gives them).
pub static VENUES: [VenueSpec; 8] = [
    VenueSpec {
        id: ExchangeId::Bybit,
        name: "bybit",
        api: "Bybit V5",
        docs: "docs/venues/bybit.md",
        adapter: || Box::new(bybit::Bybit),
        playbook: (
            "builtin:playbooks/bybit.yaml",
            include_str!("../playbooks/bybit.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &[],
        simulator: &crate::sim::bybit::DIALECT,
        facts: &bybit::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Okx,
        name: "okx",
        api: "OKX V5",
        docs: "docs/venues/okx.md",
        adapter: || Box::new(okx::Okx),
        playbook: (
            "builtin:playbooks/okx.yaml",
            include_str!("../playbooks/okx.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &["demo", "passphrase"],
        simulator: &crate::sim::okx::DIALECT,
        facts: &okx::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Deribit,
        name: "deribit",
        api: "Deribit JSON-RPC v2",
        docs: "docs/venues/deribit.md",
        adapter: || Box::new(deribit::Deribit),
        playbook: (
            "builtin:playbooks/deribit.yaml",
            include_str!("../playbooks/deribit.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &["auth", "listed"],
        simulator: &crate::sim::deribit::DIALECT,
        facts: &deribit::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Binance,
        name: "binance",
        api: "Binance Spot, margin, USD-M and COIN-M futures, options and SAPI",
        docs: "docs/venues/binance.md",
        adapter: || Box::new(binance::Binance),
        playbook: (
            "builtin:playbooks/binance.yaml",
            include_str!("../playbooks/binance.yaml"),
        ),
        futures_url: binance::futures_url,
        profile_fields: &["key_family", "futures_url"],
        simulator: &crate::sim::binance::DIALECT,
        facts: &binance::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Kraken,
        name: "kraken",
        api: "Kraken Spot REST",
        docs: "docs/venues/kraken.md",
        adapter: || Box::new(kraken::Kraken),
        playbook: (
            "builtin:playbooks/kraken.yaml",
            include_str!("../playbooks/kraken.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &[],
        simulator: &crate::sim::kraken::DIALECT,
        facts: &kraken::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Bitmex,
        name: "bitmex",
        api: "BitMEX REST (contracts and spot)",
        docs: "docs/venues/bitmex.md",
        adapter: || Box::new(bitmex::Bitmex),
        playbook: (
            "builtin:playbooks/bitmex.yaml",
            include_str!("../playbooks/bitmex.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &[],
        simulator: &crate::sim::bitmex::DIALECT,
        facts: &bitmex::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Bitget,
        name: "bitget",
        api: "Bitget classic (V2) REST: spot and futures",
        docs: "docs/venues/bitget.md",
        adapter: || Box::new(bitget::Bitget),
        playbook: (
            "builtin:playbooks/bitget.yaml",
            include_str!("../playbooks/bitget.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &["passphrase"],
        simulator: &crate::sim::bitget::DIALECT,
        facts: &bitget::facts::FACTS,
    },
    VenueSpec {
        id: ExchangeId::Bingx,
        name: "bingx",
        api: "BingX REST (spot, USDT-M and coin-M perpetuals; main-account keys by hand, guided)",
        docs: "docs/venues/bingx.md",
        adapter: || Box::new(bingx::Bingx),
        playbook: (
            "builtin:playbooks/bingx.yaml",
            include_str!("../playbooks/bingx.yaml"),
        ),
        futures_url: same_host,
        profile_fields: &[],
        simulator: &crate::sim::bingx::DIALECT,
        facts: &bingx::facts::FACTS,
    },
];

impl ExchangeId {
    /// Every supported venue, in the order the docs list them.
    pub const ALL: &'static [ExchangeId] = &[
        ExchangeId::Bybit,
        ExchangeId::Okx,
        ExchangeId::Deribit,
        ExchangeId::Binance,
        ExchangeId::Kraken,
        ExchangeId::Bitmex,
        ExchangeId::Bitget,
        ExchangeId::Bingx,
    ];

    /// This venue's row.
    pub fn spec(self) -> &'static VenueSpec {
        // The rows are in variant order (checked by a test), so the variant is the index.
        &VENUES[self as usize]
    }

    /// The lowercase name used in configs and playbooks.
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<ExchangeId> {
        let text = text.trim().to_ascii_lowercase();
        VENUES.iter().find(|row| row.name == text).map(|row| row.id)
    }

    /// The supported names, for error messages.
    pub fn names() -> Vec<&'static str> {
        VENUES.iter().map(|row| row.name).collect()
    }

    /// Parses a venue name for the command line; the error lists the venues.
    pub fn from_arg(text: &str) -> Result<ExchangeId, String> {
        ExchangeId::parse(text).ok_or_else(|| {
            format!(
                "`{text}` is not a supported venue; supported: {}",
                ExchangeId::names().join(", ")
            )
        })
    }

    /// What this venue documents that modules outside its folders judge by.
    pub fn facts(self) -> &'static VenueFacts {
        self.spec().facts
    }

    /// The adapter for this venue.
    pub fn venue(self) -> Box<dyn Venue> {
        (self.spec().adapter)()
    }
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_its_variant_and_speaks_for_it() {
        assert_eq!(VENUES.len(), ExchangeId::ALL.len());
        for (i, id) in ExchangeId::ALL.iter().enumerate() {
            let row = &VENUES[i];
            assert_eq!(row.id, *id, "row {i} is out of variant order");
            assert_eq!(*id as usize, i, "ALL is out of variant order");
            assert_eq!(
                id.venue().id(),
                *id,
                "{id}: the adapter names another venue"
            );
            assert_eq!(ExchangeId::parse(row.name), Some(*id));
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::Value::from(row.name),
                "{id}: serde and the row disagree on the name"
            );
            assert_eq!(
                row.playbook.0,
                format!("builtin:playbooks/{}.yaml", row.name)
            );
        }
    }

    #[test]
    fn every_venue_field_is_read_somewhere() {
        for field in VENUE_FIELDS {
            assert!(
                !VenueSpec::readers_of(field).is_empty(),
                "`{field}` is read nowhere"
            );
        }
        assert_eq!(VenueSpec::readers_of("auth"), ["deribit"]);
        assert_eq!(VenueSpec::readers_of("passphrase"), ["okx", "bitget"]);
    }

    #[test]
    fn names_parse_loosely_and_errors_list_the_venues() {
        assert_eq!(ExchangeId::parse(" OKX "), Some(ExchangeId::Okx));
        assert_eq!(ExchangeId::parse("kucoin"), None);
        let err = ExchangeId::from_arg("kucoin").unwrap_err();
        assert!(
            err.contains("bybit, okx, deribit, binance, kraken, bitmex, bitget, bingx"),
            "{err}"
        );
    }
}
