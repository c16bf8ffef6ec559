//! Token sessions ([`crate::exchanges::mechanisms::TokenSessions`], Deribit): one session per
//! key, and per key and sub-account on venues that switch sessions, logging in once however
//! many calls wait.
//!
//! A login request carries credentials in its body, so only its path is recorded. A session
//! that ends early is forgotten with every session of its key (the token they come from may
//! have ended), and the retry logs in again once.

use std::collections::HashMap;
use std::sync::Mutex;

use super::record::{Answer, Sent};
use super::{CallRecord, Client, plan};
use crate::exchanges::mechanisms::TokenSessions;
use crate::exchanges::{ExchangeError, Request, Session};
use crate::secret::Credential;

/// The live sessions of a client.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    /// The live session of each key, by key id (and `#subject`).
    cache: Mutex<HashMap<String, Session>>,
    /// Held while logging in, so that concurrent calls with one key log in once.
    logging_in: tokio::sync::Mutex<()>,
}

/// The cache key of a key's session: its id, and the sub-account the session acts in.
fn session_name(cred: &Credential, subject: Option<&str>) -> String {
    match subject {
        Some(subject) => format!("{}#{subject}", cred.key.as_str()),
        None => cred.key.as_str().to_owned(),
    }
}

impl Client {
    pub(super) fn cached_session(
        &self,
        cred: &Credential,
        subject: Option<&str>,
    ) -> Option<Session> {
        let sessions = self.inner.sessions.cache.lock().ok()?;
        sessions.get(&session_name(cred, subject)).cloned()
    }

    /// A cached session that does not expire within the next 30 seconds.
    fn fresh_session(&self, cred: &Credential, subject: Option<&str>) -> Option<Session> {
        let now = self.clock().now_ms();
        self.cached_session(cred, subject)
            .filter(|session| session.expires_ms > now + 30_000)
    }

    fn keep_session(&self, cred: &Credential, subject: Option<&str>, session: &Session) {
        if let Ok(mut sessions) = self.inner.sessions.cache.lock() {
            sessions.insert(session_name(cred, subject), session.clone());
        }
    }

    /// Forgets every session of a key (its own and its sub-account ones): a venue that ended
    /// one may have ended the token they all come from.
    pub(super) fn forget_session(&self, cred: &Credential) {
        if let Ok(mut sessions) = self.inner.sessions.cache.lock() {
            let own = cred.key.as_str();
            sessions.retain(|name, _| name != own && !name.starts_with(&format!("{own}#")));
        }
    }

    /// Token venues: a live session for the key (in `subject`, on venues that switch sessions
    /// per sub-account), logging in when there is none or it is about to expire. `None` on
    /// venues that sign every request.
    pub(super) async fn session(
        &self,
        cred: &Credential,
        subject: Option<&str>,
    ) -> Result<Option<Session>, ExchangeError> {
        let Some(tokens) = self.inner.venue.sessions() else {
            return Ok(None);
        };
        if let Some(session) = self.fresh_session(cred, subject) {
            return Ok(Some(session));
        }
        // Segments are read at once: the first call logs in, the others wait and reuse it.
        let _one_at_a_time = self.inner.sessions.logging_in.lock().await;
        if let Some(session) = self.fresh_session(cred, subject) {
            return Ok(Some(session));
        }
        let Some(subject) = subject else {
            let session = self.login(tokens, cred, None).await?;
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
                let Some(base) = self.login(tokens, cred, Some(subject)).await? else {
                    return Ok(None);
                };
                self.keep_session(cred, Some(""), &base);
                base
            }
        };
        let nonce = plan::nonce();
        let call = self.login_context(&nonce, Some(&base), Some(subject));
        let Some(request) = tokens.switch(&base, subject, &call) else {
            return Ok(Some(base));
        };
        let session = self
            .send_login(tokens, "switch_account", cred, request)
            .await?;
        self.keep_session(cred, Some(subject), &session);
        Ok(Some(session))
    }

    /// Logs a key in (`subject` says the session is wanted as the base of a sub-account one).
    async fn login(
        &self,
        tokens: &dyn TokenSessions,
        cred: &Credential,
        subject: Option<&str>,
    ) -> Result<Option<Session>, ExchangeError> {
        let nonce = plan::nonce();
        let call = self.login_context(&nonce, None, subject);
        let Some(request) = tokens.login(cred, &call) else {
            return Ok(None);
        };
        self.send_login(tokens, "login", cred, request)
            .await
            .map(Some)
    }

    /// Sends a login (or account switch) request and records it; the request holds
    /// credentials, so only its path is recorded.
    async fn send_login(
        &self,
        tokens: &dyn TokenSessions,
        op: &'static str,
        cred: &Credential,
        request: Request,
    ) -> Result<Session, ExchangeError> {
        let plan = Client::session_plan(request);
        let sent = Sent::now();
        let result = self.send(&plan).await;
        let status = result.as_ref().ok().map(|response| response.status);
        // A login's body carries the key's secret: an echo of it must not reach an error.
        let decoded = match result {
            Ok(response) => tokens.decode_login(&response).map_err(|err| {
                super::exchange::without_carried(err, &plan, Some(cred), Some(&response))
            }),
            Err(err) => Err(super::exchange::without_carried(
                err,
                &plan,
                Some(cred),
                None,
            )),
        };
        self.record(CallRecord::new(
            op,
            &plan,
            Some(cred),
            sent.answered(),
            Answer {
                status,
                code: decoded
                    .as_ref()
                    .err()
                    .and_then(|err| err.code().map(str::to_owned)),
                server_ms: None,
                result: &decoded,
            },
        ));
        decoded
    }
}
