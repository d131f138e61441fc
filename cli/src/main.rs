//! `dbtoken`: AWS IAM database auth tokens from the command line.
//!
//! A thin front end over the `dbtoken` crate: it parses flags, reads the clock and gets
//! credentials from `aws-config`; signing, validation, region inference, URL encoding and token
//! parsing all happen in the core.

mod creds;
mod proxy;
mod timefmt;

use std::fmt;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use dbtoken::{Credentials, Error, Kind, OwnedToken, Signer, Target, TokenInfo, TokenRequest};
use serde_json::json;

use crate::timefmt::{parse_time, rfc3339};

/// An error for the user: `error[CODE]: message` and an exit status.
#[derive(Debug)]
pub struct CliError {
    code: &'static str,
    message: String,
    exit: u8,
}

impl CliError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            exit: 1,
        }
    }
    fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: "usage",
            message: message.into(),
            exit: 2,
        }
    }
    fn io(what: &str, e: &io::Error) -> Self {
        CliError::new("io_error", format!("{what}: {e}"))
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::new(e.code(), e.message())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "dbtoken",
    version,
    about = "AWS IAM database auth tokens (RDS, Aurora, RDS Proxy, Aurora DSQL, ElastiCache, MemoryDB)",
    long_about = "AWS IAM database auth tokens (RDS, Aurora, RDS Proxy, Aurora DSQL, ElastiCache, MemoryDB).\n\n\
        `dbtoken rds` prints exactly what `aws rds generate-db-auth-token` prints for the same inputs, \
        credentials and second, using the same credential chain (environment, profiles with SSO and \
        credential_process, web identity, ECS, EC2 instance metadata).",
    after_help = "Errors are printed as `error[CODE]: message`. Exit status: 0 ok, 1 error, 2 usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// RDS / Aurora / RDS Proxy token (alias: generate-db-auth-token, with the AWS CLI's flags).
    #[command(visible_alias = "generate-db-auth-token")]
    Rds {
        /// Database endpoint (no scheme, no port).
        #[arg(long)]
        hostname: String,
        /// Port the database listens on.
        #[arg(long)]
        port: u16,
        /// Database user name.
        #[arg(long)]
        username: String,
        #[command(flatten)]
        common: Common,
    },
    /// Aurora DSQL token.
    Dsql {
        /// Cluster endpoint (`….dsql.REGION.on.aws`).
        #[arg(long)]
        hostname: String,
        /// Token for the `admin` role (DbConnectAdmin).
        #[arg(long)]
        admin: bool,
        #[command(flatten)]
        common: Common,
    },
    /// ElastiCache (Valkey / Redis OSS) IAM auth token.
    Elasticache {
        /// Replication group id or serverless cache name.
        #[arg(long)]
        cache_name: String,
        /// ElastiCache user id.
        #[arg(long)]
        user_id: String,
        /// The cache is serverless (adds ResourceType=ServerlessCache).
        #[arg(long)]
        serverless: bool,
        #[command(flatten)]
        common: Common,
    },
    /// MemoryDB IAM auth token.
    Memorydb {
        /// Cluster name.
        #[arg(long)]
        cluster_name: String,
        /// MemoryDB user name.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        common: Common,
    },
    /// Decode a token and judge it (expiry, region vs host, session token, port).
    Inspect {
        /// The token, or `-` to read it from stdin.
        token: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Judge the token at this time instead of now (RFC 3339 or Unix seconds).
        #[arg(long, value_parser = parse_time)]
        now: Option<u64>,
    },
    /// A local proxy: clients log in with a local password (or none), the proxy logs in to the
    /// database over TLS with IAM auth tokens (PostgreSQL, MySQL/MariaDB). Runs until SIGINT/SIGTERM.
    Proxy(proxy::ProxyArgs),
    /// Verify a token read on stdin: signature, validity window, expectations. Exit 0 only if all hold.
    Verify {
        /// File holding the secret access key the token must be signed with.
        #[arg(long)]
        secret_access_key_file: std::path::PathBuf,
        /// Check at this time instead of now (RFC 3339 or Unix seconds).
        #[arg(long, value_parser = parse_time)]
        now: Option<u64>,
        /// The token must be for this database user.
        #[arg(long)]
        expect_user: Option<String>,
        /// The token must be for this host and port (`host:port`; `host` alone for kinds without a port).
        #[arg(long)]
        expect_host: Option<String>,
        /// The token must be signed for this region.
        #[arg(long)]
        expect_region: Option<String>,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The token and a newline.
    Text,
    /// `{"token", "expires_at", "region", "kind", …}`.
    Json,
    /// `PGPASSWORD='…'` (for eval).
    Env,
}

#[derive(Args, Debug)]
struct Common {
    /// Region; default: the endpoint's region, then the profile / environment region.
    #[arg(long)]
    region: Option<String>,
    /// Token lifetime in seconds (1–900; DSQL up to 604800).
    #[arg(long, default_value_t = dbtoken::DEFAULT_EXPIRES_IN)]
    expires_in: u32,
    /// Sign at this time instead of now (RFC 3339 or Unix seconds), for reproducible output.
    #[arg(long, value_parser = parse_time)]
    signing_time: Option<u64>,
    /// Use this profile of the shared config/credentials files (overrides environment keys).
    #[arg(long)]
    profile: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Percent-encode the token for a connection URL (postgresql://user:TOKEN@host/db).
    #[arg(long)]
    url_encode: bool,
    /// Accepted and ignored, as `aws rds generate-db-auth-token` ignores it (drop-in scripts).
    #[arg(long, hide = true)]
    output: Option<String>,
    /// Variable name for --format env (default PGPASSWORD; REDISCLI_AUTH for ElastiCache/MemoryDB).
    #[arg(long)]
    env_var: Option<String>,
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|_| {
        let _ = writeln!(
            io::stderr(),
            "error[internal]: unexpected internal error (please report it)"
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_error(&e),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(io::stderr(), "{e}");
            ExitCode::from(e.exit)
        }
    }
}

fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(
                if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                },
            )
        }
        _ => {
            let text = e.render().to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            let _ = write!(io::stderr(), "error[usage]: {text}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Rds {
            hostname,
            port,
            username,
            common,
        } => token_command(
            Target::Rds {
                hostname: &hostname,
                port,
                username: &username,
            },
            &common,
        ),
        Command::Dsql {
            hostname,
            admin,
            common,
        } => token_command(
            Target::Dsql {
                hostname: &hostname,
                admin,
            },
            &common,
        ),
        Command::Elasticache {
            cache_name,
            user_id,
            serverless,
            common,
        } => token_command(
            Target::ElastiCache {
                cache_name: &cache_name,
                user_id: &user_id,
                serverless,
            },
            &common,
        ),
        Command::Memorydb {
            cluster_name,
            user,
            common,
        } => token_command(
            Target::MemoryDb {
                cluster_name: &cluster_name,
                user: &user,
            },
            &common,
        ),
        Command::Inspect { token, json, now } => inspect_command(&token, json, now),
        Command::Proxy(args) => proxy::command(&args),
        Command::Verify {
            secret_access_key_file,
            now,
            expect_user,
            expect_host,
            expect_region,
        } => verify_command(
            &secret_access_key_file,
            now,
            expect_user.as_deref(),
            expect_host.as_deref(),
            expect_region.as_deref(),
        ),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the async runtime", &e))
}

// ------------------------------------------------------------------------------------------ tokens

fn token_command(target: Target<'_>, common: &Common) -> Result<u8, CliError> {
    let signing_time = common.signing_time.unwrap_or_else(timefmt::now);
    let request = |credentials, region| {
        build_request(target, credentials, region, common.expires_in, signing_time)
    };

    // Check the request before fetching credentials (which may mean network round trips):
    // the core validates the same way with any non-empty keys.
    let explicit_region = common.region.as_deref();
    match dbtoken::token_len(&request(
        Credentials::new("AKID", "secret"),
        explicit_region,
    )) {
        Ok(_) | Err(Error::RegionRequired) => {}
        Err(e) => return Err(e.into()),
    }

    let rt = runtime()?;
    let source = creds::Source {
        profile: common.profile.clone(),
        region: common.region.clone(),
    };
    let aws = rt.block_on(creds::load(&source))?;
    let mut credentials = Credentials::new(aws.access_key_id(), aws.secret_access_key());
    credentials.session_token = aws.session_token();
    credentials.expires_at = aws.expiry().map(timefmt::unix_seconds);

    let mut signer = Signer::new();
    let token = match signer.token(&request(credentials, explicit_region)) {
        Err(Error::RegionRequired) if explicit_region.is_none() => {
            let region = rt
                .block_on(creds::default_region(common.profile.as_deref()))
                .ok_or_else(|| {
                    CliError::new(
                        Error::RegionRequired.code(),
                        "no region given, none can be read from the host, and none is configured \
                     (AWS_REGION, AWS_DEFAULT_REGION, the profile's region): pass --region",
                    )
                })?;
            signer.token(&request(credentials, Some(&region)))?
        }
        r => r?,
    };
    drop(rt);
    print_token(&token, common)?;
    Ok(0)
}

fn build_request<'a>(
    target: Target<'a>,
    credentials: Credentials<'a>,
    region: Option<&'a str>,
    expires_in: u32,
    signing_time: u64,
) -> TokenRequest<'a> {
    let r = TokenRequest::new(target, credentials, signing_time).with_expires_in(expires_in);
    match region {
        Some(region) => r.with_region(region),
        None => r,
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn print_token(t: &OwnedToken, common: &Common) -> Result<(), CliError> {
    let text = if common.url_encode {
        dbtoken::url_encode_string(&t.token)
    } else {
        t.token.clone()
    };
    let out = match common.format {
        Format::Text => format!("{text}\n"),
        Format::Env => {
            let var = common.env_var.as_deref().unwrap_or(match t.kind {
                Kind::Rds | Kind::Dsql => "PGPASSWORD",
                Kind::ElastiCache | Kind::MemoryDb => "REDISCLI_AUTH",
            });
            let valid = var
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(CliError::usage(
                    "--env-var must be a shell variable name ([A-Za-z_][A-Za-z0-9_]*)",
                ));
            }
            format!("{var}={}\n", shell_quote(&text))
        }
        Format::Json => {
            let v = json!({
                "token": text,
                "expires_at": t.expires_at,
                "expires_at_rfc3339": rfc3339(t.expires_at),
                "region": t.region,
                "kind": t.kind.name(),
                "signing_time": t.signing_time,
                "expires_in": t.expires_in,
                "url_encoded": common.url_encode,
            });
            format!("{v}\n")
        }
    };
    write_stdout(&out)
}

fn write_stdout(s: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("cannot write to stdout", &e))
}

// ------------------------------------------------------------------------------------------ inspect

fn read_stdin_token() -> Result<String, CliError> {
    let mut s = String::new();
    io::stdin()
        .take(1 << 20)
        .read_to_string(&mut s)
        .map_err(|e| CliError::io("cannot read the token from stdin", &e))?;
    Ok(s.trim().to_owned())
}

fn verdict(info: &TokenInfo<'_>, now: u64) -> (String, Vec<&'static str>) {
    let verdict = match info.check_time(now) {
        Ok(()) => format!("valid for {} more s", info.seconds_left(now)),
        Err(Error::TokenExpired) => {
            format!("expired {} s ago", now.saturating_sub(info.expires_at))
        }
        Err(_) => format!(
            "not valid yet: signed {} s in the future",
            info.signing_time.saturating_sub(now)
        ),
    };
    let mut warnings = Vec::new();
    if info.host_region_matches() == Some(false) {
        warnings.push(
            "region_mismatch: the token's region differs from the region in the endpoint host name",
        );
    }
    if info.temporary_key_without_session_token() {
        warnings.push(
            "missing_session_token: a temporary (ASIA…) access key without X-Amz-Security-Token",
        );
    }
    if info.missing_port() {
        warnings.push("missing_port: an RDS token without a port in its host (host:port)");
    }
    (verdict, warnings)
}

fn inspect_command(token: &str, as_json: bool, now: Option<u64>) -> Result<u8, CliError> {
    let token = if token == "-" {
        read_stdin_token()?
    } else {
        token.trim().to_owned()
    };
    let info = dbtoken::inspect(&token)?;
    let now = now.unwrap_or_else(timefmt::now);
    let (verdict_text, warnings) = verdict(&info, now);
    let time_state = match info.check_time(now) {
        Ok(()) => "valid",
        Err(Error::TokenExpired) => "expired",
        Err(_) => "not_yet_valid",
    };
    let user = info.user.map(|u| u.decode());
    let out = if as_json {
        let v = json!({
            "kind": info.kind.name(),
            "host": info.host,
            "port": info.port,
            "action": info.action,
            "user": user,
            "serverless": info.serverless,
            "region": info.region,
            "service": info.service,
            "access_key_id": info.access_key_id.decode(),
            "has_session_token": info.has_session_token,
            "signing_time": info.signing_time,
            "signing_time_rfc3339": rfc3339(info.signing_time),
            "expires_in": info.expires_in,
            "expires_at": info.expires_at,
            "expires_at_rfc3339": rfc3339(info.expires_at),
            "now": now,
            "state": time_state,
            "seconds_left": info.seconds_left(now),
            "host_region_matches": info.host_region_matches(),
            "verdict": verdict_text,
            "warnings": warnings,
        });
        format!("{v}\n")
    } else {
        let mut s = String::new();
        let mut line = |k: &str, v: &str| s.push_str(&format!("{k:<16}{v}\n"));
        line("kind", info.kind.name());
        line("host", info.host);
        line(
            "port",
            &info
                .port
                .map_or_else(|| "(none)".to_owned(), |p| p.to_string()),
        );
        line("action", info.action);
        if let Some(u) = &user {
            line("user", u);
        }
        if info.kind == Kind::ElastiCache {
            line("serverless", if info.serverless { "yes" } else { "no" });
        }
        let region_note = match info.host_region_matches() {
            Some(true) => " (matches the host)",
            Some(false) => " (DIFFERS from the host's region)",
            None => "",
        };
        line("region", &format!("{}{region_note}", info.region));
        line("service", info.service);
        line("access key id", &info.access_key_id.decode());
        line(
            "session token",
            if info.has_session_token { "yes" } else { "no" },
        );
        line(
            "signed at",
            &format!("{} ({})", rfc3339(info.signing_time), info.signing_time),
        );
        line("expires in", &format!("{} s", info.expires_in));
        line(
            "expires at",
            &format!("{} ({})", rfc3339(info.expires_at), info.expires_at),
        );
        line("verdict", &verdict_text);
        for w in &warnings {
            line("warning", w);
        }
        s
    };
    write_stdout(&out)?;
    Ok(0)
}

// ------------------------------------------------------------------------------------------ verify

/// `host:port`, `[v6]:port`, `host` or `[v6]`.
fn parse_expect_host(s: &str) -> Result<(&str, Option<u16>), CliError> {
    let bad = || CliError::usage("--expect-host must be HOST:PORT, [IPV6]:PORT or HOST");
    let port = |p: &str| p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(bad);
    if s.starts_with('[') {
        let close = s.find(']').ok_or_else(bad)?;
        let (host, rest) = s.split_at(close + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Ok((host, Some(port(p)?))),
            None if rest.is_empty() => Ok((host, None)),
            None => Err(bad()),
        };
    }
    match s.split_once(':') {
        Some((h, p)) if !h.is_empty() && !p.contains(':') => Ok((h, Some(port(p)?))),
        Some(_) => Err(bad()),
        None if !s.is_empty() => Ok((s, None)),
        None => Err(bad()),
    }
}

fn verify_command(
    secret_file: &std::path::Path,
    now: Option<u64>,
    expect_user: Option<&str>,
    expect_host: Option<&str>,
    expect_region: Option<&str>,
) -> Result<u8, CliError> {
    let expect_host = expect_host.map(parse_expect_host).transpose()?;
    let secret = std::fs::read_to_string(secret_file).map_err(|e| CliError {
        exit: 2,
        ..CliError::io(
            &format!(
                "cannot read --secret-access-key-file {}",
                secret_file.display()
            ),
            &e,
        )
    })?;
    let secret = secret.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(CliError {
            exit: 2,
            ..CliError::from(Error::EmptySecretAccessKey)
        });
    }
    let token = read_stdin_token()?;
    let now = now.unwrap_or_else(timefmt::now);
    let info = dbtoken::verify(&token, secret, now)?;
    if let Some(u) = expect_user
        && !info.user.is_some_and(|t| t.matches(u))
    {
        return Err(CliError::new(
            "user_mismatch",
            "the token is for another database user",
        ));
    }
    if let Some((host, port)) = expect_host
        && !info.is_for(host, port)
    {
        return Err(CliError::new(
            "host_mismatch",
            "the token is for another host or port",
        ));
    }
    if let Some(r) = expect_region
        && info.region != r
    {
        return Err(CliError::new(
            "region_mismatch",
            "the token is signed for another region",
        ));
    }
    let who = info
        .user
        .map(|u| format!(" for {}", u.decode()))
        .unwrap_or_default();
    let at = match info.port {
        Some(p) => format!("{}:{p}", info.host),
        None => info.host.to_owned(),
    };
    write_stdout(&format!(
        "ok: {} token{who} at {at}, {} s left\n",
        info.kind.name(),
        info.seconds_left(now)
    ))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_host_forms() {
        assert_eq!(
            parse_expect_host("127.0.0.1:5432").ok(),
            Some(("127.0.0.1", Some(5432)))
        );
        assert_eq!(
            parse_expect_host("[::1]:5432").ok(),
            Some(("[::1]", Some(5432)))
        );
        assert_eq!(parse_expect_host("[::1]").ok(), Some(("[::1]", None)));
        assert_eq!(
            parse_expect_host("db.example.com").ok(),
            Some(("db.example.com", None))
        );
        assert!(parse_expect_host("db:0").is_err());
        assert!(parse_expect_host("db:x").is_err());
        assert!(parse_expect_host("::1").is_err());
        assert!(parse_expect_host("").is_err());
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
