"""Lambda-style cold start of an installed wheel: a fresh interpreter per run, `import dbtoken`
and the first token, against a bare `python -c pass` (and optionally botocore's
generate_db_auth_token), runs interleaved so a busy machine slows every command alike.

    python3 scripts/dist_coldstart.py --python PY --pythonpath DIR [--pyc-pythonpath DIR]
                                      [--peer-pythonpath DIR] [--runs 40] [--max-ratio 2.0]

--pythonpath: what `pip install --no-compile --target DIR` made from the wheel, as in the Lambda
layer (no bytecode; /opt is read-only on Lambda, so Python compiles the package's .py files at
every cold start). --pyc-pythonpath: the same with bytecode for PY's version (pip's default).
Prints a markdown table (median and min ms, median vs bare Python). With --max-ratio, exits 1
when the --pythonpath row's median is above that multiple of bare Python's.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

HOST = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
OURS = ("import dbtoken; dbtoken.generate_db_auth_token("
        f"'{HOST}', 5432, 'iam_user', 'us-east-1')")
PEER = ("import botocore.session; botocore.session.get_session().create_client("
        f"'rds', region_name='us-east-1').generate_db_auth_token('{HOST}', 5432, 'iam_user', 'us-east-1')")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--pythonpath", required=True)
    ap.add_argument("--pyc-pythonpath")
    ap.add_argument("--peer-pythonpath")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--max-ratio", type=float)
    a = ap.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
               AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, PYTHONDONTWRITEBYTECODE="1")
    rows = [("`python -c pass`", "pass", a.pythonpath),
            ("`import dbtoken` + first token (no .pyc, as in the layer)", OURS, a.pythonpath)]
    if a.pyc_pythonpath:
        rows.append(("`import dbtoken` + first token (with .pyc)", OURS, a.pyc_pythonpath))
    if a.peer_pythonpath:
        rows.append(("`import botocore` + client + first token", PEER, a.peer_pythonpath))

    def run(code, path):
        e = dict(env, PYTHONPATH=path)
        t0 = time.perf_counter()
        subprocess.run([a.python, "-c", code], env=e, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    for _, code, path in rows:  # warm the page cache; each must work before it is timed
        run(code, path)
        run(code, path)
    times = [[] for _ in rows]
    for _ in range(a.runs):
        for i, (_, code, path) in enumerate(rows):
            times[i].append(run(code, path))

    ver = subprocess.run([a.python, "-c", "import platform; print(platform.python_version())"],
                         capture_output=True, text=True, check=True).stdout.strip()
    base = statistics.median(times[0])
    print(f"CPython {ver}, {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{a.runs} interleaved runs each, wall time of a fresh interpreter per run")
    print()
    print("| command | median ms | min ms | median vs bare Python |")
    print("|---|---:|---:|---:|")
    for (name, _, _), t in zip(rows, times):
        print(f"| {name} | {statistics.median(t) * 1e3:.1f} | {min(t) * 1e3:.1f} | "
              f"{statistics.median(t) / base:.2f}× |")
    ratio = statistics.median(times[1]) / base
    if a.max_ratio is not None:
        ok = ratio <= a.max_ratio
        print(f"\n{'ok' if ok else 'FAIL'}: import + first token {ratio:.2f}× bare Python "
              f"(budget {a.max_ratio:.1f}×)")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
