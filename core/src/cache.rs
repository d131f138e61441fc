//! A token cache with a refresh margin (`alloc` feature).

use alloc::string::String;
use core::fmt;

use sha2::{Digest, Sha256};

use crate::{Error, OwnedToken, Signer, Target, Token, TokenRequest};

/// The default refresh margin: a token is replaced 30 s before it expires (tokens used at the
/// very edge of their 900 s fail mid-handshake).
pub const DEFAULT_REFRESH_MARGIN: u64 = 30;

/// Hands out the same token until `refresh_margin` seconds before it expires, then signs a new
/// one. A token is only reused for the very same request (target, region, expiry, credentials:
/// compared by a SHA-256 fingerprint, so no secret is kept in the cache), and since every token
/// is clamped to its credentials' expiry, none outlives them.
///
/// The cache itself is single-threaded; front ends put it behind a lock.
pub struct TokenCache {
    signer: Signer,
    refresh_margin: u64,
    entry: Option<([u8; 32], OwnedToken)>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("refresh_margin", &self.refresh_margin)
            .field("cached", &self.entry.as_ref().map(|(_, t)| t))
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_REFRESH_MARGIN)
    }
}

fn fingerprint(req: &TokenRequest<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    match req.target {
        Target::Rds {
            hostname,
            port,
            username,
        } => {
            field(b"rds");
            field(hostname.as_bytes());
            field(&port.to_le_bytes());
            field(username.as_bytes());
        }
        Target::Dsql { hostname, admin } => {
            field(b"dsql");
            field(hostname.as_bytes());
            field(&[u8::from(admin)]);
        }
        Target::ElastiCache {
            cache_name,
            user_id,
            serverless,
        } => {
            field(b"elasticache");
            field(cache_name.as_bytes());
            field(user_id.as_bytes());
            field(&[u8::from(serverless)]);
        }
        Target::MemoryDb { cluster_name, user } => {
            field(b"memorydb");
            field(cluster_name.as_bytes());
            field(user.as_bytes());
        }
    }
    field(req.region.unwrap_or("\u{0}none").as_bytes());
    field(&req.expires_in.to_le_bytes());
    let c = &req.credentials;
    field(c.access_key_id.as_bytes());
    field(c.secret_access_key.as_bytes());
    field(c.session_token().unwrap_or("").as_bytes());
    field(&c.expires_at.unwrap_or(u64::MAX).to_le_bytes());
    h.finalize().into()
}

impl TokenCache {
    /// A cache that refreshes `refresh_margin` seconds before expiry.
    pub fn new(refresh_margin: u64) -> Self {
        TokenCache {
            signer: Signer::new(),
            refresh_margin,
            entry: None,
        }
    }

    /// The refresh margin in seconds.
    pub fn refresh_margin(&self) -> u64 {
        self.refresh_margin
    }

    /// The token for `req` at `now` (Unix seconds): the cached one while it has more than the
    /// refresh margin left, else a new one signed at `now` (`req.signing_time` is ignored).
    pub fn get(&mut self, req: &TokenRequest<'_>, now: u64) -> Result<&OwnedToken, Error> {
        let fp = fingerprint(req);
        let fresh = self.entry.as_ref().is_some_and(|(f, t)| {
            *f == fp && Token::fresh_at(t.signing_time, t.expires_at, now, self.refresh_margin)
        });
        if !fresh {
            self.entry = None;
            let mut req = *req;
            req.signing_time = now;
            let token = self.signer.token(&req)?;
            self.entry = Some((fp, token));
        }
        self.entry
            .as_ref()
            .map(|(_, t)| t)
            .ok_or(Error::BufferTooSmall)
    }

    /// [`get`](Self::get), returning only the text.
    pub fn get_token(&mut self, req: &TokenRequest<'_>, now: u64) -> Result<String, Error> {
        self.get(req, now).map(|t| t.token.clone())
    }

    /// Forgets the cached token.
    pub fn clear(&mut self) {
        self.entry = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Credentials;

    #[test]
    fn reuses_until_margin_then_refreshes() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret");
        let req = TokenRequest::rds("db.example.com", 5432, "u", creds, 0).with_region("us-east-1");
        let mut cache = TokenCache::new(30);
        let t0 = cache.get(&req, 1_000).unwrap().clone();
        assert_eq!(t0.signing_time, 1_000);
        assert_eq!(cache.get(&req, 1_869).unwrap(), &t0);
        let t1 = cache.get(&req, 1_870).unwrap().clone();
        assert_eq!(t1.signing_time, 1_870);
        let other =
            TokenRequest::rds("db.example.com", 5432, "v", creds, 0).with_region("us-east-1");
        assert_ne!(cache.get(&other, 1_871).unwrap().token, t1.token);
    }

    #[test]
    fn never_outlives_credentials() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret").with_expires_at(1_100);
        let req = TokenRequest::rds("db.example.com", 5432, "u", creds, 0).with_region("us-east-1");
        let mut cache = TokenCache::new(30);
        let t = cache.get(&req, 1_000).unwrap();
        assert_eq!(t.expires_at, 1_100);
        assert_eq!(
            cache.get(&req, 1_100).unwrap_err(),
            Error::CredentialsExpired
        );
    }
}
