//! The `email` channel: a plain-text message over SMTP (lettre, tokio, rustls), for the people
//! and ticket systems that read mail rather than chat.
//!
//! The connection is encrypted (`tls: starttls`, the default, or `implicit`), with the
//! system's roots plus an optional `ca_file` for private relays; `tls: none` is allowed only to
//! a relay on this machine. The password is a secret reference, handed to lettre for `AUTH`
//! only and scrubbed from anything the server answers before it becomes an error's text. A
//! transient SMTP reply (4xx), a timeout or a refused connection is worth another try; a
//! permanent one (5xx: a wrong password, a refused recipient) or an untrusted certificate is
//! not. TLS settings are read at send time, on the notifier's task, never on the way to a lock.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{Channel, Message, SendError, Sending, Severity};
use crate::secret::SecretString;

/// How long the whole exchange with the relay may take, unless `timeout` says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with `STARTTLS`, which the relay must offer (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No encryption: a relay on this machine only (port 25).
    None,
}

impl Security {
    /// The usual port for this kind of connection.
    fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Implicit => 465,
            Security::None => 25,
        }
    }
}

/// The channel's config entry, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    tls: Option<Security>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    from: String,
    to: Vec<String>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
}

/// A configured mail relay and its recipients.
pub struct Email {
    name: String,
    host: String,
    port: u16,
    security: Security,
    login: Option<(String, SecretString)>,
    from: Mailbox,
    to: Mailboxes,
    ca_file: Option<PathBuf>,
    timeout: Duration,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.security)
            .field("username", &self.login.as_ref().map(|(user, _)| user))
            .field("password", &self.login.as_ref().map(|_| "****"))
            .field("to", &self.to.to_string())
            .finish_non_exhaustive()
    }
}

/// Builds the channel from its config entry.
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let at = |field: &str| format!("channel `{name}` (email) `{field}`");
    let raw: Raw = serde_json::from_value(fields.clone())
        .map_err(|err| format!("channel `{name}` (email): {err}"))?;
    let host = raw.host.trim().to_owned();
    if host.is_empty() || host.contains(['/', ':', ' ']) && host.parse::<IpAddr>().is_err() {
        return Err(format!(
            "{} must be a host name or address, without scheme or port (`smtp.example.com`)",
            at("host")
        ));
    }
    let security = raw.tls.unwrap_or(Security::Starttls);
    if security == Security::None && !loopback(&host) {
        return Err(format!(
            "{} is `none`, allowed only to a relay on this machine; use `starttls` or `implicit`",
            at("tls")
        ));
    }
    let login = match (raw.username, raw.password) {
        (Some(user), Some(password)) => {
            let password = super::secret(&at("password"), &password, dir)?;
            Some((user, password))
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(format!(
                "{} is missing: `username` needs one (`env:SMTP_PASSWORD`)",
                at("password")
            ));
        }
        (None, Some(_)) => {
            return Err(format!(
                "{} is missing: `password` needs one",
                at("username")
            ));
        }
    };
    let from: Mailbox = raw.from.parse().map_err(|err| {
        format!(
            "{} is not an address (`lockdown <alerts@example.com>`): {err}",
            at("from")
        )
    })?;
    if raw.to.is_empty() {
        return Err(format!(
            "{} is empty: name at least one recipient",
            at("to")
        ));
    }
    let mut to = Mailboxes::new();
    for address in &raw.to {
        let mailbox: Mailbox = address
            .parse()
            .map_err(|err| format!("{} has `{address}`, not an address: {err}", at("to")))?;
        to.push(mailbox);
    }
    let ca_file = match raw.ca_file {
        Some(path) => {
            let path = within(&path, dir);
            let pem = std::fs::read(&path).map_err(|err| {
                format!("{}: cannot read `{}`: {err}", at("ca_file"), path.display())
            })?;
            Certificate::from_pem(&pem).map_err(|err| {
                format!(
                    "{}: `{}` is not a PEM certificate: {err}",
                    at("ca_file"),
                    path.display()
                )
            })?;
            Some(path)
        }
        None => None,
    };
    let timeout = match raw.timeout {
        Some(text) => humantime::parse_duration(text.trim())
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("{} is not a duration (`10s`)", at("timeout")))?,
        None => DEFAULT_TIMEOUT,
    };
    Ok(Box::new(Email {
        name: name.to_owned(),
        port: raw.port.unwrap_or(security.default_port()),
        host,
        security,
        login,
        from,
        to,
        ca_file,
        timeout,
    }))
}

/// `path` as written in the config: `~/` is the home folder, a relative path is the config's.
fn within(path: &str, dir: &Path) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    dir.join(path)
}

/// Whether `host` is this machine.
fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Channel for Email {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, message: &'a Message, _http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let mail = self.render(message)?;
            let transport = self.transport()?;
            match tokio::time::timeout(self.timeout, transport.send(mail)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(err)) => Err(self.judge(&err)),
                Err(_) => Err(SendError::Retry {
                    reason: format!(
                        "the mail relay `{}:{}` did not finish within {}",
                        self.host,
                        self.port,
                        humantime::format_duration(self.timeout)
                    ),
                    after: None,
                }),
            }
        })
    }
}

impl Email {
    /// The mail for `message`: subject = severity and title, a plain-text body with its fields.
    pub fn render(&self, message: &Message) -> Result<lettre::Message, SendError> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .mailbox(lettre::message::header::To::from(self.to.clone()))
            .subject(subject(message))
            .message_id(Some(self.message_id(message)))
            .header(ContentType::TEXT_PLAIN);
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&message.at) {
            builder = builder.date(SystemTime::from(at));
        }
        builder.body(body(message)).map_err(|err| SendError::Fatal {
            reason: format!("cannot build the mail for channel `{}`: {err}", self.name),
        })
    }

    /// A unique `Message-ID` in the sender's domain (RFC 5322 §3.6.4), naming the run: not the
    /// host name lettre would use.
    fn message_id(&self, message: &Message) -> String {
        let run: String = message
            .dedup_key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        use rand::{Rng, SeedableRng};
        let unique = rand::rngs::StdRng::from_os_rng().random::<u64>();
        let domain = self.from.email.domain();
        format!("<lockdown.{run}.{unique:016x}@{domain}>")
    }

    /// The SMTP client for one send.
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let tls = match self.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(self.tls_parameters()?),
            Security::Implicit => Tls::Wrapper(self.tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let Some((user, password)) = &self.login {
            // Exposed only here: lettre needs it for AUTH.
            #[allow(clippy::disallowed_methods)]
            let password = password.expose_secret().to_owned();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }

    /// The relay's name to verify, the system's roots and `ca_file`.
    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        let mut builder = TlsParameters::builder(self.host.clone());
        if let Some(path) = &self.ca_file {
            let certificate = std::fs::read(path)
                .ok()
                .and_then(|pem| Certificate::from_pem(&pem).ok())
                .ok_or_else(|| SendError::Fatal {
                    reason: format!(
                        "channel `{}` `ca_file` `{}` is no longer a readable PEM certificate",
                        self.name,
                        path.display()
                    ),
                })?;
            builder = builder.add_root_certificate(certificate);
        }
        builder.build_rustls().map_err(|err| SendError::Fatal {
            reason: format!("cannot set up TLS for channel `{}`: {err}", self.name),
        })
    }

    /// What an SMTP failure means: transient replies and network trouble retry, the rest not.
    fn judge(&self, err: &lettre::transport::smtp::Error) -> SendError {
        let relay = format!("{}:{}", self.host, self.port);
        let text = self.scrub(&chain(err));
        if err.is_permanent() {
            let hint = match err.status().map(|code| code.to_string()) {
                Some(code) if code.starts_with("53") => "check `username` and `password`",
                _ => "check `from`, `to` and the relay's rules",
            };
            SendError::Fatal {
                reason: format!("the mail relay `{relay}` refused the mail: {text}; {hint}"),
            }
        } else if err.is_tls() || tls_failure(err) {
            SendError::Fatal {
                reason: format!(
                    "TLS with the mail relay `{relay}` failed: {text}; check `host`, `tls` and \
                     `ca_file` (a private relay's CA)"
                ),
            }
        } else if err.is_client() {
            SendError::Fatal {
                reason: format!("the mail to `{relay}` could not be sent: {text}"),
            }
        } else {
            SendError::Retry {
                reason: format!("the mail relay `{relay}`: {text}"),
                after: None,
            }
        }
    }

    /// `text` without the password, should a server ever quote it.
    fn scrub(&self, text: &str) -> String {
        match &self.login {
            Some((_, password)) => {
                // Exposed to compare only: nothing of it leaves this function.
                #[allow(clippy::disallowed_methods)]
                let password = password.expose_secret();
                if password.is_empty() {
                    text.to_owned()
                } else {
                    text.replace(password, "****")
                }
            }
            None => text.to_owned(),
        }
    }
}

/// Whether the TLS handshake failed (an untrusted or mismatched certificate, a protocol
/// alert): lettre reports those as connection errors, yet trying again will not help.
fn tls_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if current.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // `io::Error::source` skips the error it wraps: look inside.
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// An error and its causes, on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// `[CRITICAL] title`, on one line.
pub fn subject(message: &Message) -> String {
    let severity = match message.severity {
        Severity::Info => "INFO",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    };
    // Line breaks and other control characters become single spaces: a title stays one line.
    let title: String = message
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("[{severity}] {title}")
}

/// The text, the fields as `label: value` lines, and where the message comes from.
pub fn body(message: &Message) -> String {
    let mut out = String::new();
    if !message.text.trim().is_empty() {
        out.push_str(message.text.trim_end());
        out.push_str("\n\n");
    }
    let width = message
        .fields
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value) in &message.fields {
        out.push_str(&format!("{label:width$}  {value}\n"));
    }
    if !message.fields.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "event: {}, at {}",
        message.event.as_str(),
        message.at
    ));
    if let Some(profile) = &message.profile {
        out.push_str(&format!(", profile `{profile}`"));
    }
    out.push_str(&format!(", run `{}`\n", message.dedup_key));
    out.push_str("-- \nsent by lockdown\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Event, Phase};

    fn message() -> Message {
        Message {
            event: Event::KeyLocked,
            severity: Severity::Critical,
            phase: Phase::Acknowledge,
            title: "bybit-main: key AbCd…wxyz locked\r\nBcc: evil@example.com".into(),
            text: "The key is bound to the responder.".into(),
            fields: vec![
                ("venue".into(), "bybit".into()),
                ("time_to_contain".into(), "212 ms".into()),
            ],
            dedup_key: "run-1".into(),
            profile: Some("bybit-main".into()),
            at: "2026-12-05T17:44:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        }
    }

    #[test]
    fn the_subject_is_one_line_with_the_severity() {
        assert_eq!(
            subject(&message()),
            "[CRITICAL] bybit-main: key AbCd…wxyz locked Bcc: evil@example.com"
        );
    }

    #[test]
    fn the_body_lists_the_fields_aligned() {
        let text = body(&message());
        assert!(
            text.starts_with("The key is bound to the responder.\n\n"),
            "{text}"
        );
        assert!(text.contains("venue            bybit\n"), "{text}");
        assert!(text.contains("time_to_contain  212 ms\n"), "{text}");
        assert!(
            text.contains(
                "event: key_locked, at 2026-12-05T17:44:00Z, profile `bybit-main`, run `run-1`"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_title_cannot_add_a_header() {
        let channel = Email {
            name: "mail".into(),
            host: "127.0.0.1".into(),
            port: 25,
            security: Security::None,
            login: None,
            from: "lockdown <alerts@example.com>".parse().unwrap(),
            to: "oncall@example.com".parse().unwrap(),
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
        };
        let mail = channel.render(&message()).unwrap().formatted();
        let text = String::from_utf8(mail).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers.lines().any(|line| line.starts_with("Bcc:")),
            "{text}"
        );
        assert!(
            headers.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert!(
            headers.contains("Date: Sat, 05 Dec 2026 17:44:00 +0000"),
            "{text}"
        );
        assert!(headers.contains("Message-ID: <lockdown.run-1."), "{text}");
        assert!(headers.contains("@example.com>"), "{text}");
    }

    #[test]
    fn plain_connections_only_to_this_machine() {
        for (host, local) in [
            ("127.0.0.1", true),
            ("localhost", true),
            ("::1", true),
            ("[::1]", true),
            ("10.0.0.1", false),
            ("smtp.example.com", false),
        ] {
            assert_eq!(loopback(host), local, "{host}");
        }
    }
}
