"""Pools across the token's lifetime, against the local IAM-auth PostgreSQL and MariaDB (both
check expiry through `dbtoken verify`).

Each test makes tokens that live 2 seconds, takes one connection from the pool and keeps it
(so the next checkout must open a new connection), waits until the token has expired, and takes
a second connection from the same pool: the documented pattern signs a new token for it and
succeeds. Next to it, the same pool built the common wrong way, with one token fixed at start-up
as its password, fails to open that second connection: the bug these patterns avoid.
"""

import asyncio
import time

import pytest

import dbtoken
from dbtoken import connect

LIFETIME = 2  # seconds; the servers refuse a token at signing time + LIFETIME
WAIT = LIFETIME + 1.5


def pg_token(pg):
    return dbtoken.rds_token(pg.token_host, pg.port, pg.user, region=pg.region,
                             credentials=pg.creds, expires_in=LIFETIME)


def my_token(my):
    return my.token(expires_in=LIFETIME)


def refused(exc_info, text="authentication failed"):
    """The failure is the server refusing the (expired) token, not anything else."""
    chain, err = [], exc_info.value
    while err is not None and len(chain) < 10:
        chain.append(str(err))
        err = err.__cause__ or err.__context__
    assert any(text in t for t in chain), chain


# ------------------------------------------------------------------------------- PostgreSQL


def test_psycopg_pool(pg):
    from psycopg_pool import ConnectionPool, PoolTimeout

    conninfo = f"host={pg.host} port={pg.port} user={pg.user} dbname=postgres sslmode=disable"
    provide = connect.token_provider(pg.token_host, pg.port, pg.user, region=pg.region,
                                     credentials=pg.creds, expires_in=LIFETIME)
    # psycopg_pool >= 3.3 calls `kwargs` for every new connection when it is a callable.
    good = ConnectionPool(conninfo, kwargs=lambda: {"password": provide()},
                          min_size=1, max_size=2, open=True)
    fixed = ConnectionPool(conninfo, kwargs={"password": pg_token(pg)},
                           min_size=1, max_size=2, open=True, reconnect_timeout=0)
    try:
        good.wait(5)
        fixed.wait(5)
        held = [good.getconn(), fixed.getconn()]
        time.sleep(WAIT)
        with good.connection(timeout=10) as c:
            assert c.execute("select current_user").fetchone()[0] == pg.user
        with pytest.raises(PoolTimeout):
            with fixed.connection(timeout=3):
                pass
        good.putconn(held[0])
        fixed.putconn(held[1])
    finally:
        good.close()
        fixed.close()


def test_psycopg2_pool(pg):
    import psycopg2
    from psycopg2.pool import ThreadedConnectionPool

    params = dict(host=pg.host, port=pg.port, user=pg.user, dbname="postgres", sslmode="disable")
    good = ThreadedConnectionPool(1, 2, connection_factory=connect.psycopg2_connection_factory(
        region=pg.region, credentials=pg.creds, expires_in=LIFETIME, token_host=pg.token_host),
        **params)
    fixed = ThreadedConnectionPool(1, 2, password=pg_token(pg), **params)
    try:
        held = [good.getconn(), fixed.getconn()]
        time.sleep(WAIT)
        conn = good.getconn()
        cur = conn.cursor()
        cur.execute("select current_user")
        assert cur.fetchone()[0] == pg.user
        good.putconn(conn)
        with pytest.raises(psycopg2.OperationalError) as e:
            fixed.getconn()
        refused(e, "PAM authentication failed")
        good.putconn(held[0])
        fixed.putconn(held[1])
    finally:
        good.closeall()
        fixed.closeall()


def test_sqlalchemy_postgresql_pool(pg):
    import sqlalchemy
    from sqlalchemy import URL

    url = f"postgresql+psycopg://{pg.user}@{pg.host}:{pg.port}/postgres"
    good = connect.sqlalchemy_engine(url, region=pg.region, credentials=pg.creds,
                                     expires_in=LIFETIME, token_host=pg.token_host,
                                     connect_args={"sslmode": "disable"}, pool_size=2)
    fixed = sqlalchemy.create_engine(
        URL.create("postgresql+psycopg", pg.user, pg_token(pg), pg.host, pg.port, "postgres"),
        connect_args={"sslmode": "disable"}, pool_size=2)
    try:
        held = [good.connect(), fixed.connect()]
        time.sleep(WAIT)
        with good.connect() as c:
            assert c.exec_driver_sql("select current_user").scalar() == pg.user
        with pytest.raises(sqlalchemy.exc.OperationalError) as e:
            fixed.connect()
        refused(e, "PAM authentication failed")
        for c in held:
            c.close()
    finally:
        good.dispose()
        fixed.dispose()


def test_asyncpg_pool(pg):
    import asyncpg

    async def main():
        good = await asyncpg.create_pool(
            host=pg.host, port=pg.port, user=pg.user, database="postgres", ssl="disable",
            min_size=1, max_size=2,
            password=connect.token_provider(pg.token_host, pg.port, pg.user, region=pg.region,
                                            credentials=pg.creds, expires_in=LIFETIME))
        fixed = await asyncpg.create_pool(
            host=pg.host, port=pg.port, user=pg.user, database="postgres", ssl="disable",
            min_size=1, max_size=2, password=pg_token(pg))
        try:
            held = [await good.acquire(), await fixed.acquire()]
            await asyncio.sleep(WAIT)
            async with good.acquire() as c:
                assert await c.fetchval("select current_user") == pg.user
            with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError) as e:
                await fixed.acquire()
            refused(e, "PAM authentication failed")
            await good.release(held[0])
            await fixed.release(held[1])
        finally:
            await good.close()
            await fixed.close()

    asyncio.run(main())


# ------------------------------------------------------------------------------- MySQL


def test_sqlalchemy_mysql_pool(my):
    import sqlalchemy
    from sqlalchemy import URL

    ssl = {"ssl": {"ca": my.ca, "check_hostname": True}}
    good = connect.sqlalchemy_engine(f"mysql+pymysql://{my.user}@{my.host}:{my.port}/{my.database}",
                                     region=my.region, credentials=my.creds, expires_in=LIFETIME,
                                     token_host=my.token_host, connect_args=ssl, pool_size=2)
    fixed = sqlalchemy.create_engine(
        URL.create("mysql+pymysql", my.user, my_token(my), my.host, my.port, my.database),
        connect_args=ssl, pool_size=2)
    try:
        held = [good.connect(), fixed.connect()]
        time.sleep(WAIT)
        with good.connect() as c:
            assert c.exec_driver_sql("select current_user()").scalar() == f"{my.user}@%"
        with pytest.raises(sqlalchemy.exc.OperationalError) as e:
            fixed.connect()
        refused(e, "Access denied")
        for c in held:
            c.close()
    finally:
        good.dispose()
        fixed.dispose()


@pytest.mark.parametrize("driver", ["aiomysql", "asyncmy"])
def test_async_mysql_pool(my, driver):
    """aiomysql.create_pool / asyncmy.create_pool keep the password they were created with: they
    are the "fixed" side here. SQLAlchemy's async engine over the same driver, with dbtoken's
    do_connect hook, is the pool that keeps working."""
    import importlib

    mod = importlib.import_module(driver)
    errors = importlib.import_module("pymysql.err" if driver == "aiomysql" else "asyncmy.errors")

    async def main():
        ssl = connect._ssl_context(my.ca)
        good = connect.sqlalchemy_async_engine(
            f"mysql+{driver}://{my.user}@{my.host}:{my.port}/{my.database}", region=my.region,
            credentials=my.creds, expires_in=LIFETIME, token_host=my.token_host,
            connect_args={"ssl": ssl}, pool_size=2)
        db = {"db": my.database} if driver == "aiomysql" else {"database": my.database}
        fixed = await mod.create_pool(host=my.host, port=my.port, user=my.user,
                                      password=my_token(my), ssl=ssl, minsize=1, maxsize=2, **db)
        try:
            held = [await good.connect(), await fixed.acquire()]
            await asyncio.sleep(WAIT)
            async with good.connect() as c:
                who = (await c.exec_driver_sql("select current_user()")).scalar()
                assert who == f"{my.user}@%"
            with pytest.raises(errors.OperationalError) as e:
                await fixed.acquire()
            refused(e, "Access denied")
            await held[0].close()
            fixed.release(held[1])
        finally:
            await good.dispose()
            fixed.close()
            await fixed.wait_closed()

    asyncio.run(main())
