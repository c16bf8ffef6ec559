//! Venue-neutral account data: what every adapter turns its wire types into.
//!
//! Actions, the diff and the report only ever see these types, so adding a venue never touches
//! them. Quantities and prices stay decimal strings as the exchange sent them (normalised, never
//! rounded through a float); sums, differences and comparisons go through
//! [`Amount::to_decimal`] (`rust_decimal`), and [`Amount::to_f64`] exists for estimates only.

use std::fmt;
use std::net::IpAddr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::secret::{KeyId, SecretString};

/// A decimal quantity or price exactly as the exchange wrote it, without trailing zeros.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Amount(String);

impl Amount {
    /// Normalises a decimal string: `"0.0100"` and `"0.01"` are the same amount.
    pub fn new(text: &str) -> Amount {
        let text = text.trim();
        // Exponent notation (`1.50e10`, `7.5E-6`: Deribit and Binance write some amounts so):
        // trimming zeros off the end would cut the exponent, so it is written out in full.
        if text.contains(['e', 'E'])
            && let Ok(value) = rust_decimal::Decimal::from_scientific(text)
        {
            return Amount::new(&value.normalize().to_string());
        }
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            text
        };
        let text = if text.is_empty() { "0" } else { text };
        Amount(text.to_owned())
    }

    /// The amount as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An approximation for estimates (a drill's order sizes); never for comparisons or sums.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }

    /// The amount as a decimal, for sums, differences and comparisons; `None` for text that is
    /// no number, or one beyond `rust_decimal`'s 28 digits.
    pub fn to_decimal(&self) -> Option<Decimal> {
        decimal(&self.0)
    }

    /// The amount as a decimal, text that is no number counting as zero (as venues send `""`
    /// for an amount they have none of).
    pub fn to_decimal_or_zero(&self) -> Decimal {
        self.to_decimal().unwrap_or_default()
    }

    /// A computed decimal as an amount: no trailing zeros, no exponent.
    pub fn from_decimal(value: Decimal) -> Amount {
        Amount::new(&value.normalize().to_string())
    }

    /// Whether the amount is zero (text that is no number counts as zero).
    pub fn is_zero(&self) -> bool {
        self.to_decimal_or_zero().is_zero()
    }
}

/// A decimal as written: `0.01`, `.01`, `-3`, `1e-2`, `7.5E-6`; `None` for anything else.
pub fn decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        text.parse().ok()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buys the base asset.
    Buy,
    /// Sells the base asset.
    Sell,
}

impl Side {
    /// Parses `buy`/`Buy`/`BUY` and `sell` likewise.
    pub fn parse(text: &str) -> Option<Side> {
        match text.to_ascii_lowercase().as_str() {
            "buy" => Some(Side::Buy),
            "sell" => Some(Side::Sell),
            _ => None,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// Where an order lives: the market family it trades in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Spot pairs.
    Spot,
    /// Linear (stablecoin-settled) perpetuals and futures.
    Linear,
    /// Inverse (coin-settled) contracts.
    Inverse,
    /// Options.
    Option,
}

impl Category {
    /// The lowercase name used in ledgers and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Spot => "spot",
            Category::Linear => "linear",
            Category::Inverse => "inverse",
            Category::Option => "option",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<Category> {
        match text.to_ascii_lowercase().as_str() {
            "spot" => Some(Category::Spot),
            "linear" => Some(Category::Linear),
            "inverse" => Some(Category::Inverse),
            "option" => Some(Category::Option),
            _ => None,
        }
    }
}

/// One slice of an account that a venue lists or cancels orders in with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment {
    /// The market family.
    pub category: Category,
    /// What else addresses the slice, where the venue needs it: Bybit's settle coin (or, on
    /// spot, its `orderFilter`), OKX's instrument type (`SPOT`, `MARGIN`, `SWAP`, …), Deribit's
    /// currency, Binance's margin account (`MARGIN`, `ISOLATED`).
    pub settle: Option<&'static str>,
}

impl Segment {
    /// A segment whose slice name was read from the venue at run time ([`intern`]); `None`
    /// when the name is not one a venue would give.
    pub fn discovered(category: Category, name: &str) -> Option<Segment> {
        Some(Segment {
            category,
            settle: Some(intern(name)?),
        })
    }
}

/// The most distinct names [`intern`] keeps: venues list a few dozen coins; more means an
/// answer that is not a list of coins.
const MAX_INTERNED: usize = 1024;

/// A `'static` copy of a coin or slice name a venue listed at run time (a settle coin, a
/// currency), so that discovered segments are `Copy` like the built-in ones. Each distinct name
/// is kept once for the life of the process, at most [`MAX_INTERNED`] of them. `None` for a name
/// that is not 1 to 24 ASCII letters, digits, `_` or `-`.
pub fn intern(name: &str) -> Option<&'static str> {
    use std::collections::BTreeSet;
    use std::sync::{Mutex, OnceLock};
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let valid = (1..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return None;
    }
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return Some(known);
    }
    if names.len() >= MAX_INTERNED {
        return None;
    }
    let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(kept);
    Some(kept)
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.settle {
            Some(settle) => write!(f, "{}/{settle}", self.category.as_str()),
            None => f.write_str(self.category.as_str()),
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Resting, nothing filled.
    Open,
    /// Resting, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled (possibly after a partial fill).
    Cancelled,
    /// Refused by the exchange.
    Rejected,
    /// Untriggered conditional order.
    Untriggered,
}

impl OrderStatus {
    /// Whether the order can still trade.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            OrderStatus::Open | OrderStatus::PartiallyFilled | OrderStatus::Untriggered
        )
    }
}

/// An order as the exchange reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The exchange's order id.
    pub order_id: String,
    /// The client order id the placing bot chose, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// The market family.
    pub category: Category,
    /// The instrument, as the venue names it.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// `limit`, `market`, …, lowercase.
    pub order_type: String,
    /// Ordered quantity.
    pub qty: Amount,
    /// Limit price; `None` for market orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Amount>,
    /// Quantity filled so far.
    pub filled_qty: Amount,
    /// Average fill price, when anything filled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg_price: Option<Amount>,
    /// Where the order stands.
    pub status: OrderStatus,
    /// Creation time, Unix ms, exchange clock.
    pub created_ms: i64,
    /// Last update time, Unix ms, exchange clock.
    pub updated_ms: i64,
}

/// One execution (fill) of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    /// The exchange's execution id.
    pub fill_id: String,
    /// The order it belongs to.
    pub order_id: String,
    /// The order's client id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// The market family.
    pub category: Category,
    /// The instrument.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Executed quantity.
    pub qty: Amount,
    /// Execution price.
    pub price: Amount,
    /// Fee charged.
    pub fee: Amount,
    /// Execution time, Unix ms.
    pub time_ms: i64,
}

/// A balance of one coin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// The coin.
    pub coin: String,
    /// Total balance.
    pub total: Amount,
    /// Locked in orders or otherwise unavailable.
    pub locked: Amount,
    /// The venue's USD valuation, where it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_value: Option<Amount>,
    /// The account or wallet it is held in, in the venue's words (Bybit `UNIFIED`, `FUND`; OKX
    /// `trading`, `funding`), on venues that keep more than one; `None` where there is only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// What kind of money movement a [`Transfer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Out of the exchange.
    Withdrawal,
    /// Into the exchange.
    Deposit,
    /// Between accounts on the exchange.
    Internal,
}

/// A withdrawal, deposit or internal transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// The exchange's id.
    pub id: String,
    /// What kind of movement.
    pub kind: TransferKind,
    /// The coin.
    pub coin: String,
    /// The amount.
    pub amount: Amount,
    /// Source (account id or address), as the venue gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Destination (account id or address), as the venue gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The venue's status word.
    pub status: String,
    /// Time, Unix ms.
    pub time_ms: i64,
}

/// What the exchange says about one API key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The key id.
    pub key: KeyId,
    /// The key's note or label.
    pub label: String,
    /// The account (sub-account or UID) the key belongs to, when the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Whether this key belongs to the master account.
    pub is_master: bool,
    /// Read-only keys cannot trade or manage.
    pub read_only: bool,
    /// The venue's permission names, flattened (`Spot:SpotTrade`).
    pub permissions: Vec<String>,
    /// The IP whitelist; empty means the key is usable from anywhere.
    pub ips: Vec<String>,
    /// Creation time, when the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Expiry time, when the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

impl KeyInfo {
    /// Whether this entry is about `key`: the same id, or, on venues whose listings mask key
    /// ids (Binance Link broker keys, `vmP*************`, docs/venues/binance.md §4), a masked id
    /// whose visible start and end are the key's.
    pub fn names(&self, key: &KeyId) -> bool {
        let listed = self.key.as_str();
        if listed == key.as_str() {
            return true;
        }
        let (Some(first), Some(last)) = (listed.find('*'), listed.rfind('*')) else {
            return false;
        };
        let (head, tail) = (&listed[..first], &listed[last + 1..]);
        !(head.is_empty() && tail.is_empty())
            && key.as_str().len() > head.len() + tail.len()
            && key.as_str().starts_with(head)
            && key.as_str().ends_with(tail)
    }

    /// Whether the venue showed this key's id masked, so that its listing says less than the
    /// key's own answers (no IP list).
    pub fn is_masked(&self) -> bool {
        self.key.as_str().contains('*')
    }

    /// Whether any permission can move money off the account.
    pub fn can_withdraw(&self) -> bool {
        self.permissions.iter().any(|perm| {
            let perm = perm.to_ascii_lowercase();
            // Deribit names no withdraw right: its `wallet:read_write` scope withdraws
            // (docs/venues/deribit.md §4).
            perm.contains("withdraw") || perm == "wallet:read_write"
        })
    }
}

/// One entry of an account's security log (logins, key changes), as the exchange records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEvent {
    /// The exchange's id of the entry.
    pub id: String,
    /// When, Unix ms on the exchange's clock.
    pub time_ms: i64,
    /// What happened, in the venue's words (`success`, `new_api_key`, `changed_whitelist`).
    pub event: String,
    /// The address it came from, where the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// What it concerned (a key's id for key events), where the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where the address is, where the venue says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

/// A non-empty list of addresses a key is bound to. "Anywhere" cannot be expressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IpWhitelist(Vec<IpAddr>);

impl IpWhitelist {
    /// Parses addresses; refuses an empty list, `*` and unspecified addresses.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<IpWhitelist, String> {
        let mut ips = Vec::new();
        for item in items {
            let text = item.as_ref().trim();
            let ip: IpAddr = text.parse().map_err(|_| {
                format!("`{text}` is not an IP address; a key must be bound to exact addresses")
            })?;
            if ip.is_unspecified() {
                return Err(format!(
                    "`{text}` would bind the key to nowhere in particular"
                ));
            }
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        if ips.is_empty() {
            return Err(
                "the IP whitelist is empty; a key must be bound to at least one address".to_owned(),
            );
        }
        Ok(IpWhitelist(ips))
    }

    /// The addresses.
    pub fn ips(&self) -> &[IpAddr] {
        &self.0
    }

    /// The addresses as strings.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// How a leaked key is locked: bound to the responder, optionally made read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The only addresses the key may be used from afterwards.
    pub ips: IpWhitelist,
    /// Also take away trading.
    pub access: Access,
}

/// Whether a key may trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Read only: no trading, no management.
    ReadOnly,
    /// Keep what the key has (used when locking: only the IP list changes).
    Unchanged,
}

/// A trading permission a replacement key may get. There is deliberately no withdrawal or
/// transfer permission: a replacement key cannot be given one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradePermission {
    /// Spot trading.
    SpotTrade,
    /// Linear and inverse contracts: orders and positions.
    ContractTrade,
    /// Options trading.
    OptionsTrade,
}

/// What a replacement key may do, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    /// Trading permissions; empty means read-only.
    pub trade: Vec<TradePermission>,
    /// Where the key may be used from.
    pub ips: IpWhitelist,
}

/// A key the exchange just created. The secret is shown once and goes straight to the store.
#[derive(Clone)]
pub struct CreatedKey {
    /// What the exchange says about the new key.
    pub info: KeyInfo,
    /// Its secret.
    pub secret: SecretString,
    /// Its passphrase, on venues that have one (OKX).
    pub passphrase: Option<SecretString>,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("info", &self.info)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// One order the exchange acknowledged cancelling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    /// The order id.
    pub order_id: String,
    /// Its client order id, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// Where it lived.
    pub segment: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amounts are compared and summed as decimals, never through a float.
    #[test]
    fn amounts_compute_as_decimals() {
        let d = |text: &str| Amount::new(text).to_decimal();
        assert_eq!(d("0.0100"), d(".01"));
        assert_eq!(d("1e-2"), d("0.01"));
        assert_eq!(d("not a number"), None);
        // 0.1 + 0.2 is 0.3 exactly (a float says 0.30000000000000004).
        let sum = d("0.1").unwrap() + d("0.2").unwrap();
        assert_eq!(Amount::from_decimal(sum).as_str(), "0.3");
        // Nineteen significant digits survive (a float keeps about sixteen).
        let big = d("1234567890.123456789").unwrap() - d("0.000000001").unwrap();
        assert_eq!(Amount::from_decimal(big).as_str(), "1234567890.123456788");
        for (text, zero) in [
            ("0.000", true),
            ("", true),
            ("n/a", true),
            ("0.00000001", false),
        ] {
            assert_eq!(Amount::new(text).is_zero(), zero, "{text:?}");
        }
    }

    #[test]
    fn amounts_normalise() {
        for (label, input, want) in [
            ("trailing zeros", "0.0100", "0.01"),
            ("integer with point", "25.000", "25"),
            ("plain integer", "100", "100"),
            ("zero", "0.000", "0"),
            ("exponent with zeros", "1.50e10", "15000000000"),
            ("exponent that ends in zero", "2e10", "20000000000"),
            ("negative exponent", "7.5E-6", "0.0000075"),
        ] {
            assert_eq!(Amount::new(input).as_str(), want, "{label}");
        }
    }

    #[test]
    fn masked_listings_name_their_key() {
        let info = |id: &str| KeyInfo {
            key: KeyId::new(id),
            label: String::new(),
            account: None,
            is_master: false,
            read_only: false,
            permissions: Vec::new(),
            ips: Vec::new(),
            created_at: None,
            expires_at: None,
        };
        let key = KeyId::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv");
        for (label, listed, want) in [
            ("same id", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv", true),
            ("masked head", "vmP*************", true),
            ("masked middle", "vmPU****E2zv", true),
            ("other head", "5VN*************", false),
            ("all stars", "****************", false),
            ("other id", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zX", false),
        ] {
            assert_eq!(info(listed).names(&key), want, "{label}");
        }
        assert!(info("vmP***").is_masked());
        assert!(!info("vmPUZE").is_masked());
    }

    #[test]
    fn whitelist_refuses_anywhere() {
        assert!(IpWhitelist::parse(&["*"]).is_err());
        assert!(IpWhitelist::parse(&["0.0.0.0"]).is_err());
        assert!(IpWhitelist::parse::<&str>(&[]).is_err());
        let list = IpWhitelist::parse(&["127.0.0.1", "127.0.0.1", "10.0.0.2"]).unwrap();
        assert_eq!(list.to_strings(), ["127.0.0.1", "10.0.0.2"]);
    }
}
