//! A token cache with a refresh margin (`alloc` feature).

use alloc::string::String;
use core::fmt;

use sha2::{Digest, Sha256};

use crate::{Error, OwnedToken, Signer, Target, Token, TokenRequest};

/// The default refresh margin: a token is replaced 30 s before it expires (tokens used at the
/// very edge of their 900 s fail mid-handshake).
pub const DEFAULT_REFRESH_MARGIN: u64 = 30;

/// Seconds a cached token must still be valid for to be handed out while the credentials source
/// fails ([`TokenCache::get_in_outage`]): enough to open a connection with it.
pub const OUTAGE_FLOOR: u64 = 5;

/// Hands out the same token until `refresh_margin` seconds before it expires, then signs a new
/// one. A token is only reused for the very same request (target, region, expiry, credentials:
/// compared by a SHA-256 fingerprint, so no secret is kept in the cache), and since every token
/// is clamped to its credentials' expiry, none outlives them.
///
/// When the credentials source fails, [`get_in_outage`](Self::get_in_outage) hands out the
/// cached token for the same target (target, region and expiry setting; the credentials are
/// unknown then) while it is still valid for [`OUTAGE_FLOOR`] seconds, and
/// [`Error::CredentialsUnavailable`] otherwise. The AWS SDKs likewise keep serving cached
/// credentials through a failed refresh.
///
/// The cache itself is single-threaded; front ends put it behind a lock.
pub struct TokenCache {
    signer: Signer,
    refresh_margin: u64,
    entry: Option<Entry>,
}

/// The cached token with the fingerprints of its target (without credentials) and of the whole
/// request.
struct Entry {
    target: [u8; 32],
    request: [u8; 32],
    token: OwnedToken,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("refresh_margin", &self.refresh_margin)
            .field("cached", &self.entry.as_ref().map(|e| &e.token))
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(DEFAULT_REFRESH_MARGIN)
    }
}

/// The target's fingerprint (what [`TokenCache::get_in_outage`] matches) and the whole request's
/// (target and credentials).
fn fingerprints(req: &TokenRequest<'_>) -> ([u8; 32], [u8; 32]) {
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
    let target: [u8; 32] = h.clone().finalize().into();
    let mut field = |b: &[u8]| {
        h.update((b.len() as u64).to_le_bytes());
        h.update(b);
    };
    let c = &req.credentials;
    field(c.access_key_id.as_bytes());
    field(c.secret_access_key.as_bytes());
    field(c.session_token().unwrap_or("").as_bytes());
    field(&c.expires_at.unwrap_or(u64::MAX).to_le_bytes());
    (target, h.finalize().into())
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
        let (target, request) = fingerprints(req);
        let fresh = self.entry.as_ref().is_some_and(|e| {
            e.request == request
                && Token::fresh_at(
                    e.token.signing_time,
                    e.token.expires_at,
                    now,
                    self.refresh_margin,
                )
        });
        if !fresh {
            self.entry = None;
            let mut req = *req;
            req.signing_time = now;
            let token = self.signer.token(&req)?;
            self.entry = Some(Entry {
                target,
                request,
                token,
            });
        }
        self.entry
            .as_ref()
            .map(|e| &e.token)
            .ok_or(Error::BufferTooSmall)
    }

    /// The token to hand out at `now` (Unix seconds) when the credentials source failed: the
    /// cached token for the same target, region and `expires_in` as `req` (its credentials and
    /// signing time are ignored), if it was signed at or before `now` and is valid for at least
    /// [`OUTAGE_FLOOR`] more seconds; otherwise [`Error::CredentialsUnavailable`]. The refresh
    /// margin does not apply: a token inside the margin is still better than none. The cache
    /// is left as it is, so the next call with credentials signs anew as usual.
    pub fn get_in_outage(&self, req: &TokenRequest<'_>, now: u64) -> Result<&OwnedToken, Error> {
        let (target, _) = fingerprints(req);
        self.entry
            .as_ref()
            .filter(|e| {
                e.target == target
                    && Token::fresh_at(
                        e.token.signing_time,
                        e.token.expires_at,
                        now,
                        OUTAGE_FLOOR - 1,
                    )
            })
            .map(|e| &e.token)
            .ok_or(Error::CredentialsUnavailable)
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

    /// Each field the fingerprint covers, changed alone after a token was cached, gives a new
    /// token for the new request: signed at the new time, with the new field in its text, and
    /// verifying with the new secret.
    #[test]
    fn a_change_of_any_one_field_is_a_new_token() {
        let session = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=";
        let base_creds = Credentials::new("ASIAEXAMPLE", "secret-one")
            .with_session_token(session)
            .with_expires_at(10_000);
        let base = TokenRequest::rds("10.0.0.1", 5432, "u", base_creds, 0).with_region("us-east-1");
        let rotated_secret = Credentials {
            secret_access_key: "secret-two",
            ..base_creds
        };
        let rotated_session = base_creds.with_session_token("FwoGZXIvYXdzEBYaDNEWSESSION");
        let later_expiry = base_creds.with_expires_at(20_000);
        let earlier_expiry = base_creds.with_expires_at(1_500);
        let variants: [(&str, TokenRequest<'_>, &str); 7] = [
            ("region", base.with_region("eu-west-1"), "%2Feu-west-1%2F"),
            (
                "expires_in",
                base.with_expires_in(600),
                "X-Amz-Expires=600&",
            ),
            (
                "secret",
                TokenRequest {
                    credentials: rotated_secret,
                    ..base
                },
                "",
            ),
            (
                "session token",
                TokenRequest {
                    credentials: rotated_session,
                    ..base
                },
                "X-Amz-Security-Token=FwoGZXIvYXdzEBYaDNEWSESSION&",
            ),
            (
                "no session token",
                TokenRequest {
                    credentials: Credentials {
                        session_token: None,
                        ..base_creds
                    },
                    ..base
                },
                "",
            ),
            (
                "later credential expiry",
                TokenRequest {
                    credentials: later_expiry,
                    ..base
                },
                "X-Amz-Expires=900&",
            ),
            (
                "earlier credential expiry",
                TokenRequest {
                    credentials: earlier_expiry,
                    ..base
                },
                "X-Amz-Expires=490&",
            ),
        ];
        for (what, changed, needle) in variants {
            let mut cache = TokenCache::new(30);
            let first = cache.get(&base, 1_000).unwrap().clone();
            assert_eq!(first.signing_time, 1_000);
            // Ten seconds later the first token is still fresh for `base` ...
            assert_eq!(cache.get(&base, 1_005).unwrap(), &first, "{what}");
            // ... but not for the changed request.
            let second = cache.get(&changed, 1_010).unwrap().clone();
            assert_eq!(second.signing_time, 1_010, "{what}");
            assert_ne!(second.token, first.token, "{what}");
            assert!(second.token.contains(needle), "{what}: {needle}");
            assert!(second.expires_at <= changed.credentials.expires_at.unwrap_or(u64::MAX));
            let secret = changed.credentials.secret_access_key;
            let info = crate::verify(&second.token, secret, 1_010).unwrap();
            assert_eq!(
                info.has_session_token,
                changed.credentials.session_token().is_some(),
                "{what}"
            );
            assert_eq!(info.region, changed.region.unwrap_or(""), "{what}");
        }
    }

    /// A clock stepped backwards or forwards by hours never gets a token signed in its future
    /// or one already expired.
    #[test]
    fn clock_steps_never_give_a_future_or_expired_token() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret");
        let req = TokenRequest::rds("db.example.com", 5432, "u", creds, 0).with_region("us-east-1");
        let mut cache = TokenCache::new(30);
        let mut now: u64 = 1_700_000_000;
        for step in [
            0i64,
            -3 * 3_600,
            5,
            7 * 3_600,
            -1,
            -26 * 3_600,
            899,
            1,
            86_400 * 400,
        ] {
            now = now.checked_add_signed(step).unwrap();
            let t = cache.get(&req, now).unwrap();
            assert!(t.signing_time <= now, "step {step}: signed in the future");
            assert!(
                t.expires_at > now + 30,
                "step {step}: expired or within the margin"
            );
            crate::verify(&t.token, "secret", now).unwrap();
        }
    }

    /// Through a credentials outage: the cached token for the same target while it is valid
    /// for at least the floor (whatever credentials the request carries), nothing for another
    /// target, region or expiry, nothing signed in the future; afterwards, signing resumes.
    #[test]
    fn serves_the_cached_token_through_an_outage() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret");
        let unknown = Credentials::new("", "");
        let req = TokenRequest::rds("db.example.com", 5432, "u", creds, 0).with_region("us-east-1");
        let during = TokenRequest {
            credentials: unknown,
            ..req
        };
        let mut cache = TokenCache::new(30);
        assert_eq!(
            cache.get_in_outage(&during, 1_000).unwrap_err(),
            Error::CredentialsUnavailable
        );
        let t = cache.get(&req, 1_000).unwrap().clone();
        assert_eq!(t.expires_at, 1_900);
        // Inside the refresh margin but above the floor: still served.
        for now in [1_000, 1_500, 1_880, 1_900 - OUTAGE_FLOOR] {
            assert_eq!(cache.get_in_outage(&during, now).unwrap(), &t, "{now}");
        }
        for now in [1_900 - OUTAGE_FLOOR + 1, 1_899, 1_900, 5_000, 999] {
            assert_eq!(
                cache.get_in_outage(&during, now).unwrap_err(),
                Error::CredentialsUnavailable,
                "{now}"
            );
        }
        let others = [
            TokenRequest::rds("db.example.com", 5432, "v", unknown, 0).with_region("us-east-1"),
            TokenRequest::rds("db.example.com", 5433, "u", unknown, 0).with_region("us-east-1"),
            during.with_region("us-west-2"),
            during.with_expires_in(600),
            TokenRequest::dsql("db.example.com", false, unknown, 0).with_region("us-east-1"),
        ];
        for other in others {
            assert_eq!(
                cache.get_in_outage(&other, 1_500).unwrap_err(),
                Error::CredentialsUnavailable,
                "{other:?}"
            );
        }
        // The source is back with rotated credentials: a new token, and that one is served next.
        let rotated = TokenRequest {
            credentials: Credentials::new("AKIDEXAMPLE", "secret-2"),
            ..req
        };
        let t2 = cache.get(&rotated, 1_600).unwrap().clone();
        assert_eq!(t2.signing_time, 1_600);
        crate::verify(&t2.token, "secret-2", 1_600).unwrap();
        assert_eq!(cache.get_in_outage(&during, 1_700).unwrap(), &t2);
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
