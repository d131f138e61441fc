"""`dbtoken proxy` against a direct TLS connection: logins per second and time per query.

Run by cli/bench/proxy-bench.sh (which starts the IAM-auth servers and the proxies):

    python proxy-bench.py postgres|mysql DIRECT_PORT PROXY_PORT CA TOKEN [LOGINS] [QUERIES]

DIRECT is the client's own TLS connection (verify-full against CA) with a ready-made token as
the password, i.e. what an application that signs its own tokens does; PROXY is a plaintext
connection to the proxy on loopback with no password (the proxy adds TLS and the token). The
server checks every login's token in both cases. Prints one Markdown table row per measurement.
"""

import statistics
import sys
import threading
import time

PROTO, DIRECT, PROXY, CA, TOKEN = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
LOGINS = int(sys.argv[6]) if len(sys.argv) > 6 else 200
QUERIES = int(sys.argv[7]) if len(sys.argv) > 7 else 2000


def connect(direct):
    if PROTO == "postgres":
        import psycopg

        if direct:
            return psycopg.connect(host="127.0.0.1", port=DIRECT, user="iam_user", password=TOKEN,
                                   dbname="postgres", sslmode="verify-full", sslrootcert=CA)
        return psycopg.connect(host="127.0.0.1", port=PROXY, user="x", dbname="postgres", sslmode="disable")
    import pymysql

    if direct:
        return pymysql.connect(host="127.0.0.1", port=DIRECT, user="iam_user", password=TOKEN,
                               database="dbtoken", ssl={"ca": CA})
    # ssl_disabled: PyMySQL's default (TLS "preferred") builds an SSL context with the system
    # roots for every connection (~60 ms here) and then falls back to plaintext; libpq's
    # sslmode=disable is the same choice.
    return pymysql.connect(host="127.0.0.1", port=PROXY, user="x", password="", database="dbtoken",
                           ssl_disabled=True)


def select1(conn):
    cur = conn.cursor()
    cur.execute("select 1")
    cur.fetchone()
    cur.close()


def logins_sequential(direct, n):
    t0 = time.perf_counter()
    for _ in range(n):
        c = connect(direct)
        select1(c)
        c.close()
    return n / (time.perf_counter() - t0)


def logins_concurrent(direct, threads, each):
    errors = []

    def worker():
        try:
            for _ in range(each):
                c = connect(direct)
                select1(c)
                c.close()
        except Exception as e:  # noqa: BLE001 - counted below
            errors.append(repr(e))

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"{len(errors)} errors, e.g. {errors[0]}")
    return threads * each / dt


def query_latency(direct, n):
    c = connect(direct)
    for _ in range(100):  # warm up
        select1(c)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        select1(c)
        samples.append(time.perf_counter_ns() - t0)
    c.close()
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


rows = []
for direct in (True, False):
    logins_sequential(direct, 10)  # warm up (caches, the proxy's token)
name = {True: "direct (TLS, token as password)", False: "through the proxy"}
seq = {d: logins_sequential(d, LOGINS) for d in (True, False)}
conc = {d: logins_concurrent(d, 20, max(1, LOGINS // 20)) for d in (True, False)}
burst = {d: logins_concurrent(d, 100, 2) for d in (True, False)}
lat = {d: query_latency(d, QUERIES) for d in (True, False)}
for d in (True, False):
    print(f"| {PROTO} | {name[d]} | {seq[d]:.0f} | {conc[d]:.0f} | {burst[d]:.0f} "
          f"| {lat[d][0]:.0f} µs | {lat[d][1]:.0f} µs |")
print(f"| {PROTO} | proxy vs direct | {seq[False] / seq[True]:.2f}× | {conc[False] / conc[True]:.2f}× "
      f"| {burst[False] / burst[True]:.2f}× | {lat[False][0] - lat[True][0]:+.0f} µs | {lat[False][1] - lat[True][1]:+.0f} µs |")
