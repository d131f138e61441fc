//! `dbtoken._dbtoken`: the Rust half of the `dbtoken` Python package.
//!
//! Thin by design: it converts Python objects to the core's types, calls the core and maps
//! [`dbtoken::Error`] to `dbtoken.TokenError` (a `ValueError` with `.code`, defined in the
//! pure-Python `dbtoken._errors`). Credentials, the clock and keyword handling live in the
//! pure-Python layer (`python/dbtoken/__init__.py`); signing, validation, region inference,
//! URL encoding, caching policy and token parsing live in the core.
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

use std::sync::{Mutex, MutexGuard};

use dbtoken::{Credentials, Error, Signer, Target, TokenInfo, TokenRequest};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt, PyString, PyTuple, PyType};

/// `dbtoken._errors.TokenError`, looked up once at module initialisation.
static TOKEN_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// One signer for plain (uncached) tokens: it keeps the derived signing key between calls.
static SIGNER: Mutex<Signer> = Mutex::new(Signer::new());

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

/// Everything a token needs, owned (converted before any lock is taken).
struct Args {
    kind: u8,
    host: PyBackedStr,
    port: u16,
    user: Option<PyBackedStr>,
    flag: bool,
    access_key_id: PyBackedStr,
    secret_access_key: PyBackedStr,
    session_token: Option<PyBackedStr>,
    credentials_expire_at: Option<u64>,
    region: Option<PyBackedStr>,
    expires_in: u32,
}

impl Args {
    #[allow(clippy::too_many_arguments)]
    fn new<'a>(
        kind: u8,
        host: &'a Bound<'_, PyAny>,
        port_obj: &'a Bound<'_, PyAny>,
        user: &'a Bound<'_, PyAny>,
        flag: &'a Bound<'_, PyAny>,
        access_key_id: &'a Bound<'_, PyAny>,
        secret_access_key: &'a Bound<'_, PyAny>,
        session_token: &'a Bound<'_, PyAny>,
        credentials_expire_at: &'a Bound<'_, PyAny>,
        region: &'a Bound<'_, PyAny>,
        expires_in_obj: &'a Bound<'_, PyAny>,
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
            host: text(host, host_name)?,
            port: if kind == 0 { port(port_obj)? } else { 0 },
            user: if kind == 1 {
                None
            } else {
                Some(text(user, user_name)?)
            },
            flag: match kind {
                1 => boolean(flag, "admin")?,
                2 => boolean(flag, "serverless")?,
                _ => false,
            },
            access_key_id: text(access_key_id, "access_key_id")?,
            secret_access_key: text(secret_access_key, "secret_access_key")?,
            session_token: opt_text(session_token, "session_token")?,
            credentials_expire_at: cred_expiry(credentials_expire_at)?,
            region: opt_text(region, "region")?,
            expires_in: expires_in(expires_in_obj)?,
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
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret_access_key,
            session_token: self.session_token.as_deref(),
            expires_at: self.credentials_expire_at,
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
        access_key_id,
        secret_access_key,
        session_token,
        credentials_expire_at,
        region,
        expires_in,
    )?;
    let signing_time = unix_time(signing_time, "signing_time")?;
    let req = args.request(signing_time);
    // Most tokens fit a stack buffer; the lock is released (end of statement) before the
    // Python string is created.
    let mut buf = [0u8; STACK_TOKEN];
    let written = lock(&SIGNER)
        .write_token(&req, &mut buf)
        .map(|t| t.as_str());
    match written {
        Ok(text) => Ok(PyString::new(py, text)),
        Err(Error::BufferTooSmall) => {
            let owned = lock(&SIGNER).token(&req).map_err(|e| token_error(py, e))?;
            Ok(PyString::new(py, &owned.token))
        }
        Err(e) => Err(token_error(py, e)),
    }
}

/// Tokens up to this size are written on the stack (a 1,000-character session token fits).
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
            access_key_id,
            secret_access_key,
            session_token,
            credentials_expire_at,
            region,
            expires_in,
        )?;
        let now = unix_time(now, "now")?;
        let req = args.request(now);
        let result = lock(&self.inner).get(&req, now).map(|t| t.token.clone());
        result.map_err(|e| token_error(py, e))
    }

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
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(url_encode, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error_message, m)?)?;
    m.add_class::<Cache>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
