//! Exchanges: the normalized operations the response needs, and the venues that speak them.
//!
//! An adapter ([`Venue`]) is pure: it turns an [`Op`] into an unsigned [`Request`], signs it with
//! a credential at a given time, and turns the exchange's answer into a [`Reply`] or a typed
//! [`ExchangeError`]. Only [`client`] touches the network. That split keeps each venue's quirks in
//! its own folder, lets dry-run render the exact request a mutating step would send, and lets the
//! signers be checked against published vectors without a server.
//!
//! What a venue cannot do by API is data ([`Support::Manual`]), so the engine can turn it into a
//! guided manual step instead of skipping it.

pub mod binance;
pub mod bingx;
pub mod bitget;
pub mod bitmex;
mod budget;
pub mod bybit;
mod call;
mod cancel_style;
pub mod client;
pub mod coverage;
mod decode;
pub mod deribit;
mod error;
pub mod facts;
pub mod kraken;
pub mod mechanisms;
pub mod model;
mod nonce;
pub mod okx;
mod op;
pub mod redact;
mod request;
pub mod retention;
pub mod signing;
pub mod stream;
mod venue;

use serde::Serialize;

pub use budget::CallBudget;
pub(crate) use budget::Counters;
pub use call::{AuthStyle, CallContext, KeyFamily, ListedKey, Session, Tfa, VenueSettings};
pub use cancel_style::CancelStyle;
pub use client::{Auth, CallRecord, CallSink, Client, Mode, PageWatch};
pub use error::{ExchangeError, Outcome as CallOutcome};
pub use nonce::{NonceError, Nonces};
pub use op::{
    History, NewOrder, Op, OrderKind, OrderRef, Page, QtyUnit, Reply, Revoke, TimeInForce, Window,
};
pub use request::{Header, HeaderValue, Method, Request, Response, Sensitive, SignedRequest};
pub use venue::{Decoded, Venue};

pub use crate::venues::ExchangeId;

/// A containment capability a venue may or may not offer by API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Bind a key to the responder's IP (or make it read-only) through the master credential.
    LockKey,
    /// Delete a key.
    RevokeKey,
    /// Create a restricted replacement key.
    CreateKey,
    /// Cancel every open order of the key's account.
    CancelOrders,
    /// Order history.
    Orders,
    /// Fills.
    Fills,
    /// Balances.
    Balances,
    /// Withdrawals and internal transfers.
    Transfers,
    /// What the exchange says about a key.
    KeyInfo,
    /// The account's security log (logins, key events, IPs).
    AccessLog,
    /// A dead-man switch that cancels orders unless renewed.
    DeadMan,
    /// Freeze a whole sub-account, every key of it at once (a mass leak's broader switch).
    FreezeAccount,
}

impl Capability {
    /// Every capability, in the order the README table shows them.
    pub const ALL: &'static [Capability] = &[
        Capability::LockKey,
        Capability::RevokeKey,
        Capability::CreateKey,
        Capability::CancelOrders,
        Capability::Orders,
        Capability::Fills,
        Capability::Balances,
        Capability::Transfers,
        Capability::KeyInfo,
        Capability::AccessLog,
        Capability::DeadMan,
        Capability::FreezeAccount,
    ];

    /// The column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::LockKey => "lock",
            Capability::RevokeKey => "revoke",
            Capability::CreateKey => "create",
            Capability::CancelOrders => "cancel",
            Capability::Orders => "orders",
            Capability::Fills => "fills",
            Capability::Balances => "balances",
            Capability::Transfers => "transfers",
            Capability::KeyInfo => "key info",
            Capability::AccessLog => "access log",
            Capability::DeadMan => "dead-man switch",
            Capability::FreezeAccount => "freeze account",
        }
    }
}

/// How a venue supports a capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// By API.
    Api,
    /// Only by hand: the engine shows the guide, asks for confirmation and journals it.
    Manual(Guide),
    /// Not at all (the venue has neither an API nor a manual equivalent worth guiding).
    Unavailable(&'static str),
}

/// The README's capability table, generated from the adapters' declared support, and each
/// venue's API and the page its facts and sources are on (from the venue table).
pub fn capability_table() -> String {
    let mut out = String::from("| venue |");
    for capability in Capability::ALL {
        out.push_str(&format!(" {} |", capability.as_str()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Capability::ALL.len()));
    out.push('\n');
    for id in ExchangeId::ALL {
        let venue = id.venue();
        out.push_str(&format!("| {id} |"));
        for capability in Capability::ALL {
            let cell = match venue.support(*capability) {
                Support::Api => "API",
                Support::Manual(_) => "manual (guided)",
                Support::Unavailable(_) => "–",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push('\n');
    for id in ExchangeId::ALL {
        let spec = id.spec();
        out.push_str(&format!(
            "- `{id}`: {}; facts and sources: {}\n",
            spec.api, spec.docs
        ));
    }
    out.push_str(&watch_table());
    out.push_str(&coverage::table());
    out
}

/// How `lockdown watch` follows each venue's orders: its private stream, or REST polling.
fn watch_table() -> String {
    let mut out = String::from(
        "\nHow `lockdown watch` follows a key's orders (docs/watch.md §1; REST fills every gap of a stream):\n\n| venue | source | what it follows |\n|---|---|---|\n",
    );
    for id in ExchangeId::ALL {
        let line = match id.venue().private_stream() {
            Some(stream) => format!("| {id} | private stream | {} |\n", stream.summary()),
            None => format!(
                "| {id} | REST polling | open orders and order history of every segment, at the configured interval |\n"
            ),
        };
        out.push_str(&line);
    }
    out
}

/// Exact instructions for a step the API cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guide {
    /// What to do, in one line.
    pub title: String,
    /// Where to do it.
    pub url: String,
    /// The clicks, in order.
    pub steps: Vec<String>,
}
