"""Connection helpers, checked for the arguments they pass to each driver (offline, against an
RDS host name). The same helpers log in to real servers in test_drivers.py (PostgreSQL),
test_mysql_drivers.py (MariaDB) and test_pools.py.
"""

import sys
import types
from urllib.parse import unquote, urlsplit

import pymysql
import pytest

import dbtoken
from dbtoken import connect
from conftest import CREDS, SECRET, T0

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return "connection"


def check_token(token, host, port, user):
    info = dbtoken.verify(token, SECRET)
    assert (info.host, info.port, info.user) == (host, port, user)


def test_pymysql_arguments(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(pymysql, "connect", rec)
    assert connect.pymysql_connect(HOST, 3306, "iam_user", "app", credentials=CREDS,
                                   ssl_ca="/etc/rds-ca.pem", connect_timeout=5) == "connection"
    (args, kw), = rec.calls
    assert args == ()
    check_token(kw.pop("password"), HOST, 3306, "iam_user")
    assert kw == dict(host=HOST, port=3306, user="iam_user", database="app",
                      ssl_ca="/etc/rds-ca.pem", ssl_verify_cert=True, ssl_verify_identity=True,
                      connect_timeout=5)


def test_pymysql_answers_mysql_clear_password():
    # RDS switches IAM users to mysql_clear_password; PyMySQL must send the token as is + NUL.
    import inspect
    src = inspect.getsource(pymysql.connections.Connection._process_auth)
    assert 'b"mysql_clear_password"' in src and 'self.password + b"\\0"' in src


def test_mysqlclient_arguments(monkeypatch):
    rec = Recorder()
    monkeypatch.setitem(sys.modules, "MySQLdb", types.SimpleNamespace(connect=rec))
    monkeypatch.delenv("LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN", raising=False)
    connect.mysqlclient_connect("127.0.0.1", 3306, "iam_user", "app", token_host=HOST,
                                credentials=CREDS, ssl_ca="/etc/rds-ca.pem")
    (args, kw), = rec.calls
    check_token(kw.pop("password"), HOST, 3306, "iam_user")
    assert kw == dict(host="127.0.0.1", port=3306, user="iam_user", database="app",
                      ssl_mode="VERIFY_IDENTITY", ssl={"ca": "/etc/rds-ca.pem"})
    import os
    assert os.environ["LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN"] == "1"


def test_psycopg_arguments(monkeypatch):
    import psycopg
    import psycopg2

    for module, helper, in ((psycopg, connect.psycopg_connect), (psycopg2, connect.psycopg2_connect)):
        rec = Recorder()
        monkeypatch.setattr(module, "connect", rec)
        helper(HOST, 5432, "iam_user", "app", credentials=CREDS, sslrootcert="/ca.pem",
               application_name="x")
        (args, kw), = rec.calls
        check_token(kw.pop("password"), HOST, 5432, "iam_user")
        assert kw == dict(host=HOST, port=5432, user="iam_user", dbname="app",
                          sslmode="verify-full", sslrootcert="/ca.pem", application_name="x")


def test_token_provider_fresh_each_call(monkeypatch):
    provide = connect.token_provider(HOST, 5432, "iam_user", credentials=CREDS)
    times = iter([T0, T0 + 5])
    monkeypatch.setattr(dbtoken._time, "time", lambda: next(times))
    a, b = provide(), provide()
    assert dbtoken.inspect(a).signing_time == T0 and dbtoken.inspect(b).signing_time == T0 + 5


def test_dsn_percent_encodes_the_token():
    url = dbtoken.dsn(HOST, 5432, "jane doe@corp", "my db", credentials=CREDS, signing_time=T0,
                      query={"sslmode": "verify-full", "application_name": "a&b"})
    parts = urlsplit(url)
    assert parts.scheme == "postgresql"
    assert (parts.hostname, parts.port, parts.path) == (HOST, 5432, "/my%20db")
    assert unquote(parts.username) == "jane doe@corp"
    token = unquote(parts.password)
    assert token == dbtoken.rds_token(HOST, 5432, "jane doe@corp", credentials=CREDS,
                                      signing_time=T0)
    assert parts.query == "sslmode=verify-full&application_name=a%26b"
    assert dbtoken.dsn(HOST, 3306, "u", scheme="mysql", token="t/o%k", host="127.0.0.1") == \
        "mysql://u:t%2Fo%25k@127.0.0.1:3306"


def test_url_encode():
    assert dbtoken.url_encode("a b/+=&%~._-é") == "a%20b%2F%2B%3D%26%25~._-%C3%A9"


def test_sqlalchemy_hook_sets_password_per_connection():
    from sqlalchemy import create_engine

    engine = create_engine(f"postgresql+psycopg://iam_user@{HOST}:5433/app")
    connect.install_sqlalchemy_hook(engine, credentials=CREDS)
    cparams = {"host": HOST, "port": 5433, "user": "iam_user", "dbname": "app"}
    for fn in engine.dialect.dispatch.do_connect:
        fn(engine.dialect, None, [], cparams)
    check_token(cparams["password"], HOST, 5433, "iam_user")

    mysql = create_engine(f"mysql+pymysql://iam_user@{HOST}/app")
    connect.install_sqlalchemy_hook(mysql, credentials=CREDS, token_host=HOST)
    cparams = {"host": HOST, "user": "iam_user", "passwd": ""}
    for fn in mysql.dialect.dispatch.do_connect:
        fn(mysql.dialect, None, [], cparams)
    check_token(cparams["passwd"], HOST, 3306, "iam_user")
    assert "password" not in cparams


def test_mysql_connector_arguments(monkeypatch):
    import mysql.connector

    rec = Recorder()
    monkeypatch.setattr(mysql.connector, "connect", rec)
    connect.mysql_connector_connect(HOST, 3306, "iam_user", "app", credentials=CREDS,
                                    ssl_ca="/etc/rds-ca.pem", connection_timeout=5)
    (args, kw), = rec.calls
    check_token(kw.pop("password"), HOST, 3306, "iam_user")
    assert kw == dict(host=HOST, port=3306, user="iam_user", database="app",
                      ssl_ca="/etc/rds-ca.pem", ssl_verify_cert=True, ssl_verify_identity=True,
                      connection_timeout=5)


@pytest.mark.parametrize("driver, db_key", [("aiomysql", "db"), ("asyncmy", "database")])
def test_async_mysql_arguments(monkeypatch, driver, db_key):
    import asyncio
    import importlib
    import ssl

    rec = Recorder()

    async def fake_connect(*args, **kwargs):
        return rec(*args, **kwargs)

    monkeypatch.setattr(importlib.import_module(driver), "connect", fake_connect)
    helper = getattr(connect, f"{driver}_connect")
    assert asyncio.run(helper(HOST, 3306, "iam_user", "app", credentials=CREDS)) == "connection"
    (args, kw), = rec.calls
    check_token(kw.pop("password"), HOST, 3306, "iam_user")
    context = kw.pop("ssl")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert kw == {"host": HOST, "port": 3306, "user": "iam_user", db_key: "app"}
