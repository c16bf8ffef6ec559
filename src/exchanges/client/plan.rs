//! Request preparation, and the one place that decides whether a request mutates.
//!
//! A [`Plan`] is the only thing the sender accepts. It is made here and nowhere else, and its
//! `mutating` flag comes from the operation ([`Op::is_mutating`]): never from the request an
//! adapter built, so an adapter that marked a change as a read cannot get it past a dry run.
//! Login and account-switch requests are plans too; they change nothing at the exchange.

use super::{Auth, Client};
use crate::clock;
use crate::exchanges::model::Segment;
use crate::exchanges::{CallContext, ExchangeError, Op, Request, Response, Session, SignedRequest};
use crate::secret::Credential;

/// A request ready to send, with whether sending it changes anything at the exchange.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    signed: SignedRequest,
    mutating: bool,
}

/// What a plan is for: it decides the plan's `mutating` flag.
#[derive(Debug, Clone, Copy)]
pub(super) enum Purpose<'a> {
    /// An operation: mutating when the operation is.
    Op(&'a Op),
    /// A login or an account switch: a session, no change at the exchange.
    Session,
}

impl Plan {
    /// The only constructor.
    fn new(purpose: Purpose<'_>, signed: SignedRequest) -> Plan {
        let mutating = match purpose {
            Purpose::Op(op) => op.is_mutating(),
            Purpose::Session => false,
        };
        Plan { signed, mutating }
    }

    /// What goes on the wire.
    pub(super) fn signed(&self) -> &SignedRequest {
        &self.signed
    }

    /// The request.
    pub(super) fn request(&self) -> &Request {
        &self.signed.request
    }

    /// Whether sending it changes anything at the exchange.
    pub(super) fn mutating(&self) -> bool {
        self.mutating
    }

    /// What the request carries that an echo of it must not show: every credential header's
    /// value (and each word of one, a bearer token), the signing key's id, the secret-bearing
    /// values of its query and body (a signature, a login's secret), and a query that carries
    /// one whole.
    pub(super) fn carried(&self, key: Option<&Credential>) -> Vec<String> {
        let req = &self.signed.request;
        let mut carried: Vec<String> = Vec::new();
        for header in self.signed.headers.iter().filter(|h| h.is_sensitive()) {
            let value = header.value.as_str();
            carried.push(value.to_owned());
            carried.extend(
                value
                    .split_whitespace()
                    .filter(|word| word.len() >= 8 && *word != value)
                    .map(str::to_owned),
            );
        }
        carried.extend(key.map(|cred| cred.key.as_str().to_owned()));
        let in_query = crate::exchanges::redact::secret_values(&req.query);
        if !in_query.is_empty() {
            carried.push(req.query.clone());
        }
        carried.extend(in_query);
        carried.extend(
            req.body
                .as_deref()
                .map(crate::exchanges::redact::secret_values)
                .unwrap_or_default(),
        );
        carried.retain(|value| !value.trim().is_empty());
        carried.sort();
        carried.dedup();
        carried
    }

    /// Makes the adapter's request claim to be a read, as a mistaken adapter would.
    #[cfg(test)]
    pub(super) fn mark_read_for_test(&mut self) {
        self.signed.request.mutating = false;
    }
}

/// What goes into one request besides the operation, as the client knows it.
pub(super) struct Context<'c> {
    pub(super) session: Option<&'c Session>,
    pub(super) subject: Option<&'c str>,
    pub(super) lookup: Option<&'c Response>,
    pub(super) nonce: &'c str,
    /// The segments listed for this run so far ([`CallContext::known`]).
    pub(super) known: &'c [Segment],
}

impl Client {
    /// Builds and signs the request an operation would send, without sending it.
    ///
    /// A venue's lookup ([`crate::exchanges::mechanisms::CompanionCalls::lookup`]) is not made
    /// here: the request is rendered without it.
    pub fn prepare(&self, op: &Op, auth: Auth<'_>) -> Result<SignedRequest, ExchangeError> {
        let subject = self.venue().subject(op);
        let session = match auth {
            Auth::Key(cred) => self.cached_session(cred, subject.as_deref()),
            Auth::Public => None,
        };
        // A rendered request spends no nonce: it shows the clock where the key's next would be.
        let nonce = if self.venue().counter_nonce() {
            clock::local_ms().to_string()
        } else {
            nonce()
        };
        let context = Context {
            session: session.as_ref(),
            subject: subject.as_deref(),
            lookup: None,
            nonce: &nonce,
            known: &[],
        };
        self.plan(op, auth, &context).map(|plan| plan.signed)
    }

    /// Encodes and signs an operation into a plan.
    pub(super) fn plan(
        &self,
        op: &Op,
        auth: Auth<'_>,
        context: &Context<'_>,
    ) -> Result<Plan, ExchangeError> {
        let call = CallContext {
            now_ms: self.clock().now_ms(),
            nonce: context.nonce,
            session: context.session,
            tfa: self.tfa.as_ref(),
            settings: &self.inner.settings,
            subject: context.subject,
            lookup: context.lookup,
            known: context.known,
        };
        let request = self.inner.venue.encode(op, &call)?;
        let signed = match auth {
            Auth::Public => SignedRequest {
                request,
                headers: Vec::new(),
            },
            Auth::Key(cred) => self.inner.venue.sign(request, cred, &call),
        };
        Ok(Plan::new(Purpose::Op(op), signed))
    }

    /// A login or account-switch request as the venue built it (it carries its credentials in
    /// its body, so it has no headers of its own).
    pub(super) fn session_plan(request: Request) -> Plan {
        Plan::new(
            Purpose::Session,
            SignedRequest {
                request,
                headers: Vec::new(),
            },
        )
    }

    /// What a login or account switch is built with: no two-factor answer, no lookup.
    pub(super) fn login_context<'c>(
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
            known: &[],
        }
    }

    /// The key of a credential's signed request, when it is signed at all.
    pub(super) fn signer<'a>(op: &Op, auth: Auth<'a>) -> Option<&'a Credential> {
        match auth {
            Auth::Key(cred) if op.is_signed() => Some(cred),
            _ => None,
        }
    }
}

/// A random nonce: 8 lowercase letters and digits.
pub(super) fn nonce() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::from_os_rng();
    (0..8)
        .map(|_| {
            let i = rng.random_range(0..36u8);
            char::from(if i < 10 { b'0' + i } else { b'a' + i - 10 })
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::exchanges::model::{Access, IpWhitelist, Lock};
    use crate::exchanges::{ExchangeId, Mode};
    use crate::secret::{KeyId, SecretString};

    /// A mutating operation every venue encodes (or refuses to).
    pub(in crate::exchanges::client) fn lock() -> Op {
        Op::RestrictKey {
            account: None,
            key: KeyId::new("BOTKEY0000000000000"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        }
    }

    /// A credential nobody holds.
    pub(in crate::exchanges::client) fn cred() -> Credential {
        Credential::new(KeyId::new("ABCDEFGHIJKLMNOPQR"), SecretString::from("s"))
    }

    /// What a request is built with when no session, subject or lookup is involved.
    pub(in crate::exchanges::client) fn bare() -> Context<'static> {
        Context {
            session: None,
            subject: None,
            lookup: None,
            nonce: "n",
            known: &[],
        }
    }

    #[test]
    fn a_plan_mutates_when_its_operation_does() {
        let cred = cred();
        let context = bare();
        for id in ExchangeId::ALL {
            let client = Client::new(id.venue(), "http://127.0.0.1:9", Mode::DryRun).unwrap();
            let time = client
                .plan(&Op::ServerTime, Auth::Public, &context)
                .unwrap();
            assert!(!time.mutating(), "{id}: server time");
            if let Ok(change) = client.plan(&lock(), Auth::Key(&cred), &context) {
                assert!(change.mutating(), "{id}: restrict_key");
            }
        }
        let login = Client::session_plan(Request::post("/api/v2/public/auth", "{}".into()));
        assert!(!login.mutating(), "a login changes nothing");
    }
}
