"""TokenCache under faults: a failing credentials source, many callers at once, rotation of one
credential field at a time, and clock steps. Rotated tokens are compared with botocore's
(its clock frozen), not only verified with dbtoken."""

import asyncio
import threading
import time
from datetime import datetime, timezone
from unittest import mock

import botocore.auth
import botocore.credentials
import botocore.session
import pytest

import dbtoken
from conftest import CREDS, SECRET, T0

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
SESSION = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/="

_RDS = botocore.session.get_session().create_client(
    "rds", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def botocore_token(creds, t, expires_in=900):
    """botocore's token for HOST at time t (its clock frozen), with these credentials."""
    _RDS._request_signer._credentials = botocore.credentials.Credentials(
        creds.access_key_id, creds.secret_access_key, creds.session_token)
    frozen = datetime.fromtimestamp(t, tz=timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda *a, **k: frozen):
        return _RDS.generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="iam_user",
                                           Region="us-east-1")


class Flaky:
    """A credentials source that can be switched to failing; counts its calls."""

    def __init__(self, creds=CREDS, delay=0.0):
        self.creds = creds
        self.failing = None
        self.calls = 0
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.failing is not None:
            raise self.failing
        return self.creds


# ------------------------------------------------------------------------------- outage


def test_outage_serves_the_cached_token_above_the_floor_then_raises():
    assert dbtoken.OUTAGE_FLOOR == 5
    src = Flaky()
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", region="us-east-1", credentials=src)
    t0 = cache.token(now=T0)
    src.failing = ConnectionError("instance metadata unreachable")
    # Inside the refresh margin, still valid for at least the floor: the cached token.
    for now in (T0 + 1, T0 + 880, T0 + 900 - dbtoken.OUTAGE_FLOOR):
        assert cache.token(now=now) == t0
    calls = src.calls
    # Below the floor: credentials_unavailable, naming the source, chaining its error.
    with pytest.raises(dbtoken.TokenError) as e:
        cache.token(now=T0 + 900 - dbtoken.OUTAGE_FLOOR + 1)
    assert e.value.code == "credentials_unavailable"
    assert "Flaky" in str(e.value)
    assert isinstance(e.value.__cause__, ConnectionError)
    assert SECRET not in str(e.value) and SECRET not in repr(e.value)
    assert src.calls == calls + 1  # the source is tried again on every call
    # The source is back: a new token, signed now.
    src.failing = None
    t1 = cache.token(now=T0 + 899)
    assert dbtoken.inspect(t1).signing_time == T0 + 899
    assert t1 == botocore_token(CREDS, T0 + 899)


def test_outage_with_nothing_cached_raises_with_the_cause():
    def broken():
        raise RuntimeError("SSO session expired")

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=broken)
    with pytest.raises(dbtoken.TokenError) as e:
        cache.token(now=T0)
    assert e.value.code == "credentials_unavailable"
    assert "broken" in str(e.value)
    assert isinstance(e.value.__cause__, RuntimeError)
    with pytest.raises(dbtoken.TokenError) as e:
        asyncio.run(cache.token_async(now=T0))
    assert e.value.code == "credentials_unavailable"
    assert isinstance(e.value.__cause__, RuntimeError)


def test_outage_does_not_serve_a_token_signed_in_the_future():
    src = Flaky()
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)
    cache.token(now=T0)
    src.failing = OSError("down")
    with pytest.raises(dbtoken.TokenError) as e:
        cache.token(now=T0 - 3600)  # clock stepped back an hour
    assert e.value.code == "credentials_unavailable"


def test_outage_async_serves_the_cached_token():
    src = Flaky()
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)
    t0 = asyncio.run(cache.token_async(now=T0))
    src.failing = TimeoutError("imds")
    assert asyncio.run(cache.token_async(now=T0 + 600)) == t0


def test_a_wrongly_shaped_source_is_a_type_error_not_an_outage():
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=lambda: 42)
    with pytest.raises(TypeError):
        cache.token(now=T0)


# ------------------------------------------------------------------------- single flight


def test_threads_on_a_cold_cache_call_the_source_once():
    src = Flaky(delay=0.3)
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)
    start = threading.Barrier(16)
    out = []

    def worker():
        start.wait()
        out.append(cache.token(now=T0))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 16 and len(set(out)) == 1
    assert src.calls == 1
    assert out[0] == botocore_token(CREDS, T0)


def test_asyncio_tasks_on_a_cold_cache_call_the_source_once():
    src = Flaky(delay=0.3)
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)

    async def main():
        return await asyncio.gather(*(cache.token_async(now=T0) for _ in range(16)))

    out = asyncio.run(main())
    assert len(set(out)) == 1 and src.calls == 1


def test_async_source_called_once_for_concurrent_tasks():
    calls = 0

    async def source():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return CREDS

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=source)

    async def main():
        return await asyncio.gather(*(cache.token_async(now=T0) for _ in range(10)))

    assert len(set(asyncio.run(main()))) == 1 and calls == 1


def test_threads_and_tasks_together_share_one_call_and_one_failure():
    src = Flaky(delay=0.3)
    src.failing = ConnectionError("down")
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)
    errors = []
    start = threading.Barrier(5)

    def worker():
        start.wait()
        try:
            cache.token(now=T0)
        except dbtoken.TokenError as e:
            errors.append(e)

    async def tasks():
        start.wait()
        return await asyncio.gather(*(cache.token_async(now=T0) for _ in range(4)),
                                    return_exceptions=True)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    results = asyncio.run(tasks())
    for t in threads:
        t.join()
    errors += results
    assert len(errors) == 8
    assert all(isinstance(e, dbtoken.TokenError) and e.code == "credentials_unavailable"
               and isinstance(e.__cause__, ConnectionError) for e in errors)
    assert src.calls == 1


# ------------------------------------------------------------------------------ rotation


@pytest.mark.parametrize("field", ["secret", "session_token", "expiration"])
def test_rotating_one_field_gives_a_token_for_the_new_credentials(field):
    old = dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION, expiration=T0 + 3600)
    new = {
        "secret": dbtoken.Credentials("ASIAEXAMPLE", "rotated/" + SECRET, SESSION, T0 + 3600),
        "session_token": dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION + "NEW", T0 + 3600),
        "expiration": dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION, expiration=T0 + 400),
    }[field]
    src = Flaky(old)
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", region="us-east-1", credentials=src)
    t0 = cache.token(now=T0)
    assert cache.token(now=T0 + 5) == t0
    src.creds = new
    t1 = cache.token(now=T0 + 10)
    assert t1 != t0
    info = dbtoken.verify(t1, new.secret_access_key, now=T0 + 10)
    assert info.signing_time == T0 + 10
    assert info.expires_at == min(T0 + 10 + 900, new.expires_at)
    if field != "expiration":  # botocore does not clamp to the credentials' expiry
        assert t1 == botocore_token(new, T0 + 10)
    else:
        assert "X-Amz-Expires=390&" in t1
    if field == "secret":
        with pytest.raises(dbtoken.TokenError) as e:
            dbtoken.verify(t1, SECRET, now=T0 + 10)
        assert e.value.code == "signature_mismatch"


# ---------------------------------------------------------------------------- clock steps


def test_clock_steps_never_give_a_future_or_expired_token():
    src = Flaky()
    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", credentials=src)
    now = T0
    for step in (0, -3 * 3600, 5, 7 * 3600, -1, -26 * 3600, 899, 1, 400 * 86400, -400 * 86400):
        now += step
        token = cache.token(now=now)
        info = dbtoken.verify(token, SECRET, now=now)  # raises when not yet valid or expired
        assert info.signing_time <= now and info.expires_at > now + cache.refresh_margin
        assert token == botocore_token(CREDS, info.signing_time)
