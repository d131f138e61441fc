#!/usr/bin/env python3
"""Generate tests/vectors/tokens.json from tests/gen/cases.json + tests/gen/published.json.

Every expected value comes from botocore (an independent implementation), never
from dbtoken. Published vectors (published.json) are copied from the cited
upstream tests and re-verified here by recomputing them with botocore.

Set-up (outside the repository):

    python3 -m venv "$HOME/.cache/dbtoken/venv-gen"
    "$HOME/.cache/dbtoken/venv-gen/bin/pip" install -r tests/gen/requirements.txt   # botocore==1.44.8

Run (from the repository root):

    "$HOME/.cache/dbtoken/venv-gen/bin/python" tests/gen/generate.py           # (re)write tokens.json
    "$HOME/.cache/dbtoken/venv-gen/bin/python" tests/gen/generate.py --check   # exit 1 if tokens.json is stale

How each kind is produced:
  rds          botocore.signers.generate_db_auth_token (X-Amz-Expires 900). botocore hard-codes
               900 there, so for any other expiry the same code path is called with that expiry
               (prepare_request_dict + RequestSigner.generate_presigned_url, signing name rds-db);
               the generator checks once that this path equals generate_db_auth_token for 900.
  dsql         the botocore dsql client's generate_db_connect_auth_token /
               generate_db_connect_admin_auth_token.
  elasticache  botocore.auth.SigV4QueryAuth(credentials, 'elasticache', region, expires=N) on
  memorydb     AWSRequest(GET https://<name>/, params in the contract order), then "https://" stripped.

Input normalisation applied before calling botocore (recorded in each case's "note"):
  * hostnames / cache names / cluster names lower-cased (dbtoken lower-cases them; botocore signs
    the lower-cased host but would keep the original case in the token text);
  * region null -> region inferred from the hostname with the contract's patterns;
  * session_token "" -> None (botocore would emit "X-Amz-Security-Token=");
  * credentials.expires_at earlier than signing_time + expires_in -> expiry clamped to
    expires_at - signing_time.
The clock is frozen by patching botocore.auth.get_current_datetime (botocore >= 1.32-ish) or,
for older versions, the datetime module seen by botocore.auth (datetime.datetime.utcnow/now).
"""

import argparse
import contextlib
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import types
from pathlib import Path
from unittest import mock
from urllib.parse import quote

BOTOCORE_VERSION = "1.44.8"

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases.json"
PUBLISHED = HERE / "published.json"
OUT = HERE.parent / "vectors" / "tokens.json"

# Keep the user's AWS configuration out of the run (explicit keys are always passed anyway).
for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import botocore  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.session  # noqa: E402
import botocore.signers  # noqa: E402
from botocore.awsrequest import AWSRequest, prepare_request_dict  # noqa: E402

SERVICE = {"rds": "rds-db", "dsql": "dsql", "elasticache": "elasticache", "memorydb": "memorydb"}
MAX_EXPIRES = {"rds": 900, "dsql": 604800, "elasticache": 900, "memorydb": 900}
OP_ORDER = {
    "rds": ["Action", "DBUser"],
    "dsql": ["Action"],
    "elasticache": ["Action", "ResourceType", "User"],
    "memorydb": ["Action", "User"],
}
AUTH_ORDER = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
]
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
HOST_RE = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$")  # after lower-casing
INFER_RES = [
    re.compile(r"^.+\.([a-z0-9-]+)\.rds\.amazonaws\.com$"),
    re.compile(r"^.+\.rds\.([a-z0-9-]+)\.amazonaws\.com\.cn$"),
    re.compile(r"^.+\.dsql\.([a-z0-9-]+)\.on\.aws$"),
]
TARGET_KEYS = {
    "rds": ["hostname", "port", "username"],
    "dsql": ["hostname", "admin"],
    "elasticache": ["cache_name", "user_id", "serverless"],
    "memorydb": ["cluster_name", "user"],
}
COMMON_KEYS = ["region", "expires_in", "signing_time", "credentials"]
CRED_KEYS = ["access_key_id", "secret_access_key", "session_token", "expires_at"]


class CaseError(Exception):
    pass


# --------------------------------------------------------------------------- clock + staged values

def _utc(ts):
    return datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=ts)


@contextlib.contextmanager
def frozen_clock(ts):
    naive = _utc(ts)
    if hasattr(botocore.auth, "get_current_datetime"):
        def fake(remove_tzinfo=True):
            return naive if remove_tzinfo else naive.replace(tzinfo=datetime.timezone.utc)
        with mock.patch.object(botocore.auth, "get_current_datetime", fake):
            yield
    else:  # older botocore: auth.py calls datetime.datetime.utcnow() / .now(tz)
        class _Frozen(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return naive

            @classmethod
            def now(cls, tz=None):
                return naive if tz is None else naive.replace(tzinfo=datetime.timezone.utc).astimezone(tz)

        shim = types.ModuleType("datetime")
        shim.__dict__.update(datetime.__dict__)
        shim.datetime = _Frozen
        with mock.patch.object(botocore.auth, "datetime", shim):
            yield


_REC = {}


@contextlib.contextmanager
def recording():
    cls = botocore.auth.SigV4QueryAuth
    o_cr, o_sts, o_sig = cls.canonical_request, cls.string_to_sign, cls.signature

    def cr(self, request):
        v = o_cr(self, request)
        _REC.setdefault("canonical_request", []).append(v)
        return v

    def sts(self, request, canonical_request):
        v = o_sts(self, request, canonical_request)
        _REC.setdefault("string_to_sign", []).append(v)
        return v

    def sig(self, string_to_sign, request):
        v = o_sig(self, string_to_sign, request)
        _REC.setdefault("signature", []).append(v)
        return v

    with mock.patch.object(cls, "canonical_request", cr), mock.patch.object(
        cls, "string_to_sign", sts
    ), mock.patch.object(cls, "signature", sig):
        yield


def _take_recorded():
    got = {k: _REC.get(k, []) for k in ("canonical_request", "string_to_sign", "signature")}
    _REC.clear()
    for k, v in got.items():
        if len(v) != 1:
            raise CaseError(f"expected exactly one SigV4QueryAuth.{k} call, saw {len(v)}")
    return {k: v[0] for k, v in got.items()}


# --------------------------------------------------------------------------- botocore drivers

_SESSION = None
_CLIENTS = {}


def client(service, region, creds):
    global _SESSION
    if _SESSION is None:
        _SESSION = botocore.session.Session()
    key = (service, region, creds.access_key, creds.secret_key, creds.token)
    if key not in _CLIENTS:
        _CLIENTS[key] = _SESSION.create_client(
            service,
            region_name=region,
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            aws_session_token=creds.token,
        )
    return _CLIENTS[key]


def rds_token_same_path(c, host, port, user, region, expires):
    """botocore.signers.generate_db_auth_token's body with a configurable expiry."""
    request_dict = {
        "url_path": "/",
        "query_string": "",
        "headers": {},
        "body": {"Action": "connect", "DBUser": user},
        "method": "GET",
    }
    scheme = "https://"
    prepare_request_dict(request_dict, f"{scheme}{host}:{port}")
    url = c._request_signer.generate_presigned_url(
        operation_name="connect",
        request_dict=request_dict,
        region_name=region,
        expires_in=expires,
        signing_name="rds-db",
    )
    return url[len(scheme):]


def drive_rds(host, port, user, region, expires, creds):
    c = client("rds", region, creds)
    if expires == 900:
        tok = botocore.signers.generate_db_auth_token(c, host, port, user, Region=region)
        return tok, f"botocore {botocore.__version__} botocore.signers.generate_db_auth_token via tests/gen/generate.py"
    tok = rds_token_same_path(c, host, port, user, region, expires)
    return tok, (
        f"botocore {botocore.__version__} generate_db_auth_token code path "
        f"(prepare_request_dict + RequestSigner.generate_presigned_url, signing name rds-db, expires_in={expires}) "
        "via tests/gen/generate.py"
    )


def drive_dsql(host, admin, region, expires, creds):
    c = client("dsql", region, creds)
    if admin:
        tok = c.generate_db_connect_admin_auth_token(host, region, expires)
        fn = "generate_db_connect_admin_auth_token"
    else:
        tok = c.generate_db_connect_auth_token(host, region, expires)
        fn = "generate_db_connect_auth_token"
    return tok, f"botocore {botocore.__version__} dsql client {fn} via tests/gen/generate.py"


def drive_query_auth(kind, name, params, region, expires, creds):
    service = SERVICE[kind]
    req = AWSRequest(method="GET", url=f"https://{name}/", params=dict(params))
    botocore.auth.SigV4QueryAuth(creds, service, region, expires=expires).add_auth(req)
    if not req.url.startswith("https://"):
        raise CaseError(f"unexpected URL from SigV4QueryAuth: {req.url!r}")
    return req.url[len("https://"):], (
        f"botocore {botocore.__version__} botocore.auth.SigV4QueryAuth(service '{service}') on "
        f"AWSRequest(GET https://<name>/) via tests/gen/generate.py"
    )


# --------------------------------------------------------------------------- token helpers

def split_token(tok):
    authority, sep, query = tok.partition("/?")
    if not sep:
        raise CaseError(f"token without '/?': {tok!r}")
    pairs = []
    for p in query.split("&"):
        k, eq, v = p.partition("=")
        if not eq:
            raise CaseError(f"query parameter without '=': {p!r}")
        pairs.append((k, v))
    return authority, pairs


def to_contract_order(kind, tok):
    """Re-order the query parameters to the contract order. Returns (token, reordered?)."""
    authority, pairs = split_token(tok)
    d = dict(pairs)
    if len(d) != len(pairs):
        raise CaseError(f"duplicate query parameter in {tok!r}")
    order = OP_ORDER[kind] + AUTH_ORDER
    unknown = set(d) - set(order)
    if unknown:
        raise CaseError(f"unexpected parameters {sorted(unknown)} in {tok!r}")
    out = [(k, d[k]) for k in order if k in d]
    new = authority + "/?" + "&".join(f"{k}={v}" for k, v in out)
    return new, [k for k, _ in pairs] != [k for k, _ in out]


def enc(s):
    return quote(s.encode("utf-8"), safe="-_.~")


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def check_staged(staged, secret, date, region, service):
    cr, sts, sig = staged["canonical_request"], staged["string_to_sign"], staged["signature"]
    if sts.split("\n")[-1] != hashlib.sha256(cr.encode("utf-8")).hexdigest():
        raise CaseError("string_to_sign does not hash the recorded canonical_request")
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    if hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest() != sig:
        raise CaseError("recorded signature does not match the recorded string_to_sign")


# --------------------------------------------------------------------------- one case

def infer_region(host):
    for r in INFER_RES:
        m = r.match(host)
        if m:
            return m.group(1)
    return None


def build(kind, inp):
    """Validate + normalise one input, drive botocore, return (expected, source, notes)."""
    if kind not in SERVICE:
        raise CaseError(f"unknown kind {kind!r}")
    if list(inp) != TARGET_KEYS[kind] + COMMON_KEYS:
        raise CaseError(f"input keys {list(inp)} != {TARGET_KEYS[kind] + COMMON_KEYS}")
    cr = inp["credentials"]
    if list(cr) != CRED_KEYS:
        raise CaseError(f"credential keys {list(cr)} != {CRED_KEYS}")
    notes = []
    if not cr["access_key_id"] or not cr["secret_access_key"]:
        raise CaseError("empty credentials (belongs in errors.json)")

    st = inp["signing_time"]
    if not (isinstance(st, int) and 0 <= st <= 253402300799):
        raise CaseError("signing_time out of range")
    exp = inp["expires_in"]
    if not (isinstance(exp, int) and 1 <= exp <= MAX_EXPIRES[kind]):
        raise CaseError("expires_in out of range")
    eff = exp
    if cr["expires_at"] is not None:
        left = cr["expires_at"] - st
        if left <= 0:
            raise CaseError("credentials expired (belongs in errors.json)")
        if left < exp:
            eff = left
            notes.append(
                f"credentials expire at signing_time+{left} < signing_time+expires_in: "
                f"X-Amz-Expires clamped to {left}; botocore called with expires {left}"
            )
    token = cr["session_token"]
    if token == "":
        token = None
        notes.append(
            'empty session_token = absent: botocore called with token None '
            '(given "" it would emit an empty X-Amz-Security-Token= parameter)'
        )
    creds = botocore.credentials.Credentials(cr["access_key_id"], cr["secret_access_key"], token)

    # target
    if kind in ("rds", "dsql"):
        raw_host = inp["hostname"]
        host = raw_host.lower()
        if not host:
            raise CaseError("empty hostname")
        if host != raw_host:
            notes.append("hostname lower-cased before calling botocore (dbtoken lower-cases the host; "
                         "botocore signs the lower-cased host but would keep the original case in the token text)")
    else:
        key = "cache_name" if kind == "elasticache" else "cluster_name"
        raw_host = inp[key]
        host = raw_host.lower()
        if not host:
            raise CaseError(f"empty {key}")
        if host != raw_host:
            notes.append(f"{key} lower-cased before calling botocore (dbtoken lower-cases it)")

    if not HOST_RE.match(host):
        raise CaseError(f"{host!r} is not host-shaped (belongs in errors.json)")

    # region
    inferred = infer_region(host) if kind in ("rds", "dsql") else None
    region = inp["region"]
    if region is None:
        if inferred is None:
            raise CaseError("region null and nothing to infer (belongs in errors.json)")
        region = inferred
        notes.append(f"region null: generator inferred {region} from the hostname (contract patterns) "
                     "and passed it to botocore")
    elif inferred is not None and inferred != region:
        raise CaseError("region mismatch (belongs in errors.json)")
    if not REGION_RE.match(region):
        raise CaseError(f"region {region!r} not region-shaped")

    date = _utc(st).strftime("%Y%m%d")
    amz_date = _utc(st).strftime("%Y%m%dT%H%M%SZ")

    with frozen_clock(st), recording():
        _REC.clear()
        if kind == "rds":
            port = inp["port"]
            if not (isinstance(port, int) and 1 <= port <= 65535):
                raise CaseError("bad port")
            if not inp["username"]:
                raise CaseError("empty username")
            tok, source = drive_rds(host, port, inp["username"], region, eff, creds)
            authority = f"{host}:{port}"
            ops = [("Action", "connect"), ("DBUser", inp["username"])]
            if port == 443:
                notes.append("port 443: botocore signs 'host:<host>' without :443 and keeps :443 in the token text")
        elif kind == "dsql":
            tok, source = drive_dsql(host, inp["admin"], region, eff, creds)
            authority = host
            ops = [("Action", "DbConnectAdmin" if inp["admin"] else "DbConnect")]
        elif kind == "elasticache":
            if not inp["user_id"]:
                raise CaseError("empty user_id")
            ops = [("Action", "connect")]
            if inp["serverless"]:
                ops.append(("ResourceType", "ServerlessCache"))
            ops.append(("User", inp["user_id"]))
            tok, source = drive_query_auth(kind, host, ops, region, eff, creds)
            authority = host
        else:
            if not inp["user"]:
                raise CaseError("empty user")
            ops = [("Action", "connect"), ("User", inp["user"])]
            tok, source = drive_query_auth(kind, host, ops, region, eff, creds)
            authority = host
        staged = _take_recorded()

    tok, reordered = to_contract_order(kind, tok)
    if reordered:
        source += "; botocore's query parameters re-ordered to the contract order (signature unchanged)"

    # sanity: the token must be exactly what the contract describes
    service = SERVICE[kind]
    want = [(k, enc(v)) for k, v in ops] + [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", enc(f"{creds.access_key}/{date}/{region}/{service}/aws4_request")),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(eff)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if token is not None:
        want.append(("X-Amz-Security-Token", enc(token)))
    want.append(("X-Amz-Signature", staged["signature"]))
    expect_tok = authority + "/?" + "&".join(f"{k}={v}" for k, v in want)
    if tok != expect_tok:
        raise CaseError(f"botocore token differs from the contract shape (clock patch failed?):\n"
                        f"  got  {tok}\n  want {expect_tok}")
    check_staged(staged, creds.secret_key, date, region, service)

    expected = {
        "token": tok,
        "expires_at": st + eff,
        "signature": staged["signature"],
        "canonical_request": staged["canonical_request"],
        "string_to_sign": staged["string_to_sign"],
    }
    return expected, source, notes


def self_test():
    """generate_db_auth_token's own output must equal the configurable-expiry path for 900."""
    creds = botocore.credentials.Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok+/=")
    for host, port in (("Db.Example.com", 443), ("[2001:db8::1]", 5432), ("10.0.0.1", 1)):
        with frozen_clock(1705322096):
            c = client("rds", "us-east-1", creds)
            a = botocore.signers.generate_db_auth_token(c, host, port, "a b+ö", Region="us-east-1")
            b = rds_token_same_path(c, host, port, "a b+ö", "us-east-1", 900)
        if a != b:
            raise CaseError(f"self-test: generate_db_auth_token path mismatch:\n  {a}\n  {b}")
        if "X-Amz-Date=20240115T123456Z" not in a:
            raise CaseError(f"self-test: clock not frozen: {a}")
    _REC.clear()


# --------------------------------------------------------------------------- document

def join_notes(*parts):
    out = [p for p in parts if p]
    return "; ".join(out) if out else None


def generate():
    cases = json.loads(CASES.read_text(encoding="utf-8"))["cases"]
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))["cases"]
    ids = [c["id"] for c in cases] + [c["id"] for c in published]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise CaseError(f"duplicate ids: {dup}")
    for i in ids:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i):
            raise CaseError(f"id not kebab-case: {i!r}")

    self_test()
    out = []
    errors = []
    for c in cases:
        try:
            expected, source, notes = build(c["kind"], c["input"])
        except CaseError as e:
            errors.append(f"{c['id']}: {e}")
            continue
        entry = {"id": c["id"], "source": source}
        note = join_notes(c.get("note"), *notes)
        if note:
            entry["note"] = note
        entry.update({"kind": c["kind"], "input": c["input"], "expected": expected})
        out.append(entry)

    for p in published:
        try:
            expected, _src, notes = build(p["kind"], p["input"])
            pub_tok, reordered = to_contract_order(p["kind"], p["published_token"])
            _, pairs = split_token(p["published_token"])
            pub_sig = dict(pairs)["X-Amz-Signature"]
            if pub_sig != p["published_signature"]:
                raise CaseError("published_signature differs from the signature inside published_token")
            if pub_sig != expected["signature"]:
                raise CaseError(f"botocore recomputes {expected['signature']}, published {pub_sig}")
            if pub_tok != expected["token"]:
                raise CaseError(f"re-ordered published token differs from botocore's:\n"
                                f"  published {pub_tok}\n  botocore  {expected['token']}")
        except CaseError as e:
            errors.append(f"{p['id']}: {e}")
            continue
        extra = []
        if reordered:
            extra.append("token re-ordered from the published parameter order to the contract order "
                         "(published signature kept)")
        extra.append(f"signature verified by recomputation with botocore {botocore.__version__}; "
                     "canonical_request and string_to_sign are from that recomputation")
        entry = {
            "id": p["id"],
            "source": p["source"],
            "note": join_notes(p.get("note"), *notes, *extra),
            "kind": p["kind"],
            "input": p["input"],
            "expected": {
                "token": pub_tok,
                "expires_at": expected["expires_at"],
                "signature": pub_sig,
                "canonical_request": expected["canonical_request"],
                "string_to_sign": expected["string_to_sign"],
            },
        }
        out.append(entry)

    if errors:
        raise CaseError("\n".join(errors))

    doc = {
        "_comment": (
            f"Generated by tests/gen/generate.py with botocore {botocore.__version__} from tests/gen/cases.json "
            f"({len(cases)} generated cases, inputs copied verbatim) followed by {len(published)} published vectors "
            "from tests/gen/published.json (upstream tests, Apache-2.0; re-ordered to the contract parameter order, "
            "signatures kept and re-verified with botocore). Do not edit by hand; see tests/README.md."
        ),
        "cases": out,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="regenerate in memory; exit 1 if tokens.json is stale")
    ap.add_argument("--allow-other-botocore", action="store_true",
                    help=f"run with a botocore other than the pinned {BOTOCORE_VERSION}")
    args = ap.parse_args()
    if botocore.__version__ != BOTOCORE_VERSION and not args.allow_other_botocore:
        sys.exit(f"botocore {botocore.__version__} installed, {BOTOCORE_VERSION} pinned "
                 "(pip install -r tests/gen/requirements.txt, or pass --allow-other-botocore)")
    try:
        text = generate()
    except CaseError as e:
        sys.exit(f"generate.py: {e}")
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current == text:
            print(f"{OUT.relative_to(HERE.parent.parent)} is up to date")
            return
        new = {c["id"]: c for c in json.loads(text)["cases"]}
        try:
            old = {c["id"]: c for c in json.loads(current)["cases"]}
        except (ValueError, KeyError):
            old = {}
        changed = sorted(i for i in new.keys() & old.keys() if new[i] != old[i])
        print(f"{OUT} is stale: missing {sorted(new.keys() - old.keys())}, "
              f"extra {sorted(old.keys() - new.keys())}, changed {changed}", file=sys.stderr)
        sys.exit(1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    n = len(json.loads(text)["cases"])
    print(f"wrote {OUT} ({n} cases)")


if __name__ == "__main__":
    main()
