//! # dbtoken-uniffi
//!
//! Swift and Kotlin bindings for [`dbtoken`], generated with uniffi (proc-macro mode).
//!
//! This crate is a thin layer: it converts types (`SystemTime` ⇄ Unix seconds, owned strings ⇄
//! borrowed ones), reads the system clock for the `…Now` conveniences and maps
//! [`dbtoken::Error`] to [`TokenError`]. It does **not** sign, validate, infer regions, cache by
//! itself or parse tokens: all of that is [`dbtoken`]'s.
//!
//! Foreign names (see `bindings/README.md`):
//!
//! | Rust | Kotlin | Swift |
//! |---|---|---|
//! | [`Credentials`] | `Credentials` (`toString()` redacts secrets) | `Credentials` (`description` redacts secrets) |
//! | [`TokenTarget`], [`TokenRequest`] | `TokenTarget.Rds(…)`, `TokenRequest(…)` | `.rds(hostname:port:username:)`, `TokenRequest(…)` |
//! | [`generate_token`] / [`generate_token_now`] | `generateToken(request, signingTime)` | `generateToken(request:signingTime:)` |
//! | [`TokenCache`] | `TokenCache(refreshMarginSeconds)` | `TokenCache(refreshMarginSeconds:)` |
//! | [`inspect`], [`verify`] | `inspect(token)`, `verify(…)` | `inspect(token:)`, `verify(…)` |
//! | [`TokenError`] | `TokenException` (`.code()`) | `TokenError` (`.code()`) |
//!
//! Points in time are `SystemTime` here, `java.time.Instant` in Kotlin and `Date` in Swift;
//! they are truncated to whole seconds. Durations (`expires_in`, the refresh margin) are seconds.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dbtoken::Error;
use zeroize::{Zeroize, Zeroizing};

uniffi::setup_scaffolding!();

// ------------------------------------------------------------------------------------- errors

/// Generates [`TokenError`] with one variant per core error and the two-way mapping.
macro_rules! token_error {
    ($($(#[$doc:meta])* $variant:ident,)*) => {
        /// Why a token could not be built, inspected or verified.
        ///
        /// One case per core error; `code()` is the stable,
        /// language-independent code (`"region_mismatch"`), the same string every dbtoken
        /// front end exposes. Kotlin names this type `TokenException`. Messages never contain
        /// inputs or secrets.
        #[derive(Clone, Copy, PartialEq, Eq, uniffi::Error)]
        #[uniffi::export(Display, Debug)]
        pub enum TokenError {
            $($(#[$doc])* $variant,)*
        }

        impl TokenError {
            /// The core error this case stands for.
            pub const fn to_core(self) -> Error {
                match self {
                    $(TokenError::$variant => Error::$variant,)*
                }
            }
        }

        impl From<Error> for TokenError {
            fn from(e: Error) -> Self {
                match e {
                    $(Error::$variant => TokenError::$variant,)*
                    // `dbtoken::Error` is `#[non_exhaustive]`, so a wildcard is required. This
                    // crate is built from the same workspace as the core and the test
                    // `every_core_error_has_its_own_case` fails when a core error lacks a case.
                    _ => TokenError::InvalidRequest,
                }
            }
        }
    };
}

token_error! {
    /// `empty_host`
    EmptyHost,
    /// `empty_user`
    EmptyUser,
    /// `empty_region`
    EmptyRegion,
    /// `empty_access_key_id`
    EmptyAccessKeyId,
    /// `empty_secret_access_key`
    EmptySecretAccessKey,
    /// `host_has_scheme`
    HostHasScheme,
    /// `host_has_path`
    HostHasPath,
    /// `host_has_query`
    HostHasQuery,
    /// `host_has_userinfo`
    HostHasUserinfo,
    /// `host_has_whitespace`
    HostHasWhitespace,
    /// `host_has_port`
    HostHasPort,
    /// `invalid_host`
    InvalidHost,
    /// `invalid_port`
    InvalidPort,
    /// `expiry_out_of_range`
    ExpiryOutOfRange,
    /// `invalid_region`
    InvalidRegion,
    /// `region_mismatch`
    RegionMismatch,
    /// `region_required`
    RegionRequired,
    /// `credentials_expired`
    CredentialsExpired,
    /// `invalid_signing_time`
    InvalidSigningTime,
    /// `buffer_too_small`
    BufferTooSmall,
    /// `invalid_request`
    InvalidRequest,
    /// `malformed_token`
    MalformedToken,
    /// `signature_mismatch`
    SignatureMismatch,
    /// `token_expired`
    TokenExpired,
    /// `token_not_yet_valid`
    TokenNotYetValid,
    /// `credentials_unavailable`
    CredentialsUnavailable,
}

#[uniffi::export]
impl TokenError {
    /// The stable error code, e.g. `"region_mismatch"`.
    pub fn code(&self) -> String {
        self.to_core().code().to_owned()
    }

    /// A one-sentence explanation with the fix (no inputs, no secrets).
    pub fn message(&self) -> String {
        self.to_core().message().to_owned()
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.to_core().code(), self.to_core().message())
    }
}

/// Swift's `localizedDescription` and `debugDescription` come from here: code and message.
impl fmt::Debug for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenError")
            .field("code", &self.to_core().code())
            .field("message", &self.to_core().message())
            .finish()
    }
}

impl std::error::Error for TokenError {}

/// Every error code the core defines, in declaration order.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    dbtoken::error_codes().map(str::to_owned).collect()
}

// --------------------------------------------------------------------------------------- time

fn unix_seconds(t: SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// A signing time as Unix seconds; before 1970 is out of the supported range.
fn signing_seconds(t: SystemTime) -> Result<u64, TokenError> {
    unix_seconds(t).ok_or(TokenError::InvalidSigningTime)
}

fn system_now() -> Result<u64, TokenError> {
    signing_seconds(SystemTime::now())
}

fn to_system_time(seconds: u64) -> SystemTime {
    // Times the core hands back are at most year 9999, far inside SystemTime's range.
    UNIX_EPOCH
        .checked_add(Duration::from_secs(seconds))
        .unwrap_or(UNIX_EPOCH)
}

// -------------------------------------------------------------------------------- credentials

/// AWS credentials. `toString()` (Kotlin) and `description` (Swift) show the access key id only;
/// the secret access key and the session token are never shown and are wiped from memory when
/// the object is freed.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expires_at: Option<u64>,
}

impl Credentials {
    fn core(&self) -> dbtoken::Credentials<'_> {
        dbtoken::Credentials {
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            session_token: self.session_token.as_ref().map(|t| t.as_str()),
            expires_at: self.expires_at,
        }
    }
}

#[uniffi::export]
impl Credentials {
    /// Credentials to sign with. `session_token` is required for temporary (`ASIA…`) keys (an
    /// empty one counts as none); `expires_at` is when they expire: a token never outlives them.
    #[uniffi::constructor(default(session_token = None, expires_at = None))]
    pub fn new(
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expires_at: Option<SystemTime>,
    ) -> Self {
        Credentials {
            access_key_id: utf8(access_key_id),
            secret_access_key: Zeroizing::new(utf8(secret_access_key)),
            session_token: session_token.map(Zeroizing::new),
            // Before 1970 means long expired.
            expires_at: expires_at.map(|t| unix_seconds(t).unwrap_or(0)),
        }
    }

    /// The access key id (`AKIA…` or `ASIA…`).
    pub fn access_key_id(&self) -> String {
        self.access_key_id.clone()
    }

    /// `true` when a non-empty session token is present.
    pub fn has_session_token(&self) -> bool {
        self.core().session_token().is_some()
    }

    /// When the credentials expire, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at.map(to_system_time)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.core(), f)
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.core(), f)
    }
}

// ------------------------------------------------------------------------------------ request

/// The four kinds of IAM auth token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TokenKind {
    /// RDS, Aurora and RDS Proxy (service `rds-db`).
    Rds,
    /// Aurora DSQL (service `dsql`).
    Dsql,
    /// ElastiCache (service `elasticache`).
    Elasticache,
    /// MemoryDB (service `memorydb`).
    Memorydb,
}

impl From<dbtoken::Kind> for TokenKind {
    fn from(k: dbtoken::Kind) -> Self {
        match k {
            dbtoken::Kind::Rds => TokenKind::Rds,
            dbtoken::Kind::Dsql => TokenKind::Dsql,
            dbtoken::Kind::ElastiCache => TokenKind::Elasticache,
            dbtoken::Kind::MemoryDb => TokenKind::Memorydb,
        }
    }
}

/// What the token is for.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum TokenTarget {
    /// RDS / Aurora / RDS Proxy: bare endpoint, port and database user.
    Rds {
        /// `mydb.abc123.us-east-1.rds.amazonaws.com` (no scheme, no port).
        hostname: String,
        /// The port the database listens on.
        port: u16,
        /// The database user.
        username: String,
    },
    /// Aurora DSQL cluster endpoint; `admin` selects `DbConnectAdmin`.
    Dsql {
        /// `abc….dsql.us-east-1.on.aws`.
        hostname: String,
        /// Connect as the `admin` role.
        admin: bool,
    },
    /// ElastiCache (Valkey / Redis OSS) IAM auth.
    Elasticache {
        /// Replication group id or serverless cache name.
        cache_name: String,
        /// The ElastiCache user id.
        user_id: String,
        /// A serverless cache.
        serverless: bool,
    },
    /// MemoryDB IAM auth.
    Memorydb {
        /// The cluster name.
        cluster_name: String,
        /// The MemoryDB user name.
        user: String,
    },
}

/// Everything a token is computed from, except the signing time.
#[derive(Clone, Debug, uniffi::Record)]
pub struct TokenRequest {
    /// The database or cache.
    pub target: TokenTarget,
    /// The credentials to sign with.
    pub credentials: Arc<Credentials>,
    /// The region; `None` reads it from an AWS endpoint host name.
    #[uniffi(default = None)]
    pub region: Option<String>,
    /// Requested lifetime in seconds (1–900; DSQL 1–604,800), clamped to the credentials' expiry.
    #[uniffi(default = 900)]
    pub expires_in: u32,
}

impl TokenTarget {
    fn core(&self) -> dbtoken::Target<'_> {
        match self {
            TokenTarget::Rds {
                hostname,
                port,
                username,
            } => dbtoken::Target::Rds {
                hostname,
                port: *port,
                username,
            },
            TokenTarget::Dsql { hostname, admin } => dbtoken::Target::Dsql {
                hostname,
                admin: *admin,
            },
            TokenTarget::Elasticache {
                cache_name,
                user_id,
                serverless,
            } => dbtoken::Target::ElastiCache {
                cache_name,
                user_id,
                serverless: *serverless,
            },
            TokenTarget::Memorydb { cluster_name, user } => {
                dbtoken::Target::MemoryDb { cluster_name, user }
            }
        }
    }
}

impl TokenRequest {
    fn core(&self, signing_time: u64) -> dbtoken::TokenRequest<'_> {
        dbtoken::TokenRequest {
            target: self.target.core(),
            credentials: self.credentials.core(),
            region: self.region.as_deref(),
            expires_in: self.expires_in,
            signing_time,
        }
    }
}

// -------------------------------------------------------------------------------------- token

/// A signed token with what was decided while signing it. `toString()` / `description` show
/// the kind, region and expiry but never the text (it embeds the session token): call `text()`.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct AuthToken(dbtoken::OwnedToken);

#[uniffi::export]
impl AuthToken {
    /// The token: the password to connect with.
    pub fn text(&self) -> String {
        self.0.token.clone()
    }
    /// The token kind.
    pub fn kind(&self) -> TokenKind {
        self.0.kind.into()
    }
    /// The region it was signed for (given, or read from the host).
    pub fn region(&self) -> String {
        self.0.region.clone()
    }
    /// The signing time.
    pub fn signing_time(&self) -> SystemTime {
        to_system_time(self.0.signing_time)
    }
    /// `X-Amz-Expires` as written (seconds; clamped to the credentials' expiry).
    pub fn expires_in(&self) -> u32 {
        self.0.expires_in
    }
    /// When the token stops working.
    pub fn expires_at(&self) -> SystemTime {
        to_system_time(self.0.expires_at)
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Signs a token for `request` at `signing_time`.
#[uniffi::export]
pub fn generate_token(
    request: TokenRequest,
    signing_time: SystemTime,
) -> Result<Arc<AuthToken>, TokenError> {
    let req = request.core(signing_seconds(signing_time)?);
    Ok(Arc::new(AuthToken(dbtoken::Signer::new().token(&req)?)))
}

/// Signs a token for `request` now (system clock).
#[uniffi::export]
pub fn generate_token_now(request: TokenRequest) -> Result<Arc<AuthToken>, TokenError> {
    let req = request.core(system_now()?);
    Ok(Arc::new(AuthToken(dbtoken::Signer::new().token(&req)?)))
}

// -------------------------------------------------------------------------------------- cache

/// Hands out the same token until `refresh_margin_seconds` before it expires, then signs a new
/// one (see `dbtoken::TokenCache`). A token is reused only for the very same request; no secret
/// is kept in the cache. Safe to share between threads.
#[derive(uniffi::Object)]
#[uniffi::export(Display, Debug)]
pub struct TokenCache {
    cache: Mutex<dbtoken::TokenCache>,
    flight: Flight,
}

impl TokenCache {
    fn lock(&self) -> MutexGuard<'_, dbtoken::TokenCache> {
        // The cache holds no invariant a panic could break; a poisoned lock is still usable.
        relock(self.cache.lock())
    }
}

fn relock<T>(r: std::sync::LockResult<MutexGuard<'_, T>>) -> MutexGuard<'_, T> {
    r.unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Seconds a cached token must still be valid for to be returned while the credentials
/// provider fails (`dbtoken::cache::OUTAGE_FLOOR`).
#[uniffi::export]
pub fn outage_floor_seconds() -> u64 {
    dbtoken::cache::OUTAGE_FLOOR
}

/// Where credentials come from for [`TokenCache::get_from`]: implemented in Kotlin or Swift
/// (an instance profile, a vault, a refreshing STS session). Throwing (any exception) means the
/// source failed.
#[uniffi::export(with_foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// The current credentials.
    fn credentials(&self) -> Result<Arc<Credentials>, ProviderError>;
}

/// A provider that always returns `credentials` (static keys; tests).
#[uniffi::export]
pub fn fixed_credentials_provider(credentials: Arc<Credentials>) -> Arc<dyn CredentialsProvider> {
    Arc::new(FixedCredentials(credentials))
}

struct FixedCredentials(Arc<Credentials>);

impl CredentialsProvider for FixedCredentials {
    fn credentials(&self) -> Result<Arc<Credentials>, ProviderError> {
        Ok(self.0.clone())
    }
}

/// A [`CredentialsProvider`] failure (Kotlin `ProviderException`). Its reason is not kept: the
/// cache answers with `credentials_unavailable` (or a cached token).
#[derive(Debug, uniffi::Error)]
pub enum ProviderError {
    /// The provider could not deliver credentials.
    Failed {
        /// Why (for the provider's own logs).
        reason: String,
    },
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::Failed { reason } => write!(f, "credentials provider failed: {reason}"),
        }
    }
}

impl std::error::Error for ProviderError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for ProviderError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ProviderError::Failed { reason: e.reason }
    }
}

/// One provider call at a time: threads that arrive while it runs wait for it and share its
/// outcome. The outcome lives in a slot shared by that call's waiters only, so the credentials
/// are freed (and wiped) when the last of them is done.
#[derive(Default)]
struct Flight {
    current: Mutex<Option<Arc<Slot>>>,
}

type Outcome = Result<Arc<Credentials>, ()>;

#[derive(Default)]
struct Slot {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

impl Flight {
    fn call(&self, provider: &dyn CredentialsProvider) -> Outcome {
        let (slot, leader) = {
            let mut current = relock(self.current.lock());
            match &*current {
                Some(slot) => (slot.clone(), false),
                None => {
                    let slot = Arc::new(Slot::default());
                    *current = Some(slot.clone());
                    (slot, true)
                }
            }
        };
        if leader {
            let outcome = provider.credentials().map_err(|_| ());
            *relock(slot.outcome.lock()) = Some(outcome.clone());
            *relock(self.current.lock()) = None;
            slot.done.notify_all();
            return outcome;
        }
        let mut outcome = relock(slot.outcome.lock());
        loop {
            if let Some(o) = &*outcome {
                return o.clone();
            }
            outcome = slot
                .done
                .wait(outcome)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

#[uniffi::export]
impl TokenCache {
    /// A cache that refreshes `refresh_margin_seconds` (default 30) before expiry.
    #[uniffi::constructor(default(refresh_margin_seconds = 30))]
    pub fn new(refresh_margin_seconds: u64) -> Self {
        TokenCache {
            cache: Mutex::new(dbtoken::TokenCache::new(refresh_margin_seconds)),
            flight: Flight::default(),
        }
    }

    /// The token for `request` at `now`: the cached one while it has more than the margin left,
    /// else a new one signed at `now`.
    pub fn get(
        &self,
        request: TokenRequest,
        now: SystemTime,
    ) -> Result<Arc<AuthToken>, TokenError> {
        let now = signing_seconds(now)?;
        let token = self.lock().get(&request.core(now), now)?.clone();
        Ok(Arc::new(AuthToken(token)))
    }

    /// `get` at the current system time.
    pub fn get_now(&self, request: TokenRequest) -> Result<Arc<AuthToken>, TokenError> {
        self.get(request, SystemTime::now())
    }

    /// The token for `target` at `now` with credentials from `provider`, which is called on
    /// every call, but once for all the threads that call while it runs (they share its result).
    /// When the provider fails, the cached token for the same target, region and expiry is
    /// returned while it was signed at or before `now` and is valid for `outage_floor_seconds()`
    /// (5) more seconds; otherwise `credentials_unavailable`.
    #[uniffi::method(default(region = None, expires_in = 900))]
    pub fn get_from(
        &self,
        target: TokenTarget,
        provider: Arc<dyn CredentialsProvider>,
        now: SystemTime,
        region: Option<String>,
        expires_in: u32,
    ) -> Result<Arc<AuthToken>, TokenError> {
        let now = signing_seconds(now)?;
        let provided = self.flight.call(&*provider);
        let unknown = Credentials::new(String::new(), String::new(), None, None);
        let creds = provided.as_ref().map_or(&unknown, |c| &**c);
        let req = dbtoken::TokenRequest {
            target: target.core(),
            credentials: creds.core(),
            region: region.as_deref(),
            expires_in,
            signing_time: now,
        };
        let mut cache = self.lock();
        let token = match provided {
            Ok(_) => cache.get(&req, now)?,
            Err(()) => cache.get_in_outage(&req, now)?,
        };
        Ok(Arc::new(AuthToken(token.clone())))
    }

    /// Forgets the cached token.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The refresh margin in seconds.
    pub fn refresh_margin_seconds(&self) -> u64 {
        self.lock().refresh_margin()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.lock(), f)
    }
}

impl fmt::Display for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.lock(), f)
    }
}

// ------------------------------------------------------------------------------------ inspect

/// The parts of a token (see `inspect`). Holds nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct TokenInfo {
    /// Which kind of token (from the service in the credential scope).
    pub kind: TokenKind,
    /// The host as written in the token.
    pub host: String,
    /// The port, if the authority has one (RDS tokens must).
    pub port: Option<u16>,
    /// `Action` (`connect`, `DbConnect`, `DbConnectAdmin`).
    pub action: String,
    /// `DBUser` or `User`, decoded.
    pub user: Option<String>,
    /// `ResourceType=ServerlessCache` present.
    pub serverless: bool,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// The access key id, decoded.
    pub access_key_id: String,
    /// The signing time.
    pub signing_time: SystemTime,
    /// `X-Amz-Expires` (seconds).
    pub expires_in: u32,
    /// `signing_time + expires_in`.
    pub expires_at: SystemTime,
    /// `X-Amz-Security-Token` present (temporary credentials).
    pub has_session_token: bool,
    /// The hex signature.
    pub signature: String,
    /// Whether the region named by the host (an AWS endpoint) equals the scope's region; `None`
    /// when the host names no region.
    pub host_region_matches: Option<bool>,
    /// A temporary (`ASIA…`) key without a session token: AWS will reject the token.
    pub temporary_key_without_session_token: bool,
    /// An RDS token without a port: RDS will reject it.
    pub missing_port: bool,
}

impl From<dbtoken::TokenInfo<'_>> for TokenInfo {
    fn from(i: dbtoken::TokenInfo<'_>) -> Self {
        TokenInfo {
            kind: i.kind.into(),
            host: i.host.to_owned(),
            port: i.port,
            action: i.action.to_owned(),
            user: i.user.map(|u| u.decode()),
            serverless: i.serverless,
            region: i.region.to_owned(),
            service: i.service.to_owned(),
            access_key_id: i.access_key_id.decode(),
            signing_time: to_system_time(i.signing_time),
            expires_in: i.expires_in,
            expires_at: to_system_time(i.expires_at),
            has_session_token: i.has_session_token,
            signature: i.signature.to_owned(),
            host_region_matches: i.host_region_matches(),
            temporary_key_without_session_token: i.temporary_key_without_session_token(),
            missing_port: i.missing_port(),
        }
    }
}

/// uniffi 0.32 lifts top-level `String` arguments without checking their UTF-8 (fields of records
/// and options are checked). Swift and Kotlin cannot produce such strings, but a C caller can:
/// every top-level string goes through here, so invalid bytes become U+FFFD (and then fail the
/// core's checks, or sign with a different key) instead of reaching code that assumes UTF-8.
fn utf8(s: String) -> String {
    if std::str::from_utf8(s.as_bytes()).is_ok() {
        s
    } else {
        let fixed = String::from_utf8_lossy(s.as_bytes()).into_owned();
        let mut bytes = s.into_bytes();
        bytes.zeroize();
        fixed
    }
}

/// Parses a token (any parameter order) without checking its signature.
#[uniffi::export]
pub fn inspect(token: String) -> Result<TokenInfo, TokenError> {
    let token = utf8(token);
    Ok(dbtoken::inspect(&token)?.into())
}

/// Recomputes the signature of `token` with `secret_access_key` and checks that it is valid at
/// `now` (for local emulators of IAM database authentication, and tests).
#[uniffi::export]
pub fn verify(
    token: String,
    secret_access_key: String,
    now: SystemTime,
) -> Result<TokenInfo, TokenError> {
    let token = utf8(token);
    let secret = Zeroizing::new(utf8(secret_access_key));
    // Before 1970: every token is "not yet valid".
    let now = unix_seconds(now).unwrap_or(0);
    Ok(dbtoken::verify(&token, &secret, now)?.into())
}

/// `verify` at the current system time.
#[uniffi::export]
pub fn verify_now(token: String, secret_access_key: String) -> Result<TokenInfo, TokenError> {
    verify(token, secret_access_key, SystemTime::now())
}

/// Percent-encodes `input` (RFC 3986) for a connection URL (`postgresql://user:TOKEN@host/db`).
#[uniffi::export]
pub fn url_encode(input: String) -> String {
    dbtoken::url_encode_string(&utf8(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_has_its_own_case() {
        for e in Error::ALL {
            let mine = TokenError::from(e);
            assert_eq!(mine.to_core(), e);
            assert_eq!(mine.code(), e.code());
        }
        assert_eq!(error_codes().len(), Error::ALL.len());
    }

    #[test]
    fn secrets_stay_hidden() {
        let c = Credentials::new(
            "AKIDEXAMPLE".into(),
            "SECRETSECRET".into(),
            Some("SESSIONTOKEN".into()),
            None,
        );
        for s in [format!("{c}"), format!("{c:?}")] {
            assert!(s.contains("AKIDEXAMPLE"), "{s}");
            assert!(
                !s.contains("SECRETSECRET") && !s.contains("SESSIONTOKEN"),
                "{s}"
            );
        }
        let req = TokenRequest {
            target: TokenTarget::Rds {
                hostname: "db.example.com".into(),
                port: 5432,
                username: "u".into(),
            },
            credentials: Arc::new(c),
            region: Some("us-east-1".into()),
            expires_in: 900,
        };
        let t = generate_token(req, to_system_time(1_705_322_096)).unwrap();
        assert!(t.text().contains("SESSIONTOKEN"));
        for s in [format!("{t}"), format!("{t:?}")] {
            assert!(
                !s.contains("SESSIONTOKEN") && !s.contains("X-Amz-Signature"),
                "{s}"
            );
        }
    }
}
