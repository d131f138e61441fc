//! Credential sources exercised for real through aws-config: environment, shared files,
//! credential_process, a fake IMDSv2 and a fake ECS endpoint on 127.0.0.1.
//!
//! Expected tokens are taken from tests/vectors/tokens.json (botocore-generated): the CLI must
//! give the same token whichever source delivered the same keys.

mod common;

use common::{FakeServer, Run, credential_process_config, rfc3339};
use serde_json::{Value, json};

/// (args, expected token, access key id, secret, session token) of a tokens.json RDS case.
struct Case {
    args: Vec<String>,
    token: String,
    akid: String,
    secret: String,
    session: Option<String>,
}

fn case(id: &str) -> Case {
    let doc = common::vectors("tokens.json");
    let c = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id}"))
        .clone();
    let i = &c["input"];
    assert_eq!(c["kind"], "rds");
    let mut args = vec![
        "rds".to_owned(),
        format!("--hostname={}", i["hostname"].as_str().expect("hostname")),
        format!("--port={}", i["port"]),
        format!("--username={}", i["username"].as_str().expect("username")),
        format!("--signing-time={}", i["signing_time"]),
        format!("--expires-in={}", i["expires_in"]),
    ];
    if let Some(r) = i["region"].as_str() {
        args.push(format!("--region={r}"));
    }
    let cr = &i["credentials"];
    Case {
        args,
        token: c["expected"]["token"].as_str().expect("token").to_owned(),
        akid: cr["access_key_id"].as_str().expect("akid").to_owned(),
        secret: cr["secret_access_key"].as_str().expect("secret").to_owned(),
        session: cr["session_token"].as_str().map(str::to_owned),
    }
}

const OTHER_AKID: &str = "AKIDOTHERKEY";
const OTHER_SECRET: &str = "otherSecretThatMustNotBeUsed/xxxxxxxxxxx";

#[test]
fn environment() {
    let c = case("rds-basic");
    let out = Run::new().env_keys(&c.akid, &c.secret, None).run(&c.args);
    assert_eq!(out.token(), c.token);
    let t = case("rds-session-token-short");
    let out = Run::new()
        .env_keys(&t.akid, &t.secret, t.session.as_deref())
        .run(&t.args);
    assert_eq!(out.token(), t.token);
}

#[test]
fn shared_credentials_file_default_and_named_profiles() {
    let c = case("rds-basic");
    let file = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[other]\naws_access_key_id = {OTHER_AKID}\naws_secret_access_key = {OTHER_SECRET}\n",
        c.akid, c.secret
    );
    // [default] from AWS_SHARED_CREDENTIALS_FILE.
    assert_eq!(Run::new().credentials(&file).run(&c.args).token(), c.token);

    // A named profile in AWS_CONFIG_FILE, chosen by --profile, wins over keys in the environment
    // (as in the AWS CLI).
    let cfg = format!(
        "[profile work]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        c.akid, c.secret
    );
    let mut args = c.args.clone();
    args.push("--profile=work".into());
    let out = Run::new()
        .config(&cfg)
        .env_keys(OTHER_AKID, OTHER_SECRET, None)
        .run(&args);
    assert_eq!(out.token(), c.token);

    // AWS_PROFILE selects the profile when no environment keys are set.
    let out = Run::new()
        .config(&cfg)
        .env("AWS_PROFILE", "work")
        .run(&c.args);
    assert_eq!(out.token(), c.token);

    // A missing profile is a no_credentials error naming the profile and the files.
    let mut args = c.args.clone();
    args.push("--profile=nope".into());
    let out = Run::new().config(&cfg).run(&args);
    assert_eq!(out.code, 1);
    assert_eq!(out.error_code(), Some("no_credentials"), "{}", out.stderr);
    assert!(
        out.stderr.contains("'nope'") && out.stderr.contains("/config"),
        "{}",
        out.stderr
    );
}

#[test]
fn credential_process_with_expiration_clamps_the_token() {
    // The credentials expire 300 s after signing: the token is clamped to them.
    let c = case("rds-credentials-expire-before-token-clamped");
    let run = Run::new();
    let json = json!({
        "Version": 1, "AccessKeyId": c.akid, "SecretAccessKey": c.secret,
        "SessionToken": c.session, "Expiration": rfc3339(1_705_322_396),
    });
    let cfg = credential_process_config(&run.home, "default", &json);
    let run = run.config(&cfg);
    assert_eq!(run.run(&c.args).token(), c.token);
    let mut args = c.args.clone();
    args.push("--format=json".into());
    let v: Value = serde_json::from_str(&run.run(&args).stdout).expect("json");
    assert_eq!(v["expires_at"], 1_705_322_396);

    // Credentials already expired at the signing time: credentials_expired, no token.
    let run = Run::new();
    let json = json!({
        "Version": 1, "AccessKeyId": c.akid, "SecretAccessKey": c.secret,
        "SessionToken": c.session, "Expiration": rfc3339(1_705_322_000),
    });
    let cfg = credential_process_config(&run.home, "default", &json);
    let out = run.config(&cfg).run(&c.args);
    assert_eq!(out.code, 1);
    assert_eq!(out.error_code(), Some("credentials_expired"));
    assert!(out.stdout.is_empty());

    // A failing process: no_credentials with the sources tried.
    let out = Run::new()
        .config("[default]\ncredential_process = false\n")
        .run(&c.args);
    assert_eq!(out.error_code(), Some("no_credentials"), "{}", out.stderr);
}

#[test]
fn imdsv2_instance_profile() {
    let c = case("rds-session-token-short");
    let creds = json!({
        "Code": "Success", "LastUpdated": rfc3339(common::now()), "Type": "AWS-HMAC",
        "AccessKeyId": c.akid, "SecretAccessKey": c.secret, "Token": c.session,
        "Expiration": rfc3339(common::now() + 6 * 3600),
    })
    .to_string();
    let imds = FakeServer::start(move |r| {
        let token_ok = r
            .headers
            .get("x-aws-ec2-metadata-token")
            .map(String::as_str)
            == Some("imds-session-1");
        match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/latest/api/token")
                if r.headers
                    .contains_key("x-aws-ec2-metadata-token-ttl-seconds") =>
            {
                (
                    200,
                    vec![(
                        "x-aws-ec2-metadata-token-ttl-seconds".into(),
                        "21600".into(),
                    )],
                    "imds-session-1".into(),
                )
            }
            ("GET", "/latest/meta-data/iam/security-credentials/") if token_ok => {
                (200, vec![], "db-role".into())
            }
            ("GET", "/latest/meta-data/iam/security-credentials/db-role") if token_ok => {
                (200, vec![], creds.clone())
            }
            _ => (404, vec![], String::new()),
        }
    });
    let out = Run::new()
        .env("AWS_EC2_METADATA_DISABLED", "false")
        .env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &format!("http://127.0.0.1:{}", imds.port),
        )
        .run(&c.args);
    assert_eq!(out.token(), c.token, "stderr: {}", out.stderr);
    assert!(c.token.contains("X-Amz-Security-Token="));
    let seen = imds.seen();
    assert!(
        seen.iter()
            .any(|r| r.method == "PUT" && r.path == "/latest/api/token"),
        "IMDSv2 session: {seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.path.ends_with("/db-role")),
        "{seen:?}"
    );
}

#[test]
fn ecs_container_full_uri() {
    let c = case("rds-session-token-short");
    let creds = json!({
        "AccessKeyId": c.akid, "SecretAccessKey": c.secret, "Token": c.session,
        "Expiration": rfc3339(common::now() + 3600), "RoleArn": "arn:aws:iam::123456789012:role/db",
    })
    .to_string();
    let ecs = FakeServer::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/v2/credentials/abc")
            if r.headers.get("authorization").map(String::as_str) == Some("ecs-auth-1") =>
        {
            (200, vec![], creds.clone())
        }
        _ => (404, vec![], String::new()),
    });
    let out = Run::new()
        .env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("http://127.0.0.1:{}/v2/credentials/abc", ecs.port),
        )
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-1")
        .run(&c.args);
    assert_eq!(out.token(), c.token, "stderr: {}", out.stderr);
    assert_eq!(ecs.seen().len(), 1);
}

#[test]
fn no_credentials_names_the_sources() {
    let c = case("rds-basic");
    let out = Run::new().run(&c.args);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    assert_eq!(out.error_code(), Some("no_credentials"), "{}", out.stderr);
    for needle in [
        "AWS_ACCESS_KEY_ID",
        "/config",
        "/credentials",
        "credential_process",
        "SSO",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS",
        "instance metadata",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle}: {}",
            out.stderr
        );
    }
}

#[test]
fn region_sources() {
    let keys = |r: Run| {
        r.env_keys(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        )
    };
    let region_of = |out: common::Outcome| -> String {
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: Value = serde_json::from_str(&out.stdout).expect("json");
        v["region"].as_str().expect("region").to_owned()
    };
    let custom = [
        "rds",
        "--hostname=db.example.com",
        "--port=5432",
        "--username=u",
        "--format=json",
    ];
    let aws_host = [
        "rds",
        "--hostname=db.abc.eu-central-1.rds.amazonaws.com",
        "--port=5432",
        "--username=u",
        "--format=json",
    ];

    // No region from host: env, then profile.
    assert_eq!(
        region_of(
            keys(Run::new())
                .env("AWS_REGION", "ap-south-1")
                .run(&custom)
        ),
        "ap-south-1"
    );
    assert_eq!(
        region_of(
            keys(Run::new())
                .env("AWS_DEFAULT_REGION", "ap-south-2")
                .run(&custom)
        ),
        "ap-south-2"
    );
    assert_eq!(
        region_of(
            keys(Run::new())
                .config("[default]\nregion = sa-east-1\n")
                .run(&custom)
        ),
        "sa-east-1"
    );
    let mut with_profile = custom.to_vec();
    with_profile.push("--profile=p");
    let cfg = "[profile p]\nregion = ca-central-1\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n";
    assert_eq!(
        region_of(Run::new().config(cfg).run(&with_profile)),
        "ca-central-1"
    );
    // None anywhere: region_required.
    assert_eq!(
        keys(Run::new()).run(&custom).error_code(),
        Some("region_required")
    );

    // The host's region wins over the environment's.
    assert_eq!(
        region_of(
            keys(Run::new())
                .env("AWS_REGION", "ap-south-1")
                .run(&aws_host)
        ),
        "eu-central-1"
    );
    // An explicit region that contradicts the host is an error.
    let mut contradict = aws_host.to_vec();
    contradict.push("--region=us-east-1");
    let out = keys(Run::new()).run(&contradict);
    assert_eq!((out.code, out.error_code()), (1, Some("region_mismatch")));
}

/// A credentials endpoint that accepts connections and never answers: every accepted socket is
/// kept open, unread and unanswered, until the test ends.
struct BlackHole {
    port: u16,
}

impl BlackHole {
    fn start() -> BlackHole {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in listener.incoming() {
                match s {
                    Ok(s) => held.push(s),
                    Err(_) => break,
                }
            }
        });
        BlackHole { port }
    }
}

/// The documented bound (cli/README.md): a credentials endpoint that hangs makes `dbtoken`
/// fail with `no_credentials` within this many seconds.
const HANG_BOUND_SECS: u64 = 5;

fn fails_within_bound(run: Run, what: &str) {
    let c = case("rds-basic");
    let started = std::time::Instant::now();
    let out = run.run(&c.args);
    let took = started.elapsed();
    assert_eq!(
        out.error_code(),
        Some("no_credentials"),
        "{what}: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert!(
        took < std::time::Duration::from_secs(HANG_BOUND_SECS),
        "{what}: took {took:?} (bound {HANG_BOUND_SECS} s)"
    );
    println!("{what}: no_credentials after {took:?}");
}

#[test]
fn imds_that_never_answers_fails_within_the_bound() {
    let hole = BlackHole::start();
    fails_within_bound(
        Run::new().env("AWS_EC2_METADATA_DISABLED", "false").env(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            &format!("http://127.0.0.1:{}", hole.port),
        ),
        "IMDS",
    );
}

#[test]
fn ecs_endpoint_that_never_answers_fails_within_the_bound() {
    let hole = BlackHole::start();
    fails_within_bound(
        Run::new().env(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &format!("http://127.0.0.1:{}/v2/credentials/abc", hole.port),
        ),
        "ECS",
    );
}
