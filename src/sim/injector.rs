//! The seeded dice that decide which request meets which fault.
//!
//! The injector owns its own RNG, seeded from the venue seed but apart from the one that makes
//! ids and secrets (`ids.rs`), so turning faults on never changes a key id or an order id. Each
//! request to a private endpoint rolls the same six numbers, in request-arrival order (under the
//! venue lock), whatever the configuration and whatever the outcome: the same seed, the same
//! request sequence and the same `Faults` give the same faults. Public requests roll nothing, so
//! a client resyncing its clock does not shift the sequence. The draw only decides; what a fault
//! looks like on the wire is the dialect's.

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::sim::answer::Answer;
use crate::sim::faults::Faults;

/// Mixed into the venue seed so the fault stream is not the id stream.
const STREAM: u64 = 0x6661_756c_7473_0001;

/// What a fault did to one request, as the access log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum FaultKind {
    /// HTTP 429 with `Retry-After`; not executed.
    #[serde(rename = "429")]
    RateLimited,
    /// HTTP 502/503 before execution: nothing happened.
    #[serde(rename = "5xx-before")]
    ServerErrorBefore,
    /// HTTP 502/503 after execution: the request took effect, the client cannot know.
    #[serde(rename = "5xx-after")]
    ServerErrorAfter,
    /// Connection dropped before execution: nothing happened.
    #[serde(rename = "reset-before")]
    ResetBefore,
    /// Connection dropped after execution: the request took effect, the client cannot know.
    #[serde(rename = "reset-after")]
    ResetAfter,
    /// A paginated answer was cut short; its cursor continues to the rest.
    #[serde(rename = "short-page")]
    ShortPage,
    /// The answer's body was cut short (`Sim::cut_short`); the request took effect.
    #[serde(rename = "cut-short")]
    CutShort,
}

impl FaultKind {
    /// Returns the log's name: `429`, `5xx-before`, `5xx-after`, `reset-before`, `reset-after`
    /// `short-page` or `cut-short`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::RateLimited => "429",
            FaultKind::ServerErrorBefore => "5xx-before",
            FaultKind::ServerErrorAfter => "5xx-after",
            FaultKind::ResetBefore => "reset-before",
            FaultKind::ResetAfter => "reset-after",
            FaultKind::ShortPage => "short-page",
            FaultKind::CutShort => "cut-short",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the request runs before the fault shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    Before,
    After,
}

/// Which 5xx a server-error fault answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gateway {
    BadGateway,
    Unavailable,
}

/// A fault that replaces the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    RateLimited,
    ServerError { when: When, gateway: Gateway },
    Reset { when: When },
}

impl Injected {
    /// Returns true when the request is executed before the fault shows.
    pub(crate) fn runs_request(self) -> bool {
        matches!(
            self,
            Injected::ServerError {
                when: When::After,
                ..
            } | Injected::Reset { when: When::After }
        )
    }

    /// Returns the access log's name for it.
    pub(crate) fn kind(self) -> FaultKind {
        match self {
            Injected::RateLimited => FaultKind::RateLimited,
            Injected::ServerError {
                when: When::Before, ..
            } => FaultKind::ServerErrorBefore,
            Injected::ServerError {
                when: When::After, ..
            } => FaultKind::ServerErrorAfter,
            Injected::Reset { when: When::Before } => FaultKind::ResetBefore,
            Injected::Reset { when: When::After } => FaultKind::ResetAfter,
        }
    }
}

/// The decision for one private request; the default injects nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Draw {
    /// The fault that replaces the answer, if any.
    pub(crate) injected: Option<Injected>,
    /// Cut a paginated answer short; never together with `injected`.
    pub(crate) short_page: bool,
}

/// A paginated answer's shortening during one request: set by the pipeline, applied by pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ShortPage {
    #[default]
    Off,
    /// The next page is cut short if it holds more than one item.
    Armed,
    /// A page was cut short.
    Applied,
}

/// The route whose answers are cut short, and the whole answers that were: not drawn, set by a
/// test (`Sim::cut_short`) to meet a proxy that closes the connection in the middle of a body.
pub(crate) struct CutShort {
    /// Matched against the request line, `METHOD /path`.
    route: String,
    /// The bytes of each answer the client gets.
    keep: usize,
    /// The answers as the exchange gave them, secrets included: never shown, never served.
    pub(crate) whole: Vec<String>,
}

impl CutShort {
    /// Cuts answers to requests whose line contains `route` to their first `keep` bytes.
    pub(crate) fn new(route: &str, keep: usize) -> CutShort {
        CutShort {
            route: route.to_owned(),
            keep,
            whole: Vec::new(),
        }
    }

    /// Cuts `answer` when the request is on the route; whether it did.
    pub(crate) fn apply(&mut self, method: &str, path: &str, answer: Answer) -> (Answer, bool) {
        if !format!("{method} {path}").contains(&self.route) {
            return (answer, false);
        }
        let (answer, whole) = answer.cut_short(self.keep);
        let cut = whole.is_some();
        self.whole.extend(whole);
        (answer, cut)
    }
}

/// The configured faults and the dice.
pub(crate) struct Injector {
    pub(crate) faults: Faults,
    /// The route cut short, if a test set one.
    pub(crate) cut: Option<CutShort>,
    rng: StdRng,
}

impl fmt::Debug for Injector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Injector")
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl Injector {
    /// Creates an injector with no faults whose draws depend only on `seed`.
    pub(crate) fn new(seed: u64) -> Injector {
        Injector {
            faults: Faults::none(),
            cut: None,
            rng: StdRng::seed_from_u64(seed ^ STREAM),
        }
    }

    /// Rolls the dice for one private request.
    ///
    /// Always six numbers, in this order: 429, 5xx, reset, before/after, 502/503, short. The
    /// first of 429, 5xx, reset that hits wins, so the later ones fire only when the earlier
    /// missed (with `429=0.2,5xx=0.1` about 8% of requests see a 5xx); a short page only when
    /// none did.
    pub(crate) fn draw(&mut self) -> Draw {
        let rolls: [f64; 6] = std::array::from_fn(|_| self.rng.random::<f64>());
        let [r429, r5xx, reset, after, gateway, short] = rolls;
        let f = &self.faults;
        let when = if after < 0.5 {
            When::After
        } else {
            When::Before
        };
        let injected = if r429 < f.rate_limit {
            Some(Injected::RateLimited)
        } else if r5xx < f.server_error {
            let gateway = if gateway < 0.5 {
                Gateway::BadGateway
            } else {
                Gateway::Unavailable
            };
            Some(Injected::ServerError { when, gateway })
        } else if reset < f.reset {
            Some(Injected::Reset { when })
        } else {
            None
        };
        Draw {
            injected,
            short_page: injected.is_none() && short < f.short_pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(faults: Faults, seed: u64) -> Injector {
        let mut i = Injector::new(seed);
        i.faults = faults;
        i
    }

    #[test]
    fn same_seed_same_draws_and_none_injects_nothing() {
        let f = Faults::parse("429=0.3,5xx=0.3,reset=0.3,short=0.5").unwrap();
        let (mut a, mut b, mut c) = (with(f, 9), with(f, 9), with(f, 10));
        let run = |i: &mut Injector| (0..64).map(|_| i.draw()).collect::<Vec<_>>();
        let (ra, rb, rc) = (run(&mut a), run(&mut b), run(&mut c));
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
        let mut quiet = with(Faults::none(), 9);
        assert!((0..64).all(|_| {
            let d = quiet.draw();
            d.injected.is_none() && !d.short_page
        }));
    }

    #[test]
    fn certain_faults_always_fire_and_split_before_after() {
        let mut i = with(Faults::parse("5xx=1").unwrap(), 1);
        let draws: Vec<_> = (0..200).map(|_| i.draw()).collect();
        let after = draws
            .iter()
            .filter(|d| d.injected.is_some_and(Injected::runs_request))
            .count();
        assert!(
            draws
                .iter()
                .all(|d| matches!(d.injected, Some(Injected::ServerError { .. })) && !d.short_page)
        );
        assert!((70..=130).contains(&after), "{after} of 200 after");
        let mut i = with(Faults::parse("429=1,5xx=1").unwrap(), 1);
        assert_eq!(i.draw().injected, Some(Injected::RateLimited), "429 wins");
    }

    #[test]
    fn kinds_have_the_log_names() {
        let k = Injected::Reset { when: When::After }.kind();
        assert_eq!(k.to_string(), "reset-after");
        assert_eq!(
            serde_json::to_string(&FaultKind::RateLimited).unwrap(),
            "\"429\""
        );
        assert_eq!(FaultKind::ShortPage.as_str(), "short-page");
    }
}
