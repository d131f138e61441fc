//! Zero heap allocations per token: a counting global allocator watches `write_token`,
//! `token_len`, `inspect`, `verify` and a `PreparedToken`'s `sign` for every kind, with and without a session token, with a
//! cold and a warm key cache.

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
    let t = 1_705_322_096;
    let mut checked = 0;
    for creds in [long, temporary] {
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
            // A prepared token in a stack buffer, re-signed a second, a day and a clamp later.
            let n = allocations_in(|| {
                let mut p = Signer::new().prepare(req, [0u8; 4096]).unwrap();
                for later in [t + 1, t + 86_400 + 1, t + 300] {
                    match p.sign(later) {
                        Ok(tok) => assert!(tok.expires_at() > later),
                        Err(e) => assert_eq!(e.code(), "credentials_expired"),
                    }
                }
            });
            assert_eq!(n, 0, "prepared: {req:?}");
            checked += 1;
        }
        assert!(signer_cache_hits(&requests) > 0);
    }
    assert_eq!(checked, 14);
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
