"""Python drivers against `dbtoken proxy` (run by cli/tests/proxy-test.sh).

    python proxy_clients.py postgres|mysql PORT CHECK [ARGS...]

CHECK is one of:
  query              one connection with no IAM options, a parameterised query; prints the user
  outlive SECONDS    one connection kept past the token lifetime, queried before and after;
                     then a new connection; prints "ok <user> <user>"
  burst N            N connections opened at the same time (a barrier), each queried while all
                     are open; prints "ok N <distinct server connection ids>"
  cancel             (postgres) a running pg_sleep cancelled through the proxy; prints "cancelled"
  raw                (postgres) the wire by hand: GSSENCRequest and SSLRequest are answered N, a
                     startup packet with a made-up user gets AuthenticationOk, a simple query
                     returns the IAM user, and no byte the client receives holds a token part;
                     prints "ok <user>"
Any password is given (the proxy ignores it unless a local one is set: DBTOKEN_TEST_PASSWORD).
With DBTOKEN_TEST_CA, the client connects to the proxy over TLS, verifying its certificate.
MySQL driver: PyMySQL, or MySQL's own mysql-connector-python (pure) with DBTOKEN_TEST_MYSQL_DRIVER=
connector, whose first answer uses the plugin in DBTOKEN_TEST_AUTH_PLUGIN when set.
"""

import os
import sys
import threading
import time

PROTO, PORT, CHECK = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ARGS = sys.argv[4:]
PASSWORD = os.environ.get("DBTOKEN_TEST_PASSWORD", "anything")
CA = os.environ.get("DBTOKEN_TEST_CA")


def connect():
    if PROTO == "postgres":
        import psycopg

        tls = {"sslmode": "verify-full", "sslrootcert": CA} if CA else {"sslmode": "disable"}
        return psycopg.connect(
            host="127.0.0.1", port=PORT, user="someone", password=PASSWORD,
            dbname="postgres", connect_timeout=20, **tls,
        )
    if os.environ.get("DBTOKEN_TEST_MYSQL_DRIVER") == "connector":
        import mysql.connector

        plugin = os.environ.get("DBTOKEN_TEST_AUTH_PLUGIN")
        return mysql.connector.connect(
            host="127.0.0.1", port=PORT, user="someone", password=PASSWORD, database="dbtoken",
            use_pure=True, connection_timeout=20, **({"auth_plugin": plugin} if plugin else {}),
        )
    import pymysql

    return pymysql.connect(
        host="127.0.0.1", port=PORT, user="someone", password=PASSWORD,
        database="dbtoken", connect_timeout=20, ssl={"ca": CA} if CA else None,
    )


def one(conn, sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    row = cur.fetchone()
    cur.close()
    return row


def whoami(conn):
    if PROTO == "postgres":
        return one(conn, "select current_user, %s::int + 1", (41,))
    # MariaDB's current_user() is user@host; the user part is what we check.
    user, n = one(conn, "select current_user(), %s + 1", (41,))
    return user.split("@")[0], n


def conn_id(conn):
    sql = "select pg_backend_pid()" if PROTO == "postgres" else "select connection_id()"
    return one(conn, sql)[0]


if CHECK == "query":
    c = connect()
    user, n = whoami(c)
    assert n == 42, n
    c.close()
    print(user)
elif CHECK == "outlive":
    c = connect()
    before, _ = whoami(c)
    time.sleep(float(ARGS[0]))
    after, _ = whoami(c)  # the same connection, long after its token expired
    c.close()
    c2 = connect()  # a new login needs a new token
    again, _ = whoami(c2)
    c2.close()
    print("ok", before, after, again)
elif CHECK == "burst":
    n = int(ARGS[0])
    barrier = threading.Barrier(n, timeout=120)
    ids, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            c = connect()
            barrier.wait()  # all N connections are open at once
            i = conn_id(c)
            barrier.wait()
            c.close()
            with lock:
                ids.append(i)
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print("errors:", len(errors), errors[:3])
        sys.exit(1)
    print("ok", len(ids), len(set(ids)), f"{time.monotonic() - t0:.2f}s")
elif CHECK == "cancel":
    import psycopg

    c = connect()
    threading.Timer(0.5, c.cancel).start()
    try:
        one(c, "select pg_sleep(20)")
        print("not cancelled")
        sys.exit(1)
    except psycopg.errors.QueryCanceled:
        print("cancelled")
elif CHECK == "raw":
    import socket
    import struct

    s = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    seen = bytearray()

    def recv_exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            assert chunk, "connection closed"
            buf += chunk
        seen.extend(buf)
        return buf

    def message():
        tag, length = struct.unpack("!cI", recv_exact(5))
        return tag, recv_exact(length - 4)

    s.sendall(struct.pack("!II", 8, 80877104))  # GSSENCRequest
    assert recv_exact(1) == b"N"
    s.sendall(struct.pack("!II", 8, 80877103))  # SSLRequest
    assert recv_exact(1) == b"N"
    body = struct.pack("!I", 196608) + b"user\0made-up\0database\0postgres\0application_name\0raw-check\0\0"
    s.sendall(struct.pack("!I", len(body) + 4) + body)
    tag, body = message()
    assert (tag, body) == (b"R", struct.pack("!I", 0)), (tag, body)  # AuthenticationOk, no password asked
    while message()[0] != b"Z":  # ParameterStatus..., BackendKeyData, ReadyForQuery
        pass
    q = b"select current_user || ' ' || current_setting('application_name')\0"
    s.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
    user = None
    while True:
        tag, body = message()
        if tag == b"D":
            n = struct.unpack("!I", body[2:6])[0]
            user = body[6:6 + n].decode()
        if tag == b"Z":
            break
    s.sendall(b"X" + struct.pack("!I", 4))  # Terminate
    s.close()
    for secret_part in (b"X-Amz-", b"Action=connect", b"DBUser="):
        assert secret_part not in seen, secret_part
    print("ok", user)
else:
    sys.exit(f"unknown check {CHECK}")
