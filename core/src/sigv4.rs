//! The SigV4 layer every token kind is built on: signing-key derivation and caching, the
//! canonical-request and string-to-sign framing, and a general zero-allocation query presign of
//! any HTTP request (the official SigV4 test suite runs against it).

use core::cmp::Ordering;
use core::fmt;

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::text::{self, Cursor, amz_date, hex32, is_unreserved, pct};
use crate::{Credentials, Error};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Hex SHA-256 of the empty string: the payload hash of every IAM auth token.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The only algorithm SigV4 query presigning uses.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Observes the canonical request and the string to sign as they are hashed.
///
/// Signing streams its input into SHA-256 without building either text; a `Trace` receives the
/// same bytes, in order, in chunks. `()` ignores them (and compiles away). Tests use it to compare
/// each stage with the SigV4 suite; a debugging tool can use it to show why AWS rejects a token.
pub trait Trace {
    /// A chunk of the canonical request.
    fn canonical_request(&mut self, chunk: &[u8]) {
        let _ = chunk;
    }
    /// A chunk of the string to sign.
    fn string_to_sign(&mut self, chunk: &[u8]) {
        let _ = chunk;
    }
}

impl Trace for () {}

/// SHA-256 of the canonical request, mirrored into a [`Trace`].
pub(crate) struct CanonicalHasher<'t, T: Trace + ?Sized> {
    hash: Sha256,
    trace: &'t mut T,
}

impl<'t, T: Trace + ?Sized> CanonicalHasher<'t, T> {
    pub(crate) fn new(trace: &'t mut T) -> Self {
        CanonicalHasher {
            hash: Sha256::new(),
            trace,
        }
    }
    /// Continues from `hash`, a state that already holds a prefix of the canonical request.
    pub(crate) fn resume(hash: Sha256, trace: &'t mut T) -> Self {
        CanonicalHasher { hash, trace }
    }
    /// The hash state so far.
    pub(crate) fn state(&self) -> &Sha256 {
        &self.hash
    }
    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        self.trace.canonical_request(bytes);
    }
    pub(crate) fn finish(self) -> ([u8; 32], &'t mut T) {
        (self.hash.finalize().into(), self.trace)
    }
}

/// The date/region/service triple a signing key is derived for.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) date: [u8; 8],
    pub(crate) region: &'a [u8],
    pub(crate) service: &'a [u8],
}

impl<'a> Scope<'a> {
    pub(crate) fn new(amz_date: &[u8; 16], region: &'a [u8], service: &'a [u8]) -> Self {
        let mut date = [0u8; 8];
        date.copy_from_slice(amz_date.get(..8).unwrap_or(&[0; 8]));
        Scope {
            date,
            region,
            service,
        }
    }
}

/// Keys a HMAC-SHA256 with `key` (at most 64 bytes; shorter keys are zero-padded, which is what
/// HMAC does with them anyway, so this is exactly HMAC with `key`).
fn hmac_with_block_key(key: &[u8]) -> HmacSha256 {
    let mut block = [0u8; 64];
    if let Some(dst) = block.get_mut(..key.len()) {
        dst.copy_from_slice(key);
    }
    let mac = <HmacSha256 as KeyInit>::new(&block.into());
    block.zeroize();
    mac
}

fn hmac_once(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac_with_block_key(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The key of the first derivation step, `"AWS4" + secret`, as one zero-padded HMAC block
/// (hashed first when longer than a block, as HMAC does with long keys): HMAC keyed with this
/// block is exactly HMAC keyed with `"AWS4" + secret`. Zeroized on drop.
pub(crate) struct SecretBlock(Key<HmacSha256>);

impl SecretBlock {
    pub(crate) fn new(secret: &[u8]) -> Self {
        // From an array, not `Key::default()` (which is filled element by element).
        let mut block = Key::<HmacSha256>::from([0u8; 64]);
        if secret.len() <= 60 {
            if let Some(k) = block.get_mut(..4) {
                k.copy_from_slice(b"AWS4");
            }
            if let Some(dst) = block.get_mut(4..4 + secret.len()) {
                dst.copy_from_slice(secret);
            }
        } else {
            let mut h = Sha256::new();
            h.update(b"AWS4");
            h.update(secret);
            let mut hashed: [u8; 32] = h.finalize().into();
            if let Some(dst) = block.get_mut(..32) {
                dst.copy_from_slice(&hashed);
            }
            hashed.zeroize();
        }
        SecretBlock(block)
    }
}

impl Drop for SecretBlock {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

/// Derives the SigV4 signing key for `secret` and `scope`, returned as a keyed HMAC whose inner
/// and outer pad states are already computed: signing with it costs two compressions plus the
/// message.
pub(crate) fn derive_signing_key(secret: &[u8], scope: &Scope<'_>) -> HmacSha256 {
    derive_from_block(&SecretBlock::new(secret), scope)
}

/// [`derive_signing_key`] from the secret's [`SecretBlock`].
pub(crate) fn derive_from_block(secret: &SecretBlock, scope: &Scope<'_>) -> HmacSha256 {
    // kDate = HMAC("AWS4" + secret, date).
    let mut mac = <HmacSha256 as KeyInit>::new(&secret.0);
    mac.update(&scope.date);
    let mut k_date: [u8; 32] = mac.finalize().into_bytes().into();
    let mut k_region = hmac_once(&k_date, scope.region);
    let mut k_service = hmac_once(&k_region, scope.service);
    let mut k_signing = hmac_once(&k_service, b"aws4_request");
    let signing = hmac_with_block_key(&k_signing);
    k_date.zeroize();
    k_region.zeroize();
    k_service.zeroize();
    k_signing.zeroize();
    signing
}

const CACHE_SECRET_MAX: usize = 128;
const CACHE_REGION_MAX: usize = 48;
const CACHE_SERVICE_MAX: usize = 24;

struct CacheEntry {
    key: HmacSha256,
    secret: [u8; CACHE_SECRET_MAX],
    secret_len: usize,
    date: [u8; 8],
    region: [u8; CACHE_REGION_MAX],
    region_len: usize,
    service: [u8; CACHE_SERVICE_MAX],
    service_len: usize,
}

impl Drop for CacheEntry {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl CacheEntry {
    fn matches(&self, secret: &[u8], scope: &Scope<'_>) -> bool {
        let secret_ok = self
            .secret
            .get(..self.secret_len)
            .is_some_and(|s| ct_eq(s, secret));
        secret_ok
            && self.date == scope.date
            && self.region.get(..self.region_len) == Some(scope.region)
            && self.service.get(..self.service_len) == Some(scope.service)
    }
}

/// A one-entry cache of the derived signing key, keyed by (secret, date, region, service).
///
/// The secret is kept (to compare against, in constant time) in a fixed buffer that is zeroized
/// on drop; so are the HMAC pad states. Secrets longer than 128 bytes are not cached.
#[derive(Default)]
pub struct KeyCache {
    entry: Option<CacheEntry>,
    hits: u64,
    misses: u64,
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("cached", &self.entry.is_some())
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    /// An empty cache.
    pub const fn new() -> Self {
        KeyCache {
            entry: None,
            hits: 0,
            misses: 0,
        }
    }

    /// Drops the cached key (zeroizing it).
    pub fn clear(&mut self) {
        self.entry = None;
    }

    /// How many signatures reused the cached key, and how many derived a new one.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    pub(crate) fn key(&mut self, secret: &[u8], scope: &Scope<'_>) -> HmacSha256 {
        if let Some(entry) = &self.entry
            && entry.matches(secret, scope)
        {
            self.hits = self.hits.wrapping_add(1);
            return entry.key.clone();
        }
        self.misses = self.misses.wrapping_add(1);
        let key = derive_signing_key(secret, scope);
        if secret.len() <= CACHE_SECRET_MAX
            && scope.region.len() <= CACHE_REGION_MAX
            && scope.service.len() <= CACHE_SERVICE_MAX
        {
            let mut entry = CacheEntry {
                key: key.clone(),
                secret: [0; CACHE_SECRET_MAX],
                secret_len: secret.len(),
                date: scope.date,
                region: [0; CACHE_REGION_MAX],
                region_len: scope.region.len(),
                service: [0; CACHE_SERVICE_MAX],
                service_len: scope.service.len(),
            };
            copy_prefix(&mut entry.secret, secret);
            copy_prefix(&mut entry.region, scope.region);
            copy_prefix(&mut entry.service, scope.service);
            self.entry = Some(entry);
        } else {
            self.entry = None;
        }
        key
    }
}

fn copy_prefix(dst: &mut [u8], src: &[u8]) {
    if let Some(d) = dst.get_mut(..src.len()) {
        d.copy_from_slice(src);
    }
}

/// Signs `canonical_hash` for `scope` at `amz_date`: builds the string to sign and returns the
/// lower-case hex signature.
pub(crate) fn signature<T: Trace + ?Sized>(
    key: HmacSha256,
    amz_date: &[u8; 16],
    scope: &Scope<'_>,
    canonical_hash: &[u8; 32],
    trace: &mut T,
) -> [u8; 64] {
    let mut mac = key;
    let hex = hex32(canonical_hash);
    let parts: [&[u8]; 10] = [
        b"AWS4-HMAC-SHA256\n",
        amz_date,
        b"\n",
        &scope.date,
        b"/",
        scope.region,
        b"/",
        scope.service,
        b"/aws4_request\n",
        &hex,
    ];
    // One contiguous string to sign: a single HMAC update is cheaper than ten small ones.
    let mut sts = [0u8; 256];
    let mut out = Cursor::new(&mut sts);
    if parts.iter().try_for_each(|p| out.put(p)).is_ok() {
        let bytes = out.into_written();
        mac.update(bytes);
        trace.string_to_sign(bytes);
    } else {
        for part in parts {
            mac.update(part);
            trace.string_to_sign(part);
        }
    }
    let sig: [u8; 32] = mac.finalize().into_bytes().into();
    hex32(&sig)
}

/// Writes `X-Amz-Credential`'s encoded value: `AKID%2FYYYYMMDD%2Fregion%2Fservice%2Faws4_request`.
pub(crate) fn put_credential(
    out: &mut Cursor<'_>,
    access_key_id: &[u8],
    scope: &Scope<'_>,
) -> Result<(), Error> {
    out.put_encoded(access_key_id)?;
    out.put(b"%2F")?;
    out.put(&scope.date)?;
    out.put(b"%2F")?;
    out.put_encoded(scope.region)?;
    out.put(b"%2F")?;
    out.put_encoded(scope.service)?;
    out.put(b"%2Faws4_request")
}

// ---------------------------------------------------------------------------------------------
// General query presign
// ---------------------------------------------------------------------------------------------

/// At most this many query parameters, headers and path segments in a general presign request
/// (the work space lives on the stack).
pub const PRESIGN_MAX_ITEMS: usize = 64;

/// An HTTP request to presign, borrowed as it would appear on the wire.
#[derive(Clone, Copy, Debug)]
pub struct HttpRequest<'a> {
    /// Method, e.g. `GET`.
    pub method: &'a str,
    /// Path as on the request line (raw; it is normalised and encoded for signing).
    pub path: &'a str,
    /// Query string without `?`, as on the request line (raw or percent-encoded).
    pub query: &'a str,
    /// Headers in order; every one is signed. Duplicate names are joined with `,`.
    pub headers: &'a [(&'a str, &'a str)],
    /// Lower-case hex SHA-256 of the body ([`EMPTY_PAYLOAD_SHA256`] for none).
    pub payload_sha256: &'a str,
}

/// How to presign an [`HttpRequest`].
#[derive(Clone, Copy, Debug)]
pub struct PresignOptions<'a> {
    /// Region of the credential scope.
    pub region: &'a str,
    /// Service of the credential scope.
    pub service: &'a str,
    /// Unix seconds.
    pub signing_time: u64,
    /// `X-Amz-Expires`.
    pub expires_in: u32,
    /// Remove `.`/`..` segments and empty segments from the path before signing.
    pub normalize_path: bool,
    /// Sign `X-Amz-Security-Token` (true for every AWS service but a few legacy ones, which
    /// want it appended after signing).
    pub sign_session_token: bool,
}

/// Lazily decodes `%XX` and re-encodes to canonical RFC 3986 form.
#[derive(Clone)]
struct Canon<'a> {
    raw: &'a [u8],
    pending: [u8; 3],
    next_pending: u8,
}

impl<'a> Canon<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Canon {
            raw,
            pending: [0; 3],
            next_pending: 3,
        }
    }
}

impl Iterator for Canon<'_> {
    type Item = u8;
    fn next(&mut self) -> Option<u8> {
        if let Some(&b) = self.pending.get(usize::from(self.next_pending)) {
            self.next_pending = self.next_pending.saturating_add(1);
            return Some(b);
        }
        let (&first, rest) = self.raw.split_first()?;
        let byte = match (first, rest) {
            (b'%', [h, l, tail @ ..]) => match (text::hex_val(*h), text::hex_val(*l)) {
                (Some(h), Some(l)) => {
                    self.raw = tail;
                    (h << 4) | l
                }
                _ => {
                    self.raw = rest;
                    b'%'
                }
            },
            _ => {
                self.raw = rest;
                first
            }
        };
        if is_unreserved(byte) {
            Some(byte)
        } else {
            self.pending = pct(byte);
            self.next_pending = 1;
            Some(b'%')
        }
    }
}

fn feed_canon<T: Trace + ?Sized>(h: &mut CanonicalHasher<'_, T>, raw: &[u8]) {
    let mut chunk = [0u8; 64];
    let mut n = 0;
    for b in Canon::new(raw) {
        if let Some(slot) = chunk.get_mut(n) {
            *slot = b;
            n += 1;
        }
        if n == chunk.len() {
            h.put(&chunk);
            n = 0;
        }
    }
    h.put(chunk.get(..n).unwrap_or(&[]));
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Header value: trimmed, inner runs of whitespace collapsed to one space.
fn feed_header_value<T: Trace + ?Sized>(h: &mut CanonicalHasher<'_, T>, value: &[u8]) {
    let mut first = true;
    for word in value.split(|&b| is_ws(b)).filter(|w| !w.is_empty()) {
        if !first {
            h.put(b" ");
        }
        h.put(word);
        first = false;
    }
}

fn feed_lower<T: Trace + ?Sized>(h: &mut CanonicalHasher<'_, T>, name: &[u8]) {
    let mut lower = [0u8; 64];
    for chunk in name.chunks(lower.len()) {
        let dst = lower.get_mut(..chunk.len()).unwrap_or(&mut []);
        for (d, s) in dst.iter_mut().zip(chunk) {
            *d = s.to_ascii_lowercase();
        }
        h.put(dst);
    }
}

fn cmp_lower(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

const RESERVED_PARAMS: [&[u8]; 7] = [
    b"X-Amz-Algorithm",
    b"X-Amz-Credential",
    b"X-Amz-Date",
    b"X-Amz-Expires",
    b"X-Amz-SignedHeaders",
    b"X-Amz-Security-Token",
    b"X-Amz-Signature",
];

/// Presigns `request` into `out`, returning `path?query&X-Amz-…&X-Amz-Signature=…`.
///
/// The request's own query parameters keep their order and spelling in the output; the
/// signing parameters follow in the order X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
/// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token, X-Amz-Signature (botocore's).
/// For signing, parameters are decoded, RFC 3986-encoded and sorted; the path is normalised
/// (if asked), and each path segment is decoded and RFC 3986-encoded like the parameters
/// (what the official suite expects of `/example%20space/` and `/ሴ` alike).
pub fn presign<'b, T: Trace + ?Sized>(
    cache: &mut KeyCache,
    request: &HttpRequest<'_>,
    credentials: &Credentials<'_>,
    options: &PresignOptions<'_>,
    out: &'b mut [u8],
    trace: &mut T,
) -> Result<&'b str, Error> {
    credentials.check()?;
    if request.method.is_empty()
        || !request.method.bytes().all(|b| b.is_ascii_uppercase())
        || options.region.is_empty()
        || options.service.is_empty()
        || request.payload_sha256.len() != 64
    {
        return Err(Error::InvalidRequest);
    }
    if options.expires_in == 0 || options.expires_in > 604_800 {
        return Err(Error::ExpiryOutOfRange);
    }
    if options.signing_time > text::MAX_UNIX_TIME {
        return Err(Error::InvalidSigningTime);
    }
    if credentials
        .expires_at
        .is_some_and(|e| e <= options.signing_time)
    {
        return Err(Error::CredentialsExpired);
    }

    // Query parameters, sorted by canonical key then value.
    let mut params: [(&[u8], &[u8]); PRESIGN_MAX_ITEMS] = [(&[], &[]); PRESIGN_MAX_ITEMS];
    let mut n_params = 0usize;
    for piece in request
        .query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = match piece.iter().position(|&b| b == b'=') {
            Some(i) => (
                piece.get(..i).unwrap_or(&[]),
                piece.get(i + 1..).unwrap_or(&[]),
            ),
            None => (piece, &[][..]),
        };
        if RESERVED_PARAMS
            .iter()
            .any(|r| Canon::new(k).eq(r.iter().copied()))
        {
            return Err(Error::InvalidRequest);
        }
        *params.get_mut(n_params).ok_or(Error::InvalidRequest)? = (k, v);
        n_params += 1;
    }
    let params = params.get_mut(..n_params).unwrap_or(&mut []);
    params.sort_unstable_by(|a, b| {
        Canon::new(a.0)
            .cmp(Canon::new(b.0))
            .then_with(|| Canon::new(a.1).cmp(Canon::new(b.1)))
    });

    // Headers, sorted by lower-case name, duplicates in their original order.
    let mut headers: [(&[u8], &[u8], usize); PRESIGN_MAX_ITEMS] =
        [(&[], &[], 0); PRESIGN_MAX_ITEMS];
    for (i, (name, value)) in request.headers.iter().enumerate() {
        if name.is_empty() || name.bytes().any(|b| b <= b' ' || b == b':' || b >= 0x7f) {
            return Err(Error::InvalidRequest);
        }
        *headers.get_mut(i).ok_or(Error::InvalidRequest)? = (name.as_bytes(), value.as_bytes(), i);
    }
    let headers = headers.get_mut(..request.headers.len()).unwrap_or(&mut []);
    headers.sort_unstable_by(|a, b| cmp_lower(a.0, b.0).then(a.2.cmp(&b.2)));

    let date = amz_date(options.signing_time);
    let scope = Scope::new(&date, options.region.as_bytes(), options.service.as_bytes());
    let session_token = credentials.session_token();

    // The output text, up to the signature.
    let mut out = Cursor::new(out);
    out.put(request.path.as_bytes())?;
    out.put(b"?")?;
    if !request.query.is_empty() {
        out.put(request.query.as_bytes())?;
        out.put(b"&")?;
    }
    out.put(b"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=")?;
    let cred_start = out.pos();
    put_credential(&mut out, credentials.access_key_id.as_bytes(), &scope)?;
    let cred_end = out.pos();
    out.put(b"&X-Amz-Date=")?;
    out.put(&date)?;
    out.put(b"&X-Amz-Expires=")?;
    out.put(text::Decimal::new(u64::from(options.expires_in)).as_bytes())?;
    out.put(b"&X-Amz-SignedHeaders=")?;
    let sh_start = out.pos();
    let mut previous: Option<&[u8]> = None;
    for (name, _, _) in headers.iter() {
        if previous.is_some_and(|p| cmp_lower(p, name) == Ordering::Equal) {
            continue;
        }
        if previous.is_some() {
            out.put(b"%3B")?;
        }
        out.put_lower(name)?;
        previous = Some(name);
    }
    let sh_end = out.pos();
    let mut token_range = (0, 0);
    if let Some(token) = session_token {
        out.put(b"&X-Amz-Security-Token=")?;
        let start = out.pos();
        out.put_encoded(token.as_bytes())?;
        token_range = (start, out.pos());
    }

    // The canonical request.
    let mut h = CanonicalHasher::new(trace);
    h.put(request.method.as_bytes());
    h.put(b"\n");
    if options.normalize_path {
        feed_normalized_path(&mut h, request.path.as_bytes())?;
    } else {
        for (i, seg) in request.path.as_bytes().split(|&b| b == b'/').enumerate() {
            if i > 0 {
                h.put(b"/");
            }
            feed_canon(&mut h, seg);
        }
    }
    h.put(b"\n");
    {
        let mut first = true;
        let mut sep = |h: &mut CanonicalHasher<'_, T>| {
            if !first {
                h.put(b"&");
            }
            first = false;
        };
        let credential = out.slice(cred_start, cred_end);
        let expires = text::Decimal::new(u64::from(options.expires_in));
        let signed_headers = out.slice(sh_start, sh_end);
        let token = out.slice(token_range.0, token_range.1);
        let auth: [(&[u8], &[u8]); 6] = [
            (b"X-Amz-Algorithm", ALGORITHM.as_bytes()),
            (b"X-Amz-Credential", credential),
            (b"X-Amz-Date", &date),
            (b"X-Amz-Expires", expires.as_bytes()),
            (b"X-Amz-Security-Token", token),
            (b"X-Amz-SignedHeaders", signed_headers),
        ];
        let auth = auth.iter().filter(|(k, _)| {
            *k != b"X-Amz-Security-Token" || (session_token.is_some() && options.sign_session_token)
        });
        let mut auth = auth.peekable();
        for (k, v) in params.iter() {
            while let Some((ak, av)) =
                auth.next_if(|(ak, _)| ak.iter().copied().cmp(Canon::new(k)) == Ordering::Less)
            {
                sep(&mut h);
                h.put(ak);
                h.put(b"=");
                h.put(av);
            }
            sep(&mut h);
            feed_canon(&mut h, k);
            h.put(b"=");
            feed_canon(&mut h, v);
        }
        for (ak, av) in auth {
            sep(&mut h);
            h.put(ak);
            h.put(b"=");
            h.put(av);
        }
    }
    h.put(b"\n");
    let mut i = 0;
    while let Some((name, _, _)) = headers.get(i) {
        let name = *name;
        let mut first_value = true;
        feed_lower(&mut h, name);
        h.put(b":");
        while let Some((n2, value, _)) = headers.get(i) {
            if cmp_lower(n2, name) != Ordering::Equal {
                break;
            }
            if !first_value {
                h.put(b",");
            }
            feed_header_value(&mut h, value);
            first_value = false;
            i += 1;
        }
        h.put(b"\n");
    }
    h.put(b"\n");
    // Signed headers, ';'-separated.
    let mut previous: Option<&[u8]> = None;
    for (name, _, _) in headers.iter() {
        if previous.is_some_and(|p| cmp_lower(p, name) == Ordering::Equal) {
            continue;
        }
        if previous.is_some() {
            h.put(b";");
        }
        feed_lower(&mut h, name);
        previous = Some(name);
    }
    h.put(b"\n");
    h.put(request.payload_sha256.as_bytes());
    let (hash, trace) = h.finish();

    let key = cache.key(credentials.secret_access_key.as_bytes(), &scope);
    let sig = signature(key, &date, &scope, &hash, trace);
    out.put(b"&X-Amz-Signature=")?;
    out.put(&sig)?;
    core::str::from_utf8(out.into_written()).map_err(|_| Error::InvalidRequest)
}

fn feed_normalized_path<T: Trace + ?Sized>(
    h: &mut CanonicalHasher<'_, T>,
    path: &[u8],
) -> Result<(), Error> {
    let mut stack: [&[u8]; PRESIGN_MAX_ITEMS] = [&[]; PRESIGN_MAX_ITEMS];
    let mut depth = 0usize;
    let mut trailing = false;
    for seg in path.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => trailing = true,
            b".." => {
                depth = depth.saturating_sub(1);
                trailing = true;
            }
            _ => {
                *stack.get_mut(depth).ok_or(Error::InvalidRequest)? = seg;
                depth += 1;
                trailing = false;
            }
        }
    }
    h.put(b"/");
    let kept = stack.get(..depth).unwrap_or(&[]);
    for (i, seg) in kept.iter().enumerate() {
        if i > 0 {
            h.put(b"/");
        }
        feed_canon(h, seg);
    }
    if trailing && depth > 0 {
        h.put(b"/");
    }
    Ok(())
}
