#!/usr/bin/env python3
"""Writes the fuzz seeds (fuzz/seeds/<target>/) from the shared vectors in tests/vectors/.

    python3 fuzz/seed.py           # (re)write the seed files
    python3 fuzz/seed.py --check   # exit 1 if the committed seeds differ from the vectors

- inspect: every token of tokens.json (expected.token) and every token of errors.json
  (inspect/verify cases), one file per case id.
- encode:  every user name, session token, access key id and token of tokens.json, de-duplicated.
- sign, presign: the targets read structured input (`arbitrary`), which has no inverse, so their
  seeds are the UTF-8 bytes of the vectors' inputs (host, user, region, credentials joined):
  unstructured but non-trivial starting points that libFuzzer mutates from.
Only seeds are kept in the repository; libFuzzer's grown corpus lives in fuzz/corpus/ (ignored).
"""

import hashlib
import json
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
VECTORS = FUZZ.parent / "tests" / "vectors"
TARGETS = ("inspect", "sign", "encode", "presign")


def load(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))["cases"]


def seeds():
    tokens = load("tokens.json")
    errors = load("errors.json")
    out = {t: {} for t in TARGETS}

    for case in tokens:
        out["inspect"][case["id"]] = case["expected"]["token"]
    for case in errors:
        if "token" in case:
            out["inspect"][case["id"]] = case["token"]

    seen = set()
    for case in tokens:
        inp = case["input"]
        creds = inp["credentials"]
        fields = {
            "user": inp.get("username") or inp.get("user_id") or inp.get("user"),
            "session-token": creds.get("session_token"),
            "access-key-id": creds.get("access_key_id"),
            "token": case["expected"]["token"],
        }
        for field, value in fields.items():
            if value and value not in seen:
                seen.add(value)
                out["encode"][f"{case['id']}-{field}"] = value

    for case in tokens:
        inp = case["input"]
        creds = inp["credentials"]
        parts = [
            inp.get("hostname") or inp.get("cache_name") or inp.get("cluster_name") or "",
            str(inp.get("port", "")),
            inp.get("username") or inp.get("user_id") or inp.get("user") or "",
            inp.get("region") or "",
            creds["access_key_id"],
            creds["secret_access_key"],
            creds.get("session_token") or "",
        ]
        blob = "\n".join(parts)
        out["sign"][case["id"]] = blob
        out["presign"][case["id"]] = "GET\n/\n" + blob
    return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for target, files in seeds().items():
        d = FUZZ / "seeds" / target
        want = {name: text.encode("utf-8") for name, text in files.items()}
        have = {p.name: p.read_bytes() for p in d.glob("*")} if d.is_dir() else {}
        if check:
            if want != have:
                stale.append(target)
            continue
        d.mkdir(parents=True, exist_ok=True)
        for name in set(have) - set(want):
            (d / name).unlink()
        for name, data in want.items():
            if have.get(name) != data:
                (d / name).write_bytes(data)
        digest = hashlib.sha256(b"".join(want[k] for k in sorted(want))).hexdigest()[:12]
        print(f"seeds/{target}: {len(want)} files ({digest})")
    if stale:
        print(f"stale seeds (run python3 fuzz/seed.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    if check:
        print("seeds match tests/vectors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
