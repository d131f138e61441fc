//! Credentials and region from the AWS SDK's own chain (`aws-config`).
//!
//! Nothing here reads a credentials file or talks to a metadata service by itself: every source
//! is an `aws-config` provider. The only addition is the order of the fast path: the environment
//! provider is asked first, so that a run with keys in the environment never builds the full
//! chain (which looks up the region and prepares IMDS, ECS and STS clients).

use std::env;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::Region;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::default_provider::region::DefaultRegionChain;
use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;

use crate::CliError;

/// How long the default chain may take (region lookup included) before `no_credentials`. A
/// metadata endpoint that accepts the connection and never answers would otherwise hold the
/// command for about 17 s (aws-config's ECS provider: 5 s read timeout, three attempts; these
/// timeouts are not configurable from outside aws-config).
pub const CHAIN_TIMEOUT: Duration = Duration::from_secs(4);

/// Where the credentials come from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// `--profile NAME`: only that profile (as the AWS CLI does, it overrides environment keys).
    pub profile: Option<String>,
    /// `--region`, handed to providers that call AWS (STS for web identity / assume role).
    pub region: Option<String>,
}

/// Loads credentials: the given profile, or the default chain (environment first).
pub async fn load(source: &Source) -> Result<Credentials, CliError> {
    if let Some(profile) = &source.profile {
        let conf = ProviderConfig::default().with_region(source.region.clone().map(Region::new));
        let provider = ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .configure(&conf)
            .build();
        return provider
            .provide_credentials()
            .await
            .map_err(|e| no_credentials(source, &e));
    }
    // The environment provider treats a variable that is not UTF-8 as unset: a temporary key
    // would then be signed without its session token, and AWS would refuse the token.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if matches!(env::var(var), Err(env::VarError::NotUnicode(_))) {
            return Err(CliError::new(
                "invalid_credentials",
                format!("{var} is not valid UTF-8 (a stray byte from a file or a shell?)"),
            ));
        }
    }
    // Fast path: keys in the environment (the first link of the default chain anyway).
    if let Ok(c) = EnvironmentVariableCredentialsProvider::new()
        .provide_credentials()
        .await
    {
        return Ok(c);
    }
    let mut chain = DefaultCredentialsChain::builder();
    if let Some(r) = &source.region {
        chain = chain.region(Region::new(r.clone()));
    }
    let resolve = async { chain.build().await.provide_credentials().await };
    match tokio::time::timeout(CHAIN_TIMEOUT, resolve).await {
        Ok(result) => result.map_err(|e| no_credentials(source, &e)),
        Err(_) => Err(no_credentials(
            source,
            &CredentialsError::provider_timed_out(CHAIN_TIMEOUT),
        )),
    }
}

/// The region of the profile / environment (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's
/// `region`, then IMDS), as the SDKs resolve it.
pub async fn default_region(profile: Option<&str>) -> Option<String> {
    let mut b = DefaultRegionChain::builder();
    if let Some(p) = profile {
        b = b.profile_name(p);
    }
    b.build().region().await.map(|r| r.as_ref().to_owned())
}

fn home() -> String {
    env::var_os("HOME")
        .map(|h| PathBuf::from(h).display().to_string())
        .unwrap_or_else(|| "~".to_owned())
}

fn file_var(var: &str, default: &str) -> String {
    match env::var_os(var).filter(|v| !v.is_empty()) {
        Some(p) => format!("{} (${var})", PathBuf::from(p).display()),
        None => format!("{}/{default}", home()),
    }
}

/// The error message: what was tried, where, and what the last source said.
fn no_credentials(source: &Source, err: &CredentialsError) -> CliError {
    let config = file_var("AWS_CONFIG_FILE", ".aws/config");
    let credentials = file_var("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    let mut msg = String::new();
    match &source.profile {
        Some(p) => {
            msg.push_str(&format!(
                "no usable AWS credentials from profile '{p}' (--profile). Tried: the profile in {config} and {credentials} \
                 (static keys, role assumption, SSO, credential_process, web identity)"
            ));
        }
        None => {
            let profile = env::var("AWS_PROFILE")
                .ok()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".to_owned());
            let imds = if env::var("AWS_EC2_METADATA_DISABLED")
                .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
            {
                " (disabled by AWS_EC2_METADATA_DISABLED)"
            } else {
                ""
            };
            msg.push_str(&format!(
                "no usable AWS credentials. Tried, in order:\n  \
                 1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)\n  \
                 2. profile '{profile}' in {config} and {credentials} (static keys, role assumption, SSO, credential_process)\n  \
                 3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN\n  \
                 4. ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI\n  \
                 5. EC2 instance metadata (IMDSv2){imds}"
            ));
        }
    }
    msg.push_str("\n  last error: ");
    msg.push_str(&describe(err));
    CliError::new("no_credentials", msg)
}

/// The error and its sources, one after the other. `aws-config` errors name files, variables
/// and HTTP statuses, never key material.
fn describe(err: &CredentialsError) -> String {
    let mut out = err.to_string();
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(err);
    let mut depth = 0;
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    out
}
