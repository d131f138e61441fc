"""Soak: 8 threads share one TokenCache for 1,000,000 tokens, with the credentials source
rotating the secret, the session token and the expiry, and the clock stepping
backwards and forwards by hours (one shared clock and one shared source: threads that call
together share one source call, so they must agree on the credentials). Every 97th token is
verified with the secret in use around its time (never signed in the future, never expired,
never inside the refresh margin); botocore's rds-basic vector is spot-checked; resident memory
is measured after a warm-up and at the end and must stay flat. Prints the figures recorded in RELIABILITY.md.

DBTOKEN_SOAK_TOKENS changes the total (default 1,000,000)."""

import itertools
import os
import threading
import time

import dbtoken
from conftest import load

THREADS = 8
TOTAL = int(os.environ.get("DBTOKEN_SOAK_TOKENS", "1000000"))
T0 = 1_705_322_096
HOST = "prod-instance.abc123xyz.us-east-1.rds.amazonaws.com"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ROTATED = "rotated/" + SECRET
SESSION = "IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/="
STEPS = (0, 3 * 3600, -2 * 3600, 26 * 3600, -5 * 3600, -22 * 3600)


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def state(g):
    """The clock and the credentials after g tokens in all: the clock steps back and forth by
    hours; the credentials rotate the secret, the session token and the expiry in turn. Every
    expiry lies after the latest time, so no snapshot's credentials are expired at another's."""
    now = T0 + 30 * 86400 + g // 160 + STEPS[(g // 80_000) % len(STEPS)]
    k = (g // 40_000) % 4
    if k == 0:
        return now, dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION, FAR)
    if k == 1:
        return now, dbtoken.Credentials("ASIAEXAMPLE", ROTATED, SESSION, FAR)
    if k == 2:
        return now, dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION + "NEW", FAR)
    return now, dbtoken.Credentials("ASIAEXAMPLE", SECRET, SESSION, FAR + 1000)


FAR = T0 + 40 * 86400


def test_eight_threads_one_cache_a_million_tokens():
    basic = next(c for c in load("tokens.json") if c["id"] == "rds-basic")
    bc = basic["input"]["credentials"]
    basic_creds = dbtoken.Credentials(bc["access_key_id"], bc["secret_access_key"])
    counter = itertools.count()
    latest = [state(0)]

    def source():  # the credentials in force now
        return latest[0][1]

    cache = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", region="us-east-1", credentials=source)
    spot = dbtoken.TokenCache.rds(HOST, 5432, "iam_user", region="us-east-1",
                                  credentials=lambda: basic_creds)
    errors = []
    verified = [0] * THREADS

    def run(w, start, stop):
        try:
            for i in range(start, stop):
                snap = latest[0] = state(next(counter))
                now = snap[0]
                token = cache.token(now=now)
                if i % 97 == 0:
                    try:
                        info = dbtoken.verify(token, snap[1].secret_access_key, now=now)
                    except dbtoken.TokenError as e:  # rotated between the call and here
                        assert e.code == "signature_mismatch", e.code
                        other = SECRET if snap[1].secret_access_key == ROTATED else ROTATED
                        info = dbtoken.verify(token, other, now=now)
                    assert info.signing_time <= now and info.expires_at > now + 30
                    assert info.has_session_token
                    verified[w] += 1
                if i % 50_000 == 0:
                    assert spot.token(now=T0) == basic["expected"]["token"]
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    def phase(start, count):
        threads = [threading.Thread(target=run, args=(w, start, start + count))
                   for w in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    phase(0, 2_000)  # warm-up
    rss_start = rss_kib()
    started = time.perf_counter()
    per = TOTAL // THREADS
    phase(2_000, per)
    took = time.perf_counter() - started
    rss_end = rss_kib()
    assert not errors, errors[:3]
    print(f"\npython soak: {per * THREADS} tokens from {THREADS} threads in {took:.2f} s "
          f"({took / (per * THREADS) * 1e9:.0f} ns/token), {sum(verified)} verified, "
          f"RSS {rss_start} KiB -> {rss_end} KiB")
    assert sum(verified) >= per * THREADS // 97
    assert rss_end <= rss_start + 4 * 1024, f"resident memory grew: {rss_start} -> {rss_end} KiB"
