//! `dbtoken._dbtoken`: the Rust half of the `dbtoken` Python package.
//!
//! Thin by design: it converts Python objects to the core's types, calls the core and maps
//! [`dbtoken::Error`] to `dbtoken.TokenError` (a `ValueError` with `.code`, defined in the
//! pure-Python `dbtoken._errors`). Credential sources, time conversion and keyword handling live
//! in the pure-Python layer (`python/dbtoken/__init__.py`); signing, validation, region
//! inference, URL encoding, caching policy and token parsing live in the core. The two hot paths
//! (`generate_db_auth_token`, and `rds_token` through `rds`) read the common cases here (the
//! environment through `os.environ`'s storage, the clock while `time.time` is the original one,
//! a `dbtoken.Credentials`, an `int` time) and call back into the Python layer for the rest.
//!
//! Conversion rules (the same for every function):
//! - text arguments must be `str` (else `TypeError`); a `str` that is not valid Unicode (lone
//!   surrogates) cannot be UTF-8 encoded and raises `TypeError`. NUL and other control characters
//!   are passed to the core, which rejects them in hosts and percent-encodes them in user names.
//! - integer arguments must be `int` and not `bool` (else `TypeError`); an `int` outside the core
//!   type's range raises `TokenError` with the code the core uses for that field
//!   (`invalid_port`, `expiry_out_of_range`, `invalid_signing_time`).
//! - credential expiry is saturated: negative means "already expired", huge means "never".
//!
//! No Rust lock is held while Python code runs, and nothing here can panic across the boundary
//! (pyo3 turns a panic into `PanicException`, but every path returns `PyResult` instead).

use std::ops::Deref;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use dbtoken::{Credentials, Error, Signer, Target, TokenInfo, TokenRequest};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyString, PyTuple, PyType};

/// `dbtoken._errors.TokenError`, looked up once at module initialisation.
static TOKEN_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// One signer for plain (uncached) tokens (it keeps the derived signing key between calls) and
/// the buffer tokens are written into (allocated once, not zeroed on every call).
static SIGNER: Mutex<Slot> = Mutex::new(Slot {
    signer: Signer::new(),
    buf: Vec::new(),
});

struct Slot {
    signer: Signer,
    buf: Vec<u8>,
}

/// The pure-Python pieces the fast paths (`rds_token`, `generate_db_auth_token`) call back into,
/// registered once by `dbtoken/__init__.py` (`_setup`).
struct Hooks {
    /// `dbtoken.Credentials` (read directly when `credentials=` is exactly that type).
    credentials_cls: Py<PyType>,
    /// `dbtoken._credentials(source)`: any other credentials source -> 4-tuple.
    resolve: Py<PyAny>,
    /// `dbtoken._env_credentials()`: the environment -> 4-tuple (or the error when unset).
    env: Py<PyAny>,
    /// `dbtoken._unix(value, what)`: datetime / float / int -> int.
    unix: Py<PyAny>,
    /// `os.environ`'s underlying dict of bytes (POSIX, UTF-8 file system encoding), else None.
    env_data: Option<Py<PyDict>>,
    /// The `time` module and its original `time` function: `time.time` is looked up on every
    /// call (so replacing it is honoured) and the system clock is read directly while it is the
    /// original one.
    time_mod: Py<PyAny>,
    time_fn: Py<PyAny>,
}

static HOOKS: PyOnceLock<Hooks> = PyOnceLock::new();

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked while holding it; the signer and the
    // cache hold no invariant that a panic could break (and the core does not panic).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A `TokenError` with `code` and `message`.
fn token_error_with(py: Python<'_>, code: &str, message: &str) -> PyErr {
    match TOKEN_ERROR.get(py) {
        Some(cls) => match cls.bind(py).call1((message, code)) {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        },
        None => PyValueError::new_err(format!("{message} [{code}]")),
    }
}

fn token_error(py: Python<'_>, e: Error) -> PyErr {
    token_error_with(py, e.code(), e.message())
}

/// Text handed to the core: a converted `str`, or UTF-8 borrowed from a `bytes` object of the
/// environment.
enum Txt<'a> {
    Py(PyBackedStr),
    Raw(&'a str),
    Memo(Bound<'a, PyBytes>),
}

impl Deref for Txt<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Txt::Py(s) => s,
            Txt::Raw(s) => s,
            // Only UTF-8 (a str's encoding) is stored in the memo.
            Txt::Memo(b) => std::str::from_utf8(b.as_bytes()).unwrap_or(""),
        }
    }
}

/// A `str` argument as UTF-8 (kept in the Python object that holds the bytes: no copy).
fn text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<PyBackedStr> {
    let s = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!("{what} must be a str, not {}", type_name(obj)))
    })?;
    PyBackedStr::try_from(s.clone()).map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be valid Unicode text (it contains a lone surrogate, which has no UTF-8 form)"
        ))
    })
}

/// Host names, user names and regions repeat from call to call: their UTF-8 encodings are kept
/// in a dict (`str` -> `bytes`, exact `str` keys only, at most `MEMO_MAX` entries, emptied when
/// full), so a repeated one costs a dict lookup instead of an encoding. Of the credentials only
/// the access key id (not a secret) is stored there. The dict is only touched with the GIL held and no Rust lock.
static MEMO: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
const MEMO_MAX: usize = 64;

fn memo_text<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Txt<'py>> {
    let py = obj.py();
    if !obj.is_exact_instance_of::<PyString>() {
        return text(obj, what).map(Txt::Py);
    }
    let memo = MEMO.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
    if let Some(b) = memo.get_item(obj)?
        && let Ok(b) = b.cast_into::<PyBytes>()
    {
        return Ok(Txt::Memo(b));
    }
    let s = text(obj, what)?;
    let b = PyBytes::new(py, s.as_bytes());
    if memo.len() >= MEMO_MAX {
        memo.clear();
    }
    memo.set_item(obj, &b)?;
    Ok(Txt::Memo(b))
}

/// An optional `str` argument.
fn opt_text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<PyBackedStr>> {
    if obj.is_none() {
        Ok(None)
    } else {
        text(obj, what).map(Some)
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// A `bool` argument (exactly `True` or `False`).
fn boolean(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<bool> {
    obj.cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a bool, not {}", type_name(obj))))
}

/// An `int` argument (not `bool`), as i64 (every field's valid range fits in it; `None` when
/// the value does not, which every caller treats as out of range).
fn int(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<i64>> {
    if obj.is_instance_of::<PyBool>() || !obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        )));
    }
    // Out of i64 range: report as out of range (None), not as an OverflowError.
    Ok(obj.extract::<i64>().ok())
}

/// An `int` argument converted to `T`, out of range mapped to `TokenError(code)`.
fn ranged<T: TryFrom<i64>>(
    obj: &Bound<'_, PyAny>,
    what: &str,
    code: Error,
    message: &str,
) -> PyResult<T> {
    int(obj, what)?
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| token_error_with(obj.py(), code.code(), message))
}

fn port(obj: &Bound<'_, PyAny>) -> PyResult<u16> {
    ranged(
        obj,
        "port",
        Error::InvalidPort,
        "the port is out of range: pass the port the database listens on (1 to 65535)",
    )
}

fn expires_in(obj: &Bound<'_, PyAny>) -> PyResult<u32> {
    ranged(
        obj,
        "expires_in",
        Error::ExpiryOutOfRange,
        Error::ExpiryOutOfRange.message(),
    )
}

fn unix_time(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    ranged(
        obj,
        what,
        Error::InvalidSigningTime,
        Error::InvalidSigningTime.message(),
    )
}

/// Credential expiry: `None`, or an int saturated to `0..=u64::MAX`.
fn cred_expiry(obj: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
    if obj.is_none() {
        return Ok(None);
    }
    let v = int(obj, "credentials expiration")?;
    Ok(Some(match v {
        Some(v) if v < 0 => 0,
        Some(v) => u64::try_from(v).unwrap_or(u64::MAX),
        None => {
            // Beyond i64: the sign decides.
            let negative = obj.lt(0i32)?;
            if negative { 0 } else { u64::MAX }
        }
    }))
}

/// Credentials, converted: access key id, secret, session token, expiry.
type Creds<'a> = (Txt<'a>, Txt<'a>, Option<Txt<'a>>, Option<u64>);

/// Credentials from Python objects (a 4-tuple's items or a `Credentials`' attributes).
fn creds_from<'a>(
    akid: &Bound<'a, PyAny>,
    secret: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
    expires_at: &Bound<'_, PyAny>,
) -> PyResult<Creds<'a>> {
    Ok((
        memo_text(akid, "access_key_id")?,
        Txt::Py(text(secret, "secret_access_key")?),
        opt_text(session, "session_token")?.map(Txt::Py),
        cred_expiry(expires_at)?,
    ))
}

/// Everything a token needs (converted before any lock is taken).
struct Args<'a> {
    kind: u8,
    host: Txt<'a>,
    port: u16,
    user: Option<Txt<'a>>,
    flag: bool,
    creds: Creds<'a>,
    region: Option<Txt<'a>>,
    expires_in: u32,
}

impl<'a> Args<'a> {
    /// Converts the arguments in their parameter order (the first bad one is reported);
    /// `creds` is converted where the credentials come in that order.
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: u8,
        host: &Bound<'a, PyAny>,
        port_obj: &Bound<'_, PyAny>,
        user: &Bound<'a, PyAny>,
        flag: &Bound<'_, PyAny>,
        creds: impl FnOnce() -> PyResult<Creds<'a>>,
        region: Option<&Bound<'a, PyAny>>,
        expires_in_obj: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (host_name, user_name) = match kind {
            0 => ("hostname", "username"),
            1 => ("hostname", "user"),
            2 => ("cache_name", "user_id"),
            3 => ("cluster_name", "user"),
            _ => return Err(PyValueError::new_err("unknown token kind")),
        };
        Ok(Args {
            kind,
            host: memo_text(host, host_name)?,
            port: if kind == 0 { port(port_obj)? } else { 0 },
            user: if kind == 1 {
                None
            } else {
                Some(memo_text(user, user_name)?)
            },
            flag: match kind {
                1 => boolean(flag, "admin")?,
                2 => boolean(flag, "serverless")?,
                _ => false,
            },
            creds: creds()?,
            region: match region {
                Some(r) if r.is_none() => None,
                Some(r) => Some(memo_text(r, "region")?),
                None => None,
            },
            expires_in: match expires_in_obj {
                Some(e) => expires_in(e)?,
                None => 900,
            },
        })
    }

    fn request(&self, signing_time: u64) -> TokenRequest<'_> {
        let user: &str = self.user.as_deref().unwrap_or("");
        let target = match self.kind {
            0 => Target::Rds {
                hostname: &self.host,
                port: self.port,
                username: user,
            },
            1 => Target::Dsql {
                hostname: &self.host,
                admin: self.flag,
            },
            2 => Target::ElastiCache {
                cache_name: &self.host,
                user_id: user,
                serverless: self.flag,
            },
            _ => Target::MemoryDb {
                cluster_name: &self.host,
                user,
            },
        };
        let credentials = Credentials {
            access_key_id: &self.creds.0,
            secret_access_key: &self.creds.1,
            session_token: self.creds.2.as_deref(),
            expires_at: self.creds.3,
        };
        TokenRequest {
            target,
            credentials,
            region: self.region.as_deref(),
            expires_in: self.expires_in,
            signing_time,
        }
    }
}

/// Signs `req` with the module's signer into its buffer and returns the token as a `str`. The
/// lock is held only while the core signs and the `str` is created from the buffer (a C-API
/// copy: no Python code runs under it).
fn sign<'py>(py: Python<'py>, req: &TokenRequest<'_>) -> PyResult<Bound<'py, PyString>> {
    let mut guard = lock(&SIGNER);
    let Slot { signer, buf } = &mut *guard;
    if buf.len() < STACK_TOKEN {
        buf.resize(STACK_TOKEN, 0);
    }
    match signer.write_token(req, buf) {
        Ok(t) => Ok(PyString::new(py, t.as_str())),
        Err(Error::BufferTooSmall) => {
            let owned = signer.token(req);
            drop(guard);
            let owned = owned.map_err(|e| token_error(py, e))?;
            Ok(PyString::new(py, &owned.token))
        }
        Err(e) => {
            drop(guard);
            Err(token_error(py, e))
        }
    }
}

/// token(kind, host, port, user, flag, access_key_id, secret_access_key, session_token,
/// credentials_expire_at, region, expires_in, signing_time) -> str
///
/// kind: 0 RDS, 1 DSQL (flag: admin), 2 ElastiCache (flag: serverless), 3 MemoryDB.
/// `port` is read for RDS only and `user` for every kind but DSQL.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn token<'py>(
    py: Python<'py>,
    kind: u8,
    host: &Bound<'_, PyAny>,
    port: &Bound<'_, PyAny>,
    user: &Bound<'_, PyAny>,
    flag: &Bound<'_, PyAny>,
    access_key_id: &Bound<'_, PyAny>,
    secret_access_key: &Bound<'_, PyAny>,
    session_token: &Bound<'_, PyAny>,
    credentials_expire_at: &Bound<'_, PyAny>,
    region: &Bound<'_, PyAny>,
    expires_in: &Bound<'_, PyAny>,
    signing_time: &Bound<'_, PyAny>,
) -> PyResult<Bound<'py, PyString>> {
    let args = Args::new(
        kind,
        host,
        port,
        user,
        flag,
        || {
            creds_from(
                access_key_id,
                secret_access_key,
                session_token,
                credentials_expire_at,
            )
        },
        Some(region),
        Some(expires_in),
    )?;
    let signing_time = unix_time(signing_time, "signing_time")?;
    sign(py, &args.request(signing_time))
}

fn hooks(py: Python<'_>) -> PyResult<&Hooks> {
    HOOKS
        .get(py)
        .ok_or_else(|| PyValueError::new_err("dbtoken._dbtoken._setup was not called"))
}

/// A non-empty environment value that is valid UTF-8 (anything else: `None`, and the
/// pure-Python path decides, exactly as before).
fn env_value<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyAny>) -> Option<Bound<'py, PyBytes>> {
    let v = d.get_item(key).ok()??.cast_into::<PyBytes>().ok()?;
    if v.as_bytes().is_empty() {
        None
    } else {
        Some(v)
    }
}

/// A `dbtoken.Credentials`' values, converted once when it is created (its `_native` slot):
/// the fast path reads this instead of four attributes. The object is immutable, like the
/// `Credentials` that holds it. Its Debug shows the access key id only.
#[pyclass(frozen, module = "dbtoken._dbtoken")]
struct Native {
    access_key_id: PyBackedStr,
    secret_access_key: PyBackedStr,
    session_token: Option<PyBackedStr>,
    expires_at: Option<u64>,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Native")
            .field("access_key_id", &&*self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// native(access_key_id, secret_access_key, session_token, expires_at) -> the converted values
/// of a `dbtoken.Credentials`, or None when a value does not convert (the token functions then
/// read the attributes and report the error, as for any other source).
#[pyfunction]
fn native(
    py: Python<'_>,
    access_key_id: &Bound<'_, PyAny>,
    secret_access_key: &Bound<'_, PyAny>,
    session_token: &Bound<'_, PyAny>,
    expires_at: &Bound<'_, PyAny>,
) -> PyResult<Option<Py<Native>>> {
    let (Ok(a), Ok(s), Ok(t), Ok(e)) = (
        text(access_key_id, "access_key_id"),
        text(secret_access_key, "secret_access_key"),
        opt_text(session_token, "session_token"),
        cred_expiry(expires_at),
    ) else {
        return Ok(None);
    };
    let n = Native {
        access_key_id: a,
        secret_access_key: s,
        session_token: t,
        expires_at: e,
    };
    Py::new(py, n).map(Some)
}

/// The credentials objects `credentials=` names (resolved before any conversion), or the
/// environment's raw values.
enum Source<'py> {
    Objects([Bound<'py, PyAny>; 4]),
    Native(Bound<'py, Native>),
    Env(
        Bound<'py, PyBytes>,
        Bound<'py, PyBytes>,
        Option<Bound<'py, PyBytes>>,
    ),
}

fn tuple4<'py>(t: Bound<'py, PyAny>) -> PyResult<[Bound<'py, PyAny>; 4]> {
    let t = t.cast_into::<PyTuple>()?;
    Ok([
        t.get_item(0)?,
        t.get_item(1)?,
        t.get_item(2)?,
        t.get_item(3)?,
    ])
}

/// `credentials=`: None reads the environment (through `os.environ`'s storage when that is
/// possible, else `dbtoken._env_credentials`), a `dbtoken.Credentials` is read directly, anything
/// else goes through `dbtoken._credentials` (which may call Python code: no lock is held).
fn source<'py>(
    py: Python<'py>,
    h: &Hooks,
    obj: Option<&Bound<'py, PyAny>>,
) -> PyResult<Source<'py>> {
    match obj {
        None => {
            if let Some(d) = &h.env_data {
                let d = d.bind(py);
                let a = env_value(d, intern_bytes(py, 0));
                let s = env_value(d, intern_bytes(py, 1));
                let t =
                    env_value(d, intern_bytes(py, 2)).or_else(|| env_value(d, intern_bytes(py, 3)));
                if let (Some(a), Some(s)) = (a, s) {
                    let utf8 = |b: &Bound<'py, PyBytes>| std::str::from_utf8(b.as_bytes()).is_ok();
                    if utf8(&a) && utf8(&s) && t.as_ref().is_none_or(utf8) {
                        return Ok(Source::Env(a, s, t));
                    }
                }
            }
            Ok(Source::Objects(tuple4(h.env.bind(py).call0()?)?))
        }
        Some(c) if c.get_type().is(h.credentials_cls.bind(py)) => {
            if let Ok(n) = c.getattr(intern!(py, "_native"))?.cast_into::<Native>() {
                return Ok(Source::Native(n));
            }
            Ok(Source::Objects([
                c.getattr(intern!(py, "access_key_id"))?,
                c.getattr(intern!(py, "secret_access_key"))?,
                c.getattr(intern!(py, "session_token"))?,
                c.getattr(intern!(py, "_expires_at"))?,
            ]))
        }
        Some(c) => Ok(Source::Objects(tuple4(h.resolve.bind(py).call1((c,))?)?)),
    }
}

/// The environment variable names as `bytes` (the keys of `os.environ`'s storage).
fn intern_bytes(py: Python<'_>, i: usize) -> &Bound<'_, PyAny> {
    static KEYS: PyOnceLock<[Py<PyAny>; 4]> = PyOnceLock::new();
    let keys = KEYS.get_or_init(py, || {
        [
            b"AWS_ACCESS_KEY_ID".as_slice(),
            b"AWS_SECRET_ACCESS_KEY".as_slice(),
            b"AWS_SESSION_TOKEN".as_slice(),
            b"AWS_SECURITY_TOKEN".as_slice(),
        ]
        .map(|k| PyBytes::new(py, k).into_any().unbind())
    });
    keys[i].bind(py)
}

fn convert<'a>(src: &'a Source<'_>) -> PyResult<Creds<'a>> {
    match src {
        Source::Objects([a, s, t, e]) => creds_from(a, s, t, e),
        Source::Native(n) => {
            let n = n.get();
            Ok((
                Txt::Raw(&n.access_key_id),
                Txt::Raw(&n.secret_access_key),
                n.session_token.as_deref().map(Txt::Raw),
                n.expires_at,
            ))
        }
        Source::Env(a, s, t) => {
            // Checked to be UTF-8 in `source`.
            let raw = |b: &'a Bound<'_, PyBytes>| std::str::from_utf8(b.as_bytes()).unwrap_or("");
            Ok((
                Txt::Raw(raw(a)),
                Txt::Raw(raw(s)),
                t.as_ref().map(|t| Txt::Raw(raw(t))),
                None,
            ))
        }
    }
}

/// `signing_time`: None reads the clock (`int(time.time())`), an `int` is used as is, anything
/// else goes through `dbtoken._unix` (aware datetime, float; `TypeError` for the rest).
fn signing_time(py: Python<'_>, h: &Hooks, value: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    match value {
        None => {
            let f = h.time_mod.bind(py).getattr(intern!(py, "time"))?;
            if f.is(h.time_fn.bind(py)) {
                // The same value as int(time.time()) (whole seconds since the epoch).
                return SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .map_err(|_| token_error(py, Error::InvalidSigningTime));
            }
            let t = py.get_type::<PyInt>().call1((f.call0()?,))?;
            unix_time(&t, "signing_time")
        }
        Some(v) if v.is_exact_instance_of::<PyInt>() => unix_time(v, "signing_time"),
        Some(v) => {
            let t = h.unix.bind(py).call1((v, intern!(py, "signing_time")))?;
            unix_time(&t, "signing_time")
        }
    }
}

/// rds(hostname, port, username, region, credentials, expires_in, signing_time): the body of
/// `dbtoken.rds_token`, whose Python signature (keyword-only arguments and their defaults) calls
/// it positionally (cheaper than keyword matching here).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn rds<'py>(
    py: Python<'py>,
    hostname: &Bound<'py, PyAny>,
    port: &Bound<'py, PyAny>,
    username: &Bound<'py, PyAny>,
    region: &Bound<'py, PyAny>,
    credentials: &Bound<'py, PyAny>,
    expires_in: &Bound<'py, PyAny>,
    signing_time: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyString>> {
    let h = hooks(py)?;
    let src = source(py, h, Some(credentials).filter(|c| !c.is_none()))?;
    let t = signing_time_of(py, h, Some(signing_time))?;
    let args = Args::new(
        0,
        hostname,
        port,
        username,
        hostname,
        || convert(&src),
        Some(region),
        Some(expires_in),
    )?;
    sign(py, &args.request(t))
}

fn signing_time_of(py: Python<'_>, h: &Hooks, value: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    signing_time(py, h, value.filter(|v| !v.is_none()))
}

/// boto3's ``rds_client.generate_db_auth_token`` with the same argument names, so switching
/// is one import. Credentials come from the environment unless ``credentials`` is given.
#[pyfunction]
#[pyo3(signature = (DBHostname, Port, DBUsername, Region=None, *, credentials=None))]
#[allow(non_snake_case)]
fn generate_db_auth_token<'py>(
    py: Python<'py>,
    DBHostname: &Bound<'py, PyAny>,
    Port: &Bound<'py, PyAny>,
    DBUsername: &Bound<'py, PyAny>,
    Region: Option<&Bound<'py, PyAny>>,
    credentials: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyString>> {
    let h = hooks(py)?;
    let src = source(py, h, credentials.filter(|c| !c.is_none()))?;
    let t = signing_time(py, h, None)?;
    let args = Args::new(
        0,
        DBHostname,
        Port,
        DBUsername,
        DBHostname,
        || convert(&src),
        Region,
        None,
    )?;
    sign(py, &args.request(t))
}

/// _setup(credentials_cls, resolve, env, unix, env_data, time_module): registers the
/// pure-Python pieces the fast paths call back into (once, from `dbtoken/__init__.py`).
#[pyfunction]
fn _setup(
    py: Python<'_>,
    credentials_cls: Bound<'_, PyType>,
    resolve: Bound<'_, PyAny>,
    env: Bound<'_, PyAny>,
    unix: Bound<'_, PyAny>,
    env_data: Option<Bound<'_, PyDict>>,
    time_module: Bound<'_, PyAny>,
) -> PyResult<()> {
    let time_fn = time_module.getattr("time")?;
    let _ = HOOKS.set(
        py,
        Hooks {
            credentials_cls: credentials_cls.unbind(),
            resolve: resolve.unbind(),
            env: env.unbind(),
            unix: unix.unbind(),
            env_data: env_data.map(Bound::unbind),
            time_mod: time_module.unbind(),
            time_fn: time_fn.unbind(),
        },
    );
    Ok(())
}

/// The signer's buffer: tokens up to this size are written there (a 1,000-character session
/// token fits); longer ones take the owned path.
const STACK_TOKEN: usize = 4096;

/// A token cache (`dbtoken::TokenCache`) behind a mutex. The Python `TokenCache` resolves
/// credentials first and calls `get` with plain values, so the lock is never held while Python
/// code runs.
#[pyclass(frozen, module = "dbtoken._dbtoken")]
struct Cache {
    inner: Mutex<dbtoken::TokenCache>,
}

#[pymethods]
impl Cache {
    #[new]
    fn new(refresh_margin: &Bound<'_, PyAny>) -> PyResult<Self> {
        let margin = int(refresh_margin, "refresh_margin")?
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| PyValueError::new_err("refresh_margin must be 0 or more seconds"))?;
        Ok(Cache {
            inner: Mutex::new(dbtoken::TokenCache::new(margin)),
        })
    }

    /// Same arguments as `token`, with `now` in place of `signing_time`.
    #[allow(clippy::too_many_arguments)]
    fn get(
        &self,
        py: Python<'_>,
        kind: u8,
        host: &Bound<'_, PyAny>,
        port: &Bound<'_, PyAny>,
        user: &Bound<'_, PyAny>,
        flag: &Bound<'_, PyAny>,
        access_key_id: &Bound<'_, PyAny>,
        secret_access_key: &Bound<'_, PyAny>,
        session_token: &Bound<'_, PyAny>,
        credentials_expire_at: &Bound<'_, PyAny>,
        region: &Bound<'_, PyAny>,
        expires_in: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<String> {
        let args = Args::new(
            kind,
            host,
            port,
            user,
            flag,
            || {
                creds_from(
                    access_key_id,
                    secret_access_key,
                    session_token,
                    credentials_expire_at,
                )
            },
            Some(region),
            Some(expires_in),
        )?;
        let now = unix_time(now, "now")?;
        let req = args.request(now);
        let result = lock(&self.inner).get(&req, now).map(|t| t.token.clone());
        result.map_err(|e| token_error(py, e))
    }

    /// The cached token for the same target, region and expiry while it is valid for
    /// `dbtoken::cache::OUTAGE_FLOOR` more seconds at `now` (the credentials source failed);
    /// `None` otherwise (the Python layer then raises `credentials_unavailable` with the cause).
    #[allow(clippy::too_many_arguments)]
    fn outage(
        &self,
        kind: u8,
        host: &Bound<'_, PyAny>,
        port: &Bound<'_, PyAny>,
        user: &Bound<'_, PyAny>,
        flag: &Bound<'_, PyAny>,
        region: &Bound<'_, PyAny>,
        expires_in: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Option<String>> {
        let args = Args::new(
            kind,
            host,
            port,
            user,
            flag,
            || Ok((Txt::Raw(""), Txt::Raw(""), None, None)),
            Some(region),
            Some(expires_in),
        )?;
        let now = unix_time(now, "now")?;
        let req = args.request(now);
        Ok(lock(&self.inner)
            .get_in_outage(&req, now)
            .ok()
            .map(|t| t.token.clone()))
    }

    /// `dbtoken::cache::OUTAGE_FLOOR`.
    #[classattr]
    const OUTAGE_FLOOR: u64 = dbtoken::cache::OUTAGE_FLOOR;

    fn clear(&self) {
        lock(&self.inner).clear();
    }

    #[getter]
    fn refresh_margin(&self) -> u64 {
        lock(&self.inner).refresh_margin()
    }

    fn __repr__(&self) -> String {
        format!("Cache(refresh_margin={})", self.refresh_margin())
    }
}

fn info_tuple<'py>(py: Python<'py>, i: &TokenInfo<'_>) -> PyResult<Bound<'py, PyTuple>> {
    let items = [
        i.kind.name().into_bound_py_any(py)?,
        i.host.into_bound_py_any(py)?,
        i.port.into_bound_py_any(py)?,
        i.action.into_bound_py_any(py)?,
        i.user.map(|u| u.decode()).into_bound_py_any(py)?,
        i.serverless.into_bound_py_any(py)?,
        i.region.into_bound_py_any(py)?,
        i.service.into_bound_py_any(py)?,
        i.access_key_id.decode().into_bound_py_any(py)?,
        i.signing_time.into_bound_py_any(py)?,
        i.expires_in.into_bound_py_any(py)?,
        i.expires_at.into_bound_py_any(py)?,
        i.has_session_token.into_bound_py_any(py)?,
        i.signature.into_bound_py_any(py)?,
    ];
    PyTuple::new(py, items)
}

/// inspect(token) -> (kind, host, port, action, user, serverless, region, service,
/// access_key_id, signing_time, expires_in, expires_at, has_session_token, signature)
#[pyfunction]
fn inspect<'py>(py: Python<'py>, token: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let token = text(token, "token")?;
    let info = dbtoken::inspect(&token).map_err(|e| token_error(py, e))?;
    info_tuple(py, &info)
}

/// verify(token, secret_access_key, now) -> same tuple as `inspect`.
#[pyfunction]
fn verify<'py>(
    py: Python<'py>,
    token: &Bound<'py, PyAny>,
    secret_access_key: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let token = text(token, "token")?;
    let secret = text(secret_access_key, "secret_access_key")?;
    let now = unix_time(now, "now")?;
    let info = dbtoken::verify(&token, &secret, now).map_err(|e| token_error(py, e))?;
    info_tuple(py, &info)
}

/// url_encode(text) -> RFC 3986 percent-encoding (what a token needs inside a URL).
#[pyfunction]
fn url_encode(text_obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = text(text_obj, "text")?;
    Ok(dbtoken::url_encode_string(&s))
}

/// error_codes() -> every `TokenError.code`, in the core's order.
#[pyfunction]
fn error_codes() -> Vec<&'static str> {
    dbtoken::error_codes().collect()
}

/// error_message(code) -> the core's message for `code` (`None` for an unknown code).
#[pyfunction]
fn error_message(code: &Bound<'_, PyAny>) -> PyResult<Option<&'static str>> {
    let code = text(code, "code")?;
    Ok(Error::ALL
        .iter()
        .find(|e| e.code() == code)
        .map(Error::message))
}

#[pymodule]
fn _dbtoken(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let cls = py
        .import("dbtoken._errors")?
        .getattr("TokenError")?
        .cast_into::<PyType>()?;
    m.add("TokenError", &cls)?;
    let _ = TOKEN_ERROR.set(py, cls.unbind());
    m.add_function(wrap_pyfunction!(token, m)?)?;
    m.add_function(wrap_pyfunction!(rds, m)?)?;
    m.add_function(wrap_pyfunction!(generate_db_auth_token, m)?)?;
    m.add_function(wrap_pyfunction!(_setup, m)?)?;
    m.add_function(wrap_pyfunction!(native, m)?)?;
    m.add_class::<Native>()?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(url_encode, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error_message, m)?)?;
    m.add_class::<Cache>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
