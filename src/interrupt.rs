//! Stopping a run on SIGINT or SIGTERM without losing its record.
//!
//! A supervisor (systemd, a container runtime, a colleague's `kill`) stops a process with SIGTERM,
//! a person with Ctrl-C; both end a run the same way. The first signal drops the step in flight
//! at its next await, journals `interrupted` with what sent it, and the process ends with 130
//! (SIGINT) or 143 (SIGTERM); `lockdown resume` goes on from the journal. A second signal while
//! that stop is under way (a drill winding down, a step blocked on another process's file lock)
//! ends the process at once, journaled as `interrupted` with `second: true`: asking twice is
//! never ignored. The watcher runs as a task of its own, so it acts even when the run's task is
//! blocked.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::actions::JournalHandle;
use crate::exit::Exit;
use crate::journal::record;

/// What stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT: Ctrl-C on the terminal.
    CtrlC,
    /// SIGTERM: a supervisor or `kill`.
    Sigterm,
}

impl Interrupt {
    /// How the journal names it (`"by"`).
    pub fn name(self) -> &'static str {
        match self {
            Interrupt::CtrlC => "ctrl-c",
            Interrupt::Sigterm => "sigterm",
        }
    }

    /// The documented exit code it ends with.
    pub fn exit(self) -> Exit {
        match self {
            Interrupt::CtrlC => Exit::Interrupted,
            Interrupt::Sigterm => Exit::Terminated,
        }
    }
}

/// Listens for SIGINT and SIGTERM while a run goes on.
#[derive(Debug)]
pub struct Watch {
    first: oneshot::Receiver<Interrupt>,
    fired: bool,
    task: JoinHandle<()>,
}

impl Watch {
    /// Takes over SIGINT and SIGTERM (from now on, for the life of the process) and starts the
    /// watcher; a second signal appends to `journal` and exits.
    pub fn start(journal: JournalHandle) -> std::io::Result<Watch> {
        let mut signals = Signals::listen()?;
        let (tx, first) = oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = tx.send(signals.next().await);
            let second = signals.next().await;
            let _ = journal.record(&record::Interrupted {
                by: second.name().to_owned(),
                second: true,
            });
            std::process::exit(i32::from(second.exit().code()));
        });
        Ok(Watch {
            first,
            fired: false,
            task,
        })
    }

    /// Waits for the first signal; the watcher stays to answer a second one.
    pub async fn first(&mut self) -> Interrupt {
        match (&mut self.first).await {
            Ok(by) => {
                self.fired = true;
                by
            }
            // The watcher never ends without sending; should it, no signal comes from it.
            Err(_) => std::future::pending().await,
        }
    }
}

impl Drop for Watch {
    /// A run that ended on its own needs no watcher (signals are then ignored until the process
    /// ends, moments later); an interrupted one keeps it through the stop.
    fn drop(&mut self) {
        if !self.fired {
            self.task.abort();
        }
    }
}

/// Takes over SIGINT and SIGTERM (for the life of the process) and sends each one to the
/// channel returned, for a long-running command that decides itself what a first and a second
/// signal mean (`schedule run`: stop starting runs, then cancel them).
pub fn forward() -> std::io::Result<tokio::sync::mpsc::UnboundedReceiver<Interrupt>> {
    let mut signals = Signals::listen()?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move { while tx.send(signals.next().await).is_ok() {} });
    Ok(rx)
}

/// The two signal streams.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Registers both handlers now, before the run starts (`ctrl_c()` would only on first poll).
    #[cfg(unix)]
    fn listen() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn listen() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    /// The next signal.
    #[cfg(unix)]
    async fn next(&mut self) -> Interrupt {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Interrupt::CtrlC,
            Some(()) = self.terminate.recv() => Interrupt::Sigterm,
            else => std::future::pending().await,
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> Interrupt {
        match tokio::signal::ctrl_c().await {
            Ok(()) => Interrupt::CtrlC,
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_has_its_documented_exit_code() {
        for (by, name, code) in [
            (Interrupt::CtrlC, "ctrl-c", 130),
            (Interrupt::Sigterm, "sigterm", 143),
        ] {
            assert_eq!(by.name(), name);
            assert_eq!(by.exit().code(), code, "{name}");
        }
    }
}
