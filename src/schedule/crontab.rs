//! `schedule install --cron`: one crontab line per job, printed for the user to add; lockdown
//! never edits a crontab.
//!
//! Each line is preceded by `CRON_TZ=<zone>` (also for UTC, the default here, which is not
//! cron's: cron reads times in the machine's zone). `CRON_TZ` is cronie's (crontab(5), "The
//! CRON_TZ variable specifies the time zone specific for the cron table";
//! https://man7.org/linux/man-pages/man5/crontab.5.html); a cron without it reads the machine's
//! zone. Cron has no seconds field, so a job with seconds other than `0` is refused; jitter is
//! a `sleep` of a random length (`shuf`, GNU coreutils) and the timeout is coreutils `timeout`.

use std::path::Path;

use super::Job;
use super::calendar::{Fields, list};

/// The crontab lines of every job, or each job that cannot be converted with the reason.
pub fn crontab(jobs: &[Job], binary: &Path) -> Result<String, Vec<String>> {
    let mut text = String::from(
        "# lockdown schedules: add these lines with `crontab -e` (lockdown never edits your crontab).\n",
    );
    let mut refused = Vec::new();
    for job in jobs {
        match fields(job) {
            Ok(when) => {
                let mut command = String::new();
                let dir = job.config.parent().unwrap_or(Path::new("/"));
                command.push_str(&format!("cd {} && ", quote(&dir.display().to_string())));
                if !job.jitter.is_zero() {
                    command.push_str(&format!(
                        "sleep \"$(shuf -i 0-{} -n 1)\" && ",
                        job.jitter.as_secs().max(1)
                    ));
                }
                command.push_str(&format!(
                    "timeout {}s {} --config {}",
                    job.timeout.as_secs().max(1),
                    quote(&binary.display().to_string()),
                    quote(&job.config.display().to_string())
                ));
                for arg in &job.run {
                    command.push(' ');
                    command.push_str(&quote(arg));
                }
                text.push_str(&format!(
                    "# {} ({})\nCRON_TZ={}\n{when} {}\n",
                    job.name,
                    job.cron_text,
                    job.zone.name(),
                    command.replace('%', "\\%")
                ));
            }
            Err(why) => refused.push(format!(
                "`{}` (`{}`) cannot be a crontab line: {why}",
                job.name, job.cron_text
            )),
        }
    }
    if refused.is_empty() {
        Ok(text)
    } else {
        Err(refused)
    }
}

/// The five crontab fields of `job`'s cron.
fn fields(job: &Job) -> Result<String, String> {
    let f = Fields::of(job)?;
    if f.seconds.as_deref() != Some(&[0]) {
        return Err(
            "cron starts jobs at most once a minute, on the minute: its seconds must be `0`"
                .to_owned(),
        );
    }
    if f.both_days {
        return Err("cron cannot require both the day of month and the weekday (`+`)".to_owned());
    }
    let field = |values: &Option<Vec<u16>>| {
        values
            .as_deref()
            .map_or_else(|| "*".to_owned(), |v| list(v, "-", |n| n.to_string()))
    };
    Ok(format!(
        "{} {} {} {} {}",
        field(&f.minutes),
        field(&f.hours),
        field(&f.days),
        field(&f.months),
        field(&f.weekdays)
    ))
}

/// A word for `/bin/sh`: single-quoted unless plain.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::job::tests::job;

    #[test]
    fn cron_expressions_become_crontab_fields() {
        let cases = [
            ("five fields", "15 9 * * Mon-Fri", "15 9 * * 1-5"),
            ("seconds zero", "0 */20 * * * *", "0,20,40 * * * *"),
            ("day of month or weekday", "0 0 1 * Mon", "0 0 1 * 1"),
            ("Sunday as 7", "0 0 * * 7", "0 0 * * 0"),
        ];
        for (label, cron, expected) in cases {
            assert_eq!(
                fields(&job(cron, "UTC")).as_deref(),
                Ok(expected),
                "{label}"
            );
        }
    }

    #[test]
    fn what_cron_cannot_express_is_refused_with_the_reason() {
        let cases = [
            ("seconds", "*/10 * * * * *", "seconds must be `0`"),
            (
                "both days",
                "0 0 1 * +Mon",
                "both the day of month and the weekday",
            ),
            ("last day", "0 0 L * *", "`L`, `W` or `#`"),
        ];
        for (label, cron, says) in cases {
            let err = fields(&job(cron, "UTC")).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
        }
    }

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("/usr/bin/lockdown"), "/usr/bin/lockdown");
        assert_eq!(quote("it's here"), "'it'\\''s here'");
    }
}
