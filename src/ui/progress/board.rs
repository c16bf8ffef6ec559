//! The one place that draws progress: a thread that wakes ten times a second while a meter is
//! live, reads the meters and draws their lines below the messages.
//!
//! A message or a prompt takes the terminal from it ([`Board::suspend`]) while it writes: the
//! bars are cleared, the text written, the bars drawn again below it. The working code calls in
//! here only to show a new meter (a short lock, and the thread started when none runs); it
//! never waits for a draw. A meter whose last holder is gone has its lines cleared at the next
//! tick, and the thread ends once nothing is left to draw.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::meter::{Line, Shown};

/// How often the meters are read and drawn.
const TICK: Duration = Duration::from_millis(100);

/// The terminal's progress area, shared by every clone of a [`super::super::Ui`].
pub(crate) struct Board {
    multi: MultiProgress,
    live: Mutex<Live>,
    /// The bars on the terminal, per meter. Locked after `live` where both are.
    drawn: Mutex<Vec<(Weak<Shown>, Vec<ProgressBar>)>>,
}

#[derive(Default)]
struct Live {
    /// The meters shown, in the order they began.
    meters: Vec<Weak<Shown>>,
    /// Whether the drawing thread runs.
    drawing: bool,
}

impl fmt::Debug for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Board")
            .field("meters", &self.lock().meters.len())
            .finish()
    }
}

impl Board {
    /// A progress area on stderr, drawn at most ten times a second.
    pub(crate) fn new() -> Arc<Board> {
        Arc::new(Board {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)),
            live: Mutex::default(),
            drawn: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Live> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn drawn(&self) -> MutexGuard<'_, Vec<(Weak<Shown>, Vec<ProgressBar>)>> {
        self.drawn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Draws `shown` from the next tick on, for as long as someone holds it.
    pub(super) fn show(self: &Arc<Self>, shown: &Arc<Shown>) {
        let mut live = self.lock();
        live.meters.push(Arc::downgrade(shown));
        if !live.drawing {
            let board = Arc::clone(self);
            // No thread, no progress: the work goes on without it.
            live.drawing = std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || board.draw())
                .is_ok();
        }
    }

    /// Runs `write` with the bars taken off the terminal, then draws them again below; the
    /// bars of meters nobody holds any more are cleared first, so that a line written after a
    /// wait never has the wait's bar drawn under it (nor left behind when the command ends).
    /// With nothing drawn (the usual case, and the lock's step lines) it just runs `write`.
    pub(crate) fn suspend<R>(&self, write: impl FnOnce() -> R) -> R {
        if !self.lock().drawing {
            return write();
        }
        Self::clear_released(&mut self.drawn());
        self.multi.suspend(write)
    }

    /// Clears the bars of the meters nobody holds any more.
    fn clear_released(drawn: &mut Vec<(Weak<Shown>, Vec<ProgressBar>)>) {
        drawn.retain(|(meter, bars)| {
            let held = meter.strong_count() > 0;
            if !held {
                bars.iter().for_each(ProgressBar::finish_and_clear);
            }
            held
        });
    }

    /// The drawing thread: until no meter is left, reads every live meter and draws its lines.
    fn draw(&self) {
        loop {
            let meters = {
                let mut live = self.lock();
                live.meters.retain(|meter| meter.strong_count() > 0);
                if live.meters.is_empty() && self.drawn().is_empty() {
                    live.drawing = false;
                    return;
                }
                live.meters.clone()
            };
            self.tick(&meters);
            std::thread::sleep(TICK);
        }
    }

    /// One drawing of `meters`, and the end of the lines of those nobody holds.
    fn tick(&self, meters: &[Weak<Shown>]) {
        let mut drawn = self.drawn();
        Self::clear_released(&mut drawn);
        let now = Instant::now();
        for meter in meters {
            let Some(lines) = meter.upgrade().map(|shown| shown.lines(now)) else {
                continue;
            };
            let at = match drawn.iter().position(|(m, _)| m.ptr_eq(meter)) {
                Some(at) => at,
                None => {
                    drawn.push((meter.clone(), Vec::new()));
                    drawn.len() - 1
                }
            };
            let bars = &mut drawn[at].1;
            self.fit(bars, &lines);
            for (bar, line) in bars.iter().zip(&lines) {
                // The message first: a bar is never drawn without its words.
                bar.set_message(line.text.clone());
                if let Some((position, length)) = line.bar {
                    bar.set_length(length);
                    bar.set_position(position);
                }
                bar.tick();
            }
        }
    }

    /// As many bars as `lines`, a meter's bars kept together.
    fn fit(&self, bars: &mut Vec<ProgressBar>, lines: &[Line]) {
        while bars.len() > lines.len() {
            if let Some(bar) = bars.pop() {
                bar.finish_and_clear();
            }
        }
        for line in &lines[bars.len()..] {
            let bar = new_bar(line);
            let bar = match bars.last() {
                Some(last) => self.multi.insert_after(last, bar),
                None => self.multi.add(bar),
            };
            bars.push(bar);
        }
    }
}

/// A bar for `line`: a spinner line, or a bar filled so far.
fn new_bar(line: &Line) -> ProgressBar {
    let (bar, template) = match line.bar {
        Some((position, length)) => (
            ProgressBar::new(length).with_position(position),
            "  {spinner} [{bar:24}] {msg}",
        ),
        None => (ProgressBar::new_spinner(), "  {spinner} {msg}"),
    };
    let bar = bar.with_message(line.text.clone());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
