//! The account's segments for this run: the venue's fixed list, and those it lists at run time.
//!
//! Bybit's inverse contracts settle in their own base coin and Deribit quotes pairs in currencies
//! it adds over time: a fixed list misses an attacker's order in a coin the list forgot. Venues
//! with [`crate::exchanges::mechanisms::SegmentDiscovery`] are asked once per run (each
//! category's listing, every page, a public read), and a listing read is kept for the rest of the
//! run. A listing that fails is not kept (the next step asks again) and is named in
//! [`Segments::unread`], so a step can say what it could not cover: the fixed list is still
//! covered, never less.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use super::{Auth, Client};
use crate::exchanges::model::{Category, Segment};
use crate::exchanges::{ExchangeError, Op, Reply, Response};

/// The segments a step covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segments {
    /// Every segment: the fixed ones first, then those read at run time, each once.
    pub list: Vec<Segment>,
    /// What could not be listed, one sentence each (`inverse: could not list the settle coins:
    /// …`): segments in it may exist and were not covered.
    pub unread: Vec<String>,
}

/// What discovery keeps between steps of one run: each category's listing, and the whole list
/// as last read, which a request is built with ([`crate::exchanges::CallContext::known`]) without
/// awaiting the listing's lock.
#[derive(Debug, Default)]
pub(super) struct Discovered {
    listed: tokio::sync::Mutex<BTreeMap<Category, Vec<Segment>>>,
    known: std::sync::RwLock<Vec<Segment>>,
}

impl Discovered {
    /// The segments listed for this run so far, fixed ones first; empty before any listing.
    pub(super) fn known(&self) -> Vec<Segment> {
        self.known.read().map(|k| k.clone()).unwrap_or_default()
    }
}

impl Client {
    /// The segments to list and cancel in: [`crate::exchanges::Venue::segments`], and the ones
    /// the venue lists at run time.
    pub async fn segments(&self) -> Segments {
        let venue = self.venue();
        let mut out = Segments {
            list: venue.segments().to_vec(),
            unread: Vec::new(),
        };
        let Some(discovery) = venue.discovery() else {
            return out;
        };
        let mut known = self.inner.discovered.listed.lock().await;
        for &category in discovery.categories() {
            if let Entry::Vacant(slot) = known.entry(category) {
                match self.list_segments(category).await {
                    Ok(found) => {
                        slot.insert(found);
                    }
                    Err(err) => out.unread.push(format!(
                        "{}: could not list its segments ({err}); only the fixed ones ({}) were \
                         covered",
                        category.as_str(),
                        fixed_of(venue.segments(), category)
                    )),
                }
            }
            for segment in known.get(&category).into_iter().flatten() {
                if !out.list.contains(segment) {
                    out.list.push(*segment);
                }
            }
        }
        if !known.is_empty()
            && let Ok(mut snapshot) = self.inner.discovered.known.write()
        {
            snapshot.clone_from(&out.list);
        }
        out
    }

    async fn list_segments(&self, category: Category) -> Result<Vec<Segment>, ExchangeError> {
        self.all_pages(
            |cursor| Op::Segments { category, cursor },
            Auth::Public,
            Reply::into_segments,
        )
        .await
    }

    /// Sends a read and hands back the exchange's answer as it came, when the exchange accepted
    /// it (retried like any read). For comparing an answer with the venue's documented example.
    pub async fn raw(&self, op: &Op, auth: Auth<'_>) -> Result<Response, ExchangeError> {
        if op.is_mutating() {
            return Err(ExchangeError::DryRun { op: op.name() });
        }
        let subject = self.inner.venue.subject(op);
        let subject = subject.as_deref();
        let charges = self.inner.venue.charges(op);
        let priority = self.priority(op);
        self.retrying(auth, super::retry::Again::Yes, &charges, move || {
            self.look_up(op, auth, subject, priority)
        })
        .await
    }
}

fn fixed_of(segments: &[Segment], category: Category) -> String {
    let names: Vec<String> = segments
        .iter()
        .filter(|s| s.category == category)
        .map(ToString::to_string)
        .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
