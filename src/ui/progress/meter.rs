//! What a meter holds: numbers the working code writes and the drawing thread reads.
//!
//! Writers only store numbers (atomics, or a lock held to bump a count); they never format,
//! allocate a line or touch the terminal. The drawing thread turns a meter into [`Line`]s when
//! it draws, so the cost of the text is paid there, on its own thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a page count lives before it is drawn: most reads end within a few hundred
/// milliseconds and would only flash.
const PAGES_AFTER: Duration = Duration::from_millis(250);

/// What a meter shows.
#[derive(Debug)]
pub(super) enum Shape {
    /// Something of unknown length: its message and the time since it began.
    Spinner {
        /// What is going on.
        message: String,
    },
    /// A wait with an end: its message and the time left.
    Countdown {
        /// What is waited for.
        message: String,
        /// When the wait ends at the latest.
        until: Instant,
    },
    /// A mass response: how many keys are contained, of how many.
    Keys {
        /// Every key of the incident.
        total: u64,
    },
    /// One step's paged reads: pages and records per segment.
    Pages {
        /// The step's id.
        step: String,
    },
}

/// The reads of one segment (or of the whole account) so far.
#[derive(Debug, Clone)]
pub(super) struct SegmentReads {
    /// The segment's name (`spot`, `linear/USDT`), or `account`.
    pub(super) label: String,
    /// Pages read.
    pub(super) pages: u64,
    /// Records those pages held.
    pub(super) records: u64,
    /// What the last page was of (`orders`, `fills`).
    pub(super) reading: &'static str,
}

/// One meter's live numbers.
#[derive(Debug)]
pub(super) struct Shown {
    pub(super) shape: Shape,
    pub(super) since: Instant,
    /// Keys contained so far.
    contained: AtomicU64,
    /// Keys whose run ended.
    ended: AtomicU64,
    /// Pages per segment, in the order the segments were first read.
    segments: Mutex<Vec<SegmentReads>>,
}

/// One line as the drawing thread shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// The text.
    pub(super) text: String,
    /// A bar: how far of how much (`None`: a spinner line).
    pub(super) bar: Option<(u64, u64)>,
}

impl Shown {
    pub(super) fn new(shape: Shape) -> Shown {
        Shown {
            shape,
            since: Instant::now(),
            contained: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            segments: Mutex::new(Vec::new()),
        }
    }

    /// A key's lock was acknowledged.
    pub(super) fn key_contained(&self) {
        self.contained.fetch_add(1, Ordering::Relaxed);
    }

    /// A key's run ended.
    pub(super) fn key_ended(&self) {
        self.ended.fetch_add(1, Ordering::Relaxed);
    }

    /// A page of `reading` with `records` rows came for `label`.
    pub(super) fn page(&self, label: &str, reading: &'static str, records: usize) {
        let records = u64::try_from(records).unwrap_or(u64::MAX);
        let mut segments = self
            .segments
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match segments.iter_mut().find(|s| s.label == label) {
            Some(reads) => {
                reads.pages += 1;
                reads.records = reads.records.saturating_add(records);
                reads.reading = reading;
            }
            None => segments.push(SegmentReads {
                label: label.to_owned(),
                pages: 1,
                records,
                reading,
            }),
        }
    }

    /// The lines it shows at `now`; none yet for a page count that is young or empty.
    pub(super) fn lines(&self, now: Instant) -> Vec<Line> {
        let lived = now.saturating_duration_since(self.since);
        match &self.shape {
            Shape::Spinner { message } => vec![Line {
                text: format!("{message} ({})", seconds(lived)),
                bar: None,
            }],
            Shape::Countdown { message, until } => {
                let total = until.saturating_duration_since(self.since);
                let left = until.saturating_duration_since(now);
                let text = if left.is_zero() {
                    format!("{message}: time is up")
                } else {
                    // Rounded up: "1s left" until the very end, never "0s left" before it.
                    let left =
                        Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
                    format!("{message}: {} left", humantime::format_duration(left))
                };
                vec![Line {
                    text,
                    bar: Some((millis(lived.min(total)), millis(total).max(1))),
                }]
            }
            Shape::Keys { total } => {
                let contained = self.contained.load(Ordering::Relaxed);
                let ended = self.ended.load(Ordering::Relaxed);
                vec![Line {
                    text: format!(
                        "{contained} of {total} keys contained; {ended} of {total} runs ended"
                    ),
                    bar: Some((contained.min(*total), (*total).max(1))),
                }]
            }
            Shape::Pages { step } => {
                if lived < PAGES_AFTER {
                    return Vec::new();
                }
                let segments = self
                    .segments
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                segments
                    .iter()
                    .map(|s| Line {
                        text: format!(
                            "`{step}` {}: {} read, {} ({})",
                            s.label,
                            plural(s.pages, "page"),
                            plural(s.records, "record"),
                            s.reading
                        ),
                        bar: None,
                    })
                    .collect()
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Whole seconds, as people read them (`1m 5s`).
fn seconds(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_countdown_says_the_time_left_and_fills_its_bar() {
        let until = Instant::now() + Duration::from_secs(90);
        let mut shown = Shown::new(Shape::Countdown {
            message: "waiting".into(),
            until,
        });
        shown.since = until - Duration::from_secs(90);
        let at = shown.since + Duration::from_millis(30_500);
        let lines = shown.lines(at);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "waiting: 1m left");
        assert_eq!(lines[0].bar, Some((30_500, 90_000)));
        let after = shown.lines(shown.since + Duration::from_secs(120));
        assert_eq!(after[0].text, "waiting: time is up");
        assert_eq!(after[0].bar, Some((90_000, 90_000)));
    }

    #[test]
    fn pages_are_counted_per_segment_once_the_read_is_not_short() {
        let shown = Shown::new(Shape::Pages {
            step: "snapshot".into(),
        });
        shown.page("spot", "orders", 50);
        shown.page("spot", "fills", 20);
        shown.page("account", "withdrawals", 1);
        assert!(
            shown.lines(shown.since).is_empty(),
            "a young read is not drawn"
        );
        let lines: Vec<String> = shown
            .lines(shown.since + PAGES_AFTER)
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(
            lines,
            [
                "`snapshot` spot: 2 pages read, 70 records (fills)",
                "`snapshot` account: 1 page read, 1 record (withdrawals)",
            ]
        );
    }

    #[test]
    fn keys_count_contained_and_ended_runs() {
        let shown = Shown::new(Shape::Keys { total: 3 });
        shown.key_contained();
        shown.key_contained();
        shown.key_ended();
        let lines = shown.lines(shown.since);
        assert_eq!(lines[0].text, "2 of 3 keys contained; 1 of 3 runs ended");
        assert_eq!(lines[0].bar, Some((2, 3)));
    }
}
