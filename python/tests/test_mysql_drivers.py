"""Real MySQL drivers against the local IAM-auth MariaDB (scripts/mysql-iam.sh), set up like RDS
MySQL: the server asks for mysql_clear_password, the IAM users are REQUIRE SSL, and its PAM
module runs `dbtoken verify` on the password, so a login succeeds only with a valid token for
that user, host:port and region.

Every driver goes through its dbtoken.connect helper with TLS verified against the server's CA.
Each one must: sign a fresh token per new connection, run over TLS, fail the handshake with a CA
that did not sign the server's certificate, and be refused with a token for another user, host,
port or region, signed with another secret, expired, not yet valid or tampered with."""

import asyncio
import subprocess
import time

import pytest

from conftest import CountingCredentials
from dbtoken import connect

SSL_VERSION = "select variable_value from information_schema.session_status where variable_name = 'Ssl_version'"
WHO = f"select current_user(), ({SSL_VERSION})"


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory):
    """A CA certificate that did not sign the server's certificate."""
    d = tmp_path_factory.mktemp("other-ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=some other CA", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "ca.pem")], check=True, capture_output=True)
    return str(d / "ca.pem")


# Each driver: connect through its helper, run WHO, close. `password` (a bad token) replaces the
# token the helper signs, by the helper's documented override (extra kwargs go to the driver).


def run_pymysql(my, creds, ssl_ca, password=None):
    extra = {} if password is None else {"password": password}
    conn = connect.pymysql_connect(my.host, my.port, my.user, my.database, region=my.region,
                                   credentials=creds, token_host=my.token_host, ssl_ca=ssl_ca,
                                   **extra)
    try:
        with conn.cursor() as cur:
            cur.execute(WHO)
            return cur.fetchone()
    finally:
        conn.close()


def run_mysqlclient(my, creds, ssl_ca, password=None):
    extra = {} if password is None else {"password": password}
    conn = connect.mysqlclient_connect(my.host, my.port, my.user, my.database, region=my.region,
                                       credentials=creds, token_host=my.token_host,
                                       ssl_ca=ssl_ca, **extra)
    try:
        cur = conn.cursor()
        cur.execute(WHO)
        return cur.fetchone()
    finally:
        conn.close()


def run_mysql_connector(my, creds, ssl_ca, password=None):
    # The pure-Python implementation: the C extension of mysql-connector-python 26 needs
    # OpenSSL 3.2 and does not load on Debian 12 (OpenSSL 3.0), so connect() falls back to it.
    extra = {} if password is None else {"password": password}
    conn = connect.mysql_connector_connect(my.host, my.port, my.user, my.database,
                                           region=my.region, credentials=creds,
                                           token_host=my.token_host, ssl_ca=ssl_ca, **extra)
    try:
        cur = conn.cursor()
        cur.execute(WHO)
        return cur.fetchone()
    finally:
        conn.close()


def run_aiomysql(my, creds, ssl_ca, password=None):
    extra = {} if password is None else {"password": password}

    async def main():
        conn = await connect.aiomysql_connect(my.host, my.port, my.user, my.database,
                                              region=my.region, credentials=creds,
                                              token_host=my.token_host, ssl_ca=ssl_ca, **extra)
        try:
            async with conn.cursor() as cur:
                await cur.execute(WHO)
                return await cur.fetchone()
        finally:
            conn.close()

    return asyncio.run(main())


def run_asyncmy(my, creds, ssl_ca, password=None):
    extra = {} if password is None else {"password": password}

    async def main():
        conn = await connect.asyncmy_connect(my.host, my.port, my.user, my.database,
                                             region=my.region, credentials=creds,
                                             token_host=my.token_host, ssl_ca=ssl_ca, **extra)
        try:
            async with conn.cursor() as cur:
                await cur.execute(WHO)
                return await cur.fetchone()
        finally:
            await conn.ensure_closed()

    return asyncio.run(main())


def _override_password(engine, password):
    # Registered after dbtoken's do_connect listener, so it runs last and replaces the token.
    from sqlalchemy import event

    if password is not None:
        event.listen(getattr(engine, "sync_engine", engine), "do_connect",
                     lambda dialect, rec, cargs, cparams: cparams.update(password=password))


def run_sqlalchemy_pymysql(my, creds, ssl_ca, password=None):
    from sqlalchemy.pool import NullPool

    engine = connect.sqlalchemy_engine(
        f"mysql+pymysql://{my.user}@{my.host}:{my.port}/{my.database}", region=my.region,
        credentials=creds, token_host=my.token_host, poolclass=NullPool,
        connect_args={"ssl": {"ca": ssl_ca, "check_hostname": True}})
    _override_password(engine, password)
    try:
        with engine.connect() as c:
            return tuple(c.exec_driver_sql(WHO).one())
    finally:
        engine.dispose()


def run_sqlalchemy_async(driver):
    def run(my, creds, ssl_ca, password=None):
        from sqlalchemy.pool import NullPool

        async def main():
            engine = connect.sqlalchemy_async_engine(
                f"mysql+{driver}://{my.user}@{my.host}:{my.port}/{my.database}",
                region=my.region, credentials=creds, token_host=my.token_host,
                poolclass=NullPool, connect_args={"ssl": connect._ssl_context(ssl_ca)})
            _override_password(engine, password)
            try:
                async with engine.connect() as c:
                    return tuple((await c.exec_driver_sql(WHO)).one())
            finally:
                await engine.dispose()

        return asyncio.run(main())

    return run


DRIVERS = {
    "pymysql": run_pymysql,
    "mysqlclient": run_mysqlclient,
    "mysql-connector": run_mysql_connector,
    "aiomysql": run_aiomysql,
    "asyncmy": run_asyncmy,
    "sqlalchemy-pymysql": run_sqlalchemy_pymysql,
    "sqlalchemy-aiomysql": run_sqlalchemy_async("aiomysql"),
    "sqlalchemy-asyncmy": run_sqlalchemy_async("asyncmy"),
}


def verify_log(my):
    """One line per PAM check (`... user=NAME rc=N`); the file appears with the first login."""
    return my.verify_log.read_text().splitlines() if my.verify_log.exists() else []


@pytest.mark.parametrize("driver", DRIVERS)
def test_fresh_token_per_connection_over_verified_tls(my, driver):
    run = DRIVERS[driver]
    creds = CountingCredentials(my.secret)
    before = len(verify_log(my))
    for _ in range(2):
        user, tls = run(my, creds, my.ca)
        assert user == f"{my.user}@%"
        assert tls.startswith("TLSv1.")
    # One token signed per connection, and the server's PAM check accepted each of them.
    assert creds.calls == 2
    checks = verify_log(my)[before:]
    assert len(checks) == 2 and all(c.endswith(f"user={my.user} rc=0") for c in checks)


@pytest.mark.parametrize("driver", DRIVERS)
def test_untrusted_ca_fails_the_handshake(my, driver, other_ca):
    before = len(verify_log(my))
    with pytest.raises(Exception) as e:
        DRIVERS[driver](my, my.creds, other_ca)
    # aiomysql reports "Can't connect" (2003) with the ssl error as its cause: walk the chain.
    chain, err = [], e.value
    while err is not None and len(chain) < 10:
        chain.append(str(err).lower())
        err = err.__cause__ or err.__context__
    assert any("certificate" in text for text in chain), chain
    assert len(verify_log(my)) == before  # the token never left the client


def tampered(my):
    good = my.token()
    assert "DBUser=iam_user" in good
    return good.replace("DBUser=iam_user", "DBUser=iam_usex")


BAD_TOKENS = {
    "other-user": lambda my: my.token("app_user"),
    "other-host": lambda my: my.token(host="localhost"),
    "other-port": lambda my: my.token(port=my.port + 1),
    "other-region": lambda my: my.token(region="us-west-2"),
    "other-secret": lambda my: my.token(secret=my.secret + "x"),
    "expired": lambda my: my.token(signing_time=int(time.time()) - 1000),
    "expired-short": lambda my: my.token(signing_time=int(time.time()) - 5, expires_in=2),
    "not-yet-valid": lambda my: my.token(signing_time=int(time.time()) + 600),
    "tampered": tampered,
    "plain-password": lambda my: "hunter2",
}


@pytest.mark.parametrize("case", BAD_TOKENS)
@pytest.mark.parametrize("driver", DRIVERS)
def test_refused(my, driver, case):
    before = len(verify_log(my))
    with pytest.raises(Exception) as e:
        DRIVERS[driver](my, my.creds, my.ca, password=BAD_TOKENS[case](my))
    assert f"Access denied for user '{my.user}'" in str(e.value)
    checks = verify_log(my)[before:]
    assert len(checks) == 1 and checks[0].endswith(f"user={my.user} rc=1")


def test_mysql_connector_without_tls_says_why(my):
    import mysql.connector

    before = len(verify_log(my))
    with pytest.raises(mysql.connector.errors.InterfaceError) as e:
        connect.mysql_connector_connect(my.host, my.port, my.user, my.database,
                                        region=my.region, credentials=my.creds,
                                        token_host=my.token_host, ssl_disabled=True)
    assert "only over TLS" in str(e.value)
    assert "mysql_clear_password requires SSL" in str(e.value)
    assert len(verify_log(my)) == before  # it refused before sending the token


def test_pymysql_without_tls_is_refused_but_the_token_was_sent(my):
    # REQUIRE SSL refuses the login only after the server has read the token: without TLS a
    # token crosses the network in clear text. The helpers keep TLS on for this reason.
    import pymysql

    before = len(verify_log(my))
    with pytest.raises(pymysql.err.OperationalError) as e:
        connect.pymysql_connect(my.host, my.port, my.user, my.database, region=my.region,
                                credentials=my.creds, token_host=my.token_host,
                                ssl_disabled=True, ssl_verify_cert=False,
                                ssl_verify_identity=False)
    assert e.value.args[0] == 1045
    assert verify_log(my)[before:][-1].endswith(f"user={my.user} rc=0")
