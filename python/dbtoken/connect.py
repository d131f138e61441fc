"""Connection helpers: a fresh IAM token for every new database connection.

Each helper signs a new RDS token (a few microseconds) when a connection is opened, so pooled
and long-lived applications never reuse an expired one. The token is signed for the host the
driver connects to; pass ``token_host=`` when that is not the RDS endpoint (an SSH tunnel, a
local proxy). TLS is on by default, as RDS IAM authentication requires:
``sslmode="verify-full"`` for PostgreSQL drivers, certificate and host-name verification for
MySQL drivers. Pass the RDS CA bundle as ``sslrootcert=`` / ``ssl_ca=`` when the system trust
store does not hold it.

The drivers are imported only when a helper is called; none of them is a dependency.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from . import rds_token

__all__ = [
    "aiomysql_connect",
    "asyncmy_connect",
    "asyncpg_connect",
    "install_sqlalchemy_hook",
    "mysql_connector_connect",
    "mysqlclient_connect",
    "psycopg2_connect",
    "psycopg2_connection_factory",
    "psycopg_connect",
    "pymysql_connect",
    "sqlalchemy_async_engine",
    "sqlalchemy_engine",
    "token_provider",
]

#: Anything ``credentials=`` accepts (see :func:`dbtoken.rds_token`).
CredentialsSource = Any


def token_provider(
    hostname: str,
    port: int,
    username: str,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
) -> Callable[[], str]:
    """A zero-argument callable returning a new token on every call.

    For drivers and pools that accept a password callable, e.g.
    ``asyncpg.create_pool(..., password=token_provider(host, 5432, "iam_user"))``.
    """

    def provide() -> str:
        return rds_token(hostname, port, username, region=region, credentials=credentials,
                         expires_in=expires_in)

    return provide


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _token(host, port, user, token_host, region, credentials, expires_in) -> str:
    return rds_token(host if token_host is None else token_host, port, user, region=region,
                     credentials=credentials, expires_in=expires_in)


# ------------------------------------------------------------------------------- PostgreSQL


def psycopg_connect(
    host: str,
    port: int,
    user: str,
    dbname: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    sslmode: str = "verify-full",
    sslrootcert: Optional[str] = None,
    **kwargs: Any,
):
    """``psycopg.connect(...)`` (psycopg 3) with a fresh token as the password.

    Extra keyword arguments go to ``psycopg.connect`` unchanged.
    """
    import psycopg

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password, dbname=dbname,
                             sslmode=sslmode, sslrootcert=sslrootcert))
    params.update(kwargs)
    return psycopg.connect(**params)


def psycopg2_connect(
    host: str,
    port: int,
    user: str,
    dbname: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    sslmode: str = "verify-full",
    sslrootcert: Optional[str] = None,
    **kwargs: Any,
):
    """``psycopg2.connect(...)`` with a fresh token as the password."""
    import psycopg2

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password, dbname=dbname,
                             sslmode=sslmode, sslrootcert=sslrootcert))
    params.update(kwargs)
    return psycopg2.connect(**params)


def psycopg2_connection_factory(
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
):
    """A ``psycopg2.extensions.connection`` subclass that replaces the password with a fresh
    token every time a connection is opened, for ``connection_factory=``.

    psycopg2's pools (``SimpleConnectionPool``, ``ThreadedConnectionPool``) keep the keyword
    arguments they were created with and cannot call anything per connection, so a password
    given to them is the same token forever and the pool fails to open connections once it has
    expired. Their extra keyword arguments go to ``psycopg2.connect``, which accepts
    ``connection_factory``: the factory receives the connection string and signs a token for
    its host (or ``token_host``), port (default 5432) and user.
    """
    import psycopg2.extensions as ext

    def __init__(self: Any, dsn: str, *args: Any, **kwargs: Any) -> None:
        params = ext.parse_dsn(dsn)
        host = token_host if token_host is not None else params.get("host")
        token = rds_token(host, int(params.get("port") or 5432), params["user"], region=region,
                          credentials=credentials, expires_in=expires_in)
        ext.connection.__init__(self, ext.make_dsn(dsn, password=token), *args, **kwargs)

    # Built with type(): psycopg2 is imported only when this is called.
    return type("TokenConnection", (ext.connection,), {"__init__": __init__})


async def asyncpg_connect(
    host: str,
    port: int,
    user: str,
    database: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl: Any = "verify-full",
    sslrootcert: Optional[str] = None,
    **kwargs: Any,
):
    """``await asyncpg.connect(...)`` with the password given as a callable, so asyncpg asks
    for the token only when it authenticates.

    ``ssl`` is asyncpg's (``"verify-full"``, ``"disable"``, an ``ssl.SSLContext``, …);
    ``sslrootcert`` builds a verifying context from that CA file. For a pool, pass
    ``password=token_provider(...)`` to ``asyncpg.create_pool``.
    """
    import asyncpg

    if sslrootcert is not None:
        import ssl as _ssl

        ssl = _ssl.create_default_context(cafile=sslrootcert)
    password = token_provider(host if token_host is None else token_host, port, user,
                              region=region, credentials=credentials, expires_in=expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, database=database, ssl=ssl))
    params.update(kwargs)
    return await asyncpg.connect(password=password, **params)


# ------------------------------------------------------------------------------- SQLAlchemy


_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def install_sqlalchemy_hook(
    engine: Any,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    username: Optional[str] = None,
    port: Optional[int] = None,
):
    """Registers a ``do_connect`` listener on ``engine`` (sync or async) that puts a fresh
    token in the connection parameters every time the pool opens a connection.

    Host, port and user come from the connection parameters (the URL), unless given here.
    Returns ``engine``.
    """
    from sqlalchemy import event

    sync_engine = getattr(engine, "sync_engine", engine)
    default_port = _DEFAULT_PORTS.get(sync_engine.dialect.name)

    def do_connect(dialect, conn_rec, cargs, cparams):
        host = token_host or cparams.get("host") or sync_engine.url.host
        p = port or cparams.get("port") or sync_engine.url.port or default_port
        user = username or cparams.get("user") or cparams.get("username") or sync_engine.url.username
        token = rds_token(host, int(p), user, region=region, credentials=credentials,
                          expires_in=expires_in)
        # MySQLdb (and SQLAlchemy's dialects derived from it) use "passwd".
        cparams["passwd" if "passwd" in cparams else "password"] = token

    event.listen(sync_engine, "do_connect", do_connect)
    return engine


def sqlalchemy_engine(
    url: Any,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    **engine_kwargs: Any,
):
    """``sqlalchemy.create_engine(url, **engine_kwargs)`` with :func:`install_sqlalchemy_hook`.

    The URL carries no password: ``postgresql+psycopg://iam_user@host:5432/db``. Driver options
    such as ``sslmode`` go in ``connect_args``.
    """
    from sqlalchemy import create_engine

    engine = create_engine(url, **engine_kwargs)
    return install_sqlalchemy_hook(engine, region=region, credentials=credentials,
                                   expires_in=expires_in, token_host=token_host)


def sqlalchemy_async_engine(
    url: Any,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    **engine_kwargs: Any,
):
    """``sqlalchemy.ext.asyncio.create_async_engine`` (``postgresql+asyncpg://…``) with
    :func:`install_sqlalchemy_hook`."""
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, **engine_kwargs)
    return install_sqlalchemy_hook(engine, region=region, credentials=credentials,
                                   expires_in=expires_in, token_host=token_host)


# ------------------------------------------------------------------------------- MySQL


def pymysql_connect(
    host: str,
    port: int,
    user: str,
    database: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl_ca: Optional[str] = None,
    **kwargs: Any,
):
    """``pymysql.connect(...)`` with a fresh token, TLS with certificate and host-name
    verification (``ssl_ca``: the RDS CA bundle, else the system store).

    RDS asks for the ``mysql_clear_password`` plugin for IAM users; PyMySQL answers it by itself
    (it sends the password as is, which is safe only over TLS — hence TLS is not optional here
    unless you override ``ssl_verify_cert``/``ssl_disabled`` in ``kwargs``).
    """
    import pymysql

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password,
                             database=database, ssl_ca=ssl_ca))
    params.update(ssl_verify_cert=True, ssl_verify_identity=True)
    params.update(kwargs)
    return pymysql.connect(**params)


def mysqlclient_connect(
    host: str,
    port: int,
    user: str,
    database: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl_ca: Optional[str] = None,
    **kwargs: Any,
):
    """``MySQLdb.connect(...)`` (mysqlclient) with a fresh token, ``ssl_mode="VERIFY_IDENTITY"``
    and the clear-text authentication plugin enabled.

    libmysqlclient only sends a password in clear text (which RDS IAM auth requires, over TLS)
    when the plugin is enabled; mysqlclient has no connect argument for it, so this sets the
    ``LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN=1`` environment variable libmysqlclient reads (left as
    is when already set).
    """
    import MySQLdb

    os.environ.setdefault("LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN", "1")
    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password,
                             database=database))
    params["ssl_mode"] = "VERIFY_IDENTITY"
    if ssl_ca is not None:
        params["ssl"] = {"ca": ssl_ca}
    params.update(kwargs)
    return MySQLdb.connect(**params)




def _ssl_context(ssl_ca: Optional[str]):
    """A verifying TLS context (certificate and host name) for the asyncio MySQL drivers."""
    import ssl as _ssl

    return _ssl.create_default_context(cafile=ssl_ca)


async def aiomysql_connect(
    host: str,
    port: int,
    user: str,
    db: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl_ca: Optional[str] = None,
    **kwargs: Any,
):
    """``await aiomysql.connect(...)`` with a fresh token and TLS verified against ``ssl_ca``
    (else the system store); aiomysql answers the server's ``mysql_clear_password`` request.

    ``aiomysql.create_pool`` keeps the password it was created with: a pool opening connections
    after the token has expired fails. Use SQLAlchemy (``mysql+aiomysql://``) with
    :func:`sqlalchemy_async_engine` for a pool that signs a token per new connection.
    """
    import aiomysql

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password, db=db))
    params["ssl"] = _ssl_context(ssl_ca)
    params.update(kwargs)
    return await aiomysql.connect(**params)


async def asyncmy_connect(
    host: str,
    port: int,
    user: str,
    database: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl_ca: Optional[str] = None,
    **kwargs: Any,
):
    """``await asyncmy.connect(...)`` with a fresh token and TLS verified against ``ssl_ca``
    (else the system store); asyncmy answers the server's ``mysql_clear_password`` request.

    Like aiomysql's, ``asyncmy.create_pool`` keeps one password; for a pool use SQLAlchemy
    (``mysql+asyncmy://``) with :func:`sqlalchemy_async_engine`.
    """
    import asyncmy

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password,
                             database=database))
    params["ssl"] = _ssl_context(ssl_ca)
    params.update(kwargs)
    return await asyncmy.connect(**params)


_CLEARTEXT_NEEDS_TLS = (
    "mysql-connector-python sends an IAM token (the mysql_clear_password plugin) only over "
    "TLS, and RDS requires TLS for IAM logins: do not pass ssl_disabled=True; pass ssl_ca= "
    "(the RDS CA bundle) if the system trust store does not hold the server's CA"
)


def mysql_connector_connect(
    host: str,
    port: int,
    user: str,
    database: Optional[str] = None,
    *,
    region: Optional[str] = None,
    credentials: CredentialsSource = None,
    expires_in: int = 900,
    token_host: Optional[str] = None,
    ssl_ca: Optional[str] = None,
    **kwargs: Any,
):
    """``mysql.connector.connect(...)`` (mysql-connector-python) with a fresh token and TLS with
    certificate and host-name verification (``ssl_ca``, else the system store).

    mysql-connector-python refuses to send a cleartext password without TLS (its own
    ``InterfaceError: mysql_clear_password requires SSL``); this helper re-raises that error
    with the reason spelled out.
    """
    import mysql.connector

    password = _token(host, port, user, token_host, region, credentials, expires_in)
    params = _drop_none(dict(host=host, port=port, user=user, password=password,
                             database=database, ssl_ca=ssl_ca))
    params.update(ssl_verify_cert=True, ssl_verify_identity=True)
    params.update(kwargs)
    try:
        return mysql.connector.connect(**params)
    except mysql.connector.errors.InterfaceError as e:
        text = str(e)
        if "requires SSL" in text or "insecure channels" in text:
            raise mysql.connector.errors.InterfaceError(
                msg=f"{_CLEARTEXT_NEEDS_TLS} ({text})") from e
        raise
