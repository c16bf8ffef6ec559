//! `cmd:` references: a password manager's command (`op read op://vault/item/field`,
//! `pass show exchange/bybit`), run without a shell; its standard output is the secret.
//!
//! Why no shell: the reference is split into words as a POSIX shell would split them (quotes
//! and backslashes, the `shlex` crate) and the program is started directly, so nothing in a
//! reference is ever expanded, globbed or piped. The program is looked up on `PATH`, or taken
//! relative to the config's folder when it contains a `/`.
//!
//! What it guarantees (see [`run`]): the command's input is closed and a prompt is never waited
//! for (it is killed and reported as asking for input), a timeout kills its whole process group,
//! output past 64 KiB is refused, and its standard error never reaches a screen, a log or the
//! journal except its first line with every long token masked ([`mask`]). `cmd:` is read-only:
//! it is never a destination (`Destination::parse` does not know it).

mod mask;
mod run;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::ExposeSecret;

use super::SecretError;
use crate::secret::SecretString;

pub use run::MAX_OUTPUT;

/// How long a command may take when `secrets.cmd.timeout` does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What to do when a password manager wants a person: the hint of every failure that may be one.
const UNLOCK: &str = "if it asked for input, unlock it first (`op signin`, `gpg-agent`): \
                      lockdown closes its input and never lets it prompt";

/// A command: the program and its arguments (split as a POSIX shell would split words, but no
/// shell runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdRef {
    /// As written after `cmd:` (shown in errors and plans).
    text: String,
    /// The program: as written when it has no `/` (looked up on `PATH`), else resolved against
    /// the config's folder.
    program: PathBuf,
    /// Its arguments.
    args: Vec<String>,
}

impl CmdRef {
    /// Parses the text after `cmd:`; relative programs with a `/` resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<CmdRef, String> {
        let text = text.trim();
        let words = shlex::split(text)
            .ok_or_else(|| format!("`cmd:{text}` has an unclosed quote or a trailing backslash"))?;
        let Some((program, args)) = words.split_first() else {
            return Err("`cmd:` needs a command, e.g. `cmd:pass show exchange/bybit`".into());
        };
        if program.is_empty() {
            return Err(format!("`cmd:{text}` names no program"));
        }
        let program = if program.contains('/') {
            super::resolve_path(program, base)
        } else {
            PathBuf::from(program)
        };
        Ok(CmdRef {
            text: text.to_owned(),
            program,
            args: args.to_vec(),
        })
    }

    /// The program (a bare name is looked up on `PATH`).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// Its arguments.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The program as people know it: its file name.
    fn name(&self) -> String {
        self.program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.program.display().to_string())
    }
}

impl fmt::Display for CmdRef {
    /// As written (never a value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `secrets.cmd`: `timeout` (a duration such as `10s`; default 10 s).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a command may run before it (and its process group) is killed.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// `secrets.cmd` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    #[serde(default)]
    timeout: Option<serde_yaml::Value>,
}

impl Settings {
    /// Parses `secrets.cmd`.
    pub fn from_yaml(value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        let raw: RawSettings = serde_yaml::from_value(value.clone())
            .map_err(|err| format!("{err}; the only setting is `timeout` (e.g. `timeout: 10s`)"))?;
        let timeout = match raw.timeout {
            None => DEFAULT_TIMEOUT,
            Some(serde_yaml::Value::String(text)) => humantime::parse_duration(text.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("`timeout: {text}` is not a duration (`10s`)"))?,
            Some(serde_yaml::Value::Number(n)) => n
                .as_u64()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| format!("`timeout: {n}` must be a positive number of seconds"))?,
            Some(_) => return Err("`timeout` is a duration such as `10s`".into()),
        };
        Ok(Settings { timeout })
    }
}

/// Runs the command and returns what it printed, trimmed.
pub fn read(settings: &Settings, r: &CmdRef) -> Result<SecretString, SecretError> {
    let reference = format!("cmd:{r}");
    let name = r.name();
    let fail = |what: String, hint: &str| SecretError::new(&reference, what, hint);
    let limits = run::Limits {
        timeout: settings.timeout,
        max_output: MAX_OUTPUT,
    };
    let mut out = run::run(&r.program, &r.args, &limits).map_err(|failure| {
        use run::Failure;
        match failure {
            Failure::NotFound if r.program.components().count() > 1 => fail(
                format!("`{}` does not exist", r.program.display()),
                "write the program's path from the config's folder, or its full path",
            ),
            Failure::NotFound => fail(
                format!("`{name}` is not on PATH"),
                "install it, or write its full path (`cmd:/usr/local/bin/op read …`)",
            ),
            Failure::NotExecutable => fail(
                format!("`{}` is not executable", r.program.display()),
                "make it executable (`chmod +x`), or name the program that runs it",
            ),
            Failure::Start(err) => fail(
                format!("cannot start `{name}`: {err}"),
                "run the command yourself: it must print only the secret and exit 0",
            ),
            Failure::AskedForInput => fail(
                format!("`{name}` asked for input (it stopped to read a terminal) and was killed"),
                "unlock it first (`op signin`, `gpg-agent`): lockdown never lets a command prompt",
            ),
            Failure::TimedOut => fail(
                format!(
                    "`{name}` did not finish within {} and was killed",
                    humantime::format_duration(settings.timeout)
                ),
                &format!("{UNLOCK}; or raise `secrets.cmd.timeout`"),
            ),
            Failure::TooLong => fail(
                format!(
                    "`{name}` printed more than {} KiB and was killed",
                    MAX_OUTPUT / 1024
                ),
                "the command must print only the secret",
            ),
            Failure::Exited { code, stderr } => fail(
                format!("`{name}` {}{}", exit_text(code), stderr_text(&stderr)),
                &format!("run the command yourself to see all it says; {UNLOCK}"),
            ),
            Failure::Io(err) => fail(
                format!("cannot read what `{name}` printed: {err}"),
                "run the command yourself: it must print only the secret and exit 0",
            ),
        }
    })?;
    let text = String::from_utf8(std::mem::take(&mut *out)).map_err(|err| {
        let mut bytes = err.into_bytes();
        secrecy::zeroize::Zeroize::zeroize(&mut bytes);
        fail(
            format!("`{name}` printed bytes that are not UTF-8 text"),
            "the command must print only the secret, as text",
        )
    })?;
    let secret = SecretString::from(text);
    #[allow(clippy::disallowed_methods)] // reading: trimmed into a new secret, never shown
    let trimmed = secret.expose_secret().trim();
    if trimmed.is_empty() {
        return Err(fail(format!("`{name}` printed nothing"), UNLOCK));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// `exited with code 1`, `was killed by signal 9`.
fn exit_text(code: run::Exit) -> String {
    match code {
        run::Exit::Code(code) => format!("exited with code {code}"),
        run::Exit::Signal(signal) => format!("was killed by signal {signal}"),
    }
}

/// `: the first line of its standard error`, masked, or nothing.
fn stderr_text(first_line: &str) -> String {
    if first_line.is_empty() {
        String::new()
    } else {
        format!(": {first_line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_as_a_shell_would_without_one() {
        let base = Path::new("/cfg");
        let cases = [
            (
                "op read op://vault/item/field",
                "op",
                vec!["read", "op://vault/item/field"],
            ),
            (
                "pass show 'exchange/bybit main'",
                "pass",
                vec!["show", "exchange/bybit main"],
            ),
            (
                r#"bin/get "a b" c\ d $HOME"#,
                "/cfg/bin/get",
                vec!["a b", "c d", "$HOME"],
            ),
            ("/usr/bin/op read x", "/usr/bin/op", vec!["read", "x"]),
        ];
        for (text, program, args) in cases {
            let r = CmdRef::parse(text, base).unwrap();
            assert_eq!(r.program(), Path::new(program), "{text}");
            assert_eq!(r.args(), args, "{text}");
            assert_eq!(r.to_string(), text, "shown as written");
        }
    }

    #[test]
    fn bad_commands_are_refused_at_parse_time() {
        let base = Path::new("/cfg");
        for (text, says) in [
            ("", "needs a command"),
            ("   ", "needs a command"),
            ("op read 'x", "unclosed quote"),
            ("'' read", "names no program"),
        ] {
            let err = CmdRef::parse(text, base).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn settings_take_a_timeout() {
        let dir = Path::new("/cfg");
        let yaml = |text: &str| serde_yaml::from_str::<serde_yaml::Value>(text).unwrap();
        let s = Settings::from_yaml(&yaml("timeout: 2s"), dir).unwrap();
        assert_eq!(s.timeout, Duration::from_secs(2));
        let s = Settings::from_yaml(&yaml("timeout: 3"), dir).unwrap();
        assert_eq!(s.timeout, Duration::from_secs(3));
        assert_eq!(Settings::default().timeout, DEFAULT_TIMEOUT);
        for bad in ["timeout: soon", "timeout: 0", "timeout: 0s", "shell: bash"] {
            assert!(Settings::from_yaml(&yaml(bad), dir).is_err(), "{bad}");
        }
    }

    #[test]
    fn cmd_is_never_a_destination() {
        let err =
            crate::secrets::Destination::parse("cmd:pass insert x", Path::new("/")).unwrap_err();
        assert!(err.contains("is not a secret store"), "{err}");
    }
}
