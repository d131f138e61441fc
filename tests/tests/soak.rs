//! Soak: 8 threads share one `TokenCache` (behind a mutex, as the front ends hold it) for
//! 1,000,000 tokens, with credentials rotating (the secret, the session token, the expiry) and
//! each thread's clock stepping backwards and forwards by hours. Every 97th token is verified
//! with the credentials it was asked for at that thread's time (never signed in the future,
//! never expired, never inside the refresh margin); botocore's `rds-basic` vector is
//! spot-checked on the way; resident memory is measured after a warm-up and at the end and must
//! stay flat. Prints the figures recorded in RELIABILITY.md.

use std::sync::Mutex;
use std::time::Instant;

use dbtoken::{Credentials, TokenCache, TokenRequest, verify};
use dbtoken_conformance::token_cases;

const THREADS: u64 = 8;
const PER_THREAD: u64 = 125_000;
const T0: u64 = 1_705_322_096;
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const ROTATED: &str = "rotated/wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION: &str = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=";
const SESSION2: &str = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=NEW";
/// Clock steps a thread takes in turn (seconds): hours back and forth, days ahead.
const STEPS: [i64; 6] = [
    0,
    3 * 3_600,
    -2 * 3_600,
    26 * 3_600,
    -5 * 3_600,
    -22 * 3_600,
];

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Thread `w`'s time and credentials for its `i`-th token.
fn at(w: u64, i: u64) -> (u64, Credentials<'static>) {
    let step = STEPS[((i / 10_000 + w) % STEPS.len() as u64) as usize];
    let now = (T0 + 30 * 86_400 + i / 20)
        .checked_add_signed(step)
        .unwrap();
    let base = Credentials::new("ASIAEXAMPLE", SECRET)
        .with_session_token(SESSION)
        .with_expires_at(now + 3_600);
    let creds = match (i / 5_000 + w) % 4 {
        0 => base,
        1 => Credentials {
            secret_access_key: ROTATED,
            ..base
        },
        2 => base.with_session_token(SESSION2),
        // An expiry inside the token's lifetime: clamped.
        _ => base.with_expires_at(now + 400 + (i % 300)),
    };
    (now, creds)
}

#[test]
fn eight_threads_one_cache_a_million_tokens() {
    let cache = Mutex::new(TokenCache::new(30));
    let basic = token_cases()
        .into_iter()
        .find(|c| c.id == "rds-basic")
        .unwrap();
    let host = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com";
    let run = |w: u64, from: u64, to: u64| {
        let mut checked = 0u64;
        for i in from..to {
            let (now, creds) = at(w, i);
            let req = TokenRequest::rds(host, 5432, "iam_user", creds, 0).with_region("us-east-1");
            let token = cache.lock().unwrap().get(&req, now).unwrap().clone();
            if i % 97 == 0 {
                let info = verify(&token.token, creds.secret_access_key, now)
                    .unwrap_or_else(|e| panic!("thread {w} token {i}: {}", e.code()));
                assert!(info.signing_time <= now);
                assert!(info.expires_at > now + 30, "inside the margin");
                assert!(info.expires_at <= creds.expires_at.unwrap());
                assert!(info.has_session_token);
                checked += 1;
            }
            if i % 50_000 == 0 {
                // Spot check against botocore: the vector's request at the vector's time.
                let c = &basic.input.credentials;
                let creds = Credentials::new(&c.access_key_id, &c.secret_access_key);
                let req =
                    TokenRequest::rds(host, 5432, "iam_user", creds, 0).with_region("us-east-1");
                let got = cache.lock().unwrap().get(&req, T0).unwrap().token.clone();
                assert_eq!(got, basic.expected.token);
            }
        }
        checked
    };
    // Warm-up: every code path once, allocator arenas for every thread.
    std::thread::scope(|s| {
        for w in 0..THREADS {
            let run = &run;
            s.spawn(move || run(w, 0, 2_000));
        }
    });
    let rss_start = rss_kib();
    let started = Instant::now();
    let checked: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|w| {
                let run = &run;
                s.spawn(move || run(w, 2_000, 2_000 + PER_THREAD))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let took = started.elapsed();
    let rss_end = rss_kib();
    println!(
        "rust soak: {} tokens from {THREADS} threads in {:.2} s ({:.0} ns/token), {checked} verified, RSS {rss_start} KiB -> {rss_end} KiB",
        THREADS * PER_THREAD,
        took.as_secs_f64(),
        took.as_nanos() as f64 / (THREADS * PER_THREAD) as f64
    );
    assert!(checked >= THREADS * PER_THREAD / 97);
    assert!(
        rss_end <= rss_start + 4 * 1024,
        "resident memory grew: {rss_start} KiB -> {rss_end} KiB"
    );
}
