//! Who runs lockdown, for the journal: `user@host`.
//!
//! `run_started` and `resumed` record it so a journal says who acted, next to the
//! confirmations' `by`. Read from the environment (`$USER`, else `$LOGNAME`, else the name
//! `/etc/passwd` gives the process's uid) and the kernel's host name file, never from a network
//! lookup; an unknown part reads `unknown`.

/// `user@host` of the process.
pub fn operator() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .or_else(user_of_uid)
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{}@{}", user.trim(), hostname())
}

/// The user name of the process's real uid (`/proc/self/status`, `/etc/passwd`): services and
/// containers often run without `$USER`.
fn user_of_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    });
    Some(name.unwrap_or_else(|| format!("uid {uid}")))
}

/// The host name: the kernel's, else `/etc/hostname`.
fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|name| !name.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_is_user_at_host() {
        let operator = operator();
        let (user, host) = operator.split_once('@').unwrap();
        assert!(!user.is_empty() && !host.is_empty(), "{operator}");
        assert!(!host.contains('\n'), "{operator}");
    }
}
