//! `dbtoken::inspect` and `dbtoken::verify` on arbitrary text: never panic, and whatever
//! `inspect` accepts satisfies the invariants its documentation promises.
//!
//! Seeds: every token of tests/vectors/tokens.json and errors.json (fuzz/seed.py). Those are
//! signed with the example secret below, so `verify` succeeds on the seeds and the fuzzer
//! starts from the signature-checking path as well as from the parser.
#![no_main]

use dbtoken::{Error, Kind, inspect, verify};
use dbtoken_fuzz::known;
use libfuzzer_sys::fuzz_target;

/// The secret every vector in tests/vectors is signed with.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let info = match inspect(text) {
        Ok(info) => info,
        Err(e) => {
            assert_eq!(
                e,
                Error::MalformedToken,
                "inspect fails only as malformed_token"
            );
            // verify parses first, so it fails the same way whatever the secret and time.
            assert_eq!(verify(text, SECRET, 0), Err(e));
            assert_eq!(verify(text, "", u64::MAX), Err(e));
            return;
        }
    };

    // ---- invariants of a parsed token
    assert_eq!(
        info.expires_at,
        info.signing_time + u64::from(info.expires_in)
    );
    assert!(info.expires_in >= 1 && info.expires_in <= info.kind.max_expires_in());
    assert_eq!(info.service, info.kind.service());
    assert!(
        info.signing_time <= 253_402_300_799,
        "X-Amz-Date is at most 9999-12-31"
    );
    assert_eq!(info.signature.len(), 64);
    assert!(
        info.signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    assert!(!info.host.is_empty() && text.starts_with(info.host));
    assert!(
        !info.region.is_empty()
            && info
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );
    assert!(!info.access_key_id.as_encoded().is_empty());
    assert_ne!(info.port, Some(0));
    match info.kind {
        Kind::Dsql => {
            assert!(info.user.is_none());
            assert!(info.action == "DbConnect" || info.action == "DbConnectAdmin");
            assert!(!info.serverless);
        }
        kind => {
            assert_eq!(info.action, "connect");
            let user = info
                .user
                .expect("RDS, ElastiCache and MemoryDB tokens carry a user");
            assert!(!user.as_encoded().is_empty());
            assert!(!info.serverless || kind == Kind::ElastiCache);
        }
    }
    assert_eq!(
        info.missing_port(),
        info.kind == Kind::Rds && info.port.is_none()
    );
    assert!(info.is_for(info.host, info.port));
    assert!(info.is_for(&info.host.to_ascii_uppercase(), info.port));

    // ---- time window
    assert_eq!(info.check_time(info.signing_time), Ok(()));
    assert_eq!(info.check_time(info.expires_at - 1), Ok(()));
    assert_eq!(info.check_time(info.expires_at), Err(Error::TokenExpired));
    assert_eq!(
        info.seconds_left(info.signing_time),
        u64::from(info.expires_in)
    );
    assert_eq!(info.seconds_left(info.expires_at), 0);
    if info.signing_time > 0 {
        assert_eq!(
            info.check_time(info.signing_time - 1),
            Err(Error::TokenNotYetValid)
        );
        assert_eq!(info.seconds_left(info.signing_time - 1), 0);
    }

    // ---- percent-decoding helpers agree with each other and never panic
    for enc in info
        .user
        .iter()
        .chain(core::iter::once(&info.access_key_id))
    {
        // Display and the owned decode both replace invalid UTF-8 with U+FFFD, and agree.
        // display-lossy: Display drops the byte after an invalid one
        // (fuzz/regressions/inspect/display-drops-byte-after-invalid-utf8).
        if !known("display-lossy") {
            assert_eq!(
                enc.to_string(),
                enc.decode(),
                "Display and decode() disagree"
            );
        }
        let n = enc.decoded_len();
        assert!(n <= enc.as_encoded().len());
        let mut buf = vec![0u8; n];
        match enc.decode_into(&mut buf) {
            Ok(s) => {
                assert_eq!(s.len(), n);
                assert!(enc.matches(s));
                assert_eq!(enc.decode(), s);
                assert_eq!(enc.to_string(), s);
                if n > 0 {
                    let mut short = vec![0u8; n - 1];
                    assert_eq!(enc.decode_into(&mut short), Err(Error::BufferTooSmall));
                }
            }
            Err(e) => {
                assert_eq!(e, Error::MalformedToken, "decoded bytes are not UTF-8");
                // Lossy forms still work.
                let _ = enc.decode();
                let _ = enc.to_string();
            }
        }
    }
    let _ = info.host_region_matches();
    let _ = info.temporary_key_without_session_token();
    let _ = format!("{info:?}");

    // ---- verify agrees with inspect
    assert_eq!(
        verify(text, "", info.signing_time),
        Err(Error::EmptySecretAccessKey)
    );
    match verify(text, SECRET, info.signing_time) {
        Ok(v) => {
            assert!(v == info, "verify returns what inspect parsed");
            assert_eq!(
                verify(text, SECRET, info.expires_at),
                Err(Error::TokenExpired)
            );
            if info.signing_time > 0 {
                assert_eq!(
                    verify(text, SECRET, info.signing_time - 1),
                    Err(Error::TokenNotYetValid)
                );
            }
            // One changed byte in the secret never verifies.
            let wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";
            assert_eq!(
                verify(text, wrong, info.signing_time),
                Err(Error::SignatureMismatch)
            );
        }
        Err(e) => assert_eq!(e, Error::SignatureMismatch),
    }
});
