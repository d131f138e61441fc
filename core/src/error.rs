//! The one error type, with a stable code per variant.

use core::fmt;

/// Everything that can go wrong when building, inspecting or verifying a token.
///
/// Each variant has a stable [`code`](Error::code): the same string in every language dbtoken
/// ships for (Python `TokenError.code`, JavaScript `TokenError.code`, Kotlin/Swift
/// `TokenError.code`, CLI `error[CODE]`). Messages are static: they never contain the input
/// (a host or user name can be sensitive) and never a secret.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// The host (endpoint, cache name or cluster name) is empty.
    EmptyHost,
    /// The database user name (or ElastiCache user id) is empty.
    EmptyUser,
    /// A region was given but it is the empty string.
    EmptyRegion,
    /// The access key id is empty.
    EmptyAccessKeyId,
    /// The secret access key is empty.
    EmptySecretAccessKey,
    /// The host starts with a scheme such as `https://` or `postgres://`.
    HostHasScheme,
    /// The host contains a path (`/`).
    HostHasPath,
    /// The host contains a query or fragment (`?`, `#`).
    HostHasQuery,
    /// The host contains user information (`user@`).
    HostHasUserinfo,
    /// The host contains whitespace or a control character.
    HostHasWhitespace,
    /// The host carries a `:port`; the port is a separate argument (or none for this kind).
    HostHasPort,
    /// The host contains a character that no DNS name or bracketed IP literal has.
    InvalidHost,
    /// The port is 0 (or, in a front end, outside 1–65535).
    InvalidPort,
    /// The expiry is 0 or above the service's maximum (900 s; 604,800 s for DSQL).
    ExpiryOutOfRange,
    /// The region is not shaped like an AWS region (`us-east-1`).
    InvalidRegion,
    /// The region contradicts the region named by the AWS endpoint host.
    RegionMismatch,
    /// No region was given and none can be read from the host.
    RegionRequired,
    /// The credentials expire at or before the signing time.
    CredentialsExpired,
    /// The signing time is past the year 9999.
    InvalidSigningTime,
    /// The output buffer is too small for the token.
    BufferTooSmall,
    /// A generic presign request is malformed (bad method, reserved or too many parameters).
    InvalidRequest,
    /// The text is not a presigned IAM auth token.
    MalformedToken,
    /// The token's signature does not match the secret access key.
    SignatureMismatch,
    /// The token is past its expiry.
    TokenExpired,
    /// The token's signing time is in the future.
    TokenNotYetValid,
    /// The credentials source failed and no cached token for the same target is still valid
    /// for [`OUTAGE_FLOOR`](crate::cache::OUTAGE_FLOOR) seconds (raised by the front ends'
    /// caches, which name the source and chain its error).
    CredentialsUnavailable,
}

impl Error {
    /// Every variant, in declaration order (for tests and bindings that list the codes).
    pub const ALL: [Error; 26] = [
        Error::EmptyHost,
        Error::EmptyUser,
        Error::EmptyRegion,
        Error::EmptyAccessKeyId,
        Error::EmptySecretAccessKey,
        Error::HostHasScheme,
        Error::HostHasPath,
        Error::HostHasQuery,
        Error::HostHasUserinfo,
        Error::HostHasWhitespace,
        Error::HostHasPort,
        Error::InvalidHost,
        Error::InvalidPort,
        Error::ExpiryOutOfRange,
        Error::InvalidRegion,
        Error::RegionMismatch,
        Error::RegionRequired,
        Error::CredentialsExpired,
        Error::InvalidSigningTime,
        Error::BufferTooSmall,
        Error::InvalidRequest,
        Error::MalformedToken,
        Error::SignatureMismatch,
        Error::TokenExpired,
        Error::TokenNotYetValid,
        Error::CredentialsUnavailable,
    ];

    /// The stable, language-independent identifier of this error (`snake_case`).
    pub const fn code(&self) -> &'static str {
        match self {
            Error::EmptyHost => "empty_host",
            Error::EmptyUser => "empty_user",
            Error::EmptyRegion => "empty_region",
            Error::EmptyAccessKeyId => "empty_access_key_id",
            Error::EmptySecretAccessKey => "empty_secret_access_key",
            Error::HostHasScheme => "host_has_scheme",
            Error::HostHasPath => "host_has_path",
            Error::HostHasQuery => "host_has_query",
            Error::HostHasUserinfo => "host_has_userinfo",
            Error::HostHasWhitespace => "host_has_whitespace",
            Error::HostHasPort => "host_has_port",
            Error::InvalidHost => "invalid_host",
            Error::InvalidPort => "invalid_port",
            Error::ExpiryOutOfRange => "expiry_out_of_range",
            Error::InvalidRegion => "invalid_region",
            Error::RegionMismatch => "region_mismatch",
            Error::RegionRequired => "region_required",
            Error::CredentialsExpired => "credentials_expired",
            Error::InvalidSigningTime => "invalid_signing_time",
            Error::BufferTooSmall => "buffer_too_small",
            Error::InvalidRequest => "invalid_request",
            Error::MalformedToken => "malformed_token",
            Error::SignatureMismatch => "signature_mismatch",
            Error::TokenExpired => "token_expired",
            Error::TokenNotYetValid => "token_not_yet_valid",
            Error::CredentialsUnavailable => "credentials_unavailable",
        }
    }

    /// A one-sentence explanation with the fix, never containing input values or secrets.
    pub const fn message(&self) -> &'static str {
        match self {
            Error::EmptyHost => {
                "the host name is empty: pass the database endpoint (or the cache/cluster name)"
            }
            Error::EmptyUser => "the database user name is empty",
            Error::EmptyRegion => {
                "the region is an empty string: pass a region such as us-east-1, or none to read it from the endpoint"
            }
            Error::EmptyAccessKeyId => "the access key id is empty",
            Error::EmptySecretAccessKey => "the secret access key is empty",
            Error::HostHasScheme => {
                "the host starts with a scheme (https://, postgres://): pass the bare endpoint, e.g. mydb.abc123.us-east-1.rds.amazonaws.com"
            }
            Error::HostHasPath => {
                "the host contains a path ('/'): pass the bare endpoint without a database name or path"
            }
            Error::HostHasQuery => {
                "the host contains a query or fragment ('?' or '#'): pass the bare endpoint"
            }
            Error::HostHasUserinfo => {
                "the host contains user information ('@'): pass the bare endpoint and the user name separately"
            }
            Error::HostHasWhitespace => {
                "the host contains whitespace or a control character (a stray newline from a file or shell?)"
            }
            Error::HostHasPort => {
                "the host contains ':port': pass the port as its own argument (Aurora DSQL, ElastiCache and MemoryDB take none); bracket IPv6 literals"
            }
            Error::InvalidHost => {
                "the host contains a character not allowed in a DNS name or IP literal: pass the bare endpoint"
            }
            Error::InvalidPort => {
                "the port is out of range: pass the port the database listens on (1 to 65535, e.g. 5432 or 3306)"
            }
            Error::ExpiryOutOfRange => {
                "the expiry is out of range: 1 to 900 seconds (Aurora DSQL: 1 to 604800)"
            }
            Error::InvalidRegion => {
                "the region is not an AWS region name (lower-case, like us-east-1 or us-gov-west-1)"
            }
            Error::RegionMismatch => {
                "the region contradicts the region in the endpoint host name: the token would be rejected"
            }
            Error::RegionRequired => {
                "no region given and none can be read from the host: pass the region"
            }
            Error::CredentialsExpired => {
                "the credentials expired at or before the signing time: refresh them"
            }
            Error::InvalidSigningTime => {
                "the signing time is outside the supported range (up to 9999-12-31T23:59:59Z)"
            }
            Error::BufferTooSmall => "the output buffer is too small for the token",
            Error::InvalidRequest => {
                "the request to presign is malformed (method, reserved X-Amz-* parameter, or too many parameters or headers)"
            }
            Error::MalformedToken => {
                "the text is not a presigned IAM auth token (host[:port]/?Action=...&X-Amz-Signature=...)"
            }
            Error::SignatureMismatch => {
                "the token's signature does not match: wrong secret, or the token was altered"
            }
            Error::TokenExpired => "the token has expired",
            Error::TokenNotYetValid => "the token's signing time is in the future",
            Error::CredentialsUnavailable => {
                "the credentials source failed and no cached token is still valid: check the source (the cause is attached)"
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for Error {}
