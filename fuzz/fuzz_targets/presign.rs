//! `dbtoken::sigv4::presign` on arbitrary methods, paths, queries and headers: never panics;
//! on success the output is the path, the query, the signing parameters and a 64-hex signature,
//! the same with a fresh key cache and a larger buffer, an error with a smaller one, and the
//! traced string to sign hashes the traced canonical request (checked with sha2 here).
#![no_main]

use arbitrary::Arbitrary;
use dbtoken::sigv4::{EMPTY_PAYLOAD_SHA256, HttpRequest, KeyCache, PresignOptions, Trace, presign};
use dbtoken::{Credentials, Error};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

#[derive(Arbitrary, Debug)]
enum Payload {
    Empty,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    payload: Payload,
    region: String,
    service: String,
    signing_time: u64,
    time_in_range: bool,
    expires_in: u32,
    normalize_path: bool,
    sign_session_token: bool,
    access_key_id: String,
    secret: String,
    session_token: Option<String>,
    cred_expires_at: Option<u64>,
    extra: u8,
}

#[derive(Default)]
struct Capture {
    canonical_request: Vec<u8>,
    string_to_sign: Vec<u8>,
}

impl Trace for Capture {
    fn canonical_request(&mut self, chunk: &[u8]) {
        self.canonical_request.extend_from_slice(chunk);
    }
    fn string_to_sign(&mut self, chunk: &[u8]) {
        self.string_to_sign.extend_from_slice(chunk);
    }
}

fuzz_target!(|input: Input| {
    let headers: Vec<(&str, &str)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = HttpRequest {
        method: &input.method,
        path: &input.path,
        query: &input.query,
        headers: &headers,
        payload_sha256: match &input.payload {
            Payload::Empty => EMPTY_PAYLOAD_SHA256,
            Payload::Raw(s) => s,
        },
    };
    let credentials = Credentials {
        access_key_id: &input.access_key_id,
        secret_access_key: &input.secret,
        session_token: input.session_token.as_deref(),
        expires_at: input.cred_expires_at,
    };
    let options = PresignOptions {
        region: &input.region,
        service: &input.service,
        signing_time: if input.time_in_range {
            input.signing_time % 253_402_300_800
        } else {
            input.signing_time
        },
        expires_in: input.expires_in,
        normalize_path: input.normalize_path,
        sign_session_token: input.sign_session_token,
    };

    let mut big = vec![0u8; 16 * 1024];
    let mut capture = Capture::default();
    let first = presign(
        &mut KeyCache::new(),
        &request,
        &credentials,
        &options,
        &mut big,
        &mut capture,
    );
    let text = match first {
        Ok(t) => t.to_string(),
        Err(e) => {
            // Validation errors do not depend on the buffer; only a too-small buffer does.
            assert_ne!(e, Error::BufferTooSmall, "16 KiB always fits these inputs");
            let mut none = [0u8; 0];
            let again = presign(
                &mut KeyCache::new(),
                &request,
                &credentials,
                &options,
                &mut none,
                &mut (),
            );
            assert!(again == Err(e) || again == Err(Error::BufferTooSmall));
            return;
        }
    };

    // Shape: path ? [query &] X-Amz-… & X-Amz-Signature=<64 lower-case hex>.
    let mut prefix = format!("{}?", input.path);
    if !input.query.is_empty() {
        prefix.push_str(&input.query);
        prefix.push('&');
    }
    assert!(text.starts_with(&prefix));
    assert!(text[prefix.len()..].starts_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="));
    let (head, sig) = text
        .rsplit_once("&X-Amz-Signature=")
        .expect("signature parameter");
    assert_eq!(sig.len(), 64);
    assert!(sig.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')));
    assert!(head.contains(&format!("&X-Amz-Expires={}&", input.expires_in)));
    let has_token = input
        .session_token
        .as_deref()
        .is_some_and(|t| !t.is_empty());
    assert_eq!(head.contains("&X-Amz-Security-Token="), has_token);

    // The string to sign ends with the hex SHA-256 of the canonical request.
    let sts = String::from_utf8(capture.string_to_sign).expect("string to sign is UTF-8");
    let digest = Sha256::digest(&capture.canonical_request);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert!(sts.starts_with("AWS4-HMAC-SHA256\n"));
    assert!(
        sts.ends_with(&format!("\n{hex}")),
        "string to sign does not hash the canonical request"
    );
    assert!(
        capture
            .canonical_request
            .ends_with(request.payload_sha256.as_bytes())
    );
    assert!(
        capture
            .canonical_request
            .starts_with(format!("{}\n", input.method).as_bytes())
    );

    // Same output with a warm cache (twice) and an exactly-sized buffer; smaller fails cleanly.
    let mut cache = KeyCache::new();
    let mut exact = vec![0u8; text.len()];
    for _ in 0..2 {
        let again = presign(
            &mut cache,
            &request,
            &credentials,
            &options,
            &mut exact,
            &mut (),
        );
        assert_eq!(again, Ok(text.as_str()));
    }
    let short = text.len() - (1 + usize::from(input.extra)).min(text.len());
    let mut small = vec![0u8; short];
    assert_eq!(
        presign(
            &mut cache,
            &request,
            &credentials,
            &options,
            &mut small,
            &mut ()
        ),
        Err(Error::BufferTooSmall)
    );
});
