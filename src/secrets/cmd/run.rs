//! Runs a `cmd:` reference's program: no shell, no input, bounded in time and output.
//!
//! The child gets a closed standard input (a prompt there reads end-of-file at once) and its own
//! process group, so a prompt on the terminal (`/dev/tty`, as `gpg`'s pinentry or `op` would
//! open) stops it with `SIGTTIN` instead of taking the terminal: a stopped child is seen
//! (`waitpid` with `WUNTRACED`) and killed, and reported as asking for input. A timeout or more
//! than [`MAX_OUTPUT`] bytes of output kills the whole process group (what the program started
//! too). Standard output is read into a buffer zeroized on drop; of standard error only the
//! first line is kept, masked ([`super::mask`]), and the rest is drained and dropped.

use std::io;
use std::path::Path;
use std::time::Duration;

use secrecy::zeroize::Zeroizing;

/// The most a command may print: a secret is a line, not a file.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// How long a command may run and print.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Until it is killed.
    pub timeout: Duration,
    /// The most bytes of standard output taken.
    pub max_output: usize,
}

/// How a command ended that was not a success.
#[derive(Debug)]
pub enum Failure {
    /// The program does not exist (not on `PATH`, or no such file).
    NotFound,
    /// It exists but cannot be run.
    NotExecutable,
    /// It could not be started for another reason.
    Start(io::Error),
    /// It stopped to read the terminal (a prompt), and was killed.
    AskedForInput,
    /// It ran past the timeout, and was killed with its process group.
    TimedOut,
    /// It printed more than the limit, and was killed with its process group.
    TooLong,
    /// It ended, but not with code 0: how, and the first line of its standard error, masked.
    Exited {
        /// The exit code or the signal.
        code: Exit,
        /// The first line of standard error, long tokens masked (may be empty).
        stderr: String,
    },
    /// Its output could not be read.
    Io(io::Error),
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

/// Runs `program` with `args` and returns its standard output, or why it failed.
#[cfg(unix)]
pub fn run(
    program: &Path,
    args: &[String],
    limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    unix::run(program, args, limits)
}

/// `cmd:` needs process groups and job-control stops, which only Unix has.
#[cfg(not(unix))]
pub fn run(
    _program: &Path,
    _args: &[String],
    _limits: &Limits,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    Err(Failure::Start(io::Error::other(
        "`cmd:` references run on Unix systems only",
    )))
}

#[cfg(unix)]
mod unix {
    use std::io::{self, Read};
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::sync::mpsc::{self, RecvTimeoutError, Sender};
    use std::time::{Duration, Instant};

    use rustix::io::Errno;
    use rustix::process::{Pid, Signal, WaitOptions, kill_process_group, waitpid};
    use secrecy::zeroize::Zeroizing;

    use super::{Exit, Failure, Limits};

    /// How long a killed child is given to be reaped before `run` returns anyway.
    const REAP_GRACE: Duration = Duration::from_secs(5);

    /// The most of standard error read before its first line is cut.
    const STDERR_HEAD: usize = 4096;

    /// What the helper threads report.
    enum Event {
        /// Standard output reached its end.
        Stdout(io::Result<Zeroizing<Vec<u8>>>),
        /// Standard output passed the limit.
        TooLong,
        /// The first line of standard error, masked.
        Stderr(String),
        /// The child stopped (job control: it read or wrote the terminal).
        Stopped,
        /// The child ended (and was reaped).
        Ended(Exit),
        /// Waiting for the child failed.
        WaitFailed(io::Error),
    }

    pub(super) fn run(
        program: &Path,
        args: &[String],
        limits: &Limits,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|err| match err.kind() {
                io::ErrorKind::NotFound => Failure::NotFound,
                io::ErrorKind::PermissionDenied => Failure::NotExecutable,
                _ => Failure::Start(err),
            })?;
        let pid = Pid::from_child(&child);
        let deadline = Instant::now() + limits.timeout;
        let (tx, rx) = mpsc::channel();
        let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take())
        else {
            kill(pid);
            return Err(Failure::Io(io::Error::other(
                "the command's pipes are missing",
            )));
        };
        let max = limits.max_output;
        spawn(&tx, move |tx| {
            let _ = tx.send(read_limited(&mut stdout, max));
        });
        spawn(&tx, move |tx| {
            let head = read_first_line(&mut stderr);
            let _ = tx.send(Event::Stderr(super::super::mask::first_line(&head)));
            drop(head);
            let _ = io::copy(&mut stderr, &mut io::sink());
        });
        spawn(&tx, move |tx| wait(pid, tx));
        drop(tx);

        let mut out = None;
        let mut ended = None;
        let mut first_line = None;
        loop {
            let failed = matches!(ended, Some(code) if code != Exit::Code(0));
            if ended.is_some() && (out.is_some() || failed) && (first_line.is_some() || !failed) {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let event = match rx.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    if ended.is_some() && failed {
                        // It ended, but something it started still holds its standard error.
                        break;
                    }
                    return Err(stop(pid, &rx, ended, Failure::TimedOut));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(stop(
                        pid,
                        &rx,
                        ended,
                        Failure::Io(io::Error::other("the command's helper threads stopped")),
                    ));
                }
            };
            match event {
                Event::Stdout(Ok(buf)) => out = Some(buf),
                Event::Stdout(Err(err)) => return Err(stop(pid, &rx, ended, Failure::Io(err))),
                Event::TooLong => return Err(stop(pid, &rx, ended, Failure::TooLong)),
                Event::Stopped => return Err(stop(pid, &rx, ended, Failure::AskedForInput)),
                Event::Stderr(line) => first_line = Some(line),
                Event::Ended(code) => ended = Some(code),
                Event::WaitFailed(err) => {
                    return Err(stop(pid, &rx, ended, Failure::Io(err)));
                }
            }
        }
        match (ended, out) {
            (Some(Exit::Code(0)), Some(out)) => Ok(out),
            (Some(code), _) => Err(Failure::Exited {
                code,
                stderr: first_line.unwrap_or_default(),
            }),
            (None, _) => Err(stop(pid, &rx, None, Failure::TimedOut)),
        }
    }

    /// Starts a helper thread with its own sender.
    fn spawn(tx: &Sender<Event>, f: impl FnOnce(Sender<Event>) + Send + 'static) {
        let tx = tx.clone();
        std::thread::spawn(move || f(tx));
    }

    /// Kills the process group and waits (a little) for the child to be reaped; returns `why`.
    fn stop(pid: Pid, rx: &mpsc::Receiver<Event>, ended: Option<Exit>, why: Failure) -> Failure {
        kill(pid);
        if ended.is_none() {
            let until = Instant::now() + REAP_GRACE;
            while let Ok(event) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                if matches!(event, Event::Ended(_) | Event::WaitFailed(_)) {
                    break;
                }
            }
        }
        why
    }

    /// `SIGKILL` to the child's process group (its id is the child's: `process_group(0)`). A
    /// group that is gone already is no error.
    fn kill(pid: Pid) {
        let _ = kill_process_group(pid, Signal::KILL);
    }

    /// Waits for the child: reports stops (it keeps waiting after one) and its end.
    fn wait(pid: Pid, tx: Sender<Event>) {
        loop {
            match waitpid(Some(pid), WaitOptions::UNTRACED) {
                Ok(Some((_, status))) if status.stopped() => {
                    if tx.send(Event::Stopped).is_err() {
                        // Nobody listens: `run` returned; keep reaping.
                    }
                }
                Ok(Some((_, status))) => {
                    let code = match (status.exit_status(), status.terminating_signal()) {
                        (Some(code), _) => Exit::Code(code),
                        (None, Some(signal)) => Exit::Signal(signal),
                        (None, None) => continue,
                    };
                    let _ = tx.send(Event::Ended(code));
                    return;
                }
                Ok(None) | Err(Errno::INTR) => {}
                Err(err) => {
                    let _ = tx.send(Event::WaitFailed(err.into()));
                    return;
                }
            }
        }
    }

    /// Reads to the end, or reports [`Event::TooLong`] once past `max` bytes. The buffer never
    /// grows past its first allocation (so no copy of a secret is left in freed memory).
    fn read_limited(from: &mut impl Read, max: usize) -> Event {
        let mut buf = Zeroizing::new(Vec::with_capacity(max + 1));
        let mut chunk = Zeroizing::new([0u8; 4096]);
        loop {
            match from.read(&mut chunk[..]) {
                Ok(0) => return Event::Stdout(Ok(buf)),
                Ok(n) if buf.len() + n > max => return Event::TooLong,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Event::Stdout(Err(err)),
            }
        }
    }

    /// Reads standard error up to its first newline (or [`STDERR_HEAD`] bytes, or its end).
    fn read_first_line(from: &mut impl Read) -> Zeroizing<Vec<u8>> {
        let mut head = Zeroizing::new(Vec::with_capacity(STDERR_HEAD));
        let mut chunk = Zeroizing::new([0u8; 512]);
        while head.len() < STDERR_HEAD && !head.contains(&b'\n') {
            match from.read(&mut chunk[..]) {
                Ok(0) => break,
                Ok(n) => {
                    let n = n.min(STDERR_HEAD - head.len());
                    head.extend_from_slice(&chunk[..n]);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        head
    }
}
