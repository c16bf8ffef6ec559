//! Why a Secrets Manager call failed, in words a person can act on.
//!
//! AWS answers with an error code (`ResourceNotFoundException`, `AccessDeniedException`,
//! `ExpiredTokenException`, ...; the API reference's "Common Errors"); the same refusal has
//! other spellings elsewhere (`AccessDenied`, `InvalidClientTokenId`, `SignatureDoesNotMatch`,
//! as IAM-style endpoints and test servers write them, sometimes in an XML body), so codes are
//! sorted into [`Failure`]s here, and each becomes one [`SecretError`] with a hint. Messages
//! never carry a credential or a value: AWS's own message text is kept only for codes not
//! known here, cut short.

use super::super::SecretError;

/// What went wrong, by who can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// No AWS credentials anywhere in the chain.
    NoCredentials(String),
    /// No region for a secret named by name.
    NoRegion,
    /// The secret does not exist in the region asked.
    NotFound,
    /// The credentials may not do this.
    AccessDenied,
    /// The credentials' session has expired.
    Expired(String),
    /// AWS does not know the access key, or the signature does not match its secret.
    BadCredentials(String),
    /// The secret is scheduled for deletion, or otherwise refuses this now.
    InvalidState(String),
    /// Nothing answered at the endpoint (refused, DNS, TLS).
    Unreachable(String),
    /// The call took longer than `secrets.aws.timeout`.
    TimedOut,
    /// Any other answer: its code and AWS's message, shortened.
    Other(String, String),
}

impl Failure {
    /// Sorts an AWS error code (`Some`) with its message; `None` when the answer had no code.
    pub(super) fn from_code(code: Option<&str>, message: Option<&str>, status: u16) -> Failure {
        let message = short(message.unwrap_or_default());
        match code.unwrap_or_default() {
            "ResourceNotFoundException" => Failure::NotFound,
            "AccessDeniedException" | "AccessDenied" => Failure::AccessDenied,
            "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => {
                Failure::Expired(code.unwrap_or_default().to_owned())
            }
            "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "MissingAuthenticationToken" => {
                Failure::BadCredentials(code.unwrap_or_default().to_owned())
            }
            "InvalidRequestException" => Failure::InvalidState(message),
            "" => Failure::Other(format!("HTTP {status}"), message),
            other => Failure::Other(other.to_owned(), message),
        }
    }

    /// The error for `reference`, when `region` was asked (at `endpoint`, if one is set).
    pub(super) fn into_error(
        self,
        reference: &str,
        region: &str,
        endpoint: Option<&str>,
    ) -> SecretError {
        let at = match endpoint {
            Some(url) => format!("region `{region}` at {url}"),
            None => format!("region `{region}`"),
        };
        let (what, hint) = match self {
            Failure::NoCredentials(detail) => (
                format!("no AWS credentials found ({detail})"),
                "give lockdown credentials the standard way: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE (or `secrets.aws.profile`), a web identity token, or the instance's role".to_owned(),
            ),
            Failure::NoRegion => (
                "no AWS region for a secret named by name".to_owned(),
                "set `secrets.aws.region`, AWS_REGION, or a region in the AWS profile, or use the secret's full ARN".to_owned(),
            ),
            Failure::NotFound => (
                format!("Secrets Manager has no such secret in {at} (ResourceNotFoundException)"),
                "check the secret's name and its region: a secret lives in one region; set `secrets.aws.region` or write the secret's full ARN".to_owned(),
            ),
            Failure::AccessDenied => (
                format!("the AWS credentials may not do this in {at} (access denied)"),
                "grant the credentials' role or user `secretsmanager:GetSecretValue` (reads), `secretsmanager:DescribeSecret` and `secretsmanager:PutSecretValue` (stores), and `kms:Decrypt` on a customer key".to_owned(),
            ),
            Failure::Expired(code) => (
                format!("the AWS credentials have expired ({code})"),
                "renew the session (`aws sso login`, a new role session, or fresh AWS_SESSION_TOKEN) and run again".to_owned(),
            ),
            Failure::BadCredentials(code) => (
                format!("AWS refused the credentials in {at} ({code}): the access key is unknown or the secret key does not match"),
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile's keys, and that they belong to this account's partition".to_owned(),
            ),
            Failure::InvalidState(message) => (
                format!("Secrets Manager refused this for the secret's state in {at}: {message}"),
                "a secret scheduled for deletion must be restored (`aws secretsmanager restore-secret`) before it is used".to_owned(),
            ),
            Failure::Unreachable(detail) => (
                format!("cannot reach Secrets Manager in {at}: {detail}"),
                "check the network path to the endpoint (proxy, VPC endpoint, DNS) and `secrets.aws.endpoint`".to_owned(),
            ),
            Failure::TimedOut => (
                format!("Secrets Manager in {at} did not answer in time"),
                "check the network path, or raise `secrets.aws.timeout`".to_owned(),
            ),
            Failure::Other(code, message) => (
                format!("Secrets Manager in {at} answered {code}: {message}"),
                "see the AWS Secrets Manager error reference for this code".to_owned(),
            ),
        };
        SecretError::new(reference, what, hint)
    }
}

/// The `<Code>` of an XML error body (IAM-style answers to a JSON API), if any.
pub(super) fn xml_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    let code = text[start..end].trim();
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
        .then(|| code.to_owned())
}

/// AWS's message, on one line and at most 200 characters.
fn short(message: &str) -> String {
    let line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 200 {
        let cut: String = line.chars().take(200).collect();
        format!("{cut}…")
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_by_who_can_act() {
        for (label, code, want) in [
            ("missing", "ResourceNotFoundException", Failure::NotFound),
            ("denied", "AccessDeniedException", Failure::AccessDenied),
            ("denied, iam style", "AccessDenied", Failure::AccessDenied),
            (
                "expired",
                "ExpiredTokenException",
                Failure::Expired("ExpiredTokenException".into()),
            ),
            (
                "unknown key",
                "UnrecognizedClientException",
                Failure::BadCredentials("UnrecognizedClientException".into()),
            ),
            (
                "unknown key, iam style",
                "InvalidClientTokenId",
                Failure::BadCredentials("InvalidClientTokenId".into()),
            ),
            (
                "wrong secret key",
                "InvalidSignatureException",
                Failure::BadCredentials("InvalidSignatureException".into()),
            ),
        ] {
            assert_eq!(Failure::from_code(Some(code), None, 400), want, "{label}");
        }
        assert_eq!(
            Failure::from_code(None, None, 502),
            Failure::Other("HTTP 502".into(), String::new())
        );
    }

    #[test]
    fn each_error_names_the_reference_and_the_region() {
        let err = Failure::NotFound.into_error("aws-sm:prod/bybit", "eu-west-1", None);
        assert_eq!(err.reference, "aws-sm:prod/bybit");
        assert!(err.what.contains("region `eu-west-1`"), "{}", err.what);
        assert!(err.hint.contains("region"), "{}", err.hint);
        let err = Failure::Expired("ExpiredTokenException".into()).into_error(
            "aws-sm:x",
            "us-east-1",
            Some("http://127.0.0.1:5000"),
        );
        assert!(err.what.contains("expired"), "{}", err.what);
    }

    #[test]
    fn an_xml_error_body_gives_its_code() {
        let body = b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>";
        assert_eq!(xml_code(body).as_deref(), Some("InvalidClientTokenId"));
        assert_eq!(xml_code(b"{\"__type\":\"X\"}"), None);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "word ".repeat(100);
        let cut = short(&long);
        assert!(cut.chars().count() <= 201, "{cut}");
    }
}
