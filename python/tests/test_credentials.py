"""Credential sources: environment, Credentials, botocore objects, dicts, callables."""

import pickle
from datetime import datetime, timedelta, timezone

import botocore.credentials
import pytest

import dbtoken
from conftest import CREDS, SECRET, T0

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"


def tok(credentials, **kw):
    return dbtoken.rds_token(HOST, 5432, "iam_user", credentials=credentials, signing_time=T0, **kw)


def test_environment(no_aws_env):
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert tok(None) == tok(CREDS)
    no_aws_env.setenv("AWS_SESSION_TOKEN", "session+/=")
    t = tok(None)
    assert "X-Amz-Security-Token=session%2B%2F%3D&" in t
    assert t == tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET, "session+/="))
    assert dbtoken.Credentials.from_env() == dbtoken.Credentials("AKIDEXAMPLE", SECRET, "session+/=")


def test_environment_missing(no_aws_env):
    with pytest.raises(dbtoken.TokenError) as e:
        tok(None)
    assert e.value.code == "empty_access_key_id"
    assert "AWS_ACCESS_KEY_ID" in str(e.value)
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    with pytest.raises(dbtoken.TokenError) as e:
        tok(None)
    assert e.value.code == "empty_secret_access_key"


def test_repr_never_shows_secrets():
    c = dbtoken.Credentials("ASIAEXAMPLE", "TOPSECRETVALUE", "SESSIONTOKENVALUE", 1_900_000_000)
    for text in (repr(c), str(c), f"{c}", repr([c])):
        assert "ASIAEXAMPLE" in text
        assert "TOPSECRET" not in text and "SESSIONTOKEN" not in text
    assert "session_token=None" in repr(dbtoken.Credentials("A", "B"))


def test_credentials_are_immutable():
    with pytest.raises(AttributeError):
        CREDS.secret_access_key = "x"


def test_credentials_expiration_forms():
    aware = datetime.fromtimestamp(T0 + 600, tz=timezone.utc)
    assert dbtoken.Credentials("A", "B", expiration=aware).expires_at == T0 + 600
    assert dbtoken.Credentials("A", "B", expiration=T0 + 600.7).expires_at == T0 + 600
    assert dbtoken.Credentials("A", "B").expires_at is None


def test_clamped_to_credentials_expiry():
    c = dbtoken.Credentials("AKIDEXAMPLE", SECRET, expiration=T0 + 120)
    info = dbtoken.inspect(tok(c))
    assert (info.expires_in, info.expires_at) == (120, T0 + 120)
    with pytest.raises(dbtoken.TokenError) as e:
        tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET, expiration=T0))
    assert e.value.code == "credentials_expired"
    with pytest.raises(dbtoken.TokenError) as e:
        tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET, expiration=-(10**30)))
    assert e.value.code == "credentials_expired"
    far = dbtoken.Credentials("AKIDEXAMPLE", SECRET, expiration=10**30)
    assert tok(far) == tok(CREDS)


def test_botocore_frozen_and_plain_credentials():
    plain = botocore.credentials.Credentials("AKIDEXAMPLE", SECRET, "tok")
    expected = tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET, "tok"))
    assert tok(plain) == expected
    assert tok(plain.get_frozen_credentials()) == expected  # ReadOnlyCredentials namedtuple


def test_botocore_refreshable_credentials_clamp_and_refresh():
    calls = []
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)

    def refresh():
        calls.append(1)
        return {"access_key": "ASIAREFRESHED", "secret_key": SECRET, "token": "sess",
                "expiry_time": expiry.isoformat()}

    rc = botocore.credentials.RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="test")
    now = int(datetime.now(timezone.utc).timestamp())
    token = dbtoken.rds_token(HOST, 5432, "u", credentials=rc, signing_time=now)
    info = dbtoken.inspect(token)
    assert info.access_key_id == "ASIAREFRESHED" and info.has_session_token
    # Expiry read from botocore's _expiry_time: 900 s fits in the hour, so no clamp.
    assert info.expires_in == 900
    near = int(expiry.timestamp()) - 100
    assert dbtoken.inspect(dbtoken.rds_token(HOST, 5432, "u", credentials=rc,
                                             signing_time=near)).expires_at == int(expiry.timestamp())


def test_dict_credentials():
    sts = {"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": SECRET, "SessionToken": "s",
           "Expiration": datetime.fromtimestamp(T0 + 60, tz=timezone.utc)}
    assert dbtoken.inspect(tok(sts)).expires_at == T0 + 60
    snake = {"access_key_id": "ASIAEXAMPLE", "secret_access_key": SECRET, "session_token": "s",
             "expiration": T0 + 60}
    assert tok(snake) == tok(sts)


def test_callable_credentials_called_each_time():
    seen = []

    def provider():
        seen.append(1)
        return CREDS

    assert tok(provider) == tok(CREDS)
    tok(provider)
    assert len(seen) == 2
    # a callable returning a botocore object
    assert tok(lambda: botocore.credentials.Credentials("AKIDEXAMPLE", SECRET)) == tok(CREDS)


def test_async_callable_needs_token_async():
    async def provider():
        return CREDS

    with pytest.raises(TypeError, match="token_async"):
        tok(provider)


def test_token_error_shape():
    with pytest.raises(dbtoken.TokenError) as e:
        dbtoken.rds_token("db.example.com", 5432, "u", credentials=CREDS)
    err = e.value
    assert err.code == "region_required" and isinstance(err, ValueError)
    assert "db.example.com" not in str(err) and SECRET not in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), again.code, str(again)) == (dbtoken.TokenError, err.code, str(err))
    assert "code='region_required'" in repr(err)


def test_secret_never_in_error_messages():
    secret = "SUPERSECRET/value"
    for bad in (dict(host="https://x"), dict(region="nope"), dict(port=0)):
        args = dict(host="db.example.com", port=5432, region="us-east-1")
        args.update(bad)
        with pytest.raises(dbtoken.TokenError) as e:
            dbtoken.rds_token(args["host"], args["port"], "u", region=args["region"],
                              credentials=dbtoken.Credentials("AKID", secret, "SESSIONSECRET"))
        assert "SUPERSECRET" not in str(e.value) and "SESSIONSECRET" not in repr(e.value)


def test_generate_db_auth_token_signature(no_aws_env):
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    t = dbtoken.generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="iam_user",
                                       Region="us-east-1")
    info = dbtoken.inspect(t)
    assert (info.host, info.port, info.user, info.region) == (HOST, 5432, "iam_user", "us-east-1")
    assert dbtoken.generate_db_auth_token(HOST, 5432, "iam_user").startswith(HOST + ":5432/?")


def test_environment_changes_are_seen(no_aws_env):
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    first = tok(None)
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET + "2")
    second = tok(None)
    assert second != first and second == tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET + "2"))
    no_aws_env.setenv("AWS_SECURITY_TOKEN", "legacy")
    assert dbtoken.inspect(tok(None)).has_session_token
    no_aws_env.setenv("AWS_SESSION_TOKEN", "")  # empty: falls back to AWS_SECURITY_TOKEN
    assert "X-Amz-Security-Token=legacy&" in tok(None)
    no_aws_env.delenv("AWS_SECURITY_TOKEN")
    assert not dbtoken.inspect(tok(None)).has_session_token
    no_aws_env.delenv("AWS_ACCESS_KEY_ID")
    with pytest.raises(dbtoken.TokenError):
        tok(None)


def test_environment_non_ascii(no_aws_env):
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", "sécret")
    assert tok(None) == tok(dbtoken.Credentials("AKIDEXAMPLE", "sécret"))


def test_environment_undecodable_bytes(no_aws_env):
    # A value that is not UTF-8 decodes (surrogateescape) to a str with lone surrogates, which
    # has no UTF-8 form: TypeError, whichever function reads the environment.
    import os
    if not hasattr(os, "environb"):
        pytest.skip("os.environb exists on POSIX only")
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    os.environb[b"AWS_SECRET_ACCESS_KEY"] = b"secr\xffet"
    with pytest.raises(TypeError, match="secret_access_key"):
        tok(None)
    with pytest.raises(TypeError, match="secret_access_key"):
        dbtoken.generate_db_auth_token(HOST, 5432, "iam_user")


def test_generate_db_auth_token_sources_and_clock(no_aws_env, monkeypatch):
    # Every credentials source and the clock (time.time, replaceable) through the extension's
    # own generate_db_auth_token: the same token as rds_token with the same inputs.
    no_aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    no_aws_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setattr(dbtoken._time, "time", lambda: T0 + 0.75)
    gen = dbtoken.generate_db_auth_token
    assert gen(HOST, 5432, "iam_user") == tok(CREDS)
    assert gen(HOST, 5432, "iam_user", credentials=None) == tok(None)
    assert gen(HOST, 5432, "iam_user", credentials=CREDS) == tok(CREDS)
    assert gen(HOST, 5432, "iam_user", credentials=lambda: CREDS) == tok(CREDS)
    assert gen(HOST, 5432, "iam_user", credentials={"access_key_id": "AKIDEXAMPLE",
                                                    "secret_access_key": SECRET}) == tok(CREDS)
    assert dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS) == tok(CREDS)
    with pytest.raises(TypeError, match="credentials must be"):
        gen(HOST, 5432, "iam_user", credentials=42)
    with pytest.raises(TypeError, match="port must be an int"):
        gen(HOST, True, "iam_user", credentials=CREDS)
    with pytest.raises(TypeError):
        gen(HOST, 5432)
    with pytest.raises(TypeError):
        dbtoken.rds_token(HOST, 5432, "iam_user", "us-east-1")


def test_signing_time_forms():
    aware = datetime.fromtimestamp(T0, timezone.utc)
    assert tok(CREDS) == dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS,
                                           signing_time=aware)
    assert tok(CREDS) == dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS,
                                           signing_time=T0 + 0.5)
    with pytest.raises(TypeError, match="naive"):
        dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS,
                          signing_time=datetime(2024, 1, 15))
    with pytest.raises(TypeError, match="not bool"):
        dbtoken.rds_token(HOST, 5432, "iam_user", credentials=CREDS, signing_time=True)


def test_many_distinct_hosts_and_users():
    # Host names, users and regions are remembered (their UTF-8 form) between calls, in a
    # bounded memo: many distinct ones, str subclasses and repeats all sign what they say.
    class Name(str):
        pass

    for i in range(300):
        host = f"db{i}.abc123.eu-west-{i % 3 + 1}.rds.amazonaws.com"
        user = Name(f"user{i % 7}") if i % 2 else f"user{i % 7}"
        info = dbtoken.inspect(dbtoken.rds_token(host, 5432, user, credentials=CREDS,
                                                 signing_time=T0))
        assert (info.host, info.user, info.region) == (host, f"user{i % 7}", f"eu-west-{i % 3 + 1}")
    assert tok(CREDS) == tok(dbtoken.Credentials("AKIDEXAMPLE", SECRET))


def test_threads_share_the_signer():
    # The module's signer (one key cache) behind a lock: threads with different secrets and
    # hosts each get exactly the token they would get alone.
    import threading

    jobs = [(f"db{i}.abc123.us-east-{i % 2 + 1}.rds.amazonaws.com",
             dbtoken.Credentials("AKIDEXAMPLE", f"{SECRET}{i}")) for i in range(8)]
    expected = [dbtoken.rds_token(h, 5432, "u", credentials=c, signing_time=T0) for h, c in jobs]
    results = [[] for _ in jobs]
    barrier = threading.Barrier(len(jobs))

    def work(i):
        h, c = jobs[i]
        barrier.wait()
        for _ in range(300):
            results[i].append(dbtoken.rds_token(h, 5432, "u", credentials=c, signing_time=T0))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == [e] * 300 for r, e in zip(results, expected))
