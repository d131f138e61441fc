//! dbtoken benchmarks: one group per stage, the `aws-sigv4` crate producing the same RDS token
//! in the same run, and the floor (raw SHA-256 + HMAC over the same bytes).
//!
//! `cargo bench -p dbtoken-bench` (full), `cargo bench -p dbtoken-bench --bench tokens -- --quick`
//! (smoke). Results and ratios: BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dbtoken::sigv4::Trace;
use dbtoken::{Credentials, Signer, TokenRequest, bench_internals};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

const HOST: &str = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T: u64 = 1_705_322_096;

fn session_token() -> String {
    // 1,000 characters with the '+', '/' and '=' that need encoding.
    let mut s = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+x=".repeat(18);
    s.truncate(1000);
    s
}

fn requests<'a>(creds: Credentials<'a>) -> Vec<(&'static str, TokenRequest<'a>)> {
    vec![
        ("rds", TokenRequest::rds(HOST, 5432, "iam_user", creds, T)),
        (
            "dsql",
            TokenRequest::dsql(
                "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws",
                false,
                creds,
                T,
            ),
        ),
        (
            "elasticache",
            TokenRequest::elasticache("my-cache", "app-user", true, creds, T)
                .with_region("us-east-1"),
        ),
        (
            "memorydb",
            TokenRequest::memorydb("my-cluster", "app-user", creds, T).with_region("us-east-1"),
        ),
    ]
}

fn signing_key(c: &mut Criterion) {
    let mut g = c.benchmark_group("signing_key");
    g.bench_function("derive", |b| {
        b.iter(|| {
            bench_internals::derive_signing_key(
                black_box(SECRET),
                black_box(T),
                "us-east-1",
                "rds-db",
            )
        })
    });
    g.finish();
}

fn canonical_request(c: &mut Criterion) {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET);
    let session = session_token();
    let temporary = creds.with_session_token(&session);
    let mut g = c.benchmark_group("canonical_request");
    let mut buf = [0u8; 4096];
    for (label, creds) in [("no_session", creds), ("session_1000", temporary)] {
        let req = TokenRequest::rds(HOST, 5432, "iam_user", creds, T);
        g.bench_function(label, |b| {
            b.iter(|| bench_internals::canonical_request_hash(black_box(&req), &mut buf))
        });
    }
    g.finish();
}

fn token(c: &mut Criterion) {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET);
    let session = session_token();
    let temporary = creds.with_session_token(&session);
    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    let mut buf = [0u8; 4096];
    for (session_label, creds) in [("no_session", creds), ("session_1000", temporary)] {
        for (kind, req) in requests(creds) {
            let mut warm = Signer::new();
            g.bench_function(
                BenchmarkId::new(format!("{kind}/warm"), session_label),
                |b| {
                    b.iter(|| {
                        warm.write_token(black_box(&req), &mut buf)
                            .map(|t| t.expires_at())
                    })
                },
            );
            // The same request re-signed at a new time (a pool's case): `PreparedToken::sign`.
            let mut prepared = Signer::new().prepare(&req, [0u8; 4096]).unwrap();
            let mut t = req.signing_time;
            g.bench_function(
                BenchmarkId::new(format!("{kind}/prepared"), session_label),
                |b| {
                    b.iter(|| {
                        t ^= 1;
                        prepared.sign(black_box(t)).map(|t| t.expires_at())
                    })
                },
            );
            g.bench_function(
                BenchmarkId::new(format!("{kind}/cold"), session_label),
                |b| {
                    b.iter(|| {
                        Signer::new()
                            .write_token(black_box(&req), &mut buf)
                            .map(|t| t.expires_at())
                    })
                },
            );
        }
    }
    g.finish();
}

/// The same RDS token from the `aws-sigv4` crate (as the AWS SDK for Rust's `auth_token` does).
fn aws_sigv4(c: &mut Criterion) {
    use aws_credential_types::Credentials as AwsCredentials;
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    let session = session_token();
    let mut g = c.benchmark_group("aws_sigv4");
    g.throughput(Throughput::Elements(1));
    for (label, token) in [
        ("no_session", None),
        ("session_1000", Some(session.clone())),
    ] {
        let identity: Identity =
            AwsCredentials::new("AKIDEXAMPLE", SECRET, token, None, "bench").into();
        g.bench_function(BenchmarkId::new("rds", label), |b| {
            b.iter(|| {
                let mut settings = SigningSettings::default();
                settings.signature_location = SignatureLocation::QueryParams;
                settings.expires_in = Some(Duration::from_secs(900));
                let params: aws_sigv4::http_request::SigningParams<'_> =
                    v4::SigningParams::builder()
                        .identity(&identity)
                        .region("us-east-1")
                        .name("rds-db")
                        .time(UNIX_EPOCH + Duration::from_secs(T))
                        .settings(settings)
                        .build()
                        .unwrap()
                        .into();
                let url = format!("https://{HOST}:5432/?Action=connect&DBUser=iam_user");
                let signable =
                    SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
                        .unwrap();
                let (instructions, _) = sign(signable, &params).unwrap().into_parts();
                let mut request = http::Request::builder().uri(&url).body(()).unwrap();
                instructions.apply_to_request_http1x(&mut request);
                let uri = request.uri().to_string();
                black_box(uri["https://".len()..].to_string())
            })
        });
    }
    g.finish();
}

#[derive(Default)]
struct Capture {
    canonical: Vec<u8>,
    string_to_sign: Vec<u8>,
}
impl Trace for Capture {
    fn canonical_request(&mut self, chunk: &[u8]) {
        self.canonical.extend_from_slice(chunk);
    }
    fn string_to_sign(&mut self, chunk: &[u8]) {
        self.string_to_sign.extend_from_slice(chunk);
    }
}

/// The unavoidable work of a warm token: SHA-256 of the canonical request, then HMAC-SHA256
/// (precomputed pads) of the string to sign, over the very same bytes.
fn floor(c: &mut Criterion) {
    let creds = Credentials::new("AKIDEXAMPLE", SECRET);
    let session = session_token();
    let temporary = creds.with_session_token(&session);
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(1));
    for (label, creds) in [("no_session", creds), ("session_1000", temporary)] {
        let req = TokenRequest::rds(HOST, 5432, "iam_user", creds, T);
        let mut cap = Capture::default();
        let mut buf = [0u8; 4096];
        Signer::new()
            .write_token_traced(&req, &mut buf, &mut cap)
            .unwrap();
        let key = Hmac::<Sha256>::new_from_slice(&[7u8; 32]).unwrap();
        g.bench_function(BenchmarkId::new("rds", label), |b| {
            b.iter(|| {
                let hash = Sha256::digest(black_box(&cap.canonical));
                let mut mac = key.clone();
                mac.update(black_box(&cap.string_to_sign));
                black_box(hash);
                mac.finalize().into_bytes()
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    signing_key,
    canonical_request,
    token,
    aws_sigv4,
    floor
);
criterion_main!(benches);
