//! The wasm module of the `dbtoken` npm package.
//!
//! This crate is deliberately thin: it converts plain JavaScript values (strings, numbers,
//! booleans) into a [`dbtoken::TokenRequest`], calls the core and hands back a string or an
//! error code. It does **not** validate, sign, infer regions, cache or parse tokens itself: that
//! is all `dbtoken`. The JavaScript wrapper (`web/js/api.js`) turns the options object into these
//! positional arguments, checks JavaScript types (`TypeError`), reads the environment in Node and
//! the clock, and turns error strings into `TokenError`s.
//!
//! Errors cross the boundary as the string `"<code>\n<message>"`, both taken from
//! [`dbtoken::Error`]. Nothing here panics on any input (a panic would abort the instance and
//! surface in JavaScript as a `WebAssembly.RuntimeError`, which the wrapper reports as
//! `TokenError` code `internal`).

//!
//! On wasm32 the crate is `no_std` (a panic handler that traps and the `dlmalloc` allocator):
//! without std's panic formatting the module is about a third smaller.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;

use dbtoken::{Credentials, Error, Kind, Target, TokenInfo, TokenRequest};
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// Nothing in this crate or the core panics on any input; should it happen anyway, trap. The
/// instance is then unusable and JavaScript sees a `WebAssembly.RuntimeError`, which the wrapper
/// reports as `TokenError` code `internal` and answers by loading a fresh instance.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// `"<code>\n<message>"` for the JavaScript wrapper.
fn err(e: Error) -> String {
    let (code, message) = (e.code(), e.message());
    let mut s = String::with_capacity(code.len() + 1 + message.len());
    s.push_str(code);
    s.push('\n');
    s.push_str(message);
    s
}

/// Seconds as a JavaScript number → `u64`. Negative, non-finite or huge values become
/// `u64::MAX`, which the core rejects as `invalid_signing_time`.
fn seconds(t: f64) -> u64 {
    if t.is_finite() && t >= 0.0 && t <= 9_007_199_254_740_991.0 {
        t as u64
    } else {
        u64::MAX
    }
}

/// An expiry as a JavaScript number → `u32`; out of range becomes 0 (`expiry_out_of_range`).
fn expiry(e: f64) -> u32 {
    if e.is_finite() && e >= 0.0 && e <= f64::from(u32::MAX) {
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
        expires_at: cred_expires_at.map(|t| {
            if t.is_finite() && t >= 0.0 {
                seconds(t)
            } else {
                0
            }
        }),
    };
    TokenRequest {
        target,
        credentials,
        region,
        expires_in: expiry(expires_in),
        signing_time: seconds(signing_time),
    }
}

/// A signer that keeps the derived signing key ([`dbtoken::Signer`]): repeated tokens with the
/// same secret, day, region and service skip key derivation. The wrapper keeps one per instance.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Minter(dbtoken::Signer);

#[wasm_bindgen]
impl Minter {
    /// A signer with an empty key cache.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Minter {
        Minter(dbtoken::Signer::new())
    }

    /// Signs one token (see [`request`] for the arguments). Errors: `"<code>\n<message>"`.
    #[allow(clippy::too_many_arguments)]
    pub fn token(
        &mut self,
        kind: u8,
        host: &str,
        port: u16,
        user: &str,
        flag: bool,
        region: Option<String>,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<String>,
        cred_expires_at: Option<f64>,
        expires_in: f64,
        signing_time: f64,
    ) -> Result<String, String> {
        let req = request(
            kind,
            host,
            port,
            user,
            flag,
            region.as_deref(),
            access_key_id,
            secret_access_key,
            session_token.as_deref(),
            cred_expires_at,
            expires_in,
            signing_time,
        );
        self.0.token(&req).map(|t| t.token).map_err(err)
    }
}

/// A token cache with a refresh margin: [`dbtoken::TokenCache`].
#[wasm_bindgen]
#[derive(Debug)]
pub struct Cache(dbtoken::TokenCache);

#[wasm_bindgen]
impl Cache {
    /// A cache that refreshes `refresh_margin` seconds before a token expires.
    #[wasm_bindgen(constructor)]
    pub fn new(refresh_margin: f64) -> Cache {
        let margin = if refresh_margin.is_finite() && refresh_margin >= 0.0 {
            seconds(refresh_margin)
        } else {
            0
        };
        Cache(dbtoken::TokenCache::new(margin))
    }

    /// The cached token for this request at `now` (Unix seconds), or a new one signed at `now`.
    #[allow(clippy::too_many_arguments)]
    pub fn get(
        &mut self,
        kind: u8,
        host: &str,
        port: u16,
        user: &str,
        flag: bool,
        region: Option<String>,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<String>,
        cred_expires_at: Option<f64>,
        expires_in: f64,
        now: f64,
    ) -> Result<String, String> {
        let req = request(
            kind,
            host,
            port,
            user,
            flag,
            region.as_deref(),
            access_key_id,
            secret_access_key,
            session_token.as_deref(),
            cred_expires_at,
            expires_in,
            now,
        );
        self.0.get_token(&req, seconds(now)).map_err(err)
    }

    /// Forgets the cached token.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// What [`inspect`] and [`verify`] read from a token (the wrapper turns it into a plain object).
#[wasm_bindgen(getter_with_clone)]
#[derive(Debug)]
pub struct Info {
    /// `rds`, `dsql`, `elasticache` or `memorydb`.
    #[wasm_bindgen(readonly)]
    pub kind: String,
    /// Host as written in the token.
    #[wasm_bindgen(readonly)]
    pub host: String,
    /// Port, or -1 when the authority has none.
    #[wasm_bindgen(readonly)]
    pub port: i32,
    /// `Action` value.
    #[wasm_bindgen(readonly)]
    pub action: String,
    /// Decoded `DBUser` / `User`, if present.
    #[wasm_bindgen(readonly)]
    pub user: Option<String>,
    /// `ResourceType=ServerlessCache` present.
    #[wasm_bindgen(readonly)]
    pub serverless: bool,
    /// Region of the credential scope.
    #[wasm_bindgen(readonly)]
    pub region: String,
    /// Service of the credential scope.
    #[wasm_bindgen(readonly)]
    pub service: String,
    /// Decoded access key id.
    #[wasm_bindgen(readonly, js_name = accessKeyId)]
    pub access_key_id: String,
    /// Signing time, Unix seconds.
    #[wasm_bindgen(readonly, js_name = signingTime)]
    pub signing_time: f64,
    /// `X-Amz-Expires`.
    #[wasm_bindgen(readonly, js_name = expiresIn)]
    pub expires_in: u32,
    /// Expiry, Unix seconds.
    #[wasm_bindgen(readonly, js_name = expiresAt)]
    pub expires_at: f64,
    /// `X-Amz-Security-Token` present.
    #[wasm_bindgen(readonly, js_name = hasSessionToken)]
    pub has_session_token: bool,
    /// The hex signature.
    #[wasm_bindgen(readonly)]
    pub signature: String,
}

fn info(t: &TokenInfo<'_>) -> Info {
    Info {
        kind: String::from(match t.kind {
            Kind::Rds => "rds",
            Kind::Dsql => "dsql",
            Kind::ElastiCache => "elasticache",
            Kind::MemoryDb => "memorydb",
        }),
        host: String::from(t.host),
        port: t.port.map_or(-1, i32::from),
        action: String::from(t.action),
        user: t.user.map(|u| u.decode()),
        serverless: t.serverless,
        region: String::from(t.region),
        service: String::from(t.service),
        access_key_id: t.access_key_id.decode(),
        // Exact: the core caps signing times at year 9999 (< 2^53).
        signing_time: t.signing_time as f64,
        expires_in: t.expires_in,
        expires_at: t.expires_at as f64,
        has_session_token: t.has_session_token,
        signature: String::from(t.signature),
    }
}

/// Parses a token ([`dbtoken::inspect`]).
#[wasm_bindgen]
pub fn inspect(token: &str) -> Result<Info, String> {
    dbtoken::inspect(token).map(|t| info(&t)).map_err(err)
}

/// Recomputes a token's signature and checks its validity window at `now` ([`dbtoken::verify`]).
#[wasm_bindgen]
pub fn verify(token: &str, secret_access_key: &str, now: f64) -> Result<Info, String> {
    dbtoken::verify(token, secret_access_key, seconds(now))
        .map(|t| info(&t))
        .map_err(err)
}

/// Every error code of the core, comma-separated, in declaration order.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> String {
    let mut s = String::new();
    for code in dbtoken::error_codes() {
        if !s.is_empty() {
            s.push(',');
        }
        s.push_str(code);
    }
    s
}
