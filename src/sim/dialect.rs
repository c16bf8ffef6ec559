//! What a simulated venue brings beyond the shared core: the one seam per dialect.
//!
//! The core (venue state, seeding, session files, inspection) asks a dialect everything that
//! differs by venue through [`SimDialect`]: its router, the shapes of its ids and keys, the
//! markets and keys it seeds, the names a session shows, and its own records. It never names a
//! dialect: a new simulated venue implements this trait once in its own folder, next to its
//! HTTP side (`front::Dialect`), and its row in the venue table (`src/venues.rs`) points at it.
//! Defaults are Bybit's plain shapes; a dialect overrides what is its own.

use std::fmt;

use crate::sim::front::FrontDoor;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::session::{KnownOrder, ProfileShape};
use crate::sim::state::Venue;

/// One simulated venue's answers to the core; one `static` value per dialect.
///
/// Implementations hold no state of their own (it lives on the venue, `own.rs`), never print,
/// never do I/O, and draw ids only from `v.ids` so that a seed gives the same venue.
///
/// The exchange it speaks as and its router come from its HTTP side ([`FrontDoor`], given for
/// every `front::Dialect`).
pub(crate) trait SimDialect: FrontDoor + fmt::Debug + Send + Sync {
    /// A new order id in the venue's shape, for an order on `inst`.
    fn new_order_id(&self, v: &mut Venue, inst: &Instrument) -> String;

    /// A new execution id in the venue's shape, for the `seq`-th fill on the venue.
    fn new_trade_id(&self, v: &mut Venue, inst: &Instrument, seq: i64) -> String;

    /// A new key id and secret in the venue's shape; by default Bybit's (18 and 36 characters).
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (v.ids.api_key(), v.ids.secret())
    }

    /// Returns a client order id the venue accepts, made from `raw`; by default `raw` as is.
    fn client_order_id(&self, raw: String) -> String {
        raw
    }

    /// Whether the venue lists markets of `category`; by default every category.
    fn trades(&self, _category: Category) -> bool {
        true
    }

    /// Markets of its own the default incident adds after the shared ones; none by default.
    fn incident_markets(&self) -> Vec<Instrument> {
        Vec::new()
    }

    /// Creates the master's (or owner's) key and the bot's leaked key noted `bot_note`, with
    /// the ages of the default incident.
    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str);

    /// The account a many-key scenario's further bot `n` (2, 3, …) trades on: by default a
    /// sub-account of its own under the master (`MORE_BOTS_UID + n`). A venue whose keys have
    /// no hierarchy and no master (Kraken, BitMEX) answers the first bot's account: there the
    /// vendor held several keys of the one account, and the owner's key sees them all.
    fn more_bot_uid(&self, n: u64) -> u64 {
        crate::sim::seed::MORE_BOTS_UID + n
    }

    /// Makes the further bot `n` (2, 3, …) of a many-key scenario what the venue would have:
    /// its account `uid` (a new one noted `<note>-<n>`, see `more_bot_uid`) and its leaked key
    /// `v.keys[key]`, made like the first bot's, are already in; a dialect names the account
    /// its own way (OKX's name rules, Binance's virtual email) and gives the key what is its
    /// own (a passphrase of its own). Nothing by default.
    fn seed_more_bot(&self, _v: &mut Venue, _uid: u64, _key: usize, _n: u64) {}

    /// Seeds the default incident's records of the venue's own (conditional orders, algo
    /// orders) once the shared ones are in; nothing by default.
    fn seed_incident_extras(&self, _v: &mut Venue, _now: i64) {}

    /// Seeds a drill scenario's records of the venue's own once the bot's orders are in (their
    /// client ids start with `link_prefix`); nothing by default.
    fn seed_scenario_extras(&self, _v: &mut Venue, _now: i64, _link_prefix: &str) {}

    /// The instrument name the venue's wire shows for `symbol` in `category`; by default the
    /// symbol itself.
    fn wire_symbol(&self, _v: &Venue, _category: Category, symbol: &str) -> String {
        symbol.to_owned()
    }

    /// Orders of the venue's own records that the bot (`bot_uid`) placed, for the session's
    /// known-orders ledger; none by default.
    fn known_extra_orders(&self, _v: &Venue, _bot_uid: u64) -> Vec<KnownOrder> {
        Vec::new()
    }

    /// How a profile names the account of the bot's key `uid`; by default its UID.
    fn bot_account(&self, _v: &Venue, uid: u64) -> String {
        uid.to_string()
    }

    /// How the venue's session profile differs from the plain one.
    fn profile_shape(&self) -> ProfileShape {
        ProfileShape::default()
    }

    /// Files of its own a session writes (name, contents), before the profile; none by default.
    fn session_extras(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Views of the venue's own orders (conditional, algo) for [`crate::sim::Inspect`]; none
    /// by default.
    fn extra_order_views(&self, _v: &Venue) -> Vec<OrderView> {
        Vec::new()
    }

    /// The venue's private order stream server (`lockdown watch`, docs/watch.md §1), when
    /// the simulator serves one; none by default.
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        None
    }
}
