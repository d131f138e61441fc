//! Parsing (zero-copy) and verifying tokens.

use core::fmt;

use crate::Error;
use crate::sigv4::{self, CanonicalHasher, Scope};
use crate::text::{self, hex_val};
use crate::token::{Kind, region_from_host};

/// A percent-encoded slice of a token (a user name, an access key id), not decoded until asked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Encoded<'a>(&'a str);

impl<'a> Encoded<'a> {
    /// The text as it appears in the token.
    pub fn as_encoded(&self) -> &'a str {
        self.0
    }

    /// The decoded bytes (not necessarily UTF-8: see [`decode_into`](Self::decode_into)).
    pub fn decoded_bytes(&self) -> impl Iterator<Item = u8> + 'a {
        self.bytes()
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        let mut rest = self.0.as_bytes();
        core::iter::from_fn(move || {
            let (&b, tail) = rest.split_first()?;
            if let (b'%', [h, l, after @ ..]) = (b, tail)
                && let (Some(h), Some(l)) = (hex_val(*h), hex_val(*l))
            {
                rest = after;
                return Some((h << 4) | l);
            }
            rest = tail;
            Some(b)
        })
    }

    /// Length once decoded.
    pub fn decoded_len(&self) -> usize {
        self.bytes().count()
    }

    /// `true` when the decoded text equals `plain`.
    pub fn matches(&self, plain: &str) -> bool {
        self.bytes().eq(plain.bytes())
    }

    /// Decodes into `buf`. Fails with [`Error::BufferTooSmall`], or [`Error::MalformedToken`]
    /// when the decoded bytes are not UTF-8.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut n = 0usize;
        for b in self.bytes() {
            *buf.get_mut(n).ok_or(Error::BufferTooSmall)? = b;
            n += 1;
        }
        core::str::from_utf8(buf.get(..n).unwrap_or(&[])).map_err(|_| Error::MalformedToken)
    }

    /// The decoded text.
    #[cfg(feature = "alloc")]
    pub fn decode(&self) -> alloc::string::String {
        let bytes: alloc::vec::Vec<u8> = self.bytes().collect();
        alloc::string::String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl fmt::Display for Encoded<'_> {
    /// Writes the decoded text, invalid UTF-8 replaced by U+FFFD exactly as
    /// `String::from_utf8_lossy` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CAP: usize = 64;
        let mut buf = [0u8; CAP];
        let mut n = 0usize;
        let mut bytes = self.bytes().peekable();
        loop {
            for slot in buf.iter_mut().skip(n) {
                match bytes.next() {
                    Some(b) => {
                        *slot = b;
                        n += 1;
                    }
                    None => break,
                }
            }
            let done = bytes.peek().is_none();
            let chunk = buf.get(..n).unwrap_or(&[]);
            let mut carry = 0usize;
            let mut pieces = chunk.utf8_chunks().peekable();
            while let Some(piece) = pieces.next() {
                f.write_str(piece.valid())?;
                let invalid = piece.invalid();
                if invalid.is_empty() {
                    continue;
                }
                if pieces.peek().is_none() && !done {
                    // Possibly a sequence cut by the buffer's end: decide with the next bytes.
                    carry = invalid.len();
                } else {
                    f.write_str("\u{FFFD}")?;
                }
            }
            if done {
                return Ok(());
            }
            let from = n.saturating_sub(carry);
            buf.copy_within(from..n, 0);
            n -= from;
        }
    }
}

impl fmt::Debug for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

const MAX_PARAMS: usize = 16;

/// The parts of a token, borrowed from its text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenInfo<'a> {
    /// Which kind of token (from the service in the credential scope).
    pub kind: Kind,
    /// Host as written in the token.
    pub host: &'a str,
    /// Port, if the authority has one (RDS tokens must).
    pub port: Option<u16>,
    /// `Action` value (`connect`, `DbConnect`, `DbConnectAdmin`).
    pub action: &'a str,
    /// `DBUser` or `User`, still percent-encoded.
    pub user: Option<Encoded<'a>>,
    /// `ResourceType=ServerlessCache` present.
    pub serverless: bool,
    /// Region of the credential scope.
    pub region: &'a str,
    /// Service of the credential scope.
    pub service: &'a str,
    /// The access key id (percent-encoded as in the token).
    pub access_key_id: Encoded<'a>,
    /// Signing time (Unix seconds).
    pub signing_time: u64,
    /// `X-Amz-Expires`.
    pub expires_in: u32,
    /// `signing_time + expires_in`.
    pub expires_at: u64,
    /// `X-Amz-Security-Token` present (temporary credentials).
    pub has_session_token: bool,
    /// The hex signature.
    pub signature: &'a str,
    params: [(&'a [u8], &'a [u8]); MAX_PARAMS],
    n_params: usize,
}

impl fmt::Debug for TokenInfo<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenInfo")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("action", &self.action)
            .field("user", &self.user)
            .field("serverless", &self.serverless)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("access_key_id", &self.access_key_id)
            .field("signing_time", &self.signing_time)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("has_session_token", &self.has_session_token)
            .finish_non_exhaustive()
    }
}

impl<'a> TokenInfo<'a> {
    /// Seconds of validity left at `now` (0 when expired or not yet valid).
    pub fn seconds_left(&self, now: u64) -> u64 {
        if now < self.signing_time {
            0
        } else {
            self.expires_at.saturating_sub(now)
        }
    }

    /// The region named by the host, when it is an AWS endpoint (`None` otherwise).
    pub fn host_region_matches(&self) -> Option<bool> {
        region_from_host(self.host.as_bytes()).map(|r| r.as_bytes() == self.region.as_bytes())
    }

    /// A temporary (`ASIA…`) access key without a session token: AWS will reject the token.
    pub fn temporary_key_without_session_token(&self) -> bool {
        self.access_key_id.as_encoded().starts_with("ASIA") && !self.has_session_token
    }

    /// An RDS token without a port in its authority: RDS will reject it.
    pub fn missing_port(&self) -> bool {
        self.kind == Kind::Rds && self.port.is_none()
    }

    /// `true` when the token is for `host` and `port` (host compared case-insensitively).
    pub fn is_for(&self, host: &str, port: Option<u16>) -> bool {
        self.host.eq_ignore_ascii_case(host) && self.port == port
    }

    /// Checks the validity window at `now`.
    pub fn check_time(&self, now: u64) -> Result<(), Error> {
        if now < self.signing_time {
            Err(Error::TokenNotYetValid)
        } else if now >= self.expires_at {
            Err(Error::TokenExpired)
        } else {
            Ok(())
        }
    }
}

fn split_once(s: &[u8], sep: u8) -> Option<(&[u8], &[u8])> {
    let i = s.iter().position(|&b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

fn parse_port(digits: &[u8]) -> Result<u16, Error> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Error::MalformedToken);
    }
    let v = digits
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    u16::try_from(v)
        .ok()
        .filter(|&p| p != 0)
        .ok_or(Error::MalformedToken)
}

fn as_str(b: &[u8]) -> Result<&str, Error> {
    core::str::from_utf8(b).map_err(|_| Error::MalformedToken)
}

/// Splits `X-Amz-Credential`'s value on `%2F` (either case) into the access key id and the four
/// scope fields. The scope is split from the right: an access key id may itself contain `%2F`.
fn credential_parts(v: &[u8]) -> Option<[&[u8]; 5]> {
    let mut parts: [&[u8]; 5] = [&[]; 5];
    let mut end = v.len();
    let mut found = 0usize;
    let mut i = v.len();
    while found < 4 {
        i = i.checked_sub(1)?;
        if v.get(i..i + 3)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"%2F"))
            && i + 3 <= end
        {
            *parts.get_mut(4 - found)? = v.get(i + 3..end)?;
            end = i;
            found += 1;
        }
    }
    parts[0] = v.get(..end)?;
    Some(parts)
}

/// Parses a token without copying. Accepts any parameter order.
pub fn inspect(token: &str) -> Result<TokenInfo<'_>, Error> {
    let bytes = token.as_bytes();
    let slash = bytes
        .iter()
        .position(|&b| b == b'/')
        .ok_or(Error::MalformedToken)?;
    let (authority, rest) = bytes.split_at(slash);
    let query = rest.strip_prefix(b"/?").ok_or(Error::MalformedToken)?;
    let (host, port) = if authority.first() == Some(&b'[') {
        let close = authority
            .iter()
            .position(|&b| b == b']')
            .ok_or(Error::MalformedToken)?;
        let host = authority.get(..=close).ok_or(Error::MalformedToken)?;
        match authority.get(close + 1..).unwrap_or(&[]) {
            [] => (host, None),
            [b':', digits @ ..] => (host, Some(parse_port(digits)?)),
            _ => return Err(Error::MalformedToken),
        }
    } else {
        match split_once(authority, b':') {
            Some((h, digits)) => (h, Some(parse_port(digits)?)),
            None => (authority, None),
        }
    };
    if host.is_empty() || crate::token::check_host(host).is_err() {
        return Err(Error::MalformedToken);
    }

    let mut params: [(&[u8], &[u8]); MAX_PARAMS] = [(&[], &[]); MAX_PARAMS];
    let mut n = 0usize;
    for piece in query.split(|&b| b == b'&') {
        let (k, v) = split_once(piece, b'=').ok_or(Error::MalformedToken)?;
        if params.iter().take(n).any(|(pk, _)| *pk == k) {
            return Err(Error::MalformedToken);
        }
        *params.get_mut(n).ok_or(Error::MalformedToken)? = (k, v);
        n += 1;
    }
    let get = |key: &[u8]| {
        params
            .iter()
            .take(n)
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    };
    let known: [&[u8]; 11] = [
        b"Action",
        b"DBUser",
        b"User",
        b"ResourceType",
        b"X-Amz-Algorithm",
        b"X-Amz-Credential",
        b"X-Amz-Date",
        b"X-Amz-Expires",
        b"X-Amz-SignedHeaders",
        b"X-Amz-Security-Token",
        b"X-Amz-Signature",
    ];
    if params.iter().take(n).any(|(k, _)| !known.contains(k)) {
        return Err(Error::MalformedToken);
    }
    if get(b"X-Amz-Algorithm") != Some(sigv4::ALGORITHM.as_bytes())
        || get(b"X-Amz-SignedHeaders") != Some(b"host")
    {
        return Err(Error::MalformedToken);
    }
    let action = get(b"Action").ok_or(Error::MalformedToken)?;
    let date = get(b"X-Amz-Date").ok_or(Error::MalformedToken)?;
    let signing_time = text::parse_amz_date(date).ok_or(Error::MalformedToken)?;
    let expires = get(b"X-Amz-Expires").ok_or(Error::MalformedToken)?;
    if expires.is_empty() || expires.len() > 6 || !expires.iter().all(u8::is_ascii_digit) {
        return Err(Error::MalformedToken);
    }
    let expires_in = expires
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    let signature = get(b"X-Amz-Signature").ok_or(Error::MalformedToken)?;
    if signature.len() != 64
        || !signature
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return Err(Error::MalformedToken);
    }
    let [akid, scope_date, region, service, terminator] =
        credential_parts(get(b"X-Amz-Credential").ok_or(Error::MalformedToken)?)
            .ok_or(Error::MalformedToken)?;
    if akid.is_empty()
        || terminator != b"aws4_request"
        || Some(scope_date) != date.get(..8)
        || !crate::token::is_region(region)
    {
        return Err(Error::MalformedToken);
    }
    let kind = match service {
        b"rds-db" => Kind::Rds,
        b"dsql" => Kind::Dsql,
        b"elasticache" => Kind::ElastiCache,
        b"memorydb" => Kind::MemoryDb,
        _ => return Err(Error::MalformedToken),
    };
    let user = match kind {
        Kind::Rds => get(b"DBUser"),
        Kind::ElastiCache | Kind::MemoryDb => get(b"User"),
        Kind::Dsql => None,
    };
    let action_ok = match kind {
        Kind::Dsql => action == b"DbConnect" || action == b"DbConnectAdmin",
        _ => action == b"connect",
    };
    let user_ok = match kind {
        Kind::Dsql => get(b"DBUser").is_none() && get(b"User").is_none(),
        _ => user.is_some_and(|u| !u.is_empty()),
    };
    let resource = get(b"ResourceType");
    let resource_ok =
        resource.is_none() || (kind == Kind::ElastiCache && resource == Some(b"ServerlessCache"));
    if !action_ok
        || !user_ok
        || !resource_ok
        || expires_in == 0
        || expires_in > kind.max_expires_in()
    {
        return Err(Error::MalformedToken);
    }
    let session = get(b"X-Amz-Security-Token");
    Ok(TokenInfo {
        kind,
        host: as_str(host)?,
        port,
        action: as_str(action)?,
        user: user.map(as_str).transpose()?.map(Encoded),
        serverless: resource.is_some(),
        region: as_str(region)?,
        service: as_str(service)?,
        access_key_id: Encoded(as_str(akid)?),
        signing_time,
        expires_in,
        expires_at: signing_time.saturating_add(u64::from(expires_in)),
        has_session_token: session.is_some_and(|s| !s.is_empty()),
        signature: as_str(signature)?,
        params,
        n_params: n,
    })
}

/// Recomputes the signature of `token` with `secret_access_key` (constant-time compare) and
/// checks its validity window at `now` (Unix seconds). This is what a local emulator of IAM
/// database authentication, or a test, needs.
pub fn verify<'a>(
    token: &'a str,
    secret_access_key: &str,
    now: u64,
) -> Result<TokenInfo<'a>, Error> {
    let info = inspect(token)?;
    if secret_access_key.is_empty() {
        return Err(Error::EmptySecretAccessKey);
    }
    // The canonical query: every parameter but the signature, sorted by name (names here are
    // plain ASCII; values are already RFC 3986-encoded in a well-formed token, and are
    // re-canonicalised so that other encoders' spellings still verify).
    let mut params = info.params;
    let params = params.get_mut(..info.n_params).unwrap_or(&mut []);
    params.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut no_trace = ();
    let mut h = CanonicalHasher::new(&mut no_trace);
    h.put(b"GET\n/\n");
    let mut first = true;
    for (k, v) in params.iter().filter(|(k, _)| *k != b"X-Amz-Signature") {
        if !first {
            h.put(b"&");
        }
        first = false;
        h.put(k);
        h.put(b"=");
        put_recanonical(&mut h, v);
    }
    h.put(b"\nhost:");
    for b in info.host.bytes() {
        h.put(&[b.to_ascii_lowercase()]);
    }
    if let Some(port) = info.port.filter(|&p| p != 443) {
        h.put(b":");
        h.put(text::Decimal::new(u64::from(port)).as_bytes());
    }
    h.put(b"\n\nhost\n");
    h.put(sigv4::EMPTY_PAYLOAD_SHA256.as_bytes());
    let (hash, _) = h.finish();
    let date = text::amz_date(info.signing_time);
    let scope = Scope::new(&date, info.region.as_bytes(), info.service.as_bytes());
    let key = sigv4::derive_signing_key(secret_access_key.as_bytes(), &scope);
    let expected = sigv4::signature(key, &date, &scope, &hash, &mut ());
    let same = expected
        .iter()
        .zip(info.signature.as_bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if same != 0 {
        return Err(Error::SignatureMismatch);
    }
    info.check_time(now)?;
    Ok(info)
}

fn put_recanonical<T: sigv4::Trace + ?Sized>(h: &mut CanonicalHasher<'_, T>, v: &[u8]) {
    let e = Encoded(core::str::from_utf8(v).unwrap_or(""));
    let mut chunk = [0u8; 48];
    let mut n = 0usize;
    for b in e.bytes() {
        let enc: &[u8] = if text::is_unreserved(b) {
            &[b]
        } else {
            &text::pct(b)
        };
        for &c in enc {
            if let Some(slot) = chunk.get_mut(n) {
                *slot = c;
                n += 1;
            }
        }
        if n + 3 > chunk.len() {
            h.put(chunk.get(..n).unwrap_or(&[]));
            n = 0;
        }
    }
    h.put(chunk.get(..n).unwrap_or(&[]));
}

#[cfg(all(test, feature = "alloc"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    #[test]
    fn display_is_lossy_utf8_like_std() {
        let samples: [&[u8]; 9] = [
            b"a\xED\xA0\x80b",
            b"\xF4\x90\x80\x80z",
            b"\xC3A",
            b"ok\xE2\x82",
            b"\xF0\x9F\x98\x80 smile",
            b"\x80\x80abc\xFF",
            &[0xE2; 70],
            &[b'a'; 130],
            b"",
        ];
        let mut long = Vec::new();
        for i in 0..200u8 {
            long.extend_from_slice("ü€😀".as_bytes());
            long.push(i);
        }
        for raw in samples.iter().copied().chain([long.as_slice()]) {
            let encoded: String = raw.iter().map(|b| alloc::format!("%{b:02X}")).collect();
            let e = Encoded(&encoded);
            assert_eq!(e.to_string(), String::from_utf8_lossy(raw), "{raw:?}");
            assert_eq!(e.decode(), String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn access_key_ids_with_slashes_round_trip() {
        let creds = crate::Credentials::new("AKID/EX%2FAMPLE", "secret");
        let req = crate::TokenRequest::rds("db.example.com", 5432, "u", creds, 1_700_000_000)
            .with_region("us-east-1");
        let token = crate::token_string(&req).unwrap();
        let info = verify(&token, "secret", 1_700_000_000).unwrap();
        assert!(info.access_key_id.matches("AKID/EX%2FAMPLE"));
        assert_eq!(info.region, "us-east-1");
        assert_eq!(info.service, "rds-db");
    }
}
