//! The wasm module of the `dbtoken` npm package.
//!
//! This crate is deliberately thin: it converts plain JavaScript values (strings, numbers,
//! booleans) into a [`dbtoken::TokenRequest`], calls the core and hands back a string or an
//! error code. It does **not** validate, sign, infer regions, cache or parse tokens itself: that
//! is all `dbtoken`. The JavaScript wrapper (`web/js/api.mjs`) turns the options object into these
//! positional arguments, checks JavaScript types (`TypeError`), reads the environment in Node and
//! the clock, and turns error strings into `TokenError`s.
//!
//! Strings cross the boundary through wasm memory (see [`Cache`]): the wrapper writes their UTF-8
//! into a cache's input buffer and passes byte lengths; a result stays in the cache's memory and
//! the wrapper decodes it in place. No export takes or returns a wasm-bindgen string: no
//! allocation per argument, and none of wasm-bindgen's string-passing code in the module.
//!
//! Errors are the text `"\0<code>\n<message>"`, both taken from [`dbtoken::Error`]. No export
//! throws: no successful result starts with NUL (a token starts with its host, which cannot
//! contain one; JSON starts with `{`), and without `Result` returns the module needs none of
//! wasm-bindgen's `externref` machinery (a few KB). Nothing here panics on any input (a panic
//! would abort the instance and surface in JavaScript as a `WebAssembly.RuntimeError`, which the
//! wrapper reports as `TokenError` code `internal`).
//!
//! On wasm32 the crate is `no_std` (a panic handler that traps, and `lol_alloc`'s free-list
//! allocator): without std's panic formatting and dlmalloc the module is about a third smaller.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

use dbtoken::{Credentials, Encoded, Error, PreparedToken, Target, TokenInfo, TokenRequest};
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// Nothing in this crate or the core panics on any input; should it happen anyway, trap. The
/// instance is then unusable and JavaScript sees a `WebAssembly.RuntimeError`, which the wrapper
/// reports as `TokenError` code `internal` before loading a fresh instance.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// `"\0<code>\n<message>"` for the JavaScript wrapper.
fn err(e: Error) -> Vec<u8> {
    let (code, message) = (e.code(), e.message());
    let mut s = Vec::with_capacity(code.len() + 2 + message.len());
    s.push(0);
    s.extend_from_slice(code.as_bytes());
    s.push(b'\n');
    s.extend_from_slice(message.as_bytes());
    s
}

/// Seconds as a JavaScript number → `u64`. Negative, non-finite or huge values become
/// `u64::MAX`, which the core rejects as `invalid_signing_time`.
fn seconds(t: f64) -> u64 {
    if (0.0..=9_007_199_254_740_991.0).contains(&t) {
        t as u64
    } else {
        u64::MAX
    }
}

/// An expiry as a JavaScript number → `u32`; out of range becomes 0 (`expiry_out_of_range`).
fn expiry(e: f64) -> u32 {
    if (0.0..=f64::from(u32::MAX)).contains(&e) {
        e as u32
    } else {
        0
    }
}

/// The input buffer starts with this many bytes for the wrapper's use (the result length).
const HEADER: usize = 8;

/// Says where a result is: writes its length into the header of the input buffer (the first
/// 4 bytes, little-endian) and returns its address. Valid until the next call on the same [`Cache`].
fn at(input: &mut [u8], bytes: &[u8]) -> u32 {
    if let Some(h) = input.first_chunk_mut::<4>() {
        *h = (bytes.len() as u32).to_le_bytes();
    }
    bytes.as_ptr() as usize as u32
}

/// Keeps `s` in `out` as the result and says where it is (see [`at`]).
fn result(input: &mut [u8], out: &mut Vec<u8>, s: Vec<u8>) -> u32 {
    *out = s;
    at(input, out)
}

/// Splits the `lens` bytes after the input buffer's 8-byte header into consecutive strings. The wrapper writes them with
/// `TextEncoder` (well-formed UTF-8, exact lengths); anything else reads as empty strings.
fn split<const N: usize>(input: &[u8], lens: [u32; N]) -> [&str; N] {
    let total = lens.iter().map(|&l| l as usize).sum::<usize>();
    let all = input
        .get(HEADER..HEADER + total)
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or("");
    let mut start = 0;
    lens.map(|l| {
        let end = start + l as usize;
        let s = all.get(start..end).unwrap_or("");
        start = end;
        s
    })
}

/// A signer ([`dbtoken::Signer`]) that keeps its last token as a [`PreparedToken`]: the same
/// request again (as a `Signer`, a pool or a `TokenCache` makes) is only re-signed at the new
/// time ([`PreparedToken::sign`]), or, with a refresh margin, handed out again while it is good
/// for longer than the margin ([`PreparedToken::refresh`], the core's `TokenCache` rule).
/// Created with a margin of `Infinity`, it never reuses a token.
///
/// Strings cross the boundary through wasm memory, not through wasm-bindgen's per-string
/// allocations: the wrapper asks for the input buffer's address ([`Cache::input`]), writes the
/// UTF-8 of every string there back to back after an 8-byte header (and skips that when they are
/// the strings of the previous call, which it then says in a flag), and passes their byte
/// lengths. Results (a token, JSON, or an error `"\0<code>\n<message>"`) stay in the cache's
/// memory: each call returns the address and writes the length into the header (see [`at`]);
/// the wrapper decodes them once.
///
/// The wrapper signs its one-off tokens (`rdsToken` and friends), and inspects and verifies
/// tokens, through one of these with no margin: the signer keeps the derived signing key, so
/// tokens for the same secret, day, region and service skip key derivation. One class keeps the
/// module small (each export costs its own argument decoding).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Cache {
    signer: dbtoken::Signer,
    /// `None`: never reuse a token.
    refresh_margin: Option<u64>,
    /// The last token, for the arguments it was made for.
    last: Option<(Same, PreparedToken<Vec<u8>>)>,
    input: Vec<u8>,
    out: Vec<u8>,
}

/// The arguments of a [`Cache::get`] besides the strings and the time: the last token is
/// re-signed (or reused) only for the same ones, and the same strings.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Same {
    kind: u8,
    flags: u8,
    port: u16,
    expires_in: u32,
    cred_expires_at: Option<u64>,
}

#[wasm_bindgen]
impl Cache {
    /// A cache that refreshes `refresh_margin` seconds before a token expires; `Infinity`: a
    /// signer that never reuses a token.
    #[wasm_bindgen(constructor)]
    pub fn new(refresh_margin: f64) -> Cache {
        Cache {
            signer: dbtoken::Signer::new(),
            // The wrapper passes a non-negative integer, or Infinity.
            refresh_margin: (refresh_margin != f64::INFINITY).then(|| {
                if refresh_margin >= 0.0 {
                    seconds(refresh_margin)
                } else {
                    0
                }
            }),
            last: None,
            input: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The address of the input buffer, grown to its header and at least `len` bytes after it
    /// (its contents are kept).
    pub fn input(&mut self, len: u32) -> u32 {
        let len = HEADER + len as usize;
        if self.input.len() < len {
            self.input.resize(len, 0);
        }
        self.input.as_ptr() as usize as u32
    }

    /// Keeps `s` as the result and says where it is.
    fn result(&mut self, s: Vec<u8>) -> u32 {
        result(&mut self.input, &mut self.out, s)
    }

    /// The token for a request at `now` (Unix seconds): the cached one, or a new one signed at
    /// `now`. `kind`: 0 RDS, 1 DSQL, 2 ElastiCache, 3 MemoryDB. The input buffer holds, back to
    /// back, the host (hostname / cache name / cluster name), the user (unused for DSQL), the
    /// region, the access key id, the secret access key and the session token (empty: none);
    /// `lens` are their byte lengths. `flags`: bit 0 DSQL `admin` or ElastiCache `serverless`,
    /// bit 1 a region is given, bit 2 the strings are those of the previous call (a signer then
    /// re-signs its last token when the other arguments are the same too).
    /// `cred_expires_at`: Unix seconds, `NaN` for none, negative for already expired. Returns
    /// where the token or the error is (see [`at`]).
    #[allow(clippy::too_many_arguments)]
    pub fn get(
        &mut self,
        kind: u8,
        flags: u8,
        port: u16,
        host_len: u32,
        user_len: u32,
        region_len: u32,
        access_key_id_len: u32,
        secret_len: u32,
        session_len: u32,
        cred_expires_at: f64,
        expires_in: f64,
        now: f64,
    ) -> u32 {
        let same = Same {
            kind,
            flags: flags & 3,
            port,
            expires_in: expiry(expires_in),
            cred_expires_at: if cred_expires_at.is_nan() {
                None
            } else if cred_expires_at >= 0.0 {
                Some(seconds(cred_expires_at))
            } else {
                Some(0)
            },
        };
        let now = seconds(now);
        let Cache {
            signer,
            refresh_margin,
            last,
            input,
            out,
        } = self;
        // The same request as last time: only the time changes.
        if let Some((same_as, prepared)) = last
            && flags & 4 != 0
            && *same_as == same
        {
            let r = match *refresh_margin {
                Some(margin) => prepared.refresh(now, margin),
                None => prepared.sign(now),
            };
            return match r {
                Ok(t) => at(input, t.as_str().as_bytes()),
                Err(e) => result(input, out, err(e)),
            };
        }
        let lens = [
            host_len,
            user_len,
            region_len,
            access_key_id_len,
            secret_len,
            session_len,
        ];
        let [
            host,
            user,
            region,
            access_key_id,
            secret_access_key,
            session_token,
        ] = split(input, lens);
        let flag = flags & 1 != 0;
        let target = match kind {
            0 => Target::Rds {
                hostname: host,
                port,
                username: user,
            },
            1 => Target::Dsql {
                hostname: host,
                admin: flag,
            },
            2 => Target::ElastiCache {
                cache_name: host,
                user_id: user,
                serverless: flag,
            },
            _ => Target::MemoryDb {
                cluster_name: host,
                user,
            },
        };
        let req = TokenRequest {
            target,
            credentials: Credentials {
                access_key_id,
                secret_access_key,
                // An empty session token is absent for the core anyway.
                session_token: Some(session_token),
                expires_at: same.cred_expires_at,
            },
            region: (flags & 2 != 0).then_some(region),
            expires_in: same.expires_in,
            signing_time: now,
        };
        // Written into the last token's buffer, grown to a bound of the token's length: the
        // fixed text (under 400 bytes), the host twice (text and inferred region) and every other
        // input at most percent-encoded (3 bytes a byte).
        let mut buf = last.take().map(|(_, p)| p.into_inner()).unwrap_or_default();
        let need = 1024 + 4 * lens.iter().map(|&l| l as usize).sum::<usize>();
        if buf.len() < need {
            buf.resize(need, 0);
        }
        let r = signer.prepare(&req, buf).map(|p| {
            let (_, p) = last.insert((same, p));
            p.token().map_or(&[][..], |t| t.as_str().as_bytes())
        });
        match r {
            Ok(bytes) => at(input, bytes),
            Err(e) => result(input, out, err(e)),
        }
    }

    /// Parses the token in the input buffer (`len` bytes) ([`dbtoken::inspect`]); returns where
    /// the JSON (see [`info`]) or the error is.
    pub fn inspect(&mut self, len: u32) -> u32 {
        let [token] = split(&self.input, [len]);
        let r = dbtoken::inspect(token).map_or_else(err, |t| info(&t));
        self.result(r)
    }

    /// Recomputes the signature of the token in the input buffer (`token_len` bytes, then the
    /// secret access key, `secret_len` bytes) and checks its validity window at `now`
    /// ([`dbtoken::verify`]); returns where the JSON or the error is.
    pub fn verify(&mut self, token_len: u32, secret_len: u32, now: f64) -> u32 {
        let [token, secret] = split(&self.input, [token_len, secret_len]);
        let r = dbtoken::verify(token, secret, seconds(now)).map_or_else(err, |t| info(&t));
        self.result(r)
    }
}

/// A value of the JSON that [`info`] writes.
enum Json<'a> {
    /// Text as it is.
    Str(&'a str),
    /// Percent-encoded text, decoded (its bytes may not be UTF-8: the wrapper's `TextDecoder`
    /// replaces invalid sequences with U+FFFD, as `String::from_utf8_lossy` does).
    Decoded(Encoded<'a>),
    Num(u64),
    Bool(bool),
    Null,
}

/// Appends the bytes as a JSON string. Only `"`, `\\` and control characters are escaped (they
/// are ASCII; every other byte goes through as it is).
fn json_str(out: &mut Vec<u8>, bytes: &mut dyn Iterator<Item = u8>) {
    out.push(b'"');
    for b in bytes {
        if b == b'"' || b == b'\\' || b < 0x20 {
            let hex = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
                hex.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
            ]);
        } else {
            out.push(b);
        }
    }
    out.push(b'"');
}

/// Appends `n` in decimal (no `core::fmt`: it would double the module's size).
fn json_num(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or(&[]));
}

/// What [`inspect`] and [`verify`] read from a token, as a JSON object (the wrapper parses it and
/// turns the times into `Date`s): `kind`, `host`, `port` (or `null`), `action`, `user` (decoded,
/// or `null`), `serverless`, `region`, `service`, `accessKeyId` (decoded), `signingTime`,
/// `expiresIn`, `expiresAt` (Unix seconds), `hasSessionToken`, `signature`.
fn info(t: &TokenInfo<'_>) -> Vec<u8> {
    let fields = [
        ("kind", Json::Str(t.kind.name())),
        ("host", Json::Str(t.host)),
        (
            "port",
            t.port.map_or(Json::Null, |p| Json::Num(u64::from(p))),
        ),
        ("action", Json::Str(t.action)),
        ("user", t.user.map_or(Json::Null, Json::Decoded)),
        ("serverless", Json::Bool(t.serverless)),
        ("region", Json::Str(t.region)),
        ("service", Json::Str(t.service)),
        ("accessKeyId", Json::Decoded(t.access_key_id)),
        ("signingTime", Json::Num(t.signing_time)),
        ("expiresIn", Json::Num(u64::from(t.expires_in))),
        ("expiresAt", Json::Num(t.expires_at)),
        ("hasSessionToken", Json::Bool(t.has_session_token)),
        ("signature", Json::Str(t.signature)),
    ];
    // Every string at most 6 bytes a byte once escaped.
    let mut o =
        Vec::with_capacity(320 + 6 * (t.host.len() + t.user.map_or(0, |u| u.as_encoded().len())));
    let mut sep = b'{';
    for (name, value) in fields {
        o.push(sep);
        sep = b',';
        o.push(b'"');
        o.extend_from_slice(name.as_bytes());
        o.extend_from_slice(b"\":");
        match value {
            Json::Str(s) => json_str(&mut o, &mut s.bytes()),
            Json::Decoded(e) => json_str(&mut o, &mut e.decoded_bytes()),
            Json::Num(n) => json_num(&mut o, n),
            Json::Bool(b) => o.extend_from_slice(if b { b"true" } else { b"false" }),
            Json::Null => o.extend_from_slice(b"null"),
        }
    }
    o.push(b'}');
    o
}
