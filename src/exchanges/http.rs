//! The only module that talks to an exchange over the network.
//!
//! [`Client`] sends what a [`Venue`] built and signed, and records every call for the journal
//! and the report. It retries only what the exchange certainly did not act on: a refused
//! timestamp (after resyncing the clock from the server-time endpoint, once) and a rate limit
//! (after waiting for the reset the venue announced). Reads also survive a dropped connection;
//! a mutation whose outcome is unknown is never sent twice blindly. For venues that need them it
//! also keeps token sessions (one per key and sub-account, logging in once however many calls
//! wait), makes the lookup a venue asks for before a change (retried like any read), and sends
//! a venue's follow-up after a change (idempotent by contract, so retried too). In
//! [`Mode::DryRun`] it refuses to send any mutating request, whatever the caller does: a second
//! guard behind the engine's own.
//!
//! On venues that sign an ever-increasing nonce per key (Kraken) it draws each key's nonces from
//! [`Nonces`] (persisted under the profile's state dir when [`Client::with_nonces`] says so),
//! sends one request per key at a time so they arrive in nonce order, and sends a request again
//! with a higher nonce when the exchange saw a higher one first. On venues with a published call
//! counter it paces each key's calls under it ([`Counters`]).
//!
//! Limits that bind an address rather than a call are kept here too, for every request of the
//! connection: a hold the venue asks for after an answer ([`Venue::pace`]: a 429's
//! `Retry-After`, usage headers near the limit) is waited out before anything else is sent
//! (or refused without sending when longer than a call may wait), and inside an IP ban
//! ([`ExchangeError::IpBanned`]) nothing is sent at all until it ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use super::model::Segment;
use super::{
    CallContext, Counters, Decoded, ExchangeError, Nonces, Op, Page, Reply, Response, Session,
    SignedRequest, Tfa, Venue, VenueSettings,
};
use crate::clock::{self, Clock};
use crate::secret::Credential;

/// Whether mutating requests may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Send everything.
    Live,
    /// Send reads only; refuse mutations.
    DryRun,
    /// Send nothing at all.
    Offline,
}

/// Whether an attempt whose outcome is unknown may be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Again {
    /// Reads, and changes that are the same however often they are made.
    Yes,
    /// Changes: the engine finds out first whether the last one took effect.
    No,
}

/// Who signs a call.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Nobody: a public endpoint.
    Public,
    /// This credential.
    Key(&'a Credential),
}

/// One call as the journal and the report see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CallRecord {
    /// The operation's name.
    pub op: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Path (no query: queries can be long and hold account ids).
    pub path: String,
    /// Masked id of the signing key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When it was sent, RFC 3339 UTC, local clock.
    pub sent_at: String,
    /// Round-trip time.
    pub duration_ms: u64,
    /// HTTP status, when an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The venue's result code, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The exchange's clock when it answered, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_time: Option<String>,
    /// `ok`, or the error.
    pub outcome: String,
}

/// Where a client appends its call records.
pub type CallSink = Arc<Mutex<Vec<CallRecord>>>;

/// How long one request may take before it counts as a transport failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait for a rate-limit reset before giving up.
const MAX_RATE_WAIT: Duration = Duration::from_secs(10);
/// Attempts for a read whose connection failed.
const READ_ATTEMPTS: usize = 5;
/// Waits for a rate limit to reset before giving up (the request was refused, so waiting is safe).
const RATE_WAITS: usize = 5;
/// Sends again after the exchange refused a nonce (someone else used the key in between).
const NONCE_RETRIES: usize = 3;

/// A connection to one exchange, shared by every step of a run.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    sink: Option<CallSink>,
    tfa: Option<Tfa>,
}

#[derive(Debug)]
struct Inner {
    venue: Box<dyn Venue>,
    http: reqwest::Client,
    base_url: String,
    clock: Clock,
    mode: Mode,
    settings: VenueSettings,
    /// How many rate-limit resets a call waits for before it gives up.
    rate_waits: usize,
    /// Token venues: the live session of each key, by key id.
    sessions: Mutex<HashMap<String, Session>>,
    /// Held while logging in, so that concurrent calls with one key log in once.
    logging_in: tokio::sync::Mutex<()>,
    /// Nothing is sent before this instant: the venue asked to hold back ([`Venue::pace`]).
    held_until: Mutex<Option<Instant>>,
    /// The exchange banned this address until this instant, with the ban's code.
    banned_until: Mutex<Option<(Instant, String)>>,
    /// Counter-nonce venues: each key's nonces.
    nonces: Nonces,
    /// Counter-nonce venues: held from drawing a key's nonce to its answer, per key.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Venues with a call counter: each key's modelled counter.
    counters: Counters,
}

impl Client {
    /// Connects a venue adapter to a base URL.
    pub fn new(venue: Box<dyn Venue>, base_url: &str, mode: Mode) -> Result<Client, ExchangeError> {
        Ok(Client::with_http(venue, base_url, mode, http_client()?))
    }

    /// Connects a venue adapter to a base URL through an HTTP client built earlier (building
    /// one loads the TLS roots, which takes milliseconds: respond builds it while the config
    /// loads).
    pub fn with_http(
        venue: Box<dyn Venue>,
        base_url: &str,
        mode: Mode,
        http: reqwest::Client,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                venue,
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                clock: Clock::new(),
                mode,
                settings: VenueSettings::default(),
                rate_waits: RATE_WAITS,
                sessions: Mutex::new(HashMap::new()),
                logging_in: tokio::sync::Mutex::new(()),
                held_until: Mutex::new(None),
                banned_until: Mutex::new(None),
                nonces: Nonces::in_memory(),
                in_flight: Mutex::new(HashMap::new()),
                counters: Counters::default(),
            }),
            sink: None,
            tfa: None,
        }
    }

    /// The same client with the profile's venue settings (before it is shared).
    pub fn with_settings(mut self, settings: VenueSettings) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.settings = settings;
        }
        self
    }

    /// The same client drawing counter nonces from `nonces` (before it is shared): a profile's
    /// client keeps them under its state dir, so every lockdown process agrees on each key's
    /// last nonce.
    pub fn with_nonces(mut self, nonces: Nonces) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.nonces = nonces;
        }
        self
    }

    /// The same client waiting for at most `waits` rate-limit resets per call (before it is
    /// shared); `0` hands a rate limit straight back and does not pace calls under a venue's
    /// call counter either (the drill's attacker probes that way, so that it meets the
    /// exchange's first refusal when the exchange gives it).
    pub fn with_rate_limit_waits(mut self, waits: usize) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.rate_waits = waits;
        }
        self
    }

    /// The same client, recording its calls into `sink`.
    pub fn recording(&self, sink: CallSink) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            sink: Some(sink),
            tfa: self.tfa.clone(),
        }
    }

    /// The same client, answering the venue's two-factor challenge with `tfa`.
    pub fn with_tfa(&self, tfa: Tfa) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            sink: self.sink.clone(),
            tfa: Some(tfa),
        }
    }

    /// The venue adapter.
    pub fn venue(&self) -> &dyn Venue {
        self.inner.venue.as_ref()
    }

    /// The exchange's clock as far as it is known.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Whether mutations are sent.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// Builds and signs the request an operation would send, without sending it.
    ///
    /// A venue's lookup ([`Venue::lookup`]) is not made here: the request is rendered without it.
    pub fn prepare(&self, op: &Op, auth: Auth<'_>) -> Result<SignedRequest, ExchangeError> {
        let subject = self.inner.venue.subject(op);
        let session = match auth {
            Auth::Key(cred) => self.cached_session(cred, subject.as_deref()),
            Auth::Public => None,
        };
        // A rendered request spends no nonce: it shows the clock where the key's next would be.
        let nonce = if self.inner.venue.counter_nonce() {
            clock::local_ms().to_string()
        } else {
            nonce()
        };
        self.prepare_with(op, auth, session.as_ref(), subject.as_deref(), None, &nonce)
    }

    fn prepare_with(
        &self,
        op: &Op,
        auth: Auth<'_>,
        session: Option<&Session>,
        subject: Option<&str>,
        lookup: Option<&Response>,
        nonce: &str,
    ) -> Result<SignedRequest, ExchangeError> {
        let call = CallContext {
            now_ms: self.clock().now_ms(),
            nonce,
            session,
            tfa: self.tfa.as_ref(),
            settings: &self.inner.settings,
            subject,
            lookup,
        };
        let request = self.inner.venue.encode(op, &call)?;
        Ok(match auth {
            Auth::Public => SignedRequest {
                request,
                headers: Vec::new(),
            },
            Auth::Key(cred) => self.inner.venue.sign(request, cred, &call),
        })
    }

    /// The cache key of a key's session: its id, and the sub-account the session acts in.
    fn session_name(cred: &Credential, subject: Option<&str>) -> String {
        match subject {
            Some(subject) => format!("{}#{subject}", cred.key.as_str()),
            None => cred.key.as_str().to_owned(),
        }
    }

    fn cached_session(&self, cred: &Credential, subject: Option<&str>) -> Option<Session> {
        let sessions = self.inner.sessions.lock().ok()?;
        sessions.get(&Client::session_name(cred, subject)).cloned()
    }

    /// A cached session that does not expire within the next 30 seconds.
    fn fresh_session(&self, cred: &Credential, subject: Option<&str>) -> Option<Session> {
        let now = self.clock().now_ms();
        self.cached_session(cred, subject)
            .filter(|session| session.expires_ms > now + 30_000)
    }

    fn keep_session(&self, cred: &Credential, subject: Option<&str>, session: &Session) {
        if let Ok(mut sessions) = self.inner.sessions.lock() {
            sessions.insert(Client::session_name(cred, subject), session.clone());
        }
    }

    /// Forgets every session of a key (its own and its sub-account ones): a venue that ended
    /// one may have ended the token they all come from.
    fn forget_session(&self, cred: &Credential) {
        if let Ok(mut sessions) = self.inner.sessions.lock() {
            let own = cred.key.as_str();
            sessions.retain(|name, _| name != own && !name.starts_with(&format!("{own}#")));
        }
    }

    /// Token venues: a live session for the key (in `subject`, on venues that switch sessions
    /// per sub-account), logging in when there is none or it is about to expire. `None` on
    /// venues that sign every request.
    async fn session(
        &self,
        cred: &Credential,
        subject: Option<&str>,
    ) -> Result<Option<Session>, ExchangeError> {
        if let Some(session) = self.fresh_session(cred, subject) {
            return Ok(Some(session));
        }
        // Segments are read at once: the first call logs in, the others wait and reuse it.
        let _one_at_a_time = self.inner.logging_in.lock().await;
        if let Some(session) = self.fresh_session(cred, subject) {
            return Ok(Some(session));
        }
        let Some(subject) = subject else {
            let session = self.login(cred, None).await?;
            if let Some(session) = &session {
                self.keep_session(cred, None, session);
            }
            return Ok(session);
        };
        // The key's own session first; a venue that signs every request still logs in to
        // switch, and that base session is kept apart (under an empty subject) so that the
        // key's own calls keep being signed.
        let base = match self
            .fresh_session(cred, None)
            .or_else(|| self.fresh_session(cred, Some("")))
        {
            Some(base) => base,
            None => {
                let Some(base) = self.login(cred, Some(subject)).await? else {
                    return Ok(None);
                };
                self.keep_session(cred, Some(""), &base);
                base
            }
        };
        let nonce = nonce();
        let call = self.login_context(&nonce, Some(&base), Some(subject));
        let Some(request) = self.inner.venue.switch(&base, subject, &call) else {
            return Ok(Some(base));
        };
        let session = self.send_login("switch_account", cred, request).await?;
        self.keep_session(cred, Some(subject), &session);
        Ok(Some(session))
    }

    fn login_context<'c>(
        &'c self,
        nonce: &'c str,
        session: Option<&'c Session>,
        subject: Option<&'c str>,
    ) -> CallContext<'c> {
        CallContext {
            now_ms: self.clock().now_ms(),
            nonce,
            session,
            tfa: None,
            settings: &self.inner.settings,
            subject,
            lookup: None,
        }
    }

    /// Logs a key in (`subject` says the session is wanted as the base of a sub-account one).
    async fn login(
        &self,
        cred: &Credential,
        subject: Option<&str>,
    ) -> Result<Option<Session>, ExchangeError> {
        let nonce = nonce();
        let call = self.login_context(&nonce, None, subject);
        let Some(request) = self.inner.venue.login(cred, &call) else {
            return Ok(None);
        };
        self.send_login("login", cred, request).await.map(Some)
    }

    /// Sends a login (or account switch) request and records it; the request holds
    /// credentials, so only its path is recorded.
    async fn send_login(
        &self,
        op: &'static str,
        cred: &Credential,
        request: crate::exchanges::Request,
    ) -> Result<Session, ExchangeError> {
        let signed = SignedRequest {
            request,
            headers: Vec::new(),
        };
        let sent_at = clock::now_rfc3339();
        let started = Instant::now();
        let result = self.send(&signed).await;
        let status = result.as_ref().ok().map(|response| response.status);
        let decoded = result.and_then(|response| self.inner.venue.decode_login(&response));
        self.record(CallRecord {
            op,
            method: signed.request.method.as_str(),
            path: signed.request.path.clone(),
            key: Some(cred.key.masked()),
            sent_at,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            status,
            code: decoded
                .as_ref()
                .err()
                .and_then(|err| err.code().map(str::to_owned)),
            server_time: None,
            outcome: match &decoded {
                Ok(_) => "ok".to_owned(),
                Err(err) => err.to_string(),
            },
        });
        decoded
    }

    /// Sends an operation and decodes the answer, retrying only what is safe to retry; on
    /// venues that finish an operation with a second request ([`Venue::then`]), sends that too.
    pub async fn call(&self, op: &Op, auth: Auth<'_>) -> Result<Reply, ExchangeError> {
        let reply = self.call_retrying(op, auth).await?;
        match self.inner.venue.then(op, &reply) {
            Some(next) => {
                self.allowed(next.name(), next.is_mutating())?;
                // The venue's contract: a follow-up is idempotent, so it may go again.
                let next = &next;
                let after = self
                    .retrying(auth, Again::Yes, move || self.call_once(next, auth))
                    .await?;
                Ok(reply.followed_by(after))
            }
            None => Ok(reply),
        }
    }

    async fn call_retrying(&self, op: &Op, auth: Auth<'_>) -> Result<Reply, ExchangeError> {
        self.allowed(op.name(), op.is_mutating())?;
        let again = if op.is_mutating() {
            Again::No
        } else {
            Again::Yes
        };
        self.retrying(auth, again, move || self.call_once(op, auth))
            .await
    }

    /// Makes attempts until one succeeds or fails in a way that trying again cannot help (or
    /// must not: a change whose outcome is unknown is sent again only when `again` says so).
    async fn retrying<T, F, Fut>(
        &self,
        auth: Auth<'_>,
        again: Again,
        mut attempt: F,
    ) -> Result<T, ExchangeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ExchangeError>>,
    {
        let mut resynced = false;
        let mut relogged = false;
        let mut rate_waits = 0;
        let mut transport_failures = 0;
        let mut nonce_retries = 0;
        loop {
            let decoded = attempt().await;
            match decoded {
                // Another request with the key got a higher nonce in first: nothing happened,
                // and the next attempt draws a higher one.
                Err(ExchangeError::Nonce { .. }) if nonce_retries < NONCE_RETRIES => {
                    nonce_retries += 1;
                }
                // A token venue's session ended early: log in again, once.
                Err(ExchangeError::SessionExpired { .. }) if !relogged => {
                    relogged = true;
                    if let Auth::Key(cred) = auth {
                        self.forget_session(cred);
                    }
                }
                Err(ExchangeError::Timestamp { code }) if !resynced => {
                    resynced = true;
                    if let Err(err) = self.resync().await {
                        return Err(match err {
                            ExchangeError::Transport { .. } => err,
                            _ => ExchangeError::Timestamp { code },
                        });
                    }
                }
                Err(ExchangeError::RateLimited {
                    code,
                    reset_ms,
                    retry_after_ms,
                }) if rate_waits < self.inner.rate_waits => {
                    rate_waits += 1;
                    // Bybit's reset header is on its own clock (docs/venues.md §3.7).
                    let wait = retry_after_ms
                        .or_else(|| {
                            reset_ms
                                .and_then(|reset| u64::try_from(reset - self.clock().now_ms()).ok())
                        })
                        .map_or(Duration::from_millis(200), Duration::from_millis);
                    if wait > MAX_RATE_WAIT {
                        return Err(ExchangeError::RateLimited {
                            code,
                            reset_ms,
                            retry_after_ms,
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                // A read is safe to send again after a dropped connection or a server error;
                // a mutation is not (its outcome is unknown): the engine probes first.
                Err(err)
                    if again == Again::Yes
                        && err.outcome() == super::CallOutcome::Unknown
                        && transport_failures + 1 < READ_ATTEMPTS =>
                {
                    transport_failures += 1;
                    let backoff = 100 * (1u64 << transport_failures);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                // Never connected: nothing reached the exchange, so even a mutation may go again.
                Err(ExchangeError::Transport { reached: false, .. })
                    if transport_failures + 1 < READ_ATTEMPTS =>
                {
                    transport_failures += 1;
                    let backoff = 100 * (1u64 << transport_failures);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                other => return other,
            }
        }
    }

    /// Reads the exchange's clock and learns the offset to it.
    pub async fn resync(&self) -> Result<i64, ExchangeError> {
        let sent = clock::local_ms();
        let server = self
            .call_once(&Op::ServerTime, Auth::Public)
            .await?
            .into_server_time()?;
        self.inner.clock.sync(sent, server, clock::local_ms());
        Ok(server)
    }

    /// Follows an operation's cursor until the last page.
    pub async fn all_pages<T>(
        &self,
        make: impl Fn(Option<String>) -> Op,
        auth: Auth<'_>,
        page: impl Fn(Reply) -> Result<Page<T>, ExchangeError>,
    ) -> Result<Vec<T>, ExchangeError> {
        let mut items = Vec::new();
        let mut cursor = None;
        // A venue that kept answering with a cursor forever would hang the response.
        for _ in 0..10_000 {
            let reply = self.call(&make(cursor.take()), auth).await?;
            let mut current = page(reply)?;
            items.append(&mut current.items);
            match current.next {
                Some(next) if !next.is_empty() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
        Err(ExchangeError::Protocol {
            detail: "pagination did not end after 10000 pages".to_owned(),
        })
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
        let make = &make;
        let reads = segments.iter().map(|segment| {
            let segment = *segment;
            self.all_pages(move |cursor| make(segment, cursor), auth, page)
        });
        let mut items = Vec::new();
        for result in join_all(reads).await {
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
        let make = &make;
        let reads = segments.iter().map(|segment| {
            let segment = *segment;
            self.all_pages(move |cursor| make(segment, cursor), auth, page)
        });
        let mut items = Vec::new();
        let mut refused = Vec::new();
        for (segment, result) in segments.iter().zip(join_all(reads).await) {
            match result {
                Ok(found) => items.extend(found),
                Err(ExchangeError::Permission { .. }) => refused.push(*segment),
                Err(err) => return Err(err),
            }
        }
        Ok((items, refused))
    }

    async fn call_once(&self, op: &Op, auth: Auth<'_>) -> Result<Reply, ExchangeError> {
        self.allowed(op.name(), op.is_mutating())?;
        let subject = self.inner.venue.subject(op);
        let subject = subject.as_deref();
        // A venue that must look something up first (a key's numeric id) reads it now, with
        // the same credential and subject, as reads are made; its refusal is this call's.
        let looked_up = match self.inner.venue.lookup(op) {
            Some(read) => {
                let read = &read;
                // Boxed: the retries may resync the clock, which calls back into `call_once`.
                let response = Box::pin(
                    self.retrying(auth, Again::Yes, move || self.look_up(read, auth, subject)),
                )
                .await?;
                Some(response)
            }
            None => None,
        };
        let session = match auth {
            Auth::Key(cred) if op.is_signed() => self.session(cred, subject).await?,
            _ => None,
        };
        self.exchange(op, auth, session.as_ref(), subject, looked_up.as_ref())
            .await
            .0
    }

    /// Sends a venue's lookup read once; its raw answer when the venue accepted it.
    async fn look_up(
        &self,
        read: &Op,
        auth: Auth<'_>,
        subject: Option<&str>,
    ) -> Result<Response, ExchangeError> {
        let session = match auth {
            Auth::Key(cred) => self.session(cred, subject).await?,
            Auth::Public => None,
        };
        let (reply, response) = self
            .exchange(read, auth, session.as_ref(), subject, None)
            .await;
        reply?;
        response.ok_or_else(|| ExchangeError::Protocol {
            detail: format!("`{}` was answered without a body", read.name()),
        })
    }

    /// Sends one operation once, decodes and records it; also hands back the raw answer.
    async fn exchange(
        &self,
        op: &Op,
        auth: Auth<'_>,
        session: Option<&Session>,
        subject: Option<&str>,
        lookup: Option<&Response>,
    ) -> (Result<Reply, ExchangeError>, Option<Response>) {
        let venue = self.inner.venue.as_ref();
        let signer = match auth {
            Auth::Key(cred) if op.is_signed() => Some(cred),
            _ => None,
        };
        // Counter-nonce venues: one request per key at a time, from drawing its nonce to its
        // answer, so the exchange sees the nonces in order.
        let in_flight = match signer {
            Some(cred) if venue.counter_nonce() => Some(self.in_flight(cred.key.as_str())),
            _ => None,
        };
        let _one_at_a_time = match &in_flight {
            Some(turn) => Some(turn.lock().await),
            None => None,
        };
        if let (Some(budget), Some(cred), true) =
            (venue.budget(), signer, self.inner.rate_waits > 0)
        {
            let wait = self
                .inner
                .counters
                .reserve(budget, cred.key.as_str(), venue.call_cost(op));
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let nonce = match signer {
            Some(cred) if venue.counter_nonce() => {
                let floor = u64::try_from(clock::local_ms()).unwrap_or(0);
                match self.inner.nonces.next(cred.key.as_str(), floor) {
                    Ok(nonce) => nonce.to_string(),
                    Err(err) => {
                        return (
                            Err(ExchangeError::NonceStore {
                                detail: err.to_string(),
                            }),
                            None,
                        );
                    }
                }
            }
            _ => nonce(),
        };
        let signed = match self.prepare_with(op, auth, session, subject, lookup, &nonce) {
            Ok(signed) => signed,
            Err(err) => return (Err(err), None),
        };
        let sent_at = clock::now_rfc3339();
        let started = Instant::now();
        let result = self.send(&signed).await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (decoded, status, response) = match result {
            Ok(response) => {
                let status = response.status;
                self.hold_after(&signed.request, &response);
                let decoded = self.inner.venue.decode(op, &response);
                if let Err(ExchangeError::IpBanned {
                    code,
                    retry_after_ms,
                }) = &decoded.reply
                {
                    self.ban(code, *retry_after_ms);
                }
                (decoded, Some(status), Some(response))
            }
            Err(err) => (
                Decoded {
                    reply: Err(err),
                    server_ms: None,
                    code: None,
                },
                None,
                None,
            ),
        };
        self.record(CallRecord {
            op: op.name(),
            method: signed.request.method.as_str(),
            path: signed.request.path.clone(),
            key: match auth {
                Auth::Public => None,
                Auth::Key(cred) => Some(cred.key.masked()),
            },
            sent_at,
            duration_ms,
            status,
            code: decoded.code.clone(),
            server_time: decoded.server_ms.map(clock::rfc3339_ms),
            outcome: match &decoded.reply {
                Ok(_) => "ok".to_owned(),
                Err(err) => err.to_string(),
            },
        });
        (decoded.reply, response)
    }

    /// The lock a counter-nonce venue's requests with `key` take turns on.
    fn in_flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(turns.entry(key.to_owned()).or_default())
    }

    async fn send(&self, signed: &SignedRequest) -> Result<Response, ExchangeError> {
        let req = &signed.request;
        // The last guard: whatever a caller did, nothing mutating leaves in a dry run.
        self.allowed("request", req.mutating)?;
        self.gate().await?;
        // A venue whose futures live on another host names it in the path (Binance USD-M).
        let url = if req.path.starts_with("https://") || req.path.starts_with("http://") {
            req.path_and_query()
        } else {
            format!("{}{}", self.inner.base_url, req.path_and_query())
        };
        let method = match req.method {
            super::Method::Get => reqwest::Method::GET,
            super::Method::Post => reqwest::Method::POST,
            super::Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.inner.http.request(method, url);
        for header in &signed.headers {
            builder = builder.header(header.name, header.value.as_str());
        }
        if let Some(body) = &req.body {
            // A body is JSON unless the signer said otherwise (Kraken signs form bodies); a
            // login request comes without headers of its own.
            if !signed
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("content-type"))
            {
                builder = builder.header("Content-Type", "application/json");
            }
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Waits out a hold the venue asked for, or refuses without sending: inside an IP ban, or
    /// when the hold is longer than one call may wait (the engine's retry waits it out).
    async fn gate(&self) -> Result<(), ExchangeError> {
        let now = Instant::now();
        if let Ok(banned) = self.inner.banned_until.lock()
            && let Some((until, code)) = banned.as_ref()
            && *until > now
        {
            return Err(ExchangeError::IpBanned {
                code: code.clone(),
                retry_after_ms: Some(millis(*until - now)),
            });
        }
        let held = self.inner.held_until.lock().ok().and_then(|held| *held);
        if let Some(until) = held
            && until > now
        {
            let wait = until - now;
            if wait > MAX_RATE_WAIT {
                return Err(ExchangeError::RateLimited {
                    code: "held by the client".to_owned(),
                    reset_ms: None,
                    retry_after_ms: Some(millis(wait)),
                });
            }
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Holds every later request for as long as the venue asks after this answer.
    fn hold_after(&self, request: &super::Request, response: &Response) {
        let Some(wait) = self
            .inner
            .venue
            .pace(request, response, self.clock().now_ms())
        else {
            return;
        };
        let until = Instant::now() + wait;
        if let Ok(mut held) = self.inner.held_until.lock() {
            *held = Some(held.map_or(until, |h| h.max(until)));
        }
    }

    /// Sends nothing more until the ban ends (a minute when the exchange did not say).
    fn ban(&self, code: &str, retry_after_ms: Option<u64>) {
        let until = Instant::now() + Duration::from_millis(retry_after_ms.unwrap_or(60_000));
        if let Ok(mut banned) = self.inner.banned_until.lock() {
            *banned = Some((until, code.to_owned()));
        }
    }

    /// Refuses what the mode does not allow.
    fn allowed(&self, op: &'static str, mutating: bool) -> Result<(), ExchangeError> {
        match self.inner.mode {
            Mode::Live => Ok(()),
            Mode::DryRun if !mutating => Ok(()),
            Mode::DryRun | Mode::Offline => Err(ExchangeError::DryRun { op }),
        }
    }

    fn record(&self, record: CallRecord) {
        if let Some(sink) = &self.sink
            && let Ok(mut records) = sink.lock()
        {
            records.push(record);
        }
    }
}

/// A duration in whole milliseconds (at least 1, so a remaining wait never reads as none).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn transport(err: reqwest::Error) -> ExchangeError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    // reqwest's message names the URL, whose query may carry a signature (Binance
    // `signature=`): redacted like any answer's excerpt.
    let mut detail = format!("{kind}: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    ExchangeError::Transport {
        detail: super::redact::redact(&detail),
        reached: !err.is_connect(),
    }
}

/// The HTTP client every venue uses: rustls, keep-alive, bounded timeouts, no proxy.
pub fn http_client() -> Result<reqwest::Client, ExchangeError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .user_agent(concat!("lockdown/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| ExchangeError::Transport {
            detail: format!("cannot build the HTTP client: {err}"),
            reached: false,
        })
}

/// A random nonce: 8 lowercase letters and digits.
fn nonce() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::from_os_rng();
    (0..8)
        .map(|_| {
            let i = rng.random_range(0..36u8);
            char::from(if i < 10 { b'0' + i } else { b'a' + i - 10 })
        })
        .collect()
}

/// An HTTP client whose connections leave from `local` (the drill's attacker on 127.0.0.2).
pub fn http_client_from(local: std::net::IpAddr) -> Result<reqwest::Client, ExchangeError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .local_address(local)
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|err| ExchangeError::Transport {
            detail: format!("cannot build the HTTP client: {err}"),
            reached: false,
        })
}

fn install_crypto_provider() {
    // Installing twice is harmless: the second attempt reports the first and changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::exchanges::model::{Access, IpWhitelist, Lock};
    use crate::secret::{KeyId, SecretString};

    #[tokio::test]
    async fn the_sending_layer_refuses_mutations_by_itself() {
        // Below `call`: even a caller that built and signed a mutating request by hand cannot
        // get it out in a dry run. Port 9 on loopback: anything sent would fail differently.
        let client = Client::new(
            ExchangeId::Bybit.venue(),
            "http://127.0.0.1:9",
            Mode::DryRun,
        )
        .unwrap();
        let signed = SignedRequest {
            request: crate::exchanges::Request::post("/v5/user/delete-sub-api", "{}".into()),
            headers: Vec::new(),
        };
        let err = client.send(&signed).await.unwrap_err();
        assert_eq!(err, ExchangeError::DryRun { op: "request" });
        let offline = Client::new(
            ExchangeId::Bybit.venue(),
            "http://127.0.0.1:9",
            Mode::Offline,
        )
        .unwrap();
        let read = SignedRequest {
            request: crate::exchanges::Request::get("/v5/market/time", String::new()),
            headers: Vec::new(),
        };
        assert_eq!(
            offline.send(&read).await.unwrap_err(),
            ExchangeError::DryRun { op: "request" }
        );
    }

    #[tokio::test]
    async fn dry_run_refuses_mutations_without_sending() {
        // Port 9 on loopback: if anything were sent it would fail with a transport error.
        let client = Client::new(
            ExchangeId::Bybit.venue(),
            "http://127.0.0.1:9",
            Mode::DryRun,
        )
        .unwrap();
        let cred = Credential::new(KeyId::new("ABCDEFGHIJKLMNOPQR"), SecretString::from("s"));
        let op = Op::RestrictKey {
            account: None,
            key: KeyId::new("BOTKEY0000000000000"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let err = client.call(&op, Auth::Key(&cred)).await.unwrap_err();
        assert_eq!(err, ExchangeError::DryRun { op: "restrict_key" });
    }
}
