//! Reads the runs of one incident make once and share.
//!
//! In a vendor leak every key's run takes the same evidence of the one account through the one
//! master: its withdrawals and transfers, and its listing of a sub-account's keys. Twenty runs
//! asking twenty times cost the venue's limit twenty times for the same rows: on Binance a
//! withdrawal history is 18000 of the master's 180000 UID weight a minute
//! (docs/venues/binance.md §7), so twenty of them alone were two minutes of every key's budget
//! and a key's step ran out of time waiting for the next minute.
//!
//! So the first run to need such a read makes it and keeps it here; the others wait for it
//! (never a second read at once) and take its rows, and their step's outputs say which run
//! read it and when (`shared`). A read that fails is not kept: the next run tries itself. Only
//! reads that are the same request whichever key's run sends them come here: those the master
//! signs (its money movements and key listings; on Kraken and BitMEX, whose playbooks read the
//! one account with the owner's key, the whole history). In the shipped playbooks they come
//! after the incident's gate, when every key's lock has gone out (on Kraken, every key's
//! deletion), so the leaked keys can no longer change what they read; the rows end at the first
//! reader's "now", which the step's `shared` output gives. Nothing here is on the containment
//! path.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Which run made a shared read, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadBy {
    /// The run that read it.
    pub run: String,
    /// When its read ended, RFC 3339 UTC.
    pub read_at: String,
}

/// One kept read.
struct Kept {
    value: Arc<dyn Any + Send + Sync>,
    by: ReadBy,
}

type Slot = Arc<tokio::sync::Mutex<Option<Kept>>>;

/// The reads of one incident, by what was read (the kind and the key that signs it).
#[derive(Default)]
pub struct SharedReads {
    slots: Mutex<HashMap<String, Slot>>,
}

impl std::fmt::Debug for SharedReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.slots.lock().map(|s| s.len()).unwrap_or_default();
        write!(f, "SharedReads({slots} kinds)")
    }
}

impl SharedReads {
    fn slot(&self, what: &str) -> Slot {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(what.to_owned())
            .or_default()
            .clone()
    }

    /// The value of `what`: the one kept, when `fits` accepts it (with who read it), or else
    /// `read` made now by `run` and kept for the others (with `None`). Runs asking while a read
    /// is under way wait for it; a failed or abandoned read is not kept.
    pub async fn once<T, E>(
        &self,
        what: &str,
        run: &str,
        fits: impl Fn(&T) -> bool,
        read: impl Future<Output = Result<T, E>>,
    ) -> Result<(T, Option<ReadBy>), E>
    where
        T: Clone + Send + Sync + 'static,
    {
        let slot = self.slot(what);
        let mut held = slot.lock().await;
        if let Some(kept) = held.as_ref()
            && let Some(value) = kept.value.downcast_ref::<T>()
            && fits(value)
        {
            return Ok((value.clone(), Some(kept.by.clone())));
        }
        let value = read.await?;
        *held = Some(Kept {
            value: Arc::new(value.clone()),
            by: ReadBy {
                run: run.to_owned(),
                read_at: crate::clock::now_rfc3339(),
            },
        });
        Ok((value, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn runs_asking_at_once_share_one_read_and_learn_who_made_it() {
        let reads = Arc::new(SharedReads::default());
        let made = Arc::new(AtomicUsize::new(0));
        let ask = |run: &'static str| {
            let (reads, made) = (reads.clone(), made.clone());
            tokio::spawn(async move {
                reads
                    .once("withdrawals|MASTER", run, |_: &Vec<u32>| true, async {
                        made.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>(vec![1, 2, 3])
                    })
                    .await
            })
        };
        let runs = [ask("a"), ask("b"), ask("c")];
        let mut readers = Vec::new();
        for run in runs {
            let (rows, by) = run.await.expect("joined").expect("read");
            assert_eq!(rows, [1, 2, 3]);
            readers.push(by.map(|b| b.run));
        }
        assert_eq!(made.load(Ordering::SeqCst), 1, "one read for three runs");
        assert_eq!(readers.iter().filter(|by| by.is_none()).count(), 1);
        let reader = readers.iter().flatten().next().cloned().unwrap_or_default();
        assert!(
            readers.iter().flatten().all(|by| *by == reader),
            "{readers:?}"
        );
    }

    #[tokio::test]
    async fn a_failed_read_is_not_kept_and_one_that_does_not_fit_is_made_again() {
        let reads = SharedReads::default();
        let failed: Result<(Vec<u32>, _), &str> =
            reads.once("k", "a", |_| true, async { Err("429") }).await;
        assert!(failed.is_err());
        let (rows, by) = reads
            .once("k", "b", |_| true, async { Ok::<_, &str>(vec![7]) })
            .await
            .expect("read");
        assert_eq!((rows, by), (vec![7], None), "b read it itself");
        let (rows, by) = reads
            .once("k", "c", |v: &Vec<u32>| v.len() > 1, async {
                Ok::<_, &str>(vec![8, 9])
            })
            .await
            .expect("read");
        assert_eq!((rows, by), (vec![8, 9], None), "b's rows did not fit c");
        let (_, by) = reads
            .once("other", "d", |_: &Vec<u32>| true, async {
                Ok::<_, &str>(vec![])
            })
            .await
            .expect("read");
        assert_eq!(by, None, "another kind is another read");
    }
}
