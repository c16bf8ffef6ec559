//! `responder_ip`: is it this machine's address as the exchange sees it? The lock binds the
//! leaked key to `responder_ip`; when that is not where this machine's requests come from, the
//! lock succeeds and the responder has locked itself out of its next read.
//!
//! Three witnesses, the strongest first: the profile's `ip_echo:` URL (GET; the body is the
//! caller's address as text, or JSON with `ip`); the venue's own access log where it records the
//! master's login just made, with its address (Deribit `private/get_access_log`); and the master
//! key's IP list (it authenticated from here, so this machine's address is in the list; a list
//! of one address *is* it). Without any, a warning says how to get one.

use std::net::IpAddr;
use std::time::Duration;

use super::master::Master;
use super::{call, finding};
use crate::check::{Finding, Severity};
use crate::config::Profile;
use crate::exchanges::{Capability, Client, Op, Support};

/// How long the echo URL may take.
const ECHO_LIMIT: Duration = Duration::from_secs(5);

/// The most of an echo answer read (an address is a few dozen bytes).
const ECHO_MAX_BYTES: usize = 4096;

/// How recent the master's login in the access log must be to be this check's own.
const LOGIN_RECENT_MS: i64 = 10 * 60 * 1000;

/// The `responder_ip` finding.
pub(super) async fn check(profile: &Profile, client: &Client, master: &Master) -> Finding {
    let check = "responder_ip";
    let responder = profile.responder_ip;
    let set_it = |ip: IpAddr| Some(format!("set `responder_ip: {ip}` in the profile"));
    if let Some(problem) = profile.ip_echo_problem() {
        return finding(
            profile,
            check,
            Severity::Warning,
            format!("`ip_echo` is not asked: {problem}"),
            Some("use an https URL for `ip_echo:` (plain http only to loopback)".into()),
        );
    }
    if let Some(url) = &profile.ip_echo {
        return match echo(url).await {
            Ok(seen) if seen == responder => finding(
                profile,
                check,
                Severity::Ok,
                format!("`responder_ip` {responder} is this machine's address, as `ip_echo` sees it"),
                None,
            ),
            Ok(seen) => finding(
                profile,
                check,
                Severity::Critical,
                format!(
                    "this machine reaches the internet as {seen} (`ip_echo`), not `responder_ip` {responder}: the lock would bind the leaked key to an address this machine does not use"
                ),
                set_it(seen),
            ),
            Err(why) => finding(
                profile,
                check,
                Severity::Warning,
                format!("cannot confirm `responder_ip` {responder}: `ip_echo` {url} {why}"),
                Some("point `ip_echo:` at a URL that answers the caller's address (text, or JSON with `ip`)".into()),
            ),
        };
    }
    if let Some(seen) = logged_login(profile, client, master).await {
        return if seen == responder {
            finding(
                profile,
                check,
                Severity::Ok,
                format!(
                    "`responder_ip` {responder} is this machine's address: {}'s access log records the master's login from it",
                    profile.exchange
                ),
                None,
            )
        } else {
            finding(
                profile,
                check,
                Severity::Critical,
                format!(
                    "{}'s access log records the master's login from this machine as {seen}, not `responder_ip` {responder}: the lock would bind the leaked key to an address this machine does not use",
                    profile.exchange
                ),
                set_it(seen),
            )
        };
    }
    match master.addresses() {
        Some(list) if !list.contains(&responder) => finding(
            profile,
            check,
            Severity::Critical,
            format!(
                "the master key authenticated from this machine, so its address is in the key's IP list ({}), and `responder_ip` {responder} is not: the lock would bind the leaked key to an address this machine does not use",
                join(&list)
            ),
            match list.as_slice() {
                [only] => set_it(*only),
                _ => Some(format!(
                    "set `responder_ip` to this machine's public address (one of {}), or set `ip_echo:` to tell which",
                    join(&list)
                )),
            },
        ),
        Some(list) if list.len() == 1 => finding(
            profile,
            check,
            Severity::Ok,
            format!(
                "`responder_ip` {responder} is the master key's only allowed address, where this machine's requests come from"
            ),
            None,
        ),
        Some(list) => finding(
            profile,
            check,
            Severity::Warning,
            format!(
                "`responder_ip` {responder} is one of the master key's {} allowed addresses, but which one this machine uses cannot be told",
                list.len()
            ),
            Some(echo_fix()),
        ),
        None => finding(
            profile,
            check,
            Severity::Warning,
            format!(
                "nothing confirms that `responder_ip` {responder} is this machine's address as {} sees it",
                profile.exchange
            ),
            Some(echo_fix()),
        ),
    }
}

/// The address of the master's own login a moment ago, as the venue's access log recorded it
/// (venues with an access-log API; an entry `success` naming the master key, recent on the
/// exchange's clock). `None` when the venue has no such log or it shows no such login (a
/// signature profile logs in nowhere).
async fn logged_login(profile: &Profile, client: &Client, master: &Master) -> Option<IpAddr> {
    if master.info.is_err()
        || !matches!(
            profile.exchange.venue().support(Capability::AccessLog),
            Support::Api
        )
    {
        return None;
    }
    let op = Op::AccessLog { cursor: None };
    let page = call(client, &op, Some(&profile.master))
        .await
        .ok()?
        .into_access_log()
        .ok()?;
    let key = profile.master.key.as_str();
    page.items
        .iter()
        .filter(|e| e.event == "success" && e.detail.as_deref() == Some(key))
        .filter(|e| master.now_ms - e.time_ms <= LOGIN_RECENT_MS)
        .max_by_key(|e| e.time_ms)
        .and_then(|e| e.ip.as_deref()?.trim().parse().ok())
}

fn echo_fix() -> String {
    "set `ip_echo:` in the profile to an https URL that answers the caller's address (e.g. `https://api.ipify.org`), or bind the master key to `responder_ip` alone".into()
}

fn join(list: &[IpAddr]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Asks the echo URL for this machine's address: one GET, no redirect, bounded in time and size.
async fn echo(url: &str) -> Result<IpAddr, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(ECHO_LIMIT)
        .build()
        .map_err(|err| format!("cannot be asked ({err})"))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|err| format!("did not answer ({})", err.without_url()))?;
    if response.status().is_redirection() {
        // Followed, it could answer with another machine's address; shown as scheme and host
        // only.
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| response.url().join(l.to_str().ok()?).ok())
            .and_then(|to| Some(format!("{}://{}", to.scheme(), to.host_str()?)))
            .map_or_else(|| "elsewhere".to_owned(), |to| format!("to `{to}`"));
        return Err(format!(
            "answered HTTP {}, a redirect {to} (followed by no lockdown client): set `ip_echo:` to the final https address",
            response.status().as_u16()
        ));
    }
    if !response.status().is_success() {
        return Err(format!("answered HTTP {}", response.status().as_u16()));
    }
    let body = response
        .bytes()
        .await
        .map_err(|err| format!("broke off its answer ({})", err.without_url()))?;
    if body.len() > ECHO_MAX_BYTES {
        return Err(format!("answered more than {ECHO_MAX_BYTES} bytes"));
    }
    parse_echo(&String::from_utf8_lossy(&body))
        .ok_or_else(|| "answered no IP address (plain text, or JSON with `ip`)".to_owned())
}

/// An echo answer: the address as text, or JSON with `ip`.
fn parse_echo(body: &str) -> Option<IpAddr> {
    let body = body.trim();
    if let Ok(ip) = body.parse() {
        return Some(ip);
    }
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json.get("ip")?.as_str()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_answers_are_text_or_json_with_ip() {
        for (label, body, want) in [
            ("text", "203.0.113.5\n", Some("203.0.113.5")),
            ("json", r#"{"ip":"2001:db8::1"}"#, Some("2001:db8::1")),
            ("html", "<html>hi</html>", None),
            ("json without ip", r#"{"address":"1.2.3.4"}"#, None),
        ] {
            let want: Option<IpAddr> = want.map(|w| w.parse().unwrap());
            assert_eq!(parse_echo(body), want, "{label}");
        }
    }
}
