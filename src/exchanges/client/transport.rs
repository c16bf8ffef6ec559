//! The sender: reqwest set up once (rustls, keep-alive, bounded timeouts), and the one function
//! that puts a request on the wire.
//!
//! It takes only a [`Plan`], and refuses a mutating one in a dry run and every one offline,
//! before anything else: whatever a caller did, nothing mutating leaves in a dry run. A
//! transport failure's text is redacted, as reqwest's message names the URL and a query may
//! carry a signature.
//!
//! No redirect is ever followed (reqwest follows up to 10 by default,
//! <https://docs.rs/reqwest/latest/reqwest/redirect/index.html>): a 3xx would carry the signed
//! headers (and OKX's passphrase) to wherever `Location` points, plain `http://` included. A 3xx answer is an error naming its
//! status and the target's `scheme://host` only (a target's query may hold a signature).

use std::time::Duration;

use super::Client;
use super::plan::Plan;
use crate::exchanges::{ExchangeError, Method, Response};

/// How long one request may take before it counts as a transport failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl Client {
    /// Sends a plan once and hands back the raw answer.
    pub(super) async fn send(&self, plan: &Plan) -> Result<Response, ExchangeError> {
        // The last guard: whatever a caller did, nothing mutating leaves in a dry run.
        if !self.inner.mode.permits(plan.mutating()) {
            return Err(ExchangeError::DryRun { op: "request" });
        }
        self.gate()?;
        let signed = plan.signed();
        let req = &signed.request;
        // A venue whose futures live on another host names it in the path (Binance USD-M).
        let url = if req.path.starts_with("https://") || req.path.starts_with("http://") {
            req.path_and_query()
        } else {
            format!("{}{}", self.inner.base_url, req.path_and_query())
        };
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
            Method::Put => reqwest::Method::PUT,
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
        if response.status().is_redirection() {
            return Err(ExchangeError::Redirected {
                status,
                to: redirect_target(response.url(), response.headers()),
            });
        }
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
}

/// Where a 3xx answer points, as `scheme://host[:port]` (never its path or query, which may
/// carry a signature), resolved against the request's URL; `None` without a usable `Location`.
fn redirect_target(from: &url::Url, headers: &reqwest::header::HeaderMap) -> Option<String> {
    let location = headers.get(reqwest::header::LOCATION)?.to_str().ok()?;
    let to = from.join(location.trim()).ok()?;
    let host = to.host_str()?;
    Some(match to.port() {
        Some(port) => format!("{}://{host}:{port}", to.scheme()),
        None => format!("{}://{host}", to.scheme()),
    })
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
        detail: crate::exchanges::redact::redact(&detail),
        reached: !err.is_connect(),
    }
}

/// The HTTP client every venue uses: rustls, keep-alive, bounded timeouts, no proxy.
pub fn http_client() -> Result<reqwest::Client, ExchangeError> {
    build(keep_alive())
}

/// The HTTP client for a profile whose requests go to `urls` (its base URL, and a futures host
/// where it has one): [`http_client`], without reading the system's certificate store when
/// every URL is plain `http://` on a loopback address (the simulator), where no certificate is
/// ever checked. Reading the store takes milliseconds a response spends before its lock.
pub fn http_client_for<'u>(
    urls: impl IntoIterator<Item = &'u str>,
) -> Result<reqwest::Client, ExchangeError> {
    if urls.into_iter().all(plain_loopback) {
        // No root at all: an `https://` address would fail its handshake, never go unchecked.
        build(keep_alive().tls_certs_only(Vec::<reqwest::Certificate>::new()))
    } else {
        http_client()
    }
}

/// Whether `url` is `http://` to this machine (127.0.0.0/8, `::1` or `localhost`).
fn plain_loopback(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// [`bounded`], with the pooled connections and the user agent of a response's client.
fn keep_alive() -> reqwest::ClientBuilder {
    bounded()
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .user_agent(concat!("lockdown/", env!("CARGO_PKG_VERSION")))
}

/// An HTTP client whose connections leave from `local` (the drill's attacker on 127.0.0.2).
pub fn http_client_from(local: std::net::IpAddr) -> Result<reqwest::Client, ExchangeError> {
    build(bounded().local_address(local))
}

/// A builder with the timeouts every client keeps, following no redirect.
fn bounded() -> reqwest::ClientBuilder {
    // Installing twice is harmless: the second attempt reports the first and changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, ExchangeError> {
    builder.build().map_err(|err| ExchangeError::Transport {
        detail: format!("cannot build the HTTP client: {err}"),
        reached: false,
    })
}

#[cfg(test)]
mod tests {
    use super::plain_loopback;

    #[test]
    fn only_plain_http_to_this_machine_skips_the_certificate_store() {
        for (url, loopback) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.0.0.2", true),
            ("http://[::1]:9/api", true),
            ("http://localhost:3000", true),
            ("https://127.0.0.1:8443", false),
            ("http://10.0.0.1", false),
            ("http://api.bybit.com", false),
            ("https://www.deribit.com", false),
            ("not a url", false),
        ] {
            assert_eq!(plain_loopback(url), loopback, "{url}");
        }
    }

    #[test]
    fn a_redirect_target_shows_its_scheme_and_host_only() {
        let from = url::Url::parse("https://api.example.com/v5/order?x=1").unwrap();
        for (label, location, want) in [
            (
                "absolute, plain http",
                Some("http://evil.example:8080/steal?signature=abc"),
                Some("http://evil.example:8080"),
            ),
            (
                "relative",
                Some("/elsewhere?sign=abc"),
                Some("https://api.example.com"),
            ),
            ("missing", None, None),
            ("not a url", Some("http://"), None),
        ] {
            let mut headers = reqwest::header::HeaderMap::new();
            if let Some(location) = location {
                headers.insert(reqwest::header::LOCATION, location.parse().unwrap());
            }
            assert_eq!(
                super::redirect_target(&from, &headers).as_deref(),
                want,
                "{label}"
            );
        }
    }

    use crate::exchanges::client::plan::tests::{bare, cred, lock};
    use crate::exchanges::client::{Auth, Client, Mode};
    use crate::exchanges::{ExchangeError, ExchangeId, Op};

    #[tokio::test]
    async fn the_sending_layer_refuses_mutations_by_itself() {
        // Below `call`: even a caller that built and signed a mutating request itself cannot
        // get it out in a dry run. Port 9 on loopback: anything sent would fail differently.
        let client = Client::new(
            ExchangeId::Bybit.venue(),
            "http://127.0.0.1:9",
            Mode::DryRun,
        )
        .unwrap();
        let context = bare();
        let cred = cred();
        let mut plan = client.plan(&lock(), Auth::Key(&cred), &context).unwrap();
        let err = client.send(&plan).await.unwrap_err();
        assert_eq!(err, ExchangeError::DryRun { op: "request" });
        // The flag comes from the operation: a request the adapter marked as a read is still
        // a change, and stays home.
        plan.mark_read_for_test();
        assert_eq!(
            client.send(&plan).await.unwrap_err(),
            ExchangeError::DryRun { op: "request" }
        );
        let offline = Client::new(
            ExchangeId::Bybit.venue(),
            "http://127.0.0.1:9",
            Mode::Offline,
        )
        .unwrap();
        let read = offline
            .plan(&Op::ServerTime, Auth::Public, &context)
            .unwrap();
        assert_eq!(
            offline.send(&read).await.unwrap_err(),
            ExchangeError::DryRun { op: "request" }
        );
    }

    #[tokio::test]
    async fn dry_run_refuses_mutations_without_sending() {
        // Port 9 on loopback: if anything were sent it would fail with a transport error.
        for id in ExchangeId::ALL {
            let client = Client::new(id.venue(), "http://127.0.0.1:9", Mode::DryRun).unwrap();
            let cred = cred();
            let err = client.call(&lock(), Auth::Key(&cred)).await.unwrap_err();
            assert_eq!(err, ExchangeError::DryRun { op: "restrict_key" }, "{id}");
        }
    }
}
