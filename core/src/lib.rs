//! # dbtoken
//!
//! AWS IAM database authentication tokens (RDS, Aurora, RDS Proxy, Aurora DSQL, ElastiCache,
//! MemoryDB), computed with no I/O, no clock and no heap allocation.
//!
//! dbtoken does **not** fetch credentials, read the time, resolve DNS or talk to AWS: the
//! credentials, host, port, user, region and signing time are arguments. Front ends (the CLI,
//! the Python, JavaScript, Swift and Kotlin packages) read the environment and the clock and call
//! this crate.
//!
//! A token is a SigV4 query-presigned `GET /` with signed header `host`, without its scheme:
//!
//! ```text
//! mydb.abc123.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=jane_doe
//!   &X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240115%2Fus-east-1%2Frds-db%2Faws4_request
//!   &X-Amz-Date=20240115T123456Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=…
//! ```
//!
//! ```
//! use dbtoken::{Credentials, Signer, TokenRequest};
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let req = TokenRequest::rds("mydb.abc123.us-east-1.rds.amazonaws.com", 5432, "jane_doe", creds, 1_705_322_096);
//! let mut buf = [0u8; 1024];
//! let mut signer = Signer::new();
//! let token = signer.write_token(&req, &mut buf)?;
//! assert!(token.as_str().starts_with("mydb.abc123.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=jane_doe&"));
//! assert_eq!(token.region(), "us-east-1"); // read from the endpoint
//! assert_eq!(token.expires_at(), 1_705_322_096 + 900);
//! # Ok::<(), dbtoken::Error>(())
//! ```
//!
//! ## Token kinds
//! | kind | service | authority | parameters |
//! |---|---|---|---|
//! | RDS / Aurora / RDS Proxy | `rds-db` | `host:port` | `Action=connect&DBUser=…` |
//! | Aurora DSQL | `dsql` | `host` | `Action=DbConnect` or `DbConnectAdmin` |
//! | ElastiCache | `elasticache` | cache name | `Action=connect[&ResourceType=ServerlessCache]&User=…` |
//! | MemoryDB | `memorydb` | cluster name | `Action=connect&User=…` |
//!
//! ## Decisions where the AWS SDKs disagree
//! - **Byte-for-byte botocore.** Parameter order is `Action`, `DBUser`/`ResourceType`/`User`,
//!   `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//!   `X-Amz-SignedHeaders`, `[X-Amz-Security-Token]`, `X-Amz-Signature`: for the same inputs and
//!   second, an RDS token equals `aws rds generate-db-auth-token`'s.
//! - **Encoding** is RFC 3986: `A-Z a-z 0-9 - . _ ~` stay, every other byte of the UTF-8 becomes
//!   `%XX` with upper-case hex (a space is `%20`, never `+`).
//! - **Host case.** The host is lower-cased in the text and in the signature (DNS names are
//!   case-insensitive; botocore lower-cases only the signed header, so its text can disagree
//!   with what it signed).
//! - **Port 443.** For RDS on port 443 the signed `host` header omits `:443` (botocore, the Go SDK
//!   and `aws-sigv4` do the same: it is the HTTPS default port) while the text keeps `host:443`.
//! - **Empty session token** is treated as absent (botocore writes `X-Amz-Security-Token=`, which
//!   RDS Proxy rejects).
//! - **Credentials that expire first.** When the credentials expire before the token would,
//!   `X-Amz-Expires` is clamped to their remaining lifetime (as the Go SDK does) and
//!   [`Token::expires_at`] reports the real expiry; credentials already expired at the signing
//!   time are an error.
//! - **Region.** With no region, it is read from AWS endpoint hosts
//!   (`*.{region}.rds.amazonaws.com`, `*.rds.{region}.amazonaws.com.cn`, `*.dsql.{region}.on.aws`);
//!   an explicit region that contradicts such a host is an error, not a silently useless token.
//! - **Expiry** must be 1–900 s (DSQL: 1–604,800 s).
//!
//! ## API shape
//! Like RustCrypto's `base16ct`: [`token_len`] gives the exact size, [`Signer::write_token`]
//! writes into a caller's buffer and returns a [`Token`] (text, region, expiry), and with the
//! `alloc` feature [`Signer::token`] / [`token_string`] return owned strings. A [`Signer`] caches
//! the derived signing key per (secret, date, region, service), so repeated tokens skip the four
//! HMACs of key derivation; [`Signer::prepare`] returns a [`PreparedToken`] that re-signs the same
//! request at a new time in place (dates, hashes and signature only). [`inspect`] parses a token without copying; [`verify`] recomputes its
//! signature. The general [`sigv4::presign`] signs any HTTP request the same way and is what the
//! official SigV4 test suite runs against.
//!
//! ## Errors
//! Every failure is an [`Error`] variant with a stable [`Error::code`] that all front ends expose
//! unchanged. Messages never contain inputs or secrets; `Debug` of [`Credentials`] and [`Token`]
//! redacts them.
//!
//! ## Features
//! - `alloc`: owned-string conveniences.
//! - `std`: implies `alloc` (reserved for std-only conveniences).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "alloc")]
pub mod cache;
mod error;
mod inspect;
mod prepared;
pub mod sigv4;
mod text;
mod token;

#[cfg(feature = "alloc")]
pub use cache::TokenCache;
pub use error::Error;
pub use inspect::{Encoded, TokenInfo, inspect, verify};
pub use prepared::PreparedToken;
#[doc(hidden)]
pub use token::bench_internals;
pub use token::{
    Credentials, DEFAULT_EXPIRES_IN, Kind, Signer, Target, Token, TokenRequest, token_len,
    write_token,
};

/// Length of `input` once percent-encoded for a URL (see [`url_encode`]).
pub fn url_encoded_len(input: &str) -> usize {
    text::encoded_len(input.as_bytes())
}

/// Percent-encodes `input` (RFC 3986 unreserved characters kept) into `buf`.
///
/// A token placed in a connection URL (`postgresql://user:TOKEN@host/db`) must be encoded this
/// way: its `%2F`, `&` and `=` otherwise corrupt the URL or get decoded into a different password.
pub fn url_encode<'b>(input: &str, buf: &'b mut [u8]) -> Result<&'b str, Error> {
    let mut out = text::Cursor::new(buf);
    out.put_encoded(input.as_bytes())?;
    core::str::from_utf8(out.into_written()).map_err(|_| Error::BufferTooSmall)
}

/// Every error code, in declaration order.
pub fn error_codes() -> impl Iterator<Item = &'static str> {
    Error::ALL.iter().map(Error::code)
}

/// An owned token with what was decided while signing it (`alloc` feature).
#[cfg(feature = "alloc")]
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedToken {
    /// The token text.
    pub token: alloc::string::String,
    /// The token kind.
    pub kind: Kind,
    /// The region it was signed for.
    pub region: alloc::string::String,
    /// Signing time (Unix seconds).
    pub signing_time: u64,
    /// `X-Amz-Expires` as written (after clamping to the credentials).
    pub expires_in: u32,
    /// When the token stops working (Unix seconds).
    pub expires_at: u64,
}

#[cfg(feature = "alloc")]
impl core::fmt::Debug for OwnedToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OwnedToken")
            .field("kind", &self.kind)
            .field("region", &self.region)
            .field("signing_time", &self.signing_time)
            .field("expires_at", &self.expires_at)
            .field("len", &self.token.len())
            .finish_non_exhaustive()
    }
}

/// The token for `req` as a `String` (`alloc` feature).
#[cfg(feature = "alloc")]
pub fn token_string(req: &TokenRequest<'_>) -> Result<alloc::string::String, Error> {
    Signer::new().token(req).map(|t| t.token)
}

/// Percent-encodes `input` for a URL (`alloc` feature). See [`url_encode`].
#[cfg(feature = "alloc")]
pub fn url_encode_string(input: &str) -> alloc::string::String {
    let mut buf = alloc::vec![0u8; url_encoded_len(input)];
    let n = url_encode(input, &mut buf).map(str::len).unwrap_or(0);
    buf.truncate(n);
    alloc::string::String::from_utf8(buf).unwrap_or_default()
}

/// The README's Rust example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Expected values written by hand from RFC 3986 (section 2.3: `A-Z a-z 0-9 - . _ ~` are
    /// unreserved and kept; every other byte of the UTF-8 text is `%` and two upper-case hex
    /// digits, section 2.1).
    const ENCODED: [(&str, &str); 12] = [
        ("", ""),
        ("AZaz09-._~", "AZaz09-._~"),
        ("a b", "a%20b"),
        ("/", "%2F"),
        ("+", "%2B"),
        ("=", "%3D"),
        ("&", "%26"),
        ("%", "%25"),
        (":@?#[]", "%3A%40%3F%23%5B%5D"),
        ("!$'()*,;", "%21%24%27%28%29%2A%2C%3B"),
        ("ü", "%C3%BC"),
        ("a/b+c==", "a%2Fb%2Bc%3D%3D"),
    ];

    #[test]
    fn url_encode_follows_rfc_3986() {
        for (plain, want) in ENCODED {
            let mut buf = [0u8; 64];
            assert_eq!(url_encode(plain, &mut buf).unwrap(), want, "{plain:?}");
            assert_eq!(url_encoded_len(plain), want.len(), "{plain:?}");
        }
        // A token as it appears in a connection URL.
        let token = "h:5432/?Action=connect&DBUser=u&X-Amz-Credential=AKID%2F20240115";
        let mut buf = [0u8; 128];
        assert_eq!(
            url_encode(token, &mut buf).unwrap(),
            "h%3A5432%2F%3FAction%3Dconnect%26DBUser%3Du%26X-Amz-Credential%3DAKID%252F20240115"
        );
    }

    #[test]
    fn url_encode_needs_room_for_the_encoded_text() {
        let mut buf = [0u8; 5];
        assert_eq!(url_encode("a b", &mut buf).unwrap(), "a%20b");
        let mut short = [0u8; 4];
        assert_eq!(
            url_encode("a b", &mut short).unwrap_err(),
            Error::BufferTooSmall
        );
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn url_encode_string_follows_rfc_3986() {
        for (plain, want) in ENCODED {
            assert_eq!(url_encode_string(plain), want, "{plain:?}");
        }
    }
}
