//! A parsed cron expression as plain sets of values, for the OS schedulers' own formats.
//!
//! Read from `croner`'s parsed pattern, never from the text again. What another scheduler
//! cannot express is refused with the reason: `L`, `W` and `#` (their days depend on the
//! month), and, for systemd, a day-of-month *and* a weekday both restricted (cron matches
//! either, systemd both); for cron, seconds other than `0` and croner's `+` (both days must
//! match).

use croner::CronComponent;

use super::Job;

/// A cron expression's fields, each the set of values it matches (`None`: every value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    /// Seconds, 0-59.
    pub seconds: Option<Vec<u16>>,
    /// Minutes, 0-59.
    pub minutes: Option<Vec<u16>>,
    /// Hours, 0-23.
    pub hours: Option<Vec<u16>>,
    /// Days of the month, 1-31.
    pub days: Option<Vec<u16>>,
    /// Months, 1-12.
    pub months: Option<Vec<u16>>,
    /// Weekdays, 0 (Sunday) to 6.
    pub weekdays: Option<Vec<u16>>,
    /// A day must match both the day of month and the weekday (croner's `+`).
    pub both_days: bool,
}

impl Fields {
    /// The fields of `job`'s cron, or why they cannot be written as plain sets.
    pub fn of(job: &Job) -> Result<Fields, String> {
        let p = &job.cron.pattern;
        let parts = [
            ("seconds", &p.seconds),
            ("minutes", &p.minutes),
            ("hours", &p.hours),
            ("day-of-month", &p.days),
            ("months", &p.months),
            ("weekday", &p.days_of_week),
        ];
        for (name, component) in parts {
            if component.has_modifiers() {
                return Err(format!(
                    "its {name} field uses `L`, `W` or `#`, whose days change with the month"
                ));
            }
        }
        let mut weekdays: Vec<u16> = p.days_of_week.values().into_iter().map(|d| d % 7).collect();
        weekdays.sort_unstable();
        weekdays.dedup();
        Ok(Fields {
            seconds: set(&p.seconds, 0, 59),
            minutes: set(&p.minutes, 0, 59),
            hours: set(&p.hours, 0, 23),
            days: if p.is_dom_wildcard() {
                None
            } else {
                set(&p.days, 1, 31)
            },
            months: set(&p.months, 1, 12),
            weekdays: if p.is_dow_wildcard() || weekdays.len() == 7 {
                None
            } else {
                Some(weekdays)
            },
            both_days: p.matches_dom_and_dow(),
        })
    }
}

/// The values of `component`, `None` when it has all of `min..=max`.
fn set(component: &CronComponent, min: u16, max: u16) -> Option<Vec<u16>> {
    let values = component.values();
    let all = values.len() == usize::from(max - min + 1);
    (!all).then_some(values)
}

/// `values` as a list with runs of three or more written `a<sep>b`, each value through `show`.
pub fn list(values: &[u16], sep: &str, show: impl Fn(u16) -> String) -> String {
    let mut parts = Vec::new();
    let mut k = 0;
    while k < values.len() {
        let mut end = k;
        while end + 1 < values.len() && values[end + 1] == values[end] + 1 {
            end += 1;
        }
        if end - k >= 2 {
            parts.push(format!("{}{sep}{}", show(values[k]), show(values[end])));
        } else {
            parts.extend(values[k..=end].iter().map(|v| show(*v)));
        }
        k = end + 1;
    }
    parts.join(",")
}
