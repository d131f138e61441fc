//! Hostile input through the built binary: invalid UTF-8 in arguments, environment variables,
//! stdin and the secret file; NUL bytes; very long values; out-of-range ports, lifetimes and
//! times; garbage tokens for `inspect` and `verify`.
//!
//! Every failing run must exit 1 or 2 with stderr starting `error[CODE]` (never the panic
//! hook's `error[internal]`, never "panicked" or a backtrace hint) and nothing on stdout. No run
//! — failing or not — may show the secret access key or the session token on stderr, nor on
//! stdout when it fails or prints no token (a token carries the session token by design).
//!
//! Linux limits one argument (and one environment string) to 128 KiB (MAX_ARG_STRLEN), so the
//! longest argument tested is 128 KiB - 1 byte; 1 MB inputs go through stdin and the secret file.

mod common;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Stdio};

use common::{Run, TempDir};

const SECRET: &str = "hOsTiLe/SeCrEt+K3yMaTeRiAl0123456789QWERTY";
const SESSION: &str = "HoStIlE-SeSsIoN-ToKeN-9f8e7d6c5b4a3210ZYXWV";
/// Prefixes that also catch a partly shown secret.
const LEAKS: [&str; 4] = [SECRET, SESSION, "hOsTiLe/SeCrEt", "HoStIlE-SeSsIoN"];
const HOST: &str = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com";
const T0: &str = "1705322096";
/// The longest single argument Linux passes to a program (MAX_ARG_STRLEN - 1).
const MAX_ARG: usize = 128 * 1024 - 1;
const MB: usize = 1 << 20;

struct Out {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Out {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    fn error_code(&self) -> Option<String> {
        let e = self.stderr();
        let rest = e.strip_prefix("error[")?;
        Some(rest[..rest.find(']')?].to_owned())
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Runs the binary with `run`'s clean environment (plus `env`, which may be non-UTF-8), the
/// secret and session token in the environment, arguments as raw bytes, `stdin` as raw bytes.
fn run_raw(args: &[OsString], env: &[(&str, OsString)], stdin: &[u8]) -> Out {
    let run = Run::new()
        .env_keys("AKIDEXAMPLE", SECRET, Some(SESSION))
        .env("RUST_BACKTRACE", "full");
    let mut cmd = Command::new(common::BIN);
    cmd.env_clear()
        .envs(&run.env)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(run.home.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn dbtoken");
    let mut sin = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait dbtoken");
    let _ = writer.join();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn os(s: &str) -> OsString {
    OsString::from(s)
}

fn bytes(b: &[u8]) -> OsString {
    OsString::from_vec(b.to_vec())
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(|s| os(s)).collect()
}

/// `rds` with good flags, one of them replaced (by name) or added.
fn rds_with(name: &str, value: OsString) -> Vec<OsString> {
    let mut out = args(&["rds"]);
    let mut replaced = false;
    for (k, v) in [
        ("--hostname", HOST),
        ("--port", "5432"),
        ("--username", "iam_user"),
        ("--region", "us-east-1"),
        ("--signing-time", T0),
    ] {
        out.push(os(k));
        if k == name {
            out.push(value.clone());
            replaced = true;
        } else {
            out.push(os(v));
        }
    }
    if !replaced {
        out.push(os(name));
        out.push(value);
    }
    out
}

fn no_leak(out: &Out, what: &str, check_stdout: bool, extra: &[&[u8]]) {
    let mut secrets: Vec<&[u8]> = LEAKS.iter().map(|s| s.as_bytes()).collect();
    secrets.extend_from_slice(extra);
    for s in secrets {
        assert!(!contains(&out.stderr, s), "{what}: stderr shows a secret");
        if check_stdout {
            assert!(!contains(&out.stdout, s), "{what}: stdout shows a secret");
        }
    }
}

/// A failure: exit 1 or 2, `error[CODE]` (not `internal`), no panic, nothing on stdout, no leak.
/// Returns the code.
fn failure(out: &Out, what: &str) -> String {
    failure_hiding(out, what, &[])
}

fn failure_hiding(out: &Out, what: &str, extra: &[&[u8]]) -> String {
    let err = out.stderr();
    assert!(
        out.code == 1 || out.code == 2,
        "{what}: exit {} ({})",
        out.code,
        err.chars().take(300).collect::<String>()
    );
    let code = out.error_code().unwrap_or_else(|| {
        panic!(
            "{what}: stderr does not start with error[CODE]: {}",
            err.chars().take(300).collect::<String>()
        )
    });
    assert_ne!(code, "internal", "{what}: internal error (a panic)");
    assert!(
        !err.contains("panicked")
            && !err.contains("RUST_BACKTRACE")
            && !err.contains("stack backtrace"),
        "{what}: {err}"
    );
    assert!(
        out.stdout.is_empty(),
        "{what}: output on stdout with an error"
    );
    no_leak(out, what, true, extra);
    // Usage errors exit 2 (as do an unreadable or empty secret file for `verify`).
    if code == "usage" {
        assert_eq!(out.code, 2, "{what}: exit {} for {code}", out.code);
    }
    code
}

/// A success that printed a token: exit 0, stderr clean, the secret nowhere.
fn token_success(out: &Out, what: &str) -> String {
    assert_eq!(
        out.code,
        0,
        "{what}: {}",
        out.stderr().chars().take(300).collect::<String>()
    );
    no_leak(out, what, false, &[]);
    assert!(
        !contains(&out.stdout, SECRET.as_bytes()),
        "{what}: the token shows the secret"
    );
    String::from_utf8(out.stdout.clone()).expect("the token is UTF-8")
}

fn signed_token(session: bool) -> String {
    let mut a = rds_with("--port", os("5432"));
    let env: Vec<(&str, OsString)> = if session {
        vec![]
    } else {
        vec![("AWS_SESSION_TOKEN", os(""))]
    };
    a.push(os("--expires-in=900"));
    let t = token_success(&run_raw(&a, &env, b""), "signed token");
    t.trim_end().to_owned()
}

#[test]
fn invalid_utf8_arguments() {
    let bad: &[&[u8]] = &[
        b"\xFF",
        b"\xFF\xFE",
        b"\xC0\xAF",
        b"\x80",
        b"\xED\xA0\x80",
        b"db\xFF.example.com",
    ];
    for b in bad {
        for flag in [
            "--hostname",
            "--username",
            "--region",
            "--port",
            "--signing-time",
            "--expires-in",
            "--profile",
        ] {
            let out = run_raw(&rds_with(flag, bytes(b)), &[], b"");
            assert_eq!(failure(&out, &format!("{flag} {b:?}")), "usage");
        }
        // --flag=VALUE with the bad bytes after '='.
        let mut joined = b"--username=".to_vec();
        joined.extend_from_slice(b);
        let mut a = args(&[
            "rds",
            "--hostname",
            HOST,
            "--port",
            "5432",
            "--region",
            "us-east-1",
        ]);
        a.push(OsString::from_vec(joined));
        assert_eq!(failure(&run_raw(&a, &[], b""), "--username=bad"), "usage");
        // As a subcommand, a positional token, the verify flags and a path.
        assert_eq!(
            failure(&run_raw(&[bytes(b)], &[], b""), "subcommand"),
            "usage"
        );
        assert_eq!(
            failure(
                &run_raw(&[os("inspect"), bytes(b)], &[], b""),
                "inspect TOKEN"
            ),
            "usage"
        );
        for flag in ["--expect-user", "--expect-host", "--expect-region", "--now"] {
            let a = vec![
                os("verify"),
                os("--secret-access-key-file=/dev/null"),
                os(flag),
                bytes(b),
            ];
            assert_eq!(failure(&run_raw(&a, &[], b""), flag), "usage");
        }
        // A path need not be UTF-8: it is simply not found.
        let mut path = b"/nonexistent/".to_vec();
        path.extend_from_slice(b);
        let a = vec![
            os("verify"),
            os("--secret-access-key-file"),
            OsString::from_vec(path),
        ];
        assert_eq!(
            failure(&run_raw(&a, &[], b"x"), "secret file path"),
            "io_error"
        );
    }
    for kind in [
        vec!["dsql", "--hostname"],
        vec!["elasticache", "--user-id=u", "--cache-name"],
        vec!["memorydb", "--user=u", "--cluster-name"],
    ] {
        let mut a = args(&kind);
        a.push(bytes(b"x\xFFy"));
        a.extend(args(&["--region=us-east-1", "--signing-time", T0]));
        assert_eq!(failure(&run_raw(&a, &[], b""), kind[0]), "usage");
    }
}

#[test]
fn invalid_utf8_environment() {
    // Credentials and region that are not UTF-8: an error naming no secret.
    for (var, value) in [
        (
            "AWS_SECRET_ACCESS_KEY",
            [SECRET.as_bytes(), b"\xFF"].concat(),
        ),
        ("AWS_SESSION_TOKEN", [SESSION.as_bytes(), b"\xFF"].concat()),
        ("AWS_ACCESS_KEY_ID", b"AKID\xFFEXAMPLE".to_vec()),
        ("AWS_REGION", b"us-east-1\xFF".to_vec()),
        ("AWS_PROFILE", b"\xFF".to_vec()),
    ] {
        let mut a = rds_with("--port", os("5432"));
        if var == "AWS_REGION" {
            // Region from the environment only: drop --region and use a host naming none.
            a = args(&[
                "rds",
                "--hostname",
                "db.example.com",
                "--port",
                "5432",
                "--username",
                "u",
                "--signing-time",
                T0,
            ]);
        }
        let out = run_raw(&a, &[(var, OsString::from_vec(value.clone()))], b"");
        if out.code == 0 {
            token_success(&out, var);
        } else {
            failure(&out, var);
        }
    }
}

#[test]
fn nul_bytes() {
    // NUL cannot be passed in an argument (C strings); in the environment neither. It can in
    // stdin and in the secret file.
    let token = signed_token(true);
    for input in [
        b"\0".to_vec(),
        vec![0u8; 4096],
        [token.as_bytes(), b"\0"].concat(),
        [b"\0", token.as_bytes()].concat(),
        token
            .replacen("X-Amz-Signature=", "X-Amz-Signature=\0", 1)
            .into_bytes(),
        token.replacen('?', "?\0", 1).into_bytes(),
    ] {
        let out = run_raw(&args(&["inspect", "-"]), &[], &input);
        failure(&out, "inspect NUL");
        let out = verify_run(&input, SECRET.as_bytes(), &[]);
        failure(&out, "verify NUL");
    }
    // A secret file with NULs: the token does not verify (the secret differs), or — HMAC pads
    // short keys with zero bytes, so trailing NULs make the same key — it does; never a leak.
    let out = verify_run(token.as_bytes(), &[b"\0", SECRET.as_bytes()].concat(), &[]);
    assert_eq!(
        failure(&out, "secret with a leading NUL"),
        "signature_mismatch"
    );
    let out = verify_run(token.as_bytes(), &[SECRET.as_bytes(), b"\0"].concat(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr());
    no_leak(&out, "secret with a trailing NUL", true, &[]);
}

fn verify_run(stdin: &[u8], secret: &[u8], extra: &[&str]) -> Out {
    let dir = TempDir::new("hostile-secret");
    let file = dir.path().join("secret");
    std::fs::write(&file, secret).expect("write secret");
    let mut a = vec![
        os("verify"),
        os("--secret-access-key-file"),
        file.into_os_string(),
        os("--now"),
        os(T0),
    ];
    a.extend(args(extra));
    run_raw(&a, &[], stdin)
}

#[test]
fn long_arguments() {
    let long = "u".repeat(MAX_ARG);
    // A 128 KiB user name signs (the core sets no length limit); the token inspects back.
    let out = run_raw(&rds_with("--username", os(&long)), &[], b"");
    let token = token_success(&out, "128 KiB user");
    assert!(token.contains(&format!("DBUser={long}&")));
    let out = run_raw(&args(&["inspect", "-", "--json"]), &[], token.as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr());
    no_leak(&out, "inspect of a 128 KiB-user token", true, &[]);
    // Long host, region, profile, times, ports.
    let out = run_raw(&rds_with("--hostname", os(&"h".repeat(MAX_ARG))), &[], b"");
    token_success(&out, "128 KiB host");
    assert_eq!(
        failure(
            &run_raw(&rds_with("--region", os(&"r".repeat(MAX_ARG))), &[], b""),
            "long region"
        ),
        "invalid_region"
    );
    for flag in ["--port", "--signing-time", "--expires-in"] {
        assert_eq!(
            failure(
                &run_raw(&rds_with(flag, os(&"9".repeat(MAX_ARG))), &[], b""),
                flag
            ),
            "usage"
        );
    }
    let out = run_raw(&rds_with("--profile", os(&"p".repeat(MAX_ARG))), &[], b"");
    failure(&out, "long profile");
    // Long secret and session token in the environment (one environment string has the same limit).
    let big_secret = format!("hOsTiLe/SeCrEt{}", "s".repeat(MAX_ARG - 40));
    let big_session = format!("HoStIlE-SeSsIoN{}", "t".repeat(MAX_ARG - 40));
    let out = run_raw(
        &rds_with("--port", os("5432")),
        &[
            ("AWS_SECRET_ACCESS_KEY", os(&big_secret)),
            ("AWS_SESSION_TOKEN", os(&big_session)),
        ],
        b"",
    );
    let token = token_success(&out, "long secret and session token");
    assert!(!token.contains(&big_secret));
}

#[test]
fn ports_lifetimes_times() {
    for p in [
        "-1",
        "70000",
        "65536",
        "abc",
        "",
        "5432.0",
        " 5432",
        "0x10",
        "99999999999999999999",
    ] {
        assert_eq!(
            failure(
                &run_raw(&rds_with("--port", os(p)), &[], b""),
                &format!("--port {p:?}")
            ),
            "usage"
        );
    }
    assert_eq!(
        failure(&run_raw(&rds_with("--port", os("0")), &[], b""), "--port 0"),
        "invalid_port"
    );
    let t = token_success(
        &run_raw(&rds_with("--port", os("65535")), &[], b""),
        "--port 65535",
    );
    assert!(t.starts_with(&format!("{HOST}:65535/")));

    for e in ["-1", "99999999999", "4294967296", "abc", "", "1e3"] {
        assert_eq!(
            failure(
                &run_raw(&rds_with("--expires-in", os(e)), &[], b""),
                &format!("--expires-in {e:?}")
            ),
            "usage"
        );
    }
    for e in ["0", "901", "4294967295"] {
        let out = run_raw(&rds_with("--expires-in", os(e)), &[], b"");
        assert_eq!(
            failure(&out, &format!("--expires-in {e}")),
            "expiry_out_of_range"
        );
    }

    for t in [
        "garbage",
        "-1",
        "-1705322096",
        "",
        "1969-12-31T23:59:59Z",
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "+10000-01-01T00:00:00Z",
        "99999999999999999999",
        "18446744073709551616",
        "2024-13-45T99:99:99Z",
        "2024-01-15T12:34:56+99:00",
    ] {
        let out = run_raw(&rds_with("--signing-time", os(t)), &[], b"");
        assert_eq!(failure(&out, &format!("--signing-time {t:?}")), "usage");
        let out = run_raw(&args(&["inspect", "-", "--now", t]), &[], b"x");
        assert_eq!(failure(&out, &format!("inspect --now {t:?}")), "usage");
    }
    // Unix seconds that parse but no token can carry: year 10000 and beyond, up to u64::MAX.
    for t in ["253402300800", "9999999999999", "18446744073709551615"] {
        let out = run_raw(&rds_with("--signing-time", os(t)), &[], b"");
        assert_eq!(
            failure(&out, &format!("--signing-time {t}")),
            "invalid_signing_time"
        );
    }
    // The last signable second and the epoch are fine.
    token_success(
        &run_raw(&rds_with("--signing-time", os("0")), &[], b""),
        "epoch",
    );
    token_success(
        &run_raw(
            &rds_with("--signing-time", os("9999-12-31T23:44:59Z")),
            &[],
            b"",
        ),
        "year 9999",
    );
    // inspect and verify at far "now"s: a verdict, never a crash.
    let token = signed_token(true);
    for now in ["0", "253402300800", "18446744073709551615"] {
        let out = run_raw(
            &args(&["inspect", "-", "--json", "--now", now]),
            &[],
            token.as_bytes(),
        );
        assert_eq!(out.code, 0, "inspect --now {now}: {}", out.stderr());
        no_leak(&out, "inspect", true, &[]);
        let dir = TempDir::new("hostile-now");
        let file = dir.write("secret", SECRET);
        let a = vec![
            os("verify"),
            os("--secret-access-key-file"),
            file.into_os_string(),
            os("--now"),
            os(now),
        ];
        let code = failure(
            &run_raw(&a, &[], token.as_bytes()),
            &format!("verify --now {now}"),
        );
        assert!(
            code == "token_expired" || code == "token_not_yet_valid",
            "{code}"
        );
    }
}

#[test]
fn garbage_tokens_on_stdin() {
    let token = signed_token(true);
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        b"\n\n".to_vec(),
        vec![b'A'; MB],
        vec![b'A'; MB + 1],
        vec![b'A'; 4 * MB],
        [token.as_bytes(), &vec![b'x'; MB]].concat(),
        [token.as_bytes(), b"&", &vec![b'%'; MB]].concat(),
        b"\xFF\xFE".to_vec(),
        [token.as_bytes(), b"\xFF"].concat(),
        vec![0xFF; MB],
        b"\xC0\xAF\xED\xA0\x80".to_vec(),
        token
            .replace("X-Amz-Expires=900", "X-Amz-Expires=99999999999999999999")
            .into_bytes(),
        token
            .replace("X-Amz-Expires=900", "X-Amz-Expires=-1")
            .into_bytes(),
        token
            .replace("X-Amz-Date=20240115T123456Z", "X-Amz-Date=99991231T235959Z")
            .into_bytes(),
        token
            .replace("X-Amz-Date=20240115T123456Z", "X-Amz-Date=00000000T000000Z")
            .into_bytes(),
        token.replace(":5432/", ":99999/").into_bytes(),
        token.replace(":5432/", ":-1/").into_bytes(),
        "&=".repeat(MB / 2).into_bytes(),
    ];
    for input in &inputs {
        let what = format!(
            "{} bytes starting {:?}",
            input.len(),
            String::from_utf8_lossy(&input[..input.len().min(20)])
        );
        let out = run_raw(&args(&["inspect", "-"]), &[], input);
        failure(&out, &format!("inspect - ({what})"));
        let out = run_raw(&args(&["inspect", "-", "--json"]), &[], input);
        failure(&out, &format!("inspect - --json ({what})"));
        let out = verify_run(input, SECRET.as_bytes(), &["--expect-user=iam_user"]);
        failure(&out, &format!("verify ({what})"));
    }
    // Invalid UTF-8 on stdin is an I/O error naming no content.
    let out = run_raw(&args(&["inspect", "-"]), &[], b"\xFF\xFE");
    assert_eq!(failure(&out, "inspect invalid UTF-8"), "io_error");
    // A token as a (128 KiB) argument.
    let out = run_raw(&args(&["inspect", &"A".repeat(MAX_ARG)]), &[], b"");
    assert_eq!(failure(&out, "inspect 128 KiB argument"), "malformed_token");
}

#[test]
fn hostile_secret_files() {
    let token = signed_token(true);
    // A 1 MB secret starting with the secret: a mismatch, and none of it shown.
    let big = [SECRET.as_bytes(), &vec![b's'; MB]].concat();
    assert_eq!(
        failure(&verify_run(token.as_bytes(), &big, &[]), "1 MB secret"),
        "signature_mismatch"
    );
    // A secret that is not UTF-8: an I/O error that names the file, not its content.
    let bad = [SECRET.as_bytes(), b"\xFF"].concat();
    let out = verify_run(token.as_bytes(), &bad, &[]);
    assert_eq!(failure(&out, "secret not UTF-8"), "io_error");
    // Empty, newline only.
    assert_eq!(
        failure(&verify_run(token.as_bytes(), b"", &[]), "empty secret"),
        "empty_secret_access_key"
    );
    assert_eq!(
        failure(&verify_run(token.as_bytes(), b"\n", &[]), "newline secret"),
        "empty_secret_access_key"
    );
    // The right secret with a wrong expectation: the mismatch, still no secret shown.
    let out = verify_run(
        token.as_bytes(),
        SECRET.as_bytes(),
        &["--expect-user=someone_else"],
    );
    assert_eq!(failure(&out, "expect-user"), "user_mismatch");
    let out = verify_run(
        token.as_bytes(),
        SECRET.as_bytes(),
        &["--expect-host=other:5432"],
    );
    assert_eq!(failure(&out, "expect-host"), "host_mismatch");
    // And the success path: the session token is not echoed.
    let out = verify_run(
        token.as_bytes(),
        SECRET.as_bytes(),
        &["--expect-user=iam_user"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr());
    no_leak(&out, "verify ok", true, &[]);
}

#[test]
fn session_token_never_shown_outside_the_token() {
    let token = signed_token(true);
    assert!(
        token.contains(SESSION),
        "the token carries the session token"
    );
    // inspect (text and JSON) says "session token: yes" but never prints it.
    for extra in [&[][..], &["--json"][..]] {
        let mut a = args(&["inspect", "-"]);
        a.extend(args(extra));
        let out = run_raw(&a, &[], token.as_bytes());
        assert_eq!(out.code, 0, "{}", out.stderr());
        no_leak(&out, "inspect", true, &[]);
    }
    // Errors of every kind with the secret and the session token in the environment.
    for a in [
        rds_with("--hostname", os("https://db.example.com")),
        rds_with("--region", os("mars-1")),
        rds_with("--expires-in", os("0")),
        rds_with("--format", os("xml")),
        rds_with("--env-var", os("1x")),
        args(&["inspect", "garbage"]),
        args(&["rds"]),
    ] {
        let mut a = a;
        if a.iter().any(|x| x == OsStr::new("--env-var")) {
            a.push(os("--format=env"));
        }
        failure(&run_raw(&a, &[], b""), "error run");
    }
    // A failing run after the keys were read: expired temporary credentials from a profile.
    let out = run_raw(
        &rds_with("--port", os("5432")),
        &[("AWS_CREDENTIAL_EXPIRATION", os("2000-01-01T00:00:00Z"))],
        b"",
    );
    if out.code != 0 {
        failure(&out, "expired credentials");
    } else {
        token_success(&out, "expired credentials ignored");
    }
}
