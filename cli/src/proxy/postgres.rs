//! The PostgreSQL side of the proxy: the startup and authentication exchanges of protocol 3
//! (<https://www.postgresql.org/docs/current/protocol-flow.html>), and nothing after them.
//!
//! Client side: GSSENCRequest is answered `N`; SSLRequest `S` and a TLS handshake when the proxy
//! has a certificate for clients, `N` otherwise; the StartupMessage is read, and a cleartext password is asked for when a local password is set.
//! Upstream: SSLRequest, TLS, the client's StartupMessage with `user` replaced, and the token in
//! answer to AuthenticationCleartextPassword. From AuthenticationOk on, bytes are relayed.

use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Failure, Outcome, Proxy, relay, same_secret};

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const CANCEL_REQUEST: u32 = 80_877_102;
/// Startup packets longer than this are refused (PostgreSQL's own limit is 10,000).
const MAX_STARTUP: usize = 10_000;
/// Messages the server sends before AuthenticationOk are small; a token answer is ~1–2 KB.
const MAX_AUTH_MESSAGE: usize = 64 * 1024;

/// SQLSTATE classes used in our own ErrorResponses.
const INVALID_AUTHORIZATION: &str = "28000";
const INVALID_PASSWORD: &str = "28P01";
const CANNOT_CONNECT: &str = "08001";
const PROTOCOL_VIOLATION: &str = "08P01";

/// The SQLSTATE a failure is reported with.
fn sqlstate(code: &str) -> &'static str {
    match code {
        "connect_failed" | "tls_failed" | "upstream_no_tls" | "upstream_error" => CANNOT_CONNECT,
        "local_password" => INVALID_PASSWORD,
        "client_error" | "protocol_error" => PROTOCOL_VIOLATION,
        _ => INVALID_AUTHORIZATION,
    }
}

/// An ErrorResponse (severity FATAL) with our message.
pub(crate) fn error_response(code: &str, message: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(message.len() + 64);
    for (tag, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', sqlstate(code)),
        (b'M', message),
    ] {
        body.push(tag);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    message_bytes(b'E', &body)
}

fn message_bytes(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 5);
    m.push(tag);
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// The client's StartupMessage: protocol version and parameters (in order).
struct Startup {
    version: u32,
    params: Vec<(String, String)>,
}

enum First {
    Startup(Startup),
    /// An SSLRequest, when the proxy has a certificate for clients.
    Tls,
    /// A CancelRequest's 8 bytes (process id, secret key).
    Cancel([u8; 8]),
    /// The client closed the connection.
    Gone,
}

/// Reads the length-prefixed startup packet, answering GSSENCRequest with `N`, and SSLRequest
/// with `N` too unless `offer_tls` (then it returns [`First::Tls`]).
async fn read_first<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut S,
    offer_tls: bool,
) -> Result<First, Failure> {
    loop {
        let mut len = [0u8; 4];
        match client.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(First::Gone),
            Err(e) => return Err(Failure::client(&e)),
        }
        let len = u32::from_be_bytes(len) as usize;
        if !(8..=MAX_STARTUP).contains(&len) {
            return Err(Failure::new(
                "protocol_error",
                "the client did not send a PostgreSQL startup packet",
            ));
        }
        let mut body = vec![0u8; len - 4];
        client
            .read_exact(&mut body)
            .await
            .map_err(|e| Failure::client(&e))?;
        let (code, rest) = body.split_at(4);
        let code = u32::from_be_bytes([code[0], code[1], code[2], code[3]]);
        match code {
            SSL_REQUEST if offer_tls => return Ok(First::Tls),
            SSL_REQUEST | GSSENC_REQUEST => {
                client
                    .write_all(b"N")
                    .await
                    .map_err(|e| Failure::client(&e))?;
            }
            CANCEL_REQUEST => {
                let key: [u8; 8] = rest.try_into().map_err(|_| {
                    Failure::new("protocol_error", "malformed cancel request from the client")
                })?;
                return Ok(First::Cancel(key));
            }
            v if v >> 16 == 3 => {
                return Ok(First::Startup(Startup {
                    version: v,
                    params: parse_params(rest)?,
                }));
            }
            v => {
                return Err(Failure::new(
                    "protocol_error",
                    format!(
                        "unsupported frontend protocol {}.{} (the proxy speaks 3.x)",
                        v >> 16,
                        v & 0xffff
                    ),
                ));
            }
        }
    }
}

fn parse_params(mut rest: &[u8]) -> Result<Vec<(String, String)>, Failure> {
    let bad = || Failure::new("protocol_error", "malformed startup packet from the client");
    let mut params = Vec::new();
    let cstr = |rest: &mut &[u8]| -> Result<String, Failure> {
        let end = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
        let (s, tail) = rest.split_at(end);
        let s = String::from_utf8(s.to_vec()).map_err(|_| bad())?;
        *rest = tail.get(1..).unwrap_or_default();
        Ok(s)
    };
    loop {
        let key = cstr(&mut rest)?;
        if key.is_empty() {
            return Ok(params);
        }
        let value = cstr(&mut rest)?;
        params.push((key, value));
    }
}

/// The StartupMessage sent upstream: the client's parameters with `user` set to ours.
fn startup_message(s: &Startup, user: &str) -> Vec<u8> {
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(&s.version.to_be_bytes());
    let mut put = |k: &str, v: &str| {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    };
    put("user", user);
    for (k, v) in &s.params {
        if k != "user" {
            put(k, v);
        }
    }
    body.push(0);
    let mut m = Vec::with_capacity(body.len() + 4);
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(&body);
    m
}

/// Reads one typed message (tag, body), refusing bodies over `max`.
async fn read_message<S: AsyncRead + Unpin>(
    s: &mut S,
    max: usize,
) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).await?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if !(4..=max + 4).contains(&len) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a {}-byte message where at most {max} were expected", len),
        ));
    }
    let mut body = vec![0u8; len - 4];
    s.read_exact(&mut body).await?;
    Ok((head[0], body))
}

/// The `M` (message) field of an ErrorResponse.
fn error_message(body: &[u8]) -> String {
    let mut fields = body.split(|&b| b == 0);
    for f in &mut fields {
        if let Some((&b'M', m)) = f.split_first() {
            return String::from_utf8_lossy(m).into_owned();
        }
    }
    "(no message)".to_owned()
}

/// Asks the client for a cleartext password and checks it against the local one.
async fn check_local_password<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut S,
    expected: &str,
) -> Result<(), Failure> {
    client
        .write_all(&message_bytes(b'R', &3u32.to_be_bytes()))
        .await
        .map_err(|e| Failure::client(&e))?;
    let (tag, body) = read_message(client, MAX_STARTUP)
        .await
        .map_err(|e| Failure::client(&e))?;
    if tag != b'p' {
        return Err(Failure::new(
            "protocol_error",
            "the client did not answer the password request",
        ));
    }
    let given = body.strip_suffix(&[0]).unwrap_or(&body);
    if same_secret(given, expected.as_bytes()) {
        Ok(())
    } else {
        Err(Failure::new(
            "local_password",
            "password authentication failed: wrong local password for the dbtoken proxy",
        ))
    }
}

/// Opens the upstream connection: TCP, SSLRequest, TLS.
async fn connect_tls(proxy: &Proxy) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    let mut tcp = proxy.connect().await?;
    let mut req = [0u8; 8];
    req[..4].copy_from_slice(&8u32.to_be_bytes());
    req[4..].copy_from_slice(&SSL_REQUEST.to_be_bytes());
    tcp.write_all(&req)
        .await
        .map_err(|e| Failure::upstream(&e))?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer)
        .await
        .map_err(|e| Failure::upstream(&e))?;
    if answer[0] != b'S' {
        return Err(Failure::new(
            "upstream_no_tls",
            "the target does not accept TLS (it answered the SSLRequest with no); IAM logins need TLS",
        ));
    }
    proxy.tls(tcp).await
}

/// Logs in upstream; returns the TLS stream positioned after AuthenticationOk and the messages
/// to hand the client first (notices, protocol negotiation), or the server's ErrorResponse.
async fn login_upstream(
    proxy: &Proxy,
    startup: &Startup,
    token: &str,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, Vec<u8>), LoginError> {
    let mut up = connect_tls(proxy).await?;
    up.write_all(&startup_message(startup, &proxy.username))
        .await
        .map_err(|e| Failure::upstream(&e))?;
    let mut forward = Vec::new();
    loop {
        let (tag, body) = read_message(&mut up, MAX_AUTH_MESSAGE)
            .await
            .map_err(|e| Failure::upstream(&e))?;
        match tag {
            b'R' => {
                let kind = body
                    .get(..4)
                    .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                    .unwrap_or(u32::MAX);
                match kind {
                    0 => {
                        forward.extend_from_slice(&message_bytes(b'R', &body));
                        return Ok((up, forward));
                    }
                    3 => {
                        let mut p = Vec::with_capacity(token.len() + 1);
                        p.extend_from_slice(token.as_bytes());
                        p.push(0);
                        up.write_all(&message_bytes(b'p', &p))
                            .await
                            .map_err(|e| Failure::upstream(&e))?;
                    }
                    k => {
                        let how = match k {
                            5 => "an MD5 password",
                            10 => "SCRAM (SASL)",
                            _ => "an authentication method the proxy does not speak",
                        };
                        return Err(Failure::new(
                            "not_iam_user",
                            format!(
                                "the target asked for {how}, not for a cleartext password: is {} an IAM user (GRANT rds_iam TO {})?",
                                proxy.username, proxy.username
                            ),
                        )
                        .into());
                    }
                }
            }
            b'E' => {
                let mut raw = message_bytes(b'E', &body);
                raw.shrink_to_fit();
                return Err(LoginError::Refused {
                    raw,
                    message: error_message(&body),
                });
            }
            // NoticeResponse, NegotiateProtocolVersion: the client gets them too.
            b'N' | b'v' => forward.extend_from_slice(&message_bytes(tag, &body)),
            t => {
                return Err(Failure::new(
                    "upstream_error",
                    format!(
                        "unexpected message '{}' from the target during login",
                        char::from(t).escape_default()
                    ),
                )
                .into());
            }
        }
    }
}

enum LoginError {
    Failure(Failure),
    /// The server's own ErrorResponse (passed to the client as it is).
    Refused {
        raw: Vec<u8>,
        message: String,
    },
}

impl From<Failure> for LoginError {
    fn from(f: Failure) -> Self {
        LoginError::Failure(f)
    }
}

/// A CancelRequest goes to the server over its own (TLS) connection, as libpq sends it.
async fn forward_cancel(proxy: &Proxy, key: [u8; 8]) -> Result<(), Failure> {
    let mut up = connect_tls(proxy).await?;
    let mut m = Vec::with_capacity(16);
    m.extend_from_slice(&16u32.to_be_bytes());
    m.extend_from_slice(&CANCEL_REQUEST.to_be_bytes());
    m.extend_from_slice(&key);
    up.write_all(&m).await.map_err(|e| Failure::upstream(&e))?;
    let _ = up.shutdown().await;
    Ok(())
}

/// One client connection, start to end.
pub(crate) async fn serve(proxy: &Proxy, mut client: TcpStream) -> Result<Outcome, Failure> {
    let first = read_first(&mut client, proxy.client_tls().is_some()).await;
    match (first, proxy.client_tls()) {
        (Ok(First::Tls), Some(acceptor)) => {
            client
                .write_all(b"S")
                .await
                .map_err(|e| Failure::client(&e))?;
            let mut tls = acceptor.accept(client).await.map_err(|e| {
                Failure::new(
                    "client_tls_failed",
                    format!("TLS from the client failed: {e}"),
                )
            })?;
            let first = read_first(&mut tls, false).await;
            login(proxy, tls, first).await
        }
        (first, _) => login(proxy, client, first).await,
    }
}

/// The rest of the login, on the client's plaintext or TLS stream.
async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    proxy: &Proxy,
    mut client: S,
    first: Result<First, Failure>,
) -> Result<Outcome, Failure> {
    let startup = match first {
        Ok(First::Startup(s)) => s,
        Ok(First::Tls) => {
            let f = Failure::new("protocol_error", "a second SSLRequest from the client");
            return Err(tell(&mut client, f).await);
        }
        Ok(First::Cancel(key)) => {
            forward_cancel(proxy, key).await?;
            return Ok(Outcome::Cancel);
        }
        Ok(First::Gone) => return Ok(Outcome::Gone),
        Err(f) => return Err(tell(&mut client, f).await),
    };
    let t0 = Instant::now();
    if let Some(expected) = proxy.local_password()
        && let Err(f) = check_local_password(&mut client, expected).await
    {
        return Err(tell(&mut client, f).await);
    }
    let token = match proxy.token().await {
        Ok(t) => t,
        Err(f) => return Err(tell(&mut client, f).await),
    };
    let (mut up, first) = match login_upstream(proxy, &startup, &token).await {
        Ok(x) => x,
        Err(LoginError::Failure(f)) => return Err(tell(&mut client, f).await),
        Err(LoginError::Refused { raw, message }) => {
            let _ = client.write_all(&raw).await;
            let _ = client.shutdown().await;
            return Err(Failure::new(
                "upstream_refused",
                format!("the target refused the login: {message}"),
            ));
        }
    };
    drop(token);
    let login_ms = t0.elapsed().as_millis();
    client
        .write_all(&first)
        .await
        .map_err(|e| Failure::client(&e))?;
    let (up_bytes, down, end) = relay(&mut client, &mut up).await;
    Ok(Outcome::Relayed {
        database: startup
            .params
            .iter()
            .find(|(k, _)| k == "database")
            .map(|(_, v)| v.clone()),
        login_ms,
        up: up_bytes,
        down: down + first.len() as u64,
        end,
    })
}

/// Sends the failure to the client as a FATAL ErrorResponse and hands it back for the log.
async fn tell<S: AsyncWrite + Unpin>(client: &mut S, f: Failure) -> Failure {
    let text = format!("dbtoken proxy: {}", f.message);
    let _ = client.write_all(&error_response(f.code, &text)).await;
    let _ = client.shutdown().await;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_replaces_user_and_keeps_the_rest() {
        let s = Startup {
            version: 196_608,
            params: vec![
                ("user".into(), "someone".into()),
                ("database".into(), "app".into()),
                ("application_name".into(), "psql".into()),
            ],
        };
        let m = startup_message(&s, "iam_user");
        let expected = b"\x00\x03\x00\x00user\0iam_user\0database\0app\0application_name\0psql\0\0";
        assert_eq!(&m[4..], &expected[..]);
        assert_eq!(
            u32::from_be_bytes([m[0], m[1], m[2], m[3]]) as usize,
            m.len()
        );
    }

    #[test]
    fn params_round_trip_and_malformed() {
        let p = parse_params(b"user\0u\0database\0d\0\0").ok();
        assert_eq!(
            p,
            Some(vec![
                ("user".to_owned(), "u".to_owned()),
                ("database".to_owned(), "d".to_owned())
            ])
        );
        assert!(parse_params(b"user\0u").is_err());
    }

    #[test]
    fn error_response_layout() {
        let m = error_response("connect_failed", "boom");
        assert_eq!(m[0], b'E');
        assert_eq!(&m[5..], b"SFATAL\0VFATAL\0C08001\0Mboom\0\0");
        assert_eq!(error_message(&m[5..]), "boom");
    }
}
