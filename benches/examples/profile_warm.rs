//! A loop of warm RDS tokens, for `valgrind --tool=callgrind` (instruction counts are
//! reproducible where wall-clock times on a shared machine are not).
use dbtoken::{Credentials, Signer, TokenRequest};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let session = std::env::args()
        .nth(2)
        .map(|len| "Ab+/=".repeat(len.parse::<usize>().unwrap_or(0) / 5));
    let mut creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    creds.session_token = session.as_deref();
    let req = TokenRequest::rds(
        "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com",
        5432,
        "iam_user",
        creds,
        1_705_322_096,
    );
    let mut signer = Signer::new();
    let mut buf = [0u8; 4096];
    let mut total = 0u64;
    for _ in 0..n {
        total = total.wrapping_add(
            signer
                .write_token(std::hint::black_box(&req), &mut buf)
                .map(|t| t.as_str().len() as u64)
                .unwrap_or(0),
        );
    }
    println!("{total}");
}
