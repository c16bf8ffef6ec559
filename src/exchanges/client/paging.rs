//! Paging: following an operation's cursor to the last page, and reading every segment of an
//! account at once.
//!
//! A venue that kept answering with a cursor forever would hang the response, so a read stops
//! with an error after 10,000 pages.
//!
//! A snapshot reads through [`Kept`]: every page the exchange answered is kept, by the request
//! it was (method, path, parameters and the signing key; never the timestamp or signature), for
//! the rest of the step. So a read that fails on page N and is made again (the step's retry)
//! gets pages 1 to N−1 from memory and asks the exchange from page N on; and two reads that send
//! the same request (Binance's order and fill walks both start from `openOrders`; a segment
//! whose history endpoint ignores the segment) send it once, concurrent readers waiting for the
//! first answer. Only reads are kept, and only while a step holds its `Kept`: a later step asks
//! the exchange again.
//!
//! A long read shows its progress: a client made [`Client::watching_pages`] tells a
//! [`PageWatch`] of every page as it comes (the progress display counts pages and records per
//! segment). Telling it never waits: the watch only counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;
use tokio::sync::OnceCell;

use super::{Auth, Client};
use crate::exchanges::model::Segment;
use crate::exchanges::{CallContext, ExchangeError, Op, Page, Reply, Response};

/// The most pages one read follows.
const MAX_PAGES: usize = 10_000;

/// Told of every page a read follows, as it comes (a progress display). It must return at once
/// and never fail: it is told on the read's own task, between one page and the next request.
pub trait PageWatch: Send + Sync + fmt::Debug {
    /// One page of `op` (its [`Op::name`]) came with `records` rows, for `segment` (`None`: a
    /// read of the whole account, such as withdrawals).
    fn page(&self, op: &'static str, segment: Option<Segment>, records: usize);
}

/// The segment a paged read is for, as its page is counted.
fn segment_of(op: &Op) -> Option<Segment> {
    match op {
        Op::OpenOrders { segment, .. } | Op::Orders { segment, .. } | Op::Fills { segment, .. } => {
            Some(*segment)
        }
        _ => None,
    }
}

/// The answers one step has read so far, by request (see the module doc).
#[derive(Default)]
pub struct Kept {
    answers: Mutex<HashMap<String, Arc<OnceCell<Arc<Response>>>>>,
}

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Answers hold account data: only their number is shown.
        f.debug_struct("Kept")
            .field("answers", &self.len())
            .finish()
    }
}

impl Kept {
    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.lock().values().filter(|c| c.initialized()).count()
    }

    /// Whether no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every kept answer.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Arc<Response>>>>> {
        self.answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cell(&self, request: &str) -> Arc<OnceCell<Arc<Response>>> {
        Arc::clone(self.lock().entry(request.to_owned()).or_default())
    }
}

impl Client {
    /// Follows an operation's cursor until the last page.
    pub async fn all_pages<T>(
        &self,
        make: impl Fn(Option<String>) -> Op,
        auth: Auth<'_>,
        page: impl Fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError> {
        self.all_pages_kept(None, make, auth, page).await
    }

    /// [`Client::all_pages`], answering from `kept` every page already read and keeping every
    /// new one there (see the module doc).
    pub async fn all_pages_kept<T>(
        &self,
        kept: Option<&Kept>,
        make: impl Fn(Option<String>) -> Op,
        auth: Auth<'_>,
        page: impl Fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError> {
        let mut items = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let op = make(cursor.take());
            let reply = self.call_kept(kept, &op, auth).await?;
            let mut current = page(reply)?;
            if let Some(watch) = &self.pages {
                watch.page(op.name(), segment_of(&op), current.items.len());
            }
            items.append(&mut current.items);
            match current.next {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
        Err(ExchangeError::Protocol {
            detail: format!("pagination did not end after {MAX_PAGES} pages"),
        })
    }

    /// One page: from `kept` when the same request was answered before, else from the
    /// exchange (kept when the venue accepted it), with the venue's follow-up if it has one.
    /// Without `kept`, or for an operation that cannot be kept (a change, one with a lookup),
    /// [`Client::call`].
    async fn call_kept(
        &self,
        kept: Option<&Kept>,
        op: &Op,
        auth: Auth<'_>,
    ) -> Result<Reply, ExchangeError> {
        let (Some(kept), Some(request)) = (kept, self.request_of(op, auth)) else {
            return self.call(op, auth).await;
        };
        self.allowed(op)?;
        let cell = kept.cell(&request);
        let response = cell
            .get_or_try_init(|| async { self.raw(op, auth).await.map(Arc::new) })
            .await?;
        let known = self.inner.discovered.known();
        let reply = self.inner.venue.decode_known(op, response, &known).reply?;
        match self.inner.venue.then(op, &reply) {
            // A venue's follow-up is sent as `call` sends it (it is not kept).
            Some(next) => match self.call(&next, auth).await {
                Ok(after) => Ok(reply.followed_by(after)),
                Err(ExchangeError::Permission { .. }) if !next.is_mutating() => Ok(reply),
                Err(err) => Err(err),
            },
            None => Ok(reply),
        }
    }

    /// What identifies the request an operation sends, for [`Kept`]: the signing key's id and
    /// the unsigned request (built with a fixed clock and nonce, so that the same operation
    /// gives the same text on every attempt); `None` for what must not be kept.
    fn request_of(&self, op: &Op, auth: Auth<'_>) -> Option<String> {
        let venue = self.venue();
        if op.is_mutating() || venue.lookup(op, &self.inner.settings).is_some() {
            return None;
        }
        let subject = venue.subject(op);
        let known = self.inner.discovered.known();
        let call = CallContext {
            now_ms: 0,
            nonce: "0",
            session: None,
            tfa: None,
            settings: &self.inner.settings,
            subject: subject.as_deref(),
            lookup: None,
            known: &known,
        };
        let request = venue.encode(op, &call).ok()?;
        let signer = match auth {
            Auth::Public => "",
            Auth::Key(cred) => cred.key.as_str(),
        };
        Some(format!(
            "{signer} {:?} {}?{} {}",
            request.method,
            request.path,
            request.query,
            request.body.as_deref().unwrap_or_default()
        ))
    }

    /// Runs one paginated read per segment, concurrently, and joins the results.
    pub async fn per_segment<T, F>(
        &self,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let mut items = Vec::new();
        for result in self.each_segment(None, segments, auth, make, page).await {
            items.extend(result?);
        }
        Ok(items)
    }

    /// Like [`Client::per_segment`], but a segment the key may not read at all (a
    /// [`ExchangeError::Permission`] refusal, such as Binance USD-M for a key without the
    /// futures permission) yields nothing and is named in the second list: a key that cannot
    /// reach a segment cannot have orders or fills there. Any other failure fails the whole.
    pub async fn per_segment_permitted<T, F>(
        &self,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<(Vec<T>, Vec<Segment>), ExchangeError>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        self.per_segment_permitted_kept(None, segments, auth, make, page)
            .await
    }

    /// [`Client::per_segment_permitted`] through `kept` (see [`Client::all_pages_kept`]).
    pub async fn per_segment_permitted_kept<T, F>(
        &self,
        kept: Option<&Kept>,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<(Vec<T>, Vec<Segment>), ExchangeError>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let mut items = Vec::new();
        let mut refused = Vec::new();
        let results = self.each_segment(kept, segments, auth, make, page).await;
        for (segment, result) in segments.iter().zip(results) {
            match result {
                Ok(found) => items.extend(found),
                Err(ExchangeError::Permission { .. }) => refused.push(*segment),
                Err(err) => return Err(err),
            }
        }
        Ok((items, refused))
    }

    /// Every segment's paginated read, made at once; the results in the segments' order.
    async fn each_segment<T, F>(
        &self,
        kept: Option<&Kept>,
        segments: &[Segment],
        auth: Auth<'_>,
        make: F,
        page: fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Vec<Result<Vec<T>, ExchangeError>>
    where
        F: Fn(Segment, Option<String>) -> Op,
    {
        let make = &make;
        let reads = segments.iter().map(|segment| {
            let segment = *segment;
            self.all_pages_kept(kept, move |cursor| make(segment, cursor), auth, page)
        });
        join_all(reads).await
    }
}
