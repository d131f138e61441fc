//! Loaders for the shared vector files in `tests/vectors/`, and their conversion to
//! `dbtoken` requests. The same JSON files are read by the Python, JavaScript and Kotlin tests.

use serde::Deserialize;

/// `tests/vectors/tokens.json`.
pub const TOKENS_JSON: &str = include_str!("../vectors/tokens.json");
/// `tests/vectors/errors.json`.
pub const ERRORS_JSON: &str = include_str!("../vectors/errors.json");
/// `tests/vectors/sigv4-suite.json`.
pub const SUITE_JSON: &str = include_str!("../vectors/sigv4-suite.json");
/// `tests/gen/cases.json`: the generator's input list.
pub const GEN_CASES_JSON: &str = include_str!("../gen/cases.json");

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CredentialsIn {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expires_at: Option<u64>,
}

/// The input of a token case (the union of every kind's fields).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Input {
    pub hostname: Option<String>,
    pub port: Option<i64>,
    pub username: Option<String>,
    pub admin: Option<bool>,
    pub cache_name: Option<String>,
    pub user_id: Option<String>,
    pub serverless: Option<bool>,
    pub cluster_name: Option<String>,
    pub user: Option<String>,
    pub region: Option<String>,
    pub expires_in: i64,
    pub signing_time: i64,
    pub credentials: CredentialsIn,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub token: String,
    pub expires_at: u64,
    pub signature: String,
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenCase {
    pub id: String,
    pub source: String,
    pub kind: String,
    pub input: Input,
    pub expected: Expected,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorCase {
    pub id: String,
    pub op: String,
    pub kind: Option<String>,
    pub input: Option<Input>,
    pub buffer_len: Option<usize>,
    pub token: Option<String>,
    pub secret_access_key: Option<String>,
    pub now: Option<u64>,
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GenCase {
    pub id: String,
    pub kind: String,
    pub input: Input,
}

#[derive(Debug, Deserialize)]
struct File<T> {
    cases: Vec<T>,
}

pub fn token_cases() -> Vec<TokenCase> {
    serde_json::from_str::<File<TokenCase>>(TOKENS_JSON)
        .expect("tokens.json")
        .cases
}
pub fn error_cases() -> Vec<ErrorCase> {
    serde_json::from_str::<File<ErrorCase>>(ERRORS_JSON)
        .expect("errors.json")
        .cases
}
pub fn gen_cases() -> Vec<GenCase> {
    serde_json::from_str::<File<GenCase>>(GEN_CASES_JSON)
        .expect("cases.json")
        .cases
}

#[derive(Debug, Clone, Deserialize)]
pub struct SuiteContext {
    pub credentials: SuiteCredentials,
    pub expiration_in_seconds: u32,
    pub normalize: bool,
    pub region: String,
    pub service: String,
    pub sign_body: bool,
    pub timestamp: String,
    #[serde(default)]
    pub omit_session_token: bool,
}
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub token: Option<String>,
}
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteExpected {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub signed_request: String,
}
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteCase {
    pub id: String,
    pub context: SuiteContext,
    pub request: String,
    pub expected: SuiteExpected,
}
pub fn suite_cases() -> Vec<SuiteCase> {
    serde_json::from_str::<File<SuiteCase>>(SUITE_JSON)
        .expect("sigv4-suite.json")
        .cases
}

impl Input {
    /// The credentials, borrowed.
    pub fn credentials(&self) -> dbtoken::Credentials<'_> {
        dbtoken::Credentials {
            access_key_id: &self.credentials.access_key_id,
            secret_access_key: &self.credentials.secret_access_key,
            session_token: self.credentials.session_token.as_deref(),
            expires_at: self.credentials.expires_at,
        }
    }

    /// The request this input describes. Out-of-range numbers saturate into the core's types
    /// (the core then rejects them with its own error).
    pub fn request<'a>(&'a self, kind: &str) -> dbtoken::TokenRequest<'a> {
        let s = |o: &'a Option<String>| o.as_deref().unwrap_or("");
        let target = match kind {
            "rds" => dbtoken::Target::Rds {
                hostname: s(&self.hostname),
                port: self.port.unwrap_or(0).clamp(0, 65535) as u16,
                username: s(&self.username),
            },
            "dsql" => dbtoken::Target::Dsql {
                hostname: s(&self.hostname),
                admin: self.admin.unwrap_or(false),
            },
            "elasticache" => dbtoken::Target::ElastiCache {
                cache_name: s(&self.cache_name),
                user_id: s(&self.user_id),
                serverless: self.serverless.unwrap_or(false),
            },
            "memorydb" => dbtoken::Target::MemoryDb {
                cluster_name: s(&self.cluster_name),
                user: s(&self.user),
            },
            other => panic!("unknown kind {other}"),
        };
        dbtoken::TokenRequest {
            target,
            credentials: self.credentials(),
            region: self.region.as_deref(),
            expires_in: self.expires_in.clamp(0, u32::MAX as i64) as u32,
            signing_time: self.signing_time.max(0) as u64,
        }
    }
}

/// Collects what a [`dbtoken::sigv4::Trace`] sees.
#[derive(Debug, Default)]
pub struct Recorder {
    pub canonical_request: Vec<u8>,
    pub string_to_sign: Vec<u8>,
}

impl dbtoken::sigv4::Trace for Recorder {
    fn canonical_request(&mut self, chunk: &[u8]) {
        self.canonical_request.extend_from_slice(chunk);
    }
    fn string_to_sign(&mut self, chunk: &[u8]) {
        self.string_to_sign.extend_from_slice(chunk);
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds (test helper; the core never reads clocks).
pub fn parse_rfc3339(s: &str) -> u64 {
    let b = s.as_bytes();
    let n = |r: std::ops::Range<usize>| s[r].parse::<u64>().unwrap();
    assert!(b.len() == 20 && b[19] == b'Z', "timestamp {s}");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (hh, mm, ss) = (n(11..13), n(14..16), n(17..19));
    // days_from_civil
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}
