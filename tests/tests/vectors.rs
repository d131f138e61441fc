//! tokens.json and errors.json against the core.

use dbtoken::{Signer, inspect, token_len, verify};
use dbtoken_conformance::*;

#[test]
fn every_token_vector_matches_stage_by_stage() {
    let cases = token_cases();
    assert!(
        cases.len() >= 47,
        "expected the generated and published vectors"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let req = case.input.request(&case.kind);
        let len = match token_len(&req) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{}: token_len failed: {}", case.id, e.code()));
                continue;
            }
        };
        let mut buf = vec![0u8; len];
        let mut rec = Recorder::default();
        let token = match Signer::new().write_token_traced(&req, &mut buf, &mut rec) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: failed with {}", case.id, e.code()));
                continue;
            }
        };
        let e = &case.expected;
        if let Some(cr) = &e.canonical_request {
            if rec.canonical_request != cr.as_bytes() {
                failures.push(format!(
                    "{}: canonical request differs\n ours: {:?}\n want: {:?}",
                    case.id,
                    String::from_utf8_lossy(&rec.canonical_request),
                    cr
                ));
                continue;
            }
        }
        if let Some(sts) = &e.string_to_sign {
            if rec.string_to_sign != sts.as_bytes() {
                failures.push(format!("{}: string to sign differs", case.id));
                continue;
            }
        }
        let sig = token.as_str().rsplit("X-Amz-Signature=").next().unwrap();
        if sig != e.signature {
            failures.push(format!("{}: signature differs", case.id));
            continue;
        }
        if token.as_str() != e.token {
            failures.push(format!(
                "{}: token text differs\n ours: {}\n want: {}",
                case.id,
                token.as_str(),
                e.token
            ));
            continue;
        }
        if token.expires_at() != e.expires_at {
            failures.push(format!(
                "{}: expires_at {} != {}",
                case.id,
                token.expires_at(),
                e.expires_at
            ));
        }
        assert_eq!(len, token.as_str().len(), "{}: token_len is exact", case.id);
        println!("ok {}", case.id);
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
fn warm_signer_gives_the_same_tokens() {
    let mut signer = Signer::new();
    for case in token_cases() {
        let req = case.input.request(&case.kind);
        for _ in 0..2 {
            let mut buf = vec![0u8; 4096];
            let t = signer.write_token(&req, &mut buf).unwrap();
            assert_eq!(t.as_str(), case.expected.token, "{}", case.id);
        }
    }
    let (hits, misses) = signer.cache_mut().stats();
    assert!(
        hits >= misses,
        "the key cache is used: {hits} hits, {misses} misses"
    );
}

#[test]
fn every_token_vector_inspects_and_verifies() {
    for case in token_cases() {
        let t = &case.expected.token;
        let info = inspect(t).unwrap_or_else(|e| panic!("{}: inspect: {}", case.id, e.code()));
        assert_eq!(
            info.signing_time, case.input.signing_time as u64,
            "{}",
            case.id
        );
        assert_eq!(info.expires_at, case.expected.expires_at, "{}", case.id);
        assert_eq!(info.signature, case.expected.signature, "{}", case.id);
        assert_eq!(info.kind.name(), case.kind, "{}", case.id);
        let plain_user = match case.kind.as_str() {
            "rds" => case.input.username.clone(),
            "elasticache" => case.input.user_id.clone(),
            "memorydb" => case.input.user.clone(),
            _ => None,
        };
        match (plain_user, info.user) {
            (Some(u), Some(enc)) => {
                assert!(enc.matches(&u), "{}: user decodes", case.id);
                assert_eq!(enc.decode(), u);
                assert_eq!(enc.to_string(), u);
            }
            (None, None) => {}
            other => panic!("{}: user {:?}", case.id, other),
        }
        let secret = &case.input.credentials.secret_access_key;
        let now = info.signing_time;
        verify(t, secret, now).unwrap_or_else(|e| panic!("{}: verify: {}", case.id, e.code()));
        assert_eq!(
            verify(t, "not-the-secret", now).unwrap_err().code(),
            "signature_mismatch"
        );
        assert_eq!(
            verify(t, secret, info.expires_at).unwrap_err().code(),
            "token_expired"
        );
    }
}

#[test]
fn every_error_vector_gives_its_code() {
    let cases = error_cases();
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        let got = match case.op.as_str() {
            "token" => {
                let input = case.input.as_ref().unwrap();
                let req = input.request(case.kind.as_deref().unwrap());
                let mut buf = vec![0u8; case.buffer_len.unwrap_or(8192)];
                Signer::new().write_token(&req, &mut buf).map(|_| ()).err()
            }
            "inspect" => inspect(case.token.as_deref().unwrap()).map(|_| ()).err(),
            "verify" => verify(
                case.token.as_deref().unwrap(),
                case.secret_access_key.as_deref().unwrap(),
                case.now.unwrap(),
            )
            .map(|_| ())
            .err(),
            other => panic!("unknown op {other}"),
        };
        match got {
            Some(e) if e.code() == case.code => {
                seen.insert(e.code());
                println!("ok {}", case.id);
            }
            Some(e) => failures.push(format!("{}: got {} want {}", case.id, e.code(), case.code)),
            None => failures.push(format!("{}: succeeded, want {}", case.id, case.code)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every variant but the general presign's own and the caches' credentials_unavailable (no
    // input gives it: a failing credentials source does) is covered by the shared vectors.
    for code in dbtoken::error_codes()
        .filter(|c| *c != "invalid_request" && *c != "credentials_unavailable")
    {
        assert!(seen.contains(code), "errors.json has no case for {code}");
    }
}

#[test]
fn error_messages_are_static_and_secret_free() {
    for case in error_cases() {
        let Some(input) = case.input.as_ref() else {
            continue;
        };
        let req = input.request(case.kind.as_deref().unwrap());
        let mut buf = vec![0u8; case.buffer_len.unwrap_or(8192)];
        let err = Signer::new().write_token(&req, &mut buf).unwrap_err();
        let shown = format!("{err} {err:?}");
        let secret = &input.credentials.secret_access_key;
        assert!(
            secret.is_empty() || !shown.contains(secret.as_str()),
            "{}",
            case.id
        );
        if let Some(u) = input.username.as_deref().filter(|u| u.len() > 3) {
            assert!(!shown.contains(u), "{}: message contains the user", case.id);
        }
    }
    let creds =
        dbtoken::Credentials::new("AKIDEXAMPLE", "SECRETSECRET").with_session_token("SESSIONTOKEN");
    let dbg = format!("{creds:?}");
    assert!(
        !dbg.contains("SECRETSECRET") && !dbg.contains("SESSIONTOKEN"),
        "{dbg}"
    );
    let req = dbtoken::TokenRequest::rds("db.example.com", 5432, "u", creds, 1_700_000_000)
        .with_region("us-east-1");
    let dbg = format!("{req:?}");
    assert!(
        !dbg.contains("SECRETSECRET") && !dbg.contains("SESSIONTOKEN"),
        "{dbg}"
    );
    let mut buf = [0u8; 1024];
    let t = Signer::new().write_token(&req, &mut buf).unwrap();
    let dbg = format!("{t:?}");
    assert!(
        !dbg.contains("SESSIONTOKEN") && !dbg.contains("X-Amz-Signature"),
        "{dbg}"
    );
    let dbg = format!("{:?}", Signer::new());
    assert!(!dbg.contains("SECRET"), "{dbg}");
}

/// The checked-in vectors are stale when the generator's input list changed without a re-run.
#[test]
fn generated_vectors_are_fresh() {
    let tokens = token_cases();
    let gen_cases = gen_cases();
    assert!(gen_cases.len() >= 40);
    for g in &gen_cases {
        let t = tokens.iter().find(|t| t.id == g.id).unwrap_or_else(|| {
            panic!(
                "{}: in tests/gen/cases.json but not in tokens.json: run tests/gen/generate.py",
                g.id
            )
        });
        assert_eq!(t.kind, g.kind, "{}: stale kind", g.id);
        assert_eq!(
            t.input, g.input,
            "{}: stale input: run tests/gen/generate.py",
            g.id
        );
    }
    for t in tokens.iter().filter(|t| t.source.contains("generate.py")) {
        assert!(
            gen_cases.iter().any(|g| g.id == t.id),
            "{}: generated case no longer in cases.json",
            t.id
        );
    }
}

#[test]
fn ids_are_unique_kebab_case() {
    let mut ids = std::collections::BTreeSet::new();
    let all = token_cases()
        .into_iter()
        .map(|c| c.id)
        .chain(error_cases().into_iter().map(|c| c.id))
        .chain(suite_cases().into_iter().map(|c| c.id));
    for id in all {
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{id}"
        );
        assert!(ids.insert(id.clone()), "duplicate id {id}");
    }
}
