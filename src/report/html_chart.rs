//! Where each mark of the HTML report's timeline picture goes: lanes, marks, the containment
//! line and the time axis, as numbers in the SVG's own units.
//!
//! The picture is drawn by the HTML template (so minijinja escapes every text in it); this
//! module only does the geometry, which is what can be tested. Time runs left to right on one
//! linear scale, except that a quiet stretch far longer than everything else (an attack that
//! began hours before the response) is cut out and drawn as a break, so minutes of response are
//! not squeezed into one pixel.

use chrono::{TimeZone, Utc};
use serde::Serialize;

use super::content::{Lane, Mark, MergedEvent};
use crate::clock;

/// The picture's width, in SVG units (it scales to the page).
pub const WIDTH: f64 = 1000.0;
/// Where the plot starts (the lanes' names are left of it).
const PLOT_LEFT: f64 = 96.0;
/// Where it ends.
const PLOT_RIGHT: f64 = WIDTH - 24.0;
/// The top of the first lane.
const TOP: f64 = 22.0;
/// One lane's height.
const LANE: f64 = 48.0;
/// A break's width.
const BREAK: f64 = 28.0;
/// The least width a stretch of time gets (one instant still needs room for its mark).
const MIN_STRETCH: f64 = 24.0;
/// The least distance between two axis labels.
const LABEL_GAP: f64 = 72.0;
/// At most this many breaks.
const MAX_BREAKS: usize = 3;
/// No break for less than this, ms: a pause of seconds reads better to scale.
const MIN_BREAK_MS: i64 = 30_000;

/// The whole picture.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// The SVG's `viewBox` width.
    pub width: f64,
    /// Its height.
    pub height: f64,
    /// Where the plot starts and ends.
    pub plot_left: f64,
    /// Where it ends.
    pub plot_right: f64,
    /// The bottom of the lanes (the axis).
    pub axis_y: f64,
    /// The lanes, top to bottom.
    pub lanes: Vec<LaneRow>,
    /// One per merged event that has a readable time.
    pub marks: Vec<Dot>,
    /// The containment line, when there is one.
    pub containment: Option<Dot>,
    /// The time axis' labels.
    pub ticks: Vec<Tick>,
    /// Quiet stretches cut out.
    pub breaks: Vec<Break>,
    /// The day of the first event (UTC), for the axis' caption.
    pub day: String,
}

/// One lane.
#[derive(Debug, Clone, Serialize)]
pub struct LaneRow {
    /// Its name.
    pub name: &'static str,
    /// Its CSS class.
    pub class: &'static str,
    /// Its top.
    pub top: f64,
    /// Its middle.
    pub y: f64,
    /// Its height.
    pub height: f64,
}

/// One mark.
#[derive(Debug, Clone, Serialize)]
pub struct Dot {
    /// Where.
    pub x: f64,
    /// Where.
    pub y: f64,
    /// How it is drawn: `circle`, `diamond`, `square`, `tick`, `triangle`, `ring`, `line`.
    pub shape: &'static str,
    /// Its mark's name (`order`, `fill`, ...: a CSS class).
    pub mark: &'static str,
    /// Its lane's name (a CSS class).
    pub lane: &'static str,
    /// The points of a polygon shape, else empty.
    pub points: String,
    /// The hover text: the time and the line.
    pub title: String,
}

/// One label of the time axis.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// Where.
    pub x: f64,
    /// What it says.
    pub label: String,
}

/// A quiet stretch left out.
#[derive(Debug, Clone, Serialize)]
pub struct Break {
    /// Its middle.
    pub x: f64,
    /// How long it was, for people.
    pub title: String,
}

/// Time → x: stretches of time laid side by side, with breaks between them.
#[derive(Debug, Clone, PartialEq)]
struct Scale {
    /// Each stretch: first and last time (ms), first and last x.
    stretches: Vec<(i64, i64, f64, f64)>,
}

impl Scale {
    /// Lays out `times` (any order, repeats allowed) between `left` and `right`.
    fn new(times: &[i64], left: f64, right: f64) -> Scale {
        let mut times = times.to_vec();
        times.sort_unstable();
        times.dedup();
        let Some(&first) = times.first() else {
            return Scale {
                stretches: Vec::new(),
            };
        };
        let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        // A gap is cut when it is most of the time that is left, and long: one quiet night
        // before a minute of response, not the pauses inside either.
        let mut cut = vec![false; gaps.len()];
        for _ in 0..MAX_BREAKS {
            let kept: i64 = gaps
                .iter()
                .zip(&cut)
                .filter(|(_, c)| !**c)
                .map(|(g, _)| g)
                .sum();
            let widest = (0..gaps.len())
                .filter(|&i| !cut[i])
                .max_by_key(|&i| (gaps[i], std::cmp::Reverse(i)));
            match widest {
                Some(i) if gaps[i] >= MIN_BREAK_MS && gaps[i] as f64 > 0.75 * kept as f64 => {
                    cut[i] = true;
                }
                _ => break,
            }
        }
        let mut spans = vec![(first, first)];
        for (i, next) in times.iter().skip(1).enumerate() {
            if cut[i] {
                spans.push((*next, *next));
            } else if let Some(last) = spans.last_mut() {
                last.1 = *next;
            }
        }
        let kept: i64 = spans.iter().map(|(a, b)| b - a).sum();
        let n = spans.len() as f64;
        let free = (right - left - (n - 1.0) * BREAK - n * MIN_STRETCH).max(0.0);
        let mut x = left;
        let stretches = spans
            .into_iter()
            .map(|(a, b)| {
                let share = if kept > 0 {
                    (b - a) as f64 / kept as f64
                } else {
                    1.0 / n
                };
                let width = MIN_STRETCH + free * share;
                let stretch = (a, b, x, x + width);
                x += width + BREAK;
                stretch
            })
            .collect();
        Scale { stretches }
    }

    /// Where `t` goes (a time between stretches goes to the nearer edge of a break).
    fn x(&self, t: i64) -> f64 {
        let inset = MIN_STRETCH / 2.0;
        let mut at = self.stretches.first().map_or(PLOT_LEFT, |s| s.2 + inset);
        for &(a, b, x0, x1) in &self.stretches {
            if t < a {
                break;
            }
            at = if b > a {
                let f = ((t.min(b) - a) as f64) / ((b - a) as f64);
                x0 + inset + f * (x1 - x0 - 2.0 * inset)
            } else {
                (x0 + x1) / 2.0
            };
        }
        round(at)
    }

    /// The breaks between stretches: where, and how much time each leaves out.
    fn breaks(&self) -> Vec<Break> {
        self.stretches
            .windows(2)
            .map(|w| Break {
                x: round(w[0].3 + BREAK / 2.0),
                title: format!("{} without events left out", span_words(w[1].0 - w[0].1)),
            })
            .collect()
    }

    /// Axis labels: round times a step apart, at most a few, never on top of each other.
    fn ticks(&self) -> Vec<Tick> {
        let kept: i64 = self.stretches.iter().map(|s| s.1 - s.0).sum();
        let step = nice_step(kept / 6);
        let first_day = self.stretches.first().map(|s| day_of(s.0));
        let mut ticks: Vec<Tick> = Vec::new();
        for &(a, b, ..) in &self.stretches {
            let mut at: Vec<i64> = (a.div_euclid(step)..=b.div_euclid(step))
                .map(|k| k * step)
                .filter(|t| (a..=b).contains(t))
                .collect();
            // A stretch without a round time in it is labelled where it starts.
            if at.is_empty() {
                at.push(a);
            }
            for t in at {
                let x = self.x(t);
                if ticks.last().is_some_and(|last| x - last.x < LABEL_GAP) {
                    continue;
                }
                let mut label = time_label(t, step);
                if first_day.as_deref() != Some(day_of(t).as_str()) {
                    label = format!("{} {label}", day_of(t));
                }
                ticks.push(Tick { x, label });
            }
        }
        ticks
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The smallest round step (1, 2, 5 × a power of ten ms; then seconds, minutes, hours, days)
/// at least `at_least` ms.
fn nice_step(at_least: i64) -> i64 {
    const STEPS: [i64; 24] = [
        1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000,
        120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000,
    ];
    STEPS
        .into_iter()
        .find(|s| *s >= at_least)
        .unwrap_or(86_400_000)
}

fn day_of(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

/// A time as the axis says it: to the millisecond when the step is under a second.
fn time_label(ms: i64, step: i64) -> String {
    let format = match step {
        ..1_000 => "%H:%M:%S%.3f",
        1_000..60_000 => "%H:%M:%S",
        _ => "%H:%M",
    };
    Utc.timestamp_millis_opt(ms)
        .single()
        .map_or_else(String::new, |t| t.format(format).to_string())
}

/// A duration for people: `3 h 20 min`, `2 days`, `41 s`.
fn span_words(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        ..60 => format!("{} s", s.max(0)),
        60..3_600 => format!("{} min", s / 60),
        3_600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} days {} h", s / 86_400, s % 86_400 / 3600),
    }
}

fn lane_index(lane: Lane) -> usize {
    match lane {
        Lane::Attacker => 0,
        Lane::Response => 1,
        Lane::Exchange => 2,
    }
}

/// How a mark is drawn, its name, and how far above or below its lane's middle it sits (so an
/// order and a fill of one instant do not cover each other).
fn look(mark: Mark) -> (&'static str, &'static str, f64) {
    match mark {
        Mark::Order => ("circle", "order", -8.0),
        Mark::Fill => ("diamond", "fill", 8.0),
        Mark::Transfer => ("square", "transfer", 0.0),
        Mark::Step => ("tick", "step", 0.0),
        Mark::Ack => ("triangle", "ack", -8.0),
        Mark::Access => ("ring", "access", 8.0),
        Mark::Containment => ("line", "containment", 0.0),
    }
}

fn points(shape: &str, x: f64, y: f64) -> String {
    let corners: &[(f64, f64)] = match shape {
        "diamond" => &[(0.0, -6.0), (6.0, 0.0), (0.0, 6.0), (-6.0, 0.0)],
        "triangle" => &[(0.0, -6.0), (6.0, 5.0), (-6.0, 5.0)],
        _ => return String::new(),
    };
    corners
        .iter()
        .map(|(dx, dy)| format!("{},{}", round(x + dx), round(y + dy)))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Chart {
    /// Lays out `events`; those without a readable time are left out of the picture (the list
    /// under it still has them).
    pub fn layout(events: &[MergedEvent]) -> Chart {
        let timed: Vec<(i64, &MergedEvent)> = events
            .iter()
            .filter_map(|e| Some((clock::parse_rfc3339_ms(&e.at)?, e)))
            .collect();
        let times: Vec<i64> = timed.iter().map(|(t, _)| *t).collect();
        let scale = Scale::new(&times, PLOT_LEFT, PLOT_RIGHT);
        let names = [
            ("attacker", "lane-attacker"),
            ("response", "lane-response"),
            ("exchange", "lane-exchange"),
        ];
        let lanes: Vec<LaneRow> = names
            .iter()
            .enumerate()
            .map(|(i, (name, class))| LaneRow {
                name,
                class,
                top: TOP + LANE * i as f64,
                y: TOP + LANE * i as f64 + LANE / 2.0,
                height: LANE,
            })
            .collect();
        let axis_y = TOP + LANE * lanes.len() as f64;
        let mut marks = Vec::new();
        let mut containment = None;
        for (t, e) in timed {
            let (shape, mark, dy) = look(e.mark);
            let lane = &lanes[lane_index(e.lane)];
            let (x, y) = (scale.x(t), lane.y + dy);
            let dot = Dot {
                x,
                y,
                shape,
                mark,
                lane: lane.name,
                points: points(shape, x, y),
                title: format!("{} · {}", e.at, e.what),
            };
            if e.mark == Mark::Containment {
                containment.get_or_insert(dot);
            } else {
                marks.push(dot);
            }
        }
        Chart {
            width: WIDTH,
            height: axis_y + 34.0,
            plot_left: PLOT_LEFT,
            plot_right: PLOT_RIGHT,
            axis_y,
            lanes,
            marks,
            containment,
            ticks: scale.ticks(),
            breaks: scale.breaks(),
            day: times.iter().min().map(|t| day_of(*t)).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_796_509_662_000;

    fn event(at_ms: i64, lane: Lane, mark: Mark) -> MergedEvent {
        MergedEvent {
            at: clock::rfc3339_ms(at_ms),
            lane,
            mark,
            what: "w".into(),
        }
    }

    #[test]
    fn one_stretch_spans_the_plot_in_time_order() {
        let scale = Scale::new(&[T0 + 3_000, T0, T0 + 1_000, T0], 100.0, 900.0);
        assert_eq!(scale.stretches.len(), 1, "{scale:?}");
        let inset = MIN_STRETCH / 2.0;
        assert_eq!(scale.x(T0), 100.0 + inset);
        assert_eq!(scale.x(T0 + 3_000), 900.0 - inset);
        assert!(scale.x(T0 + 1_000) < scale.x(T0 + 2_000));
        assert!(scale.breaks().is_empty());
    }

    /// A transfer three days before a response of seconds: the three days become a break, and
    /// both stretches keep their order and room.
    #[test]
    fn a_long_quiet_stretch_is_cut_out() {
        let old = T0 - 3 * 86_400_000;
        let times = [old, T0, T0 + 400, T0 + 1_500, T0 + 3_700];
        let scale = Scale::new(&times, 100.0, 900.0);
        assert_eq!(scale.stretches.len(), 2, "{scale:?}");
        let xs: Vec<f64> = times.iter().map(|t| scale.x(*t)).collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        // The response's seconds get nearly all the width, not one pixel.
        assert!(xs[4] - xs[1] > 600.0, "{xs:?}");
        let breaks = scale.breaks();
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].title, "3 days 0 h without events left out");
        assert!(xs[0] < breaks[0].x && breaks[0].x < xs[1]);
    }

    /// Pauses of the same size as the rest are not cut: the drill's seconds read as they were.
    #[test]
    fn ordinary_pauses_stay() {
        let times = [T0, T0 + 400, T0 + 1_500, T0 + 3_700];
        assert_eq!(Scale::new(&times, 0.0, 1000.0).stretches.len(), 1);
        // One instant: one stretch, its mark in the middle.
        let one = Scale::new(&[T0, T0], 0.0, 1000.0);
        assert_eq!(one.x(T0), 500.0);
        assert_eq!(one.ticks().len(), 1);
    }

    #[test]
    fn ticks_are_round_apart_and_labelled_to_their_step() {
        let scale = Scale::new(&[T0 + 100, T0 + 3_700], PLOT_LEFT, PLOT_RIGHT);
        let ticks = scale.ticks();
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["22:27:43", "22:27:44", "22:27:45"]);
        assert!(ticks.windows(2).all(|w| w[1].x - w[0].x >= LABEL_GAP));
        assert_eq!(nice_step(61_000), 120_000);
        assert_eq!(time_label(T0, 60_000), "22:27");
        assert_eq!(time_label(T0 + 5, 500), "22:27:42.005");
    }

    #[test]
    fn layout_puts_each_event_in_its_lane_and_one_containment_line() {
        let events = [
            event(T0, Lane::Attacker, Mark::Order),
            event(T0 + 10, Lane::Attacker, Mark::Fill),
            event(T0 + 1_000, Lane::Response, Mark::Step),
            event(T0 + 1_200, Lane::Exchange, Mark::Ack),
            event(T0 + 1_200, Lane::Exchange, Mark::Containment),
            MergedEvent {
                at: "not a time".into(),
                ..event(T0, Lane::Exchange, Mark::Access)
            },
        ];
        let chart = Chart::layout(&events);
        let lanes: Vec<(&str, &str, f64)> =
            chart.marks.iter().map(|m| (m.lane, m.mark, m.y)).collect();
        assert_eq!(
            lanes,
            [
                ("attacker", "order", 38.0),
                ("attacker", "fill", 54.0),
                ("response", "step", 94.0),
                ("exchange", "ack", 134.0),
            ]
        );
        let line = chart.containment.expect("the containment line");
        assert_eq!(line.x, chart.marks[3].x);
        assert_eq!(chart.marks[3].points, "964,128 970,139 958,139");
        assert!(chart.marks[0].title.starts_with("2026-12-05T"));
        assert_eq!(chart.day, "2026-12-05");
    }
}
