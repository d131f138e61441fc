//! `PreparedToken`: a token laid out once and re-signed at other times must equal the vector
//! signed at that time from scratch (botocore's, or the published one). Each case is prepared
//! at other times (a second, a day and a year earlier, later), then re-signed at the vector's
//! time; on the way it passes day changes (a new signing key), and, for credentials with an
//! expiry, a clamped `X-Amz-Expires` that changes length.

use dbtoken::{Error, Signer, TokenRequest, token_len};
use dbtoken_conformance::*;

/// The times a case is prepared at before it is re-signed at its own time `t`.
fn other_times(t: u64) -> Vec<u64> {
    [1, 59, 3_600, 86_400, 86_400 * 366]
        .into_iter()
        .filter_map(|d| t.checked_sub(d))
        .chain([t + 1, t + 86_400])
        .collect()
}

/// `req` signed at `t` instead.
fn at<'a>(req: &TokenRequest<'a>, t: u64) -> TokenRequest<'a> {
    TokenRequest {
        signing_time: t,
        ..*req
    }
}

#[test]
fn prepared_then_resigned_equals_every_vector() {
    let cases = token_cases();
    let mut checked = 0usize;
    let mut failures = Vec::new();
    for case in &cases {
        let req = case.input.request(&case.kind);
        let t = req.signing_time;
        let want = &case.expected;

        // Prepared at the vector's own time.
        let len = token_len(&req).unwrap();
        let p = Signer::new().prepare(&req, vec![0u8; len]).unwrap();
        let tok = p.token().unwrap();
        assert_eq!(tok.as_str(), want.token, "{}: prepared", case.id);
        assert_eq!(tok.expires_at(), want.expires_at, "{}", case.id);

        for t0 in other_times(t) {
            let early = at(&req, t0);
            // Credentials that are expired at t0 cannot be prepared then.
            let Ok(len0) = token_len(&early) else {
                continue;
            };
            // Room for the vector's token too (an earlier time can mean a longer expiry).
            let mut p = Signer::new()
                .prepare(&early, vec![0u8; len0.max(len)])
                .unwrap();
            let tok = match p.sign(t) {
                Ok(tok) => tok,
                Err(e) => {
                    failures.push(format!("{}: from {t0}: {}", case.id, e.code()));
                    continue;
                }
            };
            if tok.as_str() != want.token {
                failures.push(format!(
                    "{}: prepared at {t0}, signed at {t}\n ours: {}\n want: {}",
                    case.id,
                    tok.as_str(),
                    want.token
                ));
                continue;
            }
            assert_eq!(tok.expires_at(), want.expires_at, "{}", case.id);
            assert_eq!(tok.signing_time(), t);
            assert_eq!(tok.region(), dbtoken::inspect(&want.token).unwrap().region);
            // Away and back again.
            let _ = p.sign(t0);
            let _ = p.sign(t + 86_400 * 40);
            assert_eq!(p.sign(t).unwrap().as_str(), want.token, "{}", case.id);
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked >= cases.len() * 5, "{checked} re-signings checked");
    println!("ok {checked} re-signings of {} vectors", cases.len());
}

#[test]
fn every_token_error_vector_gives_its_code_from_prepare() {
    for case in error_cases().iter().filter(|c| c.op == "token") {
        let input = case.input.as_ref().unwrap();
        let req = input.request(case.kind.as_deref().unwrap());
        let buf = vec![0u8; case.buffer_len.unwrap_or(8192)];
        let e = Signer::new().prepare(&req, buf).unwrap_err();
        assert_eq!(e.code(), case.code, "{}", case.id);
    }
}

#[test]
fn sign_rejects_bad_times_and_keeps_the_token() {
    let case = token_cases()
        .into_iter()
        .find(|c| c.input.credentials.expires_at.is_some() && c.kind == "rds")
        .expect("an rds vector with expiring credentials");
    let req = case.input.request(&case.kind);
    let cred_expiry = req.credentials.expires_at.unwrap();
    let mut p = Signer::new().prepare(&req, vec![0u8; 8192]).unwrap();
    assert_eq!(
        p.sign(253_402_300_800).unwrap_err(),
        Error::InvalidSigningTime
    );
    assert_eq!(p.sign(cred_expiry).unwrap_err(), Error::CredentialsExpired);
    assert_eq!(p.sign(u64::MAX).unwrap_err(), Error::InvalidSigningTime);
    assert_eq!(p.token().unwrap().as_str(), case.expected.token);
    // One second before the credentials expire: a one-second token.
    let last = p.sign(cred_expiry - 1).unwrap();
    assert_eq!(last.expires_in(), 1);
    assert!(last.as_str().contains("&X-Amz-Expires=1&"));
    assert_eq!(
        p.sign(req.signing_time).unwrap().as_str(),
        case.expected.token
    );
}

#[test]
fn a_longer_expiry_needs_room() {
    // Prepared one second before its credentials expire (X-Amz-Expires=1) in a buffer that
    // fits exactly; re-signing earlier needs two more digits.
    let case = token_cases()
        .into_iter()
        .find(|c| c.input.credentials.expires_at.is_some())
        .unwrap();
    let req = case.input.request(&case.kind);
    let late = at(&req, req.credentials.expires_at.unwrap() - 1);
    let len = token_len(&late).unwrap();
    let mut p = Signer::new().prepare(&late, vec![0u8; len]).unwrap();
    let before = p.token().unwrap().as_str().to_owned();
    assert!(before.contains("&X-Amz-Expires=1&"));
    if token_len(&req).unwrap() > len {
        assert_eq!(p.sign(req.signing_time).unwrap_err(), Error::BufferTooSmall);
        assert_eq!(p.token().unwrap().as_str(), before, "unchanged");
    }
    let mut roomy = Signer::new()
        .prepare(&late, {
            let mut v = p.into_inner();
            v.resize(len + 8, 0);
            v
        })
        .unwrap();
    assert_eq!(
        roomy.sign(req.signing_time).unwrap().as_str(),
        case.expected.token
    );
}

#[test]
fn debug_shows_no_secret_and_no_token() {
    for case in token_cases() {
        let req = case.input.request(&case.kind);
        let p = Signer::new().prepare(&req, vec![0u8; 8192]).unwrap();
        let shown = format!("{p:?}");
        assert!(
            !shown.contains(&case.input.credentials.secret_access_key),
            "{}",
            case.id
        );
        assert!(!shown.contains(&case.expected.signature), "{}", case.id);
        if let Some(s) = &case.input.credentials.session_token {
            assert!(s.is_empty() || !shown.contains(s.as_str()), "{}", case.id);
        }
    }
}

/// `refresh(now, margin)` against every vector, with `now` = the vector's time: a token signed
/// eight days before (stale even for a 7-day DSQL token) or hours after `now` (a clock stepped backwards) is re-signed at `now` and
/// equals the vector; one signed a second before `now` is handed out unchanged.
#[test]
fn refresh_resigns_stale_and_future_tokens_to_the_vector() {
    let mut checked = 0usize;
    for case in token_cases() {
        let req = case.input.request(&case.kind);
        let t = req.signing_time;
        let len = token_len(&req).unwrap();
        for t0 in [t.checked_sub(86_400 * 8), Some(t + 3 * 3_600), Some(t + 1)]
            .into_iter()
            .flatten()
        {
            let Ok(len0) = token_len(&at(&req, t0)) else {
                continue; // credentials already expired at t0
            };
            let mut p = Signer::new()
                .prepare(&at(&req, t0), vec![0u8; len0.max(len) + 8])
                .unwrap();
            let tok = p.refresh(t, 30).unwrap();
            assert_eq!(tok.as_str(), case.expected.token, "{}: from {t0}", case.id);
            assert_eq!(tok.signing_time(), t, "{}", case.id);
            checked += 1;
        }
        // Signed a second earlier and still fresh (when it lives long enough): unchanged.
        if let Ok(len0) = token_len(&at(&req, t - 1)) {
            let mut p = Signer::new()
                .prepare(&at(&req, t - 1), vec![0u8; len0.max(len) + 8])
                .unwrap();
            let before = p.token().unwrap().as_str().to_owned();
            let fresh = p.token().unwrap().expires_at() > t;
            let tok = p.refresh(t, 0).unwrap();
            if fresh {
                assert_eq!(tok.as_str(), before, "{}", case.id);
                assert_eq!(tok.signing_time(), t - 1, "{}", case.id);
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

/// `TokenCache::get` signs at `now` (not at `req.signing_time`): after a token cached at a later
/// time (a clock stepped backwards by hours) or long before, the cache hands out the vector's
/// token at the vector's time.
#[test]
fn token_cache_at_the_vector_time_gives_the_vector() {
    let mut checked = 0usize;
    for case in token_cases() {
        let req = case.input.request(&case.kind);
        let t = req.signing_time;
        for t0 in [t + 3 * 3_600, t.saturating_sub(86_400 * 8)] {
            let mut cache = dbtoken::TokenCache::new(30);
            if t0 != t && req.credentials.expires_at.is_none_or(|e| e > t0) {
                cache.get(&req, t0).unwrap();
            }
            let tok = cache.get(&req, t).unwrap();
            assert_eq!(tok.token, case.expected.token, "{}: after {t0}", case.id);
            assert_eq!(tok.expires_at, case.expected.expires_at, "{}", case.id);
            checked += 1;
        }
    }
    assert!(checked >= 200, "{checked}");
}
