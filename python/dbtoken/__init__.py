"""AWS IAM database authentication tokens without boto3.

``dbtoken`` builds the same token as botocore's ``generate_db_auth_token`` (RDS, Aurora,
RDS Proxy), plus Aurora DSQL, ElastiCache and MemoryDB tokens, in a small Rust extension that
imports in a few milliseconds. It does no network I/O: credentials come from the environment
(what AWS Lambda provides), a :class:`Credentials` object, any botocore/boto3 credentials object
or a callable, and the clock is read only when ``signing_time`` is not given.

Conversion rules shared by every function:

* text arguments must be ``str`` (``TypeError`` otherwise, including a ``str`` with a lone
  surrogate, which has no UTF-8 form); NUL and control characters go to the core, which rejects
  them in host names and percent-encodes them in user names;
* integers must be ``int`` and not ``bool`` (``TypeError``); an ``int`` out of the field's range
  raises :class:`TokenError` with that field's code (``invalid_port``, ``expiry_out_of_range``,
  ``invalid_signing_time``);
* times (``signing_time``, ``Credentials.expiration``) are timezone-aware ``datetime`` objects or
  Unix seconds (``int``/``float``); a naive ``datetime`` raises ``TypeError``.

Everything else (validation, region inference, encoding, signing, caching policy, parsing) is
the Rust core's, and every failure there is a :class:`TokenError` with a stable ``.code``.
"""

import os as _os
import sys as _sys
import _thread
import time as _time

from ._errors import TokenError
from . import _dbtoken as _rs

__all__ = [
    "Credentials",
    "OUTAGE_FLOOR",
    "TokenCache",
    "TokenError",
    "TokenInfo",
    "dsql_token",
    "dsn",
    "elasticache_token",
    "error_codes",
    "generate_db_auth_token",
    "inspect",
    "memorydb_token",
    "rds_token",
    "url_encode",
    "verify",
]

__version__ = _rs.__version__

#: Seconds a cached token must still be valid for to be handed out while the credentials source
#: fails (``TokenCache``); the core's ``dbtoken::cache::OUTAGE_FLOOR``.
OUTAGE_FLOOR = _rs.Cache.OUTAGE_FLOOR

_RDS, _DSQL, _ELASTICACHE, _MEMORYDB = 0, 1, 2, 3
_environ = _os.environ


def _error(code, message=None):
    return TokenError(message or _rs.error_message(code) or code, code)


# --------------------------------------------------------------------------------- time values


def _unix(value, what):
    """An aware datetime or Unix seconds (int/float) as an int (floor); None stays None."""
    if value is None:
        return None
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an aware datetime or Unix seconds, not bool")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None if what == "expiration" and value > 0 else _nonfinite(what)
        return int(value // 1)
    if hasattr(value, "utcoffset") and hasattr(value, "timestamp"):
        if value.utcoffset() is None:
            raise TypeError(
                f"{what} is a naive datetime: pass an aware one (datetime.now(timezone.utc)) "
                "or Unix seconds"
            )
        return int(value.timestamp() // 1)
    raise TypeError(f"{what} must be an aware datetime or Unix seconds, not {type(value).__name__}")


def _nonfinite(what):
    if what == "expiration":  # -inf or NaN: treat as already expired
        return 0
    raise _error("invalid_signing_time")


def _now(signing_time):
    if signing_time is None:
        return int(_time.time())
    return _unix(signing_time, "signing_time")


# --------------------------------------------------------------------------------- credentials


class Credentials:
    """AWS credentials.

    ``expiration`` (an aware ``datetime`` or Unix seconds) is when temporary credentials stop
    working; a token signed with them is clamped so it never outlives them. ``repr()`` shows
    the access key id only, never the secret or the session token.
    """

    __slots__ = ("access_key_id", "secret_access_key", "session_token", "expiration", "_expires_at",
                 "_native")

    def __init__(self, access_key_id, secret_access_key, session_token=None, expiration=None):
        if not isinstance(access_key_id, str):
            raise TypeError(f"access_key_id must be a str, not {type(access_key_id).__name__}")
        if not isinstance(secret_access_key, str):
            raise TypeError("secret_access_key must be a str")
        if session_token is not None and not isinstance(session_token, str):
            raise TypeError("session_token must be a str or None")
        expires_at = _unix(expiration, "expiration")
        set_ = object.__setattr__
        set_(self, "access_key_id", access_key_id)
        set_(self, "secret_access_key", secret_access_key)
        set_(self, "session_token", session_token)
        set_(self, "expiration", expiration)
        set_(self, "_expires_at", expires_at)
        # The same values converted once for the extension (None when one does not convert:
        # the token functions then read the attributes above and report it).
        set_(self, "_native", _rs.native(access_key_id, secret_access_key, session_token,
                                         expires_at))

    def __setattr__(self, name, value):
        raise AttributeError("Credentials are immutable")

    def __delattr__(self, name):
        raise AttributeError("Credentials are immutable")

    @property
    def expires_at(self):
        """``expiration`` as Unix seconds (``None`` when the credentials do not expire)."""
        return self._expires_at

    @classmethod
    def from_env(cls):
        """Reads ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN``.

        Raises :class:`TokenError` (``empty_access_key_id`` / ``empty_secret_access_key``) when
        a variable is missing.
        """
        return cls(*_env_credentials()[:3])

    def __eq__(self, other):
        if not isinstance(other, Credentials):
            return NotImplemented
        return _tuple(self) == _tuple(other)

    __hash__ = None

    def __repr__(self):
        session = "None" if not self.session_token else "<redacted>"
        return (
            f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key=<redacted>, "
            f"session_token={session}, expiration={self.expiration!r})"
        )

    __str__ = __repr__


def _tuple(c):
    return (c.access_key_id, c.secret_access_key, c.session_token, c._expires_at)


# The environment is read through os.environ's own storage: the same values os.environ shows,
# without its per-key encode/decode (which would cost more than signing). A decoded result is
# reused while the three underlying values are the very same objects (os.environ replaces them
# on every change).
_env_data = getattr(_environ, "_data", None)
if _os.name == "nt" or type(_env_data) is not dict:
    _env_data = None
_fsenc = _sys.getfilesystemencoding()
_env_last = (None, None, None, None)


def _env_credentials():
    global _env_last
    d = _env_data
    if d is None:
        return _env_decode(_environ.get("AWS_ACCESS_KEY_ID"), _environ.get("AWS_SECRET_ACCESS_KEY"),
                           _environ.get("AWS_SESSION_TOKEN") or _environ.get("AWS_SECURITY_TOKEN"))
    a = d.get(b"AWS_ACCESS_KEY_ID")
    s = d.get(b"AWS_SECRET_ACCESS_KEY")
    t = d.get(b"AWS_SESSION_TOKEN") or d.get(b"AWS_SECURITY_TOKEN")
    last = _env_last
    if a is last[0] and s is last[1] and t is last[2] and a is not None:
        return last[3]
    dec = _fsenc
    result = _env_decode(a and a.decode(dec, "surrogateescape"),
                         s and s.decode(dec, "surrogateescape"),
                         t and t.decode(dec, "surrogateescape"))
    _env_last = (a, s, t, result)
    return result


def _env_decode(akid, secret, session):
    if not akid:
        raise _error(
            "empty_access_key_id",
            "no credentials: AWS_ACCESS_KEY_ID is not set (pass credentials=... or set the "
            "AWS_* environment variables)",
        )
    if not secret:
        raise _error("empty_secret_access_key", "no credentials: AWS_SECRET_ACCESS_KEY is not set")
    return (akid, secret, session or None, None)


def _from_object(obj):
    """Credentials as (access_key_id, secret, session_token, expires_at) from a non-callable."""
    if obj is None:
        return _env_credentials()
    if type(obj) is Credentials:
        return _tuple(obj)
    if isinstance(obj, Credentials):
        return _tuple(obj)
    # botocore RefreshableCredentials / DeferredRefreshableCredentials: one consistent
    # snapshot (this may refresh them, which can do network I/O).
    frozen = getattr(obj, "get_frozen_credentials", None)
    if frozen is not None:
        expires_at = _botocore_expiry(obj)
        snap = frozen()
        return (snap.access_key, snap.secret_key, snap.token, expires_at)
    if hasattr(obj, "access_key") and hasattr(obj, "secret_key"):
        # botocore Credentials / ReadOnlyCredentials (a namedtuple)
        return (obj.access_key, obj.secret_key, getattr(obj, "token", None), _botocore_expiry(obj))
    if isinstance(obj, dict):
        return _from_mapping(obj)
    raise TypeError(
        "credentials must be None (environment), dbtoken.Credentials, a botocore/boto3 "
        "credentials object, a dict, or a zero-argument callable returning one of those; "
        f"got {type(obj).__name__}"
    )


def _from_mapping(d):
    # STS style (AssumeRole()["Credentials"]) or snake_case.
    if "AccessKeyId" in d:
        return (d.get("AccessKeyId"), d.get("SecretAccessKey"), d.get("SessionToken"),
                _unix(d.get("Expiration"), "expiration"))
    return (d.get("access_key_id"), d.get("secret_access_key"), d.get("session_token"),
            _unix(d.get("expiration"), "expiration"))


def _botocore_expiry(obj):
    # Best effort: botocore's RefreshableCredentials keep their expiry in the private
    # `_expiry_time` (an aware datetime). When it is absent or unreadable the token is simply
    # not clamped (botocore does not clamp either).
    exp = getattr(obj, "_expiry_time", None)
    if exp is None:
        return None
    try:
        return _unix(exp, "expiration")
    except TypeError:
        return None


def _credentials(source):
    """Resolves a credentials source synchronously."""
    if source is None:
        return _env_credentials()
    if type(source) is Credentials:
        return _tuple(source)
    if callable(source) and not hasattr(source, "get_frozen_credentials"):
        value = source()
        if hasattr(value, "__await__"):
            close = getattr(value, "close", None)
            if close is not None:
                close()
            raise TypeError("the credentials callable is async: use TokenCache.token_async()")
        if callable(value) and not hasattr(value, "get_frozen_credentials"):
            raise TypeError("the credentials callable returned another callable")
        return _from_object(value)
    return _from_object(source)


# --------------------------------------------------------------------------------- tokens


def rds_token(hostname, port, username, *, region=None, credentials=None, expires_in=900,
              signing_time=None):
    """The IAM auth token for an RDS / Aurora / RDS Proxy endpoint (the database password).

    ``region=None`` reads it from an AWS endpoint host name
    (``*.{region}.rds.amazonaws.com``); pass it for IP addresses and custom DNS names.
    ``credentials=None`` reads ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
    ``AWS_SESSION_TOKEN``. ``expires_in`` is 1–900 seconds and is clamped to the credentials'
    expiry. ``signing_time`` (aware ``datetime`` or Unix seconds) defaults to now.
    """
    return _rds(hostname, port, username, region, credentials, expires_in, signing_time)


# The hot paths run in the extension: it reads the environment (os.environ's storage), the clock
# and a Credentials object itself, and calls back into _credentials / _env_credentials / _unix
# (registered below) for everything else. generate_db_auth_token is the extension's function
# itself (no Python frame).
_rds = _rs.rds
generate_db_auth_token = _rs.generate_db_auth_token


def dsql_token(hostname, *, admin=False, region=None, credentials=None, expires_in=900,
               signing_time=None):
    """The IAM auth token for an Aurora DSQL cluster endpoint (``DbConnect``, or
    ``DbConnectAdmin`` with ``admin=True``). ``expires_in`` is 1–604,800 seconds."""
    c = _env_credentials() if credentials is None else _credentials(credentials)
    t = int(_time.time()) if signing_time is None else _unix(signing_time, "signing_time")
    return _rs.token(_DSQL, hostname, 0, "", admin, c[0], c[1], c[2], c[3], region,
                     expires_in, t)


def elasticache_token(cache_name, user_id, *, serverless=False, region=None, credentials=None,
                      expires_in=900, signing_time=None):
    """The IAM auth token for an ElastiCache (Valkey / Redis OSS) user: the password to send
    with ``AUTH user_id token``. ``serverless=True`` for a serverless cache. ``region`` is
    required (a cache name does not name one)."""
    c = _env_credentials() if credentials is None else _credentials(credentials)
    t = int(_time.time()) if signing_time is None else _unix(signing_time, "signing_time")
    return _rs.token(_ELASTICACHE, cache_name, 0, user_id, serverless, c[0], c[1], c[2], c[3],
                     region, expires_in, t)


def memorydb_token(cluster_name, user, *, region=None, credentials=None, expires_in=900,
                   signing_time=None):
    """The IAM auth token for a MemoryDB user. ``region`` is required."""
    c = _env_credentials() if credentials is None else _credentials(credentials)
    t = int(_time.time()) if signing_time is None else _unix(signing_time, "signing_time")
    return _rs.token(_MEMORYDB, cluster_name, 0, user, False, c[0], c[1], c[2], c[3], region,
                     expires_in, t)


_rs._setup(Credentials, _credentials, _env_credentials, _unix,
           _env_data if _fsenc.lower().replace("-", "").replace("_", "") == "utf8" else None, _time)


# --------------------------------------------------------------------------------- inspect


class TokenInfo:
    """What a token says about itself (from :func:`inspect` / :func:`verify`).

    ``user`` and ``access_key_id`` are percent-decoded; times are Unix seconds.
    """

    __slots__ = ("kind", "host", "port", "action", "user", "serverless", "region", "service",
                 "access_key_id", "signing_time", "expires_in", "expires_at",
                 "has_session_token", "signature")

    def __init__(self, *fields):
        for name, value in zip(TokenInfo.__slots__, fields):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("TokenInfo is immutable")

    def seconds_left(self, now=None):
        """Seconds of validity left at ``now`` (default: the current time); 0 when expired or
        not yet valid."""
        now = _now(now)
        if now < self.signing_time:
            return 0
        return max(0, self.expires_at - now)

    def _astuple(self):
        return tuple(getattr(self, n) for n in TokenInfo.__slots__)

    def __eq__(self, other):
        if not isinstance(other, TokenInfo):
            return NotImplemented
        return self._astuple() == other._astuple()

    def __hash__(self):
        return hash(self._astuple())

    def __repr__(self):
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in TokenInfo.__slots__[:-1])
        return f"TokenInfo({shown})"


def inspect(token):
    """Parses a token (no secret needed, nothing verified) into a :class:`TokenInfo`."""
    return TokenInfo(*_rs.inspect(token))


def verify(token, secret_access_key, *, now=None):
    """Recomputes the token's signature with ``secret_access_key`` and checks its validity
    window at ``now`` (default: the current time). Raises :class:`TokenError`
    (``signature_mismatch``, ``token_expired``, ``token_not_yet_valid``, ``malformed_token``)."""
    return TokenInfo(*_rs.verify(token, secret_access_key, _now(now)))


def url_encode(text):
    """RFC 3986 percent-encoding (``A-Z a-z 0-9 - . _ ~`` kept, everything else ``%XX``):
    what a token needs to go inside a URL."""
    return _rs.url_encode(text)


def error_codes():
    """Every :attr:`TokenError.code`, in the core's order."""
    return list(_rs.error_codes())


def dsn(hostname, port, username, database=None, *, scheme="postgresql", token=None,
        host=None, query=None, region=None, credentials=None, expires_in=900, signing_time=None):
    """A connection URL with a fresh RDS token as the password, percent-encoded:
    ``postgresql://user:TOKEN@host:port/database?query``.

    A token holds ``%2F``, ``&`` and ``=``; pasted raw into a URL it is corrupted (or decoded
    into a different password). ``token`` uses a token you already have; ``host`` connects to
    a different address than the one the token is signed for (a tunnel, a local proxy);
    ``query`` is a dict (values are encoded) or an already-encoded string, e.g.
    ``{"sslmode": "verify-full"}``.
    """
    if token is None:
        token = rds_token(hostname, port, username, region=region, credentials=credentials,
                          expires_in=expires_in, signing_time=signing_time)
    if not isinstance(scheme, str):
        raise TypeError("scheme must be a str")
    connect_host = hostname if host is None else host
    if not isinstance(connect_host, str):
        raise TypeError("host must be a str")
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError("port must be an int")
    enc = _rs.url_encode
    url = f"{scheme}://{enc(username)}:{enc(token)}@{connect_host}:{port}"
    if database is not None:
        url += "/" + enc(database)
    if query:
        if isinstance(query, dict):
            query = "&".join(f"{enc(str(k))}={enc(str(v))}" for k, v in query.items())
        url += "?" + query
    return url


# --------------------------------------------------------------------------------- cache


class TokenCache:
    """Hands out the same token until ``refresh_margin`` seconds (default 30) before it
    expires, then signs a new one.

    One cache serves one target (build it with :meth:`rds`, :meth:`dsql`, :meth:`elasticache`
    or :meth:`memorydb`). Credentials are resolved on every call (a botocore refreshable object
    or a callable may rotate them); a token is reused only for the very same credentials, and
    since tokens are clamped to the credentials' expiry, none outlives them. Thread-safe: the
    cache's state sits behind a lock in the extension, and that lock is never held while
    Python code (a credentials callable) runs. :meth:`token_async` resolves credentials from a
    callable or a botocore object in a worker thread, so the event loop is never blocked.

    Faults (for a credentials callable or a botocore object, the sources that may do I/O):

    * **One call at a time**: callers that arrive while the source is being called (threads,
      asyncio tasks, or both) wait for that call and share its result instead of calling it
      again.
    * **Serving through an outage**: when the source raises, the cached token for this cache's
      target is returned while it is still valid for :data:`OUTAGE_FLOOR` (5) more seconds; the
      source is called again on the next call. With no such token, :class:`TokenError` with code
      ``credentials_unavailable`` is raised, naming the source, with the source's exception as
      ``__cause__``. A ``TypeError`` (a source of the wrong shape) is raised as it is.
    """

    __slots__ = ("_cache", "_args", "_source", "_lock", "_flight")

    def __init__(self, _kind, _host, _port, _user, _flag, *, region=None, credentials=None,
                 expires_in=900, refresh_margin=30):
        self._cache = _rs.Cache(refresh_margin)
        self._args = (_kind, _host, _port, _user, _flag, region, expires_in)
        self._source = credentials
        self._lock = _thread.allocate_lock()
        self._flight = None
        if _kind not in (0, 1, 2, 3):
            raise ValueError("unknown token kind")

    @classmethod
    def rds(cls, hostname, port, username, *, region=None, credentials=None, expires_in=900,
            refresh_margin=30):
        """A cache of :func:`rds_token` tokens for one endpoint and user."""
        return cls(_RDS, hostname, port, username, False, region=region, credentials=credentials,
                   expires_in=expires_in, refresh_margin=refresh_margin)

    @classmethod
    def dsql(cls, hostname, *, admin=False, region=None, credentials=None, expires_in=900,
             refresh_margin=30):
        """A cache of :func:`dsql_token` tokens."""
        return cls(_DSQL, hostname, 0, "", admin, region=region, credentials=credentials,
                   expires_in=expires_in, refresh_margin=refresh_margin)

    @classmethod
    def elasticache(cls, cache_name, user_id, *, serverless=False, region=None,
                    credentials=None, expires_in=900, refresh_margin=30):
        """A cache of :func:`elasticache_token` tokens."""
        return cls(_ELASTICACHE, cache_name, 0, user_id, serverless, region=region,
                   credentials=credentials, expires_in=expires_in,
                   refresh_margin=refresh_margin)

    @classmethod
    def memorydb(cls, cluster_name, user, *, region=None, credentials=None, expires_in=900,
                 refresh_margin=30):
        """A cache of :func:`memorydb_token` tokens."""
        return cls(_MEMORYDB, cluster_name, 0, user, False, region=region,
                   credentials=credentials, expires_in=expires_in,
                   refresh_margin=refresh_margin)

    @property
    def refresh_margin(self):
        """Seconds before expiry at which a new token is signed."""
        return self._cache.refresh_margin

    def _get(self, c, now):
        kind, host, port, user, flag, region, expires_in = self._args
        return self._cache.get(kind, host, port, user, flag, c[0], c[1], c[2], c[3], region,
                               expires_in, _now(now))

    def _join(self):
        """(future, leader): the source call in flight, or a new one this caller makes."""
        from concurrent.futures import Future

        with self._lock:
            fut = self._flight
            if fut is None:
                fut = self._flight = Future()
                return fut, True
            return fut, False

    def _land(self, fut, call):
        """Runs ``call`` as the one source call in flight and publishes its outcome."""
        try:
            fut.set_result(call())
        except BaseException as e:  # noqa: B036 - handed to every waiter, then re-raised there
            fut.set_exception(e)
        finally:
            with self._lock:
                self._flight = None

    def _outage(self, cause, now):
        """The cached token for this target while it is valid for OUTAGE_FLOOR more seconds;
        else ``credentials_unavailable`` chained to ``cause``."""
        kind, host, port, user, flag, region, expires_in = self._args
        token = self._cache.outage(kind, host, port, user, flag, region, expires_in, _now(now))
        if token is not None:
            return token
        raise _error(
            "credentials_unavailable",
            f"{_rs.error_message('credentials_unavailable')} [source: {_source_name(self._source)}]",
        ) from cause

    def token(self, *, now=None):
        """A token with more than ``refresh_margin`` seconds left at ``now`` (default: the
        current time; an aware ``datetime`` or Unix seconds)."""
        source = self._source
        if _static(source):
            return self._get(_credentials(source), now)
        fut, leader = self._join()
        if leader:
            self._land(fut, lambda: _credentials(source))
        try:
            c = fut.result()
        except TypeError:
            raise
        except Exception as e:
            return self._outage(e, now)
        return self._get(c, now)

    async def token_async(self, *, now=None):
        """:meth:`token` for asyncio code. A credentials callable or botocore object (which may
        refresh over the network) runs in a worker thread (``asyncio.to_thread``); an ``async``
        credentials callable is awaited."""
        source = self._source
        if _static(source):
            return self._get(_credentials(source), now)
        import asyncio

        fut, leader = self._join()
        if leader:
            try:
                value = await asyncio.to_thread(_call_source, source)
                c = _from_object(await value) if hasattr(value, "__await__") else value
            except BaseException as e:  # noqa: B036 - handed to every waiter
                self._land(fut, lambda: _reraise(e))
            else:
                self._land(fut, lambda: c)
        try:
            c = await asyncio.wrap_future(fut)
        except TypeError:
            raise
        except Exception as e:
            return self._outage(e, now)
        return self._get(c, now)

    def clear(self):
        """Forgets the cached token."""
        self._cache.clear()

    def __repr__(self):
        kind = ("rds", "dsql", "elasticache", "memorydb")[self._args[0]]
        return f"TokenCache.{kind}(host={self._args[1]!r}, refresh_margin={self.refresh_margin})"


def _static(source):
    """Sources that do no I/O and are read on every call (no single flight, no outage)."""
    return (source is None or type(source) is Credentials
            or isinstance(source, (Credentials, dict)))


def _source_name(source):
    """A credentials source's name for messages (its type or function name; never a value)."""
    name = getattr(source, "__qualname__", None)
    if isinstance(name, str):
        return name
    return type(source).__name__


def _reraise(e):
    raise e


def _call_source(source):
    """In a worker thread: call a credentials callable (returning its raw value, which may be
    awaitable) or resolve a botocore object."""
    if callable(source) and not hasattr(source, "get_frozen_credentials"):
        value = source()
        if hasattr(value, "__await__"):
            return value
        return _from_object(value)
    return _from_object(source)
