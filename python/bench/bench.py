"""Tokens per second: dbtoken vs botocore's generate_db_auth_token, in one run on one machine.

    python python/bench/bench.py [--seconds 1] [--rounds 5]

Needs dbtoken (the wheel) and botocore in the same environment. Prints a markdown table with
the machine, the versions and the ratio. Nothing here is asserted.
"""

import argparse
import os
import platform
import sys
import time

import botocore
import botocore.session

import dbtoken

HOST = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
PORT = 5432
USER = "iam_user"
REGION = "us-east-1"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def rate(fn, seconds):
    """Calls fn in batches until `seconds` have passed; returns calls per second."""
    fn()  # warm up (key derivation, client set-up)
    batch, calls = 64, 0
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed
        if elapsed < seconds / 20:
            batch *= 2


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0, help="per row and round")
    ap.add_argument("--rounds", type=int, default=5,
                    help="rows are measured in turn, this many times; the best round counts")
    args = ap.parse_args()

    os.environ["AWS_ACCESS_KEY_ID"] = AKID
    os.environ["AWS_SECRET_ACCESS_KEY"] = SECRET
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

    client = botocore.session.get_session().create_client("rds", region_name=REGION)
    creds = dbtoken.Credentials(AKID, SECRET)
    cache = dbtoken.TokenCache.rds(HOST, PORT, USER, region=REGION, credentials=creds)

    # Same inputs, same second: the same token (checked once, outside the timing).
    now = int(time.time())
    a = client.generate_db_auth_token(HOST, PORT, USER, REGION)
    b = dbtoken.generate_db_auth_token(HOST, PORT, USER, REGION)
    if int(time.time()) == now and a != b:
        sys.exit("botocore and dbtoken disagree; not benchmarking")

    rows = [
        ("botocore `client.generate_db_auth_token` (env credentials)",
         lambda: client.generate_db_auth_token(HOST, PORT, USER, REGION)),
        ("dbtoken `generate_db_auth_token` (env credentials)",
         lambda: dbtoken.generate_db_auth_token(HOST, PORT, USER, REGION)),
        ("dbtoken `rds_token(credentials=Credentials)`",
         lambda: dbtoken.rds_token(HOST, PORT, USER, region=REGION, credentials=creds)),
        ("dbtoken `TokenCache.token()` (cached)", cache.token),
    ]
    # Interleaved rounds, best of each row: a busy machine slows rows unevenly, and the best
    # round is the one least disturbed.
    best = [0.0] * len(rows)
    for _ in range(args.rounds):
        for i, (_, fn) in enumerate(rows):
            best[i] = max(best[i], rate(fn, args.seconds))
    results = [(name, r) for (name, _), r in zip(rows, best)]
    base = results[0][1]

    print(f"Machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}")
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"dbtoken {dbtoken.__version__}, botocore {botocore.__version__}; "
          f"one run: {args.rounds} interleaved rounds of {args.seconds:g} s per row, best round shown")
    print()
    print("| what | tokens/s | µs/token | vs botocore |")
    print("|---|---:|---:|---:|")
    for name, r in results:
        print(f"| {name} | {r:,.0f} | {1e6 / r:.2f} | {r / base:.1f}× |")


if __name__ == "__main__":
    main()
