"""TokenCache: refresh margin, clamp to the credentials, threads and asyncio tasks."""

import asyncio
import threading
import time

import pytest

import dbtoken
from conftest import CREDS, SECRET, T0

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"


def test_refresh_margin_default_30():
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=CREDS)
    assert cache.refresh_margin == 30
    t0 = cache.token(now=T0)
    assert dbtoken.inspect(t0).signing_time == T0
    assert cache.token(now=T0 + 869) == t0
    t1 = cache.token(now=T0 + 870)
    assert t1 != t0 and dbtoken.inspect(t1).signing_time == T0 + 870
    assert t1 == dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS, signing_time=T0 + 870)


def test_custom_margin_and_clear():
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=CREDS, refresh_margin=300)
    t0 = cache.token(now=T0)
    assert cache.token(now=T0 + 599) == t0
    assert cache.token(now=T0 + 600) != t0
    t2 = cache.token(now=T0 + 601)
    cache.clear()
    assert cache.token(now=T0 + 602) != t2


def test_never_outlives_credentials():
    creds = dbtoken.Credentials("ASIAEXAMPLE", SECRET, "sess", expiration=T0 + 200)
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=creds)
    info = dbtoken.inspect(cache.token(now=T0))
    assert info.expires_at == T0 + 200
    # 30 s before the credentials expire the token is re-signed, still clamped to them
    late = dbtoken.inspect(cache.token(now=T0 + 175))
    assert late.signing_time == T0 + 175 and late.expires_at == T0 + 200
    with pytest.raises(dbtoken.TokenError) as e:
        cache.token(now=T0 + 200)
    assert e.value.code == "credentials_expired"


def test_rotated_credentials_get_a_new_token():
    current = [CREDS]
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=lambda: current[0])
    t0 = cache.token(now=T0)
    assert cache.token(now=T0 + 1) == t0
    current[0] = dbtoken.Credentials("AKIDOTHER", SECRET)
    t1 = cache.token(now=T0 + 2)
    assert dbtoken.inspect(t1).access_key_id == "AKIDOTHER"


def test_other_kinds():
    c = dbtoken.TokenCache.dsql("abc.dsql.us-east-1.on.aws", admin=True, credentials=CREDS,
                                expires_in=3600)
    assert "Action=DbConnectAdmin" in c.token(now=T0)
    e = dbtoken.TokenCache.elasticache("cache", "user", serverless=True, region="us-east-1",
                                       credentials=CREDS)
    assert "ResourceType=ServerlessCache" in e.token(now=T0)
    m = dbtoken.TokenCache.memorydb("cluster", "user", region="us-east-1", credentials=CREDS)
    assert m.token(now=T0).startswith("cluster/?Action=connect&User=user&")
    assert "TokenCache.memorydb" in repr(m) and SECRET not in repr(m)


def test_default_clock_is_now():
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=CREDS)
    info = dbtoken.inspect(cache.token())
    assert abs(info.signing_time - time.time()) < 5
    assert cache.token() == cache.token()


def test_many_threads():
    calls = []
    lock = threading.Lock()

    def provider():
        with lock:
            calls.append(1)
        return CREDS

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=provider)
    results = []
    errors = []
    barrier = threading.Barrier(16)

    def worker(i):
        try:
            barrier.wait()
            for j in range(200):
                results.append(cache.token(now=T0 + (j % 3)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 16 * 200 and len(set(results)) == 1
    assert len(calls) == 16 * 200  # credentials resolved per call, outside the lock


def test_thread_reentrancy_from_provider():
    # A credentials callable that itself uses the cache must not deadlock: no lock is held
    # while it runs.
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=CREDS)
    outer = dbtoken.TokenCache.rds(HOST, 5432, "other",
                                   credentials=lambda: (cache.token(now=T0), CREDS)[1])
    assert outer.token(now=T0) != cache.token(now=T0)


def test_asyncio_tasks_and_loop_not_blocked():
    def slow_provider():
        time.sleep(0.2)  # a botocore refresh doing network I/O
        return CREDS

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=slow_provider)

    async def main():
        ticks = 0
        stop = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        tick_task = asyncio.ensure_future(ticker())
        tokens = await asyncio.gather(*(cache.token_async(now=T0) for _ in range(20)))
        stop.set()
        await tick_task
        return tokens, ticks

    tokens, ticks = asyncio.run(main())
    assert len(set(tokens)) == 1
    assert tokens[0] == dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS, signing_time=T0)
    # 20 providers of 0.2 s ran in worker threads while the loop kept ticking
    assert ticks >= 5


def test_async_provider_awaited():
    async def provider():
        await asyncio.sleep(0)
        return CREDS

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=provider)

    async def main():
        return await cache.token_async(now=T0)

    assert asyncio.run(main()) == dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS,
                                                    signing_time=T0)


def test_async_with_static_credentials_and_env(no_aws_env):
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user")

    async def main():
        return await asyncio.gather(*(cache.token_async(now=T0) for _ in range(50)))

    assert len(set(asyncio.run(main()))) == 1
