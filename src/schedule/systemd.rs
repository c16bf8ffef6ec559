//! `schedule install --systemd`: a oneshot service and a timer per job, for the user manager.
//!
//! The timer's `OnCalendar=` is the job's cron in systemd's calendar syntax with the job's time
//! zone appended (systemd.time(7), "Calendar events": lists, `..` ranges, an IANA zone suffix;
//! https://www.freedesktop.org/software/systemd/man/latest/systemd.time.html), `Persistent=true`
//! catches up one run missed while the machine was off, `RandomizedDelaySec=` is the jitter,
//! and `AccuracySec=1s` keeps systemd from moving the run by up to its default minute
//! (systemd.timer(5)). The service runs the job's command line with the absolute binary and
//! config paths, `TimeoutStartSec=` is the job's timeout, and the hardening lines are ones a
//! user unit can apply without privileges (systemd.exec(5)).

use std::path::Path;

use super::Job;
use super::calendar::{Fields, list};

/// One unit file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// `lockdown-<name>.service` or `.timer`.
    pub file_name: String,
    /// The file's text.
    pub text: String,
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The unit files of every job, or each job that cannot be converted with the reason.
pub fn units(jobs: &[Job], binary: &Path) -> Result<Vec<Unit>, Vec<String>> {
    let mut units = Vec::new();
    let mut refused = Vec::new();
    for job in jobs {
        match on_calendar(job) {
            Ok(calendar) => {
                units.push(service(job, binary));
                units.push(timer(job, &calendar));
            }
            Err(why) => refused.push(format!(
                "`{}` (`{}`) cannot be a systemd timer: {why}",
                job.name, job.cron_text
            )),
        }
    }
    if refused.is_empty() {
        Ok(units)
    } else {
        Err(refused)
    }
}

/// The job's cron as a systemd calendar event.
pub fn on_calendar(job: &Job) -> Result<String, String> {
    let f = Fields::of(job)?;
    if f.days.is_some() && f.weekdays.is_some() && !f.both_days {
        return Err(
            "it restricts both the day of month and the weekday: cron runs on either, systemd only on both"
                .to_owned(),
        );
    }
    let two = |v: u16| format!("{v:02}");
    let field = |values: &Option<Vec<u16>>| {
        values
            .as_deref()
            .map_or_else(|| "*".to_owned(), |v| list(v, "..", two))
    };
    let mut text = String::new();
    if let Some(days) = &f.weekdays {
        // systemd's week starts on Monday: Sunday goes last, so `Fri..Sun` stays a range.
        let mut monday_first: Vec<u16> = days.iter().map(|d| (d + 6) % 7).collect();
        monday_first.sort_unstable();
        text.push_str(&list(&monday_first, "..", |d| {
            WEEKDAYS[usize::from((d + 1) % 7)].to_owned()
        }));
        text.push(' ');
    }
    text.push_str(&format!(
        "*-{}-{} {}:{}:{} {}",
        field(&f.months),
        field(&f.days),
        field(&f.hours),
        field(&f.minutes),
        field(&f.seconds),
        job.zone.name()
    ));
    Ok(text)
}

fn service(job: &Job, binary: &Path) -> Unit {
    let mut exec = vec![
        quote(&binary.display().to_string()),
        "--config".to_owned(),
        quote(&job.config.display().to_string()),
    ];
    exec.extend(job.run.iter().map(|arg| quote(arg)));
    let dir = job.config.parent().unwrap_or(Path::new("/"));
    let text = format!(
        "\
# Written by `lockdown schedule install --systemd` from {config}.
[Unit]
Description=lockdown schedule {name}: {line}

[Service]
Type=oneshot
WorkingDirectory={dir}
ExecStart={exec}
TimeoutStartSec={timeout}
NoNewPrivileges=yes
PrivateUsers=yes
PrivateTmp=yes
UMask=0077
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
",
        config = job.config.display(),
        name = job.name,
        line = job.describe(),
        dir = quote(&dir.display().to_string()),
        exec = exec.join(" "),
        timeout = job.timeout.as_secs().max(1),
    );
    Unit {
        file_name: format!("lockdown-{}.service", job.name),
        text,
    }
}

fn timer(job: &Job, calendar: &str) -> Unit {
    let jitter = if job.jitter.is_zero() {
        String::new()
    } else {
        format!("RandomizedDelaySec={}\n", job.jitter.as_secs().max(1))
    };
    let text = format!(
        "\
# Written by `lockdown schedule install --systemd` from {config}.
[Unit]
Description=lockdown schedule {name} ({cron}, {zone})

[Timer]
OnCalendar={calendar}
Persistent=true
AccuracySec=1s
{jitter}
[Install]
WantedBy=timers.target
",
        config = job.config.display(),
        name = job.name,
        cron = job.cron_text,
        zone = job.zone.name(),
    );
    Unit {
        file_name: format!("lockdown-{}.timer", job.name),
        text,
    }
}

/// One word of a unit's command line: specifiers (`%`) and variables (`$`) doubled, and
/// double-quoted with C escapes when it has anything but plain characters (systemd.service(5),
/// "Command lines").
fn quote(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    let plain = !escaped.is_empty()
        && escaped
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%$".contains(c));
    if plain {
        escaped
    } else {
        format!("\"{}\"", escaped.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::job::tests::job;

    #[test]
    fn cron_expressions_become_systemd_calendar_events() {
        // Each expected value was checked with `systemd-analyze calendar` (systemd 252).
        let cases = [
            ("every second", "* * * * * *", "UTC", "*-*-* *:*:* UTC"),
            ("five fields", "15 9 * * *", "UTC", "*-*-* 09:15:00 UTC"),
            ("steps", "*/15 * * * *", "UTC", "*-*-* *:00,15,30,45:00 UTC"),
            (
                "weekdays in a zone",
                "0 30 9 * * Mon-Fri",
                "Europe/Berlin",
                "Mon..Fri *-*-* 09:30:00 Europe/Berlin",
            ),
            (
                "weekend wraps past Sunday",
                "0 0 * * 5-7",
                "UTC",
                "Fri..Sun *-*-* 00:00:00 UTC",
            ),
            (
                "days and months",
                "0 0 1,15 1-6 *",
                "UTC",
                "*-01..06-01,15 00:00:00 UTC",
            ),
            (
                "nickname",
                "@daily",
                "America/New_York",
                "*-*-* 00:00:00 America/New_York",
            ),
            (
                "both days required",
                "0 0 1 * +Mon",
                "UTC",
                "Mon *-*-01 00:00:00 UTC",
            ),
        ];
        for (label, cron, zone, expected) in cases {
            assert_eq!(
                on_calendar(&job(cron, zone)).as_deref(),
                Ok(expected),
                "{label}"
            );
        }
    }

    #[test]
    fn what_systemd_cannot_express_is_refused_with_the_reason() {
        let cases = [
            (
                "day of month or weekday",
                "0 0 1 * Mon",
                "both the day of month and the weekday",
            ),
            ("last day", "0 0 L * *", "`L`, `W` or `#`"),
            ("nth weekday", "0 0 * * 1#2", "`L`, `W` or `#`"),
        ];
        for (label, cron, says) in cases {
            let err = on_calendar(&job(cron, "UTC")).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
        }
    }

    #[test]
    fn command_words_are_quoted_for_systemd() {
        assert_eq!(quote("/usr/bin/lockdown"), "/usr/bin/lockdown");
        assert_eq!(quote("my dir/config.yaml"), "\"my dir/config.yaml\"");
        assert_eq!(quote("50%"), "50%%");
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
    }
}
