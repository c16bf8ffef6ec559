//! `aws-sm:SECRET_ID[#JSON_KEY]`: which Secrets Manager secret, and which key of its JSON.
//!
//! A secret id is a name (`prod/bybit`) or a full ARN
//! (`arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/bybit-AbCdEf`). An ARN names its
//! region, and that region wins over `secrets.aws.region` and the AWS chain's: a secret lives in
//! exactly one region, and asking another one only answers "not found". Names and ARNs never
//! hold `#`, so the first `#` starts the JSON key.

use std::fmt;

/// A secret id (name or ARN) and, optionally, a key of the secret's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRef {
    id: String,
    field: Option<String>,
    region: Option<String>,
}

impl AwsRef {
    /// Parses the text after `aws-sm:`: `SECRET_ID[#JSON_KEY]`.
    pub fn parse(text: &str) -> Result<AwsRef, String> {
        let text = text.trim();
        let (id, field) = match text.split_once('#') {
            Some((id, field)) => {
                let field = field.trim();
                if field.is_empty() {
                    return Err(format!(
                        "`aws-sm:{text}` has an empty JSON key after `#`; write `aws-sm:{id}#api_secret` or drop the `#`"
                    ));
                }
                (id.trim(), Some(field.to_owned()))
            }
            None => (text, None),
        };
        if id.is_empty() {
            return Err(
                "`aws-sm:` needs a secret id or ARN, e.g. `aws-sm:prod/bybit#api_secret`".into(),
            );
        }
        // Secret names are at most 512 characters, ARNs at most 2048 (the API's SecretId).
        if id.len() > 2048 || id.chars().any(char::is_whitespace) {
            return Err(format!(
                "`aws-sm:{id}` is not a secret id: no spaces, at most 2048 characters"
            ));
        }
        let region = if id.starts_with("arn:") {
            Some(arn_region(id)?)
        } else {
            None
        };
        Ok(AwsRef {
            id: id.to_owned(),
            field,
            region,
        })
    }

    /// The secret id (name or ARN), as written.
    pub fn path(&self) -> &str {
        &self.id
    }

    /// The JSON key, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The region an ARN names (`None` for a plain name).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Whether the id is an ARN (a secret named by ARN is never created: the ARN's random
    /// suffix is chosen by AWS).
    pub fn is_arn(&self) -> bool {
        self.region.is_some()
    }
}

/// The region of `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`.
fn arn_region(arn: &str) -> Result<String, String> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        [
            "arn",
            partition,
            "secretsmanager",
            region,
            account,
            "secret",
            name,
        ] if !partition.is_empty()
            && !region.is_empty()
            && !account.is_empty()
            && !name.is_empty() =>
        {
            Ok((*region).to_owned())
        }
        _ => Err(format!(
            "`aws-sm:{arn}` is not a Secrets Manager ARN; write `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME` or the secret's name"
        )),
    }
}

impl fmt::Display for AwsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}#{field}", self.id),
            None => f.write_str(&self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_arns_and_json_keys() {
        for (label, text, id, field, region) in [
            ("name", "prod/bybit", "prod/bybit", None, None),
            (
                "name and key",
                "prod/bybit#api_secret",
                "prod/bybit",
                Some("api_secret"),
                None,
            ),
            (
                "arn",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/bybit-AbCdEf#k",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/bybit-AbCdEf",
                Some("k"),
                Some("eu-west-1"),
            ),
            (
                "china partition",
                "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x",
                "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x",
                None,
                Some("cn-north-1"),
            ),
        ] {
            let r = AwsRef::parse(text).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(r.path(), id, "{label}");
            assert_eq!(r.field(), field, "{label}");
            assert_eq!(r.region(), region, "{label}");
            assert_eq!(r.to_string(), text, "{label}: shown as written");
        }
    }

    #[test]
    fn bad_references_say_what_to_write() {
        for (label, text, says) in [
            ("empty", "", "needs a secret id"),
            ("only a key", "#k", "needs a secret id"),
            ("empty key", "prod/bybit#", "empty JSON key"),
            ("space", "prod bybit", "not a secret id"),
            (
                "another service",
                "arn:aws:ssm:eu-west-1:1:parameter/x",
                "not a Secrets Manager ARN",
            ),
            (
                "no region",
                "arn:aws:secretsmanager::1:secret:x",
                "not a Secrets Manager ARN",
            ),
        ] {
            let err = AwsRef::parse(text).unwrap_err();
            assert!(err.contains(says), "{label}: {err}");
        }
    }
}
