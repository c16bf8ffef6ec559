//! The Secrets Manager client: the one place `aws-sm:` talks to the network.
//!
//! Built per call with the official SDK: credentials and region from the standard AWS chain
//! (`aws-config`: environment, shared config and credentials files, web identity, container and
//! instance metadata), then `secrets.aws` on top (profile, region, endpoint). TLS is rustls with
//! ring, as for lockdown's other clients. Credentials are resolved once, up front, so "no
//! credentials" is told apart from a refusal, and the client signs with exactly those.
//! Operations (request and answer fields from the Secrets Manager API reference):
//! `GetSecretValue`, `DescribeSecret`, `PutSecretValue`, `CreateSecret`.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

use super::failure::{Failure, xml_code};
use super::settings::Settings;
use crate::secret::SecretString;

/// A client for one region, with the region it asks (for errors).
pub(super) struct Session {
    client: Client,
    /// The region asked.
    pub region: String,
}

/// What `DescribeSecret` tells about a secret.
pub(super) struct Described {
    /// It is scheduled for deletion (reads and writes are refused until it is restored).
    pub deleted: bool,
}

impl Session {
    /// Loads the AWS chain with `settings` on top, in `region` if given (an ARN's), and resolves
    /// credentials. `Err` carries the region when one was found.
    pub(super) async fn open(
        settings: &Settings,
        region: Option<&str>,
    ) -> Result<Session, (Failure, Option<String>)> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let timeouts = TimeoutConfig::builder()
            .operation_timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .timeout_config(timeouts);
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = region.or(settings.region.as_deref()) {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(ToString::to_string)
            .ok_or((Failure::NoRegion, None))?;
        let credentials = match config.credentials_provider() {
            Some(provider) => provider
                .provide_credentials()
                .await
                .map_err(|err| (no_credentials(&err), Some(region.clone())))?,
            None => {
                return Err((
                    Failure::NoCredentials("no credentials provider".into()),
                    Some(region),
                ));
            }
        };
        let mut builder = aws_sdk_secretsmanager::config::Builder::from(&config)
            .credentials_provider(credentials);
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        Ok(Session {
            client: Client::from_conf(builder.build()),
            region,
        })
    }

    /// `GetSecretValue`: the `SecretString` of the version with `stage` (`None`: AWSCURRENT).
    pub(super) async fn get(&self, id: &str, stage: Option<&str>) -> Result<SecretString, Failure> {
        let mut out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .set_version_stage(stage.map(str::to_owned))
            .send()
            .await
            .map_err(failure)?;
        match out.secret_string.take() {
            Some(text) => Ok(SecretString::from(text)),
            None => Err(Failure::Other(
                "a binary secret".into(),
                "lockdown reads `SecretString` secrets only; store the value as text".into(),
            )),
        }
    }

    /// `DescribeSecret`: whether the secret exists (`NotFound` if not) and its state; reads no
    /// value.
    pub(super) async fn describe(&self, id: &str) -> Result<Described, Failure> {
        let out = self
            .client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(failure)?;
        Ok(Described {
            deleted: out.deleted_date().is_some(),
        })
    }

    /// `PutSecretValue`: a new version holding `text`, labelled `stage`, idempotent on `token`;
    /// its `VersionId`.
    pub(super) async fn put(
        &self,
        id: &str,
        text: &SecretString,
        token: &str,
        stage: &str,
    ) -> Result<Option<String>, Failure> {
        #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
        let value = secrecy::ExposeSecret::expose_secret(text).to_owned();
        let out = self
            .client
            .put_secret_value()
            .secret_id(id)
            .secret_string(value)
            .client_request_token(token)
            .version_stages(stage)
            .send()
            .await
            .map_err(failure)?;
        Ok(out.version_id().map(str::to_owned))
    }

    /// `CreateSecret`: a new secret `name` whose first version holds `text` (labelled
    /// AWSCURRENT by AWS); its `VersionId`.
    pub(super) async fn create(
        &self,
        name: &str,
        text: &SecretString,
        token: &str,
    ) -> Result<Option<String>, Failure> {
        #[allow(clippy::disallowed_methods)] // storing: the secret is written to the store
        let value = secrecy::ExposeSecret::expose_secret(text).to_owned();
        let out = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value)
            .client_request_token(token)
            .description("API key stored by lockdown")
            .send()
            .await
            .map_err(failure)?;
        Ok(out.version_id().map(str::to_owned))
    }
}

/// Sorts an SDK error: a service answer by its code (from the JSON body, the
/// `x-amzn-ErrorType` header, or an XML body's `<Code>`), a transport failure by its cause.
fn failure<E>(err: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::TimeoutError(_) => Failure::TimedOut,
        SdkError::DispatchFailure(dispatch) if dispatch.is_timeout() => Failure::TimedOut,
        SdkError::DispatchFailure(_) => Failure::Unreachable(causes(&err)),
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let raw = err.raw_response();
            let status = raw.map_or(0, |r| r.status().as_u16());
            let code = err
                .code()
                .map(str::to_owned)
                .or_else(|| raw.and_then(|r| r.body().bytes()).and_then(xml_code));
            Failure::from_code(code.as_deref(), err.message(), status)
        }
        _ => Failure::Other("a request that could not be sent".into(), causes(&err)),
    }
}

/// Why credentials could not be had, without any of them.
fn no_credentials(err: &CredentialsError) -> Failure {
    match err {
        CredentialsError::CredentialsNotLoaded(_) => Failure::NoCredentials(
            "the environment, the shared config and credentials files, web identity, container and instance metadata were tried".into(),
        ),
        CredentialsError::ProviderTimedOut(_) => {
            Failure::NoCredentials("the credential provider did not answer in time".into())
        }
        other => Failure::NoCredentials(causes(other)),
    }
}

/// An error's chain of causes on one line, each said once, at most 300 characters.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    let line = parts.join(": ");
    if line.chars().count() > 300 {
        line.chars().take(300).collect::<String>() + "…"
    } else {
        line
    }
}
