//! Differential property test: on thousands of random valid inputs, dbtoken's RDS and DSQL
//! tokens carry the same signature as the `aws-sigv4` crate (what the AWS SDK for Rust's
//! `auth_token` modules use) computes for the same request.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use dbtoken::{Credentials, Signer, TokenRequest};
use proptest::prelude::*;

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

/// The token per aws-sigv4: presign `GET https://{authority}/?{params}`.
fn peer_signature(
    authority: &str,
    params: &str,
    service: &str,
    region: &str,
    creds: &Credentials<'_>,
    t: u64,
    expires_in: u32,
) -> String {
    let identity: Identity = AwsCredentials::new(
        creds.access_key_id,
        creds.secret_access_key,
        creds.session_token().map(String::from),
        None,
        "differential",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(u64::from(expires_in)));
    let signing_params: aws_sigv4::http_request::SigningParams<'_> = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(UNIX_EPOCH + Duration::from_secs(t))
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://{authority}/?{params}");
    let signable =
        SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[])).unwrap();
    let (instructions, _) = sign(signable, &signing_params).unwrap().into_parts();
    let mut request = http::Request::builder().uri(&url).body(()).unwrap();
    instructions.apply_to_request_http1x(&mut request);
    let uri = request.uri().to_string();
    let sig = uri.rsplit("X-Amz-Signature=").next().unwrap();
    sig.split('&').next().unwrap().to_string()
}

fn ours_signature(token: &str) -> String {
    token.rsplit("X-Amz-Signature=").next().unwrap().to_string()
}

prop_compose! {
    fn host()(labels in prop::collection::vec("[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", 1..5),
              tld in prop::sample::select(vec!["com", "internal", "example"])) -> String {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn rds_signatures_equal_aws_sigv4(
        host in host(),
        port in 1u16..,
        user in "\\PC{1,40}",
        region in region(),
        t in 0u64..4_102_444_800,
        expires_in in 1u32..=900,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in prop::option::of("[A-Za-z0-9/+=]{1,600}"),
    ) {
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        let req = TokenRequest::rds(&host, port, &user, creds, t).with_region(region).with_expires_in(expires_in);
        let mut buf = vec![0u8; 8192];
        let token = Signer::new().write_token(&req, &mut buf).unwrap();
        let params = format!("Action=connect&DBUser={}", encode(&user));
        let authority = format!("{host}:{port}");
        let peer = peer_signature(&authority, &params, "rds-db", region, &creds, t, expires_in);
        prop_assert_eq!(ours_signature(token.as_str()), peer);
    }

    #[test]
    fn dsql_signatures_equal_aws_sigv4(
        id in "[a-z0-9]{26}",
        admin in any::<bool>(),
        region in region(),
        t in 0u64..4_102_444_800,
        expires_in in 1u32..=604_800,
        akid in "[A-Z0-9]{16,20}",
        secret in "[A-Za-z0-9/+]{40}",
        session in prop::option::of("[A-Za-z0-9/+=]{1,600}"),
    ) {
        let host = format!("{id}.dsql.{region}.on.aws");
        let mut creds = Credentials::new(&akid, &secret);
        creds.session_token = session.as_deref();
        let req = TokenRequest::dsql(&host, admin, creds, t).with_expires_in(expires_in);
        let mut buf = vec![0u8; 8192];
        let token = Signer::new().write_token(&req, &mut buf).unwrap();
        let action = if admin { "DbConnectAdmin" } else { "DbConnect" };
        let peer = peer_signature(&host, &format!("Action={action}"), "dsql", region, &creds, t, expires_in);
        prop_assert_eq!(ours_signature(token.as_str()), peer);
    }
}
