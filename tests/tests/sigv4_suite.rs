//! The official SigV4 test suite's query-presign vectors against `dbtoken::sigv4::presign`,
//! stage by stage.

use dbtoken::Credentials;
use dbtoken::sigv4::{HttpRequest, KeyCache, PresignOptions, presign};
use dbtoken_conformance::*;
use sha2::{Digest, Sha256};

struct Parsed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> Parsed {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes().to_vec()),
        None => (text.trim_end_matches('\n'), Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.to_string(), v.to_string()));
        }
    }
    Parsed {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers,
        body,
    }
}

/// Percent-decodes a path: the suite prints `/example%20space/` as `/example space/`.
fn decode(p: &str) -> Vec<u8> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&p[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn query_set(q: &str) -> Vec<String> {
    let mut v: Vec<String> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn official_sigv4_query_presign_suite() {
    let cases = suite_cases();
    assert_eq!(cases.len(), 38, "all 38 v4 query-presign vectors");
    let mut failures = Vec::new();
    for case in &cases {
        let ctx = &case.context;
        let req = parse_request(&case.request);
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let payload: String = Sha256::digest(&req.body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let http = HttpRequest {
            method: &req.method,
            path: &req.path,
            query: &req.query,
            headers: &headers,
            payload_sha256: &payload,
        };
        let mut creds = Credentials::new(
            &ctx.credentials.access_key_id,
            &ctx.credentials.secret_access_key,
        );
        creds.session_token = ctx.credentials.token.as_deref();
        let options = PresignOptions {
            region: &ctx.region,
            service: &ctx.service,
            signing_time: parse_rfc3339(&ctx.timestamp),
            expires_in: ctx.expiration_in_seconds,
            normalize_path: ctx.normalize,
            sign_session_token: !ctx.omit_session_token,
        };
        let mut out = vec![0u8; 8192];
        let mut rec = Recorder::default();
        let signed = match presign(
            &mut KeyCache::new(),
            &http,
            &creds,
            &options,
            &mut out,
            &mut rec,
        ) {
            Ok(s) => s.to_string(),
            Err(e) => {
                failures.push(format!("{}: presign failed: {}", case.id, e.code()));
                continue;
            }
        };
        let e = &case.expected;
        let stage = if String::from_utf8_lossy(&rec.canonical_request) != e.canonical_request {
            Some(format!(
                "canonical request\n ours: {:?}\n want: {:?}",
                String::from_utf8_lossy(&rec.canonical_request),
                e.canonical_request
            ))
        } else if String::from_utf8_lossy(&rec.string_to_sign) != e.string_to_sign {
            Some("string to sign".to_string())
        } else if !signed.ends_with(&format!("X-Amz-Signature={}", e.signature)) {
            Some("signature".to_string())
        } else {
            // Signed request: same request line path (percent-decoded), same set of query parameters (the suite
            // uses the CRT's parameter order, dbtoken botocore's), same headers and body.
            let want = parse_request(&e.signed_request);
            let (our_path, our_query) = signed.split_once('?').unwrap();
            if want.method != req.method
                || decode(&want.path) != decode(our_path)
                || query_set(&want.query) != query_set(our_query)
            {
                Some(format!(
                    "signed request\n ours: {signed}\n want: {}?{}",
                    want.path, want.query
                ))
            } else if want.headers != req.headers || want.body != req.body {
                Some("signed request headers/body".to_string())
            } else {
                None
            }
        };
        match stage {
            None => println!("ok {}", case.id),
            Some(s) => failures.push(format!("{}: {s}", case.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn presign_rejects_reserved_parameters() {
    let http = HttpRequest {
        method: "GET",
        path: "/",
        query: "X-Amz-Date=1",
        headers: &[("Host", "example.amazonaws.com")],
        payload_sha256: dbtoken::sigv4::EMPTY_PAYLOAD_SHA256,
    };
    let options = PresignOptions {
        region: "us-east-1",
        service: "service",
        signing_time: 1_440_938_160,
        expires_in: 3600,
        normalize_path: true,
        sign_session_token: true,
    };
    let creds = Credentials::new("AKIDEXAMPLE", "secret");
    let mut out = [0u8; 1024];
    let err = presign(
        &mut KeyCache::new(),
        &http,
        &creds,
        &options,
        &mut out,
        &mut (),
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
    let lower = HttpRequest {
        method: "get",
        query: "",
        ..http
    };
    assert_eq!(
        presign(
            &mut KeyCache::new(),
            &lower,
            &creds,
            &options,
            &mut out,
            &mut ()
        )
        .unwrap_err()
        .code(),
        "invalid_request"
    );
}
