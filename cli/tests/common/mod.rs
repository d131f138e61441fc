//! Helpers for the CLI's integration tests: run the built `dbtoken` with a clean environment,
//! temporary directories, and tiny HTTP servers on 127.0.0.1 standing in for IMDS / ECS.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const BIN: &str = env!("CARGO_BIN_EXE_dbtoken");

/// The vector files, by a path relative to this crate.
pub fn vectors(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dbtoken-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `dbtoken` with nothing from the caller's environment but PATH: HOME is a fresh empty
/// directory, the shared files point into it (absent unless written), IMDS is off.
pub struct Run {
    pub home: TempDir,
    pub env: BTreeMap<String, String>,
    pub stdin: Option<String>,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn new() -> Run {
        let home = TempDir::new("home");
        let mut env = BTreeMap::new();
        env.insert(
            "PATH".into(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        );
        env.insert("HOME".into(), home.path().display().to_string());
        env.insert(
            "AWS_CONFIG_FILE".into(),
            home.path().join("config").display().to_string(),
        );
        env.insert(
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            home.path().join("credentials").display().to_string(),
        );
        env.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        Run {
            home,
            env,
            stdin: None,
        }
    }
    pub fn env(mut self, k: &str, v: &str) -> Run {
        self.env.insert(k.into(), v.into());
        self
    }
    pub fn unset(mut self, k: &str) -> Run {
        self.env.remove(k);
        self
    }
    pub fn stdin(mut self, s: &str) -> Run {
        self.stdin = Some(s.into());
        self
    }
    /// Long-term or temporary keys in the environment.
    pub fn env_keys(self, akid: &str, secret: &str, session: Option<&str>) -> Run {
        let r = self
            .env("AWS_ACCESS_KEY_ID", akid)
            .env("AWS_SECRET_ACCESS_KEY", secret);
        match session {
            Some(t) => r.env("AWS_SESSION_TOKEN", t),
            None => r,
        }
    }
    /// Writes `$AWS_CONFIG_FILE`.
    pub fn config(self, text: &str) -> Run {
        self.home.write("config", text);
        self
    }
    /// Writes `$AWS_SHARED_CREDENTIALS_FILE`.
    pub fn credentials(self, text: &str) -> Run {
        self.home.write("credentials", text);
        self
    }
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Outcome {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .envs(&self.env)
            .current_dir(self.home.path());
        cmd.args(args.iter().map(AsRef::as_ref));
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn dbtoken");
        let input = self.stdin.clone().unwrap_or_default();
        let mut sin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = sin.write_all(input.as_bytes());
        });
        let out: Output = child.wait_with_output().expect("wait dbtoken");
        let _ = writer.join();
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Outcome {
    /// The token line of a successful text-format run.
    pub fn token(&self) -> &str {
        assert_eq!(self.code, 0, "dbtoken failed: {}", self.stderr);
        self.stdout
            .strip_suffix('\n')
            .expect("output ends with a newline")
    }
    /// The `CODE` of `error[CODE]: ...` on stderr's first line.
    pub fn error_code(&self) -> Option<&str> {
        let rest = self.stderr.strip_prefix("error[")?;
        Some(&rest[..rest.find("]: ")?])
    }
}

/// A credential_process profile (`[default]` unless `profile` given) that prints `json`.
pub fn credential_process_config(dir: &TempDir, profile: &str, json: &serde_json::Value) -> String {
    let file = dir.write(&format!("process-{profile}.json"), &json.to_string());
    let section = if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    };
    format!("[{section}]\ncredential_process = cat {}\n", file.display())
}

/// RFC 3339 of Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .expect("valid time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (one thread, `Connection: close`), answering with
/// `handler(request) -> (status, extra headers, body)`, recording every request.
pub struct FakeServer {
    pub port: u16,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeServer {
    pub fn start(
        handler: impl Fn(&Request) -> (u16, Vec<(String, String)>, String) + Send + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Ok(clone) = stream.try_clone() else {
                    continue;
                };
                let mut reader = BufReader::new(clone);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or("").to_owned();
                let path = parts.next().unwrap_or("").to_owned();
                let mut headers = BTreeMap::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                    }
                }
                let len: usize = headers
                    .get("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = reader.read_exact(&mut body);
                let req = Request {
                    method,
                    path,
                    headers,
                };
                let (status, extra, body) = handler(&req);
                let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
                seen.lock().expect("lock").push(req);
                let reason = if status == 200 { "OK" } else { "Not Found" };
                let resp = format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(resp.as_bytes());
                let _ = stream.flush();
            }
        });
        FakeServer { port, requests }
    }
    pub fn seen(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }
}
