//! The wasm module of the `dbtoken` npm package.
//!
//! This crate is deliberately thin: it converts plain JavaScript values (strings, numbers,
//! booleans) into a [`dbtoken::TokenRequest`], calls the core and hands back a string or an
//! error code. It does **not** validate, sign, infer regions, cache or parse tokens itself: that
//! is all `dbtoken`. The JavaScript wrapper (`web/js/api.mjs`) turns the options object into these
//! positional arguments, checks JavaScript types (`TypeError`), reads the environment in Node and
//! the clock, and turns error strings into `TokenError`s.
//!
//! Errors cross the boundary as the string `"\0<code>\n<message>"`, both taken from
//! [`dbtoken::Error`]. Every export returns a plain string and never throws: no successful
//! result starts with NUL (a token starts with its host, which cannot contain one; JSON starts
//! with `{`), and without `Result` returns the module needs none of wasm-bindgen's `externref`
//! machinery (a few KB). Nothing here panics on any input (a panic would abort the instance and
//! surface in JavaScript as a `WebAssembly.RuntimeError`, which the wrapper reports as
//! `TokenError` code `internal`).
//!
//! On wasm32 the crate is `no_std` (a panic handler that traps, and `lol_alloc`'s free-list
//! allocator): without std's panic formatting and dlmalloc the module is about a third smaller.
#![cfg_attr(target_arch = "wasm32", no_std)]
// `push_str("x")`, never `push('x')`: `String::push` (UTF-8 encoding a char) is 240 bytes of wasm
// that nothing else needs.
#![allow(clippy::single_char_add_str)]

extern crate alloc;

use alloc::string::String;

use dbtoken::{Credentials, Error, Target, TokenInfo, TokenRequest};
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
fn err(e: Error) -> String {
    let (code, message) = (e.code(), e.message());
    let mut s = String::with_capacity(code.len() + 2 + message.len());
    s.push_str("\0");
    s.push_str(code);
    s.push_str("\n");
    s.push_str(message);
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

/// The positional form of a token request. `kind`: 0 RDS, 1 DSQL, 2 ElastiCache, 3 MemoryDB.
/// `host` is the hostname / cache name / cluster name, `user` the user (unused for DSQL), `flag`
/// DSQL `admin` or ElastiCache `serverless`. `cred_expires_at` is Unix seconds (the wrapper
/// floors a `Date`), negative meaning already expired.
#[allow(clippy::too_many_arguments)]
fn request<'a>(
    kind: u8,
    host: &'a str,
    port: u16,
    user: &'a str,
    flag: bool,
    region: Option<&'a str>,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: Option<&'a str>,
    cred_expires_at: Option<f64>,
    expires_in: f64,
    signing_time: f64,
) -> TokenRequest<'a> {
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
    let credentials = Credentials {
        access_key_id,
        secret_access_key,
        session_token,
        expires_at: cred_expires_at.map(|t| if t >= 0.0 { seconds(t) } else { 0 }),
    };
    TokenRequest {
        target,
        credentials,
        region,
        expires_in: expiry(expires_in),
        signing_time: seconds(signing_time),
    }
}

/// A token cache with a refresh margin ([`dbtoken::TokenCache`]), or, created with a margin of
/// `Infinity`, a plain signer ([`dbtoken::Signer`]) that never reuses a token.
///
/// The wrapper signs its one-off tokens (`rdsToken` and friends) through one of the latter: the
/// signer keeps the derived signing key, so repeated tokens for the same secret, day, region and
/// service skip key derivation. One class with one `get` keeps the module small (each export
/// costs its own argument decoding).
#[wasm_bindgen]
#[derive(Debug)]
pub struct Cache(Inner);

#[derive(Debug)]
enum Inner {
    Cache(dbtoken::TokenCache),
    Signer(dbtoken::Signer),
}

#[wasm_bindgen]
impl Cache {
    /// A cache that refreshes `refresh_margin` seconds before a token expires; `Infinity`: a
    /// signer that never reuses a token.
    #[wasm_bindgen(constructor)]
    pub fn new(refresh_margin: f64) -> Cache {
        if refresh_margin == f64::INFINITY {
            Cache(Inner::Signer(dbtoken::Signer::new()))
        } else {
            // The wrapper passes a non-negative integer.
            let margin = if refresh_margin >= 0.0 {
                seconds(refresh_margin)
            } else {
                0
            };
            Cache(Inner::Cache(dbtoken::TokenCache::new(margin)))
        }
    }

    /// The token for this request at `now` (Unix seconds): the cached one, or a new one signed
    /// at `now` (see [`request`] for the arguments). Errors: `"\0<code>\n<message>"`.
    #[allow(clippy::too_many_arguments)]
    pub fn get(
        &mut self,
        kind: u8,
        host: &str,
        port: u16,
        user: &str,
        flag: bool,
        has_region: bool,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: &str,
        cred_expires_at: Option<f64>,
        expires_in: f64,
        now: f64,
    ) -> String {
        // Plain `&str`s (no `Option<String>`: each costs an allocation and code): the region is
        // absent unless `has_region`; an empty session token is absent for the core anyway.
        let req = request(
            kind,
            host,
            port,
            user,
            flag,
            has_region.then_some(region),
            access_key_id,
            secret_access_key,
            Some(session_token),
            cred_expires_at,
            expires_in,
            now,
        );
        let token = match &mut self.0 {
            Inner::Cache(c) => c.get_token(&req, seconds(now)),
            Inner::Signer(s) => s.token(&req).map(|t| t.token),
        };
        token.unwrap_or_else(err)
    }
}

/// Appends `s` as a JSON string. Only `"`, `\\` and control characters are escaped; they are
/// ASCII, so the runs between them are whole UTF-8 sequences.
fn json_str(out: &mut String, s: &str) {
    out.push_str("\"");
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        if b != b'"' && b != b'\\' && b >= 0x20 {
            continue;
        }
        out.push_str(s.get(run..i).unwrap_or(""));
        run = i + 1;
        let hex = b"0123456789abcdef";
        let esc = [
            b'\\',
            b'u',
            b'0',
            b'0',
            hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            hex.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
        ];
        out.push_str(core::str::from_utf8(&esc).unwrap_or(""));
    }
    out.push_str(s.get(run..).unwrap_or(""));
    out.push_str("\"");
}

/// Appends `n` in decimal (no `core::fmt`: it would double the module's size).
fn json_num(out: &mut String, mut n: u64) {
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
    out.push_str(core::str::from_utf8(digits.get(i..).unwrap_or(&[])).unwrap_or(""));
}

/// What [`inspect`] and [`verify`] read from a token, as a JSON object (the wrapper parses it and
/// turns the times into `Date`s): `kind`, `host`, `port` (or `null`), `action`, `user` (decoded,
/// or `null`), `serverless`, `region`, `service`, `accessKeyId` (decoded), `signingTime`,
/// `expiresIn`, `expiresAt` (Unix seconds), `hasSessionToken`, `signature`.
fn info(t: &TokenInfo<'_>) -> String {
    let mut o = String::with_capacity(256 + t.host.len());

    o.push_str("{\"kind\":");
    json_str(&mut o, t.kind.name());
    o.push_str(",\"host\":");
    json_str(&mut o, t.host);
    o.push_str(",\"port\":");
    match t.port {
        Some(p) => json_num(&mut o, u64::from(p)),
        None => o.push_str("null"),
    }
    o.push_str(",\"action\":");
    json_str(&mut o, t.action);
    o.push_str(",\"user\":");
    match t.user {
        Some(u) => json_str(&mut o, &u.decode()),
        None => o.push_str("null"),
    }
    o.push_str(",\"serverless\":");
    o.push_str(if t.serverless { "true" } else { "false" });
    o.push_str(",\"region\":");
    json_str(&mut o, t.region);
    o.push_str(",\"service\":");
    json_str(&mut o, t.service);
    o.push_str(",\"accessKeyId\":");
    json_str(&mut o, &t.access_key_id.decode());
    o.push_str(",\"signingTime\":");
    json_num(&mut o, t.signing_time);
    o.push_str(",\"expiresIn\":");
    json_num(&mut o, u64::from(t.expires_in));
    o.push_str(",\"expiresAt\":");
    json_num(&mut o, t.expires_at);
    o.push_str(",\"hasSessionToken\":");
    o.push_str(if t.has_session_token { "true" } else { "false" });
    o.push_str(",\"signature\":");
    json_str(&mut o, t.signature);
    o.push_str("}");
    o
}

/// Parses a token ([`dbtoken::inspect`]).
#[wasm_bindgen]
pub fn inspect(token: &str) -> String {
    dbtoken::inspect(token).map_or_else(err, |t| info(&t))
}

/// Recomputes a token's signature and checks its validity window at `now` ([`dbtoken::verify`]).
#[wasm_bindgen]
pub fn verify(token: &str, secret_access_key: &str, now: f64) -> String {
    dbtoken::verify(token, secret_access_key, seconds(now)).map_or_else(err, |t| info(&t))
}
