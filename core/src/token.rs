//! The token kinds: validation, the text, and the signature.

use core::fmt;

use crate::Error;
use sha2::Sha256;

use crate::sigv4::{self, CanonicalHasher, HmacSha256, KeyCache, Scope, Trace};
use crate::text::{self, Cursor, Decimal, amz_date, encoded_len};

/// AWS credentials, borrowed. `Debug` shows the access key id only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Credentials<'a> {
    /// `AKIA…` (long-term) or `ASIA…` (temporary).
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials. `Some("")` is treated as `None`.
    pub session_token: Option<&'a str>,
    /// When the credentials expire (Unix seconds). A token never outlives them.
    pub expires_at: Option<u64>,
}

impl<'a> Credentials<'a> {
    /// Long-term credentials.
    pub const fn new(access_key_id: &'a str, secret_access_key: &'a str) -> Self {
        Credentials {
            access_key_id,
            secret_access_key,
            session_token: None,
            expires_at: None,
        }
    }
    /// Adds a session token (temporary credentials).
    #[must_use]
    pub const fn with_session_token(mut self, session_token: &'a str) -> Self {
        self.session_token = Some(session_token);
        self
    }
    /// Sets when the credentials expire (Unix seconds).
    #[must_use]
    pub const fn with_expires_at(mut self, expires_at: u64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
    /// The session token, with an empty one treated as absent.
    pub fn session_token(&self) -> Option<&'a str> {
        self.session_token.filter(|t| !t.is_empty())
    }
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.access_key_id.is_empty() {
            return Err(Error::EmptyAccessKeyId);
        }
        if self.secret_access_key.is_empty() {
            return Err(Error::EmptySecretAccessKey);
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The four kinds of IAM auth token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// RDS, Aurora and RDS Proxy (service `rds-db`).
    Rds,
    /// Aurora DSQL (service `dsql`).
    Dsql,
    /// ElastiCache (service `elasticache`).
    ElastiCache,
    /// MemoryDB (service `memorydb`).
    MemoryDb,
}

impl Kind {
    /// The SigV4 service name.
    pub const fn service(self) -> &'static str {
        match self {
            Kind::Rds => "rds-db",
            Kind::Dsql => "dsql",
            Kind::ElastiCache => "elasticache",
            Kind::MemoryDb => "memorydb",
        }
    }
    /// The longest `X-Amz-Expires` the service accepts.
    pub const fn max_expires_in(self) -> u32 {
        match self {
            Kind::Dsql => 604_800,
            _ => 900,
        }
    }
    /// Lower-case name (`rds`, `dsql`, `elasticache`, `memorydb`).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Rds => "rds",
            Kind::Dsql => "dsql",
            Kind::ElastiCache => "elasticache",
            Kind::MemoryDb => "memorydb",
        }
    }
}

/// What the token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// RDS / Aurora / RDS Proxy: endpoint, port and database user.
    Rds {
        /// Bare endpoint: `mydb.abc123.us-east-1.rds.amazonaws.com`.
        hostname: &'a str,
        /// Port the database listens on.
        port: u16,
        /// Database user (encoded in the token for you).
        username: &'a str,
    },
    /// Aurora DSQL: cluster endpoint; `admin` selects `DbConnectAdmin`.
    Dsql {
        /// `abc….dsql.us-east-1.on.aws`.
        hostname: &'a str,
        /// Connect as the `admin` role.
        admin: bool,
    },
    /// ElastiCache (Valkey/Redis OSS) IAM auth.
    ElastiCache {
        /// Replication group id or serverless cache name (lower-cased in the token).
        cache_name: &'a str,
        /// The ElastiCache user id.
        user_id: &'a str,
        /// A serverless cache (adds `ResourceType=ServerlessCache`).
        serverless: bool,
    },
    /// MemoryDB IAM auth.
    MemoryDb {
        /// The cluster name (lower-cased in the token).
        cluster_name: &'a str,
        /// The MemoryDB user name.
        user: &'a str,
    },
}

impl Target<'_> {
    /// The token kind.
    pub const fn kind(&self) -> Kind {
        match self {
            Target::Rds { .. } => Kind::Rds,
            Target::Dsql { .. } => Kind::Dsql,
            Target::ElastiCache { .. } => Kind::ElastiCache,
            Target::MemoryDb { .. } => Kind::MemoryDb,
        }
    }
}

/// Default and most common expiry: 15 minutes.
pub const DEFAULT_EXPIRES_IN: u32 = 900;

/// Everything a token is computed from. Nothing here is read from the environment or a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRequest<'a> {
    /// The database or cache.
    pub target: Target<'a>,
    /// Credentials to sign with.
    pub credentials: Credentials<'a>,
    /// Region; `None` reads it from an AWS endpoint host name.
    pub region: Option<&'a str>,
    /// Requested lifetime in seconds (default 900); clamped to the credentials' expiry.
    pub expires_in: u32,
    /// Signing time, Unix seconds (UTC).
    pub signing_time: u64,
}

impl<'a> TokenRequest<'a> {
    /// A request for `target` signed at `signing_time` (Unix seconds), region from the host,
    /// 900 s expiry.
    pub const fn new(target: Target<'a>, credentials: Credentials<'a>, signing_time: u64) -> Self {
        TokenRequest {
            target,
            credentials,
            region: None,
            expires_in: DEFAULT_EXPIRES_IN,
            signing_time,
        }
    }
    /// RDS / Aurora / RDS Proxy.
    pub const fn rds(
        hostname: &'a str,
        port: u16,
        username: &'a str,
        credentials: Credentials<'a>,
        signing_time: u64,
    ) -> Self {
        Self::new(
            Target::Rds {
                hostname,
                port,
                username,
            },
            credentials,
            signing_time,
        )
    }
    /// Aurora DSQL (`admin`: `DbConnectAdmin`).
    pub const fn dsql(
        hostname: &'a str,
        admin: bool,
        credentials: Credentials<'a>,
        signing_time: u64,
    ) -> Self {
        Self::new(Target::Dsql { hostname, admin }, credentials, signing_time)
    }
    /// ElastiCache.
    pub const fn elasticache(
        cache_name: &'a str,
        user_id: &'a str,
        serverless: bool,
        credentials: Credentials<'a>,
        signing_time: u64,
    ) -> Self {
        Self::new(
            Target::ElastiCache {
                cache_name,
                user_id,
                serverless,
            },
            credentials,
            signing_time,
        )
    }
    /// MemoryDB.
    pub const fn memorydb(
        cluster_name: &'a str,
        user: &'a str,
        credentials: Credentials<'a>,
        signing_time: u64,
    ) -> Self {
        Self::new(
            Target::MemoryDb { cluster_name, user },
            credentials,
            signing_time,
        )
    }
    /// Sets the region.
    #[must_use]
    pub const fn with_region(mut self, region: &'a str) -> Self {
        self.region = Some(region);
        self
    }
    /// Sets the requested lifetime in seconds.
    #[must_use]
    pub const fn with_expires_in(mut self, expires_in: u32) -> Self {
        self.expires_in = expires_in;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

const C_OK: u8 = 0;
const C_AT: u8 = 1;
const C_PATH: u8 = 2;
const C_QUERY: u8 = 3;
const C_SPACE: u8 = 4;
const C_COLON: u8 = 5;
const C_OTHER: u8 = 6;

/// Character classes of host bytes, so that a host is checked in one pass.
#[allow(clippy::indexing_slicing)] // const evaluation: an out-of-range index fails the build
const HOST_CLASS: [u8; 256] = {
    let mut t = [C_OTHER; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' {
            C_OK
        } else if b == b'@' {
            C_AT
        } else if b == b'/' || b == b'\\' {
            C_PATH
        } else if b == b'?' || b == b'#' {
            C_QUERY
        } else if b <= b' ' || b == 0x7f {
            C_SPACE
        } else if b == b':' {
            C_COLON
        } else {
            C_OTHER
        };
        i += 1;
    }
    t
};

/// Checks that `host` is a bare DNS name, IPv4 address or bracketed IPv6 literal.
pub(crate) fn check_host(host: &[u8]) -> Result<(), Error> {
    if host.is_empty() {
        return Err(Error::EmptyHost);
    }
    let mut seen = 0u8;
    let mut colons = 0usize;
    let mut first_colon = 0usize;
    for (i, &b) in host.iter().enumerate() {
        let class = HOST_CLASS.get(usize::from(b)).copied().unwrap_or(C_OTHER);
        seen |= 1 << class;
        if class == C_COLON {
            if colons == 0 {
                first_colon = i;
            }
            colons += 1;
        }
    }
    if seen == 1 << C_OK {
        return Ok(());
    }
    let has = |class: u8| seen & (1 << class) != 0;
    if has(C_COLON) && has(C_PATH) && contains(host, b"://") {
        return Err(Error::HostHasScheme);
    }
    if has(C_AT) {
        return Err(Error::HostHasUserinfo);
    }
    if has(C_PATH) {
        return Err(Error::HostHasPath);
    }
    if has(C_QUERY) {
        return Err(Error::HostHasQuery);
    }
    if has(C_SPACE) {
        return Err(Error::HostHasWhitespace);
    }
    if let Some(rest) = host.strip_prefix(b"[") {
        let close = rest
            .iter()
            .position(|&b| b == b']')
            .ok_or(Error::InvalidHost)?;
        let (inner, after) = rest.split_at(close);
        let after = after.get(1..).unwrap_or(&[]);
        if !after.is_empty() {
            return Err(if after.first() == Some(&b':') {
                Error::HostHasPort
            } else {
                Error::InvalidHost
            });
        }
        let ok = inner.len() >= 2
            && inner.contains(&b':')
            && inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        return if ok { Ok(()) } else { Err(Error::InvalidHost) };
    }
    if colons == 1 && !has(C_OTHER) {
        let digits = host.get(first_colon + 1..).unwrap_or(&[]);
        if first_colon > 0 && !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::HostHasPort);
        }
    }
    Err(Error::InvalidHost)
}

/// `true` when `r` is shaped like an AWS region: `xx-name(-name)*-N`, lower-case.
pub(crate) fn is_region(r: &[u8]) -> bool {
    if r.len() < 4 || r.len() > 32 {
        return false;
    }
    let mut parts = r.split(|&b| b == b'-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=4).contains(&p.len()) && p.iter().all(u8::is_ascii_lowercase));
    let mut count = 1;
    let mut last: &[u8] = &[];
    let mut middle_ok = true;
    for p in parts {
        if count >= 2 && !last.iter().all(u8::is_ascii_lowercase) {
            middle_ok = false;
        }
        if p.is_empty() {
            return false;
        }
        last = p;
        count += 1;
    }
    first_ok && middle_ok && count >= 3 && last.len() <= 3 && last.iter().all(u8::is_ascii_digit)
}

fn strip_suffix_ci<'h>(host: &'h [u8], suffix: &[u8]) -> Option<&'h [u8]> {
    let cut = host.len().checked_sub(suffix.len())?;
    let (head, tail) = host.split_at(cut);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

fn split_last_label(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().rposition(|&b| b == b'.') {
        Some(i) => (s.get(..i).unwrap_or(&[]), s.get(i + 1..).unwrap_or(&[])),
        None => (&[], s),
    }
}

/// A region name, stored lower-cased.
#[derive(Clone, Copy)]
pub(crate) struct RegionBuf {
    buf: [u8; 32],
    len: usize,
}

impl RegionBuf {
    fn from_label(label: &[u8]) -> Option<Self> {
        if label.len() > 32 {
            return None;
        }
        let mut buf = [0u8; 32];
        for (d, s) in buf.iter_mut().zip(label) {
            *d = s.to_ascii_lowercase();
        }
        let r = RegionBuf {
            buf,
            len: label.len(),
        };
        is_region(r.as_bytes()).then_some(r)
    }
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// The region named by an AWS endpoint host, lower-cased:
/// `*.{region}.rds.amazonaws.com`, `*.rds.{region}.amazonaws.com.cn`, `*.dsql.{region}.on.aws`.
pub(crate) fn region_from_host(host: &[u8]) -> Option<RegionBuf> {
    if let Some(rest) = strip_suffix_ci(host, b".rds.amazonaws.com") {
        let (head, label) = split_last_label(rest);
        return if head.is_empty() {
            None
        } else {
            RegionBuf::from_label(label)
        };
    }
    if let Some(rest) = strip_suffix_ci(host, b".amazonaws.com.cn") {
        let (head, label) = split_last_label(rest);
        let (head2, service) = split_last_label(head);
        return (service.eq_ignore_ascii_case(b"rds") && !head2.is_empty())
            .then(|| RegionBuf::from_label(label))
            .flatten();
    }
    if let Some(rest) = strip_suffix_ci(host, b".on.aws") {
        let (head, label) = split_last_label(rest);
        let (head2, service) = split_last_label(head);
        return (service.eq_ignore_ascii_case(b"dsql") && !head2.is_empty())
            .then(|| RegionBuf::from_label(label))
            .flatten();
    }
    None
}

/// Resolves the signing region: explicit (checked against the host) or inferred from the host.
pub(crate) fn resolve_region(explicit: Option<&str>, host: &[u8]) -> Result<RegionBuf, Error> {
    let inferred = region_from_host(host);
    match explicit {
        Some("") => Err(Error::EmptyRegion),
        Some(r) => {
            if !is_region(r.as_bytes()) {
                return Err(Error::InvalidRegion);
            }
            match inferred {
                Some(i) if i.as_bytes() != r.as_bytes() => Err(Error::RegionMismatch),
                _ => RegionBuf::from_label(r.as_bytes()).ok_or(Error::InvalidRegion),
            }
        }
        None => inferred.ok_or(Error::RegionRequired),
    }
}

/// A validated request, ready to write.
pub(crate) struct Plan<'a> {
    pub(crate) kind: Kind,
    pub(crate) host: &'a [u8],
    pub(crate) port: Option<u16>,
    pub(crate) action: &'static [u8],
    pub(crate) serverless: bool,
    pub(crate) user: Option<(&'static [u8], &'a [u8])>,
    pub(crate) region: RegionBuf,
    pub(crate) expires_in: u32,
    pub(crate) signing_time: u64,
    pub(crate) date: [u8; 16],
    pub(crate) access_key_id: &'a [u8],
    pub(crate) secret: &'a [u8],
    pub(crate) session_token: Option<&'a [u8]>,
}

/// Host, port, action, serverless flag and the user parameter of a target.
type TargetParts<'a> = (
    &'a str,
    Option<u16>,
    &'static [u8],
    bool,
    Option<(&'static [u8], &'a str)>,
);

pub(crate) fn plan<'a>(req: &TokenRequest<'a>) -> Result<Plan<'a>, Error> {
    let creds = &req.credentials;
    creds.check()?;
    let kind = req.target.kind();
    let (host, port, action, serverless, user): TargetParts<'a> = match req.target {
        Target::Rds {
            hostname,
            port,
            username,
        } => (
            hostname,
            Some(port),
            b"connect",
            false,
            Some((b"DBUser", username)),
        ),
        Target::Dsql { hostname, admin } => (
            hostname,
            None,
            if admin {
                b"DbConnectAdmin"
            } else {
                b"DbConnect"
            },
            false,
            None,
        ),
        Target::ElastiCache {
            cache_name,
            user_id,
            serverless,
        } => (
            cache_name,
            None,
            b"connect",
            serverless,
            Some((b"User", user_id)),
        ),
        Target::MemoryDb { cluster_name, user } => {
            (cluster_name, None, b"connect", false, Some((b"User", user)))
        }
    };
    check_host(host.as_bytes())?;
    if user.is_some_and(|(_, u)| u.is_empty()) {
        return Err(Error::EmptyUser);
    }
    if port == Some(0) {
        return Err(Error::InvalidPort);
    }
    if req.expires_in == 0 || req.expires_in > kind.max_expires_in() {
        return Err(Error::ExpiryOutOfRange);
    }
    if req.signing_time > text::MAX_UNIX_TIME {
        return Err(Error::InvalidSigningTime);
    }
    let expires_in = clamp_expiry(req.expires_in, creds.expires_at, req.signing_time)?;
    let region = resolve_region(req.region, host.as_bytes())?;
    Ok(Plan {
        kind,
        host: host.as_bytes(),
        port,
        action,
        serverless,
        user: user.map(|(k, v)| (k, v.as_bytes())),
        region,
        expires_in,
        signing_time: req.signing_time,
        date: amz_date(req.signing_time),
        access_key_id: creds.access_key_id.as_bytes(),
        secret: creds.secret_access_key.as_bytes(),
        session_token: creds.session_token().map(str::as_bytes),
    })
}

/// `expires_in`, clamped to the credentials' remaining lifetime at `signing_time`.
pub(crate) fn clamp_expiry(
    expires_in: u32,
    cred_expires_at: Option<u64>,
    signing_time: u64,
) -> Result<u32, Error> {
    let Some(cred_expiry) = cred_expires_at else {
        return Ok(expires_in);
    };
    let left = cred_expiry
        .checked_sub(signing_time)
        .filter(|&l| l > 0)
        .ok_or(Error::CredentialsExpired)?;
    Ok(u32::try_from(left).map_or(expires_in, |l| l.min(expires_in)))
}

fn token_len_of(p: &Plan<'_>) -> usize {
    let mut n = p.host.len();
    if let Some(port) = p.port {
        n += 1 + Decimal::new(u64::from(port)).as_bytes().len();
    }
    n += "/?Action=".len() + p.action.len();
    if p.serverless {
        n += "&ResourceType=ServerlessCache".len();
    }
    if let Some((k, v)) = p.user {
        n += 2 + k.len() + encoded_len(v);
    }
    n += "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=".len()
        + encoded_len(p.access_key_id)
        + "%2FYYYYMMDD%2F".len()
        + p.region.as_bytes().len()
        + "%2F".len()
        + p.kind.service().len()
        + "%2Faws4_request".len();
    n += "&X-Amz-Date=YYYYMMDDTHHMMSSZ&X-Amz-Expires=".len()
        + Decimal::new(u64::from(p.expires_in)).as_bytes().len();
    n += "&X-Amz-SignedHeaders=host".len();
    if let Some(t) = p.session_token {
        n += "&X-Amz-Security-Token=".len() + encoded_len(t);
    }
    n + "&X-Amz-Signature=".len() + 64
}

/// The exact length of the token `req` produces (validating it on the way).
pub fn token_len(req: &TokenRequest<'_>) -> Result<usize, Error> {
    plan(req).map(|p| token_len_of(&p))
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/// A token written into a caller's buffer, with what was decided while writing it.
///
/// `Debug` does not print the token (it is a bearer credential for its lifetime).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token<'b> {
    text: &'b str,
    kind: Kind,
    region_at: (usize, usize),
    signing_time: u64,
    expires_in: u32,
    expires_at: u64,
}

impl<'b> Token<'b> {
    /// The token laid out by `layout` in `buf`.
    pub(crate) fn in_buf(
        buf: &'b [u8],
        layout: &Layout,
        kind: Kind,
        signing_time: u64,
        expires_in: u32,
    ) -> Result<Self, Error> {
        let text = buf
            .get(..layout.len())
            .and_then(|t| core::str::from_utf8(t).ok())
            .ok_or(Error::BufferTooSmall)?;
        Ok(Token {
            text,
            kind,
            region_at: layout.region,
            signing_time,
            expires_in,
            expires_at: signing_time.saturating_add(u64::from(expires_in)),
        })
    }

    /// `true` while this token may be handed out again at `now`: signed at or before `now`,
    /// with more than `refresh_margin` seconds left (the rule of [`TokenCache`](crate::TokenCache)
    /// and [`PreparedToken::refresh`](crate::PreparedToken::refresh)).
    pub(crate) fn fresh_at(
        signing_time: u64,
        expires_at: u64,
        now: u64,
        refresh_margin: u64,
    ) -> bool {
        now >= signing_time && now.saturating_add(refresh_margin) < expires_at
    }

    /// The token: `host[:port]/?Action=…&X-Amz-Signature=…`.
    pub fn as_str(&self) -> &'b str {
        self.text
    }
    /// The token kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The region it was signed for (explicit or read from the host).
    pub fn region(&self) -> &'b str {
        self.text
            .get(self.region_at.0..self.region_at.1)
            .unwrap_or("")
    }
    /// Signing time (Unix seconds).
    pub fn signing_time(&self) -> u64 {
        self.signing_time
    }
    /// `X-Amz-Expires` as written: the requested lifetime, clamped to the credentials' expiry.
    pub fn expires_in(&self) -> u32 {
        self.expires_in
    }
    /// When the token stops working (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

impl AsRef<str> for Token<'_> {
    fn as_ref(&self) -> &str {
        self.text
    }
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("kind", &self.kind)
            .field("region", &self.region())
            .field("signing_time", &self.signing_time)
            .field("expires_at", &self.expires_at)
            .field("len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// A token signer that caches the derived signing key.
///
/// The key depends only on (secret, date, region, service); while they stay the same, each token
/// costs two SHA-256 passes and no key derivation. Keep one `Signer` per thread (or behind a
/// lock); it holds no other state and never allocates.
#[derive(Debug, Default)]
pub struct Signer {
    cache: KeyCache,
}

impl Signer {
    /// A signer with an empty key cache.
    pub const fn new() -> Self {
        Signer {
            cache: KeyCache::new(),
        }
    }

    /// The key cache (statistics, clearing).
    pub fn cache_mut(&mut self) -> &mut KeyCache {
        &mut self.cache
    }

    /// Writes the token for `req` into `buf` (see [`token_len`] for the size needed).
    pub fn write_token<'b>(
        &mut self,
        req: &TokenRequest<'_>,
        buf: &'b mut [u8],
    ) -> Result<Token<'b>, Error> {
        self.write_token_traced(req, buf, &mut ())
    }

    /// [`write_token`](Self::write_token), showing the canonical request and the string to sign
    /// to `trace`.
    pub fn write_token_traced<'b, T: Trace + ?Sized>(
        &mut self,
        req: &TokenRequest<'_>,
        buf: &'b mut [u8],
        trace: &mut T,
    ) -> Result<Token<'b>, Error> {
        let p = plan(req)?;
        let (layout, _) = self.write_signed(&p, buf, trace, false)?;
        Token::in_buf(buf, &layout, p.kind, p.signing_time, p.expires_in)
    }

    /// Writes and signs the token of a validated request and returns where its parts are. With
    /// `keep`, also the canonical request's hash state after its time-independent prefix and
    /// the signing key (what [`PreparedToken`](crate::PreparedToken) re-signs with).
    pub(crate) fn write_signed<T: Trace + ?Sized>(
        &mut self,
        p: &Plan<'_>,
        buf: &mut [u8],
        trace: &mut T,
        keep: bool,
    ) -> Result<(Layout, Option<Kept>), Error> {
        let scope = Scope::new(&p.date, p.region.as_bytes(), p.kind.service().as_bytes());
        let (layout, h) = write_unsigned(p, &scope, buf, trace)?;
        let prefix = keep.then(|| h.state().clone());
        let (hash, trace) = hash_rest(h, buf, &layout);
        let key = self.cache.key(p.secret, &scope);
        let kept = prefix.map(|prefix| Kept {
            prefix,
            key: key.clone(),
            key_date: scope.date,
        });
        let sig = sigv4::signature(key, &p.date, &scope, &hash, trace);
        patch(buf, layout.signature(), &sig)?;
        Ok((layout, kept))
    }

    /// Presigns any HTTP request with this signer's key cache (see [`sigv4::presign`]).
    pub fn presign<'b, T: Trace + ?Sized>(
        &mut self,
        request: &sigv4::HttpRequest<'_>,
        credentials: &Credentials<'_>,
        options: &sigv4::PresignOptions<'_>,
        out: &'b mut [u8],
        trace: &mut T,
    ) -> Result<&'b str, Error> {
        sigv4::presign(&mut self.cache, request, credentials, options, out, trace)
    }

    /// The token as an owned string, with its expiry and region.
    #[cfg(feature = "alloc")]
    pub fn token(&mut self, req: &TokenRequest<'_>) -> Result<crate::OwnedToken, Error> {
        let len = token_len(req)?;
        let mut buf = alloc::vec![0u8; len];
        let t = self.write_token(req, &mut buf)?;
        let info = (
            t.kind,
            alloc::string::String::from(t.region()),
            t.signing_time,
            t.expires_in,
            t.expires_at,
            t.text.len(),
        );
        buf.truncate(info.5);
        let token = alloc::string::String::from_utf8(buf).map_err(|_| Error::InvalidHost)?;
        Ok(crate::OwnedToken {
            token,
            kind: info.0,
            region: info.1,
            signing_time: info.2,
            expires_in: info.3,
            expires_at: info.4,
        })
    }
}

/// What [`PreparedToken`](crate::PreparedToken) re-signs with: the canonical request's hash state
/// after its time-independent prefix, and the signing key with the date it was derived for.
pub(crate) struct Kept {
    pub(crate) prefix: Sha256,
    pub(crate) key: HmacSha256,
    pub(crate) key_date: [u8; 8],
}

/// Where the parts of a written token are (byte offsets into its text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// End of the signed `host` header value (`host[:port]`, without `:443`).
    pub(crate) signed_host_end: usize,
    /// Start of the query (`Action=…`).
    pub(crate) query_start: usize,
    /// The credential scope's `YYYYMMDD` in `X-Amz-Credential`.
    pub(crate) cred_date: usize,
    /// The region in `X-Amz-Credential`.
    pub(crate) region: (usize, usize),
    /// `X-Amz-Date`'s `YYYYMMDDTHHMMSSZ`.
    pub(crate) amz_date: usize,
    /// `X-Amz-Expires`' digits.
    pub(crate) expires: usize,
    /// `&X-Amz-SignedHeaders=host` (the end of the expiry's digits).
    pub(crate) signed_headers: usize,
    /// End of `&X-Amz-Security-Token=…` (which starts after the signed headers; empty without a
    /// session token).
    pub(crate) session_end: usize,
}

const SIGNED_HEADERS: &[u8] = b"&X-Amz-SignedHeaders=host";
const SIGNATURE: &[u8] = b"&X-Amz-Signature=";

impl Layout {
    pub(crate) fn session_start(&self) -> usize {
        self.signed_headers + SIGNED_HEADERS.len()
    }
    /// The signature's 64 hex digits.
    pub(crate) fn signature(&self) -> usize {
        self.session_end + SIGNATURE.len()
    }
    /// The length of the whole token.
    pub(crate) fn len(&self) -> usize {
        self.signature() + 64
    }
    /// Moves every offset from the signed headers on by `by` bytes.
    pub(crate) fn shift_tail(&mut self, by: isize) {
        self.signed_headers = self.signed_headers.wrapping_add_signed(by);
        self.session_end = self.session_end.wrapping_add_signed(by);
    }
}

/// Copies `bytes` into `buf` at `at`.
pub(crate) fn patch(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), Error> {
    buf.get_mut(at..at.saturating_add(bytes.len()))
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(bytes);
    Ok(())
}

/// Writes the token text (with room for the signature) and hashes the canonical request's
/// prefix that does not depend on the signing time: `GET\n/\n` and the query up to the
/// credential scope's date.
fn write_unsigned<'t, T: Trace + ?Sized>(
    p: &Plan<'_>,
    scope: &Scope<'_>,
    buf: &mut [u8],
    trace: &'t mut T,
) -> Result<(Layout, CanonicalHasher<'t, T>), Error> {
    let mut out = Cursor::new(buf);

    out.put_lower(p.host)?;
    let host_end = out.pos();
    if let Some(port) = p.port {
        out.put(b":")?;
        out.put(Decimal::new(u64::from(port)).as_bytes())?;
    }
    let signed_host_end = if p.port == Some(443) {
        host_end
    } else {
        out.pos()
    };
    out.put(b"/?")?;
    let query_start = out.pos();
    out.put(b"Action=")?;
    out.put(p.action)?;
    if p.serverless {
        out.put(b"&ResourceType=ServerlessCache")?;
    }
    if let Some((k, v)) = p.user {
        out.put(b"&")?;
        out.put(k)?;
        out.put(b"=")?;
        out.put_encoded(v)?;
    }
    out.put(b"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=")?;
    out.put_encoded(p.access_key_id)?;
    out.put(b"%2F")?;
    let cred_date = out.pos();
    out.put(&scope.date)?;
    out.put(b"%2F")?;
    let region_start = out.pos();
    out.put(scope.region)?;
    let region_end = out.pos();
    out.put(b"%2F")?;
    out.put(scope.service)?;
    out.put(b"%2Faws4_request&X-Amz-Date=")?;
    let amz_date = out.pos();
    out.put(&p.date)?;
    out.put(b"&X-Amz-Expires=")?;
    let expires = out.pos();
    out.put(Decimal::new(u64::from(p.expires_in)).as_bytes())?;
    let signed_headers = out.pos();
    out.put(SIGNED_HEADERS)?;
    if let Some(t) = p.session_token {
        out.put(b"&X-Amz-Security-Token=")?;
        out.put_encoded(t)?;
    }
    let session_end = out.pos();
    out.put(SIGNATURE)?;
    out.put(&[b'0'; 64])?;

    // Canonical request: the same bytes, with X-Amz-Security-Token in its sorted place.
    let mut h = CanonicalHasher::new(trace);
    h.put(b"GET\n/\n");
    h.put(out.slice(query_start, cred_date));
    let layout = Layout {
        signed_host_end,
        query_start,
        cred_date,
        region: (region_start, region_end),
        amz_date,
        expires,
        signed_headers,
        session_end,
    };
    Ok((layout, h))
}

/// Hashes the rest of the canonical request of the token in `text` (see [`write_unsigned`]).
pub(crate) fn hash_rest<'t, T: Trace + ?Sized>(
    mut h: CanonicalHasher<'t, T>,
    text: &[u8],
    l: &Layout,
) -> ([u8; 32], &'t mut T) {
    let part = |from: usize, to: usize| text.get(from..to).unwrap_or(&[]);
    h.put(part(l.cred_date, l.signed_headers));
    h.put(part(l.session_start(), l.session_end));
    h.put(b"&X-Amz-SignedHeaders=host\nhost:");
    h.put(part(0, l.signed_host_end));
    h.put(b"\n\nhost\n");
    h.put(sigv4::EMPTY_PAYLOAD_SHA256.as_bytes());
    h.finish()
}

/// Internals exposed for the benchmarks only; not part of the API.
#[doc(hidden)]
pub mod bench_internals {
    use super::*;

    /// Derives the signing key (four HMACs), as a cold cache does.
    pub fn derive_signing_key(
        secret: &str,
        signing_time: u64,
        region: &str,
        service: &str,
    ) -> impl Sized {
        let date = amz_date(signing_time);
        let scope = Scope::new(&date, region.as_bytes(), service.as_bytes());
        sigv4::derive_signing_key(secret.as_bytes(), &scope)
    }

    /// Validates `req`, writes its text and hashes its canonical request (no signature).
    pub fn canonical_request_hash(
        req: &TokenRequest<'_>,
        buf: &mut [u8],
    ) -> Result<[u8; 32], Error> {
        let p = plan(req)?;
        let scope = Scope::new(&p.date, p.region.as_bytes(), p.kind.service().as_bytes());
        let mut no_trace = ();
        let (layout, h) = write_unsigned(&p, &scope, buf, &mut no_trace)?;
        Ok(hash_rest(h, buf, &layout).0)
    }
}

/// Writes the token for `req` into `buf` with a fresh signer (no key cache).
pub fn write_token<'b>(req: &TokenRequest<'_>, buf: &'b mut [u8]) -> Result<&'b str, Error> {
    Signer::new().write_token(req, buf).map(|t| t.as_str())
}
