"""Differential: botocore (test-only dependency) and dbtoken on random inputs give identical
tokens. botocore's clock is frozen by patching botocore.auth.get_current_datetime.

Inputs stay inside what both define the same way (README, "What is the same as botocore"):
lower-case hosts (botocore keeps the host's case in the text but signs it lower-cased) and no
empty session token (botocore writes an empty X-Amz-Security-Token=).
"""

import os
from datetime import datetime, timezone
from unittest import mock

import botocore.auth
import botocore.credentials
import botocore.session
from hypothesis import HealthCheck, given, settings, strategies as st

import dbtoken

EXAMPLES = int(os.environ.get("DBTOKEN_HYPOTHESIS_EXAMPLES", "2000"))

_session = botocore.session.get_session()
_RDS = _session.create_client("rds", region_name="us-east-1", aws_access_key_id="A",
                              aws_secret_access_key="B")
_DSQL = _session.create_client("dsql", region_name="us-east-1", aws_access_key_id="A",
                               aws_secret_access_key="B")

REGIONS = ["us-east-1", "us-west-2", "eu-central-1", "ap-southeast-2", "us-gov-west-1",
           "cn-north-1", "il-central-1", "ap-east-2"]
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
ascii_key = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
times = st.integers(min_value=0, max_value=253_402_300_799 - 604_800)


@st.composite
def rds_hosts(draw, region):
    shape = draw(st.sampled_from(["rds", "custom", "ipv4"]))
    if shape == "rds":
        return f"{draw(label)}.{draw(label)}.{region}.rds.amazonaws.com"
    if shape == "ipv4":
        return ".".join(str(draw(st.integers(0, 255))) for _ in range(4))
    return ".".join(draw(st.lists(label, min_size=1, max_size=4)))


def _frozen(t):
    return mock.patch.object(botocore.auth, "get_current_datetime",
                             lambda *a, **k: datetime.fromtimestamp(t, tz=timezone.utc).replace(tzinfo=None))


def _use(client, akid, secret, session):
    client._request_signer._credentials = botocore.credentials.Credentials(akid, secret, session)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), region=st.sampled_from(REGIONS), port=st.integers(1, 65535),
       user=text, akid=ascii_key, secret=text, session=st.none() | text, t=times)
def test_rds_tokens_equal_botocore(data, region, port, user, akid, secret, session, t):
    host = data.draw(rds_hosts(region))
    _use(_RDS, akid, secret, session)
    with _frozen(t):
        expected = _RDS.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user,
                                               Region=region)
    creds = dbtoken.Credentials(akid, secret, session)
    got = dbtoken.rds_token(host, port, user, region=region, credentials=creds, signing_time=t)
    assert got == expected


@settings(max_examples=max(EXAMPLES // 4, 50), deadline=None, suppress_health_check=list(HealthCheck))
@given(cluster=label, region=st.sampled_from(REGIONS), admin=st.booleans(),
       expires_in=st.integers(1, 604_800), akid=ascii_key, secret=text,
       session=st.none() | text, t=times)
def test_dsql_tokens_equal_botocore(cluster, region, admin, expires_in, akid, secret, session, t):
    host = f"{cluster}.dsql.{region}.on.aws"
    _use(_DSQL, akid, secret, session)
    gen = (_DSQL.generate_db_connect_admin_auth_token if admin
           else _DSQL.generate_db_connect_auth_token)
    with _frozen(t):
        expected = gen(Hostname=host, Region=region, ExpiresIn=expires_in)
    got = dbtoken.dsql_token(host, admin=admin, region=region, expires_in=expires_in,
                             credentials=dbtoken.Credentials(akid, secret, session), signing_time=t)
    assert got == expected
