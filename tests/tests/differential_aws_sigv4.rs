//! Differential property test: on thousands of random valid inputs, dbtoken's token for every
//! kind (RDS, Aurora DSQL, ElastiCache, MemoryDB) is, character for character, the URL the
//! `aws-sigv4` crate (what the AWS SDK for Rust's `auth_token` modules use) presigns for the same
//! request, without its `https://` (and with `X-Amz-Security-Token` moved before the signature,
//! where botocore and dbtoken put it; aws-sigv4 appends it last).
//!
//! The peer's input is built with the conventions the README documents, so each of them is
//! checked here: the host is lower-cased (inputs are generated in mixed case), `:443` is left out
//! of the signed `host` header but kept in the text (port 443 is generated often), an empty
//! session token is no session token (generated often), and `X-Amz-Expires` is clamped to the
//! credentials' remaining lifetime (credential expiries are generated around the signing time).
//! Signing times include the last second of a day (23:59:59), where the credential scope's date
//! and `X-Amz-Date` must still agree.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use dbtoken::{Credentials, Signer, TokenRequest};
use proptest::prelude::*;

/// RFC 3986 percent-encoding (unreserved characters kept), written here independently of the core.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the peer is asked to presign.
struct PeerInput<'a> {
    /// `host[:port]`, already lower-cased.
    authority: String,
    /// The query before the signing parameters.
    params: String,
    service: &'a str,
    region: &'a str,
    akid: &'a str,
    secret: &'a str,
    /// Already `None` when the caller's session token is empty.
    session: Option<&'a str>,
    t: u64,
    /// Already clamped to the credentials' lifetime.
    expires_in: u32,
}

/// The token per aws-sigv4: presign `GET https://{authority}/?{params}` and drop the scheme.
fn peer_token(p: &PeerInput<'_>) -> String {
    let identity: Identity = AwsCredentials::new(
        p.akid,
        p.secret,
        p.session.map(String::from),
        None,
        "differential",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(u64::from(p.expires_in)));
    let signing_params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(p.region)
        .name(p.service)
        .time(UNIX_EPOCH + Duration::from_secs(p.t))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://{}/?{}", p.authority, p.params);
    let signable =
        SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[])).unwrap();
    let (instructions, _) = sign(signable, &signing_params).unwrap().into_parts();
    let mut request = http::Request::builder().uri(&url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let uri = request.uri().to_string();
    botocore_order(uri.strip_prefix("https://").unwrap())
}

/// aws-sigv4 appends `X-Amz-Security-Token` after `X-Amz-Signature`; botocore (and dbtoken)
/// put it before. Both are the same signed request: move it, and change nothing else.
fn botocore_order(text: &str) -> String {
    let Some(at) = text.find("&X-Amz-Security-Token=") else {
        return text.to_string();
    };
    let (head, token) = text.split_at(at);
    let sig_at = head.find("&X-Amz-Signature=").unwrap();
    let (before, sig) = head.split_at(sig_at);
    assert!(
        !token[1..].contains('&'),
        "the session token is the last parameter"
    );
    format!("{before}{token}{sig}")
}

/// The README's clamping rule, written here from its text.
fn clamped(expires_in: u32, cred_expires_at: Option<u64>, t: u64) -> u32 {
    match cred_expires_at {
        Some(e) => expires_in.min(u32::try_from(e - t).unwrap_or(u32::MAX)),
        None => expires_in,
    }
}

prop_compose! {
    /// DNS names in mixed case.
    fn host()(labels in prop::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,14}[a-zA-Z0-9])?", 1..5),
              tld in prop::sample::select(vec!["com", "internal", "example", "COM"])) -> String {
        format!("{}.{}", labels.join("."), tld)
    }
}

fn region() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "us-east-1",
        "us-west-2",
        "eu-central-1",
        "ap-southeast-2",
        "cn-north-1",
        "us-gov-west-1",
        "sa-east-1",
        "me-central-1",
        "il-central-1",
    ])
}

/// Signing times: anywhere up to 2100, or the last second of a day.
fn time() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..4_102_444_800,
        (0u64..47_482).prop_map(|day| day * 86_400 + 86_399),
    ]
}

/// Ports: anywhere, or 443 (the signed host leaves it out).
fn port() -> impl Strategy<Value = u16> {
    prop_oneof![1u16.., Just(443u16)]
}

/// Session tokens: none, empty (= none), or one.
fn session() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[A-Za-z0-9/+=]{1,600}".prop_map(Some),
    ]
}

/// Credential expiries: none, or 1 s to an hour after the signing time (clamping often).
fn cred_expiry() -> impl Strategy<Value = Option<u64>> {
    prop::option::of(1u64..3_600)
}

/// Our token for `req`.
fn ours(req: &TokenRequest<'_>) -> String {
    let mut buf = vec![0u8; 8192];
    Signer::new()
        .write_token(req, &mut buf)
        .unwrap()
        .as_str()
        .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn rds_tokens_equal_aws_sigv4(
        host in host(),
        port in port(),
        user in "\\PC{1,40}",
        region in region(),
        t in time(),
        expires_in in 1u32..=900,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in session(),
        cred_expiry in cred_expiry(),
    ) {
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        creds.expires_at = cred_expiry.map(|d| t + d);
        let req = TokenRequest::rds(&host, port, &user, creds, t).with_region(region).with_expires_in(expires_in);
        let peer = peer_token(&PeerInput {
            authority: format!("{}:{port}", host.to_ascii_lowercase()),
            params: format!("Action=connect&DBUser={}", encode(&user)),
            service: "rds-db",
            region,
            akid: &akid,
            secret: &secret,
            session: session.as_deref().filter(|s| !s.is_empty()),
            t,
            expires_in: clamped(expires_in, creds.expires_at, t),
        });
        prop_assert_eq!(ours(&req), peer);
    }

    #[test]
    fn dsql_tokens_equal_aws_sigv4(
        id in "[a-zA-Z0-9]{26}",
        admin in any::<bool>(),
        region in region(),
        t in time(),
        expires_in in 1u32..=604_800,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in session(),
        cred_expiry in cred_expiry(),
    ) {
        let host = format!("{id}.dsql.{region}.on.aws");
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        creds.expires_at = cred_expiry.map(|d| t + d);
        let req = TokenRequest::dsql(&host, admin, creds, t).with_expires_in(expires_in);
        let action = if admin { "DbConnectAdmin" } else { "DbConnect" };
        let peer = peer_token(&PeerInput {
            authority: host.to_ascii_lowercase(),
            params: format!("Action={action}"),
            service: "dsql",
            region,
            akid: &akid,
            secret: &secret,
            session: session.as_deref().filter(|s| !s.is_empty()),
            t,
            expires_in: clamped(expires_in, creds.expires_at, t),
        });
        prop_assert_eq!(ours(&req), peer);
    }

    #[test]
    fn elasticache_tokens_equal_aws_sigv4(
        cache in "[a-zA-Z]([a-zA-Z0-9-]{0,38}[a-zA-Z0-9])?",
        user_id in "\\PC{1,40}",
        serverless in any::<bool>(),
        region in region(),
        t in time(),
        expires_in in 1u32..=900,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in session(),
        cred_expiry in cred_expiry(),
    ) {
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        creds.expires_at = cred_expiry.map(|d| t + d);
        let req = TokenRequest::elasticache(&cache, &user_id, serverless, creds, t)
            .with_region(region)
            .with_expires_in(expires_in);
        let resource = if serverless { "&ResourceType=ServerlessCache" } else { "" };
        let peer = peer_token(&PeerInput {
            authority: cache.to_ascii_lowercase(),
            params: format!("Action=connect{resource}&User={}", encode(&user_id)),
            service: "elasticache",
            region,
            akid: &akid,
            secret: &secret,
            session: session.as_deref().filter(|s| !s.is_empty()),
            t,
            expires_in: clamped(expires_in, creds.expires_at, t),
        });
        prop_assert_eq!(ours(&req), peer);
    }

    #[test]
    fn memorydb_tokens_equal_aws_sigv4(
        cluster in "[a-zA-Z]([a-zA-Z0-9-]{0,38}[a-zA-Z0-9])?",
        user in "\\PC{1,40}",
        region in region(),
        t in time(),
        expires_in in 1u32..=900,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in session(),
        cred_expiry in cred_expiry(),
    ) {
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        creds.expires_at = cred_expiry.map(|d| t + d);
        let req = TokenRequest::memorydb(&cluster, &user, creds, t)
            .with_region(region)
            .with_expires_in(expires_in);
        let peer = peer_token(&PeerInput {
            authority: cluster.to_ascii_lowercase(),
            params: format!("Action=connect&User={}", encode(&user)),
            service: "memorydb",
            region,
            akid: &akid,
            secret: &secret,
            session: session.as_deref().filter(|s| !s.is_empty()),
            t,
            expires_in: clamped(expires_in, creds.expires_at, t),
        });
        prop_assert_eq!(ours(&req), peer);
    }
}
