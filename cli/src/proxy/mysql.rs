//! The MySQL / MariaDB side of the proxy: the connection phase of the client/server protocol
//! (<https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html>),
//! and nothing after it.
//!
//! Upstream greeting first (its version, connection id, capabilities and MariaDB extended
//! capabilities are what the client sees, minus compression, with TLS only when the proxy has a
//! certificate for clients), then our own greeting to
//! the client (`mysql_native_password` with our scramble, so a local password can be checked
//! without ever being sent), the client's HandshakeResponse, then upstream: SSLRequest, TLS,
//! HandshakeResponse with the client's capabilities and database, and the token in answer to the
//! server's `mysql_clear_password` auth switch. The server's OK goes to the client with the
//! client's sequence number; from there on, bytes are relayed.

use std::time::Instant;

use aws_lc_rs::digest;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Failure, Outcome, Proxy, relay, same_secret};

const CLIENT_MYSQL: u32 = 1; // CLIENT_LONG_PASSWORD; MariaDB: clear = extended capabilities
const CLIENT_CONNECT_WITH_DB: u32 = 1 << 3;
const CLIENT_COMPRESS: u32 = 1 << 5;
const CLIENT_PROTOCOL_41: u32 = 1 << 9;
const CLIENT_SSL: u32 = 1 << 11;
const CLIENT_SECURE_CONNECTION: u32 = 1 << 15;
const CLIENT_PLUGIN_AUTH: u32 = 1 << 19;
const CLIENT_CONNECT_ATTRS: u32 = 1 << 20;
const CLIENT_PLUGIN_AUTH_LENENC: u32 = 1 << 21;
const CLIENT_ZSTD_COMPRESSION: u32 = 1 << 26;
const CLIENT_SSL_VERIFY_SERVER_CERT: u32 = 1 << 30;

const NATIVE: &str = "mysql_native_password";
const CLEAR: &str = "mysql_clear_password";
/// Connection-phase packets are small; a token answer is ~1–2 KB.
const MAX_HANDSHAKE_PACKET: usize = 64 * 1024;

/// ER_ACCESS_DENIED_ERROR and ER_HANDSHAKE_ERROR, as a MySQL server reports them.
const ACCESS_DENIED: (u16, &str) = (1045, "28000");
const HANDSHAKE_ERROR: (u16, &str) = (1043, "08S01");

fn error_kind(code: &str) -> (u16, &'static str) {
    match code {
        "connect_failed" | "tls_failed" | "upstream_no_tls" | "upstream_error" | "client_error"
        | "protocol_error" => HANDSHAKE_ERROR,
        _ => ACCESS_DENIED,
    }
}

/// An ERR packet payload. Before the client's HandshakeResponse there is no SQL state marker.
fn err_payload(code: &str, message: &str, with_state: bool) -> Vec<u8> {
    let (errno, state) = error_kind(code);
    let mut p = Vec::with_capacity(message.len() + 9);
    p.push(0xff);
    p.extend_from_slice(&errno.to_le_bytes());
    if with_state {
        p.push(b'#');
        p.extend_from_slice(state.as_bytes());
    }
    p.extend_from_slice(message.as_bytes());
    p
}

/// The message of a server's ERR packet payload.
fn err_message(p: &[u8]) -> String {
    let rest = p.get(3..).unwrap_or_default();
    let rest = match rest.first() {
        Some(b'#') => rest.get(6..).unwrap_or_default(),
        _ => rest,
    };
    String::from_utf8_lossy(rest).into_owned()
}

async fn read_packet<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).await?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    if len > MAX_HANDSHAKE_PACKET {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a {len}-byte packet during the login"),
        ));
    }
    let mut p = vec![0u8; len];
    s.read_exact(&mut p).await?;
    Ok((head[3], p))
}

fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut m = Vec::with_capacity(payload.len() + 4);
    m.extend_from_slice(&len.to_le_bytes()[..3]);
    m.push(seq);
    m.extend_from_slice(payload);
    m
}

/// A cursor over a packet payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A NUL-terminated string (or the rest, when the NUL is missing at the end).
    fn cstr(&mut self) -> &'a [u8] {
        match self.0.iter().position(|&b| b == 0) {
            Some(i) => {
                let s = &self.0[..i];
                self.0 = &self.0[i + 1..];
                s
            }
            None => std::mem::take(&mut self.0),
        }
    }
    fn lenenc(&mut self) -> Option<u64> {
        match self.u8()? {
            b @ 0..=0xfa => Some(u64::from(b)),
            0xfc => self.u16().map(u64::from),
            0xfd => self
                .bytes(3)
                .map(|b| u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16),
            0xfe => self
                .bytes(8)
                .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            _ => None,
        }
    }
    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

/// What we keep of the server's greeting (Protocol::HandshakeV10).
struct Greeting {
    version: Vec<u8>,
    connection_id: u32,
    caps: u32,
    charset: u8,
    status: u16,
    /// The 10 reserved bytes; MariaDB keeps its extended capabilities in the last 4.
    reserved: [u8; 10],
    plugin: Vec<u8>,
}

fn parse_greeting(p: &[u8]) -> Option<Greeting> {
    let mut r = Reader(p);
    if r.u8()? != 10 {
        return None;
    }
    let version = r.cstr().to_vec();
    let connection_id = r.u32()?;
    r.bytes(8)?;
    r.u8()?;
    let lo = u32::from(r.u16()?);
    let charset = r.u8()?;
    let status = r.u16()?;
    let caps = lo | u32::from(r.u16()?) << 16;
    let auth_len = usize::from(r.u8()?);
    let reserved: [u8; 10] = r.bytes(10)?.try_into().ok()?;
    if caps & CLIENT_SECURE_CONNECTION != 0 {
        r.bytes(auth_len.saturating_sub(8).max(13))?;
    }
    let plugin = if caps & CLIENT_PLUGIN_AUTH != 0 {
        r.cstr().to_vec()
    } else {
        NATIVE.as_bytes().to_vec()
    };
    Some(Greeting {
        version,
        connection_id,
        caps,
        charset,
        status,
        reserved,
        plugin,
    })
}

/// The capabilities offered to the client: the server's, without TLS (the proxy's own to offer)
/// and compression (left out so every packet up to the OK is plain and ours to read).
fn client_caps(server: u32) -> u32 {
    server & !(CLIENT_SSL | CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION)
}

/// Our greeting to the client, with our own 20-byte scramble.
fn greeting_for_client(g: &Greeting, scramble: &[u8; 20], offer_tls: bool) -> Vec<u8> {
    let mut caps = client_caps(g.caps) | CLIENT_PLUGIN_AUTH | CLIENT_SECURE_CONNECTION;
    if offer_tls {
        caps |= CLIENT_SSL;
    }
    let mut p = Vec::with_capacity(128);
    p.push(10);
    p.extend_from_slice(&g.version);
    p.push(0);
    p.extend_from_slice(&g.connection_id.to_le_bytes());
    p.extend_from_slice(&scramble[..8]);
    p.push(0);
    p.extend_from_slice(&(caps as u16).to_le_bytes());
    p.push(g.charset);
    p.extend_from_slice(&g.status.to_le_bytes());
    p.extend_from_slice(&((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend_from_slice(&g.reserved);
    p.extend_from_slice(&scramble[8..]);
    p.push(0);
    p.extend_from_slice(NATIVE.as_bytes());
    p.push(0);
    p
}

/// The client's HandshakeResponse41.
struct Response {
    caps: u32,
    max_packet: u32,
    charset: u8,
    filler: [u8; 23],
    auth: Vec<u8>,
    database: Option<Vec<u8>>,
    plugin: Option<Vec<u8>>,
    /// The connection attributes as sent (length-encoded), passed on unchanged.
    attrs: Option<Vec<u8>>,
}

fn parse_response(p: &[u8]) -> Result<Response, Failure> {
    let bad = || {
        Failure::new(
            "protocol_error",
            "malformed handshake response from the client",
        )
    };
    let mut r = Reader(p);
    let caps = r.u32().ok_or_else(bad)?;
    if caps & CLIENT_PROTOCOL_41 == 0 {
        return Err(Failure::new(
            "protocol_error",
            "the client does not speak protocol 4.1 (MySQL clients older than 4.1 are not supported)",
        ));
    }
    let max_packet = r.u32().ok_or_else(bad)?;
    let charset = r.u8().ok_or_else(bad)?;
    let filler: [u8; 23] = r
        .bytes(23)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    if r.0.is_empty() && caps & CLIENT_SSL != 0 {
        return Err(Failure::new(
            "protocol_error",
            "TLS from the client is not supported: the proxy listens in plaintext on loopback \
             (connect with ssl-mode=DISABLED / --skip-ssl)",
        ));
    }
    let _user = r.cstr();
    let auth = if caps & CLIENT_PLUGIN_AUTH_LENENC != 0 {
        let n = r.lenenc().ok_or_else(bad)?;
        r.bytes(usize::try_from(n).map_err(|_| bad())?)
            .ok_or_else(bad)?
    } else if caps & CLIENT_SECURE_CONNECTION != 0 {
        let n = r.u8().ok_or_else(bad)?;
        r.bytes(usize::from(n)).ok_or_else(bad)?
    } else {
        r.cstr()
    }
    .to_vec();
    let database = (caps & CLIENT_CONNECT_WITH_DB != 0)
        .then(|| r.cstr().to_vec())
        .filter(|d| !d.is_empty());
    let plugin = (caps & CLIENT_PLUGIN_AUTH != 0).then(|| r.cstr().to_vec());
    let attrs = (caps & CLIENT_CONNECT_ATTRS != 0 && !r.0.is_empty()).then(|| r.rest().to_vec());
    Ok(Response {
        caps,
        max_packet,
        charset,
        filler,
        auth,
        database,
        plugin,
        attrs,
    })
}

/// The capabilities of the upstream login: what the client and the server both have (so the
/// relayed session is the one the client negotiated), plus TLS, and the login-only flags we set
/// ourselves.
fn upstream_caps(client: &Response, server: u32) -> u32 {
    let own = CLIENT_SSL
        | CLIENT_COMPRESS
        | CLIENT_ZSTD_COMPRESSION
        | CLIENT_SSL_VERIFY_SERVER_CERT
        | CLIENT_CONNECT_WITH_DB
        | CLIENT_CONNECT_ATTRS
        | CLIENT_PLUGIN_AUTH_LENENC
        | CLIENT_PLUGIN_AUTH;
    let mut caps = (client.caps & server & !own)
        | CLIENT_PROTOCOL_41
        | CLIENT_SECURE_CONNECTION
        | CLIENT_PLUGIN_AUTH
        | CLIENT_SSL;
    // The MariaDB marker bit follows the client (it says where its extended capabilities are).
    caps = (caps & !CLIENT_MYSQL) | (client.caps & CLIENT_MYSQL);
    if client.database.is_some() {
        caps |= CLIENT_CONNECT_WITH_DB;
    }
    if client.attrs.is_some() && server & CLIENT_CONNECT_ATTRS != 0 {
        caps |= CLIENT_CONNECT_ATTRS;
    }
    caps | (server & CLIENT_PLUGIN_AUTH_LENENC)
}

fn ssl_request(caps: u32, client: &Response) -> Vec<u8> {
    let mut p = Vec::with_capacity(32);
    p.extend_from_slice(&caps.to_le_bytes());
    p.extend_from_slice(&client.max_packet.to_le_bytes());
    p.push(client.charset);
    p.extend_from_slice(&client.filler);
    p
}

/// HandshakeResponse41 for the IAM user: an empty answer for the server's default plugin, so
/// the server switches to the user's plugin (`mysql_clear_password` for IAM users).
fn handshake_response(caps: u32, client: &Response, user: &str, plugin: &[u8]) -> Vec<u8> {
    let mut p = ssl_request(caps, client);
    p.extend_from_slice(user.as_bytes());
    p.push(0);
    p.push(0); // empty auth response (length 0, as lenenc or as one byte)
    if let Some(db) = &client.database {
        p.extend_from_slice(db);
        p.push(0);
    }
    p.extend_from_slice(plugin);
    p.push(0);
    if caps & CLIENT_CONNECT_ATTRS != 0
        && let Some(a) = &client.attrs
    {
        p.extend_from_slice(a);
    }
    p
}

fn sha1(parts: &[&[u8]]) -> digest::Digest {
    let mut c = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    for p in parts {
        c.update(p);
    }
    c.finish()
}

/// The `mysql_native_password` answer for `password` to `scramble`:
/// SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))).
fn native_answer(password: &str, scramble: &[u8]) -> Vec<u8> {
    let h1 = sha1(&[password.as_bytes()]);
    let h2 = sha1(&[h1.as_ref()]);
    let h3 = sha1(&[scramble, h2.as_ref()]);
    h1.as_ref()
        .iter()
        .zip(h3.as_ref())
        .map(|(a, b)| a ^ b)
        .collect()
}

/// 20 scramble bytes, printable and without NUL (as servers send them).
fn scramble() -> Result<[u8; 20], Failure> {
    let mut s = [0u8; 20];
    aws_lc_rs::rand::fill(&mut s).map_err(|_| Failure::new("internal", "no random bytes"))?;
    for b in &mut s {
        *b = 33 + *b % 94;
    }
    Ok(s)
}

/// The client side of the login: its HandshakeResponse, and the local password when one is set
/// (asking for `mysql_native_password` when the client chose another plugin). Returns the
/// response and the sequence number the client's next packet from us must carry.
async fn client_login<S: AsyncRead + AsyncWrite + Unpin>(
    proxy: &Proxy,
    client: &mut S,
    first: (u8, Vec<u8>),
    scramble: &[u8; 20],
) -> Result<(Response, u8), (Failure, u8)> {
    let (seq, p) = first;
    let next = seq.wrapping_add(1);
    let resp = parse_response(&p).map_err(|f| (f, next))?;
    let Some(expected) = proxy.local_password() else {
        return Ok((resp, next));
    };
    let native = resp
        .plugin
        .as_deref()
        .is_none_or(|p| p == NATIVE.as_bytes());
    let (answer, next) = if native {
        (resp.auth.clone(), next)
    } else {
        let mut sw = Vec::with_capacity(64);
        sw.push(0xfe);
        sw.extend_from_slice(NATIVE.as_bytes());
        sw.push(0);
        sw.extend_from_slice(scramble);
        sw.push(0);
        client
            .write_all(&packet(next, &sw))
            .await
            .map_err(|e| (Failure::client(&e), next))?;
        let (seq, a) = read_packet(client)
            .await
            .map_err(|e| (Failure::client(&e), next))?;
        (a, seq.wrapping_add(1))
    };
    if same_secret(&answer, &native_answer(expected, scramble)) {
        Ok((resp, next))
    } else {
        Err((
            Failure::new(
                "local_password",
                "access denied: wrong local password for the dbtoken proxy",
            ),
            next,
        ))
    }
}

enum LoginError {
    Failure(Failure),
    /// The server's own ERR packet payload (passed to the client as it is).
    Refused(Vec<u8>),
}

impl From<Failure> for LoginError {
    fn from(f: Failure) -> Self {
        LoginError::Failure(f)
    }
}

/// SSLRequest, TLS, HandshakeResponse, and the token for the `mysql_clear_password` switch.
/// Returns the TLS stream after the server's OK, and the OK payload.
async fn login_upstream(
    proxy: &Proxy,
    mut tcp: TcpStream,
    greeting: &Greeting,
    client: &Response,
    token: &str,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, Vec<u8>), LoginError> {
    let up_err = |e: std::io::Error| Failure::upstream(&e);
    let caps = upstream_caps(client, greeting.caps);
    tcp.write_all(&packet(1, &ssl_request(caps, client)))
        .await
        .map_err(up_err)?;
    let mut up = proxy.tls(tcp).await?;
    up.write_all(&packet(
        2,
        &handshake_response(caps, client, &proxy.username, &greeting.plugin),
    ))
    .await
    .map_err(up_err)?;
    let mut switched = false;
    loop {
        let (seq, p) = read_packet(&mut up).await.map_err(up_err)?;
        match p.first() {
            Some(0x00) => return Ok((up, p)),
            Some(0xff) => return Err(LoginError::Refused(p)),
            Some(0xfe) if !switched => {
                let mut r = Reader(&p[1..]);
                let plugin = r.cstr();
                if plugin != CLEAR.as_bytes() {
                    return Err(not_iam_user(proxy, plugin).into());
                }
                switched = true;
                let mut answer = Vec::with_capacity(token.len() + 1);
                answer.extend_from_slice(token.as_bytes());
                answer.push(0);
                up.write_all(&packet(seq.wrapping_add(1), &answer))
                    .await
                    .map_err(up_err)?;
            }
            _ => return Err(not_iam_user(proxy, &greeting.plugin).into()),
        }
    }
}

fn not_iam_user(proxy: &Proxy, plugin: &[u8]) -> Failure {
    Failure::new(
        "not_iam_user",
        format!(
            "the target asked for the {} plugin, not for {CLEAR}: is {} an IAM user (IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS')?",
            String::from_utf8_lossy(plugin),
            proxy.username
        ),
    )
}

/// One client connection, start to end.
pub(crate) async fn serve(proxy: &Proxy, mut client: TcpStream) -> Result<Outcome, Failure> {
    // Before our greeting, failures go to the client as a greeting-time ERR packet.
    let token = match proxy.token().await {
        Ok(t) => t,
        Err(f) => return Err(tell(&mut client, f, 0, false).await),
    };
    let mut tcp = match proxy.connect().await {
        Ok(s) => s,
        Err(f) => return Err(tell(&mut client, f, 0, false).await),
    };
    let greeting = match read_packet(&mut tcp).await {
        Ok((_, p)) if p.first() == Some(&0xff) => {
            let f = Failure::new(
                "upstream_refused",
                format!("the target refused the connection: {}", err_message(&p)),
            );
            return Err(tell(&mut client, f, 0, false).await);
        }
        Ok((_, p)) => match parse_greeting(&p) {
            Some(g) => g,
            None => {
                let f = Failure::new(
                    "upstream_error",
                    "the target did not greet with a MySQL protocol 10 handshake",
                );
                return Err(tell(&mut client, f, 0, false).await);
            }
        },
        Err(e) => return Err(tell(&mut client, Failure::upstream(&e), 0, false).await),
    };
    if greeting.caps & CLIENT_SSL == 0 {
        let f = Failure::new(
            "upstream_no_tls",
            "the target does not offer TLS; IAM logins need TLS",
        );
        return Err(tell(&mut client, f, 0, false).await);
    }
    let scramble = match scramble() {
        Ok(s) => s,
        Err(f) => return Err(tell(&mut client, f, 0, false).await),
    };
    let offer_tls = proxy.client_tls().is_some();
    if let Err(e) = client
        .write_all(&packet(
            0,
            &greeting_for_client(&greeting, &scramble, offer_tls),
        ))
        .await
    {
        return Err(Failure::client(&e));
    }
    let first = read_packet(&mut client)
        .await
        .map_err(|e| Failure::client(&e))?;
    // An SSLRequest: the capabilities block alone, with CLIENT_SSL.
    let wants_tls = first.1.len() == 32
        && first
            .1
            .get(..4)
            .is_some_and(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) & CLIENT_SSL != 0);
    match proxy.client_tls() {
        Some(acceptor) if wants_tls => {
            let mut tls = acceptor.accept(client).await.map_err(|e| {
                Failure::new(
                    "client_tls_failed",
                    format!("TLS from the client failed: {e}"),
                )
            })?;
            let first = read_packet(&mut tls)
                .await
                .map_err(|e| Failure::client(&e))?;
            login(proxy, tls, first, tcp, greeting, scramble, token).await
        }
        _ => login(proxy, client, first, tcp, greeting, scramble, token).await,
    }
}

/// The rest of the login, on the client's plaintext or TLS stream.
async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    proxy: &Proxy,
    mut client: S,
    first: (u8, Vec<u8>),
    tcp: TcpStream,
    greeting: Greeting,
    scramble: [u8; 20],
    token: String,
) -> Result<Outcome, Failure> {
    let (resp, seq) = match client_login(proxy, &mut client, first, &scramble).await {
        Ok(x) => x,
        Err((f, seq)) => return Err(tell(&mut client, f, seq, true).await),
    };
    let t0 = Instant::now();
    let (mut up, ok) = match login_upstream(proxy, tcp, &greeting, &resp, &token).await {
        Ok(x) => x,
        Err(LoginError::Failure(f)) => return Err(tell(&mut client, f, seq, true).await),
        Err(LoginError::Refused(p)) => {
            let _ = client.write_all(&packet(seq, &p)).await;
            let _ = client.shutdown().await;
            return Err(Failure::new(
                "upstream_refused",
                format!("the target refused the login: {}", err_message(&p)),
            ));
        }
    };
    drop(token);
    let login_ms = t0.elapsed().as_millis();
    let ok = packet(seq, &ok);
    client
        .write_all(&ok)
        .await
        .map_err(|e| Failure::client(&e))?;
    let (up_bytes, down, end) = relay(&mut client, &mut up).await;
    Ok(Outcome::Relayed {
        database: resp
            .database
            .map(|d| String::from_utf8_lossy(&d).into_owned()),
        login_ms,
        up: up_bytes,
        down: down + ok.len() as u64,
        end,
    })
}

/// Sends the failure to the client as an ERR packet and hands it back for the log.
async fn tell<S: AsyncWrite + Unpin>(
    client: &mut S,
    f: Failure,
    seq: u8,
    with_state: bool,
) -> Failure {
    let text = format!("dbtoken proxy: {}", f.message);
    let _ = client
        .write_all(&packet(seq, &err_payload(f.code, &text, with_state)))
        .await;
    let _ = client.shutdown().await;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_password_answer() {
        // Expected value computed with Python's hashlib, independently of this code:
        // h1 = sha1(b"secret"); h3 = sha1(b"12345678901234567890" + sha1(h1)); h1 XOR h3.
        let got = native_answer("secret", b"12345678901234567890");
        let want = [
            0x0f, 0x8b, 0x90, 0x33, 0xe0, 0x89, 0x7c, 0x0a, 0x83, 0x38, 0xeb, 0xe3, 0xde, 0xa9,
            0x01, 0x0d, 0xda, 0x47, 0xab, 0x56,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn greeting_round_trip() {
        let g = Greeting {
            version: b"10.11.19-MariaDB".to_vec(),
            connection_id: 77,
            caps: 0xf7fe | (0x81bf << 16),
            charset: 45,
            status: 2,
            reserved: [0, 0, 0, 0, 0, 0, 0x1d, 0, 0, 0],
            plugin: b"mysql_native_password".to_vec(),
        };
        let s = *b"abcdefghijklmnopqrst";
        let p = greeting_for_client(&g, &s, false);
        let back = parse_greeting(&p).unwrap_or_else(|| unreachable!());
        assert_eq!(back.version, g.version);
        assert_eq!(back.connection_id, 77);
        assert_eq!(back.caps, client_caps(g.caps));
        assert_eq!(back.caps & CLIENT_SSL, 0);
        assert_eq!(back.reserved, g.reserved);
        assert_eq!(back.plugin, NATIVE.as_bytes());
        assert_eq!(&p[p.len() - 35..p.len() - 23], b"ijklmnopqrst");
    }

    #[test]
    fn response_parse_and_upstream() {
        let caps = CLIENT_PROTOCOL_41
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_PLUGIN_AUTH_LENENC
            | CLIENT_COMPRESS;
        let mut p = Vec::new();
        p.extend_from_slice(&caps.to_le_bytes());
        p.extend_from_slice(&(1u32 << 24).to_le_bytes());
        p.push(33);
        p.extend_from_slice(&[0; 23]);
        p.extend_from_slice(b"someone\0");
        p.push(3);
        p.extend_from_slice(b"abc");
        p.extend_from_slice(b"appdb\0mysql_native_password\0");
        let r = parse_response(&p).unwrap_or_else(|_| unreachable!());
        assert_eq!(r.auth, b"abc");
        assert_eq!(r.database.as_deref(), Some(&b"appdb"[..]));
        assert_eq!(r.plugin.as_deref(), Some(NATIVE.as_bytes()));
        let server = caps | CLIENT_SSL;
        let up = upstream_caps(&r, server);
        assert_eq!(up & CLIENT_SSL, CLIENT_SSL);
        assert_eq!(up & CLIENT_COMPRESS, 0);
        let h = handshake_response(up, &r, "iam_user", b"mysql_native_password");
        assert!(h.ends_with(b"iam_user\0\0appdb\0mysql_native_password\0"));
    }
}
