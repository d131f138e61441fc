"""Bad input from Python raises TokenError or TypeError, never crashes."""

import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

import dbtoken
from conftest import CREDS, T0

HOST = "db.example.com"


def rds(host=HOST, port=5432, user="u", **kw):
    kw.setdefault("region", "us-east-1")
    kw.setdefault("credentials", CREDS)
    kw.setdefault("signing_time", T0)
    return dbtoken.rds_token(host, port, user, **kw)


@pytest.mark.parametrize("field, value", [
    ("host", None), ("host", 5), ("host", b"db.example.com"), ("host", ["x"]),
    ("user", None), ("user", 1.5), ("user", b"u"),
    ("port", None), ("port", "5432"), ("port", 5432.0), ("port", True),
    ("region", 1), ("region", b"us-east-1"),
    ("expires_in", None), ("expires_in", "900"), ("expires_in", 900.0), ("expires_in", False),
    ("signing_time", "2024-01-15"), ("signing_time", True), ("signing_time", [T0]),
    ("credentials", 42), ("credentials", "AKID:secret"), ("credentials", (1, 2)),
])
def test_wrong_types_raise_type_error(field, value):
    kw = {}
    args = {"host": HOST, "port": 5432, "user": "u"}
    if field in args:
        args[field] = value
    else:
        kw[field] = value
    with pytest.raises(TypeError):
        rds(args["host"], args["port"], args["user"], **kw)


@pytest.mark.parametrize("port", [-1, 65536, 2**64, -(2**70), 10**100])
def test_out_of_range_port(port):
    with pytest.raises(dbtoken.TokenError) as e:
        rds(port=port)
    assert e.value.code == "invalid_port"


@pytest.mark.parametrize("expires_in", [-1, 0, 901, 2**32, 2**64, 10**100])
def test_out_of_range_expiry(expires_in):
    with pytest.raises(dbtoken.TokenError) as e:
        rds(expires_in=expires_in)
    assert e.value.code == "expiry_out_of_range"


@pytest.mark.parametrize("t", [-1, 2**64, 10**100, 253_402_300_800, math.inf, -math.inf, math.nan])
def test_out_of_range_signing_time(t):
    with pytest.raises(dbtoken.TokenError) as e:
        rds(signing_time=t)
    assert e.value.code == "invalid_signing_time"


def test_naive_datetime_is_an_error():
    with pytest.raises(TypeError, match="naive"):
        rds(signing_time=datetime(2024, 1, 15, 12, 34, 56))
    with pytest.raises(TypeError, match="naive"):
        dbtoken.Credentials("AKID", "s", expiration=datetime(2030, 1, 1))


def test_aware_datetime_and_float_seconds():
    at = datetime(2024, 1, 15, 12, 34, 56, tzinfo=timezone.utc)
    other_tz = at.astimezone(timezone(timedelta(hours=-5)))
    assert rds(signing_time=at) == rds(signing_time=T0) == rds(signing_time=other_tz)
    assert rds(signing_time=T0 + 0.999) == rds(signing_time=T0)


def test_nul_bytes():
    with pytest.raises(dbtoken.TokenError) as e:
        rds(host="db.example.com\x00evil")
    assert e.value.code == "host_has_whitespace"
    # A NUL in a user name is data: it is percent-encoded.
    assert "DBUser=a%00b&" in rds(user="a\x00b")


@pytest.mark.parametrize("field", ["host", "user", "region", "akid", "secret", "session"])
def test_lone_surrogates(field):
    bad = "x\ud800y"
    creds = {"akid": "AKID", "secret": "s", "session": None}
    args = {"host": HOST, "user": "u", "region": "us-east-1"}
    if field in creds:
        creds[field] = bad
    else:
        args[field] = bad
    with pytest.raises(TypeError, match="surrogate"):
        rds(args["host"], 5432, args["user"], region=args["region"],
            credentials=dbtoken.Credentials(creds["akid"], creds["secret"], creds["session"]))


def test_huge_strings():
    big = "a" * 5_000_000
    with pytest.raises(dbtoken.TokenError):
        rds(host=big + ".com/")
    token = rds(user=big)
    assert len(token) > 5_000_000
    token = rds(credentials=dbtoken.Credentials("AKID", big, session_token=big))
    assert dbtoken.inspect(token).has_session_token
    with pytest.raises(dbtoken.TokenError) as e:
        dbtoken.inspect(big)
    assert e.value.code == "malformed_token"


def test_flags_must_be_bool():
    with pytest.raises(TypeError, match="admin"):
        dbtoken.dsql_token("x.dsql.us-east-1.on.aws", admin=1, credentials=CREDS)
    with pytest.raises(TypeError, match="serverless"):
        dbtoken.elasticache_token("c", "u", serverless="yes", region="us-east-1",
                                  credentials=CREDS)


def test_inspect_and_verify_types():
    for bad in (None, 1, b"token"):
        with pytest.raises(TypeError):
            dbtoken.inspect(bad)
        with pytest.raises(TypeError):
            dbtoken.verify(bad, "s", now=T0)
    with pytest.raises(TypeError):
        dbtoken.url_encode(None)


def test_cache_bad_margin():
    for bad in (-1, 10**30):
        with pytest.raises(ValueError):
            dbtoken.TokenCache.rds(HOST, 5432, "u", refresh_margin=bad)
    with pytest.raises(TypeError):
        dbtoken.TokenCache.rds(HOST, 5432, "u", refresh_margin="30")


anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


@settings(max_examples=500, deadline=None)
@given(host=anything, port=anything, user=anything, region=anything, expires_in=anything,
       signing_time=anything)
def test_fuzz_arguments_never_crash(host, port, user, region, expires_in, signing_time):
    try:
        dbtoken.rds_token(host, port, user, region=region, credentials=CREDS,
                          expires_in=expires_in, signing_time=signing_time)
    except (dbtoken.TokenError, TypeError):
        pass


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_fuzz_inspect_never_crashes(text):
    try:
        dbtoken.inspect(text)
    except (dbtoken.TokenError, TypeError):
        pass
