//! Security defects found under faults (issue 24): a base URL that redirects, a venue that echoes
//! the request back in an error page, a two-factor code on argv, and config and credential files
//! that another user could change or that would block a read forever.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{Lab, code, edit_config, stderr};

/// A loopback server that counts the requests it gets; its base URL and the count.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            "{}"
        }
    });
    (serve(app).await, hits)
}

/// A loopback server that answers every request with `status` and a `Location` on `target`
/// (same path and query), as a moved API host or a hostile proxy would.
async fn redirecting_server(status: u16, target: String) -> String {
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let target = target.clone();
        async move {
            let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
            axum::response::Response::builder()
                .status(status)
                .header("Location", format!("{target}{path}"))
                .body(axum::body::Body::empty())
                .unwrap()
        }
    });
    serve(app).await
}

/// Serves `app` on 127.0.0.1, port 0; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_base_url_that_redirects_is_refused_and_the_target_never_called() {
    // 307 and 308 keep the method and body; 302 turns a POST into a GET. None is followed.
    for status in [302, 307, 308] {
        let lab = Lab::start(2401).await;
        let (target, hits) = counting_server().await;
        let redirector = redirecting_server(status, target).await;
        edit_config(
            &lab,
            &format!("base_url: {}", lab.running.base_url),
            &format!("base_url: {redirector}"),
        );
        let output = lab.respond(&["--yes", "--json"]).await;
        let err = stderr(&output);
        assert_ne!(code(&output), 0, "{status}: {err}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "{status}: the redirect's target was called: {err}"
        );
        assert!(
            err.contains(&format!("HTTP {status}, a redirect to `http://127.0.0.1:")),
            "{status}: {err}"
        );
        assert!(
            err.contains("set `base_url` to the final https address"),
            "{status}: {err}"
        );
    }
}
