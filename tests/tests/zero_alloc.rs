//! Zero heap allocations per token: a counting global allocator watches `write_token`,
//! `token_len`, `inspect`, `verify`, a `PreparedToken`'s `sign` and the general `sigv4::presign`
//! for every kind, with and without a session token, with a secret that fits the HMAC block and
//! one longer than 60 bytes (`"AWS4" + secret` is hashed first), with a cold and a warm key
//! cache, and with re-signings whose clamped `X-Amz-Expires` changes length (the text moves).
//!
//! CI runs this file in the dev profile too: an optimiser may delete an allocation whose result
//! is never used, so a release build alone could hide one.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dbtoken::{Credentials, Signer, TokenRequest, inspect, token_len, verify};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn no_heap_allocation_per_token() {
    let session = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=".repeat(16);
    let long = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let temporary = Credentials::new("ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .with_session_token(&session)
        .with_expires_at(1_705_322_500);
    let long_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".repeat(3);
    assert!(long_secret.len() > 60);
    let temporary_long_secret = Credentials::new("ASIAEXAMPLE", &long_secret)
        .with_session_token(&session)
        .with_expires_at(1_705_322_500);
    let t = 1_705_322_096;
    let mut checked = 0;
    for creds in [long, temporary, temporary_long_secret] {
        let requests = [
            TokenRequest::rds(
                "mydb.abc123.us-east-1.rds.amazonaws.com",
                5432,
                "jane doe+ü",
                creds,
                t,
            ),
            TokenRequest::rds("10.0.0.1", 443, "app", creds, t).with_region("eu-west-1"),
            TokenRequest::dsql(
                "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws",
                false,
                creds,
                t,
            ),
            TokenRequest::dsql(
                "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws",
                true,
                creds,
                t,
            )
            .with_expires_in(3600),
            TokenRequest::elasticache("My-Cache", "app-user", true, creds, t)
                .with_region("us-west-2"),
            TokenRequest::elasticache("my-cache", "app-user", false, creds, t)
                .with_region("us-west-2"),
            TokenRequest::memorydb("my-cluster", "app", creds, t).with_region("ap-south-1"),
        ];
        for req in &requests {
            let mut buf = [0u8; 4096];
            let mut signer = Signer::new();
            // Cold cache: derives the signing key.
            let n = allocations_in(|| {
                token_len(req).unwrap();
                signer.write_token(req, &mut buf).unwrap();
            });
            assert_eq!(n, 0, "cold: {req:?}");
            // Warm cache: reuses it.
            let n = allocations_in(|| {
                let tok = signer.write_token(req, &mut buf).unwrap();
                let info = inspect(tok.as_str()).unwrap();
                assert!(info.expires_at > info.signing_time);
            });
            assert_eq!(n, 0, "warm: {req:?}");
            let text = std::str::from_utf8(&buf[..token_len(req).unwrap()])
                .unwrap()
                .to_owned();
            let n = allocations_in(|| {
                verify(&text, creds.secret_access_key, t).unwrap();
            });
            assert_eq!(n, 0, "verify: {req:?}");
            // A prepared token in a stack buffer, re-signed a second, a day and a clamp later,
            // and (for credentials expiring at t + 404) with X-Amz-Expires going 403 -> 4 ->
            // 94 -> 404 (one, two, three digits: the text after it moves each time).
            let mut lengths = std::collections::BTreeSet::new();
            let mut seen = Vec::with_capacity(16);
            let n = allocations_in(|| {
                let mut p = Signer::new().prepare(req, [0u8; 4096]).unwrap();
                for later in [t + 1, t + 86_400 + 1, t + 300, t + 400, t + 310, t, t + 403] {
                    match p.sign(later) {
                        Ok(tok) => {
                            assert!(tok.expires_at() > later);
                            seen.push(tok.expires_in());
                        }
                        Err(e) => assert_eq!(e.code(), "credentials_expired"),
                    }
                }
            });
            assert_eq!(n, 0, "prepared: {req:?}");
            lengths.extend(seen.iter().map(|e| e.to_string().len()));
            if creds.expires_at.is_some() && req.expires_in >= 900 {
                assert_eq!(lengths.len(), 3, "X-Amz-Expires lengths: {seen:?}");
            }
            checked += 1;
        }
        assert!(signer_cache_hits(&requests) > 0);
    }
    assert_eq!(checked, 21);
}

#[test]
fn no_heap_allocation_in_general_presign() {
    use dbtoken::sigv4::{EMPTY_PAYLOAD_SHA256, HttpRequest, KeyCache, PresignOptions, presign};
    let session = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=".repeat(8);
    let long_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".repeat(3);
    let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Meta", "a  b")];
    let request = HttpRequest {
        method: "GET",
        path: "/a/./b/../c d/ሴ",
        query: "Param2=value2&Param1=value%201&b=",
        headers: &headers,
        payload_sha256: EMPTY_PAYLOAD_SHA256,
    };
    let mut checked = 0;
    for secret in [
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        long_secret.as_str(),
    ] {
        for with_session in [false, true] {
            for expires_in in [1, 86, 900, 604_800] {
                let mut creds =
                    Credentials::new("AKIDEXAMPLE", secret).with_expires_at(2_000_000_000);
                if with_session {
                    creds = creds.with_session_token(&session);
                }
                let options = PresignOptions {
                    region: "us-east-1",
                    service: "service",
                    signing_time: 1_705_322_096,
                    expires_in,
                    normalize_path: true,
                    sign_session_token: true,
                };
                let mut cache = KeyCache::new();
                let mut buf = [0u8; 4096];
                let n = allocations_in(|| {
                    // Cold, then warm key cache.
                    presign(&mut cache, &request, &creds, &options, &mut buf, &mut ()).unwrap();
                    let out =
                        presign(&mut cache, &request, &creds, &options, &mut buf, &mut ()).unwrap();
                    assert!(out.contains("X-Amz-Signature="));
                });
                assert_eq!(
                    n,
                    0,
                    "secret of {} bytes, session {with_session}, expires {expires_in}",
                    secret.len()
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 16);
}

fn signer_cache_hits(requests: &[TokenRequest<'_>]) -> u64 {
    let mut signer = Signer::new();
    let mut buf = [0u8; 4096];
    for req in requests {
        signer.write_token(req, &mut buf).unwrap();
        signer.write_token(req, &mut buf).unwrap();
    }
    signer.cache_mut().stats().0
}
