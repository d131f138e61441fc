//! `dbtoken proxy`: a local proxy that logs in to PostgreSQL or MySQL with IAM auth tokens.
//!
//! A client that only knows a password (a GUI, `pg_dump`, a legacy app) connects to the proxy on
//! loopback. For each client connection the proxy opens a TLS connection to the database
//! (verified against `--ca-file` or the system roots), performs the database's own login with a
//! token from a [`TokenCache`] (credentials from the same `aws-config` chain as the other
//! commands), then relays bytes both ways. The token never reaches the client.
//!
//! Only the handshake steps the proxy takes part in are written here ([`postgres`], [`mysql`]);
//! sockets, TLS and the relay are tokio and rustls.

mod mysql;
mod postgres;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dbtoken::{Credentials, Error, TokenCache, TokenRequest};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::{CliError, creds, timefmt};

/// The environment variable holding the password local clients must give.
pub const PASSWORD_ENV: &str = "DBTOKEN_PROXY_PASSWORD";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// PostgreSQL (RDS for PostgreSQL, Aurora PostgreSQL, RDS Proxy).
    Postgres,
    /// MySQL and MariaDB (RDS for MySQL / MariaDB, Aurora MySQL, RDS Proxy).
    Mysql,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::Postgres => "postgres",
            Protocol::Mysql => "mysql",
        }
    }
}

#[derive(Args, Debug)]
pub struct ProxyArgs {
    /// The database protocol.
    #[arg(value_enum)]
    protocol: Protocol,
    /// Address local clients connect to.
    #[arg(long)]
    listen: SocketAddr,
    /// The database endpoint `HOST:PORT` (or a tunnel to it: see --token-host).
    #[arg(long)]
    target: String,
    /// Database user the proxy logs in as (the user name local clients give is ignored).
    #[arg(long)]
    username: String,
    /// Region; default: the endpoint's region, then the profile / environment region.
    #[arg(long)]
    region: Option<String>,
    /// Use this profile of the shared config/credentials files.
    #[arg(long)]
    profile: Option<String>,
    /// PEM file of CA certificates the database's certificate must chain to (e.g. the RDS
    /// global bundle); default: the system's roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// `HOST[:PORT]` the token and the TLS certificate are for, when --target is a tunnel or an
    /// alias (default: the --target host and port).
    #[arg(long)]
    token_host: Option<String>,
    /// Token lifetime in seconds (1–900). Only logins use it: open connections stay open.
    #[arg(long, default_value_t = dbtoken::DEFAULT_EXPIRES_IN)]
    expires_in: u32,
    /// A cached token is replaced this many seconds before it expires (at most half its lifetime).
    #[arg(long, default_value_t = dbtoken::cache::DEFAULT_REFRESH_MARGIN)]
    refresh_margin: u64,
    /// File holding the password local clients must give (one trailing newline ignored);
    /// also `DBTOKEN_PROXY_PASSWORD`. Without either, any password is accepted.
    #[arg(long)]
    local_password_file: Option<PathBuf>,
    /// Certificate chain (PEM) for clients that ask for TLS; with --tls-key. Without them,
    /// clients talk plaintext to the proxy.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Listen on an address other than loopback (needs a local password).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Seconds to wait for the database's TCP connection and TLS handshake.
    #[arg(long, default_value_t = 10)]
    connect_timeout: u64,
    /// On SIGINT/SIGTERM, seconds to let open connections finish (a second signal stops at once).
    #[arg(long, default_value_t = 5)]
    drain_timeout: u64,
}

/// Why a login through the proxy failed. `code` is stable; `message` never holds a secret.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
    fn io(code: &'static str, what: &str, e: &std::io::Error) -> Self {
        Failure::new(code, format!("{what}: {e}"))
    }
    /// The client broke the protocol or went away.
    pub(crate) fn client(e: &std::io::Error) -> Self {
        Failure::io("client_error", "reading from the client", e)
    }
    /// The database broke the protocol or went away during the login.
    pub(crate) fn upstream(e: &std::io::Error) -> Self {
        Failure::io("upstream_error", "talking to the target", e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// What the proxy logs in to and how.
pub(crate) struct Proxy {
    protocol: Protocol,
    target: String,
    /// Host and port the token is signed for; the host is also the TLS server name.
    token_host: String,
    token_port: u16,
    pub username: String,
    region: String,
    expires_in: u32,
    local_password: Option<String>,
    connect_timeout: Duration,
    tls: TlsConnector,
    server_name: ServerName<'static>,
    client_tls: Option<TlsAcceptor>,
    source: creds::Source,
    tokens: tokio::sync::Mutex<TokenState>,
    next_id: AtomicU64,
}

struct TokenState {
    credentials: Option<aws_credential_types::Credentials>,
    cache: TokenCache,
    /// (signing time, expiry) of the last token handed out, to log each new signature once.
    last: Option<(u64, u64)>,
}

/// Credentials are reloaded through the chain this long before they expire.
const CREDENTIALS_MARGIN: u64 = 300;

impl Proxy {
    /// A token for the login: cached while it has more than the refresh margin left.
    /// Concurrent callers wait on one lock, so a burst of connections signs once.
    pub(crate) async fn token(&self) -> Result<String, Failure> {
        let mut st = self.tokens.lock().await;
        let now = timefmt::now();
        let stale = match &st.credentials {
            None => true,
            Some(c) => c.expiry().is_some_and(|e| {
                timefmt::unix_seconds(e) <= now.saturating_add(CREDENTIALS_MARGIN)
            }),
        };
        if stale {
            match creds::load(&self.source).await {
                Ok(c) => st.credentials = Some(c),
                Err(e) => return self.through_outage(&st, now, &e.to_string()),
            }
        }
        let aws = st
            .credentials
            .clone()
            .ok_or_else(|| Failure::new("no_credentials", "cannot sign a token"))?;
        let mut credentials = Credentials::new(aws.access_key_id(), aws.secret_access_key());
        credentials.session_token = aws.session_token();
        credentials.expires_at = aws.expiry().map(timefmt::unix_seconds);
        let req = TokenRequest::rds(
            &self.token_host,
            self.token_port,
            &self.username,
            credentials,
            now,
        )
        .with_region(&self.region)
        .with_expires_in(self.expires_in);
        let t = st
            .cache
            .get(&req, now)
            .map_err(|e| Failure::new(e.code(), format!("cannot sign a token: {}", e.message())))?;
        let (token, stamp) = (t.token.clone(), (t.signing_time, t.expires_at));
        if st.last != Some(stamp) {
            st.last = Some(stamp);
            log(format_args!(
                "signed a token for {}@{}:{} ({}), valid until {}",
                self.username,
                self.token_host,
                self.token_port,
                self.region,
                timefmt::rfc3339(stamp.1)
            ));
        }
        Ok(token)
    }

    /// The credentials source failed: the cached token for this target while it has at least
    /// [`dbtoken::cache::OUTAGE_FLOOR`] seconds left (the core's outage rule, as in every front
    /// end's cache), else the source's error. The source is tried again at the next login.
    fn through_outage(&self, st: &TokenState, now: u64, error: &str) -> Result<String, Failure> {
        // The outage rule matches the target, region and expiry setting, not the credentials.
        let req = TokenRequest::rds(
            &self.token_host,
            self.token_port,
            &self.username,
            Credentials::new("", ""),
            now,
        )
        .with_region(&self.region)
        .with_expires_in(self.expires_in);
        match st.cache.get_in_outage(&req, now) {
            Ok(t) => {
                log(format_args!(
                    "credentials unavailable ({error}); serving the cached token valid until {}",
                    timefmt::rfc3339(t.expires_at)
                ));
                Ok(t.token.clone())
            }
            Err(_) => Err(Failure::new(
                "no_credentials",
                format!("cannot sign a token: {error}"),
            )),
        }
    }

    /// A TCP connection to the target (Nagle off), within the connect timeout.
    pub(crate) async fn connect(&self) -> Result<TcpStream, Failure> {
        let fail = |m: String| Failure::new("connect_failed", m);
        let s = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&self.target))
            .await
            .map_err(|_| {
                fail(format!(
                    "cannot connect to {}: no answer in {} s",
                    self.target,
                    self.connect_timeout.as_secs()
                ))
            })?
            .map_err(|e| fail(format!("cannot connect to {}: {e}", self.target)))?;
        let _ = s.set_nodelay(true);
        Ok(s)
    }

    /// The TLS handshake on an upgraded connection, verifying the certificate for the token host.
    pub(crate) async fn tls<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        stream: S,
    ) -> Result<TlsStream<S>, Failure> {
        tokio::time::timeout(
            self.connect_timeout,
            self.tls.connect(self.server_name.clone(), stream),
        )
        .await
        .map_err(|_| Failure::new("tls_failed", "TLS to the target: no answer in time"))?
        .map_err(|e| {
            Failure::new(
                "tls_failed",
                format!(
                    "TLS to the target failed ({}, checked for {}): {e}",
                    self.target, self.token_host
                ),
            )
        })
    }

    /// TLS for clients, when the proxy has a certificate.
    pub(crate) fn client_tls(&self) -> Option<&TlsAcceptor> {
        self.client_tls.as_ref()
    }

    /// The password local clients must give, if one is set.
    pub(crate) fn local_password(&self) -> Option<&str> {
        self.local_password.as_deref()
    }
}

/// Constant-time comparison (the length is not hidden).
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// One line on stderr, prefixed with the time. Never given a token or a password.
pub(crate) fn log(args: fmt::Arguments<'_>) {
    use std::io::Write as _;
    let line = format!(
        "{} dbtoken proxy: {}\n",
        timefmt::rfc3339(timefmt::now()),
        args.to_string().replace('\n', " ")
    );
    // One write per line, so lines from concurrent connections never interleave.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

fn usage(message: impl Into<String>) -> CliError {
    CliError::usage(message)
}

/// `HOST:PORT` or `[V6]:PORT` → (host as the token has it, port).
fn split_host_port(s: &str, what: &str) -> Result<(String, Option<u16>), CliError> {
    let bad = || usage(format!("{what} must be HOST:PORT (got '{s}')"));
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        let p = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        (format!("[{h}]"), p)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p)),
            Some(_) => return Err(bad()),
            None => (s.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(bad());
    }
    let port = port
        .map(|p| p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(bad))
        .transpose()?;
    Ok((host, port))
}

fn read_local_password(file: Option<&Path>) -> Result<Option<String>, CliError> {
    let p = match file {
        Some(f) => Some(std::fs::read_to_string(f).map_err(|e| CliError {
            exit: 2,
            ..CliError::io(
                &format!("cannot read --local-password-file {}", f.display()),
                &e,
            )
        })?),
        None => match std::env::var(PASSWORD_ENV) {
            Ok(v) => Some(v),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(usage(format!("{PASSWORD_ENV} is not valid UTF-8")));
            }
        },
    };
    Ok(p.map(|p| {
        p.strip_suffix('\n')
            .map(|s| s.trim_end_matches('\r'))
            .unwrap_or(&p)
            .to_owned()
    })
    .filter(|p| !p.is_empty()))
}

fn tls_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, CliError> {
    let mut roots = RootCertStore::empty();
    match ca_file {
        Some(f) => {
            let bad = |m: String| CliError {
                exit: 2,
                ..CliError::new("bad_ca_file", m)
            };
            let certs = CertificateDer::pem_file_iter(f)
                .map_err(|e| bad(format!("cannot read --ca-file {}: {e}", f.display())))?;
            for c in certs {
                let c = c.map_err(|e| bad(format!("--ca-file {}: {e}", f.display())))?;
                roots
                    .add(c)
                    .map_err(|e| bad(format!("--ca-file {}: {e}", f.display())))?;
            }
            if roots.is_empty() {
                return Err(bad(format!(
                    "--ca-file {} holds no PEM certificate",
                    f.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(CliError::new(
                    "bad_ca_file",
                    "no CA certificates found on this system: pass --ca-file (for RDS: the global bundle from AWS)",
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::new("internal", format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The server side of TLS for clients: a certificate chain and its key, both PEM.
fn client_tls_config(cert: &Path, key: &Path) -> Result<TlsAcceptor, CliError> {
    let bad = |m: String| CliError {
        exit: 2,
        ..CliError::new("bad_tls_cert", m)
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(format!("--tls-cert {}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(bad(format!(
            "--tls-cert {} holds no certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(format!("--tls-key {}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::new("internal", format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| bad(format!("--tls-cert / --tls-key: {e}")))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn build<'a>(args: &'a ProxyArgs, rt: &tokio::runtime::Runtime) -> Result<Proxy, CliError> {
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        return Err(usage(format!(
            "--listen {} is not a loopback address: anyone who can reach it would log in as {}. \
             Pass --allow-non-loopback with a local password to do this on purpose",
            args.listen, args.username
        )));
    }
    let local_password = read_local_password(args.local_password_file.as_deref())?;
    if !args.listen.ip().is_loopback() && local_password.is_none() {
        return Err(usage(format!(
            "--allow-non-loopback needs a local password (--local-password-file or {PASSWORD_ENV})"
        )));
    }
    let (target_host, target_port) = split_host_port(&args.target, "--target")?;
    let target_port = target_port.ok_or_else(|| usage("--target must be HOST:PORT"))?;
    let (token_host, token_port) = match &args.token_host {
        Some(t) => {
            let (h, p) = split_host_port(t, "--token-host")?;
            (h, p.unwrap_or(target_port))
        }
        None => (target_host.clone(), target_port),
    };
    if args.username.is_empty() {
        return Err(usage("--username is empty"));
    }
    // The server name for the certificate check: an IP address or a DNS name.
    let bare = token_host.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_owned())
        .map_err(|_| usage(format!("'{token_host}' is not a host name for TLS")))?;

    // Region: --region (checked against the host), the host's region, or the configured one.
    let req = |region: Option<&'a str>| {
        let r = TokenRequest::rds(
            &token_host,
            token_port,
            &args.username,
            Credentials::new("AKID", "secret"),
            timefmt::now(),
        )
        .with_expires_in(args.expires_in);
        match region {
            Some(reg) => r.with_region(reg),
            None => r,
        }
    };
    // Signed with dummy keys only to validate the settings and learn the region the core
    // settles on (the explicit one, checked against the host, or the host's).
    let region = match dbtoken::Signer::new().token(&req(args.region.as_deref())) {
        Ok(t) => t.region,
        Err(Error::RegionRequired) => rt
            .block_on(creds::default_region(args.profile.as_deref()))
            .ok_or_else(|| {
                CliError::new(
                    Error::RegionRequired.code(),
                    "no region given, none can be read from the host, and none is configured \
                     (AWS_REGION, AWS_DEFAULT_REGION, the profile's region): pass --region",
                )
            })?,
        Err(e) => return Err(e.into()),
    };
    let tls = TlsConnector::from(tls_config(args.ca_file.as_deref())?);
    let client_tls = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => Some(client_tls_config(c, k)?),
        _ => None,
    };
    let margin = args.refresh_margin.min(u64::from(args.expires_in) / 2);
    Ok(Proxy {
        protocol: args.protocol,
        target: format!(
            "{}:{target_port}",
            target_host.trim_start_matches('[').trim_end_matches(']')
        ),
        token_host,
        token_port,
        username: args.username.clone(),
        region,
        expires_in: args.expires_in,
        local_password,
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        tls,
        server_name,
        client_tls,
        source: creds::Source {
            profile: args.profile.clone(),
            region: args.region.clone(),
        },
        tokens: tokio::sync::Mutex::new(TokenState {
            credentials: None,
            cache: TokenCache::new(margin),
            last: None,
        }),
        next_id: AtomicU64::new(1),
    })
}

/// `dbtoken proxy …`: runs until SIGINT/SIGTERM.
pub fn command(args: &ProxyArgs) -> Result<u8, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the async runtime", &e))?;
    let proxy = Arc::new(build(args, &rt)?);
    rt.block_on(serve(
        proxy,
        args.listen,
        Duration::from_secs(args.drain_timeout),
    ))
}

async fn serve(proxy: Arc<Proxy>, listen: SocketAddr, drain: Duration) -> Result<u8, CliError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::io(&format!("cannot listen on {listen}"), &e))?;
    let local = listener.local_addr().unwrap_or(listen);
    let mut stop = Signals::new()?;
    log(format_args!(
        "{} on {local} -> {} as {} (tokens for {}:{} in {}, {} s; local password {}; client TLS {})",
        proxy.protocol.name(),
        proxy.target,
        proxy.username,
        proxy.token_host,
        proxy.token_port,
        proxy.region,
        proxy.expires_in,
        if proxy.local_password.is_some() {
            "required"
        } else {
            "not required"
        },
        if proxy.client_tls.is_some() {
            "offered"
        } else {
            "off"
        }
    ));
    // Warm the cache (credentials and the first token) so the first client does not wait; a
    // failure here is reported and retried on each connection (e.g. after `aws sso login`).
    if let Err(f) = proxy.token().await {
        log(format_args!("warning: {f}"));
    }

    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((socket, peer)) => {
                    let p = Arc::clone(&proxy);
                    conns.spawn(handle(p, socket, peer));
                }
                Err(e) => {
                    log(format_args!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            () = stop.next() => break,
        }
    }
    drop(listener);
    let open = conns.len();
    log(format_args!(
        "stopping: no longer listening; {open} connection(s) open, waiting up to {} s",
        drain.as_secs()
    ));
    let finished = tokio::select! {
        () = async { while conns.join_next().await.is_some() {} } => true,
        () = tokio::time::sleep(drain) => false,
        () = stop.next() => false,
    };
    if !finished {
        log(format_args!("closing {} connection(s)", conns.len()));
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }
    log(format_args!("stopped"));
    Ok(0)
}

async fn handle(proxy: Arc<Proxy>, client: TcpStream, peer: SocketAddr) {
    let id = proxy.next_id.fetch_add(1, Ordering::Relaxed);
    let _ = client.set_nodelay(true);
    let t0 = Instant::now();
    let r = match proxy.protocol {
        Protocol::Postgres => postgres::serve(&proxy, client).await,
        Protocol::Mysql => mysql::serve(&proxy, client).await,
    };
    let ms = t0.elapsed().as_millis();
    match r {
        Ok(Outcome::Relayed {
            database,
            login_ms,
            up,
            down,
            end,
        }) => log(format_args!(
            "conn {id} from {peer}: {}@{} db={} login ok in {login_ms} ms; closed after {ms} ms, {up} B to / {down} B from the database{}",
            proxy.username,
            proxy.token_host,
            database.as_deref().unwrap_or("(default)"),
            end.map(|e| format!(" ({e})")).unwrap_or_default(),
        )),
        Ok(Outcome::Cancel) => log(format_args!(
            "conn {id} from {peer}: cancel request forwarded ({ms} ms)"
        )),
        Ok(Outcome::Gone) => log(format_args!(
            "conn {id} from {peer}: the client left before logging in"
        )),
        Err(f) => log(format_args!("conn {id} from {peer}: login failed: {f}")),
    }
}

/// How a connection ended.
pub(crate) enum Outcome {
    /// Logged in and relayed until one side closed.
    Relayed {
        database: Option<String>,
        login_ms: u128,
        up: u64,
        down: u64,
        end: Option<String>,
    },
    /// A PostgreSQL cancel request, passed on.
    Cancel,
    /// The client closed before it finished the login (e.g. a probe or libpq's SSL retry).
    Gone,
}

/// Relays both ways until both sides are done; returns bytes client→database,
/// database→client and, if the relay ended on an error, what it was.
pub(crate) async fn relay<A, B>(client: &mut A, upstream: &mut B) -> (u64, u64, Option<String>)
where
    A: AsyncRead + AsyncWrite + Unpin,
    B: AsyncRead + AsyncWrite + Unpin,
{
    let mut c = Counted {
        inner: client,
        read: 0,
    };
    let mut u = Counted {
        inner: upstream,
        read: 0,
    };
    let end = match tokio::io::copy_bidirectional(&mut c, &mut u).await {
        Ok(_) => None,
        // Servers often close without a TLS close_notify after a client's quit/terminate.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => None,
        Err(e) => Some(e.to_string()),
    };
    (c.read, u.read, end)
}

/// A stream that counts the bytes read from it (so the counts survive a relay that ends on an
/// error).
struct Counted<'a, S> {
    inner: &'a mut S,
    read: u64,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<'_, S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut *self.inner).poll_read(cx, buf);
        self.read += (buf.filled().len() - before) as u64;
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<'_, S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut *self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut *self.inner).poll_shutdown(cx)
    }
}

/// SIGINT and SIGTERM as one stream of events.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let err = |e: std::io::Error| CliError::io("cannot handle signals", &e);
            Ok(Signals {
                int: signal(SignalKind::interrupt()).map_err(err)?,
                term: signal(SignalKind::terminate()).map_err(err)?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            let name = tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            };
            log(format_args!("{name} received"));
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port() {
        let ok = |s: &str| split_host_port(s, "x").ok();
        assert_eq!(
            ok("db.example.com:5432"),
            Some(("db.example.com".into(), Some(5432)))
        );
        assert_eq!(ok("127.0.0.1:3306"), Some(("127.0.0.1".into(), Some(3306))));
        assert_eq!(ok("[::1]:5432"), Some(("[::1]".into(), Some(5432))));
        assert_eq!(ok("db.example.com"), Some(("db.example.com".into(), None)));
        assert_eq!(ok("db:0"), None);
        assert_eq!(ok("::1:5432"), None);
        assert_eq!(ok(":5432"), None);
        assert_eq!(ok("[]:5432"), None);
    }
}
