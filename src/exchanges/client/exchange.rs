//! One attempt at an operation: the venue's lookup first when it asks for one, the key's
//! session, the key's turn and nonce, the plan, the send, the decode and the record.
//!
//! An attempt is made once; [`super::retry`] decides whether another follows. What the answer
//! says about the address (a hold the venue asks for, an IP ban) is kept for every later
//! request ([`super::pace`]).

use super::plan::{Context, Plan};
use super::record::{Answer, Sent};
use super::retry::Again;
use super::schedule::Priority;
use super::{Auth, CallRecord, Client};
use crate::exchanges::{Decoded, ExchangeError, Op, Reply, Response, Session, redact};
use crate::secret::Credential;

impl Client {
    /// Makes one attempt at `op` (its lookup retried like any read), queued under the venue's
    /// limits at `priority` (the lookup too: a lock's lookup is part of the lock).
    pub(super) async fn call_once(
        &self,
        op: &Op,
        auth: Auth<'_>,
        priority: Priority,
    ) -> Result<Reply, ExchangeError> {
        self.allowed(op)?;
        let subject = self.inner.venue.subject(op);
        let subject = subject.as_deref();
        // A venue that must look something up first (a key's numeric id) reads it now, with
        // the same credential and subject, as reads are made; its refusal is this call's.
        let looked_up = match self.inner.venue.lookup(op, &self.inner.settings) {
            Some(read) => {
                let read = &read;
                let charges = self.inner.venue.charges(read);
                // Boxed: the retries may resync the clock, which calls back into `call_once`.
                let response = Box::pin(self.retrying(auth, Again::Yes, &charges, move || {
                    self.look_up(read, auth, subject, priority)
                }))
                .await?;
                Some(response)
            }
            None => None,
        };
        let session = match auth {
            Auth::Key(cred) if op.is_signed() => self.session(cred, subject).await?,
            _ => None,
        };
        self.exchange(
            op,
            auth,
            session.as_ref(),
            subject,
            looked_up.as_ref(),
            priority,
        )
        .await
        .0
    }

    /// Sends a venue's lookup read once; its raw answer when the venue accepted it.
    pub(super) async fn look_up(
        &self,
        read: &Op,
        auth: Auth<'_>,
        subject: Option<&str>,
        priority: Priority,
    ) -> Result<Response, ExchangeError> {
        let session = match auth {
            Auth::Key(cred) => self.session(cred, subject).await?,
            Auth::Public => None,
        };
        let (reply, response) = self
            .exchange(read, auth, session.as_ref(), subject, None, priority)
            .await;
        reply?;
        response.ok_or_else(|| ExchangeError::Protocol {
            detail: format!("`{}` was answered without a body", read.name()),
        })
    }

    /// Sends one operation once, when the venue's limits and holds let it go, decodes and
    /// records it; also hands back the raw answer.
    async fn exchange(
        &self,
        op: &Op,
        auth: Auth<'_>,
        session: Option<&Session>,
        subject: Option<&str>,
        lookup: Option<&Response>,
        priority: Priority,
    ) -> (Result<Reply, ExchangeError>, Option<Response>) {
        let signer = Client::signer(op, auth);
        // Waited for before the request is signed, so that its timestamp is fresh.
        let receipt = match self.await_turn(op, signer, priority).await {
            Ok(receipt) => receipt,
            Err(err) => return (Err(err), None),
        };
        let (_turn, nonce) = match self.take_turn(op, signer).await {
            Ok(turn) => turn,
            Err(err) => return (Err(err), None),
        };
        let known = self.inner.discovered.known();
        let context = Context {
            session,
            subject,
            lookup,
            nonce: &nonce,
            known: &known,
        };
        let mut plan = match self.plan(op, auth, &context) {
            Ok(plan) => plan,
            Err(err) => return (Err(err), None),
        };
        // Out of a hold on the limit this request counts on (the address's was waited out
        // above), in single file when that limit is crowded; signed again after a wait, so
        // that its timestamp is fresh.
        // Background work (the watcher's looks) first takes its own turn on the lane, below
        // the share a response needs.
        let (_background, mut waited) = match self.background_turn(plan.request(), signer).await {
            Ok(turn) => turn,
            Err(err) => return (Err(err), None),
        };
        let _single = loop {
            match self.await_lane(plan.request(), signer).await {
                Ok(lane_waited) => waited |= lane_waited,
                Err(err) => return (Err(err), None),
            }
            let (single, single_waited) = self.single_file(plan.request(), signer).await;
            waited |= single_waited;
            // A hold that came while this request waited for its turn is waited out first.
            if !single_waited || !self.lane_held(plan.request(), signer) {
                break single;
            }
        };
        if waited {
            match self.plan(op, auth, &context) {
                Ok(again) => plan = again,
                Err(err) => return (Err(err), None),
            }
        }
        let sent = Sent::now();
        let result = self.send(&plan).await;
        receipt.settle();
        let took = sent.answered();
        let key = match auth {
            Auth::Public => None,
            Auth::Key(cred) => Some(cred),
        };
        let (decoded, status, response) = match result {
            Ok(response) => {
                let status = response.status;
                let mut decoded = self.inner.venue.decode_known(op, &response, &known);
                // On the answer's own clock where it gives one: the first answer of a process
                // (its clock read) comes before the clock's offset is known.
                self.hold_after(plan.request(), &response, signer, decoded.server_ms);
                decoded.reply = decoded
                    .reply
                    .map_err(|err| without_carried(err, &plan, key, Some(&response)));
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
                    reply: Err(without_carried(err, &plan, key, None)),
                    server_ms: None,
                    code: None,
                },
                None,
                None,
            ),
        };
        // The run's first change (its lock; in a dry run, which sends none, its first read) has
        // been answered or failed, and what the answer said of the address (a hold, a ban) is
        // kept: the clock's read may go now, never in front of it (`Client::measure_clock`).
        if op.is_mutating() || self.inner.mode != super::Mode::Live {
            self.inner
                .first_change
                .send_if_modified(|sent| !std::mem::replace(sent, true));
        }
        self.record(CallRecord::new(
            op.name(),
            &plan,
            key,
            took,
            Answer {
                status,
                code: decoded.code.clone(),
                server_ms: decoded.server_ms,
                result: &decoded.reply,
            },
        ));
        (decoded.reply, response)
    }
}

/// An error with nothing in it of what the request carried ([`Plan::carried`]): an answer's
/// gist taken again without those values (before it is cut, so no part of one stays), and every
/// other text with them replaced. A venue, or a proxy in front of it, may echo the request, its
/// signature, the key id and the OKX passphrase back in an error page or message, and an error
/// reaches the journal and the report.
pub(super) fn without_carried(
    err: ExchangeError,
    plan: &Plan,
    key: Option<&Credential>,
    response: Option<&Response>,
) -> ExchangeError {
    let carried = plan.carried(key);
    let gists = response.map(|r| (r.gist(), r.gist_without(&carried)));
    err.map_text(|text| {
        let text = match &gists {
            Some((plain, safe)) if !plain.is_empty() => text.replace(plain, safe),
            _ => text.to_owned(),
        };
        redact::scrub(&text, &carried)
    })
}
