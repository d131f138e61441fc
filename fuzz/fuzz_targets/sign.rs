//! The signer on arbitrary requests of all four kinds: never panics, and every token it writes
//! parses back (`dbtoken::inspect`) to the request it was made from, has the length
//! `dbtoken::token_len` announced, and verifies with the secret it was signed with; prepared at
//! another time and re-signed, it is the same token.
//!
//! Inputs are structured (`arbitrary`): each string is either free-form or drawn from shapes the
//! validator accepts (AWS endpoint hosts, region names, in-range times and expiries), so the
//! fuzzer spends its time past validation as well as in it.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use dbtoken::{Credentials, Error, Signer, Target, TokenRequest, inspect, token_len, verify};
use dbtoken_fuzz::known;
use libfuzzer_sys::fuzz_target;

const MAX_UNIX_TIME: u64 = 253_402_300_799;

const REGIONS: [&str; 8] = [
    "us-east-1",
    "eu-west-3",
    "ap-southeast-2",
    "cn-north-1",
    "us-gov-west-1",
    "il-central-1",
    "us-isob-east-1",
    "mx-central-1",
];

/// A host: free text, or one of the shapes dbtoken reads a region from, or an IP literal.
#[derive(Arbitrary, Debug)]
enum HostIn {
    Raw(String),
    Rds { name: Label, region: RegionIn },
    RdsChina { name: Label, region: RegionIn },
    Dsql { name: Label, region: RegionIn },
    Plain { labels: Vec<Label> },
    Ipv4([u8; 4]),
    Ipv6 { groups: [u16; 3], upper: bool },
}

/// A DNS-ish label from the characters hosts may hold (plus upper case).
#[derive(Debug)]
struct Label(String);

impl<'a> Arbitrary<'a> for Label {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
        let n = u.int_in_range(0..=20)?;
        let mut s = String::with_capacity(n);
        for _ in 0..n {
            s.push(char::from(*u.choose(CHARS)?));
        }
        Ok(Label(s))
    }
}

#[derive(Arbitrary, Debug)]
enum RegionIn {
    Known(u8),
    Raw(String),
}

impl RegionIn {
    fn text(&self) -> String {
        match self {
            RegionIn::Known(i) => REGIONS[usize::from(*i) % REGIONS.len()].to_string(),
            RegionIn::Raw(s) => s.clone(),
        }
    }
}

impl HostIn {
    fn text(&self) -> String {
        match self {
            HostIn::Raw(s) => s.clone(),
            HostIn::Rds { name, region } => {
                format!("{}.abc123.{}.rds.amazonaws.com", name.0, region.text())
            }
            HostIn::RdsChina { name, region } => {
                format!("{}.abc123.rds.{}.amazonaws.com.cn", name.0, region.text())
            }
            HostIn::Dsql { name, region } => format!("{}.dsql.{}.on.aws", name.0, region.text()),
            HostIn::Plain { labels } => labels
                .iter()
                .map(|l| l.0.as_str())
                .collect::<Vec<_>>()
                .join("."),
            HostIn::Ipv4(o) => format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            HostIn::Ipv6 { groups, upper } => {
                let s = format!("[{:x}::{:x}:{:x}]", groups[0], groups[1], groups[2]);
                if *upper { s.to_ascii_uppercase() } else { s }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum TargetIn {
    Rds {
        host: HostIn,
        port: u16,
        user: String,
    },
    Dsql {
        host: HostIn,
        admin: bool,
    },
    ElastiCache {
        name: HostIn,
        user: String,
        serverless: bool,
    },
    MemoryDb {
        name: HostIn,
        user: String,
    },
}

/// A number used either as is or folded into the range that validation accepts.
#[derive(Arbitrary, Debug)]
enum Num<T> {
    Raw(T),
    InRange(T),
}

#[derive(Arbitrary, Debug)]
struct Input {
    target: TargetIn,
    access_key_id: String,
    secret: String,
    session_token: Option<String>,
    /// Credentials' expiry, as an offset from the signing time (or absolute).
    cred_expires: Option<Num<u64>>,
    region: Option<RegionIn>,
    expires_in: Num<u32>,
    signing_time: Num<u64>,
    /// How much smaller than needed the short buffer is (1 + this, capped at the length).
    short_by: u16,
    /// Another signing time, as an offset (or absolute): the request is prepared then and
    /// re-signed at `signing_time` (`PreparedToken`).
    other_time: Num<i64>,
}

fuzz_target!(|input: Input| {
    // akid-slash: an access key id with '/' is signed (as %2F) but `inspect` splits the
    // credential on %2F and rejects the token (fuzz/regressions/sign/akid-slash-not-inspectable).
    if known("akid-slash") && input.access_key_id.contains('/') {
        return;
    }
    let host;
    let target = match &input.target {
        TargetIn::Rds {
            host: h,
            port,
            user,
        } => {
            host = h.text();
            Target::Rds {
                hostname: &host,
                port: *port,
                username: user,
            }
        }
        TargetIn::Dsql { host: h, admin } => {
            host = h.text();
            Target::Dsql {
                hostname: &host,
                admin: *admin,
            }
        }
        TargetIn::ElastiCache {
            name,
            user,
            serverless,
        } => {
            host = name.text();
            Target::ElastiCache {
                cache_name: &host,
                user_id: user,
                serverless: *serverless,
            }
        }
        TargetIn::MemoryDb { name, user } => {
            host = name.text();
            Target::MemoryDb {
                cluster_name: &host,
                user,
            }
        }
    };
    let kind = target.kind();
    let signing_time = match input.signing_time {
        Num::Raw(t) => t,
        Num::InRange(t) => t % (MAX_UNIX_TIME + 1),
    };
    let expires_in = match input.expires_in {
        Num::Raw(e) => e,
        Num::InRange(e) => 1 + e % kind.max_expires_in(),
    };
    let cred_expires_at = input.cred_expires.as_ref().map(|n| match *n {
        Num::Raw(t) => t,
        Num::InRange(d) => signing_time.saturating_add(d % 2000),
    });
    let region = input.region.as_ref().map(RegionIn::text);
    let credentials = Credentials {
        access_key_id: &input.access_key_id,
        secret_access_key: &input.secret,
        session_token: input.session_token.as_deref(),
        expires_at: cred_expires_at,
    };
    let req = TokenRequest {
        target,
        credentials,
        region: region.as_deref(),
        expires_in,
        signing_time,
    };

    check_debug_redacts(&req);

    let mut signer = Signer::new();
    let len = match token_len(&req) {
        Ok(len) => len,
        Err(e) => {
            // Every way of signing fails the same way, before touching the buffer.
            let mut buf = vec![0u8; 4096];
            assert_eq!(signer.write_token(&req, &mut buf).err(), Some(e));
            assert_eq!(signer.token(&req).err(), Some(e));
            assert_ne!(e, Error::BufferTooSmall);
            check_error(e, &input);
            return;
        }
    };

    // A buffer one (or more) bytes short: BufferTooSmall, no panic.
    let short = len - (1 + usize::from(input.short_by)).min(len);
    let mut small = vec![0u8; short];
    assert_eq!(
        signer.write_token(&req, &mut small).err(),
        Some(Error::BufferTooSmall)
    );

    let mut buf = vec![0u8; len];
    let token = signer
        .write_token(&req, &mut buf)
        .expect("token_len succeeded, so write_token does");
    let text = token.as_str();
    assert_eq!(text.len(), len, "token_len is the written length");

    // Same text from the key cache (second call), a fresh signer, and the owned API.
    let mut buf2 = vec![0u8; len + 7];
    assert_eq!(
        signer.write_token(&req, &mut buf2).map(|t| t.as_str()),
        Ok(text)
    );
    assert_eq!(dbtoken::write_token(&req, &mut buf2), Ok(text));
    let owned = Signer::new().token(&req).expect("owned token");
    assert_eq!(owned.token, text);
    assert_eq!(owned.region, token.region());
    assert_eq!(
        (
            owned.kind,
            owned.signing_time,
            owned.expires_in,
            owned.expires_at
        ),
        (
            token.kind(),
            token.signing_time(),
            token.expires_in(),
            token.expires_at()
        )
    );
    let debug = format!("{token:?}{owned:?}");
    assert!(!debug.contains(token.as_str()) && !debug.contains("X-Amz-Signature"));

    // What was decided while signing.
    let effective = match cred_expires_at {
        Some(e) => u64::from(expires_in).min(e - signing_time),
        None => u64::from(expires_in),
    };
    assert_eq!(u64::from(token.expires_in()), effective);
    assert_eq!(token.expires_at(), signing_time + effective);
    assert_eq!(token.signing_time(), signing_time);
    assert_eq!(token.kind(), kind);
    if let Some(r) = &region {
        assert_eq!(token.region(), r);
    }

    // The token parses back to the request.
    let info = match inspect(text) {
        Ok(info) => info,
        Err(e) => panic!("inspect rejects a token the signer wrote: {e:?}\ntoken: {text}"),
    };
    assert_eq!(info.kind, kind);
    assert_eq!(info.host, host.to_ascii_lowercase());
    assert_eq!(info.region, token.region());
    assert_eq!(info.service, kind.service());
    assert_eq!(info.signing_time, signing_time);
    assert_eq!(u64::from(info.expires_in), effective);
    assert_eq!(info.expires_at, token.expires_at());
    assert_eq!(
        info.has_session_token,
        input
            .session_token
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(info.access_key_id.matches(&input.access_key_id));
    assert_eq!(info.access_key_id.decode(), input.access_key_id);
    match req.target {
        Target::Rds { port, username, .. } => {
            assert_eq!(info.port, Some(port));
            assert_eq!(info.action, "connect");
            assert_eq!(info.user.expect("DBUser").decode(), username);
        }
        Target::Dsql { admin, .. } => {
            assert_eq!(info.port, None);
            assert_eq!(
                info.action,
                if admin { "DbConnectAdmin" } else { "DbConnect" }
            );
            assert!(info.user.is_none());
        }
        Target::ElastiCache {
            user_id,
            serverless,
            ..
        } => {
            assert_eq!(info.port, None);
            assert_eq!(info.serverless, serverless);
            assert_eq!(info.user.expect("User").decode(), user_id);
        }
        Target::MemoryDb { user, .. } => {
            assert_eq!(info.port, None);
            assert_eq!(info.user.expect("User").decode(), user);
        }
    }
    if let Some(user) = info.user {
        let mut dec = vec![0u8; user.decoded_len()];
        let plain = user
            .decode_into(&mut dec)
            .expect("a user the signer encoded decodes to UTF-8");
        assert!(user.matches(plain));
    }

    // It verifies with its secret, inside its window only.
    match verify(text, &input.secret, signing_time) {
        Ok(v) => assert!(v == info),
        Err(e) => panic!("verify rejects a fresh token with its own secret: {e:?}\ntoken: {text}"),
    }
    assert_eq!(
        verify(text, &input.secret, token.expires_at()),
        Err(Error::TokenExpired)
    );
    let mut wrong = input.secret.clone();
    wrong.push('x');
    assert_eq!(
        verify(text, &wrong, signing_time),
        Err(Error::SignatureMismatch)
    );

    // Prepared at the other time, then re-signed at `signing_time`: the very same token. And
    // re-signed back at the other time: what write_token gives there.
    let other = match input.other_time {
        Num::Raw(t) => t as u64,
        Num::InRange(d) => signing_time.saturating_add_signed(d % (3 * 86_400)),
    };
    let other_req = TokenRequest {
        signing_time: other,
        ..req
    };
    let room = len + 8; // an earlier time may mean a longer (less clamped) X-Amz-Expires
    match Signer::new().prepare(
        &other_req,
        vec![0u8; room.max(token_len(&other_req).unwrap_or(0))],
    ) {
        Ok(mut prepared) => {
            let first = prepared
                .token()
                .expect("a prepared token")
                .as_str()
                .to_owned();
            let mut b = vec![0u8; first.len()];
            assert_eq!(
                signer.write_token(&other_req, &mut b).map(|t| t.as_str()),
                Ok(first.as_str())
            );
            let again = prepared
                .sign(signing_time)
                .expect("re-signed where write_token signs");
            assert_eq!(
                again.as_str(),
                text,
                "prepared at {other}, re-signed at {signing_time}"
            );
            assert_eq!(again.expires_at(), token.expires_at());
            assert_eq!(again.region(), token.region());
            assert_eq!(
                prepared.sign(other).map(|t| t.as_str().to_owned()),
                Ok(first)
            );
            assert!(!format!("{prepared:?}").contains("X-Amz-Signature"));
        }
        Err(e) => {
            let mut b = vec![0u8; 8192];
            assert_eq!(signer.write_token(&other_req, &mut b).err(), Some(e));
            // Valid at `signing_time`, so only the time can be wrong at the other time.
            assert!(
                matches!(e, Error::InvalidSigningTime | Error::CredentialsExpired),
                "{e:?}"
            );
            let mut prepared = Signer::new()
                .prepare(&req, vec![0u8; len])
                .expect("prepare where write_token succeeds");
            assert_eq!(prepared.sign(other).err(), Some(e));
            assert_eq!(
                prepared.token().map(|t| t.as_str().to_owned()),
                Ok(text.to_owned())
            );
        }
    }
});

/// The error is the one the documented validation order names first (spot checks).
fn check_error(e: Error, input: &Input) {
    assert!(!e.code().is_empty());
    if input.access_key_id.is_empty() {
        assert_eq!(e, Error::EmptyAccessKeyId);
    } else if input.secret.is_empty() {
        assert_eq!(e, Error::EmptySecretAccessKey);
    }
    // Messages are the static text of the code: nothing from the input (or the secret) in them.
    assert!(Error::ALL.contains(&e));
    assert_eq!(format!("{e}"), e.message());
}

/// `Debug` of a request never shows the secret or the session token: the request with them
/// blanked prints the same text, so any occurrence can only come from another field.
fn check_debug_redacts(req: &TokenRequest<'_>) {
    let mut blank = *req;
    blank.credentials.secret_access_key = "";
    blank.credentials.session_token = blank
        .credentials
        .session_token
        .map(|t| if t.is_empty() { "" } else { "t" });
    let real = format!("{req:?}");
    let blanked = format!("{blank:?}");
    assert_eq!(
        real, blanked,
        "Debug of a request depends on the secret or the session token"
    );
}
