//! A planned outage of one Binance path, for tests that need a page to fail at a known place
//! (the dice of `Sim::set_faults` cannot say which request fails): from the `from`th request to
//! the path on, `times` requests are answered HTTP 503 without being run, as a Binance front end
//! that lost its backend answers; every other request is served as usual.

use axum::http::StatusCode;

use crate::sim::Sim;
use crate::sim::answer::Answer;
use crate::sim::binance::state::BinanceState;

/// Which requests fail.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outage {
    path: String,
    from: usize,
    times: usize,
    seen: usize,
}

impl Outage {
    /// The answer to a request to `path`, when the outage meets it.
    pub(crate) fn meet(&mut self, path: &str) -> Option<Answer> {
        if path != self.path {
            return None;
        }
        self.seen += 1;
        (self.seen >= self.from && self.seen < self.from + self.times)
            .then(|| Answer::bare(StatusCode::SERVICE_UNAVAILABLE))
    }
}

impl Sim {
    /// Binance only: answers the `from`th request to `path` (1 for the next one) and the
    /// `times - 1` after it with HTTP 503, without running them; replaces the previous outage.
    pub fn binance_outage(&self, path: &str, from: usize, times: usize) {
        self.lock().own.get_mut::<BinanceState>().outage = Some(Outage {
            path: path.to_owned(),
            from,
            times,
            seen: 0,
        });
    }
}
