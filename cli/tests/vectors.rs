//! Runs the built `dbtoken` over every case of tests/vectors/tokens.json and errors.json.
//!
//! Credentials reach the binary the way they would in real use: long-term and session keys
//! through the environment, credentials with an expiry (and empty keys, which the environment
//! provider treats as absent) through a `credential_process` profile.

mod common;

use common::{Outcome, Run, credential_process_config, rfc3339};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("field {k} is not a string"))
}

/// Command-line arguments for a token case (`--flag=value`, so values starting with '-' stay values).
fn args(kind: &str, input: &Value) -> Vec<String> {
    let mut a: Vec<String> = vec![kind.to_owned()];
    let mut flag = |k: &str, v: String| a.push(format!("--{k}={v}"));
    match kind {
        "rds" => {
            flag("hostname", s(input, "hostname").to_owned());
            flag("port", input["port"].to_string());
            flag("username", s(input, "username").to_owned());
        }
        "dsql" => {
            flag("hostname", s(input, "hostname").to_owned());
        }
        "elasticache" => {
            flag("cache-name", s(input, "cache_name").to_owned());
            flag("user-id", s(input, "user_id").to_owned());
        }
        "memorydb" => {
            flag("cluster-name", s(input, "cluster_name").to_owned());
            flag("user", s(input, "user").to_owned());
        }
        other => panic!("unknown kind {other}"),
    }
    if let Some(r) = input["region"].as_str() {
        flag("region", r.to_owned());
    }
    flag("expires-in", input["expires_in"].to_string());
    flag("signing-time", input["signing_time"].to_string());
    if input["admin"].as_bool() == Some(true) {
        a.push("--admin".into());
    }
    if input["serverless"].as_bool() == Some(true) {
        a.push("--serverless".into());
    }
    a
}

/// A `Run` carrying the case's credentials.
fn with_credentials(input: &Value) -> Run {
    let c = &input["credentials"];
    let akid = s(c, "access_key_id");
    let secret = s(c, "secret_access_key");
    let session = c["session_token"].as_str();
    let run = Run::new();
    if c["expires_at"].is_null() && !akid.is_empty() && !secret.is_empty() {
        return run.env_keys(akid, secret, session);
    }
    let mut json =
        serde_json::json!({"Version": 1, "AccessKeyId": akid, "SecretAccessKey": secret});
    if let Some(t) = session {
        json["SessionToken"] = t.into();
    }
    if let Some(e) = c["expires_at"].as_i64() {
        json["Expiration"] = rfc3339(e).into();
    }
    let cfg = credential_process_config(&run.home, "default", &json);
    run.config(&cfg)
}

/// No secret or session token of the case anywhere in the output (the token itself carries the
/// session token, so stdout is only checked for the secret).
fn check_no_secret(id: &str, input: &Value, out: &Outcome) -> Result<(), String> {
    let c = &input["credentials"];
    let secret = s(c, "secret_access_key");
    if !secret.is_empty() && (out.stdout.contains(secret) || out.stderr.contains(secret)) {
        return Err(format!("{id}: the secret appears in the output"));
    }
    if let Some(t) = c["session_token"].as_str().filter(|t| t.len() > 4)
        && out.stderr.contains(t)
    {
        return Err(format!("{id}: the session token appears on stderr"));
    }
    Ok(())
}

#[test]
fn tokens_json_every_case() {
    let doc = common::vectors("tokens.json");
    let cases = doc["cases"].as_array().expect("cases");
    let (mut passed, mut failures) = (0, Vec::new());
    let mut kinds = std::collections::BTreeSet::new();
    for case in cases {
        let id = s(case, "id");
        let kind = s(case, "kind");
        kinds.insert(kind.to_owned());
        let input = &case["input"];
        let out = with_credentials(input).run(&args(kind, input));
        let expected = s(&case["expected"], "token");
        let result = if out.code != 0 {
            Err(format!("{id}: exit {} stderr {}", out.code, out.stderr))
        } else if out.stdout != format!("{expected}\n") {
            Err(format!(
                "{id}: token differs\n  got      {}  expected {expected}",
                out.stdout
            ))
        } else {
            check_no_secret(id, input, &out)
        };
        // The JSON format reports the vector's expires_at (clamped to the credentials).
        let result = result.and_then(|()| {
            let mut a = args(kind, input);
            a.push("--format=json".into());
            let j = with_credentials(input).run(&a);
            let v: Value =
                serde_json::from_str(&j.stdout).map_err(|e| format!("{id}: json: {e}"))?;
            if v["token"] != case["expected"]["token"]
                || v["expires_at"] != case["expected"]["expires_at"]
                || v["kind"] != kind
            {
                return Err(format!("{id}: --format json disagrees: {}", j.stdout));
            }
            Ok(())
        });
        match result {
            Ok(()) => passed += 1,
            Err(e) => failures.push(e),
        }
    }
    eprintln!(
        "tokens.json via the CLI: {passed} passed, {} failed (kinds: {kinds:?})",
        failures.len()
    );
    assert_eq!(kinds.len(), 4, "every kind is covered");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed, cases.len());
}

#[test]
fn errors_json_every_case() {
    let doc = common::vectors("errors.json");
    let cases = doc["cases"].as_array().expect("cases");
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for case in cases {
        let id = s(case, "id");
        let code = s(case, "code");
        if !case["buffer_len"].is_null() {
            skipped += 1;
            eprintln!("skip {id}: buffer_len cases need a caller-supplied buffer (Rust API only)");
            continue;
        }
        let out = match s(case, "op") {
            "token" => {
                let input = &case["input"];
                let out = with_credentials(input).run(&args(s(case, "kind"), input));
                if let Err(e) = check_no_secret(id, input, &out) {
                    failures.push(e);
                    continue;
                }
                out
            }
            "inspect" => Run::new().stdin(s(case, "token")).run(&["inspect", "-"]),
            "verify" => {
                let run = Run::new().stdin(s(case, "token"));
                let secret = s(case, "secret_access_key");
                let file = run.home.write("secret", secret);
                let out = run.run(&[
                    "verify".to_owned(),
                    format!("--secret-access-key-file={}", file.display()),
                    format!("--now={}", case["now"]),
                ]);
                if out.stdout.contains(secret) || out.stderr.contains(secret) {
                    failures.push(format!("{id}: the secret appears in the output"));
                    continue;
                }
                out
            }
            other => panic!("{id}: unknown op {other}"),
        };
        if out.code != 0
            && out.error_code() == Some(code)
            && out.stdout.is_empty()
            && !out.stderr.contains("panicked")
        {
            passed += 1;
        } else {
            failures.push(format!(
                "{id}: expected error[{code}], got exit {} stderr {:?}",
                out.code, out.stderr
            ));
        }
    }
    eprintln!(
        "errors.json via the CLI: {passed} passed, {} failed, {skipped} skipped",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(passed + skipped, cases.len());
}
