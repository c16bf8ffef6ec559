//! Serving the simulator on a socket, and stopping it.
//!
//! `serve` binds before it returns, so the address in [`Running`] accepts connections at once
//! (port 0 picks a free port). The server runs on a spawned task with connect info, so handlers
//! see the real peer address. `shutdown` stops accepting, lets in-flight requests finish and waits
//! for the task; dropping `Running` without it also starts a graceful stop.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A simulator listening on a socket.
#[derive(Debug)]
pub struct Running {
    /// `http://<local_addr>`, ready for a profile's `base_url`.
    pub base_url: String,
    pub local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops the server gracefully: no new connections, in-flight requests finish.
    pub async fn shutdown(self) {
        // An Err means the server already stopped on its own: nothing left to stop.
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Binds `addr` and spawns `router` on it.
pub(crate) async fn serve(router: axum::Router, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                // Resolves on `shutdown` and when `Running` is dropped.
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running {
        base_url: format!("http://{local_addr}"),
        local_addr,
        stop,
        task,
    })
}
