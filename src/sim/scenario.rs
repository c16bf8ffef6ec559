//! Drill scenarios: the account an incident happens to, the bot's own trading, and the attacker.
//!
//! A scenario is YAML (shipped ones are embedded from `scenarios/`; a path works too). The
//! simulator seeds its venue from the account part (`Sim::from_scenario`); the drill's attacker
//! follows the attacker part. Everything random comes from the seed, so the same scenario and
//! seed give the same ids and the same attacker plan. Parsed through the serde_yaml API into raw
//! types with every field checked; problems come back with `file:line:col`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::source::{Problems, Source};

/// The shipped scenarios, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "pump-illiquid",
        include_str!("../../scenarios/pump-illiquid.yaml"),
    ),
    ("alt-dump", include_str!("../../scenarios/alt-dump.yaml")),
    ("quiet", include_str!("../../scenarios/quiet.yaml")),
    ("sabotage", include_str!("../../scenarios/sabotage.yaml")),
    (
        "products-okx",
        include_str!("../../scenarios/products-okx.yaml"),
    ),
    (
        "products-kraken",
        include_str!("../../scenarios/products-kraken.yaml"),
    ),
    (
        "products-bitmex",
        include_str!("../../scenarios/products-bitmex.yaml"),
    ),
    (
        "products-bitget",
        include_str!("../../scenarios/products-bitget.yaml"),
    ),
    (
        "products-bybit",
        include_str!("../../scenarios/products-bybit.yaml"),
    ),
    (
        "products-deribit",
        include_str!("../../scenarios/products-deribit.yaml"),
    ),
    (
        "products-binance",
        include_str!("../../scenarios/products-binance.yaml"),
    ),
    (
        "products-bingx",
        include_str!("../../scenarios/products-bingx.yaml"),
    ),
    (
        "wide-binance",
        include_str!("../../scenarios/wide-binance.yaml"),
    ),
    (
        "vendor-leak",
        include_str!("../../scenarios/vendor-leak.yaml"),
    ),
    (
        "skewed-clock",
        include_str!("../../scenarios/skewed-clock.yaml"),
    ),
    ("aged-out", include_str!("../../scenarios/aged-out.yaml")),
    (
        "busy-history",
        include_str!("../../scenarios/busy-history.yaml"),
    ),
    (
        "prefix-copycat",
        include_str!("../../scenarios/prefix-copycat.yaml"),
    ),
    (
        "order-kinds",
        include_str!("../../scenarios/order-kinds.yaml"),
    ),
    (
        "quiet-sabotage",
        include_str!("../../scenarios/quiet-sabotage.yaml"),
    ),
    ("busy-bot", include_str!("../../scenarios/busy-bot.yaml")),
    (
        "ledger-gap",
        include_str!("../../scenarios/ledger-gap.yaml"),
    ),
];

/// The scenario a drill runs when none is named.
pub const DEFAULT: &str = "pump-illiquid";

/// A drill scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// What it re-enacts.
    #[serde(default)]
    pub description: String,
    /// The seed used when the drill names none.
    #[serde(default)]
    pub seed: u64,
    /// How long the attacker trades before the owner presses the panic button.
    #[serde(with = "humantime_serde_duration")]
    pub detection_delay: Duration,
    /// How long the drill's simulated operator takes for a step done by hand (default 2s).
    #[serde(default = "default_operator_delay", with = "humantime_serde_duration")]
    pub operator_delay: Duration,
    /// What can be traded, and how deep each book is.
    pub markets: Vec<Market>,
    /// The bot sub-account's balances before its history (coin -> amount).
    pub balances: BTreeMap<String, String>,
    /// The master account's balances.
    #[serde(default)]
    pub master_balances: BTreeMap<String, String>,
    /// How many bot keys the account holds, all leaked (the vendor leak): each bot on a
    /// sub-account of its own with the same balances and orders, an attacker on each key
    /// (default 1; at most [`MAX_KEYS`]).
    #[serde(default = "one_key")]
    pub keys: u32,
    /// The bot's own orders: the known-orders ledger.
    pub bot: Bot,
    /// What the attacker does with the leaked key.
    pub attacker: Attacker,
    /// What is wrong with the owner's own setup, to drill what a rotten setup does to a
    /// response (default: nothing).
    #[serde(default)]
    pub owner: Owner,
    /// How far the exchange's clock is ahead of the responder's (`4s`, `-3s`; default 0): the
    /// drill sets the simulator's skew before the attacker starts.
    #[serde(default, rename = "clock_skew", with = "signed_ms")]
    pub clock_skew_ms: i64,
}

/// The owner's setup as the drill writes it: the ways a real one rots.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// The known-orders ledger.
    #[serde(default)]
    pub ledger: LedgerState,
    /// The profile's `responder_ip` (default: this machine's loopback address, 127.0.0.1); any
    /// other locks the responder out of the key it locks.
    #[serde(default)]
    pub responder_ip: Option<std::net::IpAddr>,
}

/// The state of the owner's known-orders ledger in a drill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerState {
    /// Written whole.
    #[default]
    Present,
    /// Deleted (the file the profile names does not exist).
    Missing,
    /// Written with a line that is not a ledger entry at the end.
    Garbled,
}

/// A tradable market.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// `spot`, `linear` or `inverse`.
    #[serde(default)]
    pub category: MarketKind,
    /// Base coin (`XVG`).
    pub base: String,
    /// Quote (spot) or settle (linear) coin (`USDT`).
    pub quote: String,
    /// The reference (mid) price before anyone trades.
    pub price: String,
    /// How much liquidity rests around the price.
    #[serde(default)]
    pub book: Depth,
}

impl Market {
    /// The venue symbol: base then quote (`XVGUSDT`).
    pub fn symbol(&self) -> String {
        format!("{}{}", self.base, self.quote)
    }
}

/// A market family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketKind {
    /// Spot.
    #[default]
    Spot,
    /// Linear perpetual (settled in the quote coin).
    Linear,
    /// Inverse perpetual (quoted in USD, settled in the base coin: `ETHUSD` settles in ETH).
    Inverse,
}

/// How deep a synthetic order book is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    /// Many levels with large size: market orders barely move the price.
    #[default]
    Deep,
    /// A few small levels with widening gaps: a few thousand dollars move the price a lot.
    Thin,
}

/// The bot's side of the account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bot {
    /// Prefix of the bot's client order ids.
    pub client_prefix: String,
    /// Its orders, oldest first or in any order.
    pub orders: Vec<BotOrder>,
    /// How the bot keeps trading during the drill, from `sim::BOT_IP` with the leaked key (it
    /// holds it too) until the exchange refuses the key; `None`: it stopped before the drill.
    #[serde(default)]
    pub trading: Option<Trading>,
    /// How long after each of its order events the live bot writes the ledger line (default 0):
    /// a real bot's ledger is seconds behind its orders.
    #[serde(default, with = "humantime_serde_duration")]
    pub ledger_lag: Duration,
}

/// The live bot's trading during the drill.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trading {
    /// Orders a second.
    #[serde(default = "default_bot_rate")]
    pub rate: f64,
    /// The spot markets it trades, scenario symbols (`BTCUSDT`), taken in turn.
    pub symbols: Vec<String>,
    /// The kinds of orders it places, taken in turn (default `[limit]`).
    #[serde(default = "default_bot_kinds")]
    pub kinds: Vec<TradeKind>,
    /// What each order is worth in the quote coin (default `"50"`).
    #[serde(default = "default_bot_notional")]
    pub notional: String,
    /// How many of its limit orders rest at once: past this, it cancels its oldest (default 3).
    #[serde(default = "default_bot_resting")]
    pub resting: u32,
}

/// An order the live bot places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradeKind {
    /// A limit order a few percent away from the price, buy below or sell above: it rests.
    Limit,
    /// A market sell of the base coin: it fills at once.
    Market,
}

/// One order the bot placed before the incident.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotOrder {
    /// `spot` or `linear`.
    #[serde(default)]
    pub category: MarketKind,
    /// Symbol (`BTCUSDT`).
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: OrderSide,
    /// `limit` or `market`.
    #[serde(rename = "type")]
    pub order_type: OrderKind,
    /// Quantity in the base coin.
    pub qty: String,
    /// Limit price.
    #[serde(default)]
    pub price: Option<String>,
    /// Where it stands now.
    pub status: BotOrderStatus,
    /// How long ago it was placed.
    #[serde(with = "humantime_serde_duration")]
    pub age: Duration,
    /// Whether the owner's ledger has it (default true): `false` for an order the ledger never
    /// got (placed by hand, say). The owner's, but lockdown cannot know: the drill counts it
    /// apart when it is reported unauthorized.
    #[serde(default = "yes")]
    pub in_ledger: bool,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderSide {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderKind {
    /// Limit.
    Limit,
    /// Market.
    Market,
}

/// Where a bot order stands when the drill starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BotOrderStatus {
    /// Resting.
    Open,
    /// Filled at the reference price.
    Filled,
    /// Cancelled unfilled.
    Cancelled,
}

/// What the attacker does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attacker {
    /// The pattern.
    pub pattern: Pattern,
    /// Requests per second while trading.
    #[serde(default = "default_rate")]
    pub rate: f64,
    /// Orders it places before it only probes (keeps the truth set the same for a seed).
    #[serde(default)]
    pub orders: u32,
    /// `pump`: the pair it buys; `alt-dump`: the coin it buys with the proceeds.
    #[serde(default)]
    pub target: Option<String>,
    /// `pump`: quote spent per market buy.
    #[serde(default)]
    pub quote_per_order: Option<String>,
    /// `pump`: limit buys at this multiple of the reference price, every other order.
    #[serde(default)]
    pub limit_markup: Option<f64>,
    /// `alt-dump`: the pairs whose base coin it sells.
    #[serde(default)]
    pub sell: Vec<String>,
    /// `sabotage`: the withdrawal it tries.
    #[serde(default)]
    pub withdraw: Option<Withdraw>,
    /// `spread`: the resting orders it leaves, one per entry, in the products the venue has.
    #[serde(default)]
    pub place: Vec<Placement>,
    /// `pump`: more pairs it buys, in turn with `target` (default: `target` alone).
    #[serde(default)]
    pub targets: Vec<String>,
    /// The client order ids it sends (default: none).
    #[serde(default)]
    pub client_ids: ClientIds,
    /// `pump`: the kinds of order it places, each in turn (default: market buys, and limit buys
    /// when `limit_markup` is set). A kind the venue does not have is refused by its adapter.
    #[serde(default)]
    pub order_kinds: Vec<AttackKind>,
    /// `pump`: sells back what it bought, once its buys are done.
    #[serde(default)]
    pub round_trip: bool,
    /// `sabotage` without a `target`: how many of the bot's open orders it cancels.
    #[serde(default)]
    pub cancel: u32,
    /// `sabotage` without a `target`: how many of the bot's open orders it amends (a smaller
    /// quantity, and a price further from the market where the venue lets it).
    #[serde(default)]
    pub amend: u32,
    /// How often it retries once its plan is done, until it is refused.
    #[serde(default = "default_probe", with = "humantime_serde_duration")]
    pub probe_every: Duration,
    /// A backdated attacker (default 0): its plan is also seeded as done this long ago, its
    /// orders and fills dated then, in addition to its live trading (`sim::scenario_seed`).
    #[serde(default, with = "humantime_serde_duration")]
    pub start_ago: Duration,
}

impl Attacker {
    /// The pairs it buys: `target`, then `targets`.
    pub fn all_targets(&self) -> Vec<String> {
        self.target
            .iter()
            .chain(self.targets.iter())
            .cloned()
            .collect()
    }
}

/// The client order ids an attacker sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientIds {
    /// None.
    #[default]
    None,
    /// Ids of its own (`atk` and a number).
    Own,
    /// Ids that start with the bot's `client_prefix`, as the bot's do.
    BotPrefix,
    /// The client ids of the bot's filled and cancelled orders, read from the account's order
    /// history, then ids with the bot's prefix once those run out.
    Copy,
}

/// A kind of order the attacker places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// A limit buy at `limit_markup` times the price (default 1.02: it takes).
    Limit,
    /// A market buy.
    Market,
    /// An immediate-or-cancel limit buy above the price.
    Ioc,
    /// A fill-or-kill limit buy above the price.
    Fok,
    /// A post-only limit buy under the price (it rests).
    PostOnly,
    /// A reduce-only limit sell (refused where there is no position to reduce).
    ReduceOnly,
    /// A conditional limit buy that waits for the price to rise a tenth.
    Conditional,
}

/// The most bot keys a scenario may seed.
pub const MAX_KEYS: u32 = 200;

fn one_key() -> u32 {
    1
}

fn default_operator_delay() -> Duration {
    Duration::from_secs(2)
}

fn default_rate() -> f64 {
    10.0
}

fn yes() -> bool {
    true
}

fn default_bot_rate() -> f64 {
    2.0
}

fn default_bot_kinds() -> Vec<TradeKind> {
    vec![TradeKind::Limit]
}

fn default_bot_notional() -> String {
    "50".to_owned()
}

fn default_bot_resting() -> u32 {
    3
}

fn default_probe() -> Duration {
    Duration::from_millis(10)
}

/// A withdrawal the attacker tries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdraw {
    /// Coin.
    pub coin: String,
    /// Amount.
    pub amount: String,
    /// Destination address.
    pub address: String,
}

/// One resting order of the `spread` pattern: an order in a product the response must find and
/// cancel (a conditional order, an inverse contract, a margin order, a pair in another quote).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// The market: a scenario market's symbol (`ETHUSD`).
    pub market: String,
    /// The market's family (default spot).
    #[serde(default)]
    pub category: MarketKind,
    /// Buy or sell.
    pub side: OrderSide,
    /// Quantity, in the venue's unit for the product (base coin; contracts on inverse).
    pub qty: String,
    /// The limit price, as a multiple of the market's reference price (`0.5`: half of it, so a
    /// buy rests).
    pub price: f64,
    /// A conditional order: the trigger price as a multiple of the reference price.
    #[serde(default)]
    pub trigger: Option<f64>,
    /// The account slice, where the venue keeps the product apart (Binance's `MARGIN`).
    #[serde(default)]
    pub account: Option<String>,
}

/// The attacker's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// Buys an illiquid pair at inflated prices (the 2022 trading-bot key leak).
    Pump,
    /// Sells many alts into one coin, then buys the target with it (the 2018 VIA attack).
    AltDump,
    /// Cancels the bot's orders, tries a withdrawal, then pumps; with `cancel` or `amend` and no
    /// `target`, cancels and amends that many of the bot's open orders and does nothing else.
    Sabotage,
    /// Leaves resting orders across the venue's products (`place`), the kinds a response that
    /// covers only plain spot orders would miss.
    Spread,
    /// No attacker: the drill must find nothing.
    None,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScenarioError {
    /// Neither a shipped name nor a readable file.
    #[error("no scenario `{name}`")]
    #[diagnostic(help("shipped scenarios: {known}; or give a path to a scenario file"))]
    Unknown {
        /// What was asked for.
        name: String,
        /// The shipped names.
        known: String,
    },
    /// The file has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Problems),
}

impl Scenario {
    /// Loads a shipped scenario by name, or a file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(name, _)| *name == name_or_path) {
            return Scenario::parse(&format!("builtin:scenarios/{name}.yaml"), text);
        }
        let path = Path::new(name_or_path);
        match crate::limits::read_file_up_to(path, crate::limits::MAX_SCENARIO_BYTES) {
            Ok(text) => Scenario::parse(&path.display().to_string(), &text),
            Err(err) if path.is_file() => Err(Problems {
                file: path.display().to_string(),
                problems: vec![
                    Source::new(path.display().to_string(), "")
                        .problem(None, format!("cannot read the scenario: {err}")),
                ],
            }
            .into()),
            Err(_) => Err(ScenarioError::Unknown {
                name: name_or_path.to_owned(),
                known: BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Parses and checks scenario text.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let source = Source::bounded_up_to(name, text, crate::limits::MAX_SCENARIO_BYTES)?;
        let scenario: Scenario = source.parse_all(|_| None)?;
        let mut problems = Vec::new();
        let symbols: Vec<String> = scenario.markets.iter().map(Market::symbol).collect();
        for (i, market) in scenario.markets.iter().enumerate() {
            if !positive(&market.price) {
                problems.push(source.problem_at(
                    &format!("markets[{i}].price"),
                    format!("`{}` is not a positive price", market.price),
                ));
            }
        }
        for (i, order) in scenario.bot.orders.iter().enumerate() {
            let at = format!("bot.orders[{i}]");
            if !symbols.contains(&order.symbol) {
                problems.push(source.problem_at(
                    &format!("{at}.symbol"),
                    format!("`{}` is not among the scenario's markets", order.symbol),
                ));
            }
            if !positive(&order.qty) {
                problems.push(source.problem_at(&format!("{at}.qty"), "qty must be positive"));
            }
            if order.order_type == OrderKind::Limit && !order.price.as_deref().is_some_and(positive)
            {
                problems.push(source.problem_at(&at, "a limit order needs a positive `price`"));
            }
        }
        check_trading(&scenario, &source, &mut problems);
        let attacker = &scenario.attacker;
        // Sabotage without a target cancels and amends the bot's orders and trades nothing.
        let quiet_sabotage = attacker.cancel > 0 || attacker.amend > 0;
        let needs_target = match attacker.pattern {
            Pattern::Pump | Pattern::AltDump => true,
            Pattern::Sabotage => !quiet_sabotage,
            Pattern::Spread | Pattern::None => false,
        };
        match &attacker.target {
            Some(target) if !symbols.contains(target) => problems.push(source.problem_at(
                "attacker.target",
                format!("`{target}` is not among the scenario's markets"),
            )),
            None if needs_target => {
                problems.push(source.problem_at("attacker", "this pattern needs a `target` market"))
            }
            _ => {}
        }
        if quiet_sabotage && attacker.pattern != Pattern::Sabotage {
            problems.push(source.problem_at(
                "attacker",
                "`cancel` and `amend` belong to the `sabotage` pattern",
            ));
        }
        for (i, pair) in attacker.targets.iter().enumerate() {
            if !symbols.contains(pair) {
                problems.push(source.problem_at(
                    &format!("attacker.targets[{i}]"),
                    format!("`{pair}` is not among the scenario's markets"),
                ));
            }
        }
        for (i, pair) in attacker.sell.iter().enumerate() {
            if !symbols.contains(pair) {
                problems.push(source.problem_at(
                    &format!("attacker.sell[{i}]"),
                    format!("`{pair}` is not among the scenario's markets"),
                ));
            }
        }
        check_placements(&scenario, &source, &mut problems);
        let waits = [
            ("detection_delay", scenario.detection_delay),
            ("operator_delay", scenario.operator_delay),
            ("attacker.probe_every", attacker.probe_every),
            ("bot.ledger_lag", scenario.bot.ledger_lag),
        ];
        for (path, wait) in waits {
            if wait > MAX_WAIT {
                problems.push(
                    source
                        .problem_at(path, format!("`{path}` is longer than 10m"))
                        .help("a drill re-enacts minutes of an incident; write a duration up to `10m`"),
                );
            }
        }
        if scenario.clock_skew_ms.unsigned_abs() > MAX_SKEW_MS {
            problems.push(
                source
                    .problem_at("clock_skew", "`clock_skew` is more than a minute")
                    .help(
                        "every venue refuses timestamps a minute off; write up to `60s` either way",
                    ),
            );
        }
        if attacker.start_ago > MAX_AGE {
            problems.push(
                source
                    .problem_at(
                        "attacker.start_ago",
                        "an attacker that started over a year ago",
                    )
                    .help("write `start_ago` up to `365d`"),
            );
        }
        if attacker.probe_every.is_zero() {
            problems.push(source.problem_at(
                "attacker.probe_every",
                "`probe_every` of zero would probe without pause",
            ));
        }
        for (i, order) in scenario.bot.orders.iter().enumerate() {
            if order.age > MAX_AGE {
                problems.push(
                    source
                        .problem_at(
                            &format!("bot.orders[{i}].age"),
                            "an order older than a year",
                        )
                        .help("the bot's history reaches back at most `365d`"),
                );
            }
        }
        if scenario.keys == 0 || scenario.keys > MAX_KEYS {
            problems.push(source.problem_at(
                "keys",
                format!("`keys` is between 1 and {MAX_KEYS} (bot keys on the account)"),
            ));
        }
        if attacker.rate <= 0.0 || !attacker.rate.is_finite() {
            problems.push(source.problem_at(
                "attacker.rate",
                "rate must be a positive number of requests a second",
            ));
        }
        if problems.is_empty() {
            Ok(scenario)
        } else {
            Err(Problems {
                file: name.to_owned(),
                problems,
            }
            .into())
        }
    }

    /// The market with this symbol, spot first.
    pub fn market(&self, symbol: &str) -> Option<&Market> {
        self.markets.iter().find(|m| m.symbol() == symbol)
    }

    /// The market of a family by its symbol (`ETHUSD`, inverse).
    pub fn market_of(&self, category: MarketKind, symbol: &str) -> Option<&Market> {
        self.markets
            .iter()
            .find(|m| m.category == category && m.symbol() == symbol)
    }
}

/// The live bot's trading: spot markets of the scenario, a rate, kinds, a positive notional,
/// one bot key (a many-key scenario has no one bot to trade).
fn check_trading(scenario: &Scenario, source: &Source, problems: &mut Vec<crate::source::Problem>) {
    let Some(trading) = &scenario.bot.trading else {
        return;
    };
    if trading.symbols.is_empty() {
        problems.push(source.problem_at(
            "bot.trading",
            "the live bot needs markets to trade under `symbols`",
        ));
    }
    for (i, symbol) in trading.symbols.iter().enumerate() {
        if scenario.market_of(MarketKind::Spot, symbol).is_none() {
            problems.push(source.problem_at(
                &format!("bot.trading.symbols[{i}]"),
                format!("`{symbol}` is not among the scenario's spot markets"),
            ));
        }
    }
    if trading.kinds.is_empty() {
        problems.push(source.problem_at(
            "bot.trading.kinds",
            "the live bot needs at least one kind of order",
        ));
    }
    if !(trading.rate.is_finite() && trading.rate > 0.0 && trading.rate <= MAX_BOT_RATE) {
        problems.push(
            source
                .problem_at(
                    "bot.trading.rate",
                    "rate must be a positive number of orders a second",
                )
                .help(format!("write a rate up to {MAX_BOT_RATE}")),
        );
    }
    if !positive(&trading.notional) {
        problems.push(source.problem_at("bot.trading.notional", "notional must be positive"));
    }
    if trading.resting == 0 {
        problems.push(source.problem_at(
            "bot.trading.resting",
            "`resting` of zero would cancel every order as soon as it is placed",
        ));
    }
    if scenario.keys > 1 {
        problems.push(source.problem_at(
            "bot.trading",
            "a live bot trades with one leaked key: write `keys: 1` or drop `trading`",
        ));
    }
}

/// The fastest the live bot may trade: the leaked key's rate limits are shared with the attacker
/// and the response.
const MAX_BOT_RATE: f64 = 20.0;

/// The `spread` pattern's entries: each names a market of its family, a positive quantity and
/// multiples, and an account name a venue could give.
fn check_placements(
    scenario: &Scenario,
    source: &Source,
    problems: &mut Vec<crate::source::Problem>,
) {
    let attacker = &scenario.attacker;
    if attacker.pattern == Pattern::Spread && attacker.place.is_empty() {
        problems.push(source.problem_at(
            "attacker",
            "the `spread` pattern needs orders to leave under `place`",
        ));
    }
    for (i, order) in attacker.place.iter().enumerate() {
        let at = format!("attacker.place[{i}]");
        if scenario.market_of(order.category, &order.market).is_none() {
            problems.push(source.problem_at(
                &format!("{at}.market"),
                format!(
                    "`{}` is not among the scenario's {:?} markets",
                    order.market, order.category
                ),
            ));
        }
        if !positive(&order.qty) {
            problems.push(source.problem_at(&format!("{at}.qty"), "qty must be positive"));
        }
        let multiples = [("price", Some(order.price)), ("trigger", order.trigger)];
        for (name, value) in multiples {
            if value.is_some_and(|m| !(m.is_finite() && m > 0.0)) {
                problems.push(source.problem_at(
                    &format!("{at}.{name}"),
                    format!("`{name}` must be a positive multiple of the reference price"),
                ));
            }
        }
        if let Some(account) = &order.account
            && crate::exchanges::model::intern(account).is_none()
        {
            problems.push(source.problem_at(
                &format!("{at}.account"),
                "an account name is 1 to 24 letters, digits, `_` or `-`",
            ));
        }
    }
}

/// The longest wait a scenario may name: a drill that stalls is no drill.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// The largest clock skew a scenario may name: a minute, Deribit's tolerance, the widest.
const MAX_SKEW_MS: u64 = 60_000;

/// The oldest order of the bot's history.
const MAX_AGE: Duration = Duration::from_secs(365 * 86_400);

fn positive(text: &str) -> bool {
    text.trim()
        .parse::<f64>()
        .is_ok_and(|v| v > 0.0 && v.is_finite())
}

/// `7d`, `1500ms`: durations written as people write them.
mod humantime_serde_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(de)?;
        crate::clock::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

/// `4s`, `-3s`, `+500ms`: a signed duration, in milliseconds.
mod signed_ms {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
        let text = String::deserialize(de)?;
        crate::clock::parse_signed_ms(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_parses() {
        for (name, _) in BUILTIN {
            let scenario = Scenario::load(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(&scenario.name, name);
        }
    }

    #[test]
    fn a_scenario_with_many_bot_orders_loads_and_a_bad_one_is_still_placed() {
        // 20 000 orders: 2 MB of YAML, more than the 1 MiB playbooks and configs may have.
        let mut text = String::from(
            "name: many\ndetection_delay: 1s\nmarkets:\n  - { base: BTC, quote: USDT, price: \"65000\" }\nbalances: {}\nbot:\n  client_prefix: grid-\n  orders:\n",
        );
        for i in 0..20_000 {
            text.push_str(&format!(
                "    - {{ symbol: BTCUSDT, side: buy, type: limit, qty: \"0.001\", price: \"{}\", status: open, age: {}m }}\n",
                60_000 + i % 100,
                1 + i % 600
            ));
        }
        text.push_str("attacker: { pattern: none }\n");
        assert!(text.len() > crate::limits::MAX_FILE_BYTES);
        let scenario = Scenario::parse("many.yaml", &text).unwrap();
        assert_eq!(scenario.bot.orders.len(), 20_000);
        // A problem near the end still names its line.
        let bad = text.replacen(
            "qty: \"0.001\", price: \"60099\"",
            "qty: \"0\", price: \"60099\"",
            1,
        );
        let err = format!("{:?}", Scenario::parse("many.yaml", &bad).unwrap_err());
        assert!(err.contains("many.yaml:108:"), "{err}");
    }

    #[test]
    fn clock_skew_and_start_ago_are_read_and_bounded() {
        let head = "name: x\ndetection_delay: 1s\nmarkets: []\nbalances: {}\nbot: { client_prefix: g-, orders: [] }\n";
        let s = Scenario::parse(
            "s.yaml",
            &format!("{head}clock_skew: -3s\nattacker: {{ pattern: none, start_ago: 2d }}\n"),
        )
        .unwrap();
        assert_eq!(s.clock_skew_ms, -3_000);
        assert_eq!(s.attacker.start_ago, Duration::from_secs(2 * 86_400));
        let s =
            Scenario::parse("s.yaml", &format!("{head}attacker: {{ pattern: none }}\n")).unwrap();
        assert_eq!((s.clock_skew_ms, s.attacker.start_ago), (0, Duration::ZERO));
        let bad = format!("{head}clock_skew: 2m\nattacker: {{ pattern: none, start_ago: 400d }}\n");
        let err = format!("{:?}", Scenario::parse("s.yaml", &bad).unwrap_err());
        assert!(
            err.contains("more than a minute") && err.contains("over a year"),
            "{err}"
        );
        let err = format!(
            "{:?}",
            Scenario::parse(
                "s.yaml",
                &format!("{head}clock_skew: soon\nattacker: {{ pattern: none }}\n")
            )
            .unwrap_err()
        );
        assert!(err.contains("signed duration"), "{err}");
    }

    #[test]
    fn the_live_bot_and_the_ledger_gap_are_read_and_checked_where_written() {
        let head = "name: x\ndetection_delay: 1s\nmarkets:\n  - { base: BTC, quote: USDT, price: \"65000\" }\n  - { category: linear, base: ETH, quote: USDT, price: \"3000\" }\nbalances: {}\n";
        let tail = "attacker: { pattern: none }\n";
        let good = format!(
            "{head}bot:\n  client_prefix: g-\n  ledger_lag: 1500ms\n  trading: {{ symbols: [BTCUSDT], kinds: [limit, market] }}\n  orders:\n    - {{ symbol: BTCUSDT, side: buy, type: market, qty: \"1\", status: filled, age: 1h, in_ledger: false }}\n    - {{ symbol: BTCUSDT, side: buy, type: market, qty: \"1\", status: filled, age: 1h }}\n{tail}"
        );
        let scenario = Scenario::parse("s.yaml", &good).unwrap();
        assert_eq!(scenario.bot.ledger_lag, Duration::from_millis(1500));
        let trading = scenario.bot.trading.as_ref().unwrap();
        assert_eq!(trading.kinds, [TradeKind::Limit, TradeKind::Market]);
        assert_eq!((trading.rate, trading.resting), (2.0, 3), "defaults");
        let kept: Vec<bool> = scenario.bot.orders.iter().map(|o| o.in_ledger).collect();
        assert_eq!(kept, [false, true], "in the ledger unless said otherwise");
        // Without `trading`, the bot stopped before the drill and its ledger has no lag.
        let quiet = Scenario::load("quiet").unwrap();
        assert!(quiet.bot.trading.is_none() && quiet.bot.ledger_lag.is_zero());

        let bad = format!(
            "{head}keys: 2\nbot:\n  client_prefix: g-\n  ledger_lag: 11m\n  trading: {{ rate: 0, symbols: [ETHUSDT, NOPE], kinds: [], notional: \"-1\", resting: 0 }}\n  orders: []\n{tail}"
        );
        let err = format!("{:?}", Scenario::parse("s.yaml", &bad).unwrap_err());
        for said in [
            "`ETHUSDT` is not among the scenario's spot markets",
            "`NOPE` is not among the scenario's spot markets",
            "at least one kind of order",
            "rate must be a positive number of orders a second",
            "notional must be positive",
            "`resting` of zero",
            "a live bot trades with one leaked key",
            "`bot.ledger_lag` is longer than 10m",
            "s.yaml:11:",
        ] {
            assert!(err.contains(said), "{said}: {err}");
        }
    }

    #[test]
    fn problems_name_their_place() {
        let text = "name: x\ndetection_delay: 1s\nmarkets: []\nbalances: {}\nbot: { client_prefix: g-, orders: [] }\nattacker: { pattern: pump, target: NOPE }\n";
        let err = Scenario::parse("s.yaml", text).unwrap_err();
        assert!(format!("{err:?}").contains("s.yaml:6:"), "{err:?}");
    }

    #[test]
    fn spread_entries_are_checked_where_they_are_written() {
        let head = "name: x\ndetection_delay: 1s\nmarkets:\n  - { base: ETH, quote: USD, price: \"3000\", category: inverse }\nbalances: {}\nbot: { client_prefix: g-, orders: [] }\n";
        let good = format!(
            "{head}attacker:\n  pattern: spread\n  place:\n    - {{ market: ETHUSD, category: inverse, side: buy, qty: \"100\", price: 0.5, trigger: 0.6 }}\n"
        );
        let scenario = Scenario::parse("s.yaml", &good).unwrap();
        assert_eq!(scenario.attacker.place[0].trigger, Some(0.6));
        assert_eq!(scenario.attacker.place[0].category, MarketKind::Inverse);
        // The market exists only as inverse; as spot it is not among the markets.
        let bad = format!(
            "{head}attacker:\n  pattern: spread\n  place:\n    - {{ market: ETHUSD, side: buy, qty: \"0\", price: -1, account: \"no way\" }}\n"
        );
        let err = format!("{:?}", Scenario::parse("s.yaml", &bad).unwrap_err());
        for said in [
            "not among the scenario's Spot markets",
            "qty must be positive",
            "`price` must be a positive multiple",
            "an account name is",
            "s.yaml:10:",
        ] {
            assert!(err.contains(said), "{said}: {err}");
        }
        let empty = format!("{head}attacker: {{ pattern: spread }}\n");
        let err = format!("{:?}", Scenario::parse("s.yaml", &empty).unwrap_err());
        assert!(err.contains("needs orders to leave under `place`"), "{err}");
    }

    #[test]
    fn the_attackers_new_fields_are_read_and_checked() {
        let head = "name: x\ndetection_delay: 1s\nmarkets:\n  - { base: BTC, quote: USDT, price: \"65000\" }\n  - { base: ETH, quote: USDT, price: \"3200\" }\nbalances: {}\nbot: { client_prefix: g-, orders: [] }\n";
        let good = format!(
            "{head}attacker: {{ pattern: pump, target: BTCUSDT, targets: [ETHUSDT], client_ids: bot_prefix, order_kinds: [ioc, post_only, conditional], round_trip: true }}\n"
        );
        let scenario = Scenario::parse("s.yaml", &good).unwrap();
        let attacker = &scenario.attacker;
        assert_eq!(attacker.all_targets(), ["BTCUSDT", "ETHUSDT"]);
        assert_eq!(attacker.client_ids, ClientIds::BotPrefix);
        assert_eq!(
            attacker.order_kinds,
            [
                AttackKind::Ioc,
                AttackKind::PostOnly,
                AttackKind::Conditional
            ]
        );
        assert!(attacker.round_trip);
        // Sabotage with `cancel`/`amend` needs no target; without them it still does.
        let quiet = format!("{head}attacker: {{ pattern: sabotage, cancel: 2, amend: 1 }}\n");
        let scenario = Scenario::parse("s.yaml", &quiet).unwrap();
        assert_eq!((scenario.attacker.cancel, scenario.attacker.amend), (2, 1));
        for (bad, said) in [
            (
                "{ pattern: sabotage }",
                "this pattern needs a `target` market",
            ),
            (
                "{ pattern: pump, target: BTCUSDT, cancel: 1 }",
                "belong to the `sabotage` pattern",
            ),
            (
                "{ pattern: pump, target: BTCUSDT, targets: [NOPE] }",
                "`NOPE` is not among",
            ),
            (
                "{ pattern: pump, target: BTCUSDT, client_ids: stolen }",
                "unknown variant",
            ),
            (
                "{ pattern: pump, target: BTCUSDT, order_kinds: [iceberg] }",
                "unknown variant",
            ),
        ] {
            let text = format!("{head}attacker: {bad}\n");
            let err = format!("{:?}", Scenario::parse("s.yaml", &text).unwrap_err());
            assert!(err.contains(said), "{bad}: {err}");
        }
    }
}
