//! Flags, formats, inspect and verify, run through the built binary. Tokens come from
//! tests/vectors/tokens.json (botocore-generated).

mod common;

use common::Run;
use serde_json::Value;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const WRONG_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";

fn vector(id: &str) -> Value {
    let doc = common::vectors("tokens.json");
    doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id}"))
}

fn expected(id: &str) -> String {
    vector(id)["expected"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

fn keys() -> Run {
    Run::new().env_keys("AKIDEXAMPLE", SECRET, None)
}

const RDS_BASIC: [&str; 6] = [
    "rds",
    "--hostname=prod-instance.abc123xyz.us-east-1.rds.amazonaws.com",
    "--port=5432",
    "--username=iam_user",
    "--region=us-east-1",
    "--signing-time=1705322096",
];

fn with(extra: &[&str]) -> Vec<String> {
    RDS_BASIC
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect()
}

/// RFC 3986 percent-encoding written here as the test's own oracle.
fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn aws_cli_alias_and_time_formats() {
    let want = expected("rds-basic");
    assert_eq!(keys().run(&RDS_BASIC).token(), want);
    let mut alias = RDS_BASIC.to_vec();
    alias[0] = "generate-db-auth-token";
    assert_eq!(keys().run(&alias).token(), want);
    // `--output` is accepted and ignored, as the AWS CLI ignores it for this command.
    alias.push("--output=json");
    assert_eq!(keys().run(&alias).token(), want);
    // Same second in RFC 3339, UTC and with an offset.
    let mut rfc = RDS_BASIC.to_vec();
    rfc[5] = "--signing-time=2024-01-15T12:34:56Z";
    assert_eq!(keys().run(&rfc).token(), want);
    rfc[5] = "--signing-time=2024-01-15T14:34:56+02:00";
    assert_eq!(keys().run(&rfc).token(), want);
    // Region inferred from the host gives the same token.
    let inferred: Vec<&str> = RDS_BASIC
        .iter()
        .copied()
        .filter(|a| !a.starts_with("--region"))
        .collect();
    assert_eq!(keys().run(&inferred).token(), want);
}

#[test]
fn formats() {
    let want = expected("rds-basic");
    // json
    let out = keys().run(&with(&["--format=json"]));
    let v: Value = serde_json::from_str(&out.stdout).expect("json");
    assert_eq!(v["token"], want.as_str());
    assert_eq!(v["expires_at"], 1_705_322_996);
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["kind"], "rds");
    // url-encode (text and json)
    assert_eq!(keys().run(&with(&["--url-encode"])).token(), pct(&want));
    let v: Value =
        serde_json::from_str(&keys().run(&with(&["--format=json", "--url-encode"])).stdout)
            .expect("json");
    assert_eq!(v["token"], pct(&want).as_str());
    // env: a line a shell can eval
    let out = keys().run(&with(&["--format=env"]));
    assert_eq!(out.stdout, format!("PGPASSWORD='{want}'\n"));
    let sh = std::process::Command::new("sh")
        .args([
            "-c",
            "eval \"$1\"; printf %s \"$PGPASSWORD\"",
            "sh",
            &out.stdout,
        ])
        .output()
        .expect("sh");
    assert_eq!(String::from_utf8_lossy(&sh.stdout), want);
    let out = keys().run(&with(&["--format=env", "--env-var=MYSQL_PWD"]));
    assert!(out.stdout.starts_with("MYSQL_PWD='"));
    assert_eq!(keys().run(&with(&["--format=env", "--env-var=1x"])).code, 2);
}

#[test]
fn other_kinds_default_env_var() {
    let c = vector("elasticache-serverless");
    let i = &c["input"];
    let args = vec![
        "elasticache".to_owned(),
        format!("--cache-name={}", i["cache_name"].as_str().expect("name")),
        format!("--user-id={}", i["user_id"].as_str().expect("user")),
        "--serverless".into(),
        format!("--region={}", i["region"].as_str().expect("region")),
        format!("--signing-time={}", i["signing_time"]),
        format!("--expires-in={}", i["expires_in"]),
        "--format=env".into(),
    ];
    let cr = &i["credentials"];
    let out = Run::new()
        .env_keys(
            cr["access_key_id"].as_str().expect("akid"),
            cr["secret_access_key"].as_str().expect("secret"),
            None,
        )
        .run(&args);
    assert_eq!(
        out.stdout,
        format!(
            "REDISCLI_AUTH='{}'\n",
            c["expected"]["token"].as_str().expect("token")
        )
    );
}

#[test]
fn usage_errors_and_help() {
    let out = keys().run(&["rds", "--hostname=h", "--port=5432"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.error_code(), Some("usage"));
    let out = keys().run(&with(&["--signing-time=yesterday"]));
    assert_eq!((out.code, out.error_code()), (2, Some("usage")));
    let out = keys().run(&with(&["--format=xml"]));
    assert_eq!((out.code, out.error_code()), (2, Some("usage")));
    let out = keys().run(&["rds", "--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("--signing-time") && out.stdout.contains("--url-encode"));
    assert_eq!(keys().run(&["--version"]).code, 0);
    let out = keys().run::<&str>(&[]);
    assert_eq!(out.code, 2);
    // Core errors: code, non-zero exit, nothing on stdout, no panic trace.
    let out = keys().run(&[
        "rds",
        "--hostname=https://db.example.com",
        "--port=5432",
        "--username=u",
        "--region=us-east-1",
    ]);
    assert_eq!((out.code, out.error_code()), (1, Some("host_has_scheme")));
    assert!(out.stdout.is_empty() && !out.stderr.contains("panicked"));
    // Bad input is reported before credentials are looked for.
    let out = Run::new().run(&[
        "rds",
        "--hostname=db.example.com",
        "--port=5432",
        "--username=u",
        "--region=us-east-1",
        "--expires-in=901",
    ]);
    assert_eq!(out.error_code(), Some("expiry_out_of_range"));
}

fn inspect_json(token: &str, now: u64) -> Value {
    let out = Run::new().stdin(token).run(&[
        "inspect".to_owned(),
        "-".into(),
        "--json".into(),
        format!("--now={now}"),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("json")
}

#[test]
fn inspect_parts_and_verdicts() {
    let token = expected("rds-basic");
    let v = inspect_json(&token, 1_705_322_100);
    assert_eq!(v["kind"], "rds");
    assert_eq!(
        v["host"],
        "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
    );
    assert_eq!(v["port"], 5432);
    assert_eq!(v["user"], "iam_user");
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["access_key_id"], "AKIDEXAMPLE");
    assert_eq!(v["expires_at"], 1_705_322_996);
    assert_eq!(v["state"], "valid");
    assert_eq!(v["seconds_left"], 896);
    assert_eq!(v["host_region_matches"], true);
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0));
    assert_eq!(inspect_json(&token, 1_705_322_996)["state"], "expired");
    assert_eq!(
        inspect_json(&token, 1_705_322_000)["state"],
        "not_yet_valid"
    );

    // Text output, token as an argument.
    let out = Run::new().run(&[
        "inspect".to_owned(),
        token.clone(),
        "--now=1705322100".into(),
    ]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("valid for 896 more s"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("user            iam_user"),
        "{}",
        out.stdout
    );

    // A region contradicting the host.
    let wrong_region = token.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F");
    let v = inspect_json(&wrong_region, 1_705_322_100);
    assert_eq!(v["host_region_matches"], false);
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("region_mismatch"))
    );
    // No port.
    let v = inspect_json(&token.replace(":5432/", "/"), 1_705_322_100);
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("missing_port"))
    );
    // A temporary key without its session token.
    let temp = expected("rds-session-token-short");
    let start = temp.find("&X-Amz-Security-Token=").expect("session token");
    let end = temp.find("&X-Amz-Signature=").expect("signature");
    let stripped = format!("{}{}", &temp[..start], &temp[end..]);
    let v = inspect_json(&stripped, 1_705_322_100);
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.starts_with("missing_session_token")),
        "{v}"
    );
    assert_eq!(
        inspect_json(&temp, 1_705_322_100)["has_session_token"],
        true
    );

    let out = Run::new().stdin("garbage").run(&["inspect", "-"]);
    assert_eq!((out.code, out.error_code()), (1, Some("malformed_token")));
}

fn verify(token: &str, secret: &str, extra: &[&str]) -> common::Outcome {
    let run = Run::new().stdin(&format!("{token}\n"));
    let file = run.home.write("secret", &format!("{secret}\n"));
    let mut args = vec![
        "verify".to_owned(),
        format!("--secret-access-key-file={}", file.display()),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = run.run(&args);
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    out
}

#[test]
fn verify_checks_everything() {
    let token = expected("rds-basic");
    let host = "--expect-host=prod-instance.abc123xyz.us-east-1.rds.amazonaws.com:5432";
    let ok = verify(
        &token,
        SECRET,
        &[
            "--now=1705322100",
            "--expect-user=iam_user",
            host,
            "--expect-region=us-east-1",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let ok = verify(&token, SECRET, &["--now=2024-01-15T12:35:00Z"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    let cases: [(&str, &[&str], &str); 9] = [
        (SECRET, &["--now=1705322996"], "token_expired"),
        (SECRET, &["--now=1705322000"], "token_not_yet_valid"),
        (WRONG_SECRET, &["--now=1705322100"], "signature_mismatch"),
        (
            SECRET,
            &["--now=1705322100", "--expect-user=app_user"],
            "user_mismatch",
        ),
        (
            SECRET,
            &[
                "--now=1705322100",
                "--expect-host=prod-instance.abc123xyz.us-east-1.rds.amazonaws.com:5433",
            ],
            "host_mismatch",
        ),
        (
            SECRET,
            &[
                "--now=1705322100",
                "--expect-host=other.abc123xyz.us-east-1.rds.amazonaws.com:5432",
            ],
            "host_mismatch",
        ),
        (
            SECRET,
            &["--now=1705322100", "--expect-region=us-west-2"],
            "region_mismatch",
        ),
        (
            SECRET,
            &[
                "--now=1705322100",
                "--expect-user=iam_user",
                "--expect-host=prod-instance.abc123xyz.us-east-1.rds.amazonaws.com",
            ],
            "host_mismatch",
        ),
        (
            SECRET,
            &["--now=1705322100", "--expect-user=IAM_USER"],
            "user_mismatch",
        ),
    ];
    for (secret, extra, code) in cases {
        let out = verify(&token, secret, extra);
        assert_eq!(
            (out.code, out.error_code()),
            (1, Some(code)),
            "{extra:?}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    // A tampered token.
    let out = verify(
        &token.replace("DBUser=iam_user", "DBUser=iam_usex"),
        SECRET,
        &["--now=1705322100"],
    );
    assert_eq!(
        (out.code, out.error_code()),
        (1, Some("signature_mismatch"))
    );
    let out = verify("nope", SECRET, &["--now=1705322100"]);
    assert_eq!((out.code, out.error_code()), (1, Some("malformed_token")));
    // Usage errors: exit 2.
    let out = verify(&token, SECRET, &["--now=soon"]);
    assert_eq!((out.code, out.error_code()), (2, Some("usage")));
    let out = verify(&token, SECRET, &["--expect-host=db:notaport"]);
    assert_eq!(out.code, 2);
    let out = Run::new()
        .stdin(&token)
        .run(&["verify", "--secret-access-key-file=/nonexistent/secret"]);
    assert_eq!(out.code, 2);
}
