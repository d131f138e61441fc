//! A token laid out once and re-signed in place at each new signing time.

use core::fmt;

use sha2::Sha256;

use crate::sigv4::{self, CanonicalHasher, HmacSha256, Scope, SecretBlock};
use crate::text::{self, Decimal, amz_date};
use crate::token::{Kept, Layout, clamp_expiry, hash_rest, patch, plan};
use crate::{Error, Kind, Signer, Token, TokenRequest};

/// A token laid out once and re-signed in place for each new signing time.
///
/// A connection pool asks for tokens for the same target and credentials again and again; only
/// the time changes. [`Signer::prepare`] validates the request, writes its token into a buffer
/// and keeps what the next tokens need: where the dates and the signature are, the SHA-256 state
/// of the canonical request's time-independent prefix, and the signing key. [`sign`](Self::sign)
/// then patches the dates, hashes the rest and writes the new signature: no validation, no
/// encoding, no key derivation (except once a day), and no allocation.
///
/// The buffer `B` is anything that derefs to bytes: `[u8; N]`, `&mut [u8]`, or a `Vec<u8>`.
/// The secret access key is kept only as the first key-derivation step's HMAC key block, which is
/// zeroized on drop. `Debug` shows neither it nor the token.
///
/// ```
/// use dbtoken::{Credentials, Signer, TokenRequest};
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
/// let req = TokenRequest::rds("mydb.abc123.us-east-1.rds.amazonaws.com", 5432, "jane_doe", creds, 1_705_322_096);
/// let mut prepared = Signer::new().prepare(&req, [0u8; 1024])?;
/// assert_eq!(prepared.token()?.signing_time(), 1_705_322_096);
///
/// // Ten minutes later: the same text but for its dates and signature.
/// let later = prepared.sign(1_705_322_696)?;
/// assert!(later.as_str().contains("&X-Amz-Date=20240115T124456Z&"));
/// # Ok::<(), dbtoken::Error>(())
/// ```
pub struct PreparedToken<B> {
    buf: B,
    layout: Layout,
    kind: Kind,
    /// The canonical request hashed up to the credential scope's date.
    prefix: Sha256,
    secret: SecretBlock,
    /// The signing key and the date (`YYYYMMDD`) it was derived for.
    key: HmacSha256,
    key_date: [u8; 8],
    requested_expires_in: u32,
    cred_expires_at: Option<u64>,
    expires_in: u32,
    signing_time: u64,
}

impl Signer {
    /// Validates `req`, writes its token (signed at `req.signing_time`) into `buf` and returns it
    /// ready to be re-signed at other times with [`PreparedToken::sign`].
    ///
    /// `buf` needs [`token_len`](crate::token_len)`(req)` bytes. The signing key comes from this
    /// signer's cache.
    pub fn prepare<B: AsRef<[u8]> + AsMut<[u8]>>(
        &mut self,
        req: &TokenRequest<'_>,
        mut buf: B,
    ) -> Result<PreparedToken<B>, Error> {
        let p = plan(req)?;
        let (layout, kept) = self.write_signed(&p, buf.as_mut(), &mut (), true)?;
        // `keep` is set, so it is always there.
        let Kept {
            prefix,
            key,
            key_date,
        } = kept.ok_or(Error::BufferTooSmall)?;
        Ok(PreparedToken {
            buf,
            layout,
            kind: p.kind,
            prefix,
            secret: SecretBlock::new(p.secret),
            key,
            key_date,
            requested_expires_in: req.expires_in,
            cred_expires_at: req.credentials.expires_at,
            expires_in: p.expires_in,
            signing_time: p.signing_time,
        })
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> PreparedToken<B> {
    /// The token as last signed.
    pub fn token(&self) -> Result<Token<'_>, Error> {
        Token::in_buf(
            self.buf.as_ref(),
            &self.layout,
            self.kind,
            self.signing_time,
            self.expires_in,
        )
    }

    /// Re-signs the token at `signing_time` (Unix seconds) and returns it.
    ///
    /// The expiry is clamped to the credentials' expiry at that time, as
    /// [`Signer::write_token`] does; credentials expired by then are
    /// [`Error::CredentialsExpired`]. Signing at an earlier time than before can lengthen
    /// `X-Amz-Expires` by a digit or more: without room for it in the buffer the result is
    /// [`Error::BufferTooSmall`] and the token is unchanged.
    pub fn sign(&mut self, signing_time: u64) -> Result<Token<'_>, Error> {
        if signing_time > text::MAX_UNIX_TIME {
            return Err(Error::InvalidSigningTime);
        }
        let expires_in = clamp_expiry(
            self.requested_expires_in,
            self.cred_expires_at,
            signing_time,
        )?;
        if expires_in != self.expires_in {
            self.set_expires_in(expires_in)?;
        }
        let date = amz_date(signing_time);
        let l = self.layout;
        let buf = self.buf.as_mut();
        patch(buf, l.cred_date, date.get(..8).unwrap_or(&[]))?;
        patch(buf, l.amz_date, &date)?;
        let region = buf.get(l.region.0..l.region.1).unwrap_or(&[]);
        let scope = Scope::new(&date, region, self.kind.service().as_bytes());
        if scope.date != self.key_date {
            self.key = sigv4::derive_from_block(&self.secret, &scope);
            self.key_date = scope.date;
        }
        let mut no_trace = ();
        let (hash, trace) = hash_rest(
            CanonicalHasher::resume(self.prefix.clone(), &mut no_trace),
            buf,
            &l,
        );
        let sig = sigv4::signature(self.key.clone(), &date, &scope, &hash, trace);
        patch(buf, l.signature(), &sig)?;
        self.signing_time = signing_time;
        self.token()
    }

    /// The token as last signed while it stays good for more than `refresh_margin` seconds
    /// after `now` (and was not signed after `now`); otherwise re-signed at `now`, as
    /// [`sign`](Self::sign). The same rule as [`TokenCache`](crate::TokenCache)'s, for one
    /// request.
    pub fn refresh(&mut self, now: u64, refresh_margin: u64) -> Result<Token<'_>, Error> {
        let expires_at = self.signing_time.saturating_add(u64::from(self.expires_in));
        if Token::fresh_at(self.signing_time, expires_at, now, refresh_margin) {
            self.token()
        } else {
            self.sign(now)
        }
    }

    /// Rewrites `X-Amz-Expires` (moving the rest of the text when its length changes).
    fn set_expires_in(&mut self, expires_in: u32) -> Result<(), Error> {
        let digits = Decimal::new(u64::from(expires_in));
        let digits = digits.as_bytes();
        let l = &mut self.layout;
        let buf = self.buf.as_mut();
        let old_end = l.signed_headers;
        let new_end = l.expires + digits.len();
        let len = l.len();
        let new_len = (len + new_end)
            .checked_sub(old_end)
            .filter(|&n| n <= buf.len())
            .ok_or(Error::BufferTooSmall)?;
        if new_end != old_end {
            // `old_end..len` and `new_end..new_len` both lie in `buf` (checked above).
            buf.copy_within(old_end..len, new_end);
        }
        patch(buf, l.expires, digits)?;
        l.shift_tail(new_end.wrapping_sub(old_end) as isize);
        debug_assert_eq!(l.len(), new_len);
        self.expires_in = expires_in;
        Ok(())
    }

    /// The buffer back (it holds the token as last signed).
    pub fn into_inner(self) -> B {
        self.buf
    }
}

impl<B> fmt::Debug for PreparedToken<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedToken")
            .field("kind", &self.kind)
            .field("signing_time", &self.signing_time)
            .field("expires_in", &self.expires_in)
            .field("len", &self.layout.len())
            .finish_non_exhaustive()
    }
}
