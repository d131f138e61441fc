"""Real drivers against the local IAM-auth PostgreSQL (scripts/pg-iam.sh): the server's PAM
module runs `dbtoken verify` on the password, so a login succeeds only with a valid token for
that user, host:port and region."""

import asyncio

import pytest

import dbtoken
from dbtoken import connect


def test_psycopg(pg):
    with connect.psycopg_connect(pg.host, pg.port, pg.user, "postgres", region=pg.region,
                                 credentials=pg.creds, token_host=pg.token_host,
                                 sslmode="disable") as conn:
        assert conn.execute("select current_user").fetchone()[0] == pg.user


def test_psycopg_rejects_a_wrong_secret(pg):
    import psycopg

    bad = dbtoken.Credentials("AKIDEXAMPLE", pg.secret + "x")
    with pytest.raises(psycopg.OperationalError):
        connect.psycopg_connect(pg.host, pg.port, pg.user, "postgres", region=pg.region,
                                credentials=bad, token_host=pg.token_host, sslmode="disable")


def test_psycopg_with_a_dsn(pg):
    import psycopg

    url = dbtoken.dsn(pg.token_host, pg.port, pg.user, "postgres", host=pg.host,
                      region=pg.region, credentials=pg.creds, query={"sslmode": "disable"})
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone()[0] == 1


def test_psycopg2(pg):
    conn = connect.psycopg2_connect(pg.host, pg.port, pg.user, "postgres", region=pg.region,
                                    credentials=pg.creds, token_host=pg.token_host,
                                    sslmode="disable")
    try:
        cur = conn.cursor()
        cur.execute("select current_user")
        assert cur.fetchone()[0] == pg.user
    finally:
        conn.close()


def test_asyncpg_and_pool(pg):
    import asyncpg

    async def main():
        conn = await connect.asyncpg_connect(pg.host, pg.port, pg.user, "postgres",
                                             region=pg.region, credentials=pg.creds,
                                             token_host=pg.token_host, ssl="disable")
        try:
            user = await conn.fetchval("select current_user")
        finally:
            await conn.close()
        pool = await asyncpg.create_pool(
            host=pg.host, port=pg.port, user=pg.user, database="postgres", ssl="disable",
            min_size=0, max_size=3,
            password=connect.token_provider(pg.token_host, pg.port, pg.user, region=pg.region,
                                            credentials=pg.creds))
        try:
            values = await asyncio.gather(*(pool.fetchval("select $1::int", i) for i in range(6)))
        finally:
            await pool.close()
        return user, values

    user, values = asyncio.run(main())
    assert user == pg.user and values == list(range(6))


def test_sqlalchemy_pool_refreshes(pg):
    from sqlalchemy.pool import NullPool

    engine = connect.sqlalchemy_engine(
        f"postgresql+psycopg://{pg.user}@{pg.host}:{pg.port}/postgres", region=pg.region,
        credentials=pg.creds, token_host=pg.token_host, connect_args={"sslmode": "disable"},
        poolclass=NullPool)
    try:
        for _ in range(3):  # NullPool: every checkout is a new connection with a new token
            with engine.connect() as c:
                assert c.exec_driver_sql("select current_user").scalar() == pg.user
    finally:
        engine.dispose()


def test_sqlalchemy_async_asyncpg(pg):
    async def main():
        engine = connect.sqlalchemy_async_engine(
            f"postgresql+asyncpg://{pg.user}@{pg.host}:{pg.port}/postgres", region=pg.region,
            credentials=pg.creds, token_host=pg.token_host, connect_args={"ssl": "disable"})
        try:
            async with engine.connect() as c:
                return (await c.exec_driver_sql("select current_user")).scalar()
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == pg.user
