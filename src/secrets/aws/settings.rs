//! `secrets.aws`: the region, profile, endpoint and write behaviour for `aws-sm:` references.
//!
//! Everything here is optional: credentials and region come from the standard AWS chain
//! (environment, shared config and credentials files, web identity, container and instance
//! metadata), as every AWS tool finds them. The settings only override what the chain would
//! pick, name a VPC endpoint (https, or http to loopback for tests), choose the staging label a
//! new version gets, and say whether a missing secret may be created.

use std::path::Path;
use std::time::Duration;

/// The staging label Secrets Manager reads by default.
pub const CURRENT: &str = "AWSCURRENT";

/// How long one Secrets Manager call may take, credentials included, unless `timeout` says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a write does when the secret does not exist yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnMissing {
    /// Fail and say so (default: a typo in the secret id should not create a stray secret).
    #[default]
    Refuse,
    /// Create the secret (`CreateSecret`) with the new key as its first version.
    Create,
}

/// `secrets.aws`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The region for secrets named by name (an ARN's own region wins); `None`: the chain's.
    pub region: Option<String>,
    /// The shared-config profile; `None`: `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// Another endpoint (a VPC endpoint, or a local test server); `None`: the region's.
    pub endpoint: Option<String>,
    /// The staging label a written version gets, and the one `resume` reads back.
    pub version_stage: String,
    /// What a write does when the secret does not exist.
    pub on_missing: OnMissing,
    /// The bound on one call, credentials included.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            region: None,
            profile: None,
            endpoint: None,
            version_stage: CURRENT.to_owned(),
            on_missing: OnMissing::Refuse,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// `secrets.aws` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    region: Option<String>,
    profile: Option<String>,
    endpoint: Option<String>,
    version_stage: Option<String>,
    create: Option<bool>,
    timeout: Option<String>,
}

impl Settings {
    /// Parses and checks `secrets.aws`.
    pub fn from_yaml(value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        let raw: Raw = if value.is_null() {
            Raw::default()
        } else {
            serde_yaml::from_value(value.clone()).map_err(|err| err.to_string())?
        };
        let mut settings = Settings::default();
        if let Some(region) = raw.region {
            let region = region.trim();
            if region.is_empty()
                || !region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(format!(
                    "`region: {region}` is not an AWS region; write one like `eu-west-1`"
                ));
            }
            settings.region = Some(region.to_owned());
        }
        if let Some(profile) = raw.profile {
            if profile.trim().is_empty() {
                return Err(
                    "`profile:` is empty; name a profile of ~/.aws/config or drop the line".into(),
                );
            }
            settings.profile = Some(profile.trim().to_owned());
        }
        if let Some(endpoint) = raw.endpoint {
            crate::config::check_url(&endpoint).map_err(|err| format!("`endpoint`: {err}"))?;
            settings.endpoint = Some(endpoint.trim().trim_end_matches('/').to_owned());
        }
        if let Some(stage) = raw.version_stage {
            // The API's VersionStages entries: 1 to 256 characters.
            let stage = stage.trim();
            if stage.is_empty() || stage.len() > 256 {
                return Err(format!(
                    "`version_stage: {stage}` must be 1 to 256 characters, e.g. `AWSCURRENT`"
                ));
            }
            settings.version_stage = stage.to_owned();
        }
        if raw.create == Some(true) {
            settings.on_missing = OnMissing::Create;
        }
        if let Some(timeout) = raw.timeout {
            let parsed = humantime::parse_duration(timeout.trim()).map_err(|err| {
                format!("`timeout: {timeout}` is not a duration ({err}); write e.g. `10s`")
            })?;
            if parsed < Duration::from_secs(1) || parsed > Duration::from_secs(120) {
                return Err(format!("`timeout: {timeout}` must be between 1s and 120s"));
            }
            settings.timeout = parsed;
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, String> {
        let value: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        Settings::from_yaml(&value, Path::new("/cfg"))
    }

    #[test]
    fn every_field_and_the_defaults() {
        let all = parse(
            "region: eu-west-1\nprofile: ops\nendpoint: http://127.0.0.1:5000/\nversion_stage: LOCKDOWN\ncreate: true\ntimeout: 3s\n",
        )
        .unwrap();
        assert_eq!(all.region.as_deref(), Some("eu-west-1"));
        assert_eq!(all.profile.as_deref(), Some("ops"));
        assert_eq!(all.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(all.version_stage, "LOCKDOWN");
        assert_eq!(all.on_missing, OnMissing::Create);
        assert_eq!(all.timeout, Duration::from_secs(3));
        assert_eq!(parse("{}").unwrap(), Settings::default());
        assert_eq!(parse("~").unwrap(), Settings::default());
    }

    #[test]
    fn bad_settings_say_which_field() {
        for (label, text, says) in [
            ("region", "region: EU West", "not an AWS region"),
            (
                "plain http elsewhere",
                "endpoint: http://secrets.example.com",
                "plain http",
            ),
            ("timeout", "timeout: soon", "not a duration"),
            ("timeout bound", "timeout: 10m", "between 1s and 120s"),
            ("unknown field", "regoin: eu-west-1", "regoin"),
            ("empty stage", "version_stage: ''", "1 to 256"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
        }
    }
}
